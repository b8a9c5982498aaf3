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
from decimal import Decimal
from zoneinfo import ZoneInfo

import attrs
import pytest

from sessionkit.adapters.memory import InMemoryStore
from sessionkit.errors import (
    DuplicateSession,
    InvalidTransition,
    SessionConflict,
    SessionLocked,
    SessionNotFound,
)
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
from sessionkit.model.booking_events import BookingExpired
from sessionkit.model.money import Money
from sessionkit.policies import BookingRules, Rate
from sessionkit.ports import UnitOfWork
from sessionkit.recurrence import Recurrence
from sessionkit.services import SessionKit
from sessionkit.testing.clocks import ManualClock, RecordingPublisher
from sessionkit.testing.payments import FakeGateway

CENTER = "center-1"
CAIRO = "Africa/Cairo"
NOW = datetime(2026, 3, 1, 8, tzinfo=UTC)  # Sunday
TEACHER = ResourceRef("teacher", "t-17")
OTHER_TEACHER = ResourceRef("teacher", "t-42")
HOUR = timedelta(hours=1)


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
        class_id: str | None = None,
        center: str = CENTER,
    ) -> Series:
        """GroupEvents.CREATED: generate the initial two months (filed under its class)."""
        series, _ = self.kit.series.create(
            center,
            actor="admin",
            title=f"Group {group_id}",
            items=[self.item(days, hour, teacher=teacher, class_start=class_start)],
            series_id=group_id,
            group=class_id,
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
        item_id: str = "main",
    ) -> ScheduleItem:
        rec = Recurrence.weekly(
            days=tuple(days),
            at=time(hour),
            duration=timedelta(minutes=minutes),
            tz=CAIRO,
            start=class_start,
        )
        return ScheduleItem(item_id, rec, [teacher])

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
    # The payloads the seed's events carry: SessionUpdatedEvent's oldData, SessionCanceledEvent's
    # reason, SessionsRegeneratedEvent's counts; and the actor of each.
    (generated,) = lms.events.of_type(SessionsRegenerated)
    (updated,) = lms.events.of_type(SessionUpdated)
    (canceled,) = lms.events.of_type(SessionCanceled)
    assert (generated.series_id, generated.created, generated.deleted) == ("g1", 9, 0)
    assert (updated.session.id, dict(updated.old), updated.actor) == (
        s[1].id,
        {"title": "Group g1"},
        "admin",
    )
    assert (canceled.session.id, canceled.reason, canceled.actor) == (
        s[2].id,
        "teacher ill",
        "admin",
    )


def test_only_a_scheduled_session_is_updated_or_deleted_and_never_into_a_clash(lms: Lms) -> None:
    # "Only allowed for SCHEDULED status" (update, delete); "Validates teacher conflicts" (update);
    # "CONDUCTING -> CANCELED (rare, mid-session cancellation)".
    lms.group("g1", ["SU", "TU"], 16)
    kit = lms.kit
    s = lms.sessions("g1")
    with pytest.raises(SessionConflict) as clash:
        kit.sessions.update(CENTER, s[1].id, actor="admin", start=s[0].start + timedelta(hours=1))
    assert [b.id for b in clash.value.conflicts] == [s[0].id]
    kit.sessions.fire(CENTER, s[0].id, "start", actor="t-17")
    with pytest.raises(SessionLocked, match="'CONDUCTING' is not editable"):
        kit.sessions.update(CENTER, s[0].id, actor="admin", title="Organic")
    with pytest.raises(SessionLocked, match="'CONDUCTING' is not editable"):
        kit.sessions.delete(CENTER, s[0].id, actor="admin")
    assert kit.sessions.cancel(CENTER, s[0].id, actor="admin", reason="fire alarm").status == (
        "CANCELED"
    )
    with pytest.raises(SessionLocked, match="'CANCELED' is not editable"):
        kit.sessions.delete(CENTER, s[0].id, actor="admin")
    assert kit.queries.get(CENTER, s[1].id) == s[1]


