"""When held seats may free, on every store alike: a refusal's ``may_free_at``.

The instant is read on the refusal path only (a booking that fits reads no hold), inside the
refused unit of work: the offers its settling made, which the refusal rolls back, are owed to
the waitlist, and free their seats ``offer_for`` after the refusal at the earliest (the next
write makes them again). Memory, SQLite, PostgreSQL and MariaDB give the same answers.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import attrs
import pytest
from sqlalchemy import Engine

from sessionkit import SessionKit
from sessionkit.adapters.memory import InMemoryStore
from sessionkit.adapters.sqlalchemy import SqlAlchemyStore
from sessionkit.adapters.sqlalchemy.testing import clear_tables
from sessionkit.errors import BookingRefused, CapacityExceeded
from sessionkit.model import ResourceRef, Session
from sessionkit.model.booking import CONFIRMED
from sessionkit.policies import BookingRules
from sessionkit.ports import BOOKINGS, UnitOfWorkFactory
from sessionkit.testing.clocks import ManualClock

T = "acme"
NOW = datetime(2026, 3, 2, 8, tzinfo=UTC)
MINUTE = timedelta(minutes=1)
RULES = BookingRules(
    waitlist=True, per_day=1, hold_for=timedelta(minutes=15), offer_for=timedelta(hours=2)
)


def _kit(engine: Engine | None, store: UnitOfWorkFactory | None = None) -> SessionKit:
    """A kit at :data:`NOW` on ``store``, or the memory store, or ``engine``'s tables emptied."""
    if store is None:
        store = _store(engine)
    return SessionKit(uow=store, clock=ManualClock(NOW), booking_rules=RULES)


def _store(engine: Engine | None) -> UnitOfWorkFactory:
    if engine is None:
        return InMemoryStore().unit_of_work
    clear_tables(engine)
    return SqlAlchemyStore(engine).unit_of_work


def _slot(kit: SessionKit, capacity: int, *, day: int = 4, hour: int = 10) -> Session:
    return kit.sessions.create_extra(
        T,
        actor="tina",
        title="Algebra",
        start=datetime(2026, 3, day, hour, tzinfo=UTC),
        end=datetime(2026, 3, day, hour + 1, tzinfo=UTC),
        resources=[ResourceRef("tutor", "tina")],
        lifecycle="lms",
        capacity=capacity,
    )


def _full(kit: SessionKit, session: Session, who: str, *, seats: int, at: datetime) -> object:
    """``who``'s refusal's ``(taken, waiting, may_free_at)``."""
    with pytest.raises(CapacityExceeded) as caught:
        kit.bookings.book(T, session.id, who, actor=None, seats=seats, now=at)
    return caught.value.taken, caught.value.waiting, caught.value.may_free_at


def test_a_refusal_names_when_holds_may_free_the_seats_asked_for(
    every_store: Engine | None,
) -> None:
    kit = _kit(every_store)
    group = _slot(kit, 2)
    kit.bookings.book(T, group.id, "student:ana", actor=None)  # held until 08:15
    kit.bookings.book(T, group.id, "student:ben", actor=None, now=NOW + 5 * MINUTE)  # to 08:20
    at = NOW + 6 * MINUTE
    assert _full(kit, group, "student:cai", seats=1, at=at) == (2, 0, NOW + 15 * MINUTE)
    assert _full(kit, group, "student:cai", seats=2, at=at) == (2, 0, NOW + 20 * MINUTE)
    kit.bookings.book(T, group.id, "student:dan", actor=None, waitlist=True, now=at)
    # dan is owed ana's seat: cai fits only once ben's hold runs out too.
    assert _full(kit, group, "student:cai", seats=1, at=at) == (2, 1, NOW + 20 * MINUTE)


def test_an_offer_the_refusal_rolls_back_is_owed_until_its_claim_ends(
    every_store: Engine | None,
) -> None:
    kit = _kit(every_store)
    single = _slot(kit, 1)
    kit.bookings.book(T, single.id, "student:ana", actor=None)  # held until 08:15
    kit.bookings.book(T, single.id, "student:dan", actor=None, waitlist=True)
    at = NOW + 16 * MINUTE  # ana's seat is offered to dan, then the refusal undoes it
    # The next write offers it again, from 08:16 at the earliest: it may free at 10:16.
    assert _full(kit, single, "student:cai", seats=1, at=at) == (0, 1, at + RULES.offer_for)
    by_who = {str(b.participant): b.status for b in kit.bookings.for_session(T, single.id)}
    assert by_who == {"student:ana": "HELD", "student:dan": "WAITLISTED"}  # as stored before


