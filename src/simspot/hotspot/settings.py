"""The hotspot (AP) section."""

from __future__ import annotations

from typing import Literal

from simspot.configbase import Section


class HotspotSettings(Section):
    backend: Literal["sim"] = "sim"