def test_a_center_pages_its_classes_sessions_by_filter_and_sees_no_other_center(lms: Lms) -> None:
    # PaginateSessionsDto: classId, groupId, status, startTimeFrom/To, search on title, sortBy,
    # database-level pages; "Automatic filtering by actor's center".
    lms.group("g1", ["SU"], 16, class_id="chem")
    lms.group("g2", ["MO"], 16, class_id="chem", teacher=OTHER_TEACHER)
    lms.group("g3", ["TU"], 10, class_id="bio", teacher=OTHER_TEACHER)
    lms.group("g1", ["SU"], 16, class_id="chem", center="center-2")  # the same names elsewhere
    kit = lms.kit
    kit.sessions.update(CENTER, lms.sessions("g2")[0].id, actor="admin", title="Organic intro")
    kit.sessions.cancel(CENTER, lms.sessions("g1")[1].id, actor="admin")
    week2, week4 = NOW + timedelta(weeks=1), NOW + timedelta(weeks=4)
    query = SessionQuery(
        group="chem", statuses=["SCHEDULED"], start_from=week2, start_to=week4, limit=2
    )
    first = kit.queries.list(CENTER, query)
    rest = kit.queries.list(CENTER, attrs.evolve(query, after=first.next_cursor))
    seen = [*first.items, *rest.items]
    assert first.total == 5
    assert [(x.series_id, x.start.date()) for x in seen] == [
        ("g2", date(2026, 3, 9)),
        ("g1", date(2026, 3, 15)),
        ("g2", date(2026, 3, 16)),
        ("g1", date(2026, 3, 22)),
    ]  # g1 on 8 March was cancelled, bio is another class; page 3 has g2 on 23 March
    assert all(x.tenant == CENTER and x.group == "chem" for x in seen)
    found = kit.queries.list(CENTER, SessionQuery(search="organic", sort="start", descending=True))
    assert [x.title for x in found.items] == ["Organic intro"]
    assert kit.queries.list("center-2", SessionQuery(group="chem")).total == 9
    with pytest.raises(SessionNotFound):
        kit.queries.get("center-2", seen[0].id)
    with pytest.raises(SessionNotFound):
        kit.sessions.cancel("center-2", seen[0].id, actor="intruder")


def test_a_class_finishing_clears_the_future_of_every_group_in_it(lms: Lms) -> None:
    # ClassEvents.STATUS_CHANGED (FINISHED / CANCELED): "Queries all groups for the class;
    # deletes all future SCHEDULED sessions for each group"; CONDUCTING ones are preserved.
    lms.group("g1", ["SU"], 16, class_id="chem")
    lms.group("g2", ["MO"], 16, class_id="chem", teacher=OTHER_TEACHER)
    lms.group("g3", ["TU"], 10, class_id="bio", teacher=ResourceRef("teacher", "t-99"))
    lms.kit.sessions.fire(CENTER, lms.sessions("g2")[0].id, "start", actor="t-42")
    report = lms.kit.series.close_group(CENTER, "chem", actor="admin")
    assert [(r.series_id, len(r.deleted), len(r.kept)) for r in report.closed] == [
        ("g1", 9, 0),
        ("g2", 8, 1),  # the CONDUCTING one is kept, and reported
    ]
    assert [x.status for x in lms.sessions("g1")] == []
    assert [x.status for x in lms.sessions("g2")] == ["CONDUCTING"]
    assert len(lms.sessions("g3")) == 9
    assert lms.kit.top_up(actor="cron").checked == 1  # only bio is still topped up


def test_changing_one_schedule_item_regenerates_only_its_future_sessions(lms: Lms) -> None:
    # "Only sessions linked to the updated scheduleItemId are regenerated"; "Only SCHEDULED
    # sessions with startTime > now() are affected".
    kit = lms.kit
    sunday = lms.item(["SU"], 16, item_id="sun")
    kit.series.create(
        CENTER,
        actor="admin",
        title="Group g1",
        items=[sunday, lms.item(["TU"], 10, item_id="tue")],
        series_id="g1",
    )
    before = lms.sessions("g1")
    lms.clock.advance(timedelta(days=10))  # two Sundays and two Tuesdays are past, still SCHEDULED
    report = kit.series.change_schedule(
        CENTER, "g1", actor="admin", items=[sunday, lms.item(["WE"], 10, item_id="tue")]
    )
    after = {x.id: x for x in lms.sessions("g1")}
    kept = [x for x in before if x.schedule_item_id == "sun" or x.start < lms.clock.now()]
    assert all(after[x.id] == x for x in kept)  # untouched: same id, same version
    assert {x.schedule_item_id for x in report.deleted} == {"tue"}
    assert all(x.start > lms.clock.now() for x in report.deleted)
    assert {(x.schedule_item_id, x.start.weekday()) for x in report.created} == {("tue", 2)}
    assert report.orphans == ()