def test_a_per_day_refusal_names_when_a_counted_place_runs_out(every_store: Engine | None) -> None:
    kit = _kit(every_store)
    morning, evening = _slot(kit, 1, hour=8), _slot(kit, 1, hour=16)
    kit.bookings.book(T, morning.id, "student:ben", actor=None, confirm=True)
    kit.bookings.book(T, morning.id, "student:ana", actor=None, waitlist=True)
    with pytest.raises(BookingRefused) as caught:
        kit.bookings.book(T, evening.id, "student:ana", actor=None)
    assert (caught.value.rule, caught.value.count, caught.value.may_free_at) == (
        "per_day",
        1,
        morning.start,  # a waitlist place runs out as its session starts, unless offered
    )


def _both(kit: SessionKit, session: Session, who: str, *, seats: int = 1, at: datetime) -> object:
    """``can_book``'s and ``book``'s refusals of the same request, same state: rule, may_free_at."""
    answer = kit.bookings.can_book(T, session.id, who, seats=seats, now=at)
    assert answer is not None
    with pytest.raises((CapacityExceeded, BookingRefused)) as caught:
        kit.bookings.book(T, session.id, who, actor=None, seats=seats, now=at)
    error = caught.value
    assert isinstance(error, (CapacityExceeded, BookingRefused))
    rule = error.rule if isinstance(error, BookingRefused) else "capacity"
    return (answer.rule, answer.may_free_at), (rule, error.may_free_at)


def test_can_book_says_when_seats_may_free_as_the_command_does(every_store: Engine | None) -> None:
    kit = _kit(every_store)
    group, single = _slot(kit, 2), _slot(kit, 1, day=5)
    kit.bookings.book(T, group.id, "student:ana", actor=None)  # held until 08:15
    kit.bookings.book(T, group.id, "student:ben", actor=None, now=NOW + 5 * MINUTE)  # to 08:20
    at = NOW + 6 * MINUTE
    held = ("capacity", NOW + 15 * MINUTE)
    assert _both(kit, group, "student:cai", at=at) == (held, held)
    both_held = ("capacity", NOW + 20 * MINUTE)
    assert _both(kit, group, "student:cai", seats=2, at=at) == (both_held, both_held)
    kit.bookings.book(T, group.id, "student:dan", actor=None, waitlist=True, now=at)
    assert _both(kit, group, "student:cai", at=at) == (both_held, both_held)  # dan's first
    kit.bookings.book(T, single.id, "student:eve", actor=None, confirm=True)
    assert _both(kit, single, "student:cai", at=at) == (("capacity", None), ("capacity", None))


def test_can_book_counts_the_offer_its_refusal_rolls_back(every_store: Engine | None) -> None:
    kit = _kit(every_store)
    single = _slot(kit, 1)
    kit.bookings.book(T, single.id, "student:ana", actor=None)  # held until 08:15
    kit.bookings.book(T, single.id, "student:dan", actor=None, waitlist=True)
    at = NOW + 16 * MINUTE  # ana's seat is offered to dan, then each refusal undoes it
    claimed = ("capacity", at + RULES.offer_for)  # unless dan claims it by 10:16
    assert _both(kit, single, "student:cai", at=at) == (claimed, claimed)


def test_can_book_says_when_a_counted_place_may_free_as_the_command_does(
    every_store: Engine | None,
) -> None:
    kit = _kit(every_store)
    morning, evening = _slot(kit, 1, hour=8), _slot(kit, 1, hour=16)
    kit.bookings.book(T, morning.id, "student:ben", actor=None, confirm=True)
    kit.bookings.book(T, morning.id, "student:ana", actor=None, waitlist=True)
    place = ("per_day", morning.start)
    assert _both(kit, evening, "student:ana", at=NOW) == (place, place)
    # ben's confirmed lesson counts for good.
    assert _both(kit, evening, "student:ben", at=NOW) == (("per_day", None), ("per_day", None))


def test_the_stores_own_check_computes_no_instant(every_store: Engine | None) -> None:
    store = _store(every_store)
    kit = _kit(every_store, store)
    single = _slot(kit, 1)
    held = kit.bookings.book(T, single.id, "student:ana", actor=None)  # held until 08:15
    at = NOW + MINUTE
    assert _full(kit, single, "student:cai", seats=1, at=at) == (1, 0, NOW + 15 * MINUTE)
    # The same seat written through the repository alone: the store refuses it, uncomputed.
    written = attrs.evolve(
        held,
        id="written",
        participant=ResourceRef("student", "cai"),
        status=CONFIRMED,
        hold_expires_at=None,
        created_at=at,
    )
    with store() as uow, pytest.raises(CapacityExceeded) as caught:
        uow.repository(BOOKINGS).add(written)
    full = caught.value
    assert (full.taken, full.waiting, full.may_free_at) == (1, 0, None)
    assert "may free" not in str(full)
