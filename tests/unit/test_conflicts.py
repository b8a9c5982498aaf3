from __future__ import annotations

from collections.abc import Hashable
from datetime import UTC, datetime, timedelta
from typing import TypedDict

import attrs
import pytest

from sessionkit.conflicts import Conflict, ConflictIndex, find_conflicts
from sessionkit.errors import (
    InvalidDuration,
    InvalidValue,
    NotADatetime,
    NotIndexed,
    SessionKitError,
)
from sessionkit.timespan import TimeSpan

MIN = timedelta(minutes=1)
BASE = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def span(start_min: int, end_min: int) -> TimeSpan:
    return TimeSpan(BASE + start_min * MIN, BASE + end_min * MIN)


@attrs.frozen
class Lesson:
    name: str
    span: TimeSpan
    resources: tuple[Hashable, ...]
    status: str = "scheduled"


def names(conflicts: list[Conflict[Lesson]]) -> list[tuple[str, str, Hashable]]:
    return [(c.first.name, c.second.name, c.resource) for c in conflicts]


def test_overlapping_lessons_on_one_teacher_conflict_with_their_intersection() -> None:
    a = Lesson("a", span(0, 60), ("ana",))
    b = Lesson("b", span(30, 90), ("ana",))
    [conflict] = find_conflicts([a, b])
    assert conflict == Conflict(a, b, "ana", span(30, 60))


def test_back_to_back_lessons_do_not_conflict() -> None:
    lessons = [Lesson("a", span(0, 60), ("ana",)), Lesson("b", span(60, 120), ("ana",))]
    assert find_conflicts(lessons) == []


def test_a_buffer_makes_back_to_back_lessons_conflict_and_overlap_is_the_padded_intersection() -> (
    None
):
    a = Lesson("a", span(0, 60), ("ana",))
    b = Lesson("b", span(60, 120), ("ana",))
    [conflict] = find_conflicts([a, b], buffers={"ana": (timedelta(0), 10 * MIN)})
    # a is padded to [0, 70), b to [60, 130): they share [60, 70).
    assert conflict.overlap == span(60, 70)
    assert (conflict.first, conflict.second) == (a, b)


def test_before_and_after_buffers_add_up_between_two_sessions() -> None:
    a = Lesson("a", span(0, 60), ("room",))
    b = Lesson("b", span(75, 120), ("room",))
    pads = {"room": (5 * MIN, 10 * MIN)}  # 15 minutes needed between sessions
    assert find_conflicts([a, b], buffers=pads) == []
    c = Lesson("c", span(74, 120), ("room",))
    [conflict] = find_conflicts([a, c], buffers=pads)
    assert conflict.overlap == span(69, 70)


def test_buffers_apply_only_to_their_resource() -> None:
    a = Lesson("a", span(0, 60), ("ana", "room"))
    b = Lesson("b", span(60, 120), ("ana", "room"))
    conflicts = find_conflicts([a, b], buffers={"room": (timedelta(0), 5 * MIN)})
    assert names(conflicts) == [("a", "b", "room")]


def test_a_pair_sharing_two_resources_is_reported_once_per_resource() -> None:
    a = Lesson("a", span(0, 60), ("ana", "room"))
    b = Lesson("b", span(30, 90), ("room", "ana", "ben"))
    assert names(find_conflicts([a, b])) == [("a", "b", "ana"), ("a", "b", "room")]


def test_a_resource_listed_twice_on_one_item_does_not_make_it_conflict_with_itself() -> None:
    a = Lesson("a", span(0, 60), ("ana", "ana"))
    assert find_conflicts([a]) == []


def test_busy_predicate_leaves_canceled_sessions_out() -> None:
    a = Lesson("a", span(0, 60), ("ana",))
    b = Lesson("b", span(0, 60), ("ana",), status="canceled")
    c = Lesson("c", span(30, 90), ("ana",))
    conflicts = find_conflicts([a, b, c], busy=lambda lesson: lesson.status != "canceled")
    assert names(conflicts) == [("a", "c", "ana")]


def test_first_is_the_earlier_start_then_earlier_end_then_earlier_position() -> None:
    late = Lesson("late", span(30, 90), ("ana",))
    early = Lesson("early", span(0, 60), ("ana",))
    assert names(find_conflicts([late, early])) == [("early", "late", "ana")]
    short = Lesson("short", span(0, 30), ("ben",))
    long = Lesson("long", span(0, 60), ("ben",))
    assert names(find_conflicts([long, short])) == [("short", "long", "ben")]
    x = Lesson("x", span(0, 60), ("cy",))
    y = Lesson("y", span(0, 60), ("cy",))
    assert names(find_conflicts([y, x])) == [("y", "x", "cy")]


