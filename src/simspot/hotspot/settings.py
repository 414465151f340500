"""The hotspot (AP) section: which AP backend, and the network it offers.

Every value here can end up in hostapd's config file or a NetworkManager connection, so each is
checked by ``simspot.hotspot.validate`` (errors name the key). The passphrase is optional: without
one simspot generates a strong one on first start and keeps it in the state directory; there is
never a default passphrase.
"""

from __future__ import annotations

from typing import Literal, Self

from pydantic import Field, SecretStr, field_validator, model_validator

from simspot import registry
from simspot.configbase import Section
from simspot.errors import SimspotValueError
from simspot.hotspot import validate

Security = Literal["wpa2", "wpa2-wpa3", "wpa3", "open"]
Band = Literal["2.4", "5"]

CHANNELS_24 = frozenset(range(1, 15))
# 20 MHz channels of the 5 GHz band (UNII-1 to UNII-3); the country decides which are allowed.
CHANNELS_5 = frozenset(
    [36, 40, 44, 48, 52, 56, 60, 64, 100, 104, 108, 112, 116, 120, 124, 128, 132, 136, 140, 144,
     149, 153, 157, 161, 165, 169, 173, 177]
)  # fmt: skip
DEFAULT_CHANNEL = {"2.4": 6, "5": 36}
# MAC allow/deny lists: each entry becomes a set element in nftables and a line in hostapd's
# files, and every station check walks them; a household needs a few dozen at most.
MAX_MAC_LIST = 256


class HotspotSettings(Section):
    # hostapd: simspot runs hostapd itself; networkmanager: an AP connection in NetworkManager;
    # none: Ethernet/USB sharing, no radio; simulated: the simulator's AP (simulator only).
    # Unset: "none" (wired sharing) on a real box, "simulated" with the simulator.
    backend: str | None = None

    @field_validator("backend")
    @classmethod
    def _known_backend(cls, value: str | None) -> str | None:
        return registry.check_name("hotspot", value)

    interface: str = "wlan0"
    ssid: str | None = None  # None: "simspot-xxxx", generated once and kept
    passphrase: SecretStr | None = None  # None: generated once and kept (never a default)
    security: Security = "wpa2-wpa3"
    band: Band = "2.4"
    channel: int | None = Field(default=None, ge=1, le=196)  # None: 6 on 2.4 GHz, 36 on 5 GHz
    country: str | None = None  # ISO 3166 alpha-2; needed on 5 GHz
    hidden: bool = False
    isolate_clients: bool = False
    max_clients: int = Field(default=16, ge=1, le=2007)
    mac_allow: tuple[str, ...] = Field(default=(), max_length=MAX_MAC_LIST)  # only these may join
    mac_deny: tuple[str, ...] = Field(default=(), max_length=MAX_MAC_LIST)
    # Turn sharing off after this many minutes without clients (0: never).
    auto_off_minutes: int = Field(default=10, ge=0, le=24 * 60)
    # networkmanager only: the LAN address NetworkManager puts on the AP interface (ipv4.method
    # manual); None leaves IPv4 to simspot's data plane (ipv4.method disabled).
    nm_address: str | None = None

    @field_validator("interface")
    @classmethod
    def _interface(cls, v: str) -> str:
        return validate.interface(v)

    @field_validator("ssid")
    @classmethod
    def _ssid(cls, v: str | None) -> str | None:
        return None if v is None else validate.ssid(v)

    @field_validator("country")
    @classmethod
    def _country(cls, v: str | None) -> str | None:
        return None if v is None else validate.country(v)

    @field_validator("mac_allow", "mac_deny")
    @classmethod
    def _macs(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(dict.fromkeys(validate.mac(m) for m in v))

    @field_validator("nm_address")
    @classmethod
    def _nm_address(cls, v: str | None) -> str | None:
        return None if v is None else validate.cidr4(v, "nm_address")

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if self.channel is not None:
            allowed = CHANNELS_24 if self.band == "2.4" else CHANNELS_5
            if self.channel not in allowed:
                raise SimspotValueError(
                    f"channel {self.channel} is not a {self.band} GHz channel "
                    f"({min(allowed)}-{max(allowed)})",
                    msg_id="hotspot.channel",
                    params={
                        "channel": self.channel,
                        "band": self.band,
                        "low": min(allowed),
                        "high": max(allowed),
                    },
                )
        if self.backend == "networkmanager" and self.security == "wpa2-wpa3":
            raise SimspotValueError(
                "security: NetworkManager cannot offer the WPA2/WPA3 transition mode; "
                'with backend = "networkmanager" choose security = "wpa2" or "wpa3"',
                msg_id="hotspot.nm-transition",
            )
        if self.security == "open" and self.passphrase is not None:
            raise SimspotValueError(
                'passphrase is set but security = "open" would not use it',
                msg_id="hotspot.open-passphrase",
            )
        if self.nm_address is not None and self.backend not in (None, "networkmanager"):
            raise SimspotValueError(
                f'nm_address is for backend = "networkmanager", not {self.backend!r} (the data '
                "plane puts dataplane.lan_address on the interface)",
                msg_id="hotspot.nm-address",
                params={"backend": repr(self.backend)},
            )
        overlap = set(self.mac_allow) & set(self.mac_deny)
        if overlap:
            raise SimspotValueError(
                f"mac_deny repeats entries of mac_allow: {', '.join(sorted(overlap))}",
                msg_id="hotspot.mac-overlap",
                params={"macs": ", ".join(sorted(overlap))},
            )
        if self.band == "5" and self.country is None:
            raise SimspotValueError(
                "band 5 needs country (a two-letter code such as DE) for its rules",
                msg_id="hotspot.band5-country",
            )
        if self.passphrase is not None:
            # Checked here, not per field, so a refused passphrase is never echoed in the error.
            from simspot.hotspot.passphrase import check

            secret = self.passphrase.get_secret_value()
            check(secret, self.ssid)
            if validate.is_hex_psk(secret) and self.security in ("wpa3", "wpa2-wpa3"):
                raise SimspotValueError(
                    "passphrase: a 64-hex-digit key works only with security wpa2 "
                    "(WPA3's SAE needs a passphrase)",
                    msg_id="hotspot.hex-key-wpa3",
                )
        return self

    def effective_channel(self) -> int:
        return self.channel if self.channel is not None else DEFAULT_CHANNEL[self.band]
