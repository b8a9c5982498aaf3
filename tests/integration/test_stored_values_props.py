"""What a store accepts it reads back unchanged: series with their recurrences, and sessions.

Recurrences start anywhere in years 2 to 9998 (years before 1000 used to be
stored as text that reads back as another year, or not at all), with
durations of whole seconds up to a year, COUNT or UNTIL (a fraction of a
second on UNTIL is cut by ``from_rrule``, the rest are whole seconds by
construction), EXDATEs and RDATEs; sessions span microseconds anywhere in
years 1 to 9999. Each example is written through a unit of work and read
back through another, on memory, SQLite, PostgreSQL and MariaDB (engines as
in ``conftest.py``, emptied per example).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine

from sessionkit import SessionKit
from sessionkit.adapters.memory import InMemoryStore
from sessionkit.adapters.sqlalchemy import SqlAlchemyStore
from sessionkit.adapters.sqlalchemy.testing import clear_tables
from sessionkit.model import ResourceRef, ScheduleItem, Series, Session, WindowPolicy
from sessionkit.ports import UnitOfWorkFactory
from sessionkit.recurrence import Recurrence, Rule
from sessionkit.testing.clocks import ManualClock
from sessionkit.timespan import TimeSpan

ZONES = ("UTC", "Europe/Berlin", "America/New_York", "Pacific/Chatham", "Australia/Lord_Howe")
FREQUENCIES = ("YEARLY", "MONTHLY", "WEEKLY", "DAILY", "HOURLY")
NOW = datetime(2026, 3, 2, 8, tzinfo=UTC)


def _store(engine: Engine | None) -> UnitOfWorkFactory:
    if engine is None:
        return InMemoryStore().unit_of_work
    clear_tables(engine)
    return SqlAlchemyStore(engine).unit_of_work


_whole_seconds = st.integers(0, 10**6).map(lambda n: timedelta(seconds=n))


@st.composite
def recurrences(draw: st.DrawFn) -> Recurrence:
    """A recurrence whose every part is storable, in years 2 to 9998."""
    tz = draw(st.sampled_from(ZONES))
    start = draw(st.datetimes(min_value=datetime(2, 1, 1), max_value=datetime(9998, 1, 1)))
    start = start.replace(microsecond=0)
    anchor = start.replace(tzinfo=UTC)
    ending = draw(st.sampled_from(["none", "count", "until"]))
    until = None
    if ending == "until":
        until = anchor + timedelta(
            days=draw(st.integers(0, 300)), microseconds=draw(st.integers(0, 10**6 - 1))
        )
    rule = Rule(
        freq=draw(st.sampled_from(FREQUENCIES)),
        interval=draw(st.integers(1, 5)),
        count=draw(st.integers(1, 50)) if ending == "count" else None,
        until=until,
    )
    exdates = draw(
        st.lists(
            st.one_of(
                _whole_seconds.map(lambda d: anchor + d),
                st.integers(0, 300).map(lambda n: start.date() + timedelta(days=n)),
            ),
            max_size=3,
        )
    )
    rdates = draw(st.lists(_whole_seconds.map(lambda d: anchor + d), max_size=3))
    return Recurrence.from_rrule(
        rule,
        start=start,
        tz=tz,
        duration=timedelta(seconds=draw(st.integers(1, 366 * 86_400))),
        exdates=exdates,
        rdates=rdates,
        disambiguate=draw(st.sampled_from(["compatible", "earlier", "later", "skip"])),
    )


STORABLE = st.characters(exclude_categories=["Cs"], exclude_characters="\x00")


@st.composite
def series_values(draw: st.DrawFn) -> Series:
    count = draw(st.integers(1, 3))
    items = [
        ScheduleItem(
            f"i{n}",
            draw(recurrences()),
            [ResourceRef("room", f"r{n}")],
            # Item titles of storable text: no NUL (PostgreSQL text cannot hold it; refusing
            # it up front is the input-validation layer's) and no lone surrogates.
            draw(st.one_of(st.none(), st.text(STORABLE, max_size=20))),
        )
        for n in range(count)
    ]
    return Series(
        id="s1",
        tenant="acme",
        title="stored",
        items=items,
        lifecycle="lms",
        created_at=NOW,
        window=WindowPolicy(
            draw(st.integers(1, 24)), timedelta(microseconds=draw(st.integers(1, 10**12)))
        ),
    )


@st.composite
def sessions(draw: st.DrawFn) -> Session:
    start = draw(st.datetimes(min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 1)))
    length = timedelta(microseconds=draw(st.integers(1, 10**12)))
    key = draw(st.one_of(st.none(), st.datetimes(min_value=datetime(1, 1, 2))))
    return Session(
        id="x",
        tenant="acme",
        title="stored",
        span=TimeSpan(start.replace(tzinfo=UTC), start.replace(tzinfo=UTC) + length),
        tz="Europe/Berlin",
        status="SCHEDULED",
        lifecycle="lms",
        busy=True,
        created_at=NOW,
        resources=("room:a",),
        series_id=None if key is None else "s1",
        schedule_item_id=None if key is None else "i0",
        occurrence_key=key,
        is_extra=key is None,
    )


@settings(max_examples=40, deadline=None)
@given(series=series_values(), session=sessions())
def test_a_stored_series_and_session_read_back_equal(
    every_store: Engine | None, series: Series, session: Session
) -> None:
    store = _store(every_store)
    with store() as uow:
        uow.series.add(series)
        uow.sessions.add(session)
        uow.commit()
    with store() as uow:
        series_back = uow.series.get("acme", "s1")
        session_back = uow.sessions.get("acme", "x")
    assert series_back == series
    for mine, theirs in zip(series.items, series_back.items, strict=True):
        assert theirs.recurrence.to_ical_lines() == mine.recurrence.to_ical_lines()
    assert session_back == session


def test_a_recurrence_of_year_99_leaves_top_up_working_for_everyone(
    every_store: Engine | None,
) -> None:
    """Stored as unreadable text, the year-99 series failed every later top_up(None)."""
    kit = SessionKit(uow=_store(every_store), clock=ManualClock(NOW))
    for tenant, year in (("old", 99), ("older", 999), ("acme", 2026)):
        weekly = Recurrence.weekly(
            days=("MO",),
            at=time(9),
            duration=timedelta(hours=1),
            tz="Europe/Berlin",
            start=date(year, 1, 1),
        )
        kit.series.create(
            tenant,
            actor="t",
            title=str(year),
            items=[ScheduleItem("i", weekly, [])],
            window=WindowPolicy(1),
            series_id=f"s{year}",
        )
        stored = kit.queries.get_series(tenant, f"s{year}")
        assert stored.items[0].recurrence.start.year == year
    report = kit.top_up(None, now=NOW + timedelta(days=60))
    assert report.failed == ()
    for tenant in ("old", "older", "acme"):
        assert kit.queries.list(tenant).total > 4
