"""Resource locks of one schema (PostgreSQL) or database (MariaDB) never hold up another's.

PostgreSQL's advisory locks belong to the whole database and MariaDB's named
locks to the whole server, so two sessionkit stores in two schemas of one
database (two apps, two test runs) used to share the lock of tenant "acme"'s
teacher "ana": one store's open unit of work held up the other's writes, and
the two could deadlock. The lock names now include the schema (database).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy import Engine

from sessionkit.adapters.sqlalchemy import SqlAlchemyStore
from sessionkit.testing.contract import make_session

from .conftest import SERVERS, server_database


@pytest.fixture(params=sorted(SERVERS))
def two_places(request: pytest.FixtureRequest) -> Iterator[tuple[Engine, Engine]]:
    """Two engines on one server, each with sessionkit's tables in a place of its own."""
    with server_database(request.param) as first, server_database(request.param) as second:
        yield first, second


def test_an_open_unit_in_one_schema_does_not_hold_up_another(
    two_places: tuple[Engine, Engine],
) -> None:
    first, second = two_places
    holding = SqlAlchemyStore(first)
    other = SqlAlchemyStore(second, lock_timeout=timedelta(seconds=1))
    with holding.unit_of_work() as uow:
        uow.sessions.add(make_session("held"))  # holds tenant acme's teacher ana, uncommitted
        with other.unit_of_work() as elsewhere:
            elsewhere.sessions.add(make_session("elsewhere"))  # the same tenant and teacher
            elsewhere.commit()
        uow.commit()
    with other.unit_of_work() as check:
        assert [s.id for s in check.sessions.get_many("acme", ["elsewhere", "held"])] == [
            "elsewhere"
        ]
