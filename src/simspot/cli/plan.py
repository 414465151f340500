"""`simspot plan add|edit|list|show|delete|set-used`: data plans of the SIMs and eSIM profiles."""

from __future__ import annotations

import datetime as dt
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
    format_size,
    given,
    language,
    print_table,
    said,
    tr,
    with_options,
    word,
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
) -> dict[str, Any]:
    """The plan fields given as options (`plan add` and `plan edit` take these) as an API body."""
    from simspot.errors import SimspotValueError

    body = given(
        name=name, allowance_bytes=allowance, tethering_allowance_bytes=tethering,
        tethering_allowed=tethering_allowed,
    )  # fmt: skip
    kinds = [k for k, v in (("monthly", monthly_day), ("every", every_days), ("prepaid", expires))
             if v is not None]  # fmt: skip
    if len(kinds) > 1:
        raise SimspotValueError(
            "give only one of --monthly-day, --every-days and --expires",
            msg_id="cli.plan.one-cycle",
        )
    if monthly_day is not None:
        body["cycle"] = {"kind": "monthly", "day": monthly_day}
    elif every_days is not None:
        if start is None:
            raise SimspotValueError(
                "--every-days needs --start (the first day of a cycle)",
                msg_id="cli.plan.needs-start",
            )
        body["cycle"] = {"kind": "every", "days": every_days, "start": start}
    elif expires is not None:
        now = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
        body["cycle"] = {"kind": "prepaid", "start": start or now, "expires": expires}
    body |= given(timezone=timezone)
    if price is not None or currency is not None or per is not None:
        if price is None or currency is None:
            raise SimspotValueError(
                "a price needs both --price and --currency", msg_id="cli.plan.price"
            )
        body["price"] = {"amount": price, "currency": currency, "per": per or "cycle"}
    if mcc:
        body["mccs"] = mcc
    return body | given(action=action, throttle_kbit=throttle_kbit)


def _render_list(data: dict[str, Any]) -> None:
    if not data["plans"]:
        console.print(tr("cli.plan.none"), markup=False)
        return
    columns = ("id", "name", "ICCID", "used", "allowance", "tethering", "%", "cycle-ends",
               "at-limit")  # fmt: skip
    print_table(
        [c if c in ("ICCID", "%") else tr(f"cli.plan.col.{c}") for c in columns],
        map(_plan_row, data["plans"]),
    )


def _action(action: str) -> str:
    """What the plan does at its limit (stop, throttle, switch): a word in Chinese, as it is in
    English (the option's value)."""
    return word("term", action) if language() == "zh" else action


def _plan_row(st: dict[str, Any]) -> tuple[str, ...]:
    p = st["plan"]
    pct = "-" if st["percent"] is None else f"{st['percent']:.0f}"
    if p["tethering_allowance_bytes"] is not None:
        used, allowed = st["tethering_used_bytes"], p["tethering_allowance_bytes"]
        tether = f"{format_size(used)} / {format_size(allowed)}"
    else:
        tether = tr("cli.plan.allowed" if p["tethering_allowed"] else "cli.plan.not-allowed")
    reached = f" [red]{escape(tr('cli.plan.reached'))}[/]" if st["exhausted"] else ""
    return (
        str(st["id"]), p["name"], p["iccid"], format_size(st["used_bytes"]),
        format_size(p["allowance_bytes"]), tether, pct,
        (st["cycle_end"] or tr("cli.plan.expired"))[:16], _action(p["action"]) + reached,
    )  # fmt: skip


