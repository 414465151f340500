"""Home Assistant MQTT discovery: the box as a device with sensors, from its retained status.

Each entity's config is published retained to
``<prefix>/<component>/simspot_<box>/<object>/config`` (the broker's ACL lets a box write only
under its own ``simspot_<box>`` node). Every entity reads the box's retained status topic
(``simspot/v1/<box>/status``) with a value template, and is available while its ``online`` flag
is true, so the broker's last will (``online`` false) marks the box unavailable in Home
Assistant. Home Assistant's user needs read access to ``<prefix>/#`` and
``simspot/v1/+/status`` on the broker.
"""

from __future__ import annotations

import json
from typing import Any

from simspot.fleet import protocol

# (component, object id, name, template, extra keys)
ENTITIES: tuple[tuple[str, str, str, str, dict[str, Any]], ...] = (
    (
        "sensor",
        "data_left",
        "Data left",
        "{{ value_json.data_left }}",
        {
            "device_class": "data_size",
            "unit_of_measurement": "B",
            "state_class": "measurement",
            "icon": "mdi:database-arrow-down",
        },
    ),
    (
        "sensor",
        "signal",
        "Signal",
        "{{ value_json.signal }}",
        {"unit_of_measurement": "%", "state_class": "measurement", "icon": "mdi:signal"},
    ),
    (
        "sensor",
        "battery",
        "Battery",
        "{{ value_json.battery }}",
        {"device_class": "battery", "unit_of_measurement": "%", "state_class": "measurement"},
    ),
    (
        "sensor",
        "clients",
        "Clients",
        "{{ value_json.clients }}",
        {"state_class": "measurement", "icon": "mdi:devices"},
    ),
    (
        "sensor",
        "uplink",
        "Uplink",
        "{{ value_json.uplink_label or value_json.uplink }}",
        {"icon": "mdi:sim"},
    ),
    (
        "binary_sensor",
        "sharing",
        "Sharing",
        "{{ 'ON' if value_json.sharing else 'OFF' }}",
        {"payload_on": "ON", "payload_off": "OFF", "icon": "mdi:wifi"},
    ),
)


def discovery(
    box: str, name: str, version: str, prefix: str = protocol.HA_PREFIX
) -> list[tuple[str, bytes]]:
    """(topic, payload) of every entity's discovery config, to publish retained."""
    protocol.check_box_id(box)
    node = f"simspot_{box}"
    state = protocol.topic(box, "status")
    device = {
        "identifiers": [node],
        "name": name or box,
        "manufacturer": "simspot",
        "model": "simspot hotspot",
        "sw_version": version,
    }
    out = []
    for component, obj, label, template, extra in ENTITIES:
        config: dict[str, Any] = {
            "name": label,
            "unique_id": f"{node}_{obj}",
            "object_id": f"{node}_{obj}",
            "state_topic": state,
            "value_template": template,
            "availability_topic": state,
            "availability_template": "{{ 'online' if value_json.online else 'offline' }}",
            "payload_available": "online",
            "payload_not_available": "offline",
            "device": device,
            "origin": {"name": "simspot", "sw_version": version},
            "qos": 1,
            **extra,
        }
        out.append((f"{prefix}/{component}/{node}/{obj}/config", json.dumps(config).encode()))
    return out


def removal(box: str, prefix: str = protocol.HA_PREFIX) -> list[tuple[str, bytes]]:
    """Empty retained configs: Home Assistant removes the entities (a box leaving)."""
    return [(t, b"") for t, _ in discovery(box, box, "", prefix)]
