"""Wi-Fi client links as uplinks: simspot joins the network itself, through wpa_supplicant.

A ``[[uplink.wifi]]`` link with an ``ssid`` and a ``psk_file`` is joined when the policy chooses
it: simspot talks to the wpa_supplicant that runs for the interface over its control socket
(``<ctrl_dir>/<interface>``, e.g. ``wpa_supplicant@wlan1.service``), adds the network once
(``ADD_NETWORK``/``SET_NETWORK``, tagged ``id_str simspot-<name>``) and selects it
(``SELECT_NETWORK``). Reading the link's state (``STATUS``, ``SCAN_RESULTS``, ``SIGNAL_POLL``)
gives the candidate its present / associated / signal.

Nothing the owner typed reaches wpa_supplicant as text: the SSID goes as hex, the passphrase
becomes the 256-bit PSK (PBKDF2-SHA1, 4096 rounds, salted with the SSID, as IEEE 802.11i says)
and goes as 64 hex digits, so neither quotes nor newlines can change the configuration, and the
passphrase itself is never written anywhere. An SSID or a passphrase with a control character is
refused with an error naming it. ``render_config`` writes the same networks as a wpa_supplicant
configuration file for a supplicant simspot starts itself.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import os
import re
import socket
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from simspot.errors import BackendError, SimspotValueError

if TYPE_CHECKING:
    from simspot.uplink.settings import WifiUplink

log = logging.getLogger(__name__)

CTRL_DIR = "/run/wpa_supplicant"
_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,31}$")


# -- validation and rendering ----------------------------------------------------------------------
def _bad(field: str, msg_id: str, **params: object) -> SimspotValueError:
    return SimspotValueError(msg_id=msg_id, params={"field": field, **params}, field=field)


def _refused(command: str, reply: str) -> BackendError:
    verb = command.split(" ", 1)[0]
    return BackendError(
        msg_id="wifi.refused", params={"command": verb, "reply": reply[:100] or "no reply"}
    )


def check_ssid(ssid: str, field: str = "ssid") -> bytes:
    """The SSID as bytes (UTF-8, 1-32 bytes, no control characters), or a clear error."""
    if any(ord(ch) < 0x20 or ord(ch) == 0x7F or 0x80 <= ord(ch) < 0xA0 for ch in ssid):
        raise _bad(field, "wifi.control-character")
    raw = ssid.encode("utf-8")
    if not 1 <= len(raw) <= 32:
        raise _bad(field, "wifi.ssid-length", bytes=len(raw))
    return raw


def check_passphrase(passphrase: str, field: str = "psk") -> str:
    """A WPA passphrase: 8-63 printable ASCII characters (or 64 hex digits: a PSK)."""
    if any(ord(ch) < 0x20 or ord(ch) == 0x7F for ch in passphrase):
        raise _bad(field, "wifi.control-character")
    if len(passphrase) == 64 and re.fullmatch(r"[0-9A-Fa-f]{64}", passphrase):
        return passphrase.lower()
    if not passphrase.isascii():
        raise _bad(field, "wifi.passphrase-ascii")
    if not 8 <= len(passphrase) <= 63:
        raise _bad(field, "wifi.passphrase-length", length=len(passphrase))
    return passphrase


def psk_hex(ssid: bytes, passphrase: str) -> str:
    """The 256-bit PSK of a passphrase on an SSID (IEEE 802.11i), as 64 hex digits."""
    if len(passphrase) == 64 and re.fullmatch(r"[0-9a-f]{64}", passphrase):
        return passphrase
    return hashlib.pbkdf2_hmac("sha1", passphrase.encode("ascii"), ssid, 4096, 32).hex()


def read_psk(path: Path, field: str = "psk_file") -> str:
    """The passphrase from its secret file (one line; a trailing newline is not part of it)."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) else "not UTF-8 text"
        raise _bad(field, "wifi.secret-unreadable", path=str(path), reason=reason) from None
    text = text[:-1] if text.endswith("\n") else text
    text = text[:-1] if text.endswith("\r") else text
    return check_passphrase(text, field)


@dataclass(frozen=True)
class WifiNetwork:
    name: str  # the link's name in the config (its uplink id is wifi:<name>)
    ssid: bytes
    psk: str  # 64 hex digits
    priority: int = 0

    @property
    def id_str(self) -> str:
        return f"simspot-{self.name}"


def network(name: str, ssid: str, passphrase: str, priority: int = 0) -> WifiNetwork:
    if not _NAME.match(name):
        raise _bad("name", "wifi.name", value=repr(name))
    raw = check_ssid(ssid)
    return WifiNetwork(name, raw, psk_hex(raw, check_passphrase(passphrase)), priority)


