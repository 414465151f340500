"""Guest passes: a Wi-Fi key per person, with its own allowance, speed cap and end time.

A pass is a name, a generated key (``passphrase.generate``), an allowance per day, per billing
cycle or in total, an optional speed cap (shared by its devices) and an end time. The hotspot
offers every active pass's key to the AP as a ``PersonKey`` whose key id is the pass id. hostapd
names the key a station joined with (``Station.key_id``); that MAC is then mapped to the pass,
persistently (table ``guest_mac``), and the data plane limits all of a pass's MACs as one group
(``GroupSpec``: one kernel quota, counter and speed cap shared by its MACs, an end time checked
by the kernel's clock), so a guest who rejoins with a new random MAC is still the same guest.

What the pass may spend is ``allowance + top-ups - used in this period``; ``used`` is kept in the
store from the group's counter (across daemon restarts and a recreated table: see ``observe``).
Every guest packet also passes the plan's total quota (``qt_<uplink>``) in the kernel, so a guest
never spends what the plan no longer has: the two limits combine by minimum, packet by packet.

Only an AP that names the key a station used can tell guests apart: with the ``hostapd`` backend
on a ``wpa2`` or ``wpa2-wpa3`` network. Guest keys are WPA2 keys only (``PersonKey.sae`` False):
hostapd 2.10 does not name a key used through an SAE password identifier, so such a guest could
not be counted under the pass. NetworkManager and wired sharing have no per-station keys: passes
are refused there (``unsupported``).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import secrets
import sqlite3
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Literal

from simspot.dataplane.contract import Counters, DataplaneSpec, GroupSpec
from simspot.errors import SimspotValueError
from simspot.hotspot import passphrase as policy
from simspot.hotspot import qr
from simspot.hotspot.contract import ApError, PersonKey
from simspot.hotspot.settings import Security
from simspot.store import Store

if TYPE_CHECKING:
    from simspot.hotspot.capability import HotspotService

Period = Literal["day", "cycle", "total"]
PERIODS: tuple[Period, ...] = ("day", "cycle", "total")
NAME_MAX = 40
MAX_ACTIVE = 64  # active passes (each is a key in hostapd's wpa_psk_file)
MAX_MACS_PER_PASS = 64  # MACs remembered per pass (oldest forgotten first)
MAX_RATE_KBIT = 10_000_000
MAX_BYTES = 2**50
MAX_DAYS = 366
# An ended pass stays in the data plane (blocked) this long, then only in the list.
KEEP_ENDED_S = 7 * 86400
BACKENDS = frozenset({"hostapd", "simulated"})
UNSUPPORTED = (
    "guest passes need an access point that gives each guest its own key and names the key a "
    "device joined with (the hostapd backend); {backend} has no per-device keys, so a pass "
    "could not be told apart from the main password"
)
WPA3_ONLY = (
    "guest passes need WPA2 (security wpa2 or wpa2-wpa3): on a WPA3-only network hostapd cannot "
    "name the key a device used, so a guest could not be counted under the pass"
)
CLIENTS_NOTE = (
    "Guest keys are WPA2 keys. On a wpa2-wpa3 network a phone that prefers WPA3 (most do) is "
    "refused with the guest key until it is set to WPA2 for this network; WPA2-only devices "
    "join as they are."
)

MIGRATIONS = (
    """
    CREATE TABLE guest_pass (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        passphrase TEXT NOT NULL,
        period TEXT NOT NULL,
        allowance_bytes INTEGER,
        topup_bytes INTEGER NOT NULL DEFAULT 0,
        rate_kbit INTEGER,
        created REAL NOT NULL,
        until REAL NOT NULL,
        revoked REAL,
        used_bytes INTEGER NOT NULL DEFAULT 0,
        period_key TEXT NOT NULL DEFAULT '',
        seen_epoch TEXT NOT NULL DEFAULT '',
        seen_counter INTEGER NOT NULL DEFAULT 0
    );
    CREATE TABLE guest_mac (
        mac TEXT PRIMARY KEY,
        pass_id TEXT NOT NULL REFERENCES guest_pass(id),
        first_seen REAL NOT NULL,
        last_seen REAL NOT NULL
    );
    CREATE INDEX guest_mac_pass ON guest_mac(pass_id);
    """,
)


class GuestError(SimspotValueError):
    """A guest pass request simspot refuses; the message starts with the field's name."""

    def __init__(
        self,
        field: str,
        problem: str,
        msg_id: str | None = None,
        params: Mapping[str, object] | None = None,
    ) -> None:
        super().__init__(f"{field}: {problem}", field=field, msg_id=msg_id, params=params)


