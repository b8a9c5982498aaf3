"""One command, one unit of work, one instant: events, link checkers and stamps (issue 9 §4)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta

import pytest

from sessionkit.errors import MissingFact, SessionLocked
from sessionkit.lifecycle import PRESETS, Lifecycle, Status, Timer, Transition
from sessionkit.model.events import SessionCanceled, SessionStatusChanged
from sessionkit.model.query import SessionQuery
from sessionkit.model.session import Session
from sessionkit.ports import UnitOfWork
from sessionkit.services import SessionKit
from sessionkit.testing.harness import Harness

NOW = datetime(2026, 3, 2, 8, tzinfo=UTC)
TENANT = "acme"


def _extra(h: Harness, hours: float = 24, lifecycle: str = "lms") -> Session:
    start = NOW + timedelta(hours=hours)
    return h.kit.sessions.create_extra(
        TENANT,
        actor="admin",
        start=start,
        end=start + timedelta(hours=1),
        lifecycle=lifecycle,
        resources=["teacher:ana"],
    )


@pytest.mark.parametrize("how", ["cancel", "fire"])
def test_every_cancellation_publishes_the_same_event(how: str) -> None:
    h = Harness.in_memory(NOW)
    session = _extra(h)
    h.events.events.clear()
    if how == "cancel":
        h.kit.sessions.cancel(TENANT, session.id, actor="admin", reason="ill")
    else:
        h.kit.sessions.fire(TENANT, session.id, "cancel", actor="admin", reason="ill")
    (event,) = h.events.events
    assert type(event) is SessionCanceled
    assert isinstance(event, SessionStatusChanged)
    assert (event.reason, event.change.to_status, event.session.status) == (
        "ill",
        "CANCELED",
        "CANCELED",
    )


def test_a_non_cancelling_transition_publishes_a_status_change() -> None:
    h = Harness.in_memory(NOW)
    session = _extra(h)
    h.events.events.clear()
    h.kit.sessions.fire(TENANT, session.id, "start", actor="t")
    (event,) = h.events.events
    assert type(event) is SessionStatusChanged


class ReadingLinks:
    """A link checker that reads through the unit of work it is handed."""

    def __init__(self) -> None:
        self.seen: list[int] = []

    def blocking_links(self, sessions: Sequence[Session], uow: UnitOfWork) -> Mapping[str, str]:
        page = uow.sessions.query(TENANT, SessionQuery())
        self.seen.append(page.total)
        return {s.id: "read it" for s in sessions if page.total > 1}


def test_a_link_checker_reads_through_the_commands_unit_of_work() -> None:
    h = Harness.in_memory(NOW)
    links = ReadingLinks()
    h.kit = SessionKit(uow=h.store.unit_of_work, clock=h.clock, links=links)
    first = _extra(h)
    _extra(h, hours=48)
    with pytest.raises(SessionLocked) as info:
        h.kit.sessions.delete(TENANT, first.id, actor="admin")
    assert info.value.reason == "it has dependents (read it)"
    assert links.seen == [2]


LAPSING = Lifecycle(
    "lapsing",
    statuses=[Status("HELD", initial=True, busy=True), Status("EXPIRED", terminal=True)],
    transitions=[Transition("expire", "HELD", "EXPIRED", timer=Timer.after_start())],
)


def test_advance_stamps_the_instant_it_was_given_not_the_clock() -> None:
    h = Harness.in_memory(NOW)
    h.kit = SessionKit(
        uow=h.store.unit_of_work, clock=h.clock, lifecycles=PRESETS.with_lifecycle(LAPSING)
    )
    session = _extra(h, hours=1, lifecycle="lapsing")  # HELD expires at its start
    later = NOW + timedelta(hours=2)
    stored = h.kit.sessions.advance(TENANT, session.id, actor="cron", now=later)
    assert stored.status == "EXPIRED"
    assert stored.updated_at == later
    assert h.events.events[-1].at == session.start  # when the timer fell due


def test_top_up_creates_sessions_stamped_with_the_given_instant() -> None:
    from datetime import date, time

    from sessionkit.model.series import ScheduleItem, WindowPolicy
    from sessionkit.recurrence import Recurrence

    h = Harness.in_memory(NOW)
    weekly = Recurrence.weekly(
        days=("MO",), at=time(9), duration=timedelta(hours=1), tz="UTC", start=date(2026, 3, 1)
    )
    series, _ = h.kit.series.create(
        TENANT,
        actor="admin",
        title="Chem",
        items=[ScheduleItem("w", weekly, ("teacher:ana",))],
        window=WindowPolicy(initial_months=1, buffer=timedelta(weeks=2)),
    )
    later = NOW + timedelta(weeks=3)
    report = h.kit.top_up(TENANT, actor="cron", now=later)
    (refill,) = report.refilled
    assert refill.created
    assert {s.created_at for s in refill.created} == {later}
    assert h.kit.queries.get_series(TENANT, series.id).generated_until is not None


class Attendance:
    """The host's attendance, as a FactProvider: session id -> attended."""

    def __init__(self) -> None:
        self.attended: dict[str, bool] = {}

    def facts_for(
        self, sessions: Sequence[Session], uow: UnitOfWork
    ) -> Mapping[str, Mapping[str, object]]:
        return {s.id: {"attended": self.attended[s.id]} for s in sessions if s.id in self.attended}


