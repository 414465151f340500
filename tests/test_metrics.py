"""Prometheus metrics from the demo: token required, the exposition format, the live state."""

from __future__ import annotations

import re
import signal
from pathlib import Path

import httpx

from tests.helpers import start_demo, wait_for

SAMPLE = re.compile(r'^([a-z_]+)(\{([a-z_]+="[^"]*",?)*\})? (-?[0-9.e+]+|NaN)$')


def test_metrics_need_the_token_and_report_the_live_state(tmp_path: Path) -> None:
    demo = start_demo(tmp_path / "state", timeout=90)  # a busy machine seeds slowly
    try:
        assert httpx.get(demo.url + "/metrics").status_code == 401
        bad = {"Authorization": "Bearer not-the-token"}
        assert httpx.get(demo.url + "/metrics", headers=bad).status_code == 401
        with demo.client() as c:

            def scrape() -> str | None:
                r = c.get("/metrics")
                assert r.status_code == 200
                assert r.headers["content-type"].startswith("text/plain; version=0.0.4")
                return r.text if "simspot_client_bytes{" in r.text else None

            text = wait_for(scrape, timeout=60, interval=0.5)
            status = c.get("/api/v1/status").json()
        samples: dict[str, list[str]] = {}
        for line in text.splitlines():
            if line.startswith("#"):
                assert line.startswith(("# HELP simspot_", "# TYPE simspot_")), line
                continue
            m = SAMPLE.match(line)
            assert m, f"not a Prometheus sample: {line!r}"
            samples.setdefault(m.group(1), []).append(line)
        for name in (
            "simspot_info", "simspot_sharing", "simspot_uplink_up",
            "simspot_modem_signal_percent", "simspot_modem_registered",
            "simspot_battery_percent", "simspot_battery_charging", "simspot_clients",
            "simspot_client_bytes", "simspot_component_up", "simspot_component_restarts_total",
        ):  # fmt: skip
            assert name in samples, name
        assert samples["simspot_info"] == [
            f'simspot_info{{version="{status["version"]}",mode="demo"}} 1'
        ]
        assert any(status["modem"]["id"] in s for s in samples["simspot_modem_signal_percent"])
        components = {c["name"] for c in status["components"]}
        assert {re.search(r'component="([^"]+)"', s).group(1)  # type: ignore[union-attr]
                for s in samples["simspot_component_up"]} == components  # fmt: skip
    finally:
        demo.stop(signal.SIGINT)
