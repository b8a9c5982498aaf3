"""Attendance and usage figures: the edge cases, on the in-memory store and as plain values."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import attrs
import pytest
from sqlalchemy import create_engine
from sqlalchemy.engine import Engine
from sqlalchemy.pool import StaticPool

from sessionkit.adapters.memory import InMemoryStore
from sessionkit.adapters.sqlalchemy import SqlAlchemyStore, create_schema
from sessionkit.adapters.sqlalchemy.testing import mysql_database, postgres_schema
from sessionkit.errors import InvalidValue, WrongType
from sessionkit.lifecycle import ANY, Lifecycle, Status, Transition
from sessionkit.lifecycles import PRESETS
from sessionkit.model.analytics_use import (
    AttendanceRow,
    AttendanceStats,
    AttendanceTotal,
    SubscriptionUse,
    UsageRow,
)
from sessionkit.model.attendance import (
    ABSENT,
    JOIN,
    LATE,
    LEAVE,
    LEFT_EARLY,
    PARTIAL,
    PENDING,
    PRESENT,
    AttendanceThresholds,
    PresenceEvent,
)
from sessionkit.model.query import SessionQuery
from sessionkit.model.session import ResourceRef, Session
from sessionkit.model.usage import Subscription
from sessionkit.ports import UnitOfWorkFactory
from sessionkit.services import SessionKit
from sessionkit.services._analytics_use import begun, effective
from sessionkit.services.attendance import AttendancePolicy
from sessionkit.testing.clocks import ManualClock

T = "acme"
START = datetime(2026, 3, 2, 17, tzinfo=UTC)
MIN = timedelta(minutes=1)


def _kit(policy: AttendancePolicy | None = None) -> SessionKit:
    return SessionKit(
        uow=InMemoryStore().unit_of_work,
        clock=ManualClock(START - timedelta(days=1)),
        attendance=policy,
    )


def _lesson(kit: SessionKit, *students: str, capacity: int = 4) -> Session:
    lesson = kit.sessions.create_extra(
        T,
        actor="t",
        start=START,
        end=START + timedelta(hours=1),
        lifecycle="academy",
        resources=[ResourceRef("teacher", "ahmed")],
        capacity=capacity,
    )
    for who in students:
        kit.bookings.book(T, lesson.id, who, actor="admin", confirm=True)
    return lesson


def _moves(kit: SessionKit, lesson: Session, who: str, *moves: tuple[str, int]) -> None:
    events = [
        PresenceEvent(
            provider="meet",
            event_id=f"{who}-{n}",
            session_id=lesson.id,
            participant=who,
            action=action,
            at=lesson.start + minutes * MIN,
        )
        for n, (action, minutes) in enumerate(moves)
    ]
    kit.attendance.record_presence(T, events, now=lesson.start)


def test_the_teachers_override_wins_over_presence_both_ways() -> None:
    """Told absent though present (no minutes), told present though never there."""
    kit = _kit()
    lesson = _lesson(kit, "student:ana", "student:ben")
    _moves(kit, lesson, "student:ana", (JOIN, 0), (LEAVE, 60))
    kit.attendance.override(T, lesson.id, "student:ana", status=ABSENT, actor="t")
    kit.attendance.override(
        T, lesson.id, "student:ben", status=PRESENT, minutes=45, actor="t", now=lesson.end
    )
    stats = kit.analytics.attendance(T, by="participant")
    assert stats.get("student:ana").by_status()[ABSENT] == 1
    assert stats.get("student:ben").by_status()[PRESENT] == 1
    # The same as kit.attendance shows, minutes included: the room's 60 for ana are not hers
    # once the teacher says she was not there (they were kept: a no-show with 60 minutes).
    shown = {str(a.participant): a for a in kit.attendance.for_session(T, lesson.id)}
    assert [stats.get(who).minutes for who in ("student:ana", "student:ben")] == [
        shown["student:ana"].effective_minutes,
        shown["student:ben"].effective_minutes,
    ]
    assert (stats.get("student:ana").minutes, stats.get("student:ben").minutes) == (0, 45)
    assert shown["student:ana"].minutes == 60  # the automatic record keeps what the room saw
    told = kit.attendance.override(
        T, lesson.id, "student:ana", status=ABSENT, minutes=5, actor="t", now=lesson.end
    )
    assert (told.effective_status, told.effective_minutes) == (ABSENT, 5)  # the teacher's own
    assert kit.analytics.attendance(T, by="participant").get("student:ana").minutes == 5
    # Grouped by participant, no key is every record together: the whole scope's figure.
    now_grouped = kit.analytics.attendance(T, by="participant").get()
    assert now_grouped == kit.analytics.attendance(T).get()
    assert (now_grouped.records, now_grouped.minutes) == (2, 50)
    assert kit.analytics.attendance(T).get().overridden == 2


VISITS: dict[str, tuple[tuple[str, int], ...]] = {
    # A microphone test before the start, then 20 minutes late: late, not punctual.
    "student:ana": ((JOIN, -14), (LEAVE, -12), (JOIN, 20), (LEAVE, 60)),
    # Left at 40, back for a question after the end: left early, not present.
    "student:ben": ((JOIN, 0), (LEAVE, 40), (JOIN, 65), (LEAVE, 68)),
    "student:cy": ((JOIN, -5),),  # in from before the start, never left
    "student:dee": ((JOIN, 70), (LEAVE, 75)),  # only after the end
    "student:eve": ((JOIN, -30), (LEAVE, -20)),  # only before the start
    "student:fay": ((JOIN, -5), (LEAVE, 30), (JOIN, 31)),  # out for a minute
    # On a phone from 10 to 30 and a laptop from 12 to 50: in from 10 to 50, counted once
    # (the phone's leave ended the stay and the laptop's join and leave were ignored: 20).
    "student:gus": ((JOIN, 10), (JOIN, 12), (LEAVE, 30), (LEAVE, 50)),
    # A join that failed at once (join and leave in one second) is no stay: it counted
    # as in for the rest of the session, the leave sorted first and ignored.
    "student:hal": ((JOIN, 5), (LEAVE, 5)),
    "student:ivy": ((JOIN, 0), (LEAVE, 20), (JOIN, 40), (LEAVE, 40)),
    "student:jon": ((JOIN, 0), (LEAVE, 30), (JOIN, 30)),  # a reconnect: one stay
}


@pytest.mark.parametrize("store", ["memory", "sqlite", "postgres", "mysql"])
def test_visits_outside_the_session_change_neither_figure(store: str) -> None:
    # The figures took the first join and the last leave of every stay, so a visit
    # before the start or after the end hid a late arrival or an early leave.
    with contextlib.ExitStack() as stack:
        uow: UnitOfWorkFactory = InMemoryStore().unit_of_work
        if store != "memory":
            uow = SqlAlchemyStore(stack.enter_context(_engine(store))).unit_of_work
        _check_visits(uow)


@contextlib.contextmanager
def _engine(store: str) -> Iterator[Engine]:
    """A fresh SQLite database, or a schema / database of its own on a server."""
    if store == "sqlite":
        engine = create_engine("sqlite://", poolclass=StaticPool)
        create_schema(engine)
        yield engine
        return
    url = os.environ.get(f"SESSIONKIT_TEST_{store.upper()}_URL")
    if not url:
        pytest.skip(f"set SESSIONKIT_TEST_{store.upper()}_URL to run the figures on {store}")
    with (postgres_schema if store == "postgres" else mysql_database)(url) as engine:
        yield engine


def _check_visits(uow: UnitOfWorkFactory) -> None:
    clock = ManualClock(START - timedelta(days=1))
    kit = SessionKit(uow=uow, clock=clock, attendance=AttendancePolicy(join_transition=None))
    lesson = _lesson(kit, *VISITS, capacity=len(VISITS))
    for who, moves in VISITS.items():
        _moves(kit, lesson, who, *moves)
    # Not booked, only a failed join: the SQL figures dropped the record (its every event
    # fell on an instant left out of the walk), kit.attendance listed it absent.
    _moves(kit, lesson, "student:zed", (JOIN, 7), (LEAVE, 7))
    clock.set(START + timedelta(hours=2))  # read once the lesson is over
    shown = {
        str(a.participant): (a.effective_status, a.effective_minutes)
        for a in kit.attendance.for_session(T, lesson.id)
    }
    assert shown == {
        "student:ana": (LATE, 40),
        "student:ben": (LEFT_EARLY, 40),
        "student:cy": (PRESENT, 60),
        "student:dee": (ABSENT, 0),
        "student:eve": (ABSENT, 0),
        "student:fay": (PRESENT, 59),
        "student:gus": (LATE, 40),
        "student:hal": (ABSENT, 0),
        "student:ivy": (PARTIAL, 20),
        "student:jon": (PRESENT, 60),
        "student:zed": (ABSENT, 0),
    }
    stats = kit.analytics.attendance(T, by="participant")
    figures = {}
    for who in [*VISITS, "student:zed"]:
        row = stats.get(who)
        [(status, count)] = [(k, v) for k, v in row.by_status().items() if v]
        figures[who] = (status, row.minutes)
        assert count == 1
    assert figures == shown
    # Read while the lesson runs, those not there yet are pending in both.
    clock.set(START + timedelta(minutes=30))
    during = {
        str(a.participant): a.effective_status for a in kit.attendance.for_session(T, lesson.id)
    }
    missing = {"student:dee", "student:eve", "student:hal", "student:zed"}
    assert during == {who: PENDING if who in missing else s for who, (s, _) in shown.items()}
    stats = kit.analytics.attendance(T, by="participant")
    assert {who: stats.get(who).pending for who in during} == {w: w in missing for w in during}


def test_booked_and_never_there_is_absent_and_a_cancelled_booking_is_nobody() -> None:
    """A confirmed booking without presence is an absent record; a cancelled one is none."""
    clock = ManualClock(START - timedelta(days=1))
    kit = SessionKit(uow=InMemoryStore().unit_of_work, clock=clock)
    lesson = _lesson(kit, "student:ana", "student:ben")
    [ben] = [
        b for b in kit.bookings.for_session(T, lesson.id) if str(b.participant) == "student:ben"
    ]
    kit.bookings.cancel(T, ben.id, actor="admin")
    row = kit.analytics.attendance(T).get()
    # Before the lesson, ana may still come: pending, not (yet) absent.
    assert (row.records, row.absent, row.pending, row.minutes) == (1, 0, 1, 0)
    clock.set(START + timedelta(hours=2))
    row = kit.analytics.attendance(T).get()
    assert (row.records, row.absent, row.pending, row.minutes) == (1, 1, 0, 0)
    assert (row.held, row.no_show_rate) == (0, None)  # SCHEDULED: not held yet


# A clinic's MISSED is not over: the front desk calls and the patient may still come. It is
# terminal in the coaching preset, and the figures read a status as over if any lifecycle
# had it terminal, so they counted the patient absent where kit.attendance said pending.
CLINIC = Lifecycle(
    name="clinic",
    statuses=[
        Status("SCHEDULED", initial=True, editable=True, busy=True),
        Status("MISSED", busy=True),
        Status("SEEN", terminal=True, busy=True),
        Status("CANCELLED", terminal=True, cancelled=True),
    ],
    transitions=[
        Transition("miss", "SCHEDULED", "MISSED"),
        Transition("see", ANY, "SEEN"),
        Transition("cancel", ANY, "CANCELLED"),
    ],
)


@pytest.mark.parametrize("store", ["memory", "sqlite", "postgres", "mysql"])
def test_a_status_over_in_another_lifecycle_keeps_its_own_pending(store: str) -> None:
    with contextlib.ExitStack() as stack:
        uow: UnitOfWorkFactory = InMemoryStore().unit_of_work
        if store != "memory":
            uow = SqlAlchemyStore(stack.enter_context(_engine(store))).unit_of_work
        clock = ManualClock(START - timedelta(days=1))
        kit = SessionKit(uow=uow, clock=clock, lifecycles=PRESETS.with_lifecycle(CLINIC))
        visit = kit.sessions.create_extra(
            T, actor="t", start=START, end=START + timedelta(hours=1), lifecycle="clinic",
            resources=["doctor:dre"], capacity=1,
        )  # fmt: skip
        kit.bookings.book(T, visit.id, "student:ana", actor="admin", confirm=True)
        clock.set(START + 20 * MIN)
        kit.sessions.fire(T, visit.id, "miss", actor="desk")
        [ana] = kit.attendance.for_session(T, visit.id)
        row = kit.analytics.attendance(T).get()
        assert (ana.status, row.pending, row.absent) == (PENDING, 1, 0)
        clock.set(START + 2 * timedelta(hours=1))  # over by the clock: absent in both
        [ana] = kit.attendance.for_session(T, visit.id)
        row = kit.analytics.attendance(T).get()
        assert (ana.status, row.pending, row.absent) == (ABSENT, 0, 1)


def test_the_kits_thresholds_are_the_ones_applied() -> None:
    """A kit whose lessons allow 15 minutes' lateness counts a join at 10 as present."""
    strict, lenient = (
        _kit(),
        _kit(AttendancePolicy(thresholds=AttendanceThresholds(late_after=15 * MIN))),
    )
    for kit in (strict, lenient):
        lesson = _lesson(kit, "student:ana")
        _moves(kit, lesson, "student:ana", (JOIN, 10), (LEAVE, 60))
    assert strict.analytics.attendance(T).get().by_status()[LATE] == 1
    assert lenient.analytics.attendance(T).get().by_status()[PRESENT] == 1


