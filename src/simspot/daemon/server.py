"""Running the daemon: start components, serve the API, stop cleanly on SIGTERM/SIGINT."""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import json
import logging
import os
import signal
import socket
from collections.abc import Callable
from pathlib import Path

import uvicorn

from simspot.asgiserve import Serving
from simspot.daemon import tls
from simspot.daemon.api import create_app
from simspot.daemon.runtime import Daemon
from simspot.errors import SimspotError
from simspot.fsutil import write_private
from simspot.paths import RUNTIME_FILE
from simspot.store import secure_state_dir

log = logging.getLogger(__name__)


def url_of(sock: socket.socket) -> str:
    host, port = sock.getsockname()[:2]
    shown = f"[{host}]" if ":" in host else host
    return f"http://{shown}:{port}"


STATE_MODES_INTERVAL_S = 10.0


async def _keep_private(state_dir: Path) -> None:
    """Make files that appeared in the state directory with group or other bits private."""
    while True:
        try:
            fixed = await asyncio.to_thread(secure_state_dir, state_dir)
        except SimspotError as exc:
            log.warning("cannot keep the state directory private", extra={"error": str(exc)})
        else:
            if fixed:
                log.info("state files made private", extra={"modes_fixed": fixed})
        await asyncio.sleep(STATE_MODES_INTERVAL_S)


def uvicorn_config(daemon: Daemon, cert: tls.Certificate | None = None) -> uvicorn.Config:
    """The API server's settings: proxy headers are believed only from configured proxies;
    with ``cert``, HTTPS."""
    trusted = daemon.config.daemon.trusted_proxies
    return uvicorn.Config(
        create_app(daemon),
        log_config=None,
        lifespan="off",
        timeout_graceful_shutdown=1,
        access_log=False,
        # uvicorn believes X-Forwarded-For from loopback by default: a client could pick its
        # own address and escape the login throttle.
        proxy_headers=bool(trusted),
        forwarded_allow_ips=list(trusted) if trusted else [],
        server_header=False,
        ssl_certfile=str(cert.cert_path) if cert else None,
        ssl_keyfile=str(cert.key_path) if cert else None,
    )


def _warn_if_exposed(sock: socket.socket) -> None:
    host = str(sock.getsockname()[0])
    try:
        ip = ipaddress.ip_address(host.split("%")[0])
    except ValueError:
        return
    if ip.is_loopback:
        return
    log.warning(
        "THE ADMIN API SERVES PLAIN HTTP ON %s (no TLS): passwords and session cookies cross "
        "the network readable, %s. Keep daemon.api_host on 127.0.0.1 and use the LAN's HTTPS "
        "admin page (daemon.lan_https) instead",
        host,
        "on EVERY address (the uplink's too, unless a firewall stops it)"
        if ip.is_unspecified
        else "to anyone who reaches that address",
        extra={"api_host": host},
    )


def lan_https_wanted(daemon: Daemon) -> str | None:
    """The LAN address to serve HTTPS on, when the real data plane runs the LAN (not the
    simulator: its LAN address is not on this host)."""
    conf = daemon.config
    if not conf.daemon.lan_https or daemon.backends.chosen.get("dataplane") != "nft":
        return None
    return str(ipaddress.IPv4Interface(conf.dataplane.lan_address).ip)


async def _serve_lan6(daemon: Daemon, cert: tls.Certificate) -> Serving | None:
    """The same HTTPS page on the LAN's IPv6 addresses (link-local, the shared /64's router
    address), bound to the LAN interface; without it (no IPv6, no such interface) the IPv4 page
    still serves."""
    conf = daemon.config
    if conf.dataplane.netns is not None:  # the LAN is in another namespace than the daemon
        return None
    try:
        sock = tls.bind_lan6(conf.dataplane.lan_interface, conf.daemon.lan_https_port)
    except SimspotError as exc:
        log.warning("no IPv6 admin page on the LAN: %s", exc)
        return None
    server = Serving(
        uvicorn_config(daemon, cert), name="api-lan6", what="the LAN admin page (IPv6)"
    )
    try:
        await server.start(sock)
    except BaseException:
        sock.close()
        raise
    log.info("admin page on the LAN over IPv6", extra={"interface": conf.dataplane.lan_interface})
    return server


async def _serve_lan(daemon: Daemon) -> tuple[Serving, str, tls.Certificate] | None:
    lan_ip = lan_https_wanted(daemon)
    if lan_ip is None:
        return None
    conf = daemon.config
    cert = await tls.ensure_apart(daemon.state_dir, lan_ip, conf.dataplane.domain)
    try:
        lan_sock = tls.bind_lan(lan_ip, conf.daemon.lan_https_port)
    except SimspotError as exc:  # the rest works without it: say so once, go on
        log.error("no admin page on the LAN: %s", exc)
        return None
    server = Serving(uvicorn_config(daemon, cert), name="api-lan", what="the LAN admin page")
    try:
        await server.start(lan_sock)
    except BaseException:
        lan_sock.close()
        raise
    url = f"https://{lan_ip}:{conf.daemon.lan_https_port}"
    log.info("admin page on the LAN", extra={"url": url, "fingerprint": cert.fingerprint})
    return server, url, cert


async def serve(
    daemon: Daemon,
    sock: socket.socket,
    on_ready: Callable[[str], None],
    stop: asyncio.Event | None = None,
) -> None:
    """Start the daemon, serve its API on ``sock`` until SIGINT/SIGTERM (or ``stop``), stop it.

    Files the daemon makes are private (umask 077) and the state directory is made private first,
    whatever modes an earlier run or another tool left.
    """
    loop = asyncio.get_running_loop()
    stop = stop or asyncio.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    runtime_file: Path = daemon.state_dir / RUNTIME_FILE
    old_umask = os.umask(0o077)
    try:
        fixed = secure_state_dir(daemon.state_dir)
        if fixed:
            log.info("state directory made private", extra={"modes_fixed": fixed})
        await daemon.start()
    except BaseException:
        os.umask(old_umask)
        raise
    # Some writers set a mode of their own (the umask does not narrow an explicit chmod): look
    # again after the start and then now and then.
    keeper = asyncio.create_task(_keep_private(daemon.state_dir), name="state-dir-modes")
    server = Serving(uvicorn_config(daemon), name="api", what="the API server")
    lan: tuple[Serving, str, tls.Certificate] | None = None
    lan6: Serving | None = None
    try:
        _warn_if_exposed(sock)
        serving = await server.start(sock)
        lan = await _serve_lan(daemon)
        if lan is not None:
            lan6 = await _serve_lan6(daemon, lan[2])
        url = url_of(sock)
        runtime: dict[str, object] = {"url": url, "pid": os.getpid()}
        if lan is not None:
            runtime["lan_url"] = lan[1]
            runtime["lan_fingerprint"] = lan[2].fingerprint
            daemon.admin_lan = (lan[1], lan[2].fingerprint)
        write_private(runtime_file, json.dumps(runtime))
        on_ready(url)
        stopped = asyncio.create_task(stop.wait())
        await asyncio.wait({serving, stopped}, return_when=asyncio.FIRST_COMPLETED)
        stopped.cancel()
    finally:
        log.info("stopping")
        keeper.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await keeper
        if lan6 is not None:
            await lan6.stop(timeout_s=3)
        if lan is not None:
            await lan[0].stop(timeout_s=3)
        await server.stop(timeout_s=3)
        await daemon.stop()
        with contextlib.suppress(FileNotFoundError):
            runtime_file.unlink()  # noqa: ASYNC240 - one small local file
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(sig)
        os.umask(old_umask)
        sock.close()
        log.info("stopped")
