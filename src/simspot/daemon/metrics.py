"""Prometheus metrics at ``GET /metrics`` (text exposition format 0.0.4), login or token required.

A scraper authenticates with the root-only CLI token (``Authorization: Bearer``; Prometheus:
``authorization: {credentials_file: /var/lib/simspot/cli-token}``). Gauges of the live state:
sharing and why not, the uplink, the modem's signal, the battery, each plan's usage, the clients'
bytes, the supervised components.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from fastapi import APIRouter, Request
from fastapi.responses import PlainTextResponse

from simspot import __version__
from simspot.daemon.capabilities import Capability, Installer
from simspot.daemon.why import not_sharing
from simspot.services import PLAN_QUERIES

if TYPE_CHECKING:
    from simspot.daemon.runtime import Daemon

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


def _label(value: object) -> str:
    text = str(value).replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')
    return f'"{text}"'


class _Out:
    def __init__(self) -> None:
        self.lines: list[str] = []

    def metric(
        self,
        name: str,
        kind: str,
        help_: str,
        samples: Iterable[tuple[dict[str, object], float | int | None]],
    ) -> None:
        rows = [(labels, v) for labels, v in samples if v is not None]
        self.lines.append(f"# HELP {name} {help_}")
        self.lines.append(f"# TYPE {name} {kind}")
        for labels, value in rows:
            inner = ",".join(f"{k}={_label(v)}" for k, v in labels.items())
            self.lines.append(
                f"{name}{{{inner}}} {float(value):g}" if inner else f"{name} {value:g}"
            )


def render(daemon: Daemon) -> str:
    out = _Out()
    out.metric("simspot_info", "gauge", "Version and mode.",
               [({"version": __version__, "mode": daemon.mode}, 1)])  # fmt: skip
    why = not_sharing(daemon)
    out.metric("simspot_sharing", "gauge", "1 while the uplink is shared.",
               [({}, 0 if why else 1)])  # fmt: skip
    uplink = daemon.uplink()
    out.metric(
        "simspot_uplink_up", "gauge", "1 while there is an uplink to share (labels: interface, id).",
        [({"interface": uplink[0], "uplink": uplink[1]} if uplink else {}, 1 if uplink else 0)],
    )  # fmt: skip
    m = daemon.live.modem
    if m is not None:
        labels: dict[str, object] = {"modem": m.id}
        out.metric("simspot_modem_signal_percent", "gauge", "Signal quality, percent.",
                   [(labels, m.signal_percent)])  # fmt: skip
        out.metric("simspot_modem_rsrp_dbm", "gauge", "LTE/5G reference signal power, dBm.",
                   [(labels, m.rsrp_dbm)])  # fmt: skip
        out.metric(
            "simspot_modem_registered", "gauge", "1 when registered (label: registration).",
            [(labels | {"registration": m.registration},
              1 if m.registration in ("home", "roaming") else 0)],
        )  # fmt: skip
        out.metric("simspot_modem_connected", "gauge", "1 with a data bearer.",
                   [(labels, 1 if m.bearer is not None else 0)])  # fmt: skip
    b = daemon.live.battery
    if b is not None and b.present:
        out.metric("simspot_battery_percent", "gauge", "Battery charge, percent.",
                   [({}, b.percent)])  # fmt: skip
        out.metric("simspot_battery_charging", "gauge", "1 while charging.",
                   [({}, 1 if b.charging else 0)])  # fmt: skip
    plans = daemon.services.get(PLAN_QUERIES)
    statuses = plans.statuses() if plans is not None else []
    plan_labels: list[tuple[dict[str, object], Any]] = [
        ({"plan": s.plan.name, "iccid": s.plan.iccid}, s) for s in statuses
    ]
    out.metric("simspot_plan_used_bytes", "gauge", "Bytes used in the plan's current cycle.",
               [(lb, s.used_bytes) for lb, s in plan_labels])  # fmt: skip
    out.metric("simspot_plan_allowance_bytes", "gauge", "The plan's allowance per cycle.",
               [(lb, s.plan.allowance_bytes) for lb, s in plan_labels])  # fmt: skip
    out.metric("simspot_plan_remaining_bytes", "gauge", "Bytes left before the plan's limit.",
               [(lb, s.remaining_bytes) for lb, s in plan_labels])  # fmt: skip
    clients = daemon.live.clients
    out.metric("simspot_clients", "gauge", "Clients on the hotspot.", [({}, len(clients))])
    out.metric(
        "simspot_client_bytes", "gauge",
        "Bytes per client this session (direction rx: to the client, tx: from it).",
        [({"mac": c.mac, "direction": d}, v) for c in clients
         for d, v in (("rx", c.rx_bytes), ("tx", c.tx_bytes))],
    )  # fmt: skip
    health = daemon.supervisor.health()
    up: list[tuple[dict[str, object], int]] = [
        ({"component": h.name}, 1 if h.state == "running" else 0) for h in health
    ]
    out.metric("simspot_component_up", "gauge", "1 while the component runs.", up)
    out.metric("simspot_component_restarts_total", "counter", "Restarts after failures.",
               [({"component": h.name}, h.restarts) for h in health])  # fmt: skip
    return "\n".join(out.lines) + "\n"


def router(daemon: Daemon) -> APIRouter:
    r = APIRouter(tags=["metrics"])

    @r.get(
        "/metrics",
        response_class=PlainTextResponse,
        summary="Prometheus metrics (token or login required)",
    )
    async def metrics(request: Request) -> PlainTextResponse:
        return PlainTextResponse(render(daemon), media_type=CONTENT_TYPE)

    return r


def install(inst: Installer) -> None:
    inst.daemon.routers.append(router(inst.daemon))


CAPABILITY = Capability(name="metrics", install=install, wants=(PLAN_QUERIES,))
