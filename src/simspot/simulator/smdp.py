"""A test SM-DP+: the ES9+ side of SGP.22 (5.6), served over HTTPS or plain HTTP.

`TestSmdp` holds download orders (a matching ID, the profile package, an optional confirmation
code, single-use or reusable, optionally bound to one EID), runs the five ES9+ functions, and
answers every refusal with the SGP.22 status code data (subjectCode / reasonCode):

    initiateAuthentication   8.8.1/3.8 wrong SM-DP+ address, 8.8.2/3.1 no common CI,
                             8.8.3/3.1 unsupported SVN, 8.8.4/3.7 no DPauth cert the eUICC trusts
    authenticateClient       8.10.1/3.9 unknown transaction, 8.11.1/3.9 unknown CI,
                             8.1.2/6.1|6.3 EUM cert bad|expired, 8.1.3/6.1|6.3 eUICC cert bad|expired,
                             8.1/6.1 eUICC signature or server challenge wrong,
                             8.2.6/3.8 matching ID refused (unknown or missing),
                             8.8.5/6.4 single-use order already downloaded,
                             8.1.1/3.8 EID does not match the order,
                             8.2.7/6.4 confirmation code attempts exhausted
    getBoundProfilePackage   8.10.1/3.9, 8.1/6.1 euiccSignature2 wrong,
                             8.2.7/2.2 confirmation code missing, 8.2.7/3.8 wrong,
                             8.2.7/6.4 wrong too many times (the order is then locked)
    cancelSession            8.10.1/3.9, 8.1/6.1 signature, 8.8/3.10 wrong SM-DP+ OID
    handleNotification       HTTP 204; the notification is recorded (`notifications`)

A refused request gets HTTP 200 with header.functionExecutionStatus.status = "Failed", as
SGP.22 6.5 specifies. The Bound Profile Package is built and protected with `simspot.esim.bsp`.

`start()` serves it in-process with uvicorn on a port (0 = any free one) and returns the base
URL; `stop()` ends it. `simspot simulate smdp` runs it on its own.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import datetime as dt
import hashlib
import hmac
import json
import logging
import secrets
import tempfile
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import uvicorn
from cryptography import x509

from simspot.asgiserve import Serving, bind
from simspot.errors import EsimError, SimspotError, SimspotValueError
from simspot.esim import bsp, codec
from simspot.esim.certs import load_der_certificate
from simspot.esim.errors import DecodeError
from simspot.esim.es10 import hash_confirmation_code
from simspot.esim.iccid import iccid_from_bytes, iccid_to_bytes
from simspot.secrets import mask_text
from simspot.simulator import pki
from simspot.simulator.pki import CertKey, PkiError, SmdpCredentials
from simspot.simulator.profiles import header_iccid, make_iccid

log = logging.getLogger(__name__)

ES9_PATH = "/gsma/rsp2/es9plus/"
ADMIN_PROTOCOL = "gsma/rsp/v2.2.0"
MAX_BODY = 256 * 1024
MAX_SESSIONS = 1000
PROFILE_SUFFIXES = ("", ".der", ".upp", ".bin")


class SmdpConfigError(SimspotValueError, EsimError):
    """The test SM-DP+ cannot be set up (profiles directory, orders, addresses)."""


class EventRegistry(Protocol):
    """ES12 as an SM-DP+ uses it: an SM-DS's event records (`simspot.simulator.smds.TestSmds`)."""

    def register_event(self, eid: str, smdp_address: str, event_id: str | None = None) -> object:
        """ES12.RegisterEvent."""

    def delete_event(self, event_id: str) -> bool:
        """ES12.DeleteEvent."""


class Es9Failure(Exception):
    """Internal: answer the current ES9+ call with Failed and this status code."""

    def __init__(self, subject: str, reason: str, message: str) -> None:
        super().__init__(f"{subject}/{reason}: {message}")
        self.subject = subject
        self.reason = reason
        self.message = message


@dataclass
class Order:
    """A download order: what one matching ID delivers, and under which conditions."""

    matching_id: str
    package: bytes
    iccid: str
    confirmation_code: str | None = None
    reusable: bool = False
    eid: str | None = None
    service_provider: str = "simspot test"
    profile_name: str | None = None
    profile_class: int = 2  # operational (the DEFAULT: left out of the metadata)
    max_cc_attempts: int = 3
    # state
    delivered: int = 0  # BPPs handed out and not cancelled
    installed: int = 0
    cc_failures: int = 0

    @property
    def locked(self) -> bool:
        return self.confirmation_code is not None and self.cc_failures >= self.max_cc_attempts

    @property
    def consumed(self) -> bool:
        return not self.reusable and self.delivered > 0


