"""Racing commands whose locks could cross: every outcome is success or a ``SessionKitError``.

- An update racing a delete of one session (``kit.sessions.update`` / ``delete``, each
  its own unit of work). The update locked the session's row, then its resource rows;
  the delete the other way round, and PostgreSQL broke the deadlock with a raw
  ``DeadlockDetected``; MariaDB's error 1213 hid behind "SAVEPOINT does not exist".
- Two schedule changes of one series racing: one keeps Mondays and drops Wednesdays,
  the other the opposite, so each deletes what the other updates.
- Two host transactions (``store.join``) creating sessions of two teachers in
  opposite order, and two booking sessions of two teachers in opposite order: the
  library cannot order another application's transaction, so one may lose (on MariaDB,
  now and then both: its detector of named-lock deadlocks may abort both waiters); a
  loser gets ``TransientConflict`` with ``retryable`` false (or ``StorageTimeout``), never
  a driver error, and its host rolls back.

Each test checks the outcomes, that the stored rows are consistent (a deleted session
left no resource rows, a stored one's resource rows match it, no two busy sessions of a
resource overlap), and that events were published for exactly the commands that
succeeded. Writers are threads, or forked processes; engines as in ``conftest.py``.
``SESSIONKIT_RACE_ROUNDS`` sets the rounds per test (default 3); each test logs its
outcomes counted.
"""

from __future__ import annotations

import logging
import multiprocessing
import threading
from collections import Counter
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from functools import partial
from typing import Any

import pytest
from sqlalchemy import Engine, event, text
from sqlalchemy.orm import Session as OrmSession
from sqlalchemy.orm import sessionmaker

from sessionkit import SessionKit
from sessionkit.adapters.sqlalchemy import SqlAlchemyStore
from sessionkit.errors import ConcurrentModification, SessionKitError
from sessionkit.model import ResourceRef, ScheduleItem, Session
from sessionkit.recurrence import Recurrence
from sessionkit.testing.clocks import ManualClock, RecordingPublisher
from sessionkit.timespan import TimeSpan

from ._racing import WRITER_KINDS, race, rounds, scalar

ROUNDS = rounds(3)
LOG = logging.getLogger(__name__)
"""Outcomes counted per test (``-o log_cli=true --log-cli-level=INFO`` shows them)."""
MARIADB = ("mysql", "mariadb")
T = "acme"
NOW = datetime(2026, 3, 2, 7, tzinfo=UTC)
DAY = datetime(2026, 3, 4, tzinfo=UTC)
LOCK_TIMEOUT = timedelta(seconds=3)
"""Short, so a wait no database can break (SQLite's, MariaDB's named locks) ends quickly."""

OVERLAPS = text(
    "SELECT count(*) FROM sessionkit_session_resources a "
    "JOIN sessionkit_session_resources b ON a.tenant = b.tenant AND a.resource = b.resource "
    "AND a.session_id < b.session_id AND a.start_at < b.end_at AND b.start_at < a.end_at "
    "WHERE a.busy AND b.busy"
)
ASTRAY = text(
    "SELECT count(*) FROM sessionkit_session_resources r JOIN sessionkit_sessions s "
    "ON s.tenant = r.tenant AND s.id = r.session_id "
    "WHERE r.start_at <> s.start_at OR r.end_at <> s.end_at"
)
"""Resource rows that disagree with their session's span: must always be none."""


def _kit(store: SqlAlchemyStore | Callable[[], Any], events: RecordingPublisher) -> SessionKit:
    uow = store.unit_of_work if isinstance(store, SqlAlchemyStore) else store
    return SessionKit(uow=uow, clock=ManualClock(NOW))


def _outcome(work: Callable[[], object], events: RecordingPublisher) -> str:
    """Run ``work``; return ``"ok"`` or the error's class name, then the events published."""
    try:
        work()
        result = "ok"
    except SessionKitError as error:
        result = type(error).__name__
        if isinstance(error, ConcurrentModification) and error.retryable:
            result += "(retryable)"  # given up on: every attempt lost
    except BaseException as error:  # noqa: BLE001  # reported to the test as a failure
        result = f"RAW {type(error).__name__}: {str(error)[:300]}"
    return f"{result}|{','.join(type(e).__name__ for e in events.events)}"


def _assert_consistent(engine: Engine) -> None:
    assert scalar(engine, OVERLAPS) == 0
    assert scalar(engine, ASTRAY) == 0


