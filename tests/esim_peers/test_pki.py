"""The test PKI: chains verify, roles and identifiers are what SGP.22 verifiers look at."""

from __future__ import annotations

import datetime as dt
import ssl
from pathlib import Path

import pytest
from cryptography import x509

from simspot.simulator import pki
from simspot.simulator.pki import PkiError, TestPki


@pytest.fixture(scope="module")
def test_pki() -> TestPki:
    return TestPki.generate(eid="89049032123451234512345678901235")


def test_every_certificate_chains_to_the_ci(test_pki: TestPki) -> None:
    ci = [test_pki.ci.cert]
    assert pki.verify_chain(test_pki.euicc.cert, [test_pki.eum.cert], ci, pki.ROLE_EUICC) == ci[0]
    assert pki.verify_chain(test_pki.dpauth.cert, [], ci, pki.ROLE_DP_AUTH) == ci[0]
    assert pki.verify_chain(test_pki.dppb.cert, [], ci, pki.ROLE_DP_PB) == ci[0]
    assert pki.verify_chain(test_pki.dptls.cert, [], ci, pki.ROLE_DP_TLS) == ci[0]


def test_identifiers_eid_and_oid(test_pki: TestPki) -> None:
    assert test_pki.eid == "89049032123451234512345678901235"
    assert pki.is_valid_eid(test_pki.eid)
    assert test_pki.euicc_credentials().ci_key_ids == [test_pki.ci.ski]
    assert pki.authority_key_id(test_pki.dpauth.cert) == test_pki.ci.ski
    assert test_pki.smdp_credentials().oid == pki.DEFAULT_SMDP_OID
    san = test_pki.dptls.cert.extensions.get_extension_for_class(x509.SubjectAlternativeName)
    assert "localhost" in san.value.get_values_for_type(x509.DNSName)


def test_wrong_role_foreign_ci_and_expiry_are_refused(test_pki: TestPki) -> None:
    ci = [test_pki.ci.cert]
    with pytest.raises(PkiError, match="DPauth"):
        pki.verify_chain(test_pki.dppb.cert, [], ci, pki.ROLE_DP_AUTH)
    other = TestPki.generate()
    with pytest.raises(PkiError, match="not issued by a trusted CI"):
        pki.verify_chain(other.dpauth.cert, [], ci, pki.ROLE_DP_AUTH)
    with pytest.raises(PkiError, match="not issued by a trusted CI"):
        pki.verify_chain(test_pki.euicc.cert, [], ci, pki.ROLE_EUICC)  # EUM missing
    later = dt.datetime.now(dt.UTC) + dt.timedelta(days=365 * 6)
    with pytest.raises(PkiError, match="expired"):
        pki.verify_chain(test_pki.dpauth.cert, [], ci, pki.ROLE_DP_AUTH, now=later)


def test_raw_signatures(test_pki: TestPki) -> None:
    sig = test_pki.euicc.sign(b"data")
    assert len(sig) == 64
    pub = pki.cert_public_key(test_pki.euicc.cert)
    assert pki.verify_raw(pub, sig, b"data")
    assert not pki.verify_raw(pub, sig, b"datb")
    assert not pki.verify_raw(pub, sig[:-1], b"data")


def test_write_load_and_user_files(test_pki: TestPki, tmp_path: Path) -> None:
    files = test_pki.write(tmp_path)
    assert all(p.exists() for p in files)
    assert (tmp_path / "euicc.key").stat().st_mode & 0o077 == 0
    loaded = TestPki.load(tmp_path)
    assert loaded.eid == test_pki.eid and loaded.ci.der == test_pki.ci.der
    creds = pki.EuiccCredentials.from_files(
        [tmp_path / "ci.pem"], tmp_path / "eum.pem", tmp_path / "euicc.pem", tmp_path / "euicc.key"
    )
    assert creds.eid == test_pki.eid
    with pytest.raises(PkiError, match="does not belong"):
        pki.CertKey.from_files(tmp_path / "euicc.pem", tmp_path / "eum.key")
    with pytest.raises(PkiError, match="cannot read"):
        pki.load_cert(tmp_path / "nope.pem")
    with pytest.raises(PkiError, match="does not exist"):
        TestPki.load(tmp_path / "nope")
    (tmp_path / "junk.pem").write_text("junk")
    with pytest.raises(PkiError, match="not a PEM or DER"):
        pki.load_cert(tmp_path / "junk.pem")


def test_python_ssl_accepts_the_tls_chain(test_pki: TestPki, tmp_path: Path) -> None:
    test_pki.write(tmp_path)
    ctx = ssl.create_default_context(cafile=str(tmp_path / "ci.pem"))
    ctx.verify_flags |= ssl.VERIFY_X509_STRICT
    server = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server.load_cert_chain(tmp_path / "dptls.pem", tmp_path / "dptls.key")
    # a real handshake in memory
    c_in, c_out, s_in, s_out = ssl.MemoryBIO(), ssl.MemoryBIO(), ssl.MemoryBIO(), ssl.MemoryBIO()
    client = ctx.wrap_bio(c_in, c_out, server_hostname="localhost")
    srv = server.wrap_bio(s_in, s_out, server_side=True)
    for _ in range(10):
        for end, outbox, peer_in in ((client, c_out, s_in), (srv, s_out, c_in)):
            try:
                end.do_handshake()
            except ssl.SSLWantReadError:
                pass
            peer_in.write(outbox.read())
    assert client.version() is not None and srv.version() is not None


def test_smdp_credentials_from_user_files(test_pki: TestPki, tmp_path: Path) -> None:
    test_pki.write(tmp_path)
    creds = pki.SmdpCredentials.from_files(
        [tmp_path / "ci.pem"],
        (tmp_path / "dpauth.pem", tmp_path / "dpauth.key"),
        (tmp_path / "dppb.pem", tmp_path / "dppb.key"),
        (tmp_path / "dptls.pem", tmp_path / "dptls.key"),
    )
    assert creds.oid == "2.999.10"
    with pytest.raises(PkiError, match="DPauth"):  # roles are checked
        pki.SmdpCredentials.from_files(
            [tmp_path / "ci.pem"],
            (tmp_path / "dppb.pem", tmp_path / "dppb.key"),
            (tmp_path / "dppb.pem", tmp_path / "dppb.key"),
            (tmp_path / "dptls.pem", tmp_path / "dptls.key"),
        )
