"""ModemManager and UPower D-Bus definitions: names, enums and typed property sets.

Everything here is plain data and pure functions, so it is tested without a bus. The property
sets are built from the ``a{sv}`` dictionaries that ``GetAll`` returns (values already unwrapped
from their variants); missing keys get defaults, so older daemons that lack a property still work.
Enum values are those of ModemManager's ``ModemManager-enums.h`` and UPower's ``up-types.h``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import IntEnum, IntFlag
from typing import Any

from simspot.model import ModemState, Registration

# -- ModemManager ---------------------------------------------------------------------------
MM_BUS_NAME = "org.freedesktop.ModemManager1"
MM_PATH = "/org/freedesktop/ModemManager1"
MM_MODEM = "org.freedesktop.ModemManager1.Modem"
MM_MODEM_3GPP = "org.freedesktop.ModemManager1.Modem.Modem3gpp"
MM_SIMPLE = "org.freedesktop.ModemManager1.Modem.Simple"
MM_MESSAGING = "org.freedesktop.ModemManager1.Modem.Messaging"
MM_SIGNAL = "org.freedesktop.ModemManager1.Modem.Signal"
MM_SIM = "org.freedesktop.ModemManager1.Sim"
MM_BEARER = "org.freedesktop.ModemManager1.Bearer"
MM_SMS = "org.freedesktop.ModemManager1.Sms"
MM_ERROR_PREFIX = "org.freedesktop.ModemManager1.Error."

DBUS_NAME = "org.freedesktop.DBus"
DBUS_PATH = "/org/freedesktop/DBus"
PROPERTIES = "org.freedesktop.DBus.Properties"
OBJECT_MANAGER = "org.freedesktop.DBus.ObjectManager"

NO_OBJECT = "/"  # an empty SIM slot, or "no bearer"


class MMModemState(IntEnum):
    FAILED = -1
    UNKNOWN = 0
    INITIALIZING = 1
    LOCKED = 2
    DISABLED = 3
    DISABLING = 4
    ENABLING = 5
    ENABLED = 6
    SEARCHING = 7
    REGISTERED = 8
    DISCONNECTING = 9
    CONNECTING = 10
    CONNECTED = 11


class MM3gppRegistration(IntEnum):
    IDLE = 0
    HOME = 1
    SEARCHING = 2
    DENIED = 3
    UNKNOWN = 4
    ROAMING = 5
    HOME_SMS_ONLY = 6
    ROAMING_SMS_ONLY = 7
    EMERGENCY_ONLY = 8
    HOME_CSFB_NOT_PREFERRED = 9
    ROAMING_CSFB_NOT_PREFERRED = 10
    ATTACHED_RLOS = 11


class MMAccessTech(IntFlag):
    UNKNOWN = 0
    POTS = 1 << 0
    GSM = 1 << 1
    GSM_COMPACT = 1 << 2
    GPRS = 1 << 3
    EDGE = 1 << 4
    UMTS = 1 << 5
    HSDPA = 1 << 6
    HSUPA = 1 << 7
    HSPA = 1 << 8
    HSPA_PLUS = 1 << 9
    XRTT = 1 << 10
    EVDO0 = 1 << 11
    EVDOA = 1 << 12
    EVDOB = 1 << 13
    LTE = 1 << 14
    NR5G = 1 << 15
    LTE_CAT_M = 1 << 16
    LTE_NB_IOT = 1 << 17


class MMModemLock(IntEnum):
    UNKNOWN = 0
    NONE = 1
    SIM_PIN = 2
    SIM_PIN2 = 3
    SIM_PUK = 4
    SIM_PUK2 = 5
    PH_SP_PIN = 6
    PH_SP_PUK = 7
    PH_NET_PIN = 8
    PH_NET_PUK = 9
    PH_SIM_PIN = 10
    PH_CORP_PIN = 11
    PH_CORP_PUK = 12
    PH_FSIM_PIN = 13
    PH_FSIM_PUK = 14
    PH_NETSUB_PIN = 15
    PH_NETSUB_PUK = 16


class MMSimType(IntEnum):
    UNKNOWN = 0
    PHYSICAL = 1
    ESIM = 2


class MMBearerIpFamily(IntFlag):
    NONE = 0
    IPV4 = 1 << 0
    IPV6 = 1 << 1
    IPV4V6 = 1 << 2


class MMSmsState(IntEnum):
    UNKNOWN = 0
    STORED = 1
    RECEIVING = 2
    RECEIVED = 3
    SENDING = 4
    SENT = 5


# Fastest first: the name shown for a set of access technology bits is the best one in it.
_TECH_NAMES: tuple[tuple[MMAccessTech, str], ...] = (
    (MMAccessTech.NR5G, "5gnr"),
    (MMAccessTech.LTE, "lte"),
    (MMAccessTech.LTE_CAT_M, "lte-m"),
    (MMAccessTech.LTE_NB_IOT, "nb-iot"),
    (MMAccessTech.HSPA_PLUS, "hspa+"),
    (MMAccessTech.HSPA, "hspa"),
    (MMAccessTech.HSUPA, "hsupa"),
    (MMAccessTech.HSDPA, "hsdpa"),
    (MMAccessTech.UMTS, "umts"),
    (MMAccessTech.EVDOB, "evdo"),
    (MMAccessTech.EVDOA, "evdo"),
    (MMAccessTech.EVDO0, "evdo"),
    (MMAccessTech.XRTT, "1xrtt"),
    (MMAccessTech.EDGE, "edge"),
    (MMAccessTech.GPRS, "gprs"),
    (MMAccessTech.GSM, "gsm"),
    (MMAccessTech.GSM_COMPACT, "gsm"),
    (MMAccessTech.POTS, "pots"),
)

_LOCK_NAMES = {
    MMModemLock.UNKNOWN: "unknown",
    MMModemLock.NONE: "none",
    MMModemLock.SIM_PIN: "sim-pin",
    MMModemLock.SIM_PIN2: "sim-pin2",
    MMModemLock.SIM_PUK: "sim-puk",
    MMModemLock.SIM_PUK2: "sim-puk2",
}

_IP_TYPES = {
    "ipv4": MMBearerIpFamily.IPV4,
    "ipv6": MMBearerIpFamily.IPV6,
    "ipv4v6": MMBearerIpFamily.IPV4V6,
}


def access_tech_name(bits: int) -> str | None:
    """The best access technology in a ModemManager bit set, as a short name."""
    for flag, name in _TECH_NAMES:
        if bits & flag:
            return name
    return None


def lock_name(lock: int) -> str:
    try:
        known = MMModemLock(lock)
    except ValueError:
        return "unknown"
    return _LOCK_NAMES.get(known, known.name.lower().replace("_", "-"))


def ip_family(ip_type: str) -> MMBearerIpFamily:
    try:
        return _IP_TYPES[ip_type]
    except KeyError:
        raise ValueError(
            f"ip_type must be one of {', '.join(_IP_TYPES)}, got {ip_type!r}"
        ) from None


def mcc_of(code: str | None) -> str | None:
    """The Mobile Country Code: the first three digits of an IMSI or an MCC+MNC code."""
    if code and len(code) >= 5 and code[:3].isdigit():
        return code[:3]
    return None


def registration_of(reg: int, home_mcc: str | None, current_mcc: str | None) -> Registration:
    """Our registration from 3GPP's, with roaming also inferred from the country codes.

    A network in another country than the SIM's home is roaming even if the modem reports
    "home" (some MVNO SIMs do), so the user is warned before roaming charges.
    """
    try:
        r = MM3gppRegistration(reg)
    except ValueError:
        return "unknown"
    if r in (MM3gppRegistration.ROAMING, MM3gppRegistration.ROAMING_SMS_ONLY,
             MM3gppRegistration.ROAMING_CSFB_NOT_PREFERRED):  # fmt: skip
        return "roaming"
    if r in (MM3gppRegistration.HOME, MM3gppRegistration.HOME_SMS_ONLY,
             MM3gppRegistration.HOME_CSFB_NOT_PREFERRED):  # fmt: skip
        if home_mcc and current_mcc and home_mcc != current_mcc:
            return "roaming"
        return "home"
    if r == MM3gppRegistration.IDLE:
        return "idle"
    if r == MM3gppRegistration.SEARCHING:
        return "searching"
    if r == MM3gppRegistration.DENIED:
        return "denied"
    return "unknown"


def modem_state_of(state: int) -> ModemState:
    try:
        s = MMModemState(state)
    except ValueError:
        return "failed"
    names: dict[MMModemState, ModemState] = {
        MMModemState.FAILED: "failed",
        MMModemState.UNKNOWN: "failed",
        MMModemState.INITIALIZING: "enabling",
        MMModemState.LOCKED: "locked",
        MMModemState.DISABLED: "disabled",
        MMModemState.DISABLING: "disabled",
        MMModemState.ENABLING: "enabling",
        MMModemState.ENABLED: "enabled",
        MMModemState.SEARCHING: "searching",
        MMModemState.REGISTERED: "registered",
        MMModemState.DISCONNECTING: "registered",
        MMModemState.CONNECTING: "connecting",
        MMModemState.CONNECTED: "connected",
    }
    return names[s]


# -- typed property sets --------------------------------------------------------------------
def _s(props: Mapping[str, Any], key: str) -> str | None:
    value = props.get(key)
    return str(value) if isinstance(value, str) and value != "" else None


def _i(props: Mapping[str, Any], key: str, default: int = 0) -> int:
    value = props.get(key)
    return int(value) if isinstance(value, int) else default


@dataclass(frozen=True)
class ModemProps:
    """org.freedesktop.ModemManager1.Modem."""

    manufacturer: str | None = None
    model: str | None = None
    device_identifier: str | None = None
    equipment_identifier: str | None = None  # the IMEI on 3GPP modems
    state: int = MMModemState.UNKNOWN
    unlock_required: int = MMModemLock.UNKNOWN
    unlock_retries: dict[int, int] = field(default_factory=dict)
    access_technologies: int = 0
    signal_quality: int | None = None
    sim: str | None = None
    sim_slots: tuple[str, ...] = ()
    primary_sim_slot: int = 0
    bearers: tuple[str, ...] = ()

    @classmethod
    def parse(cls, props: Mapping[str, Any]) -> ModemProps:
        quality = props.get("SignalQuality")
        retries = props.get("UnlockRetries") or {}
        sim = _s(props, "Sim")
        return cls(
            manufacturer=_s(props, "Manufacturer"),
            model=_s(props, "Model"),
            device_identifier=_s(props, "DeviceIdentifier"),
            equipment_identifier=_s(props, "EquipmentIdentifier"),
            state=_i(props, "State"),
            unlock_required=_i(props, "UnlockRequired"),
            unlock_retries={int(k): int(v) for k, v in dict(retries).items()},
            access_technologies=_i(props, "AccessTechnologies"),
            signal_quality=int(quality[0]) if isinstance(quality, list | tuple) else None,
            sim=sim if sim != NO_OBJECT else None,
            sim_slots=tuple(str(p) for p in props.get("SimSlots") or ()),
            primary_sim_slot=_i(props, "PrimarySimSlot"),
            bearers=tuple(str(p) for p in props.get("Bearers") or ()),
        )


@dataclass(frozen=True)
class Modem3gppProps:
    """org.freedesktop.ModemManager1.Modem.Modem3gpp."""

    imei: str | None = None
    registration_state: int = MM3gppRegistration.UNKNOWN
    operator_code: str | None = None
    operator_name: str | None = None

    @classmethod
    def parse(cls, props: Mapping[str, Any]) -> Modem3gppProps:
        return cls(
            imei=_s(props, "Imei"),
            registration_state=_i(props, "RegistrationState", MM3gppRegistration.UNKNOWN),
            operator_code=_s(props, "OperatorCode"),
            operator_name=_s(props, "OperatorName"),
        )


@dataclass(frozen=True)
class SimProps:
    """org.freedesktop.ModemManager1.Sim."""

    active: bool = False
    iccid: str | None = None
    imsi: str | None = None
    eid: str | None = None
    operator_code: str | None = None
    operator_name: str | None = None
    sim_type: int = MMSimType.UNKNOWN

    @classmethod
    def parse(cls, props: Mapping[str, Any]) -> SimProps:
        return cls(
            active=bool(props.get("Active", False)),
            iccid=_s(props, "SimIdentifier"),
            imsi=_s(props, "Imsi"),
            eid=_s(props, "Eid"),
            operator_code=_s(props, "OperatorIdentifier"),
            operator_name=_s(props, "OperatorName"),
            sim_type=_i(props, "SimType"),
        )

    @property
    def is_euicc(self) -> bool:
        return self.sim_type == MMSimType.ESIM or self.eid is not None


@dataclass(frozen=True)
class IpConfig:
    """A bearer's Ip4Config or Ip6Config dictionary."""

    method: int = 0
    address: str | None = None
    prefix: int | None = None
    gateway: str | None = None
    dns: tuple[str, ...] = ()
    mtu: int | None = None

    @classmethod
    def parse(cls, props: Mapping[str, Any]) -> IpConfig:
        prefix = props.get("prefix")
        mtu = props.get("mtu")
        dns = tuple(d for k in ("dns1", "dns2", "dns3") if (d := _s(props, k)) is not None)
        return cls(
            method=_i(props, "method"),
            address=_s(props, "address"),
            prefix=int(prefix) if isinstance(prefix, int) and prefix > 0 else None,
            gateway=_s(props, "gateway"),
            dns=dns,
            mtu=int(mtu) if isinstance(mtu, int) and mtu > 0 else None,
        )


