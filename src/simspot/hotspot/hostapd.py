"""The hostapd backend: simspot renders the config, runs hostapd, and speaks its control socket.

hostapd's control interface is a Unix datagram socket per interface in ``ctrl_interface``; a client
binds its own socket, sends a command and reads one datagram back. ``ATTACH`` makes hostapd send
unsolicited events (``<3>AP-STA-CONNECTED 02:..``) to that client; ``STA-FIRST`` / ``STA-NEXT <mac>``
walk the station table, each answer being the MAC on the first line and ``key=value`` lines after.
A station that joined with a per-person key carries ``keyid=<id>`` in both (the event's
``AP-STA-CONNECTED <mac> keyid=<id>`` and the station's ``keyid=`` line); simspot reports it as
``Station.key_id``. Per-person WPA2 keys live in the ``wpa_psk_file``, which hostapd rereads on
``RELOAD_WPA_PSK``, so adding or removing one needs no restart. Two hostapd 2.10 facts, seen in
the radio tests (tests/radio): a reload does not drop stations that joined with a removed key (so
simspot deauthenticates them itself), and afterwards the ``keyid=`` of a station's STA answer may
name a different key (so the key id announced when the station connected is the one trusted).
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import itertools
import logging
import os
import shutil
import signal
import socket
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from simspot.errors import ToolMissing
from simspot.fsutil import write_private
from simspot.hotspot import validate
from simspot.hotspot.contract import ApConfig, ApError, Station
from simspot.hotspot.render import HostapdFiles, hostapd_conf, key_id, mac_file, wpa_psk_file
from simspot.secrets import mask_text

log = logging.getLogger(__name__)

_SUN_PATH_MAX = 107  # sizeof(sockaddr_un.sun_path) - 1 on Linux
_counter = itertools.count()
_SEARCH_PATH = os.pathsep.join([os.environ.get("PATH", ""), "/usr/sbin", "/sbin"])


class ControlSocket:
    """One client connection to hostapd's control interface (requests, or events once attached)."""

    def __init__(self, server: Path, local_dir: Path) -> None:
        self.server = server
        self.local = local_dir / f"c{os.getpid()}-{next(_counter)}"
        for p in (self.server, self.local):
            if len(str(p).encode()) > _SUN_PATH_MAX:
                raise ApError(msg_id="hotspot.hostapd.socket-path", params={"path": str(p)})
        self._sock: socket.socket | None = None
        self._lock = asyncio.Lock()

    async def open(self) -> None:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        try:
            with contextlib.suppress(FileNotFoundError):
                self.local.unlink()
            sock.bind(str(self.local))
            sock.connect(str(self.server))
        except OSError as exc:
            sock.close()
            with contextlib.suppress(FileNotFoundError):
                self.local.unlink()
            raise ApError(
                msg_id="hotspot.hostapd.unreachable",
                params={"path": str(self.server), "error": str(exc)},
            ) from None
        sock.setblocking(False)
        self._sock = sock

    def close(self) -> None:
        if self._sock is not None:
            self._sock.close()
            self._sock = None
        with contextlib.suppress(FileNotFoundError):
            self.local.unlink()

    async def recv(self) -> str:
        if self._sock is None:
            raise ApError(msg_id="hotspot.hostapd.socket-closed")
        loop = asyncio.get_running_loop()
        try:
            data = await loop.sock_recv(self._sock, 65536)
        except OSError as exc:
            raise ApError(
                msg_id="hotspot.hostapd.socket-failed", params={"error": str(exc)}
            ) from None
        return data.decode("utf-8", errors="replace")

    async def request(self, command: str, timeout_s: float = 5.0) -> str:
        """Send one command, return hostapd's answer (events that arrive meanwhile are skipped)."""
        if self._sock is None:
            raise ApError(msg_id="hotspot.hostapd.socket-closed")
        loop = asyncio.get_running_loop()
        async with self._lock:
            try:
                await loop.sock_sendall(self._sock, command.encode())
                async with asyncio.timeout(timeout_s):
                    while True:
                        reply = await self.recv()
                        if not reply.startswith("<"):  # "<N>..." are unsolicited events
                            return reply
            except TimeoutError:
                raise ApError(
                    msg_id="hotspot.hostapd.no-answer",
                    params={"command": repr(command.split()[0])},
                ) from None
            except OSError as exc:
                raise ApError(
                    msg_id="hotspot.hostapd.socket-failed", params={"error": str(exc)}
                ) from None


