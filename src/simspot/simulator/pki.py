"""A test PKI for SGP.22 consumer RSP: CI, EUM, eUICC and the SM-DP+ certificates (NIST P-256).

SGP.22 4.5.2 describes the chain: a self-signed Certificate Issuer (CI) signs the eUICC
Manufacturer (EUM) certificate, which signs the eUICC certificate (its subject carries the EID as
serialNumber); the CI also signs the SM-DP+ certificates CERT.DPauth.ECDSA (ES9+ authentication),
CERT.DPpb.ECDSA (profile binding) and CERT.DP.TLS. Every certificate names its role with a
certificatePolicies OID under id-rspRole (2.23.146.1.2.1) and carries subject/authority key
identifiers: the eUICC lists the CI's subjectKeyIdentifier in euiccCiPKIdListForVerification.

`TestPki.generate()` makes a fresh set; `write()`/`load()` keep it as PEM files in a directory.
`load_euicc_identity(dir)` / `load_smdp_identity(dir)` take another PKI's files (a foreign
identity: only the certificates and the one key each peer really holds, see IDENTITY_FILES).
Signatures in RSP messages use the plain r||s format of BSI TR-03111 (`sign_raw`/`verify_raw`).
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import (
    decode_dss_signature,
    encode_dss_signature,
)
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from simspot.errors import EsimError
from simspot.fsutil import write_atomic
from simspot.i18n_simulator import MESSAGES

_E = TypeVar("_E", bound=x509.ExtensionType)

# certificatePolicies role OIDs, SGP.22 4.5.2.1 (id-rspRole = 2.23.146.1.2.1)
ROLE_CI = x509.ObjectIdentifier("2.23.146.1.2.1.0")
ROLE_EUICC = x509.ObjectIdentifier("2.23.146.1.2.1.1")
ROLE_EUM = x509.ObjectIdentifier("2.23.146.1.2.1.2")
ROLE_DP_TLS = x509.ObjectIdentifier("2.23.146.1.2.1.3")
ROLE_DP_AUTH = x509.ObjectIdentifier("2.23.146.1.2.1.4")
ROLE_DP_PB = x509.ObjectIdentifier("2.23.146.1.2.1.5")
ROLE_DS_TLS = x509.ObjectIdentifier("2.23.146.1.2.1.6")
ROLE_DS_AUTH = x509.ObjectIdentifier("2.23.146.1.2.1.7")

ROLE_NAMES = {
    ROLE_CI: "CI",
    ROLE_EUICC: "eUICC",
    ROLE_EUM: "EUM",
    ROLE_DP_TLS: "SM-DP+ TLS",
    ROLE_DP_AUTH: "SM-DP+ authentication (DPauth)",
    ROLE_DP_PB: "SM-DP+ profile binding (DPpb)",
    ROLE_DS_TLS: "SM-DS TLS",
    ROLE_DS_AUTH: "SM-DS authentication (DSauth)",
}

DEFAULT_SMDP_OID = "2.999.10"  # test arc (2.999 = example OIDs), put in SAN registeredID
DEFAULT_HOSTS = ("localhost", "127.0.0.1", "::1")

# File names inside a PKI directory: <name>.pem (certificate) and <name>.key (PKCS#8 key).
FILES = ("ci", "eum", "euicc", "dpauth", "dppb", "dptls")


class PkiError(EsimError):
    """A certificate or key is missing, malformed, or does not chain to the expected CI."""


# -- signatures (BSI TR-03111 plain format, as SGP.22 2.6.9 uses) ---------------------------


def sign_raw(key: ec.EllipticCurvePrivateKey, data: bytes) -> bytes:
    """ECDSA-SHA256 over ``data``, as the 64-byte r||s concatenation."""
    r, s = decode_dss_signature(key.sign(data, ec.ECDSA(hashes.SHA256())))
    size = (key.curve.key_size + 7) // 8
    return r.to_bytes(size, "big") + s.to_bytes(size, "big")


def verify_raw(public_key: ec.EllipticCurvePublicKey, signature: bytes, data: bytes) -> bool:
    """Check an r||s ECDSA-SHA256 signature; False (never an exception) when it does not match."""
    size = (public_key.curve.key_size + 7) // 8
    if len(signature) != 2 * size:
        return False
    r = int.from_bytes(signature[:size], "big")
    s = int.from_bytes(signature[size:], "big")
    try:
        public_key.verify(encode_dss_signature(r, s), data, ec.ECDSA(hashes.SHA256()))
    except InvalidSignature:
        return False
    return True


def cert_public_key(cert: x509.Certificate) -> ec.EllipticCurvePublicKey:
    try:
        key = cert.public_key()
    except (ValueError, UnsupportedAlgorithm):
        raise PkiError(msg_id="simulator.pki.key-unparsable") from None
    if not isinstance(key, ec.EllipticCurvePublicKey):
        raise PkiError(msg_id="simulator.pki.no-ec-key", params={"subject": _subject(cert)})
    return key


# -- certificate inspection -------------------------------------------------------------------


def _extension(cert: x509.Certificate, kind: type[_E]) -> _E | None:
    """One extension's value; None if absent; PkiError if the extensions do not parse."""
    try:
        return cert.extensions.get_extension_for_class(kind).value
    except x509.ExtensionNotFound:
        return None
    except (ValueError, x509.DuplicateExtension):
        raise PkiError(msg_id="simulator.pki.bad-extensions") from None