def render_config(networks: list[WifiNetwork], ctrl_dir: str = CTRL_DIR) -> str:
    """A wpa_supplicant configuration with these networks, each disabled until simspot selects
    it over the control socket in ``ctrl_dir`` (``SELECT_NETWORK``, as ``WpaSupplicantLink.join``
    does); every value written is hex or a name checked above."""
    if not re.fullmatch(r"/[A-Za-z0-9_./-]{0,200}", ctrl_dir):
        raise _bad("ctrl_dir", "wifi.ctrl-dir", value=repr(ctrl_dir))
    out = [
        "# simspot Wi-Fi uplinks: generated, do not edit",
        f"ctrl_interface={ctrl_dir}",
        "update_config=0",
        "ap_scan=1",
    ]
    for n in networks:
        out += [
            "network={",
            f"\tssid={n.ssid.hex()}",
            f"\tpsk={n.psk}",
            "\tkey_mgmt=WPA-PSK WPA-PSK-SHA256",
            "\tieee80211w=1",
            f"\tpriority={int(n.priority)}",
            "\tdisabled=1",
            f'\tid_str="{n.id_str}"',
            "}",
        ]
    return "\n".join(out) + "\n"


# -- the control socket ----------------------------------------------------------------------------
class WpaCtrl:
    """One request/reply client of a wpa_supplicant control socket (a Unix datagram socket)."""

    def __init__(self, path: str, timeout_s: float = 5.0) -> None:
        self.path = path
        self.timeout_s = timeout_s

    def _request(self, command: str) -> str:
        tmp = tempfile.mkdtemp(prefix="simspot-wpa-")
        local = os.path.join(tmp, "c")
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        try:
            sock.bind(local)
            sock.settimeout(self.timeout_s)
            try:
                sock.connect(self.path)
                sock.send(command.encode("ascii"))
                deadline = time.monotonic() + self.timeout_s
                while True:
                    sock.settimeout(max(0.01, deadline - time.monotonic()))
                    reply = sock.recv(16384).decode("utf-8", errors="replace")
                    if not reply.startswith("<"):  # "<3>CTRL-EVENT-...": an event, not ours
                        return reply
            except TimeoutError:
                raise BackendError(msg_id="wifi.no-answer", params={"path": self.path}) from None
            except OSError as exc:
                raise BackendError(
                    msg_id="wifi.unreachable",
                    params={"path": self.path, "error": exc.strerror or str(exc)},
                ) from None
        finally:
            sock.close()
            with contextlib.suppress(OSError):
                os.unlink(local)
            with contextlib.suppress(OSError):
                os.rmdir(tmp)

    async def request(self, command: str) -> str:
        return await asyncio.to_thread(self._request, command)

    async def ok(self, command: str) -> None:
        reply = (await self.request(command)).strip()
        if reply != "OK":
            raise _refused(command, reply)


def parse_kv(text: str) -> dict[str, str]:
    return dict(line.split("=", 1) for line in text.splitlines() if "=" in line)


def decode_ssid(text: str) -> bytes:
    """An SSID as wpa_supplicant prints it (printf_encode: \\xNN, \\\\, \\", \\n ...)."""
    out = bytearray()
    i = 0
    simple = {"n": 10, "r": 13, "t": 9, "e": 27, "\\": 92, '"': 34}
    raw = text.encode("utf-8")
    while i < len(raw):
        c = raw[i]
        if c == 92 and i + 1 < len(raw):
            nxt = chr(raw[i + 1])
            if nxt == "x" and i + 3 < len(raw):
                with contextlib.suppress(ValueError):
                    out.append(int(raw[i + 2 : i + 4].decode("ascii"), 16))
                    i += 4
                    continue
            if nxt in simple:
                out.append(simple[nxt])
                i += 2
                continue
        out.append(c)
        i += 1
    return bytes(out)


@dataclass(frozen=True)
class WifiState:
    reachable: bool  # the supplicant answered
    present: bool  # the network is in range (seen in a scan, or joined)
    associated: bool  # joined (wpa_state COMPLETED on this SSID)
    signal_percent: int | None = None
    wpa_state: str | None = None
    error: str | None = None


def signal_percent(rssi_dbm: int) -> int:
    """-100 dBm or less: 0 %, -50 dBm or more: 100 %."""
    return max(0, min(100, 2 * (rssi_dbm + 100)))


