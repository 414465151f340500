"""The catalogue's API models (pydantic), apart from ``simspot.i18n`` so the CLI renders sentences
without importing pydantic; ``simspot.i18n`` still exports them (``MessageOut``, ``CatalogueOut``)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict


class MessageOut(BaseModel):
    """A sentence in an API answer: the id and parameters to render it, and the English text."""

    model_config = ConfigDict(extra="forbid")

    id: str
    params: dict[str, Any]
    text: str


class CatalogueOut(BaseModel):
    """The catalogue for clients that render sentences themselves (the web UI)."""

    model_config = ConfigDict(extra="forbid")

    languages: list[str]
    messages: dict[str, dict[str, str]]  # id -> {"en": ..., "zh": ...}
    event_severity: dict[str, Literal["info", "warning", "error"]]
