"""What every CLI command shares: options, the daemon client, output as JSON or rich text."""

from __future__ import annotations

import inspect
import json
import os
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any, NoReturn, TypeVar

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from simspot import units
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


def fail(
    message: str, code: int = 1, *, as_json: bool = False, said: dict[str, Any] | None = None
) -> NoReturn:
    """Print an error and exit: in ``$LANG``'s language when ``said`` names its sentence by id
    (``{"id", "params"}``, simspot.i18n); ``--json`` prints the English ``error`` and, when there
    is one, the ``message`` by id."""
    if as_json:
        out: dict[str, Any] = {"error": message}
        if said is not None:
            out["message"] = {"id": said["id"], "params": said["params"], "text": message}
        print(json.dumps(out, ensure_ascii=False))
    else:
        text = tr(said["id"], **said["params"]) if said is not None else message
        err_console.print(f"[red]{tr('cli.error')}[/red] {escape(text)}", highlight=False)
    raise typer.Exit(code)


@contextmanager
def errors_as_messages(as_json: bool = False) -> Iterator[None]:
    """Turn simspot's own errors into a clear message and exit code 1, never a traceback;
    in ``$LANG``'s language when the error names its sentence (simspot.i18n)."""
    try:
        yield
    except SimspotError as exc:
        if as_json:
            fail(str(exc), as_json=True, said=exc.message_json())
        err_console.print(
            f"[red]{tr('cli.error')}[/red] {escape(exc.localized(language()))}", highlight=False
        )
        raise typer.Exit(1) from None


def language() -> str:
    """The CLI's language ("en", "zh"), from LC_ALL, LC_MESSAGES or LANG."""
    for key in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = os.environ.get(key)
        if value:
            return "zh" if value.strip().lower().startswith("zh") else "en"
    return "en"


def tr(msg_id: str, /, **params: Any) -> str:
    """A sentence of the catalogue (simspot.i18n) in the CLI's language."""
    from simspot.i18n import render  # the catalogue: only when a sentence is printed

    return render(msg_id, params, "zh" if language() == "zh" else "en")


def in_reader_language(text: str, message: Any) -> str:
    """An English ``text`` the daemon answered, in the CLI's language when it also gave the
    sentence by id (``{"id", "params"}``) and the catalogue has it."""
    from simspot.i18n import CATALOGUE

    if language() == "zh" and isinstance(message, dict) and message.get("id") in CATALOGUE:
        return tr(str(message["id"]), **(message.get("params") or {}))
    return text


def held_by(reasons: dict[str, str], reasons_said: dict[str, Any] | None) -> str:
    """What holds sharing off, ``battery (battery at 9%, ...)``, in the CLI's language."""
    zh = language() == "zh"
    return ", ".join(
        f"{word('term', k) if zh else k} ({in_reader_language(v, (reasons_said or {}).get(k))})"
        for k, v in reasons.items()
    )


def word(prefix: str, value: Any) -> str:
    """A value the daemon answers as a word (``up``, ``pinned``) in the CLI's language, when the
    catalogue has it as ``<prefix>.<value>``; else the value as it is."""
    from simspot.i18n import CATALOGUE

    key = f"{prefix}.{value}"
    return tr(key) if key in CATALOGUE else str(value)


def said(msg_id: str) -> Callable[[Any], None]:
    """A renderer printing the catalogue sentence ``msg_id`` with the result's fields."""
    return lambda data: console.print(tr(msg_id, **data), highlight=False, markup=False)


def emit(data: Any, as_json: bool, render: Callable[[Any], None]) -> None:
    if as_json:
        sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2, default=str) + "\n")
    else:
        render(data)


def daemon_client(state_dir: Path | None, config: Path | None = None) -> Any:
    from simspot.cli.client import DaemonClient, resolve_state_dir

    configured = None
    if config is not None:
        from simspot import config as cfg  # pydantic models: only when a config file is named

        configured = cfg.load(config).daemon.state_dir
    return DaemonClient(resolve_state_dir(state_dir, configured))


