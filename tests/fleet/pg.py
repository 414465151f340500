"""A real PostgreSQL on loopback for the fleet tests and benchmark (Debian's postgresql package).

``start_postgres(tmp_dir)`` gives a fresh server (its own data directory, a free loopback TCP port
and a unix socket) reachable at ``.dsn``; ``.stop()`` shuts it down cleanly and removes its data,
``.kill()`` crashes it (SIGKILL to the postmaster and every backend) and keeps the data, so
``.start()`` brings the same database back after crash recovery.

``initdb`` runs once per process: later servers start from a copy of that cluster. PostgreSQL
refuses to run as root, so under root the server runs as the ``postgres`` user (or ``nobody``),
with its data in a directory of its own under the system temp dir (pytest's ``tmp_path`` is not
reachable for other users); the server's log is ``tmp_dir / "postgres.log"``.
"""

from __future__ import annotations

import atexit
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg

PG_BIN = Path(os.environ.get("SIMSPOT_PG_BIN", "/usr/lib/postgresql/15/bin"))
SUPERUSER = "postgres"
# Generous: two cores shared with other test runs, a broker and the ingest workers.
START_DEADLINE = 90.0
STOP_DEADLINE = 30.0

# Settings for a throwaway test server: no fsync (a crash of the machine loses the server anyway;
# a killed server keeps every commit, which the OS already has), enough connections for several
# workers and API clients, no checkpoints during a test.
TEST_SETTINGS: dict[str, str] = {
    "listen_addresses": "127.0.0.1",
    "max_connections": "100",
    "shared_buffers": "32MB",
    "fsync": "off",
    "full_page_writes": "off",
    "max_wal_size": "256MB",
    "checkpoint_timeout": "30min",
    "log_min_messages": "warning",
    "log_line_prefix": "%m [%p] ",
    "dynamic_shared_memory_type": "posix",
}

_template_lock = threading.Lock()
_template: Path | None = None


def _run_as() -> pwd.struct_passwd | None:
    """The user the server runs as: None (ourselves) unless we are root."""
    if os.geteuid() != 0:
        return None
    for name in ("postgres", "nobody"):
        try:
            return pwd.getpwnam(name)
        except KeyError:
            continue
    raise RuntimeError("running as root, but neither a 'postgres' nor a 'nobody' user exists")


def _private_dir(prefix: str) -> Path:
    """A directory under the system temp dir owned by the server's user, mode 0700."""
    path = Path(tempfile.mkdtemp(prefix=prefix))
    user = _run_as()
    if user is not None:
        os.chown(path, user.pw_uid, user.pw_gid)
    path.chmod(0o700)
    return path


def _uid_gid() -> tuple[int | None, int | None, list[int] | None]:
    """Popen's user, group and extra_groups for the server's processes."""
    user = _run_as()
    if user is None:
        return None, None, None
    return user.pw_uid, user.pw_gid, []


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
    env["LC_ALL"] = "C.UTF-8"
    env["LANG"] = "C.UTF-8"
    user = _run_as()
    if user is not None:
        env["HOME"] = user.pw_dir
    return env


