"""`simspot fleet join|leave|status`: this box in a fleet (docs/FLEET.md).

Heavy imports (paho for the login check) stay inside the commands.
"""

from __future__ import annotations

import json
import os
import sqlite3
from pathlib import Path
from typing import Annotated, Any

import typer

from simspot.cli.common import (
    ConfigOpt,
    JsonOpt,
    StateDirOpt,
    console,
    emit,
    errors_as_messages,
    tr,
)


def _config_path(config: Path | None) -> Path:
    from simspot.paths import DEFAULT_CONFIG_PATH

    return config or DEFAULT_CONFIG_PATH


def _read_config(path: Path) -> tuple[str, Any]:
    """The config file's text (empty when there is none yet) and its validated settings."""
    import tomllib

    from simspot import config as cfg
    from simspot.errors import ConfigError

    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        text = ""
    except OSError as exc:
        raise ConfigError(
            msg_id="fleet.join.config-unreadable",
            params={"path": str(path), "error": type(exc).__name__},
        ) from None
    return text, cfg.validate(tomllib.loads(text) if text.strip() else {}, str(path))


def _state_dir(state_dir: Path | None, conf: Any) -> Path:
    return Path(state_dir or conf.daemon.state_dir)


def _write_config(path: Path, text: str) -> None:
    from simspot.fsutil import write_atomic

    try:
        mode = path.stat().st_mode & 0o777
    except FileNotFoundError:
        mode = 0o600
    write_atomic(path, text, mode=mode)


def join(
    url: Annotated[str, typer.Argument(help="The broker: mqtts://host[:port].")],
    token: Annotated[str, typer.Argument(help="The token `simspot fleet add-box` printed.")],
    ca: Annotated[
        Path | None,
        typer.Option("--ca", help="The broker's CA certificate (PEM); default: the system's CAs."),
    ] = None,
    name: Annotated[str, typer.Option(help="This box's name in the fleet's view.")] = "",
    allow: Annotated[
        list[str] | None,
        typer.Option(
            "--allow",
            help="A command the fleet may run here (repeat): plan.set, uplink.use, uplink.auto, "
            "esim.download, guest.add, guest.revoke, client.block, client.unblock, hotspot.on, "
            "hotspot.off. Default: none.",
        ),
    ] = None,
    home_assistant: Annotated[
        bool, typer.Option("--home-assistant", help="Announce the box to Home Assistant.")
    ] = False,
    check: Annotated[
        bool,
        typer.Option("--check/--no-check", help="Log in to the broker once before writing."),
    ] = True,
    config: ConfigOpt = None,
    state_dir: StateDirOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Join a fleet: check the token (and the broker, with --check), keep the credentials in
    the state directory (owner only) and write the config's fleet section."""
    import tomllib

    from simspot import config as cfg
    from simspot.errors import SimspotValueError
    from simspot.fleet import join as joining
    from simspot.fleet import protocol
    from simspot.fleet.settings import CREDENTIALS_FILE
    from simspot.fsutil import write_private

    with errors_as_messages(as_json):
        broker = protocol.parse_broker_url(url)
        parsed = protocol.parse_join_token(token)
        pem = None
        if ca is not None:
            try:
                pem = ca.read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError) as exc:
                raise SimspotValueError(
                    msg_id="fleet.join.ca-unreadable",
                    params={"path": str(ca), "error": type(exc).__name__},
                    field="ca",
                ) from None
        joining.check_ca(parsed, pem)
        path = _config_path(config)
        text, conf = _read_config(path)
        sdir = _state_dir(state_dir, conf)
        ca_copy = sdir / joining.CA_COPY if pem is not None else None
        values: dict[str, Any] = {
            "enabled": True,
            "broker": str(broker),
            "box_id": parsed.box,
            "name": name or None,
            "ca_file": str(ca_copy) if ca_copy else None,
            "allow_commands": sorted(set(allow or [])),
            "home_assistant": home_assistant or None,
        }
        section = joining.fleet_section(values)
        new_text = joining.replace_section(text, "fleet", section)
        cfg.validate(tomllib.loads(new_text), f"{path} (with the new [fleet])")  # before writing
        if check:
            why = joining.check_login(broker, parsed, ca)
            if why is not None:
                raise why
        sdir.mkdir(parents=True, exist_ok=True, mode=0o700)
        if ca_copy is not None and pem is not None:
            write_private(ca_copy, pem)
        write_private(
            sdir / CREDENTIALS_FILE, json.dumps({"box": parsed.box, "password": parsed.password})
        )
        written = True
        try:
            _write_config(path, new_text)
        except OSError:
            written = False
    result = {
        "box": parsed.box,
        "broker": str(broker),
        "config": str(path),
        "config_written": written,
        "credentials": str(sdir / CREDENTIALS_FILE),
        "section": section,
    }

    def show(r: dict[str, Any]) -> None:
        console.print(tr("cli.fleet.joined", broker=r["broker"], box=r["box"]), highlight=False)
        console.print(tr("cli.fleet.credentials", path=r["credentials"]), highlight=False)
        if r["config_written"]:
            console.print(tr("cli.fleet.wrote", path=r["config"]), markup=False, highlight=False)
        else:
            console.print(tr("cli.fleet.add-section", path=r["config"]), highlight=False)
            console.print(r["section"], markup=False, highlight=False)
        console.print(tr("cli.fleet.restart-start"), highlight=False)

    emit(result, as_json, show)


