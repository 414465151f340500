"""The QMUX and MBIM codecs (pure): round trips over generated messages, and refusals of what
does not frame."""

from __future__ import annotations

import struct
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from simspot.esim import mbim, qmi
from simspot.esim.errors import EsimValueError

tlvs = st.lists(st.tuples(st.integers(0, 255), st.binary(max_size=300)), max_size=6)


@given(
    service=st.sampled_from([qmi.SERVICE_CTL, qmi.SERVICE_UIM, 0x01, 0x03]),
    client=st.integers(0, 255),
    msg_id=st.integers(0, 0xFFFF),
    txn=st.integers(0, 0xFFFF),
    flags=st.integers(0, 7),
    body=tlvs,
    from_modem=st.booleans(),
)
def test_qmux_round_trip(
    service: int,
    client: int,
    msg_id: int,
    txn: int,
    flags: int,
    body: list[tuple[int, bytes]],
    from_modem: bool,
) -> None:
    if service == qmi.SERVICE_CTL:
        txn &= 0xFF
    msg = qmi.QmiMessage(service, client, msg_id, txn, flags, tuple(body))
    frame = qmi.encode(msg, from_modem=from_modem)
    assert frame[0] == 0x01 and frame[3] == (0x80 if from_modem else 0x00)
    assert qmi.frame_length(frame + b"\x01\x00") == len(frame)
    assert qmi.decode(frame) == msg
    for cut in range(1, 3):
        assert qmi.frame_length(frame[:cut]) is None or cut >= 3


def test_qmux_layout_matches_libqmi() -> None:
    """UIM Send APDU request as libqmi would frame it: QMUX, service header, TLVs."""
    msg = qmi.QmiMessage(
        qmi.SERVICE_UIM, 1, qmi.UIM_SEND_APDU, 0x0102, 0,
        ((0x01, b"\x01"), (0x02, b"\x02\x00\xaa\xbb")),
    )  # fmt: skip
    assert qmi.encode(msg).hex() == (
        "01" "1700" "00" "0b" "01"  # marker, length 23 (all after the marker), host, UIM, client 1
        "00" "0201" "3b00" "0b00"  # request, txn 0x0102, message 0x003B, TLVs 11 bytes
        "010100" "01" "020400" "0200aabb"
    )  # fmt: skip
    ctl = qmi.QmiMessage(qmi.SERVICE_CTL, 0, qmi.CTL_ALLOCATE_CID, 7, 0, ((0x01, b"\x0b"),))
    assert qmi.encode(ctl).hex() == "010f000000000007220004000101000b"


@pytest.mark.parametrize(
    ("frame", "problem"),
    [
        ("020c00000000000122000000", "starts with 01"),
        ("010500000000", "shorter than the headers"),
        ("010f000000000001220004000102000b", "announces 2 bytes"),
        ("010c0000000000012200010001", "truncated TLV"),
        ("010d00000000000122000000ff", "does not match"),
    ],
)
def test_qmux_refuses_broken_frames(frame: str, problem: str) -> None:
    with pytest.raises(ValueError, match=problem):
        qmi.decode(bytes.fromhex(frame))


def test_qmi_result_and_response() -> None:
    request = qmi.QmiMessage(qmi.SERVICE_UIM, 3, qmi.UIM_OPEN_LOGICAL_CHANNEL, 9)
    answer = request.response((0x10, b"\x02"), error=0x0030)
    assert answer.is_response and not answer.is_indication
    assert answer.result() == (1, 0x0030)
    assert answer.tlv(0x10) == b"\x02"
    assert qmi.error_text(0x0030) == "QMI error 0x0030 (invalid argument)"
    assert qmi.error_text(0x1234) == "QMI error 0x1234"
    ctl = qmi.QmiMessage(qmi.SERVICE_CTL, 0, qmi.CTL_SYNC, 1).response()
    assert ctl.flags == qmi.CTL_FLAG_RESPONSE and ctl.result() == (0, 0)


@given(
    kind=st.sampled_from([mbim.COMMAND, mbim.COMMAND_DONE]),
    txn=st.integers(0, 0xFFFFFFFF),
    cid=st.integers(0, 0xFFFFFFFF),
    code=st.integers(0, 0xFFFFFFFF),
    info=st.binary(max_size=600),
)
def test_mbim_command_round_trip(kind: int, txn: int, cid: int, code: int, info: bytes) -> None:
    cmd = mbim.Command(mbim.UICC_LOW_LEVEL_ACCESS, cid, code, info)
    frame = cmd.message(kind, txn).encode()
    assert mbim.frame_length(frame + b"\x00" * 4) == len(frame)
    msg = mbim.decode(frame)
    assert (msg.type, msg.txn) == (kind, txn)
    assert mbim.Command.parse(msg) == cmd
    assert mbim.frame_key(frame) == (txn if kind == mbim.COMMAND_DONE else None)


@given(st.lists(st.one_of(st.integers(0, 0xFFFFFFFF), st.binary(max_size=40)), max_size=6))
def test_mbim_information_buffer_round_trip(fields: list[int | bytes]) -> None:
    info = mbim.build_info(*fields)
    assert len(info) % 4 == 0
    at = 0
    for f in fields:
        if isinstance(f, int):
            assert mbim.read_u32(info, at) == f
            at += 4
        else:
            assert mbim.read_ref(info, at) == f
            at += 8