@dataclass
class ReceivedNotification:
    """A notification the SM-DP+ received through handleNotification."""

    kind: str  # "install" (ProfileInstallationResult) or enable / disable / delete
    seq: int
    iccid: str | None
    transaction_id: str | None
    success: bool | None  # install result; None for other notifications
    error: tuple[int, int] | None  # (bppCommandId, errorReason) of a failed install
    verified: bool  # the eUICC signature checked out
    raw: bytes


@dataclass
class Cancellation:
    transaction_id: str
    reason: int | None
    verified: bool


@dataclass
class _Session:
    transaction_id: bytes
    server_challenge: bytes
    euicc_challenge: bytes
    address: str
    ci: x509.Certificate
    stage: str = "initiated"  # initiated -> authenticated -> bound
    euicc_cert: x509.Certificate | None = None
    eid: str | None = None
    order: Order | None = None
    smdp_signature2: bytes | None = None
    metadata: bytes | None = None
    euicc_otpk: bytes | None = None


@dataclass
class Fault:
    """A scripted misbehaviour for one ES9+ function (for LPA fault tests)."""

    function: str
    status: tuple[str, str] | None = None  # answer Failed with this subject/reason
    http_status: int | None = None  # answer this HTTP status with no body
    delay: float = 0.0  # wait this long first (to provoke client timeouts)
    times: int = 1


class RspServer:
    """What the test SM-DP+ and the test SM-DS share: JSON functions over HTTP(S) (SGP.22 6.5),
    served in-process by uvicorn from ``start()`` to ``stop()``, with scripted faults."""

    path = ES9_PATH  # URL prefix of the functions
    kind = "ES9+"  # for logs
    what = "the test SM-DP+"

    def __init__(
        self, tls: CertKey, tls_chain: Sequence[x509.Certificate], address: str | None
    ) -> None:
        self._tls, self._tls_chain = tls, tuple(tls_chain)
        self.address = address  # host[:port] as in activation codes; set by start() if None
        self.aliases: set[str] = set()
        self.calls: list[str] = []
        self.faults: list[Fault] = []
        self._serving: Serving | None = None
        self._tmp: tempfile.TemporaryDirectory[str] | None = None
        self.url: str | None = None

    def functions(self) -> dict[str, Callable[[dict[str, Any]], dict[str, Any] | None]]:
        """Function name (the last part of the URL path) -> pure handler."""
        raise NotImplementedError

    def inject(self, fault: Fault) -> None:
        self.faults.append(fault)

    def _own_address(self, address: str) -> bool:
        wanted = address.strip().lower()
        return wanted in {a.lower() for a in ({self.address} | self.aliases) if a}

    def asgi_app(self) -> Callable[..., Awaitable[None]]:
        """The functions as a bare ASGI app (POST JSON, SGP.22 6.5 headers)."""
        functions = self.functions()
        prefix, kind = self.path, self.kind

        async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
            if scope["type"] == "lifespan":
                return
            if scope["type"] != "http":
                return
            path: str = scope["path"]
            name = path[len(prefix) :] if path.startswith(prefix) else ""
            function = functions.get(name)
            if function is None or scope["method"] != "POST":
                await _send(send, 404 if function is None else 405, b"")
                return
            body = bytearray()
            while True:
                message = await receive()
                body += message.get("body", b"")
                if len(body) > MAX_BODY:
                    await _send(send, 413, b"")
                    return
                if not message.get("more_body"):
                    break
            self.calls.append(name)
            fault = self._take_fault(name)
            if fault is not None:
                if fault.delay:
                    await asyncio.sleep(fault.delay)
                if fault.http_status is not None:
                    await _send(send, fault.http_status, b"")
                    return
                if fault.status is not None:
                    await _send(send, 200, _failed(*fault.status, "injected fault"))
                    return
            try:
                request = json.loads(body)
                if not isinstance(request, dict):
                    raise ValueError("not an object")
            except ValueError:
                await _send(send, 400, b"")
                return
            try:
                result = function(request)
            except Es9Failure as failure:
                log.info("%s %s refused: %s", kind, name, mask_text(str(failure)))
                await _send(send, 200, _failed(failure.subject, failure.reason, failure.message))
                return
            if result is None:
                await _send(send, 204, b"")
                return
            payload = {"header": {"functionExecutionStatus": {"status": "Executed-Success"}}}
            payload.update(result)
            await _send(send, 200, json.dumps(payload).encode())

        return app

    def _take_fault(self, name: str) -> Fault | None:
        for fault in self.faults:
            if fault.function == name and fault.times > 0:
                fault.times -= 1
                return fault
        return None

    async def start(self, host: str = "127.0.0.1", port: int = 0, *, tls: bool = True) -> str:
        """Serve on ``host:port`` (0 = a free port); return the base URL."""
        try:
            sock = bind(host, port, backlog=64)
        except SimspotError as exc:
            raise SmdpConfigError(
                msg_id="simulator.smdp.bind",
                params={"error": str(exc), "error_said": exc.message_json()},
            ) from None
        bound_port = sock.getsockname()[1]
        shown = f"[{host}]" if ":" in host else host
        if self.address is None:
            local = host in ("127.0.0.1", "::1", "0.0.0.0", "::")  # noqa: S104 - names, not binds
            self.address = f"{'localhost' if local else shown}:{bound_port}"
        self.aliases |= {f"{shown}:{bound_port}", f"localhost:{bound_port}"}
        kwargs: dict[str, Any] = {}
        if tls:
            self._tmp = tempfile.TemporaryDirectory(prefix="simspot-rsp-")
            chain, key = pki.write_tls_files(self._tls, self._tls_chain, Path(self._tmp.name))
            kwargs = {"ssl_certfile": str(chain), "ssl_keyfile": str(key)}
        config = uvicorn.Config(
            self.asgi_app(),
            log_config=None,
            lifespan="off",
            access_log=False,
            timeout_graceful_shutdown=1,
            **kwargs,
        )
        self._serving = Serving(config, name=self.what.removeprefix("the "), what=self.what)
        await self._serving.start(sock)
        self.url = f"{'https' if tls else 'http'}://{self.address}"
        return self.url

    async def stop(self) -> None:
        if self._serving is not None:
            await self._serving.stop(timeout_s=5)
            self._serving = None
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None


