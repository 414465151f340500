from __future__ import annotations

from pathlib import Path

import pytest

from simspot import config
from simspot.errors import ConfigError


def write(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "simspot.toml"
    p.write_text(text)
    return p


def test_defaults_when_default_file_missing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(config, "DEFAULT_CONFIG_PATH", tmp_path / "nope.toml")
    conf = config.load(None)
    assert conf.daemon.api_host == "127.0.0.1"
    assert conf.modem.backend == "sim"


def test_valid_file(tmp_path: Path) -> None:
    conf = config.load(write(tmp_path, '[daemon]\napi_port = 9000\nstate_dir = "/tmp/x"\n'))
    assert conf.daemon.api_port == 9000
    assert conf.daemon.state_dir == Path("/tmp/x")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("[daemon]\nbogus = 1\n", "daemon.bogus: unknown key"),
        ("[nosuchsection]\n", "nosuchsection: unknown key"),
        ('[daemon]\napi_port = "eighty"\n', "daemon.api_port: Input should be a valid integer"),
        (
            "[daemon]\napi_port = 70000\n",
            "daemon.api_port: Input should be less than or equal to 65535",
        ),
        ("[battery]\nstop_percent = 150\n", "battery.stop_percent"),
        ('[modem]\nbackend = "carrier-pigeon"\n', "modem.backend"),
        ("[daemon\n", "not valid TOML"),
    ],
)
def test_bad_config_names_the_key(tmp_path: Path, text: str, expected: str) -> None:
    with pytest.raises(ConfigError) as info:
        config.load(write(tmp_path, text))
    assert expected in str(info.value)
    assert str(tmp_path / "simspot.toml") in str(info.value)


def test_all_problems_reported_at_once(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as info:
        config.load(write(tmp_path, "[daemon]\napi_port = -5\nfoo = 1\n"))
    assert "daemon.api_port" in str(info.value) and "daemon.foo: unknown key" in str(info.value)


def test_explicit_missing_file_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="config file not found"):
        config.load(tmp_path / "missing.toml")


def test_daemon_refuses_to_start_on_bad_config(tmp_path: Path) -> None:
    from tests.helpers import run_cli

    bad = write(tmp_path, "[daemon]\napi_port = -1\n")
    result = run_cli("serve", "--config", str(bad), "--state-dir", str(tmp_path / "state"))
    assert result.returncode == 1
    assert "daemon.api_port" in result.stderr
    assert not (tmp_path / "state").exists()


def test_readme_example_config_is_valid(tmp_path: Path) -> None:
    import re

    readme = (Path(__file__).parent.parent / "README.md").read_text()
    examples = re.findall(r"```toml\n(.*?)```", readme, re.S)
    assert examples
    for text in examples:
        config.load(write(tmp_path, text))
