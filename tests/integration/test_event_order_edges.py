"""A command's events against the ``BookingExpired`` of what had run out before it.

docs/bookings.md promises a session's events in the order things happened:
what had run out is expired first, before the other changes of a later
instant. Each test pins a command that published its own change ahead of
an earlier-dated expiry (a session's cancel, a catch-up through a timed
cancel, a booking's cancel, a failed payment, a payment made in time but
told late), on the in-memory store and SQLite.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import create_engine
from sqlalchemy.pool import StaticPool

from sessionkit.adapters.memory import InMemoryStore
from sessionkit.adapters.sqlalchemy import SqlAlchemyStore, create_schema
from sessionkit.demo.marketplace import (
    DEMO_NOW,
    TENANT,
    Marketplace,
    build_marketplace,
    next_slot,
)
from sessionkit.lifecycle import PRESETS, Lifecycle, Status, Timer, Transition
from sessionkit.model import Booking, Session
from sessionkit.model.booking_events import BookingStatusChanged
from sessionkit.model.events import DomainEvent
from sessionkit.policies import BookingRules
from sessionkit.ports import UnitOfWorkFactory
from sessionkit.services import SessionKit
from sessionkit.testing.clocks import ManualClock, RecordingPublisher

T = "acme"
NOW = datetime(2026, 3, 2, 8, tzinfo=UTC)

CLUB = Lifecycle(
    "club",
    statuses=[
        Status("OPEN", initial=True, busy=True, editable=True),
        Status("LOCKED", busy=True),
        Status("DROPPED", terminal=True, cancelled=True),
    ],
    transitions=[
        Transition("lock", "OPEN", "LOCKED", timer=Timer.before_start(timedelta(hours=3))),
        Transition("drop", "LOCKED", "DROPPED", timer=Timer.before_start(timedelta(hours=1))),
    ],
)
"""A club's session: locked three hours before its start, dropped (cancelled) one hour before."""


def _store(store: str, events: RecordingPublisher) -> UnitOfWorkFactory:
    if store == "memory":
        return InMemoryStore(publisher=events).unit_of_work
    engine = create_engine(
        "sqlite://", poolclass=StaticPool, connect_args={"check_same_thread": False}
    )
    create_schema(engine)
    return SqlAlchemyStore(engine, events).unit_of_work


def _told(events: list[DomainEvent]) -> list[tuple[str, str, datetime]]:
    """Each session or booking event as (its type, the booking's participant or '', its instant)."""
    return [
        (
            type(e).__name__,
            str(e.booking.participant) if isinstance(e, BookingStatusChanged) else "",
            e.at,
        )
        for e in events
        if type(e).__name__.startswith(("Booking", "Session"))
    ]


def _two_paying(store: str) -> tuple[Marketplace, RecordingPublisher, str]:
    """The marketplace at 07:19: Ana's unpaid hold ran out at 07:15, Ben's runs to 07:20.

    Returns the marketplace, its events and Ben's payment intent.
    """
    events = RecordingPublisher()
    market = build_marketplace(uow=_store(store, events))
    kit, clock = market.kit, market.clock
    slot = next_slot(kit, "omar-group", DEMO_NOW + timedelta(days=1))
    assert slot is not None
    kit.payments.book(TENANT, slot.id, "student:ana", actor="ana", role="student")
    clock.advance(timedelta(minutes=5))
    ben = kit.payments.book(TENANT, slot.id, "student:ben", actor="ben", role="student")
    clock.advance(timedelta(minutes=14))
    return market, events, ben.payment.intent_ref or ""


@pytest.mark.parametrize("store", ["memory", "sqlite"])
def test_a_payment_paid_in_time_but_told_late_publishes_what_ran_out_before_its_confirm(
    store: str,
) -> None:
    market, events, ben = _two_paying(store)
    kit, gateway, clock = market.kit, market.gateway, market.clock
    assert gateway is not None
    gateway.pay(ben)  # paid in time, at 07:19 ...
    clock.advance(timedelta(minutes=6))  # ... and the provider's notice comes at 07:25
    first = len(events.events)

    for event in gateway.drain():
        kit.payments.apply(TENANT, event)

    told = _told(events.events[first:])
    assert [(kind, who) for kind, who, _ in told] == [
        ("BookingExpired", "student:ana"),
        ("BookingConfirmed", "student:ben"),
    ]
    assert [at for *_, at in told] == sorted(at for *_, at in told)


def _club(store: str, hold_for: timedelta) -> tuple[SessionKit, ManualClock, RecordingPublisher]:
    events = RecordingPublisher()
    clock = ManualClock(NOW)
    kit = SessionKit(
        uow=_store(store, events),
        clock=clock,
        booking_rules=BookingRules(hold_for=hold_for),
        lifecycles=PRESETS.with_lifecycle(CLUB),
    )
    return kit, clock, events


