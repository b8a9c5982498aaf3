"""sessionkit.contrib.ical: VTIMEZONE RRULEs that can never happen, and one VTIMEZONE per TZID."""

from __future__ import annotations

from datetime import tzinfo

import pytest

from sessionkit.contrib.ical import CalendarSyntaxError, UnknownCalendarZone, read_ical
from sessionkit.errors import InvalidRecurrence

from ._ical_support import event, ics, utc

RULES_EXPECTED = "STANDARD and DAYLIGHT RRULEs that some date matches (BYMONTH 1..12, ...)"
CUSTOM = "Customized Time Zone"  # Outlook's TZID for every zone of its own: icalendar caches it
WINDOWS = "W. Europe Standard Time"


def _zone(
    tzid: str, back: str = "BYMONTH=10;BYDAY=-1SU", forward: str = "BYMONTH=3;BYDAY=-1SU"
) -> list[str]:
    """Berlin's rules as Outlook writes them (TZID on the zone's second line, RRULEs on +6, +12)."""
    return [
        "BEGIN:VTIMEZONE",
        f"TZID:{tzid}",
        "BEGIN:STANDARD",
        "DTSTART:16010101T030000",
        "TZOFFSETFROM:+0200",
        "TZOFFSETTO:+0100",
        f"RRULE:FREQ=YEARLY;{back}",
        "END:STANDARD",
        "BEGIN:DAYLIGHT",
        "DTSTART:16010101T020000",
        "TZOFFSETFROM:+0100",
        "TZOFFSETTO:+0200",
        f"RRULE:FREQ=YEARLY;{forward}",
        "END:DAYLIGHT",
        "END:VTIMEZONE",
    ]


def _exported_rules(text: str) -> tzinfo:
    """The rules of the one VTIMEZONE ``write_ical`` writes for ``text``, as a reader has them."""
    import icalendar

    from sessionkit.contrib.ical import write_ical

    written = write_ical(read_ical(text), stamp=utc(2026, 1, 1))
    (vtimezone,) = icalendar.Calendar.from_ical(written).walk("VTIMEZONE")
    assert isinstance(vtimezone, icalendar.Timezone)
    rules: tzinfo = vtimezone.to_tz(lookup_tzid=False)
    return rules


def _calendar(*zones: list[str], tzid: str | None) -> str:
    """``zones`` (the first one's TZID on line 4), then one event in ``tzid`` (``None``: UTC)."""
    start = f"DTSTART;TZID={tzid}:20261101T180000" if tzid else "DTSTART:20261101T170000Z"
    lines = [line for zone in zones for line in zone]
    return ics(*lines, *event("UID:u", start, "DURATION:PT1H"))


IMPOSSIBLE = [
    ("BYMONTH=13;BYDAY=-1SU", "BYMONTH=13 is out of range; expected 1..12", "BYMONTH"),
    ("BYMONTH=10;BYMONTHDAY=32", "BYMONTHDAY=32 is out of range; expected +/-1..31", "BYMONTHDAY"),
    ("BYMONTH=10;BYDAY=9SU", "no date matches it", None),  # a ninth Sunday of October
    ("BYMONTH=2;BYMONTHDAY=30", "no date matches it", None),
    ("BYMONTH=10;BYDAY=-1SU;BYMONTH=11", "BYMONTH is given twice in", "BYMONTH"),
]


