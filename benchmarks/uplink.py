"""Uplink benchmark: prints one JSON object.

- ``decision_us``: the policy's time for one decision among 20 candidates (median of 2000).
- ``flaps``: switches beyond the first in one simulated hour of noisy signal on two cellular
  uplinks hovering around the signal floor (a random walk, sigma 4 points a second), 2% of
  probe rounds failing (the pure policy with its health hysteresis, decided every second;
  default rules and settings). ``flaps_15pct_probe_loss``: the same with 15% of rounds failing,
  where three failed rounds in a row (fail_after) are real failovers.
- ``failover_s`` (root, with ``--lab``): in the two-ISP namespace lab, `simspot serve` in the box
  (the real nft data plane) with two wired uplinks and the default probe settings; from
  blackholing ISP A (silently: probes time out) to the first DNS answer through ISP B for traffic
  bound to no link (asked every 10 ms), median of 5 (``failover_runs_s``: each).
  ``failover_unplugged_s``: the same when ISP A's end of the link goes down (the box's link
  loses its carrier: a kernel link event, no probe needed).
- ``misbilled_bytes`` and ``lost_bytes`` (root, with ``--lab``): in the two-ISP lab with a client
  behind the box, the real nft data plane and the uplink executor switch hot between ISP A and ISP
  B 10 times, a second apart, under UDP echo traffic (500 datagrams a second each way); what the
  box billed to each uplink against what crossed each ISP's side of its link (nft counters in the
  ISP namespaces), per direction: billed beyond what went through (misbilled), went through
  beyond what was billed (lost). ``..._primary_only``: the same with only the uplink in use in
  the table (the layout before per-uplink billing), for comparison.

Usage: ``python benchmarks/uplink.py [--lab]``
"""

from __future__ import annotations

import json
import random
import statistics
import sys
import time
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from simspot.uplink.model import Candidate, Health, HealthTracker, PlanFacts  # noqa: E402
from simspot.uplink.policy import Rules, Switch, decide  # noqa: E402
from simspot.uplink.settings import UplinkSettings  # noqa: E402

NOW = 1_000_000.0


def twenty() -> list[Candidate]:
    rng = random.Random(1)
    out = []
    for i in range(20):
        kind = ("sim", "esim", "wired", "wifi")[i % 4]
        cellular = kind in ("sim", "esim")
        plan = None
        if cellular:
            plan = PlanFacts(
                name=f"p{i}",
                price_per_gb=Decimal(rng.randint(0, 30)),
                remaining_bytes=rng.randint(0, 10**10),
                exhausted=i % 7 == 0,
            )
        out.append(
            Candidate(
                id=f"8944200000000000{i:03d}" if cellular else f"wan:eth{i}",
                kind=kind,
                label=f"uplink {i}",
                hot=i % 3 != 0,
                cold_via=None if i % 3 else "slot",
                registered=cellular and i % 3 != 0,
                roaming=i % 5 == 0,
                serving_mcc="234",
                home_mcc=("234", "440", "460")[i % 3],
                signal_percent=rng.randint(5, 95) if cellular else None,
                plan=plan,
                health=Health(state=("up", "down", "unknown")[i % 3], since=NOW - 100),
                home_link=kind == "wired",
                metered=cellular,
            )
        )
    return out


def decision_us() -> float:
    cands = twenty()
    rules = Rules.from_settings(UplinkSettings())
    hist = [Switch(NOW - 100 * k, None, cands[k].id, False) for k in range(5)]
    times = []
    for _ in range(2000):
        t0 = time.perf_counter()
        decide(cands, rules, current=cands[1].id, history=hist, now=NOW)
        times.append(time.perf_counter() - t0)
    return round(statistics.median(times) * 1e6, 1)


def flaps(round_loss: float = 0.02) -> int:
    s = UplinkSettings()
    rules = Rules.from_settings(s)
    rng = random.Random(7)
    ids = ["8944200000000000017", "89860110000000000214"]
    trackers = [HealthTracker(s.fail_after, s.up_after) for _ in ids]
    signal = [float(s.signal_floor_percent)] * 2
    current: str | None = ids[0]
    history: list[Switch] = []
    last = None
    for step in range(3600):
        now = NOW + step
        for i in range(2):
            signal[i] = min(100.0, max(0.0, signal[i] + rng.gauss(0, 4)))
            signal[i] += (s.signal_floor_percent - signal[i]) * 0.05  # hovers around the floor
            trackers[i].observe(rng.random() > round_loss, now)
        cands = [
            Candidate(id=ids[i], kind="sim", label=ids[i], hot=True, registered=True,
                      serving_mcc="234", home_mcc="234", signal_percent=round(signal[i]),
                      health=trackers[i].health, slot=i + 1)
            for i in range(2)
        ]  # fmt: skip
        d = decide(cands, rules, current=current, history=history, now=now,
                   wanted=last.wanted if last else None)  # fmt: skip
        last = d
        if d.switch and d.chosen:
            history.append(Switch(now, current, d.chosen, d.forced))
            current = d.chosen
    return max(0, len(history) - 1)