def test_generation_skips_an_occurrence_an_extra_session_already_holds(lms: Lms) -> None:
    # "Duplicate Prevention: Skip if session with same groupId + startTime already exists",
    # also when the buffer job reaches an extra session given before it.
    series = lms.group("g1", ["SU"], 16)
    assert series.generated_until is not None
    after = lms.sessions("g1")[-1]
    ahead = after.start + timedelta(weeks=1)
    extra = lms.kit.sessions.create_extra(
        CENTER,
        actor="admin",
        series_id="g1",
        start=ahead,
        end=ahead + after.span.duration,
        resources=[OTHER_TEACHER],
        title="Guest lecture",
    )
    lms.clock.advance(timedelta(weeks=6))
    report = lms.kit.top_up(actor="cron")
    (refill,) = report.refilled
    assert [(x.reason, x.blocking) for x in refill.skipped] == [("exists", extra)]
    at_that_time = [x for x in lms.sessions("g1") if x.start == ahead]
    assert at_that_time == [extra]


def test_a_paid_session_cannot_be_deleted_or_moved_and_cancelling_it_refunds() -> None:
    # The seed's TODOs: "Check for linked payments before session deletion/update";
    # "If payments exist, must use cancel instead (triggers refund)".
    clock = ManualClock(NOW)
    counter = itertools.count(1)
    gateway = FakeGateway(clock=clock.now)
    kit = SessionKit(
        uow=InMemoryStore().unit_of_work,
        clock=clock,
        ids=lambda: f"s{next(counter)}",
        gateway=gateway,
        pricing=lambda _session: Rate(Money.of(30, "EUR")),
    )
    kit.series.create(
        CENTER, actor="admin", title="Group g1", items=[Lms.item(["SU"], 16)], capacity=20
    )
    session = kit.queries.list(CENTER, SessionQuery(limit=1)).items[0]
    made = kit.payments.book(CENTER, session.id, "student:amr", actor="amr", role="student")
    gateway.pay(made.payment.intent_ref or "")
    for event in gateway.drain():
        kit.payments.apply(CENTER, event)
    assert kit.payments.get(CENTER, made.payment.id).status == "PAID"
    with pytest.raises(SessionLocked, match="dependents"):
        kit.sessions.delete(CENTER, session.id, actor="admin")
    with pytest.raises(SessionLocked, match="booking"):
        kit.sessions.update(CENTER, session.id, actor="admin", start=session.start + HOUR)
    kit.sessions.cancel(CENTER, session.id, actor="admin", reason="teacher ill")
    refunded = kit.payments.get(CENTER, made.payment.id)
    assert (refunded.status, refunded.refunded) == ("REFUNDED", Decimal("60.00"))  # 2 h x 30
    assert kit.bookings.get(CENTER, made.booking.id).status == "CANCELLED"


