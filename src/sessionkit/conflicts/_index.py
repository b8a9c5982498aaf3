"""The incremental conflict index: "what would this new span collide with?", one query at a time.

:class:`ConflictIndex` keeps each resource's spans in sorted lanes, one per
length class, so items can be added and removed while each query stays
O(log n + k); it applies the same buffer rule as
:func:`~sessionkit.conflicts.find_conflicts`.
"""

from __future__ import annotations

from array import array
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Collection, Hashable, Iterable
from datetime import UTC, datetime, timedelta
from typing import Any, Generic, TypeVar

import attrs

from sessionkit.conflicts._checks import (
    Buffers,
    check_buffers,
    check_span,
    resource_ids,
    unhashable,
)
from sessionkit.errors import NotIndexed, WrongType
from sessionkit.errors._base import iterator_of
from sessionkit.timespan import TimeSpan

__all__ = ["ConflictIndex"]

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")

_ONE_SECOND = timedelta(seconds=1)
_SLACK = 1.0
"""Seconds a query's float window is widened by: far more than a float's rounding of an instant."""


@attrs.define(slots=True)
class _Lane:
    """The entries of one (resource, length class): (start, seq, end, key) tuples in order.

    ``starts`` and ``ends`` mirror the entries' instants as POSIX seconds in
    contiguous ``array('d')`` buffers, so a binary search over a big lane reads
    neighbouring memory instead of chasing a pointer to a datetime at every
    step. ``longest`` is in seconds too. Floats are a coarse guide only: past
    the year 2255 two instants a few microseconds apart are one float, so the
    entries keep their exact order by datetime, and a query widens its float
    window by :data:`_SLACK` and decides every candidate on the datetimes.
    """

    entries: list[tuple[datetime, int, datetime, Any]] = attrs.field(factory=list)
    starts: array[float] = attrs.field(factory=lambda: array("d"))
    ends: array[float] = attrs.field(factory=lambda: array("d"))
    longest: float = 0.0


