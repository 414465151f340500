"""Per-uplink billing across hot switches under traffic, in the two-ISP lab (root).

``measure`` builds the lab with a client behind the box, runs ``billing_runner`` in the box (the
real nft data plane and the uplink executor, switching back and forth) and compares what the box
billed to each uplink with what crossed each ISP's side of its link:

- ``misbilled_bytes``: bytes billed to an uplink beyond what went through it (billed to the
  wrong one);
- ``lost_bytes``: bytes that went through an uplink beyond what was billed to it (billed to none).

Both are per ISP and direction, summed. Byte totals only: no timing is compared.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from tests.uplink.twoisp import TwoIsps

ROOT = Path(__file__).resolve().parents[2]


def measure(
    switches: int = 10, interval: float = 1.0, primary_only: bool = False, rate: int = 500
) -> dict[str, Any]:
    lab = TwoIsps().up()
    try:
        lab.add_lan()
        lab.count_at_isps()
        r = subprocess.run(
            ["ip", "netns", "exec", lab.box, sys.executable, "-m", "tests.uplink.billing_runner",
             lab.client, "--switches", str(switches), "--interval", str(interval),
             "--rate", str(rate), *(["--primary-only"] if primary_only else [])],
            capture_output=True, text=True, timeout=120 + switches * interval * 3, cwd=ROOT,
            check=False,
        )  # fmt: skip
        if r.returncode != 0:
            raise AssertionError(f"billing runner failed: {r.stdout}{r.stderr}")
        box = json.loads(r.stdout)
        isp = lab.isp_bytes()
    finally:
        lab.down()
    return report(box, isp)


def report(box: dict[str, Any], isp: dict[str, dict[str, int]]) -> dict[str, Any]:
    misbilled = lost = 0
    by_dir = {"up": 0, "down": 0}
    per: dict[str, Any] = {}
    for k in "ab":
        billed = box["uplinks"].get(f"wan:up{k}", {"rx": 0, "tx": 0})
        crossed = isp[k]
        for bdir, idir in (("tx", "up"), ("rx", "down")):
            misbilled += max(0, billed[bdir] - crossed[idir])
            lost += max(0, crossed[idir] - billed[bdir])
            by_dir[idir] += max(0, crossed[idir] - billed[bdir])
        per[k] = {"billed": billed, "crossed": crossed}
    return {
        "misbilled_bytes": misbilled,
        "lost_bytes": lost,
        # lost downloads: what an ISP sent after the old link's flows were reset (the box
        # dropped it; it reached no client)
        "lost_bytes_up": by_dir["up"],
        "lost_bytes_down": by_dir["down"],
        "per_isp": per,
        "client": box.get("client", {}),
        "steps": box.get("steps", []),
    }
