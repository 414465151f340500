"""What each fleet command takes: its ``args`` are the body of the box's own REST call.

``plan.set`` takes what ``PATCH /api/v1/plans/<iccid>`` takes plus the ``iccid`` (a new plan:
what ``POST /api/v1/plans`` takes), ``guest.add`` what ``POST /api/v1/guests``
takes, and so on, so a command means on a box exactly what the same action means in its own API
and web UI, and is refused for the same reasons. The fleet server checks the args before it
stores or sends anything (`check_args`, a sentence naming the field); the box checks them again
when it runs the command (it may be a newer or older version).
"""

from __future__ import annotations

import functools
from typing import Annotated, Any, get_args

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from simspot.errors import SimspotValueError
from simspot.fleet.protocol import CommandAction
from simspot.secrets import is_secret_path, mask, secret_problem

ACTIONS: tuple[str, ...] = get_args(CommandAction)


class NoArgs(BaseModel):
    model_config = ConfigDict(extra="forbid")


class GuestRef(BaseModel):
    """A guest pass by its id (``simspot guest list``)."""

    model_config = ConfigDict(extra="forbid")

    id: Annotated[str, Field(min_length=1, max_length=16, pattern=r"^[0-9a-z]+$")]


class ClientRef(BaseModel):
    """A client by its MAC address."""

    model_config = ConfigDict(extra="forbid")

    mac: Annotated[
        str, Field(pattern=r"^[0-9A-Fa-f]{2}(:[0-9A-Fa-f]{2}){5}$", description="aa:bb:cc:dd:ee:ff")
    ]


@functools.cache
def _plan_set() -> type[BaseModel]:
    """``plan.set``: the plan of ``iccid``, changed (``PATCH /api/v1/plans/<iccid>``, any of its
    fields) or, when the box has none for that SIM, added (``POST /api/v1/plans``, which also
    needs ``name`` and ``cycle``; the box says so if they are missing)."""
    from simspot.plans.api import PlanChanges

    class PlanSet(PlanChanges):
        iccid: str = Field(min_length=1, max_length=64)

    return PlanSet


def args_model(action: str) -> type[BaseModel]:
    """The model of ``action``'s args (imported when asked: the box's API request models)."""
    if action == "plan.set":
        return _plan_set()
    if action == "uplink.use":
        from simspot.uplink.api import UseRequest

        return UseRequest
    if action == "esim.download":
        from simspot.esim.api import DownloadRequest

        return DownloadRequest
    if action == "guest.add":
        from simspot.hotspot.api import GuestAdd

        return GuestAdd
    if action == "guest.revoke":
        return GuestRef
    if action in ("client.block", "client.unblock"):
        return ClientRef
    if action in ("uplink.auto", "hotspot.on", "hotspot.off"):
        return NoArgs
    raise SimspotValueError(
        field="action",
        msg_id="fleet.api.unknown-action",
        params={"action": action, "actions": list(ACTIONS)},
    )


def check_args(action: str, args: dict[str, Any]) -> dict[str, Any]:
    """``args`` checked against ``action``'s model, as JSON-ready data; a sentence naming the
    first bad field (``args.<name>``) otherwise. Secrets are never repeated in the sentence."""
    model = args_model(action)
    try:
        parsed = model.model_validate(args)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(["args", *(str(p) for p in first["loc"])])
        said = str(first["msg"]).removeprefix("Value error, ")
        if is_secret_path(list(first["loc"])):
            said = secret_problem(first["type"])  # the problem, never the secret
        raise SimspotValueError(
            field=where,
            msg_id="fleet.api.bad-args",
            params={"field": where, "problem": said, "action": action},
        ) from None
    data: dict[str, Any] = parsed.model_dump(mode="json", exclude_unset=True)
    return data


def stored_args(args: dict[str, Any]) -> dict[str, Any]:
    """What the fleet keeps of a command's args: secrets (activation codes) masked."""
    masked: dict[str, Any] = mask(args)
    return masked