def test_a_lesson_finished_days_early_frees_its_waitlist_for_that_day() -> None:
    # The teacher opens and closes Thursday's lesson in the app on Sunday (start, then finish).
    # Sara, on its waitlist, will never get a seat there: her place ends with it, and her one
    # lesson a day is free for Thursday's other group. Amr's seat stays his.
    events = RecordingPublisher()
    counter = itertools.count(1)
    kit = SessionKit(
        uow=InMemoryStore(publisher=events).unit_of_work,
        clock=ManualClock(NOW),
        ids=lambda: f"s{next(counter)}",
        booking_rules=BookingRules(waitlist=True, per_day=1),
    )
    for group_id, hour, teacher in (("g1", 16, TEACHER), ("g2", 19, OTHER_TEACHER)):
        kit.series.create(
            CENTER,
            actor="admin",
            title=f"Group {group_id}",
            items=[Lms.item(["TH"], hour, teacher=teacher)],
            series_id=group_id,
            capacity=1,
        )
    first = {
        g: kit.queries.list(CENTER, SessionQuery(series_id=g, limit=1)).items[0]
        for g in ("g1", "g2")
    }
    lesson, other = first["g1"], first["g2"]
    assert lesson.start.date() == other.start.date() == date(2026, 3, 5)  # a Thursday
    amr = kit.bookings.book(CENTER, lesson.id, "student:amr", actor="amr", confirm=True)
    sara = kit.bookings.book(CENTER, lesson.id, "student:sara", actor="sara", waitlist=True)
    refusal = kit.bookings.can_book(CENTER, other.id, "student:sara")
    assert refusal is not None
    assert refusal.rule == "per_day"
    kit.sessions.fire(CENTER, lesson.id, "start", actor="t-17")
    assert kit.sessions.fire(CENTER, lesson.id, "finish", actor="t-17").status == "FINISHED"
    assert kit.bookings.get(CENTER, sara.id).status == "EXPIRED"
    assert kit.bookings.get(CENTER, amr.id).status == "CONFIRMED"
    [ended] = [e for e in events.events if isinstance(e, BookingExpired)]
    assert (ended.booking.id, ended.change.transition, ended.actor) == (sara.id, "lapse", "t-17")
    assert kit.bookings.agenda(CENTER, "student:sara") == []
    assert kit.bookings.book(CENTER, other.id, "student:sara", actor="sara").status == "HELD"


def test_a_session_with_payments_or_attendance_is_kept_from_deletion_and_the_cascade(
    lms: Lms,
) -> None:
    # The seed's TODOs: deletion "only allowed if no payments/attendance linked", "cannot update
    # if linked to payments" (the host's LinkChecker); "Immutable Sessions: ... linked to
    # payments/attendance are never modified" by the cascade. An attendance record is one of
    # sessionkit's own dependents: an excused absence recorded ahead of the lesson.
    lms.group("g1", ["SU"], 16)
    kit = lms.kit
    s = lms.sessions("g1")
    paid, excused, plain = s[1], s[2], s[3]
    lms.payments.paid[paid.id] = "payment p-7"
    kit.attendance.override(
        CENTER, excused.id, "student:amr", status="absent", actor="t-17", reason="exam"
    )
    with pytest.raises(SessionLocked, match="payment p-7"):
        kit.sessions.update(CENTER, paid.id, actor="admin", title="Organic")
    with pytest.raises(SessionLocked, match="payment p-7"):
        kit.sessions.update(CENTER, paid.id, actor="admin", start=paid.start + HOUR)
    for locked, why in ((paid, "payment p-7"), (excused, "1 attendance override")):
        with pytest.raises(SessionLocked, match=why):
            kit.sessions.delete(CENTER, locked.id, actor="admin")
    assert [kit.queries.get(CENTER, x.id) for x in (paid, excused)] == [paid, excused]
    report = kit.series.change_schedule(CENTER, "g1", actor="admin", items=[lms.item(["MO"], 16)])
    assert {o.session.id: o.reason for o in report.orphans} == {
        paid.id: "it has dependents (payment p-7)",
        excused.id: "it has dependents (1 attendance override(s))",
    }
    left = {x.id: x for x in lms.sessions("g1")}
    assert (left[paid.id], left[excused.id]) == (paid, excused)
    assert plain.id not in left
    assert {x.start.weekday() for x in report.created} == {0}


