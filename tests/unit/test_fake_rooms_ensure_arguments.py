"""FakeMeetingRooms checks its port methods' arguments, as the port types them, before it acts.

``ensure_room`` took any tenant, session id and span: an empty or padded tenant, a session id
of another type, a span that was a tuple of datetimes made a room (and counted it in
``created``), which a later ``close_room`` without a clock failed on with an
``AttributeError``. ``close_room`` and ``issue_credential`` took any tenant and session id
too (answering "nothing to close" or ``LookupError``), and ``issue_credential`` any
participant, role and expiry, put in the credential as given; ``join``, ``leave``,
``is_open`` and ``inside`` any tenant and session id (a padded one read as no room). The
arguments are checked as the rest of sessionkit checks ids, spans and instants (``WrongType``
for a wrong type, ``InvalidValue`` for a bad id), first.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from sessionkit.errors import InvalidValue, NaiveDatetime, SessionKitError, WrongType
from sessionkit.model.session import ResourceRef
from sessionkit.testing.rooms import FakeMeetingRooms
from sessionkit.timespan import TimeSpan

START = datetime(2026, 3, 2, 17, tzinfo=UTC)
SPAN = TimeSpan(START, START + timedelta(hours=1))

_BAD_IDS: list[tuple[dict[str, object], type[SessionKitError], str]] = [
    ({"tenant": ""}, InvalidValue, "tenant must be a non-empty string"),
    ({"tenant": "acme "}, InvalidValue, "tenant 'acme ' must not start or end with whitespace"),
    ({"tenant": None}, WrongType, "tenant must be a string"),
    ({"session_id": ""}, InvalidValue, "session_id must be a non-empty string"),
    ({"session_id": 7}, WrongType, "session_id must be a string .*, got int 7"),
    ({"session_id": "s1\n"}, InvalidValue, "session_id 's1\\\\n' must not start or end"),
]
_BAD = [
    *_BAD_IDS,
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


@pytest.mark.parametrize(("bad", "error", "message"), _BAD_IDS)
def test_close_room_refuses_a_bad_id_and_closes_nothing(
    bad: dict[str, object], error: type[SessionKitError], message: str
) -> None:
    rooms = FakeMeetingRooms()
    rooms.ensure_room(tenant="acme", session_id="s1", span=SPAN)
    rooms.join("acme", "s1", "student:ana", at=START)
    rooms.drain()
    arguments: dict[str, object] = {"tenant": "acme", "session_id": "s1"} | bad
    with pytest.raises(error, match=message) as refused:
        rooms.close_room(**arguments, at=START + timedelta(minutes=40))  # type: ignore[arg-type]  # a bad argument is the point
    assert refused.value.value == next(iter(bad.values()))  # type: ignore[attr-defined]  # both kinds carry it
    assert rooms.calls == [("ensure", "acme", "s1")]
    assert rooms.is_open("acme", "s1") is True
    assert rooms.inside("acme", "s1") == {ResourceRef("student", "ana")}
    assert rooms.drain() == []


ANA = ResourceRef("student", "ana")

_BAD_CREDENTIAL: list[tuple[dict[str, object], type[SessionKitError], str]] = [
    *_BAD_IDS,
    ({"participant": "student:ana"}, WrongType, "participant must be a ResourceRef, got str"),
    ({"participant": None}, WrongType, "participant must be a ResourceRef, got NoneType"),
    ({"role": 7}, WrongType, "role must be a string or None .*, got int 7"),
    ({"expires_at": "2026-03-02T18:15Z"}, WrongType, "expires_at must be a datetime"),
    ({"expires_at": datetime(2026, 3, 2, 18, 15)}, NaiveDatetime, "expires_at .* naive"),
]


@pytest.mark.parametrize(("bad", "error", "message"), _BAD_CREDENTIAL)
def test_issue_credential_refuses_a_bad_argument_and_issues_nothing(
    bad: dict[str, object], error: type[SessionKitError], message: str
) -> None:
    rooms = FakeMeetingRooms()
    rooms.ensure_room(tenant="acme", session_id="s1", span=SPAN)
    arguments: dict[str, object] = {
        "tenant": "acme",
        "session_id": "s1",
        "participant": ANA,
        "role": "student",
        "expires_at": SPAN.end,
    } | bad
    with pytest.raises(error, match=message) as refused:
        rooms.issue_credential(**arguments)  # type: ignore[arg-type]  # a bad argument is the point
    assert refused.value.value == next(iter(bad.values()))  # type: ignore[attr-defined]  # both kinds carry it
    assert rooms.calls == [("ensure", "acme", "s1")]


def test_good_arguments_still_issue_and_close() -> None:
    rooms = FakeMeetingRooms()
    rooms.ensure_room(tenant="acme", session_id="s1", span=SPAN)
    credential = rooms.issue_credential(
        tenant="acme", session_id="s1", participant=ANA, role=None, expires_at=SPAN.end
    )
    assert (credential.token, credential.expires_at) == (
        "token-room-acme-s1-student:ana-guest",
        SPAN.end,
    )
    rooms.close_room(tenant="acme", session_id="s1")
    rooms.close_room(tenant="acme", session_id="s2")  # never ensured: nothing to close
    assert rooms.calls == [
        ("ensure", "acme", "s1"),
        ("credential", "acme", "s1"),
        ("close", "acme", "s1"),
        ("close", "acme", "s2"),
    ]
    assert rooms.is_open("acme", "s1") is False


def _play(rooms: FakeMeetingRooms, method: str, arguments: dict[str, object]) -> None:
    """Call one of the methods a test plays participants with, ids as ``arguments`` give them."""
    ids: tuple[Any, Any] = (arguments["tenant"], arguments["session_id"])  # a bad id is the point
    at = START + timedelta(minutes=5)
    if method == "join":
        rooms.join(*ids, "student:ben", at=at)
    elif method == "leave":
        rooms.leave(*ids, ANA, at=at)
    elif method == "is_open":
        rooms.is_open(*ids)
    else:
        rooms.inside(*ids)


_PLAYED = ["join", "leave", "is_open", "inside"]


@pytest.mark.parametrize("method", _PLAYED)
@pytest.mark.parametrize(("bad", "error", "message"), _BAD_IDS)
def test_join_leave_is_open_and_inside_refuse_a_bad_id_and_change_nothing(
    method: str, bad: dict[str, object], error: type[SessionKitError], message: str
) -> None:
    # They took any tenant and session id: a padded one read as a closed room nobody was in,
    # a join raised LookupError, a leave of a bad tenant did nothing, a list was a TypeError.
    rooms = FakeMeetingRooms()
    rooms.ensure_room(tenant="acme", session_id="s1", span=SPAN)
    rooms.join("acme", "s1", ANA, at=START)
    rooms.drain()
    with pytest.raises(error, match=message) as refused:
        _play(rooms, method, {"tenant": "acme", "session_id": "s1"} | bad)
    assert refused.value.value == next(iter(bad.values()))  # type: ignore[attr-defined]  # both kinds carry it
    assert rooms.inside("acme", "s1") == {ANA}
    assert rooms.drain() == []


@pytest.mark.parametrize(
    ("tenant", "session_id", "error"),
    [(" acme", "s1", InvalidValue), ("acme", ["s1"], WrongType)],
)
def test_is_open_refuses_rather_than_answering_no_room(
    tenant: object, session_id: object, error: type[SessionKitError]
) -> None:
    rooms = FakeMeetingRooms()
    rooms.ensure_room(tenant="acme", session_id="s1", span=SPAN)
    with pytest.raises(error):
        rooms.is_open(tenant, session_id)  # type: ignore[arg-type]  # a bad id is the point
    with pytest.raises(error):
        rooms.inside(tenant, session_id)  # type: ignore[arg-type]  # a bad id is the point
    assert rooms.is_open("acme", "s1") is True


def test_good_ids_still_join_and_leave() -> None:
    rooms = FakeMeetingRooms()
    rooms.ensure_room(tenant="acme", session_id="s1", span=SPAN)
    rooms.join("acme", "s1", ANA, at=START)
    rooms.leave("acme", "s1", ANA, at=START + timedelta(minutes=30))
    assert [(e.action, e.at) for e in rooms.drain()] == [
        ("join", START),
        ("leave", START + timedelta(minutes=30)),
    ]
    assert (rooms.is_open("acme", "s1"), rooms.inside("acme", "s1")) == (True, frozenset())
