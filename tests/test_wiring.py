"""How the daemon is put together: declared capabilities, the backend registry, the simulator profile."""

from __future__ import annotations

import asyncio
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from simspot import config, registry
from simspot.daemon import capabilities as caps
from simspot.daemon.build import LIVE_DEFAULTS, build_backends, resolve
from simspot.daemon.runtime import CAPABILITIES
from simspot.errors import ConfigError
from tests.helpers import SIMSPOT

SRC = Path(__file__).resolve().parents[1] / "src" / "simspot"
A: caps.Key[object] = caps.Key("a")
B: caps.Key[object] = caps.Key("b")


def cap(name: str, **kw: tuple[caps.Key[object], ...]) -> caps.Capability:
    return caps.Capability(name=name, install=lambda inst: None, **kw)


def test_order_puts_providers_first_and_keeps_the_declared_order_otherwise() -> None:
    users = [cap("user", needs=(A,)), cap("free"), cap("provider", provides=(A,))]
    assert [c.name for c in caps.order(users)] == ["free", "provider", "user"]
    wants = [cap("w", wants=(B,)), cap("p", provides=(B,))]
    assert [c.name for c in caps.order(wants)] == ["p", "w"]


def test_a_missing_need_or_a_cycle_stops_the_start_naming_them() -> None:
    with pytest.raises(caps.CapabilityError, match="'user' needs a, which no capability provides"):
        caps.order([cap("user", needs=(A,))])
    with pytest.raises(caps.CapabilityError, match="cycle: x -> \\['y'\\], y -> \\['x'\\]"):
        caps.order([cap("x", provides=(A,), needs=(B,)), cap("y", provides=(B,), needs=(A,))])
    with pytest.raises(caps.CapabilityError, match="a is provided by both 'p' and 'q'"):
        caps.order([cap("p", provides=(A,)), cap("q", provides=(A,))])
    with pytest.raises(caps.CapabilityError, match="cannot be imported"):
        caps.load(["simspot.no_such_capability"])


def test_a_capability_sees_only_what_it_declared() -> None:
    seen: list[object] = []

    def provide(inst: caps.Installer) -> None:
        inst.provide(A, "service a")

    def use(inst: caps.Installer) -> None:
        seen.append(inst.need(A))
        seen.append(inst.want(B))
        with pytest.raises(caps.CapabilityError, match="uses b without declaring it"):
            inst.need(B)

    def liar(inst: caps.Installer) -> None:
        return None

    caps.install(
        None,  # type: ignore[arg-type]
        [
            caps.Capability("user", use, needs=(A,), wants=(B,)),
            caps.Capability("p", provide, provides=(A,)),
        ],
    )
    assert seen == ["service a", None]
    with pytest.raises(caps.CapabilityError, match="'liar' did not provide a as it declared"):
        caps.install(None, [caps.Capability("liar", liar, provides=(A,))])  # type: ignore[arg-type]


def test_the_real_capabilities_fit_together() -> None:
    declared = caps.load(CAPABILITIES)
    names = [c.name for c in caps.order(declared)]
    assert set(names) == {
        "dataplane",
        "plans",
        "hotspot",
        "modem",
        "esim",
        "uplink",
        "metrics",
        "fleet",
    }
    assert names.index("plans") < names.index("metrics")
    assert names.index("plans") < names.index("fleet")
    assert names.index("plans") < names.index("hotspot") < names.index("modem")
    assert names.index("plans") < names.index("esim") < names.index("uplink")


def test_config_and_cli_choices_come_from_the_registry() -> None:
    with pytest.raises(ConfigError) as err:
        config.validate({"modem": {"backend": "qmi-magic"}})
    message = str(err.value)
    assert "modem.backend" in message
    assert "choose one of: modemmanager, none, simulated" in message
    for kind in registry.REGISTRY:
        for choice in registry.choices(kind):
            assert registry.factory(kind, choice.name) is not None  # every entry imports


def test_live_mode_never_defaults_to_the_simulator() -> None:
    live = resolve(config.Config(), simulate=False)
    assert live == LIVE_DEFAULTS
    assert not any(registry.choice(k, v).simulated for k, v in live.items())
    simulated = resolve(config.Config(), simulate=True)
    assert all(registry.choice(k, v).simulated for k, v in simulated.items())
    # A real data plane with the simulator: the simulated AP's clients do not exist on the LAN.
    lab = resolve(config.validate({"dataplane": {"backend": "nft"}}), simulate=True)
    assert lab["hotspot"] == "none" and lab["modem"] == "simulated"
    with pytest.raises(ConfigError, match=re.escape('use hotspot.backend = "none"')):
        resolve(
            config.validate({"dataplane": {"backend": "nft"}, "hotspot": {"backend": "simulated"}}),
            simulate=True,
        )


