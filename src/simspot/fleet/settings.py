"""The ``[fleet]`` config section: reporting to a fleet's MQTT broker (off by default).

Example (``simspot fleet join mqtts://broker.example:8883 TOKEN`` writes it)::

    [fleet]
    enabled = true
    broker = "mqtts://broker.example:8883"
    box_id = "van-07"
    ca_file = "/etc/simspot/fleet-ca.pem"    # unset: the system's CAs
    allow_commands = ["uplink.use", "uplink.auto", "guest.add", "guest.revoke"]
    home_assistant = false

The box's broker password is in ``credentials_file`` (default ``<state_dir>/fleet.json``, owner
only), never in the config.
"""

from __future__ import annotations

from pathlib import Path
from typing import get_args

from pydantic import Field, field_validator, model_validator

from simspot.configbase import Section
from simspot.fleet import protocol
from simspot.fleet.protocol import CommandAction

CREDENTIALS_FILE = "fleet.json"


class FleetSettings(Section):
    # Report to the fleet (status, usage, plans, events) and take the commands allowed below.
    enabled: bool = False
    # The broker, over TLS only: mqtts://host[:port] (8883 by default).
    broker: str | None = None
    # This box's id in the fleet: its MQTT user name (1-32 of a-z, 0-9 and '-').
    box_id: str | None = None
    # The box's name in the fleet's view (empty: the box id).
    name: str = Field(default="", max_length=64)
    # The broker's password for this box, a JSON file {"box", "password"} written by `fleet join`
    # (unset: fleet.json in the state directory).
    credentials_file: Path | None = None
    # The CA that signed the broker's certificate (unset: the system's CAs). Never unchecked.
    ca_file: Path | None = None
    # Commands the fleet may run on this box (none by default): plan.set, uplink.use,
    # uplink.auto, esim.download, guest.add, guest.revoke, client.block, client.unblock,
    # hotspot.on, hotspot.off. Anything else is refused, answered and logged.
    allow_commands: list[CommandAction] = Field(default_factory=list)
    # Announce the box to Home Assistant through MQTT discovery (data left, signal, battery,
    # clients, sharing), under ha_prefix.
    home_assistant: bool = False
    # Home Assistant's discovery prefix (its MQTT integration's setting).
    ha_prefix: str = Field(default=protocol.HA_PREFIX, pattern=r"^[A-Za-z0-9_-]{1,64}$")
    # Seconds between republishing the retained status and plans (they go at once on a change).
    status_interval_s: float = Field(default=60.0, ge=5, le=3600)
    # Seconds between moving new usage from the ledger into the outbox.
    usage_interval_s: float = Field(default=30.0, ge=1, le=3600)
    # Rows the outbox keeps per channel until the fleet acknowledged them. Usage is never
    # dropped (it waits in the ledger); the oldest events and uplink decisions are.
    outbox_max: int = Field(default=100_000, ge=100, le=10_000_000)
    # Seconds after which a row the broker took but the fleet has not acknowledged (the ingest
    # commits, then acks) is sent again; everything unacknowledged also goes after a reconnect.
    resend_after_s: float = Field(default=30.0, ge=1, le=3600)
    # How long the broker keeps this box's session (queued commands) while it is away.
    session_expiry_s: int = Field(default=7 * 86400, ge=60, le=365 * 86400)

    @field_validator("broker")
    @classmethod
    def _broker(cls, value: str | None) -> str | None:
        return None if value is None else str(protocol.parse_broker_url(value))

    @field_validator("box_id")
    @classmethod
    def _box(cls, value: str | None) -> str | None:
        return None if value is None else protocol.check_box_id(value)

    @field_validator("allow_commands")
    @classmethod
    def _unique(cls, value: list[str]) -> list[str]:
        seen = [v for i, v in enumerate(value) if v in value[:i]]
        if seen:
            raise ValueError(f"{seen[0]!r} is listed twice")
        return value

    @model_validator(mode="after")
    def _complete(self) -> FleetSettings:
        if self.enabled and (self.broker is None or self.box_id is None):
            raise ValueError(
                "enabled needs broker and box_id (`simspot fleet join URL TOKEN` sets them)"
            )
        return self


COMMAND_ACTIONS: tuple[str, ...] = get_args(CommandAction)
