"""`simspot fleet init|add-box|serve`: the fleet server (docs/FLEET.md).

``init`` applies the schema migrations and prints what the broker needs; ``add-box`` registers a
box and prints the line that joins it; ``serve`` runs the ingest workers and the fleet API.
psycopg, paho and the API are imported inside the commands.
"""

from __future__ import annotations

import os
import re
import secrets
import signal
import subprocess
import tempfile
import threading
from pathlib import Path
from typing import Annotated, Any

import typer

from simspot.cli.common import JsonOpt, console, emit, errors_as_messages, tr
from simspot.errors import SimspotError, SimspotValueError

DB_ENV = "SIMSPOT_FLEET_DB"
PASSWORD_ENV = "SIMSPOT_FLEET_MQTT_PASSWORD"
SHARE_GROUP_ENV = "SIMSPOT_FLEET_SHARE_GROUP"

DbOpt = Annotated[
    str,
    typer.Option(
        "--db",
        envvar=DB_ENV,
        help="PostgreSQL connection string (libpq: 'host=... dbname=...' or postgresql://...). "
        f"Also ${DB_ENV}; keep the password in ~/.pgpass or $PGPASSWORD, not here.",
    ),
]
ServerUserOpt = Annotated[
    str, typer.Option("--server-user", help="The fleet server's MQTT user name.")
]


def _acl_rules(server_user: str) -> list[tuple[str, dict[str, Any]]]:
    """What the broker must enforce, as sentences by id (cli/moremessages.py)."""
    from simspot.fleet.protocol import HA_PREFIX, ROOT

    return [
        ("cli.fleet-server.rule.login", {}),
        ("cli.fleet-server.rule.box", {"root": ROOT, "ha_prefix": HA_PREFIX}),
        ("cli.fleet-server.rule.server", {"root": ROOT, "user": repr(server_user)}),
        (
            "cli.fleet-server.rule.emqx",
            {
                "root": ROOT,
                "username": "${username}",
                "allow": '{allow, all, publish, ["' + ROOT + '/${username}/usage"]}',
                "deny": "{deny, all}",
            },
        ),
        ("cli.fleet-server.rule.share", {}),
        ("cli.fleet-server.rule.sessions", {}),
    ]


def _acl_in_words(server_user: str) -> list[str]:
    from simspot.i18n import render

    return [render(msg_id, params) for msg_id, params in _acl_rules(server_user)]


def _mosquitto_conf(directory: str = "/etc/mosquitto") -> str:
    return "\n".join(
        [
            "# /etc/mosquitto/conf.d/simspot-fleet.conf",
            "per_listener_settings false",
            "allow_anonymous false",
            f"password_file {directory}/simspot-fleet.passwd",
            f"acl_file {directory}/simspot-fleet.acl",
            "persistence true",
            "# a backlog for the ingest workers while they restart (0 = no limit)",
            "max_queued_messages 100000",
            "",
            "listener 8883",
            f"certfile {directory}/certs/fullchain.pem",
            f"keyfile {directory}/certs/privkey.pem",
            "tls_version tlsv1.2",
            "",
        ]
    )


