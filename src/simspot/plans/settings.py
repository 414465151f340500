"""The plans and usage section."""

from __future__ import annotations

from typing import Literal

from simspot.configbase import Section


class PlansSettings(Section):
    backend: Literal["sim"] = "sim"
