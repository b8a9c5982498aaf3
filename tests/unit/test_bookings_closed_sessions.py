"""A session in a terminal status takes no bookings, even before its scheduled time.

The lms preset's FINISHED and consulting's COMPLETED are terminal and keep the
session's hour busy; a host may fire FINISHED ahead of the time, and COMPLETED
too with its own consulting lifecycle (the preset's ``complete`` waits for the
start). Such a session took bookings and was listed as bookable, and then its participant
could not cancel (the cancel judged it over, rule ``ended``). Each case runs
on the in-memory store and on SQLite.
"""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import attrs
import pytest

from sessionkit.errors import BookingRefused
from sessionkit.lifecycle import PRESETS
from sessionkit.lifecycle.presets import consulting
from sessionkit.model import Session
from sessionkit.model.booking import CANCELLED, CONFIRMED, EXPIRED, HELD, OFFERED, WAITLISTED
from sessionkit.model.booking_events import BookingExpired
from sessionkit.model.money import Money
from sessionkit.model.payment import REFUNDED
from sessionkit.policies import BookingRules, Rate
from sessionkit.services import SessionKit
from sessionkit.testing.clocks import ManualClock, RecordingPublisher
from sessionkit.testing.payments import FakeGateway

from ._store_support import STORES, StoreMaker

T = "acme"
NOW = datetime(2026, 3, 2, 8, tzinfo=UTC)
START = NOW + timedelta(days=1)
WAITLIST = BookingRules(waitlist=True)


def kit_on(
    store: StoreMaker,
    rules: BookingRules = WAITLIST,
    publisher: RecordingPublisher | None = None,
    **options: Any,
) -> SessionKit:
    counter = itertools.count(1)
    return SessionKit(
        uow=store(publisher or RecordingPublisher()),
        clock=ManualClock(NOW),
        ids=lambda: f"x{next(counter)}",
        booking_rules=rules,
        # A host's consulting that completes a session early: the preset waits for the start.
        lifecycles=PRESETS.with_lifecycle(consulting.replace_transition("complete", guards=[])),
        **options,
    )


def ended(
    kit: SessionKit, lifecycle: str, steps: tuple[str, ...], hour: int = 0, capacity: int = 3
) -> Session:
    session = kit.sessions.create_extra(
        T,
        actor="tina",
        start=START + timedelta(hours=hour),
        end=START + timedelta(hours=hour + 1),
        resources=[f"tutor:{lifecycle}"],
        lifecycle=lifecycle,
        capacity=capacity,
        title=lifecycle,
    )
    for step in steps:
        session = kit.sessions.fire(T, session.id, step, actor="tina")
    return session


CLOSINGS = {"lms": ("start", "finish"), "consulting": ("confirm", "complete")}


@pytest.mark.parametrize("store", STORES.values(), ids=STORES.keys())
@pytest.mark.parametrize("lifecycle", CLOSINGS)
def test_a_session_finished_ahead_of_its_time_takes_no_bookings(
    store: StoreMaker, lifecycle: str
) -> None:
    kit = kit_on(store)
    session = ended(kit, lifecycle, CLOSINGS[lifecycle])
    open_one = ended(kit, lifecycle, (), hour=2)
    assert session.busy  # its hour stays taken
    refusal = kit.bookings.can_book(T, session.id, "student:ana")
    assert refusal is not None
    assert refusal.rule == "not_bookable"
    for waitlist in (False, True):
        with pytest.raises(BookingRefused) as refused:
            kit.bookings.book(T, session.id, "student:ana", actor="ana", waitlist=waitlist)
        assert refused.value.rule == "not_bookable"
        assert session.status in str(refused.value)
    assert kit.bookings.for_session(T, session.id) == []
    assert kit.bookings.remaining_seats(T, [session.id, open_one.id]) == {
        session.id: 0,
        open_one.id: 3,
    }
    listed = kit.bookings.bookable(T, start=NOW, end=NOW + timedelta(days=3))
    assert [b.session_id for b in listed] == [open_one.id]


@pytest.mark.parametrize("store", STORES.values(), ids=STORES.keys())
def test_a_seat_freed_in_a_finished_session_is_offered_to_nobody(store: StoreMaker) -> None:
    kit = kit_on(store)
    session = ended(kit, "lms", ())
    ana = kit.bookings.book(T, session.id, "student:ana", actor="ana", seats=3, confirm=True)
    ben = kit.bookings.book(T, session.id, "student:ben", actor="ben", waitlist=True)
    assert ben.status == WAITLISTED
    kit.sessions.fire(T, session.id, "start", actor="tina")
    kit.sessions.fire(T, session.id, "finish", actor="tina")
    assert kit.bookings.get(T, ben.id).status == EXPIRED  # no seat is ever offered him now
    # A staff write-off of a booking of a session that is over frees no seat for anyone.
    assert kit.bookings.cancel(T, ana.id, actor="tina", role="admin").status == CANCELLED
    assert kit.bookings.get(T, ben.id).status == EXPIRED
    assert kit.bookings.remaining_seats(T, [session.id]) == {session.id: 0}


