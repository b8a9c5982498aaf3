"""Storage: the SQLAlchemy adapter against raw SQLAlchemy Core and the bare driver.

Every compared figure comes from :mod:`benchmarks.compare`: five interleaved
rounds, medians, ratios per round.

1. **Materialise** a 2-month window for 2,000 weekly series (about 34,000
   sessions; 300 series in batches of 100 with ``--quick``) through the real
   services (``SessionKit`` over ``SqlAlchemyStore``) with
   ``kit.series.create_many``, one unit of work per batch of ``BATCH`` series,
   into a SQLite file, and into PostgreSQL for the first 1,000 series in batches
   of 500 (to keep the whole run under ten minutes). References, in the same
   rounds, each into a fresh database with the same schema and in the same batches (one
   transaction each): the very same rows (series, schedule items, sessions,
   session resources) with Core ``executemany``, and with the driver alone
   (``sqlite3`` ``executemany``; psycopg ``COPY``), its rows converted by
   SQLAlchemy's bind processors beforehand (not timed). On PostgreSQL,
   ``ANALYZE`` (not timed) runs after the first batch for every contender:
   fresh tables have no statistics and Core stalled on the foreign-key checks.
   Every contender gets the same garbage collection, one ``gc.collect()``
   (not timed) before each batch; the ratios are also given by this process's
   CPU time, steadier than wall time on a shared machine. The kit's
   ``sessions_per_materialisation`` limit is raised for the full-size batches.
   Aims: within 1.3x Core and 3x the driver; over the Core aim, a cProfile of
   the last batch says where the time goes. Last measured (2-core machine,
   idle otherwise): full size, SQLite 1.23-1.25x Core (CPU 1.24x) and
   2.37-2.46x the driver, analyzed PostgreSQL 1.18x Core and 1.56x ``COPY``;
   ``--quick``, SQLite 1.27x Core and 2.91x the driver, PostgreSQL 1.27x and
   1.64x. Full size was 1.60x Core and 3.03x the driver (PostgreSQL 1.37x /
   1.95x) before ``create_many`` paused the cyclic garbage collector: at
   17,000 sessions a batch its full passes over the heap, which the batch's
   sessions, spans, index entries and rows keep growing, cost a fifth to a
   quarter of sessionkit's CPU and freed nothing
   (:mod:`sessionkit.services._collector`). Earlier, 1.9-2.0x / 4.3-5.4x at
   ``--quick`` before ``add_many`` handed SQLite converted tuples
   (:mod:`sessionkit.adapters.sqlalchemy._inserts`).
2. **Conflict check** for one new session: ``busy_overlapping`` for one
   teacher and span, as a service would run it, in SQLite files with 10k and
   with 1M sessions stored (aim: within 2x of each other), against a bare Core
   reference doing the adapter's work on the adapter's own tables (the
   tenant's busy resource rows bounded as the adapter bounds them, then those
   session rows read in full; aim: within 2x of it).
3. A **filtered, sorted page** of 50 out of 1M sessions (one status, a
   one-month start range, by start): median latency and SQL statements per
   call, an absolute figure.

The stored sessions of 2 and 3 are loaded straight into the adapter's own
tables with Core ``executemany`` (setup, not measured; about a minute for 1M on
SQLite), one session per teacher and day, so a teacher's history grows with
the table. PostgreSQL runs when ``SESSIONKIT_TEST_POSTGRES_URL`` is set (e.g.
``postgresql+psycopg://postgres@127.0.0.1:5432/test``).
"""

from __future__ import annotations

import contextlib
import cProfile
import gc
import json
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
    Table,
    bindparam,
    create_engine,
    event,
    func,
    insert,
    select,
    union_all,
)
from sqlalchemy.engine import Connection, Engine

