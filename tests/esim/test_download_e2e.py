"""End to end: LPA <-> test SM-DP+ over real HTTPS on loopback <-> virtual eUICC.

Every fault leaves no partial profile on the card, no open download session, and a clear error.
"""

from __future__ import annotations

import ssl
from pathlib import Path

import httpx
import pytest

from simspot.esim.activation import parse
from simspot.esim.errors import (
    ConfirmationRequired,
    EuiccResultError,
    ProfileInstallError,
    ProtocolError,
    ServerConnectionError,
    SmdpError,
    TlsError,
    TransportError,
)
from simspot.esim.es9 import build_ssl_context
from simspot.esim.lpa import Progress
from simspot.simulator.euicc import Fault as CardFault
from simspot.simulator.pki import CertKey, SmdpCredentials, TestPki
from simspot.simulator.profiles import sample_profile
from simspot.simulator.smdp import Fault

from .conftest import Rig, make_rig

PKG_12K = sample_profile(12_000, name="e2e-12k")
PKG_19K = sample_profile(19_300, name="e2e-19k")


def assert_clean(rig: Rig) -> None:
    assert rig.card.profiles == []
    assert not rig.card.session_in_progress


@pytest.mark.parametrize(("package", "block"), [(PKG_12K, 255), (PKG_19K, 255), (PKG_19K, 120)])
async def test_download_installs_the_served_package_byte_for_byte(
    rig: Rig, package: bytes, block: int
) -> None:
    rig.smdp.add_profile("E2E-1", package)
    seen: list[Progress] = []
    lpa = rig.lpa(block_size=block)
    result = await lpa.download(parse(rig.smdp.activation_code("E2E-1")), progress=seen.append)

    assert rig.card.export_profile(result.iccid or "") == package
    profiles = await lpa.list_profiles()
    assert [(p.iccid, p.state) for p in profiles] == [(result.iccid, "disabled")]
    # the installation result reached the SM-DP+ (signature checked) and left the card
    assert [(n.kind, n.success, n.verified) for n in rig.smdp.notifications] == [
        ("install", True, True)
    ]
    assert rig.card.notifications == []
    assert result.notification_sent
    stages = [p.stage for p in seen]
    assert stages[0] == "authenticating" and stages[-1] == "done"
    installing = [p for p in seen if p.stage == "installing"]
    assert installing[-1].done == installing[-1].total > 3


async def test_fewer_apdus_with_bigger_blocks(rig: Rig) -> None:
    counts = {}
    for block in (255, 120):
        rig.smdp.add_profile(f"B{block}", PKG_19K)
        lpa = rig.lpa(block_size=block)
        await lpa.download(parse(rig.smdp.activation_code(f"B{block}")))
        counts[block] = lpa.last_apdu_count
        await lpa.delete((await lpa.list_profiles())[0].iccid or "")
    assert counts[255] <= 0.6 * counts[120]


async def test_switch_nickname_delete_with_notifications(rig: Rig) -> None:
    rig.smdp.add_profile("P-1", PKG_12K)
    lpa = rig.lpa()
    iccid = (await lpa.download(parse(rig.smdp.activation_code("P-1")))).iccid or ""
    sent = await lpa.enable(iccid)
    assert [(n["operation"], n["sent"], n["removed"]) for n in sent] == [("enable", True, True)]
    assert rig.card.enabled_iccid() == iccid
    await lpa.set_nickname(iccid, "travel")
    assert (await lpa.list_profiles())[0].nickname == "travel"
    with pytest.raises(EuiccResultError, match="disable it first"):
        await lpa.delete(iccid)
    await lpa.disable(iccid)
    await lpa.delete(iccid)
    assert await lpa.list_profiles() == []
    assert [n.kind for n in rig.smdp.notifications] == ["install", "enable", "disable", "delete"]
    assert rig.card.notifications == []


async def test_notifications_opt_out_then_by_hand(rig: Rig) -> None:
    rig.smdp.add_profile("P-2", PKG_12K)
    lpa = rig.lpa(process_notifications=False)
    iccid = (await lpa.download(parse(rig.smdp.activation_code("P-2")))).iccid or ""
    assert await lpa.enable(iccid) == []
    await lpa.disable(iccid)
    pending = await lpa.list_notifications()
    assert [n.operation for n in pending] == ["enable", "disable"]
    await lpa.remove_notification(pending[0].seq_number)
    done = await lpa.process_notifications()
    assert [(d["operation"], d["sent"], d["removed"]) for d in done] == [("disable", True, True)]
    assert await lpa.list_notifications() == []
    assert [n.kind for n in rig.smdp.notifications] == ["install", "disable"]


