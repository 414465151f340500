"""A test SM-DS: ES11 discovery (SGP.22 5.8) over HTTPS, with the event records SM-DP+s register.

An event record says "the eUICC with this EID has a profile waiting at this SM-DP+, under this
event ID" (SGP.22 3.6). `register_event` and `delete_event` are ES12.RegisterEvent and
ES12.DeleteEvent, called in-process: a `TestSmdp` given this SM-DS announces an order for an EID
(`TestSmdp.announce`) and deletes the event once the profile is installed. The LPA then finds the
event with ES11 and downloads with the event ID as matching ID.

ES11 works like the start of ES9+: InitiateAuthentication (the SM-DS signs serverSigned1 with its
CERT.DSauth) and AuthenticateClient (it checks the eUICC's signature and certificate chain and
answers the event entries for that eUICC's EID). Refusals, as SGP.22 5.8 codes them:

    initiateAuthentication   8.9.1/3.8 wrong SM-DS address, 8.8.2/3.1 no common CI,
                             8.8.3/3.1 unsupported SVN, 8.8.4/3.7 no DSauth cert the eUICC trusts
    authenticateClient       8.10.1/3.9 unknown transaction, 8.11.1/3.9 unknown CI,
                             8.1.2/6.1|6.3 EUM cert bad|expired, 8.1.3/6.1|6.3 eUICC cert
                             bad|expired, 8.1/6.1 eUICC signature or server challenge wrong

`start()` serves it like the test SM-DP+ (`RspServer`), the TLS certificate being CERT.DS.TLS.
"""

from __future__ import annotations

import datetime as dt
import secrets
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from cryptography import x509

from simspot.esim import codec
from simspot.esim.errors import DecodeError
from simspot.simulator import pki
from simspot.simulator.pki import PkiError, SmdsCredentials
from simspot.simulator.smdp import (
    MAX_SESSIONS,
    Es9Failure,
    RspServer,
    _b64,
    _challenge_and_info1,
    _enc,
    _first_child,
    _load_cert,
    _sig_tlv,
    _text,
    _verify,
)

ES11_PATH = "/gsma/rsp2/es11/"


@dataclass(frozen=True)
class EventRecord:
    """One event (SGP.22 3.6): a profile for ``eid`` waits at ``smdp_address``."""

    event_id: str
    eid: str
    smdp_address: str
    registered: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.UTC))

    def entry(self) -> dict[str, str]:
        """As ES11.AuthenticateClient lists it (eventEntries)."""
        return {"eventId": self.event_id, "rspServerAddress": self.smdp_address}


@dataclass
class _Session:
    transaction_id: bytes
    server_challenge: bytes
    ci: x509.Certificate