def subject_key_id(cert: x509.Certificate) -> bytes:
    ski = _extension(cert, x509.SubjectKeyIdentifier)
    if ski is None:
        raise PkiError(msg_id="simulator.pki.no-ski", params={"subject": _subject(cert)})
    return ski.digest


def authority_key_id(cert: x509.Certificate) -> bytes | None:
    aki = _extension(cert, x509.AuthorityKeyIdentifier)
    return aki.key_identifier if aki is not None else None


def has_role(cert: x509.Certificate, role: x509.ObjectIdentifier) -> bool:
    policies = _extension(cert, x509.CertificatePolicies)
    return policies is not None and any(p.policy_identifier == role for p in policies)


def eid_of(cert: x509.Certificate) -> str:
    """The EID an eUICC certificate names in its subject serialNumber."""
    try:
        values = cert.subject.get_attributes_for_oid(NameOID.SERIAL_NUMBER)
    except ValueError:
        raise PkiError(msg_id="simulator.pki.eid-subject") from None
    if not values:
        raise PkiError(msg_id="simulator.pki.no-eid")
    return str(values[0].value)


def registered_id(cert: x509.Certificate) -> str | None:
    """The SM-DP+ OID: the registeredID in the certificate's subjectAltName."""
    san = _extension(cert, x509.SubjectAlternativeName)
    if san is None:
        return None
    ids = san.get_values_for_type(x509.RegisteredID)
    return ids[0].dotted_string if ids else None


