"""The simulator as a profile: simulated backends built together, and the demo's first state.

``simspot.daemon.build`` calls the factories below (see ``simspot.registry``) only when the daemon
runs with the simulator (``simspot demo``, ``simspot serve --simulate``). They share one
:class:`Simulator`: one world and its clock, and they are connected as real parts are: the
simulated modem's eUICC slot reads the virtual eUICC, and re-reads it when a profile changes.

The demo's first state (a plan on each SIM, an operator profile on the empty card) is seeded by a
capability of its own, ``demo-seed``, through the same services a user's API calls go through:
the card service downloads and enables the profile from the local test SM-DP+, the plans service
adds the plans. Nothing outside this package knows whether it runs in the demo.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

from simspot.config import Config
from simspot.daemon.capabilities import Capability, Installer
from simspot.daemon.supervisor import Component
from simspot.errors import EsimError, SimspotError, StateError
from simspot.esim.transport import ApduTransport
from simspot.services import CARD_SERVICE, KNOWN_ICCIDS, PLAN_ADMIN
from simspot.simulator.world import World, WorldClock

if TYPE_CHECKING:
    from simspot.daemon.build import BuildEnv
    from simspot.esim.settings import EsimSettings
    from simspot.simulator.ap import SimulatedAp
    from simspot.simulator.battery import SimulatedBattery
    from simspot.simulator.clients import SimulatedDataPlane
    from simspot.simulator.euicc import VirtualEuicc
    from simspot.simulator.modem import EuiccView, SimulatedModem
    from simspot.simulator.pki import TestPki
    from simspot.simulator.smdp import TestSmdp
    from simspot.simulator.smds import TestSmds

log = logging.getLogger(__name__)

OPERATOR_ORDER = "SIMSPOT-OPERATOR"  # the matching ID of the operator profile the demo installs
TRAVEL_ORDER = "SIMSPOT-JAPAN"  # the travel eSIM the travel scenario buys (simulator.scenarios)
DISCOVERABLE_ORDER = "SAMPLE-19K"  # a sample order with an event on the test SM-DS


class Simulator:
    """The simulated world and the simulated backends built on it, connected."""

    def __init__(self, config: Config) -> None:
        s = config.simulator
        self.config = config
        self.world = World(
            seed=s.seed,
            speed=s.speed,
            scripted=s.scenario is not None,
            wired_plugged=False if s.wired_wan else None,
        )
        self.world.populate(s.clients)
        self.modem: SimulatedModem | None = None
        self.card: VirtualCard | None = None
        # Set once the demo's first state is there (at once without demo data): scenarios wait.
        self.seeded = asyncio.Event()

    def connect(self) -> None:
        """The simulated modem's slot 2 is the virtual eUICC when both are simulated."""
        if self.modem is not None and self.card is not None:
            self.card.listeners.append(self.modem.refresh_euicc)
            self.modem.attach_euicc(self.card.view)

    def components(self) -> list[Component]:
        return [WorldClock(self.world, self.config.simulator.tick_s)]

    def capabilities(self) -> list[Capability]:
        s = self.config.simulator
        out = [demo_seed(self)] if s.demo_data else []
        if s.scenario is not None:
            from simspot.simulator.scenarios import scenario_capability

            out.append(scenario_capability(self, s.scenario))
        return out


