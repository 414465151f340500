"""Radio test VM benchmark. Prints one JSON object.

- image_s: building (or finding in the cache) the kernel and initramfs.
- boot_s: host wall time from starting QEMU to the guest's init running (median of --boots).
- empty_run_s: a whole VM run with nothing to do (boot, report, power off).
- ap_start_s, join_s: hostapd starting on a simulated radio, and one WPA2 and one SAE client
  associating with scan_freq (guest-side times).
- accel: kvm or tcg.

Usage: .venv/bin/python benchmarks/radio.py [--boots 3]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.radio.harness import Scenario, accel, build_image, run
from tests.radio.wifi import add_ap, add_client, from_qr

from simspot.hotspot.contract import ApConfig
from simspot.hotspot.qr import wifi_text


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--boots", type=int, default=3)
    args = parser.parse_args()
    t0 = time.monotonic()
    image = build_image()
    image_s = time.monotonic() - t0
    boots, empties = [], []
    for _ in range(args.boots):
        result = run(image, Scenario(radios=1))
        boots.append(result.boot_s or float("nan"))
        empties.append(result.wall_s)
    sc = Scenario(radios=3)
    config = ApConfig(interface="wlan0", ssid="bench", passphrase="bench-pass-1", channel=6)
    add_ap(sc, "ap", config)
    sc.wait_aps("ap")
    text = wifi_text(config.ssid, config.passphrase, config.security, False)
    add_client(sc, "wpa2", "wlan1", from_qr(text), "wpa2", 6, wait=True)
    add_client(sc, "sae", "wlan2", from_qr(text), "wpa3", 6, wait=True)
    result = run(image, sc)
    print(
        json.dumps(
            {
                "accel": accel(),
                "image_s": round(image_s, 2),
                "boot_s": round(statistics.median(boots), 2),
                "empty_run_s": round(statistics.median(empties), 2),
                "ap_start_s": int(result.step("ap.ap")["elapsed_ms"]) / 1000,
                "join_s": {n: result.join(n).elapsed_s for n in ("wpa2", "sae")},
                "joined": {n: result.join(n).connected for n in ("wpa2", "sae")},
                "run_s": round(result.wall_s, 2),
            }
        )
    )


if __name__ == "__main__":
    main()
