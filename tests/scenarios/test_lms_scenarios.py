"""The LMS seed (000, NestJS "Sessions Module") replayed on sessionkit's services.

A centre runs a class with groups; each group has weekly schedule items and a
teacher. The seed's listeners become plain calls: GroupEvents.CREATED ->
``series.create``, GroupEvents.UPDATED -> ``series.change_schedule``,
ClassEvents.STATUS_CHANGED to FINISHED -> ``series.close``, and the weekly
maintenance cron job -> ``top_up``. Payments and attendance (the seed's TODOs)
are a LinkChecker.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import attrs
import pytest

from sessionkit.adapters.memory import InMemoryStore
from sessionkit.errors import DuplicateSession, SessionConflict, SessionLocked
from sessionkit.model import (
    ResourceRef,
    ScheduleItem,
    Series,
    SeriesClosed,
    Session,
    SessionCanceled,
    SessionCreated,
    SessionDeleted,
    SessionQuery,
    SessionsRegenerated,
    SessionStatusChanged,
    SessionUpdated,
)
from sessionkit.ports import UnitOfWork
from sessionkit.recurrence import Recurrence
from sessionkit.services import SessionKit
from sessionkit.testing.clocks import ManualClock, RecordingPublisher

CENTER = "center-1"
CAIRO = "Africa/Cairo"
NOW = datetime(2026, 3, 1, 8, tzinfo=UTC)  # Sunday
TEACHER = ResourceRef("teacher", "t-17")
OTHER_TEACHER = ResourceRef("teacher", "t-42")


class Payments:
    """The host's payments and attendance, as the LinkChecker sees them."""

    def __init__(self) -> None:
        self.paid: dict[str, str] = {}

    def blocking_links(self, sessions: Sequence[Session], uow: UnitOfWork) -> Mapping[str, str]:
        return {s.id: self.paid[s.id] for s in sessions if s.id in self.paid}


@attrs.define
class Lms:
    kit: SessionKit
    clock: ManualClock
    events: RecordingPublisher
    payments: Payments

    def group(
        self,
        group_id: str,
        days: Sequence[str],
        hour: int,
        *,
        teacher: ResourceRef = TEACHER,
        class_start: date = date(2026, 2, 1),
    ) -> Series:
        """GroupEvents.CREATED: generate the initial two months."""
        series, _ = self.kit.series.create(
            CENTER,
            actor="admin",
            title=f"Group {group_id}",
            items=[self.item(days, hour, teacher=teacher, class_start=class_start)],
            series_id=group_id,
        )
        return series

    @staticmethod
    def item(
        days: Sequence[str],
        hour: int,
        *,
        teacher: ResourceRef = TEACHER,
        class_start: date = date(2026, 2, 1),
        minutes: int = 120,
    ) -> ScheduleItem:
        rec = Recurrence.weekly(
            days=tuple(days),
            at=time(hour),
            duration=timedelta(minutes=minutes),
            tz=CAIRO,
            start=class_start,
        )
        return ScheduleItem("main", rec, [teacher])

    def sessions(self, group_id: str) -> list[Session]:
        page = self.kit.queries.list(CENTER, SessionQuery(series_id=group_id, limit=1000))
        return list(page.items)


@pytest.fixture
def lms() -> Lms:
    events = RecordingPublisher()
    store = InMemoryStore(publisher=events)
    clock = ManualClock(NOW)
    payments = Payments()
    counter = itertools.count(1)
    kit = SessionKit(
        uow=store.unit_of_work, clock=clock, links=payments, ids=lambda: f"s{next(counter)}"
    )
    return Lms(kit, clock, events, payments)


def test_group_created_generates_two_months_from_the_later_of_class_start_and_now(
    lms: Lms,
) -> None:
    started = lms.group("g1", ["SU", "TU"], 16)  # class started in February
    sessions = lms.sessions("g1")
    assert sessions[0].start >= NOW
    assert started.generated_until is not None
    assert started.generated_until - NOW >= timedelta(days=59)
    assert len(sessions) == 18  # 2 x 9 weeks
    later = lms.group("g2", ["MO"], 10, class_start=date(2026, 4, 6), teacher=OTHER_TEACHER)
    assert lms.sessions("g2")[0].start.date() == date(2026, 4, 6)
    assert later.generated_until is not None
    assert later.generated_until.date() == date(2026, 6, 6)


def test_weekly_cron_keeps_four_weeks_ahead_without_duplicates(lms: Lms) -> None:
    lms.group("g1", ["SU", "TU"], 16)
    for _week in range(26):
        lms.clock.advance(timedelta(weeks=1))
        report = lms.kit.top_up(actor="cron")
        assert report.failed == ()
        series = lms.kit.queries.get_series(CENTER, "g1")
        assert series.generated_until is not None
        assert series.generated_until - lms.clock.now() >= timedelta(weeks=4)
    sessions = lms.sessions("g1")
    keys = [s.occurrence_key for s in sessions]
    assert len(keys) == len(set(keys))
    days = [s.start.astimezone(ZoneInfo(CAIRO)).date() for s in sessions]
    gaps = {(b - a).days for a, b in itertools.pairwise(days)}
    assert gaps == {2, 5}  # Sunday to Tuesday to Sunday: no week missing, across Cairo's DST