async def test_untrusted_server_certificate_is_refused(rig: Rig) -> None:
    rig.smdp.add_profile("T-1", PKG_12K)
    lpa = rig.lpa(extra_ca_files=[])
    with pytest.raises(TlsError, match="is not trusted"):
        await lpa.download(parse(rig.smdp.activation_code("T-1")))
    other = TestPki.generate()
    other_ci = rig.tmp / "other-ci.pem"
    other_ci.write_bytes(
        other.ci.cert.public_bytes(
            __import__("cryptography").hazmat.primitives.serialization.Encoding.PEM
        )
    )
    with pytest.raises(TlsError, match="is not trusted"):
        await rig.lpa(extra_ca_files=[other_ci]).download(parse(rig.smdp.activation_code("T-1")))
    assert_clean(rig)
    assert rig.smdp.calls == []


# --- faults at every step ------------------------------------------------------------------

STEPS = ["initiateAuthentication", "authenticateClient", "getBoundProfilePackage"]


@pytest.mark.parametrize("function", STEPS)
async def test_server_error_at_each_step(rig: Rig, function: str) -> None:
    rig.smdp.add_profile("F-1", PKG_12K)
    rig.smdp.inject(Fault(function, status=("8.2", "3.7")))
    with pytest.raises(SmdpError, match="this profile was already downloaded"):
        await rig.lpa().download(parse(rig.smdp.activation_code("F-1")))
    assert_clean(rig)
    if function != "initiateAuthentication":  # after authentication: cancelled on both sides
        assert len(rig.smdp.cancellations) == 1
    if function == "getBoundProfilePackage":  # the SM-DP+ knows the eUICC: signature checked
        assert rig.smdp.cancellations[0].verified
    # the order can be retried and then works
    result = await rig.lpa().download(parse(rig.smdp.activation_code("F-1")))
    assert rig.card.export_profile(result.iccid or "") == PKG_12K


@pytest.mark.parametrize("function", STEPS)
async def test_http_error_at_each_step(rig: Rig, function: str) -> None:
    rig.smdp.add_profile("F-2", PKG_12K)
    rig.smdp.inject(Fault(function, http_status=503))
    with pytest.raises(ServerConnectionError, match="HTTP 503"):
        await rig.lpa().download(parse(rig.smdp.activation_code("F-2")))
    assert_clean(rig)


@pytest.mark.parametrize("function", STEPS)
async def test_timeout_at_each_step(rig: Rig, function: str) -> None:
    rig.smdp.add_profile("F-3", PKG_12K)
    rig.smdp.inject(Fault(function, delay=8.0))
    with pytest.raises(ServerConnectionError, match="did not answer within 3 s"):
        await rig.lpa(http_timeout=3.0).download(parse(rig.smdp.activation_code("F-3")))
    assert_clean(rig)


class DroppingTransport(httpx.AsyncBaseTransport):
    """Real HTTPS to the server, but the answer to one function is lost: the link drops."""

    def __init__(self, context: ssl.SSLContext, function: str) -> None:
        self.inner = httpx.AsyncHTTPTransport(verify=context)
        self.function = function

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await self.inner.handle_async_request(request)
        if request.url.path.endswith("/" + self.function):
            await response.aread()
            await response.aclose()
            raise httpx.RemoteProtocolError(
                "Server disconnected without sending a response.", request=request
            )
        return response

    async def aclose(self) -> None:
        await self.inner.aclose()


@pytest.mark.parametrize("function", STEPS)
async def test_dropped_connection_at_each_step(rig: Rig, function: str) -> None:
    from simspot.esim.lpa import Lpa, LpaOptions
    from simspot.simulator.euicc import VirtualCardTransport

    rig.smdp.add_profile("F-4", PKG_12K)
    http = DroppingTransport(build_ssl_context([rig.ci_file]), function)
    lpa = Lpa(
        VirtualCardTransport(rig.card),
        LpaOptions(extra_ca_files=[rig.ci_file]),
        http_transport=http,
    )
    with pytest.raises(ServerConnectionError, match="dropped"):
        await lpa.download(parse(rig.smdp.activation_code("F-4")))
    assert_clean(rig)


