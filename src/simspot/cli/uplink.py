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
    language,
    or_dash,
    print_table,
    tr,
    word,
)

app = typer.Typer(help="Uplinks: SIMs, eSIM profiles, wired and Wi-Fi links, and the policy.")

LangOpt = Annotated[
    str | None,
    typer.Option("--lang", help="Language of the reasons: en or zh (default: from $LANG)."),
]


def _lang(lang: str | None) -> str:
    """The language of the daemon's reasons: --lang, else $LANG's."""
    if lang:
        return lang
    from simspot.i18n import env_language

    return env_language()


def _label(c: dict[str, Any], lang: str | None = None) -> str:
    """The candidate's label in ``lang`` (else the CLI's): simspot's own labels have a Chinese
    one ("有线 eth1"); a name the owner gave is the same in both."""
    if (lang or language()) == "zh" and c.get("label_zh"):
        return str(c["label_zh"])
    return str(c["label"])


def _plan(c: dict[str, Any]) -> str:
    p = c.get("plan")
    if not p:
        return "-"
    if p["expired"]:
        return tr("cli.uplink.plan.expired", name=p["name"])
    if p["exhausted"]:
        return tr("cli.uplink.plan.used-up", name=p["name"])
    left = p.get("remaining_bytes")
    per_gb = p.get("price_per_gb")
    price = f", {per_gb} {p.get('currency') or ''}/GB" if per_gb and float(per_gb) else ""
    if left is None:
        return str(p["name"]) + price
    return tr("cli.uplink.plan.left", name=p["name"], left=format_bytes(left)) + price


def _render_candidates(data: dict[str, Any]) -> None:
    active = data.get("active")
    rows = []
    for c in data["candidates"]:
        state = (
            tr("cli.uplink.hot")
            if c["hot"]
            else tr("cli.uplink.cold", via=word("cli.uplink.via", c["cold_via"]))
            if c["cold_via"]
            else tr("cli.uplink.down")
        )
        where = c.get("serving_mcc") or "-"
        if c.get("roaming"):
            where += " " + tr("cli.uplink.roaming")
        h = c["health"]
        health = word("cli.uplink.health", h["state"]) + (
            f" {h['latency_ms']:.0f} ms" if h.get("latency_ms") else ""
        )
        rows.append(
            ("*" if c["id"] == active else "", c["id"], _label(c), state, where,
             or_dash(c.get("signal_percent")), _plan(c), health)
        )  # fmt: skip
    print_table(
        ("", "id", tr("cli.uplink.col.uplink"), tr("cli.uplink.col.state"),
         tr("cli.uplink.col.network"), tr("cli.uplink.col.signal"), tr("cli.uplink.col.plan"),
         tr("cli.uplink.col.health")), rows,
        title=tr("cli.uplink.title"),
    )  # fmt: skip


def _reason(d: dict[str, Any] | None, lang: str) -> str:
    if not d:
        return tr("cli.uplink.no-decision")
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
    lang: LangOpt = None,
    as_json: JsonOpt = False,
    state_dir: StateDirOpt = None,
    config: ConfigOpt = None,
) -> None:
    """The uplink in use, pinned or automatic, and why."""

    def render(d: dict[str, Any]) -> None:
        label = next((_label(c) for c in d["candidates"] if c["id"] == d["active"]), None)
        uplink = label or d["active"] or tr("cli.uplink.none")
        console.print(
            tr("cli.uplink.status", uplink=uplink, mode=word("cli.uplink.mode", d["mode"])),
            markup=False,
        )
        console.print(_reason(d.get("decision"), _lang(lang)), markup=False)

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
        lambda d: console.print(tr("cli.uplink.pinned", label=d["label"]), markup=False),
        as_json=as_json, state_dir=state_dir, config=config, json={"id": uplink},
    )  # fmt: skip


@app.command()
def auto(as_json: JsonOpt = False, state_dir: StateDirOpt = None, config: ConfigOpt = None) -> None:
    """Unpin: the policy chooses the uplink again."""
    call_daemon(
        "POST", "/uplink/auto", lambda d: console.print(tr("cli.uplink.auto")),
        as_json=as_json, state_dir=state_dir, config=config,
    )  # fmt: skip


@app.command()
def policy(
    as_json: JsonOpt = False, state_dir: StateDirOpt = None, config: ConfigOpt = None
) -> None:
    """The rules in the owner's order and the settings they use (the config's uplink section)."""

    def render(d: dict[str, Any]) -> None:
        # what the policy always does, by id (uplink.always.*); a daemon without ids: English
        always = d.get("always_said") or d["always"]
        console.print(tr("cli.uplink.always", always=always), markup=False)
        console.print(tr("cli.uplink.rules", rules=d["rules"]), markup=False)
        s = d["settings"]
        for key in ("fail_after", "up_after", "failback_dwell_s", "min_dwell_s",
                    "max_switches_per_hour", "signal_floor_percent", "cold_switch_timeout_s"):  # fmt: skip
            console.print(f"  {key} = {s[key]}")

    call_daemon("GET", "/uplink/policy", render, as_json=as_json, state_dir=state_dir,
                config=config)  # fmt: skip


@app.command()
def explain(
    lang: LangOpt = None,
    as_json: JsonOpt = False,
    state_dir: StateDirOpt = None,
    config: ConfigOpt = None,
) -> None:
    """The last decision: its reason, the rule that decided, and the ranking of the candidates."""

    def render(d: dict[str, Any]) -> None:
        dec = d.get("decision")
        console.print(_reason(dec, _lang(lang)), markup=False)
        if dec:
            if dec.get("held_by"):
                line = tr("cli.uplink.rule-held", rule=dec["rule"], held_by=dec["held_by"])
            else:
                line = tr("cli.uplink.rule", rule=dec["rule"])
            console.print(line, markup=False)
            labels = {c["id"]: _label(c, _lang(lang)) for c in d["candidates"]}
            for i, cid in enumerate(dec["ranking"], start=1):
                console.print(f"  {i}. {labels.get(cid, cid)} ({cid})", markup=False)

    call_daemon("GET", "/uplink/explain", render, as_json=as_json, state_dir=state_dir,
                config=config)  # fmt: skip


@app.command()
def history(
    limit: Annotated[int, typer.Option(min=1, max=1000, help="How many decisions.")] = 20,
    lang: LangOpt = None,
    as_json: JsonOpt = False,
    state_dir: StateDirOpt = None,
    config: ConfigOpt = None,
) -> None:
    """The decision log, newest first: switches, holds and their reasons."""

    def render(d: dict[str, Any]) -> None:
        reason_lang = _lang(lang)
        rows = []
        for h in d["decisions"]:
            when = dt.datetime.fromtimestamp(h["at"]).strftime("%Y-%m-%d %H:%M:%S")
            what = "switch" if h["switch"] else "held" if h["held_by"] else "keep"
            rows.append(
                (when, tr(f"cli.uplink.{what}"), or_dash(h["chosen"]),
                 h["reason"].get(reason_lang) or h["reason"]["en"])
            )  # fmt: skip
        print_table(
            (tr("cli.uplink.col.when"), "", tr("cli.uplink.col.uplink"), tr("cli.uplink.col.why")),
            rows, title=tr("cli.uplink.history-title"),
        )  # fmt: skip

    call_daemon("GET", "/uplink/history", render, as_json=as_json, state_dir=state_dir,
                config=config, params={"limit": limit})  # fmt: skip
