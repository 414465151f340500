"""Plans inside the real daemon on the simulator: cut-off at the limit, corrections, client caps,
throttling, warnings delivered to a real local webhook and ntfy server, API errors."""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import AsyncIterator, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest

from simspot import config
from simspot.daemon.build import build_backends
from simspot.daemon.runtime import Daemon
from simspot.plans.capability import PlansService
from simspot.services import PLAN_ADMIN
from simspot.simulator.clients import SimulatedDataPlane
from simspot.simulator.modem import PHYSICAL_SIM
from tests.helpers import api_client, until

SIM1 = PHYSICAL_SIM[0]


class Peer:
    """A real local HTTP server that records requests; the first ``fail_first`` get a 500."""

    def __init__(self, fail_first: int = 0, stall_s: float = 0.0) -> None:
        self.requests: list[tuple[str, dict[str, str], bytes]] = []
        self.fail_first = fail_first
        self.stall = threading.Event()
        self.stall_s = stall_s
        peer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("content-length", 0)))
                peer.requests.append((self.path, dict(self.headers), body))
                if peer.stall_s:
                    peer.stall.wait(peer.stall_s)  # a receiver that does not answer in time
                code = 500 if len(peer.requests) <= peer.fail_first else 200
                self.send_response(code)
                self.send_header("content-length", "0")
                self.end_headers()

            def log_message(self, *args: object) -> None:
                return None

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.stall.set()
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def peers() -> Iterator[tuple[Peer, Peer]]:
    hook, ntfy = Peer(fail_first=1), Peer()
    try:
        yield hook, ntfy
    finally:
        hook.close()
        ntfy.close()


def plans_service(d: Daemon) -> PlansService:
    svc = d.service(PLAN_ADMIN)
    assert isinstance(svc, PlansService)
    return svc


def make_daemon(tmp_path: Path, plans: dict[str, Any] | None = None) -> Daemon:
    conf = config.validate(
        {
            "daemon": {"state_dir": str(tmp_path), "restart_backoff_s": 0.2},
            "simulator": {
                "seed": 7,
                "clients": 8,
                "speed": 300,
                "tick_s": 0.05,
                "demo_data": False,
            },
            "plans": {"poll_interval_s": 0.1, "commit_interval_s": 0.5} | (plans or {}),
        }
    )
    d = Daemon(conf, build_backends(conf, simulate=True))
    d.auth.setup()
    return d


@pytest.fixture
async def daemon(tmp_path: Path) -> AsyncIterator[Daemon]:
    d = make_daemon(tmp_path)
    await d.start()
    try:
        yield d
    finally:
        await d.stop()


def api(d: Daemon) -> httpx.AsyncClient:
    return api_client(d, timeout=60)


def dataplane(d: Daemon) -> SimulatedDataPlane:
    dp = d.backends.dataplane
    assert isinstance(dp, SimulatedDataPlane)
    return dp


async def uplink_counter(d: Daemon) -> int:
    c = (await d.backends.dataplane.counters()).uplinks.get(SIM1)
    return c.rx_bytes + c.tx_bytes if c else 0


async def client_bytes(d: Daemon) -> dict[str, int]:
    """What the data plane has passed to and from each client so far (bytes, by MAC)."""
    clients = (await d.backends.dataplane.counters()).clients
    return {mac: c.rx_bytes + c.tx_bytes for mac, c in clients.items()}


async def until_nothing_reaches_the_clients(d: Daemon, limit_s: float = 30) -> None:
    """Wait until no client sends or receives a byte for a whole second (sharing is held).

    What reaches the clients is what counts; the uplink counter may still move a little after a
    block (a packet the network delivered is billed by the carrier all the same).
    """
    loop = asyncio.get_running_loop()
    deadline = loop.time() + limit_s
    before = await client_bytes(d)
    while True:
        await asyncio.sleep(1.0)
        now = await client_bytes(d)
        moved = {m: n - before.get(m, 0) for m, n in now.items() if n != before.get(m, 0)}
        if not moved:
            return
        if loop.time() > deadline:
            raise AssertionError(f"clients still get data {limit_s} s after the hold: {moved}")
        before = now


def events(d: Daemon, kind: str) -> list[dict[str, Any]]:
    return [e.data for e in d.bus.recent() if e.kind == kind]