def _assert_clean(outcomes: list[str], allowed: set[str]) -> Counter[str]:
    """Every outcome is allowed (success or a SessionKitError); return them counted."""
    results = Counter(o.split("|")[0] for o in outcomes)
    assert set(results) <= allowed, outcomes
    return results


# --------------------------------------------------------------------- update racing delete

SESSIONS_PER_ROUND = 3


def _open(kit: SessionKit, round_: int) -> list[Session]:
    """Open the round's sessions, each with its own teacher and room."""
    return [
        kit.sessions.create_extra(
            T,
            actor="tina",
            start=DAY + timedelta(hours=round_, minutes=10 * k),
            end=DAY + timedelta(hours=round_, minutes=10 * k + 5),
            resources=[ResourceRef("teacher", f"t{k}"), ResourceRef("room", f"r{k}")],
            lifecycle="lms",
            title="Algebra",
        )
        for k in range(SESSIONS_PER_ROUND)
    ]


def _update_or_delete(engine: Engine, opened: list[Session], n: int) -> str:
    """Writer ``n``: even ones move session ``n // 2`` to another room, odd ones delete it."""
    events = RecordingPublisher()
    kit = _kit(SqlAlchemyStore(engine, publisher=events, lock_timeout=LOCK_TIMEOUT), events)
    k = n // 2
    session_id = opened[k].id
    if n % 2:
        return _outcome(lambda: kit.sessions.delete(T, session_id, actor="ed"), events)
    return _outcome(
        lambda: kit.sessions.update(
            T,
            session_id,
            actor="ed",
            start=opened[k].start + timedelta(minutes=1),
            resources=[ResourceRef("teacher", f"t{k}"), ResourceRef("room", f"moved{k}")],
        ),
        events,
    )


@pytest.mark.parametrize("processes", WRITER_KINDS)
def test_an_update_racing_a_delete_of_one_session(race_engine: Engine, processes: bool) -> None:
    kit = _kit(SqlAlchemyStore(race_engine), RecordingPublisher())
    # A loser's record moved on between its read and its write: it ran again on the
    # fresh record (no writer gave an expected_version), so none of them is stale.
    allowed = {"ok", "SessionNotFound"}
    seen: Counter[str] = Counter()
    for round_ in range(ROUNDS):
        opened = _open(kit, round_)
        outcomes = race(
            partial(_update_or_delete, race_engine, opened),
            race_engine,
            writers=2 * SESSIONS_PER_ROUND,
            processes=processes,
        )
        seen += _assert_clean(outcomes, allowed)
        for n, outcome in enumerate(outcomes):
            result, published = outcome.split("|")
            wanted = "SessionDeleted" if n % 2 else "SessionUpdated"
            assert published == (wanted if result == "ok" else ""), (n, outcome)
        for k, session_id in enumerate(s.id for s in opened):
            deleted = outcomes[2 * k + 1].startswith("ok|")
            rows = scalar(
                race_engine,
                "SELECT count(*) FROM sessionkit_session_resources WHERE session_id = :id",
                id=session_id,
            )
            assert rows == (0 if deleted else 2), (session_id, outcomes)
        _assert_consistent(race_engine)
    LOG.info("update racing delete over %d rounds: %s", ROUNDS, dict(seen))


# --------------------------------------------------------------------- schedule changes


def _weekly(days: tuple[str, ...], minutes: int) -> Recurrence:
    return Recurrence.weekly(
        days=days,
        at=time(18),
        duration=timedelta(minutes=minutes),
        tz="Europe/Berlin",
        start=date(2026, 3, 1),
    )


def _change(engine: Engine, series_id: str, teacher: ResourceRef, n: int) -> str:
    """Writer 0 keeps Mondays (longer) and drops Wednesdays; writer 1 the opposite."""
    events = RecordingPublisher()
    kit = _kit(SqlAlchemyStore(engine, publisher=events, lock_timeout=LOCK_TIMEOUT), events)
    days = ("MO",) if n % 2 == 0 else ("WE",)
    items = [ScheduleItem("slot", _weekly(days, 120), [teacher])]
    return _outcome(
        lambda: kit.series.change_schedule(T, series_id, actor="ed", items=items), events
    )