def _render_one(st: dict[str, Any]) -> None:
    p = st["plan"]
    cyc = p["cycle"]
    if cyc["kind"] == "monthly":
        cycle = tr("cli.plan.monthly", day=cyc["day"])
    elif cyc["kind"] == "every":
        cycle = tr("cli.plan.every", days=cyc["days"], start=str(cyc["start"]))
    else:
        cycle = tr("cli.plan.prepaid", start=str(cyc["start"]), expires=str(cyc["expires"]))

    def line(msg_id: str, **params: Any) -> None:
        console.print(tr(msg_id, **params), markup=False)

    name = f"[bold]{escape(p['name'])}[/]"
    console.print(tr("cli.plan.head", name=name, id=st["id"], iccid=escape(p["iccid"])))
    line("cli.plan.cycle", cycle=cycle, timezone=p["timezone"],
         start=str(st["cycle_start"]), end=str(st["cycle_end"]))  # fmt: skip
    used = tr("cli.plan.used", used=format_size(st["used_bytes"]),
              allowance=format_size(p["allowance_bytes"]))  # fmt: skip
    if st["percent"] is not None:
        used += f" ({st['percent']:.1f}%)"
    if st["corrected_bytes"]:
        used += tr("cli.plan.corrected", corrected=format_size(st["corrected_bytes"]))
    console.print(used, markup=False)
    if p["tethering_allowance_bytes"] is not None:
        line("cli.plan.tethering", used=format_size(st["tethering_used_bytes"]),
             allowance=format_size(p["tethering_allowance_bytes"]))  # fmt: skip
    if not p["tethering_allowed"]:
        line("cli.plan.no-tethering")
    line("cli.plan.remaining", remaining=format_size(st["remaining_bytes"]),
         action=_action(p["action"]))  # fmt: skip
    if p["price"]:
        price = p["price"]
        line("cli.plan.price-line", amount=str(price["amount"]), currency=price["currency"],
             per=word("cli.plan.per", price["per"]), cost=str(st["cost"]),
             cost_currency=str(st["currency"]))  # fmt: skip
    if p["mccs"]:
        line("cli.plan.mccs", mccs=", ".join(p["mccs"]))
    if st["forecast"]:
        console.print(f"  {forecast_text(st['forecast'])}")


def forecast_text(fc: dict[str, Any]) -> str:
    """The forecast sentence in the language of ``$LANG`` (English text if the daemon is older)."""
    msg = fc.get("message")
    if not msg:
        return str(fc["explanation"])
    from simspot.i18n import env_language, render

    return render(msg["id"], msg["params"], env_language())


@app.command("list")
def list_plans(
    as_json: JsonOpt = False, state_dir: StateDirOpt = None, config: ConfigOpt = None
) -> None:
    """Every plan with its use this cycle."""
    call_daemon("GET", "/plans", _render_list, as_json=as_json, state_dir=state_dir, config=config)


@app.command()
def show(
    ref: RefArg, as_json: JsonOpt = False, state_dir: StateDirOpt = None, config: ConfigOpt = None
) -> None:
    """One plan: cycle, use, remaining, cost and the forecast."""
    call_daemon(
        "GET", f"/plans/{ref}", _render_one, as_json=as_json, state_dir=state_dir, config=config
    )


@app.command()
@with_options(_body)
def add(
    iccid: Annotated[str, typer.Argument(help="ICCID of the SIM or eSIM profile.")],
    as_json: JsonOpt = False,
    state_dir: StateDirOpt = None,
    config: ConfigOpt = None,
    **fields: Any,
) -> None:
    """Add a plan to a SIM (monthly on day 1 unless a cycle is given)."""
    with errors_as_messages(as_json):
        body = {"iccid": iccid, "name": fields["name"] or f"SIM {iccid[-4:]}"} | _body(**fields)
        body.setdefault("cycle", {"kind": "monthly", "day": 1})
        emit(daemon_client(state_dir, config).post("/plans", json=body), as_json, _render_one)


@app.command()
@with_options(_body)
def edit(
    ref: RefArg,
    as_json: JsonOpt = False,
    state_dir: StateDirOpt = None,
    config: ConfigOpt = None,
    **fields: Any,
) -> None:
    """Change some fields of a plan."""
    with errors_as_messages(as_json):
        body = _body(**fields)
        action, throttle_kbit = fields["action"], fields["throttle_kbit"]
        if action is not None and action != "throttle" and throttle_kbit is None:
            body["throttle_kbit"] = None
        client = daemon_client(state_dir, config)
        emit(client.request("PATCH", f"/plans/{ref}", json=body), as_json, _render_one)


@app.command()
def delete(
    ref: RefArg, as_json: JsonOpt = False, state_dir: StateDirOpt = None, config: ConfigOpt = None
) -> None:
    """Delete a plan (its SIM's usage history stays)."""
    call_daemon(
        "DELETE", f"/plans/{ref}", said("cli.plan.deleted"),
        as_json=as_json, state_dir=state_dir, config=config,
    )  # fmt: skip


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
    body = {"used_bytes": used, "tethering_used_bytes": tethering_used, "note": note}
    call_daemon(
        "POST", f"/plans/{ref}/usage", _render_one,
        as_json=as_json, state_dir=state_dir, config=config, json=body,
    )  # fmt: skip
