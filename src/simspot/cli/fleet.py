"""`simspot fleet`: a box joins a fleet (join, leave, status); the fleet server (init, add-box,
serve). Box commands live in simspot.cli.fleet_box, server commands in simspot.cli.fleet_server;
both keep heavy imports (paho, psycopg) inside their commands."""

from __future__ import annotations

import importlib.util

import typer

app = typer.Typer(
    help="Fleet: many boxes reporting over MQTT to PostgreSQL; join one, or run its server."
)

for _module in ("simspot.cli.fleet_box", "simspot.cli.fleet_server"):
    if importlib.util.find_spec(_module) is not None:
        importlib.import_module(_module).register(app)
