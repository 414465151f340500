"""dnsmasq's lease file and the hostname claims file: corrupt or hostile content is skipped."""

from __future__ import annotations

from pathlib import Path

from simspot.dataplane.dnsmasq import HostnameBook, parse_leases

GOOD = "1700000000 02:00:00:00:00:01 10.0.0.2 laptop 01:02:00:00:00:00:01"


def test_a_lease_whose_expiry_no_datetime_holds_is_skipped() -> None:
    # Found by fuzzing: the expiry was converted outside the try, so one corrupt line made
    # OSError (EOVERFLOW) or ValueError (year 10000) escape from the station list.
    text = "\n".join(
        [
            "99999999999999999999 02:00:00:00:00:03 10.0.0.4 big *",
            "-99999999999999999 02:00:00:00:00:04 10.0.0.5 small *",
            "253402300800 02:00:00:00:00:05 10.0.0.6 y10k *",
            GOOD,
        ]
    )
    leases = parse_leases(text)
    assert [lease.mac for lease in leases] == ["02:00:00:00:00:01"]


def test_a_hostname_dnsmasq_would_not_write_is_not_shown() -> None:
    text = "\n".join(
        [
            "0 02:00:00:00:00:06 10.0.0.7 \x1b[31mred\x1b[0m *",
            "0 02:00:00:00:00:07 10.0.0.8 " + "a" * 5000 + " *",
            "0 02:00:00:00:00:08 10.0.0.9 printer *",
        ]
    )
    names = {lease.mac: lease.hostname for lease in parse_leases(text)}
    assert names == {
        "02:00:00:00:00:06": None,
        "02:00:00:00:00:07": None,
        "02:00:00:00:00:08": "printer",
    }


def test_a_corrupt_claims_file_is_read_as_far_as_it_makes_sense(tmp_path: Path) -> None:
    # Found by fuzzing: a claim whose time is not a number raised ValueError / TypeError.
    path = tmp_path / "hostnames.json"
    path.write_text(
        '{"02:00:00:00:00:01": ["laptop", "yesterday"], "02:00:00:00:00:02": ["tv", {}],'
        ' "02:00:00:00:00:03": ["phone", 5]}'
    )
    book = HostnameBook(path)
    names = book.names({"02:00:00:00:00:03": "phone", "02:00:00:00:00:04": "phone"}, 10.0)
    assert names == {
        "02:00:00:00:00:03": "phone",
        "02:00:00:00:00:04": "phone (claimed; in use by 02:00:00:00:00:03)",
    }
