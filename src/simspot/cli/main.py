"""`simspot` entry point: daemon commands (serve, demo), status, and the capability groups."""

from __future__ import annotations

import importlib
import importlib.util
import shutil
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape

from simspot import __version__
from simspot.cli.common import (
    ConfigOpt,
    JsonOpt,
    StateDirOpt,
    console,
    daemon_client,
    emit,
    errors_as_messages,
    format_bytes,
    given,
    held_by,
    in_reader_language,
    or_dash,
    print_table,
    tr,
    word,
)

app = typer.Typer(
    name="simspot",
    help="A managed cellular hotspot: SIM and eSIM uplinks, sharing, plans, battery guard.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

# Capability command groups: (name, module). Each module defines `app = typer.Typer(...)` and
# keeps heavy imports inside its commands so `simspot --help` stays fast.
GROUPS: tuple[tuple[str, str], ...] = (
    ("lab", "simspot.cli.lab"),
    ("plan", "simspot.cli.plan"),
    ("usage", "simspot.cli.usage"),
    ("esim", "simspot.cli.esim"),
    ("sim", "simspot.cli.sim"),
    ("hotspot", "simspot.cli.hotspot"),
    ("guest", "simspot.cli.guest"),
    ("uplink", "simspot.cli.uplink"),
    ("fleet", "simspot.cli.fleet"),
    ("simulate", "simspot.cli.simulate"),
)

for _name, _module in GROUPS:
    if importlib.util.find_spec(_module) is not None:
        app.add_typer(importlib.import_module(_module).app, name=_name)

# Setting the box up and checking it (simspot.cli.setup, .doctor, .configcmd; light imports).
from simspot.cli import configcmd as _configcmd  # noqa: E402
from simspot.cli import doctor as _doctor  # noqa: E402
from simspot.cli import setup as _setup  # noqa: E402

app.command("setup")(_setup.setup)
app.command("doctor")(_doctor.doctor)

# Backup and restore of the state (simspot.cli.backup; light imports).
from simspot.cli import backup as _backup  # noqa: E402

app.command("backup")(_backup.backup)
app.command("restore")(_backup.restore)
app.add_typer(_configcmd.app, name="config")


def _print_version(value: bool) -> None:
    if value:
        console.print(f"simspot {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool,
        typer.Option(
            "--version", is_eager=True, callback=_print_version, help="Print the version and exit."
        ),
    ] = False,
) -> None:
    """A managed cellular hotspot: SIM and eSIM uplinks, sharing, plans, battery guard."""


@app.command()
def version() -> None:
    """Print simspot's version (as --version)."""
    console.print(__version__)


@app.command()
def serve(
    config: ConfigOpt = None,
    state_dir: StateDirOpt = None,
    host: Annotated[str | None, typer.Option(help="API listen address (default: config).")] = None,
    port: Annotated[int | None, typer.Option(help="API port (default: config).")] = None,
    simulate: Annotated[
        bool,
        typer.Option(
            "--simulate",
            help="Run the built-in simulator for every backend the config leaves unset or sets "
            'to "simulated"/"virtual" (marked SIMULATED everywhere).',
        ),
    ] = False,
) -> None:
    """Run the hotspot service (what simspot.service runs): it alone drives the modem, the
    eUICC and the firewall; the CLI and the web page talk to it."""
    import asyncio

    from simspot import config as cfg
    from simspot import log
    from simspot.asgiserve import bind
    from simspot.daemon.auth import INITIAL_PASSWORD_FILE
    from simspot.daemon.build import build_backends
    from simspot.daemon.runtime import Daemon
    from simspot.daemon.server import serve
    from simspot.errors import ConfigError
    from simspot.fsutil import write_private

    with errors_as_messages():
        conf = cfg.load(config)
        if conf.simulator.scenario is not None:
            raise ConfigError(
                msg_id="cli.serve.scenario", params={"scenario": conf.simulator.scenario}
            )
        updates = given(state_dir=state_dir, api_host=host, api_port=port)
        if updates:
            conf = cfg.validate(
                conf.model_dump() | {"daemon": conf.daemon.model_dump() | updates}, "options"
            )
        log.setup(conf.daemon.log_level, conf.daemon.log_format)
        daemon = Daemon(conf, build_backends(conf, simulate=simulate))
        conf.daemon.state_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        new_password = daemon.auth.setup()
        if new_password:
            path = conf.daemon.state_dir / INITIAL_PASSWORD_FILE
            write_private(path, new_password + "\n")
            console.print(tr("cli.serve.first-start", path=str(path)), markup=False)
        sock = bind(conf.daemon.api_host, conf.daemon.api_port)
        asyncio.run(
            serve(
                daemon,
                sock,
                lambda url: console.print(tr("cli.serve.serving", url=url), markup=False),
            )
        )


