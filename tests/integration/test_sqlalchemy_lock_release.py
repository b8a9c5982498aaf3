"""A unit of work's resource locks end with its transaction, also when the unit carries on.

A unit may commit and keep working. Its locks must go with the committed
transaction: PostgreSQL's advisory locks are transaction-scoped, and MariaDB's
named locks (which belong to the connection) are released when the connection
goes back to the pool, which a store over an engine does at every commit and
rollback, as over a sessionmaker.
"""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import sessionmaker

from sessionkit.adapters.sqlalchemy import SqlAlchemyStore
from sessionkit.testing.contract import make_session


@pytest.mark.parametrize("bind", ["engine", "sessionmaker"])
@pytest.mark.parametrize("end", ["commit", "rollback"])
def test_locks_end_with_the_transaction_while_the_unit_stays_open(
    server_engine: Engine, bind: str, end: str
) -> None:
    engine = server_engine
    store = SqlAlchemyStore(
        engine if bind == "engine" else sessionmaker(engine), lock_timeout=timedelta(seconds=2)
    )
    outcome: list[str] = []

    def other_writer() -> None:
        """Another unit on the same teacher, at another time: must not wait for the first."""
        try:
            with store.unit_of_work() as uow:
                uow.sessions.add(make_session("later", at=10))
                uow.commit()
            outcome.append("stored")
        except Exception as error:  # noqa: BLE001  # the assertion below shows it
            outcome.append(repr(error))

    with store.unit_of_work() as uow:
        uow.sessions.add(make_session("first"))  # locks the session's teacher
        if end == "commit":
            uow.commit()
        else:
            uow.rollback()
        writer = threading.Thread(target=other_writer)
        writer.start()
        writer.join(timeout=30)
    assert outcome == ["stored"]
