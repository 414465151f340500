"""`simspot demo --scenario travel|home|outage` end to end: the real demo process plays its story
on the simulated world, and the uplink policy's answers are read from the event stream and the
API. The decisions and their reasons are asserted, never how long they took (generous deadlines:
a busy 2-core machine)."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from simspot.simulator.modem import EUICC_PROFILE, PHYSICAL_SIM, SECOND_SIM
from simspot.simulator.scenarios import SCENARIOS, TRAVEL_ESIM
from tests.helpers import RunningDemo, run_cli, start_demo, stop_demo, wait_for

SIM1, SIM2, UNICOM, WIRED = PHYSICAL_SIM[0], SECOND_SIM[0], EUICC_PROFILE[0], "wan:simwan0"
STORY_S = 420  # the whole story on a loaded machine (about a minute on an idle one)


class EventLog:
    """Every event of the demo's stream (GET /api/v1/events), collected by a thread."""

    def __init__(self, demo: RunningDemo, sample: bool = False) -> None:
        self.events: list[dict[str, Any]] = []
        self.samples: list[tuple[dict[str, Any], dict[str, Any]]] = []  # (uplink, modem) states
        self.lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._read, args=(demo,), daemon=True)
        self._thread.start()
        if sample:  # states the story passes through (GET /api/v1/uplink and /status), polled
            threading.Thread(target=self._sample, args=(demo,), daemon=True).start()

    def _sample(self, demo: RunningDemo) -> None:
        while not self._stop.wait(0.3):
            try:
                with demo.client() as c:
                    up = c.get("/api/v1/uplink", timeout=30).json()
                    modem = c.get("/api/v1/status", timeout=30).json()["modem"]
            except httpx.HTTPError:
                continue
            with self.lock:
                self.samples.append((up, modem))

    def _read(self, demo: RunningDemo) -> None:
        headers = {"Authorization": f"Bearer {demo.token()}"}
        while not self._stop.is_set():
            seen = {e["id"] for e in self.all()}
            try:
                with httpx.stream("GET", demo.url + "/api/v1/events", headers=headers,
                                  timeout=httpx.Timeout(10, read=60)) as r:  # fmt: skip
                    kind = None
                    for line in r.iter_lines():
                        if self._stop.is_set():
                            return
                        if line.startswith("event:"):
                            kind = line[6:].strip()
                        elif line.startswith("data:") and kind:
                            ev = {"kind": kind, **json.loads(line[5:])}
                            if ev.get("id") not in seen:
                                with self.lock:
                                    self.events.append(ev)
            except httpx.HTTPError:
                continue  # the stream is read again (events seen before are not repeated)

    def all(self) -> list[dict[str, Any]]:
        with self.lock:
            return list(self.events)

    def of(self, kind: str) -> list[dict[str, Any]]:
        return [e for e in self.all() if e["kind"] == kind]

    def step(self, name: str) -> dict[str, Any] | None:
        return next((e for e in self.of("demo.scenario") if e["data"]["step"] == name), None)

    def close(self) -> None:
        self._stop.set()


def data(ev: dict[str, Any]) -> dict[str, Any]:
    d: dict[str, Any] = ev["data"]
    return d


@pytest.fixture
def play(tmp_path: Path) -> Iterator[Any]:
    running: list[tuple[RunningDemo, EventLog]] = []

    def start(scenario: str, sample: bool = False) -> tuple[RunningDemo, EventLog]:
        demo = start_demo(tmp_path / scenario, "--scenario", scenario, "--speed", "1",
                          timeout=60, seeded=False)  # fmt: skip
        log = EventLog(demo, sample)
        running.append((demo, log))
        wait_for(lambda: log.step("done"), timeout=STORY_S, interval=0.5)
        return demo, log

    yield start
    for demo, log in running:
        log.close()
        stop_demo(demo)


def uplink(demo: RunningDemo) -> dict[str, Any]:
    with demo.client() as c:
        r = c.get("/api/v1/uplink", timeout=30)
        r.raise_for_status()
        out: dict[str, Any] = r.json()
        return out


def switches(log: EventLog) -> list[dict[str, Any]]:
    return [data(e) for e in log.of("uplink.switched")]


