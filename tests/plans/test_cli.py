"""`simspot plan` and `simspot usage` end to end: the real CLI against the real demo daemon."""

from __future__ import annotations

import json
import signal
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from simspot.simulator.modem import EUICC_PROFILE, PHYSICAL_SIM
from tests.helpers import RunningDemo, run_cli, start_demo, wait_for


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningDemo]:
    d = start_demo(tmp_path_factory.mktemp("plans-demo") / "state", "--speed", "60")
    try:
        yield d
    finally:
        d.stop(signal.SIGINT)


def cli(demo: RunningDemo, *args: str) -> Any:
    r = run_cli(*args, "--json", "--state-dir", str(demo.state_dir))
    out = json.loads(r.stdout)
    assert (r.returncode == 0) == ("error" not in out), (r.returncode, r.stdout, r.stderr)
    return out


def test_demo_has_plans_on_both_sims_that_get_used(demo: RunningDemo) -> None:
    plans = cli(demo, "plan", "list")["plans"]
    by_iccid = {p["plan"]["iccid"]: p for p in plans}
    assert set(by_iccid) == {PHYSICAL_SIM[0], EUICC_PROFILE[0]}
    sim1 = by_iccid[PHYSICAL_SIM[0]]
    assert sim1["plan"]["action"] == "stop" and sim1["plan"]["price"]["currency"] == "GBP"
    assert by_iccid[EUICC_PROFILE[0]]["plan"]["cycle"]["kind"] == "prepaid"
    # Traffic on the active SIM shows up in its plan within seconds.
    start = sim1["used_bytes"]
    with demo.client() as http:
        path = f"/api/v1/plans/{PHYSICAL_SIM[0]}"
        wait_for(lambda: http.get(path).json()["used_bytes"] > start + 1_000_000, 30)
    shown = cli(demo, "plan", "show", "Simtel 1 GB")
    assert shown["forecast"]["explanation"].startswith("At about")
    human = run_cli("plan", "show", "1", "--state-dir", str(demo.state_dir))
    assert human.returncode == 0 and "Simtel 1 GB" in human.stdout and "remaining" in human.stdout


def test_add_edit_correct_delete_through_the_cli(demo: RunningDemo) -> None:
    sim2 = EUICC_PROFILE[0]
    assert cli(demo, "plan", "delete", sim2)["deleted"] is True
    out = cli(
        demo, "plan", "add", sim2, "--name", "Roaming 2 GB", "--allowance", "2GB",
        "--tethering", "500MB", "--every-days", "30", "--start", "2026-01-01",
        "--timezone", "Asia/Shanghai", "--price", "5", "--per", "gb", "--currency", "cny",
        "--mcc", "460", "--mcc", "208", "--action", "throttle", "--throttle-kbit", "256",
    )  # fmt: skip
    assert out["plan"]["allowance_bytes"] == 2_000_000_000
    assert out["plan"]["tethering_allowance_bytes"] == 500_000_000
    assert out["plan"]["price"] == {"amount": "5", "per": "gb", "currency": "CNY"}
    assert out["plan"]["mccs"] == ["208", "460"]
    out = cli(demo, "plan", "edit", "Roaming 2 GB", "--allowance", "unlimited", "--action", "stop")
    assert out["plan"]["allowance_bytes"] is None and out["plan"]["throttle_kbit"] is None
    out = cli(demo, "plan", "set-used", sim2, "--used", "1.5GB", "--note", "carrier app")
    assert out["used_bytes"] == 1_500_000_000 and out["corrected_bytes"] == 1_500_000_000


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--allowance", "-5GB"), "allowance_bytes: must be at least 0"),
        (("--monthly-day", "32"), "cycle.day: must be at most 31, got 32"),
        (("--price", "3", "--currency", "XXY"), "'XXY' is not an ISO 4217 currency code"),
    ],
)
def test_bad_input_is_refused_with_a_clear_message(
    demo: RunningDemo, args: tuple[str, ...], message: str
) -> None:
    r = run_cli("plan", "add", PHYSICAL_SIM[0], *args, "--state-dir", str(demo.state_dir))
    assert r.returncode == 1
    assert message in r.stderr and "Traceback" not in r.stderr


def test_unknown_iccid_is_refused(demo: RunningDemo) -> None:
    out = cli(demo, "plan", "add", "8944200000000000025", "--allowance", "1GB")
    assert "has not been seen on any SIM slot or eSIM profile" in out["error"]
    out = cli(demo, "plan", "add", "8944200000000000018")
    assert "wrong check digit (Luhn)" in out["error"]


def test_usage_by_uplink_and_client_and_client_limits(demo: RunningDemo) -> None:
    rows = cli(demo, "usage")["rows"]
    sim1 = next(r for r in rows if r["key"] == PHYSICAL_SIM[0])
    assert sim1["total_bytes"] == sim1["rx_bytes"] + sim1["tx_bytes"] > 0
    assert sim1["used_bytes"] >= sim1["total_bytes"]  # the demo starts with a correction
    with demo.client() as http:
        days = http.get("/api/v1/usage", params={"period": "day"}).json()
        assert days["period"] == "day" and days["rows"]
        params = {"by": "client", "period": "hour"}
        wait_for(lambda: http.get("/api/v1/usage", params=params).json()["rows"], 20)
    clients = cli(demo, "usage", "--by", "client", "--period", "hour")["rows"]
    mac = clients[0]["key"]
    assert sum(r["total_bytes"] for r in clients) <= sim1["total_bytes"] + 10**9
    out = cli(demo, "usage", "limit", mac, "--day", "100MB", "--down-kbit", "512")
    assert out == {"mac": mac, "day_bytes": 100_000_000, "cycle_bytes": None,
                   "rate_down_kbit": 512, "rate_up_kbit": None}  # fmt: skip
    assert cli(demo, "usage", "limits")["limits"] == [out]
    assert cli(demo, "usage", "limit", mac)["day_bytes"] is None  # nothing given: removed
    out = cli(demo, "usage", "limit", "nope", "--day", "1GB")
    assert "not a MAC address" in out["error"]
    human = run_cli("usage", "--by", "client", "--state-dir", str(demo.state_dir))
    assert human.returncode == 0 and "usage per cycle" in human.stdout


def test_cli_without_daemon_says_so(tmp_path: Path) -> None:
    r = run_cli("plan", "list", "--state-dir", str(tmp_path))
    assert r.returncode == 1 and "no simspot daemon is running" in r.stderr
