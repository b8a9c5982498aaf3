"""Resource locks of one schema (PostgreSQL) or database (MariaDB) never hold up another's.

PostgreSQL's advisory locks belong to the whole database and MariaDB's named
locks to the whole server, so two sessionkit stores in two schemas of one
database (two apps, two test runs) used to share the lock of tenant "acme"'s
teacher "ana": one store's open unit of work held up the other's writes, and
the two could deadlock. The lock names now include the schema (database).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from datetime import timedelta

import pytest
from sqlalchemy import Engine

from sessionkit.adapters.sqlalchemy import SqlAlchemyStore
from sessionkit.adapters.sqlalchemy.testing import mysql_database, postgres_schema
from sessionkit.testing.contract import make_session

URLS = {
    "postgres": os.environ.get("SESSIONKIT_TEST_POSTGRES_URL"),
    "mysql": os.environ.get("SESSIONKIT_TEST_MYSQL_URL"),
}
MAKERS: dict[str, Callable[[str], AbstractContextManager[Engine]]] = {
    "postgres": postgres_schema,
    "mysql": mysql_database,
}


@pytest.fixture(params=sorted(URLS))
def two_places(request: pytest.FixtureRequest) -> Iterator[tuple[Engine, Engine]]:
    """Two engines on one server, each with sessionkit's tables in a place of its own."""
    url = URLS[request.param]
    if not url:
        pytest.skip(f"set SESSIONKIT_TEST_{request.param.upper()}_URL to run this")
    make = MAKERS[request.param]
    with make(url) as first, make(url) as second:
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
