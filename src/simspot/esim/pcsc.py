"""PC/SC card transport: a removable eUICC in a USB reader, through pcscd (pyscard).

Opening a logical channel the ISO 7816-4 way is shared with AT+CSIM (``simspot.esim.transport``);
the card-transport errors live in ``simspot.esim.errors``.

pyscard's calls block, so they run on one worker thread per transport (a PC/SC context and its
card handle are then always used from the same thread, which pcsc-lite prefers).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Literal, TypeVar

from simspot.esim.errors import (
    CardBusy,
    CardRemoved,
    CardTransportError,
    ChannelError,
    NoCard,
    NoReader,
)
from simspot.esim.transport import (
    Part,
    close_channel_iso,
    open_channel_iso,
    part,
    status_word,
    sw_text,
)

__all__ = [  # the errors are re-exported for callers that import them from here
    "CardBusy",
    "CardRemoved",
    "CardTransportError",
    "ChannelError",
    "NoCard",
    "NoReader",
    "PcscTransport",
    "ReaderInfo",
    "close_channel_iso",
    "list_readers",
    "list_readers_sync",
    "open_channel_iso",
    "translate",
]

log = logging.getLogger(__name__)

T = TypeVar("T")

# TERMINAL CAPABILITY (ETSI TS 102 221 11.1.19): tells the eUICC this terminal is an LPA-capable
# device (tag 83 = eUICC-related capabilities, 07 = LPA in device + ... as lpac sends it).
TERMINAL_CAPABILITY = bytes.fromhex("80AA00000AA9088100820101830107")

ProtocolChoice = Literal["auto", "t0", "t1"]

_STATUS_PRESENT = 0x0004  # SCARD_PRESENT of SCardStatus (pcsc-lite), not exported by pyscard


# -- PC/SC ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReaderInfo:
    index: int
    name: str
    card_present: bool
    atr: str | None  # hex, when a card is present


def _scard() -> Any:
    try:
        from smartcard import scard
    except ImportError as exc:
        raise NoReader(
            "PC/SC support is not installed (pip install 'simspot[pcsc]', Debian: pcscd)",
            msg_id="pcsc.not-installed",
        ) from exc
    return scard


def _pcsc_message(sc: Any, hresult: int) -> str:
    try:
        return str(sc.SCardGetErrorMessage(hresult)).strip()
    except (TypeError, ValueError, OverflowError):
        return f"PC/SC error 0x{hresult & 0xFFFFFFFF:08X}"


# What the transport was doing when PC/SC failed, named in translate()'s sentences.
CONNECTING_PCSCD = part("esim.pcsc.doing.pcscd")
LISTING_READERS = part("esim.pcsc.doing.readers")
CONNECTING_CARD = part("esim.pcsc.doing.card")
EXCHANGING_APDU = part("esim.pcsc.doing.apdu")

# PC/SC return codes, in groups that mean the same to the user: the error class and its sentence
# (esim/messages.py). "{detail}" is pcsc-lite's own text for the code.
_GROUPS: tuple[tuple[type[CardTransportError], tuple[str, ...], str], ...] = (
    (
        NoReader,
        ("SCARD_E_NO_SERVICE", "SCARD_E_SERVICE_STOPPED", "SCARD_E_NO_READERS_AVAILABLE"),
        "esim.pcsc.no-service",
    ),
    (NoReader, ("SCARD_E_UNKNOWN_READER", "SCARD_E_READER_UNAVAILABLE"), "esim.pcsc.reader-gone"),
    (
        CardRemoved,
        ("SCARD_W_REMOVED_CARD", "SCARD_W_RESET_CARD", "SCARD_E_NOT_TRANSACTED"),
        "esim.pcsc.card-removed",
    ),
    (
        NoCard,
        ("SCARD_E_NO_SMARTCARD", "SCARD_W_UNPOWERED_CARD", "SCARD_W_UNRESPONSIVE_CARD"),
        "esim.pcsc.no-card",
    ),
    (CardBusy, ("SCARD_E_SHARING_VIOLATION",), "esim.pcsc.busy"),
    (CardTransportError, ("SCARD_E_PROTO_MISMATCH",), "esim.pcsc.protocol"),
)


def translate(sc: Any, hresult: int, doing: Part, reader: str | None = None) -> CardTransportError:
    """One place where PC/SC return codes become simspot errors; ``doing`` is one of the
    steps above (CONNECTING_CARD, ...), ``reader`` the reader's name when one is chosen."""
    code = hresult & 0xFFFFFFFF
    params: dict[str, Any] = {
        "detail": _pcsc_message(sc, hresult),
        "doing": [doing],
        # " in reader 'X'", in the reader's language through where_said ({where:said})
        "where": f" in reader {reader!r}" if reader else "",
        "where_said": part("esim.pcsc.where", reader=repr(reader)) if reader else None,
    }
    for cls, names, msg_id in _GROUPS:
        if any(code == getattr(sc, name, -1) & 0xFFFFFFFF for name in names):
            if msg_id == "esim.pcsc.reader-gone" and reader:
                msg_id, params["reader"] = "esim.pcsc.reader-gone.named", repr(reader)
            return cls(msg_id=msg_id, params=params)
    return CardTransportError(msg_id="esim.pcsc.failed", params=params)


