"""The LAN admin page's certificate: made once, kept, owner-only, remade for another address."""

from __future__ import annotations

import hashlib
import ipaddress
import ssl
import stat
from pathlib import Path

from cryptography import x509

from simspot.config import DaemonSettings
from simspot.daemon import tls


def test_certificate_is_made_once_kept_and_names_the_lan_address(tmp_path: Path) -> None:
    first = tls.ensure(tmp_path, "192.168.44.1", "hotspot.lan")
    assert stat.S_IMODE(first.key_path.stat().st_mode) == 0o600
    der = ssl.PEM_cert_to_DER_cert(first.cert_path.read_text())
    assert first.fingerprint.replace(":", "") == hashlib.sha256(der).hexdigest().upper()
    assert len(first.fingerprint.split(":")) == 32
    cert = x509.load_der_x509_certificate(der)
    san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert san.get_values_for_type(x509.IPAddress) == [ipaddress.ip_address("192.168.44.1")]
    assert san.get_values_for_type(x509.DNSName) == ["hotspot.lan"]
    # A TLS server can use the pair as written.
    ssl.create_default_context(ssl.Purpose.CLIENT_AUTH).load_cert_chain(
        first.cert_path, first.key_path
    )
    again = tls.ensure(tmp_path, "192.168.44.1")
    assert again.fingerprint == first.fingerprint  # kept across restarts
    assert tls.load(tmp_path) == again
    other = tls.ensure(tmp_path, "10.9.0.1")
    assert other.fingerprint != first.fingerprint  # another LAN address: a new certificate


def test_the_firewall_opens_the_https_port_and_plain_http_only_off_loopback() -> None:
    assert tls.lan_admin_ports(DaemonSettings()) == (8443,)
    assert tls.lan_admin_ports(DaemonSettings(lan_https=False)) == ()
    exposed = DaemonSettings(api_host="0.0.0.0", api_port=8765, lan_https_port=9443)
    assert tls.lan_admin_ports(exposed) == (8765, 9443)


def test_the_daemon_makes_its_certificate_in_a_child_and_never_loads_cryptography(
    tmp_path: Path,
) -> None:
    import json
    import subprocess
    import sys

    code = (
        "import asyncio, json, sys\n"
        "from pathlib import Path\n"
        "from simspot.daemon import tls\n"
        f"made = asyncio.run(tls.ensure_apart(Path({str(tmp_path)!r}), '192.168.44.1'))\n"
        f"kept = asyncio.run(tls.ensure_apart(Path({str(tmp_path)!r}), '192.168.44.1'))\n"
        "print(json.dumps([made.fingerprint, kept.fingerprint, 'cryptography' in sys.modules]))\n"
    )
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    made, kept, loaded = json.loads(r.stdout)
    assert made == kept and loaded is False
    assert tls.ensure(tmp_path, "192.168.44.1").fingerprint == made  # the same, kept certificate
    assert (tmp_path / tls.CERT_FILE).stat().st_mode & 0o077 == 0
