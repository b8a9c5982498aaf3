"""sessionkit.contrib.ical: all-day events are local days, and their overrides keep their dates."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from sessionkit.contrib.ical import CalendarSyntaxError, IcalCalendar, read_ical, write_ical
from sessionkit.timespan import TimeSpan

from ._ical_support import event, ics, utc

GMT_STANDARD_TIME = [  # as Exchange writes it: London's offsets
    "BEGIN:VTIMEZONE",
    "TZID:GMT Standard Time",
    "BEGIN:STANDARD",
    "DTSTART:16010101T020000",
    "TZOFFSETFROM:+0100",
    "TZOFFSETTO:+0000",
    "RRULE:FREQ=YEARLY;INTERVAL=1;BYDAY=-1SU;BYMONTH=10",
    "END:STANDARD",
    "BEGIN:DAYLIGHT",
    "DTSTART:16010101T010000",
    "TZOFFSETFROM:+0000",
    "TZOFFSETTO:+0100",
    "RRULE:FREQ=YEARLY;INTERVAL=1;BYDAY=-1SU;BYMONTH=3",
    "END:DAYLIGHT",
    "END:VTIMEZONE",
]


@pytest.mark.parametrize("default_tz", ["UTC", "America/New_York", "Europe/Berlin"])
def test_an_all_day_override_with_a_zoned_recurrence_id_replaces_that_day(
    default_tz: str,
) -> None:
    """Midnight of 16 April in London is the 15th in UTC and New York: the key is the 16th."""
    cal = read_ical(
        ics(
            *GMT_STANDARD_TIME,
            *event(
                "UID:bin",
                "SUMMARY:Bin",
                "DTSTART;VALUE=DATE:20200402",
                "DTEND;VALUE=DATE:20200403",
                "RRULE:FREQ=WEEKLY;INTERVAL=2;COUNT=3",
            ),
            *event(
                "UID:bin",
                "SUMMARY:Bin",
                "RECURRENCE-ID;TZID=GMT Standard Time:20200416T000000",
                "DTSTART;VALUE=DATE:20200417",
                "DTEND;VALUE=DATE:20200418",
            ),
        ),
        default_tz=default_tz,
    )
    (series,) = cal.series
    assert [o.key for o in series.overrides] == [datetime(2020, 4, 16)]
    zone = ZoneInfo(default_tz)
    assert [(o.key, o.span.start.astimezone(zone).date()) for o in series.occurrences()] == [
        (datetime(2020, 4, 2), date(2020, 4, 2)),
        (datetime(2020, 4, 16), date(2020, 4, 17)),  # moved a day on
        (datetime(2020, 4, 30), date(2020, 4, 30)),
    ]


def test_a_cancelled_all_day_occurrence_with_a_zoned_recurrence_id_is_excluded() -> None:
    cal = read_ical(
        ics(
            *GMT_STANDARD_TIME,
            *event(
                "UID:bin",
                "DTSTART;VALUE=DATE:20200402",
                "RRULE:FREQ=WEEKLY;INTERVAL=2;COUNT=3",
            ),
            *event(
                "UID:bin",
                "STATUS:CANCELLED",
                "RECURRENCE-ID;TZID=GMT Standard Time:20200416T000000",
                "DTSTART;VALUE=DATE:20200416",
            ),
        )
    )
    assert [o.span.start for o in cal.occurrences()] == [utc(2020, 4, 2), utc(2020, 4, 30)]


@pytest.mark.parametrize("default_tz", ["UTC", "America/New_York", "Europe/Berlin"])
@pytest.mark.parametrize(
    "exdate",
    [
        "EXDATE;TZID=GMT Standard Time:20200416T000000",  # as Exchange writes it
        "EXDATE;TZID=Europe/London:20200416T000000",
        "EXDATE;VALUE=DATE:20200416",
    ],
)
def test_an_all_day_exdate_at_a_zoned_midnight_excludes_its_own_date(
    default_tz: str, exdate: str
) -> None:
    """Midnight of 16 April in London is the 15th in UTC: the EXDATE still names the 16th."""
    cal = read_ical(
        ics(
            *GMT_STANDARD_TIME,
            *event(
                "UID:bin",
                "DTSTART;VALUE=DATE:20200402",
                "DTEND;VALUE=DATE:20200403",
                "RRULE:FREQ=WEEKLY;COUNT=4",
                exdate,
            ),
        ),
        default_tz=default_tz,
    )
    zone = ZoneInfo(default_tz)
    assert [o.span.start.astimezone(zone).date() for o in cal.occurrences()] == [
        date(2020, 4, 2),
        date(2020, 4, 9),
        date(2020, 4, 23),
    ]


@pytest.mark.parametrize("default_tz", ["UTC", "America/New_York"])
@pytest.mark.parametrize("excluded", [False, True])
def test_an_all_day_rdate_at_a_zoned_midnight_adds_its_own_date(
    default_tz: str, excluded: bool
) -> None:
    """An RDATE names its day as an EXDATE does, so the two cancel out."""
    exdate = ("EXDATE;TZID=Europe/London:20200716T000000",) if excluded else ()
    cal = read_ical(
        ics(
            *event(
                "UID:bin",
                "DTSTART;VALUE=DATE:20200702",
                "DTEND;VALUE=DATE:20200703",
                "RRULE:FREQ=WEEKLY;COUNT=2",
                "RDATE;TZID=Europe/London:20200716T000000",
                *exdate,
            ),
        ),
        default_tz=default_tz,
    )
    zone = ZoneInfo(default_tz)
    days = [date(2020, 7, 2), date(2020, 7, 9)] + ([] if excluded else [date(2020, 7, 16)])
    spans = [
        (o.span.start.astimezone(zone), o.span.end.astimezone(zone)) for o in cal.occurrences()
    ]
    assert [(start.date(), start.time(), end - start) for start, end in spans] == [
        (day, time(), timedelta(days=1)) for day in days
    ]


def test_a_recurring_all_day_event_spans_its_local_day_across_dst() -> None:
    cal = read_ical(
        ics(
            "X-WR-TIMEZONE:Europe/Berlin",
            *event(
                "UID:day",
                "DTSTART;VALUE=DATE:20260329",
                "DTEND;VALUE=DATE:20260330",
                "RRULE:FREQ=WEEKLY;COUNT=2",
            ),
        )
    )
    (series,) = cal.series
    assert series.all_day
    assert series.items[0].recurrence.duration == timedelta(days=1)  # nominal, not 23 hours
    assert [o.span for o in cal.occurrences()] == [
        TimeSpan(utc(2026, 3, 28, 23), utc(2026, 3, 29, 22)),  # the 23-hour day
        TimeSpan(utc(2026, 4, 4, 22), utc(2026, 4, 5, 22)),  # midnight to midnight CEST
    ]


def test_a_recurring_all_day_event_of_two_days_ends_at_local_midnight_in_autumn() -> None:
    cal = read_ical(
        ics(
            *event(
                "UID:camp",
                "DTSTART;VALUE=DATE:20261017",
                "DURATION:P2D",
                "RRULE:FREQ=WEEKLY;COUNT=2",
            ),
        ),
        default_tz="Europe/Berlin",
    )
    assert [o.span for o in cal.occurrences()] == [
        TimeSpan(utc(2026, 10, 16, 22), utc(2026, 10, 18, 22)),
        TimeSpan(utc(2026, 10, 23, 22), utc(2026, 10, 25, 23)),  # 49 hours: the 25th is long
    ]


@pytest.mark.parametrize("length", ["DURATION:P1D", None])
def test_a_single_all_day_event_of_a_day_ends_at_local_midnight(length: str | None) -> None:
    lines = ["UID:d", "DTSTART;VALUE=DATE:20260329", *([length] if length else [])]
    (single,) = read_ical(ics(*event(*lines)), default_tz="Europe/Berlin").events
    assert single.span == TimeSpan(utc(2026, 3, 28, 23), utc(2026, 3, 29, 22))


def test_an_all_day_override_with_a_utc_recurrence_id_keys_the_series_local_day() -> None:
    # 23:00 UTC on 8 and 15 March is midnight of the 9th and 16th in Berlin: the local days,
    # not the UTC dates, are the occurrences moved and cancelled.
    text = "\r\n".join(
        [
            "BEGIN:VCALENDAR",
            "VERSION:2.0",
            "X-WR-TIMEZONE:Europe/Berlin",
            *event(
                "UID:a",
                "SUMMARY:Holiday",
                "DTSTART;VALUE=DATE:20260302",
                "DTEND;VALUE=DATE:20260303",
                "RRULE:FREQ=WEEKLY;COUNT=3",
            ),
            *event(
                "UID:a",
                "SUMMARY:Moved",
                "RECURRENCE-ID:20260308T230000Z",
                "DTSTART;VALUE=DATE:20260311",
                "DTEND;VALUE=DATE:20260312",
            ),
            *event(
                "UID:a",
                "RECURRENCE-ID:20260315T230000Z",
                "STATUS:CANCELLED",
                "DTSTART;VALUE=DATE:20260316",
                "DTEND;VALUE=DATE:20260317",
            ),
            "END:VCALENDAR",
            "",
        ]
    )
    (series,) = read_ical(text).series
    assert [o.key for o in series.overrides] == [datetime(2026, 3, 9)]
    shown = [(o.key, o.span.start, o.title) for o in series.occurrences()]
    assert shown == [
        (datetime(2026, 3, 2), utc(2026, 3, 1, 23), "Holiday"),
        (datetime(2026, 3, 9), utc(2026, 3, 10, 23), "Moved"),
    ]


ROUND_TRIP = ics(
    "X-WR-TIMEZONE:Europe/Berlin",
    *event(
        "UID:hol",
        "SUMMARY:Holiday",
        "DTSTART;VALUE=DATE:20260322",
        "DURATION:P1D",
        "RRULE:FREQ=WEEKLY;UNTIL=20260426",
        "EXDATE;VALUE=DATE:20260405",
        "RDATE;VALUE=DATE:20260401",
    ),
    *event(  # moved to another whole day
        "UID:hol",
        "RECURRENCE-ID;VALUE=DATE:20260412",
        "DTSTART;VALUE=DATE:20260413",
        "DTEND;VALUE=DATE:20260414",
    ),
    *event(  # made a timed event
        "UID:hol",
        "RECURRENCE-ID;VALUE=DATE:20260419",
        "DTSTART;TZID=Europe/Berlin:20260419T100000",
        "DTEND;TZID=Europe/Berlin:20260419T120000",
    ),
)


@pytest.mark.parametrize("default_tz", ["UTC", "Europe/Berlin", "America/New_York"])
def test_an_all_day_series_is_written_in_dates_and_read_back_all_day(default_tz: str) -> None:
    cal = read_ical(ROUND_TRIP)
    text = write_ical(cal, stamp=utc(2026, 1, 1))
    lines = text.splitlines()
    assert "X-WR-TIMEZONE:Europe/Berlin" in lines
    assert "DTSTART;VALUE=DATE:20260322" in lines
    assert "RRULE:FREQ=WEEKLY;UNTIL=20260426" in lines
    assert "EXDATE;VALUE=DATE:20260405" in lines
    assert "RDATE;VALUE=DATE:20260401" in lines
    assert "RECURRENCE-ID;VALUE=DATE:20260412" in lines
    assert "DTSTART;VALUE=DATE:20260413" in lines
    assert "RECURRENCE-ID;VALUE=DATE:20260419" in lines
    assert "DTSTART;TZID=Europe/Berlin:20260419T100000" in lines
    again = read_ical(text, default_tz=default_tz)  # X-WR-TIMEZONE names the days' zone
    assert again.series[0].all_day
    assert again.occurrences() == cal.occurrences()
    assert write_ical(again, stamp=utc(2026, 1, 1)) == text
    # The 29 March (CEST starts) is 23 hours, the RDATE's day and the moved day whole days.
    assert [o.span for o in again.occurrences()][:3] == [
        TimeSpan(utc(2026, 3, 21, 23), utc(2026, 3, 22, 23)),
        TimeSpan(utc(2026, 3, 28, 23), utc(2026, 3, 29, 22)),
        TimeSpan(utc(2026, 3, 31, 22), utc(2026, 4, 1, 22)),
    ]


def test_an_all_day_series_of_another_zone_is_written_timed_and_keeps_its_instants() -> None:
    """DATEs are read in the calendar's one zone: the first all-day series' zone."""
    berlin = read_ical(
        ics(*event("UID:b", "DTSTART;VALUE=DATE:20260328", "RRULE:FREQ=DAILY;COUNT=3")),
        default_tz="Europe/Berlin",
    )
    tokyo = read_ical(
        ics(*event("UID:t", "DTSTART;VALUE=DATE:20260328", "RRULE:FREQ=DAILY;COUNT=3")),
        default_tz="Asia/Tokyo",
    )
    both = IcalCalendar(series=(*berlin.series, *tokyo.series))
    text = write_ical(both, stamp=utc(2026, 1, 1))
    assert "DTSTART;VALUE=DATE:20260328" in text.splitlines()
    assert "DTSTART;TZID=Asia/Tokyo:20260328T000000" in text.splitlines()
    again = read_ical(text)
    assert [s.all_day for s in again.series] == [True, False]
    assert again.occurrences() == both.occurrences()
    # The Tokyo series keeps calendar days for other programs: its days are local days.
    assert text.splitlines().count("DURATION:P1D") == 2


def test_a_date_dtend_after_a_date_time_dtstart_is_refused_on_its_line() -> None:
    # Read as midnight in the calendar's zone (New York) the Berlin evening ended at 04:00 UTC,
    # ten hours long; RFC 5545 gives DTEND the value type of DTSTART.
    text = ics(
        "X-WR-TIMEZONE:America/New_York",
        *event(
            "UID:talk",
            "DTSTART;TZID=Europe/Berlin:20260316T180000",
            "DTEND;VALUE=DATE:20260317",
        ),
    )
    with pytest.raises(CalendarSyntaxError) as caught:
        read_ical(text)
    assert (caught.value.line, caught.value.text, caught.value.uid) == (
        7,
        "DTEND;VALUE=DATE:20260317",
        "talk",
    )
    assert "DTEND is a DATE but DTSTART a DATE-TIME" in str(caught.value)


def test_a_date_time_dtend_after_a_date_dtstart_ends_at_its_instant() -> None:
    cal = read_ical(
        ics(
            *event(
                "UID:a", "DTSTART;VALUE=DATE:20260316", "DTEND;TZID=Europe/Berlin:20260316T190000"
            )
        ),
        default_tz="Europe/Berlin",
    )
    assert [e.span for e in cal.events] == [TimeSpan(utc(2026, 3, 15, 23), utc(2026, 3, 16, 18))]


@pytest.mark.parametrize(
    ("default_tz", "until"),
    [
        ("UTC", "20261204T230000Z"),  # Exchange in Berlin: midnight of the 5th there
        ("Europe/Berlin", "20261204T230000Z"),
        ("America/New_York", "20261204T230000Z"),
        ("UTC", "20261205T050000Z"),  # Exchange in New York
        ("Europe/Berlin", "20261205T050000Z"),
        ("UTC", "20261205T000000Z"),
    ],
)
def test_a_utc_until_of_an_all_day_series_keeps_the_day_it_begins(
    default_tz: str, until: str
) -> None:
    """UNTIL=20261204T230000Z is 5 December's midnight in Berlin: the 5th is the last day."""
    cal = read_ical(
        ics(
            *event(
                "UID:bin",
                "SUMMARY:Bin",
                "DTSTART;VALUE=DATE:20261128",
                "DTEND;VALUE=DATE:20261129",
                f"RRULE:FREQ=WEEKLY;UNTIL={until}",
            ),
        ),
        default_tz=default_tz,
    )
    days = [o.key.date() for o in cal.occurrences() if o.key is not None]
    assert days == [date(2026, 11, 28), date(2026, 12, 5)]


@pytest.mark.parametrize("default_tz", ["UTC", "Europe/Berlin"])
def test_a_utc_until_at_the_end_of_a_day_of_an_all_day_series_ends_that_day(
    default_tz: str,
) -> None:
    """A last second (22:59:59 UTC, Berlin's 23:59:59) bounds the starts, as RFC 5545 says."""
    cal = read_ical(
        ics(
            *event(
                "UID:bin",
                "DTSTART;VALUE=DATE:20261128",
                "RRULE:FREQ=DAILY;UNTIL=20261129T225959Z",
            ),
        ),
        default_tz=default_tz,
    )
    days = [o.key.date() for o in cal.occurrences() if o.key is not None]
    assert days == [date(2026, 11, 28), date(2026, 11, 29)]