class VirtualCard:
    """The card backend ``virtual``: the virtual eUICC, its test PKI, a test SM-DP+ and SM-DS.

    The card and its PKI persist under ``<state>/esim`` (created on first use); the test CI is
    trusted for the local servers' TLS; the SM-DP+ serves the sample profiles (reusable) and the
    operator profile the demo installs (once); the card's root SM-DS is the local test SM-DS, where
    the SM-DP+ registers an event for one sample profile, so `simspot esim discover` finds it
    without the Internet.
    """

    name = "virtual"

    def __init__(self, settings: EsimSettings, state_dir: Path) -> None:
        self.settings = settings
        self.dir = state_dir / "esim"
        self.euicc: VirtualEuicc | None = None
        self.pki: TestPki | None = None
        self.smdp: TestSmdp | None = None
        self.smds: TestSmds | None = None
        self._ci_file = self.dir / "test-ci.pem"
        # Called (no arguments) after the card's profiles changed (the modem re-reads it).
        self.listeners: list[Any] = []

    # -- the card ------------------------------------------------------------------------------
    def _load_pki(self) -> TestPki:
        if self.pki is not None:
            return self.pki
        from cryptography.hazmat.primitives.serialization import Encoding

        from simspot.simulator.pki import TestPki

        pki_dir = self.dir / "pki"
        try:
            if pki_dir.is_dir():
                pki = TestPki.load(pki_dir)
            else:
                pki = TestPki.generate()
                pki.write(pki_dir)
                for path in pki_dir.iterdir():  # the state directory is owner-only throughout
                    path.chmod(0o600)
            self._ci_file.write_bytes(pki.ci.cert.public_bytes(Encoding.PEM))
        except OSError as exc:
            raise StateError(
                msg_id="simulator.euicc.setup-failed",
                params={"directory": str(self.dir), "error": str(exc)},
            ) from exc
        self.pki = pki
        return pki

    def _open_card(self, root_ds: str | None = None) -> VirtualEuicc:
        if self.euicc is not None:
            return self.euicc
        from simspot.simulator.euicc import DEFAULT_ROOT_DS, VirtualEuicc

        pki = self._load_pki()
        identity = self.settings.virtual_identity
        if identity is not None:
            from simspot.simulator.pki import PkiError, load_euicc_identity

            try:
                credentials = load_euicc_identity(identity)
            except (PkiError, OSError) as exc:
                raise StateError(
                    msg_id="simulator.euicc.identity",
                    params={
                        "error": str(exc),
                        "error_said": exc.message_json() if isinstance(exc, PkiError) else None,
                    },
                ) from exc
        else:
            credentials = pki.euicc_credentials()
        self.euicc = VirtualEuicc(
            credentials,
            state_path=self.dir / "euicc.json",
            on_change=self._changed,
            root_ds_address=root_ds or DEFAULT_ROOT_DS,
        )
        return self.euicc

    def _changed(self, _enabled: str | None) -> None:
        for listener in list(self.listeners):
            listener()

    async def open(self) -> ApduTransport:
        from simspot.simulator.euicc import VirtualCardTransport

        pki = await asyncio.to_thread(self._load_pki)  # key generation, file I/O
        root_ds = None
        if self.settings.virtual_smdp and self.smds is None:
            from simspot.simulator.smds import TestSmds

            smds = TestSmds(await asyncio.to_thread(pki.smds_credentials))
            self.smds = smds  # held before it binds, so a stop meanwhile closes it
            await smds.start("127.0.0.1", 0)
            root_ds = smds.address
        card = await asyncio.to_thread(self._open_card, root_ds)
        self._changed(None)  # the card can be read now: the modem reads its slot again
        return VirtualCardTransport(card)

    def trusted_ca_files(self) -> list[Path]:
        return [self._ci_file]

    def view(self) -> EuiccView | None:
        """The card as a modem reads it: EID and enabled profile (None: not opened yet)."""
        from simspot.simulator.modem import EuiccView

        card = self.euicc
        if card is None:
            return None
        enabled = next((p for p in card.profiles if p.enabled), None)
        if enabled is None:
            return EuiccView(card.eid)
        meta = enabled.decoded_metadata()
        return EuiccView(
            card.eid, enabled.iccid, meta.get("serviceProviderName"), meta.get("profileName")
        )

    # -- the local test SM-DP+ -------------------------------------------------------------------
    async def start(self) -> None:
        if not self.settings.virtual_smdp or self.smdp is not None:
            return
        self._open_card()
        if self.pki is None:
            raise EsimError(msg_id="simulator.euicc.no-pki")
        smdp = await asyncio.to_thread(self._make_smdp, self.pki)
        from simspot.simulator.smdp import SmdpConfigError

        self.smdp = smdp  # held before it binds, so a stop meanwhile closes it
        port = self.settings.virtual_smdp_port
        try:
            await smdp.start("127.0.0.1", port)
        except SmdpConfigError as exc:
            if port == 0:
                raise
            log.warning("%s; using any free port instead", exc)
            await smdp.start("127.0.0.1", 0)
        if self.smds is not None and self.euicc is not None:
            smdp.smds = self.smds
            smdp.announce(DISCOVERABLE_ORDER, eid=self.euicc.eid)

    def _make_smdp(self, pki: TestPki) -> TestSmdp:
        from simspot.simulator.modem import DEMO_ESIM_NAME, DEMO_ESIM_PROVIDER, EUICC_PROFILE
        from simspot.simulator.profiles import SIZES, sample_profile, write_samples
        from simspot.simulator.scenarios import TRAVEL_ESIM, TRAVEL_ESIM_NAME, TRAVEL_PROVIDER
        from simspot.simulator.smdp import Order, TestSmdp

        profiles = self.dir / "profiles"
        if not profiles.is_dir():
            write_samples(profiles)
        smdp = TestSmdp(pki.smdp_credentials())
        smdp.load_directory(profiles, reusable=True)
        iccid = EUICC_PROFILE[0]
        smdp.add_order(
            Order(
                matching_id=OPERATOR_ORDER,
                package=sample_profile(SIZES["12k"], iccid=iccid, name=DEMO_ESIM_NAME),
                iccid=iccid,
                service_provider=DEMO_ESIM_PROVIDER,
                profile_name=DEMO_ESIM_NAME,
            )
        )
        smdp.add_order(
            Order(
                matching_id=TRAVEL_ORDER,
                package=sample_profile(SIZES["12k"], iccid=TRAVEL_ESIM, name=TRAVEL_ESIM_NAME),
                iccid=TRAVEL_ESIM,
                service_provider=TRAVEL_PROVIDER,
                profile_name=TRAVEL_ESIM_NAME,
            )
        )
        return smdp

    async def stop(self) -> None:
        smdp, self.smdp = self.smdp, None
        if smdp is not None:
            await smdp.stop()
        smds, self.smds = self.smds, None
        if smds is not None:
            await smds.stop()

    def test_smdp(self) -> tuple[str, list[str]] | None:
        smdp = self.smdp
        if smdp is None or smdp.address is None:
            return None
        codes = [
            smdp.activation_code(m)
            for m in sorted(smdp.orders)
            if m not in (OPERATOR_ORDER, TRAVEL_ORDER)
        ]
        return smdp.address, codes

    def operator_code(self, order: str = OPERATOR_ORDER) -> str | None:
        """The activation code of the operator profile the demo installs on an empty card (or
        of another order the simulator keeps for itself: the travel eSIM)."""
        smdp = self.smdp
        if smdp is None or smdp.address is None or order not in smdp.orders:
            return None
        return smdp.activation_code(order)


