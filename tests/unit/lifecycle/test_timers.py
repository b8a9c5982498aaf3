"""Timers from any instant: span ends, named fields, callables, and the errors for bad anchors."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import attrs
import pytest

from sessionkit import TimeSpan
from sessionkit.errors import NaiveDatetime, NotADatetime, NotASession
from sessionkit.lifecycle import Lifecycle, Status, Timer, Transition

START = datetime(2026, 3, 2, 17, 0, tzinfo=UTC)
MIN = timedelta(minutes=1)
LATER = TimeSpan.from_start(START + timedelta(days=20), timedelta(hours=1))


@attrs.frozen
class Hold:
    id: str
    created_at: object
    span: TimeSpan = LATER
    status: str = "HELD"


HOLDS = Lifecycle(
    "holds",
    statuses=[
        Status("HELD", initial=True, busy=True),
        Status("BOOKED", terminal=True, busy=True),
        Status("LAPSED", terminal=True),
    ],
    transitions=[
        Transition("book", "HELD", "BOOKED"),
        Transition("lapse", "HELD", "LAPSED", timer=Timer.after("created_at", 15 * MIN)),
    ],
    subject="hold",
)


def test_a_field_anchor_counts_from_that_field() -> None:
    hold = Hold("h1", START)
    assert HOLDS.next_due(hold) == START + 15 * MIN
    assert HOLDS.advance(hold, START + 14 * MIN) == (hold, ())
    lapsed, events = HOLDS.advance(hold, START + timedelta(days=1))
    assert lapsed.status == "LAPSED"
    assert [(e.transition, e.at, e.reason) for e in events] == [
        ("lapse", START + 15 * MIN, "timed: created_at + 15 min")
    ]


def test_a_field_anchor_in_another_zone_is_read_as_an_instant() -> None:
    berlin = datetime(2026, 3, 29, 1, 50, tzinfo=ZoneInfo("Europe/Berlin"))  # 00:50 UTC
    due = Timer.after("created_at", 15 * MIN).due(Hold("h1", berlin))
    assert due == datetime(2026, 3, 29, 1, 5, tzinfo=UTC)
    assert due.tzinfo is UTC


def test_a_callable_anchor_counts_from_what_it_returns() -> None:
    def booking_deadline(value: Hold) -> datetime:
        return value.span.start - timedelta(days=1)

    timer = Timer.at(booking_deadline)
    hold = Hold("h1", START)
    assert timer.due(hold) == START + timedelta(days=19)
    assert (timer.anchor_name, timer.describe(), timer.span_anchored) == (
        "booking_deadline",
        "booking_deadline",
        False,
    )
    lapsing = HOLDS.replace_transition("lapse", timer=timer)
    assert lapsing.next_due(hold) == START + timedelta(days=19)
    assert "HELD --> LAPSED: lapse at booking_deadline" in lapsing.to_mermaid()


def test_before_after_and_at_build_offsets_from_any_anchor() -> None:
    assert Timer.after("filed_at", timedelta(hours=24)) == Timer("filed_at", timedelta(hours=24))
    assert Timer.before("held_until", 5 * MIN) == Timer("held_until", -5 * MIN)
    assert Timer.at("held_until") == Timer("held_until", timedelta(0))
    assert Timer.before("held_until", 5 * MIN).describe() == "held_until - 5 min"
    assert Timer.after_start(5 * MIN) == Timer.after("start", 5 * MIN)


def test_span_anchors_are_flagged_for_storage_prefilters() -> None:
    assert Timer.before_start(15 * MIN).span_anchored is True
    assert Timer.after_end().span_anchored is True
    assert Timer.after("created_at").span_anchored is False
    assert Timer.after_end().anchor_name == "end"
    assert Timer.after("created_at").anchor_name == "created_at"


def test_a_missing_field_names_the_field_and_the_value_type() -> None:
    @attrs.frozen
    class Request:
        id: str
        status: str = "HELD"

    with pytest.raises(NotASession) as info:
        HOLDS.next_due(Request("r1"))
    assert str(info.value) == (
        "Request has no 'created_at' field for the timer at 'created_at + 15 min' to count from"
    )
    assert info.value.expected == "a 'created_at' field holding an aware datetime"
    assert isinstance(info.value.value, Request)


def test_a_span_anchor_on_a_value_without_a_span_is_refused() -> None:
    with pytest.raises(NotASession) as info:
        Timer.after_start().due(object())
    assert "object has no 'span' field" in str(info.value)


def test_a_field_that_is_not_a_datetime_is_refused() -> None:
    with pytest.raises(NotADatetime) as info:
        HOLDS.advance(Hold("h1", "2026-03-02T17:00Z"), START)
    assert (info.value.name, info.value.expected) == ("Hold.created_at", "datetime")
    assert info.value.value == "2026-03-02T17:00Z"


def test_a_naive_instant_is_refused() -> None:
    with pytest.raises(NaiveDatetime) as info:
        HOLDS.next_due(Hold("h1", datetime(2026, 3, 2, 17, 0)))
    assert info.value.name == "Hold.created_at"
    with pytest.raises(NaiveDatetime) as callable_info:
        Timer.at(lambda value: datetime(2026, 3, 2)).due(Hold("h1", START))
    assert callable_info.value.name == "<lambda>(Hold)"


def test_advance_due_prefilter_is_lifted_by_a_field_anchored_timer() -> None:
    # services.jobs bounds candidates by their start using span-anchored offsets
    # only; a hold lapsing 15 minutes after it was made may start weeks later.
    from sessionkit.lifecycle import PRESETS, LifecycleRegistry
    from sessionkit.services.jobs import _timed_reach

    statuses, smallest = _timed_reach(PRESETS)
    assert smallest == -15 * MIN  # academy's READY, 15 minutes before the start
    assert {"SCHEDULED", "ONGOING"} <= statuses
    # Of a session lifecycle: HOLDS drives holds, whose timers bound no session's start.
    assert _timed_reach(LifecycleRegistry([HOLDS])) == (frozenset(), None)
    sessions = attrs.evolve(HOLDS, subject="session")
    statuses, smallest = _timed_reach(LifecycleRegistry([sessions]))
    assert statuses == {"HELD"}
    assert smallest is not None
    assert START - smallest > START + timedelta(days=365 * 1000)


@pytest.mark.parametrize(
    ("offset", "words"),
    [
        (timedelta(milliseconds=500), "start + 0.5 s"),
        (timedelta(seconds=30, microseconds=1), "start + 30.000001 s"),
        (-timedelta(seconds=1, milliseconds=250), "start - 1.25 s"),
        (timedelta(days=1, seconds=1), "start + 86401 s"),
        (timedelta(hours=2), "start + 2 h"),
    ],
)
def test_a_timer_describes_its_offset_exactly(offset: timedelta, words: str) -> None:
    """Before, an offset was cut to whole seconds: 500 ms read "start + 0 s"."""
    assert Timer.after_start(offset).describe() == words
