"""The in-memory and SQLite stores agree on random booking commands (a differential test).

Two kits, one per store, share a clock and draw ids from two identical
counters, so every command is sent to both exactly alike: booking (1 to 3
seats, held or confirmed, with or without the waitlist, with idempotency keys
replayed and reused for another request), confirm, cancel, the expiry job in
small batches, clock steps small and past the sessions' starts, and a
session's cancel, move or new capacity, and the host's own admin writing a
capacity or a booking to the stores themselves. Both kits must answer alike, the
same value or an error of the same class, message and fields (``rule``,
``allows_at``, ``may_free_at``, ``remaining``, ...), publish the same events,
and then read alike: each session's bookings (whole and paged), free seats,
bookable listing and a newcomer's ``can_book``, each participant's bookings
and agenda, and the booking repositories' own reads (seats taken, seating,
expiring, bookable, counts) at any instant near the sessions. The rules are
drawn per run, from a plain waitlist to per-day limits, a horizon and notice,
and a session released when emptied. Two tenants, and one participant id
under two kinds, keep the stores' keys honest.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from functools import partial
from operator import attrgetter
from typing import Any

import attrs
import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)
from sqlalchemy import Engine, create_engine
from sqlalchemy.pool import StaticPool

from sessionkit.adapters.memory import InMemoryStore
from sessionkit.adapters.sqlalchemy import SqlAlchemyStore, create_schema
from sessionkit.adapters.sqlalchemy.testing import clear_tables
from sessionkit.model import Session
from sessionkit.model.booking import (
    BOOKING_STATUSES,
    CONFIRMED,
    HELD,
    OFFERED,
    WAITLISTED,
    Booking,
    participant_ref,
)
from sessionkit.policies import BookingRules
from sessionkit.ports import BOOKINGS, UnitOfWork, UnitOfWorkFactory
from sessionkit.services import SessionKit
from sessionkit.testing.clocks import ManualClock, RecordingPublisher
from sessionkit.testing.harness import StaticLinks
from sessionkit.timespan import TimeSpan

T = "acme"
OTHER = "beta"
"""A second tenant, with one session: the expiry job of every tenant reads both."""
NOW = datetime(2026, 3, 2, 8, tzinfo=UTC)
PEOPLE = [*(f"student:p{i}" for i in range(4)), "client:p0"]
"""One id under two kinds: the participant is the pair."""
NEWCOMER = "student:new"
KEYS = [None, None, "k1", "k2", "k3"]
SESSIONS = (
    (T, timedelta(hours=3), 1),
    (T, timedelta(hours=6), 2),
    (T, timedelta(hours=10), 3),
    (T, timedelta(hours=30), 2),
    (OTHER, timedelta(hours=3), 2),
)
"""Each session's tenant, start from ``NOW`` and capacity: three on the first day, one the next."""
RULES = {
    "waitlist": BookingRules(
        waitlist=True,
        hold_for=timedelta(minutes=15),
        offer_for=timedelta(minutes=30),
        lock_booked=False,
    ),
    "limits": BookingRules(
        waitlist=True,
        hold_for=timedelta(minutes=20),
        offer_for=timedelta(minutes=10),
        per_day=2,
        max_horizon=timedelta(hours=24),
        min_notice=timedelta(minutes=30),
        lock_booked=False,
    ),
    "emptied": BookingRules(
        waitlist=True,
        hold_for=timedelta(minutes=15),
        offer_for=timedelta(minutes=30),
        lock_booked=False,
        when_emptied="cancel",
    ),
}

metadata = st.dictionaries(
    st.sampled_from(["a", "b", "ü"]),
    st.one_of(
        st.integers(-(2**63), 2**63),
        st.sampled_from([0.5, -0.0, 1e300, "é", "", True, None]),
        st.lists(st.integers(0, 1), max_size=2),
        st.dictionaries(st.sampled_from(["z", "y"]), st.integers(0, 1), max_size=2),
    ),
    max_size=3,
)
"""What a booking request may carry besides its seats, as JSON stores it or not."""

Outcome = tuple[str, Any]
"""``("value", v)`` or ``("error", (class name, message, fields))``."""


def seen(value: Any) -> Any:
    """``value`` with each booking's metadata beside it: a booking's ``==`` leaves it out."""
    if isinstance(value, Booking):
        return (value, value.metadata)
    if isinstance(value, list | tuple):
        return [seen(v) for v in value]
    if isinstance(value, dict):
        return {k: seen(v) for k, v in value.items()}
    return value


def outcome(call: Callable[[], Any]) -> Outcome:
    """Run ``call``; return its value, or its error's class, message and fields."""
    try:
        return ("value", seen(call()))
    except Exception as error:  # noqa: BLE001  # any error at all must match the other store's
        fields = {k: v for k, v in vars(error).items() if not k.startswith("__")}
        return ("error", (type(error).__name__, str(error), fields))