def verify_chain(
    leaf: x509.Certificate,
    intermediates: Sequence[x509.Certificate],
    trusted: Iterable[x509.Certificate],
    role: x509.ObjectIdentifier,
    *,
    now: dt.datetime | None = None,
) -> x509.Certificate:
    """Verify ``leaf`` (with ``role``) up to one of the ``trusted`` CI certificates.

    Follows authorityKeyIdentifier -> subjectKeyIdentifier, checks every signature, validity
    period and that each issuer is a CA. Returns the CI certificate the chain ends at.
    """
    when = now or dt.datetime.now(dt.UTC)
    if not has_role(leaf, role):
        raise PkiError(
            msg_id="simulator.pki.wrong-role",
            params={"role": ROLE_NAMES.get(role, role.dotted_string)},
        )
    roots = {subject_key_id(c): c for c in trusted}
    pool = {subject_key_id(c): c for c in intermediates}
    cert = leaf
    for _ in range(len(intermediates) + 2):
        _check_validity(cert, when)
        aki = authority_key_id(cert)
        if aki is None:
            raise PkiError(msg_id="simulator.pki.no-aki", params={"subject": _subject(cert)})
        issuer = roots.get(aki) or pool.get(aki)
        if issuer is None:
            raise PkiError(
                msg_id="simulator.pki.untrusted",
                params={"subject": _subject(cert), "key_id": aki.hex()},
            )
        if not _is_ca(issuer):
            raise PkiError(msg_id="simulator.pki.not-ca", params={"subject": _subject(issuer)})
        try:
            cert.verify_directly_issued_by(issuer)
        except (ValueError, TypeError, InvalidSignature, UnsupportedAlgorithm):
            raise PkiError(
                msg_id="simulator.pki.bad-signature", params={"subject": _subject(cert)}
            ) from None
        if aki in roots:
            _check_validity(issuer, when)
            return issuer
        cert = issuer
    raise PkiError(msg_id="simulator.pki.chain-loops", params={"subject": _subject(leaf)})


def _subject(cert: x509.Certificate) -> str:
    try:
        return cert.subject.rfc4514_string()
    except ValueError:
        return "(unparsable subject)"


def _is_ca(cert: x509.Certificate) -> bool:
    bc = _extension(cert, x509.BasicConstraints)
    return bc is not None and bool(bc.ca)


def _check_validity(cert: x509.Certificate, when: dt.datetime) -> None:
    if not cert.not_valid_before_utc <= when <= cert.not_valid_after_utc:
        raise PkiError(msg_id="simulator.pki.validity", params={"subject": _subject(cert)})


# -- EID ------------------------------------------------------------------------------------


def eid_with_check_digits(first30: str) -> str:
    """Complete a 30-digit EID prefix with its 2 check digits (ISO 7064 mod 97-10, as IBAN)."""
    if len(first30) != 30 or not first30.isdigit():
        raise PkiError(msg_id="simulator.pki.eid-prefix")
    check = 98 - int(first30 + "00") % 97
    return f"{first30}{check:02d}"


def is_valid_eid(eid: str) -> bool:
    return len(eid) == 32 and eid.isdigit() and int(eid) % 97 == 1


# -- key pairs and files --------------------------------------------------------------------


@dataclass(frozen=True)
class CertKey:
    """A certificate and its private key."""

    cert: x509.Certificate
    key: ec.EllipticCurvePrivateKey

    @property
    def der(self) -> bytes:
        return self.cert.public_bytes(serialization.Encoding.DER)

    @property
    def ski(self) -> bytes:
        return subject_key_id(self.cert)

    def sign(self, data: bytes) -> bytes:
        return sign_raw(self.key, data)

    @classmethod
    def from_files(cls, cert_path: Path, key_path: Path) -> CertKey:
        cert = load_cert(cert_path)
        key = load_key(key_path)
        if key.public_key().public_numbers() != cert_public_key(cert).public_numbers():
            raise PkiError(
                msg_id="simulator.pki.key-mismatch",
                params={"key_path": str(key_path), "cert_path": str(cert_path)},
            )
        return cls(cert, key)

    def write(self, directory: Path, name: str) -> None:
        _write(directory / f"{name}.pem", pem(self.cert), private=False)
        key_pem = self.key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        _write(directory / f"{name}.key", key_pem, private=True)


def pem(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.PEM)


