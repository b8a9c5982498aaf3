"""FakeMeetingRooms.ensure_room checks its arguments, as the port types them, before it acts.

It took any tenant, session id and span: an empty or padded tenant, a session id of
another type, a span that was a tuple of datetimes made a room (and counted it in
``created``), which a later ``close_room`` without a clock failed on with an
``AttributeError``. The arguments are checked as the rest of sessionkit checks
ids and spans (``WrongType`` for a wrong type, ``InvalidValue`` for a bad id), first.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from sessionkit.errors import InvalidValue, SessionKitError, WrongType
from sessionkit.testing.rooms import FakeMeetingRooms
from sessionkit.timespan import TimeSpan

START = datetime(2026, 3, 2, 17, tzinfo=UTC)
SPAN = TimeSpan(START, START + timedelta(hours=1))

_BAD: list[tuple[dict[str, object], type[SessionKitError], str]] = [
    ({"tenant": ""}, InvalidValue, "tenant must be a non-empty string"),
    ({"tenant": "acme "}, InvalidValue, "tenant 'acme ' must not start or end with whitespace"),
    ({"tenant": None}, WrongType, "tenant must be a string"),
    ({"session_id": ""}, InvalidValue, "session_id must be a non-empty string"),
    ({"session_id": 7}, WrongType, "session_id must be a string .*, got int 7"),
    ({"session_id": "s1\n"}, InvalidValue, "session_id 's1\\\\n' must not start or end"),
    ({"span": (START, SPAN.end)}, WrongType, "span must be a TimeSpan, got tuple"),
    ({"span": None}, WrongType, "span must be a TimeSpan, got NoneType"),
]


@pytest.mark.parametrize(("bad", "error", "message"), _BAD)
def test_a_bad_argument_is_refused_and_makes_no_room(
    bad: dict[str, object], error: type[SessionKitError], message: str
) -> None:
    rooms = FakeMeetingRooms()
    arguments: dict[str, object] = {"tenant": "acme", "session_id": "s1", "span": SPAN} | bad
    with pytest.raises(error, match=message) as refused:
        rooms.ensure_room(**arguments)  # type: ignore[arg-type]  # a bad argument is the point
    assert refused.value.value == next(iter(bad.values()))  # type: ignore[attr-defined]  # both kinds carry it
    assert (rooms.created, rooms.calls) == (0, [])
    assert rooms.is_open("acme", "s1") is False


def test_good_arguments_still_make_one_room() -> None:
    rooms = FakeMeetingRooms()
    room = rooms.ensure_room(tenant="acme", session_id="s1", span=SPAN)
    assert (room.ref, room.tenant, room.session_id) == ("room-acme-s1", "acme", "s1")
    assert rooms.ensure_room(tenant="acme", session_id="s1", span=SPAN) == room
    assert (rooms.created, rooms.calls) == (1, [("ensure", "acme", "s1"), ("ensure", "acme", "s1")])