class WpaSupplicantLink:
    """One configured Wi-Fi uplink, driven through its interface's wpa_supplicant."""

    def __init__(
        self, net: WifiNetwork, interface: str, ctrl_dir: str = CTRL_DIR, timeout_s: float = 5.0
    ) -> None:
        self.net = net
        self.interface = interface
        self.ctrl = WpaCtrl(os.path.join(ctrl_dir, interface), timeout_s)

    async def _network_id(self) -> int | None:
        listing = await self.ctrl.request("LIST_NETWORKS")
        for line in listing.splitlines()[1:]:
            nid = line.split("\t", 1)[0]
            if not nid.isdigit():
                continue
            id_str = (await self.ctrl.request(f"GET_NETWORK {nid} id_str")).strip()
            if id_str.strip('"') == self.net.id_str:
                return int(nid)
        return None

    async def ensure_network(self) -> int:
        """The supplicant's network id for this link, added (disabled) when missing."""
        nid = await self._network_id()
        if nid is not None:
            return nid
        reply = (await self.ctrl.request("ADD_NETWORK")).strip()
        if not reply.isdigit():
            raise _refused("ADD_NETWORK", reply)
        nid = int(reply)
        try:
            for key, value in (
                ("ssid", self.net.ssid.hex()),
                ("psk", self.net.psk),
                ("key_mgmt", "WPA-PSK WPA-PSK-SHA256"),
                ("ieee80211w", "1"),
                ("priority", str(int(self.net.priority))),
                ("id_str", f'"{self.net.id_str}"'),
            ):
                await self.ctrl.ok(f"SET_NETWORK {nid} {key} {value}")
        except BackendError:
            with contextlib.suppress(BackendError):
                await self.ctrl.ok(f"REMOVE_NETWORK {nid}")
            raise
        return nid

    async def state(self) -> WifiState:
        try:
            status = parse_kv(await self.ctrl.request("STATUS"))
        except BackendError as exc:
            return WifiState(reachable=False, present=False, associated=False, error=str(exc))
        wpa_state = status.get("wpa_state")
        ours = status.get("id_str") == self.net.id_str or (
            "ssid" in status and decode_ssid(status["ssid"]) == self.net.ssid
        )
        associated = wpa_state == "COMPLETED" and ours
        seen_level: int | None = None
        with contextlib.suppress(BackendError):
            for line in (await self.ctrl.request("SCAN_RESULTS")).splitlines()[1:]:
                cols = line.split("\t")
                if len(cols) >= 5 and decode_ssid(cols[4]) == self.net.ssid:
                    with contextlib.suppress(ValueError):
                        level = int(cols[2])
                        seen_level = level if seen_level is None else max(seen_level, level)
        signal = None
        if associated:
            with contextlib.suppress(BackendError, ValueError):
                poll = parse_kv(await self.ctrl.request("SIGNAL_POLL"))
                if "RSSI" in poll:
                    signal = signal_percent(int(poll["RSSI"]))
        if signal is None and seen_level is not None:
            signal = signal_percent(seen_level)
        return WifiState(
            reachable=True,
            present=associated or seen_level is not None,
            associated=associated,
            signal_percent=signal,
            wpa_state=wpa_state,
        )

    async def join(self, limit_s: float, poll_s: float = 0.5) -> bool:
        """Select this network (the supplicant leaves any other) and wait until associated."""
        nid = await self.ensure_network()
        await self.ctrl.ok(f"SELECT_NETWORK {nid}")
        deadline = time.monotonic() + limit_s
        while time.monotonic() < deadline:
            if (await self.state()).associated:
                return True
            await asyncio.sleep(poll_s)
        return False

    def close(self) -> None:
        """Nothing held between requests."""

    async def leave(self) -> None:
        """Disconnect (after a join that did not verify): the network stays configured."""
        nid = await self._network_id()
        if nid is not None:
            await self.ctrl.ok(f"DISABLE_NETWORK {nid}")


class WifiJoiner(Protocol):
    """What the uplink service needs of a Wi-Fi link it joins itself."""

    async def state(self) -> WifiState: ...

    async def join(self, limit_s: float, poll_s: float = 0.5) -> bool: ...

    async def leave(self) -> None: ...

    def close(self) -> None: ...


def joiners(links: Sequence[WifiUplink]) -> dict[str, WifiJoiner]:
    """A driver for each configured link simspot can join (an ssid and a readable psk_file);
    a link whose secret cannot be used is logged (the path and the problem, never the secret)
    and left to whatever else keeps it up."""
    out: dict[str, WifiJoiner] = {}
    for n, link in enumerate(links):
        if link.ssid is None or link.psk_file is None:
            continue
        try:
            passphrase = read_psk(link.psk_file, f"uplink.wifi[{n}].psk_file")
            net = network(link.name, link.ssid, passphrase, link.priority)
        except SimspotValueError as exc:
            log.warning("uplink: Wi-Fi link %s cannot be joined: %s", link.name, exc)
            continue
        if link.backend == "networkmanager":
            from simspot.uplink.wifinm import NetworkManagerLink

            out[link.name] = NetworkManagerLink(net, link.interface)
        else:
            out[link.name] = WpaSupplicantLink(net, link.interface, link.ctrl_dir)
    return out