@pytest.mark.parametrize("store", ["memory", "sqlite"])
def test_a_catch_up_through_a_timed_cancel_publishes_each_expiry_after_the_steps_before_it(
    store: str,
) -> None:
    kit, clock, events = _club(store, timedelta(hours=2))
    start = NOW + timedelta(hours=4)  # locked at 09:00, dropped at 11:00
    club = kit.sessions.create_extra(
        T,
        actor="tina",
        title="Chess",
        start=start,
        end=start + timedelta(hours=1),
        resources=["tutor:tina"],
        lifecycle="club",
        capacity=3,
    )
    kit.bookings.book(T, club.id, "student:ana", actor="ana", confirm=True)
    kit.bookings.book(T, club.id, "student:ben", actor="ben")  # held until 10:00
    clock.advance(timedelta(hours=4))  # 12:00: nobody ran the clock's steps meanwhile
    first = len(events.events)

    assert kit.sessions.advance(T, club.id, actor=None).status == "DROPPED"

    told = _told(events.events[first:])
    assert [(kind, who) for kind, who, _ in told] == [
        ("SessionStatusChanged", ""),  # LOCKED at 09:00
        ("BookingExpired", "student:ben"),  # ran out at 10:00
        ("SessionCanceled", ""),  # DROPPED at 11:00
        ("BookingCancelled", "student:ana"),
    ]
    assert [at for *_, at in told] == sorted(at for *_, at in told)


def _kit(store: str, rules: BookingRules) -> tuple[SessionKit, ManualClock, RecordingPublisher]:
    events = RecordingPublisher()
    clock = ManualClock(NOW)
    return SessionKit(uow=_store(store, events), clock=clock, booking_rules=rules), clock, events


def _ana_confirmed_ben_ran_out(
    store: str,
) -> tuple[SessionKit, RecordingPublisher, Session, Booking]:
    """A group of two with Ana's seat confirmed and Ben's hold run out (at 08:15), at 08:20."""
    kit, clock, events = _kit(store, BookingRules(hold_for=timedelta(minutes=15)))
    group = kit.sessions.create_extra(
        T,
        actor="tina",
        title="Algebra",
        start=NOW + timedelta(days=1),
        end=NOW + timedelta(days=1, hours=1),
        resources=["tutor:tina"],
        lifecycle="lms",
        capacity=2,
    )
    ana = kit.bookings.book(T, group.id, "student:ana", actor="ana", confirm=True)
    kit.bookings.book(T, group.id, "student:ben", actor="ben")  # held until 08:15
    clock.advance(timedelta(minutes=20))
    return kit, events, group, ana


@pytest.mark.parametrize("store", ["memory", "sqlite"])
def test_a_cancelled_session_publishes_what_had_run_out_before_its_cancel(store: str) -> None:
    # docs/bookings.md: "A session's events come in the order things happened ... So too when
    # the session is cancelled or moved: what had run out is expired first, in that order,
    # before the cancels, offers and other changes of that instant."
    kit, events, group, _ = _ana_confirmed_ben_ran_out(store)
    first = len(events.events)

    kit.sessions.cancel(T, group.id, actor="tina", reason="tutor ill")

    published = [
        (
            type(e).__name__,
            str(e.booking.participant) if isinstance(e, BookingStatusChanged) else "",
        )
        for e in events.events[first:]
    ]
    assert [e.at for e in events.events[first:]] == sorted(e.at for e in events.events[first:])
    assert published == [
        ("BookingExpired", "student:ben"),
        ("SessionCanceled", ""),
        ("BookingCancelled", "student:ana"),
    ]


@pytest.mark.parametrize("store", ["memory", "sqlite"])
def test_a_booking_cancel_publishes_what_had_run_out_before_it(store: str) -> None:
    kit, events, _, ana = _ana_confirmed_ben_ran_out(store)
    first = len(events.events)

    kit.bookings.cancel(T, ana.id, actor="ana")

    changes = [e for e in events.events[first:] if isinstance(e, BookingStatusChanged)]
    assert [(type(e).__name__, str(e.booking.participant), e.at) for e in changes] == [
        ("BookingExpired", "student:ben", NOW + timedelta(minutes=15)),
        ("BookingCancelled", "student:ana", NOW + timedelta(minutes=20)),
    ]


@pytest.mark.parametrize("store", ["memory", "sqlite"])
def test_a_declined_payment_publishes_what_had_run_out_before_its_cancel(store: str) -> None:
    market, events, ben = _two_paying(store)
    kit, gateway = market.kit, market.gateway
    assert gateway is not None
    first = len(events.events)

    gateway.decline(ben)
    for event in gateway.drain():
        kit.payments.apply(TENANT, event)

    changes = [e for e in events.events[first:] if isinstance(e, BookingStatusChanged)]
    assert [(type(e).__name__, str(e.booking.participant)) for e in changes] == [
        ("BookingExpired", "student:ana"),
        ("BookingCancelled", "student:ben"),
    ]
