"""The Local Profile Assistant: download, switch, delete, notifications, discovery (SGP.22 3.1-3.3).

:class:`Lpa` owns one card transport and serialises every operation on it behind a lock. Each
operation opens the ISD-R channel, does its ES10 work (and ES9+/ES11 calls where needed), and
closes the channel again in ``finally``.

Download (SGP.22 3.1.3):

    GetEUICCInfo1 + GetEUICCChallenge -> ES9+ initiateAuthentication -> AuthenticateServer
    -> ES9+ authenticateClient -> PrepareDownload (hashed confirmation code) -> ES9+
    getBoundProfilePackage -> LoadBoundProfilePackage (TLV by TLV) -> ProfileInstallationResult
    -> ES9+ handleNotification

Any failure after AuthenticateServer cancels the session on the eUICC (ES10b.CancelSession) and,
with the eUICC's signed answer, on the SM-DP+ (ES9+ cancelSession), so no half-installed profile
stays behind and the order can be retried.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from simspot.esim import codec
from simspot.esim.activation import ActivationCode, validate_smdp_address
from simspot.esim.apdu import DEFAULT_AIDS, DEFAULT_BLOCK, Es10Channel
from simspot.esim.certs import load_der_certificate
from simspot.esim.errors import (
    ConfirmationRequired,
    EsimError,
    EsimValueError,
    ProfileInstallError,
    ProtocolError,
    ServerError,
    SmdpError,
    TransportError,
)
from simspot.esim.es9 import DEFAULT_TIMEOUT, Es9Client, Es11Client, EventEntry, TlsTrust
from simspot.esim.es10 import (
    Es10,
    EuiccInfo1,
    EuiccInfo2,
    InstallResult,
    LoadProgress,
    NotificationInfo,
    ProfileInfo,
    ProfileRef,
    hash_confirmation_code,
)
from simspot.esim.iccid import iccid_from_bytes, swapped_bcd
from simspot.esim.transport import ApduTransport
from simspot.fsutil import write_atomic

log = logging.getLogger(__name__)

# CancelSessionReason, SGP.22 5.7.14
REASON_END_USER_REJECTION = 0
REASON_POSTPONED = 1
REASON_TIMEOUT = 2
REASON_LOAD_BPP_EXECUTION_ERROR = 5
REASON_UNDEFINED = 127

DEFAULT_TAC = "35000000"


def device_info(imei: str | None = None, tac: str | None = None) -> dict[str, Any]:
    """DeviceInfo (SGP.22 4.2): TAC (first 8 IMEI digits) and IMEI, BCD-coded, plus capabilities."""
    if imei is not None and (not imei.isdigit() or len(imei) not in (14, 15, 16)):
        raise EsimValueError(
            f"an IMEI is 15 digits, not {imei!r}", msg_id="esim.imei", params={"value": repr(imei)}
        )
    tac = tac or (imei[:8] if imei else DEFAULT_TAC)
    if not tac.isdigit() or len(tac) != 8:
        raise EsimValueError(
            f"a TAC is 8 digits, not {tac!r}", msg_id="esim.tac", params={"value": repr(tac)}
        )
    release15 = b"\x0f\x00\x00"
    info: dict[str, Any] = {
        "tac": swapped_bcd(tac, 4),
        "deviceCapabilities": {
            "gsmSupportedRelease": release15,
            "utranSupportedRelease": release15,
            "eutranEpcSupportedRelease": release15,
        },
    }
    if imei is not None:
        info["imei"] = swapped_bcd(imei, 8)
    return info


@dataclass(frozen=True)
class Progress:
    """Where a download is: ``stage`` plus, while installing, segments sent of total."""

    stage: str  # authenticating, downloading, installing, notifying, done
    done: int = 0
    total: int = 0
    detail: str = ""


@dataclass
class DownloadResult:
    iccid: str | None
    isdp_aid: str | None
    name: str | None
    provider: str | None
    smdp_address: str
    notification_sent: bool
    package_path: str | None = None
    notifications: list[dict[str, Any]] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {
            "iccid": self.iccid,
            "isdp_aid": self.isdp_aid,
            "name": self.name,
            "provider": self.provider,
            "smdp_address": self.smdp_address,
            "notification_sent": self.notification_sent,
            "package_path": self.package_path,
            "notifications": self.notifications,
        }


@dataclass(frozen=True)
class LpaOptions:
    aids: Sequence[bytes] = DEFAULT_AIDS
    block_size: int = DEFAULT_BLOCK
    extra_ca_files: Sequence[str | Path] = ()  # configured CAs (test CIs), always trusted
    gsma_ci_files: Sequence[str | Path] | None = None  # None: the GSMA CIs shipped with simspot
    allow_insecure_http_for_tests: bool = False
    http_timeout: float = DEFAULT_TIMEOUT
    process_notifications: bool = True
    imei: str | None = None
    refresh: bool = True


ProgressCallback = Callable[[Progress], None]


class Lpa:
    """All LPA operations on one card. Safe to share: operations run one at a time."""

    def __init__(
        self,
        transport: ApduTransport,
        options: LpaOptions | None = None,
        *,
        http_transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.transport = transport
        self.options = options or LpaOptions()
        self._http_transport = http_transport  # tests: a fake HTTP peer at the edge
        self._lock = asyncio.Lock()
        self.last_apdu_count = 0
        self._ci_key_ids: list[bytes] | None = None  # euiccCiPKIdListForVerification

    # --- plumbing ------------------------------------------------------------------------------

    @asynccontextmanager
    async def _card(self) -> AsyncIterator[Es10]:
        async with self._lock:
            await self.transport.connect()
            try:
                channel = Es10Channel(
                    self.transport, self.options.aids, block_size=self.options.block_size
                )
                await channel.open()
                try:
                    yield Es10(channel)
                finally:
                    self.last_apdu_count = channel.apdu_count
                    try:
                        await channel.close()
                    except EsimError as exc:  # the card may be gone; the real error is raised
                        log.warning("closing the ISD-R channel failed: %s", exc)
            finally:
                try:
                    await self.transport.disconnect()
                except EsimError as exc:
                    log.warning("releasing the card failed: %s", exc)

    def tls_trust(self, ci_key_ids: Sequence[bytes]) -> TlsTrust:
        """TLS trust for a card listing ``ci_key_ids`` in euiccCiPKIdListForVerification."""
        return TlsTrust.for_card(
            ci_key_ids,
            extra_ca_files=self.options.extra_ca_files,
            gsma_ci_files=self.options.gsma_ci_files,
        )

    async def _card_trust(self, es10: Es10) -> TlsTrust:
        """Trust for the card's CI list, read once and renewed by every download/discovery (which
        read EUICCInfo1 anyway), so sending notifications costs no extra APDUs."""
        if self._ci_key_ids is None:
            self._ci_key_ids = (await es10.get_euicc_info1()).ci_pkids_verification
        return self.tls_trust(self._ci_key_ids)

    def _card_trust_from(self, info1: EuiccInfo1) -> TlsTrust:
        self._ci_key_ids = info1.ci_pkids_verification
        return self.tls_trust(self._ci_key_ids)

    def _es9(self, address: str, trust: TlsTrust) -> Es9Client:
        return Es9Client(
            address,
            trust=trust,
            allow_insecure_http_for_tests=self.options.allow_insecure_http_for_tests,
            timeout=self.options.http_timeout,
            transport=self._http_transport,
        )

    def _es11(self, address: str, trust: TlsTrust) -> Es11Client:
        return Es11Client(
            address,
            trust=trust,
            allow_insecure_http_for_tests=self.options.allow_insecure_http_for_tests,
            timeout=self.options.http_timeout,
            transport=self._http_transport,
        )

    # --- information ---------------------------------------------------------------------------

    async def info(self) -> dict[str, Any]:
        async with self._card() as es10:
            eid = await es10.get_eid()
            info2 = await es10.get_euicc_info2()
            addresses = await es10.get_configured_addresses()
        return {
            "eid": eid,
            **_info2_json(info2),
            **{
                "default_smdp_address": addresses.default_dp_address,
                "root_smds_address": addresses.root_ds_address,
            },
        }

    async def eid(self) -> str:
        async with self._card() as es10:
            return await es10.get_eid()

    async def list_profiles(self) -> list[ProfileInfo]:
        async with self._card() as es10:
            return await es10.get_profiles()

    # --- profile management --------------------------------------------------------------------

    async def enable(self, profile: ProfileRef) -> list[dict[str, Any]]:
        async with self._card() as es10:
            await es10.enable_profile(profile, refresh=self.options.refresh)
            return await self._after_operation(es10)

    async def disable(self, profile: ProfileRef) -> list[dict[str, Any]]:
        async with self._card() as es10:
            await es10.disable_profile(profile, refresh=self.options.refresh)
            return await self._after_operation(es10)

    async def delete(self, profile: ProfileRef) -> list[dict[str, Any]]:
        async with self._card() as es10:
            await es10.delete_profile(profile)
            return await self._after_operation(es10)

    async def set_nickname(self, iccid: str, nickname: str) -> None:
        async with self._card() as es10:
            await es10.set_nickname(iccid, nickname)

    async def set_default_smdp(self, address: str) -> None:
        address = validate_smdp_address(address) if address else ""
        async with self._card() as es10:
            await es10.set_default_dp_address(address)

    async def memory_reset(self, *, confirm: bool) -> list[dict[str, Any]]:
        if not confirm:
            raise EsimError(
                "eUICC memory reset deletes every profile; it needs an explicit confirmation",
                msg_id="esim.reset-confirm",
            )
        async with self._card() as es10:
            await es10.memory_reset(confirm=True)
            return await self._after_operation(es10)

    async def rules_authorisation_table(self) -> list[dict[str, Any]]:
        async with self._card() as es10:
            return await es10.get_rat()

    # --- notifications -------------------------------------------------------------------------

    async def list_notifications(self) -> list[NotificationInfo]:
        async with self._card() as es10:
            return await es10.list_notifications()

    async def process_notifications(self, seq_number: int | None = None) -> list[dict[str, Any]]:
        """Send pending notifications to their SM-DP+ and remove each one that was delivered."""
        async with self._card() as es10:
            return await self._send_notifications(es10, seq_number)

    async def remove_notification(self, seq_number: int) -> None:
        async with self._card() as es10:
            await es10.remove_notification(seq_number)

    async def _after_operation(self, es10: Es10) -> list[dict[str, Any]]:
        if not self.options.process_notifications:
            return []
        return await self._send_notifications(es10, None)

    async def _send_notifications(self, es10: Es10, seq_number: int | None) -> list[dict[str, Any]]:
        pending = await es10.retrieve_notifications(seq_number)
        if not pending:
            return []
        results: list[dict[str, Any]] = []
        clients: dict[str, Es9Client] = {}
        trust = await self._card_trust(es10)
        try:
            for item in pending:
                entry: dict[str, Any] = {**item.info.as_json(), "sent": False, "removed": False}
                try:
                    address = validate_smdp_address(item.info.address)
                    client = clients.get(address)
                    if client is None:
                        client = clients[address] = self._es9(address, trust)
                    await client.handle_notification(item.raw)
                    entry["sent"] = True
                    await es10.remove_notification(item.info.seq_number)
                    entry["removed"] = True
                except EsimError as exc:
                    log.warning("notification %d not delivered: %s", item.info.seq_number, exc)
                    entry["error"] = str(exc)
                results.append(entry)
        finally:
            for client in clients.values():
                await client.close()
        return results

    # --- download ------------------------------------------------------------------------------

    async def download(
        self,
        code: ActivationCode,
        *,
        confirmation_code: str | None = None,
        progress: ProgressCallback | None = None,
        keep_package: Path | None = None,
    ) -> DownloadResult:
        """Download and install the profile an activation code points to."""
        report = progress or (lambda _p: None)
        if code.confirmation_code_required and not confirmation_code:
            raise ConfirmationRequired()
        async with self._card() as es10:
            report(Progress("authenticating", detail=code.smdp_address))
            info1 = await es10.get_euicc_info1()
            trust = self._card_trust_from(info1)
            async with self._es9(code.smdp_address, trust) as es9:
                return await self._download(
                    es10, es9, info1, code, confirmation_code, report, keep_package
                )

    async def _download(
        self,
        es10: Es10,
        es9: Es9Client,
        info1: EuiccInfo1,
        code: ActivationCode,
        confirmation_code: str | None,
        report: ProgressCallback,
        keep_package: Path | None,
    ) -> DownloadResult:
        address = code.smdp_address
        challenge = await es10.get_euicc_challenge()
        init = await es9.initiate_authentication(challenge, info1.raw, address)
        _check_server_signed1(init.server_signed1, init.transaction_id, challenge, address)
        if code.smdp_oid is not None:
            _check_smdp_oid(init.server_certificate, code.smdp_oid)
        tid = init.transaction_id
        kept = False
        try:
            auth = await es10.authenticate_server(
                server_signed1=init.server_signed1,
                server_signature1=init.server_signature1,
                euicc_ci_pkid_to_be_used=init.euicc_ci_pkid_to_be_used,
                server_certificate=init.server_certificate,
                matching_id=code.matching_id or None,  # empty: absent (default SM-DP+ / EID)
                device_info=device_info(self.options.imei),
            )
            client = await es9.authenticate_client(tid, auth)
            if client.transaction_id != tid:
                raise ProtocolError(
                    "authenticateClient: the SM-DP+ answered for another transaction",
                    msg_id="es9.other-transaction",
                    params={"function": "authenticateClient"},
                )
            metadata = codec.decode("StoreMetadataRequest", client.profile_metadata)
            signed2 = codec.decode("SmdpSigned2", client.smdp_signed2)
            if signed2["transactionId"] != tid:
                raise ProtocolError(
                    "smdpSigned2 names another transaction", msg_id="lpa.signed2-transaction"
                )
            hash_cc = None
            if signed2["ccRequiredFlag"]:
                if not confirmation_code:
                    raise ConfirmationRequired()
                hash_cc = hash_confirmation_code(confirmation_code, tid)
            report(Progress("downloading", detail=metadata.get("profileName", "")))
            prepared = await es10.prepare_download(
                smdp_signed2=client.smdp_signed2,
                smdp_signature2=client.smdp_signature2,
                smdp_certificate=client.smdp_certificate,
                hash_cc=hash_cc,
            )
            bpp = await es9.get_bound_profile_package(tid, prepared)
            if keep_package is not None:
                await asyncio.to_thread(_save, keep_package, bpp)
                kept = True

            def on_load(state: LoadProgress) -> None:
                report(Progress("installing", state.sent, state.total, state.steps[-1]))

            result = await es10.load_bound_profile_package(bpp, on_load)
        except (EsimError, asyncio.CancelledError) as exc:
            if kept and isinstance(exc, TransportError):
                # The link failed while loading a package we kept: leave the session open on
                # both sides so the load can be retried with the same package.
                exc.add_note(
                    f"the package is kept at {keep_package}; retry the installation with "
                    f"`simspot esim download --retry-package {keep_package}` (it works while the "
                    "eUICC still holds this download session, i.e. until the next download)"
                )
                raise
            await self._cancel(es10, es9, tid, _cancel_reason(exc), exc)
            raise
        return await self._finish(es10, es9, result, metadata, address, keep_package, report)

    async def _finish(
        self,
        es10: Es10,
        es9: Es9Client,
        result: InstallResult,
        metadata: dict[str, Any],
        address: str,
        keep_package: Path | None,
        report: ProgressCallback,
    ) -> DownloadResult:
        report(Progress("notifying", detail=address))
        sent = False
        try:
            # The ProfileInstallationResult is the PendingNotification (tag BF37) as it stands.
            await es9.handle_notification(result.raw)
            sent = True
        except ServerError as exc:
            log.warning("the installation result could not be sent to %s: %s", address, exc)
        if sent:
            try:
                await es10.remove_notification(result.notification.seq_number)
            except EsimError as exc:  # installed all the same; the notification stays listed
                log.warning("the sent installation result stays on the card: %s", exc)
        if not result.success:
            raise ProfileInstallError(result.bpp_command_id or 0, result.error_reason or 127)
        # Only this download's own notification is handled here; notifications left from earlier
        # operations go out with the next enable/disable/delete (or by hand), saving card APDUs.
        report(Progress("done"))
        return DownloadResult(
            iccid=result.iccid or iccid_from_bytes(metadata["iccid"]),
            isdp_aid=result.isdp_aid.hex().upper() if result.isdp_aid else None,
            name=metadata.get("profileName"),
            provider=metadata.get("serviceProviderName"),
            smdp_address=address,
            notification_sent=sent,
            package_path=str(keep_package) if keep_package else None,
        )

    async def _cancel(
        self, es10: Es10, es9: Es9Client | None, tid: bytes, reason: int, cause: BaseException
    ) -> None:
        """Best effort: cancel on the eUICC, then hand its signed answer to the SM-DP+."""
        try:
            signed = await es10.cancel_session(tid, reason)
        except EsimError as exc:
            log.warning("CancelSession on the eUICC failed: %s", exc)
            cause.add_note(f"the eUICC could not cancel the session: {exc}")
            return
        if es9 is None:
            return
        try:
            await es9.cancel_session(tid, signed)
        except EsimError as exc:
            log.warning("cancelSession on the SM-DP+ failed: %s", exc)
            cause.add_note(f"the SM-DP+ could not cancel the session: {exc}")
            return
        cause.add_note("the session was cancelled on the eUICC and on the SM-DP+")

    async def load_package(
        self, path: Path, progress: ProgressCallback | None = None
    ) -> DownloadResult:
        """Retry LoadBoundProfilePackage with a package kept from an earlier download.

        This works only while the eUICC still holds the download session the package was bound to.
        """
        report = progress or (lambda _p: None)
        try:
            bpp = await asyncio.to_thread(path.read_bytes)
        except OSError as exc:
            raise EsimError(
                f"cannot read the kept package {path}: {exc.strerror}",
                msg_id="esim.package.unreadable",
                params={"path": str(path), "problem": exc.strerror},
            ) from exc
        async with self._card() as es10:

            def on_load(state: LoadProgress) -> None:
                report(Progress("installing", state.sent, state.total, state.steps[-1]))

            result = await es10.load_bound_profile_package(bpp, on_load)
            address = result.notification.address
            trust = await self._card_trust(es10)
            async with self._es9(validate_smdp_address(address), trust) as es9:
                meta = {"iccid": b"", "profileName": None, "serviceProviderName": None}
                return await self._finish(es10, es9, result, meta, address, path, report)

    # --- discovery (ES11) ------------------------------------------------------------------------

    async def discover(self, smds_address: str | None = None) -> list[EventEntry]:
        """Ask an SM-DS (default: the eUICC's root SM-DS) for pending download events."""
        async with self._card() as es10:
            address = smds_address or (await es10.get_configured_addresses()).root_ds_address
            address = validate_smdp_address(address)
            info1 = await es10.get_euicc_info1()
            async with self._es11(address, self._card_trust_from(info1)) as es11:
                challenge = await es10.get_euicc_challenge()
                init = await es11.initiate_authentication(challenge, info1.raw, address)
                _check_server_signed1(init.server_signed1, init.transaction_id, challenge, address)
                try:
                    auth = await es10.authenticate_server(
                        server_signed1=init.server_signed1,
                        server_signature1=init.server_signature1,
                        euicc_ci_pkid_to_be_used=init.euicc_ci_pkid_to_be_used,
                        server_certificate=init.server_certificate,
                        matching_id=None,
                        device_info=device_info(self.options.imei),
                    )
                    return await es11.authenticate_client(init.transaction_id, auth)
                except EsimError as exc:
                    await self._cancel(es10, None, init.transaction_id, REASON_UNDEFINED, exc)
                    raise


def _check_server_signed1(raw: bytes, tid: bytes, challenge: bytes, address: str) -> None:
    signed = codec.decode("ServerSigned1", raw)
    if signed["transactionId"] != tid:
        raise ProtocolError(
            "initiateAuthentication: serverSigned1 names another transaction",
            msg_id="lpa.signed1-transaction",
        )
    if signed["euiccChallenge"] != challenge:
        raise ProtocolError(
            "initiateAuthentication: the server signed a different eUICC challenge",
            msg_id="lpa.challenge",
        )
    if signed["serverAddress"].lower() != address.lower():
        raise ProtocolError(
            f"initiateAuthentication: the server calls itself {signed['serverAddress']!r}, not {address!r}",
            msg_id="lpa.server-address",
            params={"named": repr(signed["serverAddress"]), "address": repr(address)},
        )


def _check_smdp_oid(certificate: bytes, wanted: str) -> None:
    """The activation code names the SM-DP+ OID: it must be the server certificate's (SGP.22 4.1)."""
    from cryptography import x509

    try:
        cert = load_der_certificate(certificate)
        names = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except (ValueError, x509.ExtensionNotFound) as exc:
        raise ProtocolError(
            f"initiateAuthentication: the SM-DP+ certificate has no usable OID ({exc})",
            msg_id="lpa.no-oid",
            params={"problem": str(exc)},
        ) from exc
    oids = [n.dotted_string for n in names.get_values_for_type(x509.RegisteredID)]
    if wanted not in oids:
        raise ProtocolError(
            f"the activation code is for the SM-DP+ with OID {wanted}, but this server's certificate "
            f"names {', '.join(oids) or 'no OID'}",
            msg_id="esim.oid-mismatch",
            params={"wanted": wanted, "names": ", ".join(oids) or "no OID"},
        )


def _cancel_reason(exc: BaseException) -> int:
    if isinstance(exc, asyncio.CancelledError):
        return REASON_END_USER_REJECTION
    if isinstance(exc, ConfirmationRequired):
        return REASON_POSTPONED
    if isinstance(exc, SmdpError):
        return REASON_UNDEFINED
    if "did not answer within" in str(exc):
        return REASON_TIMEOUT
    return REASON_LOAD_BPP_EXECUTION_ERROR if isinstance(exc, ProtocolError) else REASON_UNDEFINED


def _save(path: Path, data: bytes) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(path, data)  # owner only: a profile package is nobody else's business
    except OSError as exc:
        raise EsimError(
            f"cannot keep the downloaded package at {path}: {exc.strerror}",
            msg_id="esim.package.unwritable",
            params={"path": str(path), "problem": exc.strerror},
        ) from exc


def _info2_json(info: EuiccInfo2) -> dict[str, Any]:
    return {
        "svn": info.svn,
        "profile_version": info.profile_version,
        "firmware_version": info.firmware_version,
        "free_nvm": info.free_nvm,
        "installed_applications": info.installed_applications,
        "ci_pkids": [k.hex().upper() for k in info.ci_pkids_verification],
        "sas_accreditation_number": info.sas_accreditation_number,
    }
