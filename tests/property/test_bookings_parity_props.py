"""The in-memory and SQL stores agree on random booking commands (a differential test).

Two kits, one in memory and one on SQLite (or PostgreSQL, or MariaDB, when
``SESSIONKIT_TEST_POSTGRES_URL`` / ``SESSIONKIT_TEST_MYSQL_URL`` are set: each
in a schema of its own), share a clock and draw ids from two identical
counters, so every command is sent to both exactly alike: booking (1 to 3
seats, held or confirmed, with or without the waitlist, with idempotency keys
replayed and reused for another request, paid through ``kit.payments.book``
with a fake provider each, into a session or a :class:`SessionDraft` the
booking creates), the customer paying or declined at the provider, confirm,
cancel, the expiry job in small batches, clock steps small and past the
sessions' starts, and a session's cancel, move or new capacity, and the host's
own admin writing a capacity or a booking to the stores themselves. Both kits
must answer alike, the same value or an error of the same class, message and
fields (``rule``, ``allows_at``, ``may_free_at``, ``remaining``, ...), publish
the same events, and then read alike: each session's bookings (whole and
paged), free seats, bookable listing and a newcomer's ``can_book``, each
participant's bookings and agenda, each booking's payment, and the booking
repositories' own reads (seats taken, seating, expiring, bookable, counts) at
any instant near the sessions. The rules are drawn per run, from a plain
waitlist to per-day limits, a horizon and notice, and a session released when
emptied. Two tenants, and one participant id under two kinds, keep the stores'
keys honest.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Callable
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
from sqlalchemy import Engine, create_engine, select
from sqlalchemy.pool import StaticPool

from sessionkit.adapters.memory import InMemoryStore
from sessionkit.adapters.sqlalchemy import SqlAlchemyStore, create_schema
from sessionkit.adapters.sqlalchemy.rows import metadata as tables
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
from sessionkit.model.money import Money
from sessionkit.policies import BookingRules, Pricing, Rate
from sessionkit.ports import BOOKINGS, UnitOfWork, UnitOfWorkFactory
from sessionkit.services import SessionDraft, SessionKit
from sessionkit.services.payments import Checkout
from sessionkit.testing.clocks import ManualClock, RecordingPublisher
from sessionkit.testing.harness import StaticLinks
from sessionkit.testing.payments import FakeGateway
from sessionkit.timespan import TimeSpan

T = "acme"
OTHER = "beta"
"""A second tenant, with one session: the expiry job of every tenant reads both."""
NOW = datetime(2026, 3, 2, 8, tzinfo=UTC)
PEOPLE = [*(f"student:p{i}" for i in range(4)), "client:p0"]
"""One id under two kinds: the participant is the pair."""
NEWCOMER = "student:new"
KEYS = [None, None, "k1", "k2", "k3"]
PAID = "paid"
"""The title of a priced session: the others are free."""
RATE = Rate(Money.of("37.5", "EUR"))
PRICED = 5
"""The index of the priced session in ``SESSIONS``."""
SESSIONS = (
    (T, timedelta(hours=3), 1, None),
    (T, timedelta(hours=6), 2, None),
    (T, timedelta(hours=10), 3, None),
    (T, timedelta(hours=30), 2, None),
    (OTHER, timedelta(hours=3), 2, None),
    (T, timedelta(hours=8), 2, PAID),
)
"""Each session's tenant, start from ``NOW``, capacity and title: four on the first day, one the
next; the last is priced."""
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


def draft(hours: int, capacity: int | None, title: str | None, given: str | None) -> SessionDraft:
    """An hour's session starting ``hours`` from ``NOW``, with its ``given`` id or a new one."""
    start = NOW + timedelta(hours=hours)
    return SessionDraft(
        start=start,
        end=start + timedelta(hours=1),
        lifecycle="lms",
        capacity=capacity,
        title=title,
        session_id=given,
    )


drafts = st.builds(
    draft,
    hours=st.integers(1, 20),
    capacity=st.sampled_from([None, 2, 3, 4]),
    title=st.sampled_from([None, None, None, PAID]),
    given=st.sampled_from([None, None, "d1"]),
)
"""A session to create with its first booking: mostly free, a given id taken the second time."""


