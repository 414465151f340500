"""Every config key with its type, default and meaning, read from the config models.

The meaning of a key is the comment block right above its field in the model's source (or the
comment at the end of its line), so the models stay the one place a key is explained.
docs/CONFIG.md is ``render_markdown()`` (scripts/gen-config-doc.py writes it; a test fails when
it is not current), and `simspot setup` puts the same sentences above the keys it writes.
"""

from __future__ import annotations

import ast
import inspect
import io
import json
import textwrap
import tokenize
import types
import typing
from dataclasses import dataclass
from enum import Enum
from functools import cache
from pathlib import Path
from typing import Any

from pydantic import BaseModel, SecretStr
from pydantic_core import PydanticUndefined

from simspot.config import Config

# Meanings of the fields whose model has no comment for them yet (model name, field). A field
# with a comment in its model uses the comment; a new field with neither fails a test.
MEANINGS: dict[tuple[str, str], str] = {
    ("DaemonSettings", "state_dir"): "Where the daemon keeps its database, secrets and the "
    "data plane's files (private to root).",
    ("DaemonSettings", "api_host"): "Address the API and web UI listen on.",
    ("DaemonSettings", "log_level"): "Least severe log messages written.",
    ("DaemonSettings", "log_format"): 'Log lines as JSON or text; "auto": text on a terminal, '
    "JSON otherwise.",
    ("DaemonSettings", "restart_backoff_max_s"): "The longest wait between restarts of a "
    "failed component.",
    ("SimulatorSettings", "seed"): "Random seed of the simulated world (unset: a new world "
    "each run).",
    ("SimulatorSettings", "clients"): "Simulated hotspot clients.",
    ("SimulatorSettings", "tick_s"): "Seconds between the simulator's steps.",
    ("ModemSettings", "poll_interval_s"): "Seconds between reads of the modem's state.",
    ("ApnConfig", "apn"): "Access point name of the data connection.",
    ("ApnConfig", "username"): "APN user name, when the carrier needs one.",
    ("ApnConfig", "password"): "APN password, when the carrier needs one (masked in logs).",
    ("ApnConfig", "ip_type"): "IP families asked of the carrier.",
    ("BatterySettings", "warn_percent"): "Battery level that raises a warning.",
    ("BatterySettings", "stop_percent"): "Battery level at which sharing stops (at most "
    "warn_percent).",
    ("DataplaneSettings", "dhcp_start"): "First address DHCP hands out (in the LAN).",
    ("DataplaneSettings", "dhcp_end"): "Last address DHCP hands out (in the LAN).",
    ("DataplaneSettings", "lease_time_s"): "DHCP lease time of known devices.",
    ("DataplaneSettings", "domain"): "Local domain of the LAN's DNS names (unset: none).",
    ("DataplaneSettings", "ipv6_learn_per_minute"): "New IPv6 addresses learnt per MAC and "
    "minute after the burst.",
    ("DataplaneSettings", "ipv6_per_client"): "IPv6 addresses kept per client.",
    ("DataplaneSettings", "new_device_lease_s"): "DHCP lease time of a MAC seen for the "
    "first time.",
    ("DataplaneSettings", "new_devices_per_minute"): "New MACs let in per minute.",
    ("HotspotSettings", "interface"): "The Wi-Fi interface the access point runs on.",
    ("HotspotSettings", "security"): 'Wi-Fi security: "wpa2-wpa3" (transition mode, hostapd '
    'only), "wpa2", "wpa3" (SAE) or "open".',
    ("HotspotSettings", "band"): 'Wi-Fi band in GHz; "5" needs country.',
    ("HotspotSettings", "hidden"): "Hide the network name (SSID) from scans.",
    ("HotspotSettings", "isolate_clients"): "Clients cannot reach each other on the LAN.",
    ("HotspotSettings", "max_clients"): "Stations the access point accepts at once.",
    ("HotspotSettings", "mac_deny"): "MAC addresses that may never join.",
    ("PlansSettings", "tethering_thresholds_percent"): "Warnings in percent of the tethering "
    "allowance.",
    ("WebhookSettings", "url"): "URL each plan event is POSTed to as JSON (unset: no webhook).",
    ("WebhookSettings", "timeout_s"): "Seconds to wait for the webhook to answer.",
    ("WebhookSettings", "retries"): "Retries of a failed delivery.",
    ("WebhookSettings", "backoff_s"): "First retry delay in seconds, doubling.",
    ("NtfySettings", "url"): "ntfy topic URL (unset: no ntfy messages).",
    ("NtfySettings", "timeout_s"): "Seconds to wait for ntfy to answer.",
    ("NtfySettings", "retries"): "Retries of a failed delivery.",
    ("NtfySettings", "backoff_s"): "First retry delay in seconds, doubling.",
    ("UplinkSettings", "rules"): "The owner's rules, in order, that choose the uplink: "
    '"healthy", "signal-floor", "prefer-wired", "avoid-roaming", "cheapest", "preferred".',
    ("UplinkSettings", "fail_after"): "Failed probe rounds in a row before an uplink counts as "
    "down.",
    ("UplinkSettings", "up_after"): "Good probe rounds in a row before it counts as up again.",
    ("UplinkSettings", "failback_dwell_s"): "Seconds a better uplink must have been up before "
    "moving back to it.",
    ("UplinkSettings", "min_dwell_s"): "At least this many seconds between two switches the "
    "rules ask for.",
    ("UplinkSettings", "max_switches_per_hour"): "Switches the rules may make in an hour.",
    ("UplinkSettings", "signal_floor_percent"): "Cellular signal below which the signal-floor "
    "rule ranks an uplink lower.",
    ("UplinkSettings", "signal_hysteresis_percent"): "Points above the floor a signal must "
    "climb before it counts as above it again.",
    ("UplinkSettings", "cold_switch_timeout_s"): "Seconds a SIM slot or eSIM profile switch "
    "may take before it is rolled back.",
    ("UplinkSettings", "preferred"): "Uplink ids (ICCID, wan:<interface>, wifi:<name>) in the "
    "owner's order, for the preferred rule.",
    ("UplinkSettings", "wired"): "Ethernet WAN ports to use as uplinks.",
    ("UplinkSettings", "wifi"): "Wi-Fi client links (hotel or home Wi-Fi) to use as uplinks.",
    ("UplinkSettings", "candidates"): "Per SIM or eSIM profile (by ICCID): what simspot cannot "
    "read itself.",
    ("WiredUplink", "interface"): "The Ethernet interface.",
    ("WifiUplink", "name"): "A name for the link (its id is wifi:<name>).",
    ("WifiUplink", "interface"): "The Wi-Fi client interface.",
    ("WifiUplink", "ssid"): "The network it joins (for display).",
    ("WifiUplink", "home"): "Preferred while healthy (the prefer-wired rule).",
    ("WifiUplink", "metered"): "Probed sparingly when metered.",
    ("CandidateOverride", "label"): "A name shown for this SIM or profile.",
    ("CandidateOverride", "home_mcc"): "The home country code (MCC) of this SIM or profile.",
    ("ProbeSettings", "dns_server"): "DNS server asked through each uplink (unset: no DNS probe).",
    ("ProbeSettings", "dns_name"): "Name the DNS probe resolves.",
    ("ProbeSettings", "http_url"): "Plain http:// URL fetched through each uplink (unset: no "
    "HTTP probe).",
    ("ProbeSettings", "http_expect"): "HTTP status codes that count as a good answer.",
    ("ProbeSettings", "timeout_s"): "Seconds a probe may take.",
    ("ProbeSettings", "interval_s"): "Seconds between probe rounds on an unmetered link.",
    ("EsimSettings", "http_timeout_s"): "Seconds to wait for an SM-DP+ or SM-DS answer.",
    ("EsimSettings", "slot"): "SIM slot of the eUICC for qmi/mbim (unset: see device).",
    ("EsimSettings", "at_dialect"): 'AT commands to reach the card: "csim" (AT+CSIM), "ccho" '
    '(AT+CCHO/CGLA) or "auto" (try both).',
}