FAILOVER_CONFIG = """
[modem]
backend = "none"
[simulator]
demo_data = false
[esim]
virtual_smdp = false
[dataplane]
backend = "nft"
lan_interface = "lan0"
uplink_interface = "upa"
lan_address = "192.168.44.1/24"
dhcp = false
ipv6 = false
[uplink]
preferred = ["wan:upa", "wan:upb"]
[[uplink.wired]]
interface = "upa"
[[uplink.wired]]
interface = "upb"
[uplink.probes]
dns_server = "@SERVICE@"
http_url = "http://@SERVICE@/generate_204"
"""


def failover_s(how: str = "blackhole", runs: int = 5) -> tuple[float, list[float]]:
    from tests.uplink.twoisp import SERVICE

    config = FAILOVER_CONFIG.replace("@SERVICE@", SERVICE)
    times = [round(_one_failover(config, how), 3) for _ in range(runs)]
    return round(statistics.median(times), 2), times


def _one_failover(config: str, how: str) -> float:
    """From taking ISP A away (``blackhole``: silently; ``unplug``: its end of the link down) to
    the first DNS answer through ISP B for traffic bound to no link (asked every 10 ms)."""
    import subprocess
    import tempfile

    from tests.uplink.test_failover_lab import Served, wait
    from tests.uplink.twoisp import ANSWERS, SERVICE, TwoIsps

    lab = TwoIsps().up()
    lab.add_lan()
    with tempfile.TemporaryDirectory() as tmp:
        served = Served(lab, Path(tmp), config=config)
        watcher = None
        try:
            wait(lambda: served.cli("status")["active"] == "wan:upa", 120, "ISP A in use")

            def both_up() -> bool:
                cands = served.cli("list")["candidates"]
                return all(c["health"]["state"] == "up" for c in cands)

            wait(both_up, 60, "both up")
            time.sleep(1.0 + random.random())  # anywhere in the probe interval
            watcher = subprocess.Popen(
                ["ip", "netns", "exec", lab.box, sys.executable,
                 str(ROOT / "tests/uplink/first_answer.py"), SERVICE, ANSWERS["b"], "60"],
                stdout=subprocess.PIPE, text=True,
            )  # fmt: skip
            assert watcher.stdout is not None
            assert watcher.stdout.readline().strip() == "ready"
            t0 = time.monotonic()
            lab.blackhole("a") if how == "blackhole" else lab.unplug("a")
            line = watcher.stdout.readline().strip()
            if line in ("", "none"):
                raise AssertionError("no answer through ISP B within 60 s")
            return float(line) - t0
        except AssertionError as exc:
            raise AssertionError(f"{exc}\ndaemon output:\n{''.join(served.lines[-40:])}") from None
        finally:
            if watcher is not None:
                watcher.kill()
                watcher.wait()
                if watcher.stdout is not None:
                    watcher.stdout.close()
            served.stop()
            lab.down()


def billing() -> dict[str, object]:
    from tests.uplink.billing import measure

    now = measure(switches=10, interval=1.0)
    before = measure(switches=10, interval=1.0, primary_only=True)
    return {
        "misbilled_bytes": now["misbilled_bytes"],
        "lost_bytes": now["lost_bytes"],
        "lost_bytes_up": now["lost_bytes_up"],
        "lost_bytes_down": now["lost_bytes_down"],
        "misbilled_bytes_primary_only": before["misbilled_bytes"],
        "lost_bytes_primary_only": before["lost_bytes"],
    }


def main() -> None:
    lab = "--lab" in sys.argv
    out: dict[str, object] = {
        "decision_us": decision_us(),
        "flaps": flaps(),
        # the same with 15% of probe rounds failing: forced failovers after fail_after in a row
        "flaps_15pct_probe_loss": flaps(0.15),
        "failover_s": None,
        "misbilled_bytes": None,
    }
    if lab:
        out["failover_s"], out["failover_runs_s"] = failover_s("blackhole")
        out["failover_unplugged_s"], out["failover_unplugged_runs_s"] = failover_s("unplug")
        out.update(billing())
    print(json.dumps(out))


if __name__ == "__main__":
    main()