def leave(
    config: ConfigOpt = None,
    state_dir: StateDirOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Leave the fleet: remove the config's fleet section and the credentials from the state
    directory. What the outbox still holds is not sent any more."""
    import tomllib

    from simspot import config as cfg
    from simspot.fleet import join as joining
    from simspot.fleet.settings import CREDENTIALS_FILE

    with errors_as_messages(as_json):
        path = _config_path(config)
        text, conf = _read_config(path)
        sdir = _state_dir(state_dir, conf)
        new_text = joining.replace_section(text, "fleet", None)
        cfg.validate(tomllib.loads(new_text) if new_text.strip() else {}, str(path))
        written = new_text == text
        if not written:
            try:
                _write_config(path, new_text)
                written = True
            except OSError:
                written = False
        removed = []
        cred = conf.fleet.credentials_file or sdir / CREDENTIALS_FILE
        ha_cleared = _clear_home_assistant(conf, cred) if conf.fleet.home_assistant else None
        for f in (cred, sdir / joining.CA_COPY):
            try:
                f.unlink()
                removed.append(str(f))
            except FileNotFoundError:
                pass
        unsent = _outbox(sdir)
    result = {
        "config": str(path),
        "config_written": written,
        "removed": removed,
        "unsent": unsent,
        "home_assistant_removed": ha_cleared,
    }

    def show(r: dict[str, Any]) -> None:
        if r["config_written"]:
            console.print(tr("cli.fleet.removed", path=r["config"]), markup=False, highlight=False)
        else:
            console.print(tr("cli.fleet.remove-by-hand", path=r["config"]), markup=False)
        for f in r["removed"]:
            console.print(tr("cli.fleet.deleted", path=f), highlight=False)
        if r["home_assistant_removed"] is False:
            console.print(tr("cli.fleet.home-assistant-by-hand"), highlight=False)
        if any(r["unsent"].values()):
            unsent = [f"{k} {v}" for k, v in sorted(r["unsent"].items()) if v]
            console.print(tr("cli.fleet.undelivered", unsent=unsent), markup=False, highlight=False)
        console.print(tr("cli.fleet.restart-stop"), highlight=False)

    emit(result, as_json, show)
    if not written:
        raise typer.Exit(1)


def _clear_home_assistant(conf: Any, cred: Path) -> bool:
    """Empty the box's retained discovery configs (Home Assistant removes the device)."""
    from simspot.fleet import join as joining
    from simspot.fleet import protocol
    from simspot.fleet.homeassistant import removal

    fleet = conf.fleet
    try:
        data = json.loads(cred.read_text(encoding="utf-8"))
        password = str(data["password"])
    except (OSError, ValueError, KeyError, TypeError):
        return False
    if fleet.broker is None or fleet.box_id is None:
        return False
    topics = [t for t, _ in removal(fleet.box_id, fleet.ha_prefix)]
    url = protocol.parse_broker_url(fleet.broker)
    return joining.clear_retained(url, fleet.box_id, password, fleet.ca_file, topics)


def _outbox(sdir: Path) -> dict[str, int]:
    """Rows waiting in the fleet outbox, per channel (read-only; none without a database)."""
    db_path = sdir / "simspot.db"
    if not db_path.exists():
        return {}
    try:
        db = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
        try:
            rows = db.execute("SELECT channel, COUNT(*) FROM fleet_outbox GROUP BY 1").fetchall()
        finally:
            db.close()
    except sqlite3.Error:  # no fleet tables yet: nothing waits
        return {}
    return {str(c): int(n) for c, n in rows}


def status(
    config: ConfigOpt = None,
    state_dir: StateDirOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """This box's fleet settings, its outbox, and the reporter's state in the running daemon."""
    from simspot import config as cfg
    from simspot.cli.common import daemon_client
    from simspot.errors import DaemonError
    from simspot.fleet.settings import CREDENTIALS_FILE

    with errors_as_messages(as_json):
        conf = cfg.load(config)
        sdir = _state_dir(state_dir, conf)
        fleet = conf.fleet
        cred = fleet.credentials_file or sdir / CREDENTIALS_FILE
        component: dict[str, Any] | None = None
        try:
            st = daemon_client(sdir).request("GET", "/status")
        except DaemonError:  # no daemon answers: say so, show the rest
            daemon = "not running"
        else:
            daemon = "running"
            component = next(
                (c for c in st.get("components", []) if c.get("name") == "fleet"), None
            )
            if component is not None:
                try:
                    live = daemon_client(sdir).request("GET", "/fleet")
                except DaemonError:  # an older daemon without the route
                    live = None
                if isinstance(live, dict):
                    component = {**component, **live}
    result = {
        "enabled": fleet.enabled,
        "broker": fleet.broker,
        "box_id": fleet.box_id,
        "name": fleet.name,
        "ca_file": str(fleet.ca_file) if fleet.ca_file else None,
        "credentials": str(cred),
        "credentials_present": cred.exists() and os.access(cred, os.R_OK),
        "allow_commands": list(fleet.allow_commands),
        "home_assistant": fleet.home_assistant,
        "outbox": _outbox(sdir),
        "daemon": daemon,
        "reporter": component,
    }

    def show(r: dict[str, Any]) -> None:
        def line(msg_id: str, **params: Any) -> None:
            console.print(tr(msg_id, **params), markup=False, highlight=False)

        if not r["enabled"]:
            line("cli.fleet.not-joined")
            return
        line("cli.fleet.box", box=r["box_id"], broker=r["broker"])
        creds = "present" if r["credentials_present"] else "missing"
        line(f"cli.fleet.credentials-{creds}", path=r["credentials"])
        if r["ca_file"]:
            line("cli.fleet.ca", path=r["ca_file"])
        else:
            line("cli.fleet.ca-system")
        if r["allow_commands"]:
            line("cli.fleet.allowed", commands=list(r["allow_commands"]))
        else:
            line("cli.fleet.allowed-none")
        line(
            "cli.fleet.home-assistant-on" if r["home_assistant"] else "cli.fleet.home-assistant-off"
        )
        if r["outbox"]:
            waiting = [f"{k} {v}" for k, v in sorted(r["outbox"].items())]
            line("cli.fleet.outbox", waiting=waiting)
        else:
            line("cli.fleet.outbox-empty")
        rep = r["reporter"]
        if r["daemon"] != "running":
            line("cli.fleet.daemon-not-running")
        elif rep is None:
            line("cli.fleet.reporter-not-running")
        else:
            link = {True: "connected", False: "disconnected"}.get(rep.get("connected"))
            text = tr("cli.fleet.reporter", state=str(rep.get("state")))
            text += tr(f"cli.fleet.{link}") if link else ""
            text += f" ({rep.get('last_error')})" if rep.get("last_error") else ""
            console.print(text, markup=False, highlight=False)

    emit(result, as_json, show)
    if fleet.enabled and not result["credentials_present"]:
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    app.command()(join)
    app.command()(leave)
    app.command()(status)
