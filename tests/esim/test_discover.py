"""ES11 discovery against a fake SM-DS (an httpx mock at the HTTP edge) and the virtual eUICC."""

from __future__ import annotations

import base64
import json
import secrets

import httpx
import pytest

from simspot.esim import codec
from simspot.esim.errors import EuiccResultError, SmdpError
from simspot.esim.es9 import EventEntry
from simspot.esim.lpa import Lpa, LpaOptions
from simspot.simulator.euicc import VirtualCardTransport, VirtualEuicc
from simspot.simulator.pki import TestPki

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
    assert smds.requests[0][1]["smdpAddress"] == "smds.example.com"


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
