"""The fleet contract: MQTT topic tree, message bodies and per-box ACLs (docs/FLEET.md).

Everything a box publishes is JSON under ``simspot/v1/<box>/...``; the fleet server publishes only
commands and acknowledgements (``ack``). Bodies are pydantic models with ``extra="forbid"``: a message that does not fit is
refused with a sentence naming the field (`decode`), never half applied.

Exactly-once counting: every usage record carries the box id and a sequence number that the box
assigns once, in its own SQLite outbox, before the first attempt to send it. Delivery is at least
once (QoS 1, resent after reconnects); the store of record keeps the first copy of
``(box, seq)`` and ignores the others, so a byte is counted once however often it arrives.

End-to-end acknowledgement: a broker's PUBACK is not enough (Mosquitto 2.0 drops what arrives
for a shared subscription it lost in a restart). After the ingest commits a batch it publishes,
on ``simspot/v1/<box>/ack``, the seqs of each queued channel it committed (duplicates included);
the box keeps every row until such an ``Ack`` covers it and sends rows again that were PUBACKed
but not acknowledged after a while, or after a reconnect.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any, Literal, TypeVar
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from simspot.errors import SimspotValueError
from simspot.i18n import render, schema_message

VERSION = "v1"
ROOT = f"simspot/{VERSION}"
# Box ids are MQTT user names and topic levels: no wildcards, separators or spaces.
BOX_ID_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,31}$")
# Home Assistant's default discovery prefix.
HA_PREFIX = "homeassistant"
# Ingest workers share one subscription group (MQTT 5 shared subscriptions).
SHARE_GROUP = "simspot-ingest"
SHARE_GROUP_RE = re.compile(r"^[A-Za-z0-9_-]{1,64}$")

Channel = Literal["status", "usage", "plans", "uplink", "events", "cmd", "result", "ack"]
# What a box may publish, and QoS/retain for each.
BOX_PUBLISHES: dict[str, tuple[int, bool]] = {
    "status": (1, True),  # retained: the fleet sees a box's last state at once
    "plans": (1, True),  # retained
    "usage": (1, False),
    "uplink": (1, False),
    "events": (1, False),
    "result": (1, False),  # answers to commands
}
# What the fleet server publishes to a box (QoS 1, never retained).
SERVER_PUBLISHES = ("cmd", "ack")
# Channels whose messages carry seqs the box keeps until an ``Ack`` covers them.
ACKED_CHANNELS = ("usage", "events", "uplink", "result")


def check_box_id(box: str) -> str:
    if not BOX_ID_RE.fullmatch(box):
        raise SimspotValueError(msg_id="fleet.box-id", field="box")
    return box


def topic(box: str, channel: Channel) -> str:
    """``simspot/v1/<box>/<channel>``: where ``box`` publishes (or, for ``cmd``/``ack``, listens)."""
    return f"{ROOT}/{check_box_id(box)}/{channel}"


def parse_topic(name: str) -> tuple[str, str]:
    """``simspot/v1/<box>/<channel>`` -> (box, channel); a sentence for anything else."""
    parts = name.split("/")
    if len(parts) != 4 or "/".join(parts[:2]) != ROOT:
        raise SimspotValueError(
            msg_id="fleet.topic.outside", params={"topic": repr(name), "root": ROOT}
        )
    box, channel = parts[2], parts[3]
    check_box_id(box)
    if channel not in BOX_PUBLISHES and channel not in SERVER_PUBLISHES:
        raise SimspotValueError(
            msg_id="fleet.topic.channel", params={"topic": repr(name), "channel": repr(channel)}
        )
    return box, channel


def ingest_subscriptions(group: str = SHARE_GROUP) -> list[str]:
    """What each ingest worker subscribes to: one shared group, so workers split the load.

    Mosquitto's acl_file checks reads when it delivers, not when a client subscribes: a box
    that joins the workers' group gets its turn of every message, which the broker then drops.
    A fleet on Mosquitto gives its workers a group name the boxes do not know
    (``simspot fleet serve --share-group``)."""
    if not SHARE_GROUP_RE.fullmatch(group):
        raise SimspotValueError(msg_id="fleet.share-group", field="share-group")
    return [f"$share/{group}/{ROOT}/+/{ch}" for ch in BOX_PUBLISHES]


def mosquitto_acl(server_user: str, ha_user: str | None = None) -> str:
    """A Mosquitto ACL file: each box (its user name is its id) writes only its own channels and
    reads only its own commands and acknowledgements; the fleet server reads everything and
    writes only commands and acknowledgements. ``ha_user`` (Home Assistant) reads the discovery
    configs and the boxes' status."""
    lines = [f"user {server_user}", f"topic read {ROOT}/#"]
    lines += [f"topic write {ROOT}/+/{ch}" for ch in SERVER_PUBLISHES] + [""]
    if ha_user is not None:
        lines += [f"user {ha_user}", f"topic read {HA_PREFIX}/#", f"topic read {ROOT}/+/status", ""]
    for ch in BOX_PUBLISHES:
        lines.append(f"pattern write {ROOT}/%u/{ch}")
    lines += [f"pattern read {ROOT}/%u/{ch}" for ch in SERVER_PUBLISHES]
    lines.append(f"pattern write {HA_PREFIX}/+/simspot_%u/#")
    return "\n".join(lines) + "\n"


