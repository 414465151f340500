"""Shared test set-up. Under CI=true a skipped test fails the run: CI has root and every daemon."""

from __future__ import annotations

import os

import pytest
from hypothesis import settings

# Property tests explore new inputs on developers' machines; CI replays a fixed derivation so a
# red run always means a change broke something. No deadline: CI machines are loaded.
settings.register_profile("dev", deadline=None)
settings.register_profile("ci", deadline=None, derandomize=True, print_blob=True)
settings.load_profile("ci" if os.environ.get("CI") == "true" else "dev")

# An event whose payload does not fit its model (simspot.daemon.events) raises in every daemon the
# tests start, in process or as a subprocess (which inherits the environment).
os.environ.setdefault("SIMSPOT_STRICT_EVENTS", "1")


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if os.environ.get("CI") != "true":
        return
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    skipped = reporter.stats.get("skipped", []) if reporter else []
    if skipped:
        reporter.write_line(
            f"CI=true: {len(skipped)} test(s) skipped; a skipped test is a failure in CI", red=True
        )
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
