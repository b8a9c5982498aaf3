"""TimeSpan: an aware, half-open ``[start, end)`` interval of real time, stored in UTC.

>>> from datetime import datetime, timedelta
>>> from zoneinfo import ZoneInfo
>>> berlin = ZoneInfo("Europe/Berlin")
>>> a = TimeSpan(
...     datetime(2026, 3, 2, 18, 0, tzinfo=berlin), datetime(2026, 3, 2, 19, 30, tzinfo=berlin)
... )
>>> a
TimeSpan(2026-03-02T17:00:00+00:00, 2026-03-02T18:30:00+00:00)
>>> a.duration
datetime.timedelta(seconds=5400)
>>> b = a.shift(timedelta(minutes=90))            # starts when a ends
>>> a.overlaps(b), a.padded(after=timedelta(minutes=10)).overlaps(b)
(False, True)
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, tzinfo
from typing import cast

import attrs

from sessionkit.errors import InvalidDuration, InvalidTimeSpan, InvalidValue, NotADatetime
from sessionkit.errors._base import duration_text, shown
from sessionkit.zones import check_aware, get_zone, to_zone

__all__ = ["TimeSpan", "check_buffer_pair", "check_delta"]

_ZERO = timedelta(0)


def _start_to_utc(value: datetime) -> datetime:
    return check_aware(value, "start").astimezone(UTC)


def _end_to_utc(value: datetime) -> datetime:
    return check_aware(value, "end").astimezone(UTC)


def check_delta(
    value: object,
    name: str,
    *,
    allow_negative: bool = False,
    positive: bool = False,
    maximum: timedelta | None = None,
) -> timedelta:
    """Return ``value`` if it is a timedelta in range, else raise an error naming ``name``.

    By default it must not be negative (a buffer); ``positive=True`` also
    refuses zero (a duration or step); ``allow_negative=True`` accepts any.
    With ``maximum``, a longer one (either sign) is refused too.
    """
    if not isinstance(value, timedelta):
        raise NotADatetime(value, name=name, expected="timedelta")
    if positive and value <= _ZERO:
        raise InvalidDuration(
            f"{name} must be positive, got {duration_text(value)}", value=value, expected="> 0"
        )
    if not allow_negative and value < _ZERO:
        raise InvalidDuration(
            f"{name} must not be negative, got {duration_text(value)}",
            value=value,
            expected=">= 0",
        )
    if maximum is not None and abs(value) > maximum:
        raise InvalidDuration(
            f"{name} must be at most {duration_text(maximum)} long, got {duration_text(value)}",
            value=value,
            expected=f"<= {duration_text(maximum)}",
        )
    return value


def _moved(value: datetime, delta: timedelta, name: str, *, back: bool = False) -> datetime:
    """Return ``value + delta`` (``- delta`` if ``back``); ``InvalidValue`` past year 1 or 9999."""
    try:
        return value - delta if back else value + delta
    except OverflowError:
        raise InvalidValue(
            f"{name}: {value.isoformat()} moved by {duration_text(delta)} is outside the years 1 "
            "to 9999",
            value=delta,
            expected="a result between 0001-01-01 and 9999-12-31",
        ) from None


def _not_a_span(value: object) -> NotADatetime:
    return NotADatetime(value, name="other", expected="TimeSpan")


def check_buffer_pair(
    resource: object, pair: object, *, maximum: timedelta | None = None
) -> tuple[timedelta, timedelta]:
    """Validate one ``buffers`` entry: a ``(before, after)`` pair of non-negative timedeltas."""
    try:
        before, after = cast("tuple[object, object]", pair)  # unpacking is the check
    except (TypeError, ValueError):
        raise InvalidValue(
            f"buffers[{shown(resource)}] must be a (before, after) pair of timedeltas, got "
            f"{shown(pair)}",
            value=pair,
            expected="(timedelta, timedelta)",
        ) from None
    return (
        check_delta(before, f"buffers[{shown(resource)}] before", maximum=maximum),
        check_delta(after, f"buffers[{shown(resource)}] after", maximum=maximum),
    )


@attrs.frozen(slots=True, repr=False, order=True, eq=True, hash=True)
class TimeSpan:
    """An immutable half-open interval ``[start, end)`` between two aware instants.

    Both ends are converted to UTC; ``end`` must be strictly after ``start``.
    Spans that merely touch (one ends when the other starts) do not overlap.
    Spans order by ``(start, end)`` and are hashable, so they sort and go in sets.
    """

    start: datetime = attrs.field(converter=_start_to_utc)
    end: datetime = attrs.field(converter=_end_to_utc)

    def __attrs_post_init__(self) -> None:
        if self.end <= self.start:
            raise InvalidTimeSpan(self.start, self.end)

    @classmethod
    def from_start(cls, start: datetime, duration: timedelta) -> TimeSpan:
        """Return the span that begins at ``start`` and lasts ``duration`` of elapsed time."""
        check_delta(duration, "duration", allow_negative=True)
        begin = _start_to_utc(start)
        return cls(begin, _moved(begin, duration, "duration"))

    @classmethod
    def unchecked(cls, start: datetime, end: datetime) -> TimeSpan:
        """Build a span without converting or checking its ends, for hot loops.

        The caller's obligations, which nothing verifies: ``start`` and ``end``
        are aware datetimes whose ``tzinfo`` is :data:`datetime.UTC` (the very
        object, as the normal constructor stores them), and ``start < end``.
        Break them and comparisons, hashing and ``overlaps`` silently give wrong
        answers. Use it only for ends derived from spans already built (their
        ``start`` / ``end`` plus or minus a timedelta, or the bounds of an
        intersection); otherwise call ``TimeSpan(start, end)``.
        """
        span = _new(cls)
        _set(span, "start", start)
        _set(span, "end", end)
        return span

    @property
    def duration(self) -> timedelta:
        """Elapsed time between start and end."""
        return self.end - self.start

    def overlaps(self, other: TimeSpan) -> bool:
        """Return whether the spans share any instant (touching spans do not)."""
        try:
            return self.start < other.end and other.start < self.end
        except (AttributeError, TypeError):
            raise _not_a_span(other) from None

    def contains(self, item: datetime | TimeSpan) -> bool:
        """Return whether an instant lies in ``[start, end)`` or a span lies wholly inside."""
        if isinstance(item, TimeSpan):
            return self.start <= item.start and item.end <= self.end
        instant = check_aware(item, "instant")
        return self.start <= instant < self.end

    def intersection(self, other: TimeSpan) -> TimeSpan | None:
        """Return the common part of the two spans, or ``None`` if they do not overlap."""
        try:
            start = max(self.start, other.start)
            end = min(self.end, other.end)
        except (AttributeError, TypeError):
            raise _not_a_span(other) from None
        if end <= start:
            return None
        return TimeSpan.unchecked(start, end)

    def gap(self, other: TimeSpan) -> TimeSpan | None:
        """Return the span strictly between the two, or ``None`` if they overlap or touch."""
        try:
            if self.end < other.start:
                return TimeSpan.unchecked(self.end, other.start)
            if other.end < self.start:
                return TimeSpan.unchecked(other.end, self.start)
        except (AttributeError, TypeError):
            raise _not_a_span(other) from None
        return None

    def shift(self, delta: timedelta) -> TimeSpan:
        """Return the span moved by ``delta`` (positive is later)."""
        check_delta(delta, "delta", allow_negative=True)
        return TimeSpan.unchecked(
            _moved(self.start, delta, "delta"), _moved(self.end, delta, "delta")
        )

    def padded(self, *, before: timedelta = _ZERO, after: timedelta = _ZERO) -> TimeSpan:
        """Return the span widened by a buffer before its start and after its end.

        Buffers must not be negative (:class:`~sessionkit.errors.InvalidDuration`).
        """
        check_delta(before, "before")
        check_delta(after, "after")
        return TimeSpan.unchecked(
            _moved(self.start, before, "before", back=True), _moved(self.end, after, "after")
        )

    def in_zone(self, tz: str | tzinfo) -> tuple[datetime, datetime]:
        """Return ``(start, end)`` as aware datetimes in ``tz``, for display."""
        zone = get_zone(tz)
        return to_zone(self.start, zone, "start"), to_zone(self.end, zone, "end")

    def isoformat(self) -> str:
        """Return the ISO 8601 interval ``start/end`` in UTC."""
        return f"{self.start.isoformat()}/{self.end.isoformat()}"

    def __repr__(self) -> str:
        return f"TimeSpan({self.start.isoformat()}, {self.end.isoformat()})"


_new = object.__new__
_set = object.__setattr__