def test_an_empty_scope_has_no_rows_and_undefined_rates() -> None:
    kit = _kit()
    _lesson(kit, "student:ana")
    empty = kit.analytics.attendance(T, scope=SessionQuery(statuses=["COMPLETED"]))
    assert empty.rows == ()
    assert empty.minutes == 0
    assert empty.get("student:ana").no_show_rate is None
    assert kit.analytics.usage(T).rows == ()


def _total(**changes: object) -> AttendanceTotal:
    values: dict[str, object] = {
        "key": None,
        "session_id": "s1",
        "participant": "student:ana",
        "session_status": "COMPLETED",
        "start": START,
        "end": START + timedelta(hours=1),
        "first_join": START,
        "last_leave": START + timedelta(minutes=59, seconds=59),
        "attended": timedelta(minutes=59, seconds=59),
    }
    return AttendanceTotal(**(values | changes))  # type: ignore[arg-type]


def test_effective_status_and_minutes_from_totals() -> None:
    """Minutes are whole minutes, floored; no join is absent; the override's minutes win.

    A teacher's absent with no minutes counts none; another status with none keeps the
    measured ones.
    """
    rules = AttendanceThresholds()
    assert effective(_total(), rules) == (PRESENT, 59)
    assert effective(_total(first_join=None, last_leave=None, attended=timedelta()), rules) == (
        ABSENT,
        0,
    )
    still_in = _total(first_join=START + 8 * MIN, last_leave=None, attended=52 * MIN)
    assert effective(still_in, rules) == (LATE, 52)
    told = _total(override_status=ABSENT, override_minutes=None)
    assert effective(told, rules) == (ABSENT, 0)
    assert effective(_total(override_status=LATE, override_minutes=None), rules) == (LATE, 59)
    assert effective(_total(override_status=LATE, override_minutes=12), rules) == (LATE, 12)


