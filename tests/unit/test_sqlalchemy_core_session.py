"""Units of work over an engine run on one Core connection (CoreSession), not an ORM session."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, create_engine, literal, select
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


def stored_ids(store: SqlAlchemyStore, *ids: str) -> list[str]:
    with store.unit_of_work() as uow:
        return [s.id for s in uow.sessions.get_many(TENANT, list(ids))]


def test_an_engine_store_keeps_one_connection_for_the_unit_across_commits(
    engine: Engine,
) -> None:
    store = SqlAlchemyStore(engine)
    with store.unit_of_work() as uow:
        assert isinstance(uow.db(), CoreSession)
        uow.sessions.add(make_session("s1"))
        first = uow.core()
        uow.commit()
        uow.sessions.add(make_session("s2", at=2))
        assert uow.core() is first  # a new transaction on the same connection
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
    first = db.get_transaction()
    assert first is not None
    assert db.in_transaction()
    point = db.begin_nested()
    assert db.in_nested_transaction()
    assert db.get_nested_transaction() is point
    point.rollback()
    assert not db.in_nested_transaction()
    db.commit()
    assert not db.in_transaction()
    assert db.scalars(ONE).all() == [1]
    assert db.get_transaction() not in (None, first)
    db.rollback()
    assert not db.in_transaction()
    db.commit()  # nothing in progress: nothing to do
    assert db.get_bind() is engine
    db.close()
    assert db.get_transaction() is None