def _length_class(length: timedelta) -> int:
    # Spans in one class differ in length by at most 4x, so a query that scans
    # back by the class's longest span meets at most a few spans that do not
    # overlap it, while the usual 30- to 120-minute sessions share one class
    # (each class costs a query two binary searches).
    return (length // _ONE_SECOND).bit_length() // 2


class ConflictIndex(Generic[K]):
    """An incremental index of spans on resources, for "does this collide?" queries.

    ``add(key, span, resources)`` indexes an item under a hashable ``key``
    (adding a key again replaces its span and resources, so rescheduling is one
    call), ``remove(key)`` drops it, and :meth:`conflicts_with` returns the keys
    whose spans collide with a proposed one on a shared resource, with the same
    buffer rule as :func:`~sessionkit.conflicts.find_conflicts`.

    Each resource keeps its spans in sorted lists, one per length class (lengths
    within a factor of four), so a query is one binary search per class
    plus the answers: O(log n + k) with a small constant for the handful of
    length classes a resource really has.

    >>> from datetime import UTC, datetime, timedelta
    >>> nine = datetime(2026, 3, 2, 9, tzinfo=UTC)
    >>> index = ConflictIndex(buffers={"room-1": (timedelta(0), timedelta(minutes=10))})
    >>> index.add("math", TimeSpan(nine, nine + timedelta(hours=1)), ("ana", "room-1"))
    >>> ten = nine + timedelta(hours=1)
    >>> index.conflicts_with(TimeSpan(ten, ten + timedelta(hours=1)), ("ben",))
    []
    >>> index.conflicts_with(TimeSpan(ten, ten + timedelta(hours=1)), ("room-1",))
    ['math']
    """

    __slots__ = ("_items", "_lanes", "_next_seq", "_pads")

    def __init__(self, *, buffers: Buffers | None = None) -> None:
        self._pads = check_buffers(buffers)
        self._items: dict[K, tuple[int, TimeSpan, tuple[Hashable, ...]]] = {}
        self._lanes: dict[Hashable, dict[int, _Lane]] = {}
        self._next_seq = 0

    def __len__(self) -> int:
        return len(self._items)

    def __contains__(self, key: object) -> bool:
        return _hashed(key) in self._items

    def span_of(self, key: K) -> TimeSpan:
        """Return the span indexed under ``key``; raise ``NotIndexed`` (a ``KeyError``) if none."""
        try:
            return self._items[_hashed(key)][1]
        except KeyError:
            raise NotIndexed(key) from None

    def add(self, key: K, span: TimeSpan, resources: Iterable[Hashable]) -> None:
        """Index ``key`` as occupying ``resources`` over ``span`` (replacing any previous entry).

        A refused call (``NotADatetime`` for a span that is none, ``WrongType``
        for an unhashable key or resource id) leaves the index as it was.
        """
        span, ids = _checked(key, span, resources)
        for lane, entry in self._place(key, span, ids):
            # seq only grows, so a new entry goes after every equal start; placed by the
            # datetime, exact where two instants round to one float.
            position = bisect_right(lane.entries, (entry[0], entry[1]))
            lane.starts.insert(position, entry[0].timestamp())
            lane.ends.insert(position, entry[2].timestamp())
            lane.entries.insert(position, entry)

    def add_many(self, items: Iterable[tuple[K, TimeSpan, Iterable[Hashable]]]) -> None:
        """Index many ``(key, span, resources)`` triples: one sort per lane, not n inserts.

        Every triple is checked before anything changes, so a refused call
        (as :meth:`add` refuses, or ``WrongType`` for an item that is no
        triple) leaves the index as it was.
        """
        iterator = iterator_of(items, name="items", expected="(key, span, resources) triples")
        batch: dict[K, tuple[TimeSpan, tuple[Hashable, ...]]] = {}
        for position, item in enumerate(iterator):
            try:
                key, span, resources = item
            except (TypeError, ValueError):
                raise WrongType(
                    item, name=f"items[{position}]", expected="a (key, span, resources) triple"
                ) from None
            checked = _checked(key, span, resources)
            batch.pop(key, None)  # the last triple for a key wins, as with repeated add()
            batch[key] = checked
        # Drop replaced keys while every lane is still sorted (removal bisects).
        for key in batch:
            self.discard(key)
        touched: dict[int, _Lane] = {}
        for key, (span, ids) in batch.items():
            for lane, entry in self._place(key, span, ids):
                lane.entries.append(entry)
                touched[id(lane)] = lane
        for lane in touched.values():
            lane.entries.sort(key=_entry_order)
            lane.starts = array("d", [entry[0].timestamp() for entry in lane.entries])
            lane.ends = array("d", [entry[2].timestamp() for entry in lane.entries])

    def _place(
        self, key: K, span: TimeSpan, ids: tuple[Hashable, ...]
    ) -> list[tuple[_Lane, tuple[datetime, int, datetime, Any]]]:
        """Record ``key`` (checked) and return the lanes its entry belongs in (not yet inserted)."""
        if key in self._items:
            self.remove(key)
        seq = self._next_seq
        self._next_seq = seq + 1
        self._items[key] = (seq, span, ids)
        entry = (span.start, seq, span.end, key)
        length = span.end - span.start
        return [(self._lane(resource, length), entry) for resource in ids]

    def _lane(self, resource: Hashable, length: timedelta) -> _Lane:
        by_class = self._lanes.get(resource)
        if by_class is None:
            by_class = self._lanes[resource] = {}
        length_class = _length_class(length)
        lane = by_class.get(length_class)
        if lane is None:
            lane = by_class[length_class] = _Lane()
        seconds = length.total_seconds()
        if seconds > lane.longest:
            lane.longest = seconds
        return lane

    def remove(self, key: K) -> None:
        """Drop ``key`` from the index; raise :class:`~sessionkit.errors.NotIndexed` if absent."""
        try:
            seq, span, ids = self._items.pop(_hashed(key))
        except KeyError:
            raise NotIndexed(key) from None
        length_class = _length_class(span.end - span.start)
        for resource in ids:
            by_class = self._lanes[resource]
            lane = by_class[length_class]
            entries = lane.entries
            position = bisect_left(entries, (span.start, seq))  # exact: by datetime and seq
            del entries[position]
            del lane.starts[position]
            del lane.ends[position]
            if not entries:
                del by_class[length_class]
                if not by_class:
                    del self._lanes[resource]

    def discard(self, key: K) -> None:
        """Drop ``key`` from the index if it is there."""
        if _hashed(key) in self._items:
            self.remove(key)

    def conflicts_with(
        self,
        span: TimeSpan,
        resources: Iterable[Hashable],
        *,
        exclude: Collection[K] = (),
        busy: Callable[[K], bool] | None = None,
    ) -> list[K]:
        """Return the keys that collide with ``span`` on any of ``resources``.

        Keys in ``exclude`` (say, the session being moved) and keys for which
        ``busy(key)`` is false (a hold that has since expired) are left out.
        Each key appears once, ordered by its span's start, then by when it
        was added.
        """
        if span.__class__ is not TimeSpan:
            span = check_span(span)
        if exclude.__class__ is not tuple and (
            isinstance(exclude, (str, bytes)) or not hasattr(exclude, "__contains__")
        ):
            # A text "contains" its substrings, not keys: exclude="s1" would leave out "s".
            raise WrongType(exclude, name="exclude", expected="a collection of keys (not a text)")
        if busy is not None and not callable(busy):
            raise WrongType(busy, name="busy", expected="a predicate key -> bool, or None")
        if type(resources) is tuple and len(resources) == 1:
            ids: Iterable[Hashable] = resources
        else:
            ids = resource_ids(resources)
        hits: list[tuple[datetime, int, Any]] = []
        lanes_hit = 0
        for resource in ids:
            try:
                by_class = self._lanes.get(resource)
            except TypeError:  # only the one-id tuple comes here unchecked
                raise unhashable(resources) from None
            if not by_class:
                continue
            pad = self._pads.get(resource)
            if pad is None:
                low, high = span.start, span.end
            else:
                low, high = _widened(span, *pad)
            # The float window, widened by _SLACK; each candidate is decided exactly.
            low_s, high_s = low.timestamp() - _SLACK, high.timestamp() + _SLACK
            for lane in by_class.values():
                starts = lane.starts
                # A span in this lane that starts at or before low - longest ends by low.
                position = bisect_right(starts, low_s - lane.longest)
                # Walk forward rather than bisect again for the end: the candidates
                # sit next to where the search stopped, in memory already fetched.
                count = len(starts)
                if position == count or starts[position] >= high_s:
                    continue
                lanes_hit += 1
                ends = lane.ends
                entries = lane.entries
                while position < count and starts[position] < high_s:
                    if ends[position] > low_s:
                        start, seq, end, key = entries[position]
                        if start < high and end > low:
                            hits.append((start, seq, key))
                    position += 1
        if not hits:
            return []
        if lanes_hit > 1:  # merge the lanes' runs and drop keys met on two resources
            hits = sorted({hit[1]: hit for hit in hits}.values(), key=_hit_order)
        keys: list[K] = []
        for _, _, key in hits:
            if key in exclude or (busy is not None and not busy(key)):
                continue
            keys.append(key)
        return keys


_FIRST = datetime.min.replace(tzinfo=UTC)
_LAST = datetime.max.replace(tzinfo=UTC)


def _widened(span: TimeSpan, before: timedelta, after: timedelta) -> tuple[datetime, datetime]:
    """Return ``span`` widened by ``before + after`` on each side, held to the years 1 to 9999.

    Held there, the answer stays exact: every indexed span starts before the
    last instant and ends after the first, as it does before the true bounds.
    """
    try:
        gap = before + after
    except OverflowError:  # more than a timedelta holds: far past either end
        return _FIRST, _LAST
    try:
        low = span.start - gap
    except OverflowError:
        low = _FIRST
    try:
        high = span.end + gap
    except OverflowError:
        high = _LAST
    return low, high


def _hashed(key: V) -> V:
    """Return ``key``; raise ``WrongType`` if it cannot be a key (a list, a dict)."""
    try:
        hash(key)
    except TypeError:
        raise WrongType(key, name="key", expected="a hashable key") from None
    return key


def _checked(
    key: object, span: object, resources: Iterable[Hashable]
) -> tuple[TimeSpan, tuple[Hashable, ...]]:
    """Return the span and distinct resource ids of one item, refusing what cannot be indexed."""
    span = check_span(span)
    _hashed(key)
    if type(resources) is tuple and len(resources) == 1:
        try:
            hash(resources[0])
        except TypeError:
            raise unhashable(resources) from None
        return span, resources  # one resource: distinct already
    return span, tuple(resource_ids(resources))


def _entry_order(entry: tuple[datetime, int, datetime, Any]) -> tuple[datetime, int]:
    return entry[0], entry[1]


def _hit_order(hit: tuple[datetime, int, Any]) -> tuple[datetime, int]:
    return hit[0], hit[1]
