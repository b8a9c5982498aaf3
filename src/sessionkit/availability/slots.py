"""Free time and bookable slots: availability minus busy time, on a local step grid.

This module keeps the public functions (:func:`free_time`, :func:`free_slots`
and their several-resource forms), the types of their arguments, and the
reading of the several-resource arguments. The rest is kept in private modules
beside it: the arithmetic of free time on sorted pairs (``_free_time``) and
the local step grid that slots start on (``_slot_grid``).
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping
from datetime import datetime, timedelta, tzinfo
from typing import Any
from zoneinfo import ZoneInfo

from sessionkit.availability._free_time import Pairs as Pairs  # a name of this module before
from sessionkit.availability._free_time import _delta, _free_pairs, _intersect
from sessionkit.availability._slot_grid import _on_grid, _slot_rules
from sessionkit.availability._wall import ZERO
from sessionkit.availability.model import Availability, Window, check_window
from sessionkit.errors import InvalidValue, WrongType
from sessionkit.errors._base import shown
from sessionkit.limits import CEILING, Limits, check_limits
from sessionkit.timespan import TimeSpan, check_buffer_pair
from sessionkit.zones import get_zone

__all__ = ["common_free_slots", "common_free_time", "free_slots", "free_time"]

Buffers = Mapping[Any, tuple[timedelta, timedelta]]
"""Per-resource ``{resource: (before, after)}`` padding, as in :mod:`sessionkit.conflicts`."""
Calendar = tuple[Availability, Iterable[TimeSpan]]
"""One resource's ``(availability, busy spans)``, for the multi-resource functions."""


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
    * starts at or after ``now + min_notice`` and, with ``horizon``, at or
      before ``now + horizon`` (as ``BookingRules.max_horizon`` allows a
      booking). Without ``now`` nothing is excluded as past; giving
      ``min_notice`` or ``horizon`` without ``now`` is an error.

    Raises :class:`~sessionkit.errors.InvalidDuration` for a duration, step or
    horizon that is not positive (or a step over a day) and for negative
    buffers or notice; :class:`~sessionkit.errors.InvalidValue` for a horizon
    shorter than the notice (no slot could start);
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