@dataclass(frozen=True)
class BearerProps:
    """org.freedesktop.ModemManager1.Bearer."""

    interface: str | None = None
    connected: bool = False
    ip4: IpConfig = IpConfig()
    ip6: IpConfig = IpConfig()
    apn: str | None = None
    rx_bytes: int = 0
    tx_bytes: int = 0

    @classmethod
    def parse(cls, props: Mapping[str, Any]) -> BearerProps:
        stats = props.get("Stats") or {}
        settings = props.get("Properties") or {}
        return cls(
            interface=_s(props, "Interface"),
            connected=bool(props.get("Connected", False)),
            ip4=IpConfig.parse(props.get("Ip4Config") or {}),
            ip6=IpConfig.parse(props.get("Ip6Config") or {}),
            apn=_s(settings, "apn"),
            rx_bytes=_i(stats, "rx-bytes"),
            tx_bytes=_i(stats, "tx-bytes"),
        )


@dataclass(frozen=True)
class SmsProps:
    """org.freedesktop.ModemManager1.Sms."""

    state: int = MMSmsState.UNKNOWN
    number: str | None = None
    text: str = ""
    timestamp: str | None = None

    @classmethod
    def parse(cls, props: Mapping[str, Any]) -> SmsProps:
        return cls(
            state=_i(props, "State"),
            number=_s(props, "Number"),
            text=str(props.get("Text") or ""),
            timestamp=_s(props, "Timestamp"),
        )

    @property
    def state_name(self) -> str:
        try:
            return MMSmsState(self.state).name.lower()
        except ValueError:
            return "unknown"