def test_order_is_by_overlap_then_position_then_resource_first_seen() -> None:
    lessons = [
        Lesson("a", span(100, 200), ("r2",)),
        Lesson("b", span(150, 250), ("r2",)),
        Lesson("c", span(0, 60), ("r1", "r2")),
        Lesson("d", span(0, 60), ("r1", "r2")),
        Lesson("e", span(10, 20), ("r1",)),
    ]
    got = [(c.first.name, c.second.name, c.resource, c.overlap) for c in find_conflicts(lessons)]
    assert got == [
        ("c", "d", "r2", span(0, 60)),
        ("c", "d", "r1", span(0, 60)),
        ("c", "e", "r1", span(10, 20)),
        ("d", "e", "r1", span(10, 20)),
        ("a", "b", "r2", span(150, 200)),
    ]


def test_three_way_pile_up_reports_every_pair() -> None:
    lessons = [Lesson(n, span(i * 10, 100), ("ana",)) for i, n in enumerate("abc")]
    assert names(find_conflicts(lessons)) == [
        ("a", "b", "ana"),
        ("a", "c", "ana"),
        ("b", "c", "ana"),
    ]


def test_a_long_span_conflicts_with_everything_it_covers_even_after_a_gap() -> None:
    lessons = [
        Lesson("day", span(0, 600), ("ana",)),
        Lesson("m1", span(60, 120), ("ana",)),
        Lesson("m2", span(300, 360), ("ana",)),
        Lesson("after", span(600, 660), ("ana",)),
    ]
    assert names(find_conflicts(lessons)) == [("day", "m1", "ana"), ("day", "m2", "ana")]


class Row(TypedDict):
    id: int
    when: TimeSpan
    who: list[str]


def test_key_functions_read_plain_dicts_and_any_iterable_input() -> None:
    rows = (Row(id=i, when=span(i * 30, i * 30 + 45), who=["ana"]) for i in range(3))
    conflicts = find_conflicts(rows, span=lambda r: r["when"], resources=lambda r: r["who"])
    assert [(c.first["id"], c.second["id"], c.overlap) for c in conflicts] == [
        (0, 1, span(30, 45)),
        (1, 2, span(60, 75)),
    ]


def test_empty_and_single_inputs_have_no_conflicts() -> None:
    assert find_conflicts([]) == []
    assert find_conflicts([Lesson("a", span(0, 1), ("ana",))]) == []


def test_conflict_is_a_frozen_value() -> None:
    a = Lesson("a", span(0, 60), ("ana",))
    conflict = Conflict(a, a, "ana", span(0, 60))
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        conflict.resource = "ben"  # type: ignore[misc]
    assert conflict == Conflict(a, a, "ana", span(0, 60))


@pytest.mark.parametrize(
    ("buffers", "error", "fragment"),
    [
        (
            {"ana": (-MIN, timedelta(0))},
            InvalidDuration,
            "before must not be negative, got -1 minute",
        ),
        ({"ana": (timedelta(0), -MIN)}, InvalidDuration, "after must not be negative"),
        ({"ana": (5, timedelta(0))}, NotADatetime, "got int 5"),
        ({"ana": timedelta(minutes=5)}, InvalidValue, "(before, after) pair"),
    ],
)
def test_bad_buffers_raise_errors_naming_the_value(
    buffers: dict[Hashable, object], error: type[SessionKitError], fragment: str
) -> None:
    with pytest.raises(error, match="ana") as info:
        find_conflicts([], buffers=buffers)  # type: ignore[arg-type]
    assert fragment in str(info.value)


def test_negative_buffer_error_carries_the_value() -> None:
    with pytest.raises(InvalidDuration) as info:
        ConflictIndex[str](buffers={"room": (timedelta(0), -MIN)})
    assert info.value.value == -MIN
    assert isinstance(info.value, ValueError)


def test_a_span_key_returning_something_else_raises_not_a_datetime() -> None:
    with pytest.raises(NotADatetime, match="span must be a TimeSpan, got tuple") as info:
        find_conflicts([1], span=lambda _: (BASE, BASE), resources=lambda _: ("ana",))  # type: ignore[arg-type, return-value]
    assert info.value.value == (BASE, BASE)


