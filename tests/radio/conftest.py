"""Radio tests: a QEMU VM with Debian's kernel and mac80211_hwsim (see harness.py)."""

from __future__ import annotations

from concurrent.futures import Future

import pytest

from tests.radio.harness import RadioImage, VmResult, build_image, start


@pytest.fixture(scope="session")
def radio_image() -> RadioImage:
    """Built from the installed Debian packages on first use, then cached across runs."""
    return build_image()


@pytest.fixture(scope="session")
def radio_vms(
    request: pytest.FixtureRequest, radio_image: RadioImage
) -> dict[str, Future[VmResult]]:
    """One VM per selected test module that defines ``radio_scenario()``, all started at once.

    A module's ``vm`` fixture takes its own: ``radio_vms[__name__].result()``. Where the host
    has the cores (``harness.parallel``) the VMs run side by side, so the radio tests take
    about as long as the longest scenario, not the sum; otherwise one after the other, each
    starting as soon as the one before ends. A module may still call ``harness.run`` itself.
    """
    modules = {
        item.module.__name__: item.module
        for item in request.session.items
        if isinstance(item, pytest.Function) and hasattr(item.module, "radio_scenario")
    }
    return {name: start(radio_image, mod.radio_scenario()) for name, mod in sorted(modules.items())}
