"""Migration 0004: the unique (tenant, series_id, start_at) index, and duplicates stored before it.

Before 0004 the create_extra race could store several sessions of one series
at one start. The upgrade must not fail with a driver error halfway, nor drop
anyone's session: it stops, lists the pairs, and goes through once they are
resolved. SQLite always; PostgreSQL and MySQL/MariaDB when their URLs are set.
"""

from __future__ import annotations

import os
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy import Engine

from sessionkit.adapters.sqlalchemy import SqlAlchemyStore, drop_schema, upgrade
from sessionkit.adapters.sqlalchemy.mapping import series_values, session_values
from sessionkit.adapters.sqlalchemy.rows import series_table, sessions_table
from sessionkit.errors import DuplicateSession
from sessionkit.testing.contract import TENANT, make_series, make_session

POSTGRES_URL = os.environ.get("SESSIONKIT_TEST_POSTGRES_URL")
MYSQL_URL = os.environ.get("SESSIONKIT_TEST_MYSQL_URL")


@pytest.fixture
def engine(fresh_engine: Engine) -> Engine:
    return fresh_engine


def _at_0003(row: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in row.items() if k not in ("group_key", "title_folded")}


def test_upgrading_over_raced_duplicates_stops_and_lists_them(engine: Engine) -> None:
    drop_schema(engine)
    upgrade(engine, "0003_long_span")
    # What the race left behind: three sessions of series-1 at one start, one at another.
    raced = [
        make_session(f"x{n}", series_id="series-1", is_extra=True, busy=False) for n in range(3)
    ]
    later = make_session("y", series_id="series-1", is_extra=True, busy=False, at=5)
    with engine.begin() as connection:
        # Rows as revision 0003 had them: without the columns later revisions add.
        connection.execute(
            sa.insert(series_table), [_at_0003(series_values(make_series("series-1")))]
        )
        connection.execute(
            sa.insert(sessions_table), [_at_0003(session_values(s)) for s in [*raced, later]]
        )
    with pytest.raises(RuntimeError, match=r"1 \(series, start\) pairs .* 'series-1' .*3 sessions"):
        upgrade(engine)
    with engine.begin() as connection:  # nothing was dropped, nothing was half-done
        stored = connection.execute(sa.select(sa.func.count()).select_from(sessions_table))
        assert stored.scalar_one() == 4
        connection.execute(sa.delete(sessions_table).where(sessions_table.c.id.in_(["x1", "x2"])))
    upgrade(engine)
    store = SqlAlchemyStore(engine)
    with store.unit_of_work() as uow, pytest.raises(DuplicateSession) as caught:
        uow.sessions.add(raced[2])
    assert (caught.value.key, getattr(caught.value.existing, "id", None)) == ("series_start", "x0")
    with store.unit_of_work() as uow:
        assert [s.id for s in uow.sessions.for_series(TENANT, "series-1")] == ["x0", "y"]
