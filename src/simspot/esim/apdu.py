"""ES10 over APDUs: STORE DATA segmentation, GET RESPONSE, status words, the ISD-R channel.

The pure part (building STORE DATA blocks, reading status words) is separate from
:class:`Es10Channel`, the small async session that drives an :class:`ApduTransport`:

    async with Es10Channel(transport, aids) as channel:
        response = await channel.transceive(request_der)

The channel to the ISD-R is opened by trying an ordered list of AIDs (the GSMA one first, then
the ones removable eUICC cards are known to answer on, then the user's) and always closed again.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from types import TracebackType
from typing import TYPE_CHECKING, Any

from simspot.errors import EsimError
from simspot.esim.errors import CardError, EsimValueError, IsdrNotFound
from simspot.i18n import part

if TYPE_CHECKING:
    from simspot.esim.transport import ApduTransport

log = logging.getLogger(__name__)

ISD_R_AID = bytes.fromhex("A0000005591010FFFFFFFF8900000100")  # SGP.22 2.2.3
# AIDs that removable eUICC cards sold to hobbyists answer on (vendor specific).
KNOWN_REMOVABLE_AIDS = (
    bytes.fromhex("A0000005591010FFFFFFFF8900000300"),
    bytes.fromhex("A0000005591010FFFFFFFF8900050500"),
)
DEFAULT_AIDS: tuple[bytes, ...] = (ISD_R_AID, *KNOWN_REMOVABLE_AIDS)

INS_STORE_DATA = 0xE2  # GlobalPlatform STORE DATA, SGP.22 5.7.2
INS_GET_RESPONSE = 0xC0  # ISO 7816-4
P1_MORE_BLOCKS = 0x11
P1_LAST_BLOCK = 0x91
MIN_BLOCK = 6
MAX_BLOCK = 255  # short APDU Lc
# The most an ES10 response may take over GET RESPONSE (the largest, a full notification or
# profile list, is tens of kB): a card that keeps answering 61xx is refused here, not followed.
MAX_RESPONSE = 1 << 20
DEFAULT_BLOCK = 255

SW_OK = 0x9000

# Error status words with a sentence of their own ("esim.apdu.sw.<sw>" in esim/cardmessages.py);
# the rest by their first byte (63xx, 64xx, 6Cxx) or as "the card refused the command".
_SW_SENTENCES = frozenset(
    {
        0x6581,  # memory problem on the card
        0x6700,  # wrong length
        0x6881,  # logical channel not supported
        0x6882,  # secure messaging not supported
        0x6982,  # security status not satisfied
        0x6985,  # conditions of use not satisfied
        0x6A80,  # the card refused the data (incorrect parameters in the data field)
        0x6A81,  # function not supported
        0x6A82,  # application or file not found
        0x6A84,  # not enough memory space on the card
        0x6A86,  # incorrect P1/P2
        0x6A88,  # referenced data not found
        0x6D00,  # instruction not supported
        0x6E00,  # class not supported
        0x6F00,  # the card reported an unspecified error
    }
)
_SW1_SENTENCES = frozenset({0x63, 0x64, 0x6C})  # verification failed, execution error, wrong Le


def sw_message(sw: int) -> dict[str, Any]:
    """A plain description of an error status word, as a catalogue message (``part``)."""
    if sw in _SW_SENTENCES:
        return part(f"esim.apdu.sw.{sw:04x}")
    if sw >> 8 in _SW1_SENTENCES:
        return part(f"esim.apdu.sw.{sw >> 8:02x}xx")
    return part("esim.apdu.sw.other")


def cla_for_channel(channel: int, *, proprietary: bool = True) -> int:
    """CLA for a logical channel (ISO 7816-4 5.4.1): 0-3 first, 4-19 further interindustry."""
    base = 0x80 if proprietary else 0x00
    if 0 <= channel <= 3:
        return base | channel
    if 4 <= channel <= 19:
        return base | 0x40 | (channel - 4)
    raise CardError(msg_id="esim.apdu.channel-range", params={"channel": channel})


def channel_of_cla(cla: int) -> int:
    """The logical channel a CLA byte addresses (inverse of :func:`cla_for_channel`)."""
    if cla & 0x40:
        return 4 + (cla & 0x0F)
    return cla & 0x03


def check_block_size(block_size: int) -> int:
    if not MIN_BLOCK <= block_size <= MAX_BLOCK:
        raise EsimValueError(
            msg_id="esim.apdu.block-size",
            params={"min": MIN_BLOCK, "max": MAX_BLOCK, "size": block_size},
        )
    return block_size


def store_data_apdus(channel: int, payload: bytes, block_size: int = DEFAULT_BLOCK) -> list[bytes]:
    """Cut one ES10 command into STORE DATA APDUs (P2 counts the blocks).

    Every block but the last is case 3 (no Le: no response data). The last block, whose answer
    is the ES10 response, is case 4 with Le = '00' (up to 256 bytes), as GlobalPlatform STORE
    DATA asks when response data is expected and ISO 7816-4 uses to tell the card that data
    may come back at once: a T=1 card then answers with the first 256 bytes (and 61xx for the
    rest) instead of a bare 61xx, which saves one GET RESPONSE per command. Over T=0 the
    reader leaves Le out and the card answers 61xx as before.
    """
    check_block_size(block_size)
    if not payload:
        raise EsimError(msg_id="esim.apdu.empty-command")
    cla = cla_for_channel(channel)
    count = (len(payload) + block_size - 1) // block_size
    if count > 256:
        raise EsimError(msg_id="esim.apdu.too-many-blocks", params={"size": len(payload)})
    apdus = []
    for number in range(count):
        block = payload[number * block_size : (number + 1) * block_size]
        last = number == count - 1
        p1 = P1_LAST_BLOCK if last else P1_MORE_BLOCKS
        apdu = bytes((cla, INS_STORE_DATA, p1, number, len(block))) + block
        apdus.append(apdu + b"\x00" if last else apdu)
    return apdus


def get_response_apdu(channel: int, length: int) -> bytes:
    return bytes(
        (cla_for_channel(channel, proprietary=False), INS_GET_RESPONSE, 0, 0, length & 0xFF)
    )


def split_response(response: bytes) -> tuple[bytes, int]:
    """Split a transport answer into (data, SW1SW2)."""
    if len(response) < 2:
        raise CardError(msg_id="esim.apdu.too-short", params={"count": len(response)})
    return response[:-2], (response[-2] << 8) | response[-1]


def is_success(sw: int) -> bool:
    # 91xx: success with a proactive command pending (ETSI TS 102 221 10.2.1.1).
    return sw == SW_OK or sw >> 8 == 0x91


class Es10Channel:
    """An open logical channel to the ISD-R, sending ES10 commands as STORE DATA.

    ``apdu_count`` counts every APDU sent (STORE DATA and GET RESPONSE), for benchmarks and logs.
    """

    def __init__(
        self,
        transport: ApduTransport,
        aids: Sequence[bytes] = DEFAULT_AIDS,
        *,
        block_size: int = DEFAULT_BLOCK,
    ) -> None:
        if not aids:
            raise EsimValueError(msg_id="esim.apdu.no-aid")
        self._transport = transport
        self._aids = list(dict.fromkeys(aids))
        self.block_size = check_block_size(block_size)
        self.channel: int | None = None
        self.aid: bytes | None = None
        self.apdu_count = 0

    async def open(self) -> None:
        """Open a channel on the first AID of the list that the card accepts."""
        reasons: list[dict[str, Any]] = []
        for aid in self._aids:
            try:
                self.channel = await self._transport.open_channel(aid)
            except EsimError as exc:
                reasons.append(
                    part(
                        "esim.apdu.aid-refused",
                        aid=aid.hex().upper(),
                        error=str(exc),
                        error_said=exc.message_json(),
                    )
                )
                continue
            self.aid = aid
            log.debug("ISD-R on AID %s, channel %d", aid.hex().upper(), self.channel)
            return
        raise IsdrNotFound(msg_id="esim.apdu.no-isdr", params={"tried": reasons})

    async def close(self) -> None:
        channel, self.channel = self.channel, None
        if channel is not None:
            await self._transport.close_channel(channel)

    async def __aenter__(self) -> Es10Channel:
        await self.open()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    async def _send(self, apdu: bytes) -> tuple[bytes, int]:
        self.apdu_count += 1
        return split_response(await self._transport.transmit(apdu))

    async def transceive(self, payload: bytes) -> bytes:
        """Send one ES10 command (its whole DER) and return the whole response DER."""
        if self.channel is None:
            raise EsimError(msg_id="esim.apdu.not-open")
        apdus = store_data_apdus(self.channel, payload, self.block_size)
        data, sw = b"", SW_OK
        for number, apdu in enumerate(apdus):
            data, sw = await self._send(apdu)
            if number < len(apdus) - 1 and not (is_success(sw) and not data):
                if is_success(sw) or sw >> 8 == 0x61:
                    raise CardError(
                        msg_id="esim.apdu.early-answer",
                        params={"block": number, "count": len(apdus)},
                    )
                raise CardError(
                    sw=sw,
                    msg_id="esim.apdu.block-refused",
                    params={"block": number, "reason": [sw_message(sw)]},
                )
        chunks = [data]
        size = len(data)
        while sw >> 8 == 0x61:
            if size > MAX_RESPONSE:
                raise CardError(
                    sw=sw, msg_id="esim.apdu.endless-response", params={"limit": MAX_RESPONSE}
                )
            data, sw = await self._send(get_response_apdu(self.channel, sw & 0xFF))
            if sw >> 8 == 0x6C:  # wrong Le: the card tells the right one
                data, sw = await self._send(get_response_apdu(self.channel, sw & 0xFF))
            chunks.append(data)
            size += len(data) or 1  # a card answering nothing but 61xx also ends
        if not is_success(sw):
            raise CardError(
                sw=sw, msg_id="esim.apdu.command-refused", params={"reason": [sw_message(sw)]}
            )
        return b"".join(chunks)

    @staticmethod
    def merge_aids(*lists: Iterable[bytes]) -> list[bytes]:
        """Concatenate AID lists, keeping the first occurrence of each."""
        return list(dict.fromkeys(aid for group in lists for aid in group))
