"""The eSIM routes under ``/api/v1/esim``: the daemon owns the card, the API exposes the LPA.

``info``, ``profiles`` (list), ``download``, ``retry`` (a kept package), ``progress``,
``profiles/{profile}/{enable,disable,delete,nickname}``, ``notifications`` (list, ``process``,
``{seq}/remove``), ``discover`` and ``reset`` (needs ``{"confirm": true}``).

Answers are the service's, checked against the models below; keys the service leaves out (a
notification's ``error`` when it was delivered, ``test_smdp`` without a test SM-DP+) stay out.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated, Any, Literal, TypeVar

from fastapi import APIRouter, Path
from pydantic import BaseModel, ConfigDict, Field

from simspot.apimodels import ERROR_RESPONSES, Out
from simspot.esim.service import EsimService

# A profile by ICCID (digits, maybe with a trailing F) or ISD-P AID (hex).
ProfileRef = Annotated[str, Path(min_length=1, max_length=40)]
SeqNumber = Annotated[int, Path(ge=0, le=2**31 - 1)]
Handler = TypeVar("Handler", bound=Callable[..., Awaitable[Any]])


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class DownloadRequest(_In):
    activation_code: str = Field(min_length=1, max_length=600)
    confirmation_code: str | None = Field(default=None, max_length=64)


class RetryRequest(_In):
    package: str = Field(min_length=1, max_length=255)


class NicknameRequest(_In):
    nickname: str = Field(max_length=64)


class ProcessRequest(_In):
    seq_number: int | None = Field(default=None, ge=0, le=2**31 - 1)


class DiscoverRequest(_In):
    smds_address: str | None = Field(default=None, max_length=255)


class ResetRequest(_In):
    confirm: bool = False


# -- answers ------------------------------------------------------------------------------------


class TestSmdp(Out):
    address: str | None
    activation_codes: list[str]


class EuiccInfo(Out):
    eid: str
    svn: str
    profile_version: str
    firmware_version: str
    free_nvm: int | None
    installed_applications: int | None
    ci_pkids: list[str]
    sas_accreditation_number: str
    default_smdp_address: str | None
    root_smds_address: str
    transport: str
    test_smdp: TestSmdp | None = None  # only with a local test SM-DP+ (the simulator's card)


class Profile(Out):
    iccid: str | None
    isdp_aid: str | None
    state: Literal["enabled", "disabled"]
    nickname: str | None
    provider: str | None
    name: str | None
    profile_class: str


class ProfileList(Out):
    profiles: list[Profile]


class Notification(Out):
    seq_number: int
    operation: str
    address: str
    iccid: str | None


class NotificationSent(Notification):
    sent: bool
    removed: bool
    error: str | None = None  # only when it was not delivered


class NotificationList(Out):
    notifications: list[Notification]


class Processed(Out):
    processed: list[NotificationSent]


class Removed(Out):
    removed: int


class Installed(Out):
    iccid: str | None
    isdp_aid: str | None
    name: str | None
    provider: str | None
    smdp_address: str
    notification_sent: bool
    package_path: str | None
    notifications: list[NotificationSent]


class DownloadProgress(Out):
    stage: str
    done: int
    total: int
    detail: str


class ProgressOut(Out):
    progress: DownloadProgress | None


class ModemRefresh(Out):
    method: str | None = None
    detail: str | None = None
    error: str | None = None


class Switched(Out):
    profile: str
    state: Literal["enabled", "disabled", "deleted"]
    notifications: list[NotificationSent]
    modem_refresh: ModemRefresh | None = None  # enable and disable only


class Nickname(Out):
    iccid: str
    nickname: str


class DiscoveredEvent(Out):
    event_id: str
    smdp_address: str


class Discovered(Out):
    events: list[DiscoveredEvent]


class ResetDone(Out):
    reset: bool
    notifications: list[NotificationSent]


def router(service: EsimService) -> APIRouter:
    r = APIRouter(prefix="/api/v1/esim", tags=["esim"], responses=ERROR_RESPONSES)

    def route(method: str, path: str) -> Callable[[Handler], Handler]:
        return r.api_route(path, methods=[method], response_model_exclude_unset=True)

    @route("GET", "/info")
    async def info() -> EuiccInfo:
        return EuiccInfo.model_validate(await service.info())

    @route("GET", "/profiles")
    async def profiles() -> ProfileList:
        return ProfileList.model_validate(await service.profiles())

    @route("POST", "/download")
    async def download(body: DownloadRequest) -> Installed:
        done = await service.download(
            body.activation_code, confirmation_code=body.confirmation_code
        )
        return Installed.model_validate(done)

    @route("POST", "/retry")
    async def retry(body: RetryRequest) -> Installed:
        return Installed.model_validate(await service.retry_package(body.package))

    @route("GET", "/progress")
    async def progress() -> ProgressOut:
        return ProgressOut.model_validate({"progress": service.progress})

    @route("POST", "/profiles/{profile}/enable")
    async def enable(profile: ProfileRef) -> Switched:
        return Switched.model_validate(await service.enable(profile))

    @route("POST", "/profiles/{profile}/disable")
    async def disable(profile: ProfileRef) -> Switched:
        return Switched.model_validate(await service.disable(profile))

    @route("POST", "/profiles/{profile}/delete")
    async def delete(profile: ProfileRef) -> Switched:
        return Switched.model_validate(await service.delete(profile))

    @route("POST", "/profiles/{iccid}/nickname")
    async def nickname(iccid: ProfileRef, body: NicknameRequest) -> Nickname:
        return Nickname.model_validate(await service.nickname(iccid, body.nickname))

    @route("GET", "/notifications")
    async def notifications() -> NotificationList:
        return NotificationList.model_validate(await service.notifications())

    @route("POST", "/notifications/process")
    async def process(body: ProcessRequest) -> Processed:
        return Processed.model_validate(await service.process_notifications(body.seq_number))

    @route("POST", "/notifications/{seq_number}/remove")
    async def remove(seq_number: SeqNumber) -> Removed:
        return Removed.model_validate(await service.remove_notification(seq_number))

    @route("POST", "/discover")
    async def discover(body: DiscoverRequest) -> Discovered:
        return Discovered.model_validate(await service.discover(body.smds_address))

    @route("POST", "/reset")
    async def reset(body: ResetRequest) -> ResetDone:
        return ResetDone.model_validate(await service.reset(confirm=body.confirm))

    return r
