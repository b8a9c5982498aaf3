"""Timed transitions: advance, next_due, catch-up, idempotence, conditions."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import attrs
import pytest

from sessionkit import TimeSpan
from sessionkit.errors import InvalidValue, NotADatetime
from sessionkit.lifecycle import (
    Lifecycle,
    Status,
    StatusChanged,
    Timer,
    Transition,
    TransitionContext,
    nobody_attended,
    when,
)

START = datetime(2026, 3, 2, 17, 0, tzinfo=UTC)
END = START + timedelta(hours=1)
MIN = timedelta(minutes=1)
SPAN = TimeSpan(START, END)


@attrs.frozen
class Lesson:
    id: str
    span: TimeSpan = SPAN
    status: str = "SCHEDULED"


CAME = {"attended": True}
NOBODY = {"attended": False}


# A lifecycle whose clock can walk a session all the way: READY at start - 15,
# LIVE at start, DONE at end + 10; MISSED at start + 30 if nobody came.
AUTO = Lifecycle(
    "auto",
    statuses=[
        Status("SCHEDULED", initial=True),
        Status("READY"),
        Status("LIVE"),
        Status("DONE", terminal=True),
        Status("MISSED", terminal=True),
        Status("CANCELLED", terminal=True),
    ],
    transitions=[
        Transition("ready", "SCHEDULED", "READY", timer=Timer.before_start(15 * MIN)),
        Transition("go_live", "READY", "LIVE", timer=Timer.after_start()),
        Transition("finish", "LIVE", "DONE", timer=Timer.after_end(10 * MIN)),
        Transition(
            "miss",
            "LIVE",
            "MISSED",
            timer=Timer.after_start(30 * MIN, condition=nobody_attended),
        ),
        Transition("cancel", ["SCHEDULED", "READY", "LIVE"], "CANCELLED"),
    ],
)


def test_nothing_is_due_before_the_first_timer() -> None:
    lesson = Lesson("s1")
    assert AUTO.advance(lesson, START - 16 * MIN) == (lesson, ())


def test_one_step_at_its_due_instant() -> None:
    ready, events = AUTO.advance(Lesson("s1"), START - 15 * MIN)
    assert ready.status == "READY"
    assert events == (
        StatusChanged(
            session_id="s1",
            lifecycle="auto",
            transition="ready",
            from_status="SCHEDULED",
            to_status="READY",
            at=START - 15 * MIN,
            reason="timed: start - 15 min",
            timed=True,
        ),
    )


def test_catch_up_walks_every_due_step_in_time_order() -> None:
    done, events = AUTO.advance(Lesson("s1"), END + timedelta(days=3), facts=CAME)
    assert done.status == "DONE"
    assert [(e.transition, e.at) for e in events] == [
        ("ready", START - 15 * MIN),
        ("go_live", START),
        ("finish", END + 10 * MIN),
    ]
    assert all(e.timed and e.actor is None and e.role is None for e in events)
    assert [e.from_status for e in events[1:]] == [e.to_status for e in events[:-1]]


def test_the_earliest_due_transition_wins() -> None:
    missed, events = AUTO.advance(Lesson("s1"), END + timedelta(days=3), facts=NOBODY)
    assert missed.status == "MISSED"
    assert [(e.transition, e.at) for e in events][-1] == ("miss", START + 30 * MIN)
    assert events[-1].reason == "timed: start + 30 min if nobody_attended"


def test_advance_is_idempotent() -> None:
    now = START + 5 * MIN
    once, first = AUTO.advance(Lesson("s1"), now)
    twice, second = AUTO.advance(once, now)
    assert (once.status, len(first)) == ("LIVE", 2)
    assert (twice, second) == (once, ())


def test_stepping_the_clock_gives_the_same_result_as_one_jump() -> None:
    jump, jump_events = AUTO.advance(Lesson("s1"), END + 15 * MIN, facts=CAME)
    lesson = Lesson("s1")
    stepped: list[StatusChanged] = []
    now = START - timedelta(hours=1)
    while now <= END + 15 * MIN:
        lesson, events = AUTO.advance(lesson, now, facts=CAME)
        stepped.extend(events)
        now += 7 * MIN
    lesson, events = AUTO.advance(lesson, END + 15 * MIN, facts=CAME)
    stepped.extend(events)
    assert lesson == jump
    assert tuple(stepped) == jump_events


def test_terminal_sessions_are_never_moved_by_the_clock() -> None:
    cancelled = Lesson("s1", status="CANCELLED")
    assert AUTO.advance(cancelled, END + timedelta(days=1)) == (cancelled, ())
    assert AUTO.next_due(cancelled) is None


def test_next_due_follows_the_current_status() -> None:
    assert AUTO.next_due(Lesson("s1")) == START - 15 * MIN
    assert AUTO.next_due(Lesson("s1", status="READY")) == START
    assert AUTO.next_due(Lesson("s1", status="LIVE"), facts=NOBODY) == START + 30 * MIN
    assert AUTO.next_due(Lesson("s1", status="LIVE"), facts=CAME) == END + 10 * MIN


def test_next_due_then_advance_fires() -> None:
    lesson = Lesson("s1")
    due = AUTO.next_due(lesson)
    assert due is not None
    assert AUTO.advance(lesson, due - timedelta(microseconds=1))[1] == ()
    assert len(AUTO.advance(lesson, due)[1]) >= 1


def test_next_due_is_none_without_timers() -> None:
    manual = Lifecycle(
        "manual",
        statuses=[Status("A", initial=True), Status("B", terminal=True)],
        transitions=[Transition("go", "A", "B")],
    )
    lesson = Lesson("s1", status="A")
    assert manual.next_due(lesson) is None
    assert manual.advance(lesson, END) == (lesson, ())


def test_due_times_are_elapsed_time_across_dst() -> None:
    berlin = ZoneInfo("Europe/Berlin")
    # 2026-03-29 03:05 CEST; 15 minutes earlier is 01:50 CET (the clocks jumped at 02:00).
    start = datetime(2026, 3, 29, 3, 5, tzinfo=berlin)
    lesson = Lesson("dst", span=TimeSpan.from_start(start, timedelta(hours=1)))
    due = AUTO.next_due(lesson)
    assert due == datetime(2026, 3, 29, 0, 50, tzinfo=UTC)
    assert due is not None
    assert due.astimezone(berlin).isoformat() == "2026-03-29T01:50:00+01:00"


def test_a_failing_guard_keeps_the_clock_from_firing() -> None:
    weekdays_only = when(
        lambda session, now: now.weekday() < 5, reason="weekends are off", label="weekday"
    )
    guarded = AUTO.replace_transition("ready", guards=[weekdays_only])
    saturday = Lesson("sat", span=TimeSpan(START + timedelta(days=5), END + timedelta(days=5)))
    assert guarded.next_due(saturday) is None
    assert guarded.advance(saturday, END + timedelta(days=6)) == (saturday, ())
    assert guarded.next_due(Lesson("mon")) == START - 15 * MIN


def test_guards_of_timed_steps_see_the_due_instant() -> None:
    seen: list[datetime] = []

    def record(session: object, now: datetime) -> bool:
        seen.append(now)
        return True

    spying = AUTO.replace_transition("ready", guards=[when(record, reason="", label="spy")])
    spying.advance(Lesson("s1"), END, facts=CAME)
    assert seen == [START - 15 * MIN]


def test_the_condition_is_only_for_the_clock() -> None:
    live = Lesson("s1", status="LIVE")
    assert AUTO.advance(live, START + 31 * MIN, facts=CAME) == (live, ())
    missed, event = AUTO.fire(live, "miss", now=START + 31 * MIN, actor="coach-1")
    assert (missed.status, event.timed, event.reason) == ("MISSED", False, None)


def test_replace_transition_can_change_or_drop_the_timer() -> None:
    later = AUTO.replace_transition("ready", timer=Timer.before_start(5 * MIN))
    assert later.next_due(Lesson("s1")) == START - 5 * MIN
    manual = AUTO.replace_transition("ready", timer=None)
    assert manual.next_due(Lesson("s1")) is None
    assert manual.transition("ready").timed is False


def test_a_custom_attendance_condition() -> None:
    attendance = {"s1": 3, "s2": 0}
    counted = AUTO.replace_transition(
        "miss",
        timer=Timer.after_start(30 * MIN, condition=lambda s, _context: attendance[s.id] == 0),
    )
    now = START + 31 * MIN
    assert counted.advance(Lesson("s1", status="LIVE"), now)[0].status == "LIVE"
    assert counted.advance(Lesson("s2", status="LIVE"), now)[0].status == "MISSED"


def test_timer_values() -> None:
    assert Timer.before_start(15 * MIN) == Timer("start", -15 * MIN)
    assert Timer.after_end() == Timer("end", timedelta(0))
    assert Timer.before_start(15 * MIN).due(Lesson("x")) == START - 15 * MIN
    assert Timer.after_end(timedelta(hours=2)).describe() == "end + 2 h"
    assert Timer.after_start(timedelta(days=1)).describe() == "start + 1 d"
    assert Timer.after_start(timedelta(seconds=90)).describe() == "start + 90 s"
    assert Timer.after_start().describe() == "start"
    conditional = Timer.after_start().with_condition(nobody_attended)
    assert conditional.condition is nobody_attended
    assert conditional.with_condition(None).condition is None
    context = TransitionContext(now=START, facts=NOBODY)
    assert conditional.holds(Lesson("x"), context) is True
    assert conditional.holds(Lesson("x"), attrs.evolve(context, facts=CAME)) is False


def test_timer_anchor_and_offset_are_checked() -> None:
    with pytest.raises(InvalidValue) as anchor_info:
        Timer("the middle")
    assert anchor_info.value.value == "the middle"
    assert anchor_info.value.expected == (
        "'start', 'end', a field name or a callable value -> datetime"
    )
    with pytest.raises(InvalidValue):
        Timer(15)  # type: ignore[arg-type]
    with pytest.raises(NotADatetime) as offset_info:
        Timer("start", 15)  # type: ignore[arg-type]
    assert (offset_info.value.name, offset_info.value.expected) == ("offset", "timedelta")
