"""The hotspot's plug-in: settings and passphrase, the AP component, blocks and caps, the API.

The AP follows the sharing switch: while nothing holds sharing off (``daemon.sharing``) the AP
offers the network, and ``simspot hotspot down`` is a "user" hold like the battery guard's. Blocks
and speed caps are stored here and applied to the data plane through a spec hook.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import logging
import secrets
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from pydantic import SecretStr, ValidationError

from simspot.daemon.capabilities import Capability, Installer
from simspot.dataplane.contract import DataplaneSpec
from simspot.errors import SimspotError, StateError
from simspot.fsutil import write_private
from simspot.hotspot import passphrase as policy
from simspot.hotspot import qr, validate
from simspot.hotspot.clients import HotspotClient, HotspotStations, SessionBytes
from simspot.hotspot.contract import (
    AccessPoint,
    ApConfig,
    NamesStationKeys,
    PersonKey,
    ReportsStationEvents,
)
from simspot.hotspot.settings import HotspotSettings
from simspot.i18n import part, render, schema_message
from simspot.services import HOTSPOT_CONTROL, PLAN_QUERIES, PlanQueries
from simspot.store import Store

if TYPE_CHECKING:
    from simspot.daemon.runtime import Daemon

log = logging.getLogger(__name__)

MIGRATIONS = (
    """
    CREATE TABLE hotspot_client (
        mac TEXT PRIMARY KEY,
        blocked INTEGER NOT NULL DEFAULT 0,
        rate_down_kbit INTEGER,
        rate_up_kbit INTEGER,
        updated REAL NOT NULL
    );
    CREATE TABLE hotspot_setting (key TEXT PRIMARY KEY, value TEXT NOT NULL);
    """,
)
PASSPHRASE_FILE = "hotspot-passphrase.json"
OPEN_WARNING = render("hotspot.warning.open", {})
# Settings `simspot hotspot set` may change at run time (backend and interface need a restart).
RUNTIME_KEYS = frozenset(
    {"ssid", "security", "band", "channel", "country", "hidden", "isolate_clients",
     "max_clients", "mac_allow", "mac_deny", "auto_off_minutes"}
)  # fmt: skip


@dataclasses.dataclass(frozen=True)
class ClientRule:
    mac: str
    blocked: bool = False
    rate_down_kbit: int | None = None
    rate_up_kbit: int | None = None


class HotspotService:
    """Everything the hotspot does in the daemon; the component and the API call into it."""

    def __init__(
        self,
        daemon: Daemon,
        ap: AccessPoint,
        stations: HotspotStations,
        plans: PlanQueries | None = None,
    ) -> None:
        if daemon.store is None:
            raise StateError("the daemon's store is not open", msg_id="plan.no-store")
        self.daemon = daemon
        self.store: Store = daemon.store
        self.store.migrate("hotspot", MIGRATIONS)
        self.ap = ap
        self.stations = stations
        self.plans = plans
        self.sessions = SessionBytes()
        self.last_error: str | None = None
        self.last_error_said: dict[str, Any] | None = None  # its sentence by id, when it has one
        self.offered: ApConfig | None = None
        # Extra keys the AP offers beside the owner's (the guest passes' keys; see guests.py).
        self.person_keys: Callable[[], tuple[PersonKey, ...]] = tuple
        # The guest pass a MAC joined with, as (id, name); None for the owner's key.
        self.guest_of: Callable[[str], tuple[str, str] | None] = lambda mac: None
        self._rules = self._load_rules()
        self._secret_path = daemon.state_dir / PASSPHRASE_FILE
        self._ensure_identity()
        stations.blocked = lambda mac: self.rule(mac).blocked

    # -- settings --------------------------------------------------------------------------
    def _overrides(self) -> dict[str, Any]:
        rows = self.store.db.execute("SELECT key, value FROM hotspot_setting").fetchall()
        return {str(k): json.loads(v) for k, v in rows}

    def settings(self) -> HotspotSettings:
        base = self.daemon.config.hotspot.model_dump()
        merged = base | self._overrides()
        if merged.get("ssid") is None:
            merged["ssid"] = self.store.get_meta("hotspot.generated_ssid")
        # The passphrase lives in its own file; the policy runs on it in passphrase().
        merged["passphrase"] = None
        return HotspotSettings.model_validate(merged)

    def _ensure_identity(self) -> None:
        if self.store.get_meta("hotspot.generated_ssid") is None:
            self.store.set_meta("hotspot.generated_ssid", f"simspot-{secrets.token_hex(2)}")
        if self.daemon.config.hotspot.passphrase is None and self._stored_secret() is None:
            self._write_secret(policy.generate(), "generated")

    def _stored_secret(self) -> dict[str, str] | None:
        try:
            data = json.loads(self._secret_path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return None
        except (OSError, ValueError) as exc:
            raise StateError(
                f"cannot read {self._secret_path}: {exc}",
                msg_id="state.unreadable",
                params={"path": str(self._secret_path), "problem": str(exc)},
            ) from None
        if not isinstance(data, dict) or not isinstance(data.get("passphrase"), str):
            raise StateError(
                f"{self._secret_path} is damaged; delete it to get a new passphrase",
                msg_id="hotspot.secret-damaged",
                params={"path": str(self._secret_path)},
            )
        return {str(k): str(v) for k, v in data.items()}

    def _write_secret(self, value: str, source: str) -> None:
        record = {"passphrase": value, "source": source, "set_at": time.time()}
        write_private(self._secret_path, json.dumps(record))

    def passphrase(self) -> tuple[str, str]:
        """(passphrase, where it comes from): set by the user > config file > generated."""
        stored = self._stored_secret()
        configured = self.daemon.config.hotspot.passphrase
        if stored is not None and stored.get("source") == "user":
            return stored["passphrase"], "user"
        if configured is not None:
            return configured.get_secret_value(), "config"
        if stored is None:  # deleted while running: a new one, never a default
            self._write_secret(policy.generate(), "generated")
            stored = self._stored_secret()
            if stored is None:
                raise StateError(
                    f"cannot keep the passphrase in {self._secret_path}",
                    msg_id="hotspot.secret-unwritable",
                    params={"path": str(self._secret_path)},
                )
        return stored["passphrase"], "generated"

    def update(self, changes: dict[str, Any]) -> HotspotSettings:
        """Validate and keep new settings (and a new passphrase); the AP follows within a second."""
        unknown = set(changes) - RUNTIME_KEYS - {"passphrase", "generate_passphrase"}
        if unknown:
            raise validate.HotspotValueError(
                sorted(unknown)[0],
                "cannot be changed at run time (edit the config file)",
                "hotspot.not-runtime",
            )
        settings_changes = {k: v for k, v in changes.items() if k in RUNTIME_KEYS}
        merged = self.settings().model_dump() | settings_changes
        new_secret: str | None = None
        if changes.get("generate_passphrase"):
            new_secret = policy.generate()
        elif changes.get("passphrase") is not None:
            # Checked even when the network is open: it is kept for when security comes back.
            new_secret = policy.check(str(changes["passphrase"]), merged.get("ssid"))
        merged["passphrase"] = SecretStr(new_secret or self.passphrase()[0])
        if merged.get("security") == "open":
            merged["passphrase"] = None
        try:
            result = HotspotSettings.model_validate(merged)
        except ValidationError as exc:
            field, problem, msg_id, params = _first_error(exc)
            raise validate.HotspotValueError(field, problem, msg_id, **params) from None
        with self.store.lock:
            for key in settings_changes:
                self.store.db.execute(
                    "INSERT INTO hotspot_setting (key, value) VALUES (?, ?) "
                    "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                    (key, json.dumps(result.model_dump(mode="json")[key])),
                )
        if new_secret is not None:
            self._write_secret(new_secret, "user")
        self.daemon.bus.publish(
            "hotspot.settings",
            {"changed": sorted(settings_changes) + (["passphrase"] if new_secret else [])},
        )
        return result

    def ap_config(self) -> ApConfig:
        s = self.settings()
        secret = None if s.security == "open" else self.passphrase()[0]
        return ApConfig(
            interface=s.interface,
            ssid=s.ssid or "simspot",
            passphrase=secret,
            security=s.security,
            band=s.band,
            channel=s.effective_channel(),
            country=s.country,
            hidden=s.hidden,
            isolate_clients=s.isolate_clients,
            max_clients=s.max_clients,
            mac_allow=s.mac_allow,
            mac_deny=s.mac_deny,
            person_keys=self.person_keys() if secret is not None else (),
        )

    def warnings(self, s: HotspotSettings | None = None) -> list[str]:
        return [render(w["id"], w["params"]) for w in self.warnings_said(s)]

    def warnings_said(self, s: HotspotSettings | None = None) -> list[dict[str, Any]]:
        """The warnings by message id (``part``), for readers of any language."""
        s = s or self.settings()
        out = [part("hotspot.warning.open")] if s.security == "open" else []
        if not self.ap.mac_lists and (s.mac_allow or s.mac_deny):
            out.append(part("hotspot.warning.no-mac-lists", kind=self.ap.kind))
        return out

    def status(self, reveal: bool = False) -> dict[str, Any]:
        s = self.settings()
        secret, source = self.passphrase()
        return {
            "enabled": self.daemon.sharing.enabled,
            "held_by": dict(self.daemon.sharing.reasons),
            "held_by_said": dict(self.daemon.sharing.said),
            "up": self.offered is not None,
            "backend": self.ap.kind,
            "interface": s.interface,
            "ssid": s.ssid,
            "security": s.security,
            "passphrase": (secret if reveal else "***") if s.security != "open" else None,
            "passphrase_source": source,
            "band": s.band,
            "channel": s.effective_channel(),
            "country": s.country,
            "hidden": s.hidden,
            "isolate_clients": s.isolate_clients,
            "max_clients": s.max_clients,
            "mac_allow": list(s.mac_allow),
            "mac_deny": list(s.mac_deny),
            "auto_off_minutes": s.auto_off_minutes,
            "clients": len(self.daemon.live.clients),
            "warnings": self.warnings(s),
            "warnings_said": self.warnings_said(s),
            "last_error": self.last_error,
            "last_error_message": self.last_error_said,
        }

    def qr_text(self) -> str:
        c = self.ap_config()
        return qr.wifi_text(c.ssid, c.passphrase, c.security, c.hidden)

    # -- clients ---------------------------------------------------------------------------
    def _load_rules(self) -> dict[str, ClientRule]:
        rows = self.store.db.execute(
            "SELECT mac, blocked, rate_down_kbit, rate_up_kbit FROM hotspot_client"
        ).fetchall()
        return {r[0]: ClientRule(r[0], bool(r[1]), r[2], r[3]) for r in rows}

    def rule(self, mac: str) -> ClientRule:
        return self._rules.get(mac) or ClientRule(mac)

    def set_rule(self, mac: str, **changes: Any) -> ClientRule:
        mac = validate.mac(mac)
        for key in ("rate_down_kbit", "rate_up_kbit"):
            v = changes.get(key)
            if v is not None and not (isinstance(v, int) and 8 <= v <= 10_000_000):
                raise validate.HotspotValueError(
                    key, "must be 8 to 10000000 kbit/s (or unset)", "hotspot.rate"
                )
        rule = dataclasses.replace(self.rule(mac), **changes)
        with self.store.lock:
            self.store.db.execute(
                "INSERT INTO hotspot_client (mac, blocked, rate_down_kbit, rate_up_kbit, updated) "
                "VALUES (?, ?, ?, ?, ?) ON CONFLICT(mac) DO UPDATE SET blocked = excluded.blocked,"
                " rate_down_kbit = excluded.rate_down_kbit, rate_up_kbit = excluded.rate_up_kbit,"
                " updated = excluded.updated",
                (mac, int(rule.blocked), rule.rate_down_kbit, rule.rate_up_kbit, time.time()),
            )
        self._rules[mac] = rule
        self.daemon.bus.publish("hotspot.client-rule", dataclasses.asdict(rule))
        return rule

    def denied(self, mac: str, s: HotspotSettings | None = None) -> bool:
        s = s or self.settings()
        return mac in s.mac_deny or (bool(s.mac_allow) and mac not in s.mac_allow)

    def spec_hook(self, spec: DataplaneSpec) -> DataplaneSpec:
        """Blocked and denied clients get no traffic; caps become the data plane's rates."""
        s = self.settings()
        clients = []
        for c in spec.clients:
            rule = self.rule(c.mac)
            clients.append(
                dataclasses.replace(
                    c,
                    blocked=c.blocked or rule.blocked or self.denied(c.mac, s),
                    rate_down_kbit=_min(c.rate_down_kbit, rule.rate_down_kbit),
                    rate_up_kbit=_min(c.rate_up_kbit, rule.rate_up_kbit),
                )
            )
        return dataclasses.replace(spec, clients=tuple(clients))

    def _cycle_bytes(self, mac: str) -> int | None:
        """The client's bytes in the current cycle of the plan of the uplink in use (on
        whichever modem; None on a wired or Wi-Fi uplink), from the plans ledger."""
        if self.plans is None:
            return None
        return self.plans.client_cycle_bytes(mac, self.daemon.uplink_iccid())

    def auto_off_minutes(self) -> int:
        return int(self.settings().auto_off_minutes)

    def clients(self) -> list[HotspotClient]:
        live = self.daemon.live.clients
        session = self.sessions.update(live)
        s = self.settings()
        out = []
        for c in live:
            rule = self.rule(c.mac)
            rx, tx = session.get(c.mac, (0, 0))
            guest = self.guest_of(c.mac)
            out.append(
                HotspotClient(
                    mac=c.mac,
                    ipv4=c.ipv4,
                    ipv6=c.ipv6,
                    hostname=c.hostname,
                    connected_since=c.connected_since,
                    signal_dbm=c.signal_dbm,
                    session_rx_bytes=rx,
                    session_tx_bytes=tx,
                    cycle_bytes=self._cycle_bytes(c.mac),
                    blocked=rule.blocked,
                    denied=self.denied(c.mac, s),
                    rate_down_kbit=rule.rate_down_kbit,
                    rate_up_kbit=rule.rate_up_kbit,
                    key_id=c.key_id,
                    guest_id=None if guest is None else guest[0],
                    guest_name=None if guest is None else guest[1],
                )
            )
        return sorted(out, key=lambda c: c.mac)