def init(
    db: DbOpt,
    server_user: ServerUserOpt = "fleet",
    as_json: JsonOpt = False,
) -> None:
    """Apply the schema migrations and print what the broker needs (users, ACL, TLS)."""
    from simspot.fleet import db as fleet_db
    from simspot.fleet import protocol, schema

    with errors_as_messages(as_json):
        if not protocol.BOX_ID_RE.fullmatch(server_user):
            raise SimspotValueError(msg_id="fleet.server.user", field="server-user")
        with fleet_db.connect(db) as conn:
            applied = fleet_db.migrate(conn)
            version = fleet_db.schema_version(conn)
        group = f"simspot-ingest-{secrets.token_hex(8)}"
        data: dict[str, Any] = {
            "schema_version": version,
            "migrations_applied": applied,
            "migrations_known": len(schema.MIGRATIONS),
            "server_user": server_user,
            "mosquitto_acl": protocol.mosquitto_acl(server_user),
            "mosquitto_conf": _mosquitto_conf(),
            "rules": _acl_in_words(server_user),
            "share_group": group,
            "next": [
                f"mosquitto_passwd -c /etc/mosquitto/simspot-fleet.passwd {server_user}",
                "simspot fleet add-box NAME --broker mqtts://HOST:8883 "
                "--mosquitto-passwd /etc/mosquitto/simspot-fleet.passwd",
                f"simspot fleet serve --broker mqtts://HOST:8883 --user {server_user} "
                f"--password-file FILE --share-group {group}",
            ],
        }

    def render(d: dict[str, Any]) -> None:
        version = d["schema_version"]
        if d["migrations_applied"]:
            applied = [str(m) for m in d["migrations_applied"]]
            said = tr("cli.fleet-server.migrated", migrations=applied, version=version)
        else:
            said = tr("cli.fleet-server.up-to-date", version=version)
        console.print(said, highlight=False, markup=False)
        console.print("\n" + tr("cli.fleet-server.broker"), highlight=False, markup=False)
        for msg_id, params in _acl_rules(d["server_user"]):
            console.print(f"  - {tr(msg_id, **params)}", highlight=False, markup=False)
        console.print("\n" + tr("cli.fleet-server.acl-file"), highlight=False, markup=False)
        console.print(d["mosquitto_acl"], highlight=False, markup=False)
        console.print(tr("cli.fleet-server.mosquitto-conf"), highlight=False, markup=False)
        console.print(d["mosquitto_conf"], highlight=False, markup=False)
        console.print(tr("cli.fleet-server.next"), highlight=False, markup=False)
        for line in d["next"]:
            console.print(f"  {line}", highlight=False, markup=False)

    emit(data, as_json, render)


def _slug(name: str) -> str:
    s = re.sub(r"[^a-z0-9]+", "-", name.strip().lower()).strip("-")
    return s[:32].rstrip("-")


