"""Full downloads driven between the test SM-DP+ and the virtual eUICC, then profile handling."""

from __future__ import annotations

from simspot.sim.euicc import VirtualEuicc
from simspot.sim.profiles import make_iccid
from simspot.sim.smdp import TestSmdp

from .conftest import ADDRESS
from .driver import CardLink, download


def test_smoke(card: VirtualEuicc, smdp: TestSmdp, link: CardLink, call) -> None:  # type: ignore[no-untyped-def]
    d = download(link, call, ADDRESS, "PROFILE-A")
    kind, _ = d.result["profileInstallationResultData"]["finalResult"]
    assert kind == "successResult", d.result
    assert card.export_profile(make_iccid(1)) == smdp.orders["PROFILE-A"].package