# -- factories (simspot.registry) -------------------------------------------------------------


def modem(env: BuildEnv) -> SimulatedModem:
    """The first simulated modem; with ``simulator.modems = 2`` it holds the second as well."""
    from simspot.simulator.modem import SECOND_MODEM, SimulatedModem

    sim = env.simulator()
    sim.modem = SimulatedModem(sim.world)
    if env.config.simulator.modems > 1:
        sim.modem.more.append(SimulatedModem(sim.world, ident=SECOND_MODEM))
    sim.connect()
    return sim.modem


def battery(env: BuildEnv) -> SimulatedBattery:
    from simspot.simulator.battery import SimulatedBattery

    return SimulatedBattery(env.simulator().world)


def dataplane(env: BuildEnv) -> SimulatedDataPlane:
    from simspot.simulator.clients import SimulatedDataPlane

    return SimulatedDataPlane(env.simulator().world)


def access_point(env: BuildEnv) -> SimulatedAp:
    from simspot.simulator.ap import SimulatedAp

    return SimulatedAp(env.simulator().world)


def card(env: BuildEnv) -> VirtualCard:
    sim = env.simulator()
    sim.card = VirtualCard(env.config.esim, env.state_dir)
    sim.connect()
    return sim.card


# -- the demo's first state -------------------------------------------------------------------