def after(log: EventLog, step: str, to: str | None = None) -> list[dict[str, Any]]:
    """The uplink.switched events after the scenario's step ``step`` (waiting for one to ``to``:
    the story goes on once the route moved, the event follows the switch's last step)."""
    mark = log.step(step)
    assert mark is not None, step

    def found() -> list[dict[str, Any]]:
        return [data(e) for e in log.of("uplink.switched") if e["id"] > mark["id"]]

    if to is not None:
        wait_for(lambda: any(s["to"] == to for s in found()), timeout=60, interval=0.2)
    return found()


def test_outage_fails_over_to_the_second_modem_then_back_after_the_dwell(play: Any) -> None:
    demo, log = play("outage")
    over = after(log, "outage", SIM2)
    assert over, switches(log)
    first = over[0]
    # the SIM in use stopped answering: a forced failover to the second modem's SIM, at once
    assert first["previous"] == SIM1 and first["to"] == SIM2 and first["forced"]
    assert first["how"] == "hot"
    assert "SIM 1 (Simtel UK) failed" in first["reason"] and "probes in a row" in first["reason"]
    assert "switched to modem 2 SIM 1 (Three UK)" in first["reason"]
    back = after(log, "recover", SIM1)
    assert back and back[0]["previous"] == SIM2 and back[0]["to"] == SIM1
    assert not back[0]["forced"]  # a preference: it waited for the fail-back dwell
    assert "SIM 1 (Simtel UK) costs nothing against £8/GB" in back[0]["reason"]
    recover = log.step("recover")
    assert recover is not None
    held = [data(e) for e in log.of("uplink.decided")
            if e["id"] > recover["id"] and data(e)["held_by"] == "failback-dwell"]  # fmt: skip
    assert held, "the fail-back waited for SIM 1 to stay up"
    assert "would be better" in held[-1]["reason_en"] and "需要" in held[-1]["reason_zh"]
    failed = next(data(e) for e in log.of("uplink.decided") if data(e)["rule"] == "healthy")
    assert "连续" in failed["reason_zh"] and "探测失败" in failed["reason_zh"]
    st = uplink(demo)
    assert st["active"] == SIM1 and st["mode"] == "auto"
    kinds = {c["id"]: c for c in st["candidates"]}
    # every way out of the demo box is a candidate: both SIMs of modem 1, modem 2's SIM, wired
    assert {SIM1, SIM2, UNICOM, WIRED} <= set(kinds)
    assert kinds[SIM2]["modem"] == "sim1" and kinds[SIM2]["hot"]
    assert kinds[SIM1]["health"]["state"] == "up" and kinds[SIM1]["health"]["downs"] >= 1
    assert kinds[WIRED]["kind"] == "wired" and not kinds[WIRED]["hot"]


def test_travel_enables_the_local_esim_then_leaves_it_when_its_plan_runs_out(play: Any) -> None:
    demo, log = play("travel", sample=True)
    bought = log.step("buy")
    assert bought is not None and "Japan" in data(bought)["say_en"]
    assert "日本" in data(bought)["say_zh"]
    moved = after(log, "border", TRAVEL_ESIM)
    assert moved, switches(log)
    last = next(s for s in moved if s["to"] == TRAVEL_ESIM)
    assert last["previous"] == SIM1
    assert last["how"] == "profile"  # enabled on the virtual eUICC, then its slot made active
    assert "SIM 1 (Simtel UK) is roaming in Japan at £6/GB" in last["reason"]
    assert "switched to eSIM 'Japan 10 GB', 10.0 GB left" in last["reason"]
    decided = [data(e) for e in log.of("uplink.decided") if data(e)["chosen"] == TRAVEL_ESIM]
    assert any("日本漫游" in d["reason_zh"] for d in decided)
    assert any(e["data"]["profile"] == TRAVEL_ESIM for e in log.of("esim.profile.enabled"))
    # in Japan the eSIM was at home on NTT docomo (a state the story passed through)
    with log.lock:
        samples = list(log.samples)

    def in_japan(up: dict[str, Any], modem: dict[str, Any]) -> bool:
        cands = {c["id"]: c for c in up["candidates"]}
        esim, sim2 = cands.get(TRAVEL_ESIM), cands[SIM2]
        return (up["active"] == TRAVEL_ESIM and esim is not None and esim["registered"]
                and not esim["roaming"] and esim["serving_mcc"] == "440" and sim2["roaming"]
                and modem["registration"] == "home" and modem["operator_name"] == "NTT docomo")  # fmt: skip

    assert any(in_japan(up, modem) for up, modem in samples), samples[-1:]
    ran_out = log.step("used-up")
    assert ran_out is not None
    # ...then the Japan plan runs out: the policy leaves the eSIM for the next-best uplink
    assert "'Japan 10 GB' used up" in data(ran_out)["say_en"]
    assert "已用完" in data(ran_out)["say_zh"]
    wait_for(lambda: [s for s in after(log, "used-up") if s["previous"] == TRAVEL_ESIM],
             timeout=60, interval=0.2)  # fmt: skip
    left = [s for s in after(log, "used-up") if s["previous"] == TRAVEL_ESIM]
    assert left, switches(log)
    away = left[0]
    # forced (not a preference): to the other eSIM on the card, its plan costs nothing per GB
    assert away["to"] == UNICOM and away["forced"] and away["how"] == "profile"
    assert "'s plan 'Japan 10 GB' is used up; switched to eSIM 'Unicom Travel'" in away["reason"]
    decided = [data(e) for e in log.of("uplink.decided")
               if e["id"] > ran_out["id"] and data(e)["rule"] == "usable-plan"]  # fmt: skip
    assert decided, [data(e) for e in log.of("uplink.decided") if e["id"] > ran_out["id"]]
    assert "'s plan 'Japan 10 GB' is used up" in decided[0]["reason_en"]
    assert "的套餐“Japan 10 GB”已用完" in decided[0]["reason_zh"]
    assert decided[0]["chosen"] == away["to"]
    st = uplink(demo)
    assert st["active"] == away["to"]
    cands = {c["id"]: c for c in st["candidates"]}
    plan = cands[TRAVEL_ESIM]["plan"]
    assert plan["exhausted"] and plan["remaining_bytes"] == 0
    assert cands[away["to"]]["registered"] and cands[away["to"]]["serving_mcc"] == "440"
    assert cands[SIM2]["roaming"] and cands[SIM2]["serving_mcc"] == "440"
    assert TRAVEL_ESIM not in st["decision"]["ranking"]  # never an exhausted plan


