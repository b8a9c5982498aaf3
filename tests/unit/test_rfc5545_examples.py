"""The RFC 5545 section 3.8.5.3 recurrence examples, with the dates the RFC lists.

All examples use DTSTART;TZID=America/New_York and a local time of 09:00
unless the rule says otherwise.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from sessionkit.recurrence import Recurrence

NY = "America/New_York"


def _dates(
    rule: str, start: str, *, until: str = "2010-01-01", limit: int | None = None
) -> list[date]:
    rec = Recurrence.from_rrule(
        rule, start=datetime.fromisoformat(start), tz=NY, duration=timedelta(hours=1)
    )
    lo = datetime(1990, 1, 1, tzinfo=UTC)
    hi = datetime.fromisoformat(until).replace(tzinfo=UTC)
    out: list[date] = []
    for occ in rec.between(lo, hi):
        out.append(occ.local_start.date())
        if limit is not None and len(out) >= limit:
            break
    return out


def d(text: str) -> list[date]:
    """'1997-09-02 1997-09-03' -> dates."""
    return [date.fromisoformat(t) for t in text.split()]


EXAMPLES = [
    (
        "daily for 10",
        "FREQ=DAILY;COUNT=10",
        "1997-09-02T09:00",
        None,
        d(
            "1997-09-02 1997-09-03 1997-09-04 1997-09-05 1997-09-06 1997-09-07 1997-09-08 "
            "1997-09-09 1997-09-10 1997-09-11"
        ),
    ),
    (
        "every other day",
        "FREQ=DAILY;INTERVAL=2",
        "1997-09-02T09:00",
        5,
        d("1997-09-02 1997-09-04 1997-09-06 1997-09-08 1997-09-10"),
    ),
    (
        "every 10 days, 5",
        "FREQ=DAILY;INTERVAL=10;COUNT=5",
        "1997-09-02T09:00",
        None,
        d("1997-09-02 1997-09-12 1997-09-22 1997-10-02 1997-10-12"),
    ),
    (
        "weekly for 10",
        "FREQ=WEEKLY;COUNT=10",
        "1997-09-02T09:00",
        None,
        d(
            "1997-09-02 1997-09-09 1997-09-16 1997-09-23 1997-09-30 1997-10-07 1997-10-14 "
            "1997-10-21 1997-10-28 1997-11-04"
        ),
    ),
    (
        "weekly TU,TH for five weeks",
        "FREQ=WEEKLY;UNTIL=19971007T000000Z;WKST=SU;BYDAY=TU,TH",
        "1997-09-02T09:00",
        None,
        d(
            "1997-09-02 1997-09-04 1997-09-09 1997-09-11 1997-09-16 1997-09-18 1997-09-23 "
            "1997-09-25 1997-09-30 1997-10-02"
        ),
    ),
    (
        "every other week MO,WE,FR until Dec 24",
        "FREQ=WEEKLY;INTERVAL=2;UNTIL=19971224T000000Z;WKST=SU;BYDAY=MO,WE,FR",
        "1997-09-01T09:00",
        None,
        d(
            "1997-09-01 1997-09-03 1997-09-05 1997-09-15 1997-09-17 1997-09-19 1997-09-29 "
            "1997-10-01 1997-10-03 1997-10-13 1997-10-15 1997-10-17 1997-10-27 1997-10-29 "
            "1997-10-31 1997-11-10 1997-11-12 1997-11-14 1997-11-24 1997-11-26 1997-11-28 "
            "1997-12-08 1997-12-10 1997-12-12 1997-12-22"
        ),
    ),
    (
        "every other week TU,TH, 8",
        "FREQ=WEEKLY;INTERVAL=2;COUNT=8;WKST=SU;BYDAY=TU,TH",
        "1997-09-02T09:00",
        None,
        d(
            "1997-09-02 1997-09-04 1997-09-16 1997-09-18 1997-09-30 1997-10-02 1997-10-14 "
            "1997-10-16"
        ),
    ),
    (
        "monthly on the first Friday, 10",
        "FREQ=MONTHLY;COUNT=10;BYDAY=1FR",
        "1997-09-05T09:00",
        None,
        d(
            "1997-09-05 1997-10-03 1997-11-07 1997-12-05 1998-01-02 1998-02-06 1998-03-06 "
            "1998-04-03 1998-05-01 1998-06-05"
        ),
    ),
    (
        "every other month first and last Sunday",
        "FREQ=MONTHLY;INTERVAL=2;COUNT=10;BYDAY=1SU,-1SU",
        "1997-09-07T09:00",
        None,
        d(
            "1997-09-07 1997-09-28 1997-11-02 1997-11-30 1998-01-04 1998-01-25 1998-03-01 "
            "1998-03-29 1998-05-03 1998-05-31"
        ),
    ),
    (
        "second-to-last Monday, 6",
        "FREQ=MONTHLY;COUNT=6;BYDAY=-2MO",
        "1997-09-22T09:00",
        None,
        d("1997-09-22 1997-10-20 1997-11-17 1997-12-22 1998-01-19 1998-02-16"),
    ),
    (
        "third-to-last day",
        "FREQ=MONTHLY;BYMONTHDAY=-3",
        "1997-09-28T09:00",
        6,
        d("1997-09-28 1997-10-29 1997-11-28 1997-12-29 1998-01-29 1998-02-26"),
    ),
    (
        "2nd and 15th, 10",
        "FREQ=MONTHLY;COUNT=10;BYMONTHDAY=2,15",
        "1997-09-02T09:00",
        None,
        d(
            "1997-09-02 1997-09-15 1997-10-02 1997-10-15 1997-11-02 1997-11-15 1997-12-02 "
            "1997-12-15 1998-01-02 1998-01-15"
        ),
    ),
    (
        "first and last day, 10",
        "FREQ=MONTHLY;COUNT=10;BYMONTHDAY=1,-1",
        "1997-09-30T09:00",
        None,
        d(
            "1997-09-30 1997-10-01 1997-10-31 1997-11-01 1997-11-30 1997-12-01 1997-12-31 "
            "1998-01-01 1998-01-31 1998-02-01"
        ),
    ),
    (
        "every 18 months 10th-15th, 10",
        "FREQ=MONTHLY;INTERVAL=18;COUNT=10;BYMONTHDAY=10,11,12,13,14,15",
        "1997-09-10T09:00",
        None,
        d(
            "1997-09-10 1997-09-11 1997-09-12 1997-09-13 1997-09-14 1997-09-15 1999-03-10 "
            "1999-03-11 1999-03-12 1999-03-13"
        ),
    ),
    (
        "every Tuesday, every other month",
        "FREQ=MONTHLY;INTERVAL=2;BYDAY=TU",
        "1997-09-02T09:00",
        13,
        d(
            "1997-09-02 1997-09-09 1997-09-16 1997-09-23 1997-09-30 1997-11-04 1997-11-11 "
            "1997-11-18 1997-11-25 1998-01-06 1998-01-13 1998-01-20 1998-01-27"
        ),
    ),
    (
        "yearly in June and July, 10",
        "FREQ=YEARLY;COUNT=10;BYMONTH=6,7",
        "1997-06-10T09:00",
        None,
        d(
            "1997-06-10 1997-07-10 1998-06-10 1998-07-10 1999-06-10 1999-07-10 2000-06-10 "
            "2000-07-10 2001-06-10 2001-07-10"
        ),
    ),
    (
        "every other year Jan-Mar, 10",
        "FREQ=YEARLY;INTERVAL=2;COUNT=10;BYMONTH=1,2,3",
        "1997-03-10T09:00",
        None,
        d(
            "1997-03-10 1999-01-10 1999-02-10 1999-03-10 2001-01-10 2001-02-10 2001-03-10 "
            "2003-01-10 2003-02-10 2003-03-10"
        ),
    ),
    (
        "every third year days 1, 100, 200",
        "FREQ=YEARLY;INTERVAL=3;COUNT=10;BYYEARDAY=1,100,200",
        "1997-01-01T09:00",
        None,
        d(
            "1997-01-01 1997-04-10 1997-07-19 2000-01-01 2000-04-09 2000-07-18 2003-01-01 "
            "2003-04-10 2003-07-19 2006-01-01"
        ),
    ),
    (
        "20th Monday of the year",
        "FREQ=YEARLY;BYDAY=20MO",
        "1997-05-19T09:00",
        3,
        d("1997-05-19 1998-05-18 1999-05-17"),
    ),
    (
        "Monday of week 20",
        "FREQ=YEARLY;BYWEEKNO=20;BYDAY=MO",
        "1997-05-12T09:00",
        3,
        d("1997-05-12 1998-05-11 1999-05-17"),
    ),
    (
        "every Thursday in March",
        "FREQ=YEARLY;BYMONTH=3;BYDAY=TH",
        "1997-03-13T09:00",
        11,
        d(
            "1997-03-13 1997-03-20 1997-03-27 1998-03-05 1998-03-12 1998-03-19 1998-03-26 "
            "1999-03-04 1999-03-11 1999-03-18 1999-03-25"
        ),
    ),
    (
        "first Saturday after first Sunday",
        "FREQ=MONTHLY;BYDAY=SA;BYMONTHDAY=7,8,9,10,11,12,13",
        "1997-09-13T09:00",
        10,
        d(
            "1997-09-13 1997-10-11 1997-11-08 1997-12-13 1998-01-10 1998-02-07 1998-03-07 "
            "1998-04-11 1998-05-09 1998-06-13"
        ),
    ),
    (
        "US presidential election day",
        "FREQ=YEARLY;INTERVAL=4;BYMONTH=11;BYDAY=TU;BYMONTHDAY=2,3,4,5,6,7,8",
        "1996-11-05T09:00",
        3,
        d("1996-11-05 2000-11-07 2004-11-02"),
    ),
    (
        "third TU/WE/TH of the month, 3",
        "FREQ=MONTHLY;COUNT=3;BYDAY=TU,WE,TH;BYSETPOS=3",
        "1997-09-04T09:00",
        None,
        d("1997-09-04 1997-10-07 1997-11-06"),
    ),
    (
        "second-to-last weekday",
        "FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=-2",
        "1997-09-29T09:00",
        7,
        d("1997-09-29 1997-10-30 1997-11-27 1997-12-30 1998-01-29 1998-02-26 1998-03-30"),
    ),
    (
        "WKST=MO",
        "FREQ=WEEKLY;INTERVAL=2;COUNT=4;BYDAY=TU,SU;WKST=MO",
        "1997-08-05T09:00",
        None,
        d("1997-08-05 1997-08-10 1997-08-19 1997-08-24"),
    ),
    (
        "WKST=SU",
        "FREQ=WEEKLY;INTERVAL=2;COUNT=4;BYDAY=TU,SU;WKST=SU",
        "1997-08-05T09:00",
        None,
        d("1997-08-05 1997-08-17 1997-08-19 1997-08-31"),
    ),
    (
        "invalid dates (the 30th in February) are ignored",
        "FREQ=MONTHLY;BYMONTHDAY=15,30;COUNT=5",
        "2007-01-15T09:00",
        None,
        d("2007-01-15 2007-01-30 2007-02-15 2007-03-15 2007-03-30"),
    ),
]


@pytest.mark.parametrize(
    ("rule", "start", "limit", "expected"),
    [
        pytest.param(rule, start, limit, expected, id=name)
        for name, rule, start, limit, expected in EXAMPLES
    ],
)
def test_rfc5545_example(rule: str, start: str, limit: int | None, expected: list[date]) -> None:
    assert _dates(rule, start, limit=limit) == expected


def test_daily_until_december_24_has_113_occurrences() -> None:
    dates = _dates("FREQ=DAILY;UNTIL=19971224T000000Z", "1997-09-02T09:00")
    assert len(dates) == 113
    assert dates[0] == date(1997, 9, 2)
    assert dates[-1] == date(1997, 12, 23)


def test_every_day_in_january_for_three_years() -> None:
    dates = _dates(
        "FREQ=YEARLY;UNTIL=20000131T140000Z;BYMONTH=1;BYDAY=SU,MO,TU,WE,TH,FR,SA",
        "1998-01-01T09:00",
    )
    assert len(dates) == 93
    assert {x.month for x in dates} == {1}
    assert (dates[0], dates[-1]) == (date(1998, 1, 1), date(2000, 1, 31))


def test_friday_the_13th_with_exdate_on_the_start() -> None:
    rec = Recurrence.from_rrule(
        "FREQ=MONTHLY;BYDAY=FR;BYMONTHDAY=13",
        start=datetime(1997, 9, 2, 9),
        tz=NY,
        duration=timedelta(hours=1),
        exdates=[datetime(1997, 9, 2, 9)],
    )
    found = [
        o.local_start.date()
        for o in rec.between(datetime(1997, 1, 1, tzinfo=UTC), datetime(2001, 1, 1, tzinfo=UTC))
    ]
    assert found == d("1998-02-13 1998-03-13 1998-11-13 1999-08-13 2000-10-13")


def test_every_15_minutes_for_6_and_every_90_minutes_for_4() -> None:
    rec = Recurrence.from_rrule(
        "FREQ=MINUTELY;INTERVAL=15;COUNT=6",
        start=datetime(1997, 9, 2, 9),
        tz=NY,
        duration=timedelta(minutes=10),
    )
    lo, hi = datetime(1997, 9, 1, tzinfo=UTC), datetime(1997, 9, 3, tzinfo=UTC)
    assert [o.local_start.strftime("%H:%M") for o in rec.between(lo, hi)] == [
        "09:00",
        "09:15",
        "09:30",
        "09:45",
        "10:00",
        "10:15",
    ]
    rec90 = Recurrence.from_rrule(
        "FREQ=MINUTELY;INTERVAL=90;COUNT=4",
        start=datetime(1997, 9, 2, 9),
        tz=NY,
        duration=timedelta(minutes=10),
    )
    assert [o.local_start.strftime("%H:%M") for o in rec90.between(lo, hi)] == [
        "09:00",
        "10:30",
        "12:00",
        "13:30",
    ]


def test_every_20_minutes_from_9_to_1640() -> None:
    rec = Recurrence.from_rrule(
        "FREQ=DAILY;BYHOUR=9,10,11,12,13,14,15,16;BYMINUTE=0,20,40",
        start=datetime(1997, 9, 2, 9),
        tz=NY,
        duration=timedelta(minutes=20),
    )
    day = [
        o.local_start.strftime("%H:%M")
        for o in rec.between(
            datetime(1997, 9, 2, 4, tzinfo=UTC), datetime(1997, 9, 3, 4, tzinfo=UTC)
        )
    ]
    assert len(day) == 24
    assert (day[0], day[1], day[-1]) == ("09:00", "09:20", "16:40")


def test_every_3_hours_until_utc_bound() -> None:
    # UNTIL=19970902T170000Z is 13:00 EDT, so 15:00 (listed in the RFC's text) is past it.
    rec = Recurrence.from_rrule(
        "FREQ=HOURLY;INTERVAL=3;UNTIL=19970902T170000Z",
        start=datetime(1997, 9, 2, 9),
        tz=NY,
        duration=timedelta(minutes=30),
    )
    found = [
        o.local_start.strftime("%H:%M")
        for o in rec.between(datetime(1997, 9, 1, tzinfo=UTC), datetime(1997, 9, 4, tzinfo=UTC))
    ]
    assert found == ["09:00", "12:00"]
