"""Racing reschedule commands and ticks on SQL storage.

- 8 requests for one session at once: exactly one is pending, every other
  writer gets ``RescheduleRefused`` with rule ``"one_pending"``. The command
  locks the session's row first, so its writers queue there.
- 8 pending requests for one session stored at once through the repository,
  with no session lock: the unique key on ``pending_session_id`` alone keeps
  one, every other writer gets ``DuplicateReschedule`` (key ``"pending"``).
  The command's race above cannot tell the key is missing: its lock holds.
- 8 auto-approval ticks at once: each due request is answered once, with one
  event, and its session moved once.

Writers are 8 threads, or 8 forked processes; engines as in ``conftest.py``.
``SESSIONKIT_RACE_ROUNDS`` sets the rounds per test (default 3).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine, text

from sessionkit import SessionKit
from sessionkit.adapters.sqlalchemy import SqlAlchemyStore
from sessionkit.errors import DuplicateReschedule, RescheduleRefused
from sessionkit.model import ResourceRef
from sessionkit.model.reschedule import (
    AUTO_APPROVED,
    PENDING,
    RescheduleRequest,
    RescheduleStatusChanged,
)
from sessionkit.policies import coaching_notice
from sessionkit.ports import RESCHEDULES
from sessionkit.testing.clocks import ManualClock, RecordingPublisher
from sessionkit.testing.contract.bookings import make_booking_session
from sessionkit.testing.contract.reschedules import make_reschedule

from ._racing import WRITER_KINDS, WRITERS, race, race_keyed_insert, rounds, scalar

ROUNDS = rounds(3)
T = "acme"
NOW = datetime(2026, 3, 2, 8, tzinfo=UTC)
REASON = "I have an exam that morning"


def _kit(engine: Engine, events: RecordingPublisher | None = None) -> SessionKit:
    return SessionKit(
        uow=SqlAlchemyStore(engine, publisher=events).unit_of_work,
        clock=ManualClock(NOW),
        notice=coaching_notice(),
    )


def _open(kit: SessionKit, count: int) -> list[str]:
    """Open ``count`` lessons of different coaches four days ahead; return their ids."""
    return [
        kit.sessions.create_extra(
            T,
            actor="cleo",
            start=datetime(2026, 3, 6, 9 + n, tzinfo=UTC),
            end=datetime(2026, 3, 6, 9 + n, 45, tzinfo=UTC),
            resources=[ResourceRef("coach", f"c{n}")],
            lifecycle="lms",
            title="Maths",
        ).id
        for n in range(count)
    ]


@pytest.mark.parametrize("processes", WRITER_KINDS)
def test_racing_requests_leave_exactly_one_pending(race_engine: Engine, processes: bool) -> None:
    kit = _kit(race_engine)
    for session_id in _open(kit, ROUNDS):

        def ask(n: int, session_id: str = session_id) -> str:
            try:
                return kit.reschedules.request(
                    T, session_id, role="student", actor=f"s{n}", reason=REASON
                ).id
            except RescheduleRefused as refused:
                return f"refused: {refused.rule}"

        outcomes = race(ask, race_engine, writers=WRITERS, processes=processes)
        made = [o for o in outcomes if not o.startswith(("refused", "error"))]
        assert len(made) == 1, outcomes
        assert sorted(set(outcomes) - set(made)) == ["refused: one_pending"], outcomes
    pending = "SELECT count(*) FROM sessionkit_reschedules WHERE status = :s"
    assert scalar(race_engine, pending, s=PENDING) == ROUNDS


@pytest.mark.parametrize("processes", WRITER_KINDS)
def test_racing_inserts_without_the_session_lock_keep_one_pending(
    race_engine: Engine, processes: bool
) -> None:
    store = SqlAlchemyStore(race_engine)
    with store.unit_of_work() as uow:
        uow.sessions.add_many([make_booking_session(f"s{n}") for n in range(ROUNDS)])
        uow.commit()
    for n in range(ROUNDS):

        def make(w: int, n: int = n) -> RescheduleRequest:
            return make_reschedule(f"r{n}-w{w}", session_id=f"s{n}")

        stored = race_keyed_insert(
            race_engine,
            make,
            RESCHEDULES,
            duplicate=DuplicateReschedule,
            key="pending",
            processes=processes,
        )
        pending = "SELECT id FROM sessionkit_reschedules WHERE session_id = :s AND status = :p"
        with race_engine.connect() as connection:
            rows = connection.execute(text(pending), {"s": f"s{n}", "p": PENDING}).scalars()
            assert list(rows) == [stored]


@pytest.mark.parametrize("processes", WRITER_KINDS)
def test_racing_ticks_auto_approve_each_request_once(race_engine: Engine, processes: bool) -> None:
    kit = _kit(race_engine)
    sessions = _open(kit, ROUNDS)
    requests = [
        kit.reschedules.request(
            T,
            session_id,
            role="student",
            actor="ana",
            reason=REASON,
            proposed_start=datetime(2026, 3, 7, 9 + n, tzinfo=UTC),
        )
        for n, session_id in enumerate(sessions)
    ]
    due = max(r.deadline for r in requests)
    events = RecordingPublisher()
    ticking = _kit(race_engine, events)

    def tick(_n: int) -> str:
        report = ticking.reschedules.approve_due(now=due)
        assert not report.failed, report.failed
        return ",".join(sorted(r.id for r in report.approved))

    outcomes = race(tick, race_engine, writers=WRITERS, processes=processes)
    assert not [o for o in outcomes if o.startswith("error")], outcomes
    answered = [i for o in outcomes if o for i in o.split(",")]
    assert sorted(answered) == sorted(r.id for r in requests), outcomes
    if not processes:  # a forked writer's events stay in its own process
        approvals = [
            e
            for e in events.events
            if isinstance(e, RescheduleStatusChanged) and e.change.transition == "auto_approve"
        ]
        assert len(approvals) == ROUNDS
    for n, request in enumerate(requests):
        stored = kit.reschedules.options(T, request.session_id, role="host").pending
        assert stored is None
        assert kit.queries.get(T, request.session_id).start == datetime(
            2026, 3, 7, 9 + n, tzinfo=UTC
        )
    with race_engine.connect() as connection:
        statuses = connection.execute(
            text("SELECT DISTINCT status FROM sessionkit_reschedules")
        ).scalars()
        assert list(statuses) == [AUTO_APPROVED]
    assert timedelta(0) <= due - NOW
