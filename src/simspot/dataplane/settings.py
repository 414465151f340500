"""The data plane (nftables + dnsmasq) section."""

from __future__ import annotations

from typing import Literal

from simspot.configbase import Section


class DataplaneSettings(Section):
    backend: Literal["sim"] = "sim"
