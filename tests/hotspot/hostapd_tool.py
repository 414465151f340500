"""Running the real hostapd binary on a rendered config, to learn whether it accepts it.

Without a Wi-Fi radio (this kernel has no mac80211_hwsim), hostapd still reads and checks the whole
config (including its consistency checks, e.g. "WPA-PSK enabled, but PSK or passphrase is not
configured") before it tries to open the driver. A config it refuses makes it print "Line N: ..."
or "N errors found in configuration file" and "Failed to set up interface with <file>"; a config it
accepts gets as far as initialising the driver, which then fails for the absent interface.
"""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

HOSTAPD = shutil.which("hostapd") or "/usr/sbin/hostapd"


@dataclass(frozen=True)
class Verdict:
    accepted: bool
    output: str


def hostapd_verdict(conf: Path) -> Verdict:
    proc = subprocess.run(
        [HOSTAPD, "-dd", str(conf)], capture_output=True, text=True, timeout=30, check=False
    )
    out = proc.stdout + proc.stderr
    refused = "Failed to set up interface with" in out or "errors found in configuration" in out
    reached_driver = "driver" in out.lower() or "Could not read interface" in out
    if proc.returncode == 0:  # it must never actually run against a made-up interface
        raise AssertionError("hostapd started on a made-up interface:\n" + out)
    return Verdict(accepted=not refused and reached_driver, output=out)