def load_certs(path: Path) -> list[x509.Certificate]:
    """Every certificate in a PEM file (leaf first, as TLS chains are written), or one DER."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise PkiError(
            msg_id="simulator.pki.cert-unreadable",
            params={"path": str(path), "error": exc.strerror},
        ) from None
    try:
        if b"-----BEGIN" in data:
            certs = x509.load_pem_x509_certificates(data)
        else:
            certs = [x509.load_der_x509_certificate(data)]
    except ValueError:
        raise PkiError(msg_id="simulator.pki.not-cert", params={"path": str(path)}) from None
    return certs


def load_cert(path: Path) -> x509.Certificate:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise PkiError(
            msg_id="simulator.pki.cert-unreadable",
            params={"path": str(path), "error": exc.strerror},
        ) from None
    try:
        if b"-----BEGIN" in data:
            return x509.load_pem_x509_certificate(data)
        return x509.load_der_x509_certificate(data)
    except ValueError:
        raise PkiError(msg_id="simulator.pki.not-cert", params={"path": str(path)}) from None


def load_key(path: Path) -> ec.EllipticCurvePrivateKey:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise PkiError(
            msg_id="simulator.pki.key-unreadable", params={"path": str(path), "error": exc.strerror}
        ) from None
    try:
        if b"-----BEGIN" in data:
            key = serialization.load_pem_private_key(data, password=None)
        else:
            key = serialization.load_der_private_key(data, password=None)
    except (ValueError, TypeError):
        raise PkiError(msg_id="simulator.pki.not-key", params={"path": str(path)}) from None
    if not isinstance(key, ec.EllipticCurvePrivateKey):
        raise PkiError(msg_id="simulator.pki.not-ec-private-key", params={"path": str(path)})
    return key


def _write(path: Path, data: bytes, *, private: bool) -> None:
    write_atomic(path, data, mode=0o600 if private else 0o644)


# -- foreign identities: what each peer holds, from files --------------------------------------

# File stems in an identity directory; each may end in .pem, .der, .crt (certificates) or .key.
# `simspot simulate pki --out DIR` writes a directory that is both identities at once.
# The lists themselves are sentences of the catalogue (simspot/i18n_simulator.py), in both languages.
IDENTITY_FILES = {
    kind: MESSAGES[f"simulator.pki.identity-files.{kind}"][0] for kind in ("euicc", "smdp", "smds")
}
_CERT_SUFFIXES = (".pem", ".der", ".crt")


def _holds(kind: str) -> dict[str, object]:
    """What an identity directory of ``kind`` holds, as the ``holds`` parameter of a sentence."""
    return {
        "holds": IDENTITY_FILES[kind],
        "holds_said": {"id": f"simulator.pki.identity-files.{kind}", "params": {}},
    }


def _identity_dir(directory: Path, kind: str) -> Path:
    if not directory.is_dir():
        raise PkiError(
            msg_id="simulator.pki.no-identity-dir",
            params={"directory": str(directory), **_holds(kind)},
        )
    return directory


def _find(directory: Path, stem: str, kind: str, suffixes: Sequence[str]) -> Path:
    for suffix in suffixes:
        path = directory / f"{stem}{suffix}"
        if path.is_file():
            return path
    raise PkiError(
        msg_id="simulator.pki.identity-missing",
        params={"directory": str(directory), "file": stem + "/".join(suffixes), **_holds(kind)},
    )


def identity_ci_files(directory: Path) -> list[Path]:
    """The CI certificate files of an identity directory: ci.pem first, then ci-*.pem by name."""
    found = [
        p
        for p in directory.iterdir()
        if p.suffix in _CERT_SUFFIXES and (p.stem == "ci" or p.stem.startswith("ci-"))
    ]
    return sorted(found, key=lambda p: (p.stem != "ci", p.name))


def _cis(directory: Path, kind: str) -> tuple[x509.Certificate, ...]:
    paths = identity_ci_files(directory)
    if not paths:
        raise PkiError(
            msg_id="simulator.pki.identity-no-ci",
            params={"directory": str(directory), **_holds(kind)},
        )
    cis = tuple(c for p in paths for c in load_certs(p))
    for cert in cis:
        if not has_role(cert, ROLE_CI) and not _is_ca(cert):
            raise PkiError(
                msg_id="simulator.pki.not-ci",
                params={"subject": _subject(cert), "directory": str(directory)},
            )
    return cis


def _pair(directory: Path, stem: str, kind: str) -> tuple[CertKey, tuple[x509.Certificate, ...]]:
    """A certificate (its file may carry intermediates after it) and its private key."""
    cert_path = _find(directory, stem, kind, _CERT_SUFFIXES)
    key_path = _find(directory, stem, kind, (".key",))
    certs = load_certs(cert_path)
    key = load_key(key_path)
    if key.public_key().public_numbers() != cert_public_key(certs[0]).public_numbers():
        raise PkiError(
            msg_id="simulator.pki.key-mismatch",
            params={"key_path": str(key_path), "cert_path": str(cert_path)},
        )
    return CertKey(certs[0], key), tuple(certs[1:])


def load_euicc_identity(directory: Path) -> EuiccCredentials:
    """A (virtual) eUICC's identity from files: CI, EUM and eUICC certificates, the eUICC key.

    No other private key is needed (a card holds only its own). The chain is checked: the eUICC
    certificate names an EID and is issued by the EUM, which a listed CI issued.
    """
    directory = _identity_dir(directory, "euicc")
    cis = _cis(directory, "euicc")
    eum = load_cert(_find(directory, "eum", "euicc", _CERT_SUFFIXES))
    euicc, _ = _pair(directory, "euicc", "euicc")
    creds = EuiccCredentials(euicc, eum, cis)
    verify_chain(eum, [], cis, ROLE_EUM)
    verify_chain(euicc.cert, [eum], cis, ROLE_EUICC)
    if not is_valid_eid(creds.eid):
        raise PkiError(msg_id="simulator.pki.cert-eid-invalid", params={"eid": creds.eid})
    return creds


def load_smdp_identity(directory: Path) -> SmdpCredentials:
    """An SM-DP+'s identity from files: DPauth, DPpb and DP TLS certificates with their keys,
    plus the CI certificates it trusts for eUICCs. Each chain is checked up to a CI."""
    directory = _identity_dir(directory, "smdp")
    cis = _cis(directory, "smdp")
    dpauth, auth_chain = _pair(directory, "dpauth", "smdp")
    dppb, pb_chain = _pair(directory, "dppb", "smdp")
    tls, tls_chain = _pair(directory, "dptls", "smdp")
    if auth_chain or pb_chain:
        # SGP.22 v2: CERT.DPauth and CERT.DPpb are issued by the CI itself; ES9+ carries
        # them alone, so an eUICC could not follow an intermediate.
        raise PkiError(msg_id="simulator.pki.dp-chain")
    verify_chain(dpauth.cert, [], cis, ROLE_DP_AUTH)
    verify_chain(dppb.cert, [], cis, ROLE_DP_PB)
    verify_chain(tls.cert, tls_chain, cis, ROLE_DP_TLS)
    return SmdpCredentials(dpauth, dppb, tls, cis, tls_chain)


def load_smds_identity(directory: Path) -> SmdsCredentials:
    """An SM-DS's identity from files: DSauth and DS TLS pairs plus the CIs it trusts."""
    directory = _identity_dir(directory, "smds")
    cis = _cis(directory, "smds")
    dsauth, auth_chain = _pair(directory, "dsauth", "smds")
    tls, tls_chain = _pair(directory, "dstls", "smds")
    if auth_chain:
        raise PkiError(msg_id="simulator.pki.ds-chain")
    verify_chain(dsauth.cert, [], cis, ROLE_DS_AUTH)
    verify_chain(tls.cert, tls_chain, cis, ROLE_DS_TLS)
    return SmdsCredentials(dsauth, tls, cis, tls_chain)