async def wait_for_traffic(d: Daemon, c: httpx.AsyncClient, at_least: int = 1) -> int:
    async def used() -> int:
        rows = (await c.get("/api/v1/usage")).json()["rows"]
        return sum(r["total_bytes"] for r in rows if r["key"] == SIM1)

    deadline = asyncio.get_running_loop().time() + 40
    while (u := await used()) < at_least:
        assert asyncio.get_running_loop().time() < deadline, "no traffic"
        await asyncio.sleep(0.1)
    return u


async def test_stop_at_the_limit_is_exact_and_correction_resumes(daemon: Daemon) -> None:
    d = daemon
    async with api(d) as c:
        used = await wait_for_traffic(d, c)
        allowance = used + 150_000_000
        r = await c.post(
            "/api/v1/plans",
            json={
                "iccid": SIM1,
                "name": "Tiny",
                "allowance_bytes": allowance,
                "cycle": {"kind": "monthly", "day": 1},
                "action": "stop",
            },
        )
        assert r.status_code == 201, r.text
        # The kernel quota is the uplink counter now plus what is left.
        spec = await until(lambda: (s := dataplane(d).spec) and s.total_quota_bytes and s, 10)
        # Run into the limit: the data plane stops the traffic by itself.
        await until(lambda: "plan" in d.sharing.reasons, 60, "sharing held by the plan")
        body = (await c.get(f"/api/v1/plans/{SIM1}")).json()
        assert body["exhausted"] is True
        assert allowance - 65536 <= body["used_bytes"] <= allowance
        counter = await uplink_counter(d)
        spec = dataplane(d).spec
        assert spec is not None and spec.total_quota_bytes is not None
        assert counter <= spec.total_quota_bytes
        # From the hold on, nothing reaches the clients.
        await until_nothing_reaches_the_clients(d)
        # Every warning once, the limit once.
        warned = [e["percent"] for e in events(d, "plan.threshold")]
        assert warned == [50, 80, 90, 100]
        assert len(events(d, "plan.limit")) == 1
        assert body["forecast"]["explanation"].startswith("The allowance of")

        # The carrier says only 100 MB were used: counting continues from there and the quota
        # opens again.
        r = await c.post(f"/api/v1/plans/{SIM1}/usage", json={"used_bytes": "100MB"})
        assert r.status_code == 200, r.text
        assert r.json()["used_bytes"] == 100_000_000
        assert "plan" not in d.sharing.reasons
        grown = await until(
            lambda: plans_service(d).ledger.counter("uplink", SIM1) > counter + 10**6,
            30,
            "traffic after the correction",
        )
        assert grown
        again = (await c.get(f"/api/v1/plans/{SIM1}")).json()
        assert again["used_bytes"] > 100_000_000
        assert again["corrected_bytes"] < 0
        # No warning repeats in this cycle.
        assert len(events(d, "plan.limit")) == 1


