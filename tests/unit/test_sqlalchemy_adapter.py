"""The SQLAlchemy adapter beyond the contract, on SQLite: SQL shape, atomicity, joining."""

from __future__ import annotations

import contextvars
import sqlite3
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime, time, timedelta, timezone
from functools import partial
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import attrs
import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from dateutil import tz as dateutil_tz
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import (
    Column,
    Engine,
    ForeignKeyConstraint,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    UniqueConstraint,
    create_engine,
    event,
    inspect,
    select,
    text,
)
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session as OrmSession
from sqlalchemy.orm import scoped_session, sessionmaker
from sqlalchemy.pool import StaticPool
from sqlalchemy.schema import SchemaItem

from sessionkit.adapters.sqlalchemy import (
    SqlAlchemyStore,
    SqlKind,
    alembic_config,
    create_schema,
    drop_schema,
    key_type,
    metadata,
    register,
    upgrade,
)
from sessionkit.adapters.sqlalchemy._kind import registered
from sessionkit.adapters.sqlalchemy.migrations import VERSION_TABLE
from sessionkit.adapters.sqlalchemy.rows import sessions_table
from sessionkit.errors import (
    ConcurrentModification,
    DuplicateSeries,
    DuplicateSession,
    InvalidValue,
    NestedUnitOfWork,
    SeriesNotFound,
    SessionConflict,
    StorageTimeout,
    UnsupportedKind,
    WrongType,
)
from sessionkit.model.query import SessionQuery
from sessionkit.model.series import ScheduleItem, Series, WindowPolicy
from sessionkit.model.session import ResourceRef, Session
from sessionkit.ports import BOOKINGS, SERIES, SESSIONS, Kind, Repository, UniqueKey
from sessionkit.recurrence import Recurrence
from sessionkit.testing.clocks import RecordingPublisher
from sessionkit.testing.contract import T0, TENANT, _event, make_series, make_session
from sessionkit.timespan import TimeSpan


def _memory_engine() -> Engine:
    return create_engine(
        "sqlite://", poolclass=StaticPool, connect_args={"check_same_thread": False}
    )


