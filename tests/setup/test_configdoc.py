"""docs/CONFIG.md is generated from the config models and must be current; every key has a
meaning; `simspot config check` names the bad key."""

from __future__ import annotations

import json
import subprocess
import sys
import typing
from pathlib import Path

from simspot.config import Config
from simspot.setup import configdoc

ROOT = Path(__file__).resolve().parents[2]


def _all_paths(model: type = Config, prefix: str = "") -> set[str]:
    out = set()
    for name, field in model.model_fields.items():
        sub, table = configdoc._model_of(field.annotation)
        path = f"{prefix}{name}"
        if sub is None or table:
            out.add(path)
        if sub is not None:
            many = "[]." if typing.get_origin(field.annotation) is list else ".<name>."
            out |= _all_paths(sub, f"{path}{many}" if table else f"{path}.")
    return out


def test_config_md_is_current() -> None:
    current = (ROOT / "docs" / "CONFIG.md").read_text(encoding="utf-8")
    assert current == configdoc.render_markdown(), (
        "docs/CONFIG.md is out of date: run .venv/bin/python scripts/gen-config-doc.py"
    )


def test_every_key_is_documented_with_a_meaning() -> None:
    keys = configdoc.keys()
    assert {k.path for k in keys} == _all_paths()
    unexplained = [k.path for k in keys if not k.explained]
    assert unexplained == [], (
        "give these config fields a comment above them in their model (or an entry in "
        f"simspot.setup.configdoc.MEANINGS): {unexplained}"
    )
    band = next(k for k in keys if k.path == "hotspot.band")
    assert (band.type, band.default) == ('"2.4" \\| "5"', '"2.4"')


def test_comments_are_read_from_the_source() -> None:
    comments = configdoc.field_comments(Config.model_fields["dataplane"].annotation)  # type: ignore[arg-type]
    assert (
        comments["lan_interface"]
        == "The hotspot side: the AP interface, an Ethernet/USB port or a bridge."
    )
    assert comments["dns_port"] == "0: no DNS, DHCP only"  # a comment at the end of the line


def _check(path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "simspot.cli.main", "config", "check", str(path), "--json"],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip


def test_config_check(tmp_path: Path) -> None:
    good = tmp_path / "good.toml"
    good.write_text('[modem]\nbackend = "modemmanager"\n[hotspot]\nband = "2.4"\n')
    done = _check(good)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {
        "ok": True,
        "file": str(good),
        "backends": {"modem": "modemmanager", "battery": "none", "dataplane": "nft",
                     "hotspot": "none", "esim": "none"},
    }  # fmt: skip
    bad = tmp_path / "bad.toml"
    bad.write_text('[hotspot]\nband = "5"\n')
    done = _check(bad)
    assert done.returncode == 1
    answer = json.loads(done.stdout)
    assert answer["ok"] is False and "band 5 needs country" in answer["error"]
    done = _check(tmp_path / "missing.toml")
    assert done.returncode == 1 and "config file not found" in json.loads(done.stdout)["error"]
