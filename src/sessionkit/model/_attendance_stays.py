"""Stays in the meeting: what presence adds up to, the time it covers, and how it is judged.

Private to :mod:`sessionkit.model.attendance`, which exports its names under
its own name (their ``__module__``), so they show and pickle as before.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

import attrs

from sessionkit.errors import InvalidValue, WrongType
from sessionkit.errors._base import instances_of, shown, shown_duration
from sessionkit.model._attendance_reports import ABSENT, LATE, LEFT_EARLY, PARTIAL, PRESENT
from sessionkit.model._presence_events import JOIN, Presence
from sessionkit.timespan import TimeSpan
from sessionkit.zones import check_instant

__all__ = [
    "AttendanceThresholds",
    "Interval",
    "attended_within",
    "connections_of",
    "intervals_of",
]


def _delta(value: object, name: str) -> timedelta:
    """The threshold ``name``: a timedelta of at least zero."""
    if not isinstance(value, timedelta) or value < timedelta(0):
        raise InvalidValue(
            f"AttendanceThresholds.{name} must be a timedelta >= 0, got {shown_duration(value)}",
            value=value,
            expected="a timedelta >= 0",
        )
    return value


def _late_after(value: object) -> timedelta:
    return _delta(value, "late_after")


def _left_early_before(value: object) -> timedelta:
    return _delta(value, "left_early_before")


def _absent_below(value: object) -> timedelta:
    return _delta(value, "absent_below")


def _fraction(value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 1:
        raise InvalidValue(
            f"AttendanceThresholds.partial_below must be a fraction 0..1, got {shown(value)}",
            value=value,
            expected="0..1",
        )
    return float(value)


@attrs.frozen(kw_only=True)
class AttendanceThresholds:
    """When presence counts as late, left early, partial or absent: values, not code.

    - ``late_after``: a first join later than ``start + late_after`` is late.
    - ``left_early_before``: a last leave earlier than ``end - left_early_before``
      is leaving early.
    - ``partial_below``: attended less than this fraction of the session is partial.
    - ``absent_below``: attended less than this (and never at all) is absent.

    Partial is judged before late, and late before left early: a participant
    who came late *and* stayed a fraction is partial. Late and left early
    read the stays that overlap the session: a visit wholly before its start
    or after its end does not make a late arrival punctual or an early
    leaver present.
    """

    late_after: timedelta = attrs.field(default=timedelta(minutes=5), converter=_late_after)
    left_early_before: timedelta = attrs.field(
        default=timedelta(minutes=5), converter=_left_early_before
    )
    partial_below: float = attrs.field(default=0.5, converter=_fraction)
    absent_below: timedelta = attrs.field(default=timedelta(minutes=1), converter=_absent_below)

    def status(self, intervals: Iterable[Interval], span: TimeSpan, attended: timedelta) -> str:
        """Return the status of someone present in ``intervals`` for ``attended`` of ``span``."""
        span = _span(span)
        if not isinstance(attended, timedelta):
            raise WrongType(attended, name="attended", expected="a timedelta")
        return self._status(instances_of(intervals, Interval, name="intervals"), span, attended)

    def _status(self, stays: Iterable[Interval], span: TimeSpan, attended: timedelta) -> str:
        """:meth:`status` of values already checked."""
        found = [
            stay
            for stay in stays
            if stay.joined < span.end and (stay.left is None or stay.left > span.start)
        ]
        if not found or attended < self.absent_below:
            return ABSENT
        length = span.end - span.start
        if length > timedelta(0) and attended / length < self.partial_below:
            return PARTIAL
        if found[0].joined > span.start + self.late_after:
            return LATE
        last = found[-1].left
        if last is not None and last < span.end - self.left_early_before:
            return LEFT_EARLY
        return PRESENT


@attrs.frozen
class Interval:
    """One stay in the meeting: ``joined`` to ``left`` (``None``: still there)."""

    joined: datetime
    left: datetime | None


def _span(value: object) -> TimeSpan:
    if not isinstance(value, TimeSpan):
        raise WrongType(value, name="span", expected="a TimeSpan")
    return value


def intervals_of(records: Iterable[Presence]) -> tuple[Interval, ...]:
    """Return the stays ``records`` add up to, deduplicated by id and in time order.

    Each join opens a connection (a participant on a phone and a laptop has
    two) and each leave ends one; a participant is in while any is open, so
    the stays are the union of their connections, overlaps counted once. A
    leave with none open is ignored, and the joins and leaves at one instant
    cancel out pair by pair: a reconnect (in) stays one stay, and a join that
    failed at once (out) makes none. So the result depends on the set of
    events only, never on the order they arrived in.
    """
    return _stays(instances_of(records, Presence, name="records"))


def connections_of(records: Iterable[Presence]) -> tuple[tuple[datetime, int], ...]:
    """Return, per instant of ``records`` in time order, how many connections are open after it.

    Deduplicated by id; the walk :func:`intervals_of` takes: the joins less
    the leaves at each instant, never below none.
    """
    return _connections(instances_of(records, Presence, name="records"))


def _connections(records: Iterable[Presence]) -> tuple[tuple[datetime, int], ...]:
    """:func:`connections_of` of records already checked."""
    net: dict[datetime, int] = {}
    for record in {r.id: r for r in records}.values():
        net[record.at] = net.get(record.at, 0) + (1 if record.action == JOIN else -1)
    walk: list[tuple[datetime, int]] = []
    open_ = 0
    for at in sorted(net):
        open_ = max(0, open_ + net[at])
        walk.append((at, open_))
    return tuple(walk)


def _stays(records: Iterable[Presence]) -> tuple[Interval, ...]:
    """:func:`intervals_of` of records already checked."""
    stays: list[Interval] = []
    since: datetime | None = None
    for at, open_ in _connections(records):
        if open_ and since is None:
            since = at
        elif not open_ and since is not None:
            stays.append(Interval(since, at))
            since = None
    if since is not None:
        stays.append(Interval(since, None))
    return tuple(stays)


def attended_within(
    intervals: Iterable[Interval], span: TimeSpan, as_of: datetime | None = None
) -> timedelta:
    """Return the time ``intervals`` cover inside ``span``; an open stay runs to ``as_of`` or the end."""  # noqa: E501
    span, until = _closing(span, as_of)
    return _attended(instances_of(intervals, Interval, name="intervals"), span, until)


def _closing(span: object, as_of: object) -> tuple[TimeSpan, datetime]:
    """The checked ``span`` and when its open stays close: ``as_of``, or its end if sooner."""
    checked = _span(span)
    return checked, checked.end if as_of is None else min(
        checked.end, check_instant(as_of, "as_of")
    )


def _attended(stays: Iterable[Interval], span: TimeSpan, until: datetime) -> timedelta:
    """:func:`attended_within` of values already checked, open stays running to ``until``."""
    total = timedelta(0)
    for stay in stays:
        left = until if stay.left is None else stay.left
        begin, end = max(stay.joined, span.start), min(left, until)
        if end > begin:
            total += end - begin
    return total