# -- the credential sets each peer needs ----------------------------------------------------


@dataclass(frozen=True)
class EuiccCredentials:
    """What a (virtual) eUICC holds: its key and certificate, its EUM certificate, trusted CIs."""

    euicc: CertKey
    eum: x509.Certificate
    ci: tuple[x509.Certificate, ...]

    @property
    def eid(self) -> str:
        return eid_of(self.euicc.cert)

    @property
    def ci_key_ids(self) -> list[bytes]:
        return [subject_key_id(c) for c in self.ci]

    @classmethod
    def from_files(
        cls, ci: Sequence[Path], eum: Path, euicc_cert: Path, euicc_key: Path
    ) -> EuiccCredentials:
        creds = cls(
            CertKey.from_files(euicc_cert, euicc_key),
            load_cert(eum),
            tuple(load_cert(p) for p in ci),
        )
        verify_chain(creds.euicc.cert, [creds.eum], creds.ci, ROLE_EUICC)
        return creds


@dataclass(frozen=True)
class SmdpCredentials:
    """What an SM-DP+ holds: DPauth, DPpb and TLS key pairs plus the CIs it trusts for eUICCs."""

    dpauth: CertKey
    dppb: CertKey
    tls: CertKey
    ci: tuple[x509.Certificate, ...]
    tls_chain: tuple[x509.Certificate, ...] = ()  # intermediates sent after the TLS leaf

    @property
    def oid(self) -> str:
        return registered_id(self.dpauth.cert) or DEFAULT_SMDP_OID

    @classmethod
    def from_files(
        cls,
        ci: Sequence[Path],
        dpauth: tuple[Path, Path],
        dppb: tuple[Path, Path],
        tls: tuple[Path, Path],
    ) -> SmdpCredentials:
        creds = cls(
            CertKey.from_files(*dpauth),
            CertKey.from_files(*dppb),
            CertKey.from_files(*tls),
            tuple(load_cert(p) for p in ci),
        )
        verify_chain(creds.dpauth.cert, [], creds.ci, ROLE_DP_AUTH)
        verify_chain(creds.dppb.cert, [], creds.ci, ROLE_DP_PB)
        return creds

    def write_tls_files(self, directory: Path) -> tuple[Path, Path]:
        """PEM files for ssl.SSLContext.load_cert_chain: (leaf + chain, key)."""
        return write_tls_files(self.tls, self.tls_chain, directory)


