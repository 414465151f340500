"""TLS trust as SGP.22 intends (issue 13 item 5): the GSMA CIs the card lists, plus configured CAs.

Real TLS on loopback: the test SM-DP+ serves HTTPS with a certificate of one test CI while the
"GSMA CIs" the LPA knows are test CIs passed as ``gsma_ci_files`` (the shipped ones cannot sign
anything here).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding

from simspot.esim import es9
from simspot.esim.activation import parse
from simspot.esim.errors import TlsError
from simspot.esim.lpa import Lpa, LpaOptions
from simspot.simulator.euicc import VirtualCardTransport, VirtualEuicc
from simspot.simulator.pki import TestPki
from simspot.simulator.profiles import make_iccid, sample_profile
from simspot.simulator.smdp import TestSmdp

RSP2_ROOT_CI1 = "81370f5125d0b1d408d4c3b232e6d25e795bebfb"
OISTE_GSMA_CI_G1 = "4c27967ad20c14b391e9601e41e604ad57c0222f"


def test_the_shipped_gsma_cis() -> None:
    cis = {ci.key_id.hex(): ci for ci in es9.shipped_cis()}
    assert set(cis) == {RSP2_ROOT_CI1, OISTE_GSMA_CI_G1}
    assert cis[OISTE_GSMA_CI_G1].name == "CN=OISTE GSMA CI G1,O=OISTE Foundation,C=CH"
    for ci in cis.values():
        cert = x509.load_pem_x509_certificate(ci.path.read_bytes())
        cert.verify_directly_issued_by(cert)  # self-signed, intact
        assert cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    readme = (es9.trust_store_files()[0].parent / "README.md").read_text()
    for ci in cis.values():  # every shipped file says where it comes from
        assert ci.path.name in readme and ci.key_id.hex() in readme


def test_trust_follows_the_cards_list(tmp_path: Path) -> None:
    extra = tmp_path / "test-ci.pem"
    extra.write_bytes(TestPki.generate().ci.cert.public_bytes(Encoding.PEM))
    trust = es9.TlsTrust.for_card([bytes.fromhex(RSP2_ROOT_CI1)], extra_ca_files=[extra])
    assert [p.name for p in trust.trusted] == ["gsma-rsp2-root-ci1.pem", "test-ci.pem"]
    assert [ci.key_id.hex() for ci in trust.unlisted] == [OISTE_GSMA_CI_G1]
    nothing = es9.TlsTrust.for_card([b"\x01" * 20])
    assert nothing.trusted == () and len(nothing.unlisted) == 2
    every = es9.TlsTrust.for_card(None)  # no card known: every GSMA CI
    assert len(every.trusted) == 2 and every.unlisted == ()
    nothing.ssl_context()  # an empty trust is a valid context that trusts nobody


def _pem(pki: TestPki, path: Path) -> Path:
    path.write_bytes(pki.ci.cert.public_bytes(Encoding.PEM))
    return path


@pytest.fixture(scope="module")
def two_cis() -> tuple[TestPki, TestPki]:
    return TestPki.generate(name="CI one"), TestPki.generate(name="CI two")


async def test_a_server_of_a_ci_the_card_does_not_list_is_refused(
    two_cis: tuple[TestPki, TestPki], tmp_path: Path
) -> None:
    one, two = two_cis
    gsma = [_pem(one, tmp_path / "one.pem"), _pem(two, tmp_path / "two.pem")]
    card = VirtualEuicc(one.euicc_credentials())  # lists CI one only
    smdp = TestSmdp(two.smdp_credentials())  # TLS by CI two
    smdp.add_profile("P", sample_profile(2048, iccid=make_iccid(61)))
    await smdp.start("127.0.0.1", 0)
    try:
        lpa = Lpa(VirtualCardTransport(card), LpaOptions(gsma_ci_files=gsma))
        with pytest.raises(TlsError) as info:
            await lpa.download(parse(smdp.activation_code("P")))
        text = str(info.value)
        assert "certificate of the CI 'CN=CI two CI,O=CI two'" in text
        assert two.ci.ski.hex() in text
        assert "this eUICC does not list in euiccCiPKIdListForVerification" in text
        assert smdp.calls == []  # refused at TLS: not one ES9+ request reached the server
        assert card.profiles == [] and not card.session_in_progress

        # a server of a CI nobody knows gets the plain "not trusted" answer
        lpa = Lpa(VirtualCardTransport(card), LpaOptions(gsma_ci_files=gsma[:1]))
        with pytest.raises(TlsError, match="is not trusted") as info:
            await lpa.download(parse(smdp.activation_code("P")))
        assert "does not list" not in str(info.value)
    finally:
        await smdp.stop()


async def test_a_server_of_a_listed_ci_is_trusted_without_extra_files(
    two_cis: tuple[TestPki, TestPki], tmp_path: Path
) -> None:
    one, two = two_cis
    gsma = [_pem(one, tmp_path / "one.pem"), _pem(two, tmp_path / "two.pem")]
    card = VirtualEuicc(two.euicc_credentials())  # lists CI two
    smdp = TestSmdp(two.smdp_credentials())
    smdp.add_profile("P", sample_profile(2048, iccid=make_iccid(62)))
    await smdp.start("127.0.0.1", 0)
    try:
        lpa = Lpa(VirtualCardTransport(card), LpaOptions(gsma_ci_files=gsma))
        result = await lpa.download(parse(smdp.activation_code("P")))
    finally:
        await smdp.stop()
    assert result.iccid == make_iccid(62)
