"""The ``fleet`` capability: the box reports to its fleet and takes the commands it allows.

Off unless ``[fleet] enabled`` (``simspot fleet join`` sets it up); when off, nothing is imported
beyond this module and the settings. When on, one supervised component runs a
``simspot.fleet.report.Reporter`` fed from the daemon:

- status from ``Daemon.status()`` and the current uplink's plan (``PLAN_QUERIES``),
- plans from ``PLAN_QUERIES.statuses()``,
- usage from the ledger in the state database (the reporter reads it itself),
- every event of the bus (but eSIM download progress) as an event, and ``uplink.decided`` also
  as an uplink decision,
- commands through the daemon's own REST API, called in process with the CLI's token
  (``ApiCall``), so a command does exactly what the same call does from the CLI or the web UI:
  the same validation, the same events, the same errors.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import re
import sqlite3
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from simspot.daemon.capabilities import Capability, Installer
from simspot.errors import SimspotError, SimspotValueError
from simspot.fleet import protocol
from simspot.fleet.settings import CREDENTIALS_FILE
from simspot.i18n import CATALOGUE, render
from simspot.services import PLAN_QUERIES, PlanQueries

if TYPE_CHECKING:
    from simspot.daemon.events import Event, EventKind
    from simspot.daemon.runtime import Daemon
    from simspot.fleet.report import Reporter
    from simspot.plans.status import PlanStatus

log = logging.getLogger(__name__)

# Events the fleet does not need (many per second during a download).
NOT_FORWARDED = frozenset({"esim.download.progress"})
_PATH_PART = re.compile(r"^[A-Za-z0-9:._-]{1,64}$")


class CommandFailed(SimspotError):
    """The box's API refused or failed a fleet command: its answer's sentence (and id)."""

    def __init__(
        self, detail: str, *, msg_id: str | None = None, params: dict[str, Any] | None = None
    ) -> None:
        super().__init__(detail)
        # Set after the constructor: the sentence is the API's (already masked), not re-rendered.
        self.msg_id = msg_id
        self.params = dict(params or {})


def load_credentials(path: Path, box: str) -> str:
    """The broker password for ``box`` from the credentials file ``fleet join`` wrote."""
    where = {"path": str(path)}
    field = "fleet.credentials_file"
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise SimspotValueError(
            msg_id="fleet.credentials.missing", params=where, field=field
        ) from None
    except (OSError, ValueError) as exc:
        raise SimspotValueError(
            msg_id="fleet.credentials.unreadable",
            params={**where, "error": type(exc).__name__},
            field=field,
        ) from None
    if not isinstance(data, dict) or not isinstance(data.get("password"), str):
        raise SimspotValueError(msg_id="fleet.credentials.no-password", params=where, field=field)
    if data.get("box") != box:
        raise SimspotValueError(
            msg_id="fleet.credentials.other-box",
            params={**where, "found": str(data.get("box")), "box": box},
            field="fleet.box_id",
        )
    return str(data["password"])


def credentials_path(daemon_state_dir: Path, configured: Path | None) -> Path:
    return configured or daemon_state_dir / CREDENTIALS_FILE


class ApiCall:
    """The daemon's own REST API, called in process (ASGI) with the CLI's bearer token."""

    def __init__(self, daemon: Daemon) -> None:
        self.daemon = daemon
        self._app: Any = None

    async def __call__(
        self, method: str, path: str, body: dict[str, Any] | None = None
    ) -> tuple[int, Any]:
        if self._app is None:
            from simspot.daemon.api import create_app

            self._app = create_app(self.daemon)
        data = json.dumps(body if body is not None else {}).encode() if method != "GET" else b""
        scope = {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": method,
            "scheme": "http",
            "path": path,
            "raw_path": path.encode(),
            "query_string": b"",
            "root_path": "",
            "headers": [
                (b"host", b"localhost"),
                (b"authorization", f"Bearer {self.daemon.auth.token}".encode()),
                (b"content-type", b"application/json"),
                (b"content-length", str(len(data)).encode()),
            ],
            "client": ("127.0.0.1", 0),
            "server": ("127.0.0.1", 0),
        }
        sent = False
        finished = asyncio.Event()
        status = 500
        chunks: list[bytes] = []

        async def receive() -> dict[str, Any]:
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": data, "more_body": False}
            await finished.wait()
            return {"type": "http.disconnect"}

        async def send(message: dict[str, Any]) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            elif message["type"] == "http.response.body":
                chunks.append(bytes(message.get("body", b"")))
                if not message.get("more_body"):
                    finished.set()

        await self._app(scope, receive, send)
        finished.set()
        raw = b"".join(chunks)
        try:
            return status, json.loads(raw) if raw else None
        except ValueError:
            return status, raw.decode(errors="replace")


def _part(args: dict[str, Any], name: str) -> str:
    value = args.get(name)
    if not isinstance(value, str) or not _PATH_PART.fullmatch(value) or ".." in value:
        raise SimspotValueError(
            msg_id="fleet.command.bad-arg", params={"name": name}, field=f"args.{name}"
        )
    return value


def _only(args: dict[str, Any], *names: str) -> None:
    extra = sorted(set(args) - set(names))
    if extra:
        raise SimspotValueError(
            msg_id="fleet.command.unknown-arg", params={"name": extra[0]}, field=f"args.{extra[0]}"
        )


class CommandRunner:
    """Fleet commands as calls of the daemon's API (see the module docstring)."""

    def __init__(self, api: ApiCall) -> None:
        self.api = api

    async def __call__(self, cmd: protocol.Command) -> dict[str, Any]:
        args = dict(cmd.args)
        action = cmd.action
        v1 = "/api/v1"
        if action == "plan.set":  # the plan of args.iccid, added or changed
            status, plans = await self.api("GET", f"{v1}/plans")
            iccid = args.get("iccid")
            have = status == 200 and any(
                p.get("plan", p).get("iccid") == iccid for p in (plans or {}).get("plans", [])
            )
            if have:
                call = ("PATCH", f"{v1}/plans/{_part(args, 'iccid')}", args)
            else:
                call = ("POST", f"{v1}/plans", args)
        elif action == "uplink.use":
            call = ("POST", f"{v1}/uplink/use", args)
        elif action == "uplink.auto":
            _only(args)
            call = ("POST", f"{v1}/uplink/auto", {})
        elif action == "esim.download":
            call = ("POST", f"{v1}/esim/download", args)
        elif action == "guest.add":
            call = ("POST", f"{v1}/guests", args)
        elif action == "guest.revoke":
            _only(args, "id")
            call = ("POST", f"{v1}/guests/{_part(args, 'id')}/revoke", {})
        elif action in ("client.block", "client.unblock"):
            _only(args, "mac")
            verb = action.split(".")[1]
            call = ("POST", f"{v1}/hotspot/clients/{_part(args, 'mac')}/{verb}", {})
        elif action in ("hotspot.on", "hotspot.off"):
            _only(args)
            call = ("POST", f"{v1}/hotspot/{'up' if action == 'hotspot.on' else 'down'}", {})
        else:  # the contract's Literal keeps this out; a newer fleet may know more
            raise SimspotValueError(
                msg_id="fleet.command.unknown-action", params={"action": action}, field="action"
            )
        status, body = await self.api(*call)
        if 200 <= status < 300:
            return body if isinstance(body, dict) else {"items": body}
        raise _failure(status, body)


