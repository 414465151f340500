"""`simspot config`: check a config file, print every key with its meaning."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from simspot.cli.common import JsonOpt, console, fail, tr

app = typer.Typer(
    help="The config file: check one before using it, or list every key.",
    no_args_is_help=True,
)


@app.command()
def check(
    file: Annotated[Path, typer.Argument(help="The TOML file to check.")],
    as_json: JsonOpt = False,
) -> None:
    """Load FILE as the daemon would and say whether it is valid, naming every bad key."""
    from simspot import config as cfg
    from simspot.errors import ConfigError

    try:
        conf = cfg.load(file, required=True)
    except ConfigError as exc:
        if as_json:
            print(json.dumps({"ok": False, "file": str(file), "error": str(exc)}))
            raise typer.Exit(1) from None
        fail(str(exc), said=exc.message_json())
    from simspot.setup.checks import live_backends

    backends = live_backends(conf)
    if as_json:
        print(json.dumps({"ok": True, "file": str(file), "backends": backends}))
        return
    console.print(tr("cli.config.valid", file=str(file)))
    console.print(tr("cli.config.backends", backends=[f"{k} {v}" for k, v in backends.items()]))


@app.command()
def keys(as_json: JsonOpt = False) -> None:
    """Every config key with its type, default and meaning (as docs/CONFIG.md)."""
    from simspot.setup import configdoc

    if as_json:
        items = [
            {"key": k.path, "type": k.type, "default": k.default, "meaning": k.meaning}
            for k in configdoc.keys()
        ]
        print(json.dumps(items, indent=2, ensure_ascii=False))
        return
    print(configdoc.render_markdown(), end="")
