"""The iCalendar importer against real calendars from another project (/work/shared/calendars).

Each file's expected result: (series, single events, overrides, all occurrences or
``None`` when a rule never ends, the line of that rule, occurrences 2010-2025).
"""

from __future__ import annotations

import contextlib
from datetime import UTC, datetime, timedelta
from functools import cache
from pathlib import Path

import pytest

from sessionkit.contrib.ical import (
    CalendarError,
    IcalCalendar,
    IcalOccurrence,
    UnboundedRule,
    read_ical,
    write_ical,
)
from sessionkit.zones import get_zone

CALENDARS = Path("/work/shared/calendars")
FILES = sorted(CALENDARS.glob("**/*.ics"))
LO, HI = datetime(2010, 1, 1, tzinfo=UTC), datetime(2026, 1, 1, tzinfo=UTC)

EXPECTED: dict[str, tuple[int, int, int, int | None, int | None, int]] = {
    "daylight_saving_time.ics": (24, 34, 6, None, 77, 2452),
    "each_week_but_one_deleted.ics": (1, 0, 0, 7, None, 7),
    "each_week_but_two_deleted.ics": (1, 0, 0, 6, None, 6),
    "issue_113_period_in_rdate.ics": (1, 0, 1, 9, None, 9),
    "issue_113_period_rdate_duration.ics": (1, 0, 1, 2, None, 2),
    "issue_117_until_before_dtstart.ics": (1, 0, 0, 0, None, 0),
    "issue_20_exdate_ignored.ics": (1, 0, 0, 7, None, 7),
    "issue_28_rrule_with_UTC_endinginZ.ics": (2, 0, 3, 26, None, 26),
    "issue_48_daylight_aware_repeats.ics": (1, 0, 0, None, 29, 276),
    "issue_48_dst.ics": (12, 1, 0, None, 29, 3784),
    "issue_4_rrule_until.ics": (1, 0, 0, 12, None, 12),
    "rdate.ics": (3, 0, 0, 1189, None, 1189),
    "rdate_falls_on_rrule_until.ics": (1, 0, 0, 8, None, 8),
    "rdate_hackerpublicradio.ics": (1, 0, 0, 12, None, 12),
}

pytestmark = pytest.mark.skipif(
    not FILES, reason=f"no real calendars at {CALENDARS} (shared test files of this machine)"
)


@cache
def _read(path: Path) -> tuple[IcalCalendar, list[IcalOccurrence]]:
    """The calendar and its occurrences in 2010-2025, read once for both tests."""
    cal = read_ical(path.read_bytes())
    return cal, cal.occurrences(LO, HI)


def _result(path: Path) -> tuple[int, int, int, int | None, int | None, int]:
    cal, window = _read(path)
    every: int | None
    try:
        every, line = len(cal.occurrences()), None
    except UnboundedRule as exc:
        every, line = None, exc.line
    overrides = sum(len(s.overrides) for s in cal.series)
    return (len(cal.series), len(cal.events), overrides, every, line, len(window))


@pytest.mark.parametrize("path", FILES, ids=[p.name for p in FILES])
def test_each_real_calendar_imports_as_expected(path: Path) -> None:
    if path.name in EXPECTED:
        assert _result(path) == EXPECTED[path.name]
        return
    with contextlib.suppress(CalendarError):  # a file added since may be refused, typed
        _result(path)


@pytest.mark.parametrize("path", FILES, ids=[p.name for p in FILES])
def test_each_real_calendar_survives_export_and_import(path: Path) -> None:
    try:
        cal, window = _read(path)
    except CalendarError:
        return  # the test above checks which files may be refused
    text = write_ical(cal, stamp=LO)
    again = read_ical(text)
    assert again.occurrences(LO, HI) == window
    assert write_ical(again, stamp=LO) == text


