"""Guest passes: the model, the ledger, the mapping of stations to passes, the spec they make."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from simspot.dataplane.contract import (
    ClientSpec,
    Counters,
    DataplaneSpec,
    GroupCounter,
)
from simspot.dataplane.nftrender import render
from simspot.errors import DataplaneError, SimspotValueError
from simspot.hotspot import guests, passphrase, qr
from simspot.hotspot.contract import ApConfig
from simspot.hotspot.hostapd import parse_station_event
from simspot.hotspot.render import HostapdFiles, hostapd_conf, wpa_psk_file
from simspot.store import Store

T0 = 1_800_000_000.0
A, B, C = "02:00:00:00:00:0a", "02:00:00:00:00:0b", "02:00:00:00:00:0c"


class Clock:
    def __init__(self, t: float = T0) -> None:
        self.t = t

    def __call__(self) -> float:
        return self.t


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def book(tmp_path: Path, clock: Clock) -> guests.GuestBook:
    return guests.GuestBook(Store(tmp_path / "state" / "simspot.db"), clock)


def counters(**groups: int) -> Counters:
    return Counters(groups={k: GroupCounter(k, v, 0) for k, v in groups.items()})


def test_a_pass_gets_its_own_strong_generated_key(book: guests.GuestBook) -> None:
    a = book.add("Alice", T0 + 3600, allowance_bytes=10**9)
    b = book.add("Bob", T0 + 3600)
    assert a.passphrase != b.passphrase
    assert passphrase.problems(a.passphrase) == []
    assert passphrase.estimate(a.passphrase).bits >= 90
    assert a.id != b.id and guests.GuestBook._row  # ids are distinct key ids / group names
    assert len(a.id) <= 16 and a.id.isalnum() and a.id.islower()
    assert "passphrase" not in repr(a) and a.passphrase not in repr(a)
    assert book.get(a.id) == a
    assert [p.id for p in book.passes()] == [a.id, b.id]


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"name": ""}, "name"),
        ({"name": "x" * 41}, "name"),
        ({"name": "evil\nname"}, "name"),
        ({"until": T0 - 1}, "until"),
        ({"until": T0 + 400 * 86400}, "until"),
        ({"allowance_bytes": 0}, "allowance_bytes"),
        ({"rate_kbit": 2}, "rate_kbit"),
        ({"period": "week"}, "period"),
        ({"passphrase": "password123"}, "passphrase"),
    ],
)
def test_bad_input_is_refused_naming_the_field(
    book: guests.GuestBook, kwargs: dict[str, object], field: str
) -> None:
    args: dict[str, object] = {"name": "Carol", "until": T0 + 60} | kwargs
    with pytest.raises(SimspotValueError) as err:
        book.add(**args)  # type: ignore[arg-type]
    assert err.value.field == field
    assert str(err.value).startswith(field)
    assert book.passes() == []  # nothing half done


def test_the_owners_key_is_never_a_guests(book: guests.GuestBook) -> None:
    owner = passphrase.generate()
    with pytest.raises(SimspotValueError, match="in use"):
        book.add("Dave", T0 + 60, passphrase=owner, taken=(owner,))


def test_states_revoke_and_extend(book: guests.GuestBook, clock: Clock) -> None:
    p = book.add("Eve", T0 + 100, allowance_bytes=1000)
    assert p.state(clock()) == "active"
    clock.t = T0 + 100
    assert book.get(p.id).state(clock()) == "expired"
    with pytest.raises(SimspotValueError, match="until"):
        book.extend(p.id, topup_bytes=10)  # an ended pass needs a new end
    p = book.extend(p.id, until=T0 + 500, topup_bytes=500)
    assert p.state(clock()) == "active" and p.limit_bytes == 1500
    p = book.revoke(p.id)
    assert p.state(clock()) == "revoked"
    with pytest.raises(SimspotValueError, match="revoked"):
        book.extend(p.id, until=T0 + 900)
    with pytest.raises(guests.GuestNotFound):
        book.get("gnothere")


def test_usage_is_kept_across_a_recreated_table_and_renews_per_day(
    book: guests.GuestBook, clock: Clock
) -> None:
    p = book.add("Frank", T0 + 5 * 86400, period="day", allowance_bytes=1000)
    book.observe(counters(), "e1")
    book.observe(counters(**{p.id: 300}), "e1")
    assert book.get(p.id).used_bytes == 300
    book.observe(counters(**{p.id: 450}), "e1")
    assert book.get(p.id).used_bytes == 450
    # The table was recreated (a clean stop, a reboot): its counter starts again from zero.
    book.observe(counters(**{p.id: 100}), "e2")
    assert book.get(p.id).used_bytes == 550
    assert book.get(p.id).remaining_bytes() == 450
    book.extend(p.id, topup_bytes=200)
    assert book.get(p.id).remaining_bytes() == 650
    clock.t += 86400  # the next day: the allowance is whole again, the top-up gone
    renewed = book.observe(counters(**{p.id: 150}), "e2")
    assert [r.id for r in renewed] == [p.id]
    q = book.get(p.id)
    assert (q.used_bytes, q.topup_bytes, q.remaining_bytes()) == (50, 0, 950)


def test_a_total_pass_never_renews(book: guests.GuestBook, clock: Clock) -> None:
    p = book.add("Gina", T0 + 5 * 86400, allowance_bytes=1000)
    book.observe(counters(**{p.id: 999}), "e1")
    clock.t += 3 * 86400
    assert book.observe(counters(**{p.id: 999}), "e1") == []
    assert book.get(p.id).remaining_bytes() == 1


def test_stations_map_to_their_pass_by_the_key_id_hostapd_names(book: guests.GuestBook) -> None:
    p = book.add("Hana", T0 + 3600, allowance_bytes=10**6)
    # What hostapd prints when three randomised MACs join with the pass's key, and the owner.
    lines = [
        f"<3>AP-STA-CONNECTED {A} keyid={p.id}",
        f"wlan0: AP-STA-CONNECTED {B} keyid={p.id}",
        f"<3>AP-STA-CONNECTED {C} keyid={p.id}",
        "<3>AP-STA-CONNECTED 02:00:00:00:00:0d",
    ]
    for line in lines:
        ev = parse_station_event(line)
        assert ev is not None
        known = {q.id for q in book.passes()}
        book.map_mac(ev.mac, ev.key_id if ev.key_id in known else None)
    assert book.macs() == {A: p.id, B: p.id, C: p.id}
    assert book.macs_of(p.id) == [A, B, C]
    # A MAC that later joins with the owner's key is the owner's again.
    assert book.map_mac(B, None)
    assert book.macs() == {A: p.id, C: p.id}


def test_a_key_id_that_is_no_pass_maps_nothing(book: guests.GuestBook) -> None:
    ev = parse_station_event(f"<3>AP-STA-CONNECTED {A} keyid=stranger")
    assert ev is not None and ev.key_id == "stranger"
    with pytest.raises(guests.GuestNotFound):
        book.map_mac(ev.mac, ev.key_id)
    assert book.macs() == {}


def test_the_spec_limits_all_of_a_passs_macs_as_one(book: guests.GuestBook, clock: Clock) -> None:
    p = book.add("Ivan", T0 + 3600, allowance_bytes=5000, rate_kbit=1000)
    other = book.add("Jo", T0 + 3600)
    for mac in (A, B):
        book.map_mac(mac, p.id)
    book.observe(counters(**{p.id: 1200}), "e1")
    now = counters(**{p.id: 1200})
    gs = guests.groups(book.passes(), book.macs(), now, clock())
    g = next(g for g in gs if g.name == p.id)
    assert g.macs == (A, B)
    assert g.quota_bytes == 1200 + 3800  # the counter now + what is left
    assert g.until == int(T0 + 3600) and not g.blocked
    assert next(g for g in gs if g.name == other.id).quota_bytes is None
    spec = DataplaneSpec(
        "lan0",
        "wan0",
        "8944",
        (ClientSpec(A, rate_down_kbit=500), ClientSpec(C, rate_up_kbit=64)),
    )
    out = guests.apply_to_spec(spec, book.passes(), gs, frozenset({C}))
    a, c = out.clients
    # The pass's cap is the group's (shared by its MACs); a device keeps its own caps too.
    assert (a.rate_down_kbit, a.rate_up_kbit) == (500, None)
    assert c.blocked  # joined, key not named yet: held
    assert (c.rate_down_kbit, c.rate_up_kbit) == (None, 64)
    # B has no lease (not in the spec's clients): the group keeps only who is here.
    mine = next(g for g in out.groups if g.name == p.id)
    assert mine.macs == (A,)
    assert (mine.rate_down_kbit, mine.rate_up_kbit) == (1000, 1000)
    script = render(out)
    # One named limit per direction for the pass, referenced from its member's chains.
    assert f"add limit inet simspot lg_{p.id}_down {{ rate over 125000 bytes/second" in script
    assert f'limit name "lg_{p.id}_up" drop' in script
    assert f'quota name "qg_{p.id}" drop' in script
    assert f'counter name "g_{p.id}_rx"' in script
    assert f"meta time >= {int(T0 + 3600)} drop" in script
    book.revoke(p.id)
    gs = guests.groups(book.passes(), book.macs(), now, clock())
    assert next(g for g in gs if g.name == p.id).blocked


def test_a_mac_in_two_groups_is_refused() -> None:
    from simspot.dataplane.contract import GroupSpec

    spec = DataplaneSpec(
        "lan0",
        "wan0",
        "8944",
        (ClientSpec(A),),
        groups=(GroupSpec("one", (A,)), GroupSpec("two", (A,))),
    )
    with pytest.raises(DataplaneError, match="groups one and two"):
        render(spec)
    with pytest.raises(DataplaneError, match="group name"):
        render(DataplaneSpec("lan0", "wan0", "8944", groups=(GroupSpec("Bad-Name"),)))


def test_active_passes_are_offered_as_wpa2_keys_only(book: guests.GuestBook, clock: Clock) -> None:
    p = book.add("Kim", T0 + 3600)
    gone = book.add("Lee", T0 + 3600)
    book.revoke(gone.id)
    keys = guests.person_keys(book.passes(), clock())
    assert [k.key_id for k in keys] == [p.id]
    conf = ApConfig(
        interface="wlan0",
        ssid="home",
        passphrase=passphrase.generate(),
        security="wpa2-wpa3",
        person_keys=keys,
    )
    files = HostapdFiles("/run/h", "/run/h/a", "/run/h/d", psk_file="/run/h/person.psk")
    text = hostapd_conf(conf, files)
    assert "wpa_psk_file=/run/h/person.psk" in text
    assert "sae_password" not in text  # no SAE identifier: hostapd would not name the key
    assert wpa_psk_file(conf) == f"keyid={p.id} 00:00:00:00:00:00 {p.passphrase}\n"


def test_the_join_qr_carries_the_guest_key_and_no_identifier(book: guests.GuestBook) -> None:
    p = book.add("Mo", T0 + 3600)
    text = guests.qr_text("home; net", "wpa2-wpa3", False, p)
    parsed = qr.parse_wifi_text(text)
    assert (parsed.ssid, parsed.password, parsed.password_id) == ("home; net", p.passphrase, None)
    assert parsed.kind == "WPA"


@pytest.mark.parametrize(
    ("backend", "security", "refused"),
    [
        ("hostapd", "wpa2", None),
        ("hostapd", "wpa2-wpa3", None),
        ("hostapd", "wpa3", "WPA3-only"),
        ("networkmanager", "wpa2", "no per-device keys"),
        ("none", "wpa2", "no per-device keys"),
    ],
)
def test_passes_are_refused_where_devices_cannot_be_told_apart(
    backend: str, security: guests.Security, refused: str | None
) -> None:
    why = guests.refusal(backend, security)
    assert (why is None) if refused is None else (why is not None and refused in why)


def test_period_keys() -> None:
    t = dt.datetime(2026, 12, 2, 12, tzinfo=dt.UTC).timestamp()
    start = dt.datetime(2026, 11, 15, tzinfo=dt.UTC)
    assert guests.period_key("total", t, None) == "total"
    assert guests.period_key("cycle", t, start) == "cycle:" + start.isoformat()
    assert guests.period_key("cycle", t, None) == "month:2026-12"
    assert guests.period_key("day", t, None) != guests.period_key("day", t + 86400, None)


def test_a_cycle_pass_is_not_renewed_by_switching_uplinks(
    book: guests.GuestBook, clock: Clock
) -> None:
    """A "cycle" pass follows the plan of the uplink in use: switching to a wired link (the
    calendar month), losing the uplink for a moment, or to a SIM whose cycle began earlier and
    back, is the same period; only a period that began later renews it."""
    now = dt.datetime.fromtimestamp(T0, dt.UTC)  # 2027-01-15 08:00 UTC
    sim1 = dt.datetime(2027, 1, 10, tzinfo=dt.UTC)  # SIM 1's plan: cycle from the 10th
    sim2 = dt.datetime(2027, 1, 12, tzinfo=dt.UTC)  # the second modem's plan: from the 12th
    assert now.month == 1 and now.day == 15
    p = book.add("Hana", T0 + 60 * 86400, period="cycle", allowance_bytes=1000)
    book.observe(counters(**{p.id: 100}), "e1", sim1)
    book.extend(p.id, topup_bytes=50)
    steps: list[tuple[int, dt.datetime | None, bool]] = [
        (200, None, True),  # the wired WAN: no plan, the calendar month began earlier
        (300, None, False),  # no uplink at all for a moment (a switch, a dropped bearer)
        (400, sim1, True),  # back on SIM 1
        (450, None, True),
    ]
    for n, start, known in steps:
        assert book.observe(counters(**{p.id: n}), "e1", start, known) == []
        q = book.get(p.id)
        assert (q.used_bytes, q.topup_bytes) == (n, 50), (n, start, known)
    # the second modem's plan began its cycle later: that is a new period for the pass
    assert [r.id for r in book.observe(counters(**{p.id: 500}), "e1", sim2)] == [p.id]
    assert (book.get(p.id).used_bytes, book.get(p.id).topup_bytes) == (50, 0)
    assert book.observe(counters(**{p.id: 600}), "e1", sim1) == []  # and back: the same
    assert book.get(p.id).used_bytes == 150
    # SIM 1's next cycle (Feb 10) renews it
    clock.t = dt.datetime(2027, 2, 11, tzinfo=dt.UTC).timestamp()
    feb = dt.datetime(2027, 2, 10, tzinfo=dt.UTC)
    assert [r.id for r in book.observe(counters(**{p.id: 650}), "e1", feb)] == [p.id]
    assert book.get(p.id).used_bytes == 50


def test_no_uplink_does_not_start_a_new_calendar_month_for_a_cycle_pass(
    book: guests.GuestBook,
) -> None:
    # SIM 1's cycle began on 20 December; the calendar month (January) began later
    dec20 = dt.datetime(2026, 12, 20, tzinfo=dt.UTC)
    p = book.add("Ida", T0 + 86400, period="cycle", allowance_bytes=1000)
    book.observe(counters(**{p.id: 100}), "e1", dec20)
    assert book.observe(counters(**{p.id: 200}), "e1", None, uplink_known=False) == []
    assert book.observe(counters(**{p.id: 300}), "e1", dec20) == []
    assert book.get(p.id).used_bytes == 300


def test_period_keys_are_ordered_by_when_they_began() -> None:
    assert guests.new_period("cycle:2027-01-12T00:00:00+00:00", "cycle:2027-01-10T00:00:00+00:00")
    assert not guests.new_period("month:2027-01", "cycle:2027-01-10T00:00:00+00:00")
    assert guests.new_period("month:2027-02", "cycle:2027-01-10T00:00:00+00:00")
    assert guests.new_period("2027-01-16", "2027-01-15")
    assert not guests.new_period("2027-01-14", "2027-01-15")  # a clock set back: the same day
    assert not guests.new_period("total", "total") and guests.new_period("x", "y")


def test_the_cli_reads_end_times_people_say() -> None:
    from simspot.cli.guest import parse_until

    tz = dt.timezone(dt.timedelta(hours=8))
    now = dt.datetime(2026, 12, 2, 15, 30, tzinfo=tz)  # a Wednesday
    assert parse_until("23:00", now) == now.replace(hour=23, minute=0)
    assert parse_until("tonight", now) == now.replace(hour=23, minute=0)
    assert parse_until("09:00", now) == dt.datetime(2026, 12, 3, 9, 0, tzinfo=tz)  # tomorrow
    assert parse_until("2h", now) == now + dt.timedelta(hours=2)
    assert parse_until("90m", now) == now + dt.timedelta(minutes=90)
    assert parse_until("this weekend", now) == dt.datetime(2026, 12, 6, 23, 59, tzinfo=tz)
    assert parse_until("2026-12-24T18:00", now) == dt.datetime(2026, 12, 24, 18, tzinfo=tz)
    for bad in ("", "soon", "25:00", "0h"):
        with pytest.raises(SimspotValueError, match="until"):
            parse_until(bad, now)


def test_why_passes_are_refused_is_said_in_both_languages() -> None:
    from simspot.i18n import render

    assert guests.refusal("hostapd", "wpa2") is None
    assert guests.refusal("networkmanager", "wpa2") == guests.UNSUPPORTED.format(
        backend="networkmanager"
    )
    assert guests.refusal("hostapd", "wpa3") == guests.WPA3_ONLY
    zh = guests.refusal("none", "wpa2", "zh")
    assert zh is not None and "访客通行证" in zh and "none" in zh
    assert render("guest.clients-note", {}) == guests.CLIENTS_NOTE
