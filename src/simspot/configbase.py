"""The base of every config section (kept apart so capability packages can define sections), and
the one place validation errors become sentences that never show a secret value."""

from __future__ import annotations

import types
import typing
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from pydantic import BaseModel, ConfigDict, SecretBytes, SecretStr, ValidationError

from simspot.secrets import is_secret_path, mask_text, secret_problem

_MASK = "***"
# Shorter values are not scrubbed from messages as text (they would blank unrelated digits); the
# messages about their own key never contain them anyway.
_MIN_SCRUB_LEN = 6


class Section(BaseModel):
    """A config section: unknown keys are errors, values are checked on assignment too."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True)


def _members(annotation: Any) -> tuple[Any, ...]:
    origin = typing.get_origin(annotation)
    if origin is typing.Union or origin is types.UnionType:
        return tuple(a for a in typing.get_args(annotation) if a is not type(None))
    return (annotation,)


def _is_secret_type(annotation: Any) -> bool:
    if annotation in (SecretStr, SecretBytes):
        return True
    return any(_is_secret_type(a) for a in typing.get_args(annotation))


def _step(annotation: Any, part: str | int) -> Any:
    """The annotation one key (or index) below ``annotation``, or None when unknown."""
    for member in _members(annotation):
        if isinstance(member, type) and issubclass(member, BaseModel):
            field = member.model_fields.get(str(part))
            if field is not None:
                return field.annotation
        origin = typing.get_origin(member)
        args = typing.get_args(member)
        if origin in (dict, Mapping) and len(args) == 2:
            return args[1]
        if origin in (list, tuple, set, frozenset, Sequence) and args:
            return args[0]
    return None


def is_secret_location(root: type[BaseModel], loc: Sequence[str | int]) -> bool:
    """A secret by name (``password``, ``pin``, ``...token``) or by type (``SecretStr``)."""
    if is_secret_path(list(loc)):
        return True
    annotation: Any = root
    for part in loc:
        annotation = _step(annotation, part)
        if annotation is None:
            return False
        if _is_secret_type(annotation):
            return True
    return False


def _secret_values(
    root: type[BaseModel], data: Any, loc: tuple[str | int, ...] = ()
) -> Iterator[str]:
    if isinstance(data, Mapping):
        for key, value in data.items():
            yield from _secret_values(root, value, (*loc, str(key)))
        return
    if isinstance(data, list | tuple):
        for i, value in enumerate(data):
            yield from _secret_values(root, value, (*loc, i))
        return
    if loc and isinstance(data, str | int | float | SecretStr) and is_secret_location(root, loc):
        text = data.get_secret_value() if isinstance(data, SecretStr) else str(data)
        if len(text) >= _MIN_SCRUB_LEN:
            yield text


# What simspot.secrets.secret_problem says about a secret value -> the sentence saying it.
_SECRET_IDS = {
    "required key is missing": "config.missing-key",
    "unknown key": "config.unknown-key",
    "too short": "config.secret.too-short",
    "too long": "config.secret.too-long",
    "wrong format": "config.secret.wrong-format",
    "not one of the allowed values": "config.secret.not-allowed",
    "not a valid URL": "config.secret.not-url",
    "wrong type": "config.secret.wrong-type",
    "invalid value": "config.secret.invalid",
}


def _said_problem(field: str, err: Mapping[str, Any], msg: str) -> dict[str, Any]:
    """pydantic's sentence about the value at ``field`` as a message: translated when simspot
    knows it (its own validators' sentences, pydantic's common error types), else its English."""
    from simspot.errors import SimspotError
    from simspot.i18n import part, schema_message

    cause = (err.get("ctx") or {}).get("error")
    if str(err.get("type", "")) == "value_error" and msg.startswith("Value error, "):
        text = msg.removeprefix("Value error, ")
        own = isinstance(cause, SimspotError) and cause.msg_id is not None and text == str(cause)
        said = {
            "error": text,
            "error_said": cause.message_json() if own and isinstance(cause, SimspotError) else None,
        }
        if field == "(top level)":
            return part("config.value-error.top", **said)
        return part("config.value-error", field=field, **said)
    known = schema_message(err, field)
    if known is not None and known["id"].startswith("schema."):
        return known
    return part("config.problem", field=field, problem=msg)


def describe_problem(root: type[BaseModel], err: Mapping[str, Any]) -> dict[str, Any]:
    """One validation problem as a message (``{"id", "params"}``, see ``simspot.i18n.part``)
    saying ``key.path: problem``; a secret's value is never shown."""
    from simspot.i18n import part

    parts = tuple(err.get("loc", ()))
    loc = ".".join(str(p) for p in parts) or "(top level)"
    kind = str(err.get("type", ""))
    if kind == "extra_forbidden":
        return part("config.unknown-key", field=loc)
    if kind == "missing":
        return part("config.missing-key", field=loc)
    msg = str(err.get("msg", "invalid value"))
    if is_secret_location(root, parts):
        if kind in ("value_error", "assertion_error"):
            return _said_problem(loc, err, msg)  # our own validators' words; scrubbed by the caller
        problem = secret_problem(kind)
        if problem in _SECRET_IDS:
            return part(_SECRET_IDS[problem], field=loc)
        return part("config.problem", field=loc, problem=problem)
    said = _said_problem(loc, err, msg)
    got = err.get("input")
    if kind != "model_type" and not isinstance(got, Mapping):
        return part("config.got", problem=[said], got=repr(got))
    return said


def describe_error(root: type[BaseModel], err: Mapping[str, Any]) -> str:
    """One validation problem as ``key.path: problem``; a secret's value is never shown."""
    from simspot.i18n import render

    said = describe_problem(root, err)
    return render(said["id"], said["params"])


def _scrub(value: Any, secrets: Sequence[str]) -> Any:
    if isinstance(value, str):
        for secret in secrets:
            value = value.replace(secret, _MASK)
        return mask_text(value)
    if isinstance(value, Mapping):
        return {k: _scrub(v, secrets) for k, v in value.items()}
    if isinstance(value, list):
        return [_scrub(v, secrets) for v in value]
    return value


def describe_problems(
    root: type[BaseModel], exc: ValidationError, data: Any
) -> list[dict[str, Any]]:
    """Every problem of a failed validation of ``data`` against ``root`` as messages (for a
    ``{problems:msgs}`` parameter), secrets scrubbed.

    Besides leaving out the value of any secret key, every secret value found in ``data`` is
    blanked wherever a message would repeat it, and URL credentials are masked.
    """
    secrets = sorted(set(_secret_values(root, data)), key=len, reverse=True)
    return [_scrub(describe_problem(root, err), secrets) for err in exc.errors()]


def describe_errors(root: type[BaseModel], exc: ValidationError, data: Any) -> list[str]:
    """Every problem of a failed validation of ``data`` against ``root`` in English, secrets
    scrubbed (see ``describe_problems``)."""
    from simspot.i18n import render

    return [render(p["id"], p["params"]) for p in describe_problems(root, exc, data)]
