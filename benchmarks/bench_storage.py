"""Storage: the SQLAlchemy adapter against raw SQLAlchemy Core on SQLite and PostgreSQL.

Three measurements, each with a reference taken in the same run:

1. **Materialise** a 2-month window for 10,000 series (about 170,000 sessions)
   through the real services (``SessionKit`` over ``SqlAlchemyStore``) with
   ``kit.series.create_many``, one unit of work per batch of ``BATCH`` series,
   into a SQLite file, then on PostgreSQL. Reference: the very same rows
   (series, schedule items, sessions, session resources) inserted with Core
   ``executemany`` in one transaction into a fresh database with the same
   schema (aim: within 2x). For comparison, one ``kit.series.create`` (one
   unit of work) per series runs until a time budget, against Core with one
   transaction per series over the same series, and the growth of its time
   per series with the sessions already stored projects the full run. On
   PostgreSQL it runs twice: on a fresh schema as is, and with ``ANALYZE``
   after the first 1% of series (the statistics autovacuum would gather
   later). Over the aim, a cProfile of the last batch says where the time goes.
2. **Conflict check** for one new session: ``busy_overlapping`` for one
   teacher and span, as a service would run it, with 10k and with 1M sessions
   stored (aim: within 2x of each other) and against a bare Core query
   bounded on both sides (``resource = :r AND start < :end AND start > :start -
   :max_duration``) over an index on (resource, start) in the same database
   (aim: within 2x of it).
3. A **filtered, sorted page** of 50 out of 1M sessions (one status, a
   one-month start range, by start): median latency and SQL statements per
   call.

The stored sessions of 2 and 3 are loaded straight into the adapter's own
tables with Core ``executemany`` (setup, not measured; about a minute for 1M on
SQLite), one session per teacher and day, so a teacher's history grows with
the table. PostgreSQL runs when
``SESSIONKIT_TEST_POSTGRES_URL`` is set (e.g.
``postgresql+psycopg://postgres@127.0.0.1:5432/test``).
"""

from __future__ import annotations

import contextlib
import cProfile
import gc
import os
import pstats
import random
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, date, datetime, timedelta
from datetime import time as wall_time
from pathlib import Path
from typing import Any

import attrs
from sqlalchemy import (
    Column,
    Index,
    MetaData,
    String,
    Table,
    bindparam,
    create_engine,
    event,
    func,
    insert,
    select,
)
from sqlalchemy.engine import Connection, Engine

from sessionkit.adapters.sqlalchemy import SqlAlchemyStore, create_schema
from sessionkit.adapters.sqlalchemy._types import UTCDateTime
from sessionkit.adapters.sqlalchemy.mapping import (
    resource_values,
    schedule_item_values,
    series_values,
    session_values,
)
from sessionkit.adapters.sqlalchemy.rows import (
    schedule_items_table,
    series_table,
    session_resources_table,
    sessions_table,
)
from sessionkit.adapters.sqlalchemy.testing import postgres_schema
from sessionkit.model.query import SessionQuery
from sessionkit.model.series import ScheduleItem, Series
from sessionkit.model.session import ResourceRef, Session
from sessionkit.recurrence import Recurrence
from sessionkit.services import SeriesSpec, SessionKit
from sessionkit.testing.clocks import ManualClock
from sessionkit.timespan import TimeSpan

TENANT = "acme"
ZONES = ("Europe/Berlin", "America/New_York", "Asia/Tokyo", "Australia/Sydney")
DAY_PAIRS = (("MO", "WE"), ("TU", "TH"), ("WE", "FR"), ("MO", "TH"), ("TU", "FR"))
FIRST_DAY = date(2026, 3, 2)  # a Monday; the window crosses the spring DST changes
NOW = datetime(2026, 3, 1, tzinfo=UTC)
SHARED = 0.1
"""The share of series that reuse an earlier series' teacher on one of its two days."""

BATCH = 1_000
"""Series per ``kit.series.create_many`` call (one unit of work each)."""

URL_VARIABLE = "SESSIONKIT_TEST_POSTGRES_URL"


# ---------------------------------------------------------------------------------- helpers


def postgres_url() -> str | None:
    url = os.environ.get(URL_VARIABLE)
    if not url:
        print(f"  (PostgreSQL skipped: set {URL_VARIABLE}, e.g. postgresql+psycopg://...)")
    return url or None