class Parity(RuleBasedStateMachine):
    def __init__(self, engine: Engine) -> None:
        super().__init__()
        clear_tables(engine)
        self.engine = engine
        self.clock = ManualClock(NOW)
        self.kits: list[SessionKit] = []
        self.stores: list[UnitOfWorkFactory] = []
        self.events: list[RecordingPublisher] = []
        self.sessions: list[tuple[str, str]] = []
        self.ids: list[tuple[str, str]] = []
        self.requests: list[dict[str, Any]] = []

    def both(self, call: Callable[[SessionKit], Any]) -> Outcome:
        """Run ``call`` on each kit; assert they answered alike; return the answer."""
        memory, sql = (outcome(partial(call, kit)) for kit in self.kits)
        assert memory == sql
        return memory

    def ask(self, method: str, *args: Any, **kwargs: Any) -> Outcome:
        """Call each kit's ``method`` (``"bookings.book"``) alike; return the one answer."""
        return self.both(lambda kit: attrgetter(method)(kit)(*args, **kwargs))

    @initialize(rules=st.sampled_from(sorted(RULES)))
    def make_kits(self, rules: str) -> None:
        stores = (
            InMemoryStore,
            lambda publisher: SqlAlchemyStore(self.engine, publisher),
        )
        for make in stores:
            events = RecordingPublisher()
            self.stores.append(make(publisher=events).unit_of_work)
            self.kits.append(
                SessionKit(
                    uow=self.stores[-1],
                    clock=self.clock,
                    links=StaticLinks(),
                    ids=partial(next, (f"x{n}" for n in itertools.count(1))),
                    booking_rules=RULES[rules],
                )
            )
            self.events.append(events)
        for tenant, start, capacity in SESSIONS:
            kind, made = self.ask(
                "sessions.create_extra",
                tenant,
                actor="host",
                start=NOW + start,
                end=NOW + start + timedelta(hours=1),
                lifecycle="lms",
                capacity=capacity,
            )
            assert kind == "value", made
            self.sessions.append((tenant, made.id))

    # -- booking commands --------------------------------------------------------------

    def _book(self, request: dict[str, Any]) -> None:
        self.requests.append(request)
        kind, answer = self.both(lambda kit: kit.bookings.book(actor="p", **request))
        made = answer[0] if kind == "value" else None
        if made is not None and (made.tenant, made.id) not in self.ids:
            self.ids.append((made.tenant, made.id))

    @rule(
        which=st.integers(0, len(SESSIONS) - 1),
        people=st.lists(st.sampled_from(PEOPLE), min_size=1, max_size=3),
        seats=st.sampled_from([1, 1, 1, 2, 2, 3]),
        confirm=st.booleans(),
        waitlist=st.booleans(),
        hold_for=st.sampled_from([None, None, timedelta(minutes=5)]),
        key=st.sampled_from(KEYS),
        metadata=st.none() | metadata,
        late=st.sampled_from([0, 0, 0, 5]),
    )
    def book(
        self,
        which: int,
        people: list[str],
        seats: int,
        confirm: bool,
        waitlist: bool,
        hold_for: timedelta | None,
        key: str | None,
        metadata: dict[str, Any] | None,
        late: int,
    ) -> None:
        """Book ``people`` one after the other into one session, all asking alike."""
        tenant, session_id = self.sessions[which]
        for who in people:
            self._book(
                {
                    "tenant": tenant,
                    "session_id": session_id,
                    "participant": who,
                    "seats": seats,
                    "confirm": confirm,
                    "waitlist": waitlist,
                    "hold_for": hold_for,
                    "idempotency_key": key,
                    "metadata": metadata,
                    # A command may be dated: by the clock, or a little earlier than it.
                    "now": self.clock.now() - timedelta(minutes=late) if late else None,
                }
            )

    @precondition(lambda self: bool(self.requests))
    @rule(pick=st.integers(0, 10_000))
    def book_again(self, pick: int) -> None:
        """Send an earlier request once more: a replay with its key, a new booking without."""
        self._book({**self.requests[pick % len(self.requests)], "now": None})

    @precondition(lambda self: bool(self.ids))
    @rule(pick=st.integers(0, 10_000))
    def confirm(self, pick: int) -> None:
        tenant, booking_id = self.ids[pick % len(self.ids)]
        self.both(lambda kit: kit.bookings.confirm(tenant, booking_id, actor="p"))

    @precondition(lambda self: bool(self.ids))
    @rule(pick=st.integers(0, 10_000), role=st.sampled_from(["participant", "admin"]))
    def cancel(self, pick: int, role: str) -> None:
        tenant, booking_id = self.ids[pick % len(self.ids)]
        self.both(lambda kit: kit.bookings.cancel(tenant, booking_id, actor="p", role=role))

    @rule(limit=st.sampled_from([1, 2, 500]), tenant=st.sampled_from([T, None]))
    def expire_due(self, limit: int, tenant: str | None) -> None:
        self.both(lambda kit: kit.bookings.expire_due(tenant, limit=limit))

    # -- the clock and the sessions --------------------------------------------------------

    @rule(
        step=st.one_of(
            st.integers(1, 40).map(lambda minutes: timedelta(minutes=minutes)),
            st.integers(1, 12).map(lambda hours: timedelta(hours=hours)),
            st.integers(1, 10**6).map(lambda micros: timedelta(microseconds=micros)),
        )
    )
    def clock_step(self, step: timedelta) -> None:
        """A few minutes (holds and offers run out), hours (past the sessions' starts), or less."""
        self.clock.advance(step)

    @rule(
        which=st.integers(0, len(SESSIONS) - 1),
        change=st.sampled_from(["cancel", "move", "move", "capacity", "capacity"]),
        hours=st.integers(-4, 4).filter(bool),
        capacity=st.integers(1, 4),
    )
    def change_session(self, which: int, change: str, hours: int, capacity: int) -> None:
        """Cancel the session, move it by ``hours``, or give it a new capacity."""
        tenant, session_id = self.sessions[which]

        def act(kit: SessionKit) -> Session:
            if change == "cancel":
                return kit.sessions.cancel(tenant, session_id, actor="host", reason="ill")
            if change == "capacity":
                return kit.sessions.update(tenant, session_id, actor="host", capacity=capacity)
            start = kit.queries.get(tenant, session_id).start + timedelta(hours=hours)
            return kit.sessions.update(tenant, session_id, actor="host", start=start)

        self.both(act)

    # -- the host's own admin, writing to the stores themselves ---------------------------

    def write(self, change: Callable[[UnitOfWork], Any]) -> Outcome:
        """Commit ``change`` in a unit of work of each store; assert they answered alike."""

        def written(make: UnitOfWorkFactory) -> Any:
            with make() as uow:
                done = change(uow)
                uow.commit()
                return done

        memory, sql = (outcome(partial(written, make)) for make in self.stores)
        assert memory == sql
        return memory

    @rule(which=st.integers(0, len(SESSIONS) - 1), capacity=st.integers(1, 4))
    def admin_sets_capacity(self, which: int, capacity: int) -> None:
        """A new capacity written past the kit: the next write to the session settles it."""
        tenant, session_id = self.sessions[which]

        def change(uow: UnitOfWork) -> Session:
            session = uow.sessions.get(tenant, session_id)
            changed = attrs.evolve(session, capacity=capacity)
            return uow.sessions.update(changed, expected_version=session.version)

        self.write(change)

    @rule(
        which=st.integers(0, len(SESSIONS) - 1),
        who=st.sampled_from(PEOPLE),
        seats=st.integers(1, 3),
        status=st.sampled_from([CONFIRMED, HELD, OFFERED, WAITLISTED]),
        hold=st.integers(-30, 30),
        earlier=st.sampled_from([0, 0, 10, 60]),
    )
    def admin_adds_booking(
        self, which: int, who: str, seats: int, status: str, hold: int, earlier: int
    ) -> None:
        """A booking imported past the kit, dated ``earlier`` minutes ago: the store checks it."""
        tenant, session_id = self.sessions[which]
        booking_id = f"import{len(self.ids)}"
        made = self.clock.now() - timedelta(minutes=earlier)

        def change(uow: UnitOfWork) -> Booking:
            session = uow.sessions.get(tenant, session_id)
            bookings = uow.repository(BOOKINGS)
            booking = Booking(
                id=booking_id,
                tenant=tenant,
                session_id=session_id,
                participant=who,
                seats=seats,
                status=status,
                hold_expires_at=made + timedelta(minutes=hold)
                if status in (HELD, OFFERED)
                else None,
                session_start=session.start,
                session_end=session.end,
                position=bookings.next_position(tenant, session_id)
                if status == WAITLISTED
                else None,
                created_at=made,
            )
            bookings.add(booking)
            return booking

        if self.write(change)[0] == "value":
            self.ids.append((tenant, booking_id))

    # -- what both kits read -------------------------------------------------------------

    @invariant()
    def both_publish_the_same_events(self) -> None:
        if self.events:
            memory, sql = self.events
            assert memory.batches == sql.batches

    @invariant()
    def both_read_alike(self) -> None:
        if not self.kits:
            return
        for tenant, session_id in self.sessions:
            self.ask("queries.get", tenant, session_id)
            self.ask("bookings.for_session", tenant, session_id)
            self.ask("bookings.can_book", tenant, session_id, NEWCOMER)
            self.ask("bookings.remaining_seats", tenant, [session_id])
        for who in PEOPLE:
            self.ask("bookings.for_participant", T, who)
            self.ask("bookings.agenda", T, who, days=1)
        self.ask("bookings.remaining_seats", T, [s for _, s in self.sessions])
        week = {"start": NOW, "end": NOW + timedelta(days=3)}
        for seats in (1, 2):
            self.ask("bookings.bookable", T, **week, seats=seats)
        self.ask("bookings.bookable", T, **week, participant=PEOPLE[0])

    @rule(
        which=st.integers(0, len(SESSIONS) - 1),
        statuses=st.none() | st.sets(st.sampled_from(sorted(BOOKING_STATUSES)), max_size=3),
        limit=st.integers(1, 3),
    )
    def page_the_session(self, which: int, statuses: set[str] | None, limit: int) -> None:
        """Read a session's bookings (in ``statuses``) ``limit`` at a time, to the end."""
        tenant, session_id = self.sessions[which]

        def pages(kit: SessionKit) -> list[list[Booking]]:
            found: list[list[Booking]] = []
            after = None
            while len(found) < 20:
                page = kit.bookings.for_session(
                    tenant, session_id, statuses=statuses, after=after, limit=limit
                )
                found.append(page)
                if len(page) < limit:
                    return found
                after = page[-1].session_order
            return found

        self.both(pages)

    @rule(
        who=st.sampled_from(PEOPLE),
        statuses=st.none() | st.sets(st.sampled_from(sorted(BOOKING_STATUSES)), max_size=3),
        limit=st.integers(1, 3),
        hours=st.tuples(st.integers(0, 40), st.integers(1, 40)),
    )
    def page_the_participant(
        self, who: str, statuses: set[str] | None, limit: int, hours: tuple[int, int]
    ) -> None:
        """Read a participant's bookings of a window (in ``statuses``) ``limit`` at a time."""
        start = NOW + timedelta(hours=hours[0])
        end = start + timedelta(hours=hours[1])

        def pages(kit: SessionKit) -> list[list[Booking]]:
            found: list[list[Booking]] = []
            after = None
            while len(found) < 20:
                page = kit.bookings.for_participant(
                    T, who, start=start, end=end, statuses=statuses, after=after, limit=limit
                )
                found.append(page)
                if len(page) < limit:
                    return found
                after = (page[-1].session_start, page[-1].id)
            return found

        self.both(pages)

    @rule(
        minutes=st.integers(-120, 40 * 60),
        seats=st.integers(1, 3),
        limit=st.integers(1, 4),
        statuses=st.none() | st.sets(st.sampled_from(sorted(BOOKING_STATUSES)), max_size=3),
        who=st.sampled_from(PEOPLE),
    )
    def read_the_stores(
        self, minutes: int, seats: int, limit: int, statuses: set[str] | None, who: str
    ) -> None:
        """The booking repositories' own reads at any instant near the sessions, from the stores."""
        at = NOW + timedelta(minutes=minutes)
        ids = [s for _, s in self.sessions]
        window = TimeSpan(NOW, NOW + timedelta(days=3))
        for n, make in enumerate(self.stores):
            with make() as uow:
                repo = uow.repository(BOOKINGS)
                found = [
                    repo.seats_taken(T, ids, at=at),
                    [repo.seating(T, s, at=at, participant=participant_ref(who)) for s in ids],
                    repo.expiring(None, before=at, limit=limit),
                    repo.expiring(T, before=at, limit=50),
                    repo.bookable(T, window=window, at=at, seats=seats),
                    repo.bookable(T, window=window, at=at, limit=limit),
                    repo.counts(T, ids, statuses=statuses),
                    repo.for_sessions(T, ids, statuses=statuses),
                    [repo.next_position(T, s) for s in ids],
                ]
            if n == 0:
                memory = seen(found)
            else:
                assert memory == seen(found)


@pytest.fixture(scope="module")
def engine() -> Iterator[Engine]:
    """SQLite in memory with sessionkit's tables; each example empties them first."""
    found = create_engine(
        "sqlite://", poolclass=StaticPool, connect_args={"check_same_thread": False}
    )
    create_schema(found)
    yield found
    found.dispose()


def test_memory_and_sqlite_stores_agree(engine: Engine) -> None:
    class OnEngine(Parity):
        def __init__(self) -> None:
            super().__init__(engine)

    # The profile's max_examples (fast or thorough); the steps kept short enough for every commit.
    run_state_machine_as_test(OnEngine, settings=settings(stateful_step_count=30))
