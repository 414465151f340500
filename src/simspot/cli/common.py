"""What every CLI command shares: options, the daemon client, output as JSON or rich text."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer
from rich.console import Console

from simspot.errors import SimspotError

console = Console()
err_console = Console(stderr=True)

JsonOpt = Annotated[bool, typer.Option("--json", help="Print one JSON object instead of text.")]
StateDirOpt = Annotated[
    Path | None, typer.Option("--state-dir", help="State directory of the daemon to talk to.")
]
ConfigOpt = Annotated[
    Path | None,
    typer.Option("--config", help="Config file (default /etc/simspot/simspot.toml)."),
]


def fail(message: str, code: int = 1, *, as_json: bool = False) -> NoReturn:
    if as_json:
        print(json.dumps({"error": message}, ensure_ascii=False))
    else:
        err_console.print(f"[red]error:[/red] {message}", highlight=False, markup=True)
    raise typer.Exit(code)


@contextmanager
def errors_as_messages(as_json: bool = False) -> Iterator[None]:
    """Turn simspot's own errors into a clear message and exit code 1, never a traceback."""
    try:
        yield
    except SimspotError as exc:
        fail(str(exc), as_json=as_json)


def emit(data: Any, as_json: bool, render: Callable[[Any], None]) -> None:
    if as_json:
        sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2, default=str) + "\n")
    else:
        render(data)


def daemon_client(state_dir: Path | None, config: Path | None = None) -> Any:
    from simspot import config as cfg
    from simspot.cli.client import DaemonClient, resolve_state_dir

    configured = None
    if config is not None:
        configured = cfg.load(config).daemon.state_dir
    return DaemonClient(resolve_state_dir(state_dir, configured))
