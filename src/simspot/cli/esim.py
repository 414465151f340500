"""`simspot esim ...`: the LPA from the command line.

Talks to the daemon when one runs (the daemon owns the card); otherwise, or with ``--transport``,
works on the card directly for the length of the command (holding the card lock).
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal

import typer
from rich.table import Table

from simspot.cli.common import (
    ConfigOpt,
    JsonOpt,
    StateDirOpt,
    console,
    emit,
    errors_as_messages,
    fail,
    tr,
    word,
)

if TYPE_CHECKING:
    from simspot.esim.service import EsimService

app = typer.Typer(help="eSIM profiles: download, switch, delete, notifications (SGP.22 LPA).")

TransportOpt = Annotated[
    str | None,
    typer.Option(
        "--transport",
        help="Work on the card directly over this transport (pcsc, at, or the simulator's "
        "virtual) instead of through the daemon.",
    ),
]

Direct = Callable[["EsimService"], Awaitable[dict[str, Any]]]
ViaDaemon = Callable[[Any], dict[str, Any]]


def _direct_service(
    state_dir: Path | None, config: Path | None, transport: str | None
) -> EsimService:
    """The card itself, for one command: --transport, else the config's esim.transport.

    Naming the simulator's virtual eUICC here is explicit, so it is allowed without --simulate.
    """
    from simspot import config as cfg
    from simspot import registry
    from simspot.cli.client import resolve_state_dir
    from simspot.daemon.build import BuildEnv
    from simspot.errors import ConfigError
    from simspot.esim.service import EsimService

    loaded = cfg.load(config)
    name = transport or loaded.esim.transport or "none"
    if name not in registry.names("esim"):
        raise ConfigError(
            msg_id="cli.esim.bad-transport",
            params={"choices": list(registry.names("esim")), "value": repr(name)},
        )
    where = resolve_state_dir(state_dir, loaded.daemon.state_dir)
    loaded = cfg.validate(
        loaded.model_dump()
        | {
            "daemon": loaded.daemon.model_dump() | {"state_dir": str(where)},
            "esim": loaded.esim.model_dump() | {"transport": name},
        },
        "options",
    )
    simulated = registry.choice("esim", name).simulated
    env = BuildEnv(loaded, simulated, {"esim": name})
    card = registry.factory("esim", name)(env)
    return EsimService(loaded.esim, where, card, hold_card_lock=True)


def _run(
    state_dir: Path | None,
    config: Path | None,
    transport: str | None,
    via_daemon: ViaDaemon,
    direct: Direct,
    *,
    timeout_s: float = 30.0,
) -> dict[str, Any]:
    """Run one operation through the daemon if it runs (and no --transport), else on the card."""
    from simspot.errors import DaemonNotRunning

    if transport is None:
        from simspot import config as cfg
        from simspot.cli.client import DaemonClient, resolve_state_dir

        try:
            configured = cfg.load(config).daemon.state_dir
            client = DaemonClient(resolve_state_dir(state_dir, configured), timeout_s=timeout_s)
        except DaemonNotRunning:
            client = None
        if client is not None:
            try:
                return via_daemon(client)
            finally:
                client.close()
    return _run_direct(state_dir, config, transport, direct)


def _run_direct(
    state_dir: Path | None, config: Path | None, transport: str | None, direct: Direct
) -> dict[str, Any]:
    import asyncio

    service = _direct_service(state_dir, config, transport)

    async def go() -> dict[str, Any]:
        await service.ensure_peers()
        try:
            return await direct(service)
        finally:
            await service.close()

    return asyncio.run(go())


# --- info / list ----------------------------------------------------------------------------


@app.command()
def info(
    as_json: JsonOpt = False,
    transport: TransportOpt = None,
    state_dir: StateDirOpt = None,
    config: ConfigOpt = None,
) -> None:
    """Show the eUICC: EID, versions, free memory, trusted CIs, SM-DP+/SM-DS addresses."""
    with errors_as_messages(as_json):
        data = _run(state_dir, config, transport, lambda c: c.get("/esim/info"), lambda s: s.info())

    def render(d: dict[str, Any]) -> None:
        table = Table(show_header=False, box=None)
        for key in ("eid", "transport", "svn", "profile_version", "firmware_version", "free_nvm",
                    "default_smdp_address", "root_smds_address"):  # fmt: skip
            table.add_row(tr(f"cli.esim.info.{key}"), str(d.get(key)))
        table.add_row(tr("cli.esim.info.ci_pkids"), ", ".join(d.get("ci_pkids", [])))
        console.print(table)
        for code in (d.get("test_smdp") or {}).get("activation_codes", []):
            console.print(tr("cli.esim.test-profile", code=code), highlight=False, markup=False)

    emit(data, as_json, render)


@app.command("list")
def list_profiles(
    as_json: JsonOpt = False,
    transport: TransportOpt = None,
    state_dir: StateDirOpt = None,
    config: ConfigOpt = None,
) -> None:
    """List the profiles on the eUICC."""
    with errors_as_messages(as_json):
        data = _run(
            state_dir, config, transport, lambda c: c.get("/esim/profiles"), lambda s: s.profiles()
        )

    def render(d: dict[str, Any]) -> None:
        if not d["profiles"]:
            console.print(tr("cli.esim.no-profiles"))
            return
        cols = ("state", "name", "provider", "nickname", "class")
        table = Table(*(tr(f"cli.esim.col.{c}") for c in cols))
        table.add_column("ICCID", no_wrap=True, min_width=19)
        for p in d["profiles"]:
            state = word("cli.esim.state", p["state"])
            state = f"[green]{state}[/green]" if p["state"] == "enabled" else state
            table.add_row(
                p["iccid"],
                state,
                p["name"] or "",
                p["provider"] or "",
                p["nickname"] or "",
                p["profile_class"],
            )
        console.print(table)

    emit(data, as_json, render)


# --- download -------------------------------------------------------------------------------


@app.command()
def download(
    activation_code: Annotated[
        str | None, typer.Argument(help="LPA:1$<SM-DP+ address>$<matching ID> (as in the QR code).")
    ] = None,
    qr: Annotated[
        Path | None, typer.Option("--qr", help="Read the activation code from a QR image (PNG).")
    ] = None,
    smdp: Annotated[
        str | None, typer.Option("--smdp", help="SM-DP+ address (instead of a code).")
    ] = None,
    matching_id: Annotated[
        str | None, typer.Option("--matching-id", help="Matching ID (with --smdp).")
    ] = None,
    confirmation_code: Annotated[
        str | None,
        typer.Option("--confirmation-code", help="Confirmation code, if the operator gave one."),
    ] = None,
    retry_package: Annotated[
        Path | None,
        typer.Option(
            "--retry-package", help="Load a package kept from a download that failed mid-load."
        ),
    ] = None,
    as_json: JsonOpt = False,
    transport: TransportOpt = None,
    state_dir: StateDirOpt = None,
    config: ConfigOpt = None,
) -> None:
    """Download and install a profile (progress bar; notifications sent afterwards)."""
    from simspot.esim import activation

    with errors_as_messages(as_json):
        given = sum(x is not None for x in (activation_code, qr, smdp, retry_package))
        if given != 1:
            fail(
                "give exactly one of: an activation code, --qr FILE, --smdp ADDRESS "
                "or --retry-package FILE",
                as_json=as_json,
                said={"id": "cli.esim.one-source", "params": {}},
            )
        code = None
        if retry_package is not None:
            data = _retry(retry_package, transport, state_dir, config)
        elif qr is not None:
            code = activation.read_qr(qr)
        elif smdp is not None:
            code = activation.parse(f"1${smdp}${matching_id or ''}")
        else:
            code = activation.parse(activation_code or "")
        if code is not None:
            data = _download(code, confirmation_code, as_json, transport, state_dir, config)

    def render(d: dict[str, Any]) -> None:
        name = d["name"] or d["iccid"]
        if d["provider"]:
            said = tr("cli.esim.installed", name=name, provider=d["provider"], iccid=d["iccid"])
        else:
            said = tr("cli.esim.installed-unknown-provider", name=name, iccid=d["iccid"])
        console.print(said, highlight=False, markup=False)

    emit(data, as_json, render)


def _download(
    code: Any,
    confirmation_code: str | None,
    as_json: bool,
    transport: str | None,
    state_dir: Path | None,
    config: Path | None,
) -> dict[str, Any]:
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    from simspot.esim.lpa import Progress as Step

    bar = Progress(TextColumn("{task.description}"), BarColumn(), TextColumn("{task.completed}/{task.total}"),
                   TimeElapsedColumn(), console=console, disable=as_json or not sys.stdout.isatty(),
                   transient=True)  # fmt: skip
    task = bar.add_task("connecting", total=None)

    def show(stage: str, done: int, total: int) -> None:
        if stage == "done":
            last = bar.tasks[0].total or 1
            bar.update(task, description=stage, completed=last, total=last)
        elif total:
            bar.update(task, description=f"{stage} (segments)", completed=done, total=total)
        else:
            bar.update(task, description=stage)

    def via_daemon(client: Any) -> dict[str, Any]:
        from simspot.cli.client import DaemonClient

        result: dict[str, Any] = {}
        failure: list[BaseException] = []

        def post() -> None:
            try:
                result.update(client.post(
                    "/esim/download",
                    json={"activation_code": code.text, "confirmation_code": confirmation_code},
                ))  # fmt: skip
            except BaseException as exc:  # handed to the main thread, re-raised there
                failure.append(exc)

        worker = threading.Thread(target=post, daemon=True)
        worker.start()
        poller = DaemonClient(Path(client_state_dir(state_dir, config)), timeout_s=10)
        try:
            while worker.is_alive():
                step = poller.get("/esim/progress").get("progress")
                if step:
                    show(step["stage"], step["done"], step["total"])
                worker.join(0.3)
        finally:
            poller.close()
        if failure:
            raise failure[0]
        return result

    async def direct(service: EsimService) -> dict[str, Any]:
        def on(step: Step) -> None:
            show(step.stage, step.done, step.total)

        return await service.download(code, confirmation_code=confirmation_code, progress=on)

    with bar:
        return _run(state_dir, config, transport, via_daemon, direct, timeout_s=900)


def _retry(
    package: Path, transport: str | None, state_dir: Path | None, config: Path | None
) -> dict[str, Any]:
    return _run(
        state_dir,
        config,
        transport,
        lambda c: c.post("/esim/retry", json={"package": package.name}),
        lambda s: s.retry_package(package, only_kept=False),
        timeout_s=900,
    )


def client_state_dir(state_dir: Path | None, config: Path | None) -> Path:
    from simspot import config as cfg
    from simspot.cli.client import resolve_state_dir

    return resolve_state_dir(state_dir, cfg.load(config).daemon.state_dir)


# --- switching and deleting -----------------------------------------------------------------

ProfileArg = Annotated[str, typer.Argument(help="ICCID (or ISD-P AID in hex) of the profile.")]


def _profile_op(op: Literal["enable", "disable", "delete"], profile: str, as_json: bool, transport: str | None,
                state_dir: Path | None, config: Path | None) -> None:  # fmt: skip
    with errors_as_messages(as_json):
        data = _run(
            state_dir,
            config,
            transport,
            lambda c: c.post(f"/esim/profiles/{profile}/{op}"),
            lambda s: getattr(s, op)(profile),
        )

    def render(d: dict[str, Any]) -> None:
        console.print(
            tr("cli.esim.profile-state", profile=d["profile"], state=d["state"]), highlight=False
        )
        for n in d.get("notifications", []):
            seq, operation = n["seq_number"], n["operation"]
            if n.get("sent"):
                said = tr("cli.esim.notification-sent", seq=seq, operation=operation)
            else:
                said = tr(
                    "cli.esim.notification-not-sent",
                    seq=seq,
                    operation=operation,
                    error=str(n.get("error")),
                )
            console.print(said, highlight=False, markup=False)

    emit(data, as_json, render)


@app.command()
def enable(profile: ProfileArg, as_json: JsonOpt = False, transport: TransportOpt = None,
           state_dir: StateDirOpt = None, config: ConfigOpt = None) -> None:  # fmt: skip
    """Enable a profile (the enabled one is disabled by the eUICC)."""
    _profile_op("enable", profile, as_json, transport, state_dir, config)


@app.command()
def disable(profile: ProfileArg, as_json: JsonOpt = False, transport: TransportOpt = None,
            state_dir: StateDirOpt = None, config: ConfigOpt = None) -> None:  # fmt: skip
    """Disable a profile."""
    _profile_op("disable", profile, as_json, transport, state_dir, config)


@app.command()
def delete(
    profile: ProfileArg,
    yes: Annotated[
        bool, typer.Option("--yes", help="Do not ask; the profile cannot be restored.")
    ] = False,
    as_json: JsonOpt = False,
    transport: TransportOpt = None,
    state_dir: StateDirOpt = None,
    config: ConfigOpt = None,
) -> None:
    """Delete a (disabled) profile for good."""
    if not yes:
        if as_json or not sys.stdin.isatty():
            fail(
                "deleting a profile cannot be undone; pass --yes",
                as_json=as_json,
                said={"id": "cli.esim.delete-confirm", "params": {}},
            )
        typer.confirm(tr("cli.esim.delete-ask", profile=profile), abort=True)
    _profile_op("delete", profile, as_json, transport, state_dir, config)


@app.command()
def nickname(
    iccid: Annotated[str, typer.Argument(help="ICCID of the profile.")],
    name: Annotated[str, typer.Argument(help="New nickname (empty to clear).")],
    as_json: JsonOpt = False,
    transport: TransportOpt = None,
    state_dir: StateDirOpt = None,
    config: ConfigOpt = None,
) -> None:
    """Set a profile's nickname."""
    with errors_as_messages(as_json):
        data = _run(
            state_dir,
            config,
            transport,
            lambda c: c.post(f"/esim/profiles/{iccid}/nickname", json={"nickname": name}),
            lambda s: s.nickname(iccid, name),
        )
    emit(
        data,
        as_json,
        lambda d: console.print(
            tr("cli.esim.nickname", iccid=d["iccid"], nickname=repr(d["nickname"])),
            highlight=False,
            markup=False,
        ),
    )


