"""ES9+ (LPA -> SM-DP+) and ES11 (LPA -> SM-DS) over HTTPS, JSON binding (SGP.22 6.5, 6.6).

TLS is always verified, as SGP.22 intends (2.6.6, 4.5.2.0.1): an SM-DP+ or SM-DS certificate
chains to a GSMA Certificate Issuer (CI), and the LPA trusts the CIs whose key identifiers the
eUICC lists in euiccCiPKIdListForVerification, taken from the public GSMA CI certificates shipped
in ``simspot/esim/trust`` (see its README), plus the CA files the user configures (test CIs).
:class:`TlsTrust` is that choice for one card. A server that chains to a known GSMA CI the card
does not list is refused with a sentence saying so. The system's web trust store is never used.
Redirects are never followed. Plain HTTP is possible only when ``allow_insecure_http_for_tests``
is set, for tests against a local server.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import contextlib
import functools
import json
import logging
import re
import ssl
from collections.abc import Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from types import TracebackType
from typing import Any, Self

import httpx

from simspot.esim.errors import (
    ProtocolError,
    ServerConnectionError,
    SmdpError,
    TlsError,
)

log = logging.getLogger(__name__)

ADMIN_PROTOCOL = "gsma/rsp/v2.2.0"
USER_AGENT = "gsma-rsp-lpad"
MAX_RESPONSE = 64 * 1024
MAX_BPP_RESPONSE = 2 * 1024 * 1024  # a Bound Profile Package, base64 in JSON
DEFAULT_TIMEOUT = 30.0


def trust_store_files() -> list[Path]:
    """The shipped GSMA CI certificates (PEM), one file each."""
    folder = resources.files("simspot.esim").joinpath("trust")
    return sorted(Path(str(p)) for p in folder.iterdir() if p.name.endswith(".pem"))


@dataclass(frozen=True)
class KnownCi:
    """A CI certificate the LPA knows: its file, subjectKeyIdentifier and name."""

    path: Path
    key_id: bytes
    name: str


def load_cis(files: Sequence[str | Path]) -> list[KnownCi]:
    """Read CI certificates (one PEM or DER certificate per file) with their key identifiers."""
    from cryptography import x509

    out = []
    for name in files:
        path = Path(name)
        try:
            data = path.read_bytes()
            pem = b"-----BEGIN" in data
            cert = (x509.load_pem_x509_certificate if pem else x509.load_der_x509_certificate)(data)
            ski = cert.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
            subject = cert.subject.rfc4514_string()
        except OSError as exc:
            raise TlsError(
                f"cannot read the CI certificate {path}: {exc.strerror}",
                msg_id="es9.ci-unreadable",
                params={"path": str(path), "problem": exc.strerror},
            ) from exc
        except (ValueError, x509.ExtensionNotFound) as exc:
            raise TlsError(
                f"{path} is not a CI certificate with a subjectKeyIdentifier: {exc}",
                msg_id="es9.ci-invalid",
                params={"path": str(path), "problem": str(exc)},
            ) from exc
        out.append(KnownCi(path, ski.digest, subject))
    return out


@functools.cache
def shipped_cis() -> tuple[KnownCi, ...]:
    """The public GSMA CIs shipped in simspot/esim/trust (read once)."""
    return tuple(load_cis(trust_store_files()))


@dataclass(frozen=True)
class TlsTrust:
    """The CAs an RSP server's TLS certificate is verified against, for one eUICC.

    ``trusted``: the GSMA CIs the card lists for verification, then the configured CA files.
    ``unlisted``: known GSMA CIs the card does not list; only used to explain a refusal.
    """

    trusted: tuple[Path, ...]
    unlisted: tuple[KnownCi, ...] = ()
    listed_key_ids: tuple[bytes, ...] | None = field(default=None, compare=False)

    @classmethod
    def for_card(
        cls,
        ci_key_ids: Sequence[bytes] | None,
        *,
        extra_ca_files: Sequence[str | Path] = (),
        gsma_ci_files: Sequence[str | Path] | None = None,
    ) -> TlsTrust:
        """Trust for a card listing ``ci_key_ids`` (None: no card known, every GSMA CI)."""
        known = shipped_cis() if gsma_ci_files is None else tuple(load_cis(gsma_ci_files))
        if ci_key_ids is None:
            listed, unlisted = list(known), []
        else:
            wanted = set(ci_key_ids)
            listed = [ci for ci in known if ci.key_id in wanted]
            unlisted = [ci for ci in known if ci.key_id not in wanted]
        return cls(
            tuple([ci.path for ci in listed] + [Path(p) for p in extra_ca_files]),
            tuple(unlisted),
            None if ci_key_ids is None else tuple(ci_key_ids),
        )

    def ssl_context(self) -> ssl.SSLContext:
        return _ssl_context(self.trusted)


def _ssl_context(ca_files: Sequence[Path]) -> ssl.SSLContext:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)  # verify_mode CERT_REQUIRED, check_hostname on
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    for path in ca_files:
        try:
            ctx.load_verify_locations(cafile=str(path))
        except (OSError, ssl.SSLError) as exc:
            raise TlsError(
                f"cannot load the trusted CA file {path}: {exc}",
                msg_id="es9.ca-unreadable",
                params={"path": str(path), "problem": str(exc)},
            ) from exc
    return ctx


def build_ssl_context(extra_ca_files: Sequence[str | Path] = ()) -> ssl.SSLContext:
    """A client TLS context trusting every shipped GSMA CI and the given extra CA files."""
    return TlsTrust.for_card(None, extra_ca_files=extra_ca_files).ssl_context()


@dataclass(frozen=True)
class InitiateAuthenticationResult:
    transaction_id: bytes
    server_signed1: bytes  # exact TLVs as received (the eUICC checks the signature over them)
    server_signature1: bytes
    euicc_ci_pkid_to_be_used: bytes
    server_certificate: bytes


@dataclass(frozen=True)
class AuthenticateClientResult:
    transaction_id: bytes
    profile_metadata: bytes
    smdp_signed2: bytes
    smdp_signature2: bytes
    smdp_certificate: bytes


@dataclass(frozen=True)
class EventEntry:
    event_id: str
    rsp_server_address: str

    def as_json(self) -> dict[str, str]:
        return {"event_id": self.event_id, "smdp_address": self.rsp_server_address}


def _b64(value: bytes) -> str:
    return base64.b64encode(value).decode("ascii")


class _RspClient:
    """What ES9+ and ES11 share: one HTTP/1.1 connection pool, JSON in and out, status checks."""

    _interface = ""
    _peer = "server"
    _address_field = "smdpAddress"  # how initiateAuthentication names the server's address

    def __init__(
        self,
        address: str,
        *,
        extra_ca_files: Sequence[str | Path] = (),
        trust: TlsTrust | None = None,
        allow_insecure_http_for_tests: bool = False,
        timeout: float = DEFAULT_TIMEOUT,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.address = address
        scheme = "http" if allow_insecure_http_for_tests else "https"
        self.base_url = f"{scheme}://{address}/gsma/rsp2/{self._interface}/"
        self.timeout = timeout
        self.trust = trust or TlsTrust.for_card(None, extra_ca_files=extra_ca_files)
        verify: ssl.SSLContext | bool = self.trust.ssl_context()
        self._client = httpx.AsyncClient(
            verify=verify,
            http1=True,
            http2=False,
            follow_redirects=False,
            trust_env=False,
            timeout=httpx.Timeout(timeout),
            transport=transport,
            headers={
                "User-Agent": USER_AGENT,
                "X-Admin-Protocol": ADMIN_PROTOCOL,
                "Content-Type": "application/json",
                "Accept": "application/json",
            },
        )

    async def close(self) -> None:
        await self._client.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    async def _post(
        self, function: str, body: dict[str, Any], *, max_bytes: int = MAX_RESPONSE
    ) -> dict[str, Any] | None:
        """POST one function call; return the JSON object, or None for 204 No Content."""
        url = self.base_url + function
        log.debug("%s %s", self._interface, function)
        try:
            async with self._client.stream("POST", url, content=json.dumps(body).encode()) as resp:
                if resp.is_redirect:
                    raise ServerConnectionError(
                        f"{function}: the {self._peer} at {self.address} answered with a redirect "
                        f"(HTTP {resp.status_code} to {resp.headers.get('location', '?')}); "
                        "redirects are not followed",
                        msg_id="es9.redirect",
                        params={
                            "function": function,
                            "peer": self._peer,
                            "address": self.address,
                            "status": resp.status_code,
                            "location": resp.headers.get("location", "?"),
                        },
                    )
                chunks = []
                size = 0
                async for chunk in resp.aiter_bytes():
                    size += len(chunk)
                    if size > max_bytes:
                        raise ProtocolError(
                            f"{function}: the {self._peer}'s answer is larger than {max_bytes} bytes",
                            msg_id="es9.too-large",
                            params={"function": function, "peer": self._peer, "max": max_bytes},
                        )
                    chunks.append(chunk)
                status = resp.status_code
        except httpx.TimeoutException as exc:
            raise ServerConnectionError(
                f"{function}: the {self._peer} at {self.address} did not answer within {self.timeout:g} s",
                msg_id="es9.timeout",
                params={
                    "function": function,
                    "peer": self._peer,
                    "address": self.address,
                    "seconds": f"{self.timeout:g}",
                },
            ) from exc
        except httpx.ConnectError as exc:
            raise await self._connect_error(function, exc) from exc
        except (httpx.RemoteProtocolError, httpx.ReadError, httpx.WriteError) as exc:
            raise ServerConnectionError(
                f"{function}: the connection to the {self._peer} at {self.address} was dropped ({exc})",
                msg_id="es9.dropped",
                params={
                    "function": function,
                    "peer": self._peer,
                    "address": self.address,
                    "problem": str(exc),
                },
            ) from exc
        except httpx.HTTPError as exc:
            raise ServerConnectionError(
                f"{function}: HTTP failure talking to {self.address}: {exc}",
                msg_id="es9.http-failure",
                params={"function": function, "address": self.address, "problem": str(exc)},
            ) from exc
        payload = b"".join(chunks)
        if status == 204:
            return None
        if status != 200:
            raise ServerConnectionError(
                f"{function}: the {self._peer} at {self.address} answered HTTP {status}",
                msg_id="es9.http-status",
                params={
                    "function": function,
                    "peer": self._peer,
                    "address": self.address,
                    "status": status,
                },
            )
        if not payload:
            return None
        try:
            data = json.loads(payload)
        except (ValueError, UnicodeDecodeError, RecursionError) as exc:  # or nested too deep
            raise ProtocolError(
                f"{function}: the {self._peer}'s answer is not JSON",
                msg_id="es9.not-json",
                params={"function": function, "peer": self._peer},
            ) from exc
        if not isinstance(data, dict):
            raise ProtocolError(
                f"{function}: the {self._peer}'s answer is not a JSON object",
                msg_id="es9.not-object",
                params={"function": function, "peer": self._peer},
            )
        self._check_status(function, data)
        return data

    async def _connect_error(self, function: str, exc: httpx.ConnectError) -> Exception:
        cause: BaseException | None = exc
        while cause is not None:
            if isinstance(cause, ssl.SSLCertVerificationError):
                ci = await self._unlisted_ci()
                if ci is not None:
                    return TlsError(
                        f"{function}: the {self._peer} at {self.address} proves itself with a "
                        f"certificate of the CI '{ci.name}' (key id {ci.key_id.hex()}), which "
                        "this eUICC does not list in euiccCiPKIdListForVerification; the card "
                        "could not verify this server, so simspot refuses it",
                        msg_id="es9.ci-unlisted",
                        params={
                            "function": function,
                            "peer": self._peer,
                            "address": self.address,
                            "ci": ci.name,
                            "key_id": ci.key_id.hex(),
                        },
                    )
                return TlsError(
                    f"{function}: the {self._peer} certificate of {self.address} is not trusted "
                    f"({cause.verify_message}); simspot trusts only the GSMA CI certificates and "
                    "the CA files listed in esim.extra_ca_files",
                    msg_id="es9.untrusted",
                    params={
                        "function": function,
                        "peer": self._peer,
                        "address": self.address,
                        "problem": cause.verify_message,
                    },
                )
            if isinstance(cause, ssl.SSLError):
                return TlsError(
                    f"{function}: TLS with {self.address} failed: {cause}",
                    msg_id="es9.tls-failed",
                    params={"function": function, "address": self.address, "problem": str(cause)},
                )
            cause = cause.__cause__ or cause.__context__
        text = str(exc)
        if "CERTIFICATE_VERIFY_FAILED" in text:
            return TlsError(
                f"{function}: the {self._peer} certificate of {self.address} is not trusted ({text})",
                msg_id="es9.untrusted-short",
                params={
                    "function": function,
                    "peer": self._peer,
                    "address": self.address,
                    "problem": text,
                },
            )
        return ServerConnectionError(
            f"{function}: cannot connect to the {self._peer} at {self.address}: {text}",
            msg_id="es9.connect",
            params={
                "function": function,
                "peer": self._peer,
                "address": self.address,
                "problem": text,
            },
        )

    async def _unlisted_ci(self) -> KnownCi | None:
        """After a failed TLS check: does the server chain to a known CI the card does not list?

        One TLS handshake per such CI (no HTTP request), each trusting that CI alone.
        """
        host, port = _host_port(self.address)
        for ci in self.trust.unlisted:
            ctx = _ssl_context([ci.path])
            try:
                _, writer = await asyncio.wait_for(
                    asyncio.open_connection(host, port, ssl=ctx, server_hostname=host),
                    min(self.timeout, 10.0),
                )
            except (OSError, ssl.SSLError, TimeoutError):
                continue
            writer.close()
            with contextlib.suppress(OSError, ssl.SSLError):
                await writer.wait_closed()
            return ci
        return None

    def _check_status(self, function: str, data: dict[str, Any]) -> None:
        header = data.get("header")
        if not isinstance(header, dict):
            raise ProtocolError(
                f"{function}: the answer has no header",
                msg_id="es9.no-header",
                params={"function": function},
            )
        status = header.get("functionExecutionStatus")
        if not isinstance(status, dict):
            raise ProtocolError(
                f"{function}: the answer has no functionExecutionStatus",
                msg_id="es9.no-status",
                params={"function": function},
            )
        state = status.get("status")
        if state in ("Executed-Success", "Executed-WithWarning"):
            return
        codes = status.get("statusCodeData") or {}
        if not isinstance(codes, dict):
            codes = {}
        raise SmdpError(
            function,
            str(codes.get("subjectCode", "?")),
            str(codes.get("reasonCode", "?")),
            codes.get("message") if isinstance(codes.get("message"), str) else None,
            codes.get("subjectIdentifier")
            if isinstance(codes.get("subjectIdentifier"), str)
            else None,
        )

    @staticmethod
    def _field(function: str, data: dict[str, Any] | None, name: str) -> bytes:
        if data is None or not isinstance(data.get(name), str):
            raise ProtocolError(
                f"{function}: the answer lacks {name}",
                msg_id="es9.lacks",
                params={"function": function, "name": name},
            )
        try:
            return base64.b64decode(data[name], validate=True)
        except (binascii.Error, ValueError) as exc:
            raise ProtocolError(
                f"{function}: {name} is not valid base64",
                msg_id="es9.not-base64",
                params={"function": function, "name": name},
            ) from exc

    @staticmethod
    def _transaction_id(function: str, data: dict[str, Any] | None) -> bytes:
        value = None if data is None else data.get("transactionId")
        if not isinstance(value, str):
            raise ProtocolError(
                f"{function}: the answer lacks transactionId",
                msg_id="es9.no-transaction",
                params={"function": function},
            )
        try:
            tid = bytes.fromhex(value)
        except ValueError as exc:
            raise ProtocolError(
                f"{function}: transactionId is not hexadecimal",
                msg_id="es9.transaction-hex",
                params={"function": function},
            ) from exc
        if not 1 <= len(tid) <= 16:
            raise ProtocolError(
                f"{function}: transactionId must be 1-16 bytes",
                msg_id="es9.transaction-size",
                params={"function": function},
            )
        return tid

    async def initiate_authentication(
        self, euicc_challenge: bytes, euicc_info1: bytes, address: str | None = None
    ) -> InitiateAuthenticationResult:
        fn = "initiateAuthentication"
        data = await self._post(
            fn,
            {
                "euiccChallenge": _b64(euicc_challenge),
                "euiccInfo1": _b64(euicc_info1),
                self._address_field: address or self.address,
            },
        )
        return InitiateAuthenticationResult(
            transaction_id=self._transaction_id(fn, data),
            server_signed1=self._field(fn, data, "serverSigned1"),
            server_signature1=self._field(fn, data, "serverSignature1"),
            euicc_ci_pkid_to_be_used=self._field(fn, data, "euiccCiPKIdToBeUsed"),
            server_certificate=self._field(fn, data, "serverCertificate"),
        )


def _host_port(address: str) -> tuple[str, int]:
    """``host[:port]`` or ``[v6]:port`` of an SM-DP+ address (port 443 by default)."""
    # ASCII digits, a few: str.isdigit() takes '²', which int() refuses (ValueError).
    if address.startswith("["):
        host, _, rest = address[1:].partition("]")
        return host, int(rest[1:]) if re.fullmatch(r":[0-9]{1,5}", rest) else 443
    host, _, port = address.rpartition(":")
    if host and re.fullmatch(r"[0-9]{1,5}", port):
        return host, int(port)
    return address, 443


class Es9Client(_RspClient):
    """The five ES9+ functions against one SM-DP+."""

    _interface = "es9plus"
    _peer = "SM-DP+"

    async def authenticate_client(
        self, transaction_id: bytes, authenticate_server_response: bytes
    ) -> AuthenticateClientResult:
        fn = "authenticateClient"
        data = await self._post(
            fn,
            {
                "transactionId": transaction_id.hex().upper(),
                "authenticateServerResponse": _b64(authenticate_server_response),
            },
        )
        return AuthenticateClientResult(
            transaction_id=self._transaction_id(fn, data),
            profile_metadata=self._field(fn, data, "profileMetadata"),
            smdp_signed2=self._field(fn, data, "smdpSigned2"),
            smdp_signature2=self._field(fn, data, "smdpSignature2"),
            smdp_certificate=self._field(fn, data, "smdpCertificate"),
        )

    async def get_bound_profile_package(
        self, transaction_id: bytes, prepare_download_response: bytes
    ) -> bytes:
        fn = "getBoundProfilePackage"
        data = await self._post(
            fn,
            {
                "transactionId": transaction_id.hex().upper(),
                "prepareDownloadResponse": _b64(prepare_download_response),
            },
            max_bytes=MAX_BPP_RESPONSE,
        )
        if self._transaction_id(fn, data) != transaction_id:
            raise ProtocolError(
                f"{fn}: the SM-DP+ answered for another transaction",
                msg_id="es9.other-transaction",
                params={"function": fn},
            )
        return self._field(fn, data, "boundProfilePackage")

    async def handle_notification(self, pending_notification: bytes) -> None:
        await self._post("handleNotification", {"pendingNotification": _b64(pending_notification)})

    async def cancel_session(self, transaction_id: bytes, cancel_session_response: bytes) -> None:
        await self._post(
            "cancelSession",
            {
                "transactionId": transaction_id.hex().upper(),
                "cancelSessionResponse": _b64(cancel_session_response),
            },
        )


class Es11Client(_RspClient):
    """SM-DS discovery: initiateAuthentication + authenticateClient return event entries."""

    _interface = "es11"
    _peer = "SM-DS"
    _address_field = "smdsAddress"  # ES11.InitiateAuthentication, SGP.22 6.5.2.6

    async def authenticate_client(
        self, transaction_id: bytes, authenticate_server_response: bytes
    ) -> list[EventEntry]:
        fn = "authenticateClient"
        data = await self._post(
            fn,
            {
                "transactionId": transaction_id.hex().upper(),
                "authenticateServerResponse": _b64(authenticate_server_response),
            },
        )
        entries = [] if data is None else data.get("eventEntries", [])
        if not isinstance(entries, list):
            raise ProtocolError(
                f"{fn}: eventEntries is not a list",
                msg_id="es9.events-not-list",
                params={"function": fn},
            )
        out = []
        for entry in entries:
            if not isinstance(entry, dict):
                raise ProtocolError(
                    f"{fn}: an event entry is not an object",
                    msg_id="es9.event-not-object",
                    params={"function": fn},
                )
            event_id, address = entry.get("eventId"), entry.get("rspServerAddress")
            if not isinstance(event_id, str) or not isinstance(address, str):
                raise ProtocolError(
                    f"{fn}: an event entry lacks eventId or rspServerAddress",
                    msg_id="es9.event-fields",
                    params={"function": fn},
                )
            out.append(EventEntry(event_id, address))
        return out
