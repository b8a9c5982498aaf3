"""``expire_due`` reads at most ``limit`` bookings of the sessions it settles, races or not.

A failed session's bookings stay due at the front of the queue, so the call
reads past them. When another writer settles that session between two reads,
the read that asked past its bookings finds that many more bookings of other
sessions: they were all settled in the one call, past ``limit``.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from sessionkit.model.booking import EXPIRED, HELD

from ._due_race_support import NOW, failing_kit, holds, settled_elsewhere, slots


def test_bookings_found_past_a_session_settled_elsewhere_wait_for_the_next_call(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    kit, broken = failing_kit()
    first, *others = slots(kit, range(1, 6), capacity=2)
    booked = holds(
        kit,
        [
            (first, "student:a", 1),
            (first, "student:b", 1),
            *((s, "student:c", 4 + n) for n, s in enumerate(others)),  # in this order
        ],
    )
    broken.add(first.id)  # its two holds run out first and fill the first read
    reads = settled_elsewhere(monkeypatch, first.id, from_read=2)  # after the first read
    later = NOW + timedelta(hours=1)
    with pytest.raises(RuntimeError, match="rules service down") as raised:
        kit.bookings.expire_due("acme", now=later, limit=2)

    # The second read asked past the first slot's two holds and found four other slots' holds:
    # the first two are settled, the other two stay due.
    assert reads == [2, 4]
    report = raised.value.__notes__
    assert any("expired=2" in note and "more=True" in note for note in report), report
    statuses = [kit.bookings.get("acme", b.id).status for b in booked]
    assert statuses == [HELD] * 2 + [EXPIRED] * 2 + [HELD] * 2

    again = kit.bookings.expire_due("acme", now=later, limit=2)
    assert (again.expired, again.sessions, again.more) == (2, 2, True)
    assert reads[2:] == [2]
    assert [kit.bookings.get("acme", b.id).status for b in booked] == [HELD] * 2 + [EXPIRED] * 4


def test_a_session_with_more_bookings_than_the_limit_cut_off_is_settled_by_the_next_call(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The cut can leave a call with nothing settled: the first new session alone holds more
    # bookings than are left of ``limit``. The next call's first read asks for ``limit``
    # rows only, so it never cuts: that session is settled there, all of its holds.
    kit, broken = failing_kit()
    first, big = slots(kit, (1, 2), capacity=5)
    booked = holds(
        kit,
        [
            (first, "student:a", 1),
            (first, "student:b", 1),
            *((big, f"student:{n}", 4 + n) for n in range(5)),
        ],
    )
    broken.add(first.id)
    reads = settled_elsewhere(monkeypatch, first.id, from_read=2)  # after the first read
    later = NOW + timedelta(hours=1)
    with pytest.raises(RuntimeError, match="rules service down") as raised:
        kit.bookings.expire_due("acme", now=later, limit=2)
    notes = raised.value.__notes__
    assert any("expired=0" in n and "sessions=0" in n and "more=True" in n for n in notes), notes
    assert reads == [2, 4]

    again = kit.bookings.expire_due("acme", now=later, limit=2)
    assert (again.expired, again.sessions, again.more) == (5, 1, True)
    assert reads[2:] == [2]
    assert [kit.bookings.get("acme", b.id).status for b in booked] == [HELD] * 2 + [EXPIRED] * 5
