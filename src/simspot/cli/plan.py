"""`simspot plan add|edit|list|show|delete|set-used`: data plans of the SIMs and eSIM profiles."""

from __future__ import annotations

import datetime as dt
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

app = typer.Typer(help="Data plans: allowance, tethering allowance, billing cycle, limit action.")

RefArg = Annotated[str, typer.Argument(help="The plan's id, ICCID or name.")]
NameOpt = Annotated[str | None, typer.Option("--name", help="A name for the plan.")]
AllowanceOpt = Annotated[
    str | None, typer.Option("--allowance", help="Data allowance per cycle: 5GB, 500MB, unlimited.")
]
TetherOpt = Annotated[
    str | None,
    typer.Option("--tethering", help="Separate hotspot allowance: 2GB, or unlimited (none)."),
]
TetherAllowedOpt = Annotated[
    bool | None,
    typer.Option("--tethering-allowed/--no-tethering", help="Whether the plan allows sharing."),
]
MonthlyOpt = Annotated[
    int | None,
    typer.Option("--monthly-day", help="Cycle renews on this day (1-31; 29-31: month end)."),
]
EveryOpt = Annotated[int | None, typer.Option("--every-days", help="Cycle of N days from --start.")]
StartOpt = Annotated[
    str | None, typer.Option("--start", help="Start date (every-N-days) or time (prepaid).")
]
ExpiresOpt = Annotated[
    str | None, typer.Option("--expires", help="Prepaid: valid until (ISO time with offset).")
]
TzOpt = Annotated[str | None, typer.Option("--timezone", help="IANA time zone of the cycle.")]
PriceOpt = Annotated[str | None, typer.Option("--price", help="Price (e.g. 9.99).")]
PerOpt = Annotated[str | None, typer.Option("--per", help="Price per 'cycle' or per 'gb'.")]
CurrencyOpt = Annotated[str | None, typer.Option("--currency", help="ISO 4217 code, e.g. EUR.")]
MccOpt = Annotated[
    list[str] | None,
    typer.Option("--mcc", help="Country (MCC) where a roaming plan is valid; repeat."),
]
ActionOpt = Annotated[
    str | None, typer.Option("--action", help="At the limit: stop, throttle or switch.")
]
ThrottleOpt = Annotated[
    int | None, typer.Option("--throttle-kbit", help="Speed after the limit (action throttle).")
]


def _body(
    *,
    name: str | None,
    allowance: str | None,
    tethering: str | None,
    tethering_allowed: bool | None,
    monthly_day: int | None,
    every_days: int | None,
    start: str | None,
    expires: str | None,
    timezone: str | None,
    price: str | None,
    per: str | None,
    currency: str | None,
    mcc: list[str] | None,
    action: str | None,
    throttle_kbit: int | None,
) -> dict[str, Any]:
    from simspot.errors import SimspotValueError

    body: dict[str, Any] = {}
    if name is not None:
        body["name"] = name
    if allowance is not None:
        body["allowance_bytes"] = allowance
    if tethering is not None:
        body["tethering_allowance_bytes"] = tethering
    if tethering_allowed is not None:
        body["tethering_allowed"] = tethering_allowed
    kinds = [k for k, v in (("monthly", monthly_day), ("every", every_days), ("prepaid", expires))
             if v is not None]  # fmt: skip
    if len(kinds) > 1:
        raise SimspotValueError("give only one of --monthly-day, --every-days and --expires")
    if monthly_day is not None:
        body["cycle"] = {"kind": "monthly", "day": monthly_day}
    elif every_days is not None:
        if start is None:
            raise SimspotValueError("--every-days needs --start (the first day of a cycle)")
        body["cycle"] = {"kind": "every", "days": every_days, "start": start}
    elif expires is not None:
        now = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
        body["cycle"] = {"kind": "prepaid", "start": start or now, "expires": expires}
    if timezone is not None:
        body["timezone"] = timezone
    if price is not None or currency is not None or per is not None:
        if price is None or currency is None:
            raise SimspotValueError("a price needs both --price and --currency")
        body["price"] = {"amount": price, "currency": currency, "per": per or "cycle"}
    if mcc:
        body["mccs"] = mcc
    if action is not None:
        body["action"] = action
    if throttle_kbit is not None:
        body["throttle_kbit"] = throttle_kbit
    return body