def _plan(per: str = "month", **changes: object) -> Subscription:
    values: dict[str, object] = {
        "id": "sub",
        "tenant": T,
        "subscriber": "student:ana",
        "credits": 4,
        "per": per,
        "starts": datetime(2025, 11, 15, tzinfo=UTC),
        "created_at": datetime(2025, 11, 15, tzinfo=UTC),
    }
    return Subscription(**(values | changes))  # type: ignore[arg-type]


def test_periods_begun_cross_a_year_and_stop_at_the_end() -> None:
    now = datetime(2026, 2, 10, tzinfo=UTC)
    assert begun(_plan(), now) == ["2025-11", "2025-12", "2026-01", "2026-02"]
    # Ends exactly at a month's start (exclusive): that month never begins.
    ended = _plan(ends=datetime(2026, 1, 1, tzinfo=UTC))
    assert begun(ended, now) == ["2025-11", "2025-12"]
    assert begun(_plan(), datetime(2025, 11, 1, tzinfo=UTC)) == []
    assert begun(_plan("total"), now) == ["total"]
    assert begun(_plan("total"), datetime(2025, 1, 1, tzinfo=UTC)) == []


def test_periods_are_months_on_the_subscriptions_wall_clock() -> None:
    """Riyadh's March starts at 21:00 UTC on 28 February: so does the first period."""
    riyadh = _plan(tz="Asia/Riyadh", starts=datetime(2026, 2, 28, 21, tzinfo=UTC))
    assert begun(riyadh, datetime(2026, 3, 31, 21, 30, tzinfo=UTC)) == ["2026-03", "2026-04"]
    assert begun(riyadh, datetime(2026, 2, 28, 21, tzinfo=UTC)) == ["2026-03"]