@pytest.mark.parametrize("processes", WRITER_KINDS)
def test_schedule_changes_racing_on_one_series(race_engine: Engine, processes: bool) -> None:
    kit = _kit(SqlAlchemyStore(race_engine), RecordingPublisher())
    allowed = {"ok"}  # the loser of a deadlock or of the series' version runs again
    seen: Counter[str] = Counter()
    for round_ in range(ROUNDS):
        teacher = ResourceRef("teacher", f"regen{round_}")
        series, _ = kit.series.create(
            T,
            actor="tina",
            title="Chemistry",
            items=[ScheduleItem("slot", _weekly(("MO", "WE"), 90), [teacher])],
        )
        outcomes = race(
            partial(_change, race_engine, series.id, teacher),
            race_engine,
            writers=2,
            processes=processes,
        )
        results = _assert_clean(outcomes, allowed)
        seen += results
        assert results["ok"] >= 1, outcomes
        for outcome in outcomes:
            result, published = outcome.split("|")
            assert ("SessionsRegenerated" in published) == (result == "ok"), outcome
        with SqlAlchemyStore(race_engine).unit_of_work() as uow:
            days = {s.start.weekday() for s in uow.sessions.for_series(T, series.id)}
        assert len(days) == 1, (days, outcomes)  # the last change won, wholly
        _assert_consistent(race_engine)
    LOG.info("schedule changes over %d rounds: %s", ROUNDS, dict(seen))


# --------------------------------------------------------------------- series racing extras

EXTRAS = 3
"""Writers booking an extra session of the series' teacher, each on one of its first Mondays."""


def _series_or_extra(engine: Engine, teacher: ResourceRef, n: int) -> str:
    """Writer 0 creates a weekly Monday series; the others an extra on the n-th Monday."""
    events = RecordingPublisher()
    store = SqlAlchemyStore(engine, publisher=events, lock_timeout=LOCK_TIMEOUT)
    # Each extra can make one attempt of the series lose, and no more (it is stored then).
    kit = SessionKit(uow=store.unit_of_work, clock=ManualClock(NOW), attempts=EXTRAS + 1)
    if n == 0:
        item = ScheduleItem("slot", _weekly(("MO",), 60), [teacher])
        return _outcome(
            lambda: kit.series.create(T, actor="tina", title="Weekly", items=[item]), events
        )
    start = datetime(2026, 3, 2, 17, tzinfo=UTC) + timedelta(weeks=n)  # 18:00 in Berlin
    return _outcome(
        lambda: kit.sessions.create_extra(
            T,
            actor="ed",
            start=start,
            end=start + timedelta(minutes=30),
            resources=[teacher],
            lifecycle="lms",
        ),
        events,
    )


@pytest.mark.parametrize("processes", WRITER_KINDS)
def test_a_series_racing_extras_of_its_teacher_skips_what_they_took(
    race_engine: Engine, processes: bool
) -> None:
    # The series reads the teacher's busy sessions and skips the occurrences they block;
    # an extra stored after that read made the whole creation fail with SessionConflict
    # (PostgreSQL and MariaDB; SQLite serialises the writers). It now runs again, reads
    # the extra and skips its Monday.
    seen: Counter[str] = Counter()
    for round_ in range(ROUNDS):
        teacher = ResourceRef("teacher", f"weekly{round_}")
        outcomes = race(
            partial(_series_or_extra, race_engine, teacher),
            race_engine,
            writers=1 + EXTRAS,
            processes=processes,
        )
        results = _assert_clean(outcomes, {"ok", "SessionConflict"})
        seen += results
        assert outcomes[0].split("|")[0] == "ok", outcomes
        with SqlAlchemyStore(race_engine).unit_of_work() as uow:
            mondays = uow.sessions.busy_overlapping(
                T, resources=[teacher], span=TimeSpan(DAY, DAY + timedelta(weeks=EXTRAS))
            )
        extras = sum(1 for s in mondays if s.series_id is None)
        assert extras == sum(o.startswith("ok") for o in outcomes[1:]), (mondays, outcomes)
        assert len(mondays) == EXTRAS, outcomes  # one session a Monday: the series' or an extra
        _assert_consistent(race_engine)
    LOG.info("a series racing extras over %d rounds: %s", ROUNDS, dict(seen))


# --------------------------------------------------------------------- host transactions

TEACHERS = (ResourceRef("teacher", "ana"), ResourceRef("teacher", "ben"))


