"""BSP (SCP03t) segment protection: round trips and tamper detection over many inputs."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from simspot.esim import bsp, codec
from simspot.esim.bsp import BspError, BspSession, SessionKeys

KEYS = SessionKeys(s_enc=bytes(range(16)), s_mac=bytes(range(16, 32)), initial_mcv=bytes(16))


def test_both_sides_derive_the_same_keys_from_one_time_key_pairs() -> None:
    dp_key, dp_point = bsp.new_one_time_key()
    euicc_key, euicc_point = bsp.new_one_time_key()
    eid = bytes.fromhex("89049032123451234512345678901235")
    dp = bsp.derive_session_keys(bsp.ecka(dp_key, euicc_point), b"host-1", eid)
    card = bsp.derive_session_keys(bsp.ecka(euicc_key, dp_point), b"host-1", eid)
    assert dp == card
    assert len({dp.s_enc, dp.s_mac, dp.initial_mcv}) == 3
    # the shared info binds the keys to the host ID and the EID
    assert bsp.derive_session_keys(bsp.ecka(dp_key, euicc_point), b"host-2", eid) != dp


def test_key_derivation_matches_x963_with_the_sgp22_shared_info() -> None:
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.kdf.x963kdf import X963KDF

    secret = bytes(range(32))
    shared_info = bytes.fromhex("8810") + b"\x02hi" + b"\x10" + bytes(range(16))
    out = X963KDF(hashes.SHA256(), 48, shared_info).derive(secret)
    keys = bsp.derive_session_keys(secret, b"hi", bytes(range(16)))
    assert (keys.initial_mcv, keys.s_enc, keys.s_mac) == (out[:16], out[16:32], out[32:])


def test_bad_peer_point_is_a_bsp_error() -> None:
    key, _ = bsp.new_one_time_key()
    with pytest.raises(BspError):
        bsp.ecka(key, b"\x04" + bytes(64))


@settings(max_examples=60, deadline=None)
@given(st.lists(st.binary(min_size=1, max_size=1007), min_size=1, max_size=5), st.data())
def test_protect_then_unprotect_returns_every_segment(
    chunks: list[bytes], data: st.DataObject
) -> None:
    sender, receiver = BspSession(KEYS), BspSession(KEYS)
    for chunk in chunks:
        mac_only = data.draw(st.booleans()) and len(chunk) <= bsp.MAX_MAC_ONLY_DATA
        if mac_only:
            seg = sender.mac_only(0x88, chunk)
            assert receiver.unmac(seg, 0x88) == chunk
        else:
            seg = sender.protect(0x86, chunk)
            if len(chunk) >= 8:
                assert chunk not in seg  # encrypted, not just MACed
            assert receiver.unprotect(seg, 0x86) == chunk
        assert len(seg) <= bsp.MAX_SEGMENT


@settings(max_examples=80, deadline=None)
@given(st.binary(min_size=0, max_size=600), st.data())
def test_any_bit_flip_is_detected(plaintext: bytes, data: st.DataObject) -> None:
    seg = BspSession(KEYS).protect(0x86, plaintext)
    bit = data.draw(st.integers(0, len(seg) * 8 - 1))
    tampered = bytearray(seg)
    tampered[bit // 8] ^= 1 << (bit % 8)
    with pytest.raises(BspError):
        BspSession(KEYS).unprotect(bytes(tampered), 0x86)


def test_segments_out_of_order_or_replayed_fail_the_mac_chain() -> None:
    sender = BspSession(KEYS)
    first, second = sender.protect(0x86, b"one"), sender.protect(0x86, b"two")
    with pytest.raises(BspError):
        BspSession(KEYS).unprotect(second, 0x86)
    receiver = BspSession(KEYS)
    receiver.unprotect(first, 0x86)
    with pytest.raises(BspError):
        receiver.unprotect(first, 0x86)


def test_oversized_plaintext_is_refused() -> None:
    with pytest.raises(BspError):
        BspSession(KEYS).protect(0x86, bytes(1008))
    assert len(BspSession(KEYS).protect(0x86, bytes(1007))) == 1020
    assert len(BspSession(KEYS).mac_only(0x88, bytes(1008))) == 1020


def test_protected_bpp_decodes_as_bound_profile_package_and_unprotects() -> None:
    ppk = SessionKeys(bytes([1] * 16), bytes([2] * 16), bytes([3] * 16))
    rsk = codec.encode(
        "ReplaceSessionKeysRequest",
        {"initialMacChainingValue": ppk.initial_mcv, "ppkEnc": ppk.s_enc, "ppkCmac": ppk.s_mac},
    )
    configure = codec.encode("ConfigureISDPRequest", {})
    metadata = bytes(range(256)) * 5
    profile = bytes((i * 7) % 251 for i in range(5000))
    parts = bsp.protect_bpp(KEYS, configure, metadata, profile, replace_session_keys=rsk, ppk=ppk)
    assert len(parts.profile) == 5  # 5000 bytes in 1007-byte segments
    fake_bf23 = bytes.fromhex("BF2300")
    bpp = bsp.assemble_bpp(fake_bf23, parts)
    assert bpp[:2] == b"\xbf\x36"
    rx = BspSession(KEYS)
    assert b"".join(rx.unprotect(s, 0x87) for s in parts.configure_isdp) == configure
    assert b"".join(rx.unmac(s, 0x88) for s in parts.store_metadata) == metadata
    got_rsk = b"".join(rx.unprotect(s, 0x87) for s in parts.replace_session_keys)
    keys = codec.decode("ReplaceSessionKeysRequest", got_rsk)
    rx = BspSession(SessionKeys(keys["ppkEnc"], keys["ppkCmac"], keys["initialMacChainingValue"]))
    assert b"".join(rx.unprotect(s, 0x86) for s in parts.profile) == profile


def test_ppk_needs_both_request_and_keys() -> None:
    with pytest.raises(BspError):
        bsp.protect_bpp(KEYS, b"", b"", b"", ppk=KEYS)