async def test_bad_server_signature(pki: TestPki, tmp_path: Path) -> None:
    impostor = TestPki.generate()
    creds = pki.smdp_credentials()
    forged = SmdpCredentials(
        CertKey(creds.dpauth.cert, impostor.dpauth.key), creds.dppb, creds.tls, creds.ci
    )
    async for rig in make_rig(pki, tmp_path, forged):
        rig.smdp.add_profile("S-1", PKG_12K)
        with pytest.raises(EuiccResultError, match="could not verify the SM-DP\\+ signature"):
            await rig.lpa().download(parse(rig.smdp.activation_code("S-1")))
        assert_clean(rig)


async def test_bad_binding_signature(pki: TestPki, tmp_path: Path) -> None:
    impostor = TestPki.generate()
    creds = pki.smdp_credentials()
    forged = SmdpCredentials(
        creds.dpauth, CertKey(creds.dppb.cert, impostor.dppb.key), creds.tls, creds.ci
    )
    async for rig in make_rig(pki, tmp_path, forged):
        rig.smdp.add_profile("S-2", PKG_12K)
        with pytest.raises(EuiccResultError, match="PrepareDownload: the eUICC could not verify"):
            await rig.lpa().download(parse(rig.smdp.activation_code("S-2")))
        assert_clean(rig)
        assert len(rig.smdp.cancellations) == 1


async def test_wrong_eid(rig: Rig) -> None:
    rig.smdp.add_profile("W-1", PKG_12K, eid="89049032123451234512345678901235")
    with pytest.raises(SmdpError, match="reserved for another eUICC"):
        await rig.lpa().download(parse(rig.smdp.activation_code("W-1")))
    assert_clean(rig)
    assert len(rig.smdp.cancellations) == 1


async def test_confirmation_codes(rig: Rig) -> None:
    rig.smdp.add_profile("C-1", PKG_12K, confirmation_code="4711")
    code = parse(rig.smdp.activation_code("C-1"))
    assert code.confirmation_code_required
    with pytest.raises(ConfirmationRequired, match="confirmation code is required"):
        await rig.lpa().download(code)
    assert rig.smdp.calls == []  # refused before anything was sent
    with pytest.raises(SmdpError, match="the confirmation code is wrong"):
        await rig.lpa().download(code, confirmation_code="0000")
    assert_clean(rig)
    # the SM-DP+ says a code is needed though the activation code did not: refused after auth
    bare = parse(rig.smdp.activation_code("C-1", with_cc_flag=False))
    with pytest.raises(ConfirmationRequired):
        await rig.lpa().download(bare)
    assert_clean(rig)
    result = await rig.lpa().download(code, confirmation_code="4711")
    assert rig.card.export_profile(result.iccid or "") == PKG_12K


def _reset_during_load(at_segment: int):  # type: ignore[no-untyped-def]
    """Power-cycle the card instead of delivering the STORE DATA that starts 86 segment N."""
    seen = {"n": 0}

    def hook(count: int, apdu: bytes) -> CardFault | None:
        if len(apdu) > 6 and apdu[1] == 0xE2 and apdu[3] == 0 and apdu[5] == 0x86:
            seen["n"] += 1
            if seen["n"] == at_segment:
                return CardFault.RESET
        return None

    return hook


@pytest.mark.parametrize("segment", [1, 3, 12])
async def test_card_reset_between_blocks(rig: Rig, segment: int) -> None:
    rig.smdp.add_profile("R-1", PKG_19K)
    lpa = rig.lpa(fault=_reset_during_load(segment), block_size=120)
    with pytest.raises(TransportError, match="reset"):
        await lpa.download(parse(rig.smdp.activation_code("R-1")))
    assert_clean(rig)
    # a fresh start installs it (the card lost the session, the SM-DP+ allows the retry)
    rig.smdp.add_profile("R-2", PKG_19K)
    result = await rig.lpa().download(parse(rig.smdp.activation_code("R-2")))
    assert rig.card.export_profile(result.iccid or "") == PKG_19K


async def test_kept_package_is_written(rig: Rig) -> None:
    rig.smdp.add_profile("K-1", PKG_12K)
    path = rig.tmp / "kept" / "k1.bpp"
    result = await rig.lpa().download(parse(rig.smdp.activation_code("K-1")), keep_package=path)
    assert result.package_path == str(path)
    assert path.read_bytes()[:2] == b"\xbf\x36"