def _min(a: int | None, b: int | None) -> int | None:
    return b if a is None else a if b is None else min(a, b)


def _first_error(exc: ValidationError) -> tuple[str, str, str | None, dict[str, Any]]:
    """The first refusal: field, problem, and its message id and parameters (simspot.i18n)."""
    err = exc.errors()[0]
    field = ".".join(str(p) for p in err.get("loc", ())) or "hotspot"
    msg = str(err.get("msg", "invalid")).removeprefix("Value error, ")
    cause = (err.get("ctx") or {}).get("error")
    said = cause.message_json() if isinstance(cause, SimspotError) else None
    prefix, sep, rest = msg.partition(": ")
    if sep and (prefix == field or field == "hotspot") and prefix.replace("_", "").isalnum():
        # The validator named the field itself.
        if said is None:
            return prefix, rest, None, {}
        return prefix, rest, said["id"], {k: v for k, v in said["params"].items() if k != "field"}
    if said is not None:
        return field, msg, "error.at-field", {"problem": [said]}
    schema = schema_message(err, field)
    if schema is not None:
        return field, msg, schema["id"], {k: v for k, v in schema["params"].items() if k != "field"}
    return field, msg, None, {}


class HotspotComponent:
    """Keeps the AP matching the sharing switch and the settings; a failed AP is restarted."""

    name = "hotspot"

    def __init__(self, service: HotspotService, interval_s: float = 1.0) -> None:
        self.service = service
        self.interval_s = interval_s

    async def step(self) -> None:
        svc, d = self.service, self.service.daemon
        svc.sessions.update(d.live.clients)
        if d.sharing.enabled:
            wanted = svc.ap_config()
            if wanted != svc.offered:
                if wanted.security == "open":
                    log.warning(OPEN_WARNING)
                try:
                    await svc.ap.up(wanted)
                except Exception as exc:
                    svc.last_error = str(exc)
                    svc.last_error_said = (
                        exc.message_json() if isinstance(exc, SimspotError) else None
                    )
                    svc.offered = None
                    raise
                svc.offered, svc.last_error, svc.last_error_said = wanted, None, None
                d.bus.publish(
                    "hotspot.up",
                    {"ssid": wanted.ssid, "security": wanted.security, "backend": svc.ap.kind},
                )
            else:
                await svc.ap.check()
        elif svc.offered is not None:
            await svc.ap.down()
            svc.offered = None
            d.bus.publish("hotspot.down", {"held_by": sorted(d.sharing.reasons)})

    async def run(self) -> None:
        while True:
            await self.step()
            await asyncio.sleep(self.interval_s)

    async def close(self) -> None:
        await self.service.ap.down()
        self.service.offered = None