# Joining: `simspot fleet add-box` prints ``simspot fleet join mqtts://host:port TOKEN [--ca FILE]``.
# TOKEN = ``v1.<box>.<password>`` or ``v1.<box>.<password>.<ca-pin>``: the box's MQTT user name and
# password (URL-safe), and optionally the SHA-256 of the broker CA's certificate (DER, base64url,
# no padding), which `join` checks the ``--ca`` file against. No '.' occurs in any part.
JOIN_TOKEN_VERSION = "v1"
PASSWORD_RE = re.compile(r"^[A-Za-z0-9_-]{16,128}$")
CA_PIN_RE = re.compile(r"^[A-Za-z0-9_-]{43}$")  # 32 bytes, base64url without padding
DEFAULT_MQTTS_PORT = 8883


@dataclass(frozen=True)
class JoinToken:
    box: str
    password: str
    ca_sha256: bytes | None = None  # the CA certificate's SHA-256 (DER), when pinned

    def __repr__(self) -> str:  # never print the password
        return f"JoinToken(box={self.box!r}, password=***, pinned={self.ca_sha256 is not None})"


def make_join_token(box: str, password: str, ca_sha256: bytes | None = None) -> str:
    check_box_id(box)
    if not PASSWORD_RE.fullmatch(password):
        raise SimspotValueError(msg_id="fleet.token.password-format", field="password")
    parts = [JOIN_TOKEN_VERSION, box, password]
    if ca_sha256 is not None:
        if len(ca_sha256) != 32:
            raise SimspotValueError(msg_id="fleet.token.pin-size", field="ca")
        parts.append(base64.urlsafe_b64encode(ca_sha256).decode().rstrip("="))
    return ".".join(parts)


def parse_join_token(token: str) -> JoinToken:
    """The parts of a join token; a sentence that never repeats the token (it holds a password)."""
    parts = token.strip().split(".")
    if len(parts) not in (3, 4) or parts[0] != JOIN_TOKEN_VERSION:
        raise SimspotValueError(msg_id="fleet.token.format", field="token")
    box, password = parts[1], parts[2]
    if not BOX_ID_RE.fullmatch(box):
        raise SimspotValueError(msg_id="fleet.token.box", field="token")
    if not PASSWORD_RE.fullmatch(password):
        raise SimspotValueError(msg_id="fleet.token.password", field="token")
    pin = None
    if len(parts) == 4:
        if not CA_PIN_RE.fullmatch(parts[3]):
            raise SimspotValueError(msg_id="fleet.token.pin", field="token")
        pin = base64.urlsafe_b64decode(parts[3] + "=")
    return JoinToken(box, password, pin)


