"""`simspot hotspot`: turn the hotspot on and off, change its network, join QR, clients."""

from __future__ import annotations

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
    format_bytes,
    given,
    held_by,
    in_reader_language,
    join_qr,
    or_dash,
    print_table,
    said,
    tr,
    word,
)

app = typer.Typer(help="The Wi-Fi (or wired) hotspot: on/off, network settings, join QR, clients.")

MacArg = Annotated[str, typer.Argument(help="The client's MAC address.")]


def _show_status(st: dict[str, Any]) -> None:
    def line(msg_id: str, **params: Any) -> None:
        console.print(tr(msg_id, **params), markup=False)

    warning = escape(tr("cli.hotspot.warning"))
    warnings_said = st.get("warnings_said") or []
    for i, text in enumerate(st.get("warnings", [])):
        text = in_reader_language(text, warnings_said[i] if i < len(warnings_said) else None)
        console.print(f"[bold red on yellow] {warning} [/] [bold red]{escape(text)}[/]")
    if not st["enabled"]:
        state, colour = "off", "yellow"
    else:
        state, colour = ("on", "green") if st["up"] else ("starting", "yellow")
    head = tr(
        "cli.hotspot.head",
        state=f"[{colour}]{escape(tr(f'cli.hotspot.state.{state}'))}[/]",
        backend=escape(st["backend"]),
        interface=escape(st["interface"]),
    )
    held = held_by(st["held_by"], st.get("held_by_said"))
    console.print(head + (escape(tr("cli.hotspot.held", reasons=held)) if held else ""))
    hidden = "cli.hotspot.network-hidden" if st["hidden"] else "cli.hotspot.network"
    line(hidden, ssid=repr(st["ssid"]), security=st["security"])
    if st.get("passphrase"):
        source = word("cli.hotspot.source", st["passphrase_source"])
        line("cli.hotspot.password", passphrase=st["passphrase"], source=source)
    line("cli.hotspot.radio", band=st["band"], channel=st["channel"], country=st["country"] or "-")
    isolated = "cli.hotspot.clients-isolated" if st["isolate_clients"] else "cli.hotspot.clients"
    line(isolated, clients=st["clients"], max=st["max_clients"])
    if st["mac_allow"]:
        line("cli.hotspot.allow", macs=", ".join(st["mac_allow"]))
    if st["mac_deny"]:
        line("cli.hotspot.deny", macs=", ".join(st["mac_deny"]))
    if st.get("last_error"):
        error = escape(tr("cli.hotspot.last-error"))
        console.print(f"  [red]{error}[/] {escape(str(st['last_error']))}")


@app.command()
def status(
    show_passphrase: Annotated[
        bool, typer.Option("--show-passphrase", help="Show the Wi-Fi password too.")
    ] = False,
    as_json: JsonOpt = False,
    state_dir: StateDirOpt = None,
    config: ConfigOpt = None,
) -> None:
    """Show whether the hotspot is on, its network and its settings."""
    call_daemon(
        "GET", "/hotspot", _show_status, as_json=as_json, state_dir=state_dir, config=config,
        params={"reveal": "true"} if show_passphrase else {},
    )  # fmt: skip


@app.command()
def up(as_json: JsonOpt = False, state_dir: StateDirOpt = None, config: ConfigOpt = None) -> None:
    """Turn the hotspot on (clears your own "down"; the battery guard may still hold it off)."""
    call_daemon(
        "POST", "/hotspot/up", _show_status, as_json=as_json, state_dir=state_dir, config=config
    )


@app.command()
def down(as_json: JsonOpt = False, state_dir: StateDirOpt = None, config: ConfigOpt = None) -> None:
    """Turn the hotspot off until `simspot hotspot up`."""
    call_daemon(
        "POST", "/hotspot/down", _show_status, as_json=as_json, state_dir=state_dir, config=config
    )