from benchmarks.compare import Contender, Rounds, interleave
from sessionkit.adapters.sqlalchemy import SqlAlchemyStore, create_schema
from sessionkit.adapters.sqlalchemy.mapping import (
    resource_values,
    schedule_item_values,
    series_values,
    session_values,
)
from sessionkit.adapters.sqlalchemy.rows import (
    LONG_SPAN,
    schedule_items_table,
    series_table,
    session_resources_table,
    sessions_table,
)
from sessionkit.adapters.sqlalchemy.testing import postgres_schema
from sessionkit.limits import Limits
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

LIMITS = Limits(sessions_per_materialisation=50_000)
"""A batch of ``BATCH`` series asks for about 17,000 occurrences, over the default 10,000."""

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
        self._engine = engine
        event.listen(engine, "before_cursor_execute", self._seen)

    def _seen(self, *_args: Any) -> None:
        self.count += 1

    def stop(self) -> None:
        """Stop counting: with a listener on it, the engine sends a booking's statements by Core."""
        event.remove(self._engine, "before_cursor_execute", self._seen)


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
    cpu: float = 0.0
    """This process's CPU seconds in the timed calls (the database's work included on SQLite)."""

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


def materialise_in_batches(
    engine: Engine,
    specs: Sequence[tuple[str, ScheduleItem]],
    batch: int,
    analyze_after: int | None = None,
    *,
    collect: bool = True,
) -> Materialised:
    """Create the series ``batch`` at a time with ``kit.series.create_many`` (a unit of work each).

    Collects garbage (not timed; ``collect=False``: not at all, for a profile)
    before each batch, as the references do. A
    batch's time is spread evenly over its series. With ``analyze_after``,
    runs ``ANALYZE`` (not timed) before the first batch that finds at least
    that many series stored.
    """
    store = SqlAlchemyStore(engine)
    kit = SessionKit(uow=store.unit_of_work, clock=ManualClock(NOW), limits=LIMITS)
    done = Materialised()
    clock = time.perf_counter
    analyzed = False
    for first in range(0, len(specs), batch):
        chunk = specs[first : first + batch]
        if analyze_after is not None and not analyzed and first >= analyze_after:
            run_analyze(engine)
            analyzed = True
        wanted = [
            SeriesSpec(title=f"Class {series_id}", items=[item], series_id=series_id)
            for series_id, item in chunk
        ]
        if collect:
            gc.collect()  # not timed; the references collect before each batch too
        started, cpu_started = clock(), time.process_time()
        made = kit.series.create_many(TENANT, actor="bench", specs=wanted)
        took = clock() - started
        done.cpu += time.process_time() - cpu_started
        for series, report in made:
            done.seconds.append(took / len(made))
            done.stored_before.append(len(done.sessions))
            done.series.append(series)
            done.sessions.extend(report.created)
            done.skipped += len(report.skipped)
    return done


def run_analyze(engine: Engine) -> None:
    with engine.begin() as connection:
        connection.exec_driver_sql("ANALYZE")


def insert_with_core(engine: Engine, rows: RowSets) -> None:
    """One transaction, one Core ``executemany`` per table."""
    with engine.begin() as connection:
        for table, values in rows:
            if values:
                connection.execute(insert(table), values)


DriverRows = list[tuple[Table, list[str], list[tuple[Any, ...]]]]


def driver_rows(engine: Engine, rows: RowSets) -> DriverRows:
    """The rows as the driver takes them: SQLAlchemy's bind processors applied (not timed)."""
    dialect = engine.dialect
    out: DriverRows = []
    for table, values in rows:
        if not values:
            continue
        names = list(values[0])
        processors = [table.c[name].type._cached_bind_processor(dialect) for name in names]
        converted = []
        for row in values:
            converted.append(
                tuple(
                    value if process is None else process(value)
                    for process, value in zip(processors, (row[n] for n in names), strict=True)
                )
            )
        if dialect.name == "postgresql":
            # COPY takes text for the JSON columns; the processors leave them as Python values.
            converted = [
                tuple(json.dumps(v) if isinstance(v, dict | list) else v for v in row)
                for row in converted
            ]
        out.append((table, names, converted))
    return out