class GuestNotFound(GuestError):
    def __init__(self, pass_id: str) -> None:
        super().__init__(
            "id",
            f"no guest pass {pass_id!r}",
            "guest.unknown",
            {"field": "id", "id": repr(pass_id)},
        )


@dataclass(frozen=True)
class GuestPass:
    id: str  # also the key id hostapd reports and the data plane's group name
    name: str
    passphrase: str
    period: Period
    allowance_bytes: int | None  # per period; None = no allowance of its own
    topup_bytes: int  # added to this period's allowance (reset with the period)
    rate_kbit: int | None  # the pass's, both directions, shared by all of its devices
    created: float
    until: float
    revoked: float | None
    used_bytes: int  # in the current period
    period_key: str

    def __repr__(self) -> str:  # never show the passphrase
        return f"GuestPass(id={self.id!r}, name={self.name!r})"

    def state(self, now: float) -> Literal["active", "revoked", "expired"]:
        if self.revoked is not None:
            return "revoked"
        return "expired" if now >= self.until else "active"

    @property
    def limit_bytes(self) -> int | None:
        return None if self.allowance_bytes is None else self.allowance_bytes + self.topup_bytes

    def remaining_bytes(self) -> int | None:
        limit = self.limit_bytes
        return None if limit is None else max(0, limit - self.used_bytes)

    def ended_at(self) -> float:
        return self.until if self.revoked is None else min(self.revoked, self.until)


def check_name(name: str) -> str:
    name = name.strip() if isinstance(name, str) else name
    if not isinstance(name, str) or not name:
        raise GuestError("name", "must not be empty", "error.empty", {"field": "name"})
    if len(name) > NAME_MAX:
        raise GuestError(
            "name",
            f"is {len(name)} characters; at most {NAME_MAX}",
            "guest.name-long",
            {"field": "name", "length": len(name), "max": NAME_MAX},
        )
    bad = next((c for c in name if not c.isprintable()), None)
    if bad is not None:
        raise GuestError(
            "name",
            f"contains the control character U+{ord(bad):04X}",
            "error.text.control-char",
            {"field": "name", "char": f"U+{ord(bad):04X}"},
        )
    return name


def _check_bytes(field: str, value: int | None, allow_none: bool = True) -> int | None:
    if value is None:
        if not allow_none:
            raise GuestError(field, "is needed", "guest.needed", {"field": field})
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_BYTES:
        raise GuestError(
            field,
            f"must be 1 to {MAX_BYTES} bytes",
            "guest.bytes",
            {"field": field, "max": MAX_BYTES},
        )
    return value


def _check_rate(value: int | None) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 8 <= value <= MAX_RATE_KBIT:
        raise GuestError(
            "rate_kbit",
            f"must be 8 to {MAX_RATE_KBIT} kbit/s (or unset)",
            "guest.rate",
            {"field": "rate_kbit", "max": MAX_RATE_KBIT},
        )
    return value


def _check_until(until: float, now: float) -> float:
    if not isinstance(until, (int, float)) or until != until:
        raise GuestError("until", "must be a time", "guest.until.type", {"field": "until"})
    if until <= now:
        raise GuestError("until", "is in the past", "guest.until.past", {"field": "until"})
    if until > now + MAX_DAYS * 86400:
        raise GuestError(
            "until",
            f"is more than {MAX_DAYS} days away",
            "guest.until.far",
            {"field": "until", "days": MAX_DAYS},
        )
    return float(int(until))  # whole seconds: the kernel's end time


