"""Health probes bound to each uplink, in a namespace lab with two ISPs (root)."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from typing import Any

import pytest

from tests.uplink.twoisp import ROOT, SERVICE, TwoIsps

SETTINGS = {
    "dns_server": SERVICE,
    "dns_name": "check.example",
    "http_url": f"http://{SERVICE}/generate_204",
    "tcp_target": f"{SERVICE}:80",
    "timeout_s": 2,
}


@pytest.fixture
def lab() -> Iterator[TwoIsps]:
    lab = TwoIsps().up()
    try:
        yield lab
    finally:
        lab.down()


def probe(lab: TwoIsps, interface: str, **over: Any) -> dict[str, Any]:
    out = lab.sh(
        lab.box, sys.executable, "-m", "tests.uplink.probe_runner", interface,
        json.dumps({**SETTINGS, **over}),
    )  # fmt: skip
    return json.loads(out)  # type: ignore[no-any-return]


def test_each_probe_goes_out_through_the_link_it_is_bound_to(lab: TwoIsps) -> None:
    a, b = probe(lab, "upa"), probe(lab, "upb")
    # the main default route is through upa; the answer through upb still comes from ISP B
    assert a["addresses"] == ["10.0.0.1"] and b["addresses"] == ["10.0.0.2"]
    for r in (a, b):
        assert r["ok"] and r["loss"] == 0 and r["latency_ms"] is not None
        kinds = {p["kind"]: p for p in r["results"]}
        assert set(kinds) == {"dns", "http", "tcp"} and all(p["ok"] for p in kinds.values())
        # DNS costs exactly its two datagrams with headers; TCP at least payload + handshake
        q = 12 + len(b"\x05check\x07example\x00") + 4
        assert kinds["dns"]["bytes"] == (q + 28) + (q + 16 + 28)
        assert kinds["http"]["bytes"] > 7 * 40 and kinds["tcp"]["bytes"] == 7 * 40


def test_a_blackholed_isp_fails_its_probes_and_the_other_does_not(lab: TwoIsps) -> None:
    lab.blackhole("a")
    a, b = probe(lab, "upa", timeout_s=1), probe(lab, "upb", timeout_s=1)
    assert not a["ok"] and a["loss"] == 1 and a["results"][0]["error"]
    assert b["ok"] and b["loss"] == 0
    lab.restore("a")
    assert probe(lab, "upa")["ok"]


def test_a_missing_interface_is_a_failed_probe_naming_it(lab: TwoIsps) -> None:
    r = probe(lab, "nosuch0")
    assert not r["ok"] and "no interface nosuch0" in r["results"][0]["error"]


def test_http_probe_sees_a_wrong_status_as_a_portal(lab: TwoIsps) -> None:
    r = probe(lab, "upb", http_expect=[200], dns_server=None, tcp_target=None)
    assert not r["ok"] and "HTTP 204" in r["results"][0]["error"]


assert ROOT.is_dir()