@pytest.mark.parametrize(("rule", "why", "part"), IMPOSSIBLE)
@pytest.mark.parametrize("daylight", [False, True])
@pytest.mark.parametrize("used", [True, False])
@pytest.mark.parametrize("tzid", [CUSTOM, WINDOWS])
def test_a_vtimezone_rule_that_can_never_happen_is_refused_on_its_tzid_line(
    rule: str, why: str, part: str | None, daylight: bool, used: bool, tzid: str
) -> None:
    # icalendar took these and failed (a bare ValueError) only on converting a date by the
    # zone, or (a rule no date matches) read the zone without that change of offset.
    zone = _zone(tzid, forward=rule) if daylight else _zone(tzid, back=rule)
    with pytest.raises(CalendarSyntaxError) as caught:
        read_ical(_calendar(zone, tzid=tzid if used else None))
    error = caught.value
    name, line = ("DAYLIGHT", 15) if daylight else ("STANDARD", 9)
    text = f"FREQ=YEARLY;{rule}"
    assert (error.line, error.text, error.uid) == (4, f"TZID:{tzid}", None)
    assert error.expected == RULES_EXPECTED
    assert str(error).startswith(
        f"line 4: the VTIMEZONE of TZID {tzid!r} cannot be read (its {name} RRULE on line"
        f" {line}, {text!r}, can never happen: {why}"
    )
    assert str(error).endswith(f") in 'TZID:{tzid}'")
    if part is None:
        assert error.__cause__ is None
    else:
        assert isinstance(error.__cause__, InvalidRecurrence)
        assert error.__cause__.part == part


@pytest.mark.parametrize("tzid", [CUSTOM, WINDOWS])
def test_an_impossible_rule_is_refused_after_a_good_zone_of_its_tzid_was_read(tzid: str) -> None:
    # icalendar keeps the first VTIMEZONE of a TZID it reads for the whole process.
    assert read_ical(_calendar(_zone(tzid), tzid=tzid)).events[0].tz == "Europe/Berlin"
    with pytest.raises(CalendarSyntaxError, match="BYMONTH=13 is out of range") as caught:
        read_ical(_calendar(_zone(tzid, back="BYMONTH=13;BYDAY=-1SU"), tzid=tzid))
    assert (caught.value.line, caught.value.text) == (4, f"TZID:{tzid}")


def test_a_broken_windows_zone_is_refused_whatever_was_read_before() -> None:
    # icalendar reads a VTIMEZONE of a Windows name as it parses unless it has one of that
    # TZID already: a broken one passed once a good one had been read in the process.
    assert read_ical(_calendar(_zone(WINDOWS), tzid=None)).events[0].tz == "UTC"
    broken = [line for line in _zone(WINDOWS) if line != "DTSTART:16010101T030000"]
    with pytest.raises(CalendarSyntaxError) as caught:
        read_ical(_calendar(broken, tzid=None))
    assert (caught.value.line, caught.value.text) == (4, f"TZID:{WINDOWS}")
    assert str(caught.value) == (
        f"line 4: the VTIMEZONE of TZID {WINDOWS!r} cannot be read (mandatory DTSTART not"
        f" found) in 'TZID:{WINDOWS}'"
    )


@pytest.mark.parametrize(
    ("first", "why"),
    [
        (_zone(CUSTOM, back="BYMONTH=13;BYDAY=-1SU"), "its STANDARD RRULE on line 9"),
        ([line for line in _zone(CUSTOM) if not line.startswith("DTSTART")], "mandatory DTSTART"),
    ],
)
def test_a_zone_refused_while_icalendar_fails_on_another_is_named_once(
    first: list[str], why: str
) -> None:
    # icalendar fails on the second zone as it parses; the first, whose TZID it had read
    # before, was refused with its own error inside another ("cannot be read (line 4: ...").
    assert read_ical(_calendar(_zone(CUSTOM), tzid=CUSTOM)).events[0].tz == "Europe/Berlin"
    no_parts = ["BEGIN:VTIMEZONE", "TZID:Never read before", "END:VTIMEZONE"]
    with pytest.raises(CalendarSyntaxError) as caught:
        read_ical(_calendar(first, no_parts, tzid=None))
    assert (caught.value.line, caught.value.text) == (4, f"TZID:{CUSTOM}")
    assert str(caught.value).startswith(
        f"line 4: the VTIMEZONE of TZID {CUSTOM!r} cannot be read ({why}"
    )
    assert str(caught.value).count("cannot be read") == 1


