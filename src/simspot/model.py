"""Typed snapshots of the world, shared by backends, the daemon, the API and the CLI.

These are plain data: backends produce them, the daemon keeps the latest, the API serialises them.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from simspot.i18n_models import MessageOut


class Snapshot(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


SlotKind = Literal["physical", "euicc"]
Registration = Literal["idle", "searching", "home", "roaming", "denied", "unknown"]
ModemState = Literal[
    "absent", "failed", "locked", "disabled", "enabling", "enabled", "searching",
    "registered", "connecting", "connected",
]  # fmt: skip


class SimSlot(Snapshot):
    index: int  # 1-based, as ModemManager numbers slots
    kind: SlotKind
    present: bool
    active: bool
    iccid: str | None = None
    imsi: str | None = None
    operator_name: str | None = None
    operator_code: str | None = None  # MCC+MNC of the SIM's home network
    eid: str | None = None  # eUICC slots only


class BearerInfo(Snapshot):
    """The uplink's data connection as the data plane needs it."""

    interface: str
    ipv4_address: str | None = None
    ipv4_prefix: int | None = None
    ipv4_gateway: str | None = None
    ipv6_prefix: str | None = None  # e.g. "2001:db8:1:2::/64" when the carrier gives a /64
    dns: tuple[str, ...] = ()
    apn: str | None = None
    rx_bytes: int = 0  # modem's own count, a cross-check of the data plane's
    tx_bytes: int = 0


class ModemStatus(Snapshot):
    id: str
    manufacturer: str | None = None
    model: str | None = None
    imei: str | None = None
    state: ModemState
    signal_percent: int | None = None
    access_tech: str | None = None  # "lte", "5gnr", "umts", ...
    operator_name: str | None = None
    operator_code: str | None = None  # MCC+MNC of the network in use
    registration: Registration = "unknown"
    home_mcc: str | None = None
    current_mcc: str | None = None
    slots: tuple[SimSlot, ...] = ()
    bearer: BearerInfo | None = None
    # What the SIM needs before it can be used ("none", "sim-pin", "sim-puk", ...) and how many
    # attempts are left for it; None where the backend does not know.
    unlock_required: str | None = None
    unlock_retries: int | None = None
    rsrp_dbm: float | None = None  # detailed signal (LTE/5G reference signal power) when known

    @property
    def roaming(self) -> bool:
        return self.registration == "roaming"

    def active_slot(self) -> SimSlot | None:
        return next((s for s in self.slots if s.active), None)


class PinResult(Snapshot):
    """The SIM after a PIN attempt."""

    unlocked: bool
    unlock_required: str  # "none" once unlocked
    retries: int | None = None  # attempts left for what is still required


class SmsMessage(Snapshot):
    """A text message stored on the modem or SIM (carriers send usage warnings this way)."""

    id: str
    number: str | None = None
    text: str
    timestamp: str | None = None  # as the network sent it (ISO 8601)
    state: str = "received"  # "received", "receiving", "stored", "sent", ...


class BatteryStatus(Snapshot):
    present: bool
    percent: float | None = None
    charging: bool = False
    time_to_empty_s: int | None = None
    source: str = "unknown"  # "sim", "upower", "sysfs"


class ClientInfo(Snapshot):
    mac: str
    ipv4: str | None = None
    ipv6: tuple[str, ...] = ()
    hostname: str | None = None
    connected_since: datetime | None = None
    signal_dbm: int | None = None
    key_id: str | None = None  # the per-person Wi-Fi key it joined with (hostapd's keyid=)
    rx_bytes: int = 0  # bytes sent to the client (its download), this session
    tx_bytes: int = 0  # bytes from the client (its upload), this session
    blocked: bool = False


class ComponentHealth(Snapshot):
    name: str
    state: Literal["starting", "running", "restarting", "failed", "stopped"]
    restarts: int = 0
    last_error: str | None = None
    # The last error's sentence by id ({id, params, text}), so a client shows it in its reader's
    # language; None when the error names no sentence (a bug's exception text).
    last_error_message: MessageOut | None = None


class SharingState(Snapshot):
    """Whether the hotspot shares the uplink, and the reasons holding it off (name -> why)."""

    enabled: bool = True
    reasons: dict[str, str] = {}
    # each reason's why by message id ({id, params}), so a client says it in its reader's language
    reasons_said: dict[str, dict[str, Any]] = {}


class Status(Snapshot):
    version: str
    mode: Literal["demo", "live"]
    started_at: datetime
    uptime_s: float
    modem: ModemStatus | None
    battery: BatteryStatus | None
    clients: tuple[ClientInfo, ...]
    # The ICCID of the uplink in use (the uplink policy's choice, on whichever modem; its plan is
    # the one enforced); None when the uplink is wired or Wi-Fi, or there is none.
    uplink_iccid: str | None
    components: tuple[ComponentHealth, ...]
    sharing: SharingState = SharingState()
    # Backends run by the built-in simulator ("modem.backend=simulated", ...): shown as SIMULATED.
    simulated: tuple[str, ...] = ()
    # Why the uplink is not shared (None: it is), e.g. "no uplink (...)"; status exits non-zero.
    not_sharing: str | None = None
    # The same as a catalogue sentence ({id, params, text}) when the cause has one (modem.why.*).
    not_sharing_message: dict[str, Any] | None = None
    # The HTTPS admin page on the LAN address and its certificate's SHA-256 fingerprint.
    admin_lan_url: str | None = None
    admin_lan_fingerprint: str | None = None
