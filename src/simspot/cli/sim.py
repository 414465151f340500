"""`simspot sim`: SIM slots, slot switch, PIN unlock and carrier SMS, through the daemon."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.markup import escape

from simspot.cli.common import (
    ConfigOpt,
    JsonOpt,
    StateDirOpt,
    call_daemon,
    console,
    or_dash,
    print_table,
    said,
    tr,
    word,
)

app = typer.Typer(help="SIM slots, switching the active slot, PIN unlock, carrier SMS.")


def _render_slots(data: dict[str, Any]) -> None:
    if data.get("modem") is None:
        console.print(tr("cli.modem.none"))
        return
    lock = data.get("unlock_required")
    if lock and lock != "none":
        left = data.get("unlock_retries")
        needs = escape(tr("cli.sim.needs", needs=lock, left=left))
        console.print(f"[yellow]{needs}[/]")
    col = {c: tr(f"cli.status.col.{c}") for c in ("slot", "kind", "active", "operator")}
    print_table(
        (col["slot"], col["kind"], col["active"], "ICCID", "IMSI", col["operator"], "EID"),
        (
            (str(s["index"]),
             word("cli.status.kind", s["kind"]) if s["present"] else tr("cli.sim.empty"),
             tr("term.yes") if s["active"] else "",
             *(or_dash(s.get(k)) for k in ("iccid", "imsi", "operator_name", "eid")))
            for s in data.get("slots", [])
        ),
        title=tr("cli.status.slots-title"),
    )  # fmt: skip


@app.command()
def slots(
    as_json: JsonOpt = False, state_dir: StateDirOpt = None, config: ConfigOpt = None
) -> None:
    """List the SIM slots: ICCID, IMSI, operator, EID of eUICCs, and which one is active."""
    call_daemon(
        "GET", "/sim/slots", _render_slots, as_json=as_json, state_dir=state_dir, config=config
    )


@app.command()
def switch(
    slot: Annotated[int, typer.Argument(help="Slot number (1-based, as ModemManager counts).")],
    as_json: JsonOpt = False,
    state_dir: StateDirOpt = None,
    config: ConfigOpt = None,
) -> None:
    """Make SLOT the active SIM (the modem re-probes; this waits until it is back)."""
    call_daemon(
        "POST", "/sim/switch", said("cli.sim.switched"),
        as_json=as_json, state_dir=state_dir, config=config, json={"slot": slot}, timeout=120,
    )  # fmt: skip


@app.command()
def unlock(
    pin: Annotated[
        str,
        typer.Option(prompt="SIM PIN", hide_input=True, help="The PIN (asked for if not given)."),
    ],
    as_json: JsonOpt = False,
    state_dir: StateDirOpt = None,
    config: ConfigOpt = None,
) -> None:
    """Enter the SIM PIN. Refused when only one attempt is left (the SIM would need its PUK)."""
    call_daemon(
        "POST", "/sim/unlock", _render_unlock,
        as_json=as_json, state_dir=state_dir, config=config, json={"pin": pin},
    )  # fmt: skip


def _render_unlock(r: dict[str, Any]) -> None:
    if r["unlocked"]:
        console.print(tr("cli.sim.unlocked"))
    else:
        console.print(tr("cli.sim.still-locked", needs=r["unlock_required"]))


@app.command()
def sms(as_json: JsonOpt = False, state_dir: StateDirOpt = None, config: ConfigOpt = None) -> None:
    """Show text messages from the carrier (usage warnings, roaming notices), oldest first."""
    call_daemon("GET", "/sim/sms", _render_sms, as_json=as_json, state_dir=state_dir, config=config)


def _render_sms(d: dict[str, Any]) -> None:
    from rich.markup import escape

    if not d["messages"]:
        console.print(tr("cli.sms.none"))
    for m in d["messages"]:
        console.print(f"[bold]{m.get('timestamp') or '?'}[/] {escape(m.get('number') or '?')}")
        console.print(f"  {m['text']}", highlight=False, markup=False)