def test_mbim_layout_matches_libmbim() -> None:
    """An APDU set command as libmbim builds it: header, fragment, UUID, CID, type, buffer."""
    info = mbim.build_info(1, 0, 0, b"\x81\xe2\x91\x00")
    frame = mbim.Command(mbim.UICC_LOW_LEVEL_ACCESS, mbim.CID_UICC_APDU, mbim.SET, info)
    assert frame.message(mbim.COMMAND, 5).encode().hex() == (
        "03000000" "48000000" "05000000"  # COMMAND, 72 bytes, transaction 5
        "01000000" "00000000"  # one fragment
        "c2f6588ef0374bc98665f4d44bd09367"  # MS UICC low-level access
        "04000000" "01000000" "18000000"  # APDU, set, 24-byte buffer
        "01000000" "00000000" "00000000" "14000000" "04000000" "81e29100"
    )  # fmt: skip


@pytest.mark.parametrize(
    ("info", "at", "problem"),
    [
        (b"\x00" * 6, 4, "too short"),
        (struct.pack("<II", 8, 9) + b"\x00" * 4, 0, "outside"),
        (struct.pack("<II", 2, 2) + b"\x00" * 4, 0, "outside"),
    ],
)
def test_mbim_refuses_bad_references(info: bytes, at: int, problem: str) -> None:
    reader = mbim.read_u32 if problem == "too short" else mbim.read_ref
    with pytest.raises(ValueError, match=problem):
        reader(info, at)


def test_mbim_status_word_in_the_status_field() -> None:
    """SW1 in the low byte, SW2 in the next (lpac's MBIM driver reads it so)."""
    assert mbim.status_field(0x9000) == 0x0090
    assert mbim.status_field(0x6A82) == 0x826A
    assert struct.pack("<I", mbim.status_field(0x6123))[:2] == b"\x61\x23"


def test_transports_refuse_bad_settings() -> None:
    with pytest.raises(EsimValueError, match="QMI slot must be a number from 1 to 5, not 0"):
        qmi.QmiTransport("/dev/cdc-wdm0", slot=0)
    with pytest.raises(EsimValueError, match="absolute path"):
        qmi.QmiTransport("cdc-wdm0")
    with pytest.raises(EsimValueError, match="absolute path"):
        mbim.MbimTransport("")
    with pytest.raises(EsimValueError, match="MBIM slot must be a number from 1 to 8, not 9"):
        mbim.MbimTransport("/dev/cdc-wdm0", slot=9)
    with pytest.raises(EsimValueError, match="timeout must be positive"):
        mbim.MbimTransport("/dev/cdc-wdm0", timeout_s=0)


def test_list_devices_sorts_ports_by_protocol(tmp_path: Path) -> None:
    folder = tmp_path
    for name in ("cdc-wdm1", "cdc-wdm0", "wwan0mbim0", "wwan1qmi0"):
        (folder / name).touch()
    patterns = [str(folder / "cdc-wdm*"), str(folder / "wwan*")]
    # No sysfs entry: the driver is unknown; a cdc-wdm port is tried with QMI, a PCIe (wwan)
    # port says its protocol in its name.
    found = qmi.list_devices(patterns)
    assert [(d.path, d.driver, d.protocol) for d in found] == [
        (str(folder / "cdc-wdm0"), None, "qmi"),
        (str(folder / "cdc-wdm1"), None, "qmi"),
        (str(folder / "wwan1qmi0"), None, "qmi"),
    ]
    assert [d.path for d in mbim.list_devices(patterns)] == [str(folder / "wwan0mbim0")]


def test_mbim_refuses_a_message_longer_than_any_it_sends() -> None:
    # Found by fuzzing: a proxy announcing a 4 GiB message made the link buffer without bound
    # while it waited for the rest.
    header = struct.pack("<III", mbim.COMMAND_DONE, 0xFFFFFFF0, 1)
    with pytest.raises(ValueError, match="larger than"):
        mbim.frame_length(header)
    assert mbim.frame_length(struct.pack("<III", mbim.COMMAND_DONE, mbim.MAX_MESSAGE, 1)) == (
        mbim.MAX_MESSAGE
    )


def test_mbim_open_done_without_a_status_is_our_error(monkeypatch: pytest.MonkeyPatch) -> None:
    # Found by fuzzing: an OPEN_DONE shorter than its status field made connect() raise a bare
    # ValueError from read_u32.
    import asyncio

    from simspot.esim.proxylink import ProxyProtocolError

    class Link:
        def __init__(self, *args: object) -> None:
            pass

        async def open(self, spawn: object) -> None:
            pass

        async def close(self) -> None:
            pass

    async def answer(self: mbim.MbimTransport, msg: mbim.MbimMessage, doing: object) -> object:
        return mbim.MbimMessage(mbim.OPEN_DONE, msg.txn, b"\x00")

    async def nothing(self: mbim.MbimTransport) -> None:
        pass

    monkeypatch.setattr(mbim, "ProxyLink", Link)
    monkeypatch.setattr(mbim.MbimTransport, "_exchange", answer)
    monkeypatch.setattr(mbim.MbimTransport, "_configure_proxy", nothing)
    transport = mbim.MbimTransport("/dev/cdc-wdm9", spawn_proxy=False)
    with pytest.raises(ProxyProtocolError) as caught:
        asyncio.run(transport.connect())
    assert caught.value.msg_id == "esim.mbim.malformed"
