"""A session write refused for a session committed after a host's snapshot, on PostgreSQL.

A unit in the host's ``transaction.atomic()`` at ``REPEATABLE READ`` or
``SERIALIZABLE`` reads the snapshot of the host's first read, while the
exclusion constraint checks the rows committed since: a busy session a unit
of the store's own (``READ COMMITTED``) committed after that read refuses the
write, and no read of the host's transaction can load it. The host's unit
cannot run again by itself, so the refusal is a ``SessionConflict`` with empty
``conflicts``, as the SQLAlchemy store raises
(``tests/integration/test_sqlalchemy_isolation.py``); it was a
``TransientConflict``. A unit of the store's own, whose next attempt reads
afresh and names the blocker, still gets the ``TransientConflict``.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator

import pytest
from django.db import connections, transaction

from sessionkit.contrib.django.models import SessionRecord
from sessionkit.contrib.django.store import DjangoStore
from sessionkit.errors import SessionConflict, TransientConflict
from sessionkit.model.session import Session
from sessionkit.testing.contract import TENANT, make_session

from .conftest import clear, close_thread_connections


@pytest.fixture
def store(postgres_db: str) -> Iterator[DjangoStore]:
    clear(postgres_db)
    yield DjangoStore(using=postgres_db)
    clear(postgres_db)
    connections[postgres_db].close()


def _in_thread(work: Callable[[], None]) -> None:
    """Run ``work`` on a connection of its own, committed before this returns; raise its error."""
    failures: list[BaseException] = []

    def run() -> None:
        try:
            work()
        except BaseException as exc:  # noqa: BLE001  # raised below, in the test's thread
            failures.append(exc)
        finally:
            close_thread_connections()

    thread = threading.Thread(target=run)
    thread.start()
    thread.join(30)
    assert not thread.is_alive(), "the other writer hung"
    if failures:
        raise failures[0]


def _stored_by_the_store(store: DjangoStore, session: Session) -> None:
    """Store ``session`` in a unit of the store's own, in another thread (READ COMMITTED)."""

    def work() -> None:
        with store.unit_of_work() as uow:
            uow.sessions.add(session)
            uow.commit()

    _in_thread(work)


def _host_read(using: str, level: str) -> None:
    """Set the host's transaction to ``level`` and read: the snapshot its later reads see."""
    with connections[using].cursor() as cursor:
        cursor.execute(f"SET TRANSACTION ISOLATION LEVEL {level}")
    SessionRecord.objects.using(using).count()


@pytest.mark.parametrize("level", ["READ COMMITTED", "REPEATABLE READ", "SERIALIZABLE"])
def test_a_host_that_read_before_a_units_session_gets_the_session_conflict(
    store: DjangoStore, level: str
) -> None:
    """The host reads, a unit of the store's own takes ana, the host's unit then wants her."""
    unseen = level != "READ COMMITTED"
    joined = make_session("joined", resources=("teacher:ana", "room:1"))
    with transaction.atomic(using=store.using):
        _host_read(store.using, level)
        _stored_by_the_store(store, make_session("own"))
        with store.unit_of_work() as uow:
            with pytest.raises(SessionConflict) as caught:
                uow.sessions.add(joined)
            conflict = caught.value
            assert conflict.session == joined
            assert [s.id for s in conflict.conflicts] == ([] if unseen else ["own"])
            assert str(conflict).startswith(
                f"session 'joined' ({joined.span.isoformat()}) needs teacher:ana, already busy "
            )
            assert ("committed after your transaction's first read" in str(conflict)) is unseen
            uow.sessions.add(make_session("free", resources=()))  # the unit is still usable
            uow.commit()
    with store.unit_of_work() as uow:
        stored = uow.sessions.get_many(TENANT, ["own", "joined", "free"])
        assert sorted(s.id for s in stored) == ["free", "own"]


@pytest.mark.parametrize("level", ["REPEATABLE READ", "SERIALIZABLE"])
def test_a_hosts_batch_or_move_onto_a_session_it_cannot_see_names_the_refused_resource(
    store: DjangoStore, level: str
) -> None:
    """``add_many`` and ``update``: the session and resource the constraint's DETAIL names."""
    with store.unit_of_work() as uow:
        uow.sessions.add(make_session("moved", at=5, resources=("teacher:ana", "room:1")))
        uow.commit()
    with transaction.atomic(using=store.using):
        _host_read(store.using, level)
        _stored_by_the_store(store, make_session("own", resources=("room:1",)))
        with store.unit_of_work() as uow:
            early = make_session("early", at=-3, resources=("teacher:ana", "room:1"))
            late = make_session("late", resources=("teacher:ana", "room:1"))
            with pytest.raises(SessionConflict) as caught:
                uow.sessions.add_many([early, late])
            assert (caught.value.session, caught.value.conflicts) == (late, ())
            assert str(caught.value).startswith(
                f"session 'late' ({late.span.isoformat()}) needs room:1, already busy with "
                "a session committed after your transaction's first read"
            )
            assert "run your transaction.atomic() blocks in READ COMMITTED" in str(caught.value)
            moved = make_session("moved", resources=("teacher:ana", "room:1"))
            with pytest.raises(SessionConflict) as caught:
                uow.sessions.update(moved, expected_version=1)
            assert (caught.value.session, caught.value.conflicts) == (
                make_session("moved", version=2, resources=("teacher:ana", "room:1")),
                (),
            )
            assert "needs room:1, already busy" in str(caught.value)
            uow.commit()
    with store.unit_of_work() as uow:
        stored = uow.sessions.get_many(TENANT, ["own", "early", "late", "moved"])
        assert [(s.id, s.span.start, s.version) for s in stored] == [
            ("own", make_session("own").span.start, 1),
            ("moved", make_session("moved", at=5).span.start, 1),
        ]


def test_a_unit_of_the_stores_own_refused_so_is_transient_and_its_next_attempt_names_it(
    store: DjangoStore,
) -> None:
    """``OPTIONS`` SERIALIZABLE: the store's own unit reads first, a host's READ COMMITTED commits.

    The unit's snapshot cannot show the host's session (nor do PostgreSQL's
    serializable checks watch a READ COMMITTED writer), so the constraint
    refuses it unexplained; a new transaction, as the commands' retry runs,
    reads the blocker and names it.
    """
    from psycopg import IsolationLevel

    def host() -> None:
        with transaction.atomic(using=store.using):
            _host_read(store.using, "READ COMMITTED")
            with store.unit_of_work() as uow:
                uow.sessions.add(make_session("host"))
                uow.commit()

    options = connections[store.using].settings_dict["OPTIONS"]
    connections[store.using].close()
    options["isolation_level"] = IsolationLevel.SERIALIZABLE
    try:
        with store.unit_of_work() as uow:
            assert uow.sessions.get_many(TENANT, ["mine"]) == []  # the unit's snapshot
            _in_thread(host)
            with pytest.raises(TransientConflict) as caught:
                uow.sessions.add(make_session("mine"))
            assert (caught.value.reason, caught.value.retryable, caught.value.code) == (
                "constraint",
                True,
                "23P01",
            )
        with store.unit_of_work() as uow, pytest.raises(SessionConflict) as again:
            uow.sessions.add(make_session("mine"))
        assert [s.id for s in again.value.conflicts] == ["host"]
    finally:
        connections[store.using].close()
        del options["isolation_level"]
