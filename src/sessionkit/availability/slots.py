"""Free time and bookable slots: availability minus busy time, on a local step grid."""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import Any
from zoneinfo import ZoneInfo

from sessionkit.availability._wall import (
    ONE_DAY,
    ZERO,
    Run,
    day_offset,
    local_date,
    offset_runs,
)
from sessionkit.availability.model import Availability, Window, check_window, merge_pairs
from sessionkit.errors import InvalidDuration, InvalidValue, LimitExceeded, NotADatetime, WrongType
from sessionkit.errors._base import duration_text, shown
from sessionkit.limits import CEILING, Limits, check_limits
from sessionkit.timespan import TimeSpan, check_buffer_pair, check_delta
from sessionkit.zones import check_instant, get_zone

__all__ = ["common_free_slots", "common_free_time", "free_slots", "free_time"]

Pairs = list[tuple[datetime, datetime]]
Buffers = Mapping[Any, tuple[timedelta, timedelta]]
"""Per-resource ``{resource: (before, after)}`` padding, as in :mod:`sessionkit.conflicts`."""
Calendar = tuple[Availability, Iterable[TimeSpan]]
"""One resource's ``(availability, busy spans)``, for the multi-resource functions."""


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


def _buffers_of(
    resources: Mapping[Any, Calendar],
    buffers: Buffers | None,
    before: timedelta,
    after: timedelta,
) -> dict[Hashable, tuple[timedelta, timedelta]]:
    chosen: dict[Hashable, tuple[timedelta, timedelta]] = dict.fromkeys(resources, (before, after))
    if buffers is not None and not isinstance(buffers, Mapping):
        raise WrongType(buffers, name="buffers", expected="{resource: (before, after)}")
    for resource, pair in (buffers or {}).items():
        if resource not in chosen:  # a misspelt resource would leave the real one unpadded
            raise InvalidValue(
                f"buffers name {shown(resource)}, which is none of the resources "
                f"{', '.join(sorted(map(repr, resources)))}",
                value=resource,
                expected="a resource of the mapping",
            )
        chosen[resource] = check_buffer_pair(resource, pair, maximum=CEILING)
    return chosen


def _unpack(
    resources: Mapping[Any, Calendar],
) -> list[tuple[Hashable, Availability, Iterable[TimeSpan]]]:
    if not isinstance(resources, Mapping) or not resources:
        raise InvalidValue(
            "resources must map at least one resource to (availability, busy), got "
            f"{shown(resources)}",
            value=resources,
            expected="{resource: (Availability, [TimeSpan, ...])}",
        )
    unpacked: list[tuple[Hashable, Availability, Iterable[TimeSpan]]] = []
    for resource, calendar in resources.items():
        try:
            availability, busy = calendar
        except (TypeError, ValueError):
            raise InvalidValue(
                f"resources[{shown(resource)}] must be an (availability, busy) pair, got "
                f"{shown(calendar)}",
                value=calendar,
                expected="(Availability, [TimeSpan, ...])",
            ) from None
        unpacked.append((resource, availability, busy))
    return unpacked


def _common_pairs(
    calendars: list[tuple[Hashable, Availability, Iterable[TimeSpan]]],
    lo: datetime,
    hi: datetime,
    pads: Mapping[Hashable, tuple[timedelta, timedelta]],
    candidates: int,
) -> Pairs:
    common: Pairs | None = None
    for resource, availability, busy in calendars:
        before, after = pads[resource]
        if common == []:
            # Nothing is common already: the other calendars are only checked, not
            # expanded, so a wrong one fails whether or not an earlier one was free.
            _free_pairs(availability, busy, lo, lo, before, after, candidates)
            continue
        free = _free_pairs(availability, busy, lo, hi, before, after, candidates)
        common = free if common is None else _intersect(common, free)
    return common or []


def _window(window: Window, limits: Limits | None) -> tuple[datetime, datetime, Limits]:
    lo, hi = check_window(window)
    checked = check_limits(limits)
    checked.check_window(lo, hi)
    return lo, hi, checked