@dataclass(frozen=True)
class BrokerUrl:
    host: str
    port: int

    def __str__(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"mqtts://{host}:{self.port}"


def parse_broker_url(url: str) -> BrokerUrl:
    """``mqtts://host[:port]`` (TLS always; 8883 by default). Plain ``mqtt://`` is refused."""
    parsed = urlsplit(url.strip())
    if parsed.scheme != "mqtts":
        raise SimspotValueError(msg_id="fleet.broker.scheme", field="broker")
    try:
        port = parsed.port or DEFAULT_MQTTS_PORT
    except ValueError:
        raise SimspotValueError(msg_id="fleet.broker.port", field="broker") from None
    if not parsed.hostname or parsed.path not in ("", "/") or parsed.query or parsed.username:
        raise SimspotValueError(msg_id="fleet.broker.form", field="broker")
    return BrokerUrl(parsed.hostname, port)


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


Bytes = Annotated[int, Field(ge=0)]
Seq = Annotated[int, Field(ge=1)]


class UsageRecord(Body):
    """Bytes counted on the box in one 15-minute bucket since the last record for the same key.

    ``scope`` ``uplink``: ``key`` is the uplink (an ICCID, ``wan:<if>``, ``wifi:<ssid>``);
    ``client``: ``key`` is the client's MAC and ``uplink`` the uplink its bytes went through;
    ``guest``: ``key`` is the guest pass's id. Deltas, never totals: the fleet adds them.
    """

    seq: Seq
    bucket: datetime  # start of the 15-minute bucket, UTC
    scope: Literal["uplink", "client", "guest"]
    key: Annotated[str, Field(min_length=1, max_length=64)]
    uplink: Annotated[str, Field(max_length=64)] = ""
    rx: Bytes
    tx: Bytes


class Usage(Body):
    box: str
    records: Annotated[list[UsageRecord], Field(min_length=1, max_length=1000)]


class Status(Body):
    """Retained; also the last will (``online`` false) the broker publishes if the box vanishes."""

    box: str
    online: bool
    ts: datetime
    version: str = ""
    name: str = ""
    sharing: bool = False
    reason: str = ""  # why not sharing, in English (``reason_id`` for other languages)
    reason_id: str = ""
    uplink: str = ""  # the current uplink's key
    uplink_label: str = ""
    signal: int | None = None  # percent
    battery: int | None = None  # percent
    data_left: Bytes | None = None  # what the current uplink's plan has left (None: no limit)
    clients: int = 0
    guests: int = 0
    simulated: list[str] = []


class PlanState(Body):
    iccid: str
    name: str
    allowance: Bytes | None = None
    used: Bytes = 0
    left: Bytes | None = None
    tethering_left: Bytes | None = None
    cycle_end: datetime | None = None
    forecast: Bytes | None = None  # bytes used by the cycle's end at the current pace
    state: str = "ok"  # ok | warning | exhausted | expired


class Plans(Body):
    box: str
    ts: datetime
    plans: list[PlanState]


class Event(Body):
    """One entry of the box's event log: kind, severity and a message id with parameters."""

    seq: Seq
    ts: datetime
    kind: str
    severity: Literal["info", "warning", "error"] = "info"
    message_id: str = ""
    params: dict[str, Any] = {}
    message: str = ""  # English rendering, for tools that do not speak ids


class Events(Body):
    box: str
    events: Annotated[list[Event], Field(min_length=1, max_length=1000)]


class UplinkDecision(Body):
    seq: Seq
    ts: datetime
    chosen: str
    previous: str = ""
    reason_id: str = ""
    params: dict[str, Any] = {}
    reason: str = ""


class Uplink(Body):
    box: str
    decisions: Annotated[list[UplinkDecision], Field(min_length=1, max_length=1000)]


# Commands a fleet may send. A box runs only those its config allows remotely
# (``[fleet] allow_commands``); everything else is answered ``ok=false`` and logged.
CommandAction = Literal[
    "plan.set",
    "uplink.use",
    "uplink.auto",
    "esim.download",
    "guest.add",
    "guest.revoke",
    "client.block",
    "client.unblock",
    "hotspot.on",
    "hotspot.off",
]


class Command(Body):
    id: Annotated[str, Field(min_length=8, max_length=64, pattern=r"^[A-Za-z0-9-]+$")]
    action: CommandAction
    args: dict[str, Any] = {}
    ts: datetime
    expires: datetime | None = None  # a box that comes back later does not run stale commands


class Result(Body):
    box: str
    id: str
    ok: bool
    ts: datetime
    result: dict[str, Any] = {}
    error: str = ""
    error_id: str = ""
    seq: Annotated[int, Field(ge=0)] = 0  # the box's outbox seq (0: none, never acknowledged)


SeqRange = tuple[Seq, Seq]  # first, last (inclusive)


class Refused(BaseModel):
    """Rows of one channel the fleet server will never store, and why (sending them again would
    not make them fit: a number too large for the store, a usage bucket at an implausible time)."""

    model_config = ConfigDict(extra="forbid")

    channel: Literal["usage", "events", "uplink", "result"]
    ranges: Annotated[list[SeqRange], Field(min_length=1, max_length=10_000)]
    reason: Annotated[str, Field(max_length=500)]


class Ack(Body):
    """Fleet server -> box (``simspot/v1/<box>/ack``): seqs committed to the store of record,
    per queued channel, as inclusive ranges. The box deletes what an ack covers. ``refused``
    names rows the store will never take; the box deletes those too, and says so."""

    usage: Annotated[list[SeqRange], Field(max_length=10_000)] = []
    events: Annotated[list[SeqRange], Field(max_length=10_000)] = []
    uplink: Annotated[list[SeqRange], Field(max_length=10_000)] = []
    result: Annotated[list[SeqRange], Field(max_length=10_000)] = []
    refused: Annotated[list[Refused], Field(max_length=100)] = []


def seq_ranges(seqs: Iterable[int]) -> list[tuple[int, int]]:
    """Sorted, merged inclusive ranges covering ``seqs`` ({1, 2, 3, 7} -> [(1, 3), (7, 7)])."""
    out: list[tuple[int, int]] = []
    for s in sorted(set(seqs)):
        if out and s == out[-1][1] + 1:
            out[-1] = (out[-1][0], s)
        else:
            out.append((s, s))
    return out


MESSAGE_MODELS: dict[str, type[Body]] = {
    "status": Status,
    "plans": Plans,
    "usage": Usage,
    "uplink": Uplink,
    "events": Events,
    "cmd": Command,
    "result": Result,
    "ack": Ack,
}

M = TypeVar("M", bound=Body)


def encode(message: Body) -> bytes:
    return message.model_dump_json(exclude_defaults=False).encode()


def decode(model: type[M], payload: bytes) -> M:
    """Parse a message; a sentence naming the first bad field when it does not fit."""
    kind = model.__name__.lower()
    try:
        data = json.loads(payload)
    except (ValueError, UnicodeDecodeError, RecursionError):  # RecursionError: nested too deep
        raise SimspotValueError(msg_id="fleet.message.not-json", params={"kind": kind}) from None
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "message"
        problem = f"{where}: {first['msg']}"
        # pydantic's sentence by id where the catalogue has it in the same English words.
        said = schema_message(first, where)
        if said is not None and render(said["id"], said["params"]) != problem:
            said = None
        raise SimspotValueError(
            msg_id="fleet.message.invalid",
            params={"kind": kind, "problem": problem, "problem_said": said},
            field=where,
        ) from None


def decode_topic(name: str, payload: bytes) -> tuple[str, Body]:
    """Check topic and body together: the box named inside must be the box in the topic."""
    box, channel = parse_topic(name)
    message = decode(MESSAGE_MODELS[channel], payload)
    inner = getattr(message, "box", box)
    if inner != box:
        raise SimspotValueError(
            msg_id="fleet.message.other-box", params={"topic": repr(name), "box": repr(inner)}
        )
    return box, message
