"""A key column the database compares otherwise than Python: its refusals are still ``Duplicate``.

A kind's table may give a unique key's column a plain ``String`` (docs/extending.md once did)
or a collation of its own: MariaDB's ``utf8mb4_bin`` then calls ``"Lab "`` and ``"Lab"``
equal (``PAD SPACE``), a ``_ci`` collation ``"lab"`` too, SQLite's ``NOCASE`` the latter.
The repository looked the key's holder up by the Python value, found none, and let the
driver's ``IntegrityError`` out. Now the database matches the holder, and a clash between
two records of one batch is a ``Duplicate`` with no stored record.

SQLite always; MariaDB when ``SESSIONKIT_TEST_MYSQL_URL`` is set (a database per test).
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Callable, Iterator

import attrs
import pytest
from sqlalchemy import (
    Column,
    Engine,
    Integer,
    MetaData,
    String,
    Table,
    UniqueConstraint,
    create_engine,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.pool import StaticPool

from sessionkit.adapters.sqlalchemy import SqlAlchemyStore, SqlKind, create_schema, register
from sessionkit.adapters.sqlalchemy.testing import mysql_database
from sessionkit.errors import Duplicate
from sessionkit.ports import Kind, Repository, UniqueKey

MYSQL_URL = os.environ.get("SESSIONKIT_TEST_MYSQL_URL")


@attrs.frozen
class Room:
    id: str
    tenant: str
    name: str
    version: int = 1


ROOMS: Kind[Repository[Room]] = Kind("collated_room", Room, unique=(UniqueKey("name", ("name",)),))

rooms_metadata = MetaData()
# The name as a plain String: the database's collation decides; NOCASE stands for it on SQLite.
# The ids fold case on SQLite too, for the primary key's own refusals.
_FOLDED = String(128).with_variant(String(128, collation="NOCASE"), "sqlite")
rooms_table = Table(
    "test_collated_rooms",
    rooms_metadata,
    Column("tenant", String(128), primary_key=True),
    Column("id", _FOLDED, primary_key=True),
    Column("name", String(255).with_variant(String(255, collation="NOCASE"), "sqlite")),
    Column("version", Integer, nullable=False),
    UniqueConstraint("tenant", "name", name="uq_test_collated_rooms_name"),
)
register(
    ROOMS,
    SqlKind(
        rooms_table,
        attrs.asdict,
        lambda row: Room(row["id"], row["tenant"], row["name"], row["version"]),
        unique={"name": "uq_test_collated_rooms_name"},
    ),
)

LAB = Room("r1", "acme", "Lab")
_AFTER = itertools.count()


def _sqlite() -> Iterator[Engine]:
    engine = create_engine(
        "sqlite://", poolclass=StaticPool, connect_args={"check_same_thread": False}
    )
    create_schema(engine)
    rooms_metadata.create_all(engine)
    yield engine
    engine.dispose()


def _mariadb(collation: str) -> Iterator[Engine]:
    if not MYSQL_URL:
        pytest.skip("set SESSIONKIT_TEST_MYSQL_URL to run the MariaDB tests")
    with mysql_database(MYSQL_URL) as engine:
        with engine.begin() as connection:  # as `CREATE DATABASE app CHARACTER SET utf8mb4` gives
            name = connection.exec_driver_sql("SELECT DATABASE()").scalar()
            connection.exec_driver_sql(
                f"ALTER DATABASE `{name}` CHARACTER SET utf8mb4 COLLATE {collation}"
            )
        rooms_metadata.create_all(engine)
        yield engine


def _stored(engine: Engine, *rooms: Room) -> SqlAlchemyStore:
    store = SqlAlchemyStore(engine)
    with store.unit_of_work() as uow:
        uow.repository(ROOMS).add_many(list(rooms))
        uow.commit()
    return store


def _refused(store: SqlAlchemyStore, write: Callable[[Repository[Room]], object]) -> Duplicate:
    after = Room(f"after{next(_AFTER)}", "acme", f"Annex {next(_AFTER)}")
    with store.unit_of_work() as uow:
        rooms = uow.repository(ROOMS)
        with pytest.raises(Duplicate) as caught:
            write(rooms)
        assert isinstance(caught.value.__cause__, IntegrityError)
        rooms.add(after)  # the unit of work is still usable
        uow.commit()
    with store.unit_of_work() as uow:
        assert uow.repository(ROOMS).get_many("acme", [after.id]) == [after]
    return caught.value


@pytest.fixture
def sqlite() -> Iterator[Engine]:
    yield from _sqlite()


@pytest.mark.parametrize(
    ("collation", "name"),
    [
        ("utf8mb4_bin", "Lab "),  # PAD SPACE
        ("utf8mb4_general_ci", "Lab "),
        ("utf8mb4_general_ci", "lab"),
    ],
)
def test_mariadb_a_name_its_collation_calls_taken_is_a_duplicate(collation: str, name: str) -> None:
    for engine in _mariadb(collation):
        store = _stored(engine, LAB)
        taken = _refused(store, lambda rooms: rooms.add(Room("r2", "acme", name)))
        assert (taken.kind, taken.key, taken.record_id, taken.tenant) == (
            "collated_room",
            "name",
            "r2",
            "acme",
        )
        assert taken.existing == LAB


def test_a_name_the_collation_calls_taken_is_a_duplicate_naming_its_holder(
    sqlite: Engine,
) -> None:
    store = _stored(sqlite, LAB, Room("r2", "acme", "Hall"))
    added = _refused(store, lambda rooms: rooms.add(Room("r3", "acme", "LAB")))
    assert (added.key, added.record_id, added.existing) == ("name", "r3", LAB)
    # In a batch, the first record the stored one holds is named, as for exact values.
    batch = [Room("r4", "acme", "Gym"), Room("r5", "acme", "HALL"), Room("r6", "acme", "lab")]
    many = _refused(store, lambda rooms: rooms.add_many(batch))
    assert (many.key, many.record_id, many.existing) == ("name", "r5", Room("r2", "acme", "Hall"))


def test_an_update_to_a_name_the_collation_calls_taken_is_a_duplicate(sqlite: Engine) -> None:
    store = _stored(sqlite, LAB, Room("r2", "acme", "Hall"))
    moved = _refused(
        store, lambda rooms: rooms.update(Room("r2", "acme", "lAB"), expected_version=1)
    )
    assert (moved.key, moved.record_id, moved.existing) == ("name", "r2", LAB)
    # Its own name in another case is no clash with itself.
    with store.unit_of_work() as uow:
        renamed = uow.repository(ROOMS).update(Room("r1", "acme", "LAB"), expected_version=1)
        uow.commit()
    assert renamed == Room("r1", "acme", "LAB", version=2)


def test_two_records_of_a_batch_the_collation_calls_equal_are_a_duplicate(
    sqlite: Engine,
) -> None:
    # Nothing stored holds the name: the clash is inside the batch, which Python's check
    # let through. The database names the key; no stored record is there to show.
    store = _stored(sqlite, LAB)
    batch = [Room("r2", "acme", "Gym"), Room("r3", "acme", "gym")]
    taken = _refused(store, lambda rooms: rooms.add_many(batch))
    assert (taken.key, taken.record_id, taken.tenant, taken.existing) == (
        "name",
        "r2",
        "acme",
        None,
    )


def test_ids_the_collation_calls_equal_are_a_duplicate_of_the_id(sqlite: Engine) -> None:
    store = _stored(sqlite, LAB)
    taken = _refused(store, lambda rooms: rooms.add(Room("R1", "acme", "Gym")))
    assert (taken.key, taken.record_id, taken.existing) == ("id", "R1", LAB)
    batch = [Room("g1", "acme", "Gym"), Room("G1", "acme", "Pool")]
    twice = _refused(store, lambda rooms: rooms.add_many(batch))
    assert (twice.key, twice.record_id, twice.existing) == ("id", "g1", None)


def test_mariadb_ids_its_collation_calls_equal_are_a_duplicate_of_the_id() -> None:
    # MariaDB names every primary key PRIMARY: the refused INSERT says whose it is.
    for engine in _mariadb("utf8mb4_general_ci"):
        store = _stored(engine, LAB)
        taken = _refused(store, lambda rooms: rooms.add(Room("R1", "acme", "Gym")))
        assert (taken.key, taken.record_id, taken.existing) == ("id", "R1", LAB)
        twice = _refused(
            store,
            lambda rooms: rooms.add_many([Room("g1", "acme", "Gym"), Room("G1", "acme", "Pool")]),
        )
        assert (twice.key, twice.record_id, twice.existing) == ("id", "g1", None)
