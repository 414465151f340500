"""The fleet API keeps to its OpenAPI schema: a bounded schemathesis run (valid and invalid
requests for every operation) against the real app on a real PostgreSQL with data; no answer may
be a 5xx, and every answer must be documented (status, content type, body). Derandomized under
CI=true. Commands go to a publisher that keeps them (the broker is not what is fuzzed here)."""

from __future__ import annotations

import os
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from simspot.daemon.auth import Auth
from simspot.fleet import db, protocol
from simspot.fleet.api import create_app
from tests.fleet.fleet_data import BOXES, seed
from tests.fleet.pg import start_postgres
from tests.fleet.served import served

EXAMPLES = int(os.environ.get("SIMSPOT_FUZZ_EXAMPLES", "16"))
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


class Keeps:
    """A command publisher that keeps what it is given."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, protocol.Command]] = []

    def publish(self, box: str, command: protocol.Command) -> None:
        self.sent.append((box, command))


class Site:
    def __init__(self, url: str, token: str, keeps: Keeps) -> None:
        self.url, self.token, self.keeps = url, token, keeps


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    tmp = tmp_path_factory.mktemp("fleet-openapi")
    pg = start_postgres(tmp)
    try:
        with db.connect(pg.dsn) as conn:
            db.migrate(conn)
            for box in BOXES:
                db.add_box(conn, box)
            seed(conn)
        (tmp / "state").mkdir()
        auth = Auth(Path(tmp / "state"))
        auth.setup()
        keeps = Keeps()
        app = create_app(pg.dsn, keeps, auth, run_alerts=False)
        with served(app) as url:
            yield Site(url, auth.token, keeps)
    finally:
        pg.stop()


@pytest.fixture(scope="module")
def schema(site: Site) -> dict[str, Any]:
    r = httpx.get(
        site.url + "/openapi.json", headers={"Authorization": f"Bearer {site.token}"}, timeout=60
    )
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


def test_every_route_has_typed_answers_and_documented_errors(schema: dict[str, Any]) -> None:
    untyped = []
    for path, ops in schema["paths"].items():
        for method, op in ops.items():
            ok = next(v for k, v in op["responses"].items() if k.startswith("2"))
            js = ok["content"]["application/json"]["schema"]
            if js == {} or (js.get("type") == "object" and "properties" not in js):
                untyped.append(f"{method.upper()} {path}")
            assert "421" in op["responses"], (method, path)  # the Host check
            if path not in ("/api/v1/login", "/api/v1/logout", "/api/v1/messages"):
                assert {"401", "422", "503"} <= set(op["responses"]), (method, path)
    assert not untyped, untyped
    for path in ("/api/v1/boxes", "/api/v1/usage", "/api/v1/alerts", "/api/v1/commands"):
        assert path in schema["paths"]


def test_schemathesis_finds_no_server_error_and_no_answer_off_the_schema(
    site: Site, schema: dict[str, Any]
) -> None:
    loaded = schemathesis.openapi.from_dict(schema)
    auth = {"Authorization": f"Bearer {site.token}"}
    failures: list[str] = []
    calls = 0
    statuses: Counter[int] = Counter()
    started = time.monotonic()
    for result in loaded.get_all_operations():
        operation = result.ok()

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
                base_url=site.url, headers=auth, checks=CHECKS, timeout=30
            )
            if not case.path.endswith("/login"):
                statuses[response.status_code] += 1

        try:
            run()
        except (Exception, BaseExceptionGroup) as exc:
            failures.append(f"{operation.method.upper()} {operation.path}: {exc}"[:2000])
    elapsed = time.monotonic() - started
    print(f"schemathesis: {calls} requests in {elapsed:.0f} s, status codes {dict(statuses)}")
    assert calls >= 100
    assert statuses[401] == 0, statuses
    assert sum(n for code, n in statuses.items() if code < 300) >= calls // 5, statuses
    assert statuses[422] > 0, statuses
    assert not failures, "\n\n".join(failures)
    # Whatever was published was a valid command for a known box.
    for box, command in site.keeps.sent:
        assert box in BOXES
        protocol.decode(protocol.Command, protocol.encode(command))
