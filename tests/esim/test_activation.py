"""Activation codes in every SGP.22 4.1 form, refusals that name the problem, QR images."""

from __future__ import annotations

import io
import logging

import pytest
import segno
from hypothesis import given
from hypothesis import strategies as st

from simspot.esim import activation
from simspot.esim.errors import ActivationCodeError
from simspot.secrets import mask_text


@pytest.mark.parametrize(
    ("text", "address", "matching_id", "oid", "cc"),
    [
        ("LPA:1$smdp.example.com$ABC-123", "smdp.example.com", "ABC-123", None, False),
        ("1$smdp.example.com$ABC-123", "smdp.example.com", "ABC-123", None, False),
        ("lpa:1$SMDP.Example.com$ABC-123", "smdp.example.com", "ABC-123", None, False),
        ("  LPA:1$smdp.example.com$ABC-123\n", "smdp.example.com", "ABC-123", None, False),
        ("LPA:1$smdp.example.com$", "smdp.example.com", "", None, False),
        (
            "LPA:1$smdp.example.com$$1.3.6.1.4.1.31746",
            "smdp.example.com",
            "",
            "1.3.6.1.4.1.31746",
            False,
        ),
        ("LPA:1$smdp.example.com$K2-1X$2.999.10", "smdp.example.com", "K2-1X", "2.999.10", False),
        ("LPA:1$smdp.example.com$K2-1X$2.999.10$1", "smdp.example.com", "K2-1X", "2.999.10", True),
        ("LPA:1$smdp.example.com$K2-1X$$1", "smdp.example.com", "K2-1X", None, True),
        ("LPA:1$127.0.0.1:8443$K2", "127.0.0.1:8443", "K2", None, False),
        (
            "LPA:1$smdp.example.com$K2$$$81370F5125D0B1D408D4C3B232E6D25E795BEBFB",
            "smdp.example.com",
            "K2",
            None,
            False,
        ),
    ],
)
def test_accepted_forms(
    text: str, address: str, matching_id: str, oid: str | None, cc: bool
) -> None:
    code = activation.parse(text)
    assert (
        code.smdp_address,
        code.matching_id,
        code.smdp_oid,
        code.confirmation_code_required,
    ) == (
        address,
        matching_id,
        oid,
        cc,
    )
    assert activation.parse(code.qr_text) == code


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("", "empty"),
        ("LPA:", "empty"),
        ("hello", "not an activation code"),
        ("2$smdp.example.com$X", "format '2'"),
        ("LPA:1$smdp.example.com", "no matching ID"),
        ("LPA:1$$X", "address is empty"),
        ("LPA:1$https://smdp.example.com$X", "not a URL"),
        ("LPA:1$smdp..example.com$X", "not a valid host name"),
        ("LPA:1$smdp.example.com:99999$X", "bad port"),
        # found by fuzzing: these raised ValueError from int() or passed as a port
        ("LPA:1$smdp.example.com:" + "9" * 5000 + "$X", "bad port"),
        ("LPA:1$smdp.example.com:\u00b2$X", "bad port"),
        ("LPA:1$smdp.example.com:\u0661\u0662$X", "bad port"),
        ("LPA:1$smdp.example.com:\uff18\uff10$X", "bad port"),
        ("LPA:1$smdp.example.com$AB C", "may only contain"),
        ("LPA:1$smdp.example.com$X$not-an-oid", "not a dotted object identifier"),
        ("LPA:1$smdp.example.com$X$$yes", "must be 1"),
        ("LPA:1$smdp.example.com$X$$1$zz", "hexadecimal"),
        ("LPA:1$a.b$X$1.2$1$AA$more", "at most 6"),
    ],
)
def test_refusals_name_the_problem(text: str, problem: str) -> None:
    with pytest.raises(ActivationCodeError, match=problem):
        activation.parse(text)


def test_activation_code_error_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="empty"):
        activation.parse("")