@pytest.mark.parametrize(
    ("back", "forward"),
    [
        ("BYMONTH=10;BYDAY=-1SU", "BYMONTH=3;BYDAY=-1SU"),  # Outlook
        ("BYMONTH=10;BYDAY=5SU", "BYMONTH=3;BYDAY=5SU"),  # Exchange's "last": not every year
        ("BYMONTH=10;BYDAY=-1SU;UNTIL=19951029T010000Z", "BYMONTH=3;BYDAY=-1SU"),  # has ended
        ("BYMONTH=10;BYDAY=-1SU;COUNT=1", "BYMONTH=3;BYDAY=-1SU"),
    ],
)
def test_vtimezone_rules_that_happen_are_read(back: str, forward: str) -> None:
    assert read_ical(_calendar(_zone(CUSTOM, back, forward), tzid=None)).events[0].tz == "UTC"


def test_a_fine_vtimezone_rule_whose_first_date_is_far_is_read() -> None:
    # Too far to look for within the expansion's limit (every second to 29 February 2004):
    # refused only when it certainly never happens.
    rule = "RRULE:FREQ=SECONDLY;BYMONTH=2;BYMONTHDAY=29"
    zone = [rule if line.startswith("RRULE:") else line for line in _zone(CUSTOM)]
    assert read_ical(_calendar(zone, tzid=None)).events[0].tz == "UTC"


def test_a_zone_that_starts_in_year_one_is_read() -> None:
    zone = [line.replace("16010101", "00010101") for line in _zone(CUSTOM)]
    assert read_ical(_calendar(zone, tzid=CUSTOM)).events[0].span.start == utc(2026, 11, 1, 17)


def test_the_vtimezone_of_an_iana_tzid_is_not_read_so_its_rules_are_not_checked() -> None:
    # The IANA zone's own rules are used (icalendar does not read such a VTIMEZONE either).
    zone = _zone("Europe/Berlin", back="BYMONTH=13;BYDAY=-1SU")
    cal = read_ical(_calendar(zone, tzid="Europe/Berlin"))
    assert (cal.events[0].tz, cal.events[0].span.start) == ("Europe/Berlin", utc(2026, 11, 1, 17))


NO_PARTS = ["BEGIN:VTIMEZONE", f"TZID:{CUSTOM}", "END:VTIMEZONE"]


@pytest.mark.parametrize(
    ("first", "tzid"),
    [
        (NO_PARTS, CUSTOM),  # icalendar kept the second: the first was never read
        (_zone(CUSTOM, back="BYMONTH=13;BYDAY=-1SU"), CUSTOM),
        (_zone(CUSTOM), CUSTOM),  # even two good ones: which does an event mean?
        (_zone(WINDOWS), WINDOWS),
        (_zone("Europe/Berlin"), "Europe/Berlin"),
    ],
)
@pytest.mark.parametrize("used", [True, False])
def test_a_second_vtimezone_of_one_tzid_is_refused_on_its_tzid_line(
    first: list[str], tzid: str, used: bool
) -> None:
    second_line = 3 + len(first) + 1
    with pytest.raises(CalendarSyntaxError) as caught:
        read_ical(_calendar(first, _zone(tzid), tzid=tzid if used else None))
    error = caught.value
    assert (error.line, error.text, error.uid) == (second_line, f"TZID:{tzid}", None)
    assert error.expected == "one VTIMEZONE per TZID (RFC 5545 section 3.8.3.1)"
    assert str(error) == (
        f"line {second_line}: a second VTIMEZONE of TZID {tzid!r} (the first is on line 4); a"
        f" TZID names one VTIMEZONE in a calendar in 'TZID:{tzid}'"
    )


