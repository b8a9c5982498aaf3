"""``join_credential`` leaves a database's refusal to the kit's retrying, not to its race loop.

Its own loop reads the session again when a racing writer moved it first. A
``TransientConflict`` not ``retryable`` (a unit joined to the host's
transaction, which the host must roll back) used to be run again inside that
transaction; a ``retryable`` one ran ten times, not ``attempts``.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from tests.unit._attendance_support import START, T, lesson_kit
from tests.unit._refusing_store import RefusingStore

from sessionkit.errors import TransientConflict
from sessionkit.services import SessionKit
from sessionkit.testing.rooms import FakeMeetingRooms

ASKED = START - timedelta(minutes=14)
"""Past READY's 16:45: the credential's own read moves the lesson there."""


def _kit(store: RefusingStore) -> tuple[SessionKit, str]:
    kit, lesson = lesson_kit(store, FakeMeetingRooms())
    kit.bookings.book(T, lesson, "student:ana", actor="admin", confirm=True)
    return kit, lesson


def test_a_joined_units_refusal_is_raised_at_once_and_nothing_is_stored() -> None:
    store = RefusingStore(joined=True)
    kit, lesson = _kit(store)
    store.refuse, store.commits = 1, 0
    with pytest.raises(TransientConflict) as raised:
        kit.attendance.join_credential(T, lesson, "student:ana", now=ASKED)
    assert (raised.value.retryable, raised.value.attempts, store.commits) == (False, 1, 1)
    assert kit.queries.get(T, lesson).status == "SCHEDULED"


def test_a_retryable_refusal_runs_attempts_times_in_all() -> None:
    store = RefusingStore()
    kit, lesson = _kit(store)
    store.refuse, store.commits = 100, 0
    with pytest.raises(TransientConflict) as raised:
        kit.attendance.join_credential(T, lesson, "student:ana", now=ASKED)
    assert (raised.value.retryable, raised.value.attempts, store.commits) == (True, 3, 3)
    store.refuse = 1
    credential = kit.attendance.join_credential(T, lesson, "student:ana", now=ASKED)
    assert (str(credential.participant), credential.expires_at) == (
        "student:ana",
        START + timedelta(minutes=60),
    )
    assert kit.queries.get(T, lesson).status == "READY"
