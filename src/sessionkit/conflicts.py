"""Double-booking detection: which items claim the same resource at the same time.

An item (a session, a booking, a dict in a notebook: anything, read through key
functions) occupies one or more *resources* (a teacher, a room, a student: any
hashable id) over a :class:`~sessionkit.timespan.TimeSpan`. Two items conflict
when they share a resource and their spans overlap once that resource's buffer
is applied to *both* of them: with ``buffers={"room": (before, after)}`` every
span on the room is read as ``[start - before, end + after)``, so two sessions
in the room need a gap of at least ``before + after`` between them. Spans are
half-open, so back-to-back sessions do not conflict unless a buffer says so.

:func:`find_conflicts` answers "who is double-booked?" for a whole batch with a
sort-and-sweep per resource, O(n log n + k) for n items and k conflicts.
:class:`ConflictIndex` answers "what would this new span collide with?" one
query at a time, in O(log n + k), while items are added and removed.

>>> from datetime import UTC, datetime, timedelta
>>> def at(hour: int, minute: int = 0) -> TimeSpan:  # one hour from hour:minute
...     start = datetime(2026, 3, 2, hour, minute, tzinfo=UTC)
...     return TimeSpan(start, start + timedelta(hours=1))
>>> lessons = [
...     {"id": 1, "span": at(9), "who": ("ana", "room-1")},
...     {"id": 2, "span": at(10), "who": ("ana",)},               # right after 1: fine
...     {"id": 3, "span": at(9, 30), "who": ("ben", "room-1")},   # room-1 taken by 1
... ]
>>> [(c.first["id"], c.second["id"], c.resource) for c in find_conflicts(
...     lessons, span=lambda s: s["span"], resources=lambda s: s["who"])]
[(1, 3, 'room-1')]
"""

from __future__ import annotations

import heapq
from array import array
from bisect import bisect_left, bisect_right
from collections import defaultdict
from collections.abc import Callable, Collection, Hashable, Iterable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from operator import attrgetter
from typing import Any, Generic, TypeVar

import attrs

from sessionkit.errors import InvalidValue, NotADatetime, NotIndexed
from sessionkit.timespan import TimeSpan, check_buffer_pair

__all__ = ["Buffers", "Conflict", "ConflictIndex", "find_conflicts"]

T = TypeVar("T")
K = TypeVar("K", bound=Hashable)

# Keyed by Any, not Hashable: Mapping is invariant in its key type, so a
# dict[str, ...] would not be accepted as a Mapping[Hashable, ...].
Buffers = Mapping[Any, tuple[timedelta, timedelta]]
"""Per-resource padding: ``{resource: (before, after)}``; resources not listed have none."""

_ZERO = timedelta(0)
_ONE_SECOND = timedelta(seconds=1)
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


def _check_buffers(buffers: Buffers | None) -> dict[Hashable, tuple[timedelta, timedelta]]:
    """Validate a buffers mapping; keep only resources with some padding."""
    checked: dict[Hashable, tuple[timedelta, timedelta]] = {}
    if buffers is None:
        return checked
    for resource, pair in buffers.items():
        before, after = check_buffer_pair(resource, pair)
        if before or after:
            checked[resource] = (before, after)
    return checked


def _check_span(value: object) -> TimeSpan:
    if not isinstance(value, TimeSpan):
        raise NotADatetime(value, name="span", expected="TimeSpan")
    return value


def _resource_ids(value: object) -> Iterable[Hashable]:
    """Return the distinct resource ids of one item, in the order given."""
    if isinstance(value, str | bytes) or not isinstance(value, Iterable):
        raise InvalidValue(
            f"resources must be a collection of resource ids such as ('ana',), got {value!r}",
            value=value,
            expected="an iterable of hashable ids (not a bare string)",
        )
    return dict.fromkeys(value)