def test_two_vtimezones_of_different_tzids_are_read() -> None:
    cal = read_ical(_calendar(_zone(CUSTOM), _zone("Other Zone"), tzid="Other Zone"))
    assert cal.events[0].span.start == utc(2026, 11, 1, 17)


def test_an_exported_vtimezone_keeps_an_offset_held_for_less_than_64_days() -> None:
    # icalendar's from_tzinfo stepped 64 days at a time and never saw Casablanca's Ramadan hour
    # of 2027 (+00 from 7 February to 14 March): a reader going by the VTIMEZONE put the
    # weekly class an hour late those five weeks.
    from datetime import datetime, timedelta

    text = ics(
        *event(
            "UID:u",
            "DTSTART;TZID=Africa/Casablanca:20260105T093000",
            "DURATION:PT1H",
            "RRULE:FREQ=WEEKLY",
        )
    )
    rules = _exported_rules(text)
    offsets = [
        datetime.fromisoformat(day + "T12:00+00:00").astimezone(rules).utcoffset()
        for day in ("2027-02-06", "2027-02-08", "2027-03-13", "2027-03-15")
    ]
    hour, none = timedelta(hours=1), timedelta(0)
    assert offsets == [hour, none, none, hour]


def test_an_exported_vtimezone_covers_an_rdate_before_the_series_start() -> None:
    # The VTIMEZONE began at DTSTART (June, Sydney's winter): a reader going by it read the
    # January RDATE with the winter offset, an hour after the session.
    from datetime import datetime
    from zoneinfo import ZoneInfo

    text = ics(
        *event(
            "UID:u",
            "DTSTART;TZID=Australia/Sydney:20260615T093000",
            "DURATION:PT1H",
            "RRULE:FREQ=WEEKLY;COUNT=3",
            "RDATE;TZID=Australia/Sydney:20260105T093000",
        )
    )
    rules = _exported_rules(text)
    rdate = datetime(2026, 1, 5, 9, 30)
    assert rdate.replace(tzinfo=rules).astimezone(ZoneInfo("UTC")) == utc(2026, 1, 4, 22, 30)


def _us_eastern_of_today() -> list[str]:
    """New York's rules since 2007 (March's second Sunday, November's first), as Outlook writes."""
    return [
        "BEGIN:VTIMEZONE",
        f"TZID:{CUSTOM}",
        "BEGIN:STANDARD",
        "DTSTART:16010101T020000",
        "TZOFFSETFROM:-0400",
        "TZOFFSETTO:-0500",
        "RRULE:FREQ=YEARLY;BYMONTH=11;BYDAY=1SU",
        "END:STANDARD",
        "BEGIN:DAYLIGHT",
        "DTSTART:16010101T020000",
        "TZOFFSETFROM:-0500",
        "TZOFFSETTO:-0400",
        "RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=2SU",
        "END:DAYLIGHT",
        "END:VTIMEZONE",
    ]


def _us_events(old_day: str) -> str:
    """A 2026 event in :func:`_us_eastern_of_today` (New York), then one on ``old_day``."""
    return ics(
        *_us_eastern_of_today(),
        *event("UID:now", f"DTSTART;TZID={CUSTOM}:20260316T180000", "DURATION:PT1H"),
        *event("UID:old", f"DTSTART;TZID={CUSTOM}:{old_day}T180000", "DURATION:PT1H"),
    )


def test_a_date_the_matched_zone_gives_other_offsets_on_is_refused_not_shifted() -> None:
    # 16 March 2005 is summer time by the VTIMEZONE (22:00 UTC), winter time in New York
    # (April's first Sunday until 2007): read in New York it moved an hour, to 23:00 UTC.
    text = _us_events("20050316")
    with pytest.raises(UnknownCalendarZone) as caught:
        read_ical(text)
    assert (caught.value.line, caught.value.uid) == (25, "old")
    assert caught.value.text == f"DTSTART;TZID={CUSTOM}:20050316T180000"
    assert "offsets on 2005-03-16 are not America/New_York's" in str(caught.value)


