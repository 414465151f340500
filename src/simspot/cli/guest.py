"""`simspot guest`: guest passes, a Wi-Fi key per person with its own allowance and end time."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape

from simspot.cli.common import (
    ConfigOpt,
    JsonOpt,
    StateDirOpt,
    call_daemon,
    console,
    daemon_client,
    emit,
    errors_as_messages,
    fail,
    format_size,
    join_qr,
    or_dash,
    print_table,
    tr,
    word,
)
from simspot.errors import SimspotValueError

app = typer.Typer(
    help="Guest passes: a Wi-Fi key per person with its own allowance, speed cap and end time "
    "(hostapd only; NetworkManager and wired sharing have no per-device keys)."
)

IdArg = Annotated[str, typer.Argument(help="The pass id (from simspot guest list).")]
UntilHelp = (
    "When the pass ends: 23:00 (today, or tomorrow once past), tonight (23:00), 2h, 90m, 3d, "
    "weekend (Sunday 23:59), or 2026-12-24T18:00 (local time unless a zone is given)."
)
_DURATION = re.compile(r"^(\d{1,4})\s*(m|min|h|d)$")
_CLOCK = re.compile(r"^(\d{1,2}):(\d{2})$")


def parse_until(text: str, now: dt.datetime) -> dt.datetime:
    """An end time from the words people use; ``now`` is an aware local time."""
    t = text.strip().lower()
    if not t:
        raise SimspotValueError(
            "until: is empty", field="until", msg_id="cli.guest.empty", params={"field": "until"}
        )
    if m := _DURATION.match(t):
        n, unit = int(m.group(1)), m.group(2)
        step = {"m": 60, "min": 60, "h": 3600, "d": 86400}[unit]
        if n <= 0:
            raise SimspotValueError(
                "until: a duration must be more than 0",
                field="until",
                msg_id="cli.guest.duration",
                params={"field": "until"},
            )
        return now + dt.timedelta(seconds=n * step)
    if t in ("tonight", "today"):
        t = "23:00" if t == "tonight" else "23:59"
    if m := _CLOCK.match(t):
        hour, minute = int(m.group(1)), int(m.group(2))
        if hour > 23 or minute > 59:
            raise SimspotValueError(
                f"until: {text!r} is not a time of day",
                field="until",
                msg_id="cli.guest.time-of-day",
                params={"field": "until", "value": repr(text)},
            )
        at = now.replace(hour=hour, minute=minute, second=0, microsecond=0)
        return at if at > now else at + dt.timedelta(days=1)
    if t in ("weekend", "this weekend", "end of weekend"):
        days = (6 - now.weekday()) % 7  # Sunday
        return (now + dt.timedelta(days=days)).replace(hour=23, minute=59, second=0, microsecond=0)
    if t == "tomorrow":
        return (now + dt.timedelta(days=1)).replace(hour=23, minute=59, second=0, microsecond=0)
    try:
        at = dt.datetime.fromisoformat(text.strip())
    except ValueError:
        raise SimspotValueError(
            f"until: {text!r} is not a time ({UntilHelp})",
            field="until",
            msg_id="cli.guest.time",
            params={"field": "until", "value": repr(text)},
        ) from None
    return at if at.tzinfo is not None else at.replace(tzinfo=now.tzinfo)


def _size(text: str | None, field: str) -> int | None:
    if text is None:
        return None
    from simspot.plans.model import parse_bytes

    return parse_bytes(text, field=field, allow_unlimited=True)


def _when(value: str | None) -> str:
    if not value:
        return "-"
    t = dt.datetime.fromisoformat(value).astimezone()
    return t.strftime("%a %d %b %H:%M")


def _usage(p: dict[str, Any]) -> str:
    limit = p["allowance_bytes"]
    used = format_size(p["used_bytes"])
    if limit is None:
        return tr("cli.guest.used-no-allowance", used=used)
    total = limit + p["topup_bytes"]
    return tr(
        "cli.guest.used-of",
        used=used,
        total=format_size(total),
        period=word("cli.guest.period", p["period"]),
    )


def _show_list(data: dict[str, Any]) -> None:
    if not data["supported"]:
        said = data.get("refusal_message")
        refusal = escape(tr(said["id"], **said["params"]) if said else str(data["refusal"]))
        console.print(f"[yellow]{tr('cli.guest.unavailable')}[/] {refusal}")
    rows = [
        (
            p["id"],
            p["name"],
            word("cli.guest.state", p["state"]),
            _usage(p),
            format_size(p["effective_remaining_bytes"]),
            f"{p['rate_kbit']} kbit/s" if p["rate_kbit"] else "-",
            _when(p["until"]),
            str(len(p["macs"])),
        )
        for p in data["passes"]
    ]
    if rows:
        columns = ("id", "name", "state", "used", "left", "cap", "until", "devices")
        print_table([tr(f"cli.guest.col.{c}") for c in columns], rows)
    elif data["supported"]:
        console.print(tr("cli.guest.none"))


def _show_pass(p: dict[str, Any]) -> None:
    def line(msg_id: str, **params: Any) -> None:
        console.print(tr(msg_id, **params), markup=False)

    line(
        "cli.guest.pass",
        id=p["id"],
        name=repr(p["name"]),
        state=word("cli.guest.state", p["state"]),
    )
    line("cli.guest.key", passphrase=p["passphrase"], key_id=p["key_id"])
    line("cli.guest.used", used=_usage(p))
    bounded = (
        p["plan_remaining_bytes"] is not None
        and p["effective_remaining_bytes"] == p["plan_remaining_bytes"]
    )
    left = format_size(p["effective_remaining_bytes"])
    line("cli.guest.left-bounded" if bounded else "cli.guest.left", left=left)
    line("cli.guest.cap", cap=or_dash(p["rate_kbit"] and str(p["rate_kbit"]) + " kbit/s"))
    line("cli.guest.until", until=_when(p["until"]))
    if p.get("revoked"):
        line("cli.guest.revoked-at", revoked=_when(p["revoked"]))
    line("cli.guest.devices", devices=", ".join(p["macs"]) or "-")
    note = tr("guest.clients-note") if p["clients_note"] else ""
    console.print(f"  [dim]{escape(note)}[/]")


@app.command("list")
def list_passes(
    as_json: JsonOpt = False, state_dir: StateDirOpt = None, config: ConfigOpt = None
) -> None:
    """List the guest passes: state, use, what is left, end, devices."""
    call_daemon("GET", "/guests", _show_list, as_json=as_json, state_dir=state_dir, config=config)


@app.command()
def add(
    name: Annotated[str, typer.Argument(help="Whose pass this is (shown in lists and events).")],
    until: Annotated[str, typer.Option("--until", help=UntilHelp)] = "tonight",
    allowance: Annotated[
        str | None, typer.Option("--allowance", help="Data allowance: 2GB, 500MB, unlimited.")
    ] = None,
    period: Annotated[
        str, typer.Option("--per", help="The allowance is per day, per cycle or in total.")
    ] = "total",
    cap: Annotated[
        int | None,
        typer.Option(
            "--cap", help="Speed cap in kbit/s (both ways), shared by all of the guest's devices."
        ),
    ] = None,
    as_json: JsonOpt = False,
    state_dir: StateDirOpt = None,
    config: ConfigOpt = None,
) -> None:
    """Add a guest pass with its own generated Wi-Fi key; show its key and QR code."""
    from simspot.hotspot import qr as wifi_qr

    with errors_as_messages(as_json):
        now = dt.datetime.now().astimezone()
        body: dict[str, Any] = {
            "name": name,
            "until": parse_until(until, now).isoformat(),
            "period": period,
            "allowance_bytes": _size(allowance, "allowance"),
            "rate_kbit": cap,
        }
        client = daemon_client(state_dir, config)
        p = client.request("POST", "/guests", json=body)
        text = client.get(f"/guests/{p['id']}/qr", params={"format": "text"})
        text = text.decode("utf-8") if isinstance(text, bytes) else str(text)

        def show(data: dict[str, Any]) -> None:
            _show_pass(data)
            console.print(wifi_qr.terminal(text), highlight=False, markup=False)

        emit(p | {"qr_payload": text}, as_json, show)


@app.command()
def show(
    pass_id: IdArg,
    as_json: JsonOpt = False,
    state_dir: StateDirOpt = None,
    config: ConfigOpt = None,
) -> None:
    """Show one pass with its key, use and devices."""
    call_daemon(
        "GET", f"/guests/{pass_id}", _show_pass, as_json=as_json, state_dir=state_dir,
        config=config, params={"reveal": "true"},
    )  # fmt: skip


@app.command()
def qr(
    pass_id: IdArg,
    png: Annotated[Path | None, typer.Option(help="Write the QR code as a PNG file.")] = None,
    svg: Annotated[Path | None, typer.Option(help="Write the QR code as an SVG file.")] = None,
    as_json: JsonOpt = False,
    state_dir: StateDirOpt = None,
    config: ConfigOpt = None,
) -> None:
    """Show the pass's join QR code (it contains the guest's key)."""
    join_qr(
        f"/guests/{pass_id}/qr",
        lambda _text: tr("cli.guest.qr-caption", id=pass_id),
        png=png, svg=svg, as_json=as_json, state_dir=state_dir, config=config,
    )  # fmt: skip


@app.command()
def revoke(
    pass_id: IdArg,
    as_json: JsonOpt = False,
    state_dir: StateDirOpt = None,
    config: ConfigOpt = None,
) -> None:
    """Revoke a pass: its key is removed and its devices are cut off and disconnected now."""
    call_daemon(
        "POST", f"/guests/{pass_id}/revoke",
        lambda p: console.print(tr("cli.guest.revoked", id=p["id"], name=p["name"]), markup=False),
        as_json=as_json, state_dir=state_dir, config=config,
    )  # fmt: skip


@app.command()
def extend(
    pass_id: IdArg,
    until: Annotated[str | None, typer.Option("--until", help=UntilHelp)] = None,
    topup: Annotated[
        str | None, typer.Option("--topup", help="More data for this period: 500MB, 1GB.")
    ] = None,
    allowance: Annotated[
        str | None, typer.Option("--allowance", help="A new allowance per period: 2GB.")
    ] = None,
    cap: Annotated[
        int | None,
        typer.Option("--cap", help="A new speed cap in kbit/s, shared by the guest's devices."),
    ] = None,
    no_cap: Annotated[bool, typer.Option("--no-cap", help="Remove the speed cap.")] = False,
    as_json: JsonOpt = False,
    state_dir: StateDirOpt = None,
    config: ConfigOpt = None,
) -> None:
    """Extend a pass or top it up; it takes effect at once."""
    with errors_as_messages(as_json):
        body: dict[str, Any] = {}
        if until is not None:
            body["until"] = parse_until(until, dt.datetime.now().astimezone()).isoformat()
        if topup is not None:
            body["topup_bytes"] = _size(topup, "topup")
        if allowance is not None:
            body["allowance_bytes"] = _size(allowance, "allowance")
        if cap is not None:
            body["rate_kbit"] = cap
        if no_cap:
            body["clear_rate"] = True
        if not body:
            fail(
                "nothing to extend: give --until, --topup, --allowance or --cap",
                as_json=as_json,
                said={"id": "cli.guest.nothing", "params": {}},
            )
        p = daemon_client(state_dir, config).request("POST", f"/guests/{pass_id}/extend", json=body)
        emit(p, as_json, _show_pass)