@app.command("set")
def set_(
    ssid: Annotated[str | None, typer.Option(help="Network name (1-32 bytes).")] = None,
    passphrase: Annotated[
        bool,
        typer.Option("--passphrase", help="Ask for a new Wi-Fi password (not echoed)."),
    ] = False,
    generate: Annotated[
        bool, typer.Option("--generate-passphrase", help="Make a new random Wi-Fi password.")
    ] = False,
    security: Annotated[
        str | None, typer.Option(help="wpa2, wpa2-wpa3, wpa3 or open (no password: avoid).")
    ] = None,
    band: Annotated[str | None, typer.Option(help="2.4 or 5 (GHz).")] = None,
    channel: Annotated[int | None, typer.Option(help="Radio channel.")] = None,
    country: Annotated[str | None, typer.Option(help="Two-letter country code, e.g. DE.")] = None,
    hidden: Annotated[
        bool | None, typer.Option("--hidden/--visible", help="Hide the network name.")
    ] = None,
    isolate: Annotated[
        bool | None,
        typer.Option("--isolate/--no-isolate", help="Keep clients from reaching each other."),
    ] = None,
    max_clients: Annotated[int | None, typer.Option(help="Most clients at once.")] = None,
    allow: Annotated[
        list[str] | None,
        typer.Option(help="Only these MACs may join (repeat; 'none' clears the list)."),
    ] = None,
    deny: Annotated[
        list[str] | None, typer.Option(help="These MACs may not join (repeat; 'none' clears).")
    ] = None,
    auto_off: Annotated[
        int | None, typer.Option(help="Minutes without clients before switching off (0: never).")
    ] = None,
    as_json: JsonOpt = False,
    state_dir: StateDirOpt = None,
    config: ConfigOpt = None,
) -> None:
    """Change the hotspot's network; the AP follows within a second."""
    body = given(
        ssid=ssid, security=security, band=band, channel=channel, country=country, hidden=hidden,
        isolate_clients=isolate, max_clients=max_clients, auto_off_minutes=auto_off,
    )  # fmt: skip
    for key, macs in (("mac_allow", allow), ("mac_deny", deny)):
        if macs is not None:
            body[key] = [] if macs == ["none"] else macs
    if generate:
        body["generate_passphrase"] = True
    if passphrase:
        body["passphrase"] = typer.prompt(
            tr("cli.hotspot.new-password"),
            hide_input=True,
            confirmation_prompt=tr("cli.hotspot.repeat-password"),
        )
    if not body:
        fail(
            "nothing to change (see simspot hotspot set --help)",
            as_json=as_json,
            said={"id": "cli.hotspot.nothing", "params": {}},
        )
    call_daemon(
        "POST", "/hotspot/settings", _show_status,
        as_json=as_json, state_dir=state_dir, config=config, json=body,
    )  # fmt: skip


@app.command()
def qr(
    png: Annotated[Path | None, typer.Option(help="Write the QR code as a PNG file.")] = None,
    svg: Annotated[Path | None, typer.Option(help="Write the QR code as an SVG file.")] = None,
    as_json: JsonOpt = False,
    state_dir: StateDirOpt = None,
    config: ConfigOpt = None,
) -> None:
    """Show the join QR code (phones join by scanning it); it contains the password."""
    from simspot.hotspot import qr as wifi_qr

    join_qr(
        "/hotspot/qr",
        lambda text: tr("cli.hotspot.qr-caption", ssid=repr(wifi_qr.parse_wifi_text(text).ssid)),
        png=png, svg=svg, as_json=as_json, state_dir=state_dir, config=config,
    )  # fmt: skip


@app.command()
def clients(
    as_json: JsonOpt = False, state_dir: StateDirOpt = None, config: ConfigOpt = None
) -> None:
    """List the clients: addresses, name, signal, bytes this session and cycle, blocks, caps."""
    with errors_as_messages(as_json):
        rows = daemon_client(state_dir, config).get("/hotspot/clients")
        emit({"clients": rows}, as_json, _show_clients)


def _show_clients(data: dict[str, Any]) -> None:
    print_table(
        (
            "MAC",
            "IPv4",
            *(
                tr(f"cli.hotspot.col.{c}")
                for c in ("hostname", "since", "signal", "down", "up", "cycle", "state")
            ),
        ),
        (_client_row(c) for c in data["clients"]),
    )


def _client_row(c: dict[str, Any]) -> tuple[str, ...]:
    state = tr("cli.hotspot.blocked") if c["blocked"] else ""
    state = state or (tr("cli.hotspot.denied") if c["denied"] else "")
    caps = [
        f"v{c['rate_down_kbit']}" if c["rate_down_kbit"] else "",
        f"^{c['rate_up_kbit']}" if c["rate_up_kbit"] else "",
    ]
    cap = " ".join(x for x in caps if x)
    return (
        c["mac"], or_dash(c.get("ipv4")), or_dash(c.get("hostname")),
        (c.get("connected_since") or "-")[:19].replace("T", " "),
        f"{c['signal_dbm']} dBm" if c.get("signal_dbm") is not None else "-",
        format_bytes(c["session_rx_bytes"]), format_bytes(c["session_tx_bytes"]),
        format_bytes(c.get("cycle_bytes")), " ".join(x for x in (state, cap) if x),
    )  # fmt: skip