def format_bytes(n: int | None) -> str:
    """A byte count for people, in SI units (1 kB = 1000 B); "-" when there is no figure."""
    return units.format_bytes(n, none="-")


def format_size(n: int | None) -> str:
    """A byte figure where no figure means no limit (plans, allowances, caps)."""
    return units.format_bytes(n, none="unlimited")


def given(**values: Any) -> dict[str, Any]:
    """The values that were given (not None), by name: for request bodies from options."""
    return {key: value for key, value in values.items() if value is not None}


def or_dash(value: Any) -> str:
    """A table cell: the value as text, or "-" when it is missing or empty."""
    return str(value) if value else "-"


def print_table(
    columns: Sequence[str], rows: Iterable[Sequence[str]], title: str | None = None
) -> None:
    """One rich table with these column headers and rows, printed to stdout."""
    table = Table(*columns, title=title)
    for row in rows:
        table.add_row(*row)
    console.print(table)


def say(template: str) -> Callable[[Any], None]:
    """A renderer printing ``template`` filled with the result's fields (``{mac} blocked``)."""
    return lambda data: console.print(template.format_map(data))


def call_daemon(
    method: str,
    path: str,
    render: Callable[[Any], None],
    *,
    as_json: bool,
    state_dir: Path | None,
    config: Path | None,
    **kwargs: Any,
) -> None:
    """The usual command: one request to the daemon, its answer as JSON or rendered as text;
    simspot errors (daemon not running, refused request) become a message and exit code 1."""
    with errors_as_messages(as_json):
        emit(daemon_client(state_dir, config).request(method, path, **kwargs), as_json, render)


CommandT = TypeVar("CommandT", bound=Callable[..., Any])


def with_options(template: Callable[..., Any]) -> Callable[[CommandT], CommandT]:
    """Give a command the options declared by ``template``'s parameters, besides its own.

    For option sets several commands share (typer reads a command's options from its signature):
    the command takes them as ``**kwargs``; they are listed after its arguments and before its own
    options. Apply it below ``@app.command()``.
    """
    kind = inspect.Parameter.POSITIONAL_OR_KEYWORD
    shared = [
        p.replace(kind=kind) for p in inspect.signature(template, eval_str=True).parameters.values()
    ]

    def decorate(command: CommandT) -> CommandT:
        own = [
            p.replace(kind=kind)
            for p in inspect.signature(command, eval_str=True).parameters.values()
            if p.kind is not p.VAR_KEYWORD
        ]
        first = next((i for i, p in enumerate(own) if p.default is not p.empty), len(own))
        command.__signature__ = inspect.Signature(own[:first] + shared + own[first:])  # type: ignore[attr-defined]
        return command

    return decorate


def join_qr(
    api_path: str,
    caption: Callable[[str], str],
    *,
    png: Path | None,
    svg: Path | None,
    as_json: bool,
    state_dir: Path | None,
    config: Path | None,
) -> None:
    """A join QR code from the daemon (`hotspot qr`, `guest qr`): in the terminal, or written as
    PNG/SVG files; ``caption`` says what the payload joins."""
    from simspot.hotspot import qr as wifi_qr

    with errors_as_messages(as_json):
        client = daemon_client(state_dir, config)
        text = client.get(api_path, params={"format": "text"})
        text = text.decode("utf-8") if isinstance(text, bytes) else str(text)
        written = []
        for path, render in ((png, wifi_qr.png), (svg, wifi_qr.svg)):
            if path is not None:
                try:
                    path.write_bytes(render(text))
                except OSError as exc:
                    fail(
                        f"cannot write {path}: {exc}",
                        as_json=as_json,
                        said={
                            "id": "cli.cannot-write",
                            "params": {"path": str(path), "problem": str(exc)},
                        },
                    )
                written.append(str(path))

        def show(data: dict[str, Any]) -> None:
            if not written:
                console.print(wifi_qr.terminal(text), highlight=False, markup=False)
                console.print(caption(text))
            for p in written:
                console.print(tr("cli.wrote", path=p), highlight=False)

        emit({"payload": text, "written": written}, as_json, show)