def test_a_date_the_matched_zone_agrees_on_is_read_in_it() -> None:
    cal = read_ical(_us_events("20050601"))
    assert [(e.uid, e.tz, e.span.start) for e in cal.events] == [
        ("now", "America/New_York", utc(2026, 3, 16, 22)),
        ("old", "America/New_York", utc(2005, 6, 1, 22)),
    ]


def test_a_date_another_zone_matches_on_is_read_in_that_zone() -> None:
    # Moscow's +03:00 all year since 2014 is Europe/Moscow; in 2012 Moscow kept +04:00, so an
    # event of then is read in a zone of +03:00 that year (Nairobi), at 15:00 UTC as written.
    text = ics(
        "BEGIN:VTIMEZONE",
        "TZID:Russia TZ 2",
        "BEGIN:STANDARD",
        "DTSTART:16010101T000000",
        "TZOFFSETFROM:+0300",
        "TZOFFSETTO:+0300",
        "END:STANDARD",
        "END:VTIMEZONE",
        *event("UID:now", "DTSTART;TZID=Russia TZ 2:20260316T180000", "DURATION:PT1H"),
        *event("UID:old", "DTSTART;TZID=Russia TZ 2:20120316T180000", "DURATION:PT1H"),
        *event("UID:old2", "DTSTART;TZID=Russia TZ 2:20120601T180000", "DURATION:PT1H"),
    )
    assert [(e.uid, e.tz, e.span.start) for e in read_ical(text).events] == [
        ("now", "Europe/Moscow", utc(2026, 3, 16, 15)),
        ("old", "Africa/Nairobi", utc(2012, 3, 16, 15)),
        ("old2", "Africa/Nairobi", utc(2012, 6, 1, 15)),
    ]


def _pair_of(year: int, tzid: str, std: str, dst: str, spring: str, autumn: str) -> list[str]:
    """A VTIMEZONE of one year's two changes and no RRULE, as some writers cover their events."""
    return [
        "BEGIN:VTIMEZONE",
        f"TZID:{tzid}",
        "BEGIN:STANDARD",
        f"DTSTART:{year}{autumn}",
        f"TZOFFSETFROM:{dst}",
        f"TZOFFSETTO:{std}",
        "END:STANDARD",
        "BEGIN:DAYLIGHT",
        f"DTSTART:{year}{spring}",
        f"TZOFFSETFROM:{std}",
        f"TZOFFSETTO:{dst}",
        "END:DAYLIGHT",
        "END:VTIMEZONE",
    ]


def test_a_vtimezone_of_one_year_matches_the_zone_of_its_dates() -> None:
    # Berlin's 2026 changes alone: after 25 October it stays +0100 for ever, which no zone
    # does, so it matched none (over two years); over its own dates it is Europe/Berlin.
    text = ics(
        *_pair_of(2026, CUSTOM, "+0100", "+0200", "0329T020000", "1025T030000"),
        *event(
            "UID:s",
            f"DTSTART;TZID={CUSTOM}:20260316T180000",
            "DURATION:PT1H",
            "RRULE:FREQ=WEEKLY;COUNT=3",
        ),
    )
    (series,) = read_ical(text).series
    assert series.tz == "Europe/Berlin"
    assert [o.span.start for o in series.occurrences()] == [
        utc(2026, 3, 16, 17),
        utc(2026, 3, 23, 17),
        utc(2026, 3, 30, 16),  # after the 29 March change
    ]


