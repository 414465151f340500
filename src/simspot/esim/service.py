"""The eSIM service: one card behind its backend, and the LPA operations as JSON.

The daemon runs it as a supervised component (it holds the card for as long as it runs); the CLI
uses the same class directly when no daemon runs. Which card it talks to is a ``CardBackend``
chosen by name (``esim.transport``, see ``simspot.registry`` and ``simspot.esim.cards``): a PC/SC
reader, a modem's AT port, none, or the simulator's virtual eUICC with its local test SM-DP+.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from simspot.errors import EsimError
from simspot.esim.activation import ActivationCode, parse
from simspot.esim.cards import CardBackend, NoCardConfigured, RefreshesModem, ServesTestProfiles
from simspot.esim.errors import EsimValueError
from simspot.esim.settings import EsimSettings

if TYPE_CHECKING:
    # The LPA (and httpx, for ES9+) is loaded when the card is opened, not at daemon start.
    from simspot.esim.lpa import Lpa, Progress

if TYPE_CHECKING:
    from simspot.daemon.events import EventKind

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
        f"name a profile by its ICCID (digits) or its ISD-P AID (hex), not {value!r}",
        msg_id="esim.profile-ref",
        params={"value": repr(value)},
    )


class EsimService:
    """The card and the LPA on it; a supervised component in the daemon."""

    name = "esim"

    def __init__(
        self,
        settings: EsimSettings,
        state_dir: Path,
        card: CardBackend,
        *,
        hold_card_lock: bool = True,
        publish: Callable[[EventKind, dict[str, Any]], object] | None = None,
    ) -> None:
        self.settings = settings
        self.state_dir = Path(state_dir)
        self.dir = self.state_dir / "esim"
        self.card = card
        self.hold_card_lock = hold_card_lock
        self._publish = publish or (lambda _k, _d: None)
        self._lpa: Lpa | None = None
        # Called with the ICCIDs of the installed profiles whenever the service has read them.
        self.profile_listeners: list[Callable[[list[str]], None]] = []
        self._lock: Any = None
        self._stop = asyncio.Event()
        self._ready = asyncio.Event()
        self._starting = asyncio.Lock()
        self._running_ops = 0
        self._absent: NoCardConfigured | None = None  # why there is no card to open, if none
        self.progress: dict[str, Any] | None = None  # the download in progress, for the API

    # --- life cycle ----------------------------------------------------------------------------

    async def start(self) -> None:
        async with self._starting:
            if self._lpa is not None:
                return
            if self.hold_card_lock and self._lock is None:
                await asyncio.to_thread(self._acquire_lock)
            try:
                transport = await self.card.open()
                await self.card.start()
                from simspot.esim.lpa import Lpa, LpaOptions

                s = self.settings
                self._lpa = Lpa(
                    transport,
                    LpaOptions(
                        aids=s.isdr_aids(),
                        block_size=s.block_size,
                        extra_ca_files=[*s.extra_ca_files, *self.card.trusted_ca_files()],
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

    async def run(self) -> None:
        self._stop.clear()  # a restart after close() runs again until the next close()
        try:
            await self.start()
        except NoCardConfigured as exc:
            # Nothing to open (esim.transport = "none"): not a failure to retry; every
            # operation answers with the same sentence.
            self._absent = exc
            self._stop.clear()  # start() closed what it had opened; wait for the real close()
            await self._stop.wait()
            return
        await self.profiles()  # the installed ICCIDs reach the profile listeners (plans)
        self._ready.set()
        self._publish("esim.ready", {"transport": self.card.name})
        await self._stop.wait()

    async def wait_ready(self) -> None:
        await self._ready.wait()

    async def close(self) -> None:
        self._stop.set()
        self._ready.clear()
        await self.card.stop()
        self._lpa = None
        lock, self._lock = self._lock, None
        if lock is not None:
            lock.release()

    async def ensure_peers(self) -> None:
        """CLI direct mode: open the card (and start what comes with it) for one command."""
        await self.start()

    @property
    def busy(self) -> bool:
        return self._running_ops > 0

    @contextlib.asynccontextmanager
    async def _operation(self) -> AsyncIterator[Lpa]:
        lpa = self.lpa
        self._running_ops += 1
        try:
            yield lpa
        finally:
            self._running_ops -= 1

    @property
    def lpa(self) -> Lpa:
        if self._lpa is None:
            if self._absent is not None:
                said = self._absent.message_json()
                raise EsimError(
                    str(self._absent),
                    msg_id=said["id"] if said else None,
                    params=said["params"] if said else None,
                )
            raise EsimError(
                "the eSIM service is not running (the card is not open yet)",
                msg_id="esim.not-running",
            )
        return self._lpa

    # --- operations, as JSON-ready dicts -------------------------------------------------------

    def _report_profiles(self, iccids: list[str]) -> None:
        for listener in list(self.profile_listeners):
            listener(iccids)

    def test_smdp(self) -> tuple[str, list[str]] | None:
        """(address, activation codes) of a local test SM-DP+ that comes with the card."""
        return self.card.test_smdp() if isinstance(self.card, ServesTestProfiles) else None

    async def info(self) -> dict[str, Any]:
        async with self._operation() as lpa:
            data = await lpa.info()
        data["transport"] = self.card.name
        test = self.test_smdp()
        if test is not None:
            data["test_smdp"] = {"address": test[0], "activation_codes": test[1]}
        return data

    async def profiles(self) -> dict[str, Any]:
        async with self._operation() as lpa:
            found = await lpa.list_profiles()
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
            async with self._operation() as lpa:
                result = await lpa.download(
                    code, confirmation_code=confirmation_code, progress=report, keep_package=keep
                )
        except EsimError as exc:
            self._publish(
                "esim.download.failed",
                {
                    "smdp_address": code.smdp_address,
                    "error": str(exc),
                    "error_said": exc.message_json(),
                },
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
        name = str(package)
        if "\x00" in name:
            raise EsimValueError(
                "package: a file name has no NUL character", msg_id="esim.package.nul"
            )
        path = Path(name)
        if only_kept:
            kept = (self.dir / "packages").resolve()
            path = (kept / path).resolve()
            if path.parent != kept:
                raise EsimValueError(
                    f"only packages kept in {kept} can be retried through the daemon",
                    msg_id="esim.package.not-kept",
                    params={"dir": str(kept)},
                )
        async with self._operation() as lpa:
            result = await lpa.load_package(path, progress)
        self._report_profiles([result.iccid] if result.iccid else [])
        self._publish("esim.profile.installed", {"iccid": result.iccid, "name": result.name})
        return result.as_json()

    async def _refresh_modem(self) -> dict[str, Any] | None:
        """After a switch on a modem's eUICC, make the modem read the card again."""
        if not isinstance(self.card, RefreshesModem):
            return None
        done = await self.card.refresh_modem()
        if done is not None and "error" in done:
            log.warning("the modem was not refreshed after the switch: %s", done["error"])
        return done

    async def enable(self, profile: str) -> dict[str, Any]:
        return await self._switch(profile, "enabled", lambda lpa: lpa.enable)

    async def disable(self, profile: str) -> dict[str, Any]:
        return await self._switch(profile, "disabled", lambda lpa: lpa.disable)

    async def _switch(
        self,
        profile: str,
        state: str,
        operation: Callable[[Lpa], Callable[[str | bytes], Awaitable[list[dict[str, Any]]]]],
    ) -> dict[str, Any]:
        """Enable or disable, then make the modem read the card again and tell everyone."""
        ref = _profile_ref(profile)
        async with self._operation() as lpa:
            sent = await operation(lpa)(ref)
            refresh = await self._refresh_modem()
        kind: EventKind = "esim.profile.enabled" if state == "enabled" else "esim.profile.disabled"
        self._publish(kind, {"profile": profile})
        return {
            "profile": profile,
            "state": state,
            "notifications": sent,
            "modem_refresh": refresh,
        }

    async def delete(self, profile: str) -> dict[str, Any]:
        ref = _profile_ref(profile)
        async with self._operation() as lpa:
            sent = await lpa.delete(ref)
        self._publish("esim.profile.deleted", {"profile": profile})
        return {"profile": profile, "state": "deleted", "notifications": sent}

    async def nickname(self, iccid: str, nickname: str) -> dict[str, Any]:
        async with self._operation() as lpa:
            await lpa.set_nickname(iccid, nickname)
        return {"iccid": iccid, "nickname": nickname}

    async def notifications(self) -> dict[str, Any]:
        async with self._operation() as lpa:
            found = await lpa.list_notifications()
        return {"notifications": [n.as_json() for n in found]}

    async def process_notifications(self, seq_number: int | None = None) -> dict[str, Any]:
        async with self._operation() as lpa:
            return {"processed": await lpa.process_notifications(seq_number)}

    async def remove_notification(self, seq_number: int) -> dict[str, Any]:
        async with self._operation() as lpa:
            await lpa.remove_notification(seq_number)
        return {"removed": seq_number}

    async def discover(self, smds_address: str | None = None) -> dict[str, Any]:
        async with self._operation() as lpa:
            events = await lpa.discover(smds_address)
        return {"events": [e.as_json() for e in events]}

    async def reset(self, *, confirm: bool) -> dict[str, Any]:
        async with self._operation() as lpa:
            sent = await lpa.memory_reset(confirm=confirm)
        self._publish("esim.reset", {})
        return {"reset": True, "notifications": sent}
