"""Migration 0008 fills ``title_folded`` for the sessions already stored, on every database.

Sessions are written at revision 0007 (without the column), the database is
upgraded, and search then finds "İstanbul", "ΣΊΣΥΦΟΣ" and "ẞ-Straße" by
themselves: more rows than one backfill batch, so the batches are walked too.
Each test gets an empty schema (PostgreSQL), database (MariaDB) or file (``blank_engine``).
"""

from __future__ import annotations

from typing import Any

from alembic import command
from sqlalchemy import Engine, func, inspect, select, text

from sessionkit.adapters.sqlalchemy import SqlAlchemyStore, upgrade
from sessionkit.adapters.sqlalchemy.mapping import session_values
from sessionkit.adapters.sqlalchemy.migrations import alembic_config
from sessionkit.adapters.sqlalchemy.rows import sessions_table
from sessionkit.adapters.sqlalchemy.schema import ExactText
from sessionkit.model import SessionQuery
from sessionkit.testing.contract import TENANT, make_session

TITLES = ("\u0130stanbul", "\u03a3\u038a\u03a3\u03a5\u03a6\u039f\u03a3", "\u1e9e-Stra\u00dfe")
ROWS = 2_100
"""More than two of the migration's batches of 1,000."""


def test_0008_fills_title_folded_and_search_finds_the_titles(blank_engine: Engine) -> None:
    upgrade(blank_engine, "0007_exact_keys")
    rows = []
    for n in range(ROWS):
        values = session_values(
            make_session(f"s{n:05d}", at=n, title=f"{TITLES[n % 3]} ({n})", resources=())
        )
        del values["title_folded"]  # not a column yet
        rows.append(values)
    with blank_engine.begin() as connection:
        connection.execute(sessions_table.insert(), rows)

    upgrade(blank_engine)

    with blank_engine.connect() as connection:
        stored = connection.execute(select(sessions_table.c.title, sessions_table.c.title_folded))
        assert all(folded == title.casefold() for title, folded in stored)
    store = SqlAlchemyStore(blank_engine)
    with store.unit_of_work() as uow:
        for n, title in enumerate(TITLES):
            page = uow.sessions.query(TENANT, SessionQuery(search=f"{title} ({n})", limit=5))
            assert [s.title for s in page.items] == [f"{title} ({n})"]
            everyone = uow.sessions.query(TENANT, SessionQuery(search=title.upper()))
            assert everyone.total == ROWS // 3


def test_0008_stopped_during_the_fill_is_finished_by_running_it_again(
    blank_engine: Engine,
) -> None:
    upgrade(blank_engine, "0007_exact_keys")
    rows = [session_values(make_session(f"s{n}", at=n, title=TITLES[n])) for n in range(3)]
    with blank_engine.begin() as connection:
        connection.execute(sessions_table.insert(), [_without_title_folded(r) for r in rows])
    # What a run stopped during the fill left on MySQL/MariaDB, where the ALTER TABLE
    # committed on its own: the column made, one row filled, the revision still 0007.
    with blank_engine.begin() as connection:
        kind = ExactText.compile(dialect=connection.dialect)
        connection.execute(text(f"ALTER TABLE sessionkit_sessions ADD title_folded {kind}"))
        connection.execute(
            sessions_table.update()
            .where(sessions_table.c.id == "s0")
            .values(title_folded=TITLES[0].casefold())
        )

    upgrade(blank_engine)  # failed: duplicate column title_folded, at every later run too

    with blank_engine.connect() as connection:
        stored = connection.execute(
            select(sessions_table.c.title, sessions_table.c.title_folded).order_by(
                sessions_table.c.id
            )
        ).all()
    assert stored == [(title, title.casefold()) for title in TITLES]


def _without_title_folded(values: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in values.items() if k != "title_folded"}


def test_0008_downgrades_and_upgrades_again(blank_engine: Engine) -> None:
    upgrade(blank_engine)
    with blank_engine.begin() as connection:
        connection.execute(sessions_table.insert(), [session_values(make_session("a"))])
    command.downgrade(alembic_config(blank_engine), "0007_exact_keys")
    columns = {c["name"] for c in inspect(blank_engine).get_columns("sessionkit_sessions")}
    assert "title_folded" not in columns
    upgrade(blank_engine)
    with blank_engine.connect() as connection:
        count = connection.execute(
            select(func.count()).where(sessions_table.c.title_folded == "a")
        ).scalar()
    assert count == 1
