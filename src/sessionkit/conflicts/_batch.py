"""Finding every conflict in a batch: the :class:`Conflict` pair and a sort-and-sweep per resource.

:func:`find_conflicts` sorts each resource's items by start and sweeps the
sorted lane once, so a whole batch costs O(n log n + k) for n items and k
conflicts (see :mod:`sessionkit.conflicts` for the buffer rule).
"""

from __future__ import annotations

import heapq
from collections import defaultdict
from collections.abc import Callable, Hashable, Iterable, Sequence
from datetime import UTC, datetime, timedelta
from operator import attrgetter
from typing import Generic, TypeVar

import attrs

from sessionkit.conflicts._checks import (
    Buffers,
    check_buffers,
    check_span,
    resource_ids,
    unhashable,
)
from sessionkit.errors import InvalidValue, WrongType
from sessionkit.errors._base import iterator_of, shown
from sessionkit.timespan import TimeSpan

__all__ = ["Conflict", "find_conflicts"]

T = TypeVar("T")

_ZERO = timedelta(0)
_BEFORE_ALL = datetime.min.replace(tzinfo=UTC)


@attrs.frozen(slots=True)
class Conflict(Generic[T]):
    """Two items that claim the same resource at the same time.

    ``first`` is the item that starts earlier (on a tie, the one that ends
    earlier, then the one given first). ``overlap`` is the time both claim on
    ``resource``: the intersection of the two spans *after* the resource's
    buffers are applied to both, so with a 10-minute ``after`` buffer two
    back-to-back sessions conflict with a 10-minute overlap starting where the
    second begins. Without buffers it is the plain intersection of the spans.
    """

    first: T
    second: T
    resource: Hashable
    overlap: TimeSpan


_SPAN = attrgetter("span")
_RESOURCES = attrgetter("resources")


def _no_field(item: object, position: int, field: str) -> WrongType:
    return WrongType(
        item, name=f"items[{position}]", expected=f"an item with a {field!r} (or pass {field}=)"
    )


def _padded_out_of_range(resource: Hashable, before: timedelta, after: timedelta) -> InvalidValue:
    return InvalidValue(
        f"buffers[{shown(resource)}] ({before} before, {after} after) pad a span on it past "
        "the years 1 to 9999, which no datetime holds",
        value=(before, after),
        expected="buffers that keep every padded span between 0001-01-01 and 9999-12-31",
    )


def find_conflicts(
    items: Iterable[T],
    *,
    span: Callable[[T], TimeSpan] = _SPAN,
    resources: Callable[[T], Iterable[Hashable]] = _RESOURCES,
    buffers: Buffers | None = None,
    busy: Callable[[T], bool] | None = None,
) -> list[Conflict[T]]:
    """Return every pair of items that claim a shared resource at the same time.

    ``span(item)`` gives the item's :class:`~sessionkit.timespan.TimeSpan` and
    ``resources(item)`` the ids it occupies (a tuple, list or set; a bare string
    is refused because it would be read letter by letter). ``buffers`` pads the
    spans on a resource (see the module docs). Items for which ``busy(item)`` is
    false, such as canceled sessions or expired holds, are ignored.

    Each conflicting pair is reported once per shared resource. The list is
    ordered by the overlap's start, then its end, then the positions of
    ``first`` and ``second`` in ``items``, then the order in which resources
    were first seen, so the same input always gives the same list.

    Runs a sort-and-sweep per resource: O(n log n + k) for n items and k
    conflicts. Raises :class:`~sessionkit.errors.InvalidDuration` for a
    negative buffer and :class:`~sessionkit.errors.NotADatetime` when ``span``
    returns something other than a TimeSpan.
    """
    pads = check_buffers(buffers)
    for name, getter in (("span", span), ("resources", resources)):
        if not callable(getter):
            raise WrongType(getter, name=name, expected="a function item -> value")
    if busy is not None and not callable(busy):
        raise WrongType(busy, name="busy", expected="a predicate item -> bool, or None")
    if isinstance(items, Sequence):
        seq: Sequence[T] = items
    else:
        seq = list(iterator_of(items, name="items", expected="an iterable of items"))
    lanes: defaultdict[Hashable, list[tuple[datetime, datetime, int]]] = defaultdict(list)
    span_of = span
    resources_of = resources
    # The hot loop: one pass over the input, building per-resource lists of plain
    # (start, end, position) tuples that sort with C-level comparisons.
    for position, item in enumerate(seq):
        if busy is not None and not busy(item):
            continue
        try:
            item_span = span_of(item)
        except AttributeError:
            if span_of is not _SPAN:
                raise  # the caller's own getter's error, as it is
            raise _no_field(item, position, "span") from None
        if item_span.__class__ is not TimeSpan:
            item_span = check_span(item_span)
        entry = (item_span.start, item_span.end, position)
        try:
            ids = resources_of(item)
        except AttributeError:
            if resources_of is not _RESOURCES:
                raise
            raise _no_field(item, position, "resources") from None
        if type(ids) is tuple and len(ids) == 1:
            try:
                lanes[ids[0]].append(entry)
            except TypeError:  # the one id is no key (a list): only hashing raises here
                raise unhashable(ids) from None
        else:
            for resource in resource_ids(ids):
                lanes[resource].append(entry)

    found: list[tuple[datetime, datetime, int, int, int]] = []
    for rank, (resource, lane) in enumerate(lanes.items()):
        if len(lane) < 2:
            continue
        lane.sort()
        before, after = pads.get(resource, (_ZERO, _ZERO))
        try:
            _sweep(lane, before, after, rank, found)
        except OverflowError:  # only a buffer moves an instant: past year 1 or 9999
            raise _padded_out_of_range(resource, before, after) from None

    if not found:
        return []
    found.sort()
    names = list(lanes)
    return [
        Conflict(seq[first], seq[second], names[rank], TimeSpan.unchecked(start, end))
        for start, end, first, second, rank in found
    ]


def _sweep(
    lane: list[tuple[datetime, datetime, int]],
    before: timedelta,
    after: timedelta,
    rank: int,
    found: list[tuple[datetime, datetime, int, int, int]],
) -> None:
    """Report the overlapping pairs of one resource's lane, sorted by (start, end, position).

    An item's *reach* is its end plus ``before + after``: a later item conflicts
    with an earlier one exactly when it starts before that reach. ``reach_all``
    is the largest reach so far; in the common case (nothing still running) one
    comparison settles an item and nothing is allocated. Only when items pile up
    does ``active``, a heap of (reach, position), come into being.
    """
    gap = before + after
    if gap:
        lane = [(start, end + gap, position) for start, end, position in lane]
    reach_all = _BEFORE_ALL
    last = -1
    active: list[tuple[datetime, int]] | None = None
    for start, reach, position in lane:
        if start >= reach_all:
            reach_all = reach
            last = position
            active = None
            continue
        if active is None:
            active = [(reach_all, last)]
        else:
            while active[0][0] <= start:
                heapq.heappop(active)
        # The padded overlap is [start - before, min(end_a, end_b) + after),
        # which is [start - before, min(reach_a, reach_b) - before).
        overlap_start = start - before
        for other_reach, other in active:
            overlap_end = min(reach, other_reach) - before
            found.append((overlap_start, overlap_end, other, position, rank))
        heapq.heappush(active, (reach, position))
        if reach > reach_all:
            reach_all = reach
