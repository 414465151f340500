"""The eSIM service: one card, its transport chosen by name, and the LPA operations as JSON.

The daemon runs it as a supervised component (it holds the card for as long as it runs); the CLI
uses the same class directly when no daemon runs. With ``transport = "virtual"`` the card is the
simulator's virtual eUICC (state in ``<state>/esim``) and, unless turned off, a local test SM-DP+
serves sample profiles over HTTPS with the test CI trusted, so downloads work offline.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Any

from simspot.errors import EsimError, StateError
from simspot.esim.activation import ActivationCode, parse
from simspot.esim.errors import EsimValueError
from simspot.esim.lpa import Lpa, LpaOptions, Progress
from simspot.esim.settings import EsimSettings
from simspot.esim.transport import ApduTransport

if TYPE_CHECKING:
    from simspot.simulator.euicc import VirtualEuicc
    from simspot.simulator.modem import EuiccView
    from simspot.simulator.pki import TestPki
    from simspot.simulator.smdp import TestSmdp

log = logging.getLogger(__name__)


def _profile_ref(value: str) -> str | bytes:
    """An ICCID (digits) or an ISD-P AID (hex, 10-32 characters, starting A0)."""
    text = value.strip()
    if text.isdigit():
        return text
    if text.upper().startswith("A0") and len(text) % 2 == 0:
        try:
            return bytes.fromhex(text)
        except ValueError:
            pass
    raise EsimValueError(
        f"name a profile by its ICCID (digits) or its ISD-P AID (hex), not {value!r}"
    )


class EsimService:
    """The card and the LPA on it; a supervised component in the daemon."""

    name = "esim"

    def __init__(
        self,
        settings: EsimSettings,
        state_dir: Path,
        *,
        hold_card_lock: bool = True,
        publish: Callable[[str, dict[str, Any]], object] | None = None,
    ) -> None:
        self.settings = settings
        self.state_dir = Path(state_dir)
        self.dir = self.state_dir / "esim"
        self.hold_card_lock = hold_card_lock
        self._publish = publish or (lambda _k, _d: None)
        self._lpa: Lpa | None = None
        self._smdp: TestSmdp | None = None
        self._card: VirtualEuicc | None = None  # the virtual eUICC (transport = "virtual")
        self._ci_file: Path | None = None
        self._pki: TestPki | None = None
        self._fallback_port = 0  # the port the bootstrap SM-DP+ used instead of the configured
        # Called (no arguments) after the virtual eUICC's profiles changed: enable, disable,
        # delete, install, reset. The simulated modem re-reads its eUICC slot here.
        self.card_listeners: list[Callable[[], None]] = []
        # Called with the ICCIDs of the installed profiles whenever the service has read them.
        self.profile_listeners: list[Callable[[list[str]], None]] = []
        self._lock: Any = None
        self._stop = asyncio.Event()
        self._starting = asyncio.Lock()
        self.progress: dict[str, Any] | None = None  # the download in progress, for the API

    # --- life cycle ----------------------------------------------------------------------------

    async def start(self) -> None:
        async with self._starting:
            if self._lpa is not None:
                return
            if self.hold_card_lock and self._lock is None:
                await asyncio.to_thread(self._acquire_lock)
            try:
                extra_ca: list[Path] = list(self.settings.extra_ca_files)
                transport = await self._transport(extra_ca)
                s = self.settings
                self._lpa = Lpa(
                    transport,
                    LpaOptions(
                        aids=s.isdr_aids(),
                        block_size=s.block_size,
                        extra_ca_files=extra_ca,
                        allow_insecure_http_for_tests=s.allow_insecure_http_for_tests,
                        http_timeout=s.http_timeout_s,
                        process_notifications=s.process_notifications,
                        imei=s.imei,
                        refresh=s.refresh,
                    ),
                )
            except BaseException:
                await self.close()
                raise

    def _acquire_lock(self) -> None:
        from simspot.esim.lock import CardLock

        lock = CardLock(self.state_dir, "simspot daemon (esim)")
        lock.acquire()
        self._lock = lock

    async def _transport(self, extra_ca: list[Path]) -> ApduTransport:
        s = self.settings
        if s.transport == "pcsc":
            from simspot.esim.pcsc import PcscTransport

            return PcscTransport(s.pcsc_reader)
        if s.transport == "at":
            from simspot.esim.at import AtTransport

            if not s.at_port:
                raise EsimError('esim.at_port must name the modem\'s AT port for transport = "at"')
            return AtTransport(s.at_port, dialect=s.at_dialect)
        try:
            return await asyncio.to_thread(self._virtual, extra_ca)
        except OSError as exc:
            raise StateError(f"cannot set up the virtual eUICC in {self.dir}: {exc}") from exc

    def open_virtual_card(self) -> VirtualEuicc:
        """The virtual eUICC (created with its test PKI on first use), kept for the service."""
        if self._card is not None:
            return self._card
        from cryptography.hazmat.primitives.serialization import Encoding

        from simspot.simulator.euicc import VirtualEuicc
        from simspot.simulator.pki import TestPki

        pki_dir = self.dir / "pki"
        if pki_dir.is_dir():
            pki = TestPki.load(pki_dir)
        else:
            pki = TestPki.generate()
            pki.write(pki_dir)
        ci_file = self.dir / "test-ci.pem"
        ci_file.write_bytes(pki.ci.cert.public_bytes(Encoding.PEM))
        self._ci_file = ci_file
        self._pki = pki
        card = VirtualEuicc(
            pki.euicc_credentials(), state_path=self.dir / "euicc.json", on_change=self._changed
        )
        self._card = card
        return card

    def _changed(self, _enabled: str | None) -> None:
        for listener in list(self.card_listeners):
            listener()

    def euicc_view(self) -> EuiccView | None:
        """The virtual eUICC as a modem reads it: EID and enabled profile (None: no card yet)."""
        from simspot.simulator.modem import EuiccView

        card = self._card
        if card is None:
            return None
        enabled = next((p for p in card.profiles if p.enabled), None)
        if enabled is None:
            return EuiccView(card.eid)
        meta = enabled.decoded_metadata()
        return EuiccView(
            card.eid, enabled.iccid, meta.get("serviceProviderName"), meta.get("profileName")
        )

    def installed_iccids(self) -> list[str]:
        """ICCIDs on the virtual eUICC if it is open (other cards: read through the LPA)."""
        return [p.iccid for p in self._card.profiles] if self._card is not None else []

    def _report_profiles(self, iccids: list[str]) -> None:
        for listener in list(self.profile_listeners):
            listener(iccids)

    def bootstrap_virtual(self, provider: str, name: str, iccid: str) -> str | None:
        """Give an empty virtual eUICC one operator profile, enabled; return its ICCID.

        Runs the real flow (LPA, a local test SM-DP+ over HTTPS serving this one order, the
        virtual eUICC) on a worker thread with its own event loop and waits for it, so it can
        be called while the daemon starts, before anything reads the card. Returns None when
        the card already has profiles (nothing is installed then).
        """
        if self.hold_card_lock and self._lock is None:
            self._acquire_lock()
        try:
            card = self.open_virtual_card()
        except OSError as exc:
            raise StateError(f"cannot set up the virtual eUICC in {self.dir}: {exc}") from exc
        if card.profiles:
            return None
        listeners, self.card_listeners = self.card_listeners, []  # other threads: not now
        try:
            with ThreadPoolExecutor(1, thread_name_prefix="esim-bootstrap") as pool:
                return pool.submit(asyncio.run, self._bootstrap(provider, name, iccid)).result()
        finally:
            self.card_listeners = listeners

    async def _bootstrap(self, provider: str, name: str, iccid: str) -> str:
        from simspot.simulator.euicc import VirtualCardTransport
        from simspot.simulator.profiles import SIZES, sample_profile
        from simspot.simulator.smdp import Order, TestSmdp

        if self._card is None or self._ci_file is None or self._pki is None:
            raise EsimError("internal: the virtual eUICC is not open")
        smdp = TestSmdp(self._pki.smdp_credentials())
        order = smdp.add_order(
            Order(
                matching_id="SIMSPOT-BOOTSTRAP",
                package=sample_profile(SIZES["12k"], iccid=iccid, name=name),
                iccid=iccid,
                service_provider=provider,
                profile_name=name,
            )
        )
        # On the port the service's own test SM-DP+ will use, so that the notifications of later
        # operations on this profile (sent to the address in its metadata) reach that one.
        from simspot.simulator.smdp import SmdpConfigError

        try:
            await smdp.start("127.0.0.1", self.settings.virtual_smdp_port)
        except SmdpConfigError:
            await smdp.start("127.0.0.1", 0)
            self._fallback_port = int((smdp.address or ":0").rsplit(":", 1)[1])
        try:
            lpa = Lpa(
                VirtualCardTransport(self._card),
                LpaOptions(
                    aids=self.settings.isdr_aids(),
                    extra_ca_files=[*self.settings.extra_ca_files, self._ci_file],
                    http_timeout=self.settings.http_timeout_s,
                    process_notifications=True,
                ),
            )
            result = await lpa.download(parse(smdp.activation_code(order.matching_id)))
            await lpa.enable(iccid)
        finally:
            await smdp.stop()
        log.info("virtual eUICC: installed and enabled %s (%s)", result.iccid, provider)
        return iccid

    def _virtual(self, extra_ca: list[Path]) -> ApduTransport:
        from simspot.simulator.euicc import VirtualCardTransport
        from simspot.simulator.profiles import write_samples
        from simspot.simulator.smdp import TestSmdp

        card = self.open_virtual_card()
        if self._ci_file is not None:
            extra_ca.append(self._ci_file)
        pki = self._pki
        if self.settings.virtual_smdp and pki is not None:
            profiles = self.dir / "profiles"
            if not profiles.is_dir():
                write_samples(profiles)
            smdp = TestSmdp(pki.smdp_credentials())
            smdp.load_directory(profiles, reusable=True)
            self._smdp = smdp
        return VirtualCardTransport(card)

    async def _start_smdp(self) -> None:
        smdp = self._smdp
        if smdp is None or smdp.url is not None:
            return
        from simspot.simulator.smdp import SmdpConfigError

        port = self.settings.virtual_smdp_port
        try:
            await smdp.start("127.0.0.1", port)
        except SmdpConfigError as exc:
            if port == 0:
                raise
            log.warning("test SM-DP+: %s; using any free port instead", exc)
            if self._fallback_port:
                # where the bootstrap profile's notifications go, if that port is still free
                with contextlib.suppress(SmdpConfigError):
                    await smdp.start("127.0.0.1", self._fallback_port)
                    return
            await smdp.start("127.0.0.1", 0)

    async def run(self) -> None:
        self._stop.clear()  # a restart after close() runs again until the next close()
        await self.start()
        await self._start_smdp()
        self._publish("esim.ready", {"transport": self.settings.transport})
        await self._stop.wait()

    async def close(self) -> None:
        self._stop.set()
        smdp, self._smdp = self._smdp, None
        if smdp is not None:
            await smdp.stop()
        self._lpa = None
        lock, self._lock = self._lock, None
        if lock is not None:
            lock.release()

    async def ensure_peers(self) -> None:
        """CLI direct mode: start the card and (virtual) the local SM-DP+ for one command."""
        await self.start()
        await self._start_smdp()

    @property
    def lpa(self) -> Lpa:
        if self._lpa is None:
            raise EsimError("the eSIM service is not running (the card is not open yet)")
        return self._lpa

    # --- operations, as JSON-ready dicts -------------------------------------------------------

    def test_activation_codes(self) -> list[str]:
        """Activation codes of the local test SM-DP+ (virtual transport only)."""
        smdp = self._smdp
        if smdp is None or smdp.address is None:
            return []
        return [smdp.activation_code(m) for m in sorted(smdp.orders)]

    async def info(self) -> dict[str, Any]:
        data = await self.lpa.info()
        data["transport"] = self.settings.transport
        codes = self.test_activation_codes()
        if codes:
            data["test_smdp"] = {
                "address": self._smdp.address if self._smdp else None,
                "activation_codes": codes,
            }
        return data

    async def profiles(self) -> dict[str, Any]:
        found = await self.lpa.list_profiles()
        self._report_profiles([p.iccid for p in found if p.iccid])
        return {"profiles": [p.as_json() for p in found]}

    async def download(
        self,
        activation_code: str | ActivationCode,
        *,
        confirmation_code: str | None = None,
        progress: Callable[[Progress], None] | None = None,
    ) -> dict[str, Any]:
        code = parse(activation_code) if isinstance(activation_code, str) else activation_code
        keep = None
        if self.settings.keep_packages:
            keep = self.dir / "packages" / f"{code.smdp_address.replace(':', '_')}-latest.bpp"

        def report(p: Progress) -> None:
            self.progress = {"stage": p.stage, "done": p.done, "total": p.total, "detail": p.detail}
            if p.stage != "installing" or p.done in (1, p.total):
                self._publish("esim.download.progress", dict(self.progress))
            if progress is not None:
                progress(p)

        try:
            result = await self.lpa.download(
                code, confirmation_code=confirmation_code, progress=report, keep_package=keep
            )
        except EsimError as exc:
            self._publish(
                "esim.download.failed", {"smdp_address": code.smdp_address, "error": str(exc)}
            )
            raise
        self._report_profiles([result.iccid] if result.iccid else [])
        self._publish("esim.profile.installed", {"iccid": result.iccid, "name": result.name})
        return result.as_json()

    async def retry_package(
        self,
        package: str | Path,
        *,
        progress: Callable[[Progress], None] | None = None,
        only_kept: bool = True,
    ) -> dict[str, Any]:
        """Load a kept Bound Profile Package again (after a link failure during the load).

        Through the API (``only_kept``) only packages this service kept may be named.
        """
        path = Path(package)
        if only_kept:
            kept = (self.dir / "packages").resolve()
            path = (kept / path).resolve()
            if path.parent != kept:
                raise EsimValueError(
                    f"only packages kept in {kept} can be retried through the daemon"
                )
        result = await self.lpa.load_package(path, progress)
        self._report_profiles([result.iccid] if result.iccid else [])
        self._publish("esim.profile.installed", {"iccid": result.iccid, "name": result.name})
        return result.as_json()

    async def _refresh_modem(self) -> dict[str, Any] | None:
        """After a switch on a modem's eUICC, make the modem read the card again."""
        s = self.settings
        if s.transport != "at" or not s.refresh_modem_after_switch:
            return None
        from simspot.esim.at import refresh_modem

        try:
            done = await refresh_modem(at_port=s.at_port)
        except EsimError as exc:
            log.warning("the modem was not refreshed after the switch: %s", exc)
            return {"error": str(exc)}
        return {"method": done.method, "detail": done.detail}

    async def enable(self, profile: str) -> dict[str, Any]:
        return await self._switch(profile, "enabled", self.lpa.enable)

    async def disable(self, profile: str) -> dict[str, Any]:
        return await self._switch(profile, "disabled", self.lpa.disable)

    async def _switch(
        self,
        profile: str,
        state: str,
        operation: Callable[[str | bytes], Awaitable[list[dict[str, Any]]]],
    ) -> dict[str, Any]:
        """Enable or disable, then make the modem read the card again and tell everyone."""
        sent = await operation(_profile_ref(profile))
        refresh = await self._refresh_modem()
        self._publish(f"esim.profile.{state}", {"profile": profile})
        return {
            "profile": profile,
            "state": state,
            "notifications": sent,
            "modem_refresh": refresh,
        }

    async def delete(self, profile: str) -> dict[str, Any]:
        sent = await self.lpa.delete(_profile_ref(profile))
        self._publish("esim.profile.deleted", {"profile": profile})
        return {"profile": profile, "state": "deleted", "notifications": sent}

    async def nickname(self, iccid: str, nickname: str) -> dict[str, Any]:
        await self.lpa.set_nickname(iccid, nickname)
        return {"iccid": iccid, "nickname": nickname}

    async def notifications(self) -> dict[str, Any]:
        return {"notifications": [n.as_json() for n in await self.lpa.list_notifications()]}

    async def process_notifications(self, seq_number: int | None = None) -> dict[str, Any]:
        return {"processed": await self.lpa.process_notifications(seq_number)}

    async def remove_notification(self, seq_number: int) -> dict[str, Any]:
        await self.lpa.remove_notification(seq_number)
        return {"removed": seq_number}

    async def discover(self, smds_address: str | None = None) -> dict[str, Any]:
        events = await self.lpa.discover(smds_address)
        return {"events": [e.as_json() for e in events]}

    async def reset(self, *, confirm: bool) -> dict[str, Any]:
        sent = await self.lpa.memory_reset(confirm=confirm)
        self._publish("esim.reset", {})
        return {"reset": True, "notifications": sent}