@app.command()
def demo(
    port: Annotated[int, typer.Option(help="Port for the web UI and API.")] = 8765,
    host: Annotated[str, typer.Option(help="Listen address.")] = "127.0.0.1",
    clients: Annotated[int, typer.Option(help="Simulated hotspot clients.", min=0, max=250)] = 4,
    speed: Annotated[
        float | None,
        typer.Option(
            help="Simulated seconds per real second (default 60; 1 with --scenario).",
            min=0.01,
            max=10000,
        ),
    ] = None,
    seed: Annotated[int | None, typer.Option(help="Random seed, for a repeatable world.")] = None,
    state_dir: StateDirOpt = None,
    scenario: Annotated[
        str | None,
        typer.Option(
            help="Play a scripted story and watch the uplink policy act within a minute: "
            "travel (cross a border, the local eSIM, its plan runs out), "
            "home (a cable plugged in, then out), "
            "outage (the SIM in use stops answering, then recovers).",
        ),
    ] = None,
) -> None:
    """Run the daemon on the built-in simulator: no hardware, no root needed. Two modems
    (SIM 1 and the eSIM on the first, a SIM on the second) and a wired WAN port."""
    import asyncio

    from simspot import config as cfg
    from simspot import log
    from simspot.asgiserve import bind
    from simspot.cli.client import demo_state_dir
    from simspot.daemon.build import build_backends
    from simspot.daemon.runtime import Daemon
    from simspot.daemon.server import serve

    with errors_as_messages():
        from simspot.errors import SimspotValueError
        from simspot.simulator.scenarios import SCENARIOS, UPLINK_TIMING

        if scenario is not None and scenario not in SCENARIOS:
            raise SimspotValueError(
                msg_id="cli.demo.unknown-scenario",
                params={"scenario": scenario, "scenarios": list(SCENARIOS)},
            )
        sdir = state_dir or demo_state_dir()
        shutil.rmtree(sdir, ignore_errors=True)  # a fresh world (and password) every run
        uplink: dict[str, Any] = {"wired": [{"interface": "simwan0"}]}
        if scenario is not None:
            uplink |= UPLINK_TIMING  # the story's waits, shortened to fit in a minute
        conf = cfg.validate(
            {
                "daemon": {"state_dir": str(sdir), "api_host": host, "api_port": port},
                "simulator": {
                    "clients": clients,
                    "speed": speed if speed is not None else 1.0 if scenario else 60.0,
                    "seed": seed,
                    "modems": 2,
                    "wired_wan": True,
                    "scenario": scenario,
                },
                "uplink": uplink,
            },
            "demo",
        )
        log.setup("warning", "text")
        daemon = Daemon(conf, build_backends(conf, simulate=True))
        sdir.mkdir(parents=True, exist_ok=True, mode=0o700)
        password = daemon.auth.setup(reset_password=True)
        sock = bind(host, port, fallback_to_free_port=True)

        def ready(url: str) -> None:
            console.print(tr("cli.demo.running", url=url), style="bold green", markup=False)
            if scenario is not None:
                console.print(tr("cli.demo.scenario", scenario=scenario), markup=False)
            console.print(tr("cli.demo.password", password=password), markup=False)
            console.print(tr("cli.demo.state-dir", path=str(sdir)), markup=False)
            console.print(tr("cli.demo.try"), markup=False)
            sys.stdout.flush()

        asyncio.run(serve(daemon, sock, ready))
    console.print(tr("cli.demo.stopped"))


