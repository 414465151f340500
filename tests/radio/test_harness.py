"""The radio harness's own pieces, without booting: the cpio writer and the result channel."""

from __future__ import annotations

import base64
import gzip
import subprocess
from pathlib import Path

import pytest

from tests.radio.harness import Cpio, RadioError, Scenario, _vmlinux, parse_results


def test_the_cpio_archive_unpacks_with_a_real_cpio(tmp_path: Path) -> None:
    arc = Cpio()
    arc.file("/a/b/c.txt", b"hello\n", 0o600)
    arc.symlink("/a/link", "b/c.txt")
    arc.file("/odd", b"x" * 3)  # padding after an odd-sized file
    (tmp_path / "x.cpio").write_bytes(arc.data())
    out = tmp_path / "out"
    out.mkdir()
    subprocess.run(
        ["busybox", "cpio", "-i", "-d", "-F", str(tmp_path / "x.cpio")],
        cwd=out,
        check=True,
        capture_output=True,
    )
    assert (out / "a/b/c.txt").read_bytes() == b"hello\n"
    assert (out / "a/b/c.txt").stat().st_mode & 0o777 == 0o600
    assert (out / "a/link").readlink() == Path("b/c.txt")
    assert (out / "odd").read_bytes() == b"xxx"


def test_a_scenario_carries_its_script_and_files(tmp_path: Path) -> None:
    sc = Scenario(radios=2)
    path = sc.file("ap.conf", "ssid2=41\n")
    sc.step("list", "ls", "-l", "/scenario/files", ns=None)
    assert path == "/scenario/files/ap.conf"
    (tmp_path / "s.cpio").write_bytes(sc.archive())
    listing = subprocess.run(
        ["busybox", "cpio", "-t", "-F", str(tmp_path / "s.cpio")],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.split()
    assert "scenario/run.sh" in listing and "scenario/files/ap.conf" in listing
    assert sc.script().splitlines() == ["hwsim 2", "step list ls -l /scenario/files"]
    with pytest.raises(ValueError, match="plain token"):
        sc.file("../escape", "x")


def test_results_are_read_from_the_serial_lines() -> None:
    def b64(text: str) -> str:
        return base64.b64encode(text.encode()).decode()

    log = b64("l1\nl2 é")
    text = f"noise\r\n@R join.a status {b64('connected')}\r\n@R join.a log {log}\n@R broken\n@END\n"
    assert parse_results(text) == {"join.a": {"status": "connected", "log": "l1\nl2 é"}}
    # Logs come gzip'd (emit_gz): unpacked under the field's name; one cut short is kept as is.
    packed = base64.b64encode(gzip.compress(b"hostapd log\n" * 50)).decode()
    text = f"@R log.ap text.gz {packed}\n@R log.b text.gz {b64('not gzip')}\n"
    assert parse_results(text) == {
        "log.ap": {"text": "hostapd log\n" * 50},
        "log.b": {"text.gz": "not gzip"},
    }


def test_a_kernel_without_an_xz_payload_is_refused(tmp_path: Path) -> None:
    (tmp_path / "vmlinuz").write_bytes(b"MZ" + bytes(100))
    with pytest.raises(RadioError, match="no XZ payload"):
        _vmlinux(tmp_path / "vmlinuz")
