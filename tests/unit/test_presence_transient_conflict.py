"""``record_presence`` leaves a database's refusal to the kit's retrying, not to its race loop.

Its own loop runs the batch again when racing writers stored an event or
moved a session first. A ``TransientConflict`` not ``retryable`` (a unit
joined to the host's transaction, which the host must roll back) used to be
run again inside that transaction; a ``retryable`` one ran ten times, not
``attempts``.
"""

from __future__ import annotations

import pytest
from tests.unit._attendance_support import START, T, lesson_kit, presence
from tests.unit._refusing_store import RefusingStore

from sessionkit.errors import TransientConflict
from sessionkit.model.attendance import JOIN


def test_a_joined_units_refusal_is_raised_at_once_and_nothing_is_stored() -> None:
    store = RefusingStore(joined=True)
    kit, lesson = lesson_kit(store)
    store.refuse, store.commits = 1, 0
    with pytest.raises(TransientConflict) as raised:
        kit.attendance.record_presence(T, [presence(1, "student:ana", JOIN, 1, lesson)], now=START)
    assert (raised.value.retryable, raised.value.attempts, store.commits) == (False, 1, 1)
    assert kit.attendance.for_session(T, lesson) == []  # no presence stored


def test_a_retryable_refusal_runs_attempts_times_in_all() -> None:
    store = RefusingStore()
    kit, lesson = lesson_kit(store)
    store.refuse, store.commits = 100, 0
    with pytest.raises(TransientConflict) as raised:
        kit.attendance.record_presence(T, [presence(1, "student:ana", JOIN, 1, lesson)], now=START)
    assert (raised.value.retryable, raised.value.attempts, store.commits) == (True, 3, 3)
    store.refuse = 1
    report = kit.attendance.record_presence(
        T, [presence(1, "student:ana", JOIN, 1, lesson)], now=START
    )
    assert (report.recorded, report.duplicates) == (1, 0)
