"""The package as pipx would install it: a wheel built from the tree and installed into a fresh
venv runs `simspot --version`, `simspot doctor --json` and `simspot demo` (stopped by SIGINT).

The wheel is installed with --no-deps; the fresh venv finds the dependencies in the project's
.venv through a .pth line (so the test needs no network and stays well under two minutes), and
`pip check` confirms the wheel's declared dependencies are all met there. The unit template and
the other package data must come from the wheel itself."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import sysconfig
import time
from pathlib import Path

import pytest

from simspot import __version__

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.slow


# The installed wheel must be what runs: no PYTHONPATH pointing at a source tree.
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}


def sh(*args: str | Path, timeout: float = 300, **kw: object) -> subprocess.CompletedProcess[str]:
    kw.setdefault("env", ENV)
    done = subprocess.run([str(a) for a in args], capture_output=True, text=True,
                          timeout=timeout, **kw)  # type: ignore[call-overload]  # fmt: skip
    assert done.returncode == 0, f"{args}: {done.stdout}\n{done.stderr}"
    return done  # type: ignore[no-any-return]


@pytest.fixture(scope="module")
def venv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    work = tmp_path_factory.mktemp("wheel")
    src = work / "src-copy"  # build from a copy: no build/ or egg-info left in the tree
    src.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, src / name)
    shutil.copytree(ROOT / "src", src / "src",
                    ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))  # fmt: skip
    dist = work / "dist"
    sh(sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", dist, src)
    (wheel,) = dist.glob("simspot-*.whl")
    env = work / "venv"
    sh(sys.executable, "-m", "venv", env)
    purelib = Path(sysconfig.get_paths()["purelib"])  # the project's .venv site-packages
    (site,) = (env / "lib").glob("python3*/site-packages")
    (site / "zz-project-deps.pth").write_text(f"{purelib}\n")
    sh(env / "bin" / "pip", "install", "-q", "--no-deps", "--no-index", wheel)
    sh(env / "bin" / "pip", "check")
    return env


def test_installed_wheel_is_the_one_that_runs(venv: Path) -> None:
    where = sh(venv / "bin" / "python", "-c",
               "import simspot.setup.plan as p, pathlib; print(pathlib.Path(p.__file__).resolve());"
               "print(p.render_unit('/usr/bin/simspot', pathlib.Path('/etc/simspot/simspot.toml')))",
               cwd="/")  # fmt: skip
    first, _, unit = where.stdout.partition("\n")
    assert first.startswith(str(venv.resolve())), first
    assert "ExecStart=/usr/bin/simspot serve --config /etc/simspot/simspot.toml" in unit


def test_version_and_doctor(venv: Path, tmp_path: Path) -> None:
    simspot = venv / "bin" / "simspot"
    assert sh(simspot, "--version", cwd="/").stdout.strip() == f"simspot {__version__}"
    conf = tmp_path / "simspot.toml"
    conf.write_text('[modem]\nbackend = "modemmanager"\n[dataplane]\nbackend = "nft"\n')
    done = subprocess.run(
        [simspot, "doctor", "--json", "--config", conf, "--dbus-address",
         f"unix:path={tmp_path}/no-bus"],
        capture_output=True, text=True, timeout=120, cwd="/", env=ENV,
    )  # fmt: skip
    import json

    report = json.loads(done.stdout)
    assert done.returncode == 1 and report["ok"] is False  # no D-Bus here: sharing is blocked
    assert any(c["id"] == "dbus" and c["status"] == "fail" for c in report["checks"])


def test_demo_runs_and_stops_on_sigint(venv: Path, tmp_path: Path) -> None:
    proc = subprocess.Popen(
        [venv / "bin" / "simspot", "demo", "--port", "0", "--state-dir", tmp_path / "demo"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd="/",
        env={**ENV, "COLUMNS": "200"},
    )  # fmt: skip
    assert proc.stdout is not None
    seen = []
    try:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            line = proc.stdout.readline()
            if not line:
                break
            seen.append(line)
            if "is running on the built-in simulator" in line:
                break
        assert any("is running" in x for x in seen), "".join(seen)
        proc.send_signal(signal.SIGINT)
        rest, _ = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)
    assert proc.returncode == 0, "".join(seen) + rest
    assert "demo stopped" in rest
