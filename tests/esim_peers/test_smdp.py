"""The test SM-DP+: every refusal carries the SGP.22 status code; HTTPS and HTTP serving."""

from __future__ import annotations

import base64
import ssl
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from simspot.esim import codec
from simspot.simulator.euicc import VirtualEuicc
from simspot.simulator.pki import TestPki
from simspot.simulator.profiles import make_iccid, sample_profile
from simspot.simulator.smdp import Es9Failure, Fault, TestSmdp

from .conftest import ADDRESS
from .driver import CardLink, Es9Call, direct, download, over_http


def refused(fn: Callable[[], Any]) -> tuple[str, str]:
    with pytest.raises(Es9Failure) as exc:
        fn()
    return exc.value.subject, exc.value.reason


def ok(d: Any) -> bool:
    return d.result["profileInstallationResultData"]["finalResult"][0] == "successResult"


def test_wrong_address(link: CardLink, call: Es9Call) -> None:
    assert refused(lambda: download(link, call, "other.example", "PROFILE-A")) == ("8.8.1", "3.8")


def test_address_is_compared_case_insensitively(link: CardLink, call: Es9Call) -> None:
    assert ok(download(link, call, ADDRESS.upper(), "PROFILE-A"))


def test_euicc_of_another_ci(smdp: TestSmdp, tmp_path: Path) -> None:
    foreign = VirtualEuicc(TestPki.generate().euicc_credentials())
    assert refused(lambda: download(CardLink(foreign), direct(smdp), ADDRESS, "PROFILE-A")) == (
        "8.8.2",
        "3.1",
    )


def test_unknown_or_missing_matching_id(link: CardLink, call: Es9Call, card: VirtualEuicc) -> None:
    assert refused(lambda: download(link, call, ADDRESS, "NOPE")) == ("8.2.6", "3.8")
    assert refused(lambda: download(link, call, ADDRESS, None)) == ("8.2.6", "3.8")
    assert card.profiles == []


def test_single_use_and_reusable_orders(smdp: TestSmdp, link: CardLink, call: Es9Call) -> None:
    assert ok(download(link, call, ADDRESS, "PROFILE-B"))
    assert refused(lambda: download(link, call, ADDRESS, "PROFILE-B")) == ("8.8.5", "6.4")
    smdp.add_profile("REUSE", sample_profile(2048, iccid=make_iccid(40)), reusable=True)
    assert ok(download(link, call, ADDRESS, "REUSE"))
    link.send(codec.encode("DeleteProfileRequest", ("iccid", _iccid(40))))
    assert ok(download(link, call, ADDRESS, "REUSE"))


def test_eid_binding(smdp: TestSmdp, card: VirtualEuicc, link: CardLink, call: Es9Call) -> None:
    package = sample_profile(2048, iccid=make_iccid(41))
    smdp.add_profile("MINE", package, eid=card.eid)
    smdp.add_profile("THEIRS", sample_profile(2048, iccid=make_iccid(42)), eid="8" * 32)
    assert refused(lambda: download(link, call, ADDRESS, "THEIRS")) == ("8.1.1", "3.8")
    assert ok(download(link, call, ADDRESS, "MINE"))


def test_confirmation_code(
    smdp: TestSmdp, card: VirtualEuicc, link: CardLink, call: Es9Call
) -> None:
    smdp.add_profile("CC", sample_profile(2048, iccid=make_iccid(43)), confirmation_code="1234")
    assert smdp.activation_code("CC") == f"LPA:1${ADDRESS}$CC$$1"
    assert refused(lambda: download(link, call, ADDRESS, "CC")) == ("8.2.7", "2.2")
    assert refused(lambda: download(link, call, ADDRESS, "CC", confirmation_code="9999")) == (
        "8.2.7",
        "3.8",
    )
    assert card.profiles == []
    assert ok(download(link, call, ADDRESS, "CC", confirmation_code="1234"))


def test_confirmation_code_attempts_run_out(smdp: TestSmdp, link: CardLink, call: Es9Call) -> None:
    smdp.add_profile("CC", sample_profile(2048, iccid=make_iccid(44)), confirmation_code="1234")
    for _ in range(2):
        assert refused(lambda: download(link, call, ADDRESS, "CC", confirmation_code="0")) == (
            "8.2.7",
            "3.8",
        )
    assert refused(lambda: download(link, call, ADDRESS, "CC", confirmation_code="0")) == (
        "8.2.7",
        "6.4",
    )
    # locked: even the right code is refused now, already at authenticateClient
    assert refused(lambda: download(link, call, ADDRESS, "CC", confirmation_code="1234")) == (
        "8.2.7",
        "6.4",
    )


