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


def describe_error(root: type[BaseModel], err: Mapping[str, Any]) -> str:
    """One validation problem as ``key.path: problem``; a secret's value is never shown."""
    parts = tuple(err.get("loc", ()))
    loc = ".".join(str(p) for p in parts) or "(top level)"
    kind = str(err.get("type", ""))
    if kind == "extra_forbidden":
        return f"{loc}: unknown key"
    if kind == "missing":
        return f"{loc}: required key is missing"
    msg = str(err.get("msg", "invalid value"))
    if is_secret_location(root, parts):
        if kind in ("value_error", "assertion_error"):
            return f"{loc}: {msg}"  # our own validators' words; scrubbed by the caller
        return f"{loc}: {secret_problem(kind)}"
    got = err.get("input")
    if kind != "model_type" and not isinstance(got, Mapping):
        return f"{loc}: {msg} (got {got!r})"
    return f"{loc}: {msg}"


def describe_errors(root: type[BaseModel], exc: ValidationError, data: Any) -> list[str]:
    """Every problem of a failed validation of ``data`` against ``root``, secrets scrubbed.

    Besides leaving out the value of any secret key, every secret value found in ``data`` is
    blanked wherever a message would repeat it, and URL credentials are masked.
    """
    secrets = sorted(set(_secret_values(root, data)), key=len, reverse=True)
    out = []
    for err in exc.errors():
        text = describe_error(root, err)
        for secret in secrets:
            text = text.replace(secret, _MASK)
        out.append(mask_text(text))
    return out
