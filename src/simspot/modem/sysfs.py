"""Battery from the kernel's power-supply class (/sys/class/power_supply), without UPower.

Each supply is a directory of small text files: ``type`` (Battery, Mains, USB, ...), for
batteries ``capacity`` (percent), ``status`` (Charging, Discharging, Full, Not charging) and
``energy_now``/``power_now`` (µWh, µW) or ``charge_now``/``current_now`` (µAh, µA); for mains and
USB supplies ``online``. The root is configurable so tests read a fake tree.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from pathlib import Path

from simspot.model import BatteryStatus

DEFAULT_ROOT = Path("/sys/class/power_supply")


@dataclass(frozen=True)
class SupplyReading:
    """One power supply as read from its directory (numbers in the kernel's micro-units)."""

    name: str
    kind: str
    online: bool | None = None
    present: bool = True
    scope: str | None = None  # "Device": a peripheral's battery (mouse), not ours
    capacity: float | None = None
    status: str | None = None
    energy_now: int | None = None
    energy_full: int | None = None
    power_now: int | None = None
    charge_now: int | None = None
    charge_full: int | None = None
    current_now: int | None = None


def _text(path: Path) -> str | None:
    try:
        return path.read_text(encoding="ascii", errors="replace").strip()
    except OSError:  # absent attribute, or a driver that refuses the read
        return None


def _int(path: Path) -> int | None:
    text = _text(path)
    try:
        return int(text) if text is not None else None
    except ValueError:
        return None


def read_supply(path: Path) -> SupplyReading:
    online = _int(path / "online")
    present = _int(path / "present")
    capacity = _int(path / "capacity")
    return SupplyReading(
        name=path.name,
        kind=_text(path / "type") or "Unknown",
        online=None if online is None else online == 1,
        present=present != 0,
        scope=_text(path / "scope"),
        capacity=float(capacity) if capacity is not None else None,
        status=_text(path / "status"),
        energy_now=_int(path / "energy_now"),
        energy_full=_int(path / "energy_full"),
        power_now=_int(path / "power_now"),
        charge_now=_int(path / "charge_now"),
        charge_full=_int(path / "charge_full"),
        current_now=_int(path / "current_now"),
    )


def battery_from_supplies(supplies: list[SupplyReading]) -> BatteryStatus | None:
    """Combine the system's batteries and external supplies into one status (pure).

    Several batteries are weighted by their full energy (or charge) when known. External power
    (a Mains/USB supply online, or a battery charging or full) counts as charging.
    """
    batteries = [s for s in supplies if s.kind == "Battery" and s.present and s.scope != "Device"]
    if not batteries:
        return None
    external = any(s.online for s in supplies if s.kind != "Battery") or any(
        (s.status or "") in ("Charging", "Full") for s in batteries
    )
    weights: list[tuple[float, float]] = []
    for b in batteries:
        pct = b.capacity
        full = b.energy_full or b.charge_full
        if pct is None and b.energy_now is not None and b.energy_full:
            pct = 100 * b.energy_now / b.energy_full
        if pct is None and b.charge_now is not None and b.charge_full:
            pct = 100 * b.charge_now / b.charge_full
        if pct is not None:
            weights.append((max(0.0, min(100.0, pct)), float(full or 1)))
    percent = None
    if weights:
        total = sum(w for _, w in weights)
        percent = round(sum(p * w for p, w in weights) / total, 1)
    tte = None
    if not external:
        energy = sum(b.energy_now or 0 for b in batteries)
        power = sum(abs(b.power_now or 0) for b in batteries)
        charge = sum(b.charge_now or 0 for b in batteries)
        current = sum(abs(b.current_now or 0) for b in batteries)
        if energy and power:
            tte = int(energy / power * 3600)
        elif charge and current:
            tte = int(charge / current * 3600)
    return BatteryStatus(
        present=True, percent=percent, charging=external, time_to_empty_s=tte, source="sysfs"
    )


def read_battery(root: Path = DEFAULT_ROOT) -> BatteryStatus | None:
    try:
        entries = sorted(p for p in root.iterdir() if p.is_dir())
    except OSError:
        return None
    return battery_from_supplies([read_supply(p) for p in entries])


class SysfsBattery:
    """BatteryBackend reading /sys/class/power_supply (or another root)."""

    def __init__(self, root: Path = DEFAULT_ROOT) -> None:
        self.root = root

    async def start(self) -> None:
        return None

    async def stop(self) -> None:
        return None

    async def status(self) -> BatteryStatus | None:
        return await asyncio.to_thread(read_battery, self.root)
