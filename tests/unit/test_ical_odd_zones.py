"""Odd zones through the iCalendar round trip: 30-minute and 45-minute DST, changes at midnight.

A VTIMEZONE under a TZID that names no zone is matched to an IANA zone by its offsets; two
zones with one offset on each day that change at other hours of the same day (Lord Howe at
15:00 UTC, Sydney at 16:00; Havana at 05:00 UTC, New York at 07:00) give other instants in
between, so a series matched to the wrong one is read off by half an hour or an hour there.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from sessionkit.contrib.ical import IcalCalendar, IcalEvent, IcalSeries, read_ical, write_ical
from sessionkit.model.series import ScheduleItem
from sessionkit.recurrence import Recurrence
from sessionkit.timespan import TimeSpan
from sessionkit.zones import get_zone

STAMP = datetime(2026, 1, 1, tzinfo=UTC)


def _renamed(rec: Recurrence) -> str:
    """``rec`` written as a series, its zone's TZID renamed to one that names no zone."""
    item = ScheduleItem(id="i", recurrence=rec)
    text = write_ical(
        IcalCalendar(series=(IcalSeries(uid="s", title="S", items=(item,)),)), stamp=STAMP
    )
    return text.replace(f"TZID={rec.tz}", "TZID=Custom").replace(f"TZID:{rec.tz}", "TZID:Custom")


@pytest.mark.parametrize(
    ("tz", "start", "count"),
    [
        # Lord Howe falls back 02:00 -> 01:30 on 5 April 2026 (15:00 UTC), Sydney an hour
        # later; the VTIMEZONE ends with that change, so its +10:30 was never compared.
        ("Australia/Lord_Howe", datetime(2026, 4, 2, 2, 15), 5),
        ("Australia/Lord_Howe", datetime(2026, 4, 2, 1, 45), 5),
        # Havana springs at midnight on 8 March 2026 (05:00 UTC), New York at 02:00 (07:00
        # UTC): the same days, so noon samples over two years never told them apart.
        ("America/Havana", datetime(2026, 3, 6, 1, 30), 4),
        ("America/Havana", datetime(2026, 3, 6, 1, 30), 800),
        # Adak springs at 12:00 UTC; icalendar writes the onset at the wall time after the
        # gap, an hour late in UTC, so at that noon the VTIMEZONE still gave -10: refused.
        ("America/Adak", datetime(2026, 3, 5, 9), 400),
    ],
)
def test_a_custom_vtimezone_is_matched_to_the_zone_that_changes_at_its_hour(
    tz: str, start: datetime, count: int
) -> None:
    rec = Recurrence.from_rrule(
        f"FREQ=DAILY;COUNT={count}", start=start, tz=tz, duration=timedelta(minutes=30)
    )
    cal = read_ical(_renamed(rec))
    assert cal.series[0].tz == tz
    expected = [o.span.start for o in rec.between(STAMP, STAMP + timedelta(days=3 * 366))]
    assert [o.span.start for o in cal.occurrences()] == expected


def test_lord_howe_weekly_across_its_fall_back_in_a_custom_vtimezone() -> None:
    # Sundays at 10:00: the third, 5 April, is at +10:30 (23:30 UTC the day before), not at
    # Sydney's +10 (midnight UTC).
    rec = Recurrence.from_rrule(
        "FREQ=WEEKLY;COUNT=3",
        start=datetime(2026, 3, 22, 10),
        tz="Australia/Lord_Howe",
        duration=timedelta(hours=1),
    )
    cal = read_ical(_renamed(rec))
    assert cal.series[0].tz == "Australia/Lord_Howe"
    assert [o.span.start.isoformat() for o in cal.occurrences()] == [
        "2026-03-21T23:00:00+00:00",
        "2026-03-28T23:00:00+00:00",
        "2026-04-04T23:30:00+00:00",
    ]


@pytest.mark.parametrize(
    ("tz", "day"),
    [
        ("Australia/Lord_Howe", datetime(2026, 10, 4)),  # 02:00 -> 02:30
        ("Australia/Lord_Howe", datetime(2026, 4, 5)),  # 02:00 -> 01:30
        ("Pacific/Chatham", datetime(2026, 9, 27)),  # 02:45 -> 03:45
        ("America/Santiago", datetime(2026, 9, 6)),  # 00:00 -> 01:00
    ],
)
def test_single_events_around_a_change_in_a_custom_vtimezone_keep_their_instants(
    tz: str, day: datetime
) -> None:
    # Every 45 minutes from 21:00 the evening before, for 30 hours: the VTIMEZONE ends
    # with the change, and its offset after it is every day's for two years (Magadan's +11
    # for Lord Howe's October): a zone agreeing on those days alone read them an hour off.
    zone = get_zone(tz)
    base = day.replace(tzinfo=zone).astimezone(UTC) - timedelta(hours=3)
    events = tuple(
        IcalEvent(
            uid=f"e{n}",
            title="t",
            span=TimeSpan(
                base + n * timedelta(minutes=45),
                base + n * timedelta(minutes=45) + timedelta(minutes=45),
            ),
            tz=tz,
        )
        for n in range(40)
    )
    text = write_ical(IcalCalendar(events=events), stamp=STAMP)
    renamed = text.replace(f"TZID={tz}", "TZID=Custom").replace(f"TZID:{tz}", "TZID:Custom")
    back = read_ical(renamed).events
    assert [e.span for e in back] == [e.span for e in events]
    assert {e.tz for e in back} <= {tz, "UTC"}  # UTC: both ends in a gap or fold