# --- notifications, discovery, reset --------------------------------------------------------


@app.command()
def notifications(
    process: Annotated[
        bool, typer.Option("--process", help="Send pending notifications, then remove them.")
    ] = False,
    seq: Annotated[
        int | None, typer.Option("--seq", help="Only this sequence number (with --process).")
    ] = None,
    remove: Annotated[
        int | None, typer.Option("--remove", help="Remove this notification without sending.")
    ] = None,
    as_json: JsonOpt = False,
    transport: TransportOpt = None,
    state_dir: StateDirOpt = None,
    config: ConfigOpt = None,
) -> None:
    """List pending notifications; send them (--process) or drop one (--remove N)."""
    with errors_as_messages(as_json):
        if process and remove is not None:
            fail(
                "use --process or --remove, not both",
                as_json=as_json,
                said={"id": "cli.esim.process-or-remove", "params": {}},
            )
        if process:
            data = _run(state_dir, config, transport,
                        lambda c: c.post("/esim/notifications/process", json={"seq_number": seq}),
                        lambda s: s.process_notifications(seq))  # fmt: skip
        elif remove is not None:
            data = _run(state_dir, config, transport,
                        lambda c: c.post(f"/esim/notifications/{remove}/remove"),
                        lambda s: s.remove_notification(remove))  # fmt: skip
        else:
            data = _run(state_dir, config, transport, lambda c: c.get("/esim/notifications"),
                        lambda s: s.notifications())  # fmt: skip

    def render(d: dict[str, Any]) -> None:
        if "removed" in d:
            console.print(tr("cli.esim.notification-removed", seq=d["removed"]))
            return
        rows = d.get("notifications", d.get("processed", []))
        if not rows:
            console.print(tr("cli.esim.no-notifications"))
            return
        table = Table(tr("cli.esim.col.seq"), tr("cli.esim.col.operation"), "ICCID", "SM-DP+")
        if "processed" in d:
            table.add_column(tr("cli.esim.col.result"))
        for n in rows:
            extra = []
            if "processed" in d:
                extra = [
                    tr("cli.esim.sent-and-removed")
                    if n.get("removed")
                    else tr("cli.esim.kept", error=str(n.get("error", "not sent")))
                ]
            table.add_row(
                str(n["seq_number"]), n["operation"], n["iccid"] or "", n["address"], *extra
            )
        console.print(table)

    emit(data, as_json, render)


