"""Dead letters, the pure half: every generated malformed message is refused, by name.

Each of the 1,000 messages of testkit/malformed.py (bench/malformed.py sends them) either cannot be decoded as a Dramatiq message
(the consumer dead-letters it, tests/integration/test_dead_letters.py) or its envelope raises
InvalidEvent naming a field: never accepted, never another exception (which would be retried
instead of dead-lettered).
"""
from collections import Counter

import pytest
from dramatiq import Message
from dramatiq.errors import DecodeError

from shared.core.errors import InvalidEvent
from shared.core.events import load_event
from testkit.malformed import KINDS, malformed, valid_envelopes


def test_the_templates_are_valid():
    for envelope in valid_envelopes(1):
        assert load_event(envelope).id == envelope["id"]


def test_every_malformed_message_is_undecodable_or_an_invalid_event_naming_a_field():
    outcomes = Counter()
    for _id, body, kind in malformed(1000):
        try:
            message = Message.decode(body)
        except DecodeError:
            assert kind in ("invalid_json", "non_utf8", "not_a_message"), kind
            outcomes["undecodable"] += 1
            continue
        with pytest.raises(InvalidEvent) as refused:
            load_event(*message.args)
        assert refused.value.errors, (kind, refused.value)
        outcomes["invalid"] += 1
    assert sum(outcomes.values()) == 1000
    assert outcomes["undecodable"] == 3 * 1000 // len(KINDS) + sum(1 for i in range(1000 % len(KINDS))
                                                                     if KINDS[i] in ("invalid_json", "non_utf8",
                                                                                     "not_a_message"))


@pytest.mark.parametrize("type_", [["delivery.shipped"], {"a": 1}, 5, None])
def test_a_type_that_is_no_string_is_an_invalid_event_not_a_crash(type_):
    envelope = {**valid_envelopes(1)[0], "type": type_}
    with pytest.raises(InvalidEvent) as refused:
        load_event(envelope)
    assert "type" in refused.value.errors