def insert_with_driver(engine: Engine, rows: DriverRows) -> None:
    """The floor: the driver alone, in one transaction.

    SQLite: ``sqlite3`` ``executemany`` per table; PostgreSQL: ``COPY ... FROM
    STDIN`` through psycopg's ``cursor.copy``.
    """
    connection = engine.raw_connection()
    try:
        raw: Any = connection.driver_connection
        cursor = raw.cursor()
        for table, names, values in rows:
            columns = ", ".join(f'"{name}"' for name in names)
            if engine.dialect.name == "postgresql":
                with cursor.copy(f'COPY "{table.name}" ({columns}) FROM STDIN') as copy:
                    for row in values:
                        copy.write_row(row)
            else:
                marks = ", ".join("?" for _ in names)
                cursor.executemany(
                    f'INSERT INTO "{table.name}" ({columns}) VALUES ({marks})', values
                )
        raw.commit()
    finally:
        connection.close()


def count_sessions(engine: Engine) -> int:
    with engine.connect() as connection:
        found = connection.scalar(select(func.count()).select_from(sessions_table))
    return int(found or 0)


FunctionStats = dict[tuple[str, int, str], tuple[int, int, float, float, Any]]
"""pstats' raw table: (file, line, name) -> (primitive calls, calls, own s, cumulative s, ...)."""


def profile_report(
    run: Callable[[], object],
    what: str,
    steps: Sequence[tuple[str, str]] = (),
    *,
    top: int = 10,
    threshold: float = 0.02,
) -> None:
    """Profile ``run()``; print own time by area, the ``top`` functions and ``steps`` cumulated.

    Read from pstats' raw table, keyed by file, line and name:
    ``get_stats_profile`` keys functions by bare name, so one module's ``get``
    or ``__init__`` would hide another's. A step is (file name ending, function
    name); every function matching it is printed.
    """
    profile = cProfile.Profile()
    profile.enable()
    run()
    profile.disable()
    raw: FunctionStats = pstats.Stats(profile).stats  # type: ignore[attr-defined]  # untyped in typeshed
    total = sum(entry[2] for entry in raw.values())
    areas: dict[str, float] = {}
    for (path, _line, name), entry in raw.items():
        area = profile_area(path, name)
        areas[area] = areas.get(area, 0.0) + entry[2]
    print(f"    cProfile of {what} ({total:.2f} s under the profiler); own time by area:")
    for area, spent in sorted(areas.items(), key=lambda kv: -kv[1]):
        if spent / total >= threshold:
            print(f"      {spent / total:6.1%}  {area}")
    print("    top functions by own time (calls, share of the total):")
    for (path, line, name), entry in sorted(raw.items(), key=lambda kv: -kv[1][2])[:top]:
        print(f"      {entry[1]:>8} {entry[2] / total:6.1%}  {short_path(path)}:{line} {name}")
    if steps:
        print("    cumulative time of the steps (share of the total, calls):")
    for file_end, function in steps:
        for (path, line, name), entry in raw.items():
            if name == function and path.endswith(file_end) and "sessionkit" in path:
                print(
                    f"      {entry[3] / total:6.1%}  {short_path(path)}:{line} {function}"
                    f" ({entry[1]} calls)"
                )