@dataclass(frozen=True)
class SignalProps:
    """org.freedesktop.ModemManager1.Modem.Signal: the detailed values of the best technology."""

    rsrp_dbm: float | None = None
    rssi_dbm: float | None = None
    snr_db: float | None = None

    @classmethod
    def parse(cls, props: Mapping[str, Any]) -> SignalProps:
        for tech in ("Nr5g", "Lte", "Umts", "Gsm"):
            values = props.get(tech) or {}
            if values:
                return cls(
                    rsrp_dbm=_f(values, "rsrp"),
                    rssi_dbm=_f(values, "rssi"),
                    snr_db=_f(values, "snr"),
                )
        return cls()


def _f(props: Mapping[str, Any], key: str) -> float | None:
    value = props.get(key)
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


# -- UPower ---------------------------------------------------------------------------------
UPOWER_BUS_NAME = "org.freedesktop.UPower"
UPOWER_PATH = "/org/freedesktop/UPower"
UPOWER_IFACE = "org.freedesktop.UPower"
UPOWER_DEVICE = "org.freedesktop.UPower.Device"
UPOWER_DISPLAY_DEVICE = "/org/freedesktop/UPower/devices/DisplayDevice"


class UpDeviceState(IntEnum):
    UNKNOWN = 0
    CHARGING = 1
    DISCHARGING = 2
    EMPTY = 3
    FULLY_CHARGED = 4
    PENDING_CHARGE = 5
    PENDING_DISCHARGE = 6