def period_key(period: Period, now: float, cycle_start: dt.datetime | None) -> str:
    """Which period ``now`` is in: the local date, the plan's cycle start, or "total"."""
    if period == "day":
        return dt.datetime.fromtimestamp(now).astimezone().date().isoformat()
    if period == "cycle":
        if cycle_start is not None:
            return "cycle:" + cycle_start.isoformat()
        t = dt.datetime.fromtimestamp(now, dt.UTC)  # no plan: the calendar month (UTC)
        return f"month:{t.year:04d}-{t.month:02d}"
    return "total"


def period_began(key: str) -> dt.datetime | None:
    """When the period a key names began (for ordering keys of one pass); None: not a key."""
    try:
        if key.startswith("cycle:"):
            start = dt.datetime.fromisoformat(key.removeprefix("cycle:"))
            return start if start.tzinfo else start.replace(tzinfo=dt.UTC)
        if key.startswith("month:"):
            year, month = key.removeprefix("month:").split("-")
            return dt.datetime(int(year), int(month), 1, tzinfo=dt.UTC)
        day = dt.date.fromisoformat(key)  # a local date: only ever compared with another
        return dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC)
    except ValueError:
        return None


def new_period(key: str, stored: str) -> bool:
    """Whether ``key`` is a new period after ``stored``: one that began later. A "cycle" pass
    follows the plan of the uplink in use, so switching to an uplink whose plan's cycle began
    earlier (or to a wired link: the calendar month) and back is the same period, not a new
    allowance each time; keys that do not say when they began are new when they differ."""
    if not stored or key == stored:
        return key != stored
    began, before = period_began(key), period_began(stored)
    if began is None or before is None:
        return True
    return began > before


