"""Attendance: applying presence events, and the academy tick with presence facts.

**Apply presence events** with ``kit.attendance.record_presence(tenant,
batch)`` (``SessionKit`` over ``SqlAlchemyStore``, batches of ``--batch``
events, one unit of work each) into a SQLite file and, when
``SESSIONKIT_TEST_POSTGRES_URL`` is set, PostgreSQL. The sessions are
``academy`` sessions in READY, loaded with Core (setup, not timed); each gets
the same number of events (participants joining and leaving), 10% of the
stream is redelivered, and every batch is shuffled, so each session's first
join also fires READY -> ONGOING inside the batch's unit of work. The
**floor**, measured in the same run on sessions of another tenant, is the raw
SQL insert of the same rows with the driver through Core: one ``executemany``
``INSERT`` per batch, one transaction per batch, duplicates filtered by
``ON CONFLICT DO NOTHING`` (no lookups, no lifecycle). On PostgreSQL the
presence table is analyzed whenever autovacuum's default rule would (50 rows
plus 10% of the table changed), untimed: the test server runs with autovacuum
off, and with the statistics of the empty table the planner reads the
duplicate check (``tenant = ? AND id IN (...)``) by the tenant alone, a scan
of all the tenant's stored events per batch that grows with the table.

**The tick** ``kit.advance_due(tenant)`` over ``--tick-sessions`` individual
academy sessions in READY spread over ``--tenants`` tenants, half of them
with a stored join (the attended fact, read by ``attendance_facts()`` in one
query per tick) and half without: at start + 15 min the unattended ones
become ABSENT, one unit of work each; reported as sessions advanced per
second. Then the cost of a tick that finds nothing due (every tenant ticked
again at the same instant), against the floor of the same indexed
``SELECT`` of the due candidates with Core: milliseconds per tick and the
ratio.

Sizes: the default is small (20,000 events over 1,000 sessions; 20,000 tick
sessions over 100 tenants); ``--quick`` is smaller. The issue's sizes are
``--events 1000000 --sessions 50000 --tick-sessions 1000000 --tenants 1000``
(hours on a shared two-core machine: the tick writes one unit of work per
advanced session). Run as ``python -m benchmarks attendance`` or
``python -m benchmarks.bench_attendance --events ...``; ``--part presence``
or ``--part tick`` runs one of the two.
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import attrs
from sqlalchemy import insert, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Engine

from benchmarks.bench_bookings import session_row
from benchmarks.bench_storage import postgres_url, run_analyze, sqlite_engine
from sessionkit.adapters.sqlalchemy import SqlAlchemyStore, create_schema
from sessionkit.adapters.sqlalchemy.attendance_rows import presence_table, presence_values
from sessionkit.adapters.sqlalchemy.rows import sessions_table
from sessionkit.adapters.sqlalchemy.testing import postgres_schema
from sessionkit.model.attendance import JOIN, LEAVE, Presence, PresenceEvent
from sessionkit.services import SessionKit
from sessionkit.services.attendance import attendance_facts
from sessionkit.testing.clocks import ManualClock

START = datetime(2026, 3, 2, 17, tzinfo=UTC)
KIT, FLOOR = "acme", "floor"


@attrs.frozen
class Sizes:
    """How much work one run does."""

    events: int
    sessions: int
    batch: int
    tick_sessions: int
    tenants: int


QUICK = Sizes(events=4_000, sessions=200, batch=500, tick_sessions=2_000, tenants=20)
DEFAULT = Sizes(events=20_000, sessions=1_000, batch=1_000, tick_sessions=20_000, tenants=100)


def _sessions(tenant: str, count: int, *, status: str, capacity: int) -> list[dict[str, Any]]:
    rows = []
    for n in range(count):
        start = START + timedelta(minutes=n % 600)
        row = session_row(f"s{n}", (start, start + timedelta(hours=1)), capacity)
        row.update(tenant=tenant, status=status, lifecycle="academy", busy=True)
        rows.append(row)
    return rows


def _load(engine: Engine, rows: list[dict[str, Any]], table: Any = sessions_table) -> None:
    with engine.begin() as connection:
        for i in range(0, len(rows), 5_000):
            connection.execute(insert(table), rows[i : i + 5_000])


def _stream(sizes: Sizes, seed: int = 7) -> list[list[PresenceEvent]]:
    """Batches of events: per session joins and leaves of a few students, 10% redelivered."""
    rng = random.Random(seed)  # benchmark data, not a secret
    per = max(2, sizes.events // sizes.sessions)
    events = [
        PresenceEvent(
            provider="meet",
            event_id=f"e{s}-{k}",
            session_id=f"s{s}",
            participant=f"student:p{k // 2}",
            action=JOIN if k % 2 == 0 else LEAVE,
            at=START + timedelta(minutes=k),
        )
        for s in range(sizes.sessions)
        for k in range(per)
    ][: sizes.events]
    stream = events + rng.sample(events, len(events) // 10)
    rng.shuffle(stream)
    return [stream[i : i + sizes.batch] for i in range(0, len(stream), sizes.batch)]


def _floor(engine: Engine, batches: Sequence[Sequence[PresenceEvent]]) -> float:
    """Seconds to insert every batch raw, one transaction each, duplicates skipped."""
    dialect = engine.dialect.name
    make = pg_insert if dialect == "postgresql" else sqlite_insert
    statement = make(presence_table).on_conflict_do_nothing()
    started = time.perf_counter()
    for batch in batches:
        rows = [presence_values(Presence.of(FLOOR, e, START)) for e in batch]
        with engine.begin() as connection:
            connection.execute(statement, rows)
    return time.perf_counter() - started


class AutoAnalyze:
    """ANALYZE the presence table when autovacuum's default rule would; PostgreSQL only.

    ``inserted(n)`` after each batch; ``seconds`` is the time spent analyzing,
    which the caller leaves out of its figure (a server does it in the background).
    """

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.enabled = engine.dialect.name == "postgresql"
        self.rows = 0
        self.changed = 0
        self.runs = 0
        self.seconds = 0.0

    def inserted(self, count: int) -> None:
        """Count ``count`` new rows; ANALYZE once 50 + 10% of the table has changed."""
        if not self.enabled:
            return
        self.changed += count
        if self.changed > 50 + 0.1 * self.rows:
            began = time.perf_counter()
            with self.engine.begin() as connection:
                connection.exec_driver_sql(f"ANALYZE {presence_table.name}")
            self.rows += self.changed
            self.changed = 0
            self.runs += 1
            self.seconds += time.perf_counter() - began


def _kit(engine: Engine) -> SessionKit:
    return SessionKit(
        uow=SqlAlchemyStore(engine).unit_of_work,
        clock=ManualClock(START),
        facts=attendance_facts(),
    )


def bench_presence(name: str, engine: Engine, sizes: Sizes) -> None:
    """Apply the stream with sessionkit and with the floor; print events/s and the ratio."""
    _load(engine, _sessions(KIT, sizes.sessions, status="READY", capacity=8))
    _load(engine, _sessions(FLOOR, sizes.sessions, status="READY", capacity=8))
    run_analyze(engine)
    batches = _stream(sizes)
    total = sum(len(b) for b in batches)
    floor = _floor(engine, batches)
    analyze = AutoAnalyze(engine)
    analyze.inserted(sizes.events)  # the floor's rows: the next call analyzes
    kit = _kit(engine)
    started = time.perf_counter()
    recorded = started_sessions = 0
    for batch in batches:
        report = kit.attendance.record_presence(KIT, batch, now=START + timedelta(hours=1))
        recorded += report.recorded
        started_sessions += len(report.started)
        analyze.inserted(report.recorded)
    took = time.perf_counter() - started - analyze.seconds
    assert recorded == min(sizes.events, sizes.sessions * max(2, sizes.events // sizes.sessions))
    assert started_sessions == sizes.sessions, started_sessions
    print(
        f"  {name}: presence {total:,} events ({total - recorded:,} redelivered) over "
        f"{sizes.sessions:,} sessions, batches of {sizes.batch:,}: sessionkit "
        f"{total / took:,.0f} events/s (first joins made {started_sessions:,} sessions ONGOING), "
        f"raw insert floor {total / floor:,.0f} events/s; ratio {took / floor:.1f}x"
        + (
            f" ({analyze.runs} ANALYZE of the presence table, {analyze.seconds:.1f} s, untimed)"
            if analyze.enabled
            else ""
        )
    )


def bench_tick(name: str, engine: Engine, sizes: Sizes) -> None:
    """Advance the due sessions of every tenant; then time ticks that find nothing due."""
    tenants = [f"t{n:04d}" for n in range(sizes.tenants)]
    per = sizes.tick_sessions // sizes.tenants
    joins: list[dict[str, Any]] = []
    for tenant in tenants:
        rows = _sessions(tenant, per, status="READY", capacity=1)
        _load(engine, rows)
        for row in rows[::2]:
            event = PresenceEvent(
                provider="meet",
                event_id=f"j-{row['id']}",
                session_id=row["id"],
                participant="student:ana",
                action=JOIN,
                at=row["start_at"],
            )
            joins.append(presence_values(Presence.of(tenant, event, row["start_at"])))
    _load(engine, joins, presence_table)
    run_analyze(engine)
    kit = _kit(engine)
    due = START + timedelta(minutes=600 + 15)
    started = time.perf_counter()
    advanced = sum(len(kit.advance_due(t, now=due).advanced) for t in tenants)
    took = time.perf_counter() - started
    assert advanced == sizes.tenants * (per - (per + 1) // 2), advanced
    idle: list[float] = []
    floor: list[float] = []
    sessions = sessions_table
    for tenant in tenants[: min(50, len(tenants))]:
        t0 = time.perf_counter()
        assert kit.advance_due(tenant, now=due).advanced == ()
        idle.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        with engine.connect() as connection:
            connection.execute(
                select(sessions).where(
                    sessions.c.tenant == tenant,
                    sessions.c.status.in_(["SCHEDULED", "READY", "ONGOING"]),
                    sessions.c.start_at < due,
                )
            ).all()
        floor.append(time.perf_counter() - t0)
    ms, floor_ms = statistics.median(idle) * 1e3, statistics.median(floor) * 1e3
    print(
        f"  {name}: tick over {sizes.tick_sessions:,} sessions in {sizes.tenants:,} tenants "
        f"(half attended): {advanced:,} made ABSENT at {advanced / took:,.0f} sessions/s; a tick "
        f"finding nothing due {ms:.1f} ms (median) against a raw indexed SELECT of the due "
        f"candidates {floor_ms:.1f} ms; ratio {ms / floor_ms:.1f}x"
    )


PARTS = ("presence", "tick")


def run(sizes: Sizes, parts: Sequence[str] = PARTS) -> None:
    """The benchmarks named in ``parts`` on a SQLite file and, when configured, PostgreSQL."""
    chosen = [bench_presence] if "presence" in parts else []
    chosen += [bench_tick] if "tick" in parts else []
    started = time.perf_counter()
    print(
        "Presence events with kit.attendance.record_presence against a raw SQL insert floor; "
        "advance_due with presence facts; same run, same tables"
    )
    with tempfile.TemporaryDirectory(prefix="sessionkit-bench-") as directory:
        for part in chosen:
            engine = sqlite_engine(Path(directory) / f"{part.__name__}.sqlite3")
            create_schema(engine)
            try:
                part("SQLite file", engine, sizes)
            finally:
                engine.dispose()
    url = postgres_url()
    if url is not None:
        for part in chosen:
            with postgres_schema(url) as engine:
                part("PostgreSQL", engine, sizes)
    print(f"  ({time.perf_counter() - started:.0f} s in all)")


def main(quick: bool) -> None:
    """Run at the small default (or ``quick``) sizes."""
    run(QUICK if quick else DEFAULT)


def cli(argv: Sequence[str] | None = None) -> None:
    """``python -m benchmarks.bench_attendance``: the sizes as flags."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.bench_attendance")
    parser.add_argument("--events", type=int, default=DEFAULT.events)
    parser.add_argument("--sessions", type=int, default=DEFAULT.sessions)
    parser.add_argument("--batch", type=int, default=DEFAULT.batch)
    parser.add_argument("--tick-sessions", type=int, default=DEFAULT.tick_sessions)
    parser.add_argument("--tenants", type=int, default=DEFAULT.tenants)
    parser.add_argument("--part", choices=PARTS, help="run only this one (default: both)")
    args = parser.parse_args(argv)
    sizes = Sizes(args.events, args.sessions, args.batch, args.tick_sessions, args.tenants)
    run(sizes, [args.part] if args.part else PARTS)


if __name__ == "__main__":
    cli()
