"""`simspot usage [--by uplink|client] [--period cycle|day|hour]` and per-client limits."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any

import typer

from simspot.cli.common import (
    ConfigOpt,
    JsonOpt,
    StateDirOpt,
    console,
    daemon_client,
    emit,
    errors_as_messages,
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


def _size(n: int | None) -> str:
    from simspot.plans.model import format_bytes

    return format_bytes(n)


def _render(data: dict[str, Any]) -> None:
    from rich.table import Table

    rows = data["rows"]
    if not rows:
        console.print("nothing counted yet")
        return
    key = "ICCID" if data["by"] == "uplink" else "MAC"
    t = Table(key, "name", "from", "to", "down", "up", "total", title=f"usage per {data['period']}")
    extra = data["by"] == "uplink" and data["period"] == "cycle"
    if extra:
        t.add_column("used (corrected)")
        t.add_column("allowance")
    for r in rows:
        cells = [
            r["key"], r.get("label") or "-", r["start"][:16], r["end"][:16],
            _size(r["rx_bytes"]), _size(r["tx_bytes"]), _size(r["total_bytes"]),
        ]  # fmt: skip
        if extra:
            has_plan = "used_bytes" in r
            cells += [
                _size(r["used_bytes"]) if has_plan else "-",
                _size(r["allowance_bytes"]) if has_plan else "no plan",
            ]
        t.add_row(*cells)
    console.print(t)


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
    with errors_as_messages(as_json):
        client = daemon_client(state_dir, config)
        data = client.get("/usage", params={"by": by.value, "period": period.value})
        emit(data, as_json, _render)


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
    with errors_as_messages(as_json):
        body = {"day_bytes": day, "cycle_bytes": cycle, "rate_down_kbit": down_kbit,
                "rate_up_kbit": up_kbit}  # fmt: skip
        out = daemon_client(state_dir, config).request("PUT", f"/usage/limits/{mac}", json=body)
        emit(out, as_json, lambda d: console.print(f"limits of {d['mac']}: {_describe(d)}"))


def _describe(d: dict[str, Any]) -> str:
    parts = []
    if d.get("day_bytes") is not None:
        parts.append(f"{_size(d['day_bytes'])} a day")
    if d.get("cycle_bytes") is not None:
        parts.append(f"{_size(d['cycle_bytes'])} a cycle")
    if d.get("rate_down_kbit") is not None:
        parts.append(f"down {d['rate_down_kbit']} kbit/s")
    if d.get("rate_up_kbit") is not None:
        parts.append(f"up {d['rate_up_kbit']} kbit/s")
    return ", ".join(parts) or "none"


@app.command()
def limits(
    as_json: JsonOpt = False, state_dir: StateDirOpt = None, config: ConfigOpt = None
) -> None:
    """Every client's caps and speed limits."""
    with errors_as_messages(as_json):
        out = daemon_client(state_dir, config).get("/usage/limits")

        def render(d: dict[str, Any]) -> None:
            if not d["limits"]:
                console.print("no client limits")
            for lim in d["limits"]:
                console.print(f"{lim['mac']}: {_describe(lim)}")

        emit(out, as_json, render)
