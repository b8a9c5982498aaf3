"""Where an imported rule ends: an UNTIL before DTSTART, and what the export writes for it."""

from __future__ import annotations

import pytest

from sessionkit.contrib.ical import CalendarError, read_ical, store_ical, write_ical
from sessionkit.testing.harness import Harness

from ._ical_support import NOW, event, ics, utc

STAMP = utc(2026, 1, 1)


def test_an_until_before_dtstart_gives_no_occurrence() -> None:
    """Confluence deletes a recurring event so: other readers show nothing, and so do we."""
    cal = read_ical(
        ics(
            *event(
                "UID:deleted",
                "SUMMARY:Deleted",
                "DTSTART;VALUE=DATE:20231002",
                "DTEND;VALUE=DATE:20231009",
                "RRULE:FREQ=WEEKLY;UNTIL=20231001;INTERVAL=2;BYDAY=MO",
            ),
            *event(
                "UID:timed",
                "SUMMARY:Timed",
                "DTSTART;TZID=America/New_York:20261025T090000",
                "DURATION:PT1H",
                "RRULE:FREQ=WEEKLY;UNTIL=20261025T125959Z",  # a second before 09:00 EDT
            ),
        )
    )
    assert cal.occurrences() == []
    h = Harness.in_memory(NOW)
    store_ical(h.kit, "acme", cal, actor="a")
    assert h.kit.queries.list("acme").items == ()


def test_an_until_at_dtstart_still_gives_dtstart() -> None:
    """UNTIL is inclusive: at DTSTART's instant the event happens once."""
    cal = read_ical(
        ics(
            *event(
                "UID:once",
                "SUMMARY:Once",
                "DTSTART;TZID=America/New_York:20261025T090000",
                "DURATION:PT1H",
                "RRULE:FREQ=WEEKLY;UNTIL=20261025T130000Z",
            )
        )
    )
    assert [o.span.start for o in cal.occurrences()] == [utc(2026, 10, 25, 13)]


def test_an_all_day_dtstart_a_date_exdate_removes_is_written_once() -> None:
    """The writer's EXDATE of a DTSTART no rule gives is not added again each export."""
    cal = read_ical(
        ics(
            *event(
                "UID:a",
                "SUMMARY:A",
                "DTSTART;VALUE=DATE:20261025",
                "RRULE:FREQ=DAILY;UNTIL=20261020",
            )
        )
    )
    text = write_ical(cal, stamp=STAMP)
    assert "EXDATE;VALUE=DATE:20261025" in text.splitlines()
    again = read_ical(text)
    assert write_ical(again, stamp=STAMP) == text
    assert again.occurrences() == []


def test_an_override_on_the_last_day_of_the_calendar_is_written() -> None:
    """Two rules of one VEVENT and an override on 31 December 9999: no OverflowError."""
    cal = read_ical(
        ics(
            *event(
                "UID:late",
                "SUMMARY:Late",
                "DTSTART;TZID=Europe/Berlin:99981201T090000",
                "DURATION:PT1H",
                "RRULE:FREQ=DAILY",
                "RRULE:FREQ=WEEKLY;BYDAY=MO",
                "RDATE;TZID=Europe/Berlin:99981205T100000",
            ),
            *event(
                "UID:late",
                "SUMMARY:Later",
                "RECURRENCE-ID;TZID=Europe/Berlin:99991231T090000",
                "DTSTART;TZID=Europe/Berlin:99991231T100000",
                "DURATION:PT1H",
            ),
        )
    )
    text = write_ical(cal, stamp=STAMP)
    assert "RECURRENCE-ID;TZID=Europe/Berlin:99991231T090000" in text.splitlines()
    again = read_ical(text)
    assert again.series == cal.series
    assert write_ical(again, stamp=STAMP) == text


@pytest.mark.parametrize("recurring", [False, True])
def test_a_duration_past_year_9999_is_refused_on_its_own_line(recurring: bool) -> None:
    """The DURATION is what is wrong, not the DTSTART the error used to name."""
    rule = ["RRULE:FREQ=DAILY;COUNT=2"] if recurring else []
    text = ics(
        *event("UID:long", "DTSTART:20260101T100000Z", "DURATION:P99999999W", *rule),
    )
    with pytest.raises(CalendarError) as caught:
        read_ical(text)
    assert (caught.value.line, caught.value.text) == (6, "DURATION:P99999999W")
    assert "after year 9999" in str(caught.value)