def _render_status(st: dict[str, Any]) -> None:
    modem = st.get("modem")
    console.print(
        tr(
            "cli.status.head",
            version=st["version"],
            mode=st["mode"],
            uptime=f"{st['uptime_s']:.0f}",
        ),
        markup=False,
    )
    if st.get("simulated"):
        text = tr("cli.status.simulated", backends=st["simulated"])
        console.print(f"[bold yellow]{escape(text)}[/]")
    if modem:
        roam = (
            " [yellow]" + escape(tr("reg.roaming")) + "[/]"
            if modem["registration"] == "roaming"
            else ""
        )
        rsrp = f" (RSRP {modem['rsrp_dbm']:.0f} dBm)" if modem.get("rsrp_dbm") is not None else ""
        line = tr(
            "cli.status.modem",
            name=modem.get("model") or modem["id"],
            state=word("cli.status.modem-state", modem["state"]),
            operator=modem.get("operator_name") or tr("cli.status.no-network"),
            tech=modem.get("access_tech") or "",
            signal=str(modem.get("signal_percent")),
        )
        console.print(escape(line) + rsrp + roam)
        lock, needs = _lock(modem)
        lock_line = escape(tr("cli.status.sim-lock", lock=lock))
        console.print(f"[yellow]{lock_line}[/]" if needs else lock_line)
        print_table(
            (tr("cli.status.col.slot"), tr("cli.status.col.kind"), tr("cli.status.col.active"),
             "ICCID", tr("cli.status.col.operator")),
            (
                (str(s["index"]), word("cli.status.kind", s["kind"]),
                 tr("term.yes") if s["active"] else "", or_dash(s.get("iccid")),
                 or_dash(s.get("operator_name")))
                for s in modem.get("slots", [])
            ),
            title=tr("cli.status.slots-title"),
        )  # fmt: skip
    else:
        console.print(tr("cli.modem.none"))
    sharing = st.get("sharing")
    if sharing is not None:
        held = held_by(sharing["reasons"], sharing.get("reasons_said"))
        if sharing["enabled"]:
            console.print(f"[green]{escape(tr('cli.status.sharing-on'))}[/]")
        else:
            console.print(f"[yellow]{escape(tr('cli.status.held-off', reasons=held))}[/]")
    why = in_reader_language(st.get("not_sharing") or "", st.get("not_sharing_message"))
    if why and (sharing is None or sharing["enabled"]):
        console.print(f"[bold red]{escape(tr('cli.not-sharing', why=why))}[/]")
    if st.get("admin_lan_url"):
        console.print(
            tr("cli.admin.lan", url=st["admin_lan_url"])
            + "\n  "
            + tr("cli.admin.fingerprint", fingerprint=str(st.get("admin_lan_fingerprint"))),
            markup=False,
        )
    bat = st.get("battery")
    if bat and bat.get("present"):
        state = "cli.status.charging" if bat["charging"] else "cli.status.on-battery"
        console.print(tr(state, percent=str(bat["percent"])), markup=False)
    print_table(
        ("MAC", "IPv4", tr("cli.status.col.hostname"), tr("cli.status.col.down"),
         tr("cli.status.col.up")),
        (
            (c["mac"], or_dash(c.get("ipv4")), or_dash(c.get("hostname")),
             format_bytes(c["rx_bytes"]), format_bytes(c["tx_bytes"]))
            for c in st.get("clients", [])
        ),
        title=tr("cli.status.clients-title"),
    )  # fmt: skip
    bad = [c for c in st.get("components", []) if c["state"] not in ("running",)]
    for c in bad:
        line = tr("cli.status.component", name=c["name"], state=c["state"])
        console.print(f"[red]{escape(line)}[/] {escape(c.get('last_error') or '')}")


def _lock(modem: dict[str, Any]) -> tuple[str, bool]:
    """The SIM's PIN lock state: what it needs before use and the attempts left for that; and
    whether it needs something."""
    needed = modem.get("unlock_required")
    if needed is None:
        return tr("cli.status.lock-unknown"), False
    if needed == "none":
        return tr("cli.status.unlocked"), False
    left = modem.get("unlock_retries")
    if left is None:
        return tr("cli.status.needs", needs=needed), True
    return tr("cli.status.needs-left", needs=needed, left=left), True


@app.command()
def status(
    as_json: JsonOpt = False, state_dir: StateDirOpt = None, config: ConfigOpt = None
) -> None:
    """Show what the hotspot is doing: uplink and signal, SIM slots, battery and clients.

    Exits 3 when the uplink is not shared (the reason is shown), 1 when no daemon answers.
    """
    with errors_as_messages(as_json):
        doc = daemon_client(state_dir, config).request("GET", "/status")
        emit(doc, as_json, _render_status)
    if isinstance(doc, dict) and doc.get("not_sharing"):
        raise typer.Exit(NOT_SHARING_EXIT)


NOT_SHARING_EXIT = 3


@app.command()
def passwd(state_dir: StateDirOpt = None, config: ConfigOpt = None) -> None:
    """Set a new generated admin password; a running daemon uses it at once."""
    from simspot import config as cfg
    from simspot.cli.client import DaemonClient
    from simspot.daemon.auth import Auth
    from simspot.errors import DaemonError

    with errors_as_messages():
        sdir = Path(state_dir or cfg.load(config).daemon.state_dir)
        password = Auth(sdir).setup(reset_password=True)
        console.print(tr("cli.passwd.new", password=password), markup=False)
        try:
            running = DaemonClient(sdir)
        except DaemonError:
            console.print(tr("cli.passwd.no-daemon"))
            return
        running.close()
        # The daemon re-reads the password file whenever it changed, before any login or
        # session check: the old password and every web session stop working now.
        console.print(tr("cli.passwd.daemon", url=running.url), markup=False)


def _flags_without_type(command: Any) -> None:
    """Show on/off flags as ``--json``, not ``--json <bool>`` (typer labels every option)."""
    context = command.context_class(command)
    help_option = command.get_help_option(context)  # made once and cached by the command
    for param in [*command.params, *([help_option] if help_option is not None else [])]:
        if getattr(param, "is_flag", False):
            param.metavar = ""
    for sub in getattr(command, "commands", {}).values():
        _flags_without_type(sub)


def cli() -> Any:
    """The click command behind ``app``, with flags shown without a type."""
    command = typer.main.get_command(app)
    _flags_without_type(command)
    return command


def main() -> None:
    cli()(prog_name="simspot")


if __name__ == "__main__":
    main()