def test_the_values_have_fixed_columns_and_a_notebook_table() -> None:
    row = AttendanceRow(
        key="student:<b>",
        records=4,
        present=1,
        late=1,
        left_early=0,
        partial=1,
        absent=1,
        minutes=100,
        overridden=1,
        held=2,
        held_absent=1,
    )
    stats = AttendanceStats(tenant=T, by="participant", rows=(row,))
    [record] = stats.to_records()
    assert list(record) == list(AttendanceStats.COLUMNS)
    assert (record["no_show_rate"], row.attended) == (0.5, 3)
    assert "student:&lt;b&gt;" in stats._repr_html_()
    use = SubscriptionUse(
        tenant=T,
        by="period",
        now=START,
        rows=(
            UsageRow(
                subscriber="student:ana",
                subscription_id="sub",
                period="2026-03",
                periods=1,
                granted=4,
                used=5,
                reversed=1,
            ),
        ),
    )
    assert list(use.to_records()[0]) == list(SubscriptionUse.COLUMNS)
    assert use.rows[0].remaining == -1  # past its credits (on_limit="allow")
    assert use.get("sub", period="2026-04") is None
    assert use.get(subscriber="student:ana") is use.rows[0]
    assert use.total("reversed") == 1
    assert (use.total("remaining"), use.total("periods")) == (-1, 1)
    assert use.get(subscriber=ResourceRef("student", "ana")) is use.rows[0]
    assert stats.get(ResourceRef("student", "<b>")) is row
    assert "2026-03" in use._repr_html_()
    # A name that is no figure is refused, with rows or without (was AttributeError,
    # ValueError, TypeError, or a silent 0 on an empty result).
    empty = attrs.evolve(use, rows=())
    for bad in ("credits", "subscriber", "period", None):
        for result in (use, empty):
            with pytest.raises(InvalidValue) as refused:
                result.total(bad)  # type: ignore[arg-type]  # None on purpose
            assert refused.value.value == bad
    with pytest.raises(WrongType):
        stats.get(5)  # type: ignore[arg-type]  # not a key


