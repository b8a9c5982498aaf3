"""Scenario tests: each seed platform's session flows, walked through its preset lifecycle.

Times are local to the platforms (Berlin, Riyadh, New York); the lifecycle works
on instants, so every assertion holds whatever zone the host uses.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import attrs
import pytest

from sessionkit import TimeSpan
from sessionkit.errors import InvalidTransition, MissingFact, TransitionRefused
from sessionkit.lifecycle import (
    Lifecycle,
    Status,
    StatusChanged,
    Timer,
    Transition,
    individual_only,
)
from sessionkit.lifecycles import (
    COACHING_MISSED_AFTER,
    academy,
    coaching,
    consulting,
    consulting_payment,
    lms,
    marketplace,
)

BERLIN = ZoneInfo("Europe/Berlin")
RIYADH = ZoneInfo("Asia/Riyadh")
NEW_YORK = ZoneInfo("America/New_York")
MIN = timedelta(minutes=1)


@attrs.frozen
class Session:
    id: str
    span: TimeSpan
    status: str
    capacity: int = 1
    payment_status: str = "PENDING"


def session(lifecycle: Lifecycle, start: datetime, minutes: int = 60, **fields: object) -> Session:
    return Session(
        id=fields.pop("id", "s1"),  # type: ignore[arg-type]
        span=TimeSpan.from_start(start, timedelta(minutes=minutes)),
        status=lifecycle.initial,
        **fields,  # type: ignore[arg-type]
    )


def chain(events: list[StatusChanged]) -> list[tuple[str, str, str]]:
    return [(e.from_status, e.transition, e.to_status) for e in events]


# -- LMS (seed 000) -----------------------------------------------------------------

LMS_START = datetime(2026, 3, 2, 18, 0, tzinfo=BERLIN)


def test_lms_a_class_session_is_conducted_and_finished() -> None:
    s = session(lms, LMS_START, 90)
    assert s.status in lms.editable_statuses  # "update only allowed for SCHEDULED"
    s, started = lms.fire(s, "start", now=LMS_START, actor="teacher-1")
    assert s.status not in lms.editable_statuses
    s, finished = lms.fire(s, "finish", now=LMS_START + 90 * MIN, actor="teacher-1")
    assert chain([started, finished]) == [
        ("SCHEDULED", "start", "CONDUCTING"),
        ("CONDUCTING", "finish", "FINISHED"),
    ]
    assert s.status in lms.terminal_statuses & lms.busy_statuses & lms.usage_statuses


def test_lms_cancel_before_or_during_but_not_after() -> None:
    scheduled = session(lms, LMS_START)
    canceled, event = lms.fire(
        scheduled, "cancel", now=LMS_START - timedelta(days=1), reason="teacher ill"
    )
    assert (canceled.status, event.reason) == ("CANCELED", "teacher ill")
    assert canceled.status not in lms.busy_statuses  # the teacher is free again

    conducting, _ = lms.fire(scheduled, "start", now=LMS_START)
    mid, _ = lms.fire(conducting, "cancel", now=LMS_START + 20 * MIN, reason="fire alarm")
    assert mid.status == "CANCELED"

    finished, _ = lms.fire(conducting, "finish", now=LMS_START + 60 * MIN)
    with pytest.raises(InvalidTransition) as info:
        lms.fire(finished, "cancel", now=LMS_START + 61 * MIN)
    assert (info.value.status, info.value.allowed) == ("FINISHED", ())


def test_lms_cannot_finish_a_session_that_never_started() -> None:
    with pytest.raises(InvalidTransition) as info:
        lms.fire(session(lms, LMS_START), "finish", now=LMS_START + 2 * 60 * MIN)
    assert info.value.allowed == ("start", "cancel")


def test_lms_has_no_clock() -> None:
    s = session(lms, LMS_START)
    assert lms.next_due(s) is None
    assert lms.advance(s, LMS_START + timedelta(days=30)) == (s, ())


# -- Academy (seed 002) -------------------------------------------------------------

ACADEMY_START = datetime(2025, 12, 1, 10, 0, tzinfo=RIYADH)


def test_academy_individual_lesson_from_creation_to_completion() -> None:
    s = session(academy, ACADEMY_START, 60)
    assert s.status == "UNSCHEDULED"
    events: list[StatusChanged] = []
    s, event = academy.fire(s, "schedule", now=ACADEMY_START - timedelta(days=3))
    events.append(event)
    assert academy.next_due(s) == ACADEMY_START - 15 * MIN
    assert academy.advance(s, ACADEMY_START - 16 * MIN) == (s, ())
    s, ticks = academy.advance(s, ACADEMY_START - 15 * MIN)  # meeting link appears
    events.extend(ticks)
    s, event = academy.fire(s, "start", now=ACADEMY_START - 2 * MIN, actor="student-10")
    events.append(event)
    assert academy.next_due(s) == ACADEMY_START + 70 * MIN  # the seed's "now - 70 minutes"
    assert academy.advance(s, ACADEMY_START + 69 * MIN)[1] == ()
    s, ticks = academy.advance(s, ACADEMY_START + 70 * MIN)
    events.extend(ticks)
    assert chain(events) == [
        ("UNSCHEDULED", "schedule", "SCHEDULED"),
        ("SCHEDULED", "ready", "READY"),
        ("READY", "start", "ONGOING"),
        ("ONGOING", "complete", "COMPLETED"),
    ]
    assert [e.timed for e in events] == [False, True, False, True]
    assert s.status in academy.usage_statuses  # "COMPLETED: counts"


def test_academy_absent_student_counts_but_only_in_individual_sessions() -> None:
    s, _ = academy.fire(session(academy, ACADEMY_START), "schedule", now=ACADEMY_START)
    ready, _ = academy.advance(s, ACADEMY_START - 10 * MIN)
    absent, event = academy.fire(ready, "mark_absent", now=ACADEMY_START + 15 * MIN)
    assert (absent.status, event.to_status) == ("ABSENT", "ABSENT")
    assert absent.status in academy.usage_statuses  # "ABSENT: counts (student no-show)"

    circle = attrs.evolve(ready, id="circle-1", capacity=8)
    with pytest.raises(TransitionRefused) as info:
        academy.fire(circle, "mark_absent", now=ACADEMY_START + 15 * MIN)
    assert info.value.guard is individual_only
    assert info.value.reason == (
        "only individual sessions (capacity 1) can do this; group sessions cannot"
    )
    assert academy.allowed(circle, now=ACADEMY_START) == ("start", "cancel_unattended", "cancel")


def test_academy_cancel_from_any_status_does_not_count() -> None:
    s = session(academy, ACADEMY_START)
    walk = [s]
    s, _ = academy.fire(s, "schedule", now=ACADEMY_START - timedelta(days=1))
    walk.append(s)
    s, _ = academy.advance(s, ACADEMY_START - 15 * MIN)
    walk.append(s)
    s, _ = academy.fire(s, "start", now=ACADEMY_START)
    walk.append(s)
    assert [w.status for w in walk] == ["UNSCHEDULED", "SCHEDULED", "READY", "ONGOING"]
    for w in walk:
        cancelled, event = academy.fire(w, "cancel", now=ACADEMY_START, reason="Teacher conflict")
        assert cancelled.status == "CANCELLED"
        assert cancelled.status not in academy.usage_statuses
        assert event.reason == "Teacher conflict"
    done, _ = academy.advance(s, ACADEMY_START + timedelta(hours=3))
    with pytest.raises(InvalidTransition):
        academy.fire(done, "cancel", now=ACADEMY_START + timedelta(hours=3))


def test_academy_catches_up_after_the_scheduler_was_down() -> None:
    s, _ = academy.fire(session(academy, ACADEMY_START), "schedule", now=ACADEMY_START)
    later = ACADEMY_START + timedelta(days=2)
    # READY falls due; ONGOING needs a participant to join, so with someone there the clock
    # stops at READY, and without anyone the individual lesson is ABSENT 15 min past start.
    caught_up, events = academy.advance(s, later, facts={"attended": True})
    assert caught_up.status == "READY"
    assert [(e.transition, e.at) for e in events] == [("ready", ACADEMY_START - 15 * MIN)]
    absent, events = academy.advance(s, later, facts={"attended": False})
    assert absent.status == "ABSENT"
    assert [(e.transition, e.at) for e in events] == [
        ("ready", ACADEMY_START - 15 * MIN),
        ("mark_absent", ACADEMY_START + 15 * MIN),
    ]
    with pytest.raises(MissingFact):  # never guesses that nobody came
        academy.advance(s, later)
    # A circle is never ABSENT: nobody there, the clock cancels it 10 min past its end.
    circle = attrs.evolve(s, capacity=8)
    unheld, events = academy.advance(circle, later, facts={"attended": False})
    assert unheld.status == "CANCELLED"
    assert [(e.transition, e.at, e.reason) for e in events] == [
        ("ready", ACADEMY_START - 15 * MIN, "timed: start - 15 min"),
        (
            "cancel_unattended",
            circle.span.end + 10 * MIN,
            "timed: end + 10 min if circle_nobody_attended",
        ),
    ]
    assert academy.advance(circle, later, facts={"attended": True})[0].status == "READY"


def test_academy_joining_before_the_job_ran_needs_a_catch_up_first() -> None:
    s, _ = academy.fire(session(academy, ACADEMY_START), "schedule", now=ACADEMY_START)
    join = ACADEMY_START - 5 * MIN
    with pytest.raises(InvalidTransition) as info:
        academy.fire(s, "start", now=join)
    assert info.value.allowed == ("ready", "cancel")
    s, _ = academy.advance(s, join)
    s, event = academy.fire(s, "start", now=join, actor="student-10")
    assert (s.status, event.at) == ("ONGOING", join)


# -- Consulting (seed 003) ------------------------------------------------------------

CONSULT_START = datetime(2026, 5, 12, 14, 0, tzinfo=NEW_YORK)


def test_consulting_public_booking_confirmed_paid_and_completed() -> None:
    s = session(consulting, CONSULT_START, 45)
    assert (s.status, s.payment_status) == ("PENDING", "PENDING")
    s, _ = consulting.fire(s, "confirm", now=CONSULT_START - timedelta(days=2), actor="consultant")
    s, paid = consulting_payment.fire(s, "pay", now=CONSULT_START - timedelta(days=2))
    s, done = consulting.fire(s, "complete", now=CONSULT_START + 45 * MIN, actor="consultant")
    assert (s.status, s.payment_status) == ("COMPLETED", "PAID")
    assert (paid.lifecycle, done.lifecycle) == ("consulting_payment", "consulting")


def test_consulting_cancel_and_refund() -> None:
    s = session(consulting, CONSULT_START)
    pending_cancel, _ = consulting.fire(s, "cancel", now=CONSULT_START - timedelta(days=1))
    assert pending_cancel.status == "CANCELLED"
    s, _ = consulting.fire(s, "confirm", now=CONSULT_START - timedelta(days=3))
    s, _ = consulting_payment.fire(s, "pay", now=CONSULT_START - timedelta(days=3))
    s, _ = consulting.fire(s, "cancel", now=CONSULT_START - timedelta(days=1), reason="client")
    s, refund = consulting_payment.fire(s, "refund", now=CONSULT_START - timedelta(days=1))
    assert (s.status, s.payment_status, refund.to_status) == ("CANCELLED", "REFUNDED", "REFUNDED")
    with pytest.raises(InvalidTransition) as info:
        consulting_payment.fire(s, "refund", now=CONSULT_START)
    assert (info.value.status, info.value.allowed) == ("REFUNDED", ())


def test_consulting_payment_failure_is_final() -> None:
    s = session(consulting, CONSULT_START)
    s, _ = consulting_payment.fire(s, "fail", now=CONSULT_START - timedelta(days=1))
    assert s.payment_status == "FAILED"
    with pytest.raises(InvalidTransition):
        consulting_payment.fire(s, "pay", now=CONSULT_START - timedelta(days=1))
    with pytest.raises(InvalidTransition) as info:
        consulting_payment.fire(session(consulting, CONSULT_START), "refund", now=CONSULT_START)
    assert info.value.allowed == ("pay", "fail")


def test_consulting_no_show_only_for_confirmed_sessions() -> None:
    pending = session(consulting, CONSULT_START)
    with pytest.raises(InvalidTransition) as info:
        consulting.fire(pending, "no_show", now=CONSULT_START + 30 * MIN)
    assert info.value.allowed == ("confirm", "cancel")
    confirmed, _ = consulting.fire(pending, "confirm", now=CONSULT_START - timedelta(days=1))
    no_show, _ = consulting.fire(confirmed, "no_show", now=CONSULT_START + 30 * MIN)
    assert no_show.status == "NO_SHOW"
    assert consulting.next_due(confirmed) is None  # marked by hand, never by the clock


def test_consulting_bulk_mark_completed_reports_what_could_not_move() -> None:
    confirmed, _ = consulting.fire(
        session(consulting, CONSULT_START, id="a"), "confirm", now=CONSULT_START
    )
    batch = [confirmed, session(consulting, CONSULT_START, id="b"), attrs.evolve(confirmed, id="c")]
    done: list[Session] = []
    refused: dict[str, tuple[str, ...]] = {}
    for s in batch:
        try:
            done.append(consulting.fire(s, "complete", now=CONSULT_START + 60 * MIN)[0])
        except InvalidTransition as error:
            refused[str(error.session_id)] = error.allowed
    assert [s.id for s in done] == ["a", "c"]
    assert refused == {"b": ("confirm", "cancel")}
    completion_rate = len(done) / len(batch)
    assert completion_rate == pytest.approx(2 / 3)


# -- Coaching (seed 004) --------------------------------------------------------------

# 02:30 CEST on the night the clocks go back: 30 minutes later is 02:00 CET (the
# repeated hour), which wall-clock arithmetic on the Berlin datetime would get wrong.
COACH_START = datetime(2026, 10, 25, 2, 30, tzinfo=BERLIN).astimezone(UTC)


def test_coaching_completion_only_after_the_start() -> None:
    s = session(coaching, COACH_START, 60)
    with pytest.raises(TransitionRefused) as info:
        coaching.fire(s, "complete", now=COACH_START - MIN, actor="student-3", role="student")
    assert info.value.reason.startswith("the session has not started yet")
    assert coaching.allowed(s, now=COACH_START - MIN) == ("cancel",)
    # Nor is it missed before its time: "session past scheduled time but not completed".
    with pytest.raises(TransitionRefused):
        coaching.fire(s, "miss", now=COACH_START - MIN, role="coach")
    assert coaching.allowed(s, now=COACH_START) == ("complete", "cancel", "miss")
    s, event = coaching.fire(s, "complete", now=COACH_START + 65 * MIN, role="coach")
    assert (s.status, event.role) == ("COMPLETED", "coach")
    assert s.status in coaching.usage_statuses


def test_coaching_no_show_is_marked_after_thirty_minutes_when_nobody_attended() -> None:
    s = session(coaching, COACH_START)
    nobody = {"attended": False}
    due = coaching.next_due(s, facts=nobody)
    assert due == COACH_START + 30 * MIN
    assert due is not None
    assert due.astimezone(BERLIN).isoformat() == "2026-10-25T02:00:00+01:00"
    assert coaching.advance(s, COACH_START + 29 * MIN, facts=nobody) == (s, ())
    missed, events = coaching.advance(s, COACH_START + 30 * MIN, facts=nobody)
    assert missed.status == "MISSED"
    assert chain(list(events)) == [("SCHEDULED", "miss", "MISSED")]
    assert events[0].reason == "timed: start + 30 min if nobody_attended"
    assert missed.status not in coaching.usage_statuses  # "no payment for missed sessions"


def test_coaching_a_session_someone_attended_is_not_missed_and_can_be_completed() -> None:
    s = session(coaching, COACH_START)
    came = {"attended": True}
    assert coaching.next_due(s, facts=came) is None
    assert coaching.advance(s, COACH_START + timedelta(hours=5), facts=came) == (s, ())
    done, _ = coaching.fire(s, "complete", now=COACH_START + 65 * MIN, role="student")
    assert done.status == "COMPLETED"


def test_coaching_without_attendance_facts_refuses_instead_of_guessing() -> None:
    s = session(coaching, COACH_START)
    # Before the miss timer is due no condition is asked, so no facts are needed.
    assert coaching.advance(s, COACH_START + 29 * MIN) == (s, ())
    with pytest.raises(MissingFact) as info:
        coaching.advance(s, COACH_START + 31 * MIN)
    error = info.value
    assert (error.fact, error.lifecycle, error.transition, error.value_id) == (
        "attended",
        "coaching",
        "miss",
        "s1",
    )
    with pytest.raises(MissingFact):
        coaching.next_due(s)
    # A host without attendance data opts into the seed's plain rule.
    plain = coaching.replace_transition("miss", timer=Timer.after_start(COACHING_MISSED_AFTER))
    assert plain.advance(s, COACH_START + 31 * MIN)[0].status == "MISSED"


def test_coaching_cancel_any_scheduled_session_and_mark_missed_by_hand() -> None:
    s = session(coaching, COACH_START)
    cancelled, _ = coaching.fire(s, "cancel", now=COACH_START - timedelta(hours=2))
    assert cancelled.status == "CANCELLED"
    assert coaching.advance(cancelled, COACH_START + timedelta(hours=1)) == (cancelled, ())
    missed, event = coaching.fire(s, "miss", now=COACH_START + 5 * MIN, reason="coach waited")
    assert (missed.status, event.timed, event.reason) == ("MISSED", False, "coach waited")
    with pytest.raises(InvalidTransition) as info:
        coaching.fire(missed, "complete", now=COACH_START + 60 * MIN)
    assert info.value.allowed == ()


# -- Marketplace (seed 001) -----------------------------------------------------------

SLOT_START = datetime(2026, 4, 20, 16, 0, tzinfo=BERLIN)


def test_marketplace_slot_is_open_for_bookings_then_runs_and_completes() -> None:
    s = session(marketplace, SLOT_START)
    assert s.status == "OPEN"
    assert s.status in marketplace.busy_statuses & marketplace.editable_statuses
    assert marketplace.next_due(s) is None  # holds expire on bookings, not on the slot
    with pytest.raises(InvalidTransition) as info:
        marketplace.fire(s, "end", now=SLOT_START)
    assert info.value.allowed == ("cancel",)  # start too, for a tutor's role
    # "Instructor starts session", "instructor ends session": the tutor, as the slot's
    # provider, or staff; a student, or no role, may not.
    for role in ("student", None):
        with pytest.raises(TransitionRefused) as refused:
            marketplace.fire(s, "start", now=SLOT_START, actor="bob", role=role)
        said = str(refused.value)
        assert said.endswith("allowed roles: admin, host, provider")
    with pytest.raises(TransitionRefused):  # a role the host made up for its tutors
        marketplace.fire(s, "start", now=SLOT_START, actor="tina", role="tutor")
    s, _ = marketplace.fire(s, "start", now=SLOT_START, actor="tina", role="provider")
    with pytest.raises(TransitionRefused):
        marketplace.fire(s, "end", now=SLOT_START + 60 * MIN, actor="bob", role="student")
    s, ended = marketplace.fire(s, "end", now=SLOT_START + 60 * MIN, actor="tina", role="host")
    assert (s.status, ended.from_status) == ("COMPLETED", "IN_PROGRESS")
    assert s.status in marketplace.usage_statuses


def test_marketplace_instructor_cancels_an_open_or_running_slot() -> None:
    s = session(marketplace, SLOT_START)
    cancelled, event = marketplace.fire(
        s, "cancel", now=SLOT_START - timedelta(hours=2), actor="tina", role="instructor"
    )
    assert (cancelled.status, event.role) == ("CANCELLED", "instructor")
    assert cancelled.status not in marketplace.busy_statuses | marketplace.usage_statuses
    running, _ = marketplace.fire(s, "start", now=SLOT_START, role="provider")
    stopped, _ = marketplace.fire(running, "cancel", now=SLOT_START + 10 * MIN)
    assert stopped.status == "CANCELLED"


# -- Entering, subjects and cancellations across the presets --------------------------


def test_academy_a_session_generated_with_a_time_enters_scheduled() -> None:
    s = attrs.evolve(session(academy, ACADEMY_START), status=academy.entry_status)
    assert (academy.initial, s.status) == ("UNSCHEDULED", "SCHEDULED")
    assert s.status in academy.busy_statuses
    assert academy.next_due(s) == ACADEMY_START - 15 * MIN  # the meeting link's READY timer


@attrs.frozen
class Hold:
    id: str
    span: TimeSpan
    created_at: datetime
    status: str = "HELD"


HOLD = Lifecycle(
    "hold",
    statuses=[
        Status("HELD", initial=True, busy=True),
        Status("CONFIRMED", terminal=True, busy=True),
        Status("EXPIRED", terminal=True),
    ],
    transitions=[
        Transition("confirm", "HELD", "CONFIRMED"),
        Transition("expire", "HELD", "EXPIRED", timer=Timer.after_start()),
    ],
)


def test_a_timer_can_be_anchored_on_when_the_value_was_made() -> None:
    quick = HOLD.replace_transition("expire", timer=Timer.after("created_at", 15 * MIN))
    booked_at = SLOT_START - timedelta(days=6)
    hold = Hold("h1", TimeSpan.from_start(SLOT_START, timedelta(hours=1)), booked_at)
    assert quick.next_due(hold) == booked_at + 15 * MIN
    assert quick.advance(hold, booked_at + 14 * MIN) == (hold, ())
    expired, events = quick.advance(hold, booked_at + timedelta(hours=1))
    assert expired.status == "EXPIRED"
    assert [(e.transition, e.at) for e in events] == [("expire", booked_at + 15 * MIN)]
    assert events[0].reason == "timed: created_at + 15 min"
    assert "EXPIRED" not in quick.cancelled_statuses  # expiry is not a cancellation


@pytest.mark.parametrize(
    ("lifecycle", "cancelled"),
    [
        (lms, {"CANCELED"}),
        (academy, {"CANCELLED"}),
        (consulting, {"CANCELLED"}),
        (consulting_payment, set()),
        (coaching, {"CANCELLED"}),
        (marketplace, {"CANCELLED"}),
    ],
)
def test_every_cancel_transition_enters_a_cancelled_status(
    lifecycle: Lifecycle, cancelled: set[str]
) -> None:
    assert lifecycle.cancelled_statuses == cancelled
    into_cancelled = {t.name for t in lifecycle.transitions if t.target in cancelled}
    # The academy's clock also cancels a circle nobody attended (``cancel_unattended``).
    extra = {"cancel_unattended"} if lifecycle is academy else set()
    assert into_cancelled == ({"cancel"} | extra if cancelled else set())
