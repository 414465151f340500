"""The plans and usage section: ledger timing, warning thresholds, webhook and ntfy delivery."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator

from simspot.configbase import Section


def _thresholds(value: tuple[int, ...]) -> tuple[int, ...]:
    if any(not 1 <= v <= 100 for v in value):
        raise ValueError("each threshold is a percentage from 1 to 100")
    return tuple(sorted(set(value)))


class WebhookSettings(Section):
    """HTTP POST of each plan event as JSON (disabled while ``url`` is unset)."""

    url: str | None = Field(default=None, pattern=r"^https?://\S+$")
    timeout_s: float = Field(default=5.0, gt=0, le=120)
    retries: int = Field(default=3, ge=0, le=20)
    backoff_s: float = Field(default=1.0, gt=0, le=600)  # first retry delay, doubling


class NtfySettings(Section):
    """ntfy: POST to the topic URL (e.g. https://ntfy.sh/my-hotspot) with Title/Priority/Tags."""

    url: str | None = Field(default=None, pattern=r"^https?://\S+$")
    token: str | None = None  # access token for a protected topic (masked in logs)
    timeout_s: float = Field(default=5.0, gt=0, le=120)
    retries: int = Field(default=3, ge=0, le=20)
    backoff_s: float = Field(default=1.0, gt=0, le=600)


class PlansSettings(Section):
    # How often the kernel counters are read (enforcement and warnings follow this closely).
    poll_interval_s: float = Field(default=1.0, gt=0, le=60)
    # How often the ledger is committed to disk; a reboot loses at most this much counting.
    commit_interval_s: float = Field(default=10.0, gt=0, le=3600)
    # Warnings, in percent of the allowance and of the tethering allowance; each fires once a cycle.
    thresholds_percent: tuple[int, ...] = Field(default=(50, 80, 90, 100), max_length=100)
    tethering_thresholds_percent: tuple[int, ...] = Field(default=(50, 80, 90, 100), max_length=100)
    webhook: WebhookSettings = WebhookSettings()
    ntfy: NtfySettings = NtfySettings()
    # The language of the notifications' sentences (ntfy's title and text, the webhook's message).
    notify_language: Literal["en", "zh"] = "en"

    @field_validator("thresholds_percent", "tethering_thresholds_percent")
    @classmethod
    def _check_thresholds(cls, value: tuple[int, ...]) -> tuple[int, ...]:
        return _thresholds(value)
