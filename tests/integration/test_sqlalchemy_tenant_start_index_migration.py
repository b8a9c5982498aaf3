"""Migration 0018 indexes the tenant's bookings by session start, and drops it again.

Each test gets an empty schema (PostgreSQL), database (MariaDB) or file
(``blank_engine``). The bookings stored before the upgrade are listed by
``kit.bookings.for_tenant`` after it, and after a downgrade (the read does
not need the index, it is only slower without it).
"""

from __future__ import annotations

import attrs
from alembic import command
from sqlalchemy import Engine, inspect

from sessionkit import SessionKit
from sessionkit.adapters.sqlalchemy import SqlAlchemyStore, upgrade
from sessionkit.adapters.sqlalchemy.booking_rows import TENANT_START_INDEX
from sessionkit.adapters.sqlalchemy.migrations import alembic_config
from sessionkit.testing.clocks import ManualClock
from sessionkit.testing.contract import T0, TENANT, make_session

BEFORE = "0017_payment_retries"


def _indexes(engine: Engine) -> dict[str, list[str]]:
    found = inspect(engine).get_indexes("sessionkit_bookings")
    return {str(index["name"]): [str(c) for c in index["column_names"]] for index in found}


def _kit(engine: Engine) -> SessionKit:
    return SessionKit(uow=SqlAlchemyStore(engine).unit_of_work, clock=ManualClock(T0))


def _listed(engine: Engine) -> list[str]:
    return [str(b.participant) for b in _kit(engine).bookings.for_tenant(TENANT)]


def test_0018_indexes_the_tenants_bookings_by_start_both_ways(blank_engine: Engine) -> None:
    upgrade(blank_engine, BEFORE)
    assert TENANT_START_INDEX not in _indexes(blank_engine)
    with SqlAlchemyStore(blank_engine).unit_of_work() as uow:
        uow.sessions.add(attrs.evolve(make_session("s1", at=24), capacity=5))
        uow.commit()
    _kit(blank_engine).bookings.book(TENANT, "s1", "student:ana", actor="ana", confirm=True)

    upgrade(blank_engine)
    assert _indexes(blank_engine)[TENANT_START_INDEX] == ["tenant", "session_start", "id"]
    _kit(blank_engine).bookings.book(TENANT, "s1", "student:bo", actor="bo", confirm=True)
    assert sorted(_listed(blank_engine)) == ["student:ana", "student:bo"]

    command.downgrade(alembic_config(blank_engine), BEFORE)
    assert TENANT_START_INDEX not in _indexes(blank_engine)
    assert sorted(_listed(blank_engine)) == ["student:ana", "student:bo"]

    upgrade(blank_engine)
    assert TENANT_START_INDEX in _indexes(blank_engine)