def find_conflicts(
    items: Iterable[T],
    *,
    span: Callable[[T], TimeSpan] = attrgetter("span"),
    resources: Callable[[T], Iterable[Hashable]] = attrgetter("resources"),
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
    pads = _check_buffers(buffers)
    seq: Sequence[T] = items if isinstance(items, Sequence) else list(items)
    lanes: defaultdict[Hashable, list[tuple[datetime, datetime, int]]] = defaultdict(list)
    span_of = span
    resources_of = resources
    # The hot loop: one pass over the input, building per-resource lists of plain
    # (start, end, position) tuples that sort with C-level comparisons.
    for position, item in enumerate(seq):
        if busy is not None and not busy(item):
            continue
        item_span = span_of(item)
        if item_span.__class__ is not TimeSpan:
            item_span = _check_span(item_span)
        entry = (item_span.start, item_span.end, position)
        ids = resources_of(item)
        if type(ids) is tuple and len(ids) == 1:
            lanes[ids[0]].append(entry)
        else:
            for resource in _resource_ids(ids):
                lanes[resource].append(entry)

    found: list[tuple[datetime, datetime, int, int, int]] = []
    for rank, (resource, lane) in enumerate(lanes.items()):
        if len(lane) < 2:
            continue
        lane.sort()
        before, after = pads.get(resource, (_ZERO, _ZERO))
        _sweep(lane, before, after, rank, found)

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


@attrs.define(slots=True)
class _Lane:
    """The entries of one (resource, length class): (start, seq, end, key) tuples in order.

    ``starts`` and ``ends`` mirror the entries' instants as POSIX seconds in
    contiguous ``array('d')`` buffers, so a binary search over a big lane reads
    neighbouring memory instead of chasing a pointer to a datetime at every
    step (floats keep microsecond order for any instant a TimeSpan can hold
    in this era). ``longest`` is in seconds too.
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
    buffer rule as :func:`find_conflicts`.

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
        self._pads = _check_buffers(buffers)
        self._items: dict[K, tuple[int, TimeSpan, tuple[Hashable, ...]]] = {}
        self._lanes: dict[Hashable, dict[int, _Lane]] = {}
        self._next_seq = 0

    def __len__(self) -> int:
        return len(self._items)

    def __contains__(self, key: object) -> bool:
        return key in self._items

    def span_of(self, key: K) -> TimeSpan:
        """Return the span indexed under ``key``; raise ``KeyError`` if there is none."""
        return self._items[key][1]

    def add(self, key: K, span: TimeSpan, resources: Iterable[Hashable]) -> None:
        """Index ``key`` as occupying ``resources`` over ``span`` (replacing any previous entry)."""
        for lane, entry in self._place(key, span, resources):
            # seq only grows, so a new entry goes after every equal start.
            start = entry[0].timestamp()
            position = bisect_right(lane.starts, start)
            lane.starts.insert(position, start)
            lane.ends.insert(position, entry[2].timestamp())
            lane.entries.insert(position, entry)

    def add_many(self, items: Iterable[tuple[K, TimeSpan, Iterable[Hashable]]]) -> None:
        """Index many ``(key, span, resources)`` triples: one sort per lane, not n inserts."""
        batch: dict[K, tuple[TimeSpan, Iterable[Hashable]]] = {}
        for key, span, resources in items:
            batch.pop(key, None)  # the last triple for a key wins, as with repeated add()
            batch[key] = (span, resources)
        # Drop replaced keys while every lane is still sorted (removal bisects).
        for key in batch:
            self.discard(key)
        touched: dict[int, _Lane] = {}
        for key, (span, resources) in batch.items():
            for lane, entry in self._place(key, span, resources):
                lane.entries.append(entry)
                touched[id(lane)] = lane
        for lane in touched.values():
            lane.entries.sort(key=_entry_order)
            lane.starts = array("d", [entry[0].timestamp() for entry in lane.entries])
            lane.ends = array("d", [entry[2].timestamp() for entry in lane.entries])

    def _place(
        self, key: K, span: TimeSpan, resources: Iterable[Hashable]
    ) -> list[tuple[_Lane, tuple[datetime, int, datetime, Any]]]:
        """Record ``key`` and return the lanes its entry belongs in (not yet inserted)."""
        span = _check_span(span)
        if type(resources) is tuple and len(resources) == 1:
            ids: tuple[Hashable, ...] = resources  # one resource: distinct already
        else:
            ids = tuple(_resource_ids(resources))
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
            seq, span, ids = self._items.pop(key)
        except KeyError:
            raise NotIndexed(key) from None
        length_class = _length_class(span.end - span.start)
        for resource in ids:
            by_class = self._lanes[resource]
            lane = by_class[length_class]
            entries = lane.entries
            position = bisect_left(lane.starts, span.start.timestamp())
            while entries[position][1] != seq:  # past other entries with the same start
                position += 1
            del entries[position]
            del lane.starts[position]
            del lane.ends[position]
            if not entries:
                del by_class[length_class]
                if not by_class:
                    del self._lanes[resource]

    def discard(self, key: K) -> None:
        """Drop ``key`` from the index if it is there."""
        if key in self._items:
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
            span = _check_span(span)
        if type(resources) is tuple and len(resources) == 1:
            ids: Iterable[Hashable] = resources
        else:
            ids = _resource_ids(resources)
        hits: list[tuple[datetime, int, Any]] = []
        lanes_hit = 0
        for resource in ids:
            by_class = self._lanes.get(resource)
            if not by_class:
                continue
            pad = self._pads.get(resource)
            if pad is None:
                low, high = span.start, span.end
            else:
                gap = pad[0] + pad[1]
                low, high = span.start - gap, span.end + gap
            low_s, high_s = low.timestamp(), high.timestamp()
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
                        start, seq, _, key = entries[position]
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


def _entry_order(entry: tuple[datetime, int, datetime, Any]) -> tuple[datetime, int]:
    return entry[0], entry[1]


def _hit_order(hit: tuple[datetime, int, Any]) -> tuple[datetime, int]:
    return hit[0], hit[1]
