"""`simspot fleet join|leave|status` (the real CLI, a real Mosquitto) and the config editing
behind them."""

from __future__ import annotations

import hashlib
import json
import ssl
import stat
import time
import tomllib
from collections.abc import Iterator
from pathlib import Path

import pytest

from simspot import config as cfg
from simspot.errors import SimspotValueError
from simspot.fleet import protocol
from simspot.fleet.homeassistant import discovery
from simspot.fleet.join import fleet_section, replace_section
from tests.fleet.broker import Broker, running_broker
from tests.fleet.mqtt import Client, wait_until
from tests.fleet.test_report import USERS
from tests.helpers import run_cli

CONFIG = """# my box
[daemon]
state_dir = "{state}"  # here

[fleet]
enabled = false
broker = "mqtts://old.example:8883"

# the radio
[hotspot]
ssid = "Van"

[[uplink.wired]]
interface = "eth1"
"""


@pytest.fixture
def broker(tmp_path: Path) -> Iterator[Broker]:
    with running_broker(tmp_path, USERS) as b:
        yield b


def pin(broker: Broker) -> bytes:
    return hashlib.sha256(ssl.PEM_cert_to_DER_cert(broker.ca_path.read_text())).digest()


def test_the_fleet_section_is_replaced_added_and_removed_keeping_every_other_line() -> None:
    text = CONFIG.format(state="/var/lib/simspot")
    section = fleet_section({"enabled": True, "box_id": "van-7", "allow_commands": ["uplink.use"]})
    new = replace_section(text, "fleet", section)
    data = tomllib.loads(new)
    assert data["fleet"] == {"enabled": True, "box_id": "van-7", "allow_commands": ["uplink.use"]}
    assert data["hotspot"] == {"ssid": "Van"} and data["uplink"]["wired"][0]["interface"] == "eth1"
    assert "# the radio\n[hotspot]" in new and 'state_dir = "/var/lib/simspot"  # here' in new
    gone = replace_section(new, "fleet", None)
    assert "fleet" not in tomllib.loads(gone)
    assert gone.replace("\n", "") == text[: text.index("[fleet]")].replace("\n", "") + text[
        text.index("# the radio") :
    ].replace("\n", "")
    added = replace_section("[daemon]\napi_port = 0\n", "fleet", section)
    assert tomllib.loads(added)["fleet"]["box_id"] == "van-7"
    assert replace_section("", "fleet", section) == section
    with pytest.raises(SimspotValueError, match="by hand"):
        replace_section("fleet.enabled = true\n[daemon]\napi_port = 0\n", "fleet", section)