def write_tls_files(
    tls: CertKey, chain: Sequence[x509.Certificate], directory: Path, name: str = "server-tls"
) -> tuple[Path, Path]:
    """PEM files for ssl.SSLContext.load_cert_chain: (leaf + intermediates, key)."""
    chain_path = directory / f"{name}-chain.pem"
    _write(chain_path, pem(tls.cert) + b"".join(pem(c) for c in chain), private=False)
    tls.write(directory, name)
    return chain_path, directory / f"{name}.key"


@dataclass(frozen=True)
class SmdsCredentials:
    """What an SM-DS holds: its DSauth and TLS key pairs plus the CIs it trusts for eUICCs."""

    dsauth: CertKey
    tls: CertKey
    ci: tuple[x509.Certificate, ...]
    tls_chain: tuple[x509.Certificate, ...] = ()


def issue_smds_credentials(
    ci: CertKey,
    *,
    hosts: Sequence[str] = DEFAULT_HOSTS,
    name: str = "simspot test",
    now: dt.datetime | None = None,
) -> SmdsCredentials:
    """CERT.DSauth.ECDSA and CERT.DS.TLS (SGP.22 4.5.2.1) issued by ``ci`` for a test SM-DS."""
    start = (now or dt.datetime.now(dt.UTC)) - dt.timedelta(days=1)
    end = start + dt.timedelta(days=365 * 5)
    auth_key, tls_key = _new_key(), _new_key()
    auth = _issue(
        subject=_dn(f"{name} SM-DS auth", name), key=auth_key, issuer=ci, start=start,
        end=end, ca=False, path_len=None, role=ROLE_DS_AUTH, usage=_usage(),
    )  # fmt: skip
    tls = _issue(
        subject=_dn(hosts[0] if hosts else f"{name} SM-DS TLS", name), key=tls_key, issuer=ci,
        start=start, end=end, ca=False, path_len=None, role=ROLE_DS_TLS, usage=_usage(),
        san=_host_names(hosts), tls=True,
    )  # fmt: skip
    return SmdsCredentials(CertKey(auth, auth_key), CertKey(tls, tls_key), (ci.cert,))