def test_specific_dates_of_real_calendars() -> None:
    if not (CALENDARS / "rie" / "issue_48_daylight_aware_repeats.ics").exists():
        pytest.skip("issue_48_daylight_aware_repeats.ics is not there")
    cal = read_ical((CALENDARS / "rie" / "issue_48_daylight_aware_repeats.ics").read_bytes())
    lisbon = cal.occurrences(datetime(2020, 10, 19, tzinfo=UTC), datetime(2020, 11, 3, tzinfo=UTC))
    # 11:30 in Lisbon on both sides of the 25 October 2020 change.
    assert [o.span.start.isoformat() for o in lisbon] == [
        "2020-10-19T10:30:00+00:00",
        "2020-10-26T11:30:00+00:00",
        "2020-11-02T11:30:00+00:00",
    ]
    period = read_ical((CALENDARS / "rie" / "issue_113_period_in_rdate.ics").read_bytes())
    dec = period.occurrences(datetime(2023, 12, 1, tzinfo=UTC), datetime(2024, 1, 1, tzinfo=UTC))
    # The EXDATE removes the 20th, the PERIOD RDATE adds the 13th with its own three hours.
    assert [(o.span.start.isoformat(), o.span.end.isoformat()) for o in dec] == [
        ("2023-12-13T20:00:00+00:00", "2023-12-13T23:00:00+00:00")
    ]


def test_all_day_overrides_of_exchange_move_their_occurrences() -> None:
    """RECURRENCE-ID;TZID=GMT Standard Time:20200416T000000 names the 16th (the 15th in UTC)."""
    path = CALENDARS / "rie" / "issue_28_rrule_with_UTC_endinginZ.ics"
    if not path.exists():
        pytest.skip("issue_28_rrule_with_UTC_endinginZ.ics is not there")
    cal, _ = _read(path)
    (refuse,) = [s for s in cal.series if s.title == "Refuse black bin"]
    assert [(o.key.date().isoformat(), o.span.start.isoformat()) for o in refuse.overrides] == [
        ("2020-04-16", "2020-04-17T00:00:00+00:00"),
        ("2020-05-28", "2020-05-29T00:00:00+00:00"),
        ("2020-09-03", "2020-09-04T00:00:00+00:00"),
    ]
    days = [o.span.start.date().isoformat() for o in refuse.occurrences()]
    assert days == [
        "2020-04-02",
        "2020-04-17",  # moved from Thursday the 16th to the Friday
        "2020-04-30",
        "2020-05-14",
        "2020-05-29",  # from the 28th
        "2020-06-11",
        "2020-06-25",
        "2020-07-09",
        "2020-07-23",
        "2020-08-06",
        "2020-08-20",
        "2020-09-04",  # from the 3rd
        "2020-09-17",  # UNTIL=20200916T230000Z: midnight of the 17th in London
    ]
    assert all(o.span.duration == timedelta(days=1) for o in refuse.occurrences())


@pytest.mark.parametrize(
    "default_tz", ["UTC", "America/Los_Angeles", "Asia/Tokyo", "Pacific/Kiritimati"]
)
def test_exchange_utc_untils_of_all_day_series_end_on_london_days(default_tz: str) -> None:
    """UNTIL=20200916T230000Z is the 17th's midnight in London, the VTIMEZONE's zone.

    Read at +14 the nearest midnight of the reading zone was the 18th's.
    """
    path = CALENDARS / "rie" / "issue_28_rrule_with_UTC_endinginZ.ics"
    if not path.exists():
        pytest.skip("issue_28_rrule_with_UTC_endinginZ.ics is not there")
    cal = read_ical(path.read_bytes(), default_tz=default_tz)
    lasts = []
    for series in cal.series:
        (item,) = series.items
        rec = item.recurrence
        assert isinstance(rec.rule.until, datetime)  # the end of its last day, in UTC
        lasts.append(rec.rule.until.astimezone(get_zone(rec.tz)).date().isoformat())
    assert lasts == ["2020-09-17", "2020-09-24"]
    assert len(cal.occurrences()) == 26
