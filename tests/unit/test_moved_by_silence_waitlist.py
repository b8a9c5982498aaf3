"""A session silence moved keeps its waitlist, however late the tick answered the request.

A reschedule request's silence moves its session at the request's deadline;
the tick answers it whenever it runs. A waitlist place runs out when its
session starts, so it is judged on the time the session had when it moved:
answered after the old start (but before the new one), the place still waits,
as it does when the tick ran on time. It was lapsed, judged on the old start
at the answer's instant; and the expiry job, run before the request was
answered (alone, or as the tick's only kind), lapsed it on the old start too.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from sessionkit.model import ResourceRef
from sessionkit.model.booking import Booking
from sessionkit.model.booking_events import BookingStatusChanged
from sessionkit.model.reschedule import RescheduleRequest
from sessionkit.policies import BookingRules, coaching_notice
from sessionkit.services import SessionKit
from sessionkit.testing.clocks import RecordingPublisher

from ._store_support import STORES, kit_on

T = "acme"
NOW = datetime(2026, 3, 2, 8, tzinfo=UTC)
START = datetime(2026, 3, 3, 9, tzinfo=UTC)  # the request's deadline is 08:00 that day
MOVED = datetime(2026, 3, 4, 10, tzinfo=UTC)
RULES = BookingRules(waitlist=True, hold_for=timedelta(minutes=15), offer_for=timedelta(hours=2))


def asked(kit: SessionKit, capacity: int, proposed: datetime | None = MOVED) -> RescheduleRequest:
    """A session of ``capacity`` Ana booked and asked to move (to ``proposed``); the request."""
    session = kit.sessions.create_extra(
        T,
        actor="cleo",
        lifecycle="lms",
        start=START,
        end=START + timedelta(hours=1),
        resources=[ResourceRef("coach", "cleo")],
        capacity=capacity,
    )
    kit.bookings.book(T, session.id, "student:ana", actor="ana", confirm=True)
    request = kit.reschedules.request(
        T,
        session.id,
        role="student",
        actor="ana",
        reason="I have an exam that morning",
        proposed_start=proposed,
    )
    assert request.deadline == START - timedelta(hours=1)
    return request


def _waitlisted(kit: SessionKit, proposed: datetime | None = MOVED) -> Booking:
    """Ben's waitlist place in a full session Ana (booked) asked to move to ``proposed``."""
    session_id = asked(kit, 1, proposed).session_id
    return kit.bookings.book(T, session_id, "student:ben", actor="ben", waitlist=True)


@pytest.mark.parametrize("store", sorted(STORES))
@pytest.mark.parametrize("late", [timedelta(minutes=-30), timedelta(minutes=30)])
def test_a_waitlist_place_moves_with_its_session_whenever_the_tick_answers(
    store: str, late: timedelta
) -> None:
    events = RecordingPublisher()
    kit = kit_on(STORES[store](events), NOW, notice=coaching_notice(), booking_rules=RULES)
    ben = _waitlisted(kit)
    assert kit.tick(T, now=START + late).approved == 1  # before or after the old start
    waiting = kit.bookings.get(T, ben.id)
    assert (waiting.status, waiting.session_start, waiting.position) == ("WAITLISTED", MOVED, 1)
    assert [e.change.transition for e in events.of_type(BookingStatusChanged)] == [
        "book",
        "queue",
    ]


@pytest.mark.parametrize("store", sorted(STORES))
@pytest.mark.parametrize("job", ["expire_due", "tick"])
def test_the_expiry_job_answers_the_request_before_it_judges_the_waitlist(
    store: str, job: str
) -> None:
    events = RecordingPublisher()
    kit = kit_on(STORES[store](events), NOW, notice=coaching_notice(), booking_rules=RULES)
    ben = _waitlisted(kit)
    after = START + timedelta(minutes=30)  # the old start passed, the request unanswered
    if job == "expire_due":
        assert kit.bookings.expire_due(T, now=after).expired == 0
    else:
        report = kit.tick(T, now=after, kinds=["expire_holds"])
        assert (report.approved, report.expired) == (1, 0)
    waiting = kit.bookings.get(T, ben.id)
    assert (waiting.status, waiting.session_start) == ("WAITLISTED", MOVED)
    assert kit.tick(T, now=after).done == 0  # answered already: nothing left due
    assert [e.change.transition for e in events.of_type(BookingStatusChanged)] == [
        "book",
        "queue",
    ]


@pytest.mark.parametrize("store", sorted(STORES))
def test_a_hold_that_ran_out_after_the_move_is_expired_and_its_seat_offered(store: str) -> None:
    # Cai's hold (07:55 to 08:10) ran out after silence moved the session (08:00) and
    # before the tick answered (09:30): EXPIRED when it ran out, its seat offered to Ben.
    events = RecordingPublisher()
    kit = kit_on(STORES[store](events), NOW, notice=coaching_notice(), booking_rules=RULES)
    session_id = asked(kit, 2).session_id
    held_at = START - timedelta(minutes=65)
    cai = kit.bookings.book(T, session_id, "student:cai", actor="cai", now=held_at)
    ben = kit.bookings.book(T, session_id, "student:ben", actor="ben", waitlist=True, now=held_at)
    after = START + timedelta(minutes=30)
    # The answer alone (no expiry pass after it) marks it: the move settles the session.
    assert kit.tick(T, now=after, kinds=["reschedules"]).approved == 1
    ran_out = kit.bookings.get(T, cai.id)
    assert (ran_out.status, ran_out.hold_expires_at) == ("EXPIRED", held_at + RULES.hold_for)
    offered = kit.bookings.get(T, ben.id)
    assert (offered.status, offered.hold_expires_at) == ("OFFERED", after + RULES.offer_for)
    expired = [e for e in events.of_type(BookingStatusChanged) if e.change.transition == "expire"]
    assert [e.at for e in expired] == [held_at + RULES.hold_for]


@pytest.mark.parametrize("store", sorted(STORES))
def test_a_request_silence_lets_expire_leaves_the_waitlist_judged_on_the_old_start(
    store: str,
) -> None:
    # No time proposed: silence expires the request, the session stays, and Ben's
    # place ran out when it started. expire_due answers, then lapses it, in that order.
    events = RecordingPublisher()
    kit = kit_on(STORES[store](events), NOW, notice=coaching_notice(), booking_rules=RULES)
    ben = _waitlisted(kit, None)
    after = START + timedelta(minutes=30)
    assert kit.bookings.expire_due(T, now=after).expired == 1
    lapsed = kit.bookings.get(T, ben.id)
    assert (lapsed.status, lapsed.session_start) == ("EXPIRED", START)
    assert [r.status for r in kit.reschedules.for_session(T, ben.session_id)] == ["EXPIRED"]
    assert [type(e).__name__ for e in events.events][-2:] == [
        "RescheduleStatusChanged",
        "BookingExpired",
    ]
    assert kit.tick(T, now=after).done == 0  # answered already: nothing left due