class GuestBook:
    """Guest passes and the MACs that used them, in the daemon's store."""

    def __init__(self, store: Store, clock: Callable[[], float] = time.time) -> None:
        store.migrate("guests", MIGRATIONS)
        self.store = store
        self.db: sqlite3.Connection = store.db
        self.clock = clock

    _COLS = (
        "id, name, passphrase, period, allowance_bytes, topup_bytes, rate_kbit, created, until, "
        "revoked, used_bytes, period_key"
    )

    @staticmethod
    def _row(r: tuple[object, ...]) -> GuestPass:
        period = str(r[3])
        if period not in PERIODS:
            raise GuestError(
                "period",
                f"stored pass {r[0]} has an unknown period {period!r}",
                "hotspot.guest.stored-period",
                {"field": "period", "id": str(r[0]), "period": repr(period)},
            )
        return GuestPass(
            id=str(r[0]),
            name=str(r[1]),
            passphrase=str(r[2]),
            period=period,
            allowance_bytes=None if r[4] is None else int(str(r[4])),
            topup_bytes=int(str(r[5])),
            rate_kbit=None if r[6] is None else int(str(r[6])),
            created=float(str(r[7])),
            until=float(str(r[8])),
            revoked=None if r[9] is None else float(str(r[9])),
            used_bytes=int(str(r[10])),
            period_key=str(r[11]),
        )

    def passes(self) -> list[GuestPass]:
        sql = f"SELECT {self._COLS} FROM guest_pass ORDER BY created"  # noqa: S608 (constant)
        rows = self.db.execute(sql).fetchall()
        return [self._row(r) for r in rows]

    def get(self, pass_id: str) -> GuestPass:
        sql = f"SELECT {self._COLS} FROM guest_pass WHERE id = ?"  # noqa: S608 (constant)
        r = self.db.execute(sql, (pass_id,))
        row = r.fetchone()
        if row is None:
            raise GuestNotFound(pass_id)
        return self._row(row)

    def active(self) -> list[GuestPass]:
        now = self.clock()
        return [p for p in self.passes() if p.state(now) == "active"]

    def add(
        self,
        name: str,
        until: float,
        period: Period = "total",
        allowance_bytes: int | None = None,
        rate_kbit: int | None = None,
        passphrase: str | None = None,
        ssid: str | None = None,
        taken: Iterable[str] = (),
    ) -> GuestPass:
        """A new pass with a generated key (or ``passphrase``, checked by the policy)."""
        now = self.clock()
        name = check_name(name)
        if period not in PERIODS:
            raise GuestError(
                "period",
                f"must be one of {', '.join(PERIODS)}",
                "guest.period",
                {"field": "period", "periods": ", ".join(PERIODS)},
            )
        allowance_bytes = _check_bytes("allowance_bytes", allowance_bytes)
        rate_kbit = _check_rate(rate_kbit)
        until = _check_until(until, now)
        if len(self.active()) >= MAX_ACTIVE:
            raise GuestError(
                "guests",
                f"{MAX_ACTIVE} passes are active; revoke one first",
                "guest.too-many",
                {"field": "guests", "max": MAX_ACTIVE},
            )
        used = {p.passphrase for p in self.passes()} | set(taken)
        if passphrase is None:
            key = policy.generate()
            while key in used:
                key = policy.generate()
        else:
            key = policy.check(passphrase, ssid)
            if "|" in key or key in used:
                raise GuestError(
                    "passphrase",
                    "is already in use by another key (or has '|')",
                    "guest.key-taken",
                    {"field": "passphrase"},
                )
        pass_id = "g" + secrets.token_hex(4)
        with self.store.lock:
            self.db.execute(
                "INSERT INTO guest_pass (id, name, passphrase, period, allowance_bytes, "
                "rate_kbit, created, until) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (pass_id, name, key, period, allowance_bytes, rate_kbit, now, until),
            )
        return self.get(pass_id)

    def revoke(self, pass_id: str) -> GuestPass:
        p = self.get(pass_id)
        if p.revoked is None:
            with self.store.lock:
                self.db.execute(
                    "UPDATE guest_pass SET revoked = ? WHERE id = ?", (self.clock(), pass_id)
                )
        return self.get(pass_id)

    def extend(
        self,
        pass_id: str,
        until: float | None = None,
        topup_bytes: int | None = None,
        allowance_bytes: int | None = None,
        rate_kbit: int | None = None,
        clear_rate: bool = False,
    ) -> GuestPass:
        """A later end, more bytes in this period, a new allowance or speed cap: at once."""
        p = self.get(pass_id)
        if p.revoked is not None:
            raise GuestError(
                "id",
                f"pass {pass_id} was revoked; add a new one",
                "guest.revoked",
                {"field": "id", "id": pass_id},
            )
        now = self.clock()
        changes: dict[str, object] = {}
        if until is not None:
            changes["until"] = _check_until(until, now)
        if topup_bytes is not None:
            changes["topup_bytes"] = p.topup_bytes + (_check_bytes("topup_bytes", topup_bytes) or 0)
        if allowance_bytes is not None:
            changes["allowance_bytes"] = _check_bytes("allowance_bytes", allowance_bytes)
        if rate_kbit is not None or clear_rate:
            changes["rate_kbit"] = None if clear_rate else _check_rate(rate_kbit)
        if not changes:
            raise GuestError(
                "extend",
                "nothing to change (give until, topup or allowance)",
                "guest.extend.nothing",
                {"field": "extend"},
            )
        if p.state(now) == "expired" and "until" not in changes:
            raise GuestError(
                "until",
                f"pass {pass_id} has ended; give a new end time",
                "guest.ended.until",
                {"field": "until", "id": pass_id},
            )
        sets = ", ".join(f"{k} = ?" for k in changes)  # column names from the code above
        with self.store.lock:
            sql = f"UPDATE guest_pass SET {sets} WHERE id = ?"  # noqa: S608
            self.db.execute(sql, (*changes.values(), pass_id))
        return self.get(pass_id)

    # -- MACs ------------------------------------------------------------------------------
    def macs(self) -> dict[str, str]:
        """MAC -> pass id, for every MAC that joined with a pass's key."""
        rows = self.db.execute("SELECT mac, pass_id FROM guest_mac").fetchall()
        return {str(m): str(p) for m, p in rows}

    def macs_of(self, pass_id: str) -> list[str]:
        rows = self.db.execute(
            "SELECT mac FROM guest_mac WHERE pass_id = ? ORDER BY first_seen", (pass_id,)
        ).fetchall()
        return [str(r[0]) for r in rows]

    def map_mac(self, mac: str, pass_id: str | None) -> bool:
        """Record which key ``mac`` joined with (None: the owner's); True when it changed."""
        now = self.clock()
        before = self.macs().get(mac)
        with self.store.lock:
            if pass_id is None:
                self.db.execute("DELETE FROM guest_mac WHERE mac = ?", (mac,))
                return before is not None
            self.get(pass_id)
            self.db.execute(
                "INSERT INTO guest_mac (mac, pass_id, first_seen, last_seen) VALUES (?, ?, ?, ?) "
                "ON CONFLICT(mac) DO UPDATE SET pass_id = excluded.pass_id, "
                "last_seen = excluded.last_seen, first_seen = CASE WHEN guest_mac.pass_id = "
                "excluded.pass_id THEN guest_mac.first_seen ELSE excluded.first_seen END",
                (mac, pass_id, now, now),
            )
            extra = self.db.execute(
                "SELECT mac FROM guest_mac WHERE pass_id = ? ORDER BY last_seen DESC "
                "LIMIT -1 OFFSET ?",
                (pass_id, MAX_MACS_PER_PASS),
            ).fetchall()
            for (old,) in extra:
                self.db.execute("DELETE FROM guest_mac WHERE mac = ?", (old,))
        return before != pass_id

    # -- usage -----------------------------------------------------------------------------
    def observe(
        self,
        counters: Counters,
        epoch: str,
        cycle_start: dt.datetime | None = None,
        uplink_known: bool = True,
    ) -> list[GuestPass]:
        """Add what each pass's group counter counted since the last look; new periods reset.

        ``epoch`` names the set of kernel counters: when it changes (a recreated table) the
        counters restarted from zero, so everything counted now is new. ``cycle_start`` is the
        start of the cycle of the uplink's plan (None: the uplink has no plan, the calendar month
        applies); without an uplink at all (``uplink_known`` false: a switch, a dropped bearer)
        a "cycle" pass stays in its period. A period only renews a pass when it began later than
        the pass's (``new_period``). Returns the passes whose period changed (their top-ups are
        gone, their allowance is whole again).
        """
        now = self.clock()
        renewed = []
        rows = self.db.execute(
            "SELECT id, period, used_bytes, period_key, seen_epoch, seen_counter, topup_bytes "
            "FROM guest_pass WHERE revoked IS NULL OR revoked > ?",
            (now - KEEP_ENDED_S,),
        ).fetchall()
        with self.store.lock:
            for pid, period, used, pkey, seen_epoch, seen_counter, topup in rows:
                g = counters.groups.get(str(pid))
                counted = 0 if g is None else g.rx_bytes + g.tx_bytes
                if seen_epoch == epoch and counted >= int(seen_counter):
                    delta = counted - int(seen_counter)
                else:
                    delta = counted
                key = period_key(str(period), now, cycle_start)  # type: ignore[arg-type]
                if pkey and ((period == "cycle" and not uplink_known) or not new_period(key, pkey)):
                    key = pkey  # still the pass's period (see new_period)
                if key != pkey:
                    used, topup = 0, 0
                    if pkey:
                        renewed.append(str(pid))
                self.db.execute(
                    "UPDATE guest_pass SET used_bytes = ?, period_key = ?, seen_epoch = ?, "
                    "seen_counter = ?, topup_bytes = ? WHERE id = ?",
                    (int(used) + delta, key, epoch, counted, int(topup), pid),
                )
        return [self.get(pid) for pid in renewed]