def _size(n: int | None) -> str:
    from simspot.plans.model import format_bytes

    return format_bytes(n)


def _render_list(data: dict[str, Any]) -> None:
    from rich.table import Table

    plans = data["plans"]
    if not plans:
        console.print(
            "no plans yet; add one with `simspot plan add ICCID --name ... --allowance ...`"
        )
        return
    t = Table(
        "id", "name", "ICCID", "used", "allowance", "tethering", "%", "cycle ends", "at limit"
    )
    for st in plans:
        p = st["plan"]
        pct = "-" if st["percent"] is None else f"{st['percent']:.0f}"
        tether = (
            f"{_size(st['tethering_used_bytes'])} / {_size(p['tethering_allowance_bytes'])}"
            if p["tethering_allowance_bytes"] is not None
            else ("allowed" if p["tethering_allowed"] else "not allowed")
        )
        t.add_row(
            str(st["id"]), p["name"], p["iccid"], _size(st["used_bytes"]),
            _size(p["allowance_bytes"]), tether, pct, (st["cycle_end"] or "expired")[:16],
            p["action"] + ("" if not st["exhausted"] else " [red](reached)[/]"),
        )  # fmt: skip
    console.print(t)


def _render_one(st: dict[str, Any]) -> None:
    p = st["plan"]
    cyc = p["cycle"]
    if cyc["kind"] == "monthly":
        cycle = f"monthly on day {cyc['day']}"
    elif cyc["kind"] == "every":
        cycle = f"every {cyc['days']} days from {cyc['start']}"
    else:
        cycle = f"prepaid {cyc['start']} until {cyc['expires']}"
    console.print(f"[bold]{p['name']}[/] (plan {st['id']}) on SIM {p['iccid']}")
    console.print(
        f"  cycle: {cycle} ({p['timezone']}); now {st['cycle_start']} .. {st['cycle_end']}"
    )
    console.print(
        f"  used: {_size(st['used_bytes'])} of {_size(p['allowance_bytes'])}"
        + (f" ({st['percent']:.1f}%)" if st["percent"] is not None else "")
        + (f", corrected by {_size(st['corrected_bytes'])}" if st["corrected_bytes"] else "")
    )
    if p["tethering_allowance_bytes"] is not None:
        console.print(
            f"  tethering: {_size(st['tethering_used_bytes'])} of "
            f"{_size(p['tethering_allowance_bytes'])}"
        )
    if not p["tethering_allowed"]:
        console.print("  tethering: not allowed by this plan (sharing is held off on this SIM)")
    console.print(f"  remaining: {_size(st['remaining_bytes'])}; at the limit: {p['action']}")
    if p["price"]:
        console.print(
            f"  price: {p['price']['amount']} {p['price']['currency']} per {p['price']['per']}"
            f"; this cycle so far: {st['cost']} {st['currency']}"
        )
    if p["mccs"]:
        console.print(f"  valid in MCCs: {', '.join(p['mccs'])}")
    if st["forecast"]:
        console.print(f"  {st['forecast']['explanation']}")


@app.command("list")
def list_plans(
    as_json: JsonOpt = False, state_dir: StateDirOpt = None, config: ConfigOpt = None
) -> None:
    """Every plan with its use this cycle."""
    with errors_as_messages(as_json):
        emit(daemon_client(state_dir, config).get("/plans"), as_json, _render_list)


@app.command()
def show(
    ref: RefArg, as_json: JsonOpt = False, state_dir: StateDirOpt = None, config: ConfigOpt = None
) -> None:
    """One plan: cycle, use, remaining, cost and the forecast."""
    with errors_as_messages(as_json):
        emit(daemon_client(state_dir, config).get(f"/plans/{ref}"), as_json, _render_one)


