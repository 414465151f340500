"""The unit `simspot setup` installs, run by a real systemd (PID 1 in systemd-nspawn).

The container boots this machine's own root, read-only under a tmpfs overlay, with a private
network: a LAN bridge and a veth "WAN" with a default route, the config a box with a wired uplink
would have, and the unit exactly as ``render_unit`` writes it. A check unit, started after
simspot, records what systemd made of it: the daemon shares (status exits 0) with exactly the
capabilities the unit bounds, its state directory is private, forwarding is on; after
``systemctl stop`` the unit stopped cleanly, forwarding is back off and no table is left; the
journal has no error line (a stop that killed the daemon's children under it would log one).
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import uuid
from pathlib import Path

from simspot.setup.plan import render_unit

REPO = Path(__file__).resolve().parents[2]
CAPS = {"CAP_KILL": 5, "CAP_SETGID": 6, "CAP_SETUID": 7, "CAP_NET_BIND_SERVICE": 10,
        "CAP_NET_ADMIN": 12, "CAP_NET_RAW": 13}  # fmt: skip

CONFIG = """[daemon]
api_port = 8765
[modem]
backend = "none"
[dataplane]
backend = "nft"
dhcp = false
lan_interface = "lan0"
uplink_interface = "wan0"
"""

LINKS = """[Unit]
Description=a LAN bridge and a veth WAN for simspot
Before=simspot.service
[Service]
Type=oneshot
RemainAfterExit=yes
ExecStart=/sbin/ip link add lan0 type bridge
ExecStart=/sbin/ip link set lan0 up
ExecStart=/sbin/ip link add wan0 type veth peer name wan0p
ExecStart=/sbin/ip link set wan0p up
ExecStart=/sbin/ip addr add 100.64.9.2/30 dev wan0
ExecStart=/sbin/ip link set wan0 up
ExecStart=/sbin/ip route add default via 100.64.9.1
"""

CHECK = """[Unit]
Description=look at simspot under systemd, then power off
After=simspot.service
[Service]
Type=oneshot
StandardOutput=file:/results/check.log
StandardError=file:/results/check.err
ExecStart=/bin/sh -c 'for i in $(seq 120); do [ -e /var/lib/simspot/api.json ] && break; \\
  sleep 1; done; \\
  for i in $(seq 60); do @SIMSPOT@ status --json > /results/status.json && break; sleep 1; done; \\
  echo "status exit $?"; \\
  echo "active $(systemctl show simspot -p ActiveState --value)"; \\
  stat -c "mode %%a %%n" /var/lib/simspot /var/lib/simspot/*; \\
  grep -E "^CapBnd" /proc/$(systemctl show simspot -p MainPID --value)/status; \\
  echo "forward_during $(sysctl -n net.ipv4.ip_forward)"; \\
  systemctl stop simspot; \\
  echo "stopped $(systemctl show simspot -p Result --value) \\
$(systemctl show simspot -p ActiveState --value)"; \\
  echo "forward_after $(sysctl -n net.ipv4.ip_forward)"; \\
  echo "ruleset_lines $(nft list ruleset | wc -l)"; \\
  journalctl -u simspot --no-pager -o cat > /results/journal.txt; \\
  journalctl -u simspot --no-pager -p err -o cat > /results/journal-err.txt'
ExecStartPost=/bin/systemctl poweroff --no-block
"""

TARGET = """[Unit]
Description=simspot under systemd
Requires=lab-links.service simspot.service simspot-check.service
After=lab-links.service simspot.service simspot-check.service
AllowIsolate=yes
"""


def sh(*argv: str) -> None:
    subprocess.run(argv, check=True, capture_output=True, timeout=60)


def test_the_unit_under_systemd(tmp_path: Path) -> None:
    assert shutil.which("systemd-nspawn"), "apt-get install systemd-container"
    base, out = tmp_path / "nspawn", tmp_path / "results"
    base.mkdir()
    out.mkdir()
    simspot = Path(sys.executable).parent / "simspot"
    assert simspot.exists(), simspot
    sh("mount", "-t", "tmpfs", "tmpfs", str(base))  # the overlay's upper layer: not under /
    root = base / "root"
    try:
        for d in ("upper", "work", "root"):
            (base / d).mkdir()
        sh("mount", "-t", "overlay", "overlay", "-o",
           f"lowerdir=/,upperdir={base / 'upper'},workdir={base / 'work'}", str(root))  # fmt: skip
        try:
            (root / "etc/simspot").mkdir(parents=True, exist_ok=True)
            (root / "etc/simspot/simspot.toml").write_text(CONFIG)
            units = root / "etc/systemd/system"
            unit = render_unit(str(simspot), Path("/etc/simspot/simspot.toml"))
            (units / "simspot.service").write_text(unit)
            # The unit's PrivateTmp= hides /tmp: when this checkout or its venv lives there (a CI
            # clone), a drop-in shows them to the service read-only. An installed simspot
            # (pipx under /root/.local or /opt) needs none.
            shown = [p for p in {REPO, Path(sys.prefix)} if p.is_relative_to("/tmp")]
            if shown:
                (units / "simspot.service.d").mkdir(exist_ok=True)
                paths = " ".join(str(p) for p in sorted(shown))
                (units / "simspot.service.d/checkout.conf").write_text(
                    f"[Service]\nBindReadOnlyPaths={paths}\n"
                )
            (units / "lab-links.service").write_text(LINKS)
            (units / "simspot-check.service").write_text(CHECK.replace("@SIMSPOT@", str(simspot)))
            (units / "simspot-test.target").write_text(TARGET)
            (root / "etc/machine-id").unlink(missing_ok=True)
            (root / "etc/machine-id").write_text(uuid.uuid4().hex + "\n")
            (root / "results").mkdir(exist_ok=True)
            binds = [f"--bind={out}:/results", f"--bind-ro={REPO}"]
            if not Path(sys.prefix).is_relative_to(REPO):
                binds.append(f"--bind-ro={sys.prefix}")
            booted = subprocess.run(
                ["systemd-nspawn", "-q", "-D", str(root), "--machine=simspot-unit-test",
                 "--register=no", "--keep-unit", "--link-journal=no", "--private-network",
                 *binds, "-b", "--", "systemd.unit=simspot-test.target"],
                capture_output=True, text=True, timeout=300, check=False,
            )  # fmt: skip
        finally:
            subprocess.run(["umount", str(root)], check=False, capture_output=True)
    finally:
        subprocess.run(["umount", str(base)], check=False, capture_output=True)

    check = (out / "check.log").read_text() if (out / "check.log").exists() else ""
    assert "ruleset_lines" in check, booted.stdout[-3000:] + booted.stderr[-2000:]
    facts = dict(line.split(" ", 1) for line in check.splitlines() if " " in line)
    status = json.loads((out / "status.json").read_text())
    assert facts["status"] == "exit 0", status.get("not_sharing")
    assert status["not_sharing"] is None and status["uplink_iccid"] is None
    assert facts["active"] == "active"
    modes = [line.split()[1:] for line in check.splitlines() if line.startswith("mode ")]
    assert ["700", "/var/lib/simspot"] in modes
    assert all(m == "600" for m, path in modes if path.endswith((".db", "api-token", "password")))
    bounded = int(re.search(r"CapBnd:\s*([0-9a-f]+)", check).group(1), 16)  # type: ignore[union-attr]
    assert bounded == sum(1 << bit for bit in CAPS.values())
    assert set(CAPS) == set(next(
        line.split("=", 1)[1].split() for line in unit.splitlines()
        if line.startswith("CapabilityBoundingSet=")
    ))  # fmt: skip
    assert facts["forward_during"] == "1"
    assert facts["stopped"].split() == ["success", "inactive"]
    assert facts["forward_after"] == "0"
    assert facts["ruleset_lines"] == "0"
    errors = (out / "journal-err.txt").read_text().strip()
    assert errors == "", errors
    assert "simspot is serving http://127.0.0.1:8765" in (out / "journal.txt").read_text()
