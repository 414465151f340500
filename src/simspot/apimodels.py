"""What every API route shares: the error answer and the base of answer models.

Errors come in two shapes, both documented in the OpenAPI schema:

- ``{"detail": "ssid: is 40 bytes ...", "field": "ssid"}``: simspot refused a value
  (``SimspotValueError``, 422; ``field`` names the input when there is one) or an operation
  failed (``SimspotError``, 409; auth failures are 401, 415 and 429 with a text detail);
- ``{"detail": [{"loc": ["body", "ssid"], "msg": ..., "type": ...}, ...]}``: the request did not
  fit its schema (FastAPI's validation, 422).

Both carry the sentence by message id where it has one (``simspot.i18n``): ``message`` is
``{"id", "params", "text"}`` next to the English ``detail`` (or in each schema error), so a client
renders it in its reader's language.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict


class Out(BaseModel):
    """Base of answer models: plain data, and a key the code adds without the model is a bug."""

    model_config = ConfigDict(extra="forbid")


class ErrorMessage(BaseModel):
    """A sentence by message id (``simspot.i18n``): render ``id`` with ``params``; English ``text``."""

    id: str
    params: dict[str, Any]
    text: str


class SchemaErrorItem(BaseModel):
    loc: list[str | int]
    msg: str
    type: str
    message: ErrorMessage | None = None


class ApiError(BaseModel):
    """An error answer: a sentence, or FastAPI's list of schema errors; ``field`` when known;
    ``message`` names the sentence by id when it has one."""

    detail: str | list[SchemaErrorItem]
    field: str | None = None
    message: ErrorMessage | None = None


def _error(description: str) -> dict[str, Any]:
    return {"model": ApiError, "description": description}


# Merged into each capability router's documented responses.
ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    401: _error("not logged in, or a wrong token"),
    409: _error("the operation failed (the message says why)"),
    415: _error("a web session must send JSON"),
    422: _error("a refused value (field names it) or a request that does not fit the schema"),
}