MATERIALISE_STEPS = (
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
"""The steps of a materialisation whose cumulative time :func:`profile_report` prints."""


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
    rounds: int,
    batch: int,
    analyze: bool = False,
) -> None:
    """sessionkit, Core and the driver write the same rows, batch by batch, in interleaved rounds.

    Each contender gets a fresh database per round and one transaction per
    batch of ``BATCH`` series; with ``analyze_after``, ``ANALYZE`` (not timed)
    runs once that many series are in, for every contender alike. Every
    contender also gets the same garbage collection: one ``gc.collect()``
    (not timed) before each batch.
    """
    analyze_after = batch if analyze else None
    with database() as engine:
        done = materialise_in_batches(engine, specs, batch, analyze_after)
        assert count_sessions(engine) == len(done.sessions)
        bounds = range(0, len(done.series), batch)
        core_batches = [merged(done.rows(first, first + batch)) for first in bounds]
        raw_batches = [driver_rows(engine, rows) for rows in core_batches]
    n_rows = sum(len(values) for rows in core_batches for _, values in rows)

    cpu: dict[str, list[float]] = {"sessionkit": [], "core": [], "driver": []}

    def in_batches(name: str, write: Callable[[Engine, int], None]) -> Contender:
        def run() -> float:
            spent = cpu_spent = 0.0
            with database() as engine:
                for number in range(len(core_batches)):
                    if analyze and number == 1:
                        run_analyze(engine)
                    gc.collect()
                    started, cpu_started = time.perf_counter(), time.process_time()
                    write(engine, number)
                    spent += time.perf_counter() - started
                    cpu_spent += time.process_time() - cpu_started
                assert count_sessions(engine) == len(done.sessions)
            cpu[name].append(cpu_spent)
            return spent

        return run

    def sessionkit() -> float:
        with database() as engine:
            run = materialise_in_batches(engine, specs, batch, analyze_after)
        cpu["sessionkit"].append(run.cpu)
        return run.total

    found = interleave(
        {
            "sessionkit": sessionkit,
            "core": in_batches("core", lambda engine, i: insert_with_core(engine, core_batches[i])),
            "driver": in_batches(
                "driver", lambda engine, i: insert_with_driver(engine, raw_batches[i])
            ),
        },
        rounds,
    )
    to_core, to_driver = found.ratio("sessionkit", "core"), found.ratio("sessionkit", "driver")
    print(
        f"  {name:<13} {len(done.series):>6,} {len(done.sessions):>8,} {done.skipped:>7,}"
        f" {found.median('sessionkit'):8.2f}s {found.median('core'):7.2f}s"
        f" {found.median('driver'):7.2f}s {to_core:6.2f}x {to_driver:6.2f}x"
        f"  (ranges {found.spread('sessionkit', 'core')}, {found.spread('sessionkit', 'driver')})",
        flush=True,
    )
    pad = " " * 16
    print(
        f"{pad}sessionkit {len(done.sessions) / found.median('sessionkit'):,.0f} sessions/s;"
        f" Core {n_rows / found.median('core'):,.0f} rows/s, driver"
        f" {n_rows / found.median('driver'):,.0f} rows/s ({n_rows:,} rows in 4 tables);"
        f" aim within 1.3x Core: {'met' if to_core <= 1.3 else 'NOT met'},"
        f" within 3x driver: {'met' if to_driver <= 3 else 'NOT met'}"
    )
    by_cpu = Rounds(cpu)
    print(
        f"{pad}CPU time of this process (steadier on a shared machine): sessionkit"
        f" {by_cpu.ratio('sessionkit', 'core'):.2f}x Core"
        f" (range {by_cpu.spread('sessionkit', 'core')}),"
        f" {by_cpu.ratio('sessionkit', 'driver'):.2f}x driver"
        f" (range {by_cpu.spread('sessionkit', 'driver')})"
    )
    if analyze:
        print(f"{pad}ANALYZE (not timed) after the first batch, for each contender")
    if to_core > 1.3:
        # Profile the steady state: the last batch, on top of what came before it.
        first = max(0, len(done.series) - batch)
        with database() as engine:
            insert_with_core(engine, merged(done.rows(stop=first)))
            if analyze:
                run_analyze(engine)
            last = specs[first : len(done.series)]
            gc.collect()
            profile_report(
                lambda: materialise_in_batches(engine, last, batch, collect=False),
                f"the last batch of {len(last):,} series again, on top of"
                f" {done.stored_before[first]:,} stored sessions",
                MATERIALISE_STEPS,
                top=14,
                threshold=0.01,
            )