class TestSmdp(RspServer):
    """The SM-DP+ state machine plus its ASGI app; start()/stop() serve it in-process."""

    __test__ = False  # not a pytest class

    def __init__(
        self,
        credentials: SmdpCredentials,
        *,
        address: str | None = None,
        orders: Iterable[Order] = (),
        use_ppk: bool = False,
    ) -> None:
        super().__init__(credentials.tls, credentials.tls_chain, address)
        self.credentials = credentials
        self.orders: dict[str, Order] = {o.matching_id: o for o in orders}
        self.use_ppk = use_ppk
        # Plaintext per profile segment; above 1007 the segments break SGP.22's 1020-byte limit
        # (with a valid MAC), to test how an eUICC reports it.
        self.segment_plaintext = bsp.MAX_ENCRYPTED_PLAINTEXT
        self.notifications: list[ReceivedNotification] = []
        self.cancellations: list[Cancellation] = []
        self._sessions: dict[str, _Session] = {}
        self.smds: EventRegistry | None = None  # where announce() registers events (ES12)
        self._announced: set[str] = set()

    # -- orders ---------------------------------------------------------------------------

    def add_order(self, order: Order) -> Order:
        self.orders[order.matching_id] = order
        return order

    def add_profile(
        self,
        matching_id: str,
        package: bytes,
        *,
        confirmation_code: str | None = None,
        reusable: bool = False,
        eid: str | None = None,
        iccid: str | None = None,
        name: str | None = None,
    ) -> Order:
        """Offer ``package`` under ``matching_id``; its ICCID comes from its header if present."""
        found = iccid or header_iccid(package) or _iccid_for(matching_id)
        return self.add_order(
            Order(
                matching_id=matching_id,
                package=package,
                iccid=found,
                confirmation_code=confirmation_code,
                reusable=reusable,
                eid=eid,
                profile_name=name or matching_id,
            )
        )

    def load_directory(
        self,
        directory: Path,
        *,
        confirmation_code: str | None = None,
        reusable: bool = False,
    ) -> list[Order]:
        """Offer every file in ``directory`` under its name (without .der/.upp/.bin) as matching ID.

        A sidecar ``<matching ID>.json`` may set confirmation_code, reusable, eid, iccid, name.
        """
        if not directory.is_dir():
            raise SmdpConfigError(
                msg_id="simulator.smdp.no-profiles-dir", params={"directory": str(directory)}
            )
        added = []
        for path in sorted(directory.iterdir()):
            if path.suffix == ".json" or path.name.startswith(".") or not path.is_file():
                continue
            matching_id = path.name
            for suffix in PROFILE_SUFFIXES[1:]:
                if matching_id.endswith(suffix):
                    matching_id = matching_id[: -len(suffix)]
            options: dict[str, Any] = {}
            side = directory / f"{matching_id}.json"
            if side.exists():
                try:
                    options = json.loads(side.read_text("utf-8"))
                except (OSError, ValueError) as exc:
                    raise SmdpConfigError(
                        msg_id="simulator.smdp.sidecar-unreadable",
                        params={"path": str(side), "error": str(exc)},
                    ) from None
                unknown = set(options) - {"confirmation_code", "reusable", "eid", "iccid", "name"}
                if unknown:
                    raise SmdpConfigError(
                        msg_id="simulator.smdp.sidecar-unknown-keys",
                        params={"path": str(side), "keys": sorted(unknown)},
                    )
            added.append(
                self.add_profile(
                    matching_id,
                    path.read_bytes(),
                    confirmation_code=options.get("confirmation_code", confirmation_code),
                    reusable=bool(options.get("reusable", reusable)),
                    eid=options.get("eid"),
                    iccid=options.get("iccid"),
                    name=options.get("name"),
                )
            )
        return added

    def announce(self, matching_id: str, eid: str | None = None) -> None:
        """Register an event for an order with the SM-DS (ES12.RegisterEvent, SGP.22 3.6.1).

        The event ID is the matching ID, as the LPA downloads with the event ID; the order is
        bound to ``eid`` (or the EID it already names). The event is deleted again once the
        profile is installed. Needs ``smds`` and the SM-DP+'s address (set by start()).
        """
        order = self.orders.get(matching_id)
        if order is None:
            raise SmdpConfigError(
                msg_id="simulator.smdp.no-order", params={"matching_id": matching_id}
            )
        if self.smds is None or self.address is None:
            raise SmdpConfigError(msg_id="simulator.smdp.announce-needs-smds")
        order.eid = eid or order.eid
        if order.eid is None:
            raise SmdpConfigError(
                msg_id="simulator.smdp.order-no-eid", params={"matching_id": matching_id}
            )
        try:
            self.smds.register_event(order.eid, self.address, matching_id)
        except ValueError as exc:
            raise SmdpConfigError(
                msg_id="simulator.smdp.smds-refused",
                params={
                    "error": str(exc),
                    "error_said": exc.message_json() if isinstance(exc, SimspotError) else None,
                },
            ) from None
        self._announced.add(matching_id)

    def activation_code(self, matching_id: str, *, with_cc_flag: bool = True) -> str:
        """The activation code text (SGP.22 4.1) for one order."""
        if self.address is None:
            raise SmdpConfigError(msg_id="simulator.smdp.no-address")
        order = self.orders[matching_id]
        code = f"LPA:1${self.address}${matching_id}"
        if with_cc_flag and order.confirmation_code:
            code += "$$1"
        return code

    # -- ES9+ functions (pure: dict in, dict out, Es9Failure on refusal) -------------------

    def initiate_authentication(self, body: dict[str, Any]) -> dict[str, Any]:
        """ES9+.InitiateAuthentication (SGP.22 5.6.1)."""
        address = _text(body, "smdpAddress", "8.8.1")
        if not self._own_address(address):
            raise Es9Failure("8.8.1", "3.8", f"this SM-DP+ is not {address}")
        challenge, info1 = _challenge_and_info1(body)
        ours = {pki.subject_key_id(c): c for c in self.credentials.ci}
        signing = [k for k in info1["euiccCiPKIdListForSigning"] if k in ours]
        if not signing:
            raise Es9Failure("8.8.2", "3.1", "none of the eUICC's CIs is supported")
        dpauth_ci = pki.authority_key_id(self.credentials.dpauth.cert)
        if dpauth_ci not in info1["euiccCiPKIdListForVerification"]:
            raise Es9Failure("8.8.4", "3.7", "no DPauth certificate the eUICC can verify")
        tid = secrets.token_bytes(16)
        server_challenge = secrets.token_bytes(16)
        signed1 = codec.encode(
            "ServerSigned1",
            {
                "transactionId": tid,
                "euiccChallenge": challenge,
                "serverAddress": address,
                "serverChallenge": server_challenge,
            },
        )
        signature = self.credentials.dpauth.sign(signed1)
        ci = ours[dpauth_ci] if dpauth_ci in ours else ours[signing[0]]
        while len(self._sessions) >= MAX_SESSIONS:  # forget the oldest abandoned sessions
            self._sessions.pop(next(iter(self._sessions)))
        self._sessions[tid.hex().upper()] = _Session(
            transaction_id=tid,
            server_challenge=server_challenge,
            euicc_challenge=challenge,
            address=address,
            ci=ci,
        )
        return {
            "transactionId": tid.hex().upper(),
            "serverSigned1": _enc(signed1),
            "serverSignature1": _enc(_sig_tlv(signature)),
            "euiccCiPKIdToBeUsed": _enc(bsp.tlv(0x04, dpauth_ci or b"")),
            "serverCertificate": _enc(self.credentials.dpauth.der),
        }

    def _session(self, body: dict[str, Any], stage: str | None = None) -> _Session:
        tid = _text(body, "transactionId", "8.10.1").upper()
        session = self._sessions.get(tid)
        if session is None or (stage is not None and session.stage != stage):
            raise Es9Failure("8.10.1", "3.9", "unknown transaction ID")
        return session

    def authenticate_client(self, body: dict[str, Any]) -> dict[str, Any]:
        """ES9+.AuthenticateClient (SGP.22 5.6.3)."""
        session = self._session(body, "initiated")
        raw = _b64(body, "authenticateServerResponse", "8.1")
        try:
            response = codec.decode("AuthenticateServerResponse", raw)
        except DecodeError:
            raise Es9Failure("8.1", "2.1", "authenticateServerResponse does not decode") from None
        kind, ok = response
        if kind != "authenticateResponseOk":
            self._drop(session)
            raise Es9Failure(
                "8.1", "6.1", f"the eUICC refused: error {ok['authenticateErrorCode']}"
            )
        signed1_raw = _first_child(raw, "authenticateResponseOk")
        signed1 = ok["euiccSigned1"]
        if signed1["transactionId"] != session.transaction_id:
            raise Es9Failure("8.10.1", "3.9", "the signed transaction ID differs")
        now = dt.datetime.now(dt.UTC)
        eum = _load_cert(ok["eumCertificate"], "8.1.2")
        euicc = _load_cert(ok["euiccCertificate"], "8.1.3")
        if pki.authority_key_id(eum) != pki.subject_key_id(session.ci):
            raise Es9Failure("8.11.1", "3.9", "the eUICC chain ends at another CI")
        _verify(eum, [], session.ci, pki.ROLE_EUM, "8.1.2", now)
        _verify(euicc, [eum], session.ci, pki.ROLE_EUICC, "8.1.3", now)
        euicc_key = pki.cert_public_key(euicc)
        if not pki.verify_raw(euicc_key, ok["euiccSignature1"], signed1_raw):
            raise Es9Failure("8.1", "6.1", "euiccSignature1 does not verify")
        if signed1["serverChallenge"] != session.server_challenge:
            raise Es9Failure("8.1", "6.1", "the server challenge does not match")
        try:
            eid = pki.eid_of(euicc)
        except PkiError:
            raise Es9Failure("8.1.3", "6.1", "the eUICC certificate names no EID") from None
        kind, ctx = signed1["ctxParams1"]
        matching_id = ctx.get("matchingId")
        if not matching_id:
            raise Es9Failure("8.2.6", "3.8", "no matching ID and no pending order for this EID")
        order = self.orders.get(matching_id)
        if order is None:
            raise Es9Failure("8.2.6", "3.8", "unknown matching ID")
        if order.eid is not None and order.eid != eid:
            raise Es9Failure("8.1.1", "3.8", "this order is for another EID")
        if order.consumed:
            raise Es9Failure("8.8.5", "6.4", "this single-use order was already downloaded")
        if order.locked:
            raise Es9Failure("8.2.7", "6.4", "too many wrong confirmation codes")
        session.euicc_cert, session.eid, session.order = euicc, eid, order
        metadata = self._metadata(order)
        signed2 = codec.encode(
            "SmdpSigned2",
            {
                "transactionId": session.transaction_id,
                "ccRequiredFlag": bool(order.confirmation_code),
            },
        )
        signature2 = self.credentials.dppb.sign(signed2 + _sig_tlv(ok["euiccSignature1"]))
        session.smdp_signature2 = signature2
        session.metadata = metadata
        session.stage = "authenticated"
        return {
            "transactionId": session.transaction_id.hex().upper(),
            "profileMetadata": _enc(metadata),
            "smdpSigned2": _enc(signed2),
            "smdpSignature2": _enc(_sig_tlv(signature2)),
            "smdpCertificate": _enc(self.credentials.dppb.der),
        }

    def _metadata(self, order: Order) -> bytes:
        address = self.address or ""
        config = [
            {
                "profileManagementOperation": (bytes([0x80 >> i]), i + 1),
                "notificationAddress": address,
            }
            for i in range(4)
        ]
        return codec.encode(
            "StoreMetadataRequest",
            {
                "iccid": iccid_to_bytes(order.iccid),
                "serviceProviderName": order.service_provider[:32],
                "profileName": (order.profile_name or order.matching_id)[:64],
                "profileClass": order.profile_class,
                "notificationConfigurationInfo": config,
            },
        )

    def get_bound_profile_package(self, body: dict[str, Any]) -> dict[str, Any]:
        """ES9+.GetBoundProfilePackage (SGP.22 5.6.2)."""
        session = self._session(body, "authenticated")
        order, cert = session.order, session.euicc_cert
        if order is None or cert is None or session.smdp_signature2 is None:
            raise Es9Failure("8.10.1", "3.9", "the session is not authenticated")
        raw = _b64(body, "prepareDownloadResponse", "8.1")
        try:
            kind, value = codec.decode("PrepareDownloadResponse", raw)
        except DecodeError:
            raise Es9Failure("8.1", "2.1", "prepareDownloadResponse does not decode") from None
        if kind != "downloadResponseOk":
            self._drop(session)
            raise Es9Failure("8.1", "6.1", f"the eUICC refused: error {value['downloadErrorCode']}")
        signed2_raw = _first_child(raw, "downloadResponseOk")
        data = signed2_raw + _sig_tlv(session.smdp_signature2)
        if not pki.verify_raw(pki.cert_public_key(cert), value["euiccSignature2"], data):
            raise Es9Failure("8.1", "6.1", "euiccSignature2 does not verify")
        signed2 = value["euiccSigned2"]
        if signed2["transactionId"] != session.transaction_id:
            raise Es9Failure("8.10.1", "3.9", "the signed transaction ID differs")
        if order.confirmation_code is not None:
            if order.locked:
                raise Es9Failure("8.2.7", "6.4", "too many wrong confirmation codes")
            given = signed2.get("hashCc")
            if given is None:
                raise Es9Failure("8.2.7", "2.2", "a confirmation code is required")
            expected = hash_confirmation_code(order.confirmation_code, session.transaction_id)
            if not hmac.compare_digest(given, expected):
                order.cc_failures += 1
                if order.locked:
                    raise Es9Failure("8.2.7", "6.4", "wrong confirmation code, attempts exhausted")
                raise Es9Failure("8.2.7", "3.8", "wrong confirmation code")
        if order.consumed:
            raise Es9Failure("8.8.5", "6.4", "this single-use order was already downloaded")
        bpp = self._bind(session, order, signed2["euiccOtpk"])
        order.delivered += 1
        session.stage = "bound"
        return {
            "transactionId": session.transaction_id.hex().upper(),
            "boundProfilePackage": _enc(bpp),
        }

    def _bind(self, session: _Session, order: Order, euicc_otpk: bytes) -> bytes:
        otk, otpk = bsp.new_one_time_key()
        try:
            secret = bsp.ecka(otk, euicc_otpk)
        except bsp.BspError:
            raise Es9Failure("8.1", "6.1", "euiccOtpk is not a valid P-256 point") from None
        host_id = secrets.token_bytes(16)
        eid = bytes.fromhex(session.eid or "")
        keys = bsp.derive_session_keys(secret, host_id, eid)
        fields = {
            "remoteOpId": 1,
            "transactionId": session.transaction_id,
            "controlRefTemplate": {
                "keyType": bytes([bsp.KEY_TYPE_AES]),
                "keyLen": bytes([bsp.KEY_LENGTH_128]),
                "hostId": host_id,
            },
            "smdpOtpk": otpk,
            "smdpSign": bytes(64),
        }
        unsigned = codec.encode("InitialiseSecureChannelRequest", fields)
        _, start, _ = codec.read_tlv(unsigned)
        covered = unsigned[start : len(unsigned) - 67]  # everything before '5F37 40 <64 bytes>'
        fields["smdpSign"] = self.credentials.dppb.sign(covered + bsp.tlv(b"\x5f\x49", euicc_otpk))
        init = codec.encode("InitialiseSecureChannelRequest", fields)
        configure = codec.encode(
            "ConfigureISDPRequest", {"dpProprietaryData": {"dpOid": self.credentials.oid}}
        )
        metadata = session.metadata or self._metadata(order)
        if self.use_ppk:
            ppk = bsp.SessionKeys(
                secrets.token_bytes(16), secrets.token_bytes(16), secrets.token_bytes(16)
            )
            rsk = codec.encode(
                "ReplaceSessionKeysRequest",
                {
                    "initialMacChainingValue": ppk.initial_mcv,
                    "ppkEnc": ppk.s_enc,
                    "ppkCmac": ppk.s_mac,
                },
            )
            parts = bsp.protect_bpp(
                keys,
                configure,
                metadata,
                order.package,
                replace_session_keys=rsk,
                ppk=ppk,
                segment_plaintext=self.segment_plaintext,
            )
        else:
            parts = bsp.protect_bpp(
                keys, configure, metadata, order.package, segment_plaintext=self.segment_plaintext
            )
        return bsp.assemble_bpp(init, parts)

    def cancel_session(self, body: dict[str, Any]) -> dict[str, Any]:
        """ES9+.CancelSession (SGP.22 5.6.5)."""
        session = self._session(body)
        raw = _b64(body, "cancelSessionResponse", "8.1")
        try:
            kind, value = codec.decode("CancelSessionResponse", raw)
        except DecodeError:
            raise Es9Failure("8.1", "2.1", "cancelSessionResponse does not decode") from None
        tid = session.transaction_id.hex().upper()
        if kind != "cancelSessionResponseOk":
            # The eUICC lost the session (reset): nothing is signed, but nothing is lost either.
            self.cancellations.append(Cancellation(tid, None, verified=False))
            self._drop(session)
            return {}
        signed = value["euiccCancelSessionSigned"]
        if session.euicc_cert is not None:
            signed_raw = _first_child(raw, "cancelSessionResponseOk")
            key = pki.cert_public_key(session.euicc_cert)
            if not pki.verify_raw(key, value["euiccCancelSessionSignature"], signed_raw):
                raise Es9Failure("8.1", "6.1", "euiccCancelSessionSignature does not verify")
        if signed["smdpOid"] != self.credentials.oid:
            raise Es9Failure("8.8", "3.10", "the SM-DP+ OID does not match")
        if signed["transactionId"] != session.transaction_id:
            raise Es9Failure("8.10.1", "3.9", "the signed transaction ID differs")
        self.cancellations.append(
            Cancellation(tid, signed["reason"], verified=session.euicc_cert is not None)
        )
        self._drop(session)
        return {}

    def _drop(self, session: _Session) -> None:
        """End a session; a BPP handed out in it no longer counts as downloaded."""
        if session.stage == "bound" and session.order is not None:
            session.order.delivered = max(0, session.order.delivered - 1)
        self._sessions.pop(session.transaction_id.hex().upper(), None)

    def handle_notification(self, body: dict[str, Any]) -> None:
        """ES9+.HandleNotification (SGP.22 5.6.4): record it; no response body."""
        raw = _b64(body, "pendingNotification", "8.1")
        try:
            kind, value = codec.decode("PendingNotification", raw)
        except DecodeError:
            raise Es9Failure("8.1", "2.1", "pendingNotification does not decode") from None
        if kind == "profileInstallationResult":
            self._install_result(raw, value)
            return
        tbs = value["tbsOtherNotification"]
        verified = False
        try:
            cert = load_der_certificate(value["euiccCertificate"])
            eum = load_der_certificate(value["eumCertificate"])
            pki.verify_chain(cert, [eum], self.credentials.ci, pki.ROLE_EUICC)
            tbs_raw = _first_child(raw, None)
            verified = pki.verify_raw(
                pki.cert_public_key(cert), value["euiccNotificationSignature"], tbs_raw
            )
        except (ValueError, x509.InvalidVersion, PkiError):
            verified = False
        ops = _operations(tbs["profileManagementOperation"])
        self.notifications.append(
            ReceivedNotification(
                kind=ops[0] if ops else "unknown",
                seq=tbs["seqNumber"],
                iccid=_iccid(tbs.get("iccid")),
                transaction_id=None,
                success=None,
                error=None,
                verified=verified,
                raw=raw,
            )
        )

    def _install_result(self, raw: bytes, value: dict[str, Any]) -> None:
        data = value["profileInstallationResultData"]
        tid = data["transactionId"].hex().upper()
        session = self._sessions.get(tid)
        verified = False
        if session is not None and session.euicc_cert is not None:
            _, start, _ = codec.read_tlv(raw)
            _, _, end = codec.read_tlv(raw, start)
            verified = pki.verify_raw(
                pki.cert_public_key(session.euicc_cert), value["euiccSignPIR"], raw[start:end]
            )
        kind, result = data["finalResult"]
        success = kind == "successResult"
        if session is not None and verified:
            if success and session.order is not None:
                session.order.installed += 1
                self._sessions.pop(tid, None)
                matching_id = session.order.matching_id
                if self.smds is not None and matching_id in self._announced:
                    self._announced.discard(matching_id)
                    self.smds.delete_event(matching_id)  # ES12.DeleteEvent: delivered
            elif not success:
                self._drop(session)
        meta = data["notificationMetadata"]
        self.notifications.append(
            ReceivedNotification(
                kind="install",
                seq=meta["seqNumber"],
                iccid=_iccid(meta.get("iccid")),
                transaction_id=tid,
                success=success,
                error=None if success else (result["bppCommandId"], result["errorReason"]),
                verified=verified,
                raw=raw,
            )
        )

    # -- HTTP -----------------------------------------------------------------------------

    def functions(self) -> dict[str, Callable[[dict[str, Any]], dict[str, Any] | None]]:
        return {
            "initiateAuthentication": self.initiate_authentication,
            "authenticateClient": self.authenticate_client,
            "getBoundProfilePackage": self.get_bound_profile_package,
            "handleNotification": self.handle_notification,
            "cancelSession": self.cancel_session,
        }