@pytest.mark.parametrize(
    ("section", "key", "value"),
    [("modem", "backend", "simulated"), ("esim", "transport", "virtual")],
)
def test_serve_refuses_a_simulated_backend_without_simulate(
    tmp_path: Path, section: str, key: str, value: str
) -> None:
    conf = tmp_path / "simspot.toml"
    conf.write_text(
        f'[daemon]\nstate_dir = "{tmp_path / "state"}"\napi_port = 0\n[{section}]\n{key} = "{value}"\n'
    )
    r = subprocess.run(
        [*SIMSPOT, "serve", "--config", str(conf)],
        capture_output=True,
        text=True,
        timeout=60,
        env={"COLUMNS": "300", "PATH": "/usr/bin:/bin"},
    )
    assert r.returncode != 0
    out = " ".join((r.stdout + r.stderr).split())
    assert f'{section}.{key} = "{value}" is the built-in simulator' in out.replace("'", '"')
    assert "--simulate" in out and "choose one of" in out
    assert not (tmp_path / "state" / "api.json").exists()


def test_real_backends_load_no_simulator_code(tmp_path: Path) -> None:
    code = f"""
import json, sys
from simspot import config
from simspot.daemon import capabilities as caps
from simspot.daemon.build import build_backends
from simspot.daemon.runtime import CAPABILITIES, Daemon
conf = config.validate({{"daemon": {{"state_dir": {str(tmp_path)!r}}},
                         "dataplane": {{"backend": "nft"}}}})
daemon = Daemon(conf, build_backends(conf))
caps.load(CAPABILITIES)
print(json.dumps({{"mode": daemon.mode, "simulated": daemon.simulated,
                   "loaded": sorted(m for m in sys.modules if m.startswith("simspot.simulator"))}}))
"""
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert out == {"mode": "live", "simulated": [], "loaded": []}


def test_no_capability_reaches_into_a_service_bag_or_branches_on_the_demo() -> None:
    capability_packages = ("dataplane", "esim", "hotspot", "modem", "plans")
    offenders = []
    for package in capability_packages:
        for path in sorted((SRC / package).rglob("*.py")):
            text = path.read_text()
            for pattern in (
                r"extra\[",  # the untyped service bag
                r"\.mode\b",  # the daemon's mode
                r"[\"']demo[\"']",  # a demo branch
                r"^\s*(from|import) simspot\.simulator",  # simulator code
                r"getattr\(\w+, \"(counters_epoch|listeners|on_event|stations)\"",  # probing
            ):
                if re.search(pattern, text, re.MULTILINE):
                    offenders.append(f"{path.relative_to(SRC)}: {pattern}")
    assert offenders == []


async def test_without_an_euicc_the_esim_service_idles_and_says_why(tmp_path: Path) -> None:
    """`esim.transport = "none"` (the live default): no failure loop, a clear answer."""
    from simspot.daemon.runtime import Daemon
    from simspot.esim.service import EsimService
    from simspot.services import CARD_SERVICE
    from tests.helpers import api_client

    conf = config.validate(
        {
            "daemon": {"state_dir": str(tmp_path)},
            "simulator": {"demo_data": False, "clients": 0},
            "esim": {"transport": "none"},
        }
    )
    d = Daemon(conf, build_backends(conf, simulate=True))
    d.auth.setup()
    await d.start()
    try:
        svc = d.service(CARD_SERVICE)
        assert isinstance(svc, EsimService)
        async with api_client(d) as c:
            for _ in range(50):
                r = await c.get("/api/v1/esim/info")
                if "no eUICC is configured" in r.text:
                    break
                await asyncio.sleep(0.1)
            assert r.status_code == 409 and 'esim.transport = "none"' in r.json()["detail"]
        await asyncio.sleep(0.5)
        esim = next(h for h in d.supervisor.health() if h.name == "esim")
        assert esim.state == "running" and esim.restarts == 0
    finally:
        await d.stop()