def _mosquitto_add_user(passwd_file: Path, user: str, password: str) -> None:
    """Add or replace ``user`` in a Mosquitto password file, hashed by mosquitto_passwd (the
    password never appears on a command line)."""
    import shutil

    tool = shutil.which("mosquitto_passwd")
    if tool is None:
        raise SimspotError(
            msg_id="error.tool-missing.package",
            params={"program": "mosquitto_passwd", "package": "mosquitto"},
        )
    with tempfile.TemporaryDirectory(prefix="simspot-passwd-") as tmp:
        plain = Path(tmp) / "one"
        plain.touch(mode=0o600)
        plain.write_text(f"{user}:{password}\n")
        proc = subprocess.run([tool, "-U", str(plain)], capture_output=True, text=True)
        if proc.returncode != 0:
            raise SimspotError(
                msg_id="fleet.server.passwd-failed", params={"error": proc.stderr.strip()[:200]}
            )
        hashed = plain.read_text().strip()
    try:
        lines = passwd_file.read_text().splitlines() if passwd_file.exists() else []
    except OSError as exc:
        raise SimspotError(
            msg_id="state.unreadable", params={"path": str(passwd_file), "problem": _why(exc)}
        ) from None
    kept = [line for line in lines if line.split(":", 1)[0] != user]
    new = passwd_file.with_name(passwd_file.name + ".simspot-new")
    try:
        fd = os.open(new, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write("\n".join([*kept, hashed]) + "\n")
        if passwd_file.exists():
            st = passwd_file.stat()
            os.chmod(new, st.st_mode & 0o777)
            try:
                os.chown(new, st.st_uid, st.st_gid)
            except PermissionError:
                pass
        os.replace(new, passwd_file)
    except OSError as exc:
        new.unlink(missing_ok=True)
        raise SimspotError(
            msg_id="cli.cannot-write", params={"path": str(passwd_file), "problem": _why(exc)}
        ) from None


def _why(exc: OSError) -> str:
    """What went wrong with a file, in the system's words (``No such file or directory``)."""
    return exc.strerror or type(exc).__name__


def _reload_mosquitto(pid: int | None, pidfile: Path | None) -> int | None:
    if pid is None and pidfile is not None:
        try:
            pid = int(pidfile.read_text().strip())
        except (OSError, ValueError):
            raise SimspotError(
                msg_id="fleet.server.pidfile", params={"path": str(pidfile)}
            ) from None
    if pid is None:
        return None
    try:
        os.kill(pid, signal.SIGHUP)
    except ProcessLookupError:
        raise SimspotError(msg_id="fleet.server.no-process", params={"pid": pid}) from None
    return pid


def add_box(
    name: Annotated[str, typer.Argument(help="What people call the box (e.g. 'Van 12').")],
    db: DbOpt,
    box_id: Annotated[
        str | None, typer.Option("--id", help="The box id (default: made from the name).")
    ] = None,
    group: Annotated[str, typer.Option("--group", help="A group, e.g. a site or a route.")] = "",
    broker: Annotated[
        str | None,
        typer.Option("--broker", help="The broker's address as boxes see it: mqtts://host:port."),
    ] = None,
    ca: Annotated[
        Path | None,
        typer.Option("--ca", help="Pin this CA certificate (PEM) in the token (private CAs)."),
    ] = None,
    mosquitto_passwd: Annotated[
        Path | None,
        typer.Option("--mosquitto-passwd", help="Add the box's user to this password file."),
    ] = None,
    mosquitto_pid: Annotated[
        int | None, typer.Option("--mosquitto-pid", help="Mosquitto's pid, to reload (SIGHUP).")
    ] = None,
    mosquitto_pidfile: Annotated[
        Path | None, typer.Option("--mosquitto-pidfile", help="Or its pid file.")
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Register a box: its id, a random password, the broker user; prints `simspot fleet join`."""
    from simspot.fleet import db as fleet_db
    from simspot.fleet import protocol

    with errors_as_messages(as_json):
        ident = box_id if box_id is not None else _slug(name)
        if not ident:
            raise SimspotValueError(msg_id="fleet.server.name", field="name")
        protocol.check_box_id(ident)
        broker_url = str(protocol.parse_broker_url(broker)) if broker else None
        pin = _ca_digest(ca) if ca else None
        password = secrets.token_urlsafe(24)
        token = protocol.make_join_token(ident, password, pin)
        if mosquitto_pidfile is None and mosquitto_pid is None and mosquitto_passwd is not None:
            default = Path("/run/mosquitto/mosquitto.pid")
            mosquitto_pidfile = default if default.exists() else None
        with fleet_db.connect(db) as conn:
            row = fleet_db.add_box(conn, ident, name=name.strip(), group=group.strip())
            reloaded = None
            try:
                if mosquitto_passwd is not None:
                    _mosquitto_add_user(mosquitto_passwd, ident, password)
                    reloaded = _reload_mosquitto(mosquitto_pid, mosquitto_pidfile)
            except BaseException:
                fleet_db.remove_box(conn, ident)  # nothing half done
                raise
        join = f"simspot fleet join {broker_url or 'mqtts://BROKER:8883'} {token}"
        data = {
            "box": row.id,
            "name": row.name,
            "group": row.grp,
            "password": password,
            "token": token,
            "join": join,
            "broker_user_added": mosquitto_passwd is not None,
            "broker_reloaded": reloaded is not None,
        }

    def render(d: dict[str, Any]) -> None:
        def line(msg_id: str, **params: Any) -> None:
            console.print(tr(msg_id, **params), highlight=False, markup=False)

        if d["group"]:
            line("cli.fleet-server.box-added-to", box=repr(d["box"]), group=repr(d["group"]))
        else:
            line("cli.fleet-server.box-added", box=repr(d["box"]))
        if d["broker_user_added"] and d["broker_reloaded"]:
            line("cli.fleet-server.user-added-reloaded")
        elif d["broker_user_added"]:
            line("cli.fleet-server.user-added-reload")
        else:
            line("cli.fleet-server.add-user", box=repr(d["box"]))
        line("cli.fleet-server.on-the-box")
        console.print(f"  {d['join']}", highlight=False, markup=False)

    emit(data, as_json, render)


def _ca_digest(path: Path) -> bytes:
    import hashlib
    import ssl

    try:
        pem = path.read_text()
        der = ssl.PEM_cert_to_DER_cert(pem)
    except (OSError, ValueError):
        raise SimspotValueError(
            msg_id="fleet.server.ca-not-pem", params={"path": str(path)}, field="ca"
        ) from None
    return hashlib.sha256(der).digest()


def _read_password(password_file: Path | None) -> str:
    if password_file is not None:
        try:
            text = password_file.read_text().strip()
        except OSError as exc:
            raise SimspotValueError(
                msg_id="fleet.server.password-unreadable",
                params={"path": str(password_file), "error": _why(exc)},
                field="password-file",
            ) from None
        if not text:
            raise SimspotValueError(msg_id="fleet.server.password-empty", field="password-file")
        return text
    text = os.environ.get(PASSWORD_ENV, "")
    if not text:
        raise SimspotValueError(
            msg_id="fleet.server.password-missing",
            params={"env": PASSWORD_ENV},
            field="password-file",
        )
    return text


def _listen(text: str) -> tuple[str, int]:
    host, sep, port = text.rpartition(":")
    try:
        number = int(port)
    except ValueError:
        number = 0
    if not sep or not host or not 1 <= number <= 65535:
        raise SimspotValueError(msg_id="fleet.server.listen", field="listen")
    return host.strip("[]"), number


def serve(
    db: DbOpt,
    broker: Annotated[
        str, typer.Option("--broker", help="mqtts://host:port (mqtt:// only on a trusted network).")
    ],
    user: Annotated[str, typer.Option("--user", help="The server's MQTT user.")] = "fleet",
    password_file: Annotated[
        Path | None,
        typer.Option("--password-file", help=f"File with the MQTT password (or ${PASSWORD_ENV})."),
    ] = None,
    ca: Annotated[
        Path | None, typer.Option("--ca", help="CA file for the broker (default: system CAs).")
    ] = None,
    workers: Annotated[int, typer.Option("--workers", min=1, max=64, help="Ingest workers.")] = 2,
    worker_prefix: Annotated[
        str | None,
        typer.Option(
            "--worker-prefix",
            help="MQTT client id prefix of the workers (stable: a restarted worker gets its "
            "session back). Default simspot-ingest-<hostname>.",
        ),
    ] = None,
    listen: Annotated[
        str, typer.Option("--listen", help="Fleet API and web view address (HOST:PORT).")
    ] = "127.0.0.1:8480",
    state_dir: Annotated[
        Path,
        typer.Option("--state-dir", help="Where the fleet server keeps its admin password."),
    ] = Path("/var/lib/simspot-fleet"),
    allowed_host: Annotated[
        list[str] | None,
        typer.Option("--allowed-host", help="A name the web view is reached by (repeatable)."),
    ] = None,
    share_group: Annotated[
        str,
        typer.Option(
            "--share-group",
            envvar=SHARE_GROUP_ENV,
            help="The workers' shared subscription group. On Mosquitto use a private name "
            "(as printed by 'simspot fleet init'): a box that joins the group would take its "
            f"turn of the messages. Also ${SHARE_GROUP_ENV}.",
        ),
    ] = "simspot-ingest",
    no_api: Annotated[bool, typer.Option("--no-api", help="Ingest only, no API.")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Ingest the boxes' reports into PostgreSQL with N workers, and serve the fleet API."""
    import importlib.util
    import logging

    from simspot.fleet import db as fleet_db
    from simspot.fleet import protocol
    from simspot.fleet.ingest import BrokerSettings, IngestPool, IngestSettings

    logging.basicConfig(
        level=os.environ.get("SIMSPOT_LOG_LEVEL", "INFO"),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    with errors_as_messages(as_json):
        host, port = _listen(listen)
        protocol.ingest_subscriptions(share_group)  # a name the broker takes, or a sentence
        settings = IngestSettings(
            share_group=share_group,
            dsn=db,
            broker=BrokerSettings.from_url(
                broker,
                username=user,
                password=_read_password(password_file),
                ca_path=str(ca) if ca else None,
            ),
        )
        with fleet_db.connect(db) as conn:
            applied = fleet_db.migrate(conn)
        has_api = not no_api and importlib.util.find_spec("simspot.fleet.api") is not None
        pool = IngestPool(settings, workers, worker_prefix)
        pool.start()
    try:
        started: dict[str, Any] = {
            "workers": pool.pids(),
            "migrations_applied": applied,
            "broker": settings.broker.url,
            "api": f"http://{host}:{port}" if has_api else None,
        }
        if has_api:
            _serve_api(settings, host, port, state_dir, allowed_host or [], started, as_json)
        else:
            _announce(started, as_json)
            stop = threading.Event()
            signal.signal(signal.SIGTERM, lambda *_: stop.set())
            signal.signal(signal.SIGINT, lambda *_: stop.set())
            stop.wait()
    finally:
        pool.stop()


def _announce(started: dict[str, Any], as_json: bool) -> None:
    import json
    import sys

    if as_json:
        sys.stdout.write(json.dumps(started) + "\n")
        sys.stdout.flush()
        return
    workers = len(started["workers"])
    if started["api"]:
        said = tr(
            "cli.fleet-server.ingesting-api",
            broker=started["broker"],
            workers=workers,
            api=started["api"],
        )
    else:
        said = tr("cli.fleet-server.ingesting", broker=started["broker"], workers=workers)
    console.print(said, highlight=False, markup=False)
    if started.get("password"):
        console.print(
            tr("cli.fleet-server.password", password=started["password"]),
            highlight=False,
            markup=False,
        )


def _serve_api(
    settings: Any,
    host: str,
    port: int,
    state_dir: Path,
    allowed_hosts: list[str],
    started: dict[str, Any],
    as_json: bool,
) -> None:
    import uvicorn

    from simspot.daemon.auth import Auth
    from simspot.fleet.api import create_app
    from simspot.fleet.publisher import MqttCommandPublisher

    b = settings.broker
    state_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    auth = Auth(state_dir)
    password = auth.setup()
    publisher = MqttCommandPublisher(
        b.host,
        b.port,
        username=b.username,
        password=b.password,
        ca_path=b.ca_path,
        tls=b.tls,
        client_id=f"simspot-fleet-commands-{os.getpid()}",
    )
    publisher.start()
    try:
        # The listen address is a name the web view is reached by, too (as on the box).
        app = create_app(settings.dsn, publisher, auth, allowed_hosts=[*allowed_hosts, host])
        config = uvicorn.Config(
            app,
            host=host,
            port=port,
            log_config=None,
            access_log=False,
            server_header=False,
            timeout_graceful_shutdown=2,
        )
        server = uvicorn.Server(config)
        if password:
            started["password"] = password
        _announce(started, as_json)
        # uvicorn shuts down on SIGTERM/SIGINT, then raises the signal again under the handler
        # that was there before it: ours, so the workers are stopped cleanly after it.
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, lambda *_: None)
        server.run()
    finally:
        publisher.close()


def register(app: typer.Typer) -> None:
    app.command()(init)
    app.command("add-box")(add_box)
    app.command()(serve)
