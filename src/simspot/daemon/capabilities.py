"""How capabilities plug into the daemon: typed keys, declarations, dependency order.

A capability (data plane, hotspot, modem, plans, eSIM) is declared once, in its package's
``capability.py``, as a :class:`Capability`: its name, the services it ``provides`` and the ones it
``needs`` (must exist) or ``wants`` (used when present), each named by a :class:`Key` of a small
``typing.Protocol`` (see :mod:`simspot.services`). The daemon imports every declared module,
orders the capabilities so that each is installed after what it needs, and hands each one an
:class:`Installer` through which it registers what it provides and reads only what it declared.

A missing capability module, a need nobody provides, a cycle or a capability that does not
provide what it declared stops the daemon at start with a message naming it, never silently.
(The pattern is Home Assistant's: integrations name their dependencies in a manifest and the
loader sets those up first; readers and mypy see what a part uses.)
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Generic, TypeVar, cast

from simspot.errors import StateError

if TYPE_CHECKING:
    from simspot.daemon.runtime import Daemon

T = TypeVar("T")
T_co = TypeVar("T_co", covariant=True)


class CapabilityError(StateError):
    """The capabilities cannot be put together (missing module or service, or a cycle)."""


@dataclass(frozen=True, eq=False)
class Key(Generic[T_co]):
    """A typed name for a service one capability provides to others.

    ``Key[PlanQueries]("plan queries")``: whoever holds the key gets a ``PlanQueries`` back, so
    mypy checks both sides (a Protocol class itself cannot be a ``type[T]`` argument).
    """

    name: str

    def __repr__(self) -> str:
        return f"Key({self.name!r})"


class Services:
    """What the installed capabilities provide, by key. Only the daemon holds this."""

    def __init__(self) -> None:
        self._items: dict[Key[object], object] = {}

    def put(self, key: Key[T], value: T) -> None:
        if key in self._items:
            raise CapabilityError(msg_id="daemon.provided-twice", params={"service": key.name})
        self._items[key] = value

    def get(self, key: Key[T]) -> T | None:
        return cast("T | None", self._items.get(key))

    def __contains__(self, key: Key[object]) -> bool:
        return key in self._items


class Installer:
    """What one capability sees while it is installed: the daemon core and its declared services."""

    def __init__(self, daemon: Daemon, capability: Capability, services: Services) -> None:
        self.daemon = daemon
        self._capability = capability
        self._services = services

    def need(self, key: Key[T]) -> T:
        """A service this capability declared in ``needs`` (always present: checked at start)."""
        if key not in self._capability.needs:
            raise CapabilityError(
                msg_id="daemon.undeclared-use",
                params={"capability": self._capability.name, "service": key.name},
            )
        value = self._services.get(key)
        if value is None:  # the order guarantees it; a provider that did not provide is a bug
            raise CapabilityError(
                msg_id="daemon.need-missing",
                params={"capability": self._capability.name, "service": key.name},
            )
        return value

    def want(self, key: Key[T]) -> T | None:
        """A service this capability declared in ``wants``: None when no capability provides it."""
        if key not in self._capability.wants:
            raise CapabilityError(
                msg_id="daemon.undeclared-use",
                params={"capability": self._capability.name, "service": key.name},
            )
        return self._services.get(key)

    def provide(self, key: Key[T], value: T) -> None:
        if key not in self._capability.provides:
            raise CapabilityError(
                msg_id="daemon.undeclared-provide",
                params={"capability": self._capability.name, "service": key.name},
            )
        self._services.put(key, value)


@dataclass(frozen=True)
class Capability:
    name: str
    install: Callable[[Installer], None]
    provides: tuple[Key[object], ...] = ()
    needs: tuple[Key[object], ...] = ()
    wants: tuple[Key[object], ...] = ()
    # Soft order: install after these capabilities when they are present (no service involved).
    after: tuple[str, ...] = field(default=())


def load(modules: Iterable[str]) -> list[Capability]:
    """Import each capability module's ``CAPABILITY``; a module that is missing stops the start."""
    out = []
    for name in modules:
        try:
            module = importlib.import_module(name)
        except ImportError as exc:
            raise CapabilityError(
                msg_id="daemon.module-import", params={"module": name, "error": str(exc)}
            ) from exc
        cap = getattr(module, "CAPABILITY", None)
        if not isinstance(cap, Capability):
            raise CapabilityError(msg_id="daemon.no-capability", params={"module": name})
        out.append(cap)
    return out


def order(capabilities: Iterable[Capability]) -> list[Capability]:
    """Capabilities in an order where each comes after every provider of what it needs or wants.

    A need that no capability provides, a service provided twice, or a cycle raises
    CapabilityError naming them. Among capabilities free to go, the declared order is kept.
    """
    caps = list(capabilities)
    names = [c.name for c in caps]
    if len(set(names)) != len(names):
        raise CapabilityError(msg_id="daemon.declared-twice", params={"names": names})
    provider: dict[Key[object], str] = {}
    for c in caps:
        for key in c.provides:
            if key in provider:
                raise CapabilityError(
                    msg_id="daemon.provided-by-both",
                    params={"service": key.name, "first": provider[key], "second": c.name},
                )
            provider[key] = c.name
    deps: dict[str, set[str]] = {}
    for c in caps:
        missing = [k.name for k in c.needs if k not in provider]
        if missing:
            raise CapabilityError(
                msg_id="daemon.needs-unprovided", params={"capability": c.name, "services": missing}
            )
        wanted = {provider[k] for k in (*c.needs, *c.wants) if k in provider}
        deps[c.name] = (wanted | {a for a in c.after if a in names}) - {c.name}
    done: list[Capability] = []
    placed: set[str] = set()
    pending = list(caps)
    while pending:
        ready = [c for c in pending if deps[c.name] <= placed]
        if not ready:
            cycle = [f"{c.name} -> {sorted(deps[c.name] - placed)}" for c in pending]
            raise CapabilityError(msg_id="daemon.cycle", params={"cycle": cycle})
        first = ready[0]
        done.append(first)
        placed.add(first.name)
        pending.remove(first)
    return done


def install(daemon: Daemon, capabilities: Iterable[Capability]) -> Services:
    """Install every capability in dependency order; each must provide what it declared."""
    services = Services()
    for cap in order(capabilities):
        cap.install(Installer(daemon, cap, services))
        absent = [k.name for k in cap.provides if k not in services]
        if absent:
            raise CapabilityError(
                msg_id="daemon.not-provided", params={"capability": cap.name, "services": absent}
            )
    return services


def graph(capabilities: Iterable[Capability]) -> list[tuple[str, str, str]]:
    """(user, provider, service) edges, for documentation and `simspot` diagnostics."""
    caps = list(capabilities)
    provider = {k: c.name for c in caps for k in c.provides}
    edges = []
    for c in caps:
        for k in c.needs:
            edges.append((c.name, provider.get(k, "?"), k.name))
        for k in c.wants:
            if k in provider:
                edges.append((c.name, provider[k], f"{k.name} (optional)"))
    return edges