@dataclass(frozen=True)
class TestPki:
    """A complete test PKI: one CI with an EUM + eUICC chain and the SM-DP+ certificates."""

    ci: CertKey
    eum: CertKey
    euicc: CertKey
    dpauth: CertKey
    dppb: CertKey
    dptls: CertKey

    __test__ = False  # not a pytest class

    @property
    def eid(self) -> str:
        return eid_of(self.euicc.cert)

    def euicc_credentials(self) -> EuiccCredentials:
        return EuiccCredentials(self.euicc, self.eum.cert, (self.ci.cert,))

    def smdp_credentials(self) -> SmdpCredentials:
        return SmdpCredentials(self.dpauth, self.dppb, self.dptls, (self.ci.cert,))

    def smds_credentials(self, hosts: Sequence[str] = DEFAULT_HOSTS) -> SmdsCredentials:
        """Fresh SM-DS certificates from this PKI's CI (not kept in the PKI directory)."""
        return issue_smds_credentials(self.ci, hosts=hosts)

    @classmethod
    def generate(
        cls,
        *,
        eid: str | None = None,
        hosts: Sequence[str] = DEFAULT_HOSTS,
        smdp_oid: str = DEFAULT_SMDP_OID,
        name: str = "simspot test",
        now: dt.datetime | None = None,
    ) -> TestPki:
        """Issue a fresh PKI. ``hosts`` (DNS names or IP addresses) go into the TLS SAN."""
        eid = eid or eid_with_check_digits(
            "89049032" + "".join(secrets.choice("0123456789") for _ in range(22))
        )
        if not is_valid_eid(eid):
            raise PkiError(msg_id="simulator.pki.eid-invalid", params={"eid": eid})
        start = (now or dt.datetime.now(dt.UTC)) - dt.timedelta(days=1)
        far = start + dt.timedelta(days=365 * 30)
        ci_key = _new_key()
        ci_name = _dn(f"{name} CI", name)
        ci = _issue(
            subject=ci_name, key=ci_key, issuer=None, start=start, end=far,
            ca=True, path_len=None, role=ROLE_CI,
            usage=_usage(cert_sign=True),
        )  # fmt: skip
        eum_key = _new_key()
        eum = _issue(
            subject=_dn(f"{name} EUM", name), key=eum_key, issuer=CertKey(ci, ci_key),
            start=start, end=far, ca=True, path_len=0, role=ROLE_EUM,
            usage=_usage(cert_sign=True),
        )  # fmt: skip
        euicc_key = _new_key()
        euicc_subject = x509.Name(
            [
                x509.NameAttribute(NameOID.ORGANIZATION_NAME, name),
                x509.NameAttribute(NameOID.SERIAL_NUMBER, eid),
                x509.NameAttribute(NameOID.COMMON_NAME, f"{name} eUICC"),
            ]
        )
        euicc = _issue(
            subject=euicc_subject, key=euicc_key, issuer=CertKey(eum, eum_key),
            start=start, end=far, ca=False, path_len=None, role=ROLE_EUICC,
            usage=_usage(),
        )  # fmt: skip
        ci_pair = CertKey(ci, ci_key)
        oid_san = [x509.RegisteredID(x509.ObjectIdentifier(smdp_oid))]
        dp_end = start + dt.timedelta(days=365 * 5)
        dpauth_key = _new_key()
        dpauth = _issue(
            subject=_dn(f"{name} SM-DP+ auth", name), key=dpauth_key, issuer=ci_pair,
            start=start, end=dp_end, ca=False, path_len=None, role=ROLE_DP_AUTH,
            usage=_usage(), san=oid_san,
        )  # fmt: skip
        dppb_key = _new_key()
        dppb = _issue(
            subject=_dn(f"{name} SM-DP+ binding", name), key=dppb_key, issuer=ci_pair,
            start=start, end=dp_end, ca=False, path_len=None, role=ROLE_DP_PB,
            usage=_usage(), san=oid_san,
        )  # fmt: skip
        tls_key = _new_key()
        tls = _issue(
            subject=_dn(hosts[0] if hosts else f"{name} SM-DP+ TLS", name), key=tls_key,
            issuer=ci_pair, start=start, end=dp_end, ca=False, path_len=None,
            role=ROLE_DP_TLS, usage=_usage(), san=[*_host_names(hosts), *oid_san], tls=True,
        )  # fmt: skip
        return cls(
            ci=ci_pair,
            eum=CertKey(eum, eum_key),
            euicc=CertKey(euicc, euicc_key),
            dpauth=CertKey(dpauth, dpauth_key),
            dppb=CertKey(dppb, dppb_key),
            dptls=CertKey(tls, tls_key),
        )

    def write(self, directory: Path) -> list[Path]:
        """Write every certificate (<name>.pem) and key (<name>.key, mode 0600) to ``directory``."""
        try:
            directory.mkdir(parents=True, exist_ok=True)
            for name in FILES:
                pair: CertKey = getattr(self, name)
                pair.write(directory, name)
        except OSError as exc:
            raise PkiError(
                msg_id="simulator.pki.write-failed",
                params={"directory": str(directory), "error": exc.strerror},
            ) from None
        return [directory / f"{n}.{ext}" for n in FILES for ext in ("pem", "key")]

    @classmethod
    def load(cls, directory: Path) -> TestPki:
        """Load a PKI written by ``write`` (or laid out the same way) and check its chains."""
        if not directory.is_dir():
            raise PkiError(msg_id="simulator.pki.no-dir", params={"directory": str(directory)})
        pairs = {
            n: CertKey.from_files(directory / f"{n}.pem", directory / f"{n}.key") for n in FILES
        }
        pki = cls(**pairs)
        ci = [pki.ci.cert]
        verify_chain(pki.euicc.cert, [pki.eum.cert], ci, ROLE_EUICC)
        verify_chain(pki.dpauth.cert, [], ci, ROLE_DP_AUTH)
        verify_chain(pki.dppb.cert, [], ci, ROLE_DP_PB)
        verify_chain(pki.dptls.cert, [], ci, ROLE_DP_TLS)
        return pki


