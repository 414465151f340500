"""`simspot setup`: detect the hardware, write the config, install and start the service."""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path
from typing import Annotated

import typer

from simspot.cli.common import console, err_console, errors_as_messages, fail


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

    from simspot.setup.install import install
    from simspot.setup.plan import Fix, HostSystem, Question
    from simspot.setup.probe import Facts, gather

    if not dry_run and os.geteuid() != 0:
        fail("setup changes the system: run it as root (sudo simspot setup), or use --dry-run")
    interactive = not yes and sys.stdin.isatty()

    def ask(q: Question) -> str | None:
        if not interactive:
            return q.default
        hint = f" [{'/'.join(q.choices)}]" if q.choices else ""
        answer: str = typer.prompt(
            f"{q.text}{hint}", default=q.default or "", show_default=bool(q.default)
        )
        return answer or q.default

    def consent(fix: Fix) -> bool:
        steps = "; ".join(fix.describe())
        if yes and fix.safe:
            console.print(f"fixing: {escape(fix.problem)} ({escape(steps)})", highlight=False)
            return True
        if not interactive:
            return False
        return typer.confirm(f"{fix.problem}. Fix it ({steps})?", default=fix.safe)

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
    console.print("[bold]Found:[/]")
    for line in report.found:
        console.print(f"  {escape(line)}", highlight=False)
    for note in report.notes:
        console.print(f"  [yellow]note:[/] {escape(note)}", highlight=False)
    if dry_run:
        console.print(f"[bold]Would write {escape(str(config))}:[/]", highlight=False)
        console.file.flush()
        sys.stdout.write(report.config_text)  # as it would be written: no wrapping, no markup
        sys.stdout.flush()
        for fix in report.left:
            console.print(f"[yellow]conflict:[/] {escape(fix.problem)}: "
                          f"{escape('; '.join(fix.describe()))}", highlight=False)  # fmt: skip
        if report.admin_lan_url:
            console.print(f"admin page on the hotspot: {report.admin_lan_url} (its certificate "
                          "is made when setup runs)", highlight=False)  # fmt: skip
        return
    for done in report.fixed:
        console.print(f"[green]fixed:[/] {escape(done)}", highlight=False)
    for fix in report.left:
        console.print(f"[yellow]not fixed:[/] {escape(fix.problem)}: "
                      f"{escape('; '.join(fix.describe()))}", highlight=False)  # fmt: skip
    if report.backup:
        console.print(f"previous config kept as {report.backup}")
    console.print(f"config written: {config}")
    if report.unit_path:
        console.print(f"service installed: {report.unit_path}")
    for problem in report.problems:
        err_console.print(f"[red]problem:[/] {escape(problem)}", highlight=False)
    console.print(f"admin page on this box: {report.admin_url}", highlight=False)
    if report.admin_lan_url:
        console.print(f"admin page on the hotspot: {report.admin_lan_url}", highlight=False)
        console.print(f"  certificate SHA-256: {report.admin_fingerprint}", highlight=False)
        console.print("  (a phone on the hotspot sees a self-signed certificate: accept it only "
                      "if its SHA-256 fingerprint is this one)", highlight=False)  # fmt: skip
    where = report.password_file
    if report.password_ready:
        console.print(f"initial admin password: sudo cat {where}")
    else:
        console.print(f"initial admin password: in {where} once the service has started")
    console.print("check the box any time with: simspot doctor")
    if report.problems:
        raise typer.Exit(1)