def install(inst: Installer) -> None:
    from simspot.hotspot import guests
    from simspot.hotspot.api import guests_router, router

    daemon = inst.daemon
    stations = daemon.stations
    service = HotspotService(daemon, stations.ap, stations, plans=inst.want(PLAN_QUERIES))
    ap = stations.ap
    guest_service = guests.GuestService(service)
    service.person_keys = guest_service.person_keys
    service.guest_of = guest_service.guest_of
    if isinstance(ap, ReportsStationEvents):  # hostapd: station events go on the event bus

        def station_event(kind: str, mac: str) -> None:
            # The sentence names the guest whose pass the station used ("... with Anna's pass").
            if kind == "connected":
                key = ap.station_key_id(mac) if isinstance(ap, NamesStationKeys) else None
                guest_service.station_joined(mac)
                payload = guest_service.station_payload(mac, key, joined=True)
                daemon.bus.publish("hotspot.station-connected", payload)
            elif kind == "disconnected":
                payload = guest_service.station_payload(mac, None, joined=False)
                guest_service.station_left(mac)
                daemon.bus.publish("hotspot.station-disconnected", payload)

        ap.on_event = station_event
    inst.provide(HOTSPOT_CONTROL, service)
    daemon.spec_hooks.append(service.spec_hook)
    daemon.supervisor.add(HotspotComponent(service))
    daemon.routers.append(router(service))
    daemon.spec_hooks.append(guest_service.spec_hook)
    daemon.supervisor.add(guests.GuestComponent(guest_service))
    daemon.routers.append(guests_router(guest_service))


CAPABILITY = Capability(
    name="hotspot",
    install=install,
    provides=(HOTSPOT_CONTROL,),
    wants=(PLAN_QUERIES,),
)
