"""The timeline's time axis: instants as matplotlib date numbers, and its ticks in a zone.

:func:`_locator` and :func:`_formatter` place and label the ticks of the time
axis on the zone's wall clock, where matplotlib's own would repeat or skip
ticks across a change of offset, or label a day whose midnight never comes by
its first hour. Private to :mod:`sessionkit.contrib.plot`; kept apart from the
drawing by the style's size limit. matplotlib (and numpy, its dependency) is
imported inside each function, when a timeline is drawn, as the ``plot``
extra is optional.
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta, timezone, tzinfo
from typing import Any, cast


def _num(value: datetime) -> float:
    from matplotlib import dates as mdates  # imported on use: the extra is optional

    return float(mdates.date2num(value))  # type: ignore[no-untyped-call]  # untyped upstream


def _locator(zone: tzinfo) -> Any:
    """An ``AutoDateLocator`` in ``zone`` whose ticks under a day keep step across a DST change.

    matplotlib steps the zone's wall clock (dateutil's rrule), so ticks under a day
    repeat where clocks spring forward and skip the repeated hour where they fall back
    (matplotlib #31333): an axis from 02:00 to 03:30 in Berlin on 2026-10-25 had no tick
    for an hour. Across a change of offset these ticks are found in each fixed offset the
    view has, each kept where the zone has that offset; labels read the zone's wall clock.
    """
    import numpy as np  # matplotlib's own dependency
    from matplotlib import dates as mdates  # imported on use: the extra is optional

    # matplotlib's dates module is untyped upstream: hence the ignores below.
    class WallClockLocator(mdates.AutoDateLocator):
        def __call__(self) -> Any:
            return self.tick_values(*self.viewlim_to_dt())  # type: ignore[no-untyped-call]  # ditto

        # Typed float upstream; AutoDateLocator is handed the view's datetimes.
        def tick_values(self, vmin: Any, vmax: Any) -> Any:
            ticks = super().tick_values(vmin, vmax)  # type: ignore[no-untyped-call]
            offsets = {vmin.astimezone(zone).utcoffset(), vmax.astimezone(zone).utcoffset()}
            if len(offsets) == 1:
                return ticks  # no change of offset in view: the zone's own ticks are right
            found: set[float] = set()
            for offset in offsets:
                fixed = timezone(cast("timedelta", offset))  # an aware zone has an offset
                steps = mdates.AutoDateLocator(tz=fixed)  # type: ignore[no-untyped-call]
                ends = (vmin.astimezone(fixed), vmax.astimezone(fixed))
                values = steps.tick_values(*ends)  # type: ignore[no-untyped-call]  # ditto
                if len(values) > 1 and values[1] - values[0] >= 1:
                    return ticks  # a day or more apart: the zone's own ticks fall on its dates
                found |= {v for v in values if _offset(v, zone) == offset}
            return np.array(sorted(found)) if found else ticks

    return WallClockLocator(tz=zone)  # type: ignore[no-untyped-call]  # ditto


def _formatter(locator: Any, zone: tzinfo) -> Any:
    """A ``ConciseDateFormatter`` in ``zone`` whose day ticks are dates where midnight never comes.

    Where a zone springs forward at midnight (America/Santiago, Africa/Cairo: 00:00 to
    01:00), that day's tick sits at its first instant, 01:00, and was labelled ``01:00``
    among dates, which lost their short form too. When every tick starts a day, each is
    labelled by its wall-clock date (read in UTC, where no day lacks its midnight);
    ticks within days keep their wall-clock times (``23:00``, ``01:00``).
    """
    from matplotlib import dates as mdates  # imported on use: the extra is optional

    # matplotlib's dates module is untyped upstream: hence the ignores below.
    class WallClockFormatter(mdates.ConciseDateFormatter):
        def __init__(self) -> None:
            super().__init__(locator, tz=zone)  # type: ignore[no-untyped-call]  # ditto
            self._walls = mdates.ConciseDateFormatter(locator, tz=UTC)  # type: ignore[no-untyped-call]
            self._days = False

        def format_ticks(self, values: Any) -> Any:
            found = [_wall(v, zone) for v in values]
            self._days = bool(found) and all(first for _, first in found)
            if not self._days:
                return super().format_ticks(values)  # type: ignore[no-untyped-call]  # ditto
            days = [_num(datetime.combine(w.date(), time(), tzinfo=UTC)) for w, _ in found]
            return self._walls.format_ticks(days)  # type: ignore[no-untyped-call]  # ditto

        def get_offset(self) -> Any:
            if self._days:
                return self._walls.get_offset()  # type: ignore[no-untyped-call]  # ditto
            return super().get_offset()  # type: ignore[no-untyped-call]  # ditto

    return WallClockFormatter()


def _wall(value: float, zone: tzinfo) -> tuple[datetime, bool]:
    """Return ``value`` on ``zone``'s wall clock, and whether it is the first instant of its day."""
    from matplotlib import dates as mdates  # imported on use: the extra is optional

    when: datetime = mdates.num2date(value, tz=zone)  # type: ignore[no-untyped-call]  # ditto
    first = datetime.combine(when.date(), time(), tzinfo=zone)  # a missing 00:00: the gap's start
    # In UTC: two datetimes of one zone subtract their wall clocks, an hour apart here.
    gap = abs(when.astimezone(UTC) - first.astimezone(UTC))
    return when.replace(tzinfo=None), gap < timedelta(seconds=1)  # a date number's rounding


def _offset(value: float, zone: tzinfo) -> timedelta | None:
    from matplotlib import dates as mdates  # imported on use: the extra is optional

    when: datetime = mdates.num2date(value, tz=zone)  # type: ignore[no-untyped-call]  # ditto
    return when.utcoffset()
