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
    assert conf.modem.backend is None  # the profile decides: none live, simulated in the demo


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


def test_bad_config_file_reads_in_chinese(tmp_path: Path) -> None:
    """Every problem of a refused file in the reader's language: "<key path>: <problem>"."""
    import re

    bad = write(
        tmp_path,
        '[daemon]\napi_port = 70000\nfoo = 1\ntrusted_proxies = ["proxy.example"]\n'
        "[battery]\nstop_percent = 50\nwarn_percent = 20\n",
    )
    with pytest.raises(ConfigError) as info:
        config.load(bad)
    err = info.value
    assert err.msg_id == "config.invalid"
    english = str(err)
    assert "daemon.api_port: Input should be less than or equal to 65535 (got 70000)" in english
    assert "daemon.foo: unknown key" in english
    zh = err.localized("zh")
    assert re.search(r"[\u4e00-\u9fff]", zh)
    assert str(bad) in zh
    assert "daemon.api_port：应小于或等于 65535（实际为 70000）" in zh
    assert "daemon.foo：未知的键" in zh
    assert "daemon.trusted_proxies：'proxy.example' 不是 IP 地址或网段" in zh
    assert "battery：stop_percent（50）不能高于 warn_percent（20）" in zh
    assert "Input should" not in zh and "Value error" not in zh
    # the problems travel as messages, so the API and web UI can render them too
    problems = err.params["problems"]
    assert isinstance(problems, list) and all({"id", "params"} <= p.keys() for p in problems)


def test_config_file_errors_read_in_chinese(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as info:
        config.load(tmp_path / "missing.toml")
    assert info.value.localized("zh") == f"{tmp_path / 'missing.toml'}：找不到配置文件"
    with pytest.raises(ConfigError) as info:
        config.load(write(tmp_path, "[daemon\n"))
    assert "不是有效的 TOML" in info.value.localized("zh")


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


SECRET_CASES = [
    # (config text, the key the error must name, what it must say, the secret)
    (
        '[modem.apn."89440000000000000001"]\npassword = 87654321\n',
        "modem.apn.89440000000000000001.password",
        "wrong type",
        "87654321",
    ),
    ('[modem]\npin = "1234x5678"\n', "modem.pin", "wrong format", "1234x5678"),
    ("[modem]\npin = 98765432123\n", "modem.pin", "wrong type", "98765432123"),
    ("[plans.ntfy]\ntoken = 4242424242\n", "plans.ntfy.token", "wrong type", "4242424242"),
    (
        '[plans.webhook]\nurl = "ftp://hook:s3cr3tpw@example.org/x"\n',
        "plans.webhook.url",
        "wrong format",
        "s3cr3tpw",
    ),
    (
        '[plans.webhook]\nurl = "https://hooks.example/T0/B0/XyZsecretPath waits"\n',
        "plans.webhook.url",
        "wrong format",
        "XyZsecretPath",
    ),
    ('[hotspot]\npassphrase = ["hunter22hunter"]\n', "hotspot.passphrase", "", "hunter22"),
    ('[hotspot]\npassphrase = "Tr0ub4dor"\n', "hotspot", "", "Tr0ub4dor"),
    ('[hotspot]\npassphrase = "aaaaaaaaaaaaaaaaaaaa"\n', "hotspot", "", "aaaaaaaaaaaa"),
]


@pytest.mark.parametrize(("text", "key", "says", "secret"), SECRET_CASES)
def test_config_errors_never_show_a_secret(
    tmp_path: Path, text: str, key: str, says: str, secret: str
) -> None:
    with pytest.raises(ConfigError) as info:
        config.load(write(tmp_path, text))
    message = str(info.value)
    assert key in message
    assert says in message
    assert secret not in message


def test_url_credentials_in_other_errors_are_masked(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as info:
        config.load(
            write(tmp_path, '[plans.ntfy]\nurl = "https://me:topsecret@ntfy.example/a b"\n')
        )
    message = str(info.value)
    assert "plans.ntfy.url" in message and "ntfy.example" in message  # the rest is still shown
    assert "topsecret" not in message and "me:" not in message


def test_non_secret_values_are_still_shown(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"daemon\.api_port: .*\(got 70000\)"):
        config.load(write(tmp_path, "[daemon]\napi_port = 70000\n"))


def test_secret_by_type_as_well_as_by_name() -> None:
    from pydantic import BaseModel, SecretStr

    from simspot.configbase import is_secret_location

    class Inner(BaseModel):
        code: SecretStr
        label: str

    class Outer(BaseModel):
        items: dict[str, Inner]
        listed: list[Inner]
        maybe: Inner | None = None
        webhook_url: str = ""
        api_key_token: str = ""

    assert is_secret_location(Outer, ("items", "any-key", "code"))
    assert is_secret_location(Outer, ("listed", 3, "code"))
    assert is_secret_location(Outer, ("maybe", "code"))
    assert not is_secret_location(Outer, ("items", "any-key", "label"))
    assert is_secret_location(Outer, ("api_key_token",))
    assert is_secret_location(config.Config, ("hotspot", "passphrase"))
    assert is_secret_location(config.Config, ("plans", "webhook", "url"))
    assert not is_secret_location(config.Config, ("plans", "ntfy", "url"))


def test_daemon_access_settings(tmp_path: Path) -> None:
    conf = config.load(
        write(
            tmp_path,
            "[daemon]\n"
            'trusted_proxies = ["127.0.0.1", "10.0.0.0/8", "::1"]\n'
            'allowed_hosts = ["Hotspot.Example.", "[fd00::1]", "192.168.8.1"]\n'
            "session_ttl_s = 600\n",
        )
    )
    assert conf.daemon.trusted_proxies == ["127.0.0.1/32", "10.0.0.0/8", "::1/128"]
    assert conf.daemon.allowed_hosts == ["hotspot.example", "fd00::1", "192.168.8.1"]
    assert conf.daemon.session_ttl_s == 600
    for text, expected in (
        ('trusted_proxies = ["proxy.example"]', "daemon.trusted_proxies: Value error, 'proxy"),
        ('allowed_hosts = ["http://x.example"]', "daemon.allowed_hosts"),
        ('allowed_hosts = ["x.example:8080"]', "no port"),
        ("session_ttl_s = 1", "daemon.session_ttl_s"),
        (f"allowed_hosts = {['h'] * 33!r}".replace("'", '"'), "daemon.allowed_hosts"),
    ):
        with pytest.raises(ConfigError, match=expected.replace(".", r"\.").replace("(", r"\(")):
            config.load(write(tmp_path, f"[daemon]\n{text}\n"))
