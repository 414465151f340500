"""The admin page on the hotspot: HTTPS on the LAN address with a self-signed certificate.

The certificate and its key are made at the first start (or by ``simspot setup``) and kept in the
state directory (``tls/admin.crt``, ``tls/admin.key``, owner-only); a phone on the hotspot checks
it against the SHA-256 fingerprint ``simspot status`` shows. It names the LAN address (and the
hotspot's domain), so a changed LAN address gets a new certificate.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import json
import logging
import socket
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from cryptography import x509

from simspot.config import DaemonSettings
from simspot.errors import SimspotError
from simspot.fsutil import write_private

log = logging.getLogger(__name__)

CERT_FILE = "tls/admin.crt"
KEY_FILE = "tls/admin.key"
# What the kept certificate names and until when, so a restart needs no X.509 parsing (the
# cryptography library costs the daemon 10-14 MB of memory; it is loaded only to make one).
META_FILE = "tls/admin.json"
VALID_DAYS = 3650
_LOOPBACK_HOSTS = {"localhost", "127.0.0.1", "::1"}


@dataclass(frozen=True)
class Certificate:
    cert_path: Path
    key_path: Path
    fingerprint: str  # SHA-256 of the DER certificate, colon-separated upper-case hex


def fingerprint_of(cert: x509.Certificate) -> str:
    from cryptography.hazmat.primitives import hashes

    return cert.fingerprint(hashes.SHA256()).hex(":").upper()


def _kept(state_dir: Path) -> tuple[Certificate, dict[str, str]] | None:
    cert_path, key_path = state_dir / CERT_FILE, state_dir / KEY_FILE
    try:
        meta = json.loads((state_dir / META_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not (isinstance(meta, dict) and cert_path.is_file() and key_path.is_file()):
        return None
    if not all(isinstance(meta.get(k), str) for k in ("ip", "not_after", "fingerprint")):
        return None
    return Certificate(cert_path, key_path, meta["fingerprint"]), meta


def lan_admin_ports(daemon: DaemonSettings) -> tuple[int, ...]:
    """The TCP ports the firewall opens to the LAN for the admin page."""
    ports: list[int] = []
    if daemon.lan_https:
        ports.append(daemon.lan_https_port)
    if daemon.api_host.strip("[]") not in _LOOPBACK_HOSTS and daemon.api_port:
        ports.append(daemon.api_port)  # plain HTTP on a non-loopback address (see serve)
    return tuple(sorted(set(ports)))


def load(state_dir: Path) -> Certificate | None:
    """The certificate kept in the state directory, or None (not made yet, or unreadable)."""
    kept = _kept(state_dir)
    return kept[0] if kept else None


def ensure(state_dir: Path, lan_ip: str, domain: str | None = None) -> Certificate:
    """The admin certificate for ``lan_ip``: the kept one when it names that address and is
    valid for another 30 days, else a new one (EC P-256, self-signed, ten years)."""
    ip = ipaddress.ip_address(lan_ip)
    cert_path, key_path = state_dir / CERT_FILE, state_dir / KEY_FILE
    found = current(state_dir, lan_ip)
    if found is not None:
        return found
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, f"simspot admin {ip}")])
    alt: list[x509.GeneralName] = [x509.IPAddress(ip)]
    if domain:
        alt.append(x509.DNSName(domain))
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=VALID_DAYS))
        .add_extension(x509.SubjectAlternativeName(alt), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False
        )
        .sign(key, hashes.SHA256())
    )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    cert_path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    write_private(key_path, key_pem.decode("ascii"))
    write_private(cert_path, cert.public_bytes(serialization.Encoding.PEM).decode("ascii"))
    result = Certificate(cert_path, key_path, fingerprint_of(cert))
    meta = {
        "ip": str(ip),
        "not_after": cert.not_valid_after_utc.isoformat(),
        "fingerprint": result.fingerprint,
    }
    write_private(state_dir / META_FILE, json.dumps(meta))
    log.info("admin certificate made", extra={"fingerprint": result.fingerprint})
    return result


def current(state_dir: Path, lan_ip: str) -> Certificate | None:
    """The kept certificate if it names ``lan_ip`` and is valid for another 30 days."""
    kept = _kept(state_dir)
    if kept is None or kept[1]["ip"] != str(ipaddress.ip_address(lan_ip)):
        return None
    try:
        until = dt.datetime.fromisoformat(kept[1]["not_after"])
    except ValueError:
        return None
    return kept[0] if until > dt.datetime.now(dt.UTC) + dt.timedelta(days=30) else None


async def ensure_apart(state_dir: Path, lan_ip: str, domain: str | None = None) -> Certificate:
    """``ensure`` for the daemon: a new certificate is made by a short-lived child process, so
    the daemon itself never loads the cryptography library (10-14 MB it would keep)."""
    found = current(state_dir, lan_ip)
    if found is not None:
        return found
    import asyncio
    import sys

    args = [sys.executable, "-m", "simspot.daemon.tls", str(state_dir), lan_ip, domain or ""]
    proc = await asyncio.create_subprocess_exec(
        *args, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE
    )
    _, err = await proc.communicate()
    made = current(state_dir, lan_ip)
    if proc.returncode != 0 or made is None:
        reason = (err.decode(errors="replace").strip().splitlines() or ["no output"])[-1]
        raise SimspotError(
            msg_id="tls.cert-failed", params={"path": str(state_dir / CERT_FILE), "reason": reason}
        )
    log.info("admin certificate made", extra={"fingerprint": made.fingerprint})
    return made


def bind_lan(host: str, port: int, backlog: int = 64) -> socket.socket:
    """A listening socket on the LAN address, bound before the address exists (IP_FREEBIND:
    the data plane adds it when sharing starts), so it never listens on any other address."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.setsockopt(socket.SOL_IP, getattr(socket, "IP_FREEBIND", 15), 1)
        sock.bind((host, port))
        sock.listen(backlog)
    except OSError as exc:
        sock.close()
        raise SimspotError(
            msg_id="tls.listen-lan", params={"host": host, "port": port, "reason": exc.strerror}
        ) from None
    sock.setblocking(False)
    return sock


def bind_lan6(interface: str, port: int, backlog: int = 64) -> socket.socket:
    """A listening IPv6 socket for the LAN's IPv6 addresses (its link-local one and the router
    address of the shared /64): ``::`` bound to the LAN interface (SO_BINDTODEVICE), so it takes
    only connections that arrive on the LAN, whatever addresses come and go there."""
    sock = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_BINDTODEVICE, interface.encode() + b"\0")
        sock.bind(("::", port))
        sock.listen(backlog)
    except OSError as exc:
        sock.close()
        raise SimspotError(
            msg_id="tls.listen-lan6",
            params={"interface": interface, "port": port, "reason": exc.strerror},
        ) from None
    sock.setblocking(False)
    return sock


if __name__ == "__main__":  # the daemon's child: python -m simspot.daemon.tls DIR IP [DOMAIN]
    import sys

    ensure(
        Path(sys.argv[1]), sys.argv[2], sys.argv[3] if len(sys.argv) > 3 and sys.argv[3] else None
    )