def list_readers_sync() -> list[ReaderInfo]:
    """The PC/SC readers with card presence and ATR (blocking; see :func:`list_readers`)."""
    sc = _scard()
    with _context(sc) as ctx:
        return _readers(sc, ctx)


async def list_readers() -> list[ReaderInfo]:
    return await asyncio.to_thread(list_readers_sync)


@contextmanager
def _context(sc: Any) -> Iterator[Any]:
    hr, ctx = sc.SCardEstablishContext(sc.SCARD_SCOPE_USER)
    if hr != sc.SCARD_S_SUCCESS:
        raise translate(sc, hr, CONNECTING_PCSCD)
    try:
        yield ctx
    finally:
        sc.SCardReleaseContext(ctx)


def _readers(sc: Any, ctx: Any) -> list[ReaderInfo]:
    hr, names = sc.SCardListReaders(ctx, [])
    if hr == sc.SCARD_E_NO_READERS_AVAILABLE:
        return []
    if hr != sc.SCARD_S_SUCCESS:
        raise translate(sc, hr, LISTING_READERS)
    states = [(name, sc.SCARD_STATE_UNAWARE) for name in names]
    hr, found = sc.SCardGetStatusChange(ctx, 0, states)
    if hr != sc.SCARD_S_SUCCESS:
        found = [(name, 0, []) for name in names]
    out = []
    for index, (name, state, atr) in enumerate(found):
        present = bool(state & sc.SCARD_STATE_PRESENT)
        out.append(
            ReaderInfo(index, name, present, bytes(atr).hex().upper() if present and atr else None)
        )
    return out


