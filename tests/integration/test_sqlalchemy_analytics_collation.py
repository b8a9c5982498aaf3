"""Analytics on a MySQL/MariaDB database of the server's default collation: statuses not folded.

A session's status and lifecycle are plain text columns, which take the database's default
collation; ``CREATE DATABASE app CHARACTER SET utf8mb4`` gives one that folds case. The
analytics statements grouped and compared those columns as the collation does, so a host
lifecycle's ``Completed`` beside the presets' ``COMPLETED`` became one group (named by
either), and an ``Outcomes`` naming ``COMPLETED`` counted both: counts, rates, progress and
per-client no-shows differed from every other store. They compare exactly now.

The memory store always; MariaDB when ``SESSIONKIT_TEST_MYSQL_URL`` is set (a database of
its own, dropped at the end).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from sessionkit.adapters.memory import InMemoryStore
from sessionkit.adapters.sqlalchemy import SqlAlchemyStore, create_schema
from sessionkit.model.analytics import Outcomes
from sessionkit.model.query import SessionQuery
from sessionkit.ports import BOOKINGS, UnitOfWorkFactory
from sessionkit.services import SessionKit
from sessionkit.testing.clocks import ManualClock
from sessionkit.testing.contract._support import TENANT, make_session
from sessionkit.testing.contract.analytics import make_seat

from .conftest import mysql_database_of

NOW = datetime(2026, 4, 1, tzinfo=UTC)
OWN = Outcomes(completed={"COMPLETED"}, no_show={"NO_SHOW"})


def _default_collation() -> Iterator[UnitOfWorkFactory]:
    # No COLLATE: the server's default for utf8mb4, which folds case.
    with mysql_database_of("utf8mb4", "run against MySQL/MariaDB") as engine:
        create_schema(engine)
        yield SqlAlchemyStore(engine).unit_of_work


@pytest.fixture(params=["memory", "mysql-default-collation"])
def kit(request: pytest.FixtureRequest) -> Iterator[SessionKit]:
    """A kit over sessions of two lifecycles whose statuses differ only in case."""
    if request.param == "memory":
        stores: Iterator[UnitOfWorkFactory] = iter([InMemoryStore().unit_of_work])
    else:
        stores = _default_collation()
    for store in stores:
        sessions = [
            make_session("a", at=0, status="COMPLETED", lifecycle="consulting"),
            make_session("b", at=2, status="Completed", lifecycle="Consulting"),
            make_session("c", at=4, status="Completed", lifecycle="Consulting"),
            make_session("d", at=6, status="NO_SHOW", lifecycle="consulting"),
            make_session("e", at=8, status="No_Show", lifecycle="Consulting"),
        ]
        with store() as uow:
            uow.sessions.add_many(sessions)
            uow.repository(BOOKINGS).add_many(
                [make_seat(f"b{s.id}", s, "client:x") for s in sessions]
            )
            uow.commit()
        yield SessionKit(uow=store, clock=ManualClock(NOW))


def test_statuses_and_lifecycles_differing_in_case_are_groups_of_their_own(
    kit: SessionKit,
) -> None:
    assert kit.analytics.counts(TENANT).by_status() == {
        "COMPLETED": 1,
        "Completed": 2,
        "NO_SHOW": 1,
        "No_Show": 1,
    }
    by_kind = kit.analytics.counts(TENANT, by="kind")
    assert by_kind.keys() == ["Consulting", "consulting"]
    assert by_kind.by_status("Consulting") == {"Completed": 2, "No_Show": 1}


def test_outcomes_count_only_the_statuses_they_name(kit: SessionKit) -> None:
    row = kit.analytics.rates(TENANT, outcomes=OWN).get()
    assert (row.sessions, row.completed, row.no_show, row.held) == (5, 1, 1, 2)
    progress = kit.analytics.progress(TENANT, SessionQuery(), outcomes=OWN)
    assert (progress.completed, progress.no_show, progress.remaining) == (1, 1, 4)
    clients = kit.analytics.clients(TENANT, outcomes=OWN)
    assert [(r.client, r.sessions, r.no_shows) for r in clients.rows] == [("client:x", 5, 1)]
