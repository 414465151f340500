"""Bounds everywhere (issue 17): huge numbers and long lists are a 422 naming the field.

Each case of the issue against a running demo daemon: the answer is 422 (never 500), names the
field (FastAPI's list for the request schema, ``{"detail", "field"}`` for simspot's own checks),
nothing is half saved, and the daemon keeps answering and its components keep running.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from simspot import config
from simspot.cli.client import refusal
from simspot.errors import ConfigError
from simspot.plans.model import MAX_BYTES
from tests.helpers import RunningDemo, patient, run_cli, start_demo, stop_demo

HUGE = 1e40
MAC = "02:00:00:00:0b:01"


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningDemo]:
    d = start_demo(tmp_path_factory.mktemp("bounds"))
    try:
        yield d
    finally:
        stop_demo(d)


@pytest.fixture
def c(demo: RunningDemo) -> Iterator[httpx.Client]:
    with patient(demo) as client:
        yield client


def refused_field(r: httpx.Response) -> str | None:
    """The field a 422 names, in either form."""
    assert r.status_code == 422, (r.status_code, r.text)
    body = r.json()
    if isinstance(body["detail"], list):
        loc = body["detail"][0]["loc"]
        return ".".join(str(p) for p in loc[1:])
    return body.get("field")


def healthy(c: httpx.Client) -> None:
    """Every route still answers and no component is failing."""
    assert c.get("/api/v1/plans").status_code == 200
    assert c.get("/api/v1/usage/limits").status_code == 200
    health = c.get("/api/v1/health").json()
    bad = [h for h in health if h["state"] not in ("running", "starting")]
    assert not bad, bad


def first_plan(c: httpx.Client) -> dict[str, Any]:
    plans: list[dict[str, Any]] = c.get("/api/v1/plans").json()["plans"]
    return min(plans, key=lambda p: p["id"])


def test_plan_allowance_1e40_is_refused_and_nothing_is_saved(c: httpx.Client) -> None:
    before = first_plan(c)
    ref = str(before["id"])
    r = c.patch(f"/api/v1/plans/{ref}", json={"allowance_bytes": HUGE})
    assert refused_field(r) == "allowance_bytes"
    # As text the service parses it: refused with the structured field.
    r = c.patch(f"/api/v1/plans/{ref}", json={"allowance_bytes": "99999999999999TB"})
    assert refused_field(r) == "allowance_bytes" and "at most" in r.json()["detail"]
    r = c.post(
        "/api/v1/plans",
        json={
            "iccid": before["plan"]["iccid"],
            "name": "huge",
            "allowance_bytes": HUGE,
            "cycle": {"kind": "monthly", "day": 1},
        },
    )
    assert refused_field(r) == "allowance_bytes"
    after = first_plan(c)
    assert after["plan"] == before["plan"]
    assert all(p["plan"]["name"] != "huge" for p in c.get("/api/v1/plans").json()["plans"])
    # The largest figure taken works end to end, forecast included (no timedelta overflow).
    r = c.patch(f"/api/v1/plans/{ref}", json={"allowance_bytes": MAX_BYTES})
    assert r.status_code == 200, r.text
    assert r.json()["allowance_bytes"] == MAX_BYTES
    assert c.patch(f"/api/v1/plans/{ref}", json={"allowance_bytes": 1}).status_code == 200
    r = c.patch(f"/api/v1/plans/{ref}", json={"allowance_bytes": before["plan"]["allowance_bytes"]})
    assert r.status_code == 200
    healthy(c)


def test_cycle_dates_beyond_what_datetime_holds_are_refused(c: httpx.Client) -> None:
    ref = str(first_plan(c)["id"])
    r = c.patch(
        f"/api/v1/plans/{ref}", json={"cycle": {"kind": "every", "days": 7, "start": "9999-12-01"}}
    )
    assert refused_field(r) == "cycle.start"
    r = c.patch(
        f"/api/v1/plans/{ref}",
        json={
            "cycle": {
                "kind": "prepaid",
                "start": "2026-01-01T00:00:00Z",
                "expires": "9999-12-31T23:59:00Z",
            }
        },
    )
    assert refused_field(r) == "cycle.expires"
    healthy(c)


def test_client_limit_day_bytes_1e40_is_refused_and_the_data_plane_keeps_running(
    c: httpx.Client,
) -> None:
    r = c.put(f"/api/v1/usage/limits/{MAC}", json={"day_bytes": HUGE})
    assert refused_field(r) == "day_bytes"
    r = c.put(f"/api/v1/usage/limits/{MAC}", json={"cycle_bytes": "123456789012345PB"})
    assert refused_field(r) == "cycle_bytes"
    r = c.put(f"/api/v1/usage/limits/{MAC}", json={"day_bytes": 10**6, "rate_down_kbit": HUGE})
    assert refused_field(r) == "rate_down_kbit"
    limits = c.get("/api/v1/usage/limits").json()["limits"]
    assert all(lim["mac"] != MAC for lim in limits)
    # The largest cap taken is rendered into the kernel's rules without trouble.
    r = c.put(f"/api/v1/usage/limits/{MAC}", json={"day_bytes": MAX_BYTES})
    assert r.status_code == 200 and r.json()["day_bytes"] == MAX_BYTES
    healthy(c)
    r = c.put(f"/api/v1/usage/limits/{MAC}", json={"day_bytes": None})
    assert r.status_code == 200


def test_usage_correction_1e40_is_refused_and_nothing_is_half_done(c: httpx.Client) -> None:
    before = first_plan(c)
    ref = str(before["id"])
    r = c.post(f"/api/v1/plans/{ref}/usage", json={"used_bytes": HUGE})
    assert refused_field(r) == "used_bytes"
    # One good figure and one refused: neither is kept.
    r = c.post(
        f"/api/v1/plans/{ref}/usage",
        json={"used_bytes": 1000, "tethering_used_bytes": "99999999999999999TB"},
    )
    assert refused_field(r) == "tethering_used_bytes"
    after = first_plan(c)
    assert after["corrected_bytes"] == before["corrected_bytes"]
    assert after["used_bytes"] >= before["used_bytes"]  # still counting, never set to 1000
    healthy(c)


def test_mac_lists_are_bounded(c: httpx.Client) -> None:
    many = [
        f"02:00:{i >> 16 & 255:02x}:{i >> 8 & 255:02x}:{i & 255:02x}:01" for i in range(100_000)
    ]
    r = c.post("/api/v1/hotspot/settings", json={"mac_deny": many}, timeout=60)
    assert refused_field(r) == "mac_deny"
    assert c.get("/api/v1/hotspot").json()["mac_deny"] == []
    r = c.post("/api/v1/hotspot/settings", json={"mac_allow": many[:257]})
    assert refused_field(r) == "mac_allow"
    r = c.post("/api/v1/hotspot/settings", json={"mac_deny": many[:256]})
    assert r.status_code == 200 and len(r.json()["mac_deny"]) == 256
    assert c.post("/api/v1/hotspot/settings", json={"mac_deny": []}).status_code == 200
    r = c.post(f"/api/v1/hotspot/clients/{MAC}/limit", json={"rate_up_kbit": HUGE})
    assert refused_field(r) == "rate_up_kbit"
    healthy(c)


def test_config_lists_are_bounded() -> None:
    macs = [f"02:00:00:00:{i >> 8:02x}:{i & 255:02x}" for i in range(300)]
    with pytest.raises(ConfigError, match="mac_deny"):
        config.validate({"hotspot": {"mac_deny": macs}})
    assert len(config.validate({"hotspot": {"mac_deny": macs[:256]}}).hotspot.mac_deny) == 256


def test_the_cli_prints_the_field_of_either_error_form(demo: RunningDemo) -> None:
    env = {"SIMSPOT_STATE_DIR": str(demo.state_dir)}
    out = run_cli("plan", "set-used", "1", "--used", "99999999999999TB", env=env)
    assert out.returncode != 0
    assert "used_bytes" in out.stderr + out.stdout
    structured = refusal(422, {"detail": "is 40 bytes", "field": "ssid"})
    assert (str(structured), structured.field, structured.status) == (
        "ssid: is 40 bytes",
        "ssid",
        422,
    )
    listed = refusal(
        422,
        {"detail": [{"loc": ["body", "cycle", "day"], "msg": "too big", "type": "x"}]},
    )
    assert (str(listed), listed.field) == ("cycle.day: too big", "cycle.day")
    assert str(refusal(502, None, "Bad Gateway")) == "Bad Gateway"


@pytest.mark.parametrize(
    ("section", "key", "item", "allowed"),
    [
        ("hotspot", "mac_allow", "02:00:00:00:{:02x}:{:02x}", 256),
        ("dataplane", "dns_servers", "192.0.2.{1}", 8),
        ("esim", "extra_isdr_aids", "A0000005591010FFFFFFFF89{:02X}{:02X}", 16),
        ("plans", "thresholds_percent", "{}{}", 100),
    ],
)
def test_config_lists_have_a_length_bound(section: str, key: str, item: str, allowed: int) -> None:
    def items(n: int) -> list[Any]:
        values = [item.format(i // 100, i % 100) for i in range(1, n + 1)]
        return [int(v) for v in values] if key == "thresholds_percent" else values

    with pytest.raises(ConfigError, match=key):
        config.validate({section: {key: items(allowed + 1)}})
    if key != "thresholds_percent":  # percentages are 1-100: a longer list repeats one
        config.validate({section: {key: items(allowed)}})


def test_refused_config_numbers_name_their_key(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="max_clients"):
        config.validate({"hotspot": {"max_clients": 10**30}})
    with pytest.raises(ConfigError, match="channel"):
        config.validate({"hotspot": {"channel": 10**30}})
