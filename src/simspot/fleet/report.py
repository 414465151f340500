"""The box's reporter: status, plans, usage, events and uplink decisions to the fleet's broker.

``Reporter`` is plain: a box id, the broker's address and credentials, the state database's path,
a clock and source callables. The daemon's ``fleet`` capability (``simspot.fleet.capability``)
feeds it from the live state and the event bus; a load test runs many in one process with a fake
clock and the real ledger (``simspot.plans.ledger``) in each box's store.

MQTT 5 over TLS (the broker's CA file, or the system's CAs; the certificate and host name are
always checked), ``clean_start`` false with a session expiry, so commands queued for the box while
it was away are delivered when it is back. The last will is a retained ``Status`` with
``online`` false. Usage, events, decisions and command results go through the outbox
(``simspot.fleet.outbox``): numbered once, sent QoS 1, removed when the fleet's ``Ack``
(``simspot/v1/<box>/ack``, published by the ingest after it committed them) covers them; sent
again when PUBACKed but not acknowledged after ``resend_after_s``, and after every reconnect (a
restarted broker may PUBACK a message and drop it). Status and plans are retained, published when they change and every
``status_interval_s``.

paho runs its network loop on its own thread; its callbacks hand over to the asyncio loop, where
everything else (the outbox, the sources, commands) runs.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import json
import logging
import ssl
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from simspot.errors import SimspotError
from simspot.fleet import protocol
from simspot.fleet.outbox import QUEUED_CHANNELS, Outbox
from simspot.fleet.protocol import Command, PlanState, Result, Status
from simspot.i18n import part, render
from simspot.store import Store

if TYPE_CHECKING:
    import paho.mqtt.client as mqtt

    from simspot.daemon.events import EventKind

log = logging.getLogger(__name__)

StatusSource = Callable[[], Mapping[str, Any]]  # Status fields but box, online and ts
PlansSource = Callable[[], list[PlanState]]
CommandRunner = Callable[[Command], Awaitable[dict[str, Any]]]  # raises SimspotError to refuse
# The reporter's own happenings (fleet.connected, fleet.command-done, ...), for the event log.
Notify = Callable[["EventKind", dict[str, Any]], None]

SESSION_EXPIRY_S = 7 * 86400
MAX_RECORDS = 500  # records per usage/events/uplink message (the contract allows 1000)
MAX_INFLIGHT = 16  # unacknowledged messages at a time
RESEND_AFTER_S = 30.0  # PUBACKed rows the fleet has not acknowledged after this are sent again


@dataclass(frozen=True)
class BrokerSettings:
    host: str
    port: int
    username: str
    password: str = field(repr=False)
    ca_file: Path | None = None  # None: the system's CAs
    # Plain TCP: only for benchmarks on loopback (the [fleet] config cannot ask for it).
    tls: bool = True
    keepalive_s: int = 30
    session_expiry_s: int = SESSION_EXPIRY_S


def _ssl_context(ca_file: Path | None) -> ssl.SSLContext:
    ctx = ssl.create_default_context(cafile=str(ca_file) if ca_file else None)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    return ctx  # CERT_REQUIRED and check_hostname: create_default_context's defaults


def _iso(t: float) -> dt.datetime:
    return dt.datetime.fromtimestamp(t, dt.UTC)


class Reporter:
    """One box's connection to the fleet (see the module docstring)."""

    def __init__(
        self,
        box: str,
        broker: BrokerSettings,
        store_path: Path,
        *,
        clock: Callable[[], float] = time.time,
        status: StatusSource | None = None,
        plans: PlansSource | None = None,
        commands: CommandRunner | None = None,
        allow_commands: frozenset[str] = frozenset(),
        notify: Notify | None = None,
        home_assistant: Callable[[], list[tuple[str, bytes]]] | None = None,
        status_interval_s: float = 60.0,
        usage_interval_s: float = 30.0,
        outbox_max: int = 100_000,
        max_records: int = MAX_RECORDS,
        max_inflight: int = MAX_INFLIGHT,
        check_interval_s: float = 5.0,
        resend_after_s: float = RESEND_AFTER_S,
        wall_clock: Callable[[], float] = time.time,
    ) -> None:
        self.box = protocol.check_box_id(box)
        self.broker = broker
        self.clock = clock
        self.status_source = status
        self.plans_source = plans
        self.commands = commands
        self.allow_commands = allow_commands
        self.notify = notify or (lambda kind, data: None)
        self.home_assistant = home_assistant
        self.status_interval_s = status_interval_s
        self.usage_interval_s = usage_interval_s
        self.max_records = max_records
        self.max_inflight = max_inflight
        # How often the sources are read to see whether status or plans changed (real seconds).
        self.check_interval_s = check_interval_s
        # Real seconds (not ``clock``, which tests run fast): when a PUBACKed row is sent again.
        self.resend_after_s = resend_after_s
        self.wall_clock = wall_clock
        self._last_check = float("-inf")
        self._store = Store(store_path)
        self.outbox = Outbox(self._store, max_rows=outbox_max)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._client: mqtt.Client | None = None
        self.connected = False
        self._was_connected = False
        # mid -> (channel, seqs) of messages the broker has not acknowledged yet
        self._inflight: dict[int, tuple[str, list[int]]] = {}
        self._retained_inflight: set[int] = set()
        self._last_status: tuple[dict[str, Any], float] | None = None
        self._last_plans: tuple[list[dict[str, Any]], float] | None = None
        self._last_collect = float("-inf")
        self._wake = asyncio.Event()
        self._tasks: set[asyncio.Task[None]] = set()
        self._hold_until = 0.0  # after a refused publish: wait before sending again
        self._overflow_told = False
        self._told_refused = False
        self.published = 0  # messages the broker took (PUBACK; for tests and benchmarks)
        self.acks = 0  # acknowledgements from the fleet
        self.refused = 0  # publishes the broker refused (PUBACK with an error)

    # -- lifecycle ---------------------------------------------------------------------------
    def _now(self) -> float:
        return self.clock()

    def _status_message(self, online: bool) -> Status:
        fields = dict(self.status_source()) if (online and self.status_source) else {}
        return Status(box=self.box, online=online, ts=_iso(self._now()), **fields)

    async def start(self) -> None:
        """Connect (in the background: an unreachable broker is retried with backoff)."""
        import paho.mqtt.client as mqtt
        from paho.mqtt.enums import CallbackAPIVersion
        from paho.mqtt.packettypes import PacketTypes
        from paho.mqtt.properties import Properties

        self._loop = asyncio.get_running_loop()
        for cmd_id, action in self.outbox.interrupted_commands():
            self._answer(
                cmd_id,
                action,
                ok=False,
                error=render("fleet.command.interrupted", {}),
                error_id="fleet.command.interrupted",
                result={},
            )
        client = mqtt.Client(
            CallbackAPIVersion.VERSION2,
            client_id=self.box,
            protocol=mqtt.MQTTv5,
            manual_ack=True,
        )
        client.username_pw_set(self.broker.username, self.broker.password)
        if self.broker.tls:
            client.tls_set_context(_ssl_context(self.broker.ca_file))
        client.will_set(
            protocol.topic(self.box, "status"),
            protocol.encode(self._status_message(online=False)),
            qos=1,
            retain=True,
        )
        client.reconnect_delay_set(1, 30)
        client.max_inflight_messages_set(self.max_inflight + 4)
        client.on_connect = self._on_connect
        client.on_disconnect = self._on_disconnect
        client.on_connect_fail = lambda c, u: self._call(
            self._connect_failed,
            "no connection to the broker (unreachable, or its certificate is not trusted)",
        )
        client.on_publish = self._on_publish
        client.on_message = self._on_message
        client.on_subscribe = lambda *a: None
        props = Properties(PacketTypes.CONNECT)  # type: ignore[no-untyped-call]
        props.SessionExpiryInterval = self.broker.session_expiry_s
        self._client = client
        client.connect_async(
            self.broker.host,
            self.broker.port,
            keepalive=self.broker.keepalive_s,
            clean_start=False,
            properties=props,
        )
        client.loop_start()

    async def stop(self, timeout_s: float = 5.0) -> None:
        """Say goodbye (retained ``online`` false), disconnect, close the outbox."""
        for task in list(self._tasks):
            task.cancel()
        client, self._client = self._client, None
        if client is not None:
            said = False
            if self.connected:
                info = client.publish(
                    protocol.topic(self.box, "status"),
                    protocol.encode(self._status_message(online=False)),
                    qos=1,
                    retain=True,
                )
                with contextlib.suppress(RuntimeError, ValueError):  # lost meanwhile: the will
                    await asyncio.to_thread(info.wait_for_publish, timeout_s)
                said = info.is_published()
            if said:
                client.disconnect()
            else:  # the goodbye did not get through: the broker publishes the will instead
                from paho.mqtt.packettypes import PacketTypes
                from paho.mqtt.reasoncodes import ReasonCode

                client.disconnect(
                    ReasonCode(PacketTypes.DISCONNECT, "Disconnect with will message")
                )
            await asyncio.to_thread(client.loop_stop)
        self.connected = False
        self.outbox.close()
        self._store.close()

    # -- paho's thread -> the loop -------------------------------------------------------------
    def _call(self, fn: Callable[..., None], *args: Any) -> None:
        loop = self._loop
        if loop is not None and not loop.is_closed():
            try:
                loop.call_soon_threadsafe(fn, *args)
            except RuntimeError:  # the loop closed meanwhile: nothing left to tell
                return

    def _on_connect(
        self, client: mqtt.Client, userdata: Any, flags: Any, reason: Any, props: Any
    ) -> None:
        if reason.is_failure:
            self._call(self._connect_failed, str(reason))
            return
        # Subscribing on paho's thread keeps it before any publish of ours on this session.
        client.subscribe(
            [(protocol.topic(self.box, "cmd"), 1), (protocol.topic(self.box, "ack"), 1)]
        )
        self._call(self._connected)

    def _on_disconnect(
        self, client: mqtt.Client, userdata: Any, flags: Any, reason: Any, props: Any
    ) -> None:
        self._call(self._disconnected, str(reason))

    def _on_publish(
        self, client: mqtt.Client, userdata: Any, mid: int, reason: Any, props: Any
    ) -> None:
        self._call(self._acked, mid, not reason.is_failure, str(reason))

    def _on_message(self, client: mqtt.Client, userdata: Any, msg: mqtt.MQTTMessage) -> None:
        self._call(self._received, msg.topic, bytes(msg.payload), msg.mid, msg.qos)

    # -- on the loop -----------------------------------------------------------------------------
    def _spawn(self, coro: Awaitable[None]) -> None:
        task: asyncio.Task[None] = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _emit(self, kind: EventKind, data: dict[str, Any]) -> None:
        self.notify(kind, data)

    def _connect_failed(self, reason: str) -> None:
        if not self._told_refused:  # once until the next successful connection
            self._told_refused = True
            self._emit("fleet.disconnected", {"reason": reason})

    def _connected(self) -> None:
        self.connected = True
        self._was_connected = True
        self._told_refused = False
        self._hold_until = 0.0
        self._emit("fleet.connected", {"broker": f"{self.broker.host}:{self.broker.port}"})
        self._last_status = self._last_plans = None  # publish both again on every connection
        # What the broker took before may have been dropped (a restarted broker loses shared
        # subscriptions): everything not acknowledged by the fleet goes again.
        self.outbox.unsend()
        if self.home_assistant is not None:
            for topic_name, payload in self.home_assistant():
                self._publish_retained(topic_name, payload)
        self._wake.set()

    def _disconnected(self, reason: str) -> None:
        was = self.connected
        self.connected = False
        if was:
            self._emit("fleet.disconnected", {"reason": reason})
        # paho keeps its unacknowledged messages and sends them again after reconnecting (same
        # mids), so the in-flight map stays.

    def _acked(self, mid: int, ok: bool, reason: str) -> None:
        self._retained_inflight.discard(mid)
        entry = self._inflight.pop(mid, None)
        if entry is None:
            return
        channel, seqs = entry
        if ok:
            self.outbox.mark_sent(channel, seqs, self.wall_clock())
            self.published += 1
        else:
            # The broker refused (an ACL that does not fit the box): keep the rows, try again
            # later, say it once per episode.
            self.refused += 1
            if self._hold_until == 0.0:
                log.error("the fleet broker refused a %s message: %s", channel, reason)
            self._hold_until = time.monotonic() + 30
        self._wake.set()

    # -- queueing ------------------------------------------------------------------------------
    def add_event(
        self,
        kind: str,
        *,
        ts: float | None = None,
        severity: Literal["info", "warning", "error"] = "info",
        message_id: str = "",
        params: Mapping[str, Any] | None = None,
        message: str = "",
    ) -> int:
        """Queue one event of the box's log; returns its seq."""
        body = protocol.Event(
            seq=1,
            ts=_iso(self._now() if ts is None else ts),
            kind=kind,
            severity=severity,
            message_id=message_id,
            params=dict(params or {}),
            message=message,
        ).model_dump(mode="json", exclude={"seq"})
        return self._queue("events", body)

    def add_uplink_decision(
        self,
        chosen: str,
        *,
        ts: float | None = None,
        previous: str = "",
        reason_id: str = "",
        params: Mapping[str, Any] | None = None,
        reason: str = "",
    ) -> int:
        body = protocol.UplinkDecision(
            seq=1,
            ts=_iso(self._now() if ts is None else ts),
            chosen=chosen,
            previous=previous,
            reason_id=reason_id,
            params=dict(params or {}),
            reason=reason,
        ).model_dump(mode="json", exclude={"seq"})
        return self._queue("uplink", body)

    def _queue(self, channel: str, body: dict[str, Any]) -> int:
        seq, dropped = self.outbox.add(channel, body, self._now())
        if dropped:
            self._overflow(channel, dropped)
        self._wake.set()
        return seq

    def _overflow(self, channel: str, dropped: int) -> None:
        log.warning("fleet outbox full: dropped the %d oldest %s", dropped, channel)
        if not self._overflow_told:
            self._overflow_told = True  # once per episode (cleared when the outbox drains)
            self._emit("fleet.outbox-full", {"channel": channel, "dropped": dropped})

    def collect(self) -> int:
        """Move new ledger usage into the outbox now; returns the records added."""
        done = self.outbox.collect(self._now())
        self._last_collect = self._now()
        if not done.complete and not self._overflow_told:
            self._overflow_told = True
            self._emit("fleet.outbox-full", {"channel": "usage", "dropped": 0})
        if done.records:
            self._wake.set()
        return done.records

    # -- sending -------------------------------------------------------------------------------
    def _publish_retained(self, name: str, payload: bytes) -> None:
        client = self._client
        if client is None:
            return
        info = client.publish(name, payload, qos=1, retain=True)
        self._retained_inflight.add(info.mid)

    def publish_state(self, force: bool = False) -> None:
        """Status and plans (retained) when changed, due, or ``force``."""
        if not self.connected:
            return
        fresh = self._last_status is None or (
            self.plans_source is not None and self._last_plans is None
        )
        if not (force or fresh) and time.monotonic() - self._last_check < self.check_interval_s:
            return
        self._last_check = time.monotonic()
        now = self._now()
        if self.status_source is not None or self._last_status is None:
            status = self._status_message(online=True)
            shown = status.model_dump(mode="json", exclude={"ts"})
            last = self._last_status
            if force or last is None or last[0] != shown or now - last[1] >= self.status_interval_s:
                self._publish_retained(protocol.topic(self.box, "status"), protocol.encode(status))
                self._last_status = (shown, now)
        if self.plans_source is not None:
            plans = self.plans_source()
            shown_plans = [p.model_dump(mode="json") for p in plans]
            lastp = self._last_plans
            if (
                force
                or lastp is None
                or lastp[0] != shown_plans
                or now - lastp[1] >= self.status_interval_s
            ):
                body = protocol.Plans(box=self.box, ts=_iso(now), plans=plans)
                self._publish_retained(protocol.topic(self.box, "plans"), protocol.encode(body))
                self._last_plans = (shown_plans, now)

    def pump(self) -> int:
        """Send outbox rows not in flight, up to ``max_inflight`` messages; returns how many."""
        client = self._client
        if client is None or not self.connected or time.monotonic() < self._hold_until:
            return 0
        sent = 0
        resend_before = self.wall_clock() - self.resend_after_s
        busy: dict[str, set[int]] = {}
        for channel, seqs in self._inflight.values():
            busy.setdefault(channel, set()).update(seqs)
        for channel in QUEUED_CHANNELS:
            while len(self._inflight) < self.max_inflight:
                limit = 1 if channel == "result" else self.max_records
                rows = self.outbox.pending(channel, busy.get(channel, set()), limit, resend_before)
                if not rows:
                    break
                payload = self._message(channel, [r.body for r in rows])
                info = client.publish(protocol.topic(self.box, channel), payload, qos=1)  # type: ignore[arg-type]
                seqs = [r.seq for r in rows]
                self._inflight[info.mid] = (channel, seqs)
                busy.setdefault(channel, set()).update(seqs)
                sent += 1
        if not self._inflight and self.outbox.count() == 0:
            self._overflow_told = False
        return sent

    def _message(self, channel: str, bodies: list[dict[str, Any]]) -> bytes:
        if channel == "result":
            return json.dumps(bodies[0]).encode()
        key = {"usage": "records", "events": "events", "uplink": "decisions"}[channel]
        return json.dumps({"box": self.box, key: bodies}).encode()

    async def step(self) -> None:
        """One round: collect usage when due, publish state when due, send what waits."""
        if self._now() - self._last_collect >= self.usage_interval_s:
            self.collect()
        self.publish_state()
        self.pump()

    async def run(self) -> None:
        """Steps until cancelled: every second, and at once when something is queued or acked."""
        while True:
            self._wake.clear()
            await self.step()
            try:
                await asyncio.wait_for(self._wake.wait(), 1.0)
            except TimeoutError:
                pass

    async def drained(self, timeout_s: float = 30.0) -> bool:
        """Wait until the outbox is empty (the fleet acknowledged everything) and nothing is in
        flight (tests, `fleet status`)."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.connected:
                self.pump()
            if self.outbox.count() == 0 and not self._inflight:
                return True
            await asyncio.sleep(0.05)
        return False

    # -- commands --------------------------------------------------------------------------------
    def _ack(self, mid: int, qos: int) -> None:
        client = self._client
        if client is not None and qos > 0:
            client.ack(mid, qos)

    def _fleet_ack(self, payload: bytes, mid: int, qos: int) -> None:
        """The fleet committed these seqs: their rows leave the outbox."""
        try:
            ack = protocol.decode(protocol.Ack, payload)
        except SimspotError as exc:
            log.warning("fleet: ignored an acknowledgement that does not fit: %s", exc)
        else:
            for channel in protocol.ACKED_CHANNELS:
                ranges = getattr(ack, channel)
                if ranges:
                    self.outbox.acked(channel, ranges)
            for refused in ack.refused:  # never to be stored: sending them again costs data
                rows = self.outbox.acked(refused.channel, refused.ranges)
                if rows:
                    log.warning(
                        "fleet: the fleet server refused %d %s rows: %s",
                        rows,
                        refused.channel,
                        refused.reason,
                    )
                    self._emit(
                        "fleet.refused",
                        {"channel": refused.channel, "rows": rows, "reason": refused.reason},
                    )
            self.acks += 1
        self._ack(mid, qos)
        self._wake.set()

    def _received(self, name: str, payload: bytes, mid: int, qos: int) -> None:
        """A command: recorded before it is acknowledged, refused or run once, answered."""
        if name == protocol.topic(self.box, "ack"):
            self._fleet_ack(payload, mid, qos)
            return
        try:
            cmd = protocol.decode(Command, payload)
        except SimspotError as exc:
            self._ack(mid, qos)
            cmd_id = _loose_id(payload)
            self._emit(
                "fleet.command-refused",
                {"id": cmd_id or "", "action": "", "why": str(exc), "why_said": exc.message_json()},
            )
            if cmd_id:
                self._answer(
                    cmd_id, "", ok=False, error=str(exc), error_id="", result={}, tell=False
                )
            return
        seen = self.outbox.command_seen(cmd.id)
        if seen is not None:
            self._ack(mid, qos)
            state, answer = seen
            if state == "done" and answer is not None:  # delivered twice: the same answer
                self.outbox.add("result", answer, self._now())
                self._wake.set()
            return
        self.outbox.command_started(cmd.id, cmd.action, self._now())
        self._ack(mid, qos)
        refusal = self._refusal(cmd)
        if refusal is not None:
            why_id, params = refusal
            why = render(why_id, params)
            self._emit(
                "fleet.command-refused",
                {
                    "id": cmd.id,
                    "action": cmd.action,
                    "why": why,
                    "why_said": part(why_id, **params),
                },
            )
            self._answer(
                cmd.id, cmd.action, ok=False, error=why, error_id=why_id, result={}, tell=False
            )
            return
        self._emit("fleet.command", {"id": cmd.id, "action": cmd.action})
        self._spawn(self._run_command(cmd))

    def _refusal(self, cmd: Command) -> tuple[str, dict[str, Any]] | None:
        """Why ``cmd`` does not run here (a message id and its parameters), or None."""
        if cmd.action not in self.allow_commands:
            return "fleet.command.not-allowed", {"action": cmd.action}
        if cmd.expires is not None and cmd.expires.timestamp() <= self._now():
            return "fleet.command.expired", {"expires": cmd.expires.isoformat()}
        if self.commands is None:
            return "fleet.command.no-runner", {}
        return None

    async def _run_command(self, cmd: Command) -> None:
        runner = self.commands
        if runner is None:  # _refusal answered it already
            return
        try:
            result = await runner(cmd)
        except SimspotError as exc:
            self._answer(
                cmd.id,
                cmd.action,
                ok=False,
                error=str(exc),
                error_id=exc.msg_id or "",
                result={},
                said=exc.message_json(),
            )
        except Exception as exc:  # a bug in a command: answered, logged with its traceback
            log.exception("fleet command %s failed", cmd.action)
            self._answer(
                cmd.id,
                cmd.action,
                ok=False,
                error=f"internal error: {type(exc).__name__}",
                error_id="",
                result={},
            )
        else:
            self._answer(cmd.id, cmd.action, ok=True, error="", error_id="", result=result)

    def _answer(
        self,
        cmd_id: str,
        action: str,
        *,
        ok: bool,
        error: str,
        error_id: str,
        result: dict[str, Any],
        tell: bool = True,
        said: dict[str, Any] | None = None,
    ) -> None:
        body = Result(
            box=self.box,
            id=cmd_id,
            ok=ok,
            ts=_iso(self._now()),
            result=result,
            error=error,
            error_id=error_id,
        ).model_dump(mode="json")
        self.outbox.command_started(cmd_id, action or "unknown", self._now())
        self.outbox.command_done(cmd_id, body, self._now())
        if tell:
            self._emit(
                "fleet.command-done",
                {"id": cmd_id, "action": action, "ok": ok, "error": error, "error_said": said},
            )
        self._wake.set()


def _loose_id(payload: bytes) -> str | None:
    """The id of a command that did not parse, when it has a usable one (to answer it)."""
    try:
        data = json.loads(payload)
    except (ValueError, UnicodeDecodeError):
        return None
    cmd_id = data.get("id") if isinstance(data, dict) else None
    if isinstance(cmd_id, str) and 8 <= len(cmd_id) <= 64 and cmd_id.replace("-", "").isalnum():
        return cmd_id
    return None
