"""`simspot doctor`: is this box ready to share, and if not, which command fixes it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from simspot.cli.common import ConfigOpt, JsonOpt, console, errors_as_messages

MARKS = {"ok": "[green]ok  [/]", "warn": "[yellow]warn[/]", "fail": "[red]FAIL[/]"}


def doctor(
    config: ConfigOpt = None,
    as_json: JsonOpt = False,
    dbus_address: Annotated[
        str | None,
        typer.Option(help="D-Bus address to ask ModemManager on (default: the system bus)."),
    ] = None,
) -> None:
    """Check every prerequisite of the configured backends and print the command that fixes each
    problem; exits 1 when something keeps the hotspot from sharing."""
    from rich.markup import escape

    from simspot import config as cfg
    from simspot.paths import DEFAULT_CONFIG_PATH
    from simspot.setup.checks import blocking, run_checks
    from simspot.setup.probe import Facts, gather

    with errors_as_messages(as_json):
        path = config or DEFAULT_CONFIG_PATH
        found = Path(path).exists()
        conf = cfg.load(config) if found or config else cfg.Config()
        if conf.modem.dbus_address and not dbus_address:
            dbus_address = conf.modem.dbus_address
        facts = Facts.of(gather(dbus_address=dbus_address))
        checks = run_checks(facts, conf, config_found=found)
    failed = blocking(checks)
    if as_json:
        print(
            json.dumps(
                {
                    "ok": not failed,
                    "config": str(path),
                    "checks": [c.as_dict() for c in checks],
                },
                indent=2,
                ensure_ascii=False,
            )
        )
    else:
        from simspot.i18n import env_language, render

        lang = env_language()
        for c in checks:
            console.print(f"{MARKS[c.status]} {escape(c.text(lang))}", highlight=False)
            if c.fix and c.status != "ok":
                # the fix in bold inside its sentence ("fix: {fix}")
                before, _, after = render("cli.doctor.fix", {"fix": "\0"}, lang).partition("\0")
                fix = escape(c.fix_text(lang) or "")
                console.print(
                    f"      {escape(before)}[bold]{fix}[/]{escape(after)}", highlight=False
                )
        if failed:
            text = render("cli.doctor.problems", {"count": len(failed)}, lang)
            console.print(f"[red]{escape(text)}[/]", highlight=False)
        else:
            console.print(f"[green]{escape(render('cli.doctor.ok', {}, lang))}[/]")
    if failed:
        raise typer.Exit(1)
