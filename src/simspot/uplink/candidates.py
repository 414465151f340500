"""Gathering uplink candidates from what the daemon knows: modem, eUICC profiles, plans, links.

``gather`` is pure: the daemon reads the modem status, the card's profile list, the plans'
statuses, which interfaces are up and the probes' health, and hands them in.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from simspot.i18n import Message, render
from simspot.model import ModemStatus
from simspot.uplink.model import Candidate, CandidateKind, Health, PlanFacts
from simspot.uplink.settings import UplinkSettings

if TYPE_CHECKING:
    from simspot.plans.status import PlanStatus
    from simspot.uplink.wifi import WifiState


# Country calling code (ITU-T E.164) -> MCC, for the issuer country an ICCID names: an ICCID is
# "89" + the issuer's country code + the issuer's digits (ITU-T E.118); codes are prefix-free.
CALLING_CODE_MCC = {
    "1": "310", "31": "204", "33": "208", "34": "214", "39": "222", "41": "228", "44": "234",
    "49": "262", "61": "505", "65": "525", "66": "520", "81": "440", "82": "450",
    "86": "460", "852": "454", "853": "455", "886": "466",
}  # fmt: skip


def _labels(made: Message) -> tuple[str, str]:
    """A label simspot makes, in English and Chinese (uplink.label.* in uplink/messages.py)."""
    return made.text(), made.text("zh")


def issuer_mcc(iccid: str) -> str | None:
    """The home country (MCC) of the operator that issued ``iccid``, when its code is known."""
    if not iccid.startswith("89"):
        return None
    for n in (1, 2, 3):
        mcc = CALLING_CODE_MCC.get(iccid[2 : 2 + n])
        if mcc is not None:
            return mcc
    return None


def plan_facts(statuses: Sequence[PlanStatus]) -> dict[str, PlanFacts]:
    """ICCID -> the facts of its plan (the first plan in its cycle, else the first listed)."""
    out: dict[str, PlanFacts] = {}
    for st in sorted(statuses, key=lambda s: (s.expired, s.id)):
        p = st.plan
        if p.iccid in out:
            continue
        price: Decimal | None = None
        if p.price is not None:
            price = p.price.amount if p.price.per == "gb" else Decimal(0)
        out[p.iccid] = PlanFacts(
            name=p.name,
            exhausted=st.exhausted,
            expired=st.expired,
            tethering_allowed=p.tethering_allowed and p.tethering_allowance_bytes != 0,
            remaining_bytes=st.remaining_bytes,
            price_per_gb=price,
            currency=p.price.currency if p.price else None,
            mccs=tuple(p.mccs),
            action=p.action,
        )
    return out


def gather(
    settings: UplinkSettings,
    *,
    modem: ModemStatus | None,
    other_modems: Sequence[ModemStatus] = (),
    profiles: Sequence[Mapping[str, Any]] = (),
    plans: Mapping[str, PlanFacts] | None = None,
    health: Mapping[str, Health] | None = None,
    link_up: Callable[[str], bool] = lambda _: False,
    bearer_interface: str | None = None,
    legacy_wan: str | None = None,
    wifi_states: Mapping[str, WifiState] | None = None,
) -> list[Candidate]:
    """Every candidate, in a stable order: modem slots (the first modem's, then each other
    modem's), eSIM profiles (on the first modem's eUICC), wired, Wi-Fi.

    ``bearer_interface`` overrides the interface the first modem reports for its bearer (the
    data plane's ``uplink_interface``); ``legacy_wan`` is ``dataplane.uplink_interface`` without a
    modem: a wired uplink as before the uplink layer.
    """
    plans = plans or {}
    health = health or {}
    over = settings.candidates
    out: list[Candidate] = []
    seen: set[str] = set()
    euicc_slot: int | None = None
    modems = [] if modem is None else [modem, *other_modems]
    for n, m in enumerate(modems, 1):
        override = bearer_interface if n == 1 else None
        for slot in m.slots:
            if slot.kind == "euicc" and m is modem:
                euicc_slot = slot.index
            if not slot.present or not slot.iccid or slot.iccid in seen:
                continue
            iccid = slot.iccid
            seen.add(iccid)
            o = over.get(iccid)
            kind: CandidateKind = "sim" if slot.kind == "physical" else "esim"
            made = (
                Message("uplink.label.sim", {"slot": slot.index, "operator": slot.operator_name})
                if kind == "sim" and slot.operator_name
                else Message("uplink.label.sim-unknown", {"slot": slot.index})
                if kind == "sim"
                else Message("uplink.label.esim", {"name": slot.operator_name or iccid[-6:]})
            )
            if n > 1:  # "modem 2 SIM 1 (...)": which modem holds it
                made = Message("uplink.label.modem", {"n": n, "label": made.text(),
                                                      "label_zh": made.text("zh")})  # fmt: skip
            label, label_zh = (o.label, None) if o and o.label else _labels(made)
            active = slot.active
            registered = active and m.registration in ("home", "roaming")
            home_mcc = (o.home_mcc if o else None) or (
                slot.operator_code[:3] if slot.operator_code else None
            )
            hot = active and m.bearer is not None
            out.append(
                Candidate(
                    id=iccid,
                    kind=kind,
                    label=label,
                    label_zh=label_zh,
                    present=True,
                    hot=hot,
                    # the active slot without a bearer comes back by reconnecting (no switch)
                    cold_via=None if hot else "slot",
                    registered=registered,
                    roaming=registered and m.roaming,
                    serving_mcc=m.current_mcc if registered else None,
                    home_mcc=home_mcc,
                    signal_percent=m.signal_percent if active else None,
                    plan=plans.get(iccid),
                    health=health.get(iccid, Health()) if hot else Health(),
                    interface=(override or m.bearer.interface) if hot and m.bearer else None,
                    ipv6_prefix=m.bearer.ipv6_prefix if hot and m.bearer else None,
                    modem=m.id,
                    slot=slot.index,
                )
            )
    for prof in profiles:
        pid = prof.get("iccid")
        if not isinstance(pid, str) or pid in seen:
            continue
        seen.add(pid)
        iccid = pid
        o = over.get(iccid)
        name = str(prof.get("nickname") or prof.get("name") or prof.get("provider") or iccid[-6:])
        label, label_zh = (
            (o.label, None)
            if o and o.label
            else _labels(Message("uplink.label.esim", {"name": name}))
        )
        out.append(
            Candidate(
                id=iccid,
                kind="esim",
                label=label,
                label_zh=label_zh,
                present=True,
                # the enabled profile is the eUICC slot's subscription: a slot switch brings it up
                cold_via=None
                if modem is None
                else "slot"
                if prof.get("state") == "enabled" and euicc_slot is not None
                else "profile",
                # a profile not enabled has no network code to read: its issuer's country
                home_mcc=(o.home_mcc if o else None) or issuer_mcc(iccid),
                plan=plans.get(iccid),
                modem=modem.id if modem else None,
                slot=euicc_slot,
            )
        )
    wired = [(w.interface, w.home, w.metered) for w in settings.wired]
    if legacy_wan and legacy_wan not in {w[0] for w in wired}:
        wired.append((legacy_wan, True, False))
    for iface, home, metered in wired:
        cid = f"wan:{iface}"
        up = link_up(iface)
        out.append(
            Candidate(
                id=cid,
                kind="wired",
                label=render("uplink.label.wired", {"interface": iface}),
                label_zh=render("uplink.label.wired", {"interface": iface}, "zh"),
                present=True,
                hot=up,
                home_link=home,
                metered=metered,
                health=health.get(cid, Health()) if up else Health(),
                interface=iface,
                plan=plans.get(cid),
            )
        )
    for wifi in settings.wifi:
        cid = f"wifi:{wifi.name}"
        # a link simspot joins itself (wifi_states: name -> its supplicant's view) is hot when
        # associated, cold ("join") when its network is in range, absent otherwise
        ws = (wifi_states or {}).get(wifi.name)
        up = link_up(wifi.interface) and (ws is None or ws.associated)
        out.append(
            Candidate(
                id=cid,
                kind="wifi",
                label=render("uplink.label.wifi", {"ssid": wifi.ssid or wifi.name}),
                label_zh=render("uplink.label.wifi", {"ssid": wifi.ssid or wifi.name}, "zh"),
                present=True if ws is None else ws.present,
                hot=up,
                cold_via="join" if ws is not None and ws.present and not up else None,
                signal_percent=ws.signal_percent if ws is not None else None,
                home_link=wifi.home,
                metered=wifi.metered,
                health=health.get(cid, Health()) if up else Health(),
                interface=wifi.interface,
                plan=plans.get(cid),
            )
        )
    return out