def _new_key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


def _dn(common_name: str, org: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, org),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )


def _usage(*, cert_sign: bool = False) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=not cert_sign,
        content_commitment=False,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=cert_sign,
        crl_sign=cert_sign,
        encipher_only=False,
        decipher_only=False,
    )


def _host_names(hosts: Iterable[str]) -> list[x509.GeneralName]:
    names: list[x509.GeneralName] = []
    for host in hosts:
        try:
            names.append(x509.IPAddress(ipaddress.ip_address(host)))
        except ValueError:
            names.append(x509.DNSName(host))
    return names


def _issue(
    *,
    subject: x509.Name,
    key: ec.EllipticCurvePrivateKey,
    issuer: CertKey | None,
    start: dt.datetime,
    end: dt.datetime,
    ca: bool,
    path_len: int | None,
    role: x509.ObjectIdentifier,
    usage: x509.KeyUsage,
    san: Sequence[x509.GeneralName] = (),
    tls: bool = False,
) -> x509.Certificate:
    public = key.public_key()
    signer_key = issuer.key if issuer else key
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer.cert.subject if issuer else subject)
        .public_key(public)
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(end)
        .add_extension(x509.BasicConstraints(ca=ca, path_length=path_len), critical=True)
        .add_extension(usage, critical=True)
        .add_extension(
            x509.CertificatePolicies([x509.PolicyInformation(role, None)]), critical=True
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(signer_key.public_key()),
            critical=False,
        )
    )
    if san:
        builder = builder.add_extension(x509.SubjectAlternativeName(list(san)), critical=False)
    if tls:
        builder = builder.add_extension(
            x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=True
        )
    return builder.sign(signer_key, hashes.SHA256())
