"""`simspot setup` makes the admin page's certificate and says where the page is and what its
fingerprint is; the daemon keeps that certificate (the lab test starts one on it)."""

from __future__ import annotations

import hashlib
import ssl
from pathlib import Path

from simspot.daemon import tls
from simspot.setup.install import install
from tests.setup.test_install import Recorder, pi_facts


def setup_once(root: Path, *, dry_run: bool = False):  # type: ignore[no-untyped-def]
    return install(
        pi_facts(root), Recorder(root), lambda q: q.default, lambda f: False,
        config_path=Path("/etc/simspot/simspot.toml"), executable="/usr/bin/simspot",
        wait_password_s=0, dry_run=dry_run,
    )  # fmt: skip


def test_setup_makes_the_certificate_and_reports_its_fingerprint(tmp_path: Path) -> None:
    report = setup_once(tmp_path)
    assert report.admin_lan_url == "https://192.168.44.1:8443"
    state = tmp_path / "var/lib/simspot"
    pem = (state / tls.CERT_FILE).read_text()
    der = ssl.PEM_cert_to_DER_cert(pem)
    assert report.admin_fingerprint == hashlib.sha256(der).digest().hex(":").upper()
    assert (state / tls.KEY_FILE).stat().st_mode & 0o777 == 0o600
    assert state.stat().st_mode & 0o777 == 0o700
    # What the daemon finds at its start for that LAN address: the same certificate, kept.
    kept = tls.current(state, "192.168.44.1")
    assert kept is not None and kept.fingerprint == report.admin_fingerprint
    # Setup run again keeps it (a phone that checked it once need not check again).
    assert setup_once(tmp_path).admin_fingerprint == report.admin_fingerprint


def test_dry_run_makes_nothing(tmp_path: Path) -> None:
    report = setup_once(tmp_path, dry_run=True)
    assert report.admin_lan_url == "https://192.168.44.1:8443"
    assert report.admin_fingerprint is None
    assert not (tmp_path / "var/lib/simspot").exists()
