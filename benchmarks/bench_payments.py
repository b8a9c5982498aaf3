"""Payments: applying the provider's inbound events, against a raw SQL floor.

**Apply inbound payment events** with ``kit.payments.apply(tenant, event)``
(``SessionKit`` over ``SqlAlchemyStore``, one unit of work per event, no
gateway: the provider calls an event leaves due, a capture after
``authorized``, are network calls made after the unit commits, not part of
applying), into a SQLite file and, when available, PostgreSQL. The stream
is what a provider's webhooks deliver: 10% of the events are redeliveries of
earlier ones, and a fifth of the payments with several events have two of
them delivered out of order (``succeeded`` before ``authorized``,
``refunded`` before ``succeeded``, ``failed`` before ``authorized``), so
every kind of outcome is met: applied, duplicate, stale. The payments
(each with its HELD booking, ten bookings per session, an intent reference
set) are loaded straight into the adapter's tables with Core
``executemany`` (setup, not timed); each follows one of these scripts:

=====================================  ======  ===================  =========
events                                 share   payment ends         booking
=====================================  ======  ===================  =========
authorized, succeeded                  45%     PAID                 CONFIRMED
succeeded                              15%     PAID                 CONFIRMED
authorized, succeeded, refunded (all)  20%     REFUNDED             CONFIRMED
succeeded, refunded (a third)          10%     PARTIALLY_REFUNDED   CONFIRMED
authorized, failed                     10%     FAILED               CANCELLED
=====================================  ======  ===================  =========

The **floor**, in the same interleaved rounds (:mod:`benchmarks.compare`), on
the same tables, is the minimal raw work of "apply once" with the driver
alone (``sqlite3``; psycopg) on one connection, one transaction per event:
``INSERT`` of the receipt ``ON CONFLICT DO NOTHING`` (nothing inserted: a
duplicate, ``COMMIT``); when inserted, one guarded ``UPDATE`` of the payment
(status, refunded total, ``version + 1``, ``WHERE`` the status it may move
from, ``RETURNING`` the booking id); when that moved nothing, an ``UPDATE``
marking the receipt stale; when it moved a success, refund or failure, an
``UPDATE`` confirming (or cancelling) the booking ``WHERE`` it is still
HELD; ``COMMIT``. On SQLite both sides begin with ``BEGIN IMMEDIATE``.

Sizes: the tables hold the payments of a 100,000-event stream (about
44,000 payments; 10,000 events with ``--quick``), but applying 100,000
events per contender and round would take about an hour here (sessionkit
applies 50 to 130 events a second, a unit of work and a commit each), far
over the run's four-minute budget. So a **sample** is measured: ten disjoint
slices of the stream, about 800 events each (150 with ``--quick``), one per
contender and round, five rounds, each slice on payments of its own (so
both contenders meet the same mix and tables that grow alike); 8,000 of the
100,000 events in all, the rest loaded and never applied. Two smaller slices
warm both contenders up first (sessionkit's also gives its statements per
event by type and outcome). After every slice (not timed) each payment's
status and refunded total and each booking's status are checked against
its script, and the slice's receipts against its distinct events and their
outcomes (one stale per reordered pair).

Reported per database: events/s of both, the ratio (median of the per-round
ratios, with their range), SQL statements per event (an engine event
listener for sessionkit, its ``SAVEPOINT`` and ``RELEASE`` included, ``BEGIN``
and ``COMMIT`` not; counted by hand for the floor), and, when sessionkit is
over 3x the floor, a cProfile of one more slice saying where its time goes
(read from pstats' raw table: ``get_stats_profile`` keys functions by bare
name, so one module's ``get`` or ``commit`` would hide another's).
PostgreSQL runs when ``SESSIONKIT_TEST_POSTGRES_URL`` is set (e.g.
``postgresql+psycopg://postgres@127.0.0.1:5432/test``), in a schema of its
own that is dropped afterwards.
"""

from __future__ import annotations

import gc
import random
import statistics
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import attrs
from sqlalchemy import event, func, insert, select
from sqlalchemy.engine import Engine