def test_a_vtimezone_of_one_year_is_matched_over_its_changes_not_one_day() -> None:
    # -0500 in January is Bogota's too, and -0400 Halifax's: New York's 2026 changes say which.
    text = ics(
        *_pair_of(2026, CUSTOM, "-0500", "-0400", "0308T020000", "1101T020000"),
        *event("UID:jan", f"DTSTART;TZID={CUSTOM}:20260115T180000", "DURATION:PT1H"),
        *event("UID:jul", f"DTSTART;TZID={CUSTOM}:20260715T180000", "DURATION:PT1H"),
    )
    assert [(e.uid, e.tz, e.span.start) for e in read_ical(text).events] == [
        ("jan", "America/New_York", utc(2026, 1, 15, 23)),
        ("jul", "America/New_York", utc(2026, 7, 15, 22)),
    ]


def test_a_vtimezone_whose_rules_go_on_is_still_matched_over_two_years() -> None:
    # Berlin's changes but a 2nd Sunday of March: 16 March is summer time by it, and no zone
    # has these rules, though Berlin agrees on the event's day.
    text = ics(
        *_zone(CUSTOM, forward="BYMONTH=3;BYDAY=2SU"),
        *event("UID:u", f"DTSTART;TZID={CUSTOM}:20260601T180000", "DURATION:PT1H"),
    )
    with pytest.raises(UnknownCalendarZone, match="its VTIMEZONE matches no IANA zone"):
        read_ical(text)


def test_a_windows_name_with_its_own_vtimezone_is_read_by_it() -> None:
    # W. Europe Standard Time is Europe/Berlin, but this VTIMEZONE keeps +0100 all year:
    # 18:00 on 1 June is 17:00 UTC by it, not Berlin's 16:00.
    fixed = [
        "BEGIN:VTIMEZONE",
        f"TZID:{WINDOWS}",
        "BEGIN:STANDARD",
        "DTSTART:16010101T000000",
        "TZOFFSETFROM:+0100",
        "TZOFFSETTO:+0100",
        "END:STANDARD",
        "END:VTIMEZONE",
    ]
    text = ics(
        *fixed,
        *event("UID:jun", f"DTSTART;TZID={WINDOWS}:20260601T180000", "DURATION:PT1H"),
    )
    (found,) = read_ical(text).events
    assert (found.tz, found.span.start) == ("Africa/Lagos", utc(2026, 6, 1, 17))


def test_a_windows_name_whose_vtimezone_agrees_is_its_zone() -> None:
    text = ics(
        *_zone(WINDOWS),
        *event("UID:jun", f"DTSTART;TZID={WINDOWS}:20260601T180000", "DURATION:PT1H"),
    )
    (found,) = read_ical(text).events
    assert (found.tz, found.span.start) == ("Europe/Berlin", utc(2026, 6, 1, 16))


def test_a_windows_name_whose_vtimezone_no_zone_fits_is_refused_not_shifted() -> None:
    # Outlook before 2007: Eastern Standard Time changed on April's first Sunday. 16 March
    # 2026 is winter time by it (23:00 UTC), summer time in New York (22:00 UTC).
    old_rules = [
        "BEGIN:VTIMEZONE",
        "TZID:Eastern Standard Time",
        "BEGIN:STANDARD",
        "DTSTART:16010101T020000",
        "TZOFFSETFROM:-0400",
        "TZOFFSETTO:-0500",
        "RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU",
        "END:STANDARD",
        "BEGIN:DAYLIGHT",
        "DTSTART:16010101T020000",
        "TZOFFSETFROM:-0500",
        "TZOFFSETTO:-0400",
        "RRULE:FREQ=YEARLY;BYMONTH=4;BYDAY=1SU",
        "END:DAYLIGHT",
        "END:VTIMEZONE",
    ]
    start = "DTSTART;TZID=Eastern Standard Time:20260316T180000"
    with pytest.raises(UnknownCalendarZone) as caught:
        read_ical(ics(*old_rules, *event("UID:m", start, "DURATION:PT1H")))
    assert (caught.value.line, caught.value.text, caught.value.uid) == (20, start, "m")
    assert "offsets on 2026-03-16 are not America/New_York's (its Windows name's)" in str(
        caught.value
    )


