"""Who is on the hotspot: the AP's station table joined with DHCP leases, plus the client list.

``HotspotStations`` is the daemon's ``StationSource``: stations the AP reports (with signal and
connection time) get their addresses and hostname from the leases; when the AP cannot tell (the
"none" and NetworkManager backends) the leases alone are the stations. ``HotspotClient`` is one row
of ``simspot hotspot clients``: the live client with its session and cycle bytes, block and caps.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from simspot.contracts import StationSource
from simspot.hotspot.contract import AccessPoint
from simspot.model import ClientInfo, Snapshot


class HotspotStations:
    def __init__(self, ap: AccessPoint, leases: StationSource | None = None) -> None:
        self.ap = ap
        self.leases = leases
        self.blocked: Callable[[str], bool] = lambda mac: False

    async def stations(self) -> list[ClientInfo]:
        associated = await self.ap.stations()
        leased = await self.leases.stations() if self.leases is not None else []
        if associated is None:
            out = leased
        else:
            by_mac = {c.mac: c for c in leased}
            out = []
            for st in associated:
                base = by_mac.get(st.mac) or ClientInfo(mac=st.mac)
                out.append(
                    base.model_copy(
                        update={
                            "connected_since": st.connected_since or base.connected_since,
                            "signal_dbm": st.signal_dbm
                            if st.signal_dbm is not None
                            else base.signal_dbm,
                            "key_id": st.key_id,
                        }
                    )
                )
        return [c.model_copy(update={"blocked": self.blocked(c.mac)}) for c in out]


class HotspotClient(Snapshot):
    mac: str
    ipv4: str | None = None
    ipv6: tuple[str, ...] = ()
    hostname: str | None = None
    connected_since: datetime | None = None
    signal_dbm: int | None = None
    # Bytes to (rx) and from (tx) the client since it joined (from the data plane's counters).
    session_rx_bytes: int = 0
    session_tx_bytes: int = 0
    # rx + tx in the current billing cycle of the uplink's plan; None without a plan.
    cycle_bytes: int | None = None
    blocked: bool = False  # blocked by the user (simspot hotspot block)
    denied: bool = False  # refused by the MAC allow/deny lists
    rate_down_kbit: int | None = None
    rate_up_kbit: int | None = None
    key_id: str | None = None  # the per-person Wi-Fi key the AP says it joined with
    guest_id: str | None = None  # the guest pass it is counted under (its key's pass)
    guest_name: str | None = None


class SessionBytes:
    """Per-client counters at the moment each client was first seen in this session."""

    def __init__(self) -> None:
        self._base: dict[str, tuple[int, int]] = {}

    def update(self, clients: tuple[ClientInfo, ...]) -> dict[str, tuple[int, int]]:
        present = {c.mac for c in clients}
        for mac in list(self._base):
            if mac not in present:
                del self._base[mac]  # left: the next join is a new session
        out = {}
        for c in clients:
            rx0, tx0 = self._base.setdefault(c.mac, (c.rx_bytes, c.tx_bytes))
            if c.rx_bytes < rx0 or c.tx_bytes < tx0:  # counters were reset under us
                self._base[c.mac] = rx0, tx0 = 0, 0
            out[c.mac] = (c.rx_bytes - rx0, c.tx_bytes - tx0)
        return out
