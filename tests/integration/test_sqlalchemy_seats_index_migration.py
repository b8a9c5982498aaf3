"""Migration 0013 swaps the session's bookings index for one with their seats, both ways.

Each test gets an empty schema (PostgreSQL), database (MariaDB) or file. On
MySQL the index also serves the bookings' foreign key to their session, so the
migration must create the new index before it drops the old one.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import attrs
import pytest
from alembic import command
from sqlalchemy import Engine, create_engine, inspect

from sessionkit import SessionKit
from sessionkit.adapters.sqlalchemy import SqlAlchemyStore, drop_schema, upgrade
from sessionkit.adapters.sqlalchemy.booking_rows import SEATS_INDEX
from sessionkit.adapters.sqlalchemy.migrations import alembic_config
from sessionkit.adapters.sqlalchemy.testing import mysql_database, postgres_schema
from sessionkit.testing.clocks import ManualClock
from sessionkit.testing.contract import T0, TENANT, make_session

POSTGRES_URL = os.environ.get("SESSIONKIT_TEST_POSTGRES_URL")
MYSQL_URL = os.environ.get("SESSIONKIT_TEST_MYSQL_URL")
OLD = "ix_sessionkit_bookings_tenant_session_id_status"
BEFORE = "0012_attendance"


@pytest.fixture(params=["sqlite", "postgres", "mysql"])
def blank(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """An engine on an empty schema, database or file."""
    if request.param == "sqlite":
        engine = create_engine(f"sqlite:///{tmp_path / 'migrate.db'}")
        yield engine
        engine.dispose()
        return
    url = POSTGRES_URL if request.param == "postgres" else MYSQL_URL
    if not url:
        pytest.skip(f"set the {request.param} test URL to migrate it")
    helper = postgres_schema if request.param == "postgres" else mysql_database
    with helper(url) as engine:
        drop_schema(engine)
        yield engine


def _indexes(engine: Engine) -> dict[str, list[str]]:
    found = inspect(engine).get_indexes("sessionkit_bookings")
    return {str(index["name"]): [str(c) for c in index["column_names"]] for index in found}


def _foreign_keys(engine: Engine) -> list[list[str]]:
    found = inspect(engine).get_foreign_keys("sessionkit_bookings")
    return sorted([str(c) for c in key["constrained_columns"]] for key in found)


def _book(engine: Engine, who: str) -> int:
    """Book ``who`` into the session ``s1``; return the seats it has taken then."""
    kit = SessionKit(uow=SqlAlchemyStore(engine).unit_of_work, clock=ManualClock(T0))
    kit.bookings.book(TENANT, "s1", f"student:{who}", actor=who, confirm=True)
    [listed] = kit.bookings.bookable(TENANT, start=T0, end=T0.replace(year=T0.year + 1))
    return listed.taken


def test_0013_carries_the_seats_and_downgrades_and_upgrades_again(blank: Engine) -> None:
    upgrade(blank, BEFORE)
    assert _indexes(blank)[OLD] == ["tenant", "session_id", "status"]
    keys = _foreign_keys(blank)
    with SqlAlchemyStore(blank).unit_of_work() as uow:
        uow.sessions.add(attrs.evolve(make_session("s1", at=24), capacity=5))
        uow.commit()

    upgrade(blank)
    indexes = _indexes(blank)
    assert indexes[SEATS_INDEX] == ["tenant", "session_id", "status", "seats", "hold_expires_at"]
    assert OLD not in indexes
    assert _foreign_keys(blank) == keys
    assert _book(blank, "ana") == 1

    command.downgrade(alembic_config(blank), BEFORE)
    indexes = _indexes(blank)
    assert indexes[OLD] == ["tenant", "session_id", "status"]
    assert SEATS_INDEX not in indexes
    assert _foreign_keys(blank) == keys

    upgrade(blank)
    assert SEATS_INDEX in _indexes(blank)
    assert _book(blank, "bo") == 2
