"""Every backend simspot can use, by kind and name: the one list config and CLI choices come from.

A backend is named in the config (``modem.backend = "modemmanager"``) and built by its factory,
``"module:function"``, imported only when chosen, so D-Bus, PC/SC or simulator code is loaded only
where it is used. Adding a backend is one line here plus its module. Simulated backends are marked:
they run only when the daemon is started with the simulator (``simspot demo``, ``serve --simulate``).

This module is imported by the config models and the CLI: it must stay free of heavy imports.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

Kind = Literal["modem", "battery", "dataplane", "hotspot", "esim"]

# The config key that chooses each kind.
CONFIG_KEY: dict[Kind, str] = {
    "modem": "modem.backend",
    "battery": "battery.backend",
    "dataplane": "dataplane.backend",
    "hotspot": "hotspot.backend",
    "esim": "esim.transport",
}


@dataclass(frozen=True)
class Choice:
    name: str
    factory: str  # "package.module:function", called with a simspot.daemon.build.BuildEnv
    summary: str
    simulated: bool = False


_SIM = "simspot.simulator.profile"

REGISTRY: dict[Kind, tuple[Choice, ...]] = {
    "modem": (
        Choice("modemmanager", "simspot.modem.factories:modemmanager", "ModemManager over D-Bus"),
        Choice("none", "simspot.modem.factories:no_modem", "no cellular modem"),
        Choice("simulated", f"{_SIM}:modem", "the simulator's two-slot modem", simulated=True),
    ),
    "battery": (
        Choice("upower", "simspot.modem.factories:upower", "UPower, sysfs when it is absent"),
        Choice("sysfs", "simspot.modem.factories:sysfs", "/sys/class/power_supply"),
        Choice("none", "simspot.modem.factories:no_battery", "mains powered"),
        Choice("simulated", f"{_SIM}:battery", "the simulator's battery", simulated=True),
    ),
    "dataplane": (
        Choice("nft", "simspot.dataplane.factories:nft", "nftables and dnsmasq"),
        Choice("simulated", f"{_SIM}:dataplane", "the simulator's traffic", simulated=True),
    ),
    "hotspot": (
        Choice("hostapd", "simspot.hotspot.factories:hostapd", "hostapd (per-station keys)"),
        Choice(
            "networkmanager",
            "simspot.hotspot.factories:networkmanager",
            "a NetworkManager AP connection",
        ),
        Choice("none", "simspot.hotspot.factories:no_ap", "no radio: Ethernet or USB sharing"),
        Choice("simulated", f"{_SIM}:access_point", "the simulator's AP", simulated=True),
    ),
    "esim": (
        Choice("pcsc", "simspot.esim.cards:pcsc", "a removable eUICC in a PC/SC reader"),
        Choice("at", "simspot.esim.cards:at", "a modem's eUICC over AT commands"),
        Choice("qmi", "simspot.esim.cards:qmi", "a modem's eUICC over QMI, beside ModemManager"),
        Choice("mbim", "simspot.esim.cards:mbim", "a modem's eUICC over MBIM, beside ModemManager"),
        Choice("none", "simspot.esim.cards:no_card", "no eUICC"),
        Choice("virtual", f"{_SIM}:card", "the simulator's virtual eUICC", simulated=True),
    ),
}


def choices(kind: Kind) -> tuple[Choice, ...]:
    return REGISTRY[kind]


def names(kind: Kind, *, simulated: bool | None = None) -> tuple[str, ...]:
    """Backend names of a kind (all, only real ones, or only simulated ones)."""
    return tuple(c.name for c in REGISTRY[kind] if simulated is None or c.simulated == simulated)


def choice(kind: Kind, name: str) -> Choice:
    for c in REGISTRY[kind]:
        if c.name == name:
            return c
    raise KeyError(name)


def check_name(kind: Kind, value: str | None) -> str | None:
    """For config validators: the name if it is a known backend of ``kind`` (None: the default)."""
    if value is None or value in names(kind):
        return value
    raise ValueError(f"unknown backend {value!r}; choose one of: {', '.join(names(kind))}")


def factory(kind: Kind, name: str) -> Callable[..., Any]:
    """The factory of a backend, imported now."""
    module, _, attr = choice(kind, name).factory.partition(":")
    fn: Callable[..., Any] = getattr(importlib.import_module(module), attr)
    return fn
