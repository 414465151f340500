"""`simspot backup` and `simspot restore`: a consistent copy of the state, even while it runs."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer

from simspot.cli.common import ConfigOpt, JsonOpt, console, emit, errors_as_messages, tr

StateOpt = Annotated[
    Path | None, typer.Option("--state-dir", help="State directory (default: the configured one).")
]


def _state_dir(state_dir: Path | None, config: Path | None) -> Path:
    if state_dir is not None:
        return state_dir
    if env := os.environ.get("SIMSPOT_STATE_DIR"):
        return Path(env)
    from simspot import config as cfg
    from simspot.paths import DEFAULT_CONFIG_PATH, DEFAULT_STATE_DIR

    if config is not None or Path(DEFAULT_CONFIG_PATH).exists():
        return Path(cfg.load(config).daemon.state_dir)
    return DEFAULT_STATE_DIR


def backup(
    file: Annotated[Path, typer.Argument(help="The backup to write (a .tar.gz, owner-only).")],
    state_dir: StateOpt = None,
    config: ConfigOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Save the hotspot's state (usage, plans, devices, passwords, certificates) to FILE; safe
    while the daemon runs."""
    from simspot.backup import backup as make

    with errors_as_messages(as_json):
        sdir = _state_dir(state_dir, config)
        manifest = make(sdir, file)
        doc = {"file": str(file), "state_dir": str(sdir), "files": manifest["files"]}
        emit(
            doc,
            as_json,
            lambda d: console.print(tr("cli.backup.written", state=str(sdir), file=str(file))),
        )


def restore(
    file: Annotated[Path, typer.Argument(help="A backup written by simspot backup.")],
    state_dir: StateOpt = None,
    config: ConfigOpt = None,
    force: Annotated[
        bool, typer.Option("--force", help="Replace existing state (it is kept beside).")
    ] = False,
    as_json: JsonOpt = False,
) -> None:
    """Put a backup back as the state directory (the daemon must be stopped)."""
    from simspot.backup import restore as put_back

    with errors_as_messages(as_json):
        sdir = _state_dir(state_dir, config)
        kept = put_back(file, sdir, force=force)
        doc = {"state_dir": str(sdir), "previous_kept_at": str(kept) if kept else None}

        def text(_: object) -> None:
            console.print(tr("cli.backup.restored", file=str(file), state=str(sdir)))
            if kept:
                console.print(tr("cli.backup.kept", kept=str(kept)))

        emit(doc, as_json, text)