def _invalid(where: str, said: str, message: Any) -> CommandFailed:
    """A request the box's API found invalid: its first problem (``said``, at ``where`` in the
    arguments), by the API's own id when that is the same sentence about ``args.<where>``."""
    text = f"args.{where}: {said}" if where else said
    if isinstance(message, dict) and message.get("id") in CATALOGUE:
        params = dict(message.get("params") or {})
        if where and params.get("field") == where:
            params["field"] = f"args.{where}"
            with contextlib.suppress(KeyError, TypeError, ValueError):
                if render(str(message["id"]), params) == text:
                    return CommandFailed(text, msg_id=str(message["id"]), params=params)
    if where:
        return CommandFailed(
            text, msg_id="fleet.command.invalid-arg", params={"field": where, "problem": said}
        )
    return CommandFailed(text, msg_id="fleet.command.invalid", params={"problem": said})


def _failure(status: int, body: Any) -> CommandFailed:
    if status == 404:
        return CommandFailed(render("fleet.command.no-api", {}), msg_id="fleet.command.no-api")
    if isinstance(body, dict):
        detail = body.get("detail")
        message = body.get("message") if isinstance(body.get("message"), dict) else None
        if isinstance(detail, list) and detail:  # request validation: the first problem
            first = detail[0] if isinstance(detail[0], dict) else {}
            where = ".".join(str(p) for p in first.get("loc", []) if p != "body")
            said = str(first.get("msg", "invalid"))
            return _invalid(where, said, first.get("message"))
        if isinstance(detail, str):
            msg_id = str(message["id"]) if message and "id" in message else None
            params = dict(message.get("params", {})) if message else {}
            return CommandFailed(detail, msg_id=msg_id, params=params)
    answered = {"status": status}
    return CommandFailed(
        render("fleet.command.http-status", answered),
        msg_id="fleet.command.http-status",
        params=answered,
    )