from benchmarks.bench_bookings import booking_row, session_row
from benchmarks.bench_storage import (
    postgres_url,
    profile_report,
    run_analyze,
    sqlite_engine,
)
from benchmarks.compare import Contender, interleave
from sessionkit.adapters.sqlalchemy import SqlAlchemyStore, create_schema
from sessionkit.adapters.sqlalchemy.booking_rows import bookings_table
from sessionkit.adapters.sqlalchemy.payment_rows import (
    payment_events_table,
    payment_values,
    payments_table,
)
from sessionkit.adapters.sqlalchemy.rows import sessions_table
from sessionkit.adapters.sqlalchemy.testing import postgres_schema
from sessionkit.model.booking import CANCELLED, CONFIRMED, HELD
from sessionkit.model.money import Money
from sessionkit.model.payment import (
    AUTHORIZED,
    FAILED,
    PAID,
    PARTIALLY_REFUNDED,
    PENDING,
    REFUNDED,
    Payment,
    PaymentEvent,
    PaymentEventType,
)
from sessionkit.services import SessionKit
from sessionkit.testing.clocks import ManualClock

TENANT = "acme"
PROVIDER = "fake"
NOW = datetime(2026, 3, 2, 6, tzinfo=UTC)
"""Every command's instant; the sessions start after it and the holds outlast the run."""
PRICE = Decimal("60.00")
CURRENCY = "EUR"
SEATS_PER_SESSION = 10
DUPLICATES = 0.10
"""The share of the delivered events that are redeliveries of an earlier one."""
REORDERED = 0.20
"""The share of payments with several events that have two of them delivered swapped."""
ROUNDS = 5
THRESHOLD = 3.0
"""Over this ratio to the floor, a cProfile says where sessionkit's time goes."""

P = payments_table.c
B = bookings_table.c
E = payment_events_table.c


# ---------------------------------------------------------------------------------- the stream


@attrs.frozen
class Script:
    """One payment's events in the order they happened, and where they leave it."""

    events: tuple[tuple[PaymentEventType, Decimal | None], ...]
    """``(type, refunded total)`` in order."""
    weight: int
    status: str
    refunded: Decimal
    booking: str


THIRD = Decimal("20.00")
SCRIPTS = (
    Script((("authorized", None), ("succeeded", None)), 45, PAID, Decimal(0), CONFIRMED),
    Script((("succeeded", None),), 15, PAID, Decimal(0), CONFIRMED),
    Script(
        (("authorized", None), ("succeeded", None), ("refunded", PRICE)),
        20,
        REFUNDED,
        PRICE,
        CONFIRMED,
    ),
    Script((("succeeded", None), ("refunded", THIRD)), 10, PARTIALLY_REFUNDED, THIRD, CONFIRMED),
    Script((("authorized", None), ("failed", None)), 10, FAILED, Decimal(0), CANCELLED),
)


@attrs.frozen
class Planned:
    """A payment of the benchmark: its ids and its script of events."""

    payment_id: str
    booking_id: str
    session_id: str
    script: Script


@attrs.frozen
class Slice:
    """The payments one contender-round applies events to, and the stream it applies."""

    tag: str
    payments: list[Planned]
    stream: list[PaymentEvent]
    distinct: int
    reordered: int
    """Payments with two events delivered swapped: each gives exactly one stale event."""


def plan_payments(tag: str, count: int, rng: random.Random) -> list[Planned]:
    weights = [s.weight for s in SCRIPTS]
    picks = rng.choices(SCRIPTS, weights=weights, k=count)
    return [
        Planned(f"{tag}-p{n:06d}", f"{tag}-b{n:06d}", f"{tag}-s{n // SEATS_PER_SESSION:05d}", s)
        for n, s in enumerate(picks)
    ]


