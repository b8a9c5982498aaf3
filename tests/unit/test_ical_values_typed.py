"""Plain iCalendar values built by hand: a field of another type is a WrongType at once."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest

from sessionkit import Recurrence, ScheduleItem
from sessionkit.contrib.ical import (
    IcalCalendar,
    IcalEvent,
    IcalOverride,
    IcalSeries,
    read_ical,
    write_ical,
)
from sessionkit.errors import WrongType
from sessionkit.timespan import TimeSpan

from ._ical_support import utc

SPAN = TimeSpan(utc(2026, 3, 2, 9), utc(2026, 3, 2, 10))
ITEM = ScheduleItem(
    id="mon",
    recurrence=Recurrence.from_rrule(
        "FREQ=WEEKLY;COUNT=2", start=datetime(2026, 3, 2, 9), tz="UTC", duration=timedelta(hours=1)
    ),
)

# As an untyped caller (or data from elsewhere) calls them: mypy would refuse these values.
ANY_OVERRIDE: Any = IcalOverride
ANY_CALENDAR: Any = IcalCalendar


def _event(**changes: Any) -> IcalEvent:
    return IcalEvent(**{"uid": "e", "title": "Talk", "span": SPAN, "tz": "UTC", **changes})


def _series(**changes: Any) -> IcalSeries:
    return IcalSeries(**{"uid": "s", "title": "Class", "items": (ITEM,), **changes})


@pytest.mark.parametrize(
    ("build", "name"),
    [
        (lambda: _event(title=None), "IcalEvent.title"),
        (lambda: _event(uid=5), "IcalEvent.uid"),
        (lambda: _event(span=(SPAN.start, SPAN.end)), "IcalEvent.span"),
        (lambda: _event(tz=None), "IcalEvent.tz"),
        (lambda: _event(series_uid=7), "IcalEvent.series_uid"),
        (lambda: _series(title=None), "IcalSeries.title"),
        (lambda: _series(items=("mon",)), "an item of IcalSeries.items"),
        (lambda: _series(items=ITEM), "IcalSeries.items"),
        (lambda: _series(overrides=(SPAN,)), "an item of IcalSeries.overrides"),
        (lambda: ANY_OVERRIDE(key=datetime(2026, 3, 2, 9), span="09:00"), "IcalOverride.span"),
        (
            lambda: ANY_OVERRIDE(key=datetime(2026, 3, 2, 9), span=SPAN, title=1),
            "IcalOverride.title",
        ),
        (lambda: ANY_CALENDAR(events=(_series(),)), "an item of IcalCalendar.events"),
        (lambda: ANY_CALENDAR(series=_series()), "IcalCalendar.series"),
        (lambda: ANY_CALENDAR(name=b"Feed"), "IcalCalendar.name"),
    ],
)
def test_a_field_of_another_type_is_refused_naming_it(build: Any, name: str) -> None:
    """Before, IcalEvent(title=None) was written SUMMARY:None, and a bad span an AttributeError."""
    with pytest.raises(WrongType) as caught:
        build()
    assert caught.value.name == name


def test_lists_are_still_taken_where_tuples_are_typed() -> None:
    # Lists, as code written before the fields were checked passes them.
    series: Any = [_series(items=[ITEM])]
    events: Any = [_event()]
    cal = IcalCalendar(series=series, events=events)
    again = read_ical(write_ical(cal, stamp=utc(2026, 1, 1)))
    assert [o.title for o in again.occurrences()] == ["Talk", "Class", "Class"]


@pytest.mark.parametrize(
    ("build", "name"),
    [
        (lambda: _event(cancelled="no"), "IcalEvent.cancelled"),
        (lambda: _event(all_day=1), "IcalEvent.all_day"),
        (lambda: _series(cancelled=None), "IcalSeries.cancelled"),
        (lambda: _series(all_day="yes"), "IcalSeries.all_day"),
    ],
)
def test_a_flag_that_is_no_bool_is_refused_not_read_as_truthy(build: Any, name: str) -> None:
    """``cancelled="no"`` was taken, and written ``STATUS:CANCELLED``."""
    with pytest.raises(WrongType, match=f"^{name} must be True or False"):
        build()
    text = write_ical(IcalCalendar(events=(_event(cancelled=False),)), stamp=utc(2026, 3, 1))
    assert "STATUS:CANCELLED" not in text
