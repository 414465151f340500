"""ES11 discovery: the test SM-DS over real HTTPS with events the test SM-DP+ registers, and a
fake SM-DS (an httpx mock at the HTTP edge) for what a well-behaved one never does."""

from __future__ import annotations

import base64
import json
import secrets
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from cryptography.hazmat.primitives.serialization import Encoding

from simspot.esim import codec
from simspot.esim.activation import parse
from simspot.esim.errors import EsimError, EuiccResultError, SmdpError
from simspot.esim.es9 import EventEntry
from simspot.esim.lpa import Lpa, LpaOptions
from simspot.simulator.euicc import VirtualCardTransport, VirtualEuicc
from simspot.simulator.pki import TestPki
from simspot.simulator.profiles import make_iccid, sample_profile
from simspot.simulator.smdp import Es9Failure, Fault, TestSmdp
from simspot.simulator.smds import TestSmds

OK = {"header": {"functionExecutionStatus": {"status": "Executed-Success"}}}


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


class FakeSmds:
    """Signs ServerSigned1 with the test PKI's authentication key and answers event entries."""

    def __init__(self, pki: TestPki, address: str, *, sign_with: TestPki | None = None) -> None:
        self.pki = pki
        self.address = address
        self.signer = (sign_with or pki).dpauth
        self.requests: list[tuple[str, dict[str, str]]] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        name = request.url.path.rsplit("/", 1)[-1]
        self.requests.append((name, body))
        assert request.url.path.startswith("/gsma/rsp2/es11/")
        if name == "initiateAuthentication":
            tid = secrets.token_bytes(16)
            signed = codec.encode(
                "ServerSigned1",
                {
                    "transactionId": tid,
                    "euiccChallenge": base64.b64decode(body["euiccChallenge"]),
                    "serverAddress": self.address,
                    "serverChallenge": secrets.token_bytes(16),
                },
            )
            return httpx.Response(
                200,
                json={
                    **OK,
                    "transactionId": tid.hex().upper(),
                    "serverSigned1": b64(signed),
                    "serverSignature1": b64(b"\x5f\x37\x40" + self.signer.sign(signed)),
                    "euiccCiPKIdToBeUsed": b64(b"\x04\x14" + self.pki.ci.ski),
                    "serverCertificate": b64(self.pki.dpauth.der),
                },
            )
        kind, _ = codec.decode(
            "AuthenticateServerResponse", base64.b64decode(body["authenticateServerResponse"])
        )
        if kind != "authenticateResponseOk":
            return httpx.Response(
                200,
                json={
                    "header": {
                        "functionExecutionStatus": {
                            "status": "Failed",
                            "statusCodeData": {"subjectCode": "8.1", "reasonCode": "6.1"},
                        }
                    }
                },
            )
        return httpx.Response(
            200,
            json={
                **OK,
                "eventEntries": [{"eventId": "EVENT-1", "rspServerAddress": "smdp.example.com"}],
            },
        )


@pytest.fixture
def card(pki: TestPki) -> VirtualEuicc:
    return VirtualEuicc(pki.euicc_credentials(), root_ds_address="smds.example.com")


async def test_discover_on_the_root_smds(pki: TestPki, card: VirtualEuicc) -> None:
    smds = FakeSmds(pki, "smds.example.com")
    lpa = Lpa(VirtualCardTransport(card), LpaOptions(), http_transport=httpx.MockTransport(smds))
    events = await lpa.discover()
    assert events == [EventEntry("EVENT-1", "smdp.example.com")]
    assert [name for name, _ in smds.requests] == ["initiateAuthentication", "authenticateClient"]
    assert smds.requests[0][1]["smdsAddress"] == "smds.example.com"  # ES11 names it so


async def test_discover_refuses_a_forged_smds(pki: TestPki, card: VirtualEuicc) -> None:
    smds = FakeSmds(pki, "other.example.com", sign_with=TestPki.generate())
    lpa = Lpa(VirtualCardTransport(card), LpaOptions(), http_transport=httpx.MockTransport(smds))
    with pytest.raises(EuiccResultError, match="could not verify the SM-DP\\+ signature"):
        await lpa.discover("other.example.com")
    assert [name for name, _ in smds.requests] == ["initiateAuthentication"]
    assert not card.session_in_progress