DEMO_ALLOWANCE = 1_000_000_000


def demo_seed(sim: Simulator) -> Capability:
    return Capability(
        name="demo-seed",
        needs=(PLAN_ADMIN, KNOWN_ICCIDS),
        wants=(CARD_SERVICE,),
        install=lambda inst: _install_seed(inst, sim),
    )


def _install_seed(inst: Installer, sim: Simulator) -> None:
    inst.daemon.supervisor.add(DemoSeed(inst, sim))


class DemoSeed:
    """Component: once, on a new state directory, give the demo its plans and eSIM profile."""

    name = "demo-seed"

    def __init__(self, inst: Installer, sim: Simulator) -> None:
        self.daemon = inst.daemon
        self.plans = inst.need(PLAN_ADMIN)
        self.known = inst.need(KNOWN_ICCIDS)
        self.cards = inst.want(CARD_SERVICE)
        self.sim = sim
        self.done = False

    async def run(self) -> None:
        if not self.done:
            await self.seed()
            self.done = True
            self.sim.seeded.set()
        await asyncio.Event().wait()  # nothing more to do; stays until the daemon stops

    async def seed(self) -> None:
        installed = await self._operator_profile()
        added = 0 if self.plans.list_plans() else self._plans(installed)
        self.daemon.bus.publish("demo.seeded", {"profile_installed": installed, "plans": added})

    def _plans(self, installed: bool) -> int:
        from simspot.simulator.modem import EUICC_PROFILE, PHYSICAL_SIM
        from simspot.simulator.scenarios import home_sim_price, scenario_plans

        scenario = self.sim.config.simulator.scenario
        self.known.remember_iccids([PHYSICAL_SIM[0]], "simulator")
        self.plans.add(
            {
                "iccid": PHYSICAL_SIM[0],
                "name": "Simtel 1 GB",
                "allowance_bytes": DEMO_ALLOWANCE,
                "tethering_allowance_bytes": 800_000_000,
                "cycle": {"kind": "monthly", "day": 1},
                "timezone": "Europe/London",
                "price": home_sim_price(scenario),
                "action": "stop",
            }
        )
        for plan in scenario_plans(scenario):
            self.known.remember_iccids([plan["iccid"]], "simulator")
            self.plans.add(plan)
        # As if the carrier's app had already shown some use this month.
        self.plans.correct(PHYSICAL_SIM[0], 350_000_000, note="demo start")
        if installed or (self.sim.card is not None and self._on_card(EUICC_PROFILE[0])):
            now = dt.datetime.now(dt.UTC)
            self.plans.add(
                {
                    "iccid": EUICC_PROFILE[0],
                    "name": "Unicom travel 500 MB",
                    "allowance_bytes": 500_000_000,
                    "cycle": {
                        "kind": "prepaid",
                        "start": now.isoformat(),
                        "expires": (now + dt.timedelta(days=7)).isoformat(),
                    },
                    "timezone": "Asia/Shanghai",
                    "price": {"amount": "35", "per": "cycle", "currency": "CNY"},
                    "mccs": ["208", "262", "460"],
                    "action": "switch",
                }
            )
        return len(self.plans.list_plans())

    def _on_card(self, iccid: str) -> bool:
        card = self.sim.card
        return (
            card is not None
            and card.euicc is not None
            and any(p.iccid == iccid for p in card.euicc.profiles)
        )

    async def _operator_profile(self) -> bool:
        """An empty virtual eUICC gets the operator profile through the real flow, enabled."""
        card, cards = self.sim.card, self.cards
        if card is None or cards is None:
            return False
        await cards.wait_ready()
        if card.euicc is None or card.euicc.profiles:
            return False
        code = card.operator_code()
        if code is None:
            log.warning("the virtual eUICC got no operator profile: no local test SM-DP+ runs")
            return False
        try:
            result = await cards.download(code)
            await cards.enable(str(result["iccid"]))
        except SimspotError as exc:  # the demo still runs; the card stays as it is
            log.warning("the virtual eUICC got no operator profile: %s", exc)
            return False
        return True

    async def close(self) -> None:
        return None
