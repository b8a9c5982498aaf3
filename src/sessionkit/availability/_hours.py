"""Wall-clock hours as an availability holds them: weekday codes, checked times and dates.

:data:`WEEKDAY_CODES` (the RFC 5545 codes, Monday first), :data:`Hours` (one
day's wall-clock intervals as offsets from local midnight, sorted and merged),
and the checks that turn what a caller gives (``time`` pairs, a ``date``, a
weekday code) into them, raising :class:`~sessionkit.errors.InvalidAvailability`
or :class:`~sessionkit.errors.NotADatetime` naming the bad value.

Private to :mod:`sessionkit.availability.model`, which exports its names.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, time, timedelta

from sessionkit.availability._wall import ONE_DAY, ZERO
from sessionkit.errors import InvalidAvailability, NotADatetime
from sessionkit.errors._base import shown

__all__ = ["WEEKDAY_CODES", "Hours"]

WEEKDAY_CODES: tuple[str, ...] = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
"""The RFC 5545 weekday codes, Monday first (the keys of :meth:`Availability.weekly`)."""

Hours = tuple[tuple[timedelta, timedelta], ...]
"""Wall-clock intervals of one day as offsets from local midnight, sorted and merged."""


def _check_date(value: object, name: str) -> date:
    if not isinstance(value, date) or isinstance(value, datetime):
        raise NotADatetime(value, name=name, expected="date")
    return value


def _wall(value: object, name: str) -> timedelta:
    if not isinstance(value, time):
        raise NotADatetime(value, name=name, expected="time")
    if value.tzinfo is not None:
        raise InvalidAvailability(
            f"{name} {value.isoformat()} is a local wall time; "
            "give the zone as tz, not on the time",
            value=value,
            expected="a naive time",
        )
    return timedelta(
        hours=value.hour, minutes=value.minute, seconds=value.second, microseconds=value.microsecond
    )


def _hours(pairs: object, where: str) -> Hours:
    """Validate ``[(start, end), ...]`` wall times and return them merged, as offsets."""
    if isinstance(pairs, str | bytes) or not isinstance(pairs, Iterable):
        raise InvalidAvailability(
            f"hours for {where} must be a list of (start, end) times, got {shown(pairs)}",
            value=pairs,
            expected="[(time, time), ...]",
        )
    spans: list[tuple[timedelta, timedelta]] = []
    for pair in pairs:
        try:
            start, end = pair
        except (TypeError, ValueError):
            raise InvalidAvailability(
                f"hours for {where} must be (start, end) pairs of times, got {shown(pair)}",
                value=pair,
                expected="(time, time)",
            ) from None
        lo = _wall(start, f"start of {where} hours")
        hi = _wall(end, f"end of {where} hours")
        if hi == ZERO:
            hi = ONE_DAY  # an end of 00:00 means midnight at the end of the day
        if hi <= lo:
            how = "end when they start" if hi == lo else "end before they start"
            raise InvalidAvailability(
                f"hours for {where} {how}: {start.isoformat()}-{end.isoformat()}"
                " (an end of time(0) means midnight at the end of the day)",
                value=pair,
                expected="start < end",
            )
        spans.append((lo, hi))
    return _merge_walls(spans)


def _merge_walls(spans: Iterable[tuple[timedelta, timedelta]]) -> Hours:
    merged: list[tuple[timedelta, timedelta]] = []
    for lo, hi in sorted(spans):
        if merged and lo <= merged[-1][1]:
            if hi > merged[-1][1]:
                merged[-1] = (merged[-1][0], hi)
        else:
            merged.append((lo, hi))
    return tuple(merged)


def _weekday_index(code: object) -> int:
    key = code.upper() if isinstance(code, str) else code
    if key not in WEEKDAY_CODES:
        raise InvalidAvailability(
            f"unknown weekday {shown(code)}; expected one of {', '.join(WEEKDAY_CODES)}",
            value=code,
            expected=" | ".join(WEEKDAY_CODES),
        )
    return WEEKDAY_CODES.index(key)