def test_join_checks_the_broker_then_writes_credentials_and_config_and_leave_undoes_it(
    tmp_path: Path, broker: Broker
) -> None:
    state = tmp_path / "state"
    conf = tmp_path / "simspot.toml"
    conf.write_text(CONFIG.format(state=state))
    url = f"mqtts://{broker.host}:{broker.port}"
    token = protocol.make_join_token("box-1", USERS["box-1"], pin(broker))

    # A CA that is not the pinned one, a token without a password the broker knows, no CA for
    # a pinned token: each refused with its reason, nothing written.
    other = tmp_path / "other-ca.pem"
    other.write_text(
        "-----BEGIN CERTIFICATE-----\n"
        + (tmp_path / "mosquitto" / "server.pem").read_text().split("\n", 1)[1]
    )
    wrong = protocol.make_join_token("box-1", "not-the-password-00000", pin(broker))
    cases = [
        ((token, "--ca", str(other)), "does not match the CA pinned"),
        ((token,), "pins the broker's CA"),
        ((wrong, "--ca", str(broker.ca_path)), "refused the login"),
        (("v1.Box.x",), "token"),
    ]
    before = conf.read_text()
    for args, said in cases:
        r = run_cli("fleet", "join", url, *args, "--config", str(conf), timeout=60)
        assert r.returncode == 1, r.stdout
        assert said in " ".join((r.stdout + r.stderr).split())
        assert USERS["box-1"] not in r.stdout + r.stderr
        assert conf.read_text() == before and not (state / "fleet.json").exists()

    r = run_cli(
        "fleet",
        "join",
        url,
        token,
        "--ca",
        str(broker.ca_path),
        "--allow",
        "uplink.auto",
        "--config",
        str(conf),
        "--json",
        timeout=60,
    )
    assert r.returncode == 0, r.stdout + r.stderr
    out = json.loads(r.stdout)
    assert out["config_written"] and out["box"] == "box-1"
    assert USERS["box-1"] not in r.stdout
    creds = state / "fleet.json"
    assert stat.S_IMODE(creds.stat().st_mode) == 0o600
    assert json.loads(creds.read_text()) == {"box": "box-1", "password": USERS["box-1"]}
    loaded = cfg.load(conf)
    assert loaded.fleet.enabled and loaded.fleet.box_id == "box-1"
    assert loaded.fleet.broker == url and loaded.fleet.allow_commands == ["uplink.auto"]
    assert loaded.fleet.ca_file == state / "fleet-ca.pem"
    assert (state / "fleet-ca.pem").read_text() == broker.ca_path.read_text()
    assert loaded.hotspot.ssid == "Van" and USERS["box-1"] not in conf.read_text()

    r = run_cli("fleet", "status", "--config", str(conf), "--json")
    assert r.returncode == 0, r.stdout + r.stderr
    st = json.loads(r.stdout)
    assert st["enabled"] and st["credentials_present"] and st["box_id"] == "box-1"
    assert st["daemon"] == "not running" and st["outbox"] == {}

    r = run_cli("fleet", "leave", "--config", str(conf), "--json")
    assert r.returncode == 0, r.stdout + r.stderr
    assert json.loads(r.stdout)["home_assistant_removed"] is None  # it was not announced
    assert not creds.exists() and not (state / "fleet-ca.pem").exists()
    assert "fleet" not in tomllib.loads(conf.read_text())
    assert cfg.load(conf).hotspot.ssid == "Van"
    r = run_cli("fleet", "status", "--config", str(conf), "--json")
    assert json.loads(r.stdout)["enabled"] is False


def test_leave_takes_the_box_out_of_home_assistant(tmp_path: Path) -> None:
    with running_broker(tmp_path, USERS, ha_user="ha") as broker:
        conf = tmp_path / "simspot.toml"
        conf.write_text(f'[daemon]\nstate_dir = "{tmp_path / "state"}"\n')
        url = f"mqtts://{broker.host}:{broker.port}"
        token = protocol.make_join_token("box-1", USERS["box-1"], pin(broker))
        r = run_cli(
            "fleet", "join", url, token, "--ca", str(broker.ca_path), "--home-assistant",
            "--config", str(conf), timeout=60,
        )  # fmt: skip
        assert r.returncode == 0, r.stdout + r.stderr
        # What the box's reporter announced (retained), as the box.
        box = Client(broker, "box-1", USERS["box-1"], "box-1")
        box.wait_connected()
        configs = discovery("box-1", "Van", "1.0")
        mids = [box.publish(t, p, retain=True) for t, p in configs]
        wait_until(lambda: all(m in box.puback for m in mids), what="pubacks")
        assert all(box.puback[m] < 0x80 for m in mids)  # 0x10: nobody subscribed yet
        box.close()

        def retained() -> list[str]:
            ha = Client(broker, "ha", USERS["ha"], "ha-look", subscribe=("homeassistant/#",))
            try:
                ha.wait_connected()
                ha.wait_subscribed()
                time.sleep(1.0)  # retained messages come right after the SUBACK
                return [m.topic for m in ha.messages() if m.payload]
            finally:
                ha.close()

        assert len(retained()) == len(configs)
        r = run_cli("fleet", "leave", "--config", str(conf), "--json", timeout=60)
        assert r.returncode == 0, r.stdout + r.stderr
        assert json.loads(r.stdout)["home_assistant_removed"] is True
        assert retained() == []