def test_a_value_past_the_last_change_of_a_vtimezone_of_one_year_is_in_its_zone() -> None:
    # The series runs into 2027 in Europe/Berlin; an EXDATE and a RECURRENCE-ID of July 2027
    # read by the VTIMEZONE's last +0100 were an hour off its occurrences: one not taken out,
    # one moved occurrence kept twice.
    text = ics(
        *_pair_of(2026, CUSTOM, "+0100", "+0200", "0329T020000", "1025T030000"),
        *event(
            "UID:s",
            f"DTSTART;TZID={CUSTOM}:20260316T180000",
            "DURATION:PT1H",
            "RRULE:FREQ=WEEKLY;COUNT=70",
            f"EXDATE;TZID={CUSTOM}:20270705T180000",
        ),
        *event(
            "UID:s",
            f"RECURRENCE-ID;TZID={CUSTOM}:20270628T180000",
            f"DTSTART;TZID={CUSTOM}:20270628T190000",
            "DURATION:PT1H",
        ),
    )
    (series,) = read_ical(text).series
    assert series.tz == "Europe/Berlin"
    found = series.occurrences(utc(2027, 6, 20), utc(2027, 7, 20))
    assert [o.span.start for o in found] == [
        utc(2027, 6, 21, 16),
        utc(2027, 6, 28, 17),  # moved to 19:00
        utc(2027, 7, 12, 16),
    ]


def test_a_value_past_a_windows_vtimezone_of_one_year_is_in_the_zone_it_matched() -> None:
    # New York's 2026 changes under Berlin's Windows name: the series is read in New York,
    # and so is its EXDATE of July 2027, past the VTIMEZONE's dates, not in Berlin.
    text = ics(
        *_pair_of(2026, WINDOWS, "-0500", "-0400", "0308T020000", "1101T020000"),
        *event(
            "UID:s",
            f"DTSTART;TZID={WINDOWS}:20260316T180000",
            "DURATION:PT1H",
            "RRULE:FREQ=WEEKLY;COUNT=70",
            f"EXDATE;TZID={WINDOWS}:20270705T180000",
        ),
    )
    (series,) = read_ical(text).series
    assert series.tz == "America/New_York"
    found = series.occurrences(utc(2027, 6, 20), utc(2027, 7, 20))
    assert [o.span.start for o in found] == [
        utc(2027, 6, 21, 22),
        utc(2027, 6, 28, 22),
        utc(2027, 7, 12, 22),
    ]


def test_a_vtimezone_of_a_few_changes_by_rdate_matches_over_them() -> None:
    # Pacific time from November 2022 to March 2024 only, its changes as RDATEs (as some
    # writers cut a zone to a calendar's dates): read in Los Angeles, where it matched none.
    text = ics(
        "BEGIN:VTIMEZONE",
        "TZID:Pacific (cut)",
        "BEGIN:STANDARD",
        "DTSTART:20221106T020000",
        "TZOFFSETFROM:-0700",
        "TZOFFSETTO:-0800",
        "RDATE:20231105T020000",
        "END:STANDARD",
        "BEGIN:DAYLIGHT",
        "DTSTART:20230312T020000",
        "TZOFFSETFROM:-0800",
        "TZOFFSETTO:-0700",
        "RDATE:20240310T020000",
        "END:DAYLIGHT",
        "END:VTIMEZONE",
        *event(
            "UID:s",
            "DTSTART;TZID=Pacific (cut):20231018T120000",
            "DURATION:PT2H",
            "RRULE:FREQ=MONTHLY;BYDAY=3WE;COUNT=3",
        ),
    )
    (series,) = read_ical(text).series
    assert series.tz == "America/Los_Angeles"
    assert [o.span.start for o in series.occurrences()] == [
        utc(2023, 10, 18, 19),
        utc(2023, 11, 15, 20),  # after the 5 November change
        utc(2023, 12, 20, 20),
    ]
