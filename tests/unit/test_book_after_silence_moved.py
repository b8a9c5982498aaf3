"""Booking a session silence moved, after its old start, before the tick answered the request.

A reschedule request's silence moves its session at the request's deadline,
whether or not the tick has answered it: ``cancel`` and
``kit.reschedules.options`` judge the session where it moved. ``book`` and
``can_book`` refused it as ``in_the_past``, judged on the old start. Now a
refusal first answers an overdue request (only a refusal: a booking that
passes reads no request), and the booking is judged, and made, at the new time.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from sessionkit.adapters.memory._reschedules import InMemoryRescheduleRepository
from sessionkit.errors import BookingRefused
from sessionkit.model import ResourceRef
from sessionkit.model.events import SessionUpdated
from sessionkit.model.reschedule import RescheduleRequest
from sessionkit.policies import BookingRules, coaching_notice
from sessionkit.services import SessionKit
from sessionkit.testing.clocks import RecordingPublisher

from ._store_support import STORES, kit_on

T = "acme"
NOW = datetime(2026, 3, 2, 8, tzinfo=UTC)
START = datetime(2026, 3, 3, 9, tzinfo=UTC)  # the request's deadline is 08:00 that day
MOVED = datetime(2026, 3, 4, 10, tzinfo=UTC)
AFTER = START + timedelta(minutes=30)  # the old start passed, the request unanswered
RULES = BookingRules(hold_for=timedelta(minutes=15))


def _asked(kit: SessionKit, proposed: datetime | None) -> tuple[str, RescheduleRequest]:
    """A session Ana booked and asked to move (to ``proposed``); its id and the request."""
    session = kit.sessions.create_extra(
        T,
        actor="cleo",
        lifecycle="lms",
        start=START,
        end=START + timedelta(hours=1),
        resources=[ResourceRef("coach", "cleo")],
        capacity=2,
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
    return session.id, request


@pytest.mark.parametrize("store", sorted(STORES))
def test_a_session_silence_moved_is_booked_at_its_new_time(store: str) -> None:
    events = RecordingPublisher()
    kit = kit_on(STORES[store](events), NOW, notice=coaching_notice(), booking_rules=RULES)
    session_id, request = _asked(kit, MOVED)
    assert kit.bookings.can_book(T, session_id, "student:dan", now=AFTER) is None
    assert kit.reschedules.get(T, request.id).status == "PENDING"  # can_book wrote nothing
    dan = kit.bookings.book(T, session_id, "student:dan", actor="dan", now=AFTER)
    assert (dan.status, dan.session_start, dan.hold_expires_at) == (
        "HELD",
        MOVED,
        AFTER + RULES.hold_for,
    )
    assert kit.reschedules.get(T, request.id).status == "AUTO_APPROVED"
    assert kit.queries.get(T, session_id).start == MOVED
    moved = events.of_type(SessionUpdated)[-1]
    assert (moved.session.start, moved.old["start"]) == (MOVED, START)
    assert kit.tick(T, now=AFTER).approved == 0  # answered already, once


@pytest.mark.parametrize("store", sorted(STORES))
def test_a_request_silence_let_expire_leaves_the_refusal(store: str) -> None:
    kit = kit_on(STORES[store](RecordingPublisher()), NOW, notice=coaching_notice())
    session_id, request = _asked(kit, None)  # no time proposed: silence lets it expire
    refusal = kit.bookings.can_book(T, session_id, "student:dan", now=AFTER)
    assert refusal is not None
    assert refusal.rule == "in_the_past"
    with pytest.raises(BookingRefused) as refused:
        kit.bookings.book(T, session_id, "student:dan", actor="dan", now=AFTER)
    assert refused.value.rule == "in_the_past"
    # The refusal rolled the answer back with the rest: the tick gives it.
    assert kit.reschedules.get(T, request.id).status == "PENDING"
    assert kit.tick(T, now=AFTER).lapsed == 1


def test_a_booking_that_passes_reads_no_request(monkeypatch: pytest.MonkeyPatch) -> None:
    asked: list[str] = []
    pending_for = InMemoryRescheduleRepository.pending_for

    def counted(
        self: InMemoryRescheduleRepository, tenant: str, session_id: str
    ) -> RescheduleRequest | None:
        asked.append(session_id)
        return pending_for(self, tenant, session_id)

    kit = kit_on(STORES["memory"](RecordingPublisher()), NOW, notice=coaching_notice())
    session_id, _ = _asked(kit, MOVED)
    monkeypatch.setattr(InMemoryRescheduleRepository, "pending_for", counted)
    kit.bookings.book(T, session_id, "student:dan", actor="dan", now=NOW + timedelta(hours=1))
    assert asked == []
    kit.bookings.book(T, session_id, "student:eva", actor="eva", now=AFTER)
    assert asked == [session_id]
