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
