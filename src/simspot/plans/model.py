"""A data plan as validated plain data: allowance, tethering allowance, billing cycle, price, action.

Every field is checked with a message naming the field (``allowance_bytes: must be at least 0``);
``parse_plan`` turns pydantic's errors into one ``PlanError``. Byte sizes in the CLI and API may be
written as text (``5GB``, ``500 MiB``, ``unlimited``) and are parsed by ``parse_bytes``.
"""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo
from collections.abc import Collection, Mapping
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from simspot.errors import SimspotValueError
from simspot.i18n import part, schema_message
from simspot.ident import luhn_ok, normal_mac


class PlanError(SimspotValueError):
    """A plan, a usage correction or a client limit that simspot refuses."""


def _at(field: str, msg_id: str, /, **params: Any) -> PlanError:
    """``{field}: <sentence>``: a refused field, the sentence by id (simspot.i18n)."""
    inner = part(msg_id, **params)
    return PlanError(
        field=field, msg_id="error.at-field", params={"field": field, "problem": [inner]}
    )


# The largest byte figure simspot takes (1 EB): far beyond any data plan, yet a few of them added
# stay inside the signed 64-bit integers SQLite stores and the 64-bit counters nftables keeps.
MAX_BYTES = 10**18
# Billing cycles start and end within these dates, so every date and time computed from them
# (cycle ends, local days, forecasts in any time zone) stays inside what datetime can hold.
FIRST_DATE = dt.date(1970, 1, 1)
LAST_DATE = dt.date(2200, 12, 31)
MAX_RATE_KBIT = 10_000_000  # 10 Gbit/s: a speed limit above that is no limit
MAX_MCCS = 300  # there are about 240 mobile country codes


# ISO 4217 active currency codes (list shipped with simspot; update with the standard).
CURRENCIES = frozenset(
    """
    AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BHD BIF BMD BND BOB BOV BRL BSD BTN
    BWP BYN BZD CAD CDF CHE CHF CHW CLF CLP CNY COP COU CRC CUC CUP CVE CZK DJF DKK DOP DZD EGP
    ERN ETB EUR FJD FKP GBP GEL GHS GIP GMD GNF GTQ GYD HKD HNL HTG HUF IDR ILS INR IQD IRR ISK
    JMD JOD JPY KES KGS KHR KMF KPW KRW KWD KYD KZT LAK LBP LKR LRD LSL LYD MAD MDL MGA MKD MMK
    MNT MOP MRU MUR MVR MWK MXN MXV MYR MZN NAD NGN NIO NOK NPR NZD OMR PAB PEN PGK PHP PKR PLN
    PYG QAR RON RSD RUB RWF SAR SBD SCR SDG SEK SGD SHP SLE SLL SOS SRD SSP STN SVC SYP SZL THB
    TJS TMT TND TOP TRY TTD TWD TZS UAH UGX USD USN UYI UYU UYW UZS VED VES VND VUV WST XAF XAG
    XAU XBA XBB XBC XBD XCD XCG XDR XOF XPD XPF XPT XSU XTS XUA XXX YER ZAR ZMW ZWG ZWL
    """.split()
)

_UNITS = {
    "": 1, "b": 1,
    "k": 10**3, "kb": 10**3, "m": 10**6, "mb": 10**6, "g": 10**9, "gb": 10**9, "t": 10**12,
    "tb": 10**12, "kib": 2**10, "mib": 2**20, "gib": 2**30, "tib": 2**40,
}  # fmt: skip
_SIZE = re.compile(r"^\s*(-?\d{1,30}(?:\.\d{1,30})?)\s*([a-zA-Z]{0,3})\s*$")