@app.command()
def discover(
    smds: Annotated[
        str | None, typer.Option("--smds", help="SM-DS address (default: the eUICC's root SM-DS).")
    ] = None,
    as_json: JsonOpt = False,
    transport: TransportOpt = None,
    state_dir: StateDirOpt = None,
    config: ConfigOpt = None,
) -> None:
    """Ask an SM-DS for profiles waiting for this eUICC (ES11)."""
    with errors_as_messages(as_json):
        data = _run(state_dir, config, transport,
                    lambda c: c.post("/esim/discover", json={"smds_address": smds}),
                    lambda s: s.discover(smds), timeout_s=120)  # fmt: skip

    def render(d: dict[str, Any]) -> None:
        if not d["events"]:
            console.print(tr("cli.esim.no-events"))
        for e in d["events"]:
            console.print(tr("cli.esim.event", event=e["event_id"], smdp=e["smdp_address"]),
                          highlight=False, markup=False)  # fmt: skip

    emit(data, as_json, render)


@app.command()
def reset(
    yes: Annotated[
        bool,
        typer.Option(
            "--yes-delete-all-profiles", help="Required: deletes every profile on the eUICC."
        ),
    ] = False,
    as_json: JsonOpt = False,
    transport: TransportOpt = None,
    state_dir: StateDirOpt = None,
    config: ConfigOpt = None,
) -> None:
    """eUICC memory reset: delete every profile and the default SM-DP+ address."""
    with errors_as_messages(as_json):
        if not yes:
            fail(
                "a memory reset deletes every profile; pass --yes-delete-all-profiles",
                as_json=as_json,
                said={"id": "cli.esim.reset-confirm", "params": {}},
            )
        data = _run(state_dir, config, transport, lambda c: c.post("/esim/reset", json={"confirm": True}),
                    lambda s: s.reset(confirm=True))  # fmt: skip
    emit(data, as_json, lambda d: console.print(tr("cli.esim.reset")))