def _host_maker(engine: Engine) -> sessionmaker[OrmSession]:
    if engine.dialect.name in ("mysql", "mariadb"):
        # As docs/sqlalchemy.md asks of a host whose units join its session.
        engine = engine.execution_options(isolation_level="READ COMMITTED")
    return sessionmaker(engine, expire_on_commit=False)


def _in_host_transaction(
    engine: Engine, barrier: Any, steps: list[Callable[[SessionKit], object]]
) -> str:
    """Run ``steps`` in one host transaction, each a command joined to it; commit or roll back.

    The writers meet between the steps, so each holds its first lock when it asks for
    its second. SQLite holds one write lock for the whole transaction, so there the
    other writer cannot reach the meeting; it is waited for briefly.
    """
    events = RecordingPublisher()
    store = SqlAlchemyStore(engine, publisher=events, lock_timeout=LOCK_TIMEOUT)
    sqlite = engine.dialect.name == "sqlite"
    with _host_maker(engine)() as db:
        kit = _kit(lambda: store.join(db), events)

        def run() -> None:
            try:
                steps[0](kit)
                try:
                    barrier.wait(timeout=0.5 if sqlite else 30)
                except threading.BrokenBarrierError:
                    if not sqlite:
                        raise
                steps[1](kit)
                db.commit()
            except BaseException:
                db.rollback()
                raise

        return _outcome(run, events)


def _create(teacher: ResourceRef, hour: int) -> Callable[[SessionKit], object]:
    return lambda kit: kit.sessions.create_extra(
        T,
        actor="host",
        start=DAY + timedelta(hours=hour),
        end=DAY + timedelta(hours=hour, minutes=45),
        resources=[teacher],
        lifecycle="lms",
        title="Algebra",
    )


@pytest.mark.parametrize("processes", WRITER_KINDS)
def test_host_transactions_creating_for_two_teachers_in_opposite_order(
    race_engine: Engine, processes: bool
) -> None:
    allowed = {"ok", "TransientConflict", "StorageTimeout"}
    seen: Counter[str] = Counter()
    both_lost = 0
    for round_ in range(ROUNDS):
        context: Any = multiprocessing.get_context("fork") if processes else threading
        barrier = context.Barrier(2)
        base = 2 + 4 * round_

        def work(n: int, barrier: Any = barrier, base: int = base) -> str:
            first, second = TEACHERS if n == 0 else TEACHERS[::-1]
            steps = [_create(first, base + 2 * n), _create(second, base + 2 * n + 1)]
            return _in_host_transaction(race_engine, barrier, steps)

        outcomes = race(work, race_engine, writers=2, processes=processes)
        results = _assert_clean(outcomes, allowed)
        seen += results
        if results["TransientConflict"] == 2 and race_engine.dialect.name in MARIADB:
            both_lost += 1  # MariaDB's named-lock detector now and then aborts both waiters
        else:
            assert results["ok"] >= 1, outcomes
        for outcome in outcomes:
            result, published = outcome.split("|")
            assert published == ("SessionCreated,SessionCreated" if result == "ok" else "")
        span = TimeSpan(DAY + timedelta(hours=base), DAY + timedelta(hours=base + 4))
        with SqlAlchemyStore(race_engine).unit_of_work() as uow:
            stored = uow.sessions.busy_overlapping(T, resources=TEACHERS, span=span)
        assert len(stored) == 2 * results["ok"], outcomes
        _assert_consistent(race_engine)
    # No bound on both_lost: how often MariaDB aborts both waiters depends on how close
    # together they start waiting (bare GET_LOCK pairs: 1 in 200; these rounds: 1 in 30
    # to 1 in 5). Both losing is no harm: each loser's host rolls back and runs again.
    LOG.info(
        "host transactions creating over %d rounds: %s, both lost in %d",
        ROUNDS,
        dict(seen),
        both_lost,
    )


