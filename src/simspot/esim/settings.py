"""The eSIM (LPA) section."""

from __future__ import annotations

from typing import Literal

from simspot.configbase import Section


class EsimSettings(Section):
    backend: Literal["sim"] = "sim"