# -- helpers ----------------------------------------------------------------------------------


def _iccid_for(matching_id: str) -> str:
    return make_iccid(int.from_bytes(hashlib.sha256(matching_id.encode()).digest()[:5], "big"))


def _iccid(value: bytes | None) -> str | None:
    return iccid_from_bytes(value) if value else None


def _operations(bits: tuple[bytes, int]) -> list[str]:
    names = ("install", "enable", "disable", "delete")
    data, n = bits
    return [names[i] for i in range(min(n, 4)) if data and data[0] & (0x80 >> i)]


def _sig_tlv(signature: bytes) -> bytes:
    return bsp.tlv(b"\x5f\x37", signature)


def _enc(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _text(body: dict[str, Any], key: str, subject: str) -> str:
    value = body.get(key)
    if not isinstance(value, str) or not value:
        raise Es9Failure(subject, "2.2", f"{key} is missing")
    return value


def _challenge_and_info1(body: dict[str, Any]) -> tuple[bytes, dict[str, Any]]:
    """The eUICC challenge and EUICCInfo1 of an InitiateAuthentication (ES9+ 5.6.1, ES11
    5.8.1), checked alike by the test SM-DP+ and the test SM-DS."""
    challenge = _b64(body, "euiccChallenge", "8.1")
    if len(challenge) != 16:
        raise Es9Failure("8.1", "2.1", "euiccChallenge must be 16 bytes")
    try:
        info1: dict[str, Any] = codec.decode("EUICCInfo1", _b64(body, "euiccInfo1", "8.1"))
    except DecodeError:
        raise Es9Failure("8.1", "2.1", "euiccInfo1 does not decode") from None
    if info1["svn"][0] != 2:
        raise Es9Failure("8.8.3", "3.1", f"SGP.22 version {info1['svn'].hex()} unsupported")
    return challenge, info1


def _b64(body: dict[str, Any], key: str, subject: str) -> bytes:
    text = _text(body, key, subject)
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise Es9Failure(subject, "2.1", f"{key} is not base64") from None


def _first_child(raw: bytes, choice: str | None) -> bytes:
    """The raw first TLV inside the outer TLV (inside the CHOICE's SEQUENCE if ``choice``)."""
    _, start, end = codec.read_tlv(raw)
    if choice is not None:
        _, start, end = codec.read_tlv(raw, start)
    _, _, child_end = codec.read_tlv(raw[:end], start)
    return raw[start:child_end]


def _load_cert(der: bytes, subject: str) -> x509.Certificate:
    """Parse a certificate from the eUICC, all of it: cryptography parses extensions and the key
    lazily, so a corrupt one would otherwise fail later, outside any SGP.22 answer."""
    try:
        cert = load_der_certificate(der)
        _ = cert.extensions
        pki.cert_public_key(cert)
    except (ValueError, x509.InvalidVersion, PkiError):
        raise Es9Failure(subject, "6.1", "the certificate does not parse") from None
    return cert


def _verify(
    cert: x509.Certificate,
    intermediates: list[x509.Certificate],
    ci: x509.Certificate,
    role: x509.ObjectIdentifier,
    subject: str,
    now: dt.datetime,
) -> None:
    if not cert.not_valid_before_utc <= now <= cert.not_valid_after_utc:
        raise Es9Failure(subject, "6.3", "the certificate has expired")
    try:
        pki.verify_chain(cert, intermediates, [ci], role, now=now)
    except PkiError as exc:
        raise Es9Failure(subject, "6.1", str(exc)) from None


def _failed(subject: str, reason: str, message: str) -> bytes:
    return json.dumps(
        {
            "header": {
                "functionExecutionStatus": {
                    "status": "Failed",
                    "statusCodeData": {
                        "subjectCode": subject,
                        "reasonCode": reason,
                        "message": message,
                    },
                }
            }
        }
    ).encode()


async def _send(send: Any, status: int, body: bytes) -> None:
    headers = [(b"x-admin-protocol", ADMIN_PROTOCOL.encode())]
    if body:
        headers.append((b"content-type", b"application/json;charset=UTF-8"))
    headers.append((b"content-length", str(len(body)).encode()))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