def parse_bytes(
    text: str | int, *, field: str = "size", allow_unlimited: bool = False
) -> int | None:
    """``"5GB"`` -> 5_000_000_000 (GB = 10^9, GiB = 2^30); ``"unlimited"`` -> None when allowed.

    Sizes run from 0 to ``MAX_BYTES``; anything else is refused naming ``field``.
    """
    if isinstance(text, int):
        value = text
    else:
        if allow_unlimited and text.strip().lower() in ("unlimited", "none", "inf"):
            return None
        m = _SIZE.match(text)
        unit = m.group(2).lower() if m else ""
        if m is None or unit not in _UNITS:
            shown = text if len(text) <= 40 else text[:40] + "..."
            raise PlanError(
                f"{field}: {shown!r} is not a size (write e.g. 500MB, 5GB, 2GiB"
                + (" or unlimited)" if allow_unlimited else ")"),
                field=field,
                msg_id="error.size.not-a-size" + ("-or-unlimited" if allow_unlimited else ""),
                params={"field": field, "value": repr(shown)},
            )
        value = int(Decimal(m.group(1)) * _UNITS[unit])
    if value < 0:
        raise PlanError(
            f"{field}: must be at least 0, got {value}",
            field=field,
            msg_id="error.size.negative",
            params={"field": field, "value": value},
        )
    if value > MAX_BYTES:
        raise PlanError(
            f"{field}: must be at most {MAX_BYTES} (1 EB), got {value:.3g}",
            field=field,
            msg_id="error.size.too-large",
            params={"field": field, "max": MAX_BYTES, "value": f"{value:.3g}"},
        )
    return value


