"""`simspot fleet init|add-box|serve` against the real engines, as an operator runs them."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from simspot.fleet import protocol, schema
from tests.fleet.broker import start_broker
from tests.fleet.ingest_helpers import SimBox, new_password, wait_for
from tests.fleet.pg import start_postgres

pytestmark = pytest.mark.slow

SIMSPOT = [sys.executable, "-m", "simspot.cli.main"]


def _run(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run([*SIMSPOT, "fleet", *args], capture_output=True, text=True, timeout=180)
    if check and proc.returncode != 0:
        raise AssertionError(f"simspot fleet {args[0]} failed:\n{proc.stdout}\n{proc.stderr}")
    return proc


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_init_add_box_and_serve(tmp_path: Path) -> None:
    pg = start_postgres(tmp_path)
    server_pw = new_password()
    broker = start_broker(tmp_path, {"fleet": server_pw})
    serve = None
    try:
        out = json.loads(_run("init", "--db", pg.dsn, "--json").stdout)
        assert out["migrations_applied"] == list(range(1, len(schema.MIGRATIONS) + 1))
        assert out["mosquitto_acl"] == protocol.mosquitto_acl("fleet")
        assert "allow_anonymous false" in out["mosquitto_conf"]
        assert any("EMQX" in r for r in out["rules"])
        again = json.loads(_run("init", "--db", pg.dsn, "--json").stdout)
        assert again["migrations_applied"] == [] and again["schema_version"] == len(
            schema.MIGRATIONS
        )

        # A box: registered, its broker user added to Mosquitto's password file and reloaded.
        added = json.loads(
            _run(
                "add-box", "Van 12", "--group", "north", "--db", pg.dsn,
                "--broker", f"mqtts://127.0.0.1:{broker.port}", "--ca", str(broker.ca_path),
                "--mosquitto-passwd", str(broker.directory / "passwd"),
                "--mosquitto-pid", str(broker.process.pid if broker.process else 0), "--json",
            ).stdout
        )  # fmt: skip
        assert added["box"] == "van-12" and added["group"] == "north"
        assert added["broker_reloaded"] is True
        cmd = added["join"].split()
        assert cmd[:3] == ["simspot", "fleet", "join"]
        assert cmd[3] == f"mqtts://127.0.0.1:{broker.port}"
        token = protocol.parse_join_token(cmd[4])
        assert token.box == "van-12" and token.ca_sha256 is not None
        # The same id twice is refused and changes nothing.
        dup = _run("add-box", "van 12", "--db", pg.dsn, "--json", check=False)
        assert dup.returncode == 1 and "already exists" in json.loads(dup.stdout)["error"]
        bad = _run("add-box", "!!!", "--db", pg.dsn, "--json", check=False)
        assert bad.returncode == 1 and "name" in json.loads(bad.stdout)["error"]

        # serve: two worker processes and the API; the box (with the token's password, once
        # Mosquitto has reloaded) reports, and the usage lands in PostgreSQL.
        pw_file = tmp_path / "mqtt-password"
        pw_file.write_text(server_pw + "\n")
        api_port = _free_port()
        serve = subprocess.Popen(
            [
                *SIMSPOT, "fleet", "serve", "--db", pg.dsn,
                "--broker", f"mqtts://127.0.0.1:{broker.port}", "--ca", str(broker.ca_path),
                "--password-file", str(pw_file), "--workers", "2",
                "--worker-prefix", "cli-test", "--listen", f"127.0.0.1:{api_port}",
                "--state-dir", str(tmp_path / "fleet-state"), "--json",
            ],
            stdout=subprocess.PIPE,
            text=True,
        )  # fmt: skip
        assert serve.stdout is not None
        started = json.loads(serve.stdout.readline())
        assert sorted(started["workers"]) == ["cli-test-1", "cli-test-2"]
        box = SimBox(broker, "van-12", token.password)
        wait_for(lambda: _connects(box), "the new box logging in after the reload")

        import psycopg

        with psycopg.connect(pg.dsn, autocommit=True) as conn:

            def statuses_in() -> bool:
                row = conn.execute("SELECT online FROM box WHERE id = 'van-12'").fetchone()
                if row and row[0]:
                    return True
                box.send_status()
                return False

            wait_for(statuses_in, "the box online (the workers subscribed)")
            box.count([("uplink", "8949", 4242, 42)])
            wait_for(
                lambda: conn.execute("SELECT sum(rx), sum(tx) FROM usage").fetchone() == (4242, 42),
                "the usage in PostgreSQL",
            )
        box.disconnect()
        if started["api"]:
            # The API answers (its own tests cover it); unauthenticated reads are refused.
            r = httpx.get(f"http://127.0.0.1:{api_port}/api/v1/boxes", timeout=30)
            assert r.status_code == 401
        pids = list(started["workers"].values())
        serve.send_signal(signal.SIGTERM)
        assert serve.wait(timeout=120) == 0
        for pid in pids:  # the workers went with it
            wait_for(lambda p=pid: not _alive(p), f"worker {pid} gone")
    finally:
        if serve is not None and serve.poll() is None:
            serve.kill()
            serve.wait()
        if serve is not None and serve.stdout is not None:
            serve.stdout.close()
        broker.stop()
        pg.stop()


def _connects(box: SimBox) -> bool:
    try:
        box.connect(deadline_s=5)
    except AssertionError:
        box.disconnect()
        return False
    return True


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"