def person_keys(passes: Iterable[GuestPass], now: float) -> tuple[PersonKey, ...]:
    """The keys the AP offers: every active pass's, as WPA2 keys (see the module docstring)."""
    return tuple(
        PersonKey(p.id, p.passphrase, sae=False) for p in passes if p.state(now) == "active"
    )


def groups(
    passes: Iterable[GuestPass],
    macs: Mapping[str, str],
    counters: Counters,
    now: float,
) -> tuple[GroupSpec, ...]:
    """The data plane's groups: one per pass not ended long ago, with its MACs.

    The group's quota is its counter now plus what the pass may still spend; an ended or revoked
    pass is blocked (its end time is also in the kernel, so it ends on time by itself).
    """
    by_pass: dict[str, list[str]] = {}
    for mac, pid in macs.items():
        by_pass.setdefault(pid, []).append(mac)
    out = []
    for p in passes:
        if p.state(now) != "active" and now - p.ended_at() > KEEP_ENDED_S:
            continue
        g = counters.groups.get(p.id)
        counted = 0 if g is None else g.rx_bytes + g.tx_bytes
        left = p.remaining_bytes()
        out.append(
            GroupSpec(
                name=p.id,
                macs=tuple(sorted(by_pass.get(p.id, ()))),
                quota_bytes=None if left is None else counted + left,
                until=int(p.until),
                blocked=p.state(now) != "active",
                rate_down_kbit=p.rate_kbit,  # one cap for the pass, shared by its MACs
                rate_up_kbit=p.rate_kbit,
            )
        )
    return tuple(out)