def test_home_prefers_the_cable_then_falls_back_when_it_is_pulled(play: Any) -> None:
    demo, log = play("home")
    wired = after(log, "plug", WIRED)
    assert wired, switches(log)
    assert wired[0]["previous"] == SIM1 and wired[0]["to"] == WIRED and not wired[0]["forced"]
    assert "wired simwan0 is a home link and healthy" in wired[0]["reason"]
    back = after(log, "unplug", SIM1)
    assert back and back[0]["previous"] == WIRED and back[0]["to"] == SIM1
    assert back[0]["forced"] and "wired simwan0 is not connected" in back[0]["reason"]
    held = [data(e) for e in log.of("uplink.decided") if data(e)["held_by"] == "failback-dwell"]
    assert any(d["chosen"] == SIM1 and "wired simwan0 would be better" in d["reason_en"]
               for d in held)  # fmt: skip
    st = uplink(demo)
    assert st["active"] == SIM1
    with demo.client() as c:
        hist = c.get("/api/v1/uplink/history?limit=1000", timeout=30).json()["decisions"]
    assert any(h["chosen"] == WIRED and h["switch"] and h["outcome"] for h in hist)
    assert all(h["reason"]["zh"] for h in hist)


def test_scenario_names_are_checked_and_only_the_demo_plays_them(tmp_path: Path) -> None:
    bad = run_cli("demo", "--scenario", "beach", "--port", "0", "--state-dir", str(tmp_path / "d"))
    assert bad.returncode == 1
    assert "--scenario: unknown scenario 'beach'" in bad.stdout + bad.stderr
    assert "the scenarios are home, outage, travel" in bad.stdout + bad.stderr
    conf = tmp_path / "simspot.toml"
    conf.write_text('[simulator]\nscenario = "travel"\nmodems = 2\nwired_wan = true\n'
                    '[[uplink.wired]]\ninterface = "simwan0"\n')  # fmt: skip
    out = run_cli("serve", "--simulate", "--config", str(conf), "--state-dir", str(tmp_path / "s"))
    assert out.returncode == 1
    text = out.stdout + out.stderr
    assert "simulator.scenario = 'travel': scenarios play only in the demo" in text
    assert "simspot demo --scenario travel" in text


def test_the_config_knows_the_same_scenarios_as_the_simulator() -> None:
    from typing import get_args

    from simspot.config import SimulatorSettings

    field = SimulatorSettings.model_fields["scenario"].annotation
    names = {a for arg in get_args(field) for a in get_args(arg)}
    assert names == set(SCENARIOS)