def test_a_bare_string_of_resources_is_refused_not_read_letter_by_letter() -> None:
    lesson = Lesson("a", span(0, 60), ("ana",))
    with pytest.raises(InvalidValue, match="'ana'") as info:
        find_conflicts([lesson], resources=lambda les: les.resources[0])  # type: ignore[arg-type, return-value]
    assert info.value.value == "ana"


# ---------------------------------------------------------------- ConflictIndex


def test_index_finds_overlaps_on_shared_resources_only() -> None:
    index: ConflictIndex[str] = ConflictIndex()
    index.add("math", span(0, 60), ("ana", "room-1"))
    index.add("art", span(30, 90), ("ben", "room-2"))
    assert index.conflicts_with(span(45, 50), ("ana",)) == ["math"]
    assert index.conflicts_with(span(45, 50), ("room-2", "ana")) == ["math", "art"]
    assert index.conflicts_with(span(60, 90), ("ana",)) == []
    assert index.conflicts_with(span(45, 50), ("cy",)) == []


def test_index_results_are_unique_and_ordered_by_start_then_insertion() -> None:
    index: ConflictIndex[str] = ConflictIndex()
    index.add("late", span(30, 90), ("ana", "room"))
    index.add("early", span(0, 60), ("ana", "room"))
    index.add("early-too", span(0, 45), ("room",))
    assert index.conflicts_with(span(40, 50), ("ana", "room")) == ["early", "early-too", "late"]


def test_index_applies_buffers_to_both_spans() -> None:
    index: ConflictIndex[int] = ConflictIndex(buffers={"ana": (5 * MIN, 10 * MIN)})
    index.add(1, span(0, 60), ("ana",))
    assert index.conflicts_with(span(74, 80), ("ana",)) == [1]
    assert index.conflicts_with(span(75, 80), ("ana",)) == []
    assert index.conflicts_with(span(-30, -15), ("ana",)) == []
    assert index.conflicts_with(span(-30, -14), ("ana",)) == [1]


def test_index_remove_add_again_replaces_and_len_contains_span_of() -> None:
    index: ConflictIndex[str] = ConflictIndex()
    index.add("a", span(0, 60), ("ana",))
    index.add("b", span(100, 160), ("ana",))
    assert (len(index), "a" in index, "z" in index) == (2, True, False)
    index.add("a", span(200, 260), ("ana",))  # rescheduled
    assert len(index) == 2
    assert index.span_of("a") == span(200, 260)
    assert index.conflicts_with(span(0, 60), ("ana",)) == []
    assert index.conflicts_with(span(210, 220), ("ana",)) == ["a"]
    index.remove("b")
    assert index.conflicts_with(span(100, 160), ("ana",)) == []
    assert len(index) == 1
    with pytest.raises(NotIndexed) as missing:
        index.remove("b")
    assert missing.value.key == "b"
    assert isinstance(missing.value, KeyError)
    index.discard("b")
    index.discard("a")
    assert len(index) == 0
    assert index.conflicts_with(span(0, 1000), ("ana",)) == []


def test_index_exclude_and_busy_filter_the_answer() -> None:
    index: ConflictIndex[str] = ConflictIndex()
    for key in ("moving", "hold", "fixed"):
        index.add(key, span(0, 60), ("ana",))
    expired = {"hold"}
    got = index.conflicts_with(
        span(10, 20), ("ana",), exclude={"moving"}, busy=lambda key: key not in expired
    )
    assert got == ["fixed"]


def test_index_finds_a_long_span_among_many_short_ones() -> None:
    index: ConflictIndex[str] = ConflictIndex()
    index.add("week", TimeSpan(BASE, BASE + timedelta(days=7)), ("room",))
    for i in range(200):
        index.add(f"s{i}", span(i * 60, i * 60 + 30), ("room",))
    got = index.conflicts_with(span(6000, 6010), ("room",))
    assert got == ["week", "s100"]


def test_add_many_matches_repeated_add_and_last_triple_wins() -> None:
    one: ConflictIndex[str] = ConflictIndex()
    many: ConflictIndex[str] = ConflictIndex()
    many.add("x", span(500, 560), ("ana",))
    triples = [
        ("a", span(0, 60), ("ana",)),
        ("x", span(10, 20), ("ana",)),
        ("b", span(30, 90), ("ana", "room")),
        ("a", span(40, 45), ("room",)),
    ]
    many.add_many(triples)
    for key, when, who in triples:
        one.add(key, when, who)
    assert len(many) == len(one) == 3
    for query in (span(0, 100), span(40, 41), span(500, 560)):
        for who in (("ana",), ("room",), ("ana", "room")):
            assert many.conflicts_with(query, who) == one.conflicts_with(query, who)
    assert many.conflicts_with(span(0, 100), ("ana", "room")) == ["x", "b", "a"]


