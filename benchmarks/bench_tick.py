"""The tick on PostgreSQL: 4 worker processes against 1, over many tenants' due sessions.

Every session is an ``academy`` session whose READY timer (15 minutes before
its start) is due at the tick's instant, so each one is an item of due work:
one claimed, re-read, advanced and written (with its event) per session.
Sessions are loaded straight through the adapter's ``add_many`` (setup, not
timed), spread evenly over the tenants. In each round a fresh set is ticked
by **1 worker** (``kit.tick(now=at)``, all tenants), then another fresh set
of the same size by **4 worker processes** at once (each its own
``kit.tick(now=at)`` over all tenants, the same instant); rounds interleave
the two so that a noisy machine hits both alike. Reported: the sessions per
second of each run and the ratio 4:1 (median of the rounds; the reference
is the single worker of the same round). After each run every session is
checked READY at version 2 (changed exactly once) and the workers'
``advanced`` counts must add up to the set's size; then the set is retired
(set COMPLETED with one raw ``UPDATE``, setup, not timed), so that the next
run's tick does not page through it again: every run pages through its own
set only. The kit has the attended facts (``attendance_facts()``), as an
academy runs it: a READY individual session's ABSENT timer needs them.

Sizes: the default (``python -m benchmarks tick``) is 3 rounds of 2 x 4,000
sessions over 100 tenants (1 round of 2 x 1,000 over 20 with ``--quick``);
``python -m benchmarks.bench_tick --full`` runs the issue's 1,000,000 sessions
over 1,000 tenants per set, one round (2 x 1M rows; hours on a small
machine). ``--sessions``, ``--tenants``, ``--rounds``,
``--workers`` and ``--batch`` set them by hand. PostgreSQL runs when
``SESSIONKIT_TEST_POSTGRES_URL`` is set, in a throwaway schema; otherwise the
benchmark says so and stops.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import statistics
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Engine, text

from sessionkit.adapters.sqlalchemy import SqlAlchemyStore
from sessionkit.adapters.sqlalchemy.testing import postgres_schema
from sessionkit.model.session import Session
from sessionkit.services import SessionKit
from sessionkit.services.attendance import attendance_facts
from sessionkit.testing.clocks import ManualClock
from sessionkit.timespan import TimeSpan

NOW = datetime(2026, 3, 2, 8, tzinfo=UTC)
AT = NOW + timedelta(hours=1)
"""The tick's instant: every loaded session starts within 15 minutes after it."""
_LOAD_CHUNK = 2_000


def _load(engine: Engine, prefix: str, sessions: int, tenants: int) -> None:
    """Store ``sessions`` due academy sessions over ``tenants`` tenants named ``prefix``-n."""
    store = SqlAlchemyStore(engine)
    batch: list[Session] = []
    for n in range(sessions):
        start = AT + timedelta(seconds=n % 900)
        batch.append(
            Session(
                id=f"{prefix}{n:08d}",
                tenant=f"{prefix}-{n % tenants:05d}",
                title="Lesson",
                span=TimeSpan(start, start + timedelta(minutes=45)),
                tz="UTC",
                status="SCHEDULED",
                lifecycle="academy",
                busy=True,
                created_at=NOW,
                created_by="bench",
            )
        )
        if len(batch) == _LOAD_CHUNK or n == sessions - 1:
            with store.unit_of_work() as uow:
                uow.sessions.add_many(batch)
                uow.commit()
            batch = []


def _kit(engine: Engine) -> SessionKit:
    return SessionKit(
        uow=SqlAlchemyStore(engine).unit_of_work, clock=ManualClock(AT), facts=attendance_facts()
    )


def _tick(engine: Engine, batch: int) -> int:
    report = _kit(engine).tick(now=AT, batch=batch, kinds=["advance"])
    if report.failed:
        raise RuntimeError(f"the tick failed items: {report.failed[:3]}")
    return report.advanced


def _worker(engine: Engine, batch: int, start: Any, results: Any) -> None:
    engine.dispose(close=False)  # the parent's pooled connections stay the parent's
    start.wait(timeout=600)
    try:
        results.put(_tick(engine, batch))
    except BaseException as exc:  # noqa: BLE001  # reported to the parent
        results.put(repr(exc))