def _drop_at_segment(n: int):  # type: ignore[no-untyped-def]
    seen = {"n": 0}

    def hook(count: int, apdu: bytes) -> CardFault | None:
        if len(apdu) > 6 and apdu[1] == 0xE2 and apdu[3] == 0 and apdu[5] == 0x86:
            seen["n"] += 1
            if seen["n"] == n:
                return CardFault.DROP
        return None

    return hook


async def test_kept_package_retries_the_load_after_a_link_failure(rig: Rig) -> None:
    rig.smdp.add_profile("K-2", PKG_19K)
    path = rig.tmp / "kept" / "k2.bpp"
    with pytest.raises(TransportError) as info:
        await rig.lpa(fault=_drop_at_segment(5)).download(
            parse(rig.smdp.activation_code("K-2")), keep_package=path
        )
    assert "--retry-package" in "".join(info.value.__notes__)
    assert rig.card.profiles == []
    result = await rig.lpa().load_package(path)
    assert rig.card.export_profile(result.iccid or "") == PKG_19K
    assert [(n.kind, n.success) for n in rig.smdp.notifications] == [("install", True)]
    assert rig.card.notifications == []


async def test_install_refused_by_the_card_is_reported_and_notified(rig: Rig) -> None:
    rig.smdp.add_profile("D-1", PKG_12K, reusable=True)
    code = parse(rig.smdp.activation_code("D-1"))
    first = await rig.lpa().download(code)
    with pytest.raises(
        ProfileInstallError, match="a profile with this ICCID already exists"
    ) as info:
        await rig.lpa().download(code)
    assert info.value.error_reason == 9
    assert [p.iccid for p in rig.card.profiles] == [first.iccid]
    # the failed installation result still reached the SM-DP+ and left the card
    assert [(n.kind, n.success) for n in rig.smdp.notifications] == [
        ("install", True),
        ("install", False),
    ]
    assert rig.card.notifications == []


async def test_plain_http_only_when_allowed_for_tests(pki: TestPki, tmp_path: Path) -> None:
    from simspot.simulator.smdp import TestSmdp

    smdp = TestSmdp(pki.smdp_credentials())
    await smdp.start("127.0.0.1", 0, tls=False)
    try:
        smdp.add_profile("H-1", PKG_12K)
        code = parse(smdp.activation_code("H-1"))
        async for rig in make_rig(pki, tmp_path):
            with pytest.raises(TlsError, match=r"TLS with \S+ failed"):
                await rig.lpa().download(code)
            assert_clean(rig)
            result = await rig.lpa(allow_insecure_http_for_tests=True).download(code)
            assert rig.card.export_profile(result.iccid or "") == PKG_12K
    finally:
        await smdp.stop()


async def test_activation_code_oid_must_match_the_server(rig: Rig) -> None:
    rig.smdp.add_profile("O-1", PKG_12K, reusable=True)
    base = rig.smdp.activation_code("O-1")
    with pytest.raises(
        ProtocolError, match=r"OID 2\.999\.99, but this server's certificate names 2\.999\.10"
    ):
        await rig.lpa().download(parse(base + "$2.999.99"))
    assert_clean(rig)
    result = await rig.lpa().download(parse(base + "$2.999.10"))
    assert rig.card.export_profile(result.iccid or "") == PKG_12K


async def test_download_on_a_t0_card(pki: TestPki, tmp_path: Path) -> None:
    """T=0 cards answer every command with 61xx; the LPA fetches it all with GET RESPONSE."""
    from simspot.esim.lpa import Lpa, LpaOptions
    from simspot.simulator.euicc import VirtualCardTransport, VirtualEuicc

    async for rig in make_rig(pki, tmp_path):
        card = VirtualEuicc(pki.euicc_credentials(), t0=True)
        rig.smdp.add_profile("T0-1", PKG_12K)
        lpa = Lpa(VirtualCardTransport(card), LpaOptions(extra_ca_files=[rig.ci_file]))
        result = await lpa.download(parse(rig.smdp.activation_code("T0-1")))
        assert card.export_profile(result.iccid or "") == PKG_12K
        assert [(p.iccid, p.state) for p in await lpa.list_profiles()] == [
            (result.iccid, "disabled")
        ]
