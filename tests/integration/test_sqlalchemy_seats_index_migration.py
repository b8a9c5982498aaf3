"""Migration 0013 swaps the session's bookings index for one with their seats, both ways.

Each test gets an empty schema (PostgreSQL), database (MariaDB) or file
(``blank_engine``). On MySQL the index also serves the bookings' foreign key
to their session, so the migration must create the new index before it drops
the old one.
"""

from __future__ import annotations

import attrs
from alembic import command
from sqlalchemy import Engine, inspect

from sessionkit import SessionKit
from sessionkit.adapters.sqlalchemy import SqlAlchemyStore, upgrade
from sessionkit.adapters.sqlalchemy.booking_rows import SEATS_INDEX
from sessionkit.adapters.sqlalchemy.migrations import alembic_config
from sessionkit.testing.clocks import ManualClock
from sessionkit.testing.contract import T0, TENANT, make_session

OLD = "ix_sessionkit_bookings_tenant_session_id_status"
BEFORE = "0012_attendance"


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


def test_0013_carries_the_seats_and_downgrades_and_upgrades_again(blank_engine: Engine) -> None:
    upgrade(blank_engine, BEFORE)
    assert _indexes(blank_engine)[OLD] == ["tenant", "session_id", "status"]
    keys = _foreign_keys(blank_engine)
    with SqlAlchemyStore(blank_engine).unit_of_work() as uow:
        uow.sessions.add(attrs.evolve(make_session("s1", at=24), capacity=5))
        uow.commit()

    upgrade(blank_engine)
    indexes = _indexes(blank_engine)
    assert indexes[SEATS_INDEX] == ["tenant", "session_id", "status", "seats", "hold_expires_at"]
    assert OLD not in indexes
    assert _foreign_keys(blank_engine) == keys
    assert _book(blank_engine, "ana") == 1

    command.downgrade(alembic_config(blank_engine), BEFORE)
    indexes = _indexes(blank_engine)
    assert indexes[OLD] == ["tenant", "session_id", "status"]
    assert SEATS_INDEX not in indexes
    assert _foreign_keys(blank_engine) == keys

    upgrade(blank_engine)
    assert SEATS_INDEX in _indexes(blank_engine)
    assert _book(blank_engine, "bo") == 2
