"""A store over a ``sessionmaker`` bound to the host's ``Connection``, or joined to its session.

On SQLite and PostgreSQL a unit of work runs in the host's transaction when
the connection is in one, so the host's rollback takes the unit's writes
with it. On SQLite also when the host began it before any store installed
its hooks on the engine, as a test fixture that begins its connection first
does (pysqlite had sent no ``BEGIN``, and the unit's RELEASE committed). On
MySQL/MariaDB the store runs its units on connections of its own (READ
COMMITTED, named locks released at check-in), so they commit whatever the
host does, and the store warns when it is built so (docs/sqlalchemy.md).
"""

from __future__ import annotations

import threading
import time
import warnings
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session as OrmSession
from sqlalchemy.orm import sessionmaker
from sqlalchemy.orm.session import JoinTransactionMode

from sessionkit import SessionKit
from sessionkit.adapters.sqlalchemy import SchemaWarning, SqlAlchemyStore, create_schema
from sessionkit.errors import InvalidValue, SessionConflict, SessionNotFound
from sessionkit.model.events import DomainEvent, SessionCanceled, SessionCreated
from sessionkit.model.money import Money
from sessionkit.model.query import SessionQuery
from sessionkit.policies import Rate
from sessionkit.ports import EventPublisher
from sessionkit.testing.clocks import ManualClock, RecordingPublisher
from sessionkit.testing.payments import FakeGateway

from .conftest import server_database

NOW = datetime(2026, 3, 2, 9, tzinfo=UTC)


@contextmanager
def _engine(backend: str, tmp_path: Path, **options: Any) -> Iterator[Engine]:
    if backend != "sqlite":
        with server_database(backend, **options) as engine:
            yield engine
        return
    engine = create_engine(f"sqlite:///{tmp_path / 'host.sqlite3'}", **options)
    create_schema(engine)
    try:
        yield engine
    finally:
        engine.dispose()


def _create(kit: SessionKit) -> str:
    return _create_at(kit, days=1)


def _create_at(kit: SessionKit, *, days: int) -> str:
    start = NOW + timedelta(days=days)
    session = kit.sessions.create_extra(
        "acme",
        actor="admin",
        start=start,
        end=start + timedelta(hours=1),
        resources=["teacher:ana"],
        lifecycle="lms",
        capacity=3,
    )
    kit.bookings.book("acme", session.id, "student:bo", actor="admin", confirm=True)
    return session.id


def _stored(engine: Engine, session_id: str) -> bool:
    kit = SessionKit(uow=SqlAlchemyStore(engine).unit_of_work, clock=ManualClock(NOW))
    return _stored_in(kit, session_id)


def _stored_in(kit: SessionKit, session_id: str) -> bool:
    try:
        kit.queries.get("acme", session_id)
    except SessionNotFound:
        return False
    return True


class _Failing:
    """A publisher that raises at every batch."""

    def publish(self, events: Sequence[DomainEvent]) -> None:
        raise RuntimeError("the broker is down")