def _initdb_template() -> Path:
    """initdb once per process; removed when the process exits."""
    global _template
    with _template_lock:
        if _template is not None and (_template / "data" / "PG_VERSION").exists():
            return _template / "data"
        root = _private_dir("simspot-pg-template-")
        atexit.register(shutil.rmtree, root, True)
        data = root / "data"
        uid, gid, groups = _uid_gid()
        proc = subprocess.run(
            [
                str(PG_BIN / "initdb"),
                "-D",
                str(data),
                "-U",
                SUPERUSER,
                "--auth=trust",
                "--encoding=UTF8",
                "--locale=C.UTF-8",
                "--no-sync",
            ],
            capture_output=True,
            text=True,
            env=_env(),
            timeout=300,
            cwd=root,
            user=uid,
            group=gid,
            extra_groups=groups,
        )
        if proc.returncode != 0:
            raise RuntimeError(f"initdb failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}")
        _template = root
        return data


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Postgres:
    """One PostgreSQL server on loopback. Use ``start_postgres`` to make one."""

    def __init__(self, tmp_dir: Path, settings: dict[str, str] | None = None) -> None:
        self.tmp_dir = tmp_dir
        self.root = _private_dir("simspot-pg-")
        self.data = self.root / "data"
        self.log_path = tmp_dir / "postgres.log"
        self.settings = {**TEST_SETTINGS, **(settings or {})}
        self.port = 0
        self.proc: subprocess.Popen[bytes] | None = None
        self.dbname = "postgres"
        template = _initdb_template()
        subprocess.run(["cp", "-a", str(template), str(self.data)], check=True, timeout=300)

    @property
    def host(self) -> str:
        return "127.0.0.1"

    @property
    def socket_dir(self) -> Path:
        return self.root

    @property
    def dsn(self) -> str:
        """libpq connection string over loopback TCP (trust authentication)."""
        return self.dsn_for(self.dbname)

    def dsn_for(self, dbname: str) -> str:
        return f"host={self.host} port={self.port} user={SUPERUSER} dbname={dbname}"

    @property
    def socket_dsn(self) -> str:
        return f"host={self.socket_dir} port={self.port} user={SUPERUSER} dbname={self.dbname}"

    @property
    def url(self) -> str:
        return f"postgresql://{SUPERUSER}@{self.host}:{self.port}/{self.dbname}"

    def start(self) -> None:
        """Start (or, after ``kill``, restart) the server; waits until it accepts connections.

        The port is kept across restarts; the first start picks a free one and retries with
        another if something else took it meanwhile.
        """
        if self.proc is not None and self.proc.poll() is None:
            raise RuntimeError("postgres is already running")
        attempts = 1 if self.port else 3
        for attempt in range(attempts):
            if not self.port or attempt:
                self.port = _free_port()
            if self._start_once():
                return
        raise RuntimeError(f"postgres did not start; log:\n{self.log_tail()}")

    def _start_once(self) -> bool:
        args = [str(PG_BIN / "postgres"), "-D", str(self.data), "-p", str(self.port)]
        args += ["-c", f"unix_socket_directories={self.socket_dir}"]
        for key, value in self.settings.items():
            args += ["-c", f"{key}={value}"]
        uid, gid, groups = _uid_gid()
        log = self.log_path.open("ab")
        try:
            self.proc = subprocess.Popen(
                args,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=log,
                env=_env(),
                cwd=self.root,
                start_new_session=True,
                user=uid,
                group=gid,
                extra_groups=groups,
            )
        finally:
            log.close()
        deadline = time.monotonic() + START_DEADLINE
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                self.proc = None
                return False
            try:
                with psycopg.connect(self.dsn, connect_timeout=5, autocommit=True) as conn:
                    conn.execute("SELECT 1")
                return True
            except psycopg.OperationalError:
                time.sleep(0.2)
        self._kill_group()
        raise RuntimeError(
            f"postgres did not accept connections in {START_DEADLINE:.0f} s; log:\n"
            + self.log_tail()
        )

    def create_database(self, name: str) -> str:
        """A new empty database on this server; returns its DSN."""
        with psycopg.connect(self.dsn, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')  # test-chosen names only
        return self.dsn_for(name)

    def log_tail(self, lines: int = 40) -> str:
        try:
            text = self.log_path.read_text(errors="replace")
        except FileNotFoundError:
            return "(no log)"
        return "\n".join(text.splitlines()[-lines:])

    def _server_pids(self) -> list[int]:
        """The postmaster and its children (each backend is a session leader of its own, so
        a process-group kill does not reach them)."""
        if self.proc is None:
            return []
        pids = [self.proc.pid]
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
            except (OSError, IndexError):
                continue
            if int(fields[1]) == self.proc.pid:
                pids.append(int(stat.parent.name))
        return pids

    @staticmethod
    def _alive(pid: int) -> bool:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except (OSError, IndexError):
            return False
        return state != "Z"

    def _kill_group(self) -> None:
        if self.proc is None:
            return
        pids = self._server_pids()
        for pid in pids:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        self.proc.wait(timeout=STOP_DEADLINE)
        # A restart needs every old backend gone (they hold the shared memory).
        deadline = time.monotonic() + STOP_DEADLINE
        while any(self._alive(pid) for pid in pids[1:]) and time.monotonic() < deadline:
            time.sleep(0.05)
        self.proc = None

    def kill(self) -> None:
        """Crash the server (SIGKILL to all its processes); the data stays for ``start()``."""
        self._kill_group()

    def shutdown(self) -> None:
        """Clean (fast) shutdown; the data stays for ``start()``."""
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)  # fast shutdown: roll back, checkpoint, exit
            try:
                self.proc.wait(timeout=STOP_DEADLINE)
            except subprocess.TimeoutExpired:
                pass
        self._kill_group()

    def stop(self) -> None:
        """Shut down and remove the data directory. Safe to call twice or after ``kill``."""
        self.shutdown()
        shutil.rmtree(self.root, ignore_errors=True)


def start_postgres(tmp_dir: Path, settings: dict[str, str] | None = None) -> Postgres:
    """A fresh PostgreSQL on a free loopback port; ``.stop()`` it when done."""
    server = Postgres(tmp_dir, settings)
    try:
        server.start()
    except BaseException:
        server.stop()
        raise
    return server


@contextmanager
def running_postgres(tmp_dir: Path, settings: dict[str, str] | None = None) -> Iterator[Postgres]:
    server = start_postgres(tmp_dir, settings)
    try:
        yield server
    finally:
        server.stop()