async def test_discover_reports_smds_refusal(pki: TestPki, card: VirtualEuicc) -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        return httpx.Response(
            200,
            json={
                "header": {
                    "functionExecutionStatus": {
                        "status": "Failed",
                        "statusCodeData": {"subjectCode": "8.8.2", "reasonCode": "3.1"},
                    }
                }
            },
        )

    lpa = Lpa(VirtualCardTransport(card), LpaOptions(), http_transport=httpx.MockTransport(refuse))
    with pytest.raises(SmdpError, match="security configurations"):
        await lpa.discover()


# --- the test SM-DS (simspot.simulator.smds) over HTTPS ----------------------------------------


@dataclass
class Peers:
    smds: TestSmds
    smdp: TestSmdp
    card: VirtualEuicc
    lpa: Lpa


@pytest.fixture
async def peers(pki: TestPki, tmp_path: Path) -> AsyncIterator[Peers]:
    ci = tmp_path / "ci.pem"
    ci.write_bytes(pki.ci.cert.public_bytes(Encoding.PEM))
    smds = TestSmds(pki.smds_credentials())
    smdp = TestSmdp(pki.smdp_credentials())
    smdp.smds = smds
    await smds.start("127.0.0.1", 0)
    await smdp.start("127.0.0.1", 0)
    try:
        card = VirtualEuicc(pki.euicc_credentials(), root_ds_address=smds.address or "")
        lpa = Lpa(VirtualCardTransport(card), LpaOptions(extra_ca_files=[ci]))
        yield Peers(smds, smdp, card, lpa)
    finally:
        await smdp.stop()
        await smds.stop()


async def test_discovery_finds_the_event_the_smdp_registered_then_downloads(
    peers: Peers,
) -> None:
    package = sample_profile(4096, iccid=make_iccid(71))
    peers.smdp.add_profile("EVENT-71", package)
    peers.smdp.add_profile("FOR-SOMEONE-ELSE", sample_profile(2048, iccid=make_iccid(72)))
    peers.smdp.announce("EVENT-71", eid=peers.card.eid)
    other_eid = TestPki.generate().eid
    peers.smdp.announce("FOR-SOMEONE-ELSE", eid=other_eid)

    events = await peers.lpa.discover()  # the card's root SM-DS
    assert events == [EventEntry("EVENT-71", peers.smdp.address or "")]
    assert peers.smds.calls == ["initiateAuthentication", "authenticateClient"]
    assert peers.smds.lookups == [(peers.card.eid, ["EVENT-71"])]

    # SGP.22 3.6: download from the event's SM-DP+ with the event ID as matching ID
    (event,) = events
    code = parse(f"LPA:1${event.rsp_server_address}${event.event_id}")
    result = await peers.lpa.download(code)
    assert result.iccid == make_iccid(71)
    assert peers.card.export_profile(make_iccid(71)) == package
    # delivered: the SM-DP+ deleted its event (ES12), the other EID's stays
    assert [e.event_id for e in peers.smds.events] == ["FOR-SOMEONE-ELSE"]
    assert await peers.lpa.discover() == []


async def test_the_smds_refuses_a_wrong_address_and_an_unknown_transaction(
    peers: Peers,
) -> None:
    with pytest.raises(Es9Failure) as info:
        peers.smds.initiate_authentication({"smdsAddress": "smds.elsewhere.example"})
    assert (info.value.subject, info.value.reason) == ("8.9.1", "3.8")
    with pytest.raises(Es9Failure) as info:
        peers.smds.authenticate_client(
            {"transactionId": "00" * 16, "authenticateServerResponse": ""}
        )
    assert (info.value.subject, info.value.reason) == ("8.10.1", "3.9")
    # a refusal on the wire reaches the user as its sentence; the card keeps no session
    peers.smds.inject(Fault("initiateAuthentication", status=("8.9.1", "3.8")))
    with pytest.raises(SmdpError, match=r"SM-DS address is not valid for this server"):
        await peers.lpa.discover()
    assert not peers.card.session_in_progress
    with pytest.raises(EsimError, match="cannot connect"):
        await peers.lpa.discover("localhost:1")  # nothing listens there


def test_event_records_are_checked(pki: TestPki) -> None:
    smds = TestSmds(pki.smds_credentials())
    with pytest.raises(ValueError, match="not an EID"):
        smds.register_event("1234", "smdp.example")
    with pytest.raises(ValueError, match="not an SM-DP\\+ address"):
        smds.register_event(pki.eid, "smdp example")
    record = smds.register_event(pki.eid, "smdp.example")
    assert len(record.event_id) == 16 and smds.events_for(pki.eid) == [record]
    assert smds.delete_event(record.event_id) and not smds.delete_event(record.event_id)