def free_time(
    availability: Availability,
    busy: Iterable[TimeSpan],
    *,
    window: Window,
    buffer_before: timedelta = ZERO,
    buffer_after: timedelta = ZERO,
    limits: Limits | None = None,
) -> list[TimeSpan]:
    """Return the available time in ``window`` not taken by ``busy``: merged, ascending.

    Buffers follow the rule of :func:`sessionkit.conflicts.find_conflicts`: a new
    session and every busy one are both padded by ``buffer_before`` and
    ``buffer_after``, so each busy span is widened by ``before + after`` on each
    side. A session fits exactly when it lies inside one of the returned spans.
    Pass only the spans that really block (leave out canceled sessions).
    The window may be at most ``limits.window`` long (``LimitExceeded``).
    """
    lo, hi, checked = _window(window, limits)
    before = _delta(buffer_before, "buffer_before")
    after = _delta(buffer_after, "buffer_after")
    return [
        TimeSpan.unchecked(start, end)
        for start, end in _free_pairs(availability, busy, lo, hi, before, after, checked.candidates)
    ]


def common_free_time(
    resources: Mapping[Any, Calendar],
    *,
    window: Window,
    buffers: Buffers | None = None,
    buffer_before: timedelta = ZERO,
    buffer_after: timedelta = ZERO,
    limits: Limits | None = None,
) -> list[TimeSpan]:
    """Return the time in ``window`` when every resource is free (see :func:`free_time`).

    ``resources`` maps each resource (a teacher, a room) to its
    ``(availability, busy)``; ``buffers`` gives some resources their own
    ``(before, after)`` instead of ``buffer_before`` and ``buffer_after``.
    """
    lo, hi, checked = _window(window, limits)
    calendars = _unpack(resources)
    pads = _buffers_of(
        resources,
        buffers,
        _delta(buffer_before, "buffer_before"),
        _delta(buffer_after, "buffer_after"),
    )
    return [
        TimeSpan.unchecked(start, end)
        for start, end in _common_pairs(calendars, lo, hi, pads, checked.candidates)
    ]


def free_slots(
    availability: Availability,
    busy: Iterable[TimeSpan],
    *,
    window: Window,
    duration: timedelta,
    step: timedelta | None = None,
    buffer_before: timedelta = ZERO,
    buffer_after: timedelta = ZERO,
    min_notice: timedelta = ZERO,
    horizon: timedelta | None = None,
    now: datetime | None = None,
    limits: Limits | None = None,
) -> list[TimeSpan]:
    """Return the bookable slots of ``duration`` in ``window``, ascending.

    A slot ``[start, start + duration)``:

    * lies wholly inside ``window`` and inside one span of :func:`free_time` (so
      inside available time and clear of every busy span with the buffers);
    * starts on the step grid of the availability's zone: a local wall time that
      is a whole number of ``step`` after local midnight, so with a 30-minute
      step slots start at 09:00, 09:30, ... local time on both sides of a DST
      change (a wall time the clocks skip gives no slot, one they repeat gives
      one at each moment). ``step`` defaults to ``duration`` (at most a day);
    * starts at or after ``now + min_notice`` and, with ``horizon``, before
      ``now + horizon``. Without ``now`` nothing is excluded as past; giving
      ``min_notice`` or ``horizon`` without ``now`` is an error.

    Raises :class:`~sessionkit.errors.InvalidDuration` for a duration, step or
    horizon that is not positive (or a step over a day) and for negative
    buffers or notice; :class:`~sessionkit.errors.InvalidValue` for a horizon
    not longer than the notice (no slot could start);
    :class:`~sessionkit.errors.InvalidWindow` for a window that
    ends before it starts; :class:`~sessionkit.errors.NaiveDatetime` for naive
    datetimes; :class:`~sessionkit.errors.LimitExceeded` for a window longer
    than ``limits.window`` or more than ``limits.slots`` slots (``limits``
    defaults to ``Limits()``: ten years, 10,000 slots), before building them.
    """
    lo, hi, checked = _window(window, limits)
    before = _delta(buffer_before, "buffer_before")
    after = _delta(buffer_after, "buffer_after")
    length, grid, first, stop = _slot_rules(lo, duration, step, min_notice, horizon, now)
    if not isinstance(availability, Availability):
        raise InvalidValue(
            f"availability must be an Availability, got {shown(availability)}",
            value=availability,
            expected="Availability",
        )
    free = _free_pairs(availability, busy, lo, hi, before, after, checked.candidates)
    return _on_grid(free, availability.zone, length, grid, first, stop, checked.slots)


