"""When a series' sessions begin, and calendar months in its zone: where generation starts.

Private to the services package; creating, topping up and bulk-creating
series read them.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from sessionkit.errors import InvalidValue
from sessionkit.errors._base import shown
from sessionkit.model.series import Series, add_months
from sessionkit.recurrence import Recurrence
from sessionkit.zones import EARLIEST, LATEST, Disambiguate, get_zone, resolve_local

__all__ = ["check_begin", "months_after", "series_start", "series_zone"]

_DAY = timedelta(days=1)


def series_zone(series: Series) -> str:
    """Return the zone a series counts calendar months in: its first schedule item's."""
    return series.items[0].recurrence.tz


def series_start(series: Series) -> datetime:
    """Return the earliest instant any schedule item of ``series`` may start (UTC).

    An item's first start (of one in a DST gap or fold, the earlier reading
    when its rule reads it ``"earlier"``), or an earlier RDATE of it (an
    introductory session before the weekly ones begin). A start before
    :data:`~sessionkit.zones.EARLIEST` counts as that instant; one after
    :data:`~sessionkit.zones.LATEST` as a day after it (see :func:`check_begin`).
    """
    starts = [_item_start(item.recurrence) for item in series.items]
    extra = [r.astimezone(UTC) for item in series.items for r in item.recurrence.rdates]
    return min(starts + [max(EARLIEST, r) for r in extra])


def _item_start(rec: Recurrence) -> datetime:
    start, tz = rec.start, rec.tz
    # Far from the supported range the zone's offset cannot matter, and near year 1
    # or 9999 converting to UTC could leave what a datetime holds.
    if start.year < EARLIEST.year:
        return EARLIEST
    if start.year > LATEST.year:
        return LATEST + _DAY
    # A start in a gap or fold as the item's rule reads it where that is earlier than
    # the "compatible" reading (``disambiguate="earlier"``): generation must not begin
    # after it. Otherwise the "compatible" reading, which the window's months count from.
    reading: Disambiguate = "earlier" if rec.disambiguate == "earlier" else "compatible"
    return resolve_local(start, tz, disambiguate=reading).astimezone(UTC)


def check_begin(series: Series, begin: datetime) -> datetime:
    """Return ``begin`` (where generation starts) unless it is after ``LATEST``; else raise."""
    if begin > LATEST:
        raise InvalidValue(
            f"series {shown(series.id)} starts after {LATEST.date().isoformat()}, the latest "
            "instant sessionkit schedules at; nothing can be generated for it",
            value=series.items[0].recurrence.start,
            expected=f"a schedule starting before {LATEST.isoformat()}",
        )
    return begin


def months_after(instant: datetime, months: int, tz: str) -> datetime:
    """Return ``instant`` moved by calendar months on the wall clock of ``tz`` (UTC)."""
    local = instant.astimezone(get_zone(tz))
    day: date = add_months(local.date(), months)
    wall: time = local.time().replace(tzinfo=None)
    return resolve_local(datetime.combine(day, wall), tz).astimezone(UTC)
