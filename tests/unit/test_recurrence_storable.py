"""A recurrence reads back from its iCalendar lines exactly as it was, or is refused up front.

Years before 1000 used to be written without their leading zeros (year 99 as
``990101``, which no reader parses, year 999 as ``9990101``, which reads back
as 9990); a duration of 90 minutes and 500 microseconds was written as
``PT1H30M`` and read back 500 microseconds shorter. Years are now always four
digits (lines written the old way still read correctly), and an RFC 5545
value finer than a second (DURATION, RDATE, EXDATE, UNTIL) is refused or, for
UNTIL, cut to the second it cannot change.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from sessionkit.errors import InvalidRecurrence, SessionKitError
from sessionkit.recurrence import Recurrence, Rule


def _roundtrip(rec: Recurrence) -> Recurrence:
    return Recurrence.from_ical_lines(rec.to_ical_lines(), disambiguate=rec.disambiguate)


@pytest.mark.parametrize("year", [1, 9, 99, 999, 1000, 2026, 9998])
@pytest.mark.parametrize("tz", ["UTC", "Europe/Berlin"])
def test_every_year_round_trips_with_four_digits(year: int, tz: str) -> None:
    rec = Recurrence.from_rrule(
        f"FREQ=WEEKLY;UNTIL={year:04d}0601T000000Z",
        start=datetime(year, 1, 5, 10),
        tz=tz,
        duration=timedelta(hours=1, seconds=1),
        exdates=[datetime(year, 1, 12, 10), date(year, 1, 19)],
        rdates=[datetime(year, 2, 3, 8, 30)],
    )
    lines = rec.to_ical_lines()
    assert lines[0] == f"DTSTART;TZID={tz}:{year:04d}0105T100000"
    assert f"UNTIL={year:04d}0601T000000Z" in lines[2]
    assert f"EXDATE;VALUE=DATE:{year:04d}0119" in lines
    assert _roundtrip(rec) == rec


@pytest.mark.parametrize(
    ("written", "year"),
    [("990105T100000", 99), ("9990105T100000", 999), ("90105T100000", 9), ("00990105T100000", 99)],
)
def test_lines_written_without_leading_zeros_read_back_right(written: str, year: int) -> None:
    """What earlier versions stored for years before 1000 reads as the year it meant."""
    day = written.split("T")[0]
    until = f"{day[:-4]}0601T000000Z"
    rec = Recurrence.from_ical_lines(
        [
            f"DTSTART;TZID=UTC:{written}",
            "DURATION:PT1H",
            f"RRULE:FREQ=WEEKLY;UNTIL={until}",
            f"EXDATE;VALUE=DATE:{day[:-4]}0119",
        ]
    )
    assert rec.start == datetime(year, 1, 5, 10)
    assert rec.rule.until == datetime(year, 6, 1, tzinfo=UTC)
    assert rec.exdates == (date(year, 1, 19),)


def test_a_duration_finer_than_a_second_is_refused() -> None:
    duration = timedelta(minutes=90, microseconds=500)
    with pytest.raises(InvalidRecurrence, match="whole seconds") as caught:
        Recurrence.from_rrule(
            "FREQ=DAILY", start=datetime(2026, 3, 2, 9), tz="UTC", duration=duration
        )
    assert caught.value.value == duration
    assert caught.value.part == "DURATION"
    assert str(caught.value).startswith(
        "duration 1 hour 30 minutes 0.0005 seconds has a fraction of a second;"
    )
    assert str(caught.value).endswith("(say 1 hour 30 minutes)")
    assert isinstance(caught.value, SessionKitError)
    assert isinstance(caught.value, ValueError)


@pytest.mark.parametrize("part", ["rdates", "exdates"])
def test_an_rdate_or_exdate_finer_than_a_second_is_refused(part: str) -> None:
    instant = datetime(2026, 3, 3, 9, 0, 0, 250, tzinfo=UTC)
    with pytest.raises(InvalidRecurrence, match="whole seconds") as caught:
        Recurrence.from_rrule(
            "FREQ=DAILY",
            start=datetime(2026, 3, 2, 9),
            tz="UTC",
            duration=timedelta(hours=1),
            **{part: [instant]},  # type: ignore[arg-type]  # rdates or exdates
        )
    assert caught.value.value == instant
    assert caught.value.part == part[:-1].upper()


def test_until_is_cut_to_the_second_which_changes_no_occurrence() -> None:
    """Occurrences start on whole seconds, so an inclusive UNTIL loses nothing by the cut."""
    rule = Rule(freq="DAILY", until=datetime(2026, 3, 4, 9, 0, 0, 999_999, tzinfo=UTC))
    rec = Recurrence.from_rrule(
        rule, start=datetime(2026, 3, 2, 9), tz="UTC", duration=timedelta(hours=1)
    )
    assert rec.rule.until == datetime(2026, 3, 4, 9, tzinfo=UTC)
    assert _roundtrip(rec) == rec
    starts = [
        o.span.start.day
        for o in rec.between(datetime(2026, 3, 1, tzinfo=UTC), datetime(2026, 4, 1, tzinfo=UTC))
    ]
    assert starts == [2, 3, 4]


def test_a_rule_built_by_hand_with_a_fractional_until_is_refused() -> None:
    until = datetime(2026, 3, 4, 9, 0, 0, 1, tzinfo=UTC)
    with pytest.raises(InvalidRecurrence, match="whole seconds"):
        Recurrence(
            start=datetime(2026, 3, 2, 9),
            tz="UTC",
            duration=timedelta(hours=1),
            rule=Rule(freq="DAILY", until=until),
        )


def test_the_longest_duration_round_trips() -> None:
    duration = timedelta(days=999_999_999, seconds=86_399)
    rec = Recurrence.from_rrule(
        "FREQ=YEARLY;COUNT=1", start=datetime(2026, 3, 2, 9), tz="UTC", duration=duration
    )
    assert rec.to_ical_lines()[1] == "DURATION:P999999999DT23H59M59S"
    assert _roundtrip(rec) == rec
