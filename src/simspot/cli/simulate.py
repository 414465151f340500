"""`simspot simulate ...`: run the simulated peers on their own, for any tool to use."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from simspot.cli.common import JsonOpt, console, errors_as_messages

if TYPE_CHECKING:
    import threading

    from simspot.simulator.euicc import VirtualEuicc

app = typer.Typer(help="Run simulated peers (virtual eUICC, AT modem, ...) on their own.")

StateOpt = Annotated[
    Path, typer.Option("--state", help="The virtual eUICC's state file (created if missing).")
]
PkiOpt = Annotated[
    Path | None,
    typer.Option(
        "--pki",
        help="Test PKI directory of the card (default: next to the state file; made if missing).",
    ),
]
RootDsOpt = Annotated[
    str | None,
    typer.Option(
        "--root-ds",
        help="The card's root SM-DS address (default lpa.ds.gsma.com), e.g. a test SM-DS "
        "from `simulate smdp --smds`.",
    ),
]
IdentityOpt = Annotated[
    Path | None,
    typer.Option(
        "--identity",
        help="Take the card's identity from DIR instead of a test PKI: ci.pem, eum.pem, "
        "euicc.pem and euicc.key (no other key is needed).",
    ),
]


def _open_euicc(
    state: Path,
    pki: Path | None,
    identity: Path | None = None,
    *,
    t0: bool = False,
    root_ds: str | None = None,
) -> VirtualEuicc:
    from simspot.errors import SimspotValueError
    from simspot.simulator.euicc import VirtualEuicc
    from simspot.simulator.pki import TestPki, load_euicc_identity

    if identity is not None:
        if pki is not None:
            raise SimspotValueError(msg_id="cli.simulate.identity-or-pki")
        credentials = load_euicc_identity(identity)
    else:
        pki_dir = pki or state.with_name(state.name + ".pki")
        if pki_dir.is_dir():
            test_pki = TestPki.load(pki_dir)
        else:
            test_pki = TestPki.generate()
            test_pki.write(pki_dir)
        credentials = test_pki.euicc_credentials()
    state.parent.mkdir(parents=True, exist_ok=True)
    if root_ds is not None:
        from simspot.esim.activation import validate_smdp_address

        return VirtualEuicc(
            credentials, state_path=state, t0=t0, root_ds_address=validate_smdp_address(root_ds)
        )
    return VirtualEuicc(credentials, state_path=state, t0=t0)


def _announce(data: dict[str, object], as_json: bool, text: str) -> None:
    if as_json:
        sys.stdout.write(json.dumps(data) + "\n")
    else:
        console.print(text, highlight=False)
    sys.stdout.flush()


@app.command()
def euicc(
    state: StateOpt,
    vpcd: Annotated[
        str, typer.Option("--vpcd", help="pcscd's vpcd slot as HOST:PORT.")
    ] = "127.0.0.1:35963",
    pki: PkiOpt = None,
    identity: IdentityOpt = None,
    root_ds: RootDsOpt = None,
    protocols: Annotated[
        str,
        typer.Option(
            help="Protocols the ATR offers: t0, t1 or t0,t1. With t0 alone the card also answers"
            " as a T=0 card does (61xx, then GET RESPONSE)."
        ),
    ] = "t0,t1",
    as_json: JsonOpt = False,
) -> None:
    """Insert the virtual eUICC into vsmartcard's virtual reader (pcscd + vsmartcard-vpcd).

    Any PC/SC program then sees it; runs until Ctrl-C and re-inserts the card if pcscd restarts.
    vpcd does not tell a card which protocol the reader chose, so an ATR offering both gets
    T=1 answers (pcsc-lite takes T=1 then).
    """
    import asyncio

    from simspot.errors import SimspotValueError
    from simspot.simulator.vpcd import VpcdCard, make_atr, parse_address

    with errors_as_messages(as_json):
        host, port = parse_address(vpcd)
        try:
            offered = tuple(int(p.strip().lower().removeprefix("t=").removeprefix("t"))
                            for p in protocols.split(","))  # fmt: skip
        except ValueError:
            raise SimspotValueError(
                msg_id="cli.simulate.bad-protocols", params={"value": repr(protocols)}
            ) from None
        if not offered or any(p not in (0, 1) for p in offered):
            raise SimspotValueError(
                msg_id="cli.simulate.bad-protocols", params={"value": repr(protocols)}
            )
        card = _open_euicc(state, pki, identity, t0=set(offered) == {0}, root_ds=root_ds)
        bridge = VpcdCard(card, host, port, atr=make_atr(offered))

        async def run() -> None:
            announced = False
            while True:
                await bridge.connect(timeout_s=3600)
                if not announced:
                    _announce(
                        {
                            "vpcd": f"{host}:{port}",
                            "eid": card.eid,
                            "atr": bridge.atr.hex(),
                            "protocol": "T=0" if card.t0 else "T=1",
                        },
                        as_json,
                        f"virtual eUICC {card.eid} is in the vpcd reader at {host}:{port} "
                        f"(ATR {bridge.atr.hex().upper()}); Ctrl-C stops it",
                    )
                    announced = True
                await bridge.serve()
                await asyncio.sleep(0.5)  # pcscd went away: wait for it to come back

        _interrupt_on_signals()
        try:
            asyncio.run(run())
        except KeyboardInterrupt:
            return


def _interrupt_on_signals() -> None:
    """Ctrl-C (SIGINT) and SIGTERM stop the emulator as KeyboardInterrupt, also when it was
    started with SIGINT ignored (a shell script's background job ``simspot simulate ... &``
    inherits that, and Python then leaves SIGINT ignored)."""
    import signal

    def interrupt(*_: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGINT, interrupt)
    signal.signal(signal.SIGTERM, interrupt)


def _stop_on_signals(done: threading.Event) -> None:
    """SIGINT and SIGTERM set ``done`` (see _interrupt_on_signals for why SIGINT is set here)."""
    import signal

    signal.signal(signal.SIGINT, lambda *_: done.set())
    signal.signal(signal.SIGTERM, lambda *_: done.set())


@app.command()
def modem(
    state: StateOpt,
    pki: PkiOpt = None,
    identity: IdentityOpt = None,
    root_ds: RootDsOpt = None,
    dialect: Annotated[
        list[str] | None,
        typer.Option(
            "--dialect",
            help="Quirks to combine: standard, csim-only, ccho-only, uppercase-only, "
            "no-prefix, echo, urc-noise (repeatable).",
        ),
    ] = None,
    latency_ms: Annotated[int, typer.Option(help="Delay before every answer.", min=0)] = 0,
    stop_after: Annotated[
        int | None, typer.Option(help="Go silent after this many commands (fault tests).", min=0)
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Run an AT modem emulator on a pseudo-terminal, its card the virtual eUICC.

    Prints the pty path (open it with simspot's AT transport, lpac, minicom); Ctrl-C stops it.
    """
    import threading

    from simspot.simulator.atmodem import AtModem, dialect_from

    with errors_as_messages(as_json):
        chosen = dialect_from(dialect or [], latency_s=latency_ms / 1000, stop_after=stop_after)
        card = _open_euicc(state, pki, identity, root_ds=root_ds)
        emulator = AtModem(card, chosen).start()
        _announce(
            {"pty": emulator.path, "eid": card.eid, "dialect": dialect or ["standard"]},
            as_json,
            f"AT modem emulator on {emulator.path} (eUICC {card.eid}); Ctrl-C stops it",
        )
        done = threading.Event()
        _stop_on_signals(done)
        try:
            while not done.wait(0.5):
                pass
        finally:
            emulator.close()