@dataclass(frozen=True)
class Key:
    path: str  # "hotspot.band"
    type: str
    default: str
    meaning: str
    explained: bool = True  # False: neither a comment in the model nor an entry in MEANINGS


@cache
def field_comments(model: type[BaseModel]) -> dict[str, str]:
    """Field name -> the comment above it (or at the end of its line) in the model's class."""
    out: dict[str, str] = {}
    for cls in reversed(model.__mro__):
        if not (isinstance(cls, type) and issubclass(cls, BaseModel)) or cls is BaseModel:
            continue
        try:
            source = textwrap.dedent(inspect.getsource(cls))
        except (OSError, TypeError):
            continue
        out.update(_comments_in(source))
    return out


def _comments_in(source: str) -> dict[str, str]:
    comments: dict[int, str] = {}  # line -> comment text
    inline: dict[int, str] = {}
    for tok in tokenize.generate_tokens(io.StringIO(source).readline):
        if tok.type == tokenize.COMMENT:
            text = tok.string.lstrip("#").strip()
            if text.startswith(("fmt:", "type:", "noqa")):
                continue
            if tok.line.strip().startswith("#"):
                comments[tok.start[0]] = text
            else:
                inline[tok.start[0]] = text
    tree = ast.parse(source)
    cls = tree.body[0]
    out: dict[str, str] = {}
    if not isinstance(cls, ast.ClassDef):
        return out
    for node in cls.body:
        if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            lines: list[str] = []
            line = node.lineno - 1
            while line in comments:
                lines.insert(0, comments[line])
                line -= 1
            end = node.end_lineno or node.lineno
            trailing = next((inline[n] for n in range(node.lineno, end + 1) if n in inline), None)
            if trailing:
                lines.append(trailing)
            if lines:
                out[node.target.id] = " ".join(lines)
    return out


