"""Four workers ticking at once on SQL storage: every due item is done exactly once.

The due work spans several tenants and every kind the tick does: series to
top up, reschedule requests past their deadline, sessions whose READY timer
fell due, and holds that ran out. Four workers (threads, or forked processes)
tick at the same instant; afterwards each item was changed once (its row's version
went up by exactly one, and the workers' counts add up to the items), none
is left due (one more tick is idle), and no worker reported a failure.
PostgreSQL and MariaDB split the work with ``FOR UPDATE SKIP LOCKED``; SQLite
runs the workers' batches one at a time (``BEGIN IMMEDIATE``).
"""

from __future__ import annotations

import json
import threading
from datetime import UTC, date, datetime, time, timedelta

import pytest
from sqlalchemy import Engine, text

from sessionkit import SessionKit
from sessionkit.adapters.sqlalchemy import SqlAlchemyStore
from sessionkit.model import ResourceRef, ScheduleItem, WindowPolicy
from sessionkit.model.booking import EXPIRED
from sessionkit.model.reschedule import AUTO_APPROVED
from sessionkit.policies import coaching_notice
from sessionkit.recurrence import Recurrence
from sessionkit.services import TickReport
from sessionkit.services.attendance import attendance_facts
from sessionkit.testing.clocks import ManualClock

from ._racing import WRITER_KINDS, race

WORKERS = 4
TENANTS = ("acme", "globex", "initech")
NOW = datetime(2026, 3, 2, 8, tzinfo=UTC)
TIMED = 8
"""Sessions per tenant whose READY timer is due at the tick."""
HELD = 3
"""Slots per tenant with two run-out holds each."""


def _kit(engine: Engine, clock: ManualClock) -> SessionKit:
    return SessionKit(
        uow=SqlAlchemyStore(engine).unit_of_work,
        clock=clock,
        notice=coaching_notice(),
        facts=attendance_facts(),  # the academy's ABSENT timer asks who attended
    )


def _seed(engine: Engine) -> datetime:
    """Store each tenant's due work; return the instant at which all of it is due."""
    clock = ManualClock(NOW)
    kit = _kit(engine, clock)
    deadlines = []
    for tenant in TENANTS:
        kit.series.create(
            tenant,
            actor="admin",
            title="Weekly",
            items=[
                ScheduleItem(
                    "mon",
                    Recurrence.weekly(
                        days=("MO",),
                        at=time(17),
                        duration=timedelta(hours=1),
                        tz="UTC",
                        start=date(2026, 3, 2),
                    ),
                    (ResourceRef("room", "r1"),),
                )
            ],
            # Generated 5 weeks ahead: a few days later less than the buffer is left.
            window=WindowPolicy(initial_months=1, buffer=timedelta(weeks=5)),
        )
        for n in range(HELD):
            slot = kit.sessions.create_extra(
                tenant,
                actor="tina",
                start=datetime(2026, 3, 20, 9 + n, tzinfo=UTC),
                end=datetime(2026, 3, 20, 9 + n, 30, tzinfo=UTC),
                lifecycle="lms",
                capacity=2,
            )
            for who in ("ana", "ben"):
                kit.bookings.book(
                    tenant, slot.id, f"student:{who}", actor=None, hold_for=timedelta(minutes=30)
                )
        lesson = kit.sessions.create_extra(
            tenant,
            actor="cleo",
            start=datetime(2026, 3, 6, 9, tzinfo=UTC),
            end=datetime(2026, 3, 6, 9, 45, tzinfo=UTC),
            resources=[ResourceRef("coach", "c1")],
            lifecycle="lms",
        )
        request = kit.reschedules.request(
            tenant,
            lesson.id,
            role="student",
            actor="ana",
            reason="an exam that morning",
            proposed_start=datetime(2026, 3, 7, 9, tzinfo=UTC),
        )
        deadlines.append(request.deadline)
    at = max(deadlines) + timedelta(minutes=1)
    for tenant in TENANTS:
        for n in range(TIMED):
            start = at + timedelta(minutes=n)  # READY from 15 minutes before the start
            kit.sessions.create_extra(
                tenant,
                actor="u",
                start=start,
                end=start + timedelta(minutes=30),
                lifecycle="academy",
            )
    return at


def _counts(report: TickReport) -> str:
    assert not report.failed, report.failed
    return json.dumps(
        {
            "topped_up": report.topped_up,
            "approved": report.approved,
            "advanced": report.advanced,
            "expired": report.expired,
        }
    )


def _rows(engine: Engine, sql: str) -> list[tuple[object, ...]]:
    with engine.connect() as connection:
        return [tuple(row) for row in connection.execute(text(sql))]


@pytest.mark.parametrize("processes", WRITER_KINDS)
def test_workers_ticking_at_once_do_every_item_exactly_once(
    race_engine: Engine, processes: bool
) -> None:
    at = _seed(race_engine)
    kit = _kit(race_engine, ManualClock(at))
    # Small batches, so that the workers meet on many units of work.
    outcomes = race(
        lambda _n: _counts(kit.tick(now=at, batch=4)),
        race_engine,
        writers=WORKERS,
        processes=processes,
    )
    assert not [o for o in outcomes if o.startswith("error")], outcomes
    totals = {key: sum(json.loads(o)[key] for o in outcomes) for key in json.loads(outcomes[0])}
    tenants = len(TENANTS)
    assert totals == {
        "topped_up": tenants,
        "approved": tenants,
        "advanced": tenants * TIMED,
        "expired": tenants * HELD * 2,
    }, outcomes
    # Each item's row changed exactly once: one version step, the new status.
    assert set(
        _rows(
            race_engine,
            "SELECT status, version FROM sessionkit_sessions WHERE lifecycle = 'academy'",
        )
    ) == {("READY", 2)}
    assert set(_rows(race_engine, "SELECT status, version FROM sessionkit_bookings")) == {
        (EXPIRED, 2)
    }
    assert set(_rows(race_engine, "SELECT status, version FROM sessionkit_reschedules")) == {
        (AUTO_APPROVED, 2)
    }
    assert _rows(race_engine, "SELECT DISTINCT version FROM sessionkit_series") == [(2,)]
    # Nothing was skipped: one more tick finds nothing due.
    assert kit.tick(now=at).idle


def test_claim_skips_rows_another_unit_holds(race_engine: Engine) -> None:
    """PostgreSQL and MariaDB skip a held row; SQLite's second writer waits for the commit."""
    store = SqlAlchemyStore(race_engine)
    kit = _kit(race_engine, ManualClock(NOW))
    ids = [
        kit.sessions.create_extra(
            "acme",
            actor="u",
            start=NOW + timedelta(hours=n + 1),
            end=NOW + timedelta(hours=n + 2),
            lifecycle="lms",
        ).id
        for n in range(2)
    ]
    first, second = sorted(ids)
    claimed: list[str] = []
    with store.unit_of_work() as holder:
        assert [s.id for s in holder.sessions.claim("acme", [first])] == [first]
        if race_engine.dialect.name != "sqlite":
            with store.unit_of_work() as other:
                claimed = [s.id for s in other.sessions.claim("acme", [first, second])]
            assert claimed == [second]
            return

        def wait() -> None:
            with store.unit_of_work() as other:
                claimed.extend(s.id for s in other.sessions.claim("acme", [first, second]))

        waiter = threading.Thread(target=wait)
        waiter.start()
        waiter.join(timeout=0.5)
        assert waiter.is_alive()  # BEGIN IMMEDIATE: queued behind the holder
        holder.commit()
    waiter.join(timeout=30)
    assert claimed == [first, second]