LatencyOpt = Annotated[int, typer.Option(help="Delay before every answer.", min=0)]
GoneOpt = Annotated[
    int | None,
    typer.Option(help="Go away (port closes, card resets) at this APDU (fault tests).", min=1),
]


def _serve_pty_device(kind: str, emulator: object, eid: str, as_json: bool) -> None:
    """Announce a QMI/MBIM emulator's pty and serve until Ctrl-C, SIGTERM or unplug."""
    import threading

    from simspot.simulator.ptydev import PtyDevice

    if not isinstance(emulator, PtyDevice):
        raise TypeError(emulator)
    _announce(
        {"pty": emulator.path, "eid": eid, "protocol": kind},
        as_json,
        f"{kind.upper()} modem emulator on {emulator.path} (eUICC {eid}); reach it through "
        f'{kind}-proxy (transport = "{kind}", device = "{emulator.path}"); Ctrl-C stops it',
    )
    done = threading.Event()
    _stop_on_signals(done)
    try:
        while not done.wait(0.5) and not emulator.gone.is_set():
            pass
    finally:
        emulator.close()


@app.command()
def qmi(
    state: StateOpt,
    pki: PkiOpt = None,
    identity: IdentityOpt = None,
    slot: Annotated[int, typer.Option(help="UIM slot holding the card.", min=1, max=5)] = 1,
    latency_ms: LatencyOpt = 0,
    gone_after: GoneOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Run a QMI modem emulator (raw QMUX on a pseudo-terminal), its card the virtual eUICC.

    Answers CTL and UIM Open Logical Channel / Send APDU / close; qmicli, qmi-proxy and
    simspot's QMI transport can open the pty path it prints. Ctrl-C stops it.
    """
    from simspot.simulator.qmidev import QmiModem

    with errors_as_messages(as_json):
        card = _open_euicc(state, pki, identity)
        emulator = QmiModem(card, slot=slot, latency_s=latency_ms / 1000, gone_after=gone_after)
        _serve_pty_device("qmi", emulator.start(), card.eid, as_json)


@app.command()
def mbim(
    state: StateOpt,
    pki: PkiOpt = None,
    identity: IdentityOpt = None,
    latency_ms: LatencyOpt = 0,
    gone_after: GoneOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Run an MBIM modem emulator on a pseudo-terminal, its card the virtual eUICC.

    Answers OPEN/CLOSE and MS UICC low-level access Open Channel / APDU / Close Channel;
    mbimcli, mbim-proxy and simspot's MBIM transport can open the pty path it prints.
    """
    from simspot.simulator.mbimdev import MbimModem

    with errors_as_messages(as_json):
        card = _open_euicc(state, pki, identity)
        emulator = MbimModem(card, latency_s=latency_ms / 1000, gone_after=gone_after)
        _serve_pty_device("mbim", emulator.start(), card.eid, as_json)


@app.command("pki")
def pki_command(
    out: Annotated[Path, typer.Option("--out", help="Directory for the PEM files.")],
    eid: Annotated[str | None, typer.Option(help="EID of the eUICC (default: random).")] = None,
    host: Annotated[
        list[str] | None,
        typer.Option("--host", help="DNS name or IP for the SM-DP+ TLS certificate (repeatable)."),
    ] = None,
    smdp_oid: Annotated[str, typer.Option(help="SM-DP+ OID (SAN registeredID).")] = "2.999.10",
    force: Annotated[bool, typer.Option(help="Overwrite an existing PKI in --out.")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Issue a test SGP.22 PKI: CI, EUM, eUICC, SM-DP+ DPauth, DPpb and TLS (NIST P-256).

    Writes <name>.pem and <name>.key (0600) for ci, eum, euicc, dpauth, dppb and dptls. Give
    ci.pem to an LPA as its test CI; `simulate smdp --pki DIR` serves with the rest.
    """
    from simspot.errors import SimspotValueError
    from simspot.simulator.pki import DEFAULT_HOSTS, TestPki

    with errors_as_messages(as_json):
        if (out / "ci.pem").exists() and not force:
            raise SimspotValueError(msg_id="cli.simulate.pki-exists", params={"path": str(out)})
        hosts = [*(host or []), *(h for h in DEFAULT_HOSTS if h not in (host or []))]
        test_pki = TestPki.generate(eid=eid, hosts=hosts, smdp_oid=smdp_oid)
        files = test_pki.write(out)
        data: dict[str, object] = {
            "directory": str(out),
            "eid": test_pki.eid,
            "ci_key_id": test_pki.ci.ski.hex(),
            "smdp_oid": smdp_oid,
            "tls_hosts": hosts,
            "files": [str(f) for f in files],
        }
        _announce(
            data,
            as_json,
            f"test PKI written to {out}: EID {test_pki.eid}, CI key id {test_pki.ci.ski.hex()}, "
            f"TLS names {', '.join(hosts)}",
        )


@app.command()
def smdp(
    listen: Annotated[
        str, typer.Option("--listen", help="HOST:PORT to serve on (port 0: any free port).")
    ] = "127.0.0.1:8443",
    profiles: Annotated[
        Path | None,
        typer.Option(
            "--profiles",
            help="Directory of profile packages; file name = matching ID (default: samples).",
        ),
    ] = None,
    pki: Annotated[
        Path | None,
        typer.Option(
            "--pki", help="Test PKI directory (made there if missing; default: temporary)."
        ),
    ] = None,
    identity: Annotated[
        Path | None,
        typer.Option(
            "--identity",
            help="Serve with the certificates and keys in DIR instead of a test PKI: ci.pem, "
            "dpauth.pem/.key, dppb.pem/.key, dptls.pem/.key.",
        ),
    ] = None,
    http: Annotated[bool, typer.Option("--http", help="Plain HTTP instead of HTTPS.")] = False,
    confirmation_code: Annotated[
        str | None, typer.Option(help="Require this confirmation code for every profile.")
    ] = None,
    reusable: Annotated[
        bool, typer.Option(help="Matching IDs can be downloaded again (default: single use).")
    ] = False,
    address: Annotated[
        str | None,
        typer.Option(help="SM-DP+ address for activation codes (default: localhost:PORT)."),
    ] = None,
    ppk: Annotated[
        bool, typer.Option(help="Protect profiles with ReplaceSessionKeys (PPK).")
    ] = False,
    smds: Annotated[
        str | None,
        typer.Option(
            "--smds",
            help="Also run a test SM-DS (ES11) on HOST:PORT; with --event-eid the SM-DP+ "
            "registers an event there for every profile.",
        ),
    ] = None,
    event_eid: Annotated[
        str | None,
        typer.Option(help="EID the profiles are announced for on the test SM-DS (--smds)."),
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Run the test SM-DP+ (ES9+) so any LPA can download profiles from it.

    Prints its URL, the CI certificate to trust and one activation code per profile; Ctrl-C
    stops it. Per-profile options go in <matching ID>.json next to the package. With --smds a
    test SM-DS runs beside it (certificates from the same CI, or dsauth/dstls in --identity),
    so discovery (`simspot esim discover --smds ADDRESS`) never leaves the machine.
    """
    import asyncio
    import signal
    import tempfile

    from simspot.errors import SimspotValueError
    from simspot.simulator.pki import (
        DEFAULT_HOSTS,
        SmdsCredentials,
        TestPki,
        identity_ci_files,
        load_smdp_identity,
        load_smds_identity,
    )
    from simspot.simulator.profiles import make_iccid, sample_profile
    from simspot.simulator.smdp import TestSmdp
    from simspot.simulator.smds import TestSmds

    with errors_as_messages(as_json):
        host, _, port_text = listen.rpartition(":")
        host = host.strip("[]") or "127.0.0.1"
        if not port_text.isdigit() or int(port_text) > 65535:
            raise SimspotValueError(
                msg_id="cli.simulate.bad-address",
                params={"option": "--listen", "value": repr(listen)},
            )
        if event_eid is not None and smds is None:
            raise SimspotValueError(msg_id="cli.simulate.event-eid-needs-smds")
        smds_host, smds_port = "", 0
        if smds is not None:
            smds_host, _, smds_port_text = smds.rpartition(":")
            smds_host = smds_host.strip("[]") or "127.0.0.1"
            if not smds_port_text.isdigit() or int(smds_port_text) > 65535:
                raise SimspotValueError(
                    msg_id="cli.simulate.bad-address",
                    params={"option": "--smds", "value": repr(smds)},
                )
            smds_port = int(smds_port_text)
        scratch = None
        test_eid: str | None = None
        smds_credentials: SmdsCredentials | None = None
        if identity is not None:
            if pki is not None:
                raise SimspotValueError(msg_id="cli.simulate.identity-or-pki")
            credentials = load_smdp_identity(identity)
            ci_files = [str(p) for p in identity_ci_files(identity)]
            if smds is not None:
                smds_credentials = load_smds_identity(identity)
        else:
            pki_dir = pki
            if pki_dir is None:
                scratch = tempfile.TemporaryDirectory(prefix="simspot-smdp-pki-")
                pki_dir = Path(scratch.name)
            if (pki_dir / "ci.pem").exists():
                test_pki = TestPki.load(pki_dir)
            else:
                names = [h for h in (address.rpartition(":")[0] if address else "", host) if h]
                hosts = [*names, *(h for h in DEFAULT_HOSTS if h not in names)]
                wildcard = {"0.0.0.0", "::"}  # noqa: S104 - names to leave out of the certificate
                test_pki = TestPki.generate(hosts=[h for h in hosts if h not in wildcard])
                test_pki.write(pki_dir)
            credentials = test_pki.smdp_credentials()
            ci_files = [str(pki_dir / "ci.pem")]
            test_eid = test_pki.eid
            if smds is not None:
                smds_names = [h for h in (smds_host,) if h not in {"0.0.0.0", "::"}]  # noqa: S104
                smds_credentials = test_pki.smds_credentials(
                    [*smds_names, *(h for h in DEFAULT_HOSTS if h not in smds_names)]
                )
        server = TestSmdp(credentials, address=address)
        if profiles is not None:
            orders = server.load_directory(
                profiles, confirmation_code=confirmation_code, reusable=reusable
            )
        else:
            samples = (("SAMPLE-12K", 12 * 1024), ("SAMPLE-19K", 19 * 1024))
            orders = [
                server.add_profile(
                    name,
                    sample_profile(size, iccid=make_iccid(900 + i), name=name),
                    confirmation_code=confirmation_code,
                    reusable=reusable,
                )
                for i, (name, size) in enumerate(samples)
            ]
        server.use_ppk = ppk

        async def run() -> None:
            stop = asyncio.Event()
            loop = asyncio.get_running_loop()
            for sig in (signal.SIGINT, signal.SIGTERM):
                loop.add_signal_handler(sig, stop.set)
            smds_server = TestSmds(smds_credentials) if smds_credentials is not None else None
            if smds_server is not None:
                await smds_server.start(smds_host, smds_port, tls=not http)
                server.smds = smds_server
            try:
                url = await server.start(host, int(port_text), tls=not http)
                if smds_server is not None and event_eid is not None:
                    for o in orders:
                        server.announce(o.matching_id, eid=event_eid)
                codes = {o.matching_id: server.activation_code(o.matching_id) for o in orders}
                data: dict[str, object] = {
                    "url": url,
                    "address": server.address,
                    "ci": ci_files[0],
                    "ci_files": ci_files,
                    "eid_of_test_pki": test_eid,
                    "profiles": [
                        {
                            "matching_id": o.matching_id,
                            "iccid": o.iccid,
                            "size": len(o.package),
                            "activation_code": codes[o.matching_id],
                            "confirmation_code_required": o.confirmation_code is not None,
                            "reusable": o.reusable,
                        }
                        for o in orders
                    ],
                }
                trust = ", ".join(ci_files)
                lines = [f"test SM-DP+ serving {url} (trust {trust}); Ctrl-C stops it"]
                lines += [f"  {o.matching_id}: {codes[o.matching_id]}" for o in orders]
                if smds_server is not None:
                    data["smds_url"] = smds_server.url
                    data["smds_address"] = smds_server.address
                    data["events"] = [
                        {"event_id": e.event_id, "eid": e.eid} for e in smds_server.events
                    ]
                    lines.append(
                        f"test SM-DS serving {smds_server.url} ({len(smds_server.events)} "
                        f"event(s)); discover with --smds {smds_server.address}"
                    )
                _announce(data, as_json, "\n".join(lines))
                await stop.wait()
            finally:
                await server.stop()
                if smds_server is not None:
                    await smds_server.stop()

        try:
            asyncio.run(run())
        finally:
            if scratch is not None:
                scratch.cleanup()
