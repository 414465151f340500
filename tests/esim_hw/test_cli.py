"""`simspot simulate euicc|modem` on their own, used by the transports; `simspot esim readers`."""

from __future__ import annotations

import json
import os
import signal
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from simspot.esim.apdu import ISD_R_AID, cla_for_channel
from simspot.esim.at import AtTransport
from simspot.esim.lpa import Lpa
from simspot.esim.pcsc import PcscTransport

from ..helpers import SIMSPOT, run_cli
from .cards import ScriptedCard
from .conftest import Pcscd
from .vcard import READER, inserted, wait_present


@contextmanager
def simulator(
    *args: str, sigint_ignored: bool = False
) -> Iterator[tuple[subprocess.Popen[str], dict[str, str]]]:
    proc = subprocess.Popen(
        [*SIMSPOT, "simulate", *args, "--json"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "COLUMNS": "200"},
        # as a shell script's background job starts it (SIGINT ignored, inherited)
        preexec_fn=(lambda: signal.signal(signal.SIGINT, signal.SIG_IGN))
        if sigint_ignored
        else None,
    )
    try:
        assert proc.stdout is not None and proc.stderr is not None
        line = proc.stdout.readline()
        if not line:
            raise AssertionError("simulator did not start: " + proc.stderr.read())
        yield proc, json.loads(line)
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGINT)
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)
        for stream in (proc.stdout, proc.stderr):
            if stream is not None:
                stream.close()


async def test_simulate_modem_serves_the_virtual_euicc_on_a_pty(tmp_path: Path) -> None:
    state = tmp_path / "card.json"
    with simulator("modem", "--state", str(state), "--dialect", "csim-only") as (proc, info):
        assert info["pty"].startswith("/dev/pts/")
        transport = AtTransport(info["pty"])
        assert await Lpa(transport).eid() == info["eid"]
        assert transport.dialect == "csim"  # probed: the emulator has no AT+CCHO
        proc.send_signal(signal.SIGINT)
        assert proc.wait(15) == 0
    # The card's PKI was kept next to the state file: the same EID next time.
    assert (tmp_path / "card.json.pki" / "euicc.pem").exists()
    with simulator("modem", "--state", str(state)) as (_proc, again):
        assert again["eid"] == info["eid"]


async def test_simulate_euicc_inserts_the_card_into_pcscd(pcscd: Pcscd, tmp_path: Path) -> None:
    state = tmp_path / "card.json"
    vpcd = f"127.0.0.1:{pcscd.port}"
    with simulator("euicc", "--vpcd", vpcd, "--state", str(state)) as (proc, info):
        await wait_present(True)
        assert info["vpcd"] == vpcd
        assert await Lpa(PcscTransport(READER)).eid() == info["eid"]
        proc.send_signal(signal.SIGINT)
        assert proc.wait(15) == 0
    await wait_present(False)


async def _info1_answer(transport: PcscTransport) -> list[bytes]:
    """Raw answers to a case 4 STORE DATA (GetEuiccInfo1) and the GET RESPONSEs it needs."""
    await transport.connect()
    try:
        channel = await transport.open_channel(ISD_R_AID)
        cla = cla_for_channel(channel)
        answers = [
            await transport.transmit(bytes([cla, 0xE2, 0x91, 0x00, 3]) + b"\xbf\x20\x00\x00")
        ]
        while answers[-1][-2] == 0x61:
            get = bytes([cla & 0x7F, 0xC0, 0x00, 0x00, answers[-1][-1]])
            answers.append(await transport.transmit(get))
        await transport.close_channel(channel)
        return answers
    finally:
        await transport.disconnect()


async def test_simulate_euicc_t0_answers_as_a_t0_card(pcscd: Pcscd, tmp_path: Path) -> None:
    """Issue 13 1d: with --protocols t0 the card answers 61xx and data only to GET RESPONSE."""
    state = tmp_path / "card.json"
    vpcd = f"127.0.0.1:{pcscd.port}"
    args = ("euicc", "--vpcd", vpcd, "--state", str(state))
    with simulator(*args, "--protocols", "t0") as (_proc, info):
        await wait_present(True)
        assert info["protocol"] == "T=0"
        transport = PcscTransport(READER)
        answers = await _info1_answer(transport)
        assert transport.active_protocol == "T=0"
        first, *fetched = answers
        assert len(first) == 2 and first[0] == 0x61  # no data in the answer to the command
        assert fetched[-1][-2:] == b"\x90\x00" and fetched[-1][:2] == b"\xbf\x20"
    await wait_present(False)
    with simulator(*args) as (_proc, info):  # T=0 and T=1 offered: pcscd takes T=1
        await wait_present(True)
        assert info["protocol"] == "T=1"
        answers = await _info1_answer(PcscTransport(READER))
        assert answers[0][:2] == b"\xbf\x20" and answers[0][-2:] == b"\x90\x00"
    await wait_present(False)


async def test_esim_readers_lists_pcscd_readers(pcscd: Pcscd) -> None:
    async with inserted(ScriptedCard(), pcscd.port) as bridge:
        result = run_cli("esim", "readers", "--json")
        assert result.returncode == 0, result.stderr
        readers = json.loads(result.stdout)["readers"]
        assert readers[0] == {
            "index": 0,
            "name": READER,
            "card_present": True,
            "atr": bridge.atr.hex().upper(),
        }
        assert readers[1]["card_present"] is False
        text = run_cli("esim", "readers")
        assert READER in text.stdout and "yes" in text.stdout


def test_esim_readers_without_pcscd_says_so(tmp_path: Path) -> None:
    result = run_cli(
        "esim", "readers", env={"PCSCLITE_CSOCK_NAME": str(tmp_path / "no-pcscd.comm")}
    )
    # The other transports' devices are still listed: no pcscd is said, not a failure.
    assert result.returncode == 0, result.stderr
    assert "no PC/SC reader found" in result.stdout and "is pcscd running" in result.stdout
    as_json = run_cli(
        "esim", "readers", "--json", env={"PCSCLITE_CSOCK_NAME": str(tmp_path / "none")}
    )
    found = json.loads(as_json.stdout)
    assert as_json.returncode == 0 and found["readers"] == [] and "modems" in found
    assert "is pcscd running" in found["pcsc_error"]


async def test_simulate_modem_stops_on_ctrl_c_even_started_with_it_ignored(tmp_path: Path) -> None:
    # A background job of a shell script inherits SIGINT ignored; Python then never raises
    # KeyboardInterrupt, so the emulator must set its own handlers (SIGINT and SIGTERM).
    for sig in (signal.SIGINT, signal.SIGTERM):
        state = tmp_path / f"card-{sig.name}.json"
        with simulator("modem", "--state", str(state), sigint_ignored=True) as (proc, info):
            assert info["pty"].startswith("/dev/pts/")
            proc.send_signal(sig)
            assert proc.wait(30) == 0, sig