@app.command()
def readers(as_json: JsonOpt = False) -> None:
    """List what each card transport can reach: PC/SC readers, QMI and MBIM modems."""
    from simspot.errors import EsimError
    from simspot.esim import mbim, qmi
    from simspot.esim.pcsc import list_readers_sync

    pcsc_error = None
    try:
        found = list_readers_sync()
    except EsimError as exc:  # no pcscd: the modems can still be listed
        found, pcsc_error = [], str(exc)
    data = {
        "readers": [
            {"index": r.index, "name": r.name, "card_present": r.card_present, "atr": r.atr}
            for r in found
        ],
        "pcsc_error": pcsc_error,
        "modems": [
            {"transport": d.protocol, "device": d.path, "driver": d.driver}
            for d in (*qmi.list_devices(), *mbim.list_devices())
        ],
    }

    def render(d: dict[str, Any]) -> None:
        if d["readers"]:
            table = Table(
                "#",
                tr("cli.esim.col.reader"),
                tr("cli.esim.col.card"),
                "ATR",
                title=tr("cli.esim.readers-title"),
            )
            for r in d["readers"]:
                table.add_row(
                    str(r["index"]),
                    r["name"],
                    tr("term.yes") if r["card_present"] else "",
                    r["atr"] or "-",
                )
            console.print(table)
        else:
            if d["pcsc_error"]:
                console.print(tr("cli.esim.no-reader", why=d["pcsc_error"]))
            else:
                console.print(tr("cli.esim.no-reader-hint"))
        if d["modems"]:
            table = Table(
                *(tr(f"cli.esim.col.{c}") for c in ("transport", "device", "driver")),
                title=tr("cli.esim.ports-title"),
            )
            for m in d["modems"]:
                table.add_row(m["transport"], m["device"], m["driver"] or "-")
            console.print(table)
        else:
            console.print(tr("cli.esim.no-modem-port"))

    emit(data, as_json, render)