@pytest.mark.parametrize("store", STORES.values(), ids=STORES.keys())
@pytest.mark.parametrize("lifecycle", CLOSINGS)
def test_a_hold_of_a_session_finished_ahead_of_its_time_is_not_confirmed(
    store: StoreMaker, lifecycle: str
) -> None:
    kit = kit_on(store)
    session = ended(kit, lifecycle, ())
    held = kit.bookings.book(T, session.id, "student:ana", actor="ana")
    assert held.status == HELD
    for step in CLOSINGS[lifecycle]:
        kit.sessions.fire(T, session.id, step, actor="tina")
    # The hold had not run out (15 minutes, a day before the start), but the session is over:
    # no seat is taken in it, as no booking is. It ran out when the session ended.
    with pytest.raises(BookingRefused) as refused:
        kit.bookings.confirm(T, held.id, actor="ana")
    assert refused.value.rule == "not_bookable"
    assert refused.value.allows_at is None
    assert held.id in str(refused.value)
    lapsed = kit.bookings.get(T, held.id)
    assert (lapsed.status, lapsed.hold_expires_at) == (EXPIRED, NOW)


@pytest.mark.parametrize("store", STORES.values(), ids=STORES.keys())
def test_a_waitlist_place_of_a_session_finished_early_leaves_the_limits_and_the_agenda(
    store: StoreMaker,
) -> None:
    # Thursday's lesson, full, with Ana on its waitlist; the host starts and finishes it on Monday.
    publisher = RecordingPublisher()
    kit = kit_on(store, BookingRules(waitlist=True, per_day=1), publisher)
    lesson = ended(kit, "lms", (), hour=72, capacity=1)
    later = ended(kit, "lms", (), hour=75, capacity=1)
    ben = kit.bookings.book(T, lesson.id, "student:ben", actor="ben", confirm=True)
    ana = kit.bookings.book(T, lesson.id, "student:ana", actor="ana", waitlist=True)
    assert ana.status == WAITLISTED
    refusal = kit.bookings.can_book(T, later.id, "student:ana")
    assert refusal is not None
    assert refusal.rule == "per_day"  # her place counts while it waits

    def listed() -> list[str]:
        found = kit.bookings.bookable(
            T, start=NOW, end=NOW + timedelta(days=5), participant="student:ana"
        )
        return [b.session_id for b in found]

    assert listed() == []
    for step in CLOSINGS["lms"]:
        kit.sessions.fire(T, lesson.id, step, actor="tina")
    assert kit.bookings.get(T, ana.id).status == EXPIRED
    assert kit.bookings.get(T, ben.id).status == CONFIRMED  # he took part, or not: it stays
    expired = [e for e in publisher.events if isinstance(e, BookingExpired)]
    assert [(e.booking.id, e.change.transition, e.actor) for e in expired] == [
        (ana.id, "lapse", "tina")
    ]
    assert expired[0].reason is not None
    assert "FINISHED" in expired[0].reason
    assert kit.bookings.agenda(T, "student:ana") == []
    assert listed() == [later.id]
    assert kit.bookings.can_book(T, later.id, "student:ana") is None
    assert kit.bookings.book(T, later.id, "student:ana", actor="ana").status == HELD


