"""The tenant's journal and one actor's are index ranges, and migration 0016 makes them so.

``kit.journal.list`` reads ``(tenant, at, seq, id)`` or ``(tenant, actor,
at, seq, id)``: the plans are read from the databases (SQLite's query plan,
analysed; PostgreSQL's with sequential scans and sorts priced out, so the
plan shows what the indexes can serve). On MySQL/MariaDB ``actor`` had its table's
default collation, which folds case in a database made with ``CHARACTER SET
utf8mb4`` alone; 0016 gives it the exact one (an equality in another collation
than its index's is not read from the index), tested in such a database.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from sqlalchemy import Engine, create_engine, event, inspect, text

from sessionkit.adapters.sqlalchemy import SqlAlchemyStore, create_schema, upgrade
from sessionkit.adapters.sqlalchemy._types import exact_collation
from sessionkit.adapters.sqlalchemy.migrations import alembic_config
from sessionkit.ports import JOURNAL, JournalCursor
from sessionkit.testing.contract import T0, TENANT
from sessionkit.testing.contract.journal import make_entry

from .conftest import mysql_database_of, server_database

BEFORE = "0015_exact_statuses"
TENANTS = "ix_sessionkit_journal_tenant_at_seq_id"
ACTORS = "ix_sessionkit_journal_tenant_actor_at_seq_id"
ACTORS_SEEN = ["ana", "Ana", "ana ", "ben"]
ENTRIES = [
    make_entry(f"e{n:03d}", session_id=f"s{n % 7}", minutes=n, actor=ACTORS_SEEN[n % 4])
    for n in range(200)
]
WINDOW = {"since": T0 + timedelta(minutes=20), "before": T0 + timedelta(minutes=150)}
CURSOR: JournalCursor = (T0 + timedelta(minutes=40), 1, "e040")


def _keep(engine: Engine) -> None:
    with SqlAlchemyStore(engine).unit_of_work() as uow:
        uow.repository(JOURNAL).add_many(ENTRIES)
        uow.commit()


def _statement(engine: Engine, **asked: Any) -> tuple[list[str], tuple[str, Any]]:
    """The ids a tenant-wide history read, and the statement and parameters it sent."""
    sent: list[tuple[str, Any]] = []

    def seen(_c: Any, _cursor: Any, statement: str, parameters: Any, *_rest: Any) -> None:
        sent.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", seen)
    try:
        with SqlAlchemyStore(engine).unit_of_work() as uow:
            found = uow.repository(JOURNAL).history(TENANT, limit=10, **asked)
    finally:
        event.remove(engine, "before_cursor_execute", seen)
    [read] = [s for s in sent if "FROM sessionkit_journal" in s[0]]
    return [e.id for e in found], read


READS = [
    ({**WINDOW, "after": CURSOR}, TENANTS),
    # No since: the cursor's at starts the range (the OR that breaks its ties cannot).
    ({"actor": "ana", "before": WINDOW["before"], "after": CURSOR}, ACTORS),
]


@pytest.fixture(params=["sqlite", "postgres"])
def kept(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """A database holding :data:`ENTRIES`: a SQLite file, or a PostgreSQL schema."""
    if request.param == "sqlite":
        engine = create_engine(f"sqlite:///{tmp_path / 'journal.db'}")
        create_schema(engine)
        _keep(engine)
        yield _analysed(engine)
        engine.dispose()
        return
    with server_database("postgres") as engine:
        _keep(engine)
        yield _analysed(engine)


def _analysed(engine: Engine) -> Engine:
    """``engine`` once its statistics are gathered.

    Without them, a tenant looks as selective as an actor (SQLite takes either
    for 10 rows; PostgreSQL, an empty table's, for one): one actor's entries
    may then be read as a range of ``(tenant, at)``, in order too.
    """
    with engine.begin() as connection:
        connection.exec_driver_sql("ANALYZE sessionkit_journal")
    return engine


@pytest.mark.parametrize(("asked", "index"), READS)
def test_the_tenants_journal_is_read_as_one_range_in_order(
    kept: Engine, asked: dict[str, Any], index: str
) -> None:
    found, (statement, parameters) = _statement(kept, **asked)
    assert found == [e.id for e in ENTRIES if _matches(e.id, asked)][:10]
    with kept.connect() as connection:
        if kept.dialect.name == "sqlite":
            query_plan = connection.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters)
            details = [str(row[-1]) for row in query_plan]
            assert [d for d in details if index in d and "at>? AND at<?" in d], details
            assert not [d for d in details if "TEMP B-TREE" in d], details  # the index's order
            return
        for priced_out in ("seqscan", "bitmapscan", "sort"):
            connection.exec_driver_sql(f"SET LOCAL enable_{priced_out} = off")
        lines = connection.exec_driver_sql("EXPLAIN " + statement, parameters)
        plan = [str(row[0]) for row in lines]
    shown = "\n".join(plan)
    assert f"Index Scan using {index}" in shown, shown
    [bounds] = [line for line in plan if "Index Cond" in line]
    assert "at >=" in bounds, shown  # the window and the cursor bound the range
    assert "at <" in bounds, shown
    assert ("actor" in bounds) == ("actor" in asked), shown
    assert "Sort" not in shown, shown


def _matches(entry_id: str, asked: dict[str, Any]) -> bool:
    entry = next(e for e in ENTRIES if e.id == entry_id)
    return (
        asked.get("since", entry.at) <= entry.at < asked["before"]
        and entry.cursor > asked["after"]
        and asked.get("actor", entry.actor) == entry.actor
    )


# ------------------------------------------------------------------ migration 0016


def _default_collation_database() -> Iterator[Engine]:
    # No COLLATE: the server's default for utf8mb4, which folds case (utf8mb4_general_ci).
    with mysql_database_of("utf8mb4", "run against MySQL/MariaDB") as engine:
        yield engine


def _actor_collation(engine: Engine) -> str:
    with engine.connect() as connection:
        found = connection.execute(
            text(
                "SELECT collation_name FROM information_schema.columns WHERE table_schema ="
                " DATABASE() AND table_name = 'sessionkit_journal' AND column_name = 'actor'"
            )
        ).scalar_one()
    assert isinstance(found, str)
    return found


def _indexes(engine: Engine) -> dict[str, list[str]]:
    found = inspect(engine).get_indexes("sessionkit_journal")
    return {str(index["name"]): [str(c) for c in index["column_names"]] for index in found}


def _actors(engine: Engine, actor: str) -> list[str | None]:
    with SqlAlchemyStore(engine).unit_of_work() as uow:
        found = uow.repository(JOURNAL).history(TENANT, actor=actor, limit=1000)
    return sorted({e.actor for e in found}, key=str)


def _rows(engine: Engine) -> list[Any]:
    with engine.connect() as connection:
        return list(connection.execute(text("SELECT * FROM sessionkit_journal ORDER BY id")))


def test_0016_makes_actor_exact_and_indexes_it_keeping_the_rows_and_downgrades() -> None:
    for engine in _default_collation_database():
        upgrade(engine, BEFORE)
        _keep(engine)
        folding = _actor_collation(engine)
        assert folding.endswith("_ci")  # the case this is about
        assert _actors(engine, "ana") == ["Ana", "ana", "ana "]  # what 0016 mends
        rows = _rows(engine)
        with engine.connect() as connection:
            columns = list(connection.execute(text("SHOW FULL COLUMNS FROM sessionkit_journal")))
            # A run stopped after its first index (MySQL commits each statement) is finished.
            connection.exec_driver_sql(
                f"CREATE INDEX {TENANTS} ON sessionkit_journal (tenant, at, seq, id)"
            )

        upgrade(engine)

        assert _actor_collation(engine) == exact_collation(engine.dialect)
        assert _indexes(engine)[TENANTS] == ["tenant", "at", "seq", "id"]
        assert _indexes(engine)[ACTORS] == ["tenant", "actor", "at", "seq", "id"]
        assert _rows(engine) == rows
        assert _actors(engine, "ana") == ["ana"]
        assert _actors(engine, "ana ") == ["ana "]

        command.downgrade(alembic_config(engine), BEFORE)
        assert _actor_collation(engine) == folding
        assert not {TENANTS, ACTORS} & set(_indexes(engine))
        with engine.connect() as connection:
            again = list(connection.execute(text("SHOW FULL COLUMNS FROM sessionkit_journal")))
        assert again == columns  # type, NULL, default and collation as 0015 left them
        assert _rows(engine) == rows

        upgrade(engine)
        assert _actor_collation(engine) == exact_collation(engine.dialect)
        assert _actors(engine, "Ana") == ["Ana"]


def test_0016_adds_the_indexes_and_its_downgrade_drops_them(blank_engine: Engine) -> None:
    upgrade(blank_engine, BEFORE)
    _keep(blank_engine)
    upgrade(blank_engine)
    assert _indexes(blank_engine)[TENANTS] == ["tenant", "at", "seq", "id"]
    assert _indexes(blank_engine)[ACTORS] == ["tenant", "actor", "at", "seq", "id"]
    assert _actors(blank_engine, "Ana") == ["Ana"]
    command.downgrade(alembic_config(blank_engine), BEFORE)
    assert not {TENANTS, ACTORS} & set(_indexes(blank_engine))
    upgrade(blank_engine)
    assert {TENANTS, ACTORS} <= set(_indexes(blank_engine))
