"""The event catalogue: every kind the source publishes is catalogued, payloads fit their models."""

from __future__ import annotations

import ast
import functools
import logging
import os
from collections.abc import Iterator
from pathlib import Path
from typing import get_args

import pytest

from simspot.daemon import events
from simspot.daemon.events import KINDS, PAYLOADS, EventBus, EventKind, EventPayloadError

SRC = Path(events.__file__).resolve().parents[1]
# Callables whose first argument is an event kind: the bus, the eSIM service's and ModemManager
# backend's publish hooks, and the plans' threshold warnings (published as they are).
PUBLISHERS = {"publish", "_publish", "_emit", "Warning"}


def _name(func: ast.expr) -> str | None:
    if isinstance(func, ast.Attribute):
        return func.attr
    if isinstance(func, ast.Name):
        return func.id
    return None


def _kinds(node: ast.expr) -> Iterator[ast.expr]:
    """The kind expressions a first argument may evaluate to (both sides of an ``x if c else y``)."""
    if isinstance(node, ast.IfExp):
        yield from _kinds(node.body)
        yield from _kinds(node.orelse)
    else:
        yield node


@functools.cache
def published() -> tuple[dict[str, list[str]], list[str]]:
    """Kinds written literally at publish sites (kind -> where), and sites that build a kind.

    Read once per run: the source does not change meanwhile.
    """
    found: dict[str, list[str]] = {}
    built: list[str] = []
    for path in sorted(SRC.rglob("*.py")):
        rel = path.relative_to(SRC.parent)
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        for node in ast.walk(tree):
            exprs: list[ast.expr] = []
            if isinstance(node, ast.Call) and _name(node.func) in PUBLISHERS and node.args:
                exprs = [node.args[0]]
            elif (
                isinstance(node, ast.AnnAssign)
                and isinstance(node.annotation, ast.Name)
                and node.annotation.id == "EventKind"
                and node.value is not None
            ):
                exprs = [node.value]
            for expr in exprs:
                for kind in _kinds(expr):
                    where = f"{rel}:{kind.lineno}"
                    if isinstance(kind, ast.Constant) and isinstance(kind.value, str):
                        found.setdefault(kind.value, []).append(where)
                    elif isinstance(kind, ast.JoinedStr | ast.BinOp):
                        built.append(where)
    return found, built


def test_every_published_kind_is_catalogued_and_none_is_built() -> None:
    found, built = published()
    assert len(found) >= 35, sorted(found)  # the walk does see the publishers
    unknown = {k: v for k, v in found.items() if k not in KINDS}
    assert not unknown, f"published but not in daemon/events.py: {unknown}"
    assert not built, f"event kinds built from text (write each kind out): {built}"


def test_every_catalogued_kind_is_published_somewhere() -> None:
    found, _ = published()
    assert sorted(KINDS - set(found)) == []


def test_the_literal_and_the_models_name_the_same_kinds() -> None:
    assert set(get_args(EventKind)) == set(PAYLOADS) == KINDS
    for kind, model in PAYLOADS.items():
        assert model.model_config.get("extra") == "forbid", kind


def test_strict_bus_refuses_a_payload_that_does_not_fit() -> None:
    bus = EventBus(strict=True)
    q = bus.subscribe()
    bus.publish("client.joined", {"mac": "02:00:00:00:00:01"})
    with pytest.raises(EventPayloadError, match=r"client\.joined.*mac"):
        bus.publish("client.joined", {"address": "02:00:00:00:00:01"})
    with pytest.raises(EventPayloadError, match=r"sim\.switched.*slot"):
        bus.publish("sim.switched", {"slot": "two"})
    with pytest.raises(EventPayloadError, match="not in the catalogue"):
        bus.publish("made.up", {})  # type: ignore[arg-type]  # what mypy refuses
    assert [e.kind for e in bus.recent()] == ["client.joined"]
    assert q.qsize() == 1


def test_lenient_bus_logs_a_misfit_once_per_kind_and_still_delivers(
    caplog: pytest.LogCaptureFixture,
) -> None:
    bus = EventBus(strict=False)
    with caplog.at_level(logging.ERROR, logger="simspot.events"):
        for n in range(3):
            bus.publish("sim.switched", {"slot": 1, "extra": n})
        bus.publish("client.left", {})
    errors = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(errors) == 2, errors
    assert "sim.switched" in errors[0] and "extra" in errors[0]
    assert "client.left" in errors[1] and "mac" in errors[1]
    assert [e.kind for e in bus.recent()] == ["sim.switched"] * 3 + ["client.left"]


def test_the_tests_run_strict() -> None:
    assert os.environ.get(events.STRICT_ENV) == "1"
    assert EventBus().strict


def test_registration_payload_uses_the_published_key_from() -> None:
    bus = EventBus(strict=True)
    ev = bus.publish("modem.registration", {"from": "searching", "to": "home", "operator": None})
    assert ev.data == {"from": "searching", "to": "home", "operator": None}
