"""Values holding sets show them sorted: the same ``repr`` in every run.

A frozenset's own ``repr`` follows hash order, which ``PYTHONHASHSEED``
changes from one run to the next: ``Outcomes()`` showed
``frozenset({'FINISHED', 'COMPLETED'})`` in one process and the other order
in the next, in logs, doctests and snapshots.
"""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta

import pytest

from sessionkit import TimeSpan
from sessionkit.contrib.fastapi import Caller
from sessionkit.contrib.fastapi._access import Access
from sessionkit.errors._base import set_repr
from sessionkit.model import ResourceRef
from sessionkit.model.analytics import Outcomes
from sessionkit.policies import RefundPolicy
from sessionkit.policies.notice import NoticePolicy, NoticeRule, NoticeWindow
from sessionkit.ports import Room
from sessionkit.services._attendance_policy import AttendancePolicy
from sessionkit.services.rooms import JoinRules, RoomKeeper
from sessionkit.testing.rooms import FakeMeetingRooms, FakeRoom

_VALUES = """
from datetime import timedelta
from sessionkit.contrib.fastapi import Caller
from sessionkit.contrib.fastapi._access import Access
from sessionkit.model.analytics import Outcomes
from sessionkit.policies import RefundPolicy
from sessionkit.policies.notice import NoticePolicy, NoticeRule, NoticeWindow
from sessionkit.services._attendance_policy import AttendancePolicy
from sessionkit.services.rooms import JoinRules
day = timedelta(days=1)
for value in (
    Outcomes(),
    RefundPolicy(),
    NoticePolicy(
        rules=[NoticeRule("cancel", {"student", "coach", "parent"}, day)],
        windows=[NoticeWindow("cancel", day, {"student", "coach", "parent"})],
        bypass={"host", "admin", "system"},
    ),
    AttendancePolicy(attendee_kinds={"student", "coach", "guest"}),
    JoinRules(),
    Access(),
    Caller("acme", roles={"attendee", "participant", "student", "coach"}),
):
    print(repr(value))
"""


def _reprs(seed: str) -> str:
    env = {**os.environ, "PYTHONHASHSEED": seed}
    done = subprocess.run(
        [sys.executable, "-c", _VALUES], env=env, capture_output=True, text=True, check=True
    )
    return done.stdout


def test_reprs_are_the_same_under_two_hash_seeds() -> None:
    # Seeds 1 and 2 order these sets differently: the test failed before the fix.
    first = _reprs("1")
    assert first.count("\n") == 7
    assert first == _reprs("2")


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (Outcomes(), "completed=frozenset({'COMPLETED', 'FINISHED'})"),
        (Outcomes(), "no_show=frozenset({'ABSENT', 'MISSED', 'NO_SHOW'})"),
        (RefundPolicy(), "full_refund_roles=frozenset({'admin', 'host', 'provider', 'system'})"),
        (NoticeRule("cancel", {"b", "a"}, timedelta(days=1)), "roles=frozenset({'a', 'b'})"),
        (NoticeWindow("cancel", timedelta(days=1), {"b", "a"}), "only=frozenset({'a', 'b'})"),
        (NoticePolicy(bypass={"host", "admin"}), "bypass=frozenset({'admin', 'host'})"),
        (AttendancePolicy(), "attendee_kinds=frozenset()"),
        (JoinRules(), "joinable=frozenset({'ONGOING', 'READY'})"),
        (
            RoomKeeper(FakeMeetingRooms(), close_on={"COMPLETED", "CANCELLED", "ABSENT"}),
            "close_on=frozenset({'ABSENT', 'CANCELLED', 'COMPLETED'})",
        ),
        (Access(), "staff_roles=frozenset({'admin', 'host', 'provider'})"),
        (Caller("acme", roles={"b", "a"}), "roles=frozenset({'a', 'b'})"),
    ],
)
def test_set_fields_show_their_items_sorted(value: object, shown: str) -> None:
    assert shown in repr(value)


def test_a_fake_room_shows_who_is_inside_sorted() -> None:
    start = datetime(2026, 3, 2, 8, tzinfo=UTC)
    room = FakeRoom(
        Room(ref="r", tenant="acme", session_id="s"), TimeSpan(start, start + timedelta(hours=1))
    )
    room.inside.update({ResourceRef("student", "zoe"), ResourceRef("student", "ana")})
    assert repr(room).endswith(
        "inside={ResourceRef(kind='student', id='ana'), ResourceRef(kind='student', id='zoe')})"
    )


def test_equality_and_hash_are_the_sets_own() -> None:
    given = Outcomes(completed={"FINISHED", "COMPLETED"}, no_show=["MISSED"])
    same = Outcomes(completed=["COMPLETED", "FINISHED"], no_show={"MISSED"})
    assert given == same
    assert hash(given) == hash(same)
    assert given.completed == frozenset({"COMPLETED", "FINISHED"})
    assert type(given.completed) is frozenset


def test_set_repr_reads_as_the_sets_own_but_sorted() -> None:
    for value in (frozenset(), set(), {"b", "a"}, frozenset({"b", "a"})):
        assert eval(set_repr(value)) == value  # a literal of our own making
    assert set_repr(frozenset({"b", "a"})) == "frozenset({'a', 'b'})"
    assert set_repr({"b", "a"}) == "{'a', 'b'}"
    assert set_repr(frozenset({2, "a", 1})) == "frozenset({'a', 1, 2})"  # mixed: by repr
    assert set_repr((2, 1)) == "(2, 1)"  # not a set: its own repr
