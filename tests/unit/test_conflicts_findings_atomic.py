"""A refused ConflictIndex call leaves the index as it was; wrong types are sessionkit errors.

Found by a helper pass: ``add_many`` dropped the keys it replaced and appended
entries before it had checked every triple, and ``add`` dropped a key's entry
before it looked its resources up, so a bad triple or an unhashable resource
id left a ghost key that never conflicted and could not be removed (a bare
``IndexError``/``TypeError``), and lost the entry it was to replace.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import attrs
import pytest

from sessionkit import Availability, ConflictIndex, Recurrence, TimeSpan, find_conflicts
from sessionkit.errors import NotADatetime, SessionKitError, WrongType

NINE = datetime(2026, 3, 2, 9, tzinfo=UTC)
H = timedelta(hours=1)
MATH = TimeSpan(NINE, NINE + H)
ART = TimeSpan(NINE + 2 * H, NINE + 3 * H)
UNHASHABLE: Any = [1]


def indexed() -> ConflictIndex[Any]:
    index: ConflictIndex[Any] = ConflictIndex()
    index.add("math", MATH, ("ana",))
    index.add("art", ART, ("ana",))
    return index


def assert_unchanged(index: ConflictIndex[Any]) -> None:
    assert len(index) == 2
    assert index.span_of("math") == MATH
    assert index.span_of("art") == ART
    assert index.conflicts_with(MATH, ("ana",)) == ["math"]
    assert index.conflicts_with(ART, ("ana",)) == ["art"]
    index.remove("math")
    index.remove("art")
    assert len(index) == 0
    assert index.conflicts_with(TimeSpan(NINE, NINE + 4 * H), ("ana",)) == []


REFUSED: dict[str, Callable[[ConflictIndex[Any]], None]] = {
    "add_many, a bad span after a good triple": lambda i: i.add_many(
        [("math", ART, ("ana",)), ("bad", (NINE, NINE), ("ana",))]  # type: ignore[list-item]
    ),
    "add_many, a pair": lambda i: i.add_many([("art", MATH, ("ana",)), ("k", MATH)]),  # type: ignore[list-item]
    "add_many, an unhashable resource": lambda i: i.add_many([("art", MATH, (UNHASHABLE,))]),
    "add_many, an unhashable key": lambda i: i.add_many([(["k"], MATH, ("ana",))]),
    "add_many, None": lambda i: i.add_many(None),  # type: ignore[arg-type]
    "add, an unhashable resource": lambda i: i.add("math", ART, (UNHASHABLE,)),
    "add, an unhashable resource among two": lambda i: i.add("math", ART, ("ben", UNHASHABLE)),
    "add, an unhashable key": lambda i: i.add(["math"], ART, ("ana",)),
    "add, a bad span": lambda i: i.add("math", "9 to 10", ("ana",)),  # type: ignore[arg-type]
}


@pytest.mark.parametrize("call", REFUSED.values(), ids=REFUSED.keys())
def test_a_refused_call_leaves_the_index_unchanged(
    call: Callable[[ConflictIndex[Any]], None],
) -> None:
    index = indexed()
    with pytest.raises(SessionKitError) as info:
        call(index)
    assert isinstance(info.value, TypeError)  # every one of these is a wrong type
    assert_unchanged(index)


def test_an_unhashable_resource_asked_about_is_a_wrong_type() -> None:
    index = indexed()
    with pytest.raises(WrongType) as info:
        index.conflicts_with(MATH, (UNHASHABLE,))
    assert info.value.name == "resources"
    assert_unchanged(index)


WRONG: dict[str, tuple[Callable[[], object], str]] = {
    "find_conflicts(None)": (lambda: find_conflicts(None), "items"),  # type: ignore[arg-type]
    "find_conflicts([1])": (lambda: find_conflicts([1]), "items[0]"),
    "an unhashable resource id": (
        lambda: find_conflicts(
            [(MATH, (UNHASHABLE,))], span=lambda i: i[0], resources=lambda i: i[1]
        ),
        "resources",
    ),
    "span.overlaps(None)": (lambda: MATH.overlaps(None), "other"),  # type: ignore[arg-type]
    "span.intersection('x')": (lambda: MATH.intersection("x"), "other"),  # type: ignore[arg-type]
    "span.gap(5)": (lambda: MATH.gap(5), "other"),  # type: ignore[arg-type]
    "from_recurrences(5)": (
        lambda: Availability.from_recurrences(5, tz="UTC"),  # type: ignore[arg-type]
        "recurrences",
    ),
    "from_recurrences([5])": (
        lambda: Availability.from_recurrences([5], tz="UTC"),  # type: ignore[list-item]
        "recurrences[0]",
    ),
    "Recurrence.from_ical_lines(None)": (
        lambda: Recurrence.from_ical_lines(None),  # type: ignore[arg-type]
        "lines",
    ),
}


@pytest.mark.parametrize("case", WRONG.values(), ids=WRONG.keys())
def test_wrong_types_are_named_sessionkit_errors(case: tuple[Callable[[], object], str]) -> None:
    call, name = case
    with pytest.raises(WrongType) as info:
        call()
    assert info.value.name == name


def test_a_span_getter_that_raises_is_not_renamed() -> None:
    """Only the default ``item.span`` lookup is reported as the item's; a user's getter's own
    errors pass through as they are."""

    def broken(item: object) -> TimeSpan:
        raise AttributeError("my own bug")

    with pytest.raises(AttributeError, match="my own bug"):
        find_conflicts([1], span=broken)


def test_a_span_refused_by_check_span_is_still_not_a_datetime() -> None:
    with pytest.raises(NotADatetime):
        find_conflicts([1], span=lambda i: i, resources=lambda i: ("a",))  # type: ignore[arg-type, return-value]


class Legacy:
    """Iterable by the old ``__getitem__`` protocol only, as ``for`` and ``list()`` accept."""

    def __init__(self, *values: object) -> None:
        self._values = values

    def __getitem__(self, position: int) -> object:
        return self._values[position]


@attrs.frozen
class Item:
    span: TimeSpan
    resources: tuple[str, ...] = ("ana",)


def test_iterables_by_getitem_are_still_taken() -> None:
    """The wrong-type checks ask ``iter()``, not ``isinstance(..., Iterable)``."""
    legacy: Any = Legacy(Item(MATH), Item(MATH))
    assert len(find_conflicts(legacy)) == 1
    index: ConflictIndex[Any] = ConflictIndex()
    index.add_many(Legacy(("k", MATH, ("ana",))))  # type: ignore[arg-type]
    assert index.conflicts_with(MATH, ("ana",)) == ["k"]
    rule = Recurrence.from_rrule("FREQ=DAILY;COUNT=2", start=NINE, tz="UTC", duration=H)
    assert Availability.from_recurrences(Legacy(rule), tz="UTC").recurrences == (rule,)  # type: ignore[arg-type]
    assert Recurrence.from_ical_lines(Legacy(*rule.to_ical_lines())) == rule  # type: ignore[arg-type]


KEYED: dict[str, Callable[[ConflictIndex[Any]], object]] = {
    "remove": lambda i: i.remove(UNHASHABLE),
    "discard": lambda i: i.discard(UNHASHABLE),
    "span_of": lambda i: i.span_of(UNHASHABLE),
    "in": lambda i: UNHASHABLE in i,
    "conflicts_with(exclude=None)": lambda i: i.conflicts_with(MATH, ("ana",), exclude=None),  # type: ignore[arg-type]
    "conflicts_with(busy=5)": lambda i: i.conflicts_with(MATH, ("ana",), busy=5),  # type: ignore[arg-type]
}


@pytest.mark.parametrize("call", KEYED.values(), ids=KEYED.keys())
def test_wrong_keys_and_options_of_the_index_are_named(
    call: Callable[[ConflictIndex[Any]], object],
) -> None:
    index = indexed()
    with pytest.raises(WrongType):
        call(index)
    assert_unchanged(index)


def test_find_conflicts_names_a_busy_that_is_no_predicate() -> None:
    with pytest.raises(WrongType) as info:
        find_conflicts([Item(MATH), Item(MATH)], busy=5)  # type: ignore[arg-type]
    assert info.value.name == "busy"
