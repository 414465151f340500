"""A real Mosquitto on loopback for the fleet tests and benchmarks.

``start_broker`` writes a test CA and a server certificate (``cryptography``), a password file
(``mosquitto_passwd -U``), the fleet's ACL (``protocol.mosquitto_acl``) and a config into a temp
directory, starts ``mosquitto`` on a free loopback port with TLS (and, on request, a plain-TCP
listener on a second port for benchmarks), and waits for the port. Anonymous clients are refused;
persistence is on, so a restart keeps the queued QoS 1 messages of persistent sessions.

    broker = start_broker(tmp_path, {"fleet": "pw", "box-1": "pw1"})
    try:
        ...  # connect to broker.host:broker.port with ca_certs=broker.ca_path
    finally:
        broker.stop()
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import os
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from simspot.fleet import protocol

MOSQUITTO = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
MOSQUITTO_PASSWD = shutil.which("mosquitto_passwd") or "/usr/bin/mosquitto_passwd"
HOST = "127.0.0.1"
START_DEADLINE_S = 60.0


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


def _name(cn: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])


def write_test_pki(directory: Path) -> tuple[Path, Path, Path]:
    """A CA and a server certificate for ``localhost`` / ``127.0.0.1``: (ca, cert, key) paths."""
    now = dt.datetime.now(dt.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = (
        x509.CertificateBuilder()
        .subject_name(_name("simspot fleet test CA"))
        .issuer_name(_name("simspot fleet test CA"))
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(hours=1))
        .not_valid_after(now + dt.timedelta(days=2))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=False,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(
            x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name("localhost"))
        .issuer_name(ca.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(hours=1))
        .not_valid_after(now + dt.timedelta(days=2))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address(HOST))]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
            critical=False,
        )
        .sign(ca_key, hashes.SHA256())
    )
    ca_path, cert_path, key_path = (
        directory / "ca.pem",
        directory / "server.pem",
        directory / "server.key",
    )
    ca_path.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    key_path.chmod(0o600)
    return ca_path, cert_path, key_path


@dataclass
class Broker:
    """A running Mosquitto; ``port`` is TLS, ``plain_port`` plain TCP (None unless asked for)."""

    directory: Path
    port: int
    ca_path: Path
    users: dict[str, str]
    server_user: str
    plain_port: int | None = None
    host: str = HOST
    process: subprocess.Popen[bytes] | None = field(default=None, repr=False)
    _reloads: int = 0

    @property
    def log_path(self) -> Path:
        return self.directory / "mosquitto.log"

    def log(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except FileNotFoundError:
            return ""

    def _write_passwords(self) -> None:
        path = self.directory / "passwd"
        path.write_text("".join(f"{u}:{p}\n" for u, p in self.users.items()))
        path.chmod(0o600)
        # -U hashes every plain-text line in place (one call for any number of users).
        subprocess.run([MOSQUITTO_PASSWD, "-U", str(path)], check=True, capture_output=True)

    def _start(self) -> None:
        with open(self.directory / "stderr.log", "ab") as stderr:
            self.process = subprocess.Popen(
                [MOSQUITTO, "-c", str(self.directory / "mosquitto.conf")],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=stderr,
                start_new_session=True,
            )
        deadline = time.monotonic() + START_DEADLINE_S
        ports = [self.port] + ([self.plain_port] if self.plain_port else [])
        while True:
            if self.process.poll() is not None:
                raise RuntimeError(
                    f"mosquitto exited with {self.process.returncode}:\n"
                    + (self.directory / "stderr.log").read_text(errors="replace")[-2000:]
                    + self.log()[-2000:]
                )
            if all(_port_open(p) for p in ports):
                return
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(
                    f"mosquitto did not listen on {ports} within 60 s:\n" + self.log()
                )
            time.sleep(0.05)

    def stop(self) -> None:
        """SIGTERM (mosquitto saves its persistence file), SIGKILL after 30 s."""
        proc, self.process = self.process, None
        if proc is None or proc.poll() is not None:
            return
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)

    def kill(self) -> None:
        """SIGKILL: a crash, nothing saved since the last autosave."""
        proc, self.process = self.process, None
        if proc is not None and proc.poll() is None:
            proc.kill()
            proc.wait(timeout=10)

    def restart(self) -> None:
        """Stop and start again on the same ports with the same users and saved sessions."""
        self.stop()
        self._start()

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def add_user(self, name: str, password: str) -> None:
        """Add (or change) a user: rewrite the password file, SIGHUP, wait for the reload."""
        self.users[name] = password
        self._write_passwords()
        if self.process is None:
            return
        self._reloads += 1
        self.process.send_signal(signal.SIGHUP)
        deadline = time.monotonic() + START_DEADLINE_S
        while self.log().count("Reloading config") < self._reloads:
            if time.monotonic() > deadline:
                raise RuntimeError("mosquitto did not reload its config within 60 s")
            time.sleep(0.05)
        # The log line comes first, then the files are read: wait until the new user gets in.
        _wait_for_login(self, name, password)


def _port_open(port: int) -> bool:
    try:
        with socket.create_connection((HOST, port), timeout=1.0):
            return True
    except OSError:
        return False


def _wait_for_login(broker: Broker, user: str, password: str) -> None:
    import paho.mqtt.client as mqtt

    deadline = time.monotonic() + START_DEADLINE_S
    while True:
        client = mqtt.Client(
            mqtt.CallbackAPIVersion.VERSION2,
            client_id=f"login-check-{os.getpid()}-{time.monotonic_ns()}",
            protocol=mqtt.MQTTv5,
        )
        client.username_pw_set(user, password)
        client.tls_set(ca_certs=str(broker.ca_path))
        try:
            ok = client.connect(broker.host, broker.port, keepalive=10) == 0
            if ok:
                # connect() only sends CONNECT; the CONNACK decides.
                end = time.monotonic() + 10
                result: list[bool] = []
                client.user_data_set(result)
                client.on_connect = lambda c, res, f, rc, p: res.append(not rc.is_failure)
                while not result and time.monotonic() < end:
                    client.loop(timeout=0.1)
                ok = bool(result and result[0])
        except OSError:
            ok = False
        finally:
            client.disconnect()
        if ok:
            return
        if time.monotonic() > deadline:
            raise RuntimeError(f"user {user!r} could not log in after the reload")
        time.sleep(0.1)


def start_broker(
    tmp_dir: Path,
    users: dict[str, str],
    server_user: str = "fleet",
    *,
    plain: bool = False,
    extra_acl: str = "",
    ha_user: str | None = None,
) -> Broker:
    """Start Mosquitto with TLS, passwords, the fleet ACL and persistence in ``tmp_dir``.

    ``users`` maps user names (box ids, the server user, any others) to passwords. ``plain``
    adds a plain-TCP listener (``broker.plain_port``) for benchmarks. ``extra_acl`` is appended
    to the ACL file; ``ha_user`` is Home Assistant's user (``protocol.mosquitto_acl``).
    """
    directory = Path(tmp_dir) / "mosquitto"
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "data").mkdir(exist_ok=True)
    ca_path, cert_path, key_path = write_test_pki(directory)
    acl = protocol.mosquitto_acl(server_user, ha_user)
    if extra_acl:
        acl += "\n" + extra_acl.strip() + "\n"
    (directory / "acl").write_text(acl)
    broker = Broker(
        directory=directory,
        port=free_port(),
        ca_path=ca_path,
        users=dict(users),
        server_user=server_user,
        plain_port=free_port() if plain else None,
    )
    broker._write_passwords()
    lines = [
        "user root",
        "per_listener_settings false",
        "allow_anonymous false",
        f"password_file {directory / 'passwd'}",
        f"acl_file {directory / 'acl'}",
        "persistence true",
        f"persistence_location {directory / 'data'}/",
        "autosave_interval 5",
        "max_queued_messages 200000",
        "max_inflight_messages 100",
        "set_tcp_nodelay true",
        f"log_dest file {directory / 'mosquitto.log'}",
        "log_type error",
        "log_type warning",
        "log_type notice",
        "log_type information",
        "log_timestamp_format %Y-%m-%dT%H:%M:%S",
        "",
        f"listener {broker.port} {HOST}",
        f"cafile {ca_path}",
        f"certfile {cert_path}",
        f"keyfile {key_path}",
    ]
    if broker.plain_port is not None:
        lines += ["", f"listener {broker.plain_port} {HOST}"]
    (directory / "mosquitto.conf").write_text("\n".join(lines) + "\n")
    broker._start()
    return broker


@contextmanager
def running_broker(
    tmp_dir: Path,
    users: dict[str, str],
    server_user: str = "fleet",
    *,
    plain: bool = False,
    extra_acl: str = "",
    ha_user: str | None = None,
) -> Iterator[Broker]:
    """``start_broker`` as a context manager (a pytest fixture can ``yield from`` it)."""
    broker = start_broker(
        tmp_dir, users, server_user, plain=plain, extra_acl=extra_acl, ha_user=ha_user
    )
    try:
        yield broker
    finally:
        broker.stop()