def test_index_rejects_bad_input() -> None:
    index: ConflictIndex[str] = ConflictIndex()
    with pytest.raises(NotADatetime, match="span must be a TimeSpan"):
        index.add("a", (BASE, BASE), ("ana",))  # type: ignore[arg-type]
    with pytest.raises(InvalidValue, match="'ana'"):
        index.add("a", span(0, 1), "ana")
    assert len(index) == 0


# -------------------------------------------------------------- far-future instants


def test_the_index_is_exact_where_instants_round_to_one_float() -> None:
    # Past the year 2255 a float of POSIX seconds no longer tells microseconds apart: a
    # series in the year 8000 was stored over a session it overlapped by 1 us (the memory
    # store; PostgreSQL's constraint refused it with a raw IntegrityError).
    at = datetime(8000, 1, 3, 10, tzinfo=UTC)
    micro = timedelta(microseconds=1)
    assert at.timestamp() == (at + micro).timestamp()  # the premise
    index: ConflictIndex[str] = ConflictIndex()
    index.add("later", TimeSpan(at + micro, at + timedelta(hours=1)), ("ana",))
    index.add("overlaps", TimeSpan(at - timedelta(hours=1), at + micro), ("ana",))
    index.add("touches", TimeSpan(at - timedelta(hours=2), at), ("ben",))
    hour = TimeSpan(at, at + timedelta(hours=1))
    assert index.conflicts_with(hour, ("ana",)) == ["overlaps", "later"]  # by start
    assert index.conflicts_with(hour, ("ben",)) == []  # ends where the hour starts
    assert index.conflicts_with(TimeSpan(at - micro, at), ("ben",)) == ["touches"]
    index.remove("overlaps")
    index.remove("later")
    assert index.conflicts_with(hour, ("ana",)) == []
    assert len(index) == 1


LAST = datetime.max.replace(tzinfo=UTC)
FIRST = datetime.min.replace(tzinfo=UTC)


@pytest.mark.parametrize(
    ("a", "b", "pad", "far", "reached"),
    [
        # Two sessions at the very end of time, padded past it (a bare OverflowError before).
        (
            TimeSpan(LAST - 120 * MIN, LAST - 60 * MIN),
            TimeSpan(LAST - 90 * MIN, LAST - 30 * MIN),
            (timedelta(days=2), timedelta(days=2)),
            TimeSpan(FIRST, FIRST + MIN),
            False,
        ),
        # At the very start, padded before it.
        (
            TimeSpan(FIRST + 60 * MIN, FIRST + 120 * MIN),
            TimeSpan(FIRST + 60 * MIN, FIRST + 120 * MIN),
            (timedelta(days=1), timedelta(0)),
            TimeSpan(LAST - MIN, LAST),
            False,
        ),
        # An ordinary day, with a buffer longer than the calendar: it reaches everything.
        (
            span(0, 60),
            span(30, 90),
            (timedelta.max, timedelta(0)),
            TimeSpan(FIRST, FIRST + MIN),
            True,
        ),
    ],
)
def test_buffers_past_the_years_1_to_9999_are_named_errors_in_the_batch_and_exact_in_the_index(
    a: TimeSpan, b: TimeSpan, pad: tuple[timedelta, timedelta], far: TimeSpan, reached: bool
) -> None:
    buffers = {"r": pad}
    with pytest.raises(InvalidValue, match=r"buffers\['r'\].*years 1 to 9999") as caught:
        find_conflicts([a, b], span=lambda s: s, resources=lambda s: ("r",), buffers=buffers)
    assert caught.value.value == pad
    index: ConflictIndex[str] = ConflictIndex(buffers=buffers)
    index.add("a", a, ("r",))
    index.add("other room", b, ("q",))
    assert index.conflicts_with(b, ("r",)) == ["a"]
    assert index.conflicts_with(b, ("q",)) == ["other room"]  # no buffer there
    assert index.conflicts_with(far, ("r",)) == (["a"] if reached else [])


def test_the_index_holds_a_buffer_sum_past_what_a_timedelta_holds() -> None:
    index: ConflictIndex[str] = ConflictIndex(buffers={"r": (timedelta.max, timedelta.max)})
    index.add("a", span(0, 60), ("r",))
    assert index.conflicts_with(TimeSpan(LAST - MIN, LAST), ("r",)) == ["a"]
