"""ES9+/ES11 client against fake HTTP peers: JSON binding, status codes, TLS trust, no redirects."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import datetime as dt
import ipaddress
import json
import ssl
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from hypothesis import given, settings
from hypothesis import strategies as st

from simspot.errors import SimspotError
from simspot.esim import es9
from simspot.esim.errors import ProtocolError, ServerConnectionError, SmdpError, TlsError

OK = {"header": {"functionExecutionStatus": {"status": "Executed-Success"}}}
TID = bytes.fromhex("0102030405060708")


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def mock(handler: Callable[[httpx.Request], httpx.Response]) -> httpx.MockTransport:
    return httpx.MockTransport(handler)


async def test_initiate_authentication_request_and_answer() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(
            200,
            json={
                **OK,
                "transactionId": TID.hex().upper(),
                "serverSigned1": b64(b"\x30\x00"),
                "serverSignature1": b64(b"\x5f\x37\x00"),
                "euiccCiPKIdToBeUsed": b64(b"\x04\x00"),
                "serverCertificate": b64(b"\x30\x01\x00"),
            },
        )

    async with es9.Es9Client("smdp.example", transport=mock(handler)) as client:
        result = await client.initiate_authentication(b"\x11" * 16, b"\xbf\x20\x00")
    request = seen[0]
    assert str(request.url) == "https://smdp.example/gsma/rsp2/es9plus/initiateAuthentication"
    assert request.headers["X-Admin-Protocol"].startswith("gsma/rsp/v2.")
    assert request.headers["Content-Type"] == "application/json"
    body = json.loads(request.content)
    assert body == {
        "euiccChallenge": b64(b"\x11" * 16),
        "euiccInfo1": b64(b"\xbf\x20\x00"),
        "smdpAddress": "smdp.example",
    }
    assert result.transaction_id == TID
    assert result.server_certificate == b"\x30\x01\x00"


async def test_failed_status_becomes_a_plain_sentence() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(
            200,
            json={
                "header": {
                    "functionExecutionStatus": {
                        "status": "Failed",
                        "statusCodeData": {
                            "subjectCode": "8.2.7",
                            "reasonCode": "2.2",
                            "message": "CC needed",
                        },
                    }
                }
            },
        )

    async with es9.Es9Client("smdp.example", transport=mock(handler)) as client:
        with pytest.raises(SmdpError, match="a confirmation code is required") as info:
            await client.get_bound_profile_package(TID, b"\xbf\x21\x00")
    assert info.value.subjectCode == "8.2.7" and info.value.reasonCode == "2.2"
    assert info.value.function == "getBoundProfilePackage"


@pytest.mark.parametrize(
    ("subject", "reason", "sentence"),
    [
        ("8.2", "3.7", "this profile was already downloaded"),
        ("8.1.1", "3.8", "EID does not match"),
        ("8.2.7", "3.8", "confirmation code is wrong"),
        ("8.1", "4.8", "the eUICC has no memory left"),
        ("8.2.6", "3.8", "matching ID refused"),
        ("8.9.9", "9.9", "subject 8.9.9"),
    ],
)
def test_status_sentences(subject: str, reason: str, sentence: str) -> None:
    assert sentence in str(SmdpError("f", subject, reason))


@pytest.mark.parametrize(
    ("response", "error", "text"),
    [
        (
            httpx.Response(302, headers={"location": "https://evil.example/"}),
            ServerConnectionError,
            "redirect",
        ),
        (httpx.Response(500, text="boom"), ServerConnectionError, "HTTP 500"),
        (httpx.Response(200, text="<html>"), ProtocolError, "not JSON"),
        # found by fuzzing: JSON nested 60 000 deep (within the size limit) raised RecursionError
        (httpx.Response(200, content=b"[" * 60_000), ProtocolError, "not JSON"),
        (httpx.Response(200, json=[1]), ProtocolError, "not a JSON object"),
        (httpx.Response(200, json={"x": 1}), ProtocolError, "no header"),
        (httpx.Response(200, json={**OK, "transactionId": "zz"}), ProtocolError, "not hexadecimal"),
        (
            httpx.Response(
                200, json={**OK, "transactionId": TID.hex(), "boundProfilePackage": "@@"}
            ),
            ProtocolError,
            "base64",
        ),
        (
            httpx.Response(200, json={**OK, "transactionId": "0909", "boundProfilePackage": ""}),
            ProtocolError,
            "another transaction",
        ),
        (
            httpx.Response(200, content=b"{" + b" " * (3 * 1024 * 1024) + b"}"),
            ProtocolError,
            "larger than",
        ),
    ],
)
async def test_bad_answers_are_refused(
    response: httpx.Response, error: type[Exception], text: str
) -> None:
    async with es9.Es9Client("smdp.example", transport=mock(lambda _r: response)) as client:
        with pytest.raises(error, match=text):
            await client.get_bound_profile_package(TID, b"\xbf\x21\x00")


async def test_transport_failures_are_named() -> None:
    def timeout(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("slow", request=request)

    def dropped(request: httpx.Request) -> httpx.Response:
        raise httpx.RemoteProtocolError(
            "Server disconnected without sending a response.", request=request
        )

    def refused(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("[Errno 111] Connection refused", request=request)

    for handler, text in (
        (timeout, "did not answer within 7 s"),
        (dropped, "dropped"),
        (refused, "cannot connect"),
    ):
        async with es9.Es9Client("smdp.example", transport=mock(handler), timeout=7) as client:
            with pytest.raises(ServerConnectionError, match=text):
                await client.authenticate_client(TID, b"\xbf\x38\x00")


async def test_handle_notification_accepts_no_content_and_es11_events() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("handleNotification"):
            return httpx.Response(204)
        assert request.url.path == "/gsma/rsp2/es11/authenticateClient"
        return httpx.Response(
            200,
            json={**OK, "eventEntries": [{"eventId": "EV1", "rspServerAddress": "smdp.example"}]},
        )

    async with es9.Es9Client("smdp.example", transport=mock(handler)) as client:
        await client.handle_notification(b"\xbf\x37\x00")
    async with es9.Es11Client("smds.example", transport=mock(handler)) as ds:
        events = await ds.authenticate_client(TID, b"\xbf\x38\x00")
    assert events == [es9.EventEntry("EV1", "smdp.example")]


def test_trust_store_ships_the_gsma_ci() -> None:
    files = es9.trust_store_files()
    assert any("rsp2-root-ci1" in f.name for f in files)
    cert = x509.load_pem_x509_certificate(files[0].read_bytes())
    ski = cert.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value.digest
    assert ski.hex() == "81370f5125d0b1d408d4c3b232e6d25e795bebfb"
    es9.build_ssl_context()


def test_unreadable_ca_file_is_named(tmp_path: Path) -> None:
    bad = tmp_path / "ca.pem"
    bad.write_text("not a certificate")
    with pytest.raises(TlsError, match=r"ca\.pem"):
        es9.build_ssl_context([bad])


# --- real TLS on loopback ------------------------------------------------------------------


def _issue(
    subject: str,
    issuer_key: ec.EllipticCurvePrivateKey | None,
    issuer_name: x509.Name | None,
    *,
    ca: bool,
) -> tuple[ec.EllipticCurvePrivateKey, x509.Certificate]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)])
    now = dt.datetime.now(dt.UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(issuer_name or name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(hours=1))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    )
    if not ca:
        builder = builder.add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
    cert = builder.sign(issuer_key or key, hashes.SHA256())
    return key, cert


@pytest.fixture
async def tls_server(tmp_path: Path) -> AsyncIterator[tuple[int, Path, Path]]:
    ca_key, ca_cert = _issue("test CI", None, None, ca=True)
    srv_key, srv_cert = _issue("smdp", ca_key, ca_cert.subject, ca=False)
    (tmp_path / "srv.pem").write_bytes(srv_cert.public_bytes(serialization.Encoding.PEM))
    (tmp_path / "srv.key").write_bytes(
        srv_key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    (tmp_path / "ca.pem").write_bytes(ca_cert.public_bytes(serialization.Encoding.PEM))
    _, other = _issue("other CI", None, None, ca=True)
    (tmp_path / "other.pem").write_bytes(other.public_bytes(serialization.Encoding.PEM))
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(tmp_path / "srv.pem", tmp_path / "srv.key")

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head = await reader.readuntil(b"\r\n\r\n")
            length = int(
                next(
                    line.split(b":")[1]
                    for line in head.split(b"\r\n")
                    if line.lower().startswith(b"content-length")
                )
            )
            await reader.readexactly(length)
            body = json.dumps({**OK, "eventEntries": []}).encode()
            writer.write(
                b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n"
                % len(body)
                + body
            )
            await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError, ssl.SSLError):
            pass
        finally:
            writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0, ssl=ctx)
    port = server.sockets[0].getsockname()[1]
    try:
        yield port, tmp_path / "ca.pem", tmp_path / "other.pem"
    finally:
        server.close()
        await server.wait_closed()


async def test_tls_trusted_only_with_the_right_ci(tls_server: tuple[int, Path, Path]) -> None:
    port, ca, other = tls_server
    address = f"127.0.0.1:{port}"
    async with es9.Es11Client(address, extra_ca_files=[ca]) as client:
        assert await client.authenticate_client(TID, b"\xbf\x38\x00") == []
    for extra in ([], [other]):
        async with es9.Es11Client(address, extra_ca_files=extra) as client:
            with pytest.raises(TlsError, match=r"certificate of 127\.0\.0\.1:\d+ is not trusted"):
                await client.authenticate_client(TID, b"\xbf\x38\x00")


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=5)
    ),
    max_leaves=12,
)
FIELDS = [
    "transactionId",
    "serverSigned1",
    "boundProfilePackage",
    "eventEntries",
    "header",
    "profileMetadata",
]


@settings(max_examples=200, deadline=None)
@given(
    body=st.dictionaries(st.sampled_from(FIELDS), JSON | st.just(b64(b"\x30\x00")), max_size=6),
    success=st.booleans(),
    call=st.integers(0, 3),
)
async def test_fuzzed_server_answers_raise_only_our_errors(
    body: dict[str, object], success: bool, call: int
) -> None:
    if success:
        body = {**OK, **body}

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json=body)

    async with (
        es9.Es9Client("smdp.example", transport=mock(handler)) as client,
        es9.Es11Client("smds.example", transport=mock(handler)) as ds,
    ):
        with contextlib.suppress(SimspotError):
            if call == 0:
                await client.initiate_authentication(b"\x11" * 16, b"\xbf\x20\x00")
            elif call == 1:
                await client.authenticate_client(TID, b"\xbf\x38\x00")
            elif call == 2:
                await client.get_bound_profile_package(TID, b"\xbf\x21\x00")
            else:
                await ds.authenticate_client(TID, b"\xbf\x38\x00")


def test_host_port_takes_only_ascii_port_digits() -> None:
    # found by fuzzing: '²' passed str.isdigit() and int() then raised ValueError
    assert es9._host_port("smdp.example:8443") == ("smdp.example", 8443)
    assert es9._host_port("[::1]:8443") == ("::1", 8443)
    assert es9._host_port("smdp.example:\u00b2")[1] == 443
    assert es9._host_port("[::1]:\u00b2") == ("::1", 443)