@pytest.fixture
def engine() -> Iterator[Engine]:
    engine = _memory_engine()
    create_schema(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def publisher() -> RecordingPublisher:
    return RecordingPublisher()


@pytest.fixture
def store(engine: Engine, publisher: RecordingPublisher) -> SqlAlchemyStore:
    return SqlAlchemyStore(engine, publisher)


def _snapshot(engine: Engine) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every sessionkit table, sorted."""
    with engine.connect() as connection:
        return {
            table.name: sorted(tuple(row) for row in connection.execute(select(table)))
            for table in metadata.sorted_tables
        }


class StatementLog:
    """Records every statement an engine sends, with whether it was an executemany."""

    def __init__(self, engine: Engine) -> None:
        self.statements: list[tuple[str, bool]] = []
        event.listen(engine, "before_cursor_execute", self._record)

    def _record(
        self, _conn: Any, _cursor: Any, statement: str, _params: Any, _context: Any, many: bool
    ) -> None:
        self.statements.append((statement, many))

    def queries(self) -> list[str]:
        """The statements other than transaction control."""
        control = ("BEGIN", "SAVEPOINT", "RELEASE", "ROLLBACK", "COMMIT")
        return [s for s, _ in self.statements if not s.lstrip().upper().startswith(control)]

    def clear(self) -> None:
        self.statements.clear()


def _fill(store: SqlAlchemyStore, count: int) -> None:
    with store.unit_of_work() as uow:
        uow.series.add(make_series("series-1"))
        uow.sessions.add_many(
            [make_session(f"s{n:04d}", at=n * 2, series_id="series-1") for n in range(count)]
        )
        uow.commit()


# ---------------------------------------------------------------------- schema and migrations


def test_alembic_migrations_produce_the_create_schema_schema() -> None:
    migrated, created = _memory_engine(), _memory_engine()
    upgrade(migrated)
    upgrade(migrated)  # at head already: nothing to do
    create_schema(created)
    with migrated.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), metadata)
    # Alembic's own bookkeeping table is the only thing create_schema does not make.
    assert [d for d in differences if d[1].name != VERSION_TABLE] == []
    left, right = inspect(migrated), inspect(created)
    for table in metadata.tables:
        assert left.get_columns(table) == right.get_columns(table) or [
            (c["name"], str(c["type"]), c["nullable"]) for c in left.get_columns(table)
        ] == [(c["name"], str(c["type"]), c["nullable"]) for c in right.get_columns(table)]
        assert left.get_indexes(table) == right.get_indexes(table)
        assert left.get_pk_constraint(table) == right.get_pk_constraint(table)
        assert left.get_foreign_keys(table) == right.get_foreign_keys(table)
        assert left.get_unique_constraints(table) == right.get_unique_constraints(table)
    assert VERSION_TABLE in left.get_table_names()


def test_alembic_check_over_sessionkits_scripts_leaves_the_applications_tables_out() -> None:
    # check (and autogenerate) over alembic_config compared the whole database with
    # sessionkit's metadata, and proposed dropping the application's own tables.
    engine = _memory_engine()
    upgrade(engine)
    host = MetaData()
    Table("myapp_rooms", host, Column("id", key_type(), primary_key=True), Column("n", Integer))
    host.create_all(engine)
    command.check(alembic_config(engine))  # raises AutogenerateDiffsDetected on a difference
    assert {"myapp_rooms", VERSION_TABLE} <= set(inspect(engine).get_table_names())


def test_upgrade_over_create_schema_tables_says_to_stamp_them_first() -> None:
    # The first migration created the tables again and failed on the database's own
    # "table sessionkit_series already exists".
    engine = _memory_engine()
    create_schema(engine)
    with pytest.raises(InvalidValue, match="stamp") as caught:
        upgrade(engine)
    assert caught.value.value == sessions_table.name
    command.stamp(alembic_config(engine), "head")  # as the message says
    upgrade(engine)
    assert VERSION_TABLE in inspect(engine).get_table_names()


def test_upgrade_on_an_idle_connection_commits_its_migrations(tmp_path: Path) -> None:
    # The check's read began a transaction on the connection, so Alembic took it for the
    # caller's and committed nothing: closed, the database kept a third of the tables.
    url = f"sqlite:///{tmp_path / 'migrated.sqlite3'}"
    with create_engine(url).connect() as connection:
        upgrade(connection)
        assert not connection.in_transaction()
    after = create_engine(url)
    assert set(metadata.tables) <= set(inspect(after).get_table_names())
    with after.connect() as connection:
        assert connection.scalar(text(f"SELECT count(*) FROM {VERSION_TABLE}")) == 1
    upgrade(after)  # at head: nothing to do


def test_upgrade_counts_an_empty_version_table_as_no_record() -> None:
    engine = _memory_engine()
    upgrade(engine)
    command.downgrade(alembic_config(engine), "base")  # leaves the table, with no row
    create_schema(engine)
    with pytest.raises(InvalidValue, match="stamp"):
        upgrade(engine)


def test_upgrade_over_a_newer_sessionkit_s_tables_names_the_revision() -> None:
    # A deploy rolled back after a newer release migrated: upgrade at startup stopped
    # with Alembic's own CommandError "Can't locate revision identified by ...".
    engine = _memory_engine()
    upgrade(engine)
    with engine.begin() as connection:
        connection.execute(text(f"UPDATE {VERSION_TABLE} SET version_num = '0099_future'"))
    with pytest.raises(InvalidValue, match="newer sessionkit") as caught:
        upgrade(engine)
    head = ScriptDirectory.from_config(alembic_config(engine)).get_current_head()
    assert caught.value.value == "0099_future"
    assert f"its latest is {head!r}" in str(caught.value)
    with engine.connect() as connection:  # nothing was changed
        assert connection.scalar(text(f"SELECT version_num FROM {VERSION_TABLE}")) == "0099_future"


def test_drop_schema_removes_every_table(engine: Engine) -> None:
    drop_schema(engine)
    assert inspect(engine).get_table_names() == []


def test_a_unit_on_an_autocommit_sqlite_engine_is_still_one_transaction(tmp_path: Path) -> None:
    # Each write of the unit committed on its own: another connection saw it before the
    # unit ended, and it stayed when the unit failed. PostgreSQL and MariaDB units set
    # their own isolation level whatever the engine's; SQLite's do now too.
    path = tmp_path / "autocommit.db"
    engine = create_engine(f"sqlite:///{path}", isolation_level="AUTOCOMMIT")
    upgrade(engine)
    store = SqlAlchemyStore(engine)
    seen: list[Any] = []

    def failing_unit() -> None:
        with store.unit_of_work() as uow:
            uow.sessions.add(make_session("ghost"))
            with sqlite3.connect(path) as other:
                seen.extend(other.execute("SELECT id FROM sessionkit_sessions").fetchall())
            raise RuntimeError("the unit fails after its write")

    with pytest.raises(RuntimeError):
        failing_unit()
    assert seen == []
    with store.unit_of_work() as uow:
        assert uow.sessions.query(TENANT, SessionQuery()).total == 0
        uow.sessions.add(make_session("kept"))
        uow.commit()
    with store.unit_of_work() as uow:
        assert [s.id for s in uow.sessions.query(TENANT, SessionQuery()).items] == ["kept"]
    engine.dispose()


def test_an_upgrade_after_drop_schema_builds_the_tables_again(tmp_path: Path) -> None:
    # drop_schema left sessionkit_alembic_version at head: upgrade did nothing, and every
    # unit of work then met SchemaMissing.
    engine = create_engine(f"sqlite:///{tmp_path / 'again.db'}")
    upgrade(engine)
    built = set(inspect(engine).get_table_names())
    drop_schema(engine)
    assert inspect(engine).get_table_names() == []
    upgrade(engine)
    assert set(inspect(engine).get_table_names()) == built
    with SqlAlchemyStore(engine).unit_of_work() as uow:
        assert uow.sessions.query(TENANT, SessionQuery()).total == 0
    engine.dispose()


# ---------------------------------------------------------------------- SQL shape


@pytest.mark.parametrize(
    ("third", "refused"),
    [
        (make_session("c", at=4), False),  # touches b's end: half-open, no overlap
        (make_session("c", at=2.5, hours=0.25), True),  # inside a, after the short b
        (make_session("c", at=2.5, hours=0.25, busy=False), False),
        (make_session("c", at=2.5, hours=0.25, tenant="other"), False),
        (make_session("c", at=2.5, hours=0.25, resources=[ResourceRef("teacher", "x")]), False),
    ],
)
def test_overlaps_inside_a_batch_are_refused(
    store: SqlAlchemyStore, third: Any, refused: bool
) -> None:
    long_a = make_session("a", at=0, hours=4)
    short_b = make_session("b", at=1, hours=0.5, resources=[ResourceRef("teacher", "ben")])
    with store.unit_of_work() as uow:
        if refused:
            with pytest.raises(SessionConflict) as caught:
                uow.sessions.add_many([long_a, short_b, third])
            assert [s.id for s in caught.value.conflicts] == ["a"]
        else:
            uow.sessions.add_many([long_a, short_b, third])


@pytest.mark.parametrize("extra", [0, 1, 16, 17, 40])
def test_conflict_reads_take_any_number_of_resources_and_excluded_ids(
    store: SqlAlchemyStore, extra: int
) -> None:
    """Small lists get numbered parameters, longer ones an expanding list: same answers."""
    teachers = [ResourceRef("teacher", f"t{n}") for n in range(3)]
    with store.unit_of_work() as uow:
        uow.sessions.add_many(
            [make_session(f"s{n}", at=n, resources=[teachers[n]]) for n in range(3)]
        )
        uow.commit()
    whole = TimeSpan(T0 - timedelta(hours=1), T0 + timedelta(hours=5))
    others = [ResourceRef("room", f"r{n}") for n in range(extra)]
    ignored = [f"nobody-{n}" for n in range(extra)]
    with store.unit_of_work() as uow:
        found = uow.sessions.busy_overlapping(
            TENANT, resources=[*teachers, *others], span=whole, exclude_ids=["s1", *ignored]
        )
        only_ana = uow.sessions.busy_overlapping(
            TENANT, resources=[teachers[0], *others], span=whole, exclude_ids=ignored
        )
    assert [s.id for s in found] == ["s0", "s2"]
    assert [s.id for s in only_ana] == ["s0"]


def test_conflict_reads_over_very_many_resources_go_in_chunks(
    store: SqlAlchemyStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    """More resources than one IN list takes: one query per chunk, the same answer."""
    teachers = [ResourceRef("teacher", f"t{n}") for n in range(7)]
    with store.unit_of_work() as uow:
        uow.sessions.add_many(
            [
                make_session(f"s{n}", at=n, resources=[teachers[n], teachers[n + 3]])
                for n in range(3)
            ]
        )
        uow.commit()
    whole = TimeSpan(T0 - timedelta(hours=1), T0 + timedelta(hours=5))
    newcomer = make_session("new", at=0.5, hours=3, resources=teachers)
    with store.unit_of_work() as uow:
        expected = uow.sessions.busy_overlapping(TENANT, resources=teachers, span=whole)
    monkeypatch.setattr("sessionkit.adapters.sqlalchemy._query.CHUNK", 2)
    monkeypatch.setattr("sessionkit.adapters.sqlalchemy._sessions.CHUNK", 2)
    with store.unit_of_work() as uow:
        got = uow.sessions.busy_overlapping(TENANT, resources=teachers, span=whole)
        with pytest.raises(SessionConflict) as caught:
            uow.sessions.add(newcomer)
    assert [s.id for s in expected] == ["s0", "s1", "s2"]
    assert got == expected
    assert [s.id for s in caught.value.conflicts] == ["s0", "s1", "s2"]


def test_every_read_runs_a_fixed_number_of_queries(store: SqlAlchemyStore, engine: Engine) -> None:
    """Reads cost the same number of statements for 5 sessions as for 200."""
    counts: list[list[int]] = []
    for size in (5, 200):
        drop_schema(engine)
        create_schema(engine)
        _fill(store, size)
        log = StatementLog(engine)
        per_call: list[int] = []
        ids = [f"s{n:04d}" for n in range(size)]
        whole = TimeSpan(T0 - timedelta(days=1), T0 + timedelta(days=400))
        ana = ResourceRef("teacher", "ana")
        with store.unit_of_work() as uow:
            calls: list[Callable[[], object]] = [
                partial(uow.sessions.get_many, TENANT, ids),
                partial(uow.sessions.query, TENANT, SessionQuery(resources=[ana], limit=1000)),
                partial(uow.sessions.query, TENANT, SessionQuery(sort="updated", limit=7, page=3)),
                partial(uow.sessions.for_series, TENANT, "series-1"),
                partial(uow.sessions.busy_overlapping, TENANT, resources=[ana], span=whole),
                partial(uow.sessions.due, TENANT, statuses=["SCHEDULED"], start_before=whole.end),
                partial(uow.series.active),
            ]
            for call in calls:
                log.clear()
                call()
                per_call.append(len(log.queries()))
        event.remove(engine, "before_cursor_execute", log._record)
        counts.append(per_call)
    assert counts[0] == counts[1], counts
    assert max(counts[0]) <= 2


def test_add_many_inserts_with_one_executemany_per_table(
    store: SqlAlchemyStore, engine: Engine
) -> None:
    batch = [make_session(f"s{n:04d}", at=n * 2, series_id="series-1") for n in range(300)]
    with store.unit_of_work() as uow:
        uow.series.add(make_series("series-1"))
        log = StatementLog(engine)
        uow.sessions.add_many(batch)
        uow.commit()
    inserts = [(s, many) for s, many in log.statements if s.startswith("INSERT")]
    assert [(s.split()[2], many) for s, many in inserts] == [
        ("sessionkit_sessions", True),
        ("sessionkit_session_resources", True),
    ]
    # One conflict query for the whole batch (SQLite has no constraint to lean on).
    assert len([s for s in log.queries() if s.startswith("SELECT")]) == 1


# ---------------------------------------------------------------------- atomicity


def test_a_failure_halfway_through_add_many_leaves_the_database_as_it_was(
    store: SqlAlchemyStore, engine: Engine
) -> None:
    _fill(store, 3)
    before = _snapshot(engine)

    def explode(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if statement.startswith("INSERT INTO sessionkit_session_resources"):
            raise RuntimeError("the disk caught fire")

    batch = [make_session(f"new{n}", at=100 + n, series_id="series-1") for n in range(50)]
    with store.unit_of_work() as uow:
        uow.sessions.add(make_session("kept", at=500))
        event.listen(engine, "before_cursor_execute", explode)
        try:
            with pytest.raises(RuntimeError, match="caught fire"):
                uow.sessions.add_many(batch)
        finally:
            event.remove(engine, "before_cursor_execute", explode)
        # The sessions rows of the batch went in before the failure; they are gone again.
        assert uow.sessions.get_many(TENANT, [s.id for s in batch]) == []
        uow.commit()
    after = _snapshot(engine)
    assert after["sessionkit_sessions"] == sorted(
        [*before["sessionkit_sessions"], *_snapshot_of_kept(engine)]
    )
    with store.unit_of_work() as uow:
        uow.sessions.delete(TENANT, "kept", expected_version=1)
        uow.commit()
    assert _snapshot(engine) == before


def _snapshot_of_kept(engine: Engine) -> list[tuple[Any, ...]]:
    with engine.connect() as connection:
        table = metadata.tables["sessionkit_sessions"]
        return [tuple(r) for r in connection.execute(select(table).where(table.c.id == "kept"))]


def test_an_exception_in_the_unit_leaves_the_database_as_it_was(
    store: SqlAlchemyStore, engine: Engine
) -> None:
    _fill(store, 3)
    before = _snapshot(engine)

    def doomed() -> None:
        with store.unit_of_work() as uow:
            uow.sessions.add_many([make_session(f"new{n}", at=100 + n) for n in range(20)])
            uow.sessions.delete(TENANT, "s0000", expected_version=1)
            uow.series.add(make_series("series-2"))
            raise KeyError("halfway")

    with pytest.raises(KeyError):
        doomed()
    assert _snapshot(engine) == before


# ---------------------------------------------------------------------- error translation


def test_a_unique_violation_becomes_duplicate_session(store: SqlAlchemyStore) -> None:
    with store.unit_of_work() as uow:
        uow.sessions.add(make_session("a"))
        with pytest.raises(DuplicateSession) as caught:
            uow.sessions.add(make_session("a", at=5, resources=()))
    assert isinstance(caught.value.__cause__, IntegrityError)


def test_a_unique_violation_on_a_series_becomes_duplicate_series(store: SqlAlchemyStore) -> None:
    with store.unit_of_work() as uow:
        uow.series.add(make_series("series-1"))
        with pytest.raises(DuplicateSeries) as caught:
            uow.series.add(make_series("series-1", title="again"))
    assert (caught.value.series_id, caught.value.tenant) == ("series-1", TENANT)
    assert isinstance(caught.value.__cause__, IntegrityError)


def test_a_missing_series_becomes_series_not_found(store: SqlAlchemyStore) -> None:
    with store.unit_of_work() as uow, pytest.raises(SeriesNotFound) as caught:
        uow.sessions.add(make_session("a", series_id="ghost"))
    assert (caught.value.series_id, caught.value.tenant) == ("ghost", TENANT)
    assert isinstance(caught.value.__cause__, IntegrityError)


def test_a_version_changed_behind_the_adapters_back_is_a_concurrent_modification(
    store: SqlAlchemyStore, engine: Engine
) -> None:
    session = make_session("a")
    with store.unit_of_work() as uow:
        uow.sessions.add(session)
        uow.commit()
    with engine.begin() as connection:
        connection.execute(text("UPDATE sessionkit_sessions SET version = 2 WHERE id = 'a'"))
    with store.unit_of_work() as uow, pytest.raises(ConcurrentModification) as caught:
        uow.sessions.update(attrs.evolve(session, title="late"), expected_version=1)
    assert (caught.value.expected, caught.value.actual) == (1, 2)


# ---------------------------------------------------------------------- round trips


def test_a_series_with_every_field_set_round_trips(store: SqlAlchemyStore) -> None:
    recurrence = Recurrence.from_rrule(
        "FREQ=WEEKLY;BYDAY=MO,WE;UNTIL=20260601T000000Z",
        start=datetime(2026, 3, 2, 17, 30),
        tz="Europe/Berlin",
        duration=timedelta(minutes=90),
        exdates=[datetime(2026, 3, 4, 16, 30, tzinfo=UTC), date(2026, 4, 6)],
        rdates=[datetime(2026, 3, 7, 9, tzinfo=UTC)],
        disambiguate="later",
    )
    series = Series(
        id="chem-a",
        tenant=TENANT,
        title="Chemistry A",
        items=(
            ScheduleItem("mon", recurrence, ("teacher:ana", "room:r1"), "Lab"),
            ScheduleItem(
                "fri",
                Recurrence.weekly(
                    days=("FR",),
                    at=time(8),
                    duration=timedelta(hours=1),
                    tz="UTC",
                    start=date(2026, 3, 1),
                ),
            ),
        ),
        lifecycle="lms",
        created_at=T0,
        window=WindowPolicy(3, timedelta(days=10, microseconds=5)),
        capacity=12,
        generated_until=T0 + timedelta(days=60),
        metadata={"grade": 9, "tags": ["a"]},
    )
    with store.unit_of_work() as uow:
        uow.series.add(series)
        uow.commit()
    with store.unit_of_work() as uow:
        got = uow.series.get(TENANT, "chem-a")
    assert got == series
    assert [item.id for item in got.items] == ["mon", "fri"]
    assert dict(got.metadata) == {"grade": 9, "tags": ["a"]}


def test_instants_come_back_as_aware_utc(store: SqlAlchemyStore) -> None:
    with store.unit_of_work() as uow:
        uow.sessions.add(make_session("a"))
        uow.commit()
    with store.unit_of_work() as uow:
        got = uow.sessions.get(TENANT, "a")
    assert got.span.start.tzinfo is UTC
    assert got.created_at.tzinfo is UTC
    assert got.occurrence_key is None


# ---------------------------------------------------------------------- units of work


def test_a_second_unit_in_the_same_thread_fails_fast_on_sqlite(store: SqlAlchemyStore) -> None:
    with store.unit_of_work(), pytest.raises(NestedUnitOfWork, match="already has a unit of work"):
        store.unit_of_work().__enter__()
    with store.unit_of_work() as uow:  # the lock was released
        assert uow.series.active() == []


def test_a_unit_left_in_another_thread_frees_the_thread_that_entered_it(
    store: SqlAlchemyStore,
) -> None:
    # A web framework may run a dependency's set-up and tear-down on two threads of its
    # pool: the thread that entered the unit stayed marked as holding the SQLite queue, and
    # its every later unit was refused as nested.
    entering, leaving = ThreadPoolExecutor(1), ThreadPoolExecutor(1)
    try:
        uow = store.unit_of_work()
        entering.submit(uow.__enter__).result()
        leaving.submit(uow.__exit__, None, None, None).result()

        def again() -> list[Series]:
            with store.unit_of_work() as later:
                return later.series.active()

        assert entering.submit(again).result() == []
        assert leaving.submit(again).result() == []
    finally:
        entering.shutdown()
        leaving.shutdown()
    with store.unit_of_work(), pytest.raises(NestedUnitOfWork):  # still refused in one thread
        store.unit_of_work().__enter__()


def test_a_unit_used_on_other_threads_than_it_was_opened_on_has_its_faults_translated(
    tmp_path: Path,
) -> None:
    # A web framework runs a yield dependency's set-up, the route and the tear-down each on
    # a thread of its pool, in a copy of the request's context (anyio's to_thread). The hook
    # knew a unit's statements only in the context that opened it: elsewhere a lock wait
    # that ran out was the driver's bare OperationalError. And the entering context kept
    # the unit closed on another thread, translating the application's own errors there.
    path = tmp_path / "threads.db"
    engine = create_engine(f"sqlite:///{path}", connect_args={"timeout": 0.1})
    create_schema(engine)
    store = SqlAlchemyStore(engine)
    pools = [ThreadPoolExecutor(1) for _ in range(3)]

    def on(pool: ThreadPoolExecutor, fn: Callable[..., object], *args: object) -> object:
        return pool.submit(contextvars.copy_context().run, fn, *args).result(timeout=5)

    try:
        uow = store.unit_of_work()
        on(pools[0], uow.__enter__)
        blocker = sqlite3.connect(path)
        blocker.execute("BEGIN IMMEDIATE")  # the write lock, held by another connection
        try:
            with pytest.raises(StorageTimeout):
                on(pools[1], uow.sessions.add, make_session("a"))
        finally:
            blocker.rollback()
            blocker.close()
        on(pools[2], uow.__exit__, None, None, None)

        left = store.unit_of_work()  # entered here, left on another thread, never used
        left.__enter__()
        on(pools[0], left.__exit__, None, None, None)
        blocker = sqlite3.connect(path)
        blocker.execute("BEGIN IMMEDIATE")
        try:  # the application's own wait, outside any unit: its error stays the driver's
            with pytest.raises(OperationalError, match="locked"), engine.begin() as own:
                own.exec_driver_sql("SELECT 1")
        finally:
            blocker.rollback()
            blocker.close()
    finally:
        for pool in pools:
            pool.shutdown()
        engine.dispose()


def test_a_pool_with_every_connection_lent_is_a_storage_timeout(tmp_path: Path) -> None:
    # SQLAlchemy's bare TimeoutError ("QueuePool limit of size 1 overflow 0 reached") came
    # out of every command while the app's own work held the pool's connections.
    engine = create_engine(
        f"sqlite:///{tmp_path / 'pool.db'}", pool_size=1, max_overflow=0, pool_timeout=0.1
    )
    create_schema(engine)
    store = SqlAlchemyStore(engine)
    held = engine.connect()
    try:
        with pytest.raises(StorageTimeout) as caught, store.unit_of_work() as uow:
            uow.series.active()
    finally:
        held.close()
    assert (caught.value.backend, caught.value.timeout) == ("sqlite", timedelta(seconds=0.1))
    assert "pool_timeout" in str(caught.value)
    assert "all 1 of its connections, and 0 more, in use" in str(caught.value)
    with store.unit_of_work() as uow:  # lent again once the app gave its connection back
        assert uow.series.active() == []
    engine.dispose()


def test_a_joined_unit_taking_the_hosts_first_connection_from_a_lent_pool_is_a_storage_timeout(
    tmp_path: Path,
) -> None:
    # The request's session (a web app's yield dependency) takes its first connection when a
    # joined unit asks for it: with every connection lent, as under concurrent requests, that
    # wait ran out as SQLAlchemy's bare TimeoutError, where a unit of the store's own raised
    # StorageTimeout.
    engine = create_engine(
        f"sqlite:///{tmp_path / 'pool.db'}", pool_size=1, max_overflow=0, pool_timeout=0.1
    )
    create_schema(engine)
    maker = sessionmaker(engine)
    store = SqlAlchemyStore(maker)
    held = engine.connect()
    try:
        with maker() as db, pytest.raises(StorageTimeout) as caught, store.join(db) as uow:
            uow.series.active()
    finally:
        held.close()
    assert (caught.value.backend, caught.value.timeout) == ("sqlite", timedelta(seconds=0.1))
    assert "pool_timeout" in str(caught.value)
    with maker() as db, store.join(db) as uow:  # lent again once the app gave its connection back
        assert uow.series.active() == []
    engine.dispose()


def test_a_unit_is_used_once(store: SqlAlchemyStore) -> None:
    uow = store.unit_of_work()
    with uow:
        pass
    with pytest.raises(RuntimeError, match="used once"), uow:
        pass
    with pytest.raises(RuntimeError, match="inside its `with` block"):
        uow.sessions.get(TENANT, "a")


def test_a_store_over_a_sessionmaker(engine: Engine, publisher: RecordingPublisher) -> None:
    store = SqlAlchemyStore(sessionmaker(engine), publisher)
    with store.unit_of_work() as uow:
        uow.sessions.add(make_session("a"))
        uow.commit()
    with store.unit_of_work() as uow:
        assert uow.sessions.get(TENANT, "a").id == "a"


def test_a_store_over_the_sessionmaker_of_an_engine_not_connected_yet(
    tmp_path: Path, publisher: RecordingPublisher
) -> None:
    # As an app builds its SessionLocal at import: the dialect learns the database's
    # isolation level at the first connect, and the first unit asked it before.
    url = f"sqlite:///{tmp_path / 'fresh.db'}"
    made = create_engine(url)
    create_schema(made)
    made.dispose()
    fresh = create_engine(url)
    store = SqlAlchemyStore(sessionmaker(fresh), publisher)
    with store.unit_of_work() as uow:
        uow.sessions.add(make_session("a"))
        uow.commit()
    with store.unit_of_work() as uow:
        assert uow.sessions.get(TENANT, "a").id == "a"
    fresh.dispose()


def test_a_store_over_a_sessionmaker_without_autobegin(
    engine: Engine, publisher: RecordingPublisher
) -> None:
    # The unit's first statement failed: "Autobegin is disabled on this Session".
    maker = sessionmaker(engine, autobegin=False)
    store = SqlAlchemyStore(maker, publisher)
    with store.unit_of_work() as uow:
        uow.sessions.add(make_session("a"))
        uow.commit()
    with store.unit_of_work() as uow:
        assert uow.sessions.get(TENANT, "a").id == "a"
    assert maker.kw["autobegin"] is False  # the host's own maker is left as it was


def test_a_sessionmaker_must_be_bound(publisher: RecordingPublisher) -> None:
    with pytest.raises(WrongType, match="an Engine or a Connection") as raised:
        SqlAlchemyStore(sessionmaker(), publisher)
    assert raised.value.value is None
    assert raised.value.name == "the sessionmaker's bind"


def test_a_store_over_a_connection_or_a_session_is_refused_naming_what_it_takes(
    engine: Engine, publisher: RecordingPublisher
) -> None:
    # A Connection, a Session or a URL failed with "object has no attribute 'kw'".
    with engine.connect() as connection, OrmSession(engine) as session:
        for bind in (connection, session, "sqlite://"):
            with pytest.raises(WrongType, match="sessionmaker bound to") as raised:
                SqlAlchemyStore(bind, publisher)  # type: ignore[arg-type]
            assert raised.value.value is bind
            assert raised.value.name == "bind"


def test_the_schema_functions_refuse_what_is_not_an_engine_or_connection(engine: Engine) -> None:
    # A URL or an ORM Session failed with "object has no attribute 'connect'".
    with OrmSession(engine) as session:
        for bind in ("sqlite://", session):
            for run in (create_schema, drop_schema, upgrade, alembic_config):
                with pytest.raises(WrongType, match="an Engine or a Connection") as raised:
                    run(bind)  # type: ignore[arg-type]
                assert raised.value.value is bind
    with engine.connect() as connection:
        assert sessions_table.name in inspect(connection).get_table_names()


def test_join_refuses_what_is_not_one_bound_session(store: SqlAlchemyStore, engine: Engine) -> None:
    # Each failed with a bare AttributeError or UnboundExecutionError; a scoped_session's
    # only after its SAVEPOINT was released, its events lost.
    scoped = scoped_session(sessionmaker(engine))
    with engine.connect() as connection:
        for host in (scoped, connection):
            with pytest.raises(WrongType, match="an ORM Session") as raised:
                store.join(host)  # type: ignore[arg-type]
            assert raised.value.value is host
    with OrmSession(binds={sessions_table: engine}) as per_mapper:
        with pytest.raises(InvalidValue, match="per-mapper binds") as refused:
            store.join(per_mapper)
        assert refused.value.value is per_mapper
    scoped.remove()


def test_a_joined_unit_commits_with_the_host(
    store: SqlAlchemyStore, engine: Engine, publisher: RecordingPublisher
) -> None:
    from sessionkit.testing.contract import _event  # the contract's sample event

    with OrmSession(engine) as host:
        host.execute(text("SELECT 1"))
        with store.join(host) as uow:
            uow.sessions.add(make_session("a"))
            uow.collect([_event()])
            uow.commit()
        with store.join(host) as uow:
            uow.sessions.add(make_session("b", at=1))
            uow.collect([_event()])
            # not committed: this unit's write and event are dropped on leaving
        assert publisher.events == []  # the host has not committed yet
        host.commit()
    assert len(publisher.events) == 1
    with store.unit_of_work() as uow:
        assert [s.id for s in uow.sessions.query(TENANT, SessionQuery()).items] == ["a"]


def test_a_host_rollback_drops_a_joined_units_writes_and_events(
    store: SqlAlchemyStore, engine: Engine, publisher: RecordingPublisher
) -> None:
    from sessionkit.testing.contract import _event

    with OrmSession(engine) as host:
        with store.join(host) as uow:
            uow.sessions.add(make_session("a"))
            uow.collect([_event()])
            uow.commit()
        host.rollback()
        host.commit()
    assert publisher.events == []
    with store.unit_of_work() as uow:
        assert uow.sessions.query(TENANT, SessionQuery()).total == 0


@pytest.mark.parametrize("keep", [False, True], ids=["rolled-back", "released"])
def test_a_savepoint_the_host_opens_on_its_connection_decides_a_joined_units_events(
    store: SqlAlchemyStore, engine: Engine, publisher: RecordingPublisher, keep: bool
) -> None:
    # The host's session is bound to the engine: a savepoint it opened on the session's
    # connection itself and rolled back took the unit's writes, yet its events went out.
    from sessionkit.testing.contract import _event

    with OrmSession(engine) as host:
        savepoint = host.connection().begin_nested()
        with store.join(host) as uow:
            uow.sessions.add(make_session("a"))
            uow.collect([_event()])
            uow.commit()
        if keep:
            savepoint.commit()
        else:
            savepoint.rollback()
        host.commit()
    assert len(publisher.events) == (1 if keep else 0)
    with store.unit_of_work() as uow:
        assert uow.sessions.query(TENANT, SessionQuery()).total == (1 if keep else 0)


@pytest.mark.parametrize("began", [False, True], ids=["host-idle", "host-began"])
def test_a_join_inside_a_join_runs_in_the_hosts_transaction(
    store: SqlAlchemyStore, engine: Engine, publisher: RecordingPublisher, began: bool
) -> None:
    # On SQLite the outer unit of an idle host took the in-process lock, and the inner
    # one was refused as nested (NestedUnitOfWork); PostgreSQL and MariaDB ran both.
    from sessionkit.testing.contract import _event

    with OrmSession(engine) as host:
        if began:
            host.execute(text("SELECT 1"))
        with store.join(host) as outer:
            outer.sessions.add(make_session("a"))
            with store.join(host) as inner:
                inner.sessions.add(make_session("b", at=1))
                inner.collect([_event()])
                inner.commit()
            outer.commit()
        host.commit()
    assert len(publisher.events) == 1
    with store.unit_of_work() as uow:
        assert [s.id for s in uow.sessions.query(TENANT, SessionQuery()).items] == ["a", "b"]


# ---------------------------------------------------------------------- kinds and repositories


def test_a_unit_makes_one_repository_per_kind(store: SqlAlchemyStore) -> None:
    with store.unit_of_work() as uow:
        assert uow.repository(SESSIONS) is uow.sessions is uow.repository(SESSIONS)
        assert uow.repository(SERIES) is uow.series
    with store.unit_of_work() as other:
        assert other.sessions is not uow.sessions


def test_an_unregistered_kind_is_unsupported(store: SqlAlchemyStore) -> None:
    stranger: Kind[Repository[Session]] = Kind("stranger", Session)
    with store.unit_of_work() as uow, pytest.raises(UnsupportedKind) as caught:
        uow.repository(stranger)
    assert caught.value.kind == "stranger"
    assert {"session", "series"} <= set(caught.value.known)


def _rooms_table(name: str, *extra: SchemaItem, version: bool = True) -> Table:
    """A kind's table of its own (not in the adapter's metadata), with ``extra`` constraints."""
    columns: list[SchemaItem] = [
        Column("tenant", key_type(), primary_key=True),
        Column("id", key_type(), primary_key=True),
        Column("title", String(255)),
        *([Column("version", Integer)] if version else []),
    ]
    return Table(name, MetaData(), *columns, *extra)


def test_register_refuses_a_unique_key_without_a_constraint() -> None:
    keyed: Kind[Repository[Session]] = Kind(
        "keyed", Session, unique=(UniqueKey("title", ("title",)),)
    )
    with pytest.raises(InvalidValue, match="unique keys") as unmapped:
        register(keyed, SqlKind(sessions_table, dict, dict))
    assert unmapped.value.value == ("title",)
    assert "['title']" in unmapped.value.expected
    with pytest.raises(InvalidValue, match="unique keys") as unknown:
        register(keyed, SqlKind(sessions_table, dict, dict, unique={"title": "t", "name": "n"}))
    assert unknown.value.value == ("name",)
    with pytest.raises(InvalidValue, match="no unique constraint or index 'nope'") as missing:
        register(keyed, SqlKind(sessions_table, dict, dict, unique={"title": "nope"}))
    assert missing.value.value == "nope"
    assert "'sessionkit_sessions'" in missing.value.expected
    assert not isinstance(missing.value, LookupError)  # a refused description, not a lookup
    assert registered("keyed") is None


def test_register_refuses_a_table_without_the_key_and_version_columns() -> None:
    rooms: Kind[Repository[Session]] = Kind("unversioned_rooms", Session)
    with pytest.raises(InvalidValue, match="lacks the columns") as caught:
        register(rooms, SqlKind(_rooms_table("unversioned_rooms", version=False), dict, dict))
    assert caught.value.value == ("version",)
    assert "'version'" in caught.value.expected
    assert registered("unversioned_rooms") is None


def test_register_refuses_a_parent_without_a_foreign_key() -> None:
    orphans: Kind[Repository[Session]] = Kind("orphan_rooms", Session)
    sql: SqlKind[Any] = SqlKind(_rooms_table("orphan_rooms"), dict, dict, parents={"title": SERIES})
    with pytest.raises(InvalidValue, match="no foreign key through 'title'") as caught:
        register(orphans, sql)
    assert caught.value.value == "title"
    assert "kind 'series'" in str(caught.value)
    assert "foreign key" in caught.value.expected
    assert not isinstance(caught.value, LookupError)
    assert registered("orphan_rooms") is None


def test_a_unique_index_and_a_foreign_key_describe_a_kind() -> None:
    table = _rooms_table(
        "fitting_rooms",
        Index("ix_fitting_rooms_title", "tenant", "title", unique=True),
        ForeignKeyConstraint(["tenant", "title"], ["other.tenant", "other.id"]),
    )
    sql: SqlKind[Any] = SqlKind(
        table, dict, dict, unique={"title": "ix_fitting_rooms_title"}, parents={"title": SERIES}
    )
    assert [c.name for c in sql.unique_columns("title")] == ["tenant", "title"]
    assert sql.parent_key("title").column_keys == ["tenant", "title"]
    with pytest.raises(InvalidValue, match="unique key 'name' is not mapped") as caught:
        sql.unique_columns("name")
    assert caught.value.value == "name"


def test_register_refuses_a_constraint_off_the_keys_fields_or_without_the_tenant(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Both were accepted: two records of one tenant then shared a title, and one
    # tenant's title blocked another's, each found out as a raw IntegrityError.
    from sessionkit.adapters.sqlalchemy import _kind

    monkeypatch.setattr(_kind, "_KINDS", dict(_kind._KINDS))  # the fitting one is undone
    keyed: Kind[Repository[Session]] = Kind(
        "titled_rooms", Session, unique=(UniqueKey("title", ("title",)),)
    )
    for columns in (("tenant", "version"), ("title",), ("tenant", "title", "version")):
        table = _rooms_table("titled_rooms", UniqueConstraint(*columns, name="uq_titled"))
        with pytest.raises(InvalidValue, match="must be scoped by the tenant") as caught:
            register(keyed, SqlKind(table, dict, dict, unique={"title": "uq_titled"}))
        assert caught.value.value == columns
        assert caught.value.expected == "a unique constraint on tenant and title"
        assert registered("titled_rooms") is None
    fitting = _rooms_table("titled_rooms", UniqueConstraint("title", "tenant", name="uq_titled"))
    register(keyed, SqlKind(fitting, dict, dict, unique={"title": "uq_titled"}))
    assert registered("titled_rooms") is not None


def test_a_kind_named_as_one_of_sessionkits_own_is_refused(store: SqlAlchemyStore) -> None:
    # Registered, it replaced sessionkit's bookings in every store of the process; asked
    # for, it was handed sessionkit's booking repository. Both failed deep inside.
    mine: Kind[Repository[Session]] = Kind("booking", Session)
    with pytest.raises(InvalidValue, match="kind name 'booking' is sessionkit's own") as caught:
        register(mine, SqlKind(_rooms_table("my_bookings"), dict, dict))
    assert caught.value.value == "booking"
    assert "session" in caught.value.expected
    assert (registered("booking") or (None,))[0] is BOOKINGS
    with store.unit_of_work() as uow, pytest.raises(InvalidValue, match="name your kind"):
        uow.repository(mine)
    with store.unit_of_work() as uow:
        assert uow.repository(BOOKINGS) is uow.bookings


def test_for_occurrences_reads_only_the_keys_asked_in_one_query_per_chunk(
    store: SqlAlchemyStore, engine: Engine
) -> None:
    _fill(store, 1000)
    keys = [(T0 + timedelta(hours=2 * n)).replace(tzinfo=None) for n in (0, 3, 999)]
    log = StatementLog(engine)
    with store.unit_of_work() as uow:
        found = uow.sessions.for_occurrences(
            TENANT, "series-1", [*keys, keys[0], T0.replace(tzinfo=None) + timedelta(minutes=1)]
        )
        assert [(k, s.id) for k, s in sorted(found.items())] == [
            (keys[0], "s0000"),
            (keys[1], "s0003"),
            (keys[2], "s0999"),
        ]
        assert len(log.queries()) == 1
        assert uow.sessions.for_occurrences(TENANT, "series-2", keys) == {}
        log.clear()
        every = [(T0 + timedelta(hours=2 * n)).replace(tzinfo=None) for n in range(1000)]
        assert len(uow.sessions.for_occurrences(TENANT, "series-1", every)) == 1000
        assert len(log.queries()) == 2  # chunks of 900 keys
    event.remove(engine, "before_cursor_execute", log._record)


def test_an_event_handler_reads_what_was_committed(engine: Engine) -> None:
    """Events come after the unit closed: a handler opens its own unit on the same engine."""
    seen: list[list[str]] = []

    class Reading:
        def publish(self, events: object) -> None:
            with reader.unit_of_work() as uow:
                seen.append([s.id for s in uow.sessions.get_many(TENANT, ["a", "b"])])

    reader = SqlAlchemyStore(engine, Reading())
    with reader.unit_of_work() as uow:
        uow.sessions.add(make_session("a"))
        uow.collect([_event()])
        uow.commit()
        assert seen == []
        uow.sessions.add(make_session("b", at=1))
        uow.collect([_event()])
        uow.rollback()
    assert seen == [["a"]]


def test_instants_bind_alike_whether_already_utc_or_not() -> None:
    from zoneinfo import ZoneInfo

    from sessionkit.adapters.sqlalchemy._types import UTCDateTime

    instant = UTCDateTime()
    utc = datetime(2026, 3, 29, 1, 30, tzinfo=UTC)  # Berlin's spring gap starts at 01:00 UTC
    berlin = utc.astimezone(ZoneInfo("Europe/Berlin"))
    # Dialects only: neither engine connects.
    lite = create_engine("sqlite://").dialect
    pg = create_engine("postgresql+psycopg://").dialect
    assert instant.process_bind_param(utc, lite) == datetime(2026, 3, 29, 1, 30)
    assert instant.process_bind_param(berlin, lite) == datetime(2026, 3, 29, 1, 30)
    for value in (utc, berlin):
        bound = instant.process_bind_param(value, pg)
        assert bound == utc
        assert bound is not None
        assert bound.tzinfo is UTC
    with pytest.raises(ValueError, match="timezone-aware"):
        instant.process_bind_param(datetime(2026, 3, 29, 1, 30), lite)


_ZONES = st.sampled_from(
    [
        None,
        UTC,
        ZoneInfo("UTC"),
        ZoneInfo("Etc/UTC"),
        ZoneInfo("Europe/Berlin"),
        timezone(timedelta(hours=5, minutes=30)),
        dateutil_tz.tzutc(),  # not hashable: a driver's own tzinfo need not be
        dateutil_tz.tzoffset(None, -3600),
    ]
)


@given(st.datetimes(timezones=_ZONES))
def test_instants_read_back_as_utc_by_the_plain_rule(value: datetime) -> None:
    """The quick conversions (no ``replace``) give what the plain rule gives, zone ``UTC``."""
    from sessionkit.adapters.sqlalchemy._types import UTCDateTime

    lite = create_engine("sqlite://").dialect
    read = UTCDateTime().process_result_value(value, lite)
    expected = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    assert read == expected
    assert read is not None
    assert read.tzinfo is UTC
    assert (read.year, read.hour, read.minute, read.microsecond) == (
        expected.year,
        expected.hour,
        expected.minute,
        expected.microsecond,
    )
    if value.tzinfo is not None:
        bound = UTCDateTime().process_bind_param(value, lite)
        assert bound == value.astimezone(UTC).replace(tzinfo=None)
        assert bound is not None
        assert bound.tzinfo is None


@given(st.datetimes(timezones=_ZONES), st.sampled_from(["postgresql+psycopg://", "sqlite://"]))
def test_instants_read_back_as_utc_through_cores_processor(value: datetime, url: str) -> None:
    """What Core calls per value (PostgreSQL's shortcut for UTC values) gives the plain rule."""
    from sessionkit.adapters.sqlalchemy._types import UTCDateTime

    dialect = create_engine(url).dialect  # the dialect only: nothing connects
    process = UTCDateTime().dialect_impl(dialect).result_processor(dialect, None)
    assert process is not None
    raw: object = value if dialect.name == "postgresql" else str(value.replace(tzinfo=None))
    read = process(raw)
    if dialect.name == "postgresql":
        expected = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    else:  # SQLite stores the naive UTC text
        expected = value.replace(tzinfo=UTC)
    assert read == expected
    assert read.tzinfo is UTC
    if value.tzinfo is UTC:
        assert read is value or dialect.name != "postgresql"
    assert process(None) is None


@pytest.mark.parametrize("resource", [None, ResourceRef("teacher", "ana")])
def test_bookable_sessions_are_grouped_as_the_index_walks(
    store: SqlAlchemyStore, engine: Engine, resource: ResourceRef | None
) -> None:
    """No sort of the tenant's window before the limit.

    Grouped by every column shown, SQLite sorted a tenant's whole window before
    cutting a page (330 ms against 11 ms for 30,000 sessions in 30 days). One
    resource's sessions are grouped by key and only they are sorted (walking
    the tenant's window for them took twice as long for one of 60 teachers
    with no statistics gathered).
    """

    _fill(store, 20)
    sent: list[tuple[str, Any]] = []

    def seen(_c: Any, _cursor: Any, statement: str, parameters: Any, *_rest: Any) -> None:
        sent.append((statement, parameters))

    window = TimeSpan(T0 - timedelta(days=1), T0 + timedelta(days=30))
    with store.unit_of_work() as uow:
        event.listen(engine, "before_cursor_execute", seen)
        try:
            found = uow.repository(BOOKINGS).bookable(
                TENANT, window=window, at=window.start, resource=resource, limit=5
            )
        finally:
            event.remove(engine, "before_cursor_execute", seen)
        assert len(found) == 5
        [(statement, parameters)] = [s for s in sent if "sessionkit_bookings" in s[0]]
        plan = uow.db().connection().exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters)
        details = [row[-1] for row in plan]
    assert not [d for d in details if "FOR GROUP BY" in d], details
    # The seats are summed from the index alone (migration 0013), no booking row read.
    assert any("COVERING INDEX ix_sessionkit_bookings_seats" in d for d in details), details
    if resource is None:
        assert not [d for d in details if "TEMP B-TREE" in d], details
        assert any("ix_sessionkit_sessions_tenant_start_at_id" in d for d in details), details
