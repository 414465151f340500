"""`simspot uplink`: candidates, the active uplink, pin/unpin, the policy and its reasons."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

import typer

from simspot.cli.common import (
    ConfigOpt,
    JsonOpt,
    StateDirOpt,
    call_daemon,
    console,
    format_bytes,
    or_dash,
    print_table,
)

app = typer.Typer(help="Uplinks: SIMs, eSIM profiles, wired and Wi-Fi links, and the policy.")

LangOpt = Annotated[str, typer.Option("--lang", help="Language of the reasons: en or zh.")]


def _plan(c: dict[str, Any]) -> str:
    p = c.get("plan")
    if not p:
        return "-"
    if p["expired"]:
        return f"{p['name']}: expired"
    if p["exhausted"]:
        return f"{p['name']}: used up"
    left = p.get("remaining_bytes")
    per_gb = p.get("price_per_gb")
    price = f", {per_gb} {p.get('currency') or ''}/GB" if per_gb and float(per_gb) else ""
    return (
        f"{p['name']}: {format_bytes(left)} left{price}" if left is not None else p["name"] + price
    )


def _render_candidates(data: dict[str, Any]) -> None:
    active = data.get("active")
    rows = []
    for c in data["candidates"]:
        state = "hot" if c["hot"] else f"cold ({c['cold_via']})" if c["cold_via"] else "down"
        where = c.get("serving_mcc") or "-"
        if c.get("roaming"):
            where += " roaming"
        h = c["health"]
        health = h["state"] + (f" {h['latency_ms']:.0f} ms" if h.get("latency_ms") else "")
        rows.append(
            ("*" if c["id"] == active else "", c["id"], c["label"], state, where,
             or_dash(c.get("signal_percent")), _plan(c), health)
        )  # fmt: skip
    print_table(
        ("", "id", "uplink", "state", "network", "signal %", "plan", "health"), rows,
        title="Uplinks",
    )  # fmt: skip


def _reason(d: dict[str, Any] | None, lang: str) -> str:
    if not d:
        return "no decision yet"
    return str(d["reason"].get(lang) or d["reason"]["en"])


@app.command("list")
def list_(
    as_json: JsonOpt = False, state_dir: StateDirOpt = None, config: ConfigOpt = None
) -> None:
    """Every uplink candidate: SIM slots, eSIM profiles, wired and Wi-Fi links, with their state."""
    call_daemon("GET", "/uplink", _render_candidates, as_json=as_json, state_dir=state_dir,
                config=config)  # fmt: skip


@app.command()
def status(
    lang: LangOpt = "en",
    as_json: JsonOpt = False,
    state_dir: StateDirOpt = None,
    config: ConfigOpt = None,
) -> None:
    """The uplink in use, pinned or automatic, and why."""

    def render(d: dict[str, Any]) -> None:
        label = next((c["label"] for c in d["candidates"] if c["id"] == d["active"]), None)
        console.print(f"uplink: {label or d['active'] or 'none'}  ({d['mode']})")
        console.print(_reason(d.get("decision"), lang), markup=False)

    call_daemon("GET", "/uplink", render, as_json=as_json, state_dir=state_dir, config=config)


@app.command()
def use(
    uplink: Annotated[
        str, typer.Argument(help="The uplink id: an ICCID, wan:<if> or wifi:<name>.")
    ],
    as_json: JsonOpt = False,
    state_dir: StateDirOpt = None,
    config: ConfigOpt = None,
) -> None:
    """Pin UPLINK: it wins over every rule while present (a cold one is switched to first)."""
    call_daemon(
        "POST", "/uplink/use",
        lambda d: console.print(f"pinned {d['label']}; `simspot uplink auto` lets the policy choose"),
        as_json=as_json, state_dir=state_dir, config=config, json={"id": uplink},
    )  # fmt: skip


@app.command()
def auto(as_json: JsonOpt = False, state_dir: StateDirOpt = None, config: ConfigOpt = None) -> None:
    """Unpin: the policy chooses the uplink again."""
    call_daemon(
        "POST", "/uplink/auto", lambda d: console.print("the policy chooses the uplink"),
        as_json=as_json, state_dir=state_dir, config=config,
    )  # fmt: skip


@app.command()
def policy(
    as_json: JsonOpt = False, state_dir: StateDirOpt = None, config: ConfigOpt = None
) -> None:
    """The rules in the owner's order and the settings they use (the config's uplink section)."""

    def render(d: dict[str, Any]) -> None:
        console.print("always: " + "; ".join(d["always"]))
        console.print("rules, in order: " + ", ".join(d["rules"]))
        s = d["settings"]
        for key in ("fail_after", "up_after", "failback_dwell_s", "min_dwell_s",
                    "max_switches_per_hour", "signal_floor_percent", "cold_switch_timeout_s"):  # fmt: skip
            console.print(f"  {key} = {s[key]}")

    call_daemon("GET", "/uplink/policy", render, as_json=as_json, state_dir=state_dir,
                config=config)  # fmt: skip


@app.command()
def explain(
    lang: LangOpt = "en",
    as_json: JsonOpt = False,
    state_dir: StateDirOpt = None,
    config: ConfigOpt = None,
) -> None:
    """The last decision: its reason, the rule that decided, and the ranking of the candidates."""

    def render(d: dict[str, Any]) -> None:
        dec = d.get("decision")
        console.print(_reason(dec, lang), markup=False)
        if dec:
            held = f", held by {dec['held_by']}" if dec.get("held_by") else ""
            console.print(f"rule: {dec['rule']}{held}")
            labels = {c["id"]: c["label"] for c in d["candidates"]}
            for i, cid in enumerate(dec["ranking"], start=1):
                console.print(f"  {i}. {labels.get(cid, cid)} ({cid})", markup=False)

    call_daemon("GET", "/uplink/explain", render, as_json=as_json, state_dir=state_dir,
                config=config)  # fmt: skip


@app.command()
def history(
    limit: Annotated[int, typer.Option(min=1, max=1000, help="How many decisions.")] = 20,
    lang: LangOpt = "en",
    as_json: JsonOpt = False,
    state_dir: StateDirOpt = None,
    config: ConfigOpt = None,
) -> None:
    """The decision log, newest first: switches, holds and their reasons."""

    def render(d: dict[str, Any]) -> None:
        rows = []
        for h in d["decisions"]:
            when = dt.datetime.fromtimestamp(h["at"]).strftime("%Y-%m-%d %H:%M:%S")
            what = "switch" if h["switch"] else "held" if h["held_by"] else "keep"
            rows.append(
                (when, what, or_dash(h["chosen"]), h["reason"].get(lang) or h["reason"]["en"])
            )
        print_table(("when", "", "uplink", "why"), rows, title="Uplink decisions")

    call_daemon("GET", "/uplink/history", render, as_json=as_json, state_dir=state_dir,
                config=config, params={"limit": limit})  # fmt: skip
