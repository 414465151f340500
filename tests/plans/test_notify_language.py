"""Notifications in the language of ``plans.notify_language`` (real local webhook and ntfy)."""

from __future__ import annotations

import json
from email.header import decode_header, make_header
from pathlib import Path

from tests.helpers import until
from tests.plans.test_daemon import SIM1, Peer, api, make_daemon


async def test_warnings_are_sent_in_chinese_when_configured(tmp_path: Path) -> None:
    hook, ntfy = Peer(), Peer()
    d = make_daemon(
        tmp_path,
        {
            "thresholds_percent": [50],
            "notify_language": "zh",
            "webhook": {"url": hook.url + "/hook", "backoff_s": 0.05, "timeout_s": 2},
            "ntfy": {"url": ntfy.url + "/topic"},
        },
    )
    await d.start()
    try:
        async with api(d) as c:
            await until(lambda: d.live.modem is not None, 10)
            r = await c.post(
                "/api/v1/plans",
                json={"iccid": SIM1, "name": "日常", "allowance_bytes": "1GB",
                      "cycle": {"kind": "monthly", "day": 1}},
            )  # fmt: skip
            assert r.status_code == 201, r.text
            r = await c.post(f"/api/v1/plans/{SIM1}/usage", json={"used_bytes": "600MB"})
            assert r.status_code == 200
            await until(lambda: hook.requests and ntfy.requests, 20, "deliveries")
    finally:
        await d.stop()
        hook.close()
        ntfy.close()
    sent = json.loads(hook.requests[0][2])
    assert sent["event"] == "plan.threshold"
    assert sent["message"] == {  # the warning's own sentence (plans/thresholds.py), by id
        "id": "plan.warning.threshold",
        "lang": "zh",
        "text": "套餐 日常：流量已用 50%（600.0 MB，共 1.0 GB）。",
    }
    _, headers, body = ntfy.requests[0]
    assert body.decode() == "套餐 日常：流量已用 50%（600.0 MB，共 1.0 GB）。"
    assert str(make_header(decode_header(headers["Title"]))) == "simspot：套餐 日常 已用 50%"