@app.command()
def add(
    iccid: Annotated[str, typer.Argument(help="ICCID of the SIM or eSIM profile.")],
    name: NameOpt = None,
    allowance: AllowanceOpt = None,
    tethering: TetherOpt = None,
    tethering_allowed: TetherAllowedOpt = None,
    monthly_day: MonthlyOpt = None,
    every_days: EveryOpt = None,
    start: StartOpt = None,
    expires: ExpiresOpt = None,
    timezone: TzOpt = None,
    price: PriceOpt = None,
    per: PerOpt = None,
    currency: CurrencyOpt = None,
    mcc: MccOpt = None,
    action: ActionOpt = None,
    throttle_kbit: ThrottleOpt = None,
    as_json: JsonOpt = False,
    state_dir: StateDirOpt = None,
    config: ConfigOpt = None,
) -> None:
    """Add a plan to a SIM (monthly on day 1 unless a cycle is given)."""
    with errors_as_messages(as_json):
        body = _body(
            name=name, allowance=allowance, tethering=tethering,
            tethering_allowed=tethering_allowed, monthly_day=monthly_day, every_days=every_days,
            start=start, expires=expires, timezone=timezone, price=price, per=per,
            currency=currency, mcc=mcc, action=action, throttle_kbit=throttle_kbit,
        )  # fmt: skip
        body = {"iccid": iccid, "name": name or f"SIM {iccid[-4:]}"} | body
        body.setdefault("cycle", {"kind": "monthly", "day": 1})
        emit(daemon_client(state_dir, config).post("/plans", json=body), as_json, _render_one)


@app.command()
def edit(
    ref: RefArg,
    name: NameOpt = None,
    allowance: AllowanceOpt = None,
    tethering: TetherOpt = None,
    tethering_allowed: TetherAllowedOpt = None,
    monthly_day: MonthlyOpt = None,
    every_days: EveryOpt = None,
    start: StartOpt = None,
    expires: ExpiresOpt = None,
    timezone: TzOpt = None,
    price: PriceOpt = None,
    per: PerOpt = None,
    currency: CurrencyOpt = None,
    mcc: MccOpt = None,
    action: ActionOpt = None,
    throttle_kbit: ThrottleOpt = None,
    as_json: JsonOpt = False,
    state_dir: StateDirOpt = None,
    config: ConfigOpt = None,
) -> None:
    """Change some fields of a plan."""
    with errors_as_messages(as_json):
        body = _body(
            name=name, allowance=allowance, tethering=tethering,
            tethering_allowed=tethering_allowed, monthly_day=monthly_day, every_days=every_days,
            start=start, expires=expires, timezone=timezone, price=price, per=per,
            currency=currency, mcc=mcc, action=action, throttle_kbit=throttle_kbit,
        )  # fmt: skip
        if action is not None and action != "throttle" and throttle_kbit is None:
            body["throttle_kbit"] = None
        client = daemon_client(state_dir, config)
        emit(client.request("PATCH", f"/plans/{ref}", json=body), as_json, _render_one)


@app.command()
def delete(
    ref: RefArg, as_json: JsonOpt = False, state_dir: StateDirOpt = None, config: ConfigOpt = None
) -> None:
    """Delete a plan (its SIM's usage history stays)."""
    with errors_as_messages(as_json):
        out = daemon_client(state_dir, config).request("DELETE", f"/plans/{ref}")
        emit(out, as_json, lambda d: console.print(f"deleted plan {d['id']} ({d['name']})"))


@app.command("set-used")
def set_used(
    ref: RefArg,
    used: Annotated[
        str | None, typer.Option("--used", help="Used this cycle, as the carrier counts it.")
    ] = None,
    tethering_used: Annotated[
        str | None, typer.Option("--tethering-used", help="Tethering used this cycle.")
    ] = None,
    note: Annotated[str | None, typer.Option("--note", help="Where the figure comes from.")] = None,
    as_json: JsonOpt = False,
    state_dir: StateDirOpt = None,
    config: ConfigOpt = None,
) -> None:
    """Correct "used this cycle" to the carrier's figure; counting continues from there."""
    with errors_as_messages(as_json):
        body = {"used_bytes": used, "tethering_used_bytes": tethering_used, "note": note}
        out = daemon_client(state_dir, config).post(f"/plans/{ref}/usage", json=body)
        emit(out, as_json, _render_one)