def test_matching_id_is_masked(caplog: pytest.LogCaptureFixture) -> None:
    code = activation.parse("LPA:1$smdp.example.com$SECRET-42")
    assert "SECRET-42" not in repr(code) and "SECRET-42" not in str(code)
    assert "SECRET-42" not in f"{code}"
    with caplog.at_level(logging.INFO):
        logging.getLogger("t").info("downloading %s", code)
    assert "SECRET-42" not in caplog.text
    assert "SECRET-42" not in mask_text(code.qr_text)


@given(st.text(max_size=80))
def test_any_text_is_parsed_or_refused_clearly(text: str) -> None:
    try:
        activation.parse(text)
    except ActivationCodeError as exc:
        assert str(exc)


@pytest.mark.parametrize(
    ("kind", "options"),
    [
        ("png", {}),
        ("png", {"dark": "#203040", "light": None}),  # transparent background
        ("png", {"dark": "#0000ff", "light": "#ffffe0"}),
        ("ppm", {}),
        ("ppm", {"dark": "#0000ff", "light": "#ffffe0"}),
    ],
)
def test_read_from_qr_image(kind: str, options: dict[str, object]) -> None:
    buf = io.BytesIO()
    segno.make("LPA:1$smdp.example.com$QR-CODE-1$$1", error="m").save(
        buf, kind=kind, scale=5, **options
    )
    code = activation.read_qr_bytes(buf.getvalue())
    assert code.smdp_address == "smdp.example.com"
    assert code.matching_id == "QR-CODE-1"
    assert code.confirmation_code_required


def test_qr_errors(tmp_path: object) -> None:
    buf = io.BytesIO()
    segno.make("https://example.com/not-an-esim").save(buf, kind="png", scale=4)
    with pytest.raises(ActivationCodeError, match="does not hold an eSIM activation code"):
        activation.read_qr_bytes(buf.getvalue())
    with pytest.raises(ActivationCodeError, match="unsupported image format"):
        activation.read_qr_bytes(b"GIF89a....")
    blank = b"P5 4 4 255\n" + b"\xff" * 16
    with pytest.raises(ActivationCodeError, match="no QR code"):
        activation.read_qr_bytes(blank)
    with pytest.raises(ActivationCodeError, match="cannot read"):
        activation.read_qr("/nonexistent/qr.png")


def _png(ihdr: bytes, idat: bytes = b"") -> bytes:
    import struct

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + b"\0\0\0\0"

    head = b"\x89PNG\r\n\x1a\n"
    return head + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


def test_hostile_images_are_refused_with_our_errors() -> None:
    # Found by fuzzing: a short IHDR raised struct.error, a zero-sized image a TypeError from
    # memoryview; both escaped as foreign exceptions (the CLI printed a traceback).
    import struct
    import zlib

    with pytest.raises(ActivationCodeError, match="no header"):
        activation.read_qr_bytes(_png(b"\0\0"))
    zero = struct.pack(">IIBBBBB", 0, 0, 8, 0, 0, 0, 0)
    with pytest.raises(ActivationCodeError, match="unsupported PNG"):
        activation.read_qr_bytes(_png(zero, zlib.compress(b"")))
    with pytest.raises(ActivationCodeError, match="malformed PGM"):
        activation.read_qr_bytes(b"P5 0 0 255 ")
    with pytest.raises(ActivationCodeError, match="malformed PGM"):  # int() digit limit
        activation.read_qr_bytes(b"P5 " + b"9" * 5000 + b" 1 255 \0")
    # 8000 x 8000 would take minutes in the pure-Python decoder: refused up front.
    big = struct.pack(">IIBBBBB", 8000, 8000, 8, 0, 0, 0, 0)
    with pytest.raises(ActivationCodeError, match="unsupported PNG"):
        activation.read_qr_bytes(_png(big, zlib.compress(b"\0" * 8001)))


def test_png_data_is_inflated_only_as_far_as_the_header_needs() -> None:
    # A 1 x 1 image whose IDAT inflates to 64 MB (64 kB on the wire): only 2 bytes are needed.
    import struct
    import tracemalloc
    import zlib

    bomb = zlib.compress(b"\0" * (64 << 20), 9)
    image = _png(struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0), bomb)
    tracemalloc.start()
    try:
        assert activation.decode_image(image) == (1, 1, b"\0")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 8 << 20, peak