def test_unknown_transaction(call: Es9Call) -> None:
    body = {
        "transactionId": "00" * 16,
        "authenticateServerResponse": base64.b64encode(b"x").decode(),
    }
    assert refused(lambda: call("authenticateClient", body)) == ("8.10.1", "3.9")
    body = {"transactionId": "AB" * 16, "prepareDownloadResponse": "AA=="}
    assert refused(lambda: call("getBoundProfilePackage", body)) == ("8.10.1", "3.9")
    body = {"transactionId": "AB" * 16, "cancelSessionResponse": "AA=="}
    assert refused(lambda: call("cancelSession", body)) == ("8.10.1", "3.9")


def _tamper_signature(step_name: str) -> Callable[[str, bytes], bytes]:
    def tamper(step: str, data: bytes) -> bytes:
        if step != step_name:
            return data
        kind, value = codec.decode("AuthenticateServerResponse", data)
        value["euiccSignature1"] = bytes(64)
        return codec.encode("AuthenticateServerResponse", (kind, value))

    return tamper


def test_bad_euicc_signature(link: CardLink, call: Es9Call) -> None:
    tamper = _tamper_signature("authenticateServerResponse")
    assert refused(lambda: download(link, call, ADDRESS, "PROFILE-A", tamper=tamper)) == (
        "8.1",
        "6.1",
    )


def test_euicc_certificate_not_from_the_ci(test_pki: TestPki, smdp: TestSmdp) -> None:
    # the eUICC claims our CI but its chain is from another PKI's EUM
    other = TestPki.generate()
    creds = test_pki.euicc_credentials()
    bad = type(creds)(other.euicc, other.eum.cert, creds.ci)
    card = VirtualEuicc(bad)
    assert refused(lambda: download(CardLink(card), direct(smdp), ADDRESS, "PROFILE-A")) == (
        "8.11.1",
        "3.9",
    )


def test_euicc_refuses_a_server_it_cannot_trust(test_pki: TestPki, card: VirtualEuicc) -> None:
    other = TestPki.generate()
    creds = test_pki.smdp_credentials()
    # DPauth from a foreign CI, while claiming the eUICC's CI
    rogue = TestSmdp(type(creds)(other.dpauth, other.dppb, other.dptls, creds.ci), address=ADDRESS)
    rogue.add_profile("X", sample_profile(2048, iccid=make_iccid(45)))
    with pytest.raises(Es9Failure):
        download(CardLink(card), direct(rogue), ADDRESS, "X")
    # the eUICC answered authenticateResponseError invalidCertificate(1) or ciPKUnknown(7)
    assert card.profiles == [] and not card.session_in_progress


@pytest.mark.parametrize(("step", "code"), [("serverSigned1", 2), ("serverCertificate", 1)])
def test_euicc_authenticate_server_errors(
    link: CardLink, call: Es9Call, step: str, code: int
) -> None:
    def tamper(name: str, data: bytes) -> bytes:
        if name != step:
            return data
        raw = bytearray(data)
        raw[-5] ^= 0x01
        return bytes(raw)

    seen: list[Any] = []

    def recording(name: str, data: bytes) -> bytes:
        out = tamper(name, data)
        if name == "authenticateServerResponse":
            seen.append(codec.decode("AuthenticateServerResponse", data))
        return out

    with pytest.raises(Es9Failure) as exc:
        download(link, call, ADDRESS, "PROFILE-A", tamper=recording)
    assert (exc.value.subject, exc.value.reason) == ("8.1", "6.1")
    kind, value = seen[0]
    assert kind == "authenticateResponseError" and value["authenticateErrorCode"] == code


def test_euicc_refuses_a_wrong_challenge(
    test_pki: TestPki, smdp: TestSmdp, card: VirtualEuicc
) -> None:
    link = CardLink(card)
    info1 = link.send(bytes.fromhex("BF2000"))
    link.send(bytes.fromhex("BF2E00"))
    r = smdp.initiate_authentication(
        {
            "euiccChallenge": base64.b64encode(bytes(16)).decode(),
            "euiccInfo1": base64.b64encode(info1).decode(),
            "smdpAddress": ADDRESS,
        }
    )
    ctx = codec.encode(
        "CtxParams1",
        (
            "ctxParamsForCommonAuthentication",
            {"deviceInfo": {"tac": b"\x01\x02\x03\x04", "deviceCapabilities": {}}},
        ),
    )
    from simspot.esim import bsp

    req = bsp.tlv(
        b"\xbf\x38",
        b"".join(
            base64.b64decode(r[k])
            for k in (
                "serverSigned1",
                "serverSignature1",
                "euiccCiPKIdToBeUsed",
                "serverCertificate",
            )
        )
        + ctx,
    )
    kind, value = codec.decode("AuthenticateServerResponse", link.send(req))
    assert (kind, value["authenticateErrorCode"]) == ("authenticateResponseError", 6)


