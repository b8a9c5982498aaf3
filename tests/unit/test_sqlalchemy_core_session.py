"""Units of work over an engine run on one Core connection (CoreSession), not an ORM session."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, create_engine, literal, select, text
from sqlalchemy.exc import IntegrityError, InvalidRequestError
from sqlalchemy.orm import Session as OrmSession
from sqlalchemy.orm import sessionmaker
from sqlalchemy.pool import StaticPool

from sessionkit.adapters.sqlalchemy import SqlAlchemyStore, create_schema
from sessionkit.adapters.sqlalchemy._db import CoreSession
from sessionkit.errors import StorageError
from sessionkit.testing.contract import TENANT, make_session

ONE = select(literal(1))


@pytest.fixture
def engine() -> Iterator[Engine]:
    engine = create_engine(
        "sqlite://", poolclass=StaticPool, connect_args={"check_same_thread": False}
    )
    create_schema(engine)
    yield engine
    engine.dispose()


def deferred_child_table(engine: Engine) -> None:
    """Create ``child``, whose foreign key is checked at COMMIT: a COMMIT to have refused."""
    with engine.begin() as connection:
        connection.exec_driver_sql("CREATE TABLE parent (id INTEGER PRIMARY KEY)")
        connection.exec_driver_sql(
            "CREATE TABLE child (id INTEGER PRIMARY KEY, p INTEGER REFERENCES parent(id)"
            " DEFERRABLE INITIALLY DEFERRED)"
        )


def stored_ids(store: SqlAlchemyStore, *ids: str) -> list[str]:
    with store.unit_of_work() as uow:
        return [s.id for s in uow.sessions.get_many(TENANT, list(ids))]


def test_an_engine_store_runs_each_transaction_of_a_unit_on_a_pooled_connection(
    engine: Engine,
) -> None:
    store = SqlAlchemyStore(engine)
    with store.unit_of_work() as uow:
        assert isinstance(uow.db(), CoreSession)
        uow.sessions.add(make_session("s1"))
        first = uow.core()
        uow.commit()
        assert first.closed  # given back to the pool with its transaction
        uow.sessions.add(make_session("s2", at=2))
        assert uow.core() is not first
        uow.commit()
        uow.sessions.add(make_session("s3", at=4))  # never committed: rolled back at exit
    assert stored_ids(store, "s1", "s2", "s3") == ["s1", "s2"]


def test_a_sessionmaker_store_and_a_joined_unit_keep_the_orm_session(engine: Engine) -> None:
    maker = sessionmaker(engine)
    with SqlAlchemyStore(maker).unit_of_work() as uow:
        assert isinstance(uow.db(), OrmSession)
    with maker() as host, SqlAlchemyStore(engine).join(host) as uow:
        assert uow.db() is host


def test_what_a_unit_notes_does_not_outlive_it_on_the_pooled_connection(engine: Engine) -> None:
    """A lost transaction noted by one unit is not the next unit's (one pooled connection)."""
    store = SqlAlchemyStore(engine)
    with store.unit_of_work() as uow:
        uow.sessions.add(make_session("s1"))
        uow.lose(StorageError("the database lost it", backend="sqlite"))
        with pytest.raises(StorageError, match="lost it"):
            uow.commit()
    with store.unit_of_work() as uow:
        uow.sessions.add(make_session("s2", at=2))
        uow.commit()
    assert stored_ids(store, "s1", "s2") == ["s2"]


def test_core_session_begins_on_first_use_and_ends_with_commit_or_rollback(
    engine: Engine,
) -> None:
    db = CoreSession(engine)
    assert db.get_transaction() is None
    assert not db.in_transaction()
    assert db.scalar(ONE) == 1
    assert db.get_transaction() is not None
    assert db.in_transaction()
    point = db.begin_nested()
    assert db.in_nested_transaction()
    assert db.get_nested_transaction() is point
    point.rollback()
    assert not db.in_nested_transaction()
    db.commit()
    assert not db.in_transaction()
    assert db.get_transaction() is None
    assert db.scalars(ONE).all() == [1]
    assert db.in_transaction()
    db.rollback()
    assert not db.in_transaction()
    db.commit()  # nothing in progress: nothing to do
    assert db.get_bind() is engine
    db.close()
    assert db.get_transaction() is None


def test_a_failed_commit_keeps_failing_until_rolled_back_and_leaves_the_pool_clean(
    engine: Engine,
) -> None:
    """A COMMIT refused (a deferred foreign key) raises again until rollback, as the ORM's does.

    The connection then goes back to the pool rolled back: the next unit on the
    same (static) pool begins and commits as usual.
    """
    deferred_child_table(engine)
    store = SqlAlchemyStore(engine)
    with store.unit_of_work() as uow:
        uow.db().execute(text("INSERT INTO child VALUES (1, 42)"))  # refused only at COMMIT
        with pytest.raises(IntegrityError):
            uow.commit()
        with pytest.raises(InvalidRequestError, match="rollback"):
            uow.commit()  # nothing was committed: never a quiet success
        uow.rollback()
        uow.sessions.add(make_session("s1"))
        uow.commit()
    with store.unit_of_work() as uow:
        uow.sessions.add(make_session("s2", at=2))
        uow.commit()
    assert stored_ids(store, "s1", "s2") == ["s1", "s2"]
    with engine.connect() as connection:
        assert connection.exec_driver_sql("SELECT count(*) FROM child").scalar() == 0


def test_a_failed_commit_left_behind_is_rolled_back_when_the_unit_closes(
    engine: Engine,
) -> None:
    deferred_child_table(engine)
    store = SqlAlchemyStore(engine)
    with store.unit_of_work() as uow:
        uow.db().execute(text("INSERT INTO child VALUES (1, 42)"))
        with pytest.raises(IntegrityError):
            uow.commit()
        # left failed: leaving the block must roll the driver's connection back
    with store.unit_of_work() as uow:  # BEGIN IMMEDIATE on the same driver connection
        uow.sessions.add(make_session("s1"))
        uow.commit()
    assert stored_ids(store, "s1") == ["s1"]
