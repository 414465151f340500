from __future__ import annotations

import io
import json
import logging

from simspot.log import JsonFormatter
from simspot.secrets import mask


def test_mask_nested_and_text() -> None:
    data = {"ssid": "home", "passphrase": "hunter2hunter2", "nested": [{"token": "abc"}]}
    assert mask(data) == {"ssid": "home", "passphrase": "***", "nested": [{"token": "***"}]}
    assert mask("code LPA:1$smdp.example$SECRET-ID end") == "code LPA:1$smdp.example$*** end"


def test_json_logs_mask_secrets() -> None:
    buf = io.StringIO()
    handler = logging.StreamHandler(buf)
    handler.setFormatter(JsonFormatter())
    logger = logging.getLogger("test.masking")
    logger.addHandler(handler)
    logger.propagate = False
    logger.warning("auth Bearer abcdef123", extra={"confirmation_code": "1234", "iccid": "8944"})
    line = json.loads(buf.getvalue())
    assert line["msg"] == "auth Bearer ***"
    assert line["confirmation_code"] == "***"
    assert line["iccid"] == "8944"


def test_url_credentials_masked_in_text() -> None:
    assert mask("POST https://user:pa55@hooks.example/x failed") == (
        "POST https://***@hooks.example/x failed"
    )
    assert mask("see https://hooks.example/x") == "see https://hooks.example/x"


def test_secret_paths() -> None:
    from simspot.secrets import is_secret_path, secret_problem

    assert is_secret_path(["modem", "apn", "8944", "password"])
    assert is_secret_path(("body", "pin"))
    assert is_secret_path(["plans", "ntfy", "token"])
    assert is_secret_path(["plans", "webhook", "url"])
    assert not is_secret_path(["plans", "ntfy", "url"])
    assert not is_secret_path(["modem", "pin_keep_attempts"])
    assert secret_problem("string_too_short") == "too short"
    assert secret_problem("int_type") == "wrong type"
    assert secret_problem("something_new") == "invalid value"
