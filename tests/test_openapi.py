"""The OpenAPI schema is complete and the API keeps to it (issues 11 and 17).

A bounded schemathesis run against a running demo with the CLI's token: every operation of the
schema gets ``EXAMPLES`` generated requests (valid and invalid ones); no answer may be a 5xx, and
every answer must be a documented status code with a documented content type and body.
Derandomized under CI=true, so a red run always means a change broke something.
"""

from __future__ import annotations

import os
import time
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from simspot.plans.model import MAX_BYTES
from tests.helpers import RunningDemo, patient, start_demo, stop_demo

EXAMPLES = int(os.environ.get("SIMSPOT_FUZZ_EXAMPLES", "16"))
# The event stream never ends: it is checked by the API tests, not fuzzed.
EXCLUDED = {("GET", "/api/v1/events")}
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningDemo]:
    d = start_demo(tmp_path_factory.mktemp("openapi"))
    try:
        yield d
    finally:
        stop_demo(d)


@pytest.fixture(scope="module")
def schema(demo: RunningDemo) -> dict[str, Any]:
    with patient(demo) as c:
        r = c.get("/openapi.json")
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


def test_every_capability_route_has_typed_answers(schema: dict[str, Any]) -> None:
    """No route answers an untyped object: each JSON answer names its schema."""
    untyped = []
    paths: dict[str, dict[str, Any]] = schema["paths"]
    for path, ops in paths.items():
        for method, op in ops.items():
            if method not in ("get", "post", "put", "patch", "delete"):
                continue
            ok = next((v for k, v in op["responses"].items() if k.startswith("2")), None)
            assert ok is not None, (method, path)
            content = ok.get("content", {})
            js = content.get("application/json", {}).get("schema")
            if js is None:
                assert content, (method, path)  # a documented non-JSON answer (QR code, events)
                continue
            if js == {} or (js.get("type") == "object" and "properties" not in js):
                untyped.append(f"{method.upper()} {path}")
    assert not untyped, untyped
    for prefix in (
        "/api/v1/plans",
        "/api/v1/usage",
        "/api/v1/hotspot",
        "/api/v1/sim",
        "/api/v1/power",
        "/api/v1/esim",
    ):
        assert any(p.startswith(prefix) for p in paths), prefix


def test_error_answers_are_documented_with_their_field(schema: dict[str, Any]) -> None:
    op = schema["paths"]["/api/v1/hotspot/settings"]["post"]
    ref = op["responses"]["422"]["content"]["application/json"]["schema"]["$ref"]
    model = schema["components"]["schemas"][ref.rsplit("/", 1)[-1]]
    assert {"detail", "field"} <= set(model["properties"])
    limits = schema["components"]["schemas"]["ClientLimitIn"]["properties"]["day_bytes"]
    assert limits["anyOf"][0] == {"type": "integer", "minimum": 0, "maximum": MAX_BYTES}


def test_schemathesis_finds_no_server_error_and_no_answer_off_the_schema(
    demo: RunningDemo, schema: dict[str, Any]
) -> None:
    loaded = schemathesis.openapi.from_dict(schema)
    auth = {"Authorization": f"Bearer {demo.token()}"}
    failures: list[str] = []
    calls = 0
    statuses: Counter[int] = Counter()
    started = time.monotonic()
    for result in loaded.get_all_operations():
        operation = result.ok()
        if (operation.method.upper(), operation.path) in EXCLUDED:
            continue

        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            database=None,
            derandomize=os.environ.get("CI") == "true",
            suppress_health_check=list(HealthCheck),
        )
        @given(case=operation.as_strategy())
        def run(case: schemathesis.Case) -> None:
            nonlocal calls
            calls += 1
            response = case.call_and_validate(
                base_url=demo.url, headers=auth, checks=CHECKS, timeout=30
            )
            if not case.path.endswith("/login"):  # a made-up password is a 401 there
                statuses[response.status_code] += 1

        try:
            run()
        # Collect every operation's failures (schemathesis raises a BaseExceptionGroup), then
        # report them all.
        except (Exception, BaseExceptionGroup) as exc:
            failures.append(f"{operation.method.upper()} {operation.path}: {exc}"[:2000])
    elapsed = time.monotonic() - started
    print(f"schemathesis: {calls} requests in {elapsed:.0f} s, status codes {dict(statuses)}")
    assert calls >= 100
    # Authenticated requests that reach the routes: many succeed, many are refused as invalid.
    assert statuses[401] == 0, statuses
    assert sum(n for code, n in statuses.items() if code < 300) >= calls // 5, statuses
    assert statuses[422] > 0, statuses
    assert not failures, "\n\n".join(failures)
    # The daemon is still well: it answers, and no component failed on an event that does not
    # fit the catalogue (strict in tests) or on anything the requests left behind.
    with patient(demo) as c:
        health = c.get("/api/v1/health").json()
    assert all("EventPayloadError" not in (h["last_error"] or "") for h in health), health
    assert demo.proc.poll() is None