def exhaust_slack(limit: int) -> int:
    """How close to a limit counts as reaching it.

    The kernel stops a quota within one packet of its limit (a GRO super-packet can be 64 KiB),
    so the counters may end just short of it; for small limits a thousandth of it, at least 16.
    """
    return min(65536, max(16, limit // 1000))


def at_limit(used: int, limit: int | None) -> bool:
    return limit is not None and limit - used <= exhaust_slack(limit)


def normalise_iccid(raw: str) -> str:
    """Digits only: spaces and dashes removed, the BCD filler ``F`` some modems report dropped."""
    return re.sub(r"[\s-]", "", raw).rstrip("fF")


def check_iccid(raw: str, known: Collection[str] = ()) -> str:
    """Validate an ICCID (ITU-T E.118): 18-20 digits starting with 89 (telecom).

    The last digit is a Luhn check digit on most cards; some operators' (and eSIM profiles')
    ICCIDs do not follow it, so an ICCID the modem has reported (``known``) is accepted as it is,
    while one that is only typed must pass the Luhn check, which catches most typos.
    """
    iccid = normalise_iccid(raw)
    if not iccid.isdigit() or not 18 <= len(iccid) <= 20:
        shown = raw if len(raw) <= 40 else raw[:40] + "..."
        raise _at("iccid", "plan.iccid.digits", value=repr(shown))
    if not iccid.startswith("89"):
        raise _at("iccid", "plan.iccid.prefix", iccid=iccid)
    if iccid not in known and not luhn_ok(iccid):
        raise _at("iccid", "plan.iccid.luhn", iccid=iccid)
    return iccid


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class MonthlyCycle(_Model):
    """Renews at local midnight on ``day`` of every month; 29-31 mean the last day in short months."""

    kind: Literal["monthly"] = "monthly"
    day: int = Field(ge=1, le=31)


class EveryCycle(_Model):
    """Renews every ``days`` days at local midnight, counting from ``start``."""

    kind: Literal["every"] = "every"
    days: int = Field(ge=1, le=366)
    start: dt.date = Field(ge=FIRST_DATE, le=LAST_DATE)


class PrepaidCycle(_Model):
    """One period from ``start`` until ``expires``; afterwards the plan has no allowance left."""

    kind: Literal["prepaid"] = "prepaid"
    start: dt.datetime
    expires: dt.datetime

    @field_validator("start", "expires")
    @classmethod
    def _aware(cls, value: dt.datetime) -> dt.datetime:
        if value.tzinfo is None:
            raise PlanError(msg_id="plan.time.no-offset")
        utc = value.astimezone(dt.UTC)
        if not FIRST_DATE <= utc.date() <= LAST_DATE:
            raise PlanError(
                msg_id="plan.time.range", params={"first": str(FIRST_DATE), "last": str(LAST_DATE)}
            )
        return utc

    @model_validator(mode="after")
    def _order(self) -> PrepaidCycle:
        if self.expires <= self.start:
            raise PlanError(msg_id="plan.prepaid.order")
        return self


BillingCycle = Annotated[MonthlyCycle | EveryCycle | PrepaidCycle, Field(discriminator="kind")]


class Price(_Model):
    amount: Decimal = Field(ge=0, max_digits=12, decimal_places=4)
    per: Literal["cycle", "gb"] = "cycle"
    currency: str

    @field_validator("currency")
    @classmethod
    def _currency(cls, value: str) -> str:
        code = value.strip().upper()
        if code not in CURRENCIES:
            raise PlanError(msg_id="plan.currency", params={"value": repr(value)})
        return code


Action = Literal["stop", "throttle", "switch"]


class Plan(_Model):
    """A data plan of one uplink identity (the ICCID of a SIM card or of an eSIM profile)."""

    iccid: str = Field(max_length=64)
    name: str = Field(min_length=1, max_length=64)
    allowance_bytes: int | None = Field(default=None, ge=0, le=MAX_BYTES)  # None: unlimited
    # A separate, usually smaller, allowance for tethering/hotspot use; None: only the allowance.
    tethering_allowance_bytes: int | None = Field(default=None, ge=0, le=MAX_BYTES)
    tethering_allowed: bool = True
    cycle: BillingCycle
    timezone: str = Field(default="UTC", max_length=64)
    price: Price | None = None
    # Countries (MCCs) where the plan is valid, for roaming plans; empty: the home network.
    mccs: tuple[str, ...] = Field(default=(), max_length=MAX_MCCS)
    action: Action = "stop"
    throttle_kbit: int | None = Field(default=None, ge=8, le=MAX_RATE_KBIT)

    @field_validator("iccid")
    @classmethod
    def _iccid(cls, value: str, info: ValidationInfo) -> str:
        known = (info.context or {}).get("known_iccids", ())
        try:
            return check_iccid(value, known)
        except PlanError as exc:  # the sentence without "iccid: " (pydantic names the field)
            problem = exc.params.get("problem")
            said: dict[str, Any] = problem[0] if isinstance(problem, list) and problem else {}
            raise PlanError(
                str(exc).removeprefix("iccid: "),
                msg_id=said.get("id"),
                params=said.get("params"),
            ) from None

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        if not value.isprintable() or value != value.strip():
            raise PlanError(msg_id="plan.name.printable")
        return value

    @field_validator("timezone")
    @classmethod
    def _tz(cls, value: str) -> str:
        try:
            zoneinfo.ZoneInfo(value)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError, OSError):
            raise PlanError(msg_id="plan.timezone", params={"value": repr(value)}) from None
        return value

    @field_validator("mccs")
    @classmethod
    def _mccs(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for mcc in value:
            if not re.fullmatch(r"[2-7]\d\d", mcc):
                raise PlanError(msg_id="plan.mcc", params={"value": repr(mcc)})
        return tuple(sorted(set(value)))

    @model_validator(mode="after")
    def _consistent(self) -> Plan:
        if self.action == "throttle" and self.throttle_kbit is None:
            raise PlanError(msg_id="plan.throttle.needs-speed")
        if self.action != "throttle" and self.throttle_kbit is not None:
            raise PlanError(msg_id="plan.throttle.unused")
        return self

    def zone(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.timezone)

    def effective_tethering_allowance(self) -> int | None:
        """The allowance that hotspot traffic may use: the smaller of the two, or None."""
        values = [
            v for v in (self.allowance_bytes, self.tethering_allowance_bytes) if v is not None
        ]
        return min(values) if values else None


def _loc(err: Mapping[str, Any]) -> str:
    """The field an error is about, dotted ("cycle.day")."""
    raw = [str(p) for p in err.get("loc", ())]
    # Drop the discriminator step pydantic adds for the cycle union ("cycle.monthly.day").
    return ".".join(
        p
        for i, p in enumerate(raw)
        if not (i > 0 and raw[i - 1] == "cycle" and p in ("monthly", "every", "prepaid"))
    )


def _describe(err: Mapping[str, Any]) -> str:
    loc = _loc(err)
    kind = err.get("type", "")
    msg = str(err.get("msg", "invalid value")).removeprefix("Value error, ")
    if kind == "extra_forbidden":
        return f"{loc}: unknown field"
    if kind == "missing":
        return f"{loc}: required"
    if kind == "int_parsing_size":
        return f"{loc}: the number is too large"
    if kind == "greater_than_equal":
        return f"{loc}: must be at least {err['ctx']['ge']}, got {_shown(err.get('input'))}"
    if kind == "less_than_equal":
        return f"{loc}: must be at most {err['ctx']['le']}, got {_shown(err.get('input'))}"
    return f"{loc}: {msg}" if loc else msg


def _said(err: Mapping[str, Any]) -> dict[str, Any] | None:
    """``_describe``'s sentence as a message (simspot.i18n), or None when it has no id."""
    loc = _loc(err)
    kind = err.get("type", "")
    ctx = err.get("ctx") or {}
    simple = {
        "extra_forbidden": "error.unknown-field",
        "missing": "error.required",
        "int_parsing_size": "error.number-too-large",
    }
    if kind in simple:
        return part(simple[kind], field=loc)
    if kind == "greater_than_equal":
        return part("error.at-least", field=loc, min=ctx["ge"], value=_shown(err.get("input")))
    if kind == "less_than_equal":
        return part("error.at-most", field=loc, max=ctx["le"], value=_shown(err.get("input")))
    cause = ctx.get("error")
    if not loc and kind == "value_error" and isinstance(cause, SimspotValueError) and cause.msg_id:
        return part(cause.msg_id, **cause.params)
    return schema_message(err, loc)


def _shown(value: Any) -> str:
    """A refused value, short: 1e40 as written, not its 41 digits."""
    if isinstance(value, int) and abs(value) > 10**21:
        return f"{value:.3g}"
    text = repr(value)
    return text if len(text) <= 40 else text[:40] + "..."


def _refused(what: str, exc: ValidationError) -> PlanError:
    errors = exc.errors()
    field = _loc(errors[0]) if errors else None
    said = [_said(e) for e in errors]
    return PlanError(
        f"{what} refused: " + "; ".join(_describe(e) for e in errors),
        field=field,
        msg_id=f"plan.refused.{what.replace(' ', '-')}" if all(said) else None,
        params={"problems": said},
    )


def parse_plan(data: Mapping[str, Any], known_iccids: Collection[str] = ()) -> Plan:
    """Validate a plan; raise ``PlanError`` naming every bad field."""
    try:
        return Plan.model_validate(dict(data), context={"known_iccids": known_iccids})
    except ValidationError as exc:
        raise _refused("plan", exc) from None


class ClientLimit(_Model):
    """Per-client caps (bytes per local day and per billing cycle) and speed limits."""

    mac: str = Field(max_length=32)
    day_bytes: int | None = Field(default=None, ge=0, le=MAX_BYTES)
    cycle_bytes: int | None = Field(default=None, ge=0, le=MAX_BYTES)
    rate_down_kbit: int | None = Field(default=None, ge=8, le=MAX_RATE_KBIT)
    rate_up_kbit: int | None = Field(default=None, ge=8, le=MAX_RATE_KBIT)

    @field_validator("mac")
    @classmethod
    def _mac(cls, value: str) -> str:
        mac = normal_mac(value)
        if mac is None:
            raise PlanError(msg_id="plan.mac", params={"value": repr(value)})
        return mac


def parse_client_limit(data: Mapping[str, Any]) -> ClientLimit:
    try:
        return ClientLimit.model_validate(dict(data))
    except ValidationError as exc:
        raise _refused("client limit", exc) from None
