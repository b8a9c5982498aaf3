"""A booking stays with its session when the session moves: reads ``as_of`` before the move list it.

Bookings never move between sessions (a makeup is another session, booked
anew); a reschedule moves the session and carries its bookings along,
writing each (``updated_at``) with its status unchanged. Read as of before
the move, ana's booking, written since, is still the session's confirmed
one: the journal replays it CONFIRMED, and without a journal its status now
is the one it had then.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from sessionkit.model.attendance import PENDING

from ._attendance_support import MIN, START, T, attendance_kit

DAY = timedelta(days=1)


@pytest.mark.parametrize("journal", [True, False])
def test_a_booking_stays_with_its_session_when_the_session_moves(journal: bool) -> None:
    with attendance_kit("memory", journal=journal) as (kit, clock):
        clock.set(START - 10 * DAY)
        circle = kit.sessions.create_extra(
            T, actor="admin", start=START, end=START + 60 * MIN, lifecycle="academy", capacity=3,
        ).id  # fmt: skip
        ana = kit.bookings.book(T, circle, "student:ana", actor="admin", confirm=True)
        clock.set(START - 5 * DAY)
        asked = kit.reschedules.request(
            T, circle, role="teacher", actor="t", reason="the teacher is away",
            proposed_start=START + DAY,
        )  # fmt: skip
        kit.reschedules.approve(T, asked.id, actor="ana", role="student")
        [moved] = kit.bookings.for_session(T, circle)
        assert moved.updated_at == START - 5 * DAY  # written by the move, after as_of below
        before_the_move = START - 6 * DAY
        listed = kit.attendance.for_session(T, circle, as_of=before_the_move)
        assert [(str(a.participant), a.effective_status) for a in listed] == [
            ("student:ana", PENDING)
        ]
        if journal:  # without one, outcomes refuses an as_of before the session's move
            found = kit.attendance.outcomes(T, circle, as_of=before_the_move)
            assert [(str(o.participant), o.booking_id) for o in found] == [("student:ana", ana.id)]