async def test_throttle_and_per_client_caps(daemon: Daemon) -> None:
    d = daemon
    async with api(d) as c:
        await wait_for_traffic(d, c)
        r = await c.post(
            "/api/v1/plans",
            json={
                "iccid": SIM1,
                "name": "Slow after",
                "allowance_bytes": "1MB",
                "cycle": {"kind": "every", "days": 30, "start": "2026-01-01"},
                "action": "throttle",
                "throttle_kbit": 64,
            },
        )
        assert r.status_code == 201, r.text

        def throttled() -> bool:
            spec = dataplane(d).spec
            return bool(spec and spec.clients) and all(
                cs.rate_down_kbit == 64 and cs.rate_up_kbit == 64 for cs in spec.clients
            )

        await until(throttled, 15, "clients throttled")
        spec = dataplane(d).spec
        assert spec is not None and spec.total_quota_bytes is None
        assert "plan" not in d.sharing.reasons
        # Remove the plan, cap one client per day.
        assert (await c.delete("/api/v1/plans/Slow after")).status_code == 200
        mac = spec.clients[0].mac

        async def used_today() -> int:
            rows = (await c.get("/api/v1/usage", params={"by": "client", "period": "day"})).json()
            return sum(r["total_bytes"] for r in rows["rows"] if r["key"] == mac)

        cap = await used_today() + 40_000_000
        r = await c.put(
            f"/api/v1/usage/limits/{mac}",
            json={"day_bytes": cap, "rate_down_kbit": 64, "rate_up_kbit": 64},
        )
        assert r.status_code == 200, r.text
        limits = (await c.get("/api/v1/usage/limits")).json()["limits"]
        assert limits == [
            {"mac": mac, "day_bytes": cap, "cycle_bytes": None, "rate_down_kbit": 64,
             "rate_up_kbit": 64}
        ]  # fmt: skip

        def capped() -> Any:
            s = dataplane(d).spec
            cs = next((x for x in s.clients if x.mac == mac), None) if s else None
            return cs if cs and cs.quota_bytes is not None and cs.rate_down_kbit == 64 else None

        await until(capped, 15, "client quota")
        # The other clients are not capped.
        assert all(x.quota_bytes is None for x in dataplane(d).spec.clients if x.mac != mac)

        svc = plans_service(d)
        deadline = asyncio.get_running_loop().time() + 60
        while await used_today() < cap - 40_000:
            assert asyncio.get_running_loop().time() < deadline, "cap not reached"
            await asyncio.sleep(0.2)

        def stopped() -> bool:
            # The client's quota is its counter now: nothing more may pass today.
            s = dataplane(d).spec
            cs = next((x for x in s.clients if x.mac == mac), None) if s else None
            return cs is None or cs.quota_bytes == svc.ledger.counter("client", mac)

        await until(stopped, 15, "client stopped at its cap")

        # (A client that rejoins is unknown to the spec until the station poll sees it; what it
        # sends meanwhile is counted, and its remaining allowance is then 0.)
        # The quota was set from the last evaluation (counter then + what was left); the next
        # one, seeing the counter at the quota, has nothing left for the client.
        def spent() -> bool:
            now = svc.enforcement.clients.get(mac)
            return now is not None and now.remaining_bytes is not None and now.remaining_bytes <= 16

        await until(spent, 15, "no allowance left for the client")


async def test_a_plan_without_tethering_holds_sharing(daemon: Daemon) -> None:
    d = daemon
    async with api(d) as c:
        await until(lambda: d.uplink_iccid() == SIM1, 20)
        await wait_for_traffic(d, c)  # the clients are using the uplink
        r = await c.post(
            "/api/v1/plans",
            json={"iccid": SIM1, "name": "Phone only", "tethering_allowed": False,
                  "cycle": {"kind": "monthly", "day": 1}},
        )  # fmt: skip
        assert r.status_code == 201, r.text
        assert "does not allow tethering" in d.sharing.reasons["plan"]
        await until_nothing_reaches_the_clients(d)
        r = await c.patch(f"/api/v1/plans/{SIM1}", json={"tethering_allowed": True})
        assert r.status_code == 200 and "plan" not in d.sharing.reasons


async def test_bad_input_through_the_api(daemon: Daemon) -> None:
    async with api(daemon) as c:
        await until(lambda: daemon.live.modem is not None, 10)
        base = {"name": "X", "cycle": {"kind": "monthly", "day": 1}}
        unknown = "8944200000000000025"  # valid Luhn, never in any slot
        r = await c.post("/api/v1/plans", json=base | {"iccid": unknown})
        assert r.status_code == 422
        assert "has not been seen on any SIM slot or eSIM profile" in r.json()["detail"]
        r = await c.post("/api/v1/plans", json=base | {"iccid": SIM1, "allowance_bytes": -5})
        assert r.status_code == 422 and "allowance_bytes: must be at least 0" in r.json()["detail"]
        r = await c.post(
            "/api/v1/plans", json=base | {"iccid": SIM1, "cycle": {"kind": "monthly", "day": 32}}
        )
        assert "cycle.day: must be at most 31" in r.json()["detail"]
        assert r.json()["field"] == "cycle.day"
        r = await c.post(
            "/api/v1/plans",
            json=base | {"iccid": SIM1, "price": {"amount": "3", "currency": "ABC"}},
        )
        assert "'ABC' is not an ISO 4217 currency code" in r.json()["detail"]
        # A profile installed on the eUICC is known for plans (installed, not enabled).
        await until(lambda: any(e.kind == "esim.ready" for e in daemon.bus.recent()), 30)
        code = (await c.get("/api/v1/esim/info")).json()["test_smdp"]["activation_codes"][0]
        installed = await c.post("/api/v1/esim/download", json={"activation_code": code})
        assert installed.status_code == 200, installed.text
        r = await c.post("/api/v1/plans", json=base | {"iccid": installed.json()["iccid"]})
        assert r.status_code == 201, r.text
        r = await c.get("/api/v1/plans/nonesuch")
        assert r.status_code == 422 and "no plan 'nonesuch'" in r.json()["detail"]
        r = await c.get("/api/v1/usage", params={"by": "nobody"})
        assert r.status_code == 422