@app.command()
def block(
    mac: MacArg, as_json: JsonOpt = False, state_dir: StateDirOpt = None, config: ConfigOpt = None
) -> None:
    """Cut a client off (it stays associated but gets no traffic)."""
    _client_action(mac, "block", as_json=as_json, state_dir=state_dir, config=config)


@app.command()
def unblock(
    mac: MacArg, as_json: JsonOpt = False, state_dir: StateDirOpt = None, config: ConfigOpt = None
) -> None:
    """Let a blocked client use the hotspot again."""
    _client_action(mac, "unblock", as_json=as_json, state_dir=state_dir, config=config)


def _client_action(mac: str, action: str, **options: Any) -> None:
    """POST /hotspot/clients/MAC/ACTION (block, unblock); says "MAC blocked" or "MAC unblocked"."""
    call_daemon(
        "POST", f"/hotspot/clients/{mac}/{action}", said(f"cli.client.{action}ed"), **options
    )


@app.command()
def limit(
    mac: MacArg,
    down_kbit: Annotated[int | None, typer.Option("--down", help="Download cap in kbit/s.")] = None,
    up_kbit: Annotated[int | None, typer.Option("--up", help="Upload cap in kbit/s.")] = None,
    as_json: JsonOpt = False,
    state_dir: StateDirOpt = None,
    config: ConfigOpt = None,
) -> None:
    """Cap a client's speed (no options: remove its caps)."""
    call_daemon(
        "POST", f"/hotspot/clients/{mac}/limit", _show_limit,
        as_json=as_json, state_dir=state_dir, config=config,
        json={"rate_down_kbit": down_kbit, "rate_up_kbit": up_kbit},
    )  # fmt: skip


def _show_limit(r: dict[str, Any]) -> None:
    uncapped = tr("cli.hotspot.uncapped")
    down, up = r["rate_down_kbit"] or uncapped, r["rate_up_kbit"] or uncapped
    console.print(tr("cli.hotspot.limit", mac=r["mac"], down=down, up=up), markup=False)


@app.command()
def devices(
    as_json: JsonOpt = False, state_dir: StateDirOpt = None, config: ConfigOpt = None
) -> None:
    """Every device seen on the LAN: hostname, vendor, waiting for approval or not; pool use."""
    call_daemon(
        "GET", "/devices", _show_devices, as_json=as_json, state_dir=state_dir, config=config
    )


def _show_devices(d: dict[str, Any]) -> None:
    pool, drops = d["pool"], d["drops"]
    mode = "on" if d["approve_new_devices"] else "off"
    console.print(tr(f"cli.devices.approval-{mode}", used=pool["used"], size=pool["size"]))
    console.print(tr("cli.devices.drops", **drops))
    print_table(
        ("MAC", *(tr(f"cli.hotspot.col.{c}") for c in ("hostname", "vendor", "state", "here"))),
        (
            (
                x["mac"],
                or_dash(x["hostname"]),
                x["vendor"],
                x["state"],
                tr("term.yes") if x["present"] else "",
            )
            for x in d["devices"]
        ),
    )


@app.command()
def approve(
    mac: MacArg, as_json: JsonOpt = False, state_dir: StateDirOpt = None, config: ConfigOpt = None
) -> None:
    """Let a new device use the hotspot (when dataplane.approve_new_devices is on)."""
    call_daemon("POST", f"/devices/{mac}/approve", said("cli.device.approved"),
                as_json=as_json, state_dir=state_dir, config=config)  # fmt: skip


@app.command()
def unapprove(
    mac: MacArg, as_json: JsonOpt = False, state_dir: StateDirOpt = None, config: ConfigOpt = None
) -> None:
    """Take a device's approval back (it waits for approval again)."""
    call_daemon("POST", f"/devices/{mac}/unapprove", said("cli.device.unapproved"),
                as_json=as_json, state_dir=state_dir, config=config)  # fmt: skip
