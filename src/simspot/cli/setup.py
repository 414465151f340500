"""`simspot setup`: detect the hardware, write the config, install and start the service."""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from simspot.cli.common import console, err_console, errors_as_messages, fail, tr


def setup(
    config: Annotated[Path, typer.Option("--config", help="Where to write the config.")] = Path(
        "/etc/simspot/simspot.toml"
    ),
    yes: Annotated[
        bool,
        typer.Option(
            "--yes",
            "-y",
            help="Ask nothing: take the safe choice for every question and apply the safe fixes "
            "(fixes that change the host's DNS or stop other services still need a yes).",
        ),
    ] = False,
    dry_run: Annotated[
        bool,
        typer.Option("--dry-run", help="Show what setup found and would write; change nothing."),
    ] = False,
    start: Annotated[
        bool,
        typer.Option(
            "--start/--no-start", help="Start the service now (it is enabled either way)."
        ),
    ] = True,
    unit_dir: Annotated[Path, typer.Option(help="Where the systemd unit goes.")] = Path(
        "/etc/systemd/system"
    ),
    dbus_address: Annotated[
        str | None,
        typer.Option(help="D-Bus address to ask ModemManager on (default: the system bus)."),
    ] = None,
) -> None:
    """Set this box up as a hotspot: detect the modem, Wi-Fi, Ethernet, card readers and battery,
    write the config, resolve conflicts (with your consent), install and start the service."""
    from rich.markup import escape

    from simspot.i18n import env_language
    from simspot.setup.install import install
    from simspot.setup.plan import Fix, HostSystem, Question, localized
    from simspot.setup.probe import Facts, gather

    lang = env_language()

    def say(msg_id: str, style: str | None = None, stream: Any = console, **params: Any) -> None:
        text = escape(tr(msg_id, **params))
        stream.print(f"[{style}]{text}[/]" if style else text, highlight=False)

    def steps_of(fix: Fix) -> str:
        return "; ".join(localized(step, lang) for step in fix.describe())

    if not dry_run and os.geteuid() != 0:
        fail(
            "setup changes the system: run it as root (sudo simspot setup), or use --dry-run",
            said={"id": "cli.setup.not-root", "params": {}},
        )
    interactive = not yes and sys.stdin.isatty()

    def ask(q: Question) -> str | None:
        if not interactive:
            return q.default
        hint = f" [{'/'.join(q.choices)}]" if q.choices else ""
        answer: str = typer.prompt(
            f"{localized(q.text, lang)}{hint}",
            default=q.default or "",
            show_default=bool(q.default),
        )
        return answer or q.default

    def consent(fix: Fix) -> bool:
        problem, steps = localized(fix.problem, lang), steps_of(fix)
        if yes and fix.safe:
            say("cli.setup.fixing", problem=problem, steps=steps)
            return True
        if not interactive:
            return False
        return typer.confirm(tr("cli.setup.fix-it", problem=problem, steps=steps), default=fix.safe)

    executable = shutil.which("simspot") or str(Path(sys.argv[0]).resolve())
    with errors_as_messages():
        facts = Facts.of(gather(dbus_address=dbus_address))
        report = install(
            facts,
            HostSystem(),
            ask,
            consent,
            config_path=config,
            unit_dir=unit_dir,
            executable=str(Path(executable).resolve()),
            start=start,
            dry_run=dry_run,
        )
    say("cli.setup.found", "bold")
    for line in report.found:
        console.print(f"  {escape(localized(line, lang))}", highlight=False)
    for note in report.notes:
        say("cli.setup.note", "yellow", note=localized(note, lang))
    if dry_run:
        say("cli.setup.would-write", "bold", path=str(config))
        console.file.flush()
        sys.stdout.write(report.config_text)  # as it would be written: no wrapping, no markup
        sys.stdout.flush()
        for fix in report.left:
            say("cli.setup.conflict", "yellow", problem=localized(fix.problem, lang),
                steps=steps_of(fix))  # fmt: skip
        if report.admin_lan_url:
            say("cli.setup.admin-lan-later", url=report.admin_lan_url)
        return
    for done in report.fixed:
        say("cli.setup.fixed", "green", problem=localized(done, lang))
    for fix in report.left:
        say("cli.setup.not-fixed", "yellow", problem=localized(fix.problem, lang),
            steps=steps_of(fix))  # fmt: skip
    if report.backup:
        say("cli.setup.backup", path=str(report.backup))
    say("cli.setup.written", path=str(config))
    if report.unit_path:
        say("cli.setup.installed", path=str(report.unit_path))
    for problem in report.problems:
        say("cli.setup.problem", "red", err_console, problem=localized(problem, lang))
    say("cli.setup.admin", url=report.admin_url)
    if report.admin_lan_url:
        say("cli.admin.lan", url=report.admin_lan_url)
        console.print("  " + escape(tr("cli.admin.fingerprint",
                                       fingerprint=str(report.admin_fingerprint))), highlight=False)  # fmt: skip
        say("cli.setup.self-signed")
    where = str(report.password_file)
    if report.password_ready:
        say("cli.setup.password", path=where)
    else:
        say("cli.setup.password-later", path=where)
    say("cli.setup.doctor")
    if report.problems:
        raise typer.Exit(1)