def bench_materialise(quick: bool, tmp: Path) -> None:
    n, batch = (300, 100) if quick else (2_000, BATCH)
    rounds = 5
    specs = make_series_specs(n)
    print(
        f"1. Materialise a 2-month window for {n:,} series: kit.series.create_many, {batch:,}"
        f" series per unit of work; {rounds} interleaved rounds, a fresh database per run"
    )
    print("   references, the very same rows in the same batches (one transaction each):")
    print("   Core executemany per table, and the driver alone (sqlite3 executemany; PostgreSQL")
    print("   COPY), its rows converted by SQLAlchemy's bind processors beforehand (not timed)")
    print(
        f"  {'database':<13} {'series':>6} {'sessions':>8} {'skipped':>7} {'sessionkit':>9}"
        f" {'Core':>8} {'driver':>7} {'/Core':>7} {'/driver':>7}"
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

    bench_materialise_on("SQLite file", specs, sqlite_file, rounds, batch)
    url = postgres_url()
    if url is not None:

        def postgres() -> contextlib.AbstractContextManager[Engine]:
            return postgres_schema(url)

        # Fresh tables have no statistics: the foreign-key checks of the first batch are
        # planned for empty tables, and Core stalled on them; ANALYZE after the first
        # batch, for every contender, so that Core is no false floor.
        # Half the series in half-size batches: PostgreSQL runs take three times SQLite's,
        # and the whole benchmark run must stay under ten minutes.
        pg_n, pg_batch = (n, batch) if quick else (n // 2, batch // 2)
        bench_materialise_on("PG, analyzed", specs[:pg_n], postgres, rounds, pg_batch, analyze=True)


# ---------------------------------------------------------------------------------- 2 and 3

TEACHERS = 1000
BASE = datetime(2024, 1, 1, tzinfo=UTC)
STATUSES = (("SCHEDULED", True, 70), ("FINISHED", True, 20), ("CANCELED", False, 10))


def teacher(t: int) -> str:
    return f"teacher:t{t:04d}"


def day_rows(days: range, rng: random.Random) -> Iterator[tuple[dict[str, Any], dict[str, Any]]]:
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
            yield session, link


def load_days(engine: Engine, days: range, seed: int) -> None:
    """Insert one session per teacher per day with Core executemany (setup, not measured)."""
    rng = random.Random(seed)
    batch: list[tuple[dict[str, Any], dict[str, Any]]] = []

    def flush(connection: Connection) -> None:
        connection.execute(insert(sessions_table), [s for s, _ in batch])
        connection.execute(insert(session_resources_table), [r for _, r in batch])
        batch.clear()

    with engine.begin() as connection:
        for rows in day_rows(days, rng):
            batch.append(rows)
            if len(batch) >= 20_000:
                flush(connection)
        if batch:
            flush(connection)
    run_analyze(engine)


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


R = session_resources_table.c
S = sessions_table.c
_BUSY_BASE = select(R.session_id, R.end_at).where(
    R.tenant == bindparam("tenant"),
    R.resource == bindparam("resource"),
    R.busy.is_(True),
    R.start_at < bindparam("end"),
)
BUSY_ROWS = union_all(
    _BUSY_BASE.where(R.long_span.is_(False), R.start_at > bindparam("earliest")),
    _BUSY_BASE.where(R.long_span.is_(True), R.end_at > bindparam("start")),
)
"""As the adapter bounds them: spans up to LONG_SPAN by their start on both sides, longer ones
(flagged ``long_span``) by start and end."""
SESSION_ROWS = (
    select(sessions_table)
    .where(S.tenant == bindparam("tenant"), S.id.in_(bindparam("ids", expanding=True)))
    .order_by(S.start_at, S.id)
)


def core_busy(connection: Connection, resource: str, span: TimeSpan) -> list[Any]:
    """The reference: the adapter's work in bare Core, on the adapter's own tables.

    The busy resource rows of the tenant and teacher, bounded as the adapter
    bounds them (:data:`BUSY_ROWS`), those ending after ``:start``, then those
    session rows by primary key, read in full, by start; no mapping to domain
    objects.
    """
    rows = connection.execute(
        BUSY_ROWS,
        {
            "tenant": TENANT,
            "resource": resource,
            "start": span.start,
            "end": span.end,
            "earliest": span.start - LONG_SPAN,
        },
    )
    ids = sorted({session_id for session_id, end in rows if end > span.start} - {"new-session"})
    if not ids:
        return []
    return list(connection.execute(SESSION_ROWS, {"tenant": TENANT, "ids": ids}))


class Lookups:
    """The measured calls of parts 2 and 3 over one database."""

    def __init__(self, engine: Engine, reader: Engine, probes: list[tuple[str, TimeSpan]]) -> None:
        self.store = SqlAlchemyStore(engine)
        self.reader = reader
        """A plain engine on the same database for the Core reference (no sessionkit hooks)."""
        self.counter = StatementCounter(engine)
        self.probes = probes

    def conflict_uow(self) -> float:
        """As a service checks a new session: its own unit of work, then busy_overlapping."""
        store = self.store
        samples = []
        for resource, span in self.probes:
            started = time.perf_counter()
            with store.unit_of_work() as uow:
                uow.sessions.busy_overlapping(
                    TENANT,
                    resources=[ResourceRef.parse(resource)],
                    span=span,
                    exclude_ids=("new-session",),
                )
            samples.append(time.perf_counter() - started)
        return median_us(samples)

    def conflict_repository(self) -> float:
        """busy_overlapping alone, inside one open unit of work."""
        samples = []
        with self.store.unit_of_work() as uow:
            sessions = uow.sessions
            for resource, span in self.probes:
                ref = ResourceRef.parse(resource)
                started = time.perf_counter()
                sessions.busy_overlapping(
                    TENANT, resources=[ref], span=span, exclude_ids=("new-session",)
                )
                samples.append(time.perf_counter() - started)
        return median_us(samples)

    def conflict_core(self) -> float:
        """The same work in bare Core on one open connection (see :func:`core_busy`)."""
        samples = []
        with self.reader.connect() as connection:
            for resource, span in self.probes:
                started = time.perf_counter()
                core_busy(connection, resource, span)
                samples.append(time.perf_counter() - started)
        return median_us(samples)

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


def check_agreement(lookups: Lookups) -> None:
    """The adapter and the reference find the same busy sessions."""
    with lookups.store.unit_of_work() as uow, lookups.reader.connect() as connection:
        for resource, span in lookups.probes[:20]:
            found = uow.sessions.busy_overlapping(
                TENANT, resources=[ResourceRef.parse(resource)], span=span
            )
            expected = [row.id for row in core_busy(connection, resource, span)]
            assert [s.id for s in found] == expected, (resource, span, found, expected)


@contextlib.contextmanager
def loaded(tmp: Path, size: int) -> Iterator[tuple[Engine, Engine, float]]:
    """A SQLite file with ``size`` stored sessions: (adapter engine, plain engine, load seconds)."""
    path = tmp / f"lookups-{size}.sqlite3"
    engine = sqlite_engine(path)
    create_schema(engine)
    loader = fast_loader(path)
    try:
        days = size // TEACHERS
        started = time.perf_counter()
        load_days(loader, range(days), seed=days)
        yield engine, loader, time.perf_counter() - started
    finally:
        loader.dispose()
        engine.dispose()
        path.unlink()


def bench_lookups(quick: bool, tmp: Path) -> None:
    small, large = (2_000, 20_000) if quick else (10_000, 1_000_000)
    queries = 100 if quick else 300
    rounds = 5
    print(
        f"\n2. Conflict check for one new session (one teacher of 1,000), SQLite files with"
        f" {small:,} and {large:,} sessions: {rounds} interleaved rounds of {queries} checks"
        " per contender, each round's median per check, medians of those, ratios per round"
    )
    print("3. A filtered, sorted page of 50")
    with (
        loaded(tmp, small) as (small_engine, small_loader, _),
        loaded(tmp, large) as (
            large_engine,
            large_loader,
            load_time,
        ),
    ):
        sizes = {
            "small": Lookups(
                small_engine, small_loader, make_probes(queries, small // TEACHERS, 1)
            ),
            "large": Lookups(
                large_engine, large_loader, make_probes(queries, large // TEACHERS, 2)
            ),
        }
        for lookups in sizes.values():
            check_agreement(lookups)
        contenders: dict[str, Contender] = {}
        for size, lookups in sizes.items():
            contenders[f"core {size}"] = lookups.conflict_core
            contenders[f"uow {size}"] = lookups.conflict_uow
            contenders[f"repo {size}"] = lookups.conflict_repository
        found = interleave(contenders, rounds)
        print(f"  {large:,} sessions loaded with Core executemany in {load_time:.1f} s (setup)")
        print(f"  {'median per check':<44} {small:>10,} {large:>10,}  large/small (range)")
        labels = (
            ("core", "Core reference (same tables, rows read)"),
            ("uow", "adapter, own unit of work"),
            ("repo", "adapter, open unit of work"),
        )
        for key, label in labels:
            print(
                f"  {label:<44} {found.median(f'{key} small'):8.1f}us"
                f" {found.median(f'{key} large'):8.1f}us"
                f" {found.ratio(f'{key} large', f'{key} small'):6.2f}x"
                f" ({found.spread(f'{key} large', f'{key} small')})"
            )
        for key, label in labels[1:]:
            scaled = found.ratio(f"{key} large", f"{key} small")
            to_core_small = found.ratio(f"{key} small", "core small")
            to_core_large = found.ratio(f"{key} large", "core large")
            # Like for like only inside an open unit: the reference opens no transaction,
            # while a unit of its own adds BEGIN IMMEDIATE, a pool checkout and the ROLLBACK.
            versus = (
                f"aim within 2x: {'met' if to_core_large <= 2 else 'NOT met'}"
                if key == "repo"
                else "no aim: the transaction's own cost, which the reference does not pay"
            )
            print(
                f"  {label}: {large:,}/{small:,} {scaled:.2f}x (aim within 2x: "
                f"{'met' if scaled <= 2 else 'NOT met'}); vs Core {to_core_small:.2f}x at"
                f" {small:,}, {to_core_large:.2f}x at {large:,} ({versus})"
            )
        lookups = sizes["large"]
        print(f"  the adapter's conflict query at {large:,}, as the database plans it:")
        for line in lookups.conflict_plan(make_probes(1, large // TEACHERS, seed=1)[0]):
            print(f"    {line}")
        middle = BASE + timedelta(days=large // TEACHERS // 2)
        query = SessionQuery(
            statuses="SCHEDULED",
            start_from=middle,
            start_to=middle + timedelta(days=30),
            sort="start",
            limit=50,
        )
        samples, statements, total = lookups.page(query, queries // 2, 1.0 if quick else 2.5)
        print(
            f"  page of 50 of {large:,} (SCHEDULED, 30-day start range of {total:,} matches,"
            f" by start): median {median_us(samples) / 1000:.2f} ms, {statements} SQL"
            " statements per call (an absolute figure, no reference)",
            flush=True,
        )
        if os.environ.get(URL_VARIABLE):
            print(
                "  (PostgreSQL not run for 2 and 3: loading 1M sessions there with executemany,"
                " through the exclusion constraint, would take minutes on its own)"
            )


def main(quick: bool) -> None:
    with tempfile.TemporaryDirectory(prefix="sessionkit-bench-") as directory:
        tmp = Path(directory)
        bench_materialise(quick, tmp)
        bench_lookups(quick, tmp)