async def test_warnings_reach_a_webhook_and_ntfy(tmp_path: Path, peers: tuple[Peer, Peer]) -> None:
    hook, ntfy = peers
    d = make_daemon(
        tmp_path,
        {
            "thresholds_percent": [50],
            "webhook": {"url": hook.url + "/hook", "backoff_s": 0.05, "timeout_s": 2},
            "ntfy": {"url": ntfy.url + "/my-topic", "token": "tk_secret"},
        },
    )
    await d.start()
    try:
        async with api(d) as c:
            await until(lambda: d.live.modem is not None, 10)
            r = await c.post(
                "/api/v1/plans",
                json={"iccid": SIM1, "name": "Täglich", "allowance_bytes": "1GB",
                      "cycle": {"kind": "monthly", "day": 1}},
            )  # fmt: skip
            assert r.status_code == 201, r.text
            r = await c.post(f"/api/v1/plans/{SIM1}/usage", json={"used_bytes": "600MB"})
            assert r.status_code == 200
            await until(lambda: len(hook.requests) >= 2 and ntfy.requests, 20, "deliveries")
    finally:
        await d.stop()
    # The webhook failed once (HTTP 500) and was retried.
    path, _, body = hook.requests[-1]
    assert path == "/hook"
    sent = json.loads(body)
    assert sent["event"] == "plan.threshold" and sent["data"]["percent"] == 50
    assert sent["data"]["iccid"] == SIM1 and sent["data"]["used_bytes"] == 600_000_000
    assert hook.requests[0][2] == body
    path, headers, body = ntfy.requests[0]
    assert path == "/my-topic"
    assert body.decode() == "Täglich: 50% of the allowance used (600.0 MB of 1.0 GB)"
    assert headers["Priority"] == "default" and headers["Tags"] == "warning"
    assert headers["Title"].startswith("=?utf-8?")  # RFC 2047 for the non-ASCII plan name
    from email.header import decode_header, make_header

    assert str(make_header(decode_header(headers["Title"]))) == "simspot: Täglich at 50%"
    assert headers["Authorization"] == "Bearer tk_secret"
    assert len(ntfy.requests) == 1  # fired once per cycle, delivered once


async def test_a_receiver_that_hangs_never_holds_up_counting(tmp_path: Path) -> None:
    hang = Peer(stall_s=30)
    d = make_daemon(
        tmp_path,
        {"webhook": {"url": hang.url, "timeout_s": 0.5, "retries": 2, "backoff_s": 0.2}},
    )
    await d.start()
    try:
        async with api(d) as c:
            await until(lambda: d.live.modem is not None, 10)
            r = await c.post(
                "/api/v1/plans",
                json={"iccid": SIM1, "name": "H", "allowance_bytes": "1GB",
                      "cycle": {"kind": "monthly", "day": 1}},
            )  # fmt: skip
            assert r.status_code == 201
            await c.post(f"/api/v1/plans/{SIM1}/usage", json={"used_bytes": "950MB"})
            svc = plans_service(d)
            await until(lambda: hang.requests, 10, "first delivery attempt")
            # While the receiver hangs, the ledger keeps reading and committing.
            commits = svc.ledger.last_commit
            await until(lambda: svc.ledger.last_commit > commits + 0.4, 10, "commits go on")
            failed = await until(lambda: events(d, "notify.failed"), 20, "delivery given up")
            assert failed[0]["to"] == "webhook" and "Timeout" in failed[0]["error"]
            assert len(hang.requests) >= 3  # first try and two retries
    finally:
        await d.stop()
        hang.close()