@pytest.mark.parametrize("by", ["subscription", "period", "participant"])
def test_usage_follows_the_ledger_through_a_correction(by: str) -> None:
    """A completed lesson uses a credit; corrected to cancelled it is returned, not used."""
    kit = _kit()
    plan = kit.usage.subscribe(
        T, actor="admin", subscriber="student:ana", credits=4, starts=START - timedelta(days=1)
    )
    lesson = _lesson(kit, "student:ana")
    for transition in ("ready", "start", "complete"):
        kit.sessions.fire(T, lesson.id, transition, actor="t")
    used = kit.analytics.usage(T, by=by, now=START)  # type: ignore[arg-type]
    assert [(r.granted, r.used, r.reversed, r.remaining) for r in used.rows] == [(4, 1, 0, 3)]
    # The ledger's count agrees with the counter kit.usage.balance reads.
    assert used.rows[0].remaining == kit.usage.balance(T, plan.id, at=START).remaining
    kit.usage.correct(T, lesson.id, "CANCELLED", actor="admin")
    back = kit.analytics.usage(T, by=by, now=START)  # type: ignore[arg-type]
    assert [(r.used, r.reversed, r.remaining) for r in back.rows] == [(0, 1, 4)]


def test_usage_by_names_only_what_it_accepts() -> None:
    # The message offered "(or None)", which usage() then refused.
    kit = _kit()
    with pytest.raises(InvalidValue) as bad:
        kit.analytics.usage(T, by="teacher")  # type: ignore[arg-type]
    assert "(or None)" not in str(bad.value)
    with pytest.raises(WrongType) as wrong:
        kit.analytics.usage(T, by=3)  # type: ignore[arg-type]
    assert not wrong.value.expected.startswith("None")
    with pytest.raises(InvalidValue, match="cannot group usage by None"):
        kit.analytics.usage(T, by=None)  # type: ignore[arg-type]