class PcscTransport:
    """An eUICC in a PC/SC reader. ``reader`` is a name (or a unique part of one) or an index.

    The card is held with exclusive access from ``connect`` to ``disconnect``, so no other
    PC/SC program can interleave APDUs with an LPA session. ``protocol`` "auto" lets pcscd pick
    (pcsc-lite takes T=1 when the ATR offers both); many removable eUICCs only do T=0, which
    "auto" then uses. "t0"/"t1" force one.
    """

    def __init__(
        self,
        reader: str | int | None = None,
        *,
        protocol: ProtocolChoice = "auto",
        exclusive: bool = True,
        terminal_capability: bool = True,
    ) -> None:
        self.reader_spec = reader
        self.protocol_choice: ProtocolChoice = protocol
        self.exclusive = exclusive
        self.terminal_capability = terminal_capability
        self.reader: str | None = None
        self.active_protocol: Literal["T=0", "T=1"] | None = None
        self.atr: bytes | None = None
        self._sc: Any = None
        self._ctx: Any = None
        self._card: Any = None
        self._channels: set[int] = set()
        self._pool: concurrent.futures.ThreadPoolExecutor | None = None

    async def _call(self, fn: Callable[[], T]) -> T:
        if self._pool is None:
            self._pool = concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="simspot-pcsc")
        return await asyncio.get_running_loop().run_in_executor(self._pool, fn)

    # -- the five calls -----------------------------------------------------------------------
    async def connect(self) -> None:
        if self._card is not None:
            return
        await self._call(self._connect)
        if self.terminal_capability:
            # Sent before any channel is opened, as lpac does; cards that do not know it refuse
            # it harmlessly (6D00/6E00), so only its transport errors matter.
            resp = await self.transmit(TERMINAL_CAPABILITY)
            if resp[-2:] != b"\x90\x00":
                log.info("TERMINAL CAPABILITY: %s", sw_text(status_word(resp)))

    async def disconnect(self) -> None:
        try:
            for channel in sorted(self._channels):
                try:
                    await self.close_channel(channel)
                except CardTransportError as exc:
                    log.info("leaving channel %d to the card reset: %s", channel, exc)
                    self._channels.discard(channel)
            await self._call(self._disconnect)
        finally:
            if self._pool is not None:
                self._pool.shutdown(wait=False)
                self._pool = None

    async def open_channel(self, aid: bytes) -> int:
        channel = await open_channel_iso(self.transmit, aid)
        self._channels.add(channel)
        return channel

    async def close_channel(self, channel: int) -> None:
        if channel not in self._channels or self._card is None:
            return
        self._channels.discard(channel)
        await close_channel_iso(self.transmit, channel)

    async def transmit(self, apdu: bytes) -> bytes:
        if self._card is None:
            raise CardTransportError(
                "the PC/SC transport is not connected", msg_id="pcsc.not-connected"
            )
        return await self._call(lambda: self._transmit(apdu))

    # -- blocking parts (worker thread) -------------------------------------------------------
    def _connect(self) -> None:
        sc = self._sc = _scard()
        hr, ctx = sc.SCardEstablishContext(sc.SCARD_SCOPE_USER)
        if hr != sc.SCARD_S_SUCCESS:
            raise translate(sc, hr, CONNECTING_PCSCD)
        self._ctx = ctx
        try:
            self.reader = self._choose(_readers(sc, ctx))
            protocols = {
                "auto": sc.SCARD_PROTOCOL_T0 | sc.SCARD_PROTOCOL_T1,
                "t0": sc.SCARD_PROTOCOL_T0,
                "t1": sc.SCARD_PROTOCOL_T1,
            }[self.protocol_choice]
            share = sc.SCARD_SHARE_EXCLUSIVE if self.exclusive else sc.SCARD_SHARE_SHARED
            hr, card, active = sc.SCardConnect(ctx, self.reader, share, protocols)
            if hr != sc.SCARD_S_SUCCESS:
                raise translate(sc, hr, CONNECTING_CARD, self.reader)
            self._card = card
            self.active_protocol = "T=1" if active == sc.SCARD_PROTOCOL_T1 else "T=0"
            hr, _reader, _state, _proto, atr = sc.SCardStatus(card)
            self.atr = bytes(atr) if hr == sc.SCARD_S_SUCCESS else None
        except BaseException:
            self._release()
            raise
        log.info("PC/SC: %s, %s, ATR %s", self.reader, self.active_protocol, _hex(self.atr))

    def _choose(self, readers: list[ReaderInfo]) -> str:
        if not readers:
            raise NoReader(
                "no PC/SC reader found: is pcscd running and the reader plugged in?",
                msg_id="pcsc.no-reader",
            )
        spec = self.reader_spec
        names = ", ".join(f"{r.index}: {r.name}" for r in readers)
        if spec is None:
            with_card = [r for r in readers if r.card_present]
            if not with_card:
                raise NoCard(
                    f"no card in any reader ({names})",
                    msg_id="pcsc.no-card-any",
                    params={"readers": names},
                )
            return with_card[0].name
        if isinstance(spec, int) or (isinstance(spec, str) and spec.isdigit()):
            index = int(spec)
            if not 0 <= index < len(readers):
                raise NoReader(
                    f"no reader number {index}; readers are {names}",
                    msg_id="pcsc.no-reader-number",
                    params={"index": index, "readers": names},
                )
            chosen = readers[index]
        else:
            exact = [r for r in readers if r.name == spec]
            part = exact or [r for r in readers if spec.lower() in r.name.lower()]
            if len(part) != 1:
                why = "no reader matches" if not part else "several readers match"
                raise NoReader(
                    f"{why} {spec!r}; readers are {names}",
                    msg_id="pcsc.none-match" if not part else "pcsc.several-match",
                    params={"spec": repr(spec), "readers": names},
                )
            chosen = part[0]
        if not chosen.card_present:
            raise NoCard(
                f"no card in reader {chosen.name!r}",
                msg_id="pcsc.no-card",
                params={"reader": repr(chosen.name)},
            )
        return chosen.name

    def _transmit(self, apdu: bytes) -> bytes:
        sc = self._sc
        proto = sc.SCARD_PCI_T1 if self.active_protocol == "T=1" else sc.SCARD_PCI_T0
        hr, resp = sc.SCardTransmit(self._card, proto, list(apdu))
        if hr != sc.SCARD_S_SUCCESS:
            raise translate(sc, hr, EXCHANGING_APDU, self.reader)
        if len(resp) < 2:
            # Some drivers (vpcd among them) report success with no bytes at all when the card
            # goes away mid-APDU; pcscd notices the removal on its next poll.
            for _ in range(15):
                hr, _reader, state, _proto, _atr = sc.SCardStatus(self._card)
                if hr != sc.SCARD_S_SUCCESS or not state & _STATUS_PRESENT:
                    raise CardRemoved(
                        msg_id="esim.pcsc.removed-apdu", params={"reader": repr(self.reader)}
                    )
                time.sleep(0.1)
            raise CardRemoved(msg_id="esim.pcsc.mute", params={"reader": repr(self.reader)})
        return bytes(resp)

    def _disconnect(self) -> None:
        if self._card is not None:
            # Reset on release: the card drops its logical channels and session state.
            self._sc.SCardDisconnect(self._card, self._sc.SCARD_RESET_CARD)
        self._release()

    def _release(self) -> None:
        self._card = None
        self._channels.clear()
        if self._ctx is not None:
            self._sc.SCardReleaseContext(self._ctx)
            self._ctx = None


def _hex(data: bytes | None) -> str:
    return data.hex().upper() if data else "-"