@pytest.mark.parametrize("store", STORES.values(), ids=STORES.keys())
@pytest.mark.parametrize("lifecycle", CLOSINGS)
def test_holds_and_offers_of_a_session_finished_early_run_out_with_it(
    store: StoreMaker, lifecycle: str
) -> None:
    publisher = RecordingPublisher()
    kit = kit_on(store, BookingRules(waitlist=True, per_day=1), publisher)
    session = ended(kit, lifecycle, (), capacity=2)
    held = kit.bookings.book(T, session.id, "student:ana", actor="ana")
    ben = kit.bookings.book(T, session.id, "student:ben", actor="ben", confirm=True)
    cy = kit.bookings.book(T, session.id, "student:cy", actor="cy", waitlist=True)
    kit.bookings.cancel(T, ben.id, actor="ben")
    assert [kit.bookings.get(T, b.id).status for b in (held, cy)] == [HELD, OFFERED]
    publisher.events.clear()
    for step in CLOSINGS[lifecycle]:
        kit.sessions.fire(T, session.id, step, actor="tina")
    for booking in (held, cy):
        lapsed = kit.bookings.get(T, booking.id)
        assert (lapsed.status, lapsed.hold_expires_at) == (EXPIRED, NOW)
        with pytest.raises(BookingRefused) as refused:
            kit.bookings.confirm(T, booking.id, actor="ana")
        assert refused.value.rule == "not_bookable"
    expired = [e for e in publisher.events if isinstance(e, BookingExpired)]
    assert sorted((e.booking.id, e.change.transition) for e in expired) == [
        (held.id, "expire"),
        (cy.id, "expire"),
    ]
    # Free of them, each may book another session that day.
    other = ended(kit, lifecycle, (), hour=3)
    for who in ("ana", "cy"):
        assert kit.bookings.agenda(T, f"student:{who}") == []
        assert kit.bookings.book(T, other.id, f"student:{who}", actor=who).status == HELD


@pytest.mark.parametrize("store", STORES.values(), ids=STORES.keys())
@pytest.mark.parametrize("lifecycle", CLOSINGS)
def test_money_for_a_hold_of_a_session_finished_early_is_refunded(
    store: StoreMaker, lifecycle: str
) -> None:
    # As for a hold the expiry job marked (test_services_payments.py): its payment is closed
    # with it, cancelling the intent finds it paid and gives the money back, and the provider's
    # notice of the success is stale. The hold takes no seat in a session that is over.
    gateway = FakeGateway(clock=lambda: NOW)
    kit = kit_on(store, gateway=gateway, pricing=Rate(Money.of(40, "EUR")))
    session = ended(kit, lifecycle, ())
    checkout = kit.payments.book(T, session.id, "student:ana", actor="ana")
    assert checkout.payment is not None
    assert checkout.payment.intent_ref is not None
    assert checkout.booking.status == HELD
    gateway.pay(checkout.payment.intent_ref)  # paid as the host closed the session
    for step in CLOSINGS[lifecycle]:
        kit.sessions.fire(T, session.id, step, actor="tina")
    assert ("cancel", checkout.payment.gateway_key("cancel")) in gateway.calls
    assert [kit.payments.apply(T, e).outcome for e in gateway.drain()] == ["stale", "stale"]
    payment = kit.payments.get(T, checkout.payment.id)
    assert (payment.status, payment.refunded, payment.due) == (REFUNDED, Decimal(40), None)
    assert kit.bookings.get(T, checkout.booking.id).status == EXPIRED
    assert gateway.collected("EUR") == Money.zero("EUR")


@pytest.mark.parametrize("store", STORES.values(), ids=STORES.keys())
def test_money_for_a_hold_left_held_in_a_finished_session_is_refunded(store: StoreMaker) -> None:
    # A session an older sessionkit finished ahead of its time kept its holds HELD: the provider's
    # success lapses it now and gives the money back, as for a hold that ran out.
    gateway = FakeGateway(clock=lambda: NOW)
    kit = kit_on(store, gateway=gateway, pricing=Rate(Money.of(40, "EUR")))
    session = ended(kit, "lms", ())
    checkout = kit.payments.book(T, session.id, "student:ana", actor="ana")
    assert checkout.payment is not None
    assert checkout.payment.intent_ref is not None
    with kit.context.transaction(NOW) as tx:
        old = tx.sessions.get(T, session.id)
        tx.sessions.update(attrs.evolve(old, status="FINISHED"), expected_version=old.version)
    gateway.pay(checkout.payment.intent_ref)
    assert [kit.payments.apply(T, e).outcome for e in gateway.drain()] == ["applied"]
    payment = kit.payments.get(T, checkout.payment.id)
    assert (payment.status, payment.refunded, payment.due) == (REFUNDED, Decimal(40), None)
    lapsed = kit.bookings.get(T, checkout.booking.id)
    assert (lapsed.status, lapsed.hold_expires_at) == (EXPIRED, NOW)
    assert gateway.collected("EUR") == Money.zero("EUR")