class UpDeviceKind(IntEnum):
    UNKNOWN = 0
    LINE_POWER = 1
    BATTERY = 2
    UPS = 3


# On external power: charging, full, or plugged in but holding off charging.
ON_EXTERNAL_POWER = frozenset(
    {UpDeviceState.CHARGING, UpDeviceState.FULLY_CHARGED, UpDeviceState.PENDING_CHARGE}
)


@dataclass(frozen=True)
class UpDeviceProps:
    """org.freedesktop.UPower.Device (the DisplayDevice aggregates every battery)."""

    kind: int = UpDeviceKind.UNKNOWN
    state: int = UpDeviceState.UNKNOWN
    percentage: float | None = None
    time_to_empty_s: int | None = None
    is_present: bool = False

    @classmethod
    def parse(cls, props: Mapping[str, Any]) -> UpDeviceProps:
        tte = props.get("TimeToEmpty")
        pct = props.get("Percentage")
        return cls(
            kind=_i(props, "Type"),
            state=_i(props, "State"),
            percentage=float(pct) if isinstance(pct, int | float) else None,
            time_to_empty_s=int(tte) if isinstance(tte, int) and tte > 0 else None,
            is_present=bool(props.get("IsPresent", False)),
        )

    @property
    def on_external_power(self) -> bool:
        return self.state in ON_EXTERNAL_POWER
