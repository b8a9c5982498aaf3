"""Booking a session silence moved, after its old start, before the tick answered the request.

A reschedule request's silence moves its session at the request's deadline,
whether or not the tick has answered it: ``cancel`` and
``kit.reschedules.options`` judge the session where it moved. ``book`` and
``can_book`` refused it as ``in_the_past``, judged on the old start. Now a
refusal first answers an overdue request (only a refusal: a booking that
passes reads no request), and the booking is judged, and made, at the new time.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from sessionkit.errors import BookingRefused
from sessionkit.model.events import SessionUpdated
from sessionkit.policies import coaching_notice
from sessionkit.testing.clocks import RecordingPublisher

from ._store_support import STORES, kit_on
from .test_expiry_overdue_reads import pending_reads
from .test_moved_by_silence_waitlist import MOVED, NOW, RULES, START, T, asked

AFTER = START + timedelta(minutes=30)  # the old start passed, the request unanswered


@pytest.mark.parametrize("store", sorted(STORES))
def test_a_session_silence_moved_is_booked_at_its_new_time(store: str) -> None:
    events = RecordingPublisher()
    kit = kit_on(STORES[store](events), NOW, notice=coaching_notice(), booking_rules=RULES)
    request = asked(kit, 2)
    session_id = request.session_id
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
    request = asked(kit, 2, None)  # no time proposed: silence lets it expire
    session_id = request.session_id
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
    kit = kit_on(STORES["memory"](RecordingPublisher()), NOW, notice=coaching_notice())
    session_id = asked(kit, 2).session_id
    reads = pending_reads(monkeypatch)
    kit.bookings.book(T, session_id, "student:dan", actor="dan", now=NOW + timedelta(hours=1))
    assert reads == []
    kit.bookings.book(T, session_id, "student:eva", actor="eva", now=AFTER)
    assert reads == [session_id]