class FleetReport:
    """The supervised component: a Reporter fed from the daemon (see the module docstring)."""

    name = "fleet"

    def __init__(self, daemon: Daemon, plans: PlanQueries | None) -> None:
        self.daemon = daemon
        self.plans = plans
        self.reporter: Reporter | None = None
        self.commands = CommandRunner(ApiCall(daemon))
        self._last_id = 0  # the bus's id of the last event forwarded (kept across restarts)

    # -- sources -------------------------------------------------------------------------------
    def _statuses(self) -> list[PlanStatus]:
        return self.plans.statuses(forecast=True) if self.plans is not None else []

    def status(self) -> dict[str, Any]:
        d = self.daemon
        st = d.status()
        up = d.uplink_id() or ""
        left = next(
            (ps.remaining_bytes for ps in self._statuses() if ps.plan.iccid == up and up), None
        )
        modem = st.modem
        slot = modem.active_slot() if modem else None
        label = (modem.operator_name or "") if modem and slot and slot.iccid == up else ""
        battery = st.battery.percent if st.battery else None
        why = st.not_sharing_message or {}
        return {
            "version": st.version,
            "name": d.config.fleet.name,
            "sharing": st.not_sharing is None,
            "reason": st.not_sharing or "",
            "reason_id": str(why.get("id", "")),
            "uplink": up,
            "uplink_label": label[:64],
            "signal": modem.signal_percent if modem else None,
            "battery": None if battery is None else round(battery),
            "clients": len(st.clients),
            "guests": self._guests(),
            "simulated": list(st.simulated),
            "data_left": left,
        }

    def _guests(self) -> int:
        store = self.daemon.store
        if store is None:
            return 0
        try:
            row = store.db.execute(
                "SELECT COUNT(*) FROM guest_pass WHERE revoked IS NULL AND until > ?",
                (time.time(),),
            ).fetchone()
        except sqlite3.Error:  # no guest passes on this box (the table is made on first use)
            return 0
        return int(row[0])

    def plan_states(self) -> list[protocol.PlanState]:
        out = []
        for ps in self._statuses():
            p = ps.plan
            pct = ps.percent()
            if ps.expired:
                state = "expired"
            elif ps.exhausted:
                state = "exhausted"
            elif (pct is not None and pct >= 80) or (ps.forecast and ps.forecast.runs_out_at):
                state = "warning"
            else:
                state = "ok"
            tether_left = None
            if p.tethering_allowance_bytes is not None:
                tether_left = max(0, p.tethering_allowance_bytes - ps.tethering_used_bytes)
            out.append(
                protocol.PlanState(
                    iccid=p.iccid,
                    name=p.name,
                    allowance=p.allowance_bytes,
                    used=max(0, ps.used_bytes),
                    left=ps.remaining_bytes,
                    tethering_left=tether_left,
                    cycle_end=ps.period.end if ps.period else None,
                    forecast=ps.forecast.projected_bytes if ps.forecast else None,
                    state=state,
                )
            )
        return out

    def notify(self, kind: EventKind, data: dict[str, Any]) -> None:
        if kind == "fleet.command-done" and not data.get("ok"):
            data = {**data, "variant": "failed"}
        self.daemon.bus.publish(kind, data)

    def forward(self, ev: Event) -> None:
        from simspot import i18n
        from simspot.secrets import mask

        reporter = self.reporter
        if reporter is None or ev.id <= self._last_id:
            return
        self._last_id = ev.id
        if ev.kind in NOT_FORWARDED:
            return
        data = mask(ev.data)
        message = i18n.event_message(ev.kind, data)
        reporter.add_event(
            ev.kind,
            ts=ev.ts,
            severity=i18n.severity(ev.kind),
            message_id=message.id,
            params=message.params,
            message=message.text("en"),
        )
        if ev.kind == "uplink.decided":
            reporter.add_uplink_decision(
                str(data.get("chosen") or ""),
                ts=ev.ts,
                previous=str(data.get("current") or ""),
                params={
                    "rule": data.get("rule"),
                    "held_by": data.get("held_by"),
                    "reason_zh": data.get("reason_zh"),
                },
                reason=str(data.get("reason_en") or ""),
            )

    # -- running -------------------------------------------------------------------------------
    def _build(self) -> Reporter:
        from simspot.fleet.homeassistant import discovery
        from simspot.fleet.report import BrokerSettings, Reporter

        d = self.daemon
        conf = d.config.fleet
        if conf.broker is None or conf.box_id is None:  # the settings refuse this; be plain
            raise SimspotValueError(msg_id="fleet.enabled-needs", field="fleet")
        url = protocol.parse_broker_url(conf.broker)
        password = load_credentials(
            credentials_path(d.state_dir, conf.credentials_file), conf.box_id
        )
        box = conf.box_id
        ha = None
        if conf.home_assistant:
            from simspot import __version__

            def ha() -> list[tuple[str, bytes]]:
                return discovery(box, conf.name or box, __version__, prefix=conf.ha_prefix)

        return Reporter(
            box,
            BrokerSettings(
                url.host,
                url.port,
                box,
                password,
                ca_file=conf.ca_file,
                session_expiry_s=conf.session_expiry_s,
            ),
            d.state_dir / "simspot.db",
            status=self.status,
            plans=self.plan_states if self.plans is not None else None,
            commands=self.commands,
            allow_commands=frozenset(conf.allow_commands),
            notify=self.notify,
            home_assistant=ha,
            status_interval_s=conf.status_interval_s,
            usage_interval_s=conf.usage_interval_s,
            outbox_max=conf.outbox_max,
            resend_after_s=conf.resend_after_s,
        )

    async def run(self) -> None:
        bus = self.daemon.bus
        queue = bus.subscribe()  # before the reporter exists: nothing is missed from here on
        reporter = self._build()
        runner: asyncio.Task[None] | None = None
        try:
            await reporter.start()
            self.reporter = reporter
            for ev in bus.recent():  # what happened before (the daemon's start): once each
                self.forward(ev)
            runner = asyncio.create_task(reporter.run(), name="fleet-reporter")
            while True:
                getter = asyncio.ensure_future(queue.get())
                done, _ = await asyncio.wait({getter, runner}, return_when=asyncio.FIRST_COMPLETED)
                if runner in done:
                    getter.cancel()
                    runner.result()  # a failure of the reporter fails the component
                    return
                self.forward(getter.result())
        finally:
            bus.unsubscribe(queue)
            if runner is not None:
                runner.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await runner
            self.reporter = None
            await reporter.stop(timeout_s=2.0)

    async def close(self) -> None:
        return None


def install(inst: Installer) -> None:
    daemon = inst.daemon
    if not daemon.config.fleet.enabled:
        return
    from simspot.fleet.boxapi import router

    component = FleetReport(daemon, inst.want(PLAN_QUERIES))
    daemon.supervisor.add(component)
    daemon.routers.append(router(component))


CAPABILITY = Capability(name="fleet", install=install, wants=(PLAN_QUERIES,))