def _run(engine: Engine, workers: int, batch: int) -> tuple[float, int]:
    """Tick with ``workers`` processes released together; (seconds, sessions advanced)."""
    if workers == 1:
        began = time.perf_counter()
        advanced = _tick(engine, batch)
        return time.perf_counter() - began, advanced
    context = multiprocessing.get_context("fork")
    start = context.Barrier(workers + 1)
    results = context.Queue()
    processes = [
        context.Process(target=_worker, args=(engine, batch, start, results))
        for _ in range(workers)
    ]
    for process in processes:
        process.start()
    start.wait(timeout=600)
    began = time.perf_counter()
    outcomes = [results.get(timeout=24 * 3600) for _ in processes]
    elapsed = time.perf_counter() - began
    for process in processes:
        process.join(timeout=60)
    failed = [o for o in outcomes if not isinstance(o, int)]
    if failed:
        raise RuntimeError(f"a worker failed: {failed}")
    return elapsed, sum(outcomes)


def _check(engine: Engine, prefix: str, sessions: int) -> None:
    with engine.connect() as connection:
        rows = connection.execute(
            text(
                "SELECT status, version, count(*) FROM sessionkit_sessions"
                " WHERE tenant LIKE :p GROUP BY status, version"
            ),
            {"p": f"{prefix}-%"},
        ).all()
    if [tuple(r) for r in rows] != [("READY", 2, sessions)]:
        raise AssertionError(f"not every session advanced exactly once: {rows}")


def _retire(engine: Engine, prefix: str) -> None:
    """Take a checked set out of the due candidates (COMPLETED), so later ticks skip it."""
    with engine.begin() as connection:
        connection.execute(
            text("UPDATE sessionkit_sessions SET status = 'COMPLETED' WHERE tenant LIKE :p"),
            {"p": f"{prefix}-%"},
        )


def run(*, sessions: int, tenants: int, workers: int, batch: int, rounds: int) -> None:
    """Interleaved rounds: load and tick with 1 worker, load and tick with ``workers``."""
    url = os.environ.get("SESSIONKIT_TEST_POSTGRES_URL")
    if not url:
        print("skipped: set SESSIONKIT_TEST_POSTGRES_URL to tick on PostgreSQL")
        return
    print(
        f"{sessions:,} due sessions over {tenants:,} tenants per run, batch {batch}, "
        f"{rounds} rounds of 1 worker then {workers} worker processes "
        "(PostgreSQL, FOR UPDATE SKIP LOCKED)"
    )
    ratios = []
    with postgres_schema(url, pool_size=2) as engine:
        for round_ in range(rounds):
            figures = {}
            for count in (1, workers):
                prefix = f"r{round_}w{count}"
                began = time.perf_counter()
                _load(engine, prefix, sessions, tenants)
                with engine.begin() as connection:
                    connection.execute(text("ANALYZE sessionkit_sessions"))
                loaded = time.perf_counter() - began
                seconds, advanced = _run(engine, count, batch)
                if advanced != sessions:
                    raise AssertionError(f"{count} worker(s) advanced {advanced} of {sessions}")
                _check(engine, prefix, sessions)
                _retire(engine, prefix)
                figures[count] = sessions / seconds
                print(
                    f"  round {round_ + 1}, {count} worker(s): {seconds:8.2f} s, "
                    f"{sessions / seconds:9,.0f} sessions/s (load {loaded:.1f} s, not timed); "
                    "each advanced exactly once"
                )
            ratios.append(figures[workers] / figures[1])
    ratios.sort()
    print(
        f"  throughput {workers} workers : 1 worker = {statistics.median(ratios):.2f}x "
        f"(median of {rounds} rounds, range {ratios[0]:.2f}-{ratios[-1]:.2f}; "
        f"cores: {os.cpu_count()})"
    )


def main(quick: bool) -> None:
    """The medium size (or ``quick``'s smaller one), as ``python -m benchmarks tick`` runs it."""
    if quick:
        run(sessions=1_000, tenants=20, workers=4, batch=200, rounds=1)
    else:
        run(sessions=4_000, tenants=100, workers=4, batch=200, rounds=3)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(prog="python -m benchmarks.bench_tick")
    parser.add_argument("--full", action="store_true", help="1,000,000 sessions, 1,000 tenants")
    parser.add_argument("--sessions", type=int, default=4_000)
    parser.add_argument("--tenants", type=int, default=100)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--batch", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=3)
    options = parser.parse_args()
    if options.full:
        options.sessions, options.tenants, options.rounds = 1_000_000, 1_000, 1
    run(
        sessions=options.sessions,
        tenants=options.tenants,
        workers=options.workers,
        batch=options.batch,
        rounds=options.rounds,
    )