def test_the_weekly_cron_generates_only_when_less_than_four_weeks_are_left(lms: Lms) -> None:
    # "Only generates if buffer < 4 weeks"; then "Generates sessions up to" the window again
    # (sessionkit refills to the initial two months, so the cron has work every month).
    lms.group("g1", ["SU"], 16)
    refilled_at: list[tuple[date, datetime, datetime]] = []
    for _week in range(12):
        lms.clock.advance(timedelta(weeks=1))
        now = lms.clock.now()
        before = lms.kit.queries.get_series(CENTER, "g1").generated_until
        assert before is not None
        report = lms.kit.top_up(actor="cron")
        after = lms.kit.queries.get_series(CENTER, "g1").generated_until
        assert after is not None
        if report.refilled:
            assert before - now < timedelta(weeks=4)
            refilled_at.append((now.date(), before, after))
        else:
            assert before - now >= timedelta(weeks=4)
            assert after == before
    # Made on Sunday 1 March, 10:00 in Cairo, two months ahead (to 1 May, 10:00 Cairo summer
    # time); under four weeks were left on 5 April: refilled to 5 June, 10:00 Cairo; again on
    # 10 May (11:00 Cairo), to 10 July.
    may, june, july = (datetime(2026, m, d, 7, tzinfo=UTC) for m, d in ((5, 1), (6, 5), (7, 10)))
    assert refilled_at == [
        (date(2026, 4, 5), may, june),
        (date(2026, 5, 10), june, july + HOUR),
    ]


def test_the_status_flow_is_the_seeds(lms: Lms) -> None:
    # "SCHEDULED -> CONDUCTING -> FINISHED (normal flow); SCHEDULED -> CANCELED; CONDUCTING ->
    # CANCELED (rare)": nothing else, and a finished or canceled session stays as it is.
    lms.group("g1", ["SU"], 16)
    kit = lms.kit
    s = lms.sessions("g1")
    with pytest.raises(InvalidTransition) as skipped:
        kit.sessions.fire(CENTER, s[0].id, "finish", actor="t-17")
    assert (skipped.value.status, skipped.value.allowed) == ("SCHEDULED", ("start", "cancel"))
    assert kit.sessions.fire(CENTER, s[0].id, "start", actor="t-17").status == "CONDUCTING"
    assert kit.sessions.fire(CENTER, s[0].id, "finish", actor="t-17").status == "FINISHED"
    assert kit.sessions.cancel(CENTER, s[1].id, actor="admin").status == "CANCELED"
    for done, status in ((s[0], "FINISHED"), (s[1], "CANCELED")):
        for trigger in ("start", "finish", "cancel"):
            with pytest.raises(InvalidTransition) as refused:
                kit.sessions.fire(CENTER, done.id, trigger, actor="admin")
            assert (refused.value.status, refused.value.allowed) == (status, ())
    assert [x.status for x in lms.sessions("g1")[:2]] == ["FINISHED", "CANCELED"]


def test_closing_a_class_deletes_only_the_future_and_never_the_past(lms: Lms) -> None:
    # "Delete all future SCHEDULED sessions": a past one nobody started or finished stays as
    # the record of that day.
    lms.group("g1", ["SU", "TU"], 16, class_id="chem")
    lms.clock.advance(timedelta(days=10))  # Wednesday 11 March
    report = lms.kit.series.close_group(CENTER, "chem", actor="admin")
    left = [(x.start.date(), x.status) for x in lms.sessions("g1")]
    assert left == [(date(2026, 3, d), "SCHEDULED") for d in (1, 3, 8, 10)]
    assert [(r.series_id, len(r.deleted)) for r in report.closed] == [("g1", 14)]
    assert all(x.start > lms.clock.now() for r in report.closed for x in r.deleted)


def test_the_weekly_cron_skips_the_teachers_clashes_too(lms: Lms) -> None:
    # "Validates teacher conflicts (skips conflicting sessions)" holds for the buffer job's
    # generation as for the first two months.
    lms.group("g1", ["SU"], 16)
    _, first = lms.kit.series.create(
        CENTER, actor="admin", title="Group g2", items=[lms.item(["SU", "WE"], 17)], series_id="g2"
    )
    assert {x.span.start.weekday() for x in first.conflicts} == {6}
    lms.clock.advance(timedelta(weeks=6))
    refills = {r.series_id: r for r in lms.kit.top_up(actor="cron").refilled}
    assert set(refills) == {"g1", "g2"}
    assert {x.span.start.weekday() for x in refills["g2"].conflicts} == {6}
    assert {x.blocking.series_id for x in refills["g2"].conflicts} == {"g1"}
    assert {x.start.weekday() for x in refills["g2"].created} == {2}
    sundays = [x for x in lms.sessions("g2") if x.start.weekday() == 6]
    assert sundays == []