def make_stream(
    payments: Sequence[Planned], rng: random.Random
) -> tuple[list[PaymentEvent], int, int]:
    """The slice's deliveries: (stream, distinct events, reordered payments).

    Each payment's events happen a few seconds to a minute apart at a random
    moment of the slice's window, so payments interleave; a :data:`REORDERED`
    share of the payments with several events has one adjacent pair delivered
    swapped; then redeliveries of random events follow their first delivery
    by up to two minutes, :data:`DUPLICATES` of the whole stream.
    """
    window = len(payments) * 2.0
    delivered: list[tuple[float, PaymentEvent]] = []
    reordered = 0
    for planned in payments:
        steps = planned.script.events
        at = rng.uniform(0, window)
        times = []
        for _ in steps:
            times.append(at)
            at += rng.uniform(2, 60)
        deliveries = list(times)
        if len(steps) > 1 and rng.random() < REORDERED:
            i = rng.randrange(len(steps) - 1)
            deliveries[i], deliveries[i + 1] = deliveries[i + 1], deliveries[i]
            reordered += 1
        for k, (kind, refunded) in enumerate(steps):
            event = PaymentEvent(
                provider=PROVIDER,
                event_id=f"evt_{planned.payment_id}_{k}",
                type=kind,
                occurred_at=NOW + timedelta(seconds=times[k]),
                payment_id=planned.payment_id,
                intent_ref=intent_ref(planned.payment_id),
                amount=None if refunded is None else Money.of(refunded, CURRENCY),
                reason="card_declined" if kind == "failed" else None,
            )
            delivered.append((deliveries[k], event))
    distinct = len(delivered)
    redeliveries = round(distinct * DUPLICATES / (1 - DUPLICATES))
    for first, event in rng.choices(delivered, k=redeliveries):
        delivered.append((first + rng.uniform(0.5, 120), event))
    delivered.sort(key=lambda pair: pair[0])
    return [event for _, event in delivered], distinct, reordered


def intent_ref(payment_id: str) -> str:
    return f"pi_{payment_id}"


def make_slices(prefix: str, count: int, events: int, rng: random.Random) -> list[Slice]:
    """``count`` disjoint slices of about ``events`` deliveries each (payments of their own)."""
    mean = sum(s.weight * len(s.events) for s in SCRIPTS) / sum(s.weight for s in SCRIPTS)
    per_slice = max(1, round(events * (1 - DUPLICATES) / mean))
    slices = []
    for n in range(count):
        tag = f"{prefix}{n:03d}"
        payments = plan_payments(tag, per_slice, rng)
        stream, distinct, reordered = make_stream(payments, rng)
        slices.append(Slice(tag, payments, stream, distinct, reordered))
    return slices


# ---------------------------------------------------------------------------------- setup


def payment_row(planned: Planned, start: datetime) -> dict[str, Any]:
    payment = Payment(
        id=planned.payment_id,
        tenant=TENANT,
        booking_id=planned.booking_id,
        session_id=planned.session_id,
        participant=f"student:{planned.payment_id}",
        session_start=start,
        amount=Money.of(PRICE, CURRENCY),
        provider=PROVIDER,
        intent_ref=intent_ref(planned.payment_id),
        due=None,
        created_at=NOW - timedelta(hours=1),
        created_by="bench",
    )
    return payment_values(payment)


