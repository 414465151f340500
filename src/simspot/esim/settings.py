"""The eSIM (LPA) section: which card to talk to, how, and whom to trust."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator, model_validator

from simspot import registry
from simspot.configbase import Section


class EsimSettings(Section):
    # Which card the LPA talks to: a PC/SC reader ("pcsc"), a modem over AT commands ("at"),
    # none, or the simulator's virtual eUICC ("virtual", only with the simulator). Unset: none on
    # a real box, the virtual eUICC with the simulator.
    transport: str | None = None
    # Bytes of ES10 data per STORE DATA APDU (short APDUs: at most 255).
    block_size: int = Field(default=255, ge=6, le=255)
    # ISD-R AIDs to try after the GSMA one and the known removable-card ones (hex).
    extra_isdr_aids: list[str] = Field(default_factory=list, max_length=16)
    # CA certificate files (PEM) trusted for SM-DP+/SM-DS TLS besides the shipped GSMA CIs.
    extra_ca_files: list[Path] = Field(default_factory=list, max_length=16)
    # Plain HTTP to SM-DP+ servers, for tests against a local server only.
    allow_insecure_http_for_tests: bool = False
    http_timeout_s: float = Field(default=30.0, gt=0, le=600)
    # Send pending notifications to the SM-DP+ and remove them after each operation.
    process_notifications: bool = True
    # Ask the modem to refresh after enable/disable (the REFRESH flag of SGP.22 5.7.16).
    refresh: bool = True
    # Device IMEI for DeviceInfo (its first 8 digits are the TAC); unset: a neutral TAC.
    imei: str | None = Field(default=None, pattern=r"^[0-9]{15,16}$")
    # Keep each downloaded Bound Profile Package under <state>/esim/packages to retry a load.
    keep_packages: bool = False
    # PC/SC reader name (or substring, or index); unset: the first reader with a card.
    pcsc_reader: str | None = None
    # transport = "qmi" / "mbim": the modem's control device (through libqmi's qmi-proxy or
    # libmbim's mbim-proxy, so ModemManager keeps working) and the SIM slot (unset: the current
    # one for MBIM, slot 1 for QMI). `simspot esim readers` lists the devices.
    device: str = Field(default="/dev/cdc-wdm0", min_length=1, max_length=255)
    slot: int | None = Field(default=None, ge=1, le=8)
    # Modem AT port and dialect for transport = "at".
    at_port: str | None = None
    at_dialect: Literal["auto", "csim", "ccho"] = "auto"
    # transport = "at": after enable/disable make the modem re-read the card (ModemManager
    # Modem.Reset when it manages the modem, else AT+CFUN=0/1), or it keeps the old profile.
    refresh_modem_after_switch: bool = True
    # transport = "virtual": the card's identity from files instead of the generated test PKI
    # (a CI certificate, the EUM certificate, the eUICC certificate and its key: `ci.pem`,
    # `eum.pem`, `euicc.pem`, `euicc.key`), e.g. to try another SM-DP+ with its own test CI. The
    # local test SM-DP+ is signed by the generated test CI, which such a card does not trust.
    virtual_identity: Path | None = None
    # transport = "virtual": run a local test SM-DP+ too (its CI is trusted automatically).
    virtual_smdp: bool = True
    # A fixed port keeps the test activation codes valid across runs; taken: any free port.
    virtual_smdp_port: int = Field(default=18443, ge=0, le=65535)

    @field_validator("transport")
    @classmethod
    def _known_transport(cls, value: str | None) -> str | None:
        return registry.check_name("esim", value)

    @model_validator(mode="after")
    def _at_needs_port(self) -> EsimSettings:
        if self.transport == "at" and not self.at_port:
            raise ValueError('transport = "at" needs at_port (the modem\'s AT port, /dev/ttyUSB2)')
        return self

    @field_validator("extra_isdr_aids")
    @classmethod
    def _aids(cls, value: list[str]) -> list[str]:
        out = []
        for aid in value:
            clean = aid.replace(" ", "").upper()
            if len(clean) % 2 or not 10 <= len(clean) <= 32:
                raise ValueError(f"an AID is 5-16 bytes of hex, not {aid!r}")
            try:
                bytes.fromhex(clean)
            except ValueError:
                raise ValueError(f"an AID is hexadecimal, not {aid!r}") from None
            out.append(clean)
        return out

    def isdr_aids(self) -> list[bytes]:
        """The ordered AID list: GSMA ISD-R, known removable-card AIDs, then the user's."""
        from simspot.esim.apdu import DEFAULT_AIDS, Es10Channel

        return Es10Channel.merge_aids(
            DEFAULT_AIDS, [bytes.fromhex(a) for a in self.extra_isdr_aids]
        )