def parse_sta(reply: str) -> tuple[str, dict[str, str]] | None:
    """One STA-FIRST/STA-NEXT answer: (mac, fields), or None at the end of the table."""
    lines = reply.strip().splitlines()
    if not lines or lines[0].startswith("FAIL"):
        return None
    try:
        mac = validate.mac(lines[0])
    except validate.HotspotValueError:
        return None
    fields = {}
    for line in lines[1:]:
        key, sep, value = line.partition("=")
        if sep:
            fields[key] = value
    return mac, fields


@dataclass(frozen=True)
class StationEvent:
    kind: str  # "connected" or "disconnected"
    mac: str
    key_id: str | None = None  # the per-person key it joined with (connected events)


def parse_station_event(text: str) -> StationEvent | None:
    """``<3>AP-STA-CONNECTED 02:00:.. keyid=alice`` -> StationEvent; other events -> None.

    Also takes the same line as hostapd prints it on stdout (``wlan0: AP-STA-CONNECTED ...``).
    """
    body = text.split(">", 1)[1] if text.startswith("<") and ">" in text else text
    parts = body.split()
    if parts and parts[0].endswith(":"):  # "wlan0:" prefix of hostapd's own output
        parts = parts[1:]
    kinds = {"AP-STA-CONNECTED": "connected", "AP-STA-DISCONNECTED": "disconnected"}
    if len(parts) < 2 or parts[0] not in kinds:
        return None
    try:
        mac = validate.mac(parts[1])
    except validate.HotspotValueError:
        return None
    found = None
    for part in parts[2:]:
        name, sep, value = part.partition("=")
        if sep and name == "keyid":
            found = _key_id_or_none(value)
    return StationEvent(kinds[parts[0]], mac, found)


def parse_event(text: str) -> tuple[str, str] | None:
    """``<3>AP-STA-CONNECTED 02:00:..`` -> ("connected", mac); other events -> None."""
    event = parse_station_event(text)
    return (event.kind, event.mac) if event is not None else None


def _key_id_or_none(text: str | None) -> str | None:
    if text is None:
        return None
    try:
        return key_id(text)
    except validate.HotspotValueError:
        return None  # not a key id simspot could have configured: never taken as a pass name


