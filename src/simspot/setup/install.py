"""`simspot setup` from facts to a running service, through a ``System`` (this machine, or a
directory and a recording runner in tests)."""

from __future__ import annotations

import ipaddress
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from simspot import config as cfg
from simspot.daemon import tls
from simspot.errors import ConfigError
from simspot.setup.checks import live_backends
from simspot.setup.plan import (
    UNIT_NAME,
    Ask,
    Fix,
    System,
    apply_fix,
    conflicts,
    decide,
    place,
    render_config,
    render_unit,
    summary,
)
from simspot.setup.probe import Facts

Consent = Callable[[Fix], bool]


@dataclass
class Report:
    found: list[str]
    notes: list[str]
    config_path: Path
    config_text: str
    unit_path: Path | None = None
    fixed: list[str] = field(default_factory=list)
    left: list[Fix] = field(default_factory=list)  # conflicts not resolved (no consent, manual)
    problems: list[str] = field(default_factory=list)
    backup: Path | None = None
    admin_url: str = ""
    # The admin page on the hotspot (HTTPS on the LAN address) and its certificate, made by setup
    # so the fingerprint can be printed now and checked by a phone later (None: no LAN page).
    admin_lan_url: str | None = None
    admin_fingerprint: str | None = None
    password_file: Path | None = None
    password_ready: bool = False


def lan_https_address(conf: cfg.Config) -> str | None:
    """The LAN address the daemon will serve its HTTPS admin page on (as ``daemon.server`` does:
    with the real data plane and ``daemon.lan_https``), or None."""
    if not conf.daemon.lan_https or live_backends(conf)["dataplane"] != "nft":
        return None
    return str(ipaddress.IPv4Interface(conf.dataplane.lan_address).ip)


def install(
    facts: Facts,
    system: System,
    ask: Ask,
    consent: Consent,
    *,
    config_path: Path,
    unit_dir: Path = Path("/etc/systemd/system"),
    executable: str,
    start: bool = True,
    dry_run: bool = False,
    wait_password_s: float = 30.0,
) -> Report:
    plan = decide(facts, ask)
    found = summary(facts)
    text = render_config(plan, found)
    # Never write a file the daemon would refuse.
    try:
        import tomllib

        conf = cfg.validate(tomllib.loads(text), "the config setup made")
    except ConfigError as exc:
        raise ConfigError(
            msg_id="install.invalid-config",
            params={"error": str(exc), "error_said": exc.message_json()},
        ) from None
    report = Report(found, list(plan.notes), config_path, text)
    host = conf.daemon.api_host
    report.admin_url = f"http://{host}:{conf.daemon.api_port}/"
    from simspot.daemon.auth import INITIAL_PASSWORD_FILE

    report.password_file = conf.daemon.state_dir / INITIAL_PASSWORD_FILE
    lan_ip = lan_https_address(conf)
    if lan_ip is not None:
        report.admin_lan_url = f"https://{lan_ip}:{conf.daemon.lan_https_port}"
    fixes = conflicts(facts, plan)
    if dry_run:
        report.left = fixes
        return report

    for fix in fixes:
        if (fix.commands or fix.files or fix.appends) and consent(fix):
            problems = apply_fix(system, fix)
            if problems:
                report.problems += problems
                report.left.append(fix)
            else:
                report.fixed.append(fix.problem)
        else:
            report.left.append(fix)

    target = place(system, config_path)
    target.parent.mkdir(parents=True, exist_ok=True)
    if target.exists():
        backup = target.with_name(f"{target.name}.{time.strftime('%Y%m%d-%H%M%S')}.bak")
        target.replace(backup)
        report.backup = backup
    target.write_text(text, encoding="utf-8")
    target.chmod(0o600)  # it may hold a PIN or a passphrase

    if lan_ip is not None:
        # The daemon keeps a certificate it finds for its LAN address (simspot.daemon.tls).
        state = place(system, conf.daemon.state_dir)
        state.mkdir(parents=True, exist_ok=True, mode=0o700)
        report.admin_fingerprint = tls.ensure(state, lan_ip, conf.dataplane.domain).fingerprint

    unit = place(system, unit_dir / UNIT_NAME)
    unit.parent.mkdir(parents=True, exist_ok=True)
    unit.write_text(render_unit(executable, config_path), encoding="utf-8")
    report.unit_path = unit
    steps: list[tuple[str, ...]] = [("systemctl", "daemon-reload")]
    steps.append(("systemctl", "enable", "--now", UNIT_NAME) if start else
                 ("systemctl", "enable", UNIT_NAME))  # fmt: skip
    for argv in steps:
        code, out = system.run(argv)
        if code != 0:
            report.problems.append(f"{' '.join(argv)} failed ({code}): {out}")
            return report
    if start:
        password = place(system, report.password_file)
        deadline = time.monotonic() + wait_password_s
        while time.monotonic() < deadline and not password.exists():
            time.sleep(0.5)
        report.password_ready = password.exists()
    return report