def load(engine: Engine, slices: Sequence[Slice]) -> float:
    """Sessions, HELD bookings and PENDING payments of every slice (Core executemany); seconds."""
    started = time.perf_counter()
    hold_until = NOW + timedelta(days=30)
    with engine.begin() as connection:
        for part in slices:
            sessions: dict[str, dict[str, Any]] = {}
            bookings, payments = [], []
            for n, planned in enumerate(part.payments):
                start = NOW + timedelta(days=1 + n // 200, hours=n // SEATS_PER_SESSION % 20)
                span = (start, start + timedelta(minutes=45))
                if planned.session_id not in sessions:
                    sessions[planned.session_id] = session_row(
                        planned.session_id, span, SEATS_PER_SESSION
                    )
                bookings.append(
                    booking_row(
                        planned.booking_id,
                        planned.session_id,
                        f"student:{planned.payment_id}",
                        span,
                        HELD,
                        hold_expires_at=hold_until,
                    )
                )
                payments.append(payment_row(planned, start))
            connection.execute(insert(sessions_table), list(sessions.values()))
            connection.execute(insert(bookings_table), bookings)
            connection.execute(insert(payments_table), payments)
    run_analyze(engine)
    return time.perf_counter() - started


# ---------------------------------------------------------------------------------- contenders


@attrs.define
class Tally:
    """What one contender's timed runs did: outcomes, statements sent, events delivered."""

    outcomes: Counter[str] = attrs.Factory(Counter)
    statements: int = 0
    events: int = 0


class StatementCounter:
    """Counts the statements an engine sends, ``BEGIN`` (SQLite's ``BEGIN IMMEDIATE``) aside."""

    def __init__(self, engine: Engine) -> None:
        self.count = 0
        event.listen(engine, "before_cursor_execute", self._seen)

    def _seen(
        self, _conn: Any, _cursor: Any, statement: str, _params: Any, _ctx: Any, _many: bool
    ) -> None:
        if not statement.startswith("BEGIN"):
            self.count += 1


class Sessionkit:
    """``kit.payments.apply`` for every delivery of a slice, one unit of work each."""

    def __init__(self, engine: Engine) -> None:
        self.kit = SessionKit(uow=SqlAlchemyStore(engine).unit_of_work, clock=ManualClock(NOW))
        self.counter = StatementCounter(engine)
        self.tally = Tally()

    def run(self, part: Slice) -> float:
        apply = self.kit.payments.apply
        outcomes: list[str] = []
        before = self.counter.count
        gc.collect()
        started = time.perf_counter()
        for delivered in part.stream:
            outcomes.append(apply(TENANT, delivered).outcome)
        elapsed = time.perf_counter() - started
        self.tally.statements += self.counter.count - before
        self.tally.events += len(part.stream)
        self.tally.outcomes.update(outcomes)
        return elapsed

    def counted(self, part: Slice) -> dict[str, list[int]]:
        """Apply the slice (not timed); the statements of each event, by type and outcome."""
        apply, counter = self.kit.payments.apply, self.counter
        seen: dict[str, list[int]] = {}
        for delivered in part.stream:
            before = counter.count
            outcome = apply(TENANT, delivered).outcome
            label = "duplicate" if outcome == "duplicate" else f"{delivered.type} {outcome}"
            seen.setdefault(label, []).append(counter.count - before)
        return seen


_MOVES_FROM = {
    "authorized": (PENDING,),
    "succeeded": (PENDING, AUTHORIZED),
    "failed": (PENDING, AUTHORIZED),
    "refunded": (PENDING, AUTHORIZED, PAID, PARTIALLY_REFUNDED),
}
"""The statuses each event type moves a payment from, in the floor's guarded UPDATE."""


class Floor:
    """The minimal raw work of "apply once", the driver alone (see the module docstring)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.sqlite = engine.dialect.name == "sqlite"
        mark = "?" if self.sqlite else "%s"
        dialect = engine.dialect
        instant = P.updated_at.type._cached_bind_processor(dialect)
        amount = P.refunded.type._cached_bind_processor(dialect)
        assert instant is not None
        assert amount is not None
        self.at = instant(NOW)
        self.amounts = {PRICE: amount(PRICE), THIRD: amount(THIRD)}
        self.tally = Tally()

        def marks(n: int) -> str:
            return ", ".join([mark] * n)

        self.receipt = (
            "INSERT INTO sessionkit_payment_events"
            " (tenant, id, payment_id, type, outcome, received_at, version)"
            f" VALUES ({marks(6)}, 1) ON CONFLICT DO NOTHING"
        )
        self.stale = (
            f"UPDATE sessionkit_payment_events SET outcome = 'stale'"
            f" WHERE tenant = {mark} AND id = {mark}"
        )
        self.moves: dict[str, str] = {}
        for kind, sources in _MOVES_FROM.items():
            if kind == "refunded":
                status = f"CASE WHEN amount = {mark} THEN 'REFUNDED' ELSE 'PARTIALLY_REFUNDED' END"
                extra = f", refunded = {mark}"
            else:
                status = {"authorized": "'AUTHORIZED'", "succeeded": "'PAID'"}.get(kind, "'FAILED'")
                extra = ""
            allowed = ", ".join(f"'{s}'" for s in sources)
            self.moves[kind] = (
                f"UPDATE sessionkit_payments SET status = {status}{extra},"
                f" version = version + 1, updated_at = {mark}"
                f" WHERE tenant = {mark} AND id = {mark} AND status IN ({allowed})"
                " RETURNING booking_id"
            )
        self.booking = (
            f"UPDATE sessionkit_bookings SET status = {mark}, hold_expires_at = NULL,"
            f" version = version + 1, updated_at = {mark}"
            f" WHERE tenant = {mark} AND id = {mark} AND status = 'HELD'"
        )

    def run(self, part: Slice) -> float:
        fairy = self.engine.raw_connection()
        try:
            connection: Any = fairy.driver_connection
            cursor = connection.cursor()
            gc.collect()
            started = time.perf_counter()
            statements, outcomes = self._apply_all(connection, cursor, part.stream)
            elapsed = time.perf_counter() - started
        finally:
            fairy.close()
        self.tally.statements += statements
        self.tally.events += len(part.stream)
        self.tally.outcomes.update(outcomes)
        return elapsed

    def _apply_all(
        self, connection: Any, cursor: Any, stream: Sequence[PaymentEvent]
    ) -> tuple[int, Counter[str]]:
        sqlite, at, amounts = self.sqlite, self.at, self.amounts
        receipt, stale, moves, booking = self.receipt, self.stale, self.moves, self.booking
        statements = 0
        outcomes: Counter[str] = Counter()
        for delivered in stream:
            if sqlite:
                cursor.execute("BEGIN IMMEDIATE")
            key, kind, payment_id = delivered.key, delivered.type, delivered.payment_id
            cursor.execute(receipt, (TENANT, key, payment_id, kind, "applied", at))
            statements += 1
            if cursor.rowcount != 1:
                connection.commit()
                outcomes["duplicate"] += 1
                continue
            if kind == "refunded":
                assert delivered.amount is not None
                total = amounts[delivered.amount.amount]
                params: tuple[Any, ...] = (total, total, at, TENANT, payment_id)
            else:
                params = (at, TENANT, payment_id)
            cursor.execute(moves[kind], params)
            moved = cursor.fetchone()
            statements += 1
            if moved is None:
                cursor.execute(stale, (TENANT, key))
                statements += 1
                outcomes["stale"] += 1
            else:
                outcomes["applied"] += 1
                if kind != "authorized":
                    status = CANCELLED if kind == "failed" else CONFIRMED
                    cursor.execute(booking, (status, at, TENANT, moved[0]))
                    statements += 1
            connection.commit()
        return statements, outcomes


# ---------------------------------------------------------------------------------- checks


def check_slice(engine: Engine, part: Slice, who: str) -> None:
    """Every payment and booking of the slice ended as its script says; receipts are exact."""
    prefix = f"{part.tag}-%"
    statement = (
        select(P.id, P.status, P.refunded, B.status)
        .join(bookings_table, (B.tenant == P.tenant) & (B.id == P.booking_id))
        .where(P.tenant == TENANT, P.id.like(prefix))
    )
    with engine.connect() as connection:
        found = {row[0]: (row[1], Decimal(row[2]), row[3]) for row in connection.execute(statement)}
        receipts: dict[str, int] = dict(
            connection.execute(
                select(E.outcome, func.count())
                .where(E.tenant == TENANT, E.id.like(f"{PROVIDER}:evt_{prefix}"))
                .group_by(E.outcome)
            ).all()
        )
    expected = {
        p.payment_id: (p.script.status, p.script.refunded, p.script.booking) for p in part.payments
    }
    wrong = {i: (found.get(i), want) for i, want in expected.items() if found.get(i) != want}
    assert not wrong, (who, part.tag, len(wrong), sorted(wrong.items())[:3])
    want_receipts = {"applied": part.distinct - part.reordered, "stale": part.reordered}
    assert receipts == want_receipts, (who, part.tag, receipts, want_receipts)


# ---------------------------------------------------------------------------------- the run

PROFILE_STEPS = (
    ("services/_payment_events.py", "apply"),
    ("services/_context.py", "transaction"),
    ("sqlalchemy/store.py", "__enter__"),
    ("sqlalchemy/store.py", "commit"),
    ("sqlalchemy/store.py", "__exit__"),
    ("sqlalchemy/store.py", "repository"),
    ("services/_payment_events.py", "_find"),
    ("sqlalchemy/_repository.py", "get_many"),
    ("sqlalchemy/_repository.py", "get"),
    ("sqlalchemy/_bookings.py", "lock_session"),
    ("services/_payment_events.py", "_react"),
    ("services/_payment_answers.py", "succeed"),
    ("services/_payment_answers.py", "fail"),
    ("services/_money.py", "store_payment"),
    ("sqlalchemy/_repository.py", "update"),
    ("sqlalchemy/_versioned.py", "savepoint"),
    ("services/_payment_events.py", "_receipt"),
)


@attrs.frozen
class Sizes:
    """Events per slice: the timed ones, the two warm-ups, the profiled one; and the total."""

    timed: int
    warm: int
    profiled: int
    total: int
    """Events of the whole stream whose payments are loaded (most are never applied)."""


FULL = Sizes(timed=800, warm=150, profiled=300, total=100_000)
QUICK = Sizes(timed=150, warm=60, profiled=100, total=10_000)


def bench_on(name: str, engine: Engine, sizes: Sizes) -> None:
    """Load the payments of the whole stream, then apply slices of it in interleaved rounds."""
    run_started = time.perf_counter()
    rng = random.Random(12)
    timed = make_slices("t", 2 * ROUNDS, sizes.timed, rng)
    warm = make_slices("w", 2, sizes.warm, rng)
    profiled = make_slices("p", 1, sizes.profiled, rng)[0]
    used = sum(len(s.stream) for s in (*timed, *warm, profiled))
    rest = make_slices("r", 1, sizes.total - used, rng)
    loaded = load(engine, [*timed, *warm, profiled, *rest])
    payments = sum(len(s.payments) for s in (*timed, *warm, profiled, *rest))
    kit_side, floor = Sessionkit(engine), Floor(engine)
    by_outcome = kit_side.counted(warm[0])
    floor.run(warm[1])
    check_slice(engine, warm[0], "sessionkit")
    check_slice(engine, warm[1], "floor")
    kit_side.tally, floor.tally = Tally(), Tally()
    queue = iter(timed)

    def contender(who: str, run: Callable[[Slice], float]) -> Contender:
        def measured() -> float:
            part = next(queue)
            elapsed = run(part)
            check_slice(engine, part, who)
            return elapsed / len(part.stream)  # seconds per event: slices differ a little

        return measured

    found = interleave(
        {
            "sessionkit": contender("sessionkit", kit_side.run),
            "floor": contender("floor", floor.run),
        },
        ROUNDS,
    )
    ratio = found.ratio("sessionkit", "floor")
    applied = kit_side.tally.events + floor.tally.events
    print(
        f"  {name}: {payments:,} payments (HELD bookings, {SEATS_PER_SESSION} to a session) of a"
        f" {sizes.total:,}-event stream loaded in {loaded:.1f} s (setup, not timed); a sample of"
        f" {applied:,} of its events applied in {ROUNDS} rounds, a slice of about"
        f" {sizes.timed:,} per contender and round"
    )
    print(f"    {'contender':<42} {'events/s':>9} {'statements/event':>17}  outcomes")
    labels = {
        "sessionkit": ("kit.payments.apply, a unit of work each", kit_side.tally),
        "floor": ("raw SQL: receipt upsert, guarded UPDATEs", floor.tally),
    }
    for who, (label, tally) in labels.items():
        outcomes = ", ".join(f"{k} {v:,}" for k, v in sorted(tally.outcomes.items()))
        print(
            f"    {label:<42} {1 / found.median(who):9,.0f}"
            f" {tally.statements / tally.events:17.2f}  {outcomes}"
        )
    print(
        f"    sessionkit / floor, time per event: {ratio:.2f}x"
        f" ({found.spread('sessionkit', 'floor')} over {found.rounds} rounds); every slice"
        " checked after its run: payment statuses and refunds, bookings, receipts and outcomes"
    )
    shown = ", ".join(
        f"{label} {statistics.median(counts):g}" for label, counts in sorted(by_outcome.items())
    )
    print(f"    sessionkit statements per event by outcome (median): {shown}")
    if ratio > THRESHOLD:
        apply = kit_side.kit.payments.apply
        profile_report(
            lambda: [apply(TENANT, delivered) for delivered in profiled.stream],
            f"kit.payments.apply for {len(profiled.stream):,} more events",
            PROFILE_STEPS,
        )
        check_slice(engine, profiled, "sessionkit (profiled)")
    print(f"    ({time.perf_counter() - run_started:.0f} s for {name}, setup included)", flush=True)


def main(quick: bool) -> None:
    started = time.perf_counter()
    sizes = QUICK if quick else FULL
    print(
        "Apply inbound payment events (10% redelivered, some out of order) with"
        " kit.payments.apply, against a raw SQL floor on the same tables; interleaved rounds,"
        " medians, ratios per round; statements per event: SAVEPOINT and RELEASE counted,"
        " BEGIN and COMMIT not"
    )
    with tempfile.TemporaryDirectory(prefix="sessionkit-bench-") as directory:
        engine = sqlite_engine(Path(directory) / "payments.sqlite3")
        create_schema(engine)
        try:
            bench_on("SQLite file", engine, sizes)
        finally:
            engine.dispose()
    url = postgres_url()
    if url is not None:
        with postgres_schema(url) as engine:
            bench_on("PostgreSQL", engine, sizes)
    print(f"  ({time.perf_counter() - started:.0f} s in all)")
