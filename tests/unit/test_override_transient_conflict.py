"""``override`` leaves a database's refusal to the kit's retrying, not to its race loop.

Its own loop runs the override again when a racing override of the same
participant was stored first. A ``TransientConflict`` not ``retryable`` (a
unit joined to the host's transaction, which the host must roll back) used to
be run again inside that transaction; a ``retryable`` one ran ten times, not
``attempts``.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from tests.unit._attendance_support import START, T, lesson_kit
from tests.unit._refusing_store import RefusingStore

from sessionkit.errors import TransientConflict
from sessionkit.model.attendance import ABSENT
from sessionkit.services import SessionKit


def _excuse(kit: SessionKit, lesson: str) -> None:
    kit.attendance.override(T, lesson, "student:ana", status=ABSENT, actor="t1", now=START)


def test_a_joined_units_refusal_is_raised_at_once_and_nothing_is_stored() -> None:
    store = RefusingStore(joined=True)
    kit, lesson = lesson_kit(store)
    store.refuse, store.commits = 1, 0
    with pytest.raises(TransientConflict) as raised:
        _excuse(kit, lesson)
    assert (raised.value.retryable, raised.value.attempts, store.commits) == (False, 1, 1)
    assert kit.attendance.for_session(T, lesson) == []  # no override stored


def test_a_retryable_refusal_runs_attempts_times_in_all() -> None:
    store = RefusingStore()
    kit, lesson = lesson_kit(store)
    store.refuse, store.commits = 100, 0
    with pytest.raises(TransientConflict) as raised:
        _excuse(kit, lesson)
    assert (raised.value.retryable, raised.value.attempts, store.commits) == (True, 3, 3)
    store.refuse = 1
    _excuse(kit, lesson)
    found = kit.attendance.for_session(T, lesson, as_of=START + timedelta(minutes=45))
    assert [(str(a.participant), a.status) for a in found] == [("student:ana", ABSENT)]