def apply_to_spec(
    spec: DataplaneSpec,
    passes: list[GuestPass],
    groups_: tuple[GroupSpec, ...],
    pending: frozenset[str] = frozenset(),
) -> DataplaneSpec:
    """Add the groups (each with its pass's shared speed cap) and hold unnamed stations.

    A pass's speed cap is the group's: one token bucket per direction in the kernel for all of
    its MACs together, beside each device's own caps. ``pending``: MACs the AP has not named a
    key for yet (a station that just joined); they forward nothing until it has, so a guest's
    first packets are never counted as the owner's.
    """
    present = {c.mac for c in spec.clients}
    clients = [replace(c, blocked=c.blocked or c.mac in pending) for c in spec.clients]
    # Only the spec's clients can forward; the group keeps its MACs that are here.
    kept = tuple(replace(g, macs=tuple(m for m in g.macs if m in present)) for g in groups_)
    return replace(spec, clients=tuple(clients), groups=spec.groups + kept)


def refusal_message(backend: str, security: Security) -> tuple[str, dict[str, str]] | None:
    """Why passes cannot work with this AP as a message id and parameters, or None."""
    if backend not in BACKENDS:
        return "guest.refusal.no-keys", {"backend": backend}
    if security == "wpa3":
        return "guest.refusal.wpa3-only", {}
    if security == "open":
        return "guest.refusal.open", {}
    return None


def refusal(backend: str, security: Security, lang: str = "en") -> str | None:
    """Why passes cannot work with this AP, or None when they can."""
    from simspot.i18n import language, render

    found = refusal_message(backend, security)
    return None if found is None else render(found[0], found[1], language(lang))


def qr_text(ssid: str, security: Security, hidden: bool, p: GuestPass) -> str:
    """The pass's join QR: ``T:WPA`` with the guest key (no SAE identifier: WPA2 keys only)."""
    return qr.wifi_text(ssid, p.passphrase, security, hidden)