def pricing(session: Session) -> Pricing | None:
    """The kits' pricing: a session titled ``PAID`` costs ``RATE`` a seat."""
    return RATE if session.title == PAID else None


def state(value: Any) -> Any:
    """``value`` as plain, comparable data, down to every field, slot and metadata entry.

    Dicts and sets come out sorted (their order is not state); lists and tuples keep theirs.
    """
    if attrs.has(type(value)):
        return (type(value).__name__, repr(attrs.asdict(value)))
    if isinstance(value, dict):
        return sorted((repr(state(k)), state(v)) for k, v in value.items())
    if isinstance(value, set | frozenset):
        return sorted(repr(state(v)) for v in value)
    if isinstance(value, list | tuple):
        return [state(v) for v in value]
    slots = [n for c in type(value).__mro__ for n in getattr(c, "__slots__", ())]
    if hasattr(value, "__dict__") or slots:
        fields = {n: getattr(value, n) for n in slots if hasattr(value, n)}
        return (type(value).__name__, state(fields | getattr(value, "__dict__", {})))
    return value


Outcome = tuple[str, Any]
"""``("value", v)`` or ``("error", (class name, message, fields))``."""


def seen(value: Any) -> Any:
    """``value`` with each booking's metadata beside it: a booking's ``==`` leaves it out."""
    if isinstance(value, Booking):
        return (value, value.metadata)
    if isinstance(value, Checkout):
        return (seen(value.booking), value.payment, value.client_secret)
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
        self.gateways: list[FakeGateway] = []
        self.sessions: list[tuple[str, str]] = []
        self.ids: list[tuple[str, str]] = []
        self.requests: list[dict[str, Any]] = []
        self.memory = InMemoryStore()
        self.read_at: tuple[object, ...] | None = None
        """What the reads last checked depended on (see :meth:`reads_depend_on`)."""

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
        for sql in (False, True):
            events = RecordingPublisher()
            self.gateways.append(FakeGateway(clock=self.clock))
            if sql:
                self.stores.append(SqlAlchemyStore(self.engine, events).unit_of_work)
            else:
                self.memory = InMemoryStore(publisher=events)
                self.stores.append(self.memory.unit_of_work)
            self.kits.append(
                SessionKit(
                    uow=self.stores[-1],
                    clock=self.clock,
                    links=StaticLinks(),
                    ids=partial(next, (f"x{n}" for n in itertools.count(1))),
                    booking_rules=RULES[rules],
                    gateway=self.gateways[-1],
                    pricing=pricing,
                )
            )
            self.events.append(events)
        for tenant, start, capacity, title in SESSIONS:
            kind, made = self.ask(
                "sessions.create_extra",
                tenant,
                actor="host",
                start=NOW + start,
                end=NOW + start + timedelta(hours=1),
                lifecycle="lms",
                capacity=capacity,
                title=title,
            )
            assert kind == "value", made
            self.sessions.append((tenant, made.id))

    # -- booking commands --------------------------------------------------------------

    def _book(self, request: dict[str, Any]) -> None:
        """Send ``request`` to ``kit.bookings.book``, or ``kit.payments.book`` when ``paid``."""
        self.requests.append(request)
        args = {k: v for k, v in request.items() if k not in ("paid", "manual")}

        def book(kit: SessionKit) -> Booking | Checkout:
            if request["paid"]:
                return kit.payments.book(actor="p", manual=request["manual"], **args)
            return kit.bookings.book(actor="p", **args)

        kind, answer = self.both(book)
        if kind != "value":
            return
        made = answer[0][0] if request["paid"] else answer[0]
        if (made.tenant, made.id) not in self.ids:
            self.ids.append((made.tenant, made.id))
        if (made.tenant, made.session_id) not in self.sessions:
            self.sessions.append((made.tenant, made.session_id))

    @rule(
        which=st.integers(0, 10_000),
        draft=st.none() | st.none() | drafts,
        paid=st.sampled_from([False, False, True]),
        manual=st.booleans(),
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
        draft: SessionDraft | None,
        paid: bool,
        manual: bool,
        people: list[str],
        seats: int,
        confirm: bool,
        waitlist: bool,
        hold_for: timedelta | None,
        key: str | None,
        metadata: dict[str, Any] | None,
        late: int,
    ) -> None:
        """Book ``people`` one after the other into one session (or draft), all asking alike.

        A paid booking goes to the priced session or a priced draft, and is confirmed at once
        only when ``manual``: a provider's payment confirms it, and the kit refuses to be asked.
        """
        if draft is not None:
            # Drawn from NOW, moved as far as the clock went: a draft in the past is seldom.
            since = self.clock.now() - NOW
            draft = attrs.evolve(
                draft,
                start=draft.start + since,
                end=draft.end + since,
                title=PAID if paid else draft.title,
            )
        tenant, session_id = self.sessions[PRICED if paid else which % len(self.sessions)]
        for who in people:
            self._book(
                {
                    "paid": paid,
                    "manual": manual,
                    "tenant": tenant if draft is None else T,
                    "session_id": draft or session_id,
                    "participant": who,
                    "seats": seats,
                    "confirm": confirm and (manual or not paid),
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

    @precondition(lambda self: bool(self.gateways and self.gateways[0].intents))
    @rule(pick=st.integers(0, 10_000), pays=st.booleans())
    def customer_pays(self, pick: int, pays: bool) -> None:
        """The customer pays (or is declined) at each fake provider; each kit applies the event."""
        refs = [sorted(gateway.intents) for gateway in self.gateways]
        assert refs[0] == refs[1]
        ref = refs[0][pick % len(refs[0])]
        for gateway in self.gateways:
            if pays:
                gateway.pay(ref)
            else:
                gateway.decline(ref)
        memory, sql = (gateway.drain() for gateway in self.gateways)
        assert memory == sql
        tenant = self.gateways[0].intents[ref].metadata["tenant"]
        for event in memory:
            self.ask("payments.apply", tenant, event)

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
        which=st.integers(0, 10_000),
        change=st.sampled_from(["cancel", "move", "move", "capacity", "capacity"]),
        hours=st.integers(-4, 4).filter(bool),
        capacity=st.integers(1, 4),
    )
    def change_session(self, which: int, change: str, hours: int, capacity: int) -> None:
        """Cancel the session, move it by ``hours``, or give it a new capacity."""
        tenant, session_id = self.sessions[which % len(self.sessions)]

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

    @rule(which=st.integers(0, 10_000), capacity=st.integers(1, 4))
    def admin_sets_capacity(self, which: int, capacity: int) -> None:
        """A new capacity written past the kit: the next write to the session settles it."""
        tenant, session_id = self.sessions[which % len(self.sessions)]

        def change(uow: UnitOfWork) -> Session:
            session = uow.sessions.get(tenant, session_id)
            changed = attrs.evolve(session, capacity=capacity)
            return uow.sessions.update(changed, expected_version=session.version)

        self.write(change)

    @rule(
        which=st.integers(0, 10_000),
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
        tenant, session_id = self.sessions[which % len(self.sessions)]
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

    def reads_depend_on(self) -> tuple[object, ...]:
        """Everything :meth:`both_read_alike` reads: the clock, both stores' rows, the ids.

        The memory store's rows and indexes both: the reads go through its indexes, and an
        index left out of step with the rows (a rollback undoing only the rows) must not
        skip the reads that would show it. The same value twice means the reads would
        answer as they did the last time.
        """
        memory = sorted(
            f"{name}:{attrs.asdict(record)!r}"
            for name, table in self.memory._tables.items()  # the whole state, every tenant
            for rows in table.rows.values()
            for record in rows.values()
        )
        indexes = state({name: table.indexes for name, table in self.memory._tables.items()})
        with self.engine.connect() as connection:
            sql = [sorted(map(repr, connection.execute(select(t)))) for t in tables.sorted_tables]
        return (self.clock.now(), memory, indexes, sql, list(self.sessions), list(self.ids))

    @invariant()
    def both_read_alike(self) -> None:
        """Every read of both kits agrees, checked again whenever what they read changed.

        A step that changed neither store nor the clock (a read rule, a refused command,
        an expiry job with nothing due) would get the very answers the last check
        compared; skipping it keeps the test's power and saves most of its time.
        """
        if not self.kits:
            return
        depends_on = self.reads_depend_on()
        if depends_on == self.read_at:
            return
        self.read_at = depends_on
        for tenant, session_id in self.sessions:
            self.ask("queries.get", tenant, session_id)
            self.ask("bookings.for_session", tenant, session_id)
            self.ask("bookings.can_book", tenant, session_id, NEWCOMER)
            self.ask("bookings.remaining_seats", tenant, [session_id])
        for who in PEOPLE:
            self.ask("bookings.for_participant", T, who)
            self.ask("bookings.agenda", T, who, days=1)
        self.ask("bookings.remaining_seats", T, [s for _, s in self.sessions])
        for tenant, booking_id in self.ids:
            self.ask("payments.for_booking", tenant, booking_id)
        week = {"start": NOW, "end": NOW + timedelta(days=3)}
        for seats in (1, 2):
            self.ask("bookings.bookable", T, **week, seats=seats)
        self.ask("bookings.bookable", T, **week, participant=PEOPLE[0])

    @rule(
        which=st.integers(0, 10_000),
        statuses=st.none() | st.sets(st.sampled_from(sorted(BOOKING_STATUSES)), max_size=3),
        limit=st.integers(1, 3),
    )
    def page_the_session(self, which: int, statuses: set[str] | None, limit: int) -> None:
        """Read a session's bookings (in ``statuses``) ``limit`` at a time, to the end."""
        tenant, session_id = self.sessions[which % len(self.sessions)]

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


def test_the_reads_are_checked_again_when_only_a_memory_index_changed() -> None:
    """An index out of step with unchanged rows changes what the reads depend on."""
    engine = create_engine("sqlite://", poolclass=StaticPool)
    create_schema(engine)
    try:
        parity = Parity(engine)
        parity.make_kits(rules=min(RULES))
        parity.book(
            which=0,
            draft=None,
            paid=False,
            manual=False,
            people=[PEOPLE[0]],
            seats=1,
            confirm=True,
            waitlist=False,
            hold_for=None,
            key=None,
            metadata=None,
            late=0,
        )
        before = parity.reads_depend_on()
        assert parity.reads_depend_on() == before
        # The by-session index keeps a stale copy of the one booking; its row is unchanged.
        by_session = vars(parity.memory._tables[BOOKINGS.name].named["session"])["groups"]
        [bookings] = by_session.values()
        [(booking_id, booking)] = bookings.items()
        bookings[booking_id] = attrs.evolve(booking, seats=booking.seats + 1)
        tenant, session_id = parity.sessions[0]
        assert [b.seats for b in parity.kits[0].bookings.for_session(tenant, session_id)] == [2]
        assert parity.reads_depend_on() != before
    finally:
        engine.dispose()


SERVER_EXAMPLES = 12 * (10 if os.environ.get("HYPOTHESIS_PROFILE") == "thorough" else 1)
"""A server's examples: each costs round trips per command and read, so fewer than SQLite's."""


@pytest.mark.parametrize(
    ("dialect", "variable"),
    [
        pytest.param("sqlite", None, id="sqlite"),
        pytest.param("postgresql", "SESSIONKIT_TEST_POSTGRES_URL", id="postgresql"),
        pytest.param("mysql", "SESSIONKIT_TEST_MYSQL_URL", id="mariadb"),
    ],
)
def test_memory_and_sql_stores_agree(
    engines: list[Engine], dialect: str, variable: str | None
) -> None:
    """The in-memory kit and one on ``dialect`` (in a schema of its own on a server) agree."""
    found = [engine for engine in engines if engine.dialect.name == dialect]
    if not found:
        pytest.skip(f"{variable} is not set")

    class OnEngine(Parity):
        def __init__(self) -> None:
            super().__init__(found[0])

    # SQLite takes the profile's max_examples (fast or thorough), a server fewer; the steps
    # kept short enough for every commit.
    steps = settings(stateful_step_count=30)
    if variable is not None:
        steps = settings(steps, max_examples=SERVER_EXAMPLES)
    run_state_machine_as_test(OnEngine, settings=steps)