def _type_name(annotation: Any) -> str:
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin is typing.Union or origin is types.UnionType:
        names = [_type_name(a) for a in args if a is not type(None)]
        text = " | ".join(names)
        return f"{text} (optional)" if type(None) in args else text
    if origin is typing.Literal:
        return " \\| ".join(json.dumps(a) for a in args)
    if origin in (list, tuple, set, frozenset):
        inner = [a for a in args if a is not Ellipsis]
        return f"list of {_type_name(inner[0])}" if inner else "list"
    if origin is dict and len(args) == 2:
        return f"table of {_type_name(args[1])}"
    if annotation is SecretStr:
        return "string (secret)"
    if isinstance(annotation, type):
        if issubclass(annotation, BaseModel):
            return "table"
        if issubclass(annotation, Enum):
            return " \\| ".join(json.dumps(m.value) for m in annotation)
        return {
            "str": "string",
            "int": "integer",
            "float": "number",
            "bool": "boolean",
            "Path": "path",
            "PosixPath": "path",
        }.get(annotation.__name__, annotation.__name__)
    return str(annotation)


def _toml_value(value: Any) -> str:
    if value is None:
        return "unset"
    if isinstance(value, SecretStr):
        return "unset"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Enum):
        value = value.value
    if isinstance(value, Path):
        return json.dumps(str(value))
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, list | tuple | set | frozenset):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{}" if not value else json.dumps(value)
    return str(value)