def common_free_slots(
    resources: Mapping[Any, Calendar],
    *,
    window: Window,
    duration: timedelta,
    step: timedelta | None = None,
    buffers: Buffers | None = None,
    buffer_before: timedelta = ZERO,
    buffer_after: timedelta = ZERO,
    min_notice: timedelta = ZERO,
    horizon: timedelta | None = None,
    now: datetime | None = None,
    tz: str | tzinfo | None = None,
    limits: Limits | None = None,
) -> list[TimeSpan]:
    """Return the slots in which every resource is free (a teacher and a room, two tutors).

    ``resources`` and ``buffers`` are as in :func:`common_free_time`; the other
    arguments as in :func:`free_slots`. The step grid is in ``tz``, which
    defaults to the zone the availabilities share (giving none when they differ
    is an :class:`~sessionkit.errors.InvalidValue`).
    """
    lo, hi, checked = _window(window, limits)
    calendars = _unpack(resources)
    pads = _buffers_of(
        resources,
        buffers,
        _delta(buffer_before, "buffer_before"),
        _delta(buffer_after, "buffer_after"),
    )
    length, grid, first, stop = _slot_rules(lo, duration, step, min_notice, horizon, now)
    if tz is not None:
        zone = get_zone(tz)
    else:
        zones: dict[str | ZoneInfo, ZoneInfo] = {}
        for _, availability, _ in calendars:
            if isinstance(availability, Availability):
                # A zone read from a file (ZoneInfo.from_file) may have no name: it is its own.
                own = availability.zone
                zones.setdefault(own if own.key is None else own.key, own)
        if len(zones) > 1:
            names = sorted(map(str, zones))
            raise InvalidValue(
                f"the availabilities are in different zones ({', '.join(names)}); "
                "pass tz= to say whose local clock the slot grid follows",
                value=names,
                expected="tz=<IANA zone>",
            )
        zone = next(iter(zones.values())) if zones else get_zone("UTC")
    free = _common_pairs(calendars, lo, hi, pads, checked.candidates)
    return _on_grid(free, zone, length, grid, first, stop, checked.slots)


def _slot_rules(
    lo: datetime,
    duration: object,
    step: object,
    min_notice: object,
    horizon: object,
    now: datetime | None,
) -> tuple[timedelta, timedelta, datetime, datetime | None]:
    """Validate the slot arguments; return (duration, step, earliest start, start limit)."""
    length = _delta(duration, "duration", positive=True)
    grid = min(length, ONE_DAY) if step is None else _delta(step, "step", positive=True)
    if grid > ONE_DAY:
        raise InvalidDuration(
            "step must be at most one day (the grid restarts at local midnight), got "
            f"{duration_text(grid)}",
            value=grid,
            expected="0 < step <= 1 day",
        )
    notice = _delta(min_notice, "min_notice")
    ahead = None if horizon is None else _delta(horizon, "horizon", positive=True)
    if ahead is not None and ahead <= notice:
        # Starts lie in [now + min_notice, now + horizon): none would be left.
        raise InvalidValue(
            f"horizon {duration_text(ahead)} is not longer than min_notice {duration_text(notice)},"
            " so no slot could start;"
            " starts lie from now + min_notice up to (not at) now + horizon",
            value=(min_notice, horizon),
            expected="min_notice < horizon (or horizon=None for no limit)",
        )
    if now is None:
        if notice or ahead is not None:
            raise InvalidValue(
                "min_notice and horizon are measured from now; pass now=<aware datetime>",
                value=(min_notice, horizon),
                expected="now",
            )
        return length, grid, lo, None
    moment = check_instant(now, "now")
    earliest = max(lo, moment + notice)
    return length, grid, earliest, None if ahead is None else moment + ahead