def test_teacher_conflict_skips_the_clashing_occurrences(lms: Lms) -> None:
    lms.group("g1", ["SU"], 16)
    _, report = lms.kit.series.create(
        CENTER,
        actor="admin",
        title="Group g2",
        items=[lms.item(["SU", "WE"], 17)],  # same teacher, Sunday overlaps 16-18
        series_id="g2",
    )
    assert {s.start.weekday() for s in report.created} == {2}
    assert len(report.conflicts) == 9
    assert all(s.blocking.series_id == "g1" for s in report.conflicts)


def test_extra_session_validates_teacher_and_duplicates(lms: Lms) -> None:
    lms.group("g1", ["SU"], 16)
    sunday = lms.sessions("g1")[0]
    extra = lms.kit.sessions.create_extra(
        CENTER,
        actor="admin",
        series_id="g1",
        title="Revision",
        start=sunday.start + timedelta(days=1),
        end=sunday.end + timedelta(days=1),
    )
    assert extra.is_extra
    assert extra.resources == (TEACHER,)
    with pytest.raises(SessionConflict):
        lms.kit.sessions.create_extra(
            CENTER,
            actor="admin",
            series_id="g1",
            start=sunday.start + timedelta(hours=1),
            end=sunday.end + timedelta(hours=1),
        )
    with pytest.raises(DuplicateSession):
        lms.kit.sessions.create_extra(
            CENTER,
            actor="admin",
            series_id="g1",
            start=sunday.start,
            end=sunday.end,
            resources=[OTHER_TEACHER],
        )


def test_schedule_change_keeps_what_must_survive(lms: Lms) -> None:
    lms.group("g1", ["SU", "TU"], 16)
    kit = lms.kit
    s = lms.sessions("g1")
    started, finished, detached, linked, plain = s[0], s[1], s[2], s[3], s[4]
    extra = kit.sessions.create_extra(
        CENTER,
        actor="admin",
        series_id="g1",
        start=s[5].start + timedelta(days=1),
        end=s[5].end + timedelta(days=1),
    )
    kit.sessions.fire(CENTER, started.id, "start", actor="t-17")
    kit.sessions.fire(CENTER, finished.id, "start", actor="t-17")
    kit.sessions.fire(CENTER, finished.id, "finish", actor="t-17")
    moved = kit.sessions.update(
        CENTER, detached.id, actor="admin", start=detached.start + timedelta(hours=3)
    )
    lms.payments.paid[linked.id] = "payment p-9"
    with pytest.raises(SessionLocked, match="payment p-9"):
        kit.sessions.delete(CENTER, linked.id, actor="admin")

    # GroupEvents.UPDATED: the group moves from Sunday/Tuesday to Monday/Wednesday.
    report = kit.series.change_schedule(
        CENTER, "g1", actor="admin", items=[lms.item(["MO", "WE"], 16)]
    )
    survivors = {x.id: x for x in lms.sessions("g1")}
    for kept in (started.id, finished.id, moved.id, linked.id, extra.id):
        assert kept in survivors
    assert survivors[moved.id] == moved
    assert plain.id not in survivors
    assert {o.session.id for o in report.orphans} == {started.id, finished.id, moved.id, linked.id}
    assert all(x.start.weekday() in (0, 2) for x in report.created)
    regenerated = lms.events.of_type(SessionsRegenerated)[-1]
    assert (regenerated.deleted, regenerated.orphaned) == (len(report.deleted), 4)


def test_class_finished_removes_future_scheduled_sessions(lms: Lms) -> None:
    lms.group("g1", ["SU", "TU"], 16)
    s = lms.sessions("g1")
    lms.kit.sessions.fire(CENTER, s[0].id, "start", actor="t-17")
    lms.kit.sessions.fire(CENTER, s[0].id, "finish", actor="t-17")
    lms.kit.sessions.cancel(CENTER, s[1].id, actor="admin", reason="holiday")
    lms.clock.advance(timedelta(days=3))
    report = lms.kit.series.close(CENTER, "g1", actor="admin")  # ClassEvents: FINISHED
    left = lms.sessions("g1")
    assert {x.status for x in left} == {"FINISHED", "CANCELED"}
    assert len(report.deleted) == 16
    assert lms.kit.top_up(actor="cron").checked == 0  # a closed group is not topped up


def test_every_change_is_published_after_commit(lms: Lms) -> None:
    lms.group("g1", ["SU"], 16)
    s = lms.sessions("g1")
    kit = lms.kit
    kit.sessions.update(CENTER, s[1].id, actor="admin", title="Organic Chemistry Intro")
    kit.sessions.cancel(CENTER, s[2].id, actor="admin", reason="teacher ill")
    kit.sessions.fire(CENTER, s[0].id, "start", actor="t-17")
    kit.sessions.delete(CENTER, s[3].id, actor="admin")
    kit.series.close(CENTER, "g1", actor="admin")
    kinds = [type(e) for e in lms.events.events]
    assert kinds[:10] == [SessionCreated] * 9 + [SessionsRegenerated]
    assert kinds[10:14] == [SessionUpdated, SessionCanceled, SessionStatusChanged, SessionDeleted]
    assert kinds[14:] == [SessionDeleted] * 6 + [SeriesClosed]  # the started one stays
    assert all(e.tenant == CENTER for e in lms.events.events)
    assert len(lms.events.batches) == 6  # one batch per committed unit of work
