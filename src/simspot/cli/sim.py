"""`simspot sim`: SIM slots, slot switch, PIN unlock and carrier SMS, through the daemon."""

from __future__ import annotations

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

app = typer.Typer(help="SIM slots, switching the active slot, PIN unlock, carrier SMS.")


def _render_slots(data: dict[str, Any]) -> None:
    from rich.table import Table

    if data.get("modem") is None:
        console.print("modem: none found")
        return
    lock = data.get("unlock_required")
    if lock and lock != "none":
        left = data.get("unlock_retries")
        console.print(f"[yellow]the SIM needs {lock}[/] ({left} attempts left)")
    table = Table("slot", "kind", "active", "ICCID", "IMSI", "operator", "EID", title="SIM slots")
    for s in data.get("slots", []):
        table.add_row(
            str(s["index"]), s["kind"] if s["present"] else "empty",
            "yes" if s["active"] else "", s.get("iccid") or "-", s.get("imsi") or "-",
            s.get("operator_name") or "-", s.get("eid") or "-",
        )  # fmt: skip
    console.print(table)


@app.command()
def slots(
    as_json: JsonOpt = False, state_dir: StateDirOpt = None, config: ConfigOpt = None
) -> None:
    """List the SIM slots: ICCID, IMSI, operator, EID of eUICCs, and which one is active."""
    with errors_as_messages(as_json):
        emit(daemon_client(state_dir, config).get("/sim/slots"), as_json, _render_slots)


@app.command()
def switch(
    slot: Annotated[int, typer.Argument(help="Slot number (1-based, as ModemManager counts).")],
    as_json: JsonOpt = False,
    state_dir: StateDirOpt = None,
    config: ConfigOpt = None,
) -> None:
    """Make SLOT the active SIM (the modem re-probes; this waits until it is back)."""
    with errors_as_messages(as_json):
        client = daemon_client(state_dir, config)
        result = client.post("/sim/switch", json={"slot": slot}, timeout=120)
        emit(result, as_json, lambda r: console.print(f"slot {r['active']} is now active"))


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
    with errors_as_messages(as_json):
        result = daemon_client(state_dir, config).post("/sim/unlock", json={"pin": pin})

        def render(r: dict[str, Any]) -> None:
            if r["unlocked"]:
                console.print("SIM unlocked")
            else:
                console.print(f"the SIM still needs {r['unlock_required']}")

        emit(result, as_json, render)


@app.command()
def sms(as_json: JsonOpt = False, state_dir: StateDirOpt = None, config: ConfigOpt = None) -> None:
    """Show text messages from the carrier (usage warnings, roaming notices), oldest first."""
    with errors_as_messages(as_json):
        data = daemon_client(state_dir, config).get("/sim/sms")

        def render(d: dict[str, Any]) -> None:
            from rich.markup import escape

            if not d["messages"]:
                console.print("no messages")
            for m in d["messages"]:
                console.print(
                    f"[bold]{m.get('timestamp') or '?'}[/] {escape(m.get('number') or '?')}"
                )
                console.print(f"  {m['text']}", highlight=False, markup=False)

        emit(data, as_json, render)
