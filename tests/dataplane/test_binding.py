"""Address binding in the daemon: conflicts never raise, learned IPv6 sources are capped per MAC."""

from __future__ import annotations

import json
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from simspot.dataplane.contract import DataplaneSpec
from simspot.dataplane.dnsmasq import HostnameBook, cap_learned, eui64_mac, eviction_script
from simspot.dataplane.nftrender import render
from simspot.dataplane.sharing import Conflict, bind_addresses
from simspot.model import ClientInfo

A, B, C = "02:53:00:00:00:01", "02:53:00:00:00:02", "02:53:00:00:00:03"


def test_a_claimed_address_stays_with_its_owner_and_the_conflict_names_both() -> None:
    clients = [
        ClientInfo(mac=A, ipv4="192.168.44.10", ipv6=("2001:db8:44::a",)),
        ClientInfo(mac=B, ipv4="192.168.44.11", ipv6=("2001:db8:44::a", "2001:db8:44::b")),
    ]
    # B owned ::a in the spec applied last: B keeps it, A (first in order) does not get it.
    specs, conflicts = bind_addresses(clients, {"2001:db8:44::a": B})
    by_mac = {s.mac: s for s in specs}
    assert by_mac[A].ipv6 == () and by_mac[A].ipv4 == ("192.168.44.10",)
    assert by_mac[B].ipv6 == ("2001:db8:44::a", "2001:db8:44::b")
    assert conflicts == [Conflict("2001:db8:44::a", owner=B, claimant=A)]
    # Without a previous owner the first listed keeps it.
    specs, conflicts = bind_addresses(clients, {})
    assert {s.mac: s.ipv6 for s in specs}[A] == ("2001:db8:44::a",)
    assert conflicts == [Conflict("2001:db8:44::a", owner=A, claimant=B)]


def test_malformed_addresses_and_repeated_macs_are_left_out() -> None:
    clients = [
        ClientInfo(mac=A, ipv4="999.1.1.1", ipv6=("nonsense", "2001:db8:44::1")),
        ClientInfo(mac=A, ipv4="192.168.44.99"),
    ]
    specs, conflicts = bind_addresses(clients, {})
    assert [(s.mac, s.ipv4, s.ipv6) for s in specs] == [(A, (), ("2001:db8:44::1",))]
    assert conflicts == []


addresses = st.sampled_from(
    ["192.168.44.10", "192.168.44.11", "2001:db8:44::1", "2001:db8:44::2", "2001:db8:44::3"]
)


@given(
    st.lists(st.tuples(st.sampled_from([A, B, C]), st.lists(addresses, max_size=4)), max_size=6),
    st.dictionaries(addresses, st.sampled_from([A, B, C])),
)
def test_whatever_clients_claim_the_spec_renders(
    claims: list[tuple[str, list[str]]], owners: dict[str, str]
) -> None:
    clients = [
        ClientInfo(
            mac=mac,
            ipv4=next((a for a in addrs if "." in a), None),
            ipv6=tuple(a for a in addrs if ":" in a),
        )
        for mac, addrs in claims
    ]
    specs, conflicts = bind_addresses(clients, owners)
    render(DataplaneSpec("lan0", "wwan0", "8944500601200000001", tuple(specs)))  # never raises
    bound = [a for s in specs for a in (*s.ipv4, *s.ipv6)]
    assert len(bound) == len(set(bound))
    first: dict[str, list[str]] = {}
    for ci in clients:  # a MAC listed twice: its first entry counts
        first.setdefault(ci.mac, [*([ci.ipv4] if ci.ipv4 else []), *ci.ipv6])
    for c in conflicts:
        assert c.owner != c.claimant
        if c.address in owners and c.address in first.get(owners[c.address], []):
            assert c.owner == owners[c.address]


def test_learned_sources_keep_the_most_recently_used_per_mac() -> None:
    expires = {(A, f"2001:db8:44::{i:x}"): 7000 + i for i in range(20)}
    expires[(A, "fe80::1")] = 7199
    expires[(B, "2001:db8:44::b")] = 10
    keep, evict = cap_learned(expires, 8)
    assert keep[A] == {f"2001:db8:44::{i:x}" for i in range(12, 20)}
    assert keep[B] == {"2001:db8:44::b"}
    assert (A, "fe80::1") in evict and len(evict) == 13
    script = eviction_script(evict)
    assert script.startswith("delete element inet simspot seen6 { 02:53:00:00:00:01 . ")
    assert "delete element inet simspot own6 { 2001:db8:44::0, " in script


def test_a_hostname_stays_with_the_first_mac_that_claimed_it(tmp_path: Path) -> None:
    book = HostnameBook(tmp_path / "hostnames.json")
    assert book.names({A: "alice-phone", B: None}, 100.0) == {A: "alice-phone", B: None}
    # B claims the same name (any case); dnsmasq takes it off A's lease.
    got = book.names({A: None, B: "Alice-Phone"}, 200.0)
    assert got == {A: "alice-phone", B: f"Alice-Phone (claimed; in use by {A})"}
    # Remembered across restarts (a new book reads the file, 0600).
    again = HostnameBook(tmp_path / "hostnames.json")
    assert again.names({B: "Alice-Phone"}, 300.0)[B].endswith(f"in use by {A})")
    assert (tmp_path / "hostnames.json").stat().st_mode & 0o777 == 0o600
    # A takes another name: the old one is free for B.
    assert again.names({A: "alice-tablet", B: "Alice-Phone"}, 400.0) == {
        A: "alice-tablet",
        B: "Alice-Phone",
    }


def test_the_hostname_book_is_bounded(tmp_path: Path) -> None:
    book = HostnameBook(tmp_path / "hostnames.json")
    book.MAX = 10
    for i in range(30):
        book.names({f"02:00:00:00:00:{i:02x}": f"h{i}"}, float(i))
    assert len(json.loads((tmp_path / "hostnames.json").read_text())) == 10


def test_an_address_made_from_another_clients_mac_is_evicted_from_its_claimant() -> None:
    eui = "2001:db8:44::53:ff:fe00:1"  # modified EUI-64 of 02:53:00:00:00:01 (A)
    assert eui64_mac(eui) == A and eui64_mac("2001:db8:44::1") is None
    expires = {(B, eui): 7000, (B, "2001:db8:44::b"): 7000, (A, "2001:db8:44::a"): 7000}
    keep, evict = cap_learned(expires, 8, present={A, B})
    assert evict == [(B, eui)] and keep[B] == {"2001:db8:44::b"}
    # Its owner may use it; so may anyone while the owner is not around.
    assert cap_learned({(A, eui): 1}, 8, present={A, B})[1] == []
    assert cap_learned({(B, eui): 1}, 8, present={B})[1] == []