def sqlite_engine(path: Path) -> Engine:
    return create_engine(f"sqlite:///{path}")


def fast_loader(path: Path) -> Engine:
    """An engine for setup only: no fsync, so loading 1M rows does not wait on the disk."""
    engine = create_engine(f"sqlite:///{path}")

    @event.listens_for(engine, "connect")
    def _unsafe(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA synchronous = OFF")
        cursor.close()

    return engine


class StatementCounter:
    """Counts the SQL statements an engine sends to the driver."""

    def __init__(self, engine: Engine) -> None:
        self.count = 0
        event.listen(engine, "before_cursor_execute", self._seen)

    def _seen(self, *_args: Any) -> None:
        self.count += 1


def median_us(samples: Sequence[float]) -> float:
    return statistics.median(samples) * 1e6


def sample(fn: Callable[[int], object], n: int, budget: float) -> list[float]:
    """Time ``fn(i)`` for i in range(n), stopping early (after at least 15) once over budget."""
    samples: list[float] = []
    clock = time.perf_counter
    deadline = clock() + budget
    for i in range(n):
        started = clock()
        fn(i)
        ended = clock()
        samples.append(ended - started)
        if ended > deadline and len(samples) >= 15:
            break
    return samples


def ratio(value: float, reference: float) -> str:
    return f"{value / reference:6.2f}x"


# ---------------------------------------------------------------------------------- 1. materialise


def make_series_specs(n: int, seed: int = 11) -> list[tuple[str, ScheduleItem]]:
    """Weekly classes on two days in a few zones; each series has its own teacher except that
    the last ``SHARED`` share reuse an earlier series' teacher, zone and time on one of its
    two days, so about half of their occurrences collide and are skipped.
    """
    rng = random.Random(seed)
    own = n - int(n * SHARED)
    plain: list[tuple[str, str, tuple[str, str], wall_time]] = []
    for i in range(own):
        plain.append(
            (
                f"teacher-{i:05d}",
                ZONES[i % len(ZONES)],
                DAY_PAIRS[rng.randrange(len(DAY_PAIRS))],
                wall_time(rng.randrange(8, 20), rng.choice((0, 30))),
            )
        )
    specs = list(plain)
    for i in range(own, n):
        teacher, zone, days, at = plain[i - own]
        other = next(d for d in ("FR", "TH", "WE", "TU") if d not in days)
        specs.append((teacher, zone, (days[0], other), at))
    items = []
    for i, (teacher, zone, days, at) in enumerate(specs):
        recurrence = Recurrence.weekly(days, at, timedelta(minutes=60), zone, start=FIRST_DAY)
        items.append(
            (
                f"series-{i:05d}",
                ScheduleItem("main", recurrence, (ResourceRef("teacher", teacher),)),
            )
        )
    return items


@attrs.define
class Materialised:
    """What one run of the services wrote, and how long each series took."""

    series: list[Series] = attrs.Factory(list)
    sessions: list[Session] = attrs.Factory(list)
    skipped: int = 0
    seconds: list[float] = attrs.Factory(list)
    """Per series, in order."""
    stored_before: list[int] = attrs.Factory(list)
    """Per series: how many sessions were stored when it started."""

    @property
    def total(self) -> float:
        return sum(self.seconds)

    def rows(self, first: int = 0, stop: int | None = None) -> list[RowSets]:
        """The rows each of the series ``[first, stop)`` wrote, as plain dicts."""
        stop = len(self.series) if stop is None else stop
        bounds = [*self.stored_before, len(self.sessions)]
        return [
            series_rows(self.series[i], self.sessions[bounds[i] : bounds[i + 1]])
            for i in range(first, stop)
        ]


RowSets = list[tuple[Table, list[dict[str, Any]]]]
TABLES = (series_table, schedule_items_table, sessions_table, session_resources_table)


def series_rows(series: Series, sessions: Sequence[Session]) -> RowSets:
    """The rows sessionkit wrote for one series, as plain dicts."""
    return [
        (series_table, [series_values(series)]),
        (schedule_items_table, schedule_item_values(series)),
        (sessions_table, [session_values(s) for s in sessions]),
        (session_resources_table, [row for s in sessions for row in resource_values(s)]),
    ]


def merged(per_series: Sequence[RowSets]) -> RowSets:
    return [
        (table, [row for rows in per_series for row in rows[position][1]])
        for position, table in enumerate(TABLES)
    ]


def materialise_with_sessionkit(
    engine: Engine,
    specs: Sequence[tuple[str, ScheduleItem]],
    budget: float,
    analyze_after: int | None = None,
) -> Materialised:
    """Create each series (and its 2-month window) through the services, one unit of work each.

    Stops early, after the series that crosses ``budget`` seconds. With
    ``analyze_after``, runs ``ANALYZE`` (not timed) once that many series are in.
    """
    store = SqlAlchemyStore(engine)
    kit = SessionKit(uow=store.unit_of_work, clock=ManualClock(NOW))
    done = Materialised()
    clock = time.perf_counter
    spent = 0.0
    for n, (series_id, item) in enumerate(specs):
        if spent > budget:
            break
        if n == analyze_after:
            analyze(engine)
        started = clock()
        made, report = kit.series.create(
            TENANT, actor="bench", title=f"Class {series_id}", items=[item], series_id=series_id
        )
        took = clock() - started
        spent += took
        done.seconds.append(took)
        done.stored_before.append(len(done.sessions))
        done.series.append(made)
        done.sessions.extend(report.created)
        done.skipped += len(report.skipped)
    return done


def materialise_in_batches(
    engine: Engine,
    specs: Sequence[tuple[str, ScheduleItem]],
    batch: int,
    analyze_after: int | None = None,
) -> Materialised:
    """Create the series ``batch`` at a time with ``kit.series.create_many`` (a unit of work each).

    A batch's time is spread evenly over its series. With ``analyze_after``,
    runs ``ANALYZE`` (not timed) before the first batch that finds at least
    that many series stored.
    """
    store = SqlAlchemyStore(engine)
    kit = SessionKit(uow=store.unit_of_work, clock=ManualClock(NOW))
    done = Materialised()
    clock = time.perf_counter
    analyzed = False
    for first in range(0, len(specs), batch):
        chunk = specs[first : first + batch]
        if analyze_after is not None and not analyzed and first >= analyze_after:
            analyze(engine)
            analyzed = True
        wanted = [
            SeriesSpec(title=f"Class {series_id}", items=[item], series_id=series_id)
            for series_id, item in chunk
        ]
        started = clock()
        made = kit.series.create_many(TENANT, actor="bench", specs=wanted)
        took = clock() - started
        for series, report in made:
            done.seconds.append(took / len(made))
            done.stored_before.append(len(done.sessions))
            done.series.append(series)
            done.sessions.extend(report.created)
            done.skipped += len(report.skipped)
    return done


def analyze(engine: Engine) -> None:
    with engine.begin() as connection:
        connection.exec_driver_sql("ANALYZE")


def insert_with_core(engine: Engine, rows: RowSets) -> None:
    """The floor: one transaction, one ``executemany`` per table."""
    with engine.begin() as connection:
        for table, values in rows:
            if values:
                connection.execute(insert(table), values)


def insert_with_core_per_series(
    engine: Engine, per_series: Sequence[RowSets], analyze_after: int | None
) -> None:
    """The floor for one transaction per series, as the services commit."""
    for n, rows in enumerate(per_series):
        if n == analyze_after:
            analyze(engine)
        insert_with_core(engine, rows)


def count_sessions(engine: Engine) -> int:
    with engine.connect() as connection:
        found = connection.scalar(select(func.count()).select_from(sessions_table))
    return int(found or 0)


def timed(fn: Callable[[], object]) -> float:
    gc.collect()
    started = time.perf_counter()
    fn()
    return time.perf_counter() - started


def growth(done: Materialised, total_series: int) -> tuple[str, float] | None:
    """Fit seconds per series = a + b * stored sessions; project the full run from it."""
    if len(done.seconds) < 20:
        return None
    fit = statistics.linear_regression(done.stored_before, done.seconds)
    per_series = len(done.sessions) / len(done.seconds)
    # Series k pays a, plus b times the k * per_series sessions stored before it.
    projected = total_series * fit.intercept + fit.slope * per_series * total_series**2 / 2
    tenth = max(1, len(done.seconds) // 10)
    first = statistics.fmean(done.seconds[:tenth]) * 1000
    last = statistics.fmean(done.seconds[-tenth:]) * 1000
    text = (
        f"per series {first:.1f} ms (first tenth) -> {last:.1f} ms (last tenth); fit: "
        f"{fit.intercept * 1000:.2f} ms + {fit.slope * 1e9:,.0f} ns per stored session"
    )
    return text, projected


def profile_materialise(run: Callable[[], object], what: str) -> None:
    """Profile ``run()`` and print where the time goes, by area and function."""
    profile = cProfile.Profile()
    profile.enable()
    run()
    profile.disable()
    stats = pstats.Stats(profile).get_stats_profile()
    total = stats.total_tt
    areas: dict[str, float] = {}
    for name, fp in stats.func_profiles.items():
        area = profile_area(fp.file_name, name)
        areas[area] = areas.get(area, 0.0) + fp.tottime
    print(f"    cProfile of {what} ({total:.2f} s under the profiler); own time by area:")
    for area, spent in sorted(areas.items(), key=lambda kv: -kv[1]):
        if spent / total >= 0.01:
            print(f"      {spent / total:6.1%}  {area}")
    print("    top functions by own time (ncalls, own s, cumulative s):")
    ranked = sorted(stats.func_profiles.items(), key=lambda kv: -kv[1].tottime)
    for name, fp in ranked[:14]:
        print(
            f"      {fp.ncalls:>9} {fp.tottime:7.3f} {fp.cumtime:7.3f}  "
            f"{short_path(fp.file_name)}:{fp.line_number} {name}"
        )
    print("    cumulative time of the steps (s, share of total):")
    wanted = (
        ("series.py", "create_many"),
        ("bulk.py", "create_many_in"),
        ("series.py", "create"),
        ("store.py", "__enter__"),
        ("store.py", "__exit__"),
        ("store.py", "commit"),
        ("_series.py", "add"),
        ("_series.py", "add_many"),
        ("generation.py", "wanted_occurrences"),
        ("_sessions.py", "for_series"),
        ("_sessions.py", "busy_overlapping"),
        ("generation.py", "plan"),
        ("_sessions.py", "add_many"),
        ("_sessions.py", "_check_batch"),
        ("_diagnose.py", "stored_blockers"),
        ("_backend.py", "check_before_write"),
        ("mapping.py", "session_values"),
        ("session.py", "__init__"),
    )
    for file_end, function in wanted:
        for name, fp in stats.func_profiles.items():
            if (
                name == function
                and fp.file_name.endswith(file_end)
                and "sessionkit" in fp.file_name
            ):
                print(
                    f"      {fp.cumtime:7.3f} {fp.cumtime / total:6.1%}  {file_end} {function}"
                    f" ({fp.ncalls} calls)"
                )
                break


def short_path(path: str) -> str:
    for marker in ("site-packages/", "src/", "lib/python3.11/"):
        if marker in path:
            return path.split(marker, 1)[1]
    return path


def profile_area(path: str, name: str) -> str:
    if path == "~":
        if "sqlite3" in name or "psycopg" in name:
            return "driver (C: execute, executemany, commit)"
        return f"builtins ({name})" if "method" not in name else "builtin methods"
    if "sessionkit/adapters" in path:
        return "sessionkit.adapters.sqlalchemy (Python)"
    if "sessionkit/recurrence" in path or "sessionkit/zones" in path:
        return "sessionkit recurrence + zones"
    if "sessionkit/" in path:
        return "sessionkit core, model, services"
    for package in ("sqlalchemy/orm", "sqlalchemy/engine", "sqlalchemy/sql", "sqlalchemy"):
        if package + "/" in path:
            return package.replace("/", ".")
    if "psycopg" in path and name == "wait":
        return "waiting for PostgreSQL (psycopg wait)"
    for package in ("psycopg", "attr", "dateutil", "zoneinfo", "json", "threading", "uuid"):
        if f"/{package}" in path:
            return package
    return "other"


def bench_materialise_on(
    name: str,
    specs: Sequence[tuple[str, ScheduleItem]],
    database: Callable[[], contextlib.AbstractContextManager[Engine]],
    budget: float,
    analyze_after: int | None = None,
) -> None:
    with database() as engine:
        gc.collect()
        done = materialise_in_batches(engine, specs, BATCH, analyze_after)
        assert count_sessions(engine) == len(done.sessions)
    kit_time = done.total
    rows = merged(done.rows())
    n_rows = sum(len(values) for _, values in rows)
    with database() as engine:
        core_time = timed(lambda: insert_with_core(engine, rows))
        assert count_sessions(engine) == len(done.sessions)
    met = kit_time <= 2 * core_time
    print(
        f"  {name:<13} {len(done.series):>6,} {len(done.sessions):>8,} {done.skipped:>7,}"
        f" {kit_time:8.2f}s {core_time:7.2f}s {ratio(kit_time, core_time)}"
        f"  aim within 2x of Core: {'met' if met else 'NOT met'}",
        flush=True,
    )
    pad = " " * 16
    print(
        f"{pad}create_many, {BATCH:,} series per unit of work: {len(done.sessions) / kit_time:,.0f}"
        f" sessions/s; Core {n_rows / core_time:,.0f} rows/s in one transaction ({n_rows:,} rows"
        " in 4 tables)"
    )
    if analyze_after is not None:
        print(
            f"{pad}ANALYZE ran once at least {analyze_after} series were in (create_many: after"
            " its first batch; create and Core per series: after that many series)"
        )
    # One create (one unit of work) per series, for comparison, until the budget.
    with database() as engine:
        gc.collect()
        one = materialise_with_sessionkit(engine, specs, budget, analyze_after)
    # Both ways create the same sessions (but for their random ids).
    bounds = [*done.stored_before, len(done.sessions)]
    assert len(one.sessions) == bounds[len(one.series)], (len(one.sessions), len(one.series))
    with database() as engine:
        per_series_time = timed(
            lambda: insert_with_core_per_series(engine, one.rows(), analyze_after)
        )
    per = one.total / len(one.series)
    line = (
        f"{pad}one kit.series.create per series: {len(one.series):,} series in {one.total:.1f} s"
        f" ({per * 1000:.2f} ms each), {ratio(one.total, per_series_time).strip()} Core with one"
        f" transaction per series ({per_series_time:.1f} s)"
    )
    trend = growth(one, len(specs))
    if trend is not None:
        text, projected = trend
        line += f"; {text}; all {len(specs):,} projected {projected:,.0f} s,"
        line += f" {ratio(projected, core_time).strip()} Core in one transaction"
    print(line, flush=True)
    if not met:
        # Profile the steady state: the last batch, on top of what came before it.
        first = max(0, len(done.series) - BATCH)
        with database() as engine:
            insert_with_core(engine, merged(done.rows(stop=first)))
            if analyze_after is not None:
                analyze(engine)
            last = specs[first : len(done.series)]
            profile_materialise(
                lambda: materialise_in_batches(engine, last, BATCH),
                f"the last batch of {len(last):,} series again, on top of"
                f" {done.stored_before[first]:,} stored sessions",
            )


def bench_materialise(quick: bool, tmp: Path) -> None:
    n = 300 if quick else 10_000
    budgets = (4.0, 2.0, 3.0) if quick else (20.0, 15.0, 15.0)
    specs = make_series_specs(n)
    print(
        f"1. Materialise a 2-month window: kit.series.create_many, {BATCH:,} series per unit of"
        " work"
    )
    print("   reference: the same rows with Core executemany in one transaction, into a fresh")
    print("   database; then one kit.series.create per series (one unit of work each) until a")
    print("   time budget, against Core with one transaction per series")
    print(
        f"  {'database':<13} {'series':>6} {'sessions':>8} {'skipped':>7} {'sessionkit':>9}"
        f" {'Core 1 tx':>8} {'ratio':>7}"
    )
    counter = iter(range(1_000_000))

    @contextlib.contextmanager
    def sqlite_file() -> Iterator[Engine]:
        path = tmp / f"materialise-{next(counter)}.sqlite3"
        engine = sqlite_engine(path)
        create_schema(engine)
        try:
            yield engine
        finally:
            engine.dispose()
            path.unlink()

    bench_materialise_on("SQLite file", specs, sqlite_file, budgets[0])
    url = postgres_url()
    if url is not None:

        def postgres() -> contextlib.AbstractContextManager[Engine]:
            return postgres_schema(url)

        bench_materialise_on("PostgreSQL", specs, postgres, budgets[1])
        bench_materialise_on(
            "PG, analyzed", specs, postgres, budgets[2], analyze_after=max(20, n // 100)
        )


# ---------------------------------------------------------------------------------- 2 and 3

TEACHERS = 1000
BASE = datetime(2024, 1, 1, tzinfo=UTC)
MAX_DURATION = timedelta(minutes=90)
STATUSES = (("SCHEDULED", True, 70), ("FINISHED", True, 20), ("CANCELED", False, 10))

reference_metadata = MetaData()
reference_busy = Table(
    "bench_reference_busy",
    reference_metadata,
    Column("resource", String(255), nullable=False),
    Column("start_at", UTCDateTime(), nullable=False),
    Column("end_at", UTCDateTime(), nullable=False),
    Column("session_id", String(128), nullable=False),
    Index("ix_bench_reference_busy_resource_start", "resource", "start_at"),
)
"""The reference's own table: one row per busy (resource, span), indexed on (resource, start)."""


def teacher(t: int) -> str:
    return f"teacher:t{t:04d}"


def day_rows(
    days: range, rng: random.Random
) -> Iterator[tuple[dict[str, Any], dict[str, Any], dict[str, Any] | None]]:
    """One session per teacher and day, 08:00-20:00 UTC, 45 to 90 minutes long."""
    statuses = [status for status, _busy, weight in STATUSES for _ in range(weight)]
    busy_of = {status: busy for status, busy, _weight in STATUSES}
    for day in days:
        midnight = BASE + timedelta(days=day)
        for t in range(TEACHERS):
            start = midnight + timedelta(hours=8, minutes=15 * rng.randrange(0, 40))
            end = start + timedelta(minutes=rng.choice((45, 60, 90)))
            status = rng.choice(statuses)
            busy = busy_of[status]
            session_id = f"s{day:05d}-{t:04d}"
            resource = teacher(t)
            session: dict[str, Any] = {
                "tenant": TENANT,
                "id": session_id,
                "series_id": None,
                "schedule_item_id": None,
                "occurrence_key": None,
                "title": f"Lesson {t} on day {day}",
                "start_at": start,
                "end_at": end,
                "tz": "UTC",
                "status": status,
                "lifecycle": "lms",
                "busy": busy,
                "capacity": 1,
                "is_extra": True,
                "detached": False,
                "resources": [resource],
                "version": 1,
                "created_at": BASE,
                "created_by": "bench",
                "updated_at": None,
                "updated_by": None,
                "metadata": {},
            }
            link = {
                "tenant": TENANT,
                "session_id": session_id,
                "resource": resource,
                "start_at": start,
                "end_at": end,
                "busy": busy,
            }
            ref = (
                {"resource": resource, "start_at": start, "end_at": end, "session_id": session_id}
                if busy
                else None
            )
            yield session, link, ref


def load_days(engine: Engine, days: range, seed: int) -> None:
    """Insert one session per teacher per day with Core executemany (setup, not measured)."""
    rng = random.Random(seed)
    batch: list[tuple[dict[str, Any], dict[str, Any], dict[str, Any] | None]] = []

    def flush(connection: Connection) -> None:
        connection.execute(insert(sessions_table), [s for s, _, _ in batch])
        connection.execute(insert(session_resources_table), [r for _, r, _ in batch])
        refs = [ref for _, _, ref in batch if ref is not None]
        if refs:
            connection.execute(insert(reference_busy), refs)
        batch.clear()

    with engine.begin() as connection:
        for rows in day_rows(days, rng):
            batch.append(rows)
            if len(batch) >= 20_000:
                flush(connection)
        if batch:
            flush(connection)
    analyze(engine)


def make_probes(n: int, days: int, seed: int) -> list[tuple[str, TimeSpan]]:
    """New one-hour sessions for random teachers on random days of the stored history."""
    rng = random.Random(seed)
    probes = []
    for _ in range(n):
        start = BASE + timedelta(
            days=rng.randrange(days), hours=8, minutes=15 * rng.randrange(0, 44)
        )
        probes.append(
            (teacher(rng.randrange(TEACHERS)), TimeSpan(start, start + timedelta(hours=1)))
        )
    return probes


class Lookups:
    """The measured calls of parts 2 and 3 over one database."""

    def __init__(self, engine: Engine, reader: Engine) -> None:
        self.store = SqlAlchemyStore(engine)
        self.reader = reader
        """A plain engine on the same database for the Core reference (no sessionkit hooks)."""
        self.counter = StatementCounter(engine)

    def conflict_uow(self, probes: Sequence[tuple[str, TimeSpan]], budget: float) -> list[float]:
        """As a service checks a new session: its own unit of work, then busy_overlapping."""
        store = self.store

        def check(i: int) -> object:
            resource, span = probes[i]
            with store.unit_of_work() as uow:
                return uow.sessions.busy_overlapping(
                    TENANT,
                    resources=[ResourceRef.parse(resource)],
                    span=span,
                    exclude_ids=("new-session",),
                )

        return sample(check, len(probes), budget)

    def conflict_repository(
        self, probes: Sequence[tuple[str, TimeSpan]], budget: float
    ) -> list[float]:
        """busy_overlapping alone, inside one open unit of work."""
        with self.store.unit_of_work() as uow:
            sessions = uow.sessions
            refs = [ResourceRef.parse(resource) for resource, _ in probes]

            def check(i: int) -> object:
                return sessions.busy_overlapping(
                    TENANT, resources=[refs[i]], span=probes[i][1], exclude_ids=("new-session",)
                )

            return sample(check, len(probes), budget)

    def conflict_core(
        self, probes: Sequence[tuple[str, TimeSpan]], budget: float, *, bounded: bool
    ) -> list[float]:
        """The bare Core query over (resource, start); ``bounded`` adds the lower bound."""
        b = reference_busy.c
        statement = select(b.session_id, b.start_at, b.end_at).where(
            b.resource == bindparam("resource"),
            b.start_at < bindparam("end"),
            b.end_at > bindparam("start"),
        )
        if bounded:
            statement = statement.where(b.start_at > bindparam("earliest"))
        with self.reader.connect() as connection:

            def check(i: int) -> object:
                resource, span = probes[i]
                return connection.execute(
                    statement,
                    {
                        "resource": resource,
                        "start": span.start,
                        "end": span.end,
                        "earliest": span.start - MAX_DURATION,
                    },
                ).all()

            return sample(check, len(probes), budget)

    def conflict_plan(self, probe: tuple[str, TimeSpan]) -> list[str]:
        """The database's plan for the adapter's conflict query (EXPLAIN of what it sent)."""
        seen: list[tuple[str, Any]] = []

        def record(
            _conn: Any, _cursor: Any, statement: str, parameters: Any, _ctx: Any, _many: bool
        ) -> None:
            seen.append((statement, parameters))

        engine = self.store.engine
        event.listen(engine, "before_cursor_execute", record)
        try:
            with self.store.unit_of_work() as uow:
                uow.sessions.busy_overlapping(
                    TENANT, resources=[ResourceRef.parse(probe[0])], span=probe[1]
                )
        finally:
            event.remove(engine, "before_cursor_execute", record)
        statement, parameters = next(
            (s, p) for s, p in seen if s.lstrip().upper().startswith("SELECT")
        )
        with self.reader.connect() as connection:
            if connection.dialect.name == "sqlite":
                rows = connection.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters)
                return [str(row[3]) for row in rows]
            rows = connection.exec_driver_sql("EXPLAIN " + statement, parameters)
            return [str(row[0]) for row in rows]

    def page(self, query: SessionQuery, n: int, budget: float) -> tuple[list[float], int, int]:
        """``uow.sessions.query`` inside one open unit of work; statements per call, total."""
        with self.store.unit_of_work() as uow:
            sessions = uow.sessions
            first = sessions.query(TENANT, query)
            before = self.counter.count
            sessions.query(TENANT, query)
            statements = self.counter.count - before
            samples = sample(lambda _i: sessions.query(TENANT, query), n, budget)
        assert len(first.items) == query.limit, len(first.items)
        return samples, statements, first.total


def check_agreement(lookups: Lookups, probes: Sequence[tuple[str, TimeSpan]]) -> None:
    """The adapter and the reference find the same busy sessions."""
    b = reference_busy.c
    with lookups.store.unit_of_work() as uow, lookups.reader.connect() as connection:
        for resource, span in probes[:10]:
            found = uow.sessions.busy_overlapping(
                TENANT, resources=[ResourceRef.parse(resource)], span=span
            )
            expected = connection.scalars(
                select(b.session_id)
                .where(
                    b.resource == resource,
                    b.start_at < span.end,
                    b.start_at > span.start - MAX_DURATION,
                    b.end_at > span.start,
                )
                .order_by(b.start_at)
            ).all()
            assert [s.id for s in found] == list(expected), (resource, span, found, expected)


def bench_lookups_on(name: str, engine: Engine, loader: Engine, quick: bool) -> None:
    """Parts 2 and 3 on one database; ``loader`` is a plain engine on it for setup and Core."""
    small, large = (2_000, 20_000) if quick else (10_000, 1_000_000)
    queries = 300 if quick else 2_000
    budget = 1.0 if quick else 2.5
    reference_metadata.create_all(loader)
    lookups = Lookups(engine, loader)
    results: dict[int, dict[str, float]] = {}
    rounds = (("uow", "adapter, own unit of work"), ("repo", "adapter, open unit of work"))
    loaded_days = 0
    page_result: tuple[list[float], int, int] | None = None
    load_time = 0.0
    for size in (small, large):
        days = size // TEACHERS
        started = time.perf_counter()
        load_days(loader, range(loaded_days, days), seed=days)
        load_time += time.perf_counter() - started
        loaded_days = days
        probes = make_probes(queries, days, seed=size)
        check_agreement(lookups, probes)
        figures = {
            "core": median_us(lookups.conflict_core(probes, budget, bounded=True)),
            "core_unbounded": median_us(lookups.conflict_core(probes, budget, bounded=False)),
            "uow": median_us(lookups.conflict_uow(probes, budget)),
            "repo": median_us(lookups.conflict_repository(probes, budget)),
        }
        results[size] = figures
        if size == large:
            middle = BASE + timedelta(days=days // 2)
            query = SessionQuery(
                statuses="SCHEDULED",
                start_from=middle,
                start_to=middle + timedelta(days=30),
                sort="start",
                limit=50,
            )
            page_result = lookups.page(query, queries // 4, budget)
    print(f"  {name}: {large:,} sessions loaded with Core executemany in {load_time:.1f} s (setup)")
    print(f"  {'median per check':<44} {small:>10,} {large:>10,}  large/small")
    lines = [
        ("core", "Core, bounded both sides (reference)"),
        ("core_unbounded", "Core, bounded by start < :end only"),
        *rounds,
    ]
    for key, label in lines:
        s, big = results[small][key], results[large][key]
        print(f"  {label:<44} {s:8.1f}us {big:8.1f}us {ratio(big, s)}")
    for key, label in rounds:
        s, big = results[small][key], results[large][key]
        core_s, core_big = results[small]["core"], results[large]["core"]
        scaled = big <= 2 * s
        print(
            f"  {label}: {large:,}/{small:,} {ratio(big, s)} (aim within 2x: "
            f"{'met' if scaled else 'NOT met'}); vs bounded Core {ratio(s, core_s)} at "
            f"{small:,}, {ratio(big, core_big)} at {large:,} (aim within 2x: "
            f"{'met' if big <= 2 * core_big else 'NOT met'})"
        )
    print(f"  the adapter's conflict query at {large:,}, as the database plans it:")
    for line in lookups.conflict_plan(make_probes(1, large // TEACHERS, seed=1)[0]):
        print(f"    {line}")
    assert page_result is not None
    samples, statements, total = page_result
    print(
        f"  page of 50 of {large:,} (SCHEDULED, 30-day start range of {total:,} matches,"
        f" by start): median {median_us(samples) / 1000:.2f} ms, {statements} SQL statements"
        " per call",
        flush=True,
    )


def bench_lookups(quick: bool, tmp: Path) -> None:
    print("\n2. Conflict check for one new session (one teacher, 1,000 teachers, median)")
    print("3. A filtered, sorted page of 50")
    path = tmp / "lookups.sqlite3"
    engine = sqlite_engine(path)
    create_schema(engine)
    loader = fast_loader(path)
    try:
        bench_lookups_on("SQLite file", engine, loader, quick)
        if os.environ.get(URL_VARIABLE):
            print(
                "  (PostgreSQL not run for 2 and 3: loading 1M sessions there with executemany,"
                " through the exclusion constraint, would take minutes on its own)"
            )
    finally:
        loader.dispose()
        engine.dispose()
        path.unlink()


def main(quick: bool) -> None:
    with tempfile.TemporaryDirectory(prefix="sessionkit-bench-") as directory:
        tmp = Path(directory)
        bench_materialise(quick, tmp)
        bench_lookups(quick, tmp)
