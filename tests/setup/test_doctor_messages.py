"""The doctor names the modem's causes with the same catalogue sentences as the daemon's status
and its ``modem.unavailable`` event (ids ``modem.why.*``), in English and Chinese."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from simspot import config
from simspot.i18n import render
from simspot.setup.checks import run_checks
from simspot.setup.probe import Facts, Inputs
from tests.setup import world

LIVE = {"modem": {"backend": "modemmanager"}, "dataplane": {"backend": "nft"}}


def healthy(root: Path) -> Inputs:
    objects, sims = world.mm_answer()
    return replace(world.healthy_inputs(root), mm_objects=objects, mm_sims=sims)


@pytest.mark.parametrize(
    ("change", "check", "msg_id", "words"),
    [
        ({"mm_running": False, "mm_objects": {}}, "modemmanager", "modem.why.no-manager",
         "systemctl start ModemManager"),
        ({"mm_objects": {}}, "modem", "modem.why.no-modem", "mmcli -L"),
        ("locked", "sim-lock", "modem.why.sim-locked", "simspot sim unlock"),
    ],
)  # fmt: skip
def test_modem_causes_carry_their_message(
    tmp_path: Path, change: object, check: str, msg_id: str, words: str
) -> None:
    inputs = healthy(tmp_path)
    if change == "locked":
        objects, sims = world.mm_answer(locked=True)
        inputs = replace(inputs, mm_objects=objects, mm_sims=sims)
    else:
        assert isinstance(change, dict)
        inputs = replace(inputs, **change)
    found = {c.id: c for c in run_checks(Facts.of(inputs), config.validate(LIVE))}
    c = found[check]
    assert c.status == "fail" and c.message is not None
    assert c.message["id"] == msg_id
    assert c.summary == c.message["text"] == render(msg_id, c.message["params"])
    assert words in c.summary
    zh = c.text("zh")
    assert zh != c.summary and words.split()[0] in zh  # the command stays as it is
    assert c.as_dict()["message"]["id"] == msg_id