def test_coaching_misses_only_sessions_nobody_attended() -> None:
    h = Harness.in_memory(NOW)
    attendance = Attendance()
    h.kit = SessionKit(uow=h.store.unit_of_work, clock=h.clock, facts=attendance)
    came = _extra(h, hours=1, lifecycle="coaching")
    absent = _extra(h, hours=3, lifecycle="coaching")
    unknown = _extra(h, hours=5, lifecycle="coaching")
    attendance.attended.update({came.id: True, absent.id: False})
    report = h.kit.advance_due(TENANT, actor="cron", now=NOW + timedelta(hours=12))
    assert [s.id for s in report.advanced] == [absent.id]
    assert report.advanced[0].status == "MISSED"
    (failure,) = report.failed
    assert failure.session_id == unknown.id
    assert isinstance(failure.error, MissingFact)
    assert failure.error.fact == "attended"
    h.clock.set(NOW + timedelta(hours=12))
    done = h.kit.sessions.fire(TENANT, came.id, "complete", actor="coach", role="coach")
    assert done.status == "COMPLETED"


def test_a_timer_not_due_yet_needs_no_fact_to_tick_or_advance() -> None:
    # Asked when the next step falls due, each READY academy session's mark_absent
    # condition wanted the "attended" fact 15 minutes before its timer: every tick in
    # between reported a MissingFact failure for it.
    h = Harness.in_memory(NOW)
    lesson = _extra(h, hours=1, lifecycle="academy")
    start = lesson.start
    ready = h.kit.tick(TENANT, now=start - timedelta(minutes=5))
    assert ready.failed == ()
    assert h.kit.queries.get(TENANT, lesson.id).status == "READY"
    again = h.kit.tick(TENANT, now=start - timedelta(minutes=5))
    assert (again.failed, again.idle) == ((), True)
    assert h.kit.advance_due(TENANT, actor="cron", now=start).failed == ()
    # Once mark_absent is due, the missing fact is a failure, as before.
    late = h.kit.advance_due(TENANT, actor="cron", now=start + timedelta(hours=2))
    assert {type(f.error) for f in late.failed} == {MissingFact}


def test_the_host_is_asked_for_facts_only_of_sessions_whose_way_forward_reads_them() -> None:
    h = Harness.in_memory(NOW)
    attendance = Attendance()
    asked: list[list[str]] = []

    class Counting(Attendance):
        def facts_for(
            self, sessions: Sequence[Session], uow: UnitOfWork
        ) -> Mapping[str, Mapping[str, object]]:
            asked.append(sorted(s.id for s in sessions))
            return attendance.facts_for(sessions, uow)

    h.kit = SessionKit(uow=h.store.unit_of_work, clock=h.clock, facts=Counting())
    ongoing = _extra(h, hours=1, lifecycle="academy")  # ONGOING -> COMPLETED asks nothing
    h.kit.sessions.fire(TENANT, ongoing.id, "ready", actor="teacher")
    h.kit.sessions.fire(TENANT, ongoing.id, "start", actor="teacher")
    coached = _extra(h, hours=3, lifecycle="coaching")  # MISSED asks "attended"
    attendance.attended[coached.id] = False
    asked.clear()
    report = h.kit.advance_due(TENANT, actor="cron", now=NOW + timedelta(hours=12))
    assert asked  # the scan and the advance ask; neither asks about the ongoing lesson
    assert all(ids == [coached.id] for ids in asked), asked
    assert {s.id: s.status for s in report.advanced} == {
        coached.id: "MISSED",
        ongoing.id: "COMPLETED",
    }
    assert report.failed == ()


def test_academy_series_sessions_are_scheduled_busy_and_checked() -> None:
    from datetime import date, time

    from sessionkit.model.series import ScheduleItem
    from sessionkit.recurrence import Recurrence

    h = Harness.in_memory(NOW)
    weekly = Recurrence.weekly(
        days=("TU",), at=time(10), duration=timedelta(hours=1), tz="UTC", start=date(2026, 3, 1)
    )
    _, first = h.kit.series.create(
        TENANT,
        actor="admin",
        title="Circle A",
        lifecycle="academy",
        items=[ScheduleItem("w", weekly, ("teacher:ana",))],
    )
    assert first.created
    assert {(s.status, s.busy) for s in first.created} == {("SCHEDULED", True)}
    _, clash = h.kit.series.create(
        TENANT,
        actor="admin",
        title="Circle B",
        lifecycle="academy",
        items=[ScheduleItem("w", weekly, ("teacher:ana",))],
    )
    assert clash.created == ()
    assert len(clash.skipped) == len(first.created)
    assert {s.reason for s in clash.skipped} == {"conflict"}
    ready = h.kit.advance_due(TENANT, actor="cron", now=first.created[0].start)
    assert [s.status for s in ready.advanced] == ["READY"]
