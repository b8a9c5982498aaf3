"""A series in a custom VTIMEZONE that no IANA zone reads exactly: its occurrences' instants.

Outlook writes Chile's changes at 02:00 local (STANDARD on the first Sunday of April, from
-0300 to -0400; DAYLIGHT on the first Sunday of September), America/Santiago changes at
midnight. A single event between the two changes keeps the VTIMEZONE's instant; a series
kept Santiago's wall time for every occurrence, so a Sunday class at 01:00 was an hour off
what Outlook showed on both change days of each year. A series that ends now has an
override at the VTIMEZONE's instant for each such occurrence.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from sessionkit.contrib.ical import read_ical
from sessionkit.contrib.ical._event_zones import Zones

from ._ical_support import event, ics, utc
from .test_ical_zone_match_exact import CHILE_AT_2, US_AT_3, _zone

_TZID = "Customized Time Zone"


def _series(rules: tuple[str, ...], *lines: str) -> str:
    return ics(
        *_zone(_TZID, *rules),
        *event("UID:class", f"DTSTART;TZID={_TZID}:20260329T010000", "DURATION:PT1H", *lines),
    )


def test_a_series_in_outlooks_chile_is_where_outlook_shows_it_on_change_days() -> None:
    cal = read_ical(_series(CHILE_AT_2, "RRULE:FREQ=WEEKLY;COUNT=25"))
    (series,) = cal.series
    assert series.tz == "America/Santiago"
    starts = [o.span.start for o in cal.occurrences()]
    assert starts[:3] == [utc(2026, 3, 29, 4), utc(2026, 4, 5, 4), utc(2026, 4, 12, 5)]
    assert starts[22:] == [utc(2026, 8, 30, 5), utc(2026, 9, 6, 5), utc(2026, 9, 13, 4)]
    # 5 April: still -0300 by Outlook's rules (Santiago -0400 since midnight, 05:00 UTC);
    # 6 September: still -0400 (Santiago -0300 from midnight, 04:00 UTC).
    assert [(o.key, o.span.start, o.span.duration.total_seconds()) for o in series.overrides] == [
        (datetime(2026, 4, 5, 1), utc(2026, 4, 5, 4), 3600.0),
        (datetime(2026, 9, 6, 1), utc(2026, 9, 6, 5), 3600.0),
    ]


def test_an_occurrence_the_calendar_overrides_keeps_its_override() -> None:
    text = _series(CHILE_AT_2, "RRULE:FREQ=WEEKLY;COUNT=25").replace(
        "END:VCALENDAR",
        "\r\n".join(
            event(
                "UID:class",
                f"RECURRENCE-ID;TZID={_TZID}:20260906T010000",
                f"DTSTART;TZID={_TZID}:20260906T100000",
                "DURATION:PT1H",
            )
        )
        + "\r\nEND:VCALENDAR",
    )
    (series,) = read_ical(text).series
    assert [(o.key, o.span.start) for o in series.overrides] == [
        (datetime(2026, 4, 5, 1), utc(2026, 4, 5, 4)),
        (datetime(2026, 9, 6, 1), utc(2026, 9, 6, 13)),  # its own: 10:00 at -0300
    ]


def test_us_rules_written_at_three_move_the_repeated_hour_of_a_series() -> None:
    text = ics(
        *_zone(_TZID, *US_AT_3),
        *event(
            "UID:night",
            f"DTSTART;TZID={_TZID}:20261025T023000",
            "DURATION:PT30M",
            "RRULE:FREQ=WEEKLY;UNTIL=20261115T000000Z",
        ),
    )
    starts = [o.span.start for o in read_ical(text).occurrences()]
    # 1 November: 02:30 is EDT by the VTIMEZONE (back at 03:00), EST in New York (07:30 UTC).
    assert starts == [
        utc(2026, 10, 25, 6, 30),
        utc(2026, 11, 1, 6, 30),
        utc(2026, 11, 8, 7, 30),
    ]


def test_a_series_that_never_ends_keeps_its_zones_wall_time() -> None:
    # Generated window by window in its IANA zone for ever: no list of occurrences to move.
    cal = read_ical(_series(CHILE_AT_2, "RRULE:FREQ=WEEKLY"))
    assert cal.series[0].overrides == ()
    window = cal.occurrences(datetime(2026, 9, 5, tzinfo=UTC), datetime(2026, 9, 7, tzinfo=UTC))
    assert [o.span.start for o in window] == [utc(2026, 9, 6, 4)]


@pytest.mark.parametrize(
    "rdate",
    ["RDATE:20260906T050000Z", "RDATE;TZID=America/Santiago:20260906T020000"],
    ids=["utc", "iana"],
)
def test_an_rdate_written_as_an_instant_stays_at_that_instant(rdate: str) -> None:
    # 05:00 UTC, 02:00 in Santiago: a wall time Outlook's Chile skips. Its key is Santiago's
    # wall time, which read as the VTIMEZONE's moved the RDATE to 06:00 UTC.
    cal = read_ical(_series(CHILE_AT_2, "RRULE:FREQ=WEEKLY;COUNT=2", rdate))
    assert [o.span.start for o in cal.occurrences()] == [
        utc(2026, 3, 29, 4),
        utc(2026, 4, 5, 4),  # the rule's, moved: still -0300 by Outlook's rules
        utc(2026, 9, 6, 5),
    ]
    assert [o.key for o in cal.series[0].overrides] == [datetime(2026, 4, 5, 1)]


def test_an_occurrence_moved_onto_an_exdate_does_not_take_place() -> None:
    # The EXDATE in UTC names 05:00, where Outlook's Chile has 01:00 on 6 September; the
    # occurrence was moved there, to the very instant the calendar takes away.
    cal = read_ical(_series(CHILE_AT_2, "RRULE:FREQ=WEEKLY;COUNT=25", "EXDATE:20260906T050000Z"))
    starts = [o.span.start for o in cal.occurrences()]
    assert starts[22:] == [utc(2026, 8, 30, 5), utc(2026, 9, 13, 4)]
    assert [o.key for o in cal.series[0].overrides] == [datetime(2026, 4, 5, 1)]


def test_only_the_occurrences_of_change_days_are_read_by_the_vtimezone(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Each occurrence read by Outlook's rules (dateutil walks them from 1601) cost a daily
    # series of ten years some 3 s; elsewhere the zone's offset is the VTIMEZONE's.
    asked: list[datetime] = []
    exact = Zones.exact

    def counted(zones: Zones, tzid: str, wall: datetime, key: str) -> datetime:
        asked.append(wall)
        return exact(zones, tzid, wall, key)

    monkeypatch.setattr(Zones, "exact", counted)
    (series,) = read_ical(_series(CHILE_AT_2, "RRULE:FREQ=DAILY;COUNT=730")).series
    assert len(series.overrides) == 4  # 5 April and 6 September 2026, 4 April and 5 September 2027
    assert len(asked) <= 12


def test_past_the_dates_where_the_zones_part_a_series_follows_its_zone() -> None:
    # In 2029 Outlook's Chile changes on 1 April (its first Sunday), Santiago on the 8th (after
    # the first Saturday): a week apart, no change day shared, so no occurrence is moved
    # (docs/ical.md); the week Outlook's rules gave -0400 from 1 April kept Santiago's -0300
    # except the 7th, moved as if it were a change day.
    (series,) = read_ical(_series(CHILE_AT_2, "RRULE:FREQ=DAILY;COUNT=1300")).series
    assert [o.key.date().isoformat() for o in series.overrides if o.key.year == 2029] == [
        "2029-09-02"
    ]


def test_a_utc_until_at_the_vtimezones_instant_keeps_the_last_occurrence() -> None:
    # Outlook's Chile 01:00 on 5 April is 04:00 UTC (still -0300 by its rules), the UNTIL a
    # writer gives the last occurrence; Santiago's 01:00 that day is 05:00, past it.
    cal = read_ical(_series(CHILE_AT_2, "RRULE:FREQ=WEEKLY;UNTIL=20260405T040000Z"))
    assert [o.span.start for o in cal.occurrences()] == [utc(2026, 3, 29, 4), utc(2026, 4, 5, 4)]


def test_an_rdate_period_of_its_own_length_is_moved_as_the_rules_occurrences() -> None:
    # Written in the VTIMEZONE's TZID: 01:00 on 6 September is 05:00 UTC there, as a plain
    # RDATE's and the rule's are; it stayed at Santiago's 04:00 beside them.
    period = f"RDATE;VALUE=PERIOD;TZID={_TZID}:20260906T010000/PT2H"
    (series,) = read_ical(_series(CHILE_AT_2, "RRULE:FREQ=WEEKLY;COUNT=2", period)).series
    assert [(o.key, o.span.start, o.span.duration.total_seconds()) for o in series.overrides] == [
        (datetime(2026, 4, 5, 1), utc(2026, 4, 5, 4), 3600.0),
        (datetime(2026, 9, 6, 1), utc(2026, 9, 6, 5), 7200.0),
    ]


def test_a_utc_recurrence_id_names_the_occurrence_its_vtimezone_has_at_that_instant() -> None:
    # 05:00 UTC is Outlook's Chile 01:00 on 6 September (02:00 in Santiago, which no
    # occurrence has): the override was kept beside the occurrence it replaces, moved there.
    text = _series(CHILE_AT_2, "RRULE:FREQ=WEEKLY;COUNT=25").replace(
        "END:VCALENDAR",
        "\r\n".join(
            event(
                "UID:class",
                "RECURRENCE-ID:20260906T050000Z",
                f"DTSTART;TZID={_TZID}:20260906T100000",
                "DURATION:PT1H",
            )
        )
        + "\r\nEND:VCALENDAR",
    )
    cal = read_ical(text)
    assert [(o.key, o.span.start) for o in cal.series[0].overrides] == [
        (datetime(2026, 4, 5, 1), utc(2026, 4, 5, 4)),
        (datetime(2026, 9, 6, 1), utc(2026, 9, 6, 13)),
    ]
    assert len(cal.occurrences()) == 25
