"""Joining a fleet and leaving it (``simspot fleet join|leave``): pure steps and small edges.

``join`` checks the token and the CA file (against the token's pin), optionally logs in to the
broker once with the box's credentials, writes the credentials (owner only) into the state
directory, and writes a ``[fleet]`` section into the config file, replacing one that is there and
leaving every other line as it was. The new config is validated as the daemon would before it
replaces the old one. When the config cannot be written the section is returned for the user to
add by hand.
"""

from __future__ import annotations

import hashlib
import json
import re
import ssl
import threading
import tomllib
from pathlib import Path
from typing import Any

from simspot.errors import SimspotValueError
from simspot.fleet.protocol import BrokerUrl, JoinToken

CA_COPY = "fleet-ca.pem"
_HEADER = re.compile(r"^\s*\[\s*([A-Za-z0-9_.\"-]+)\s*\]\s*(#.*)?$")
_ARRAY_HEADER = re.compile(r"^\s*\[\[")


def ca_der(pem: str) -> bytes:
    """The first certificate of a PEM file, as DER; a sentence when there is none."""
    m = re.search(r"-----BEGIN CERTIFICATE-----.+?-----END CERTIFICATE-----", pem, re.DOTALL)
    if m is None:
        raise SimspotValueError(msg_id="fleet.join.ca-none", field="ca")
    try:
        return ssl.PEM_cert_to_DER_cert(m.group(0))
    except ValueError:
        raise SimspotValueError(msg_id="fleet.join.ca-bad", field="ca") from None


def check_ca(token: JoinToken, pem: str | None) -> None:
    """The CA file must match the token's pin when the token has one (and must be given)."""
    if token.ca_sha256 is None:
        if pem is not None:
            ca_der(pem)
        return
    if pem is None:
        raise SimspotValueError(msg_id="fleet.join.ca-needed", field="ca")
    if hashlib.sha256(ca_der(pem)).digest() != token.ca_sha256:
        raise SimspotValueError(msg_id="fleet.join.ca-mismatch", field="ca")


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)  # a TOML basic string
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    raise TypeError(f"no TOML for {type(value).__name__}")


def fleet_section(values: dict[str, Any]) -> str:
    """``[fleet]`` with ``values`` (None values left out)."""
    lines = ["[fleet]"]
    lines += [f"{k} = {_toml_value(v)}" for k, v in values.items() if v is not None]
    return "\n".join(lines) + "\n"


def replace_section(text: str, name: str, section: str | None) -> str:
    """``text`` with its ``[name]`` table replaced by ``section`` (removed when None), or
    ``section`` appended; every other line kept. A table written another way (dotted keys,
    inline) is refused: it would have to be edited by hand."""
    lines = text.splitlines(keepends=True)
    start = end = None
    for i, line in enumerate(lines):
        m = _HEADER.match(line)
        if start is None:
            if m and m.group(1) == name:
                start = i
        elif m or _ARRAY_HEADER.match(line):
            end = i
            break
    if start is None:
        data = tomllib.loads(text) if text.strip() else {}
        if name in data:
            raise SimspotValueError(
                msg_id="fleet.join.config-form", params={"section": name}, field=name
            )
        if section is None:
            return text
        sep = "" if not text or text.endswith("\n\n") else ("\n" if text.endswith("\n") else "\n\n")
        return text + sep + section
    end = len(lines) if end is None else end
    # Comments and blank lines just before the next table stay with it.
    while end > start + 1 and (
        not lines[end - 1].strip() or lines[end - 1].lstrip().startswith("#")
    ):
        end -= 1
    new = lines[:start] + ([section] if section is not None else []) + lines[end:]
    if section is not None and end < len(lines) and not section.endswith("\n\n"):
        new.insert(start + 1, "\n")
    return "".join(new)


def check_login(
    url: BrokerUrl, token: JoinToken, ca_file: Path | None, timeout_s: float = 20.0
) -> SimspotValueError | None:
    """Log in to the broker once as the box (TLS checked); None when it works, else why not."""
    import paho.mqtt.client as mqtt
    from paho.mqtt.enums import CallbackAPIVersion

    done = threading.Event()
    outcome: list[str | None] = []

    def on_connect(c: mqtt.Client, u: Any, flags: Any, rc: Any, props: Any) -> None:
        outcome.append(str(rc) if rc.is_failure else None)
        done.set()

    client = mqtt.Client(
        CallbackAPIVersion.VERSION2, client_id=f"{token.box}-join", protocol=mqtt.MQTTv5
    )
    client.username_pw_set(token.box, token.password)
    ctx = ssl.create_default_context(cafile=str(ca_file) if ca_file else None)
    client.tls_set_context(ctx)
    client.on_connect = on_connect
    broker = str(url)
    try:
        client.connect(url.host, url.port, keepalive=10)
    except (OSError, ssl.SSLError) as exc:
        error = f"{type(exc).__name__}: {exc}"
        return SimspotValueError(
            msg_id="fleet.join.unreachable", params={"broker": broker, "error": error}, field="url"
        )
    client.loop_start()
    try:
        if not done.wait(timeout_s):
            return SimspotValueError(
                msg_id="fleet.join.no-answer",
                params={"broker": broker, "seconds": round(timeout_s)},
                field="url",
            )
        if outcome[0] is not None:
            return SimspotValueError(
                msg_id="fleet.join.refused", params={"reason": outcome[0]}, field="token"
            )
        return None
    finally:
        client.disconnect()
        client.loop_stop()


def clear_retained(
    url: BrokerUrl,
    box: str,
    password: str,
    ca_file: Path | None,
    topics: list[str],
    timeout_s: float = 20.0,
) -> bool:
    """Publish an empty retained message on each topic as the box (Home Assistant then removes
    the entities); True when the broker took them all."""
    import paho.mqtt.client as mqtt
    from paho.mqtt.enums import CallbackAPIVersion

    connected = threading.Event()
    client = mqtt.Client(
        CallbackAPIVersion.VERSION2, client_id=f"{box}-leave", protocol=mqtt.MQTTv5
    )
    client.username_pw_set(box, password)
    client.tls_set_context(ssl.create_default_context(cafile=str(ca_file) if ca_file else None))
    client.on_connect = lambda c, u, f, rc, p: connected.set() if not rc.is_failure else None
    try:
        client.connect(url.host, url.port, keepalive=10)
    except (OSError, ssl.SSLError):
        return False
    client.loop_start()
    try:
        if not connected.wait(timeout_s):
            return False
        infos = [client.publish(t, b"", qos=1, retain=True) for t in topics]
        for info in infos:
            info.wait_for_publish(timeout_s)
        return all(info.is_published() for info in infos)
    except (RuntimeError, ValueError):
        return False
    finally:
        client.disconnect()
        client.loop_stop()
