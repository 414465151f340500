"""A minimal message-level download driver for testing the two peers against each other.

Not an LPA: it just moves SGP.22 messages between the test SM-DP+ and the virtual eUICC (over
APDUs), so the peers can be tested without the real LPA.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

from simspot.esim import bsp, codec
from simspot.esim.apdu import cla_for_channel
from simspot.esim.errors import DecodeError
from simspot.esim.es10 import hash_confirmation_code
from simspot.simulator.euicc import ISDR_AID, VirtualEuicc
from simspot.simulator.smdp import Es9Failure, TestSmdp

Es9Call = Callable[[str, dict[str, Any]], dict[str, Any]]


class CardLink:
    """Open a logical channel on the card, select the ISD-R and run ES10 commands over it."""

    def __init__(self, card: VirtualEuicc, *, block: int = 255, aid: bytes = ISDR_AID) -> None:
        self.card = card
        self.block = block
        self.apdus = 0
        answer = self.raw(bytes.fromhex("0070000001"))
        assert answer[-2:] == b"\x90\x00", answer.hex()
        self.channel = answer[0]
        sel = (
            bytes([cla_for_channel(self.channel, proprietary=False), 0xA4, 0x04, 0x00, len(aid)])
            + aid
            + b"\x00"
        )
        answer = self.raw(sel)
        if answer[-2] == 0x61:
            answer = self.raw(
                bytes([cla_for_channel(self.channel, proprietary=False), 0xC0, 0, 0, answer[-1]])
            )
        assert answer[-2:] == b"\x90\x00", answer.hex()

    def raw(self, apdu: bytes) -> bytes:
        self.apdus += 1
        return self.card.process(apdu)

    def send(self, command: bytes) -> bytes:
        """One ES10 command as STORE DATA blocks; returns the whole response data."""
        cla = cla_for_channel(self.channel)
        blocks = [command[i : i + self.block] for i in range(0, len(command), self.block)]
        answer = b""
        for n, block in enumerate(blocks):
            p1 = 0x91 if n == len(blocks) - 1 else 0x11
            answer = self.raw(bytes([cla, 0xE2, p1, n % 256, len(block)]) + block)
            if n < len(blocks) - 1:
                assert answer == b"\x90\x00", answer.hex()
        data = b""
        while answer[-2] == 0x61:
            data += answer[:-2]
            answer = self.raw(bytes([cla & 0x7F, 0xC0, 0, 0, answer[-1]]))
        if answer[-2:] != b"\x90\x00":
            raise CardSw(int.from_bytes(answer[-2:], "big"))
        return data + answer[:-2]


class CardSw(Exception):
    def __init__(self, sw: int) -> None:
        super().__init__(f"SW {sw:04X}")
        self.sw = sw


def direct(smdp: TestSmdp) -> Es9Call:
    """Call the SM-DP+ functions in-process (Es9Failure on refusal)."""
    functions: dict[str, Callable[[dict[str, Any]], Any]] = {
        "initiateAuthentication": smdp.initiate_authentication,
        "authenticateClient": smdp.authenticate_client,
        "getBoundProfilePackage": smdp.get_bound_profile_package,
        "handleNotification": smdp.handle_notification,
        "cancelSession": smdp.cancel_session,
    }

    def call(name: str, body: dict[str, Any]) -> dict[str, Any]:
        return functions[name](body) or {}

    return call


def over_http(client: httpx.Client, base_url: str) -> Es9Call:
    """Call the SM-DP+ over HTTP(S) the way SGP.22 6.5 describes."""

    def call(name: str, body: dict[str, Any]) -> dict[str, Any]:
        r = client.post(
            f"{base_url}/gsma/rsp2/es9plus/{name}",
            json=body,
            headers={"X-Admin-Protocol": "gsma/rsp/v2.2.0"},
        )
        if r.status_code == 204:
            return {}
        r.raise_for_status()
        data: dict[str, Any] = r.json()
        status = data["header"]["functionExecutionStatus"]
        if status["status"] != "Executed-Success":
            code = status["statusCodeData"]
            raise Es9Failure(code["subjectCode"], code["reasonCode"], code.get("message", ""))
        return data

    return call


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def unb64(text: str) -> bytes:
    return base64.b64decode(text)


def split_bpp(bpp: bytes) -> list[bytes]:
    """The ES10b.LoadBoundProfilePackage commands, cut as SGP.22 2.5.5 says."""
    _, start, _end = codec.read_tlv(bpp)
    commands: list[bytes] = []
    outer_header = bpp[:start]
    pos = start
    for tag, vstart, vend in codec.iter_tlvs(bpp, start):
        here, pos = pos, vend
        if tag == 0xBF23:
            commands.append(outer_header + bpp[here:vend])
            continue
        header = bpp[here:vstart]
        children = [bpp[s:e] for s, e in _child_spans(bpp, vstart, vend)]
        if tag in (0xA0, 0xA2):
            commands.append(header + children[0])
            commands.extend(children[1:])
        else:
            commands.append(header)
            commands.extend(children)
    return commands


def _child_spans(data: bytes, start: int, end: int) -> list[tuple[int, int]]:
    spans = []
    pos = start
    for _tag, _vs, ve in codec.iter_tlvs(data, start, end):
        spans.append((pos, ve))
        pos = ve
    return spans


@dataclass
class Download:
    """What happened in one driven download."""

    transaction_id: str | None = None
    metadata: bytes | None = None
    bpp: bytes | None = None
    pir: bytes | None = None
    result: Any = None
    log: list[str] = field(default_factory=list)


def download(
    link: CardLink,
    call: Es9Call,
    address: str,
    matching_id: str | None,
    *,
    confirmation_code: str | None = None,
    tamper: Callable[[str, bytes], bytes] | None = None,
    stop_after_segments: int | None = None,
) -> Download:
    """Run one download; Es9Failure / CardSw propagate. ``tamper(step, data)`` may alter data."""
    t = tamper or (lambda step, data: data)
    out = Download()
    info1 = link.send(bytes.fromhex("BF2000"))
    challenge = codec.decode("GetEuiccChallengeResponse", link.send(bytes.fromhex("BF2E00")))
    r = call(
        "initiateAuthentication",
        {
            "euiccChallenge": b64(challenge["euiccChallenge"]),
            "euiccInfo1": b64(info1),
            "smdpAddress": address,
        },
    )
    out.transaction_id = r["transactionId"]
    ctx: dict[str, Any] = {
        "deviceInfo": {"tac": bytes.fromhex("35290611"), "deviceCapabilities": {}}
    }
    if matching_id is not None:
        ctx["matchingId"] = matching_id
    ctx_raw = codec.encode("CtxParams1", ("ctxParamsForCommonAuthentication", ctx))
    auth = bsp.tlv(
        b"\xbf\x38",
        t("serverSigned1", unb64(r["serverSigned1"]))
        + unb64(r["serverSignature1"])
        + unb64(r["euiccCiPKIdToBeUsed"])
        + t("serverCertificate", unb64(r["serverCertificate"]))
        + ctx_raw,
    )
    asr = t("authenticateServerResponse", link.send(auth))
    out.result = _decoded("AuthenticateServerResponse", asr)
    out.log.append("authenticated")
    r = call(
        "authenticateClient",
        {"transactionId": out.transaction_id, "authenticateServerResponse": b64(asr)},
    )
    out.metadata = unb64(r["profileMetadata"])
    signed2 = unb64(r["smdpSigned2"])
    cc_hash = b""
    if confirmation_code is not None:
        cc_hash = bsp.tlv(
            0x04, hash_confirmation_code(confirmation_code, bytes.fromhex(out.transaction_id))
        )
    prep_req = bsp.tlv(
        b"\xbf\x21",
        signed2
        + unb64(r["smdpSignature2"])
        + cc_hash
        + t("smdpCertificate", unb64(r["smdpCertificate"])),
    )
    prep = link.send(prep_req)
    out.result = codec.decode("PrepareDownloadResponse", prep)
    r = call(
        "getBoundProfilePackage",
        {"transactionId": out.transaction_id, "prepareDownloadResponse": b64(prep)},
    )
    out.bpp = t("bpp", unb64(r["boundProfilePackage"]))
    answer = b""
    for n, command in enumerate(split_bpp(out.bpp)):
        if stop_after_segments is not None and n >= stop_after_segments:
            return out
        answer = link.send(t("bpp-command", command))
        if answer:
            break
    if not answer:  # the card still waits for more of the package: no result
        out.result = None
        return out
    out.pir = answer
    out.result = codec.decode("ProfileInstallationResult", answer)
    call("handleNotification", {"pendingNotification": b64(answer)})
    return out


def _decoded(type_name: str, data: bytes) -> Any:
    """Decode for the record; a message the test itself tampered with may not decode."""
    try:
        return codec.decode(type_name, data)
    except DecodeError:
        return None


def cancel(link: CardLink, call: Es9Call, transaction_id: str, reason: int = 1) -> Any:
    request = codec.encode(
        "CancelSessionRequest", {"transactionId": bytes.fromhex(transaction_id), "reason": reason}
    )
    response = link.send(request)
    call("cancelSession", {"transactionId": transaction_id, "cancelSessionResponse": b64(response)})
    return codec.decode("CancelSessionResponse", response)
