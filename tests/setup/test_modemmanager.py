"""Setup and doctor ask a real D-Bus (a private dbus-daemon) with python-dbusmock's
ModemManager (tests/dbus/mm_template.py: a dual-slot modem, SIM and eUICC, PIN lock)."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from simspot import config
from simspot.setup.checks import run_checks
from simspot.setup.probe import Facts, read_modemmanager
from tests.dbusbus import private_bus, spawn_dbusmock, wait_for_name
from tests.setup import world

MM_TEMPLATE = str(Path(__file__).parent.parent / "dbus" / "mm_template.py")
MM = "org.freedesktop.ModemManager1"
CONF = {"modem": {"backend": "modemmanager"}, "dataplane": {"backend": "nft"}}


@pytest.fixture(scope="module")
def bus() -> Iterator[str]:
    with private_bus("simspot-setup") as (address, _tmp):
        yield address


@pytest.fixture
def mm(bus: str, tmp_path: Path) -> Iterator[str]:
    log = tmp_path / "mm.log"
    proc = spawn_dbusmock(bus, MM_TEMPLATE, log)
    try:
        wait_for_name(bus, MM, proc, log)
        yield bus
    finally:
        proc.terminate()
        proc.wait(10)


def add_modem(address: str, locked: bool) -> None:
    subprocess.run(
        ["dbus-send", f"--bus={address}", "--print-reply", f"--dest={MM}",
         "/org/freedesktop/ModemManager1", "org.freedesktop.DBus.Mock.AddDualSimModem",
         f"dict:string:boolean:locked,{'true' if locked else 'false'}"],
        check=True, capture_output=True,
    )  # fmt: skip


def facts_from_bus(address: str, tmp_path: Path) -> Facts:
    running, objects, sims, error = asyncio.run(read_modemmanager(address))
    inputs = world.healthy_inputs(tmp_path)
    inputs.mm_running, inputs.mm_objects, inputs.mm_sims, inputs.dbus_error = (
        running, objects, sims, error,
    )  # fmt: skip
    return Facts.of(inputs)


def checks(facts: Facts) -> dict[str, str]:
    return {c.id: c.status for c in run_checks(facts, config.validate(CONF))}


def test_modem_slots_euicc_and_lock(mm: str, tmp_path: Path) -> None:
    add_modem(mm, locked=True)
    facts = facts_from_bus(mm, tmp_path)
    (modem,) = facts.modems
    assert (modem.manufacturer, modem.model) == ("Quectel", "EM12-G")
    assert modem.lock == "sim-pin" and modem.retries == 3
    assert [(s.index, s.present, s.euicc, s.active) for s in modem.slots] == [
        (1, True, False, True),
        (2, True, True, False),
    ]
    assert modem.slots[1].iccid == "8988247000000000021"
    assert checks(facts)["sim-lock"] == "fail"


def test_unlocked_modem_passes(mm: str, tmp_path: Path) -> None:
    add_modem(mm, locked=False)
    found = checks(facts_from_bus(mm, tmp_path))
    assert (found["modemmanager"], found["modem"], found["sim-lock"]) == ("ok", "ok", "ok")


def test_no_modem(mm: str, tmp_path: Path) -> None:
    facts = facts_from_bus(mm, tmp_path)
    assert facts.mm_running and not facts.modems
    assert checks(facts)["modem"] == "fail"


def test_modemmanager_absent(bus: str, tmp_path: Path) -> None:
    facts = facts_from_bus(bus, tmp_path)
    assert not facts.mm_running and facts.dbus_error is None
    assert checks(facts)["modemmanager"] == "fail"


def test_no_bus(tmp_path: Path) -> None:
    facts = facts_from_bus(f"unix:path={tmp_path}/no-such-bus", tmp_path)
    assert facts.dbus_error and "cannot connect to D-Bus" in facts.dbus_error
    assert checks(facts)["dbus"] == "fail"


def test_doctor_cli_with_a_locked_sim(mm: str, tmp_path: Path) -> None:
    """`simspot doctor --json` end to end: the real gatherer on this machine, ModemManager from
    the private bus; a locked SIM blocks sharing, so it exits 1 naming the fix."""
    add_modem(mm, locked=True)
    conf = tmp_path / "simspot.toml"
    conf.write_text('[modem]\nbackend = "modemmanager"\n[dataplane]\nbackend = "nft"\n'
                    'uplink_interface = "wwan0"\n')  # fmt: skip
    done = subprocess.run(
        [sys.executable, "-m", "simspot.cli.main", "doctor", "--json", "--config", str(conf),
         "--dbus-address", mm],
        capture_output=True, text=True, timeout=120, env={**os.environ, "NO_COLOR": "1"},
    )  # fmt: skip
    assert done.returncode == 1, done.stderr
    report = json.loads(done.stdout)
    lock = next(c for c in report["checks"] if c["id"] == "sim-lock")
    assert lock["status"] == "fail" and "simspot sim unlock" in lock["fix"]
    assert report["ok"] is False