class GuestService:
    """Guest passes in the daemon: the AP's person keys, the data plane's groups, the API.

    ``poll`` (every second, from ``GuestComponent``) reads the AP's station table (the key each
    station joined with) and the data plane's counters, maps new MACs to their pass, keeps the
    usage ledger and publishes ends; the spec hook turns the passes into groups.
    """

    def __init__(self, hotspot: HotspotService, clock: Callable[[], float] = time.time) -> None:
        self.hotspot = hotspot
        self.daemon = hotspot.daemon
        self.clock = clock
        self.book = GuestBook(hotspot.store, clock)
        self.counters = Counters()
        self._pending: set[str] = set()  # stations joined, key not named yet
        self._named: set[str] = set()  # stations whose key the AP named (this association)
        self._ended: set[str] = {p.id for p in self.book.passes() if p.state(clock()) != "active"}
        self._depleted: set[tuple[str, str]] = set()

    # -- what the AP and the data plane get -------------------------------------------------
    def refusal(self, lang: str = "en") -> str | None:
        s = self.hotspot.settings()
        return refusal(self.hotspot.ap.kind, s.security, lang)

    def refusal_message(self) -> tuple[str, dict[str, str]] | None:
        s = self.hotspot.settings()
        return refusal_message(self.hotspot.ap.kind, s.security)

    def person_keys(self) -> tuple[PersonKey, ...]:
        if self.refusal() is not None:
            return ()
        return person_keys(self.book.passes(), self.clock())

    def spec_hook(self, spec: DataplaneSpec) -> DataplaneSpec:
        passes = self.book.passes()
        if not passes or self.refusal() is not None:
            return spec
        now = self.clock()
        gs = groups(passes, self.book.macs(), self.counters, now)
        pending = frozenset(self._pending) if self.book.active() else frozenset()
        return apply_to_spec(spec, passes, gs, pending)

    # -- events from the AP -----------------------------------------------------------------
    def station_joined(self, mac: str) -> None:
        """hostapd said a station connected: hold it until its key is known (next poll)."""
        self._pending.add(mac)
        self._named.discard(mac)

    def guest_of(self, mac: str) -> tuple[str, str] | None:
        """The pass ``mac`` is counted under, as (id, name); None for the owner's key."""
        pass_id = self.book.macs().get(mac)
        if pass_id is None:
            return None
        try:
            return pass_id, self.book.get(pass_id).name
        except GuestNotFound:
            return None

    def station_payload(self, mac: str, key_id: str | None, joined: bool) -> dict[str, object]:
        """The data of a station event: the pass it joined with (the AP's key id) or, when it
        leaves, the pass it was counted under; ``variant`` picks the sentence naming the guest."""
        name = None
        if joined and key_id is not None:
            try:
                name = self.book.get(key_id).name
            except GuestNotFound:
                key_id = None  # not a pass of ours (a stale key): the owner's, as poll decides
        elif not joined:
            found = self.guest_of(mac)
            key_id, name = (None, None) if found is None else found
        out: dict[str, object] = {"mac": mac, "key_id": key_id, "guest": name}
        if name is not None:
            out["variant"] = "guest"
        return out

    def station_left(self, mac: str) -> None:
        self._pending.discard(mac)
        self._named.discard(mac)

    async def poll(self) -> None:
        try:
            stations = await self.hotspot.ap.stations()
        except ApError:  # the hotspot component reports and restarts a failed AP
            stations = None
        if stations is not None:
            here = {st.mac for st in stations}
            self._pending &= here
            self._named &= here
            known = {p.id: p for p in self.book.passes()}
            for st in stations:
                if st.mac in self._named:
                    continue
                pass_id = st.key_id if st.key_id in known else None
                if self.book.map_mac(st.mac, pass_id) and pass_id is not None:
                    self.daemon.bus.publish(
                        "guest.device",
                        {"id": pass_id, "name": known[pass_id].name, "mac": st.mac},
                    )
                self._named.add(st.mac)
                self._pending.discard(st.mac)
        dataplane = self.daemon.backends.dataplane
        self.counters = await dataplane.counters()
        epoch = await dataplane.counters_epoch()
        has_uplink = self.daemon.uplink() is not None
        for p in self.book.observe(self.counters, epoch, self._cycle_start(), has_uplink):
            self.daemon.bus.publish("guest.renewed", {"id": p.id, "name": p.name})
        now = self.clock()
        for p in self.book.passes():
            if p.state(now) == "expired" and p.id not in self._ended:
                self._ended.add(p.id)
                self.daemon.bus.publish("guest.expired", {"id": p.id, "name": p.name})
            left = p.remaining_bytes()
            if (
                p.state(now) == "active"
                and left == 0
                and (p.id, p.period_key) not in self._depleted
            ):
                self._depleted.add((p.id, p.period_key))
                self.daemon.bus.publish("guest.depleted", {"id": p.id, "name": p.name})

    def _cycle_start(self) -> dt.datetime | None:
        """The start of the cycle of the uplink's plan (the uplink in use, on whichever modem;
        None on a wired or Wi-Fi uplink)."""
        plans = self.hotspot.plans
        iccid = self.daemon.uplink_iccid()
        if plans is None or iccid is None:
            return None
        for st in plans.statuses():
            if st.plan.iccid == iccid and st.period is not None:
                return st.period.start
        return None

    def _plan_remaining(self) -> int | None:
        """What is left of the plan of the uplink in use (None: a wired or Wi-Fi uplink)."""
        plans = self.hotspot.plans
        iccid = self.daemon.uplink_iccid()
        if plans is None or iccid is None:
            return None
        for st in plans.statuses():
            if st.plan.iccid == iccid:
                return st.remaining_bytes
        return None

    # -- the API's operations ---------------------------------------------------------------
    def _require(self) -> None:
        why = self.refusal()
        if why is not None:
            params = {"field": "guests", "reason_en": why, "reason_zh": self.refusal("zh")}
            raise GuestError("guests", why, msg_id="error.guests.refused", params=params)

    def add(self, **fields: object) -> GuestPass:
        self._require()
        s = self.hotspot.settings()
        owner = self.hotspot.passphrase()[0]
        p = self.book.add(ssid=s.ssid, taken=(owner,), **fields)  # type: ignore[arg-type]
        self.daemon.bus.publish(
            "guest.added",
            {
                "id": p.id,
                "name": p.name,
                "until": _iso(p.until),
                "allowance_bytes": p.allowance_bytes,
                "period": p.period,
            },
        )
        return p

    def revoke(self, pass_id: str) -> GuestPass:
        p = self.book.revoke(pass_id)
        self._ended.add(p.id)
        # The key leaves the AP (the hotspot component rereads person_keys within a second;
        # hostapd deauthenticates the stations that used it) and the group is blocked now.
        self.daemon.bus.publish("guest.revoked", {"id": p.id, "name": p.name})
        return p

    def extend(self, pass_id: str, **changes: object) -> GuestPass:
        self._require()
        p = self.book.extend(pass_id, **changes)  # type: ignore[arg-type]
        if p.state(self.clock()) == "active":
            self._ended.discard(p.id)
        self.daemon.bus.publish(
            "guest.extended",
            {
                "id": p.id,
                "name": p.name,
                "until": _iso(p.until),
                "allowance_bytes": p.limit_bytes,
            },
        )
        return p

    def qr_text(self, pass_id: str) -> str:
        p = self.book.get(pass_id)
        if p.state(self.clock()) != "active":
            raise GuestError(
                "id",
                f"pass {pass_id} has ended; its key no longer joins",
                "guest.ended.qr",
                {"field": "id", "id": pass_id},
            )
        s = self.hotspot.settings()
        return qr_text(s.ssid or "simspot", s.security, s.hidden, p)

    def describe(self, p: GuestPass, reveal: bool = False) -> dict[str, object]:
        now = self.clock()
        left = p.remaining_bytes()
        plan_left = self._plan_remaining()
        effective = (
            left if plan_left is None else plan_left if left is None else min(left, plan_left)
        )
        g = self.counters.groups.get(p.id)
        return {
            "id": p.id,
            "name": p.name,
            "state": p.state(now),
            "key_id": p.id,
            "passphrase": p.passphrase if reveal else "***",
            "period": p.period,
            "allowance_bytes": p.allowance_bytes,
            "topup_bytes": p.topup_bytes,
            "used_bytes": p.used_bytes,
            "remaining_bytes": left,
            "plan_remaining_bytes": plan_left,
            "effective_remaining_bytes": effective,
            "rate_kbit": p.rate_kbit,
            "created": dt.datetime.fromtimestamp(p.created, dt.UTC),
            "until": dt.datetime.fromtimestamp(p.until, dt.UTC),
            "revoked": None if p.revoked is None else dt.datetime.fromtimestamp(p.revoked, dt.UTC),
            "macs": self.book.macs_of(p.id),
            "counted_bytes": 0 if g is None else g.rx_bytes + g.tx_bytes,
            "clients_note": CLIENTS_NOTE,
        }


def _iso(t: float) -> str:
    return dt.datetime.fromtimestamp(t, dt.UTC).isoformat()


class GuestComponent:
    """Polls the AP and the counters for the guest passes every second."""

    name = "guests"

    def __init__(self, service: GuestService, interval_s: float = 1.0) -> None:
        self.service = service
        self.interval_s = interval_s

    async def run(self) -> None:
        while True:
            await self.service.poll()
            await asyncio.sleep(self.interval_s)

    async def close(self) -> None:
        return None