class TestSmds(RspServer):
    """The SM-DS state (event records) and the two ES11 functions; serve with start()/stop()."""

    __test__ = False  # not a pytest class

    path = ES11_PATH
    kind = "ES11"
    what = "the test SM-DS"

    def __init__(
        self,
        credentials: SmdsCredentials,
        *,
        address: str | None = None,
        events: Iterable[EventRecord] = (),
    ) -> None:
        super().__init__(credentials.tls, credentials.tls_chain, address)
        self.credentials = credentials
        self._events: dict[str, EventRecord] = {e.event_id: e for e in events}
        self._events_lock = threading.Lock()  # ES12 may come from another thread's SM-DP+
        self._sessions: dict[str, _Session] = {}
        self.lookups: list[tuple[str, list[str]]] = []  # (EID, event IDs answered), for tests

    def functions(self) -> dict[str, Callable[[dict[str, Any]], dict[str, Any] | None]]:
        return {
            "initiateAuthentication": self.initiate_authentication,
            "authenticateClient": self.authenticate_client,
        }

    # -- ES12: event records ---------------------------------------------------------------

    def register_event(
        self, eid: str, smdp_address: str, event_id: str | None = None
    ) -> EventRecord:
        """ES12.RegisterEvent: a profile for ``eid`` waits at ``smdp_address``."""
        if not pki.is_valid_eid(eid):
            raise ValueError(f"{eid!r} is not an EID (32 digits, mod 97 check)")
        if not smdp_address or any(c.isspace() for c in smdp_address):
            raise ValueError(f"{smdp_address!r} is not an SM-DP+ address")
        record = EventRecord(event_id or secrets.token_hex(8).upper(), eid, smdp_address)
        with self._events_lock:
            self._events[record.event_id] = record
        return record

    def delete_event(self, event_id: str) -> bool:
        """ES12.DeleteEvent; False when there was no such event."""
        with self._events_lock:
            return self._events.pop(event_id, None) is not None

    def events_for(self, eid: str) -> list[EventRecord]:
        with self._events_lock:
            return [e for e in self._events.values() if e.eid == eid]

    @property
    def events(self) -> list[EventRecord]:
        with self._events_lock:
            return list(self._events.values())

    # -- ES11 (pure: dict in, dict out, Es9Failure on refusal) -------------------------------

    def initiate_authentication(self, body: dict[str, Any]) -> dict[str, Any]:
        """ES11.InitiateAuthentication (SGP.22 5.8.1)."""
        address = _text(body, "smdsAddress", "8.9.1")
        if not self._own_address(address):
            raise Es9Failure("8.9.1", "3.8", f"this SM-DS is not {address}")
        challenge, info1 = _challenge_and_info1(body)
        ours = {pki.subject_key_id(c): c for c in self.credentials.ci}
        if not any(k in ours for k in info1["euiccCiPKIdListForSigning"]):
            raise Es9Failure("8.8.2", "3.1", "none of the eUICC's CIs is supported")
        auth_ci = pki.authority_key_id(self.credentials.dsauth.cert)
        if auth_ci is None or auth_ci not in info1["euiccCiPKIdListForVerification"]:
            raise Es9Failure("8.8.4", "3.7", "no DSauth certificate the eUICC can verify")
        tid, server_challenge = secrets.token_bytes(16), secrets.token_bytes(16)
        signed1 = codec.encode(
            "ServerSigned1",
            {
                "transactionId": tid,
                "euiccChallenge": challenge,
                "serverAddress": address,
                "serverChallenge": server_challenge,
            },
        )
        while len(self._sessions) >= MAX_SESSIONS:
            self._sessions.pop(next(iter(self._sessions)))
        self._sessions[tid.hex().upper()] = _Session(tid, server_challenge, ours[auth_ci])
        return {
            "transactionId": tid.hex().upper(),
            "serverSigned1": _enc(signed1),
            "serverSignature1": _enc(_sig_tlv(self.credentials.dsauth.sign(signed1))),
            "euiccCiPKIdToBeUsed": _enc(b"\x04" + bytes([len(auth_ci)]) + auth_ci),
            "serverCertificate": _enc(self.credentials.dsauth.der),
        }

    def authenticate_client(self, body: dict[str, Any]) -> dict[str, Any]:
        """ES11.AuthenticateClient (SGP.22 5.8.2): the event entries for the eUICC's EID."""
        tid_text = _text(body, "transactionId", "8.10.1").upper()
        session = self._sessions.pop(tid_text, None)
        if session is None:
            raise Es9Failure("8.10.1", "3.9", "unknown transaction ID")
        raw = _b64(body, "authenticateServerResponse", "8.1")
        try:
            kind, ok = codec.decode("AuthenticateServerResponse", raw)
        except DecodeError:
            raise Es9Failure("8.1", "2.1", "authenticateServerResponse does not decode") from None
        if kind != "authenticateResponseOk":
            raise Es9Failure(
                "8.1", "6.1", f"the eUICC refused: error {ok['authenticateErrorCode']}"
            )
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
        signed1_raw = _first_child(raw, "authenticateResponseOk")
        if not pki.verify_raw(pki.cert_public_key(euicc), ok["euiccSignature1"], signed1_raw):
            raise Es9Failure("8.1", "6.1", "euiccSignature1 does not verify")
        if signed1["serverChallenge"] != session.server_challenge:
            raise Es9Failure("8.1", "6.1", "the server challenge does not match")
        try:
            eid = pki.eid_of(euicc)
        except PkiError:
            raise Es9Failure("8.1.3", "6.1", "the eUICC certificate names no EID") from None
        found = self.events_for(eid)
        self.lookups.append((eid, [e.event_id for e in found]))
        return {
            "transactionId": session.transaction_id.hex().upper(),
            "eventEntries": [e.entry() for e in found],
        }
