"""Analytics: each figure of ``kit.analytics`` against a hand-written SQL aggregate, same run.

The tables are filled straight through Core ``executemany`` (setup, not
timed): ``N`` sessions of one tenant over a year (half completed, a tenth
cancelled, one in twenty no-shows, the rest scheduled; three lifecycles; a
teacher among 200 each and a room among 50 for half of them), ``2N``
bookings of 20,000 clients (80% confirmed, 15% cancelled, 5% waitlisted), a
payment for every other booking (EUR and USD, card and manual, every status)
and a reschedule request for one session in twenty; presence, overrides,
a monthly subscription per client and a ledger entry per confirmed seat of
a completed or no-show session (:mod:`benchmarks.analytics_use_data`); plus
a second tenant with a tenth as much, which no figure may count.

Each figure is timed as ``kit.analytics`` answers it (a unit of work, one or
two statements, the values built) and as the **floor**: the aggregate a
person would write by hand for the same answer, run with ``text()`` on one
open connection, rows fetched and nothing built. The rounds are interleaved
(:mod:`benchmarks.compare`); reported per figure: the queries sessionkit
sent for it (counted on the warm-up call), both medians and the median of the
per-round ratios with their range. On SQLite the floor sums
amounts with a plain ``SUM(amount)`` (a float over the stored text) where
sessionkit sums whole units and millionths as integers, exactly.

Sizes: 20,000 sessions and 40,000 bookings by default (2,000 with
``--quick``), ``--sessions N`` for another size, ``--full`` for 1,000,000
sessions and 2,000,000 bookings. A SQLite file always; PostgreSQL when
``SESSIONKIT_TEST_POSTGRES_URL`` is set, in a schema of its own dropped after.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, text

from benchmarks import analytics_use_data as use
from benchmarks.compare import clocked, interleave
from sessionkit.adapters.sqlalchemy import SqlAlchemyStore, create_schema
from sessionkit.adapters.sqlalchemy.booking_rows import booking_values, bookings_table
from sessionkit.adapters.sqlalchemy.mapping import resource_values, session_values
from sessionkit.adapters.sqlalchemy.payment_rows import payment_values, payments_table
from sessionkit.adapters.sqlalchemy.reschedule_rows import reschedule_values, reschedules_table
from sessionkit.adapters.sqlalchemy.rows import session_resources_table, sessions_table
from sessionkit.adapters.sqlalchemy.testing import postgres_schema
from sessionkit.model.booking import Booking
from sessionkit.model.money import Money
from sessionkit.model.payment import Payment
from sessionkit.model.query import SessionQuery
from sessionkit.model.reschedule import RescheduleRequest
from sessionkit.model.session import Session
from sessionkit.services import SessionKit
from sessionkit.testing.clocks import ManualClock
from sessionkit.timespan import TimeSpan

T0 = datetime(2026, 1, 1, tzinfo=UTC)
NOW = T0 + timedelta(days=200)
TENANT = "bench"
OTHER = "other"
CHUNK = 20_000

_STATUSES = ["COMPLETED"] * 10 + ["CANCELLED"] * 2 + ["NO_SHOW"] + ["SCHEDULED"] * 7
_BOOKINGS = ["CONFIRMED"] * 16 + ["CANCELLED"] * 3 + ["WAITLISTED"]
_PAYMENTS = ["PAID"] * 6 + ["PENDING", "FAILED", "REFUNDED", "PARTIALLY_REFUNDED"]
_REQUESTS = ["APPROVED", "AUTO_APPROVED", "DECLINED"]


def _templates() -> tuple[dict[str, Any], ...]:
    """One row of each table, from the adapter's own mapping, to copy with new values."""
    span = TimeSpan(T0, T0 + timedelta(hours=1))
    session = Session(
        id="s",
        tenant=TENANT,
        title="Lesson",
        span=span,
        tz="UTC",
        status="SCHEDULED",
        lifecycle="consulting",
        busy=False,  # no exclusion constraint in the way of the bulk load
        created_at=T0,
        resources=("teacher:t0",),
        is_extra=True,
        capacity=10,
    )
    booking = Booking(
        id="b",
        tenant=TENANT,
        session_id="s",
        participant="client:c0",
        status="CONFIRMED",
        session_start=span.start,
        session_end=span.end,
        created_at=T0,
    )
    payment = Payment(
        id="p",
        tenant=TENANT,
        booking_id="b",
        session_id="s",
        participant="client:c0",
        session_start=span.start,
        amount=Money.of("60.00", "EUR"),
        provider="card",
        status="PAID",
        due=None,
        created_at=T0,
    )
    request = RescheduleRequest(
        id="r",
        tenant=TENANT,
        session_id="s",
        role="student",
        requested_by="c0",
        reason="exam",
        session_start=span.start,
        proposed_start=span.start + timedelta(days=1),
        deadline=T0,
        status="APPROVED",
        created_at=T0,
    )
    return (
        session_values(session),
        resource_values(session)[0],
        booking_values(booking),
        payment_values(payment),
        reschedule_values(request),
    )