@pytest.mark.parametrize("store", STORES.values(), ids=STORES.keys())
@pytest.mark.parametrize("lifecycle", CLOSINGS)
def test_the_agenda_leaves_out_a_session_in_progress_its_host_ended_early(
    store: StoreMaker, lifecycle: str
) -> None:
    # Ana's lesson, at 08:00 for an hour, ended by its host; another tutor's runs on at 08:00.
    kit = kit_on(store)
    lesson = ended(kit, lifecycle, ())
    running = kit.sessions.create_extra(
        T,
        actor="tina",
        start=START,
        end=START + timedelta(hours=1),
        resources=["tutor:other"],
        lifecycle="lms",
        capacity=3,
    )
    later = ended(kit, lifecycle, (), hour=3)
    for session in (lesson, running, later):
        kit.bookings.book(T, session.id, "student:ana", actor="ana", confirm=True)
    at = START + timedelta(minutes=10)  # ten minutes into both, by the clock
    everything = [b.session_id for b in kit.bookings.agenda(T, "student:ana", now=at)]
    assert sorted(everything[:2]) == sorted([lesson.id, running.id])
    assert everything[2:] == [later.id]
    for step in CLOSINGS[lifecycle]:
        kit.sessions.fire(T, lesson.id, step, actor="tina")
    agenda = [b.session_id for b in kit.bookings.agenda(T, "student:ana", now=at)]
    assert agenda == [running.id, later.id]
    assert [b.status for b in kit.bookings.for_session(T, lesson.id)] == [CONFIRMED]  # it stays


@pytest.mark.parametrize("store", STORES.values(), ids=STORES.keys())
@pytest.mark.parametrize("lifecycle", CLOSINGS)
def test_the_agenda_leaves_out_a_session_finished_ahead_of_its_time(
    store: StoreMaker, lifecycle: str
) -> None:
    # Tomorrow's lesson, ended by its host today: over, though the clock has not reached it.
    kit = kit_on(store)
    lesson = ended(kit, lifecycle, ())
    later = ended(kit, lifecycle, (), hour=3)
    for session in (lesson, later):
        kit.bookings.book(T, session.id, "student:ana", actor="ana", confirm=True)
    for step in CLOSINGS[lifecycle]:
        kit.sessions.fire(T, lesson.id, step, actor="tina")
    assert [b.session_id for b in kit.bookings.agenda(T, "student:ana")] == [later.id]


@pytest.mark.parametrize("store", STORES.values(), ids=STORES.keys())
def test_a_hold_stored_past_the_start_runs_out_when_its_session_finishes_after_it(
    store: StoreMaker,
) -> None:
    # Holds stored before a hold was cut at its session's start keep their expiry: one may
    # still be in play when its session finishes after the start, and ends then. So the
    # session's bookings are read at the finish even after the start.
    kit = kit_on(store, BookingRules(waitlist=True, per_day=1))
    session = ended(kit, "lms", ())
    held = kit.bookings.book(T, session.id, "student:ana", actor="ana")
    with kit.context.transaction(NOW) as tx:  # as stored then: running past the start
        old = tx.bookings.get(T, held.id)
        tx.bookings.update(
            attrs.evolve(old, hold_expires_at=START + timedelta(hours=3)),
            expected_version=old.version,
        )
    finished = START + timedelta(minutes=70)
    clock = kit.context.clock
    assert isinstance(clock, ManualClock)
    clock.set(finished)
    for step in CLOSINGS["lms"]:
        kit.sessions.fire(T, session.id, step, actor="tina")
    lapsed = kit.bookings.get(T, held.id)
    assert (lapsed.status, lapsed.hold_expires_at) == (EXPIRED, finished)
    assert kit.bookings.agenda(T, "student:ana") == []
    other = ended(kit, "lms", (), hour=3)  # free of it, Ana may book another session that day
    assert kit.bookings.book(T, other.id, "student:ana", actor="ana").status == HELD


@pytest.mark.parametrize("store", STORES.values(), ids=STORES.keys())
@pytest.mark.parametrize("field", ["status", "lifecycle"])
def test_the_agenda_lists_a_session_whose_status_the_kit_does_not_know(
    store: StoreMaker, field: str
) -> None:
    # A session in a status (or lifecycle) the kit's lifecycles lack, say renamed since, is
    # read by the clock alone: listed, as before the agenda read sessions not yet started.
    # It raised UnknownStatus / UnknownLifecycle, failing the whole agenda.
    kit = kit_on(store)
    lesson = ended(kit, "lms", ())
    later = ended(kit, "lms", (), hour=3)
    for session in (lesson, later):
        kit.bookings.book(T, session.id, "student:ana", actor="ana", confirm=True)
    with kit.context.transaction(NOW) as tx:
        old = tx.sessions.get(T, lesson.id)
        changed = (
            attrs.evolve(old, status="RETIRED")
            if field == "status"
            else attrs.evolve(old, lifecycle="retired")
        )
        tx.sessions.update(changed, expected_version=old.version)
    agenda = kit.bookings.agenda(T, "student:ana")
    assert [b.session_id for b in agenda] == [lesson.id, later.id]