class HostapdAp:
    """Runs one hostapd for one interface and follows its stations."""

    kind = "hostapd"
    mac_lists = True  # macaddr_acl with accept/deny files

    def __init__(
        self,
        run_dir: Path,
        *,
        driver: str = "nl80211",
        netns: str | None = None,
        on_event: Callable[[str, str], None] | None = None,
        start_timeout_s: float = 15.0,
    ) -> None:
        self.run_dir = run_dir
        self.driver = driver
        self.netns = netns
        self.on_event = on_event
        self.start_timeout_s = start_timeout_s
        self.config: ApConfig | None = None
        self._rendered: str | None = None
        self._proc: asyncio.subprocess.Process | None = None
        self._output: deque[str] = deque(maxlen=40)
        self._tasks: list[asyncio.Task[None]] = []
        self._ctrl: ControlSocket | None = None
        self._monitor: ControlSocket | None = None
        self._since: dict[str, dt.datetime] = {}
        self._key_ids: dict[str, str | None] = {}  # from AP-STA-CONNECTED, by MAC
        self._psk_text: str | None = None

    def station_key_id(self, mac: str) -> str | None:
        """The per-person key ``mac`` joined with, as AP-STA-CONNECTED named it."""
        return self._key_ids.get(mac)

    @property
    def files(self) -> HostapdFiles:
        return HostapdFiles(
            ctrl_dir=str(self.run_dir / "ctrl"),
            accept_file=str(self.run_dir / "accept.macs"),
            deny_file=str(self.run_dir / "deny.macs"),
            driver=self.driver,
            psk_file=str(self.run_dir / "person.psk"),
        )

    @property
    def conf_path(self) -> Path:
        return self.run_dir / "hostapd.conf"

    def output(self) -> str:
        return mask_text("\n".join(self._output))

    async def up(self, config: ApConfig) -> None:
        text = hostapd_conf(config, self.files)  # validates everything before anything is written
        psk_text = wpa_psk_file(config)
        if text == self._rendered and self._running():
            if psk_text != self._psk_text:
                await self._reload_person_keys(config, psk_text)
            self.config = config
            return
        await self.down()
        program = shutil.which("hostapd", path=_SEARCH_PATH)
        if program is None:
            raise ToolMissing("hostapd", "hostapd")
        self.run_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        write_private(self.run_dir / "accept.macs", mac_file(config.mac_allow))
        write_private(self.run_dir / "deny.macs", mac_file(config.mac_deny))
        write_private(self.run_dir / "person.psk", psk_text)
        write_private(self.conf_path, text)
        argv = [program, str(self.conf_path)]
        if self.netns:
            argv = ["ip", "netns", "exec", self.netns, *argv]
        self._output.clear()
        try:
            self._proc = await asyncio.create_subprocess_exec(
                *argv,
                stdin=asyncio.subprocess.DEVNULL,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.STDOUT,
                start_new_session=True,
            )
        except OSError as exc:
            raise ApError(
                msg_id="hotspot.hostapd.start-failed", params={"error": str(exc)}
            ) from None
        self._tasks.append(
            asyncio.create_task(self._read_output(self._proc), name="hostapd-output")
        )
        self.config, self._rendered, self._psk_text = config, text, psk_text
        try:
            await self._connect(config.interface)
        except BaseException:
            await self.down()
            raise
        self._tasks.append(asyncio.create_task(self._follow_events(), name="hostapd-events"))
        log.info("hostapd is up", extra={"interface": config.interface, "ssid": config.ssid})

    async def _reload_person_keys(self, config: ApConfig, psk_text: str) -> None:
        """Only per-person WPA2 keys changed: hostapd rereads its wpa_psk_file in place, and the
        stations that joined with a key that is gone are deauthenticated (hostapd keeps them)."""
        kept = {key.key_id for key in config.person_keys}
        cut = [mac for mac, kid in self._key_ids.items() if kid is not None and kid not in kept]
        write_private(self.run_dir / "person.psk", psk_text)
        reply = await self.command("RELOAD_WPA_PSK")
        if reply.strip() != "OK":
            raise ApError(
                msg_id="hotspot.hostapd.refused",
                params={"command": "RELOAD_WPA_PSK", "reply": reply.strip()},
            )
        self._psk_text = psk_text
        for mac in cut:
            await self.command(f"DEAUTHENTICATE {mac} reason=2")  # previous auth no longer valid
            self._key_ids.pop(mac, None)

    async def _connect(self, interface: str) -> None:
        server = Path(self.files.ctrl_dir) / interface
        deadline = time.monotonic() + self.start_timeout_s
        while True:
            if not self._running():
                rc = self._proc.returncode if self._proc else None
                await asyncio.sleep(0.1)  # let the output reader catch the last lines
                raise ApError(
                    msg_id="hotspot.hostapd.exited", params={"status": rc, "output": self.output()}
                )
            if server.exists():
                ctrl = ControlSocket(server, self.run_dir)
                try:
                    await ctrl.open()
                    if (await ctrl.request("PING", 2.0)).strip() == "PONG":
                        monitor = ControlSocket(server, self.run_dir)
                        await monitor.open()
                        if (await monitor.request("ATTACH")).strip() != "OK":
                            monitor.close()
                            raise ApError(msg_id="hotspot.hostapd.attach-refused")
                        self._ctrl, self._monitor = ctrl, monitor
                        return
                except ApError:
                    ctrl.close()
                    if time.monotonic() > deadline:
                        raise
            if time.monotonic() > deadline:
                raise ApError(msg_id="hotspot.hostapd.silent", params={"output": self.output()})
            await asyncio.sleep(0.1)

    async def _read_output(self, proc: asyncio.subprocess.Process) -> None:
        if proc.stdout is None:
            return
        async for raw in proc.stdout:
            line = raw.decode("utf-8", errors="replace").rstrip()
            self._output.append(line)
            log.debug("hostapd: %s", mask_text(line))

    async def _follow_events(self) -> None:
        monitor = self._monitor
        while monitor is not None:
            try:
                text = await monitor.recv()
            except ApError:
                return  # check() reports a dead hostapd
            event = parse_station_event(text)
            if event is None:
                continue
            kind, mac = event.kind, event.mac
            if kind == "connected":
                self._since[mac] = dt.datetime.now(dt.UTC)
                self._key_ids[mac] = event.key_id
            else:
                self._since.pop(mac, None)
                self._key_ids.pop(mac, None)
            if self.on_event is not None:
                self.on_event(kind, mac)

    def _running(self) -> bool:
        return self._proc is not None and self._proc.returncode is None

    async def down(self) -> None:
        for sock in (self._monitor, self._ctrl):
            if sock is not None:
                if sock is self._monitor:
                    with contextlib.suppress(ApError):
                        await sock.request("DETACH", 1.0)
                sock.close()
        self._monitor = self._ctrl = None
        proc, self._proc = self._proc, None
        if proc is not None and proc.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGTERM)
            try:
                await asyncio.wait_for(proc.wait(), 5)
            except TimeoutError:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGKILL)
                await proc.wait()
        tasks, self._tasks = self._tasks, []
        for task in tasks:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._since.clear()
        self._key_ids.clear()
        self._rendered = self._psk_text = None

    async def check(self) -> None:
        if self._rendered is not None and not self._running():
            rc = self._proc.returncode if self._proc else None
            raise ApError(
                msg_id="hotspot.hostapd.stopped", params={"status": rc, "output": self.output()}
            )

    async def command(self, text: str) -> str:
        """Send a raw control command (tests and diagnostics)."""
        if self._ctrl is None:
            raise ApError(msg_id="hotspot.hostapd.not-running")
        return await self._ctrl.request(text)

    async def stations(self) -> list[Station] | None:
        if self._ctrl is None or not self._running():
            return []
        out: list[Station] = []
        now = dt.datetime.now(dt.UTC)
        reply = await self._ctrl.request("STA-FIRST")
        seen: set[str] = set()
        while (parsed := parse_sta(reply)) is not None and parsed[0] not in seen:
            mac, fields = parsed
            seen.add(mac)
            since = self._since.get(mac)
            if "connected_time" in fields and fields["connected_time"].isdigit():
                since = now - dt.timedelta(seconds=int(fields["connected_time"]))
            signal_dbm = _int(fields.get("signal"))
            if mac in self._key_ids:
                key = self._key_ids[mac]
            else:  # joined before simspot listened: hostapd's own answer is all there is
                key = _key_id_or_none(fields.get("keyid"))
            if "[AUTHORIZED]" in fields.get("flags", ""):  # associated and past the handshake
                out.append(Station(mac, since, signal_dbm, key))
            reply = await self._ctrl.request(f"STA-NEXT {mac}")
        return out


def _int(text: str | None) -> int | None:
    try:
        return int(text) if text is not None else None
    except ValueError:
        return None
