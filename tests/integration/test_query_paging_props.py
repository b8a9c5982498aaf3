"""Session queries and booking reads page alike on SQLite, PostgreSQL and MariaDB as in memory.

The in-memory store is the oracle. Drawn sessions tie on every sort key (start,
times with microseconds in other offsets, titles and groups that differ only by
case or a trailing space, statuses, resources differing by case or kind);
drawn queries take a few of the filters (statuses, resources, search, group,
series, own fields, a start window) with orders of one to three keys. Each query is
read to its end by cursor and by offset page, with small limits so that page
boundaries fall inside ties: both walks, and every page's total, equal the
memory store's. Drawn bookings (case-distinct ids and participants, positions,
holds, ties on creation) are read by ``for_session`` and ``for_participant``
in keyset pages, and counted by ``seats_taken`` and ``bookable``. Engines as
in ``conftest.py``, emptied per example.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta, timezone
from typing import Any, TypeVar

import attrs
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine

from sessionkit.adapters.memory import InMemoryStore
from sessionkit.adapters.sqlalchemy import SqlAlchemyStore
from sessionkit.adapters.sqlalchemy.testing import clear_tables
from sessionkit.errors import AlreadyBooked, CapacityExceeded
from sessionkit.model.booking import BOOKING_STATUSES, HELD, OFFERED, WAITLISTED, Booking
from sessionkit.model.query import SORT_FIELDS, SessionQuery
from sessionkit.model.session import ResourceRef, Session
from sessionkit.ports import BOOKINGS, UnitOfWorkFactory
from sessionkit.testing.contract import T0, TENANT, make_series, make_session
from sessionkit.testing.contract._booking_support import at_hours, make_booking
from sessionkit.timespan import TimeSpan

T = TypeVar("T")

_TITLES = ["a", "A", "a ", "b", "B", "é", "É", "", "ß", "SS", "x%y", "x_y", "a\\b"]
_STATUSES = ["SCHEDULED", "Scheduled", "CANCELED", "FINISHED"]
_GROUPS = [None, "g", "G", "g ", "h"]
_RESOURCES = [
    ResourceRef("teacher", "ana"),
    ResourceRef("teacher", "Ana"),
    ResourceRef("room", "ana"),
    ResourceRef("room", "r1"),
]
_FIELDS: list[dict[str, Any] | None] = [None, {"n": 1}, {"n": "1"}, {"n": True}, {"k": "v"}]
_FILTERS: list[dict[str, Any]] = [{"n": 1}, {"n": "1"}, {"n": [1, True]}]
_PEOPLE = ["student:ana", "student:Ana", "tutor:ana", "student:bo"]


@st.composite
def _sessions(draw: st.DrawFn) -> list[Session]:
    made: dict[str, Session] = {}
    series_starts: set[float] = set()
    for n in range(draw(st.integers(0, 14))):
        offset = timezone(timedelta(hours=draw(st.sampled_from([0, 5, -7]))))
        micro = timedelta(microseconds=draw(st.sampled_from([0, 1, 999_999])))
        at = draw(st.sampled_from([-1, 0, 0, 1, 2.5]))
        series_id = draw(st.sampled_from([None, None, "series-1"]))
        if at in series_starts:
            series_id = None  # a series has one session per start
        session = make_session(
            f"{draw(st.sampled_from(['s', 'S', 't']))}{n % 4}",
            at=at,
            hours=draw(st.sampled_from([1, 2])),
            created=-float(draw(st.integers(0, 2))),
            updated=draw(st.sampled_from([None, -1.0, 0.0])),
            resources=draw(st.lists(st.sampled_from(_RESOURCES), max_size=2, unique=True)),
            busy=False,
            title=draw(st.sampled_from(_TITLES)),
            status=draw(st.sampled_from(_STATUSES)),
            series_id=series_id,
            is_extra=True,
            metadata=draw(st.sampled_from(_FIELDS)),
        )
        updated = session.updated_at
        if session.id in made:
            continue
        if series_id is not None:
            series_starts.add(at)
        made[session.id] = attrs.evolve(
            session,
            span=TimeSpan(session.start + micro, session.end),
            created_at=(session.created_at + micro).astimezone(offset),
            updated_at=None if updated is None else (updated + micro).astimezone(offset),
            group=draw(st.sampled_from(_GROUPS)),
            capacity=draw(st.integers(1, 4)),
        )
    return list(made.values())


def _maybe(draw: st.DrawFn, strategy: st.SearchStrategy[T]) -> T | None:
    """A filter in one query of four: with several at once, most queries would find nothing."""
    return draw(strategy) if draw(st.integers(0, 3)) == 0 else None


@st.composite
def _queries(draw: st.DrawFn) -> SessionQuery:
    start_from = _maybe(draw, st.sampled_from([-1, 0, 1, 2.5]).map(at_hours))
    start_to = None
    if start_from is not None:
        start_to = _maybe(
            draw, st.sampled_from([0, 1, 3]).map(lambda h: start_from + timedelta(hours=h))
        )
    fields = draw(st.lists(st.sampled_from(SORT_FIELDS), min_size=1, max_size=3, unique=True))
    return SessionQuery(
        statuses=_maybe(draw, st.lists(st.sampled_from(_STATUSES), min_size=1, max_size=2)),
        resources=_maybe(draw, st.lists(st.sampled_from(_RESOURCES), min_size=1, max_size=2)),
        search=_maybe(draw, st.sampled_from(["a", "A", "É", "ss", "%", "_", "\\", " "])),
        group=_maybe(draw, st.sampled_from(["g", "G", "g "])),
        series_id=_maybe(draw, st.just("series-1")),
        fields=_maybe(draw, st.sampled_from(_FILTERS)),
        start_from=start_from,
        start_to=start_to,
        order=[(field, draw(st.sampled_from(["asc", "desc"]))) for field in fields],
        limit=draw(st.integers(1, 4)),
    )


@st.composite
def _bookings(draw: st.DrawFn, sessions: list[Session]) -> list[Booking]:
    made: dict[str, Booking] = {}
    for n in range(draw(st.integers(0, 12)) if sessions else 0):
        session = draw(st.sampled_from(sessions))
        status = draw(st.sampled_from(sorted(BOOKING_STATUSES)))
        booking = make_booking(
            f"{draw(st.sampled_from(['b', 'B', 'c']))}{n % 3}",
            session_id=session.id,
            participant=draw(st.sampled_from(_PEOPLE)),
            status=status,
            hold_until=draw(st.sampled_from([-1, 1])) if status in (HELD, OFFERED) else None,
            created=-float(draw(st.sampled_from([10, 20]))),
            position=draw(st.integers(1, 3)) if status == WAITLISTED else None,
            at=(session.start - T0).total_seconds() / 3600,
        )
        made.setdefault(booking.id, attrs.evolve(booking, session_end=session.end))
    return list(made.values())


def _stored(engine: Engine | None, sessions: list[Session]) -> UnitOfWorkFactory:
    store: UnitOfWorkFactory = InMemoryStore().unit_of_work
    if engine is not None:
        clear_tables(engine)
        store = SqlAlchemyStore(engine).unit_of_work
    with store() as uow:
        uow.series.add(make_series("series-1"))
        uow.sessions.add_many(sessions)
        uow.commit()
    return store


def _kept(store: UnitOfWorkFactory, bookings: list[Booking]) -> list[str]:
    """Store the bookings one by one; return the ids stored (the others broke a seat rule)."""
    kept = []
    for booking in bookings:
        try:
            with store() as uow:
                uow.repository(BOOKINGS).add(booking)
                uow.commit()
        except (CapacityExceeded, AlreadyBooked):
            continue
        kept.append(booking.id)
    return kept


def _walks(store: UnitOfWorkFactory, query: SessionQuery) -> tuple[list[str], list[str], set[int]]:
    """Every id by cursor and by offset page, and the totals the pages gave."""
    by_cursor: list[str] = []
    totals: set[int] = set()
    after = None
    with store() as uow:
        for _ in range(30):
            page = uow.sessions.query(TENANT, attrs.evolve(query, after=after))
            by_cursor += [s.id for s in page.items]
            totals.add(page.total)
            after = page.next_cursor
            if after is None:
                break
        by_offset: list[str] = []
        for number in range(1, 30):
            page = uow.sessions.query(TENANT, attrs.evolve(query, page=number))
            by_offset += [s.id for s in page.items]
            totals.add(page.total)
            if number >= page.pages:
                break
    return by_cursor, by_offset, totals


def _pages(read: Callable[[Any], list[Booking]], cursor: Callable[[Booking], Any]) -> list[str]:
    found: list[str] = []
    after = None
    for _ in range(30):
        page = read(after)
        if not page:
            break
        found += [b.id for b in page]
        after = cursor(page[-1])
    return found


def _booking_reads(store: UnitOfWorkFactory, sessions: list[Session], limit: int) -> list[Any]:
    ids = [s.id for s in sessions]
    window = TimeSpan(at_hours(-2), at_hours(4))
    with store() as uow:
        repo = uow.repository(BOOKINGS)

        def of_session(session_id: str) -> list[str]:
            return _pages(
                lambda after: repo.for_session(TENANT, session_id, after=after, limit=limit),
                lambda booking: booking.session_order,
            )

        def of_participant(who: str) -> list[str]:
            ref = ResourceRef.parse(who)
            return _pages(
                lambda after: repo.for_participant(
                    TENANT, ref, window=window, after=after, limit=limit
                ),
                lambda booking: (booking.session_start, booking.id),
            )

        return [
            *(of_session(i) for i in ids),
            *(of_participant(who) for who in _PEOPLE),
            *(repo.seats_taken(TENANT, ids, at=at_hours(h)) for h in (-3, -1, 0.5)),
            repo.counts(TENANT, ids, statuses=[WAITLISTED]),
            repo.bookable(TENANT, window=window, at=at_hours(-3), limit=limit),
        ]


@settings(max_examples=25, deadline=None)
@given(data=st.data(), sessions=_sessions())
def test_queries_page_as_the_memory_store_does(
    every_store: Engine | None, data: st.DataObject, sessions: list[Session]
) -> None:
    memory = _stored(None, sessions)
    store = _stored(every_store, sessions)
    for _ in range(6):
        query = data.draw(_queries())
        expected = _walks(memory, query)
        by_cursor, by_offset, totals = expected
        assert by_cursor == by_offset
        assert totals == {len(by_cursor)}
        assert _walks(store, query) == expected, query


@settings(max_examples=25, deadline=None)
@given(data=st.data(), sessions=_sessions())
def test_booking_reads_page_as_the_memory_store_does(
    every_store: Engine | None, data: st.DataObject, sessions: list[Session]
) -> None:
    sessions = [attrs.evolve(s, busy=True, resources=()) for s in sessions]
    bookings = data.draw(_bookings(sessions))
    memory = _stored(None, sessions)
    store = _stored(every_store, sessions)
    assert _kept(store, bookings) == _kept(memory, bookings)
    limit = data.draw(st.integers(1, 3))
    assert _booking_reads(store, sessions, limit) == _booking_reads(memory, sessions, limit)