def test_a_failing_publisher_keeps_no_other_joined_batch_back_nor_the_session(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    # The host's commit published each joined unit's batch in turn and stopped at the first
    # publisher's error: the batches after it, committed too, were never published, and the
    # error, raised inside SQLAlchemy's commit, left the session refusing even a rollback.
    with _engine("sqlite", tmp_path) as engine:
        published = RecordingPublisher()
        failing = SqlAlchemyStore(engine, _Failing())
        working = SqlAlchemyStore(engine, published)
        with OrmSession(engine) as db:
            first = _create(SessionKit(uow=lambda: failing.join(db), clock=ManualClock(NOW)))
            second = _create_at(
                SessionKit(uow=lambda: working.join(db), clock=ManualClock(NOW)), days=2
            )
            with caplog.at_level("ERROR", logger="sessionkit.events"):
                db.commit()
            logged = [r for r in caplog.records if r.exc_info]
            # One per batch of the failing store: its session's creation and its booking.
            assert [(r.name, str(r.exc_info[1])) for r in logged if r.exc_info] == [
                ("sessionkit.events", "the broker is down")
            ] * 2
            assert db.execute(text("SELECT 1")).scalar_one() == 1  # the session goes on
            db.rollback()
        assert _stored(engine, first)
        assert _stored(engine, second)
        assert [type(e).__name__ for e in published.events] == [
            "SessionCreated",
            "BookingConfirmed",
        ]


@pytest.mark.parametrize("mode", ["conditional_savepoint", "create_savepoint"])
@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
def test_units_run_in_the_transaction_of_the_host_s_connection(
    backend: str, mode: JoinTransactionMode, tmp_path: Path
) -> None:
    with _engine(backend, tmp_path) as engine:
        with engine.connect() as host:
            outer = host.begin()
            maker = sessionmaker(bind=host, join_transaction_mode=mode)
            with warnings.catch_warnings():
                warnings.simplefilter("error", SchemaWarning)
                store = SqlAlchemyStore(maker)
            kit = SessionKit(uow=store.unit_of_work, clock=ManualClock(NOW))
            session_id = _create(kit)
            assert kit.bookings.remaining_seats("acme", [session_id]) == {session_id: 2}
            outer.rollback()
        assert not _stored(engine, session_id)


@pytest.mark.parametrize("mode", [None, "conditional_savepoint", "rollback_only"])
@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
def test_a_refused_command_leaves_the_host_s_transaction_and_earlier_units_alone(
    backend: str, mode: JoinTransactionMode | None, tmp_path: Path
) -> None:
    # These modes hand the session's rollback to the host's transaction: the unit of the
    # refused create rolled back the host's own row and the session created before it.
    with _engine(backend, tmp_path) as engine:
        with engine.connect() as host:
            outer = host.begin()
            host.execute(text("CREATE TABLE host_orders (id INTEGER PRIMARY KEY)"))
            host.execute(text("INSERT INTO host_orders (id) VALUES (1)"))
            maker = (
                sessionmaker(bind=host)
                if mode is None
                else sessionmaker(bind=host, join_transaction_mode=mode)
            )
            kit = SessionKit(uow=SqlAlchemyStore(maker).unit_of_work, clock=ManualClock(NOW))
            first = _create(kit)
            with pytest.raises(SessionConflict):
                _create(kit)  # the same teacher at the same time
            assert outer.is_active
            assert host.execute(text("SELECT count(*) FROM host_orders")).scalar() == 1
            assert _stored_in(kit, first)
            outer.rollback()
        assert not _stored(engine, first)


@pytest.mark.parametrize("discard", ["close", "reset"])
def test_a_joined_unit_s_events_go_with_a_host_transaction_closed_uncommitted(
    discard: str, tmp_path: Path
) -> None:
    # close() and reset() end the host's transaction without a rollback event: the events
    # of a unit joined to it waited, and the next, unrelated commit published them.
    with _engine("sqlite", tmp_path) as engine:
        published = RecordingPublisher()
        store = SqlAlchemyStore(engine, published)
        db = OrmSession(engine)
        kit = SessionKit(uow=lambda: store.join(db), clock=ManualClock(NOW))
        session_id = _create(kit)
        getattr(db, discard)()
        db.execute(text("SELECT 1"))
        db.commit()
        db.close()
        assert published.events == []
        assert not _stored(engine, session_id)
        kept = _create_at(kit, days=2)  # the same session object, used again and committed
        db.commit()
        assert {type(e).__name__ for e in published.events} >= {"SessionCreated"}
        assert _stored(engine, kept)


@pytest.mark.parametrize("mode", ["conditional_savepoint", "create_savepoint"])
@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
def test_a_unit_joined_to_a_session_on_the_host_s_connection_rolls_back_with_it(
    backend: str, mode: JoinTransactionMode, tmp_path: Path
) -> None:
    with _engine(backend, tmp_path) as engine:
        with engine.connect() as host:
            outer = host.begin()
            with OrmSession(bind=host, join_transaction_mode=mode) as session:
                store = SqlAlchemyStore(engine)
                kit = SessionKit(uow=lambda: store.join(session), clock=ManualClock(NOW))
                session_id = _create(kit)
                assert _stored_in(kit, session_id)
            outer.rollback()
        assert not _stored(engine, session_id)


def test_on_mysql_units_run_on_connections_of_their_own_and_the_store_says_so(
    tmp_path: Path,
) -> None:
    with _engine("mysql", tmp_path) as engine:
        with engine.connect() as host:
            outer = host.begin()
            maker = sessionmaker(bind=host, join_transaction_mode="create_savepoint")
            with pytest.warns(SchemaWarning, match=r"store\.join\(session\)"):
                store = SqlAlchemyStore(maker)
            kit = SessionKit(uow=store.unit_of_work, clock=ManualClock(NOW))
            session_id = _create(kit)
            outer.rollback()
        assert _stored(engine, session_id)
        # An engine-bound maker is used as it is, with no warning.
        with warnings.catch_warnings():
            warnings.simplefilter("error", SchemaWarning)
            SqlAlchemyStore(sessionmaker(bind=engine))


@pytest.mark.parametrize("hooked", [False, True])
@pytest.mark.parametrize("how", ["maker", "join"])
def test_on_sqlite_a_host_connection_in_autocommit_keeps_each_unit_s_writes(
    how: str, hooked: bool, tmp_path: Path
) -> None:
    # The unit sent BEGIN IMMEDIATE for the transaction SQLAlchemy autobegan, which the
    # host never commits (its statements commit themselves): closing it lost the rows.
    with _engine("sqlite", tmp_path) as engine:
        if hooked:
            SqlAlchemyStore(engine)
        with engine.connect() as plain:
            host = plain.execution_options(isolation_level="AUTOCOMMIT")
            host.execute(text("SELECT 1"))  # autobegun for SQLAlchemy only
            if how == "maker":
                kit = SessionKit(
                    uow=SqlAlchemyStore(sessionmaker(bind=host)).unit_of_work,
                    clock=ManualClock(NOW),
                )
                session_id = _create(kit)
            else:
                with OrmSession(bind=host) as session:
                    store = SqlAlchemyStore(engine)
                    kit = SessionKit(uow=lambda: store.join(session), clock=ManualClock(NOW))
                    session_id = _create(kit)
        assert _stored(engine, session_id)


@pytest.mark.parametrize(
    ("backend", "how"), [("postgres", "maker"), ("postgres", "join"), ("mysql", "join")]
)
def test_on_a_server_a_host_connection_in_autocommit_is_refused_before_any_write(
    backend: str, how: str, tmp_path: Path
) -> None:
    # PostgreSQL refused the unit's first SAVEPOINT with a bare InternalError; MariaDB
    # committed the session's rows one by one, then failed at the RELEASE with a bare
    # OperationalError: the session stored, the command failed, its event never sent.
    with _engine(backend, tmp_path) as engine:
        published = RecordingPublisher()
        with engine.connect() as plain:
            host = plain.execution_options(isolation_level="AUTOCOMMIT")
            with OrmSession(bind=host) as session:
                store = (
                    SqlAlchemyStore(sessionmaker(bind=host), published)
                    if how == "maker"
                    else SqlAlchemyStore(engine, published)
                )
                kit = SessionKit(
                    uow=store.unit_of_work if how == "maker" else lambda: store.join(session),
                    clock=ManualClock(NOW),
                )
                with pytest.raises(InvalidValue, match="AUTOCOMMIT") as refused:
                    _create(kit)
                assert refused.value.value == "AUTOCOMMIT"
        assert published.events == []
        with engine.connect() as connection:
            assert (
                connection.execute(text("SELECT count(*) FROM sessionkit_sessions")).scalar() == 0
            )
            rows = connection.execute(text("SELECT count(*) FROM sessionkit_session_resources"))
            assert rows.scalar() == 0


@pytest.mark.parametrize("how", ["maker", "join-commit", "join-rollback"])
def test_on_sqlite_a_host_connection_in_autocommit_publishes_what_each_unit_wrote(
    how: str, tmp_path: Path
) -> None:
    # The unit's RELEASE committed its rows, but its events waited for a COMMIT the host
    # never sends there, and the rollback SQLAlchemy sends at close (a no-op) dropped them.
    with _engine("sqlite", tmp_path) as engine:
        published = RecordingPublisher()
        with engine.connect() as plain:
            host = plain.execution_options(isolation_level="AUTOCOMMIT")
            host.execute(text("SELECT 1"))  # autobegun for SQLAlchemy only
            if how == "maker":
                store = SqlAlchemyStore(sessionmaker(bind=host), published)
                kit = SessionKit(uow=store.unit_of_work, clock=ManualClock(NOW))
                session_id = _create(kit)
            else:
                with OrmSession(bind=host) as session:
                    store = SqlAlchemyStore(engine, published)
                    kit = SessionKit(uow=lambda: store.join(session), clock=ManualClock(NOW))
                    session_id = _create(kit)
                    getattr(session, how.removeprefix("join-"))()
        assert _stored(engine, session_id)
        assert [type(e).__name__ for e in published.events] == [
            "SessionCreated",
            "BookingConfirmed",
        ]


def test_on_sqlite_units_in_a_host_s_transaction_do_not_queue_behind_its_waiters(
    tmp_path: Path,
) -> None:
    # The host's transaction holds the write lock; another thread's unit, holding the
    # in-process queue, waits for it. The host's next unit queued behind that one, so
    # neither moved until the other's wait for the write lock ran out ("database is
    # locked", after sqlite3's 5 seconds).
    with _engine("sqlite", tmp_path) as engine, engine.connect() as host:
        outer = host.begin()
        mine = SessionKit(
            uow=SqlAlchemyStore(sessionmaker(bind=host)).unit_of_work, clock=ManualClock(NOW)
        )
        _create(mine)
        errors: list[BaseException] = []
        started = threading.Event()

        def other() -> None:
            kit = SessionKit(
                uow=SqlAlchemyStore(engine, lock_timeout=timedelta(seconds=20)).unit_of_work,
                clock=ManualClock(NOW),
            )
            started.set()
            try:
                start = NOW + timedelta(days=3)
                kit.sessions.create_extra(
                    "acme",
                    actor="b",
                    start=start,
                    end=start + timedelta(hours=1),
                    resources=["teacher:b"],
                    lifecycle="lms",
                )
            except BaseException as error:  # noqa: BLE001  # asserted below
                errors.append(error)

        thread = threading.Thread(target=other)
        thread.start()
        started.wait()
        time.sleep(0.3)  # the other unit is queued on the database's write lock now
        second = _create_at(mine, days=2)
        outer.commit()
        thread.join(timeout=30)
        assert errors == []  # the other unit got the write lock once the host committed
        assert _stored(engine, second)


@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
def test_a_unit_in_the_transaction_of_the_host_s_connection_says_it_is_joined(
    backend: str, tmp_path: Path
) -> None:
    # Only the host can run its transaction again: a unit that says it is not joined would
    # be run again by SessionKit after a lost race (a deadlock, a record moved on), inside
    # a host transaction that a MySQL deadlock, say, had already rolled back.
    with _engine(backend, tmp_path) as engine, engine.connect() as connection:
        store = SqlAlchemyStore(sessionmaker(bind=connection))
        with store.unit_of_work() as idle:
            idle.sessions.query("acme", SessionQuery())
            assert idle.joined is False  # the unit's own transaction: sessionkit may retry it
        connection.commit()
        connection.begin()
        with store.unit_of_work() as hosted:
            hosted.sessions.query("acme", SessionQuery())
            assert hosted.joined is True
        connection.rollback()


@pytest.mark.parametrize("outcome", ["rollback", "savepoint", "commit"])
@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
def test_a_unit_in_the_host_s_transaction_leaves_events_and_provider_calls_to_its_end(
    backend: str, outcome: str, tmp_path: Path
) -> None:
    # Published and refunded before the host's commit, a rolled-back cancel refunded a
    # booking that stayed confirmed (docs/sqlalchemy.md: as for store.join, events wait for
    # the host's commit and provider calls stay due).
    with _engine(backend, tmp_path) as engine:
        gateway = FakeGateway(clock=lambda: NOW)
        events = RecordingPublisher()
        paid = {
            "clock": ManualClock(NOW),
            "gateway": gateway,
            "pricing": Rate(Money.of(40, "EUR")),
        }
        kit = SessionKit(uow=SqlAlchemyStore(engine).unit_of_work, **paid)  # type: ignore[arg-type]
        start = NOW + timedelta(days=2)
        slot = kit.sessions.create_extra(
            "acme",
            actor="t",
            start=start,
            end=start + timedelta(hours=1),
            resources=["tutor:t"],
            lifecycle="marketplace",
            capacity=3,
        )
        checkout = kit.payments.book("acme", slot.id, "student:ana", actor="ana")
        assert checkout.payment is not None
        gateway.pay(checkout.payment.intent_ref or "")
        for event in gateway.drain():
            kit.payments.apply("acme", event)
        calls = len(gateway.calls)
        with engine.connect() as host:
            outer = host.begin()
            enclosing = host.begin_nested() if outcome == "savepoint" else None
            hosted = SqlAlchemyStore(sessionmaker(bind=host), events)
            in_host = SessionKit(uow=hosted.unit_of_work, **paid)  # type: ignore[arg-type]
            in_host.sessions.cancel("acme", slot.id, actor="t")  # refunds everyone
            assert gateway.calls[calls:] == []  # due in the database, not made
            assert events.events == []  # not before the host's commit
            if enclosing is not None:
                enclosing.rollback()
            if outcome == "rollback":
                outer.rollback()
            else:
                outer.commit()
        if outcome == "commit":
            assert "SessionCanceled" in [type(e).__name__ for e in events.events]
            assert kit.run_payment_calls().done == 1
            assert [call for call, _ in gateway.calls[calls:]] == ["refund"]
        else:
            assert events.events == []
            assert kit.run_payment_calls().done == 0
            assert gateway.calls[calls:] == []
            assert kit.queries.get("acme", slot.id).status == "OPEN"


def test_events_of_a_unit_in_the_host_s_transaction_follow_a_commit_that_went_through(
    tmp_path: Path,
) -> None:
    # SQLAlchemy announces a commit before running it: published then, a handler read the
    # session as it was, and a COMMIT failing on a deferred constraint had published anyway.
    with _engine("postgres", tmp_path) as engine:
        kit = SessionKit(uow=SqlAlchemyStore(engine).unit_of_work, clock=ManualClock(NOW))
        first, second = _create_at(kit, days=1), _create_at(kit, days=2)
        with engine.begin() as setup:
            setup.execute(
                text("CREATE TABLE host_keys (k int UNIQUE DEFERRABLE INITIALLY DEFERRED)")
            )
        seen: list[tuple[str, str]] = []

        class Reading:
            def publish(self, events: Sequence[DomainEvent]) -> None:
                for event in events:
                    if isinstance(event, SessionCanceled):
                        session_id = event.session.id
                        seen.append((session_id, kit.queries.get("acme", session_id).status))

        for session_id, keys in ((first, "(1), (2)"), (second, "(1), (1)")):
            with engine.connect() as host:
                host.begin()
                host.execute(text(f"INSERT INTO host_keys VALUES {keys}"))
                hosted = SqlAlchemyStore(sessionmaker(bind=host), Reading())
                in_host = SessionKit(uow=hosted.unit_of_work, clock=ManualClock(NOW))
                in_host.sessions.cancel("acme", session_id, actor="admin")
                try:
                    host.commit()
                except Exception:  # noqa: BLE001  # the second COMMIT fails: nothing stored
                    host.rollback()
        assert seen == [(first, "CANCELED")]  # read after the commit; none for the failed one
        assert kit.queries.get("acme", second).status == "SCHEDULED"


@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
def test_a_host_connection_s_events_survive_a_failing_publisher_and_an_invalidation(
    backend: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    # A publisher raising while the pool took the connection back kept it from the pool;
    # one store's failing publisher lost the other's batch; an invalidated connection's
    # committed batch was never published.
    got: list[str] = []

    class Failing:
        def publish(self, events: Sequence[DomainEvent]) -> None:
            raise RuntimeError("broker down")

    class Keeping:
        def publish(self, events: Sequence[DomainEvent]) -> None:
            got.extend(type(e).__name__ for e in events if isinstance(e, SessionCreated))

    def create(host: Connection, publisher: EventPublisher, days: int) -> None:
        store = SqlAlchemyStore(sessionmaker(bind=host), publisher)
        _create_at(SessionKit(uow=store.unit_of_work, clock=ManualClock(NOW)), days=days)

    with _engine(backend, tmp_path, pool_size=1, max_overflow=0, pool_timeout=5) as engine:
        try:
            with engine.connect() as host:
                host.begin()
                create(host, Failing(), 1)
                create(host, Keeping(), 2)
                host.commit()
                assert got == []  # the COMMIT went through: out at the close
            assert got == ["SessionCreated"]
            with engine.connect() as again:  # the pool has its one connection back
                again.execute(text("SELECT 1"))
            with engine.connect() as host:
                host.begin()
                create(host, Keeping(), 3)
                host.commit()
                host.invalidate()
            assert got == ["SessionCreated"] * 2
        finally:
            engine.dispose()
    assert "broker down" in caplog.text


@pytest.mark.parametrize(
    ("case", "kept"),
    [
        ("session_committed_then_connection", True),
        ("session_committed_then_connection_rolled_back", False),
        ("host_savepoint_rolled_back", False),
        ("closed_without_commit", True),
        ("connection_commits_first", True),
    ],
)
@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
def test_a_unit_joined_to_a_session_in_an_external_transaction_waits_for_that_transaction(
    backend: str, case: str, kept: bool, tmp_path: Path
) -> None:
    # SQLAlchemy's "join a Session into an external transaction": the session's commit
    # commits nothing on the connection, yet its after_commit published the joined unit's
    # events, for writes the connection's rollback then took back. A savepoint the host
    # opened on the connection around the unit and rolled back before the session's commit
    # let the event out; a session closed without its own commit dropped the events of
    # writes the connection then committed.
    events = RecordingPublisher()
    with _engine(backend, tmp_path) as engine:
        store = SqlAlchemyStore(engine, events)
        with engine.connect() as connection:
            outer = connection.begin()
            db = OrmSession(bind=connection)
            db.connection()  # the session joins the connection's transaction
            around = connection.begin_nested() if case == "host_savepoint_rolled_back" else None
            kit = SessionKit(uow=lambda: store.join(db), clock=ManualClock(NOW))
            session_id = _create(kit)
            if around is not None:
                around.rollback()
            if case.startswith("session_committed") or around is not None:
                db.commit()
                assert connection.in_transaction()
                assert events.events == []  # nothing is durable yet
            elif case == "closed_without_commit":
                db.close()
            if case.endswith("rolled_back") and around is None:
                outer.rollback()
            else:
                outer.commit()  # for "connection_commits_first": the session never commits
            db.close()
        created = [e.session.id for e in events.events if isinstance(e, SessionCreated)]
        expected = [session_id] if kept else []
        assert (created, _stored(engine, session_id)) == (expected, kept)
