"""The marketplace seed's "modification allowed only if no bookings exist" and its cleanup.

Each scenario replays one of the seed's rules on the demo's own platform
(:func:`sessionkit.demo.marketplace.build_marketplace`):

- "Updates: Modification allowed only if no bookings exist": a reschedule
  request moved a booked slot on the tutor's own request left unanswered
  (silence approved it), or a whole group on one student's request. The
  marketplace's rules now say ``reschedule_booked=False``.
- "Cleanup: Expired, unbooked slots are automatically removable": the bulk
  removal took a ``before`` still to come and deleted slots not over yet.
"""

from __future__ import annotations

from contextlib import suppress
from datetime import timedelta

import pytest

from sessionkit.demo.marketplace import DEMO_NOW, TENANT, Marketplace, build_marketplace, next_slot
from sessionkit.errors import InvalidValue, RescheduleRefused, SessionLocked
from sessionkit.model import Session
from sessionkit.model.booking import CONFIRMED
from sessionkit.model.reschedule import RescheduleRequest
from sessionkit.services.payments import Checkout


def first(market: Marketplace, offer: str) -> Session:
    """The offer's first slot from a day after the demo's now."""
    found = next_slot(market.kit, offer, DEMO_NOW + timedelta(days=1))
    assert found is not None
    return found


def paid_seat(market: Marketplace, slot: Session, student: str) -> Checkout:
    """``student`` books ``slot`` and pays; the provider's webhook confirms the seat."""
    assert market.gateway is not None
    made = market.kit.payments.book(
        TENANT, slot.id, f"student:{student}", actor=student, role="student"
    )
    market.gateway.pay(made.payment.intent_ref or "")
    for event in market.gateway.drain():
        market.kit.payments.apply(TENANT, event)
    assert market.kit.bookings.get(TENANT, made.booking.id).status == CONFIRMED
    return made


def asks_a_day_later(
    market: Marketplace, slot: Session, role: str, actor: str, reason: str
) -> RescheduleRequest:
    """``actor`` asks, in ``role``, to move ``slot`` to the same time a day later."""
    return market.kit.reschedules.request(
        TENANT,
        slot.id,
        role=role,
        actor=actor,
        reason=reason,
        proposed_start=slot.start + timedelta(days=1),
    )


# ---------------------------------------------------------------------- booked slots stay put


def test_a_tutors_unanswered_reschedule_request_does_not_move_a_booked_slot() -> None:
    market = build_marketplace(DEMO_NOW)
    kit = market.kit
    one = first(market, "tina-1to1")  # Wed 4 March, 16:00 Berlin
    paid_seat(market, one, "ana")
    # The tutor cannot move the booked slot herself (SessionLocked): she asks instead,
    # and ana, who never answers, has agreed to nothing.
    with suppress(RescheduleRefused, SessionLocked):
        asks_a_day_later(market, one, "provider", "tina", "a dentist appointment that day")
    market.clock.set(one.start - timedelta(minutes=30))  # past any answer's deadline
    kit.tick(TENANT, actor="jobs")
    assert kit.queries.get(TENANT, one.id).start == one.start


def test_one_students_reschedule_does_not_move_a_booked_group_slot() -> None:
    market = build_marketplace(DEMO_NOW)
    kit = market.kit
    group = first(market, "omar-group")  # Fri 6 March, 18:00 Berlin, 3 seats
    paid_seat(market, group, "ana")
    paid_seat(market, group, "ben")
    with suppress(RescheduleRefused, SessionLocked):
        asked = asks_a_day_later(market, group, "student", "ben", "I have an exam that evening")
        kit.reschedules.approve(TENANT, asked.id, role="provider", actor="omar")
    assert kit.queries.get(TENANT, group.id).start == group.start


# ---------------------------------------------------------------------- cleanup


def test_the_bulk_removal_of_expired_slots_keeps_the_ones_not_over_yet() -> None:
    market = build_marketplace(DEMO_NOW, paid=False)
    kit = market.kit
    tomorrow = first(market, "omar-1to1")  # Tue 3 March, 17:00 Berlin, unbooked
    assert tomorrow.end > market.clock.now()
    with suppress(InvalidValue):  # refusing a before still to come keeps the seed's rule too
        kit.bookings.remove_unbooked(TENANT, actor="cleanup", before=DEMO_NOW + timedelta(days=7))
    assert kit.queries.get(TENANT, tomorrow.id).id == tomorrow.id  # SessionNotFound if removed
    assert kit.bookings.can_book(TENANT, tomorrow.id, "student:ana") is None


def test_a_second_booking_after_the_request_keeps_the_group_where_it_is() -> None:
    # Asked while Ana was the group's only student (she and Omar may agree a new time); Ben
    # books before Omar approves: the approval may not move Ben's seat, which agreed to nothing.
    market = build_marketplace(DEMO_NOW)
    kit = market.kit
    group = first(market, "omar-group")
    paid_seat(market, group, "ana")
    asked = asks_a_day_later(market, group, "student", "ana", "a family dinner")
    paid_seat(market, group, "ben")
    with pytest.raises(RescheduleRefused) as refused:
        kit.reschedules.approve(TENANT, asked.id, role="provider", actor="omar")
    assert (refused.value.rule, refused.value.request_id) == ("booked", asked.id)
    assert kit.queries.get(TENANT, group.id).start == group.start


def test_a_late_approve_keeps_a_booked_slot_where_silence_kept_it() -> None:
    # A late approve may only agree with what silence did: it kept the booked slot, so ana's
    # answer after the deadline moves nothing either (with or without the tick run).
    market = build_marketplace(DEMO_NOW)
    kit = market.kit
    one = first(market, "tina-1to1")
    paid_seat(market, one, "ana")
    asked = asks_a_day_later(market, one, "provider", "tina", "a dentist appointment that day")
    market.clock.set(asked.deadline + timedelta(minutes=1))
    with pytest.raises(RescheduleRefused) as refused:
        kit.reschedules.approve(TENANT, asked.id, role="student", actor="ana")
    assert refused.value.rule == "deadline_passed"
    assert "silence does not move a booked session" in str(refused.value)
    assert kit.queries.get(TENANT, one.id).start == one.start