def _constraints(field: Any) -> str:
    parts = []
    for meta in field.metadata:
        for attr, sign in (("gt", ">"), ("ge", "≥"), ("lt", "<"), ("le", "≤")):
            bound = getattr(meta, attr, None)
            if bound is not None:
                parts.append(f"{sign} {bound}")
        pattern = getattr(meta, "pattern", None)
        if pattern:
            parts.append(f"matches `{pattern}`")
        for attr, what in (("min_length", "at least"), ("max_length", "at most")):
            n = getattr(meta, attr, None)
            if n is not None:
                parts.append(f"{what} {n} long")
    return ", ".join(parts)


def _model_of(annotation: Any) -> tuple[type[BaseModel] | None, bool]:
    """(the section model under an annotation, whether it is a table of them)."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation, False
    origin, args = typing.get_origin(annotation), typing.get_args(annotation)
    inner = args[-1] if origin in (dict, list, tuple) and args else None
    if isinstance(inner, type) and issubclass(inner, BaseModel):
        return inner, True
    return None, False


def keys(model: type[BaseModel] = Config, prefix: str = "") -> list[Key]:
    """Every key under ``model`` in source order, nested sections after their parent's keys."""
    comments = field_comments(model)
    out: list[Key] = []
    nested: list[tuple[str, type[BaseModel]]] = []
    for name, field in model.model_fields.items():
        path = f"{prefix}{name}"
        sub, table = _model_of(field.annotation)
        if sub is not None:
            many = "[]" if typing.get_origin(field.annotation) in (list, tuple) else ".<name>"
            nested.append((f"{path}{many}" if table else path, sub))
            if not table:
                continue
        if field.default_factory is not None:
            default = field.default_factory()  # type: ignore[call-arg]
        elif field.default is PydanticUndefined:
            default = None
        else:
            default = field.default
        meaning = comments.get(name) or MEANINGS.get((model.__name__, name), "")
        explained = bool(meaning)
        if sub is not None and table:
            many = "[[" if typing.get_origin(field.annotation) in (list, tuple) else "["
            entry = f"{path}]]" if many == "[[" else f"{path}.<name>]"
            meaning = meaning or f"one {many}{entry} table per entry"
        limits = _constraints(field)
        if limits:
            meaning = f"{meaning} ({limits})" if meaning else limits
        out.append(
            Key(path, _type_name(field.annotation), _toml_value(default), meaning, explained)
        )
    for path, sub in nested:
        out += keys(sub, f"{path}.")
    return out


def section_doc(model: type[BaseModel]) -> str:
    """The first paragraph of the section's own docstring (not one inherited)."""
    doc = inspect.cleandoc(model.__dict__.get("__doc__") or "")
    return doc.split("\n\n", 1)[0].replace("\n", " ")


def render_markdown() -> str:
    lines = [
        "# simspot configuration",
        "",
        "<!-- generated from the config models by scripts/gen-config-doc.py; do not edit -->",
        "",
        "simspot reads one TOML file, `/etc/simspot/simspot.toml` unless `--config` names "
        "another; `sudo simspot setup` writes it. Every key is optional. Unknown keys and "
        "impossible combinations are refused when the file loads, naming the key "
        "(`simspot config check FILE`). In live mode an unset backend is `none` (the data plane: "
        "`nft`); simulated backends run only with `simspot serve --simulate` or `simspot demo`.",
        "",
    ]
    sections: dict[str, list[Key]] = {}
    for key in keys():
        head = key.path.split(".")[0]
        sections.setdefault(head, []).append(key)
    for head, items in sections.items():
        model, _ = _model_of(Config.model_fields[head].annotation)
        lines.append(f"## [{head}]")
        lines.append("")
        if model is not None and section_doc(model):
            lines += [section_doc(model), ""]
        lines.append("| key | type | default | meaning |")
        lines.append("|---|---|---|---|")
        for k in items:
            meaning = k.meaning.replace("|", "\\|")
            lines.append(f"| `{k.path}` | {k.type} | `{k.default}` | {meaning} |")
        lines.append("")
    return "\n".join(lines)