def _on_grid(
    free: Pairs,
    zone: ZoneInfo,
    duration: timedelta,
    step: timedelta,
    earliest: datetime,
    stop: datetime | None,
    most: int,
) -> list[TimeSpan]:
    """Return the slots of ``duration`` on the local ``step`` grid inside the ``free`` pairs.

    Raises ``LimitExceeded`` before building more than ``most`` slots.
    """
    slots: list[TimeSpan] = []
    append = slots.append
    unchecked = TimeSpan.unchecked
    days: dict[date, tuple[Run, ...]] = {}

    def runs_of(day: date) -> tuple[Run, ...]:
        runs = days.get(day)
        if runs is None:
            runs = days[day] = _day_runs(zone, day)
        return runs

    unsorted = False
    for free_lo, free_hi in free:
        first = max(free_lo, earliest)
        last = free_hi - duration  # the latest start, inclusive
        if stop is not None and stop <= last:
            last = stop - _TICK
        if last < first:
            continue
        day = local_date(zone, first)
        final_day = local_date(zone, last)
        # Where the clocks go back across midnight, local dates run backwards for a
        # while: an instant after ``first`` may belong to the day before (only when
        # the first day's midnight comes twice), one before ``last`` to the day after
        # (only when the last day's next midnight does). A regular day is one run.
        if len(runs_of(day)) > 1:
            day -= ONE_DAY
        if len(runs_of(final_day)) > 1:
            final_day += ONE_DAY
        while day <= final_day:
            runs = runs_of(day)
            if len(runs) > 1:  # such a day, at either end or inside the span, reorders
                unsorted = True
            midnight = datetime.combine(day, _MIDNIGHT).replace(tzinfo=UTC)
            for run_lo, run_hi, offset in runs:
                # In a run the wall time of instant t is t + offset, so the grid
                # instants are midnight - offset + k * step for the k whose wall
                # time lies in the day and whose instant lies in the run and in
                # [first, last]. A skipped wall time is in no run, a repeated one
                # in two.
                base = midnight - offset
                lo = max(first, run_lo, base)
                hi = min(last, run_hi - _TICK, base + ONE_DAY - _TICK)
                if hi < lo:
                    continue
                k_first = -((base - lo) // step)
                k_last = (hi - base) // step
                if k_last < k_first:
                    continue
                if len(slots) + k_last - k_first + 1 > most:
                    raise LimitExceeded(
                        "slots",
                        len(slots) + k_last - k_first + 1,
                        most,
                        what=f"slots of {duration_text(duration)} every {duration_text(step)}"
                        " (counted so far)",
                    )
                start = base + k_first * step
                for _ in range(k_first, k_last + 1):
                    append(unchecked(start, start + duration))
                    start += step
            day += ONE_DAY
    if unsorted:  # a day visited before the one after it can hold later instants
        slots.sort(key=_slot_start)
    return slots


_TICK = timedelta(microseconds=1)
_MIDNIGHT = time(0)


def _slot_start(slot: TimeSpan) -> datetime:
    return slot.start


def _day_runs(zone: ZoneInfo, day: date) -> tuple[Run, ...]:
    """Return the UTC stretches of one offset of a local day: one on a regular day."""
    offset = day_offset(zone, day)
    if offset is not None:
        start = (datetime.combine(day, _MIDNIGHT) - offset).replace(tzinfo=UTC)
        return ((start, start + ONE_DAY, offset),)
    return offset_runs(zone, day)