@pytest.mark.parametrize("processes", WRITER_KINDS)
def test_host_transactions_booking_two_teachers_in_opposite_order(
    race_engine: Engine, processes: bool
) -> None:
    kit = _kit(SqlAlchemyStore(race_engine), RecordingPublisher())
    allowed = {"ok", "TransientConflict", "StorageTimeout"}
    seen: Counter[str] = Counter()
    for round_ in range(ROUNDS):
        ids = [
            kit.sessions.create_extra(
                T,
                actor="tina",
                start=DAY + timedelta(hours=round_, minutes=30 * k),
                end=DAY + timedelta(hours=round_, minutes=30 * k + 20),
                resources=[teacher],
                lifecycle="lms",
                capacity=4,
                title="Algebra",
            ).id
            for k, teacher in enumerate(TEACHERS)
        ]
        context: Any = multiprocessing.get_context("fork") if processes else threading
        barrier = context.Barrier(2)

        def book(session_id: str, n: int) -> Callable[[SessionKit], object]:
            return lambda kit: kit.bookings.book(
                T, session_id, f"student:s{n}", actor="host", confirm=True
            )

        def work(n: int, barrier: Any = barrier, ids: list[str] = ids) -> str:
            order = ids if n == 0 else ids[::-1]
            return _in_host_transaction(race_engine, barrier, [book(i, n) for i in order])

        outcomes = race(work, race_engine, writers=2, processes=processes)
        results = _assert_clean(outcomes, allowed)
        seen += results
        assert results["ok"] >= 1, outcomes
        for outcome in outcomes:
            result, published = outcome.split("|")
            assert published == ("BookingConfirmed,BookingConfirmed" if result == "ok" else "")
        for session_id in ids:
            stored = scalar(
                race_engine,
                "SELECT count(*) FROM sessionkit_bookings WHERE session_id = :id",
                id=session_id,
            )
            assert stored == results["ok"], outcomes
    LOG.info("host transactions booking over %d rounds: %s", ROUNDS, dict(seen))


def test_a_bulk_completion_and_a_consume_of_one_of_its_sessions_queue(
    race_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    # fire_many wrote its sessions one by one, charging each credit (a bump of the
    # subscription's counter) before locking the next; a consume of a later one locks
    # it and then bumps the same counter: each waited for the other (PostgreSQL broke
    # it, 40P01). fire_many now locks all its sessions first. The pause after the first
    # session's charge is what made the cross certain.
    from sessionkit.services import _usage

    deadlocks: list[str] = []

    def seen(context: Any) -> None:
        error = context.original_exception
        code = getattr(error, "sqlstate", None) or (error.args[0] if error.args else None)
        if code in ("40P01", 1213):
            deadlocks.append(str(error).splitlines()[0])

    event.listen(race_engine, "handle_error", seen)
    try:
        kit = SessionKit(uow=SqlAlchemyStore(race_engine).unit_of_work, clock=ManualClock(NOW))
        kit.usage.subscribe(
            T, actor="admin", subscriber="student:ana", credits=100, per="total", starts=NOW
        )

        def lesson(n: int) -> str:
            start = NOW + timedelta(hours=n + 1)
            made = kit.sessions.create_extra(
                T,
                actor="admin",
                start=start,
                end=start + timedelta(minutes=45),
                resources=[ResourceRef("teacher", f"t{n}")],
                lifecycle="academy",
                session_id=f"s{n}",
            )
            kit.bookings.book(T, made.id, "student:ana", actor="admin", confirm=True)
            for transition in ("ready", "start"):
                kit.sessions.fire(T, made.id, transition, actor="admin")
            return made.id

        kit.sessions.fire(T, lesson(0), "complete", actor="admin")  # the counter row exists
        first, second = lesson(1), lesson(2)
        paused = threading.Event()
        real = _usage.consume_in

        def slow(tx: Any, session: Session, **given: Any) -> Any:
            done = real(tx, session, **given)
            if threading.current_thread().name == "bulk" and session.id == first:
                paused.set()
                threading.Event().wait(1.5)  # the consume below starts meanwhile
            return done

        monkeypatch.setattr(_usage, "consume_in", slow)
        outcomes: dict[str, object] = {}

        def bulk() -> None:
            outcomes["bulk"] = [
                s.status for s in kit.sessions.fire_many(T, [first, second], "complete", actor="a")
            ]

        def replay() -> None:
            assert paused.wait(10)
            outcomes["consume"] = len(kit.usage.consume(T, second, actor="replay"))

        threads = [threading.Thread(target=bulk, name="bulk"), threading.Thread(target=replay)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)
        assert outcomes == {"bulk": ["COMPLETED", "COMPLETED"], "consume": 1}
        assert deadlocks == []
        assert [e.active for e in kit.usage.entries(T, session_id=second)] == [True]
    finally:
        event.remove(race_engine, "handle_error", seen)
