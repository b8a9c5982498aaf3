"""Conflict checks bounded on both sides: sessions longer than a day, and the 0003 backfill.

The conflict query reads rows of at most ``LONG_SPAN`` by their start and
longer ones (``long_span``) by their end. These tests hold every database to
it at the edges, and check that upgrading a database at revision 0001 marks
the long rows it already holds. SQLite always runs; PostgreSQL and
MySQL/MariaDB when their ``SESSIONKIT_TEST_*_URL`` is set.
"""

from __future__ import annotations

import os
from datetime import timedelta

import attrs
import pytest
import sqlalchemy as sa
from sqlalchemy import Engine

from sessionkit.adapters.sqlalchemy import SqlAlchemyStore, drop_schema, upgrade
from sessionkit.adapters.sqlalchemy.mapping import session_values
from sessionkit.adapters.sqlalchemy.rows import LONG_SPAN, session_resources_table, sessions_table
from sessionkit.adapters.sqlalchemy.testing import postgres_schema
from sessionkit.errors import SessionConflict
from sessionkit.model.session import ResourceRef
from sessionkit.testing.contract import T0, TENANT, make_session
from sessionkit.timespan import TimeSpan

POSTGRES_URL = os.environ.get("SESSIONKIT_TEST_POSTGRES_URL")
MYSQL_URL = os.environ.get("SESSIONKIT_TEST_MYSQL_URL")
ANA = ResourceRef("teacher", "ana")  # make_session's default resource
DAY_HOURS = LONG_SPAN / timedelta(hours=1)


@pytest.fixture
def engine(fresh_engine: Engine) -> Engine:
    return fresh_engine


def _span(at: float, hours: float) -> TimeSpan:
    start = T0 + timedelta(hours=at)
    return TimeSpan(start, start + timedelta(hours=hours))


def _busy(store: SqlAlchemyStore, at: float, hours: float) -> list[str]:
    with store.unit_of_work() as uow:
        found = uow.sessions.busy_overlapping(TENANT, resources=[ANA], span=_span(at, hours))
    return [s.id for s in found]


def test_sessions_of_every_length_are_found_at_their_edges(engine: Engine) -> None:
    store = SqlAlchemyStore(engine)
    week = make_session("week", at=0, hours=7 * 24)  # long: found by its end
    day = make_session("day", at=10 * 24, hours=DAY_HOURS)  # exactly LONG_SPAN: short
    hour = make_session("hour", at=20 * 24, hours=1)
    with store.unit_of_work() as uow:
        uow.sessions.add_many([week, day, hour])
        uow.commit()
    with engine.connect() as connection:
        flags = dict(
            connection.execute(
                sa.select(session_resources_table.c.session_id, session_resources_table.c.long_span)
            ).all()
        )
    assert flags == {"week": True, "day": False, "hour": False}
    # Deep inside the week, far from its start; its last minute; just after it.
    assert _busy(store, 5 * 24, 1) == ["week"]
    assert _busy(store, 7 * 24 - 1 / 60, 1) == ["week"]
    assert _busy(store, 7 * 24, 1) == []
    # The day-long session at its last minute (its start is a whole day back).
    assert _busy(store, 11 * 24 - 1 / 60, 1) == ["day"]
    assert _busy(store, 11 * 24, 1) == []
    assert _busy(store, 10 * 24 - 1, 1) == []
    # One check spanning all three, and the write path refusing a long newcomer.
    assert _busy(store, -1, 21 * 24) == ["week", "day", "hour"]
    with store.unit_of_work() as uow, pytest.raises(SessionConflict) as caught:
        uow.sessions.add(make_session("fortnight", at=6 * 24, hours=15 * 24))
    assert [s.id for s in caught.value.conflicts] == ["week", "day", "hour"]


def test_an_update_that_lengthens_a_session_marks_it_long(engine: Engine) -> None:
    store = SqlAlchemyStore(engine)
    with store.unit_of_work() as uow:
        uow.sessions.add(make_session("s", at=0, hours=1))
        uow.commit()
    with store.unit_of_work() as uow:
        stored = uow.sessions.get(TENANT, "s")
        uow.sessions.update(
            attrs.evolve(stored, span=_span(0, 3 * 24)), expected_version=stored.version
        )
        uow.commit()
    assert _busy(store, 2 * 24, 1) == ["s"]


def test_upgrading_from_0001_backfills_long_span(engine: Engine) -> None:
    drop_schema(engine)
    upgrade(engine, "0001_initial")
    sessions = [
        make_session("week", at=0, hours=7 * 24),
        make_session("day", at=10 * 24, hours=DAY_HOURS),
        make_session("hour", at=20 * 24, hours=1),
    ]
    # The 0001 resource table, without long_span.
    resources = sa.table(
        session_resources_table.name,
        *(sa.column(c.name, c.type) for c in session_resources_table.c if c.name != "long_span"),
    )
    with engine.begin() as connection:
        # The 0001 sessions table, without the group_key of 0005 and the title_folded of 0008.
        rows = [session_values(s) for s in sessions]
        for row in rows:
            del row["group_key"], row["title_folded"]
        connection.execute(sa.insert(sessions_table), rows)
        connection.execute(
            sa.insert(resources),
            [
                {
                    "tenant": s.tenant,
                    "session_id": s.id,
                    "resource": str(ANA),
                    "start_at": s.span.start,
                    "end_at": s.span.end,
                    "busy": True,
                }
                for s in sessions
            ],
        )
    upgrade(engine)
    with engine.connect() as connection:
        flags = dict(
            connection.execute(
                sa.select(session_resources_table.c.session_id, session_resources_table.c.long_span)
            ).all()
        )
    assert flags == {"week": True, "day": False, "hour": False}
    store = SqlAlchemyStore(engine)
    assert _busy(store, 5 * 24, 1) == ["week"]
    assert _busy(store, -1, 21 * 24) == ["week", "day", "hour"]


def test_a_row_hidden_by_a_wrong_long_span_flag_is_still_a_session_conflict() -> None:
    """PostgreSQL: rows written around sessionkit with a wrong flag get SessionConflict, not raw.

    The conflict query trusts ``long_span`` to bound its index ranges; the
    exclusion constraint does not. A week-long row marked short hides from
    the query, the constraint refuses the write, and the refusal is explained
    by asking again without the flag.
    """
    if not POSTGRES_URL:
        pytest.skip("set SESSIONKIT_TEST_POSTGRES_URL to run this on PostgreSQL")
    with postgres_schema(POSTGRES_URL) as engine:
        store = SqlAlchemyStore(engine)
        with store.unit_of_work() as uow:
            uow.sessions.add(make_session("week", at=0, hours=7 * 24))
            uow.commit()
        with engine.begin() as connection:
            connection.execute(
                sa.update(session_resources_table)
                .where(session_resources_table.c.session_id == "week")
                .values(long_span=False)
            )
        late = make_session("late", at=6 * 24, hours=1)  # starts over a day after "week"
        assert _busy(store, 6 * 24, 1) == []  # hidden from the bounded query
        with store.unit_of_work() as uow, pytest.raises(SessionConflict) as caught:
            uow.sessions.add(late)
        assert [s.id for s in caught.value.conflicts] == ["week"]
        assert isinstance(caught.value.__cause__, sa.exc.IntegrityError)
