"""Free time as arithmetic on sorted, merged ``(start, end)`` pairs of UTC instants.

An availability's open pairs minus the busy spans widened by the buffers
(:func:`_free_pairs`), intersections of several resources' free pairs
(:func:`_intersect`), and :func:`_delta`, the check of every duration argument
(at most a century, so that no sum of a window's instants and these leaves
what a datetime holds). Private to :mod:`sessionkit.availability.slots`, whose
public functions build on it; kept apart from them and from the slot grid
(:mod:`._slot_grid`) by the style's size limit.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from sessionkit.availability.model import Availability, merge_pairs
from sessionkit.errors import InvalidValue, NotADatetime, WrongType
from sessionkit.errors._base import shown
from sessionkit.limits import CEILING
from sessionkit.timespan import TimeSpan, check_delta

Pairs = list[tuple[datetime, datetime]]


def _delta(value: object, name: str, *, positive: bool = False) -> timedelta:
    # At most a century: every sum of a window's instants and these stays a datetime.
    return check_delta(value, name, positive=positive, maximum=CEILING)


def _busy_blocks(busy: Iterable[TimeSpan], gap: timedelta, lo: datetime, hi: datetime) -> Pairs:
    """Return the busy spans widened by ``gap`` on each side, merged, where they touch [lo, hi)."""
    given: object = busy
    if isinstance(busy, TimeSpan):
        busy = (busy,)
    elif isinstance(given, (str, bytes)) or not isinstance(given, Iterable):
        raise WrongType(given, name="busy", expected="TimeSpans (one or a list)")
    blocks: Pairs = []
    # Spans reaching far outside the window are cut to it first, so that widening
    # a span near year 1 or 9999 never leaves what a datetime holds.
    far_lo = lo - gap
    far_hi = hi + gap
    for span in busy:
        if span.__class__ is not TimeSpan and not isinstance(span, TimeSpan):
            raise NotADatetime(span, name="busy span", expected="TimeSpan")
        if span.end <= far_lo or span.start >= far_hi:
            continue
        blocks.append((max(span.start, far_lo) - gap, min(span.end, far_hi) + gap))
    return merge_pairs(blocks)


def _subtract(free: Pairs, blocks: Pairs) -> Pairs:
    """Return ``free`` minus ``blocks`` (both sorted, merged)."""
    if not blocks:
        return free
    out: Pairs = []
    first = 0
    count = len(blocks)
    for lo, hi in free:
        cursor = lo
        while first < count and blocks[first][1] <= cursor:
            first += 1
        index = first
        while index < count and cursor < hi:
            block_lo, block_hi = blocks[index]
            if block_lo >= hi:
                break
            if block_lo > cursor:
                out.append((cursor, block_lo))
            if block_hi > cursor:
                cursor = block_hi
            index += 1
        if cursor < hi:
            out.append((cursor, hi))
    return out


def _intersect(left: Pairs, right: Pairs) -> Pairs:
    """Return the intersection of two sorted, merged lists of pairs."""
    out: Pairs = []
    i = j = 0
    while i < len(left) and j < len(right):
        lo = max(left[i][0], right[j][0])
        hi = min(left[i][1], right[j][1])
        if lo < hi:
            out.append((lo, hi))
        if left[i][1] < right[j][1]:
            i += 1
        else:
            j += 1
    return out


def _free_pairs(
    availability: Availability,
    busy: Iterable[TimeSpan],
    lo: datetime,
    hi: datetime,
    before: timedelta,
    after: timedelta,
    candidates: int,
) -> Pairs:
    if not isinstance(availability, Availability):
        raise InvalidValue(
            f"availability must be an Availability, got {shown(availability)}",
            value=availability,
            expected="Availability",
        )
    available = availability._pairs(lo, hi, candidates)
    # The busy spans are read (and checked) even when nothing is available, so that a
    # wrong busy list fails on a day off as on a working day, not only on the latter.
    return _subtract(available, _busy_blocks(busy, before + after, lo, hi))
