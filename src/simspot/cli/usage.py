"""`simspot usage [--by uplink|client] [--period cycle|day|hour]` and per-client limits."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any

import typer

from simspot.cli.common import (
    ConfigOpt,
    JsonOpt,
    StateDirOpt,
    call_daemon,
    console,
    format_size,
    language,
    or_dash,
    print_table,
    tr,
    word,
)

app = typer.Typer(
    help="Data use per uplink (SIM) or per client, per cycle, day or hour; client caps.",
    invoke_without_command=True,
)


class By(StrEnum):
    uplink = "uplink"
    client = "client"


class PeriodKind(StrEnum):
    cycle = "cycle"
    day = "day"
    hour = "hour"


def _render(data: dict[str, Any]) -> None:
    rows = data["rows"]
    if not rows:
        console.print(tr("cli.usage.nothing"))
        return
    key = "ICCID" if data["by"] == "uplink" else "MAC"
    names = ["name", "from", "to", "down", "up", "total"]
    extra = data["by"] == "uplink" and data["period"] == "cycle"
    if extra:
        names += ["corrected", "allowance"]
    columns = [key, *(tr(f"cli.usage.col.{c}") for c in names)]
    cells = []
    for r in rows:
        row = [
            r["key"], or_dash(r.get("label")), r["start"][:16], r["end"][:16],
            format_size(r["rx_bytes"]), format_size(r["tx_bytes"]),
            format_size(r["total_bytes"]),
        ]  # fmt: skip
        if extra:
            has_plan = "used_bytes" in r
            row += [
                format_size(r["used_bytes"]) if has_plan else "-",
                format_size(r["allowance_bytes"]) if has_plan else tr("cli.usage.no-plan"),
            ]
        cells.append(row)
    print_table(
        columns, cells, title=tr("cli.usage.title", period=word("cli.usage.per", data["period"]))
    )


@app.callback()
def usage(
    ctx: typer.Context,
    by: Annotated[By, typer.Option("--by", help="Per uplink identity or per client.")] = By.uplink,
    period: Annotated[
        PeriodKind, typer.Option("--period", help="This cycle, its days, or today's hours.")
    ] = PeriodKind.cycle,
    as_json: JsonOpt = False,
    state_dir: StateDirOpt = None,
    config: ConfigOpt = None,
) -> None:
    """Data use counted by the data plane's kernel counters (both directions)."""
    if ctx.invoked_subcommand is not None:
        return
    call_daemon(
        "GET", "/usage", _render, as_json=as_json, state_dir=state_dir, config=config,
        params={"by": by.value, "period": period.value},
    )  # fmt: skip


@app.command()
def limit(
    mac: Annotated[str, typer.Argument(help="The client's MAC address.")],
    day: Annotated[str | None, typer.Option("--day", help="Cap per local day, e.g. 500MB.")] = None,
    cycle: Annotated[
        str | None, typer.Option("--cycle", help="Cap per billing cycle, e.g. 5GB.")
    ] = None,
    down_kbit: Annotated[
        int | None, typer.Option("--down-kbit", help="Download speed limit.")
    ] = None,
    up_kbit: Annotated[int | None, typer.Option("--up-kbit", help="Upload speed limit.")] = None,
    as_json: JsonOpt = False,
    state_dir: StateDirOpt = None,
    config: ConfigOpt = None,
) -> None:
    """Set a client's caps and speed limits (none given: remove them)."""
    body = {"day_bytes": day, "cycle_bytes": cycle, "rate_down_kbit": down_kbit,
            "rate_up_kbit": up_kbit}  # fmt: skip
    call_daemon(
        "PUT", f"/usage/limits/{mac}",
        lambda d: console.print(tr("cli.usage.limits", mac=d["mac"], limits=_describe(d))),
        as_json=as_json, state_dir=state_dir, config=config, json=body,
    )  # fmt: skip


def _describe(d: dict[str, Any]) -> str:
    parts = []
    if d.get("day_bytes") is not None:
        parts.append(tr("cli.usage.per-day", size=format_size(d["day_bytes"])))
    if d.get("cycle_bytes") is not None:
        parts.append(tr("cli.usage.per-cycle", size=format_size(d["cycle_bytes"])))
    if d.get("rate_down_kbit") is not None:
        parts.append(tr("cli.usage.down", kbit=d["rate_down_kbit"]))
    if d.get("rate_up_kbit") is not None:
        parts.append(tr("cli.usage.up", kbit=d["rate_up_kbit"]))
    return ("、" if language() == "zh" else ", ").join(parts) or tr("cli.usage.none")


@app.command()
def limits(
    as_json: JsonOpt = False, state_dir: StateDirOpt = None, config: ConfigOpt = None
) -> None:
    """Every client's caps and speed limits."""
    call_daemon(
        "GET", "/usage/limits", _render_limits, as_json=as_json, state_dir=state_dir, config=config
    )


def _render_limits(d: dict[str, Any]) -> None:
    if not d["limits"]:
        console.print(tr("cli.usage.no-limits"))
    for lim in d["limits"]:
        console.print(f"{lim['mac']}: {_describe(lim)}")
