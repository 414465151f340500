"""Simulated cellular modems: the first with a physical SIM and an eUICC, a second with one SIM."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from simspot.contracts import ApnSettings, ModemBackend
from simspot.errors import BackendError
from simspot.model import BearerInfo, ModemStatus, PinResult, Registration, SimSlot, SmsMessage
from simspot.modem.errors import ModemError, PinRejected
from simspot.modem.pin import PinPolicy, check_pin_attempt, check_pin_format
from simspot.simulator.world import World

Subscription = tuple[str, str, str, str]  # (ICCID, IMSI, operator name, MCC+MNC)

PHYSICAL_SIM: Subscription = ("8944200000000000017", "234150000000017", "Simtel UK", "23415")
# The second modem's own SIM (its ICCID sorts after the first modem's: ties go to modem 1).
SECOND_SIM: Subscription = ("8944203000000000022", "234200000000022", "Three UK", "23420")
# The operator profile the simulator installs on an empty virtual eUICC (through the real
# download flow) and enables, as the modem shows it once enabled: the eUICC view below derives
# IMSI, operator and MCC+MNC from the profile's service provider name and ICCID.
DEMO_ESIM_PROVIDER = "China Unicom"
DEMO_ESIM_NAME = "Unicom Travel"
EUICC_PROFILE: Subscription = ("89860110000000000214", "460010000000021", "China Unicom", "46001")
# The eUICC a modem without an eUICC view shows (a fixed card with the profile above enabled).
EID = "89049032000000000000000000000042"

# Home networks of the service providers the simulator knows (MCC+MNC, name on the network).
KNOWN_PROVIDERS = {
    "china unicom": ("46001", "China Unicom"),
    "simtel uk": ("23415", "Simtel UK"),
    "three uk": ("23420", "Three UK"),
    "orange f": ("20801", "Orange F"),
    "orange": ("20801", "Orange F"),
    "telekom.de": ("26201", "Telekom.de"),
    "telekom": ("26201", "Telekom.de"),
    "ntt docomo": ("44010", "NTT docomo"),
}
# The network a visiting SIM registers on, by country (MCC); others get "<MCC>01".
VISITED = {
    "208": ("20801", "Orange F"),
    "234": ("23430", "EE"),
    "262": ("26201", "Telekom.de"),
    "440": ("44010", "NTT docomo"),
    "460": ("46001", "China Unicom"),
}
TEST_NETWORK = "00101"  # ITU-T E.212 test network: providers the simulator does not know


@dataclass(frozen=True)
class EuiccView:
    """What a modem reads from its eUICC: the EID and the enabled profile, if any."""

    eid: str
    iccid: str | None = None
    provider: str | None = None  # serviceProviderName of the profile metadata
    name: str | None = None  # profileName of the profile metadata


# Returns the eUICC as it is now, or None while the card cannot be read (not opened yet).
EuiccReader = Callable[[], EuiccView | None]


def subscription_of(view: EuiccView) -> Subscription | None:
    """The subscription an enabled eSIM profile gives: home network and IMSI from its metadata.

    The simulator has no real IMSI in its sample packages; a plausible one is the home network's
    MCC+MNC followed by the ICCID's account digits (without the Luhn digit).
    """
    if view.iccid is None:
        return None
    label = (view.provider or view.name or "").strip()
    code, operator = KNOWN_PROVIDERS.get(label.lower(), (TEST_NETWORK, label or "eSIM"))
    digits = "".join(c for c in view.iccid if c.isdigit())[:-1]
    msin = digits[-(15 - len(code)) :].rjust(15 - len(code), "0")
    return (view.iccid, code + msin, operator, code)


def _fixed_euicc() -> EuiccView:
    return EuiccView(EID, EUICC_PROFILE[0], DEMO_ESIM_PROVIDER, DEMO_ESIM_NAME)


@dataclass(frozen=True)
class ModemIdentity:
    """What tells one simulated modem from another: its id, hardware, bearer, SIMs."""

    id: str
    model: str
    imei: str
    interface: str  # the bearer's network interface
    ipv4: tuple[str, str]  # (address, gateway) of the bearer, a /30
    ipv6_prefix: str
    sim: Subscription  # the physical SIM in slot 1
    euicc: bool  # slot 2 holds an eUICC
    signal: float  # where its signal settles


FIRST_MODEM = ModemIdentity(
    id="sim0", model="Virtual LTE modem", imei="356938035643809", interface="wwan0",
    ipv4=("10.64.12.7", "10.64.12.5"), ipv6_prefix="2001:db8:44::/64", sim=PHYSICAL_SIM,
    euicc=True, signal=72.0,
)  # fmt: skip
SECOND_MODEM = ModemIdentity(
    id="sim1", model="Virtual 5G modem", imei="356938035643817", interface="wwan1",
    ipv4=("10.65.3.9", "10.65.3.10"), ipv6_prefix="2001:db8:45::/64", sim=SECOND_SIM,
    euicc=False, signal=58.0,
)  # fmt: skip


class SimulatedModem:
    """Signal, access technology, registration and roaming follow the simulated world.

    The modem registers in the country the box is in (``World.country``): on its SIM's home
    network there, else roaming on a local network. Its signal wanders around ``signal_target``
    (a scenario moves the target: a fading signal); without a scenario, coverage is lost for a
    moment now and then. A modem holding others (``more``) reports them through
    ``other_modems`` (``contracts.HasOtherModems``): the daemon watches and uses them too.
    """

    def __init__(
        self, world: World, euicc: EuiccReader | None = None, *, ident: ModemIdentity = FIRST_MODEM
    ) -> None:
        self.world = world
        self.ident = ident
        self._read_euicc: EuiccReader = euicc or _fixed_euicc
        self.euicc: EuiccView | None = self._read_euicc() if ident.euicc else None
        self.active_slot = 1
        self.signal = ident.signal
        self.signal_target = ident.signal
        self.access_tech = "lte" if ident.euicc else "5gnr"
        self.registration: Registration = "searching"
        self.visited: tuple[str, str] | None = None
        self.connected_apn: str | None = None
        self.started = False
        self.rx_bytes = 0
        self.tx_bytes = 0
        # SIM PIN: unlocked unless a test or a scenario locks it (``lock_sim``).
        self.pin = "1234"
        self.pin_required = False
        self.pin_retries = 3
        self.sms: list[SmsMessage] = []
        self.more: list[SimulatedModem] = []
        self._sms(ident.sim[2], f"Welcome to {ident.sim[2]}. Your data plan is active.")
        self._register()
        world.add_listener(self._tick)
        world.add_link(ident.interface, self._bearer_up)

    def other_modems(self) -> list[ModemBackend]:
        return list(self.more)

    def _sms(self, number: str, text: str) -> None:
        when = dt.datetime.fromtimestamp(self.world.now, dt.UTC).isoformat(timespec="seconds")
        self.sms.append(SmsMessage(id=str(len(self.sms) + 1), number=number, text=text,
                                   timestamp=when))  # fmt: skip

    def lock_sim(self, pin: str = "1234", retries: int = 3) -> None:
        """Make the SIM ask for its PIN (as after a power cycle with PIN checking on)."""
        self.pin, self.pin_required, self.pin_retries = pin, True, retries
        self.connected_apn = None

    def attach_euicc(self, reader: EuiccReader) -> None:
        """Read slot 2 from ``reader`` from now on (the simulator's virtual eUICC)."""
        self._read_euicc = reader
        self.refresh_euicc()

    def refresh_euicc(self) -> None:
        """Read the eUICC again, as a modem does after a profile switch (a SIM refresh).

        When the active slot's subscription changed, the modem detaches and registers again
        with the new one (or finds no network: an eUICC without an enabled profile).
        """
        if not self.ident.euicc:
            return
        before = self._euicc_sub()
        self.euicc = self._read_euicc()
        if self.active_slot == 2 and self._euicc_sub() != before:
            self.connected_apn = None
            self.visited = None
            self.registration = "searching"

    def _euicc_sub(self) -> Subscription | None:
        return subscription_of(self.euicc) if self.euicc else None

    async def start(self) -> None:
        self.started = True
        for other in self.more:
            await other.start()

    async def stop(self) -> None:
        self.started = False
        for other in self.more:
            await other.stop()

    def _bearer_up(self) -> bool:
        return (
            self.connected_apn is not None
            and self.registration in ("home", "roaming")
            and not self.pin_required
        )

    def _register(self) -> None:
        """Register in the box's country: the home network there, else roaming on a local one."""
        sub = self._sub()
        if sub is None:
            self.registration, self.visited = "searching", None
            return
        country = self.world.country
        was = self.registration
        if sub[3][:3] == country:
            self.registration, self.visited = "home", None
        else:
            self.registration = "roaming"
            self.visited = VISITED.get(country, (country + "01", f"MCC {country}"))
            if was != "roaming":
                self._sms(sub[2], f"Welcome to {self.visited[1]}. Roaming charges apply.")

    def _registered_where(self) -> str | None:
        """The country of the network the modem is registered on (None: not registered)."""
        if self.registration == "roaming" and self.visited:
            return self.visited[0][:3]
        sub = self._sub()
        if self.registration == "home" and sub:
            return sub[3][:3]
        return None

    def _tick(self, dt: float) -> None:
        rng = self.world.rng
        step = min(dt, 10.0)
        # The signal settles on its target (fast while a scenario drives the world) with noise.
        pull, noise = (0.5, 1.0) if self.world.scripted else (0.03, 3.0)
        self.signal += min(1.0, pull * step) * (self.signal_target - self.signal)
        self.signal += rng.gauss(0, noise) * step**0.5
        self.signal = max(1.0, min(100.0, self.signal))
        if not self.world.scripted and rng.random() < dt / 300:
            self.access_tech = rng.choice(("lte", "5gnr", "lte", "umts"))
        if self._sub() is None:
            self.registration = "searching"  # no subscription on the active slot: no network
        elif self.registration in ("home", "roaming"):
            if self._registered_where() != self.world.country:
                self._register()  # across a border: the next country's network
            elif not self.world.scripted and rng.random() < dt / 1800:
                self.registration = "searching"  # coverage lost for a moment
        elif self.registration == "searching" and (
            self.world.scripted or rng.random() < min(1.0, dt / 20)
        ):
            self._register()

    def _sub(self) -> Subscription | None:
        return self.ident.sim if self.active_slot == 1 else self._euicc_sub()

    def slots(self) -> tuple[SimSlot, ...]:
        sim = self.ident.sim
        physical = SimSlot(
            index=1, kind="physical", present=True, active=self.active_slot == 1,
            iccid=sim[0], imsi=sim[1], operator_name=sim[2], operator_code=sim[3],
        )  # fmt: skip
        if not self.ident.euicc:
            return (physical,)
        sub, card = self._euicc_sub(), self.euicc
        return (
            physical,
            SimSlot(
                index=2, kind="euicc", present=True, active=self.active_slot == 2,
                iccid=sub[0] if sub else None, imsi=sub[1] if sub else None,
                operator_name=sub[2] if sub else None, operator_code=sub[3] if sub else None,
                eid=card.eid if card else None,
            ),
        )  # fmt: skip

    async def status(self) -> ModemStatus:
        ident = self.ident
        sub = self._sub()
        home_name, home_code = (sub[2], sub[3]) if sub else (None, None)
        net_code, net_name = self.visited or (home_code, home_name)
        registered = (
            sub is not None and self.registration in ("home", "roaming") and not self.pin_required
        )
        if self.connected_apn and registered:
            state = "connected"
        else:
            state = "registered" if registered else "searching"
        if self.pin_required:
            state = "locked"
        bearer = None
        if state == "connected":
            bearer = BearerInfo(
                interface=ident.interface, ipv4_address=ident.ipv4[0], ipv4_prefix=30,
                ipv4_gateway=ident.ipv4[1], ipv6_prefix=ident.ipv6_prefix,
                dns=("10.64.0.1",), apn=self.connected_apn,
                rx_bytes=self.rx_bytes, tx_bytes=self.tx_bytes,
            )  # fmt: skip
        return ModemStatus(
            id=ident.id,
            manufacturer="simspot",
            model=ident.model,
            imei=ident.imei,
            state=state,
            signal_percent=round(self.signal) if registered else 0,
            access_tech=self.access_tech if registered else None,
            operator_name=net_name if registered else None,
            operator_code=net_code if registered else None,
            registration=self.registration,
            home_mcc=home_code[:3] if home_code else None,
            current_mcc=net_code[:3] if registered and net_code else None,
            slots=self.slots(),
            bearer=bearer,
            unlock_required="sim-pin" if self.pin_required else "none",
            unlock_retries=self.pin_retries if self.pin_required else None,
        )

    async def set_primary_slot(self, slot: int) -> None:
        slots = (1, 2) if self.ident.euicc else (1,)
        if slot not in slots:
            have = "two" if self.ident.euicc else "one"
            raise BackendError(msg_id=f"simulator.modem.no-slot.{have}", params={"slot": slot})
        self.active_slot = slot
        self.connected_apn = None
        self.registration = "searching"

    async def connect(self, apn: ApnSettings) -> BearerInfo:
        if self.pin_required:
            raise ModemError(msg_id="simulator.modem.sim-locked")
        if self.registration not in ("home", "roaming"):
            raise BackendError(msg_id="simulator.modem.not-registered")
        self.connected_apn = apn.apn
        st = await self.status()
        assert st.bearer is not None
        return st.bearer

    async def disconnect(self) -> None:
        self.connected_apn = None

    async def unlock_pin(self, pin: str) -> PinResult:
        check_pin_format(pin)
        if not self.pin_required:
            return PinResult(unlocked=True, unlock_required="none")
        check_pin_attempt(self.pin_retries, PinPolicy())
        if pin != self.pin:
            self.pin_retries -= 1
            raise PinRejected(
                f"the SIM rejected the PIN; {self.pin_retries} attempt(s) left for sim-pin",
                self.pin_retries,
                msg_id="modem.pin-rejected",
                params={"left": self.pin_retries, "lock": "sim-pin"},
            )
        self.pin_required, self.pin_retries = False, 3
        return PinResult(unlocked=True, unlock_required="none")

    async def messages(self) -> list[SmsMessage]:
        return list(self.sms)
