"""What a newcomer found using bookings and the marketplace as an app developer would.

Each test pins one thing the docs (README.md, docs/bookings.md,
docs/marketplace.md, docs/availability.md) promised and the code did not do:
a demo rerun at the same instant given with another offset, the order of a
cancel's events against what had run out before it, the argument a bad
``seats`` names, and ``free_slots``' horizon against ``BookingRules``'.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import create_engine
from sqlalchemy.pool import StaticPool

from sessionkit.adapters.memory import InMemoryStore
from sessionkit.adapters.sqlalchemy import SqlAlchemyStore, create_schema
from sessionkit.availability import Availability, free_slots
from sessionkit.demo import marketplace_story
from sessionkit.demo.marketplace import DEMO_NOW, TENANT, build_marketplace, next_slot
from sessionkit.errors import InvalidValue
from sessionkit.model import Booking, Session
from sessionkit.model.booking_events import BookingStatusChanged
from sessionkit.policies import BookingRules
from sessionkit.ports import UnitOfWorkFactory
from sessionkit.services import SessionKit
from sessionkit.testing.clocks import ManualClock, RecordingPublisher
from sessionkit.testing.harness import Harness

T = "acme"
NOW = datetime(2026, 3, 2, 8, tzinfo=UTC)


def test_the_marketplace_demo_says_now_in_utc_for_a_now_given_with_an_offset() -> None:
    # 08:00 at +01:00 is the demo's default instant, 07:00 UTC (Berlin's 08:00).
    berlin_winter = timezone(timedelta(hours=1))
    report = marketplace_story.play(datetime(2026, 3, 2, 8, tzinfo=berlin_winter))
    assert report.splitlines()[0].endswith("now is Mon 2026-03-02 07:00 UTC"), report[:120]


def _bookings_stored(store: InMemoryStore) -> int:
    kit = SessionKit(uow=store.unit_of_work, clock=ManualClock(DEMO_NOW))
    return sum(len(kit.bookings.for_session(TENANT, s.id)) for s in kit.queries.each(TENANT))


def test_a_marketplace_rerun_at_the_same_instant_with_another_offset_writes_nothing_twice() -> None:
    # docs/marketplace.md: "a rerun at the same --now writes nothing twice and prints the same
    # figures". 07:00Z and 08:00+01:00 are one instant (python -m sessionkit demo marketplace
    # --now 2026-03-02T08:00+01:00 on the database a default run made shows the same).
    store = InMemoryStore()
    marketplace_story.play(DEMO_NOW, uow=store.unit_of_work)
    first = _bookings_stored(store)
    again = marketplace_story.play(
        DEMO_NOW.astimezone(timezone(timedelta(hours=1))), uow=store.unit_of_work
    )
    assert _bookings_stored(store) == first
    assert "already played at this --now" in again


def _harness() -> Harness:
    return Harness.in_memory(NOW, booking_rules=BookingRules(waitlist=True))


@pytest.mark.parametrize("seats", [0, -1, 3])
def test_a_bad_seats_value_names_the_argument_as_a_field(seats: int) -> None:
    h = _harness()
    group = h.kit.sessions.create_extra(
        T,
        actor="tina",
        title="Algebra",
        start=NOW + timedelta(days=1),
        end=NOW + timedelta(days=1, hours=1),
        resources=["tutor:tina"],
        lifecycle="lms",
        capacity=2,
    )
    with pytest.raises(InvalidValue) as refused:
        h.kit.bookings.book(T, group.id, "student:ana", actor="ana", seats=seats)
    # The value and what was expected are there; which argument it was is only in the text,
    # so an app (or the problem+json body) cannot attach the error to its field.
    assert refused.value.value == seats
    assert getattr(refused.value, "name", None) == "seats"


def test_free_slots_offers_the_start_the_booking_rules_horizon_allows() -> None:
    horizon = timedelta(weeks=4)
    at_horizon = NOW + horizon
    h = Harness.in_memory(NOW, booking_rules=BookingRules(max_horizon=horizon))
    slot = h.kit.sessions.create_extra(
        T,
        actor="tina",
        title="Last bookable",
        start=at_horizon,
        end=at_horizon + timedelta(hours=1),
        resources=["tutor:tina"],
        lifecycle="lms",
    )
    # The kit takes a booking of a session starting exactly max_horizon ahead, and lists it.
    assert h.kit.bookings.can_book(T, slot.id, "student:ana") is None
    listed = h.kit.bookings.bookable(T, start=NOW, end=at_horizon + timedelta(hours=1))
    assert [b.session_id for b in listed] == [slot.id]
    # docs/availability.md: "the tutoring rules ... at most four weeks ahead, that is
    # now=now, horizon=timedelta(weeks=4)". The same start is not offered as a slot.
    slots = free_slots(
        Availability.always(tz="Europe/Berlin"),
        [],
        window=(at_horizon - timedelta(hours=1), at_horizon + timedelta(hours=1)),
        duration=timedelta(hours=1),
        now=NOW,
        horizon=horizon,
    )
    assert at_horizon in [s.start for s in slots]


def _kit(store: str, rules: BookingRules) -> tuple[SessionKit, ManualClock, RecordingPublisher]:
    events = RecordingPublisher()
    clock = ManualClock(NOW)
    uow: UnitOfWorkFactory
    if store == "memory":
        uow = InMemoryStore(publisher=events).unit_of_work
    else:
        engine = create_engine(
            "sqlite://", poolclass=StaticPool, connect_args={"check_same_thread": False}
        )
        create_schema(engine)
        uow = SqlAlchemyStore(engine, events).unit_of_work
    return SessionKit(uow=uow, clock=clock, booking_rules=rules), clock, events


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


def test_a_declined_payment_publishes_what_had_run_out_before_its_cancel() -> None:
    events = RecordingPublisher()
    market = build_marketplace(uow=InMemoryStore(publisher=events).unit_of_work)
    kit, gateway, clock = market.kit, market.gateway, market.clock
    assert gateway is not None
    slot = next_slot(kit, "omar-group", DEMO_NOW + timedelta(days=1))
    assert slot is not None
    kit.payments.book(TENANT, slot.id, "student:ana", actor="ana", role="student")
    clock.advance(timedelta(minutes=5))
    ben = kit.payments.book(TENANT, slot.id, "student:ben", actor="ben", role="student")
    clock.advance(timedelta(minutes=14))  # Ana's hold ran out at 07:15; Ben's runs to 07:20
    first = len(events.events)

    gateway.decline(ben.payment.intent_ref or "")
    for event in gateway.drain():
        kit.payments.apply(TENANT, event)

    changes = [e for e in events.events[first:] if isinstance(e, BookingStatusChanged)]
    assert [(type(e).__name__, str(e.booking.participant)) for e in changes] == [
        ("BookingExpired", "student:ana"),
        ("BookingCancelled", "student:ben"),
    ]
