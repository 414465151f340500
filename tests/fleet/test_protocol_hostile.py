"""MQTT bodies from boxes are untrusted: anything that is not a message is refused by id."""

from __future__ import annotations

import pytest

from simspot.errors import SimspotValueError
from simspot.fleet import protocol


@pytest.mark.parametrize("channel", sorted(protocol.MESSAGE_MODELS))
@pytest.mark.parametrize(
    "payload",
    [b"[" * 100_000, b'{"a":' * 5_000, b"[" * 100_000 + b"]" * 100_000, b"\xff\xfe", b"1e999"],
)
def test_a_hostile_body_is_refused_by_id(channel: str, payload: bytes) -> None:
    # Found by fuzzing: JSON nested 100 000 deep made json.loads raise RecursionError, which
    # escaped from decode (not ours, and the ingest loop saw a crash, not a refusal).
    with pytest.raises(SimspotValueError) as caught:
        protocol.decode_topic(f"simspot/v1/box1/{channel}", payload)
    assert caught.value.msg_id in ("fleet.message.not-json", "fleet.message.invalid")