def _rows(tenant: str, sessions: int, seed: int) -> Iterator[tuple[str, list[dict[str, Any]]]]:
    """Yield ``(table, rows)`` chunks of one tenant's data, parents before children."""
    rng = random.Random(seed)
    use_rng = random.Random(seed + 100)  # its own draws: the other tables stay as they were
    s_row, r_row, b_row, p_row, q_row = _templates()
    for first in range(0, sessions, CHUNK // 2):
        chosen = range(first, min(first + CHUNK // 2, sessions))
        ss: list[dict[str, Any]] = []
        rs: list[dict[str, Any]] = []
        bs: list[dict[str, Any]] = []
        ps: list[dict[str, Any]] = []
        qs: list[dict[str, Any]] = []
        for n in chosen:
            start = T0 + timedelta(minutes=rng.randrange(365 * 24 * 4) * 15)
            end = start + timedelta(hours=1)
            resources = [f"teacher:t{rng.randrange(200)}"]
            if n % 2:
                resources.append(f"room:r{rng.randrange(50)}")
            sid = f"s{n}"
            ss.append(
                s_row
                | {
                    "tenant": tenant,
                    "id": sid,
                    "start_at": start,
                    "end_at": end,
                    "status": rng.choice(_STATUSES),
                    "lifecycle": ("consulting", "coaching", "lms")[n % 3],
                    "resources": resources,
                }
            )
            rs.extend(
                r_row
                | {"tenant": tenant, "session_id": sid, "resource": r, "start_at": start}
                | {"end_at": end}
                for r in resources
            )
            for k in range(2):
                bid = f"b{n}-{k}"
                client = f"c{rng.randrange(20_000)}"
                common = {"tenant": tenant, "session_id": sid, "session_start": start}
                bs.append(
                    b_row
                    | common
                    | {
                        "id": bid,
                        "participant_id": client,
                        "status": rng.choice(_BOOKINGS),
                        "session_end": end,
                    }
                )
                if k == 0:
                    status = rng.choice(_PAYMENTS)
                    amount = Decimal(rng.randrange(2000, 20000)) / 100
                    refunded = {"REFUNDED": amount, "PARTIALLY_REFUNDED": amount / 2}
                    ps.append(
                        p_row
                        | common
                        | {
                            "id": f"p{n}",
                            "booking_id": bid,
                            "participant_id": client,
                            "amount": amount,
                            "currency": "EUR" if n % 5 else "USD",
                            "provider": "card" if n % 3 else "manual",
                            "status": status,
                            "refunded": refunded.get(status, Decimal(0)),
                        }
                    )
            if n % 20 == 0:
                qs.append(
                    q_row
                    | {
                        "tenant": tenant,
                        "id": f"r{n}",
                        "session_id": sid,
                        "status": rng.choice(_REQUESTS),
                    }
                )
        yield from (
            (sessions_table.name, ss),
            (session_resources_table.name, rs),
            (bookings_table.name, bs),
            (payments_table.name, ps),
            (reschedules_table.name, qs),
            *use.use_rows(use_rng, ss, bs),
        )


def load(engine: Engine, sessions: int) -> None:
    """Fill the tables: ``sessions`` sessions of the tenant, a tenth as many of another."""
    tables = {
        t.name: t
        for t in (
            sessions_table,
            session_resources_table,
            bookings_table,
            payments_table,
            reschedules_table,
            *use.TABLES,
        )
    }
    with engine.begin() as connection:
        for tenant, size, seed in ((TENANT, sessions, 1), (OTHER, max(sessions // 10, 1), 2)):
            connection.execute(use.SUBSCRIPTIONS.insert(), use.subscription_rows(tenant, 20_000))
            for name, rows in _rows(tenant, size, seed):
                if rows:
                    connection.execute(tables[name].insert(), rows)
    if engine.dialect.name == "postgresql":
        # Outside a transaction: SQLAlchemy begins one on connect, and statistics gathered in
        # a transaction that is rolled back are lost (the planner then guesses a handful of
        # rows per table and picks nested loops).
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.exec_driver_sql("ANALYZE")
    else:
        with engine.begin() as connection:
            connection.exec_driver_sql("ANALYZE")


MOVED = "('APPROVED', 'AUTO_APPROVED')"
SEATS = "('HELD', 'CONFIRMED', 'OFFERED')"
FLOORS: dict[str, str] = {
    "counts": "SELECT status, count(*) FROM sessionkit_sessions WHERE tenant = :t GROUP BY status",
    "counts, a month": (
        "SELECT status, count(*) FROM sessionkit_sessions WHERE tenant = :t "
        "AND start_at >= :lo AND start_at < :hi GROUP BY status"
    ),
    "counts by resource": (
        "SELECT r.resource, s.status, count(*) FROM sessionkit_sessions s "
        "JOIN sessionkit_session_resources r ON r.tenant = s.tenant AND r.session_id = s.id "
        "WHERE s.tenant = :t GROUP BY r.resource, s.status"
    ),
    "counts by participant": (
        "SELECT b.participant_kind, b.participant_id, s.status, count(*) "
        "FROM sessionkit_sessions s JOIN sessionkit_bookings b "
        "ON b.tenant = s.tenant AND b.session_id = s.id "
        f"WHERE s.tenant = :t AND b.status IN {SEATS} "
        "GROUP BY b.participant_kind, b.participant_id, s.status"
    ),
    "rates": (
        "SELECT status, count(*) FROM sessionkit_sessions WHERE tenant = :t GROUP BY status;"
        "SELECT count(*) FROM sessionkit_sessions WHERE tenant = :t AND id IN "
        f"(SELECT session_id FROM sessionkit_reschedules WHERE tenant = :t AND status IN {MOVED})"
    ),
    "revenue": (
        "SELECT currency, status, count(*), sum(amount), sum(refunded), sum(refund_due) "
        "FROM sessionkit_payments WHERE tenant = :t GROUP BY currency, status"
    ),
    "revenue by client": (
        "SELECT participant_kind, participant_id, currency, status, count(*), sum(amount), "
        "sum(refunded), sum(refund_due) FROM sessionkit_payments WHERE tenant = :t "
        "GROUP BY participant_kind, participant_id, currency, status"
    ),
    "clients": (
        "SELECT participant_kind, participant_id, count(*), count(DISTINCT session_id), "
        "min(session_start), max(session_start) FROM sessionkit_bookings "
        f"WHERE tenant = :t AND status IN {SEATS} GROUP BY participant_kind, participant_id;"
        "SELECT participant_kind, participant_id, currency, status, count(*), sum(amount), "
        "sum(refunded), sum(refund_due) FROM sessionkit_payments WHERE tenant = :t "
        "GROUP BY participant_kind, participant_id, currency, status"
    ),
    "progress of a teacher": (
        "SELECT status, CASE WHEN end_at <= :now THEN 1 ELSE 0 END, count(*) "
        "FROM sessionkit_sessions WHERE tenant = :t AND id IN (SELECT session_id FROM "
        "sessionkit_session_resources WHERE tenant = :t AND resource = 'teacher:t7') "
        "GROUP BY status, CASE WHEN end_at <= :now THEN 1 ELSE 0 END"
    ),
    "subscription use": use.usage_floor(),
}


def floors(dialect: str) -> dict[str, str]:
    """The hand-written statements of every figure, in ``dialect``'s SQL where it differs."""
    return FLOORS | {"attendance": use.attendance_floor(dialect)}


def figures(kit: SessionKit) -> dict[str, Callable[[], object]]:
    """The figures, as ``kit.analytics`` calls."""
    a = kit.analytics
    lo, hi = T0 + timedelta(days=60), T0 + timedelta(days=90)
    return {
        "counts": lambda: a.counts(TENANT),
        "counts, a month": lambda: a.counts(TENANT, start_from=lo, start_to=hi),
        "counts by resource": lambda: a.counts(TENANT, by="resource"),
        "counts by participant": lambda: a.counts(TENANT, by="participant"),
        "rates": lambda: a.rates(TENANT),
        "revenue": lambda: a.revenue(TENANT),
        "revenue by client": lambda: a.revenue(TENANT, by="client"),
        "clients": lambda: a.clients(TENANT),
        "progress of a teacher": lambda: a.progress(
            TENANT, SessionQuery(resources=["teacher:t7"]), now=NOW
        ),
        "attendance": lambda: a.attendance(TENANT),
        "subscription use": lambda: a.usage(TENANT, now=NOW),
    }


def floor(engine: Engine, sql: str) -> Callable[[], object]:
    """The hand-written statements of one figure, in a transaction of their own, rows fetched.

    As ``kit.analytics`` reads: a pooled connection, one transaction (on
    SQLite the store's engine begins it with ``BEGIN IMMEDIATE``, for both).
    """
    params = {
        "t": TENANT,
        "lo": T0 + timedelta(days=60),
        "hi": T0 + timedelta(days=90),
        "now": NOW,
    }
    if engine.dialect.name != "postgresql":
        params = {
            k: v.replace(tzinfo=None) if isinstance(v, datetime) else v for k, v in params.items()
        }
    statements = [text(s) for s in sql.split(";")]

    def run() -> object:
        with engine.connect() as connection:
            return [connection.execute(s, params).all() for s in statements]

    return run


def queries(engine: Engine, call: Callable[[], object]) -> int:
    """Run ``call`` once; how many queries (``SELECT`` / ``WITH``) it sent to the driver.

    The store's ``SELECT set_config('lock_timeout', ...)`` on PostgreSQL is a
    setting, not a read of the data, and is not counted.
    """
    seen: list[str] = []

    def record(_c: Any, _cur: Any, statement: str, _p: Any, _x: Any, _many: bool) -> None:
        text = statement.lstrip().upper()
        if text.startswith(("SELECT", "WITH")) and not text.startswith("SELECT SET_CONFIG("):
            seen.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        call()
    finally:
        event.remove(engine, "before_cursor_execute", record)
    return len(seen)


def measure(engine: Engine, label: str, sessions: int, rounds: int) -> None:
    """Load the data into ``engine`` and report every figure against its floor."""
    started = time.perf_counter()
    load(engine, sessions)
    print(
        f"{label}: {sessions:,} sessions, {2 * sessions:,} bookings, {sessions:,} payments "
        f"(+ a tenth in another tenant), loaded in {time.perf_counter() - started:.0f} s",
        flush=True,
    )
    kit = SessionKit(uow=SqlAlchemyStore(engine).unit_of_work, clock=ManualClock(NOW))
    calls = figures(kit)
    statements = floors(engine.dialect.name)
    print(f"  {'figure':<24} {'queries':>7} {'sessionkit':>12} {'floor':>12} {'ratio':>7}  range")
    ratios = []
    for name, call in calls.items():
        hand = floor(engine, statements[name])
        sent = queries(engine, call)  # also warms both up: statement caches, pages
        hand()
        result = interleave({"kit": clocked(call), "floor": clocked(hand)}, rounds)
        ratio = result.ratio("kit", "floor")
        ratios.append(ratio)
        print(
            f"  {name:<24} {sent:>7} {result.median('kit') * 1000:>9.1f} ms "
            f"{result.median('floor') * 1000:>9.1f} ms {ratio:>6.2f}x  "
            f"{result.spread('kit', 'floor')}",
            flush=True,
        )
    print(f"  median ratio over the figures: {statistics.median(ratios):.2f}x", flush=True)


def run(sessions: int, rounds: int) -> None:
    """Measure on a SQLite file, then on PostgreSQL when its URL is set."""
    with tempfile.TemporaryDirectory() as directory:
        engine = create_engine(f"sqlite:///{Path(directory) / 'analytics.db'}")
        create_schema(engine)
        measure(engine, "SQLite", sessions, rounds)
        engine.dispose()
    url = os.environ.get("SESSIONKIT_TEST_POSTGRES_URL")
    if url:
        with postgres_schema(url) as pg:
            measure(pg, "PostgreSQL", sessions, rounds)
    else:
        print("PostgreSQL: skipped (set SESSIONKIT_TEST_POSTGRES_URL)")


def main(quick: bool = False) -> None:
    """Run at the default size (``quick``: a tenth of it)."""
    run(2_000 if quick else 20_000, 5)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(prog="python -m benchmarks.bench_analytics")
    parser.add_argument("--quick", action="store_true", help="2,000 sessions")
    parser.add_argument(
        "--full", action="store_true", help="1,000,000 sessions, 2,000,000 bookings"
    )
    parser.add_argument("--sessions", type=int, help="this many sessions (twice as many bookings)")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    size = 1_000_000 if args.full else args.sessions or (2_000 if args.quick else 20_000)
    run(size, args.rounds)