def test_notifications_are_recorded(smdp: TestSmdp, link: CardLink, call: Es9Call) -> None:
    download(link, call, ADDRESS, "PROFILE-A")
    assert [(n.kind, n.success, n.verified) for n in smdp.notifications] == [
        ("install", True, True)
    ]
    assert smdp.orders["PROFILE-A"].installed == 1


def test_load_directory(smdp: TestSmdp, tmp_path: Path) -> None:
    (tmp_path / "ALPHA.der").write_bytes(sample_profile(2048, iccid=make_iccid(50)))
    (tmp_path / "BETA").write_bytes(sample_profile(2048, iccid=make_iccid(51)))
    (tmp_path / "BETA.json").write_text('{"confirmation_code": "42", "reusable": true}')
    orders = {o.matching_id: o for o in smdp.load_directory(tmp_path)}
    assert set(orders) == {"ALPHA", "BETA"}
    assert orders["ALPHA"].iccid == make_iccid(50)
    assert orders["BETA"].confirmation_code == "42" and orders["BETA"].reusable
    (tmp_path / "BETA.json").write_text('{"colour": "red"}')
    with pytest.raises(Exception, match="unknown keys"):
        smdp.load_directory(tmp_path)


# -- over the network ----------------------------------------------------------------------


@pytest.fixture
async def served(test_pki: TestPki, tmp_path: Path):  # type: ignore[no-untyped-def]
    server = TestSmdp(test_pki.smdp_credentials())
    server.add_profile("NET", sample_profile(12 * 1024, iccid=make_iccid(60)))
    test_pki.write(tmp_path / "pki")
    url = await server.start("127.0.0.1", 0, tls=True)
    try:
        yield server, url, tmp_path / "pki" / "ci.pem"
    finally:
        await server.stop()


async def test_download_over_verified_https(served: Any, card: VirtualEuicc) -> None:
    import asyncio

    server, url, ci = served
    assert url.startswith("https://localhost:")

    def run() -> Any:
        with httpx.Client(verify=ssl.create_default_context(cafile=str(ci)), timeout=30) as client:
            return download(CardLink(card), over_http(client, url), server.address, "NET")

    d = await asyncio.to_thread(run)
    assert ok(d)
    assert card.export_profile(make_iccid(60)) == server.orders["NET"].package
    assert server.calls == [
        "initiateAuthentication", "authenticateClient", "getBoundProfilePackage", "handleNotification"
    ]  # fmt: skip


async def test_https_with_another_ci_is_refused(served: Any) -> None:
    import asyncio

    _server, url, _ci = served
    other = TestPki.generate()

    def run() -> None:
        import tempfile

        with tempfile.TemporaryDirectory() as d:
            other.write(Path(d))
            ctx = ssl.create_default_context(cafile=str(Path(d) / "ci.pem"))
            with httpx.Client(verify=ctx) as client:
                client.post(f"{url}/gsma/rsp2/es9plus/initiateAuthentication", json={})

    with pytest.raises(httpx.ConnectError, match="CERTIFICATE_VERIFY_FAILED"):
        await asyncio.to_thread(run)


async def test_plain_http_status_codes_and_faults(test_pki: TestPki) -> None:
    server = TestSmdp(test_pki.smdp_credentials())
    url = await server.start("127.0.0.1", 0, tls=False)
    try:
        async with httpx.AsyncClient(base_url=url, timeout=30) as client:
            base = "/gsma/rsp2/es9plus/"
            r = await client.post(base + "initiateAuthentication", json={"smdpAddress": "nope"})
            assert r.status_code == 200 and r.headers["x-admin-protocol"].startswith("gsma/rsp/v2")
            status = r.json()["header"]["functionExecutionStatus"]
            assert status["status"] == "Failed"
            assert status["statusCodeData"]["subjectCode"] == "8.8.1"
            assert (await client.post(base + "nothing", json={})).status_code == 404
            assert (await client.get(base + "cancelSession")).status_code == 405
            assert (
                await client.post(base + "cancelSession", content=b"{not json")
            ).status_code == 400
            r = await client.post(base + "handleNotification", json={"pendingNotification": "!!"})
            assert (
                r.json()["header"]["functionExecutionStatus"]["statusCodeData"]["reasonCode"]
                == "2.1"
            )
            server.inject(Fault("initiateAuthentication", http_status=503))
            server.inject(Fault("authenticateClient", status=("8.2", "1.2")))
            assert (await client.post(base + "initiateAuthentication", json={})).status_code == 503
            r = await client.post(base + "authenticateClient", json={})
            assert (
                r.json()["header"]["functionExecutionStatus"]["statusCodeData"]["subjectCode"]
                == "8.2"
            )
            # faults are used up
            r = await client.post(base + "initiateAuthentication", json={"smdpAddress": "nope"})
            assert r.status_code == 200
    finally:
        await server.stop()


def _iccid(n: int) -> bytes:
    from simspot.esim.iccid import iccid_to_bytes

    return iccid_to_bytes(make_iccid(n))
