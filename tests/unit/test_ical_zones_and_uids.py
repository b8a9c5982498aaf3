"""sessionkit.contrib.ical: floating values of zoned series, the calendar's edges, kept UIDs."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from sessionkit.contrib.ical import (
    CalendarSyntaxError,
    IcalCalendar,
    IcalEvent,
    UnknownCalendarZone,
    export_series,
    read_ical,
    sessions_feed,
    store_ical,
    write_ical,
)
from sessionkit.testing.harness import Harness
from sessionkit.timespan import TimeSpan

from ._ical_support import NOW, event, ics, utc

BERLIN_WEEKLY = [
    "UID:yoga",
    "SUMMARY:Yoga",
    "DTSTART;TZID=Europe/Berlin:20260316T180000",
    "DURATION:PT1H",
    "RRULE:FREQ=WEEKLY;COUNT=3",
]


def test_a_floating_exdate_of_a_zoned_series_is_in_the_series_zone() -> None:
    cal = read_ical(ics(*event(*BERLIN_WEEKLY, "EXDATE:20260323T180000")))
    assert [o.span.start for o in cal.occurrences()] == [
        utc(2026, 3, 16, 17),
        utc(2026, 3, 30, 16),
    ]
    (item,) = cal.series[0].items
    assert item.recurrence.exdates == (utc(2026, 3, 23, 17),)


def test_a_floating_rdate_and_recurrence_id_of_a_zoned_series_are_in_its_zone() -> None:
    cal = read_ical(
        ics(
            *event(*BERLIN_WEEKLY, "RDATE:20260325T090000"),
            *event(
                "UID:yoga",
                "RECURRENCE-ID:20260330T180000",
                "DTSTART;TZID=Europe/Berlin:20260331T180000",
                "DURATION:PT1H",
            ),
        ),
        default_tz="America/New_York",  # the calendar's floating zone is not the series'
    )
    assert [o.key for o in cal.series[0].overrides] == [datetime(2026, 3, 30, 18)]
    assert [o.span.start for o in cal.occurrences()] == [
        utc(2026, 3, 16, 17),
        utc(2026, 3, 23, 17),
        utc(2026, 3, 25, 8),  # 09:00 in Berlin
        utc(2026, 3, 31, 16),  # the 30th, moved a day on
    ]


def test_a_floating_exdate_of_a_floating_series_stays_in_the_calendar_zone() -> None:
    cal = read_ical(
        ics(
            *event(
                "UID:f",
                "DTSTART:20260316T180000",
                "DURATION:PT1H",
                "RRULE:FREQ=WEEKLY;COUNT=3",
                "EXDATE:20260323T180000",
            )
        ),
        default_tz="America/New_York",
    )
    assert [o.span.start for o in cal.occurrences()] == [utc(2026, 3, 16, 22), utc(2026, 3, 30, 22)]


@pytest.mark.parametrize(
    ("start", "tz"),
    [
        (utc(1, 1, 1, 5), "America/New_York"),
        (utc(1, 1, 1), "America/New_York"),  # 31 December of year 0 in New York
        (utc(1, 1, 1, 5), "Europe/Berlin"),
        (utc(9999, 12, 30, 5), "America/New_York"),
        (utc(9999, 11, 30, 5), "Pacific/Kiritimati"),
    ],
)
def test_events_at_the_edges_of_the_calendar_are_written_and_read_back(
    start: datetime, tz: str
) -> None:
    single = IcalEvent(
        uid="edge", title="Edge", span=TimeSpan(start, start + timedelta(hours=1)), tz=tz
    )
    text = write_ical(IcalCalendar(events=(single,)), stamp=NOW)
    # Where the local time leaves the calendar (or a VTIMEZONE's reach), it is written in UTC.
    assert [e.span for e in read_ical(text).events] == [single.span]


def test_a_year_one_event_in_new_york_is_read_and_written_again() -> None:
    cal = read_ical(
        ics(*event("UID:y", "DTSTART;TZID=America/New_York:00010101T000000", "DURATION:PT1H"))
    )
    (single,) = cal.events
    assert single.span.start == datetime(1, 1, 1, 4, 56, 2, tzinfo=UTC)  # New York's LMT
    text = write_ical(cal, stamp=NOW)
    assert "DTSTART;TZID=America/New_York:00010101T000000" in text
    assert read_ical(text) == cal


IMPORTED = ics(
    *event(*BERLIN_WEEKLY),
    *event(
        "UID:yoga",
        "RECURRENCE-ID;TZID=Europe/Berlin:20260323T180000",
        "DTSTART;TZID=Europe/Berlin:20260324T190000",
        "DURATION:PT1H",
    ),
    *event("UID:talk", "RELATED-TO:yoga", "DTSTART:20260401T100000Z", "DTEND:20260401T110000Z"),
)


def test_an_imported_series_is_exported_with_the_uids_it_came_with() -> None:
    h = Harness.in_memory(NOW)
    stored = store_ical(h.kit, "acme", read_ical(IMPORTED), actor="a")
    series = stored.series["yoga"]
    assert series.id != "yoga"
    text = export_series(series, h.kit.queries.list("acme").items)
    uids = [line for line in text.split("\r\n") if line.startswith(("UID", "RELATED-TO"))]
    assert uids == ["UID:yoga", "UID:yoga", "UID:talk", "RELATED-TO:yoga"]
    back = read_ical(text)
    assert [(s.uid, len(s.overrides)) for s in back.series] == [("yoga", 1)]
    assert [(e.uid, e.series_uid) for e in back.events] == [("talk", "yoga")]


def test_a_uid_imported_twice_is_written_once_and_the_other_session_keeps_its_id() -> None:
    h = Harness.in_memory(NOW)
    talk = ics(*event("UID:talk", "DTSTART:20260401T100000Z", "DTEND:20260401T110000Z"))
    first = store_ical(h.kit, "acme", read_ical(talk), actor="a").extras[0]
    second = store_ical(h.kit, "acme", read_ical(talk), actor="a").extras[0]
    feed = sessions_feed(h.kit.queries.list("acme").items, stamp=NOW)
    assert [e.uid for e in read_ical(feed).events] == ["talk", second.id]
    assert first.metadata["ical_uid"] == second.metadata["ical_uid"] == "talk"


def test_a_feed_imported_back_keeps_every_uid_apart() -> None:
    # A feed of this kit imported again: the new session's imported UID is the id of the
    # session it came from, which the same feed writes too. One UID, one event.
    h = Harness.in_memory(NOW)
    original = h.kit.sessions.create_extra(
        "acme",
        actor="a",
        start=utc(2026, 4, 1, 10),
        end=utc(2026, 4, 1, 11),
        title="Talk",
        lifecycle="lms",
        session_id="z-talk",  # sorts after the copy's id: the copy is written first
    )
    feed = sessions_feed([original], stamp=NOW)
    copy = store_ical(h.kit, "acme", read_ical(feed), actor="a").extras[0]
    assert copy.metadata["ical_uid"] == original.id
    both = sessions_feed(h.kit.queries.list("acme").items, stamp=NOW)
    uids = sorted(e.uid for e in read_ical(both).events)
    assert uids == sorted([original.id, copy.id])


@pytest.mark.parametrize(
    ("length", "written"),
    [
        ("PT24H", "PT24H"),
        ("P1D", "PT24H"),  # read as exact 24 hours, so written as such
        ("P2DT30M", "PT48H30M"),
        ("PT1H0M5S", "PT1H0M5S"),
        ("PT45S", "PT45S"),
    ],
)
def test_a_timed_series_is_written_with_an_exact_duration(length: str, written: str) -> None:
    """A day of a DURATION is a calendar day to other apps (23 hours on 29 March in Berlin)."""
    cal = read_ical(
        ics(
            *event(
                "UID:long",
                "DTSTART;TZID=Europe/Berlin:20260328T100000",
                f"DURATION:{length}",
                "RRULE:FREQ=DAILY;COUNT=2",
            )
        )
    )
    text = write_ical(cal, stamp=NOW)
    assert [line for line in text.splitlines() if line.startswith("DURATION")] == [
        f"DURATION:{written}"
    ]
    again = read_ical(text)
    assert again.series[0].occurrences() == cal.series[0].occurrences()


def test_an_all_day_series_is_still_written_with_days() -> None:
    """Its days are local days, which is what a DURATION's days are to other apps."""
    cal = read_ical(
        ics(*event("UID:days", "DTSTART;VALUE=DATE:20260328", "RRULE:FREQ=DAILY;COUNT=3"))
    )
    text = write_ical(cal, stamp=NOW)
    assert [line for line in text.splitlines() if line.startswith("DURATION")] == ["DURATION:P1D"]


def _outlook(std: str, dst: str, back: str, forward: str) -> str:
    """An Outlook export: its own rules under the TZID it gives every custom zone."""
    return "\r\n".join(
        [
            "BEGIN:VCALENDAR",
            "VERSION:2.0",
            "PRODID:-//Microsoft Corporation//Outlook 16.0//EN",
            "BEGIN:VTIMEZONE",
            "TZID:Customized Time Zone",
            "BEGIN:STANDARD",
            "DTSTART:16010101T020000",
            f"TZOFFSETFROM:{dst}",
            f"TZOFFSETTO:{std}",
            f"RRULE:FREQ=YEARLY;{back}",
            "END:STANDARD",
            "BEGIN:DAYLIGHT",
            "DTSTART:16010101T020000",
            f"TZOFFSETFROM:{std}",
            f"TZOFFSETTO:{dst}",
            f"RRULE:FREQ=YEARLY;{forward}",
            "END:DAYLIGHT",
            "END:VTIMEZONE",
            "BEGIN:VEVENT",
            "UID:standup",
            "SUMMARY:Standup",
            "DTSTART;TZID=Customized Time Zone:20260316T090000",
            "DTEND;TZID=Customized Time Zone:20260316T093000",
            "END:VEVENT",
            "END:VCALENDAR",
            "",
        ]
    )


BERLIN_RULES = _outlook("+0100", "+0200", "BYDAY=-1SU;BYMONTH=10", "BYDAY=-1SU;BYMONTH=3")
NEW_YORK_RULES = _outlook("-0500", "-0400", "BYDAY=1SU;BYMONTH=11", "BYDAY=2SU;BYMONTH=3")


def test_two_calendars_with_one_custom_tzid_are_each_read_by_their_own_rules() -> None:
    # icalendar caches a VTIMEZONE by TZID for the whole process: the second calendar was read
    # with the first one's offsets, five hours off.
    berlin, new_york = (read_ical(text).events[0] for text in (BERLIN_RULES, NEW_YORK_RULES))
    assert (berlin.span.start, berlin.tz) == (utc(2026, 3, 16, 8), "Europe/Berlin")
    assert (new_york.span.start, new_york.tz) == (utc(2026, 3, 16, 13), "America/New_York")


def test_a_custom_zone_takes_the_calendars_own_name_for_it_when_the_rules_agree() -> None:
    named = BERLIN_RULES.replace("VERSION:2.0", "VERSION:2.0\r\nX-WR-TIMEZONE:Europe/Vienna")
    assert read_ical(named).events[0].tz == "Europe/Vienna"
    wrong = BERLIN_RULES.replace("VERSION:2.0", "VERSION:2.0\r\nX-WR-TIMEZONE:Asia/Tokyo")
    assert read_ical(wrong).events[0].tz == "Europe/Berlin"  # a hint that disagrees is passed


@pytest.mark.parametrize(
    ("zone", "named"),
    [
        ("Asia/Jerusalem", "Asia/Jerusalem"),  # was Helsinki: DST begins two days earlier
        ("UTC", "UTC"),  # was Africa/Abidjan
        ("Europe/Madrid", "Europe/Berlin"),  # the same rules: the common name
    ],
)
def test_a_custom_zone_is_named_by_offsets_on_every_day(zone: str, named: str) -> None:
    import icalendar

    custom = icalendar.Timezone.from_tzinfo(
        ZoneInfo(zone), first_date=date(2025, 1, 1), last_date=date(2029, 1, 1)
    )
    custom["TZID"] = "Customized Time Zone"
    head, tail = NEW_YORK_RULES.split("BEGIN:VTIMEZONE")[0], NEW_YORK_RULES.split("BEGIN:VEVENT")[1]
    text = head + custom.to_ical().decode() + "BEGIN:VEVENT" + tail
    assert read_ical(text).events[0].tz == named


@pytest.mark.parametrize("zone", ["America/Santiago", "Pacific/Chatham"])
def test_a_custom_zone_that_begins_with_its_event_is_named_by_the_days_from_it(zone: str) -> None:
    # A VTIMEZONE covering only the event's dates (sessionkit's own export, icalendar's
    # from_tzinfo) was compared from 1 January: before its first onset it reads a standard
    # offset, which a zone in summer on 1 January never has, and the calendar was refused.
    import icalendar

    custom = icalendar.Timezone.from_tzinfo(
        ZoneInfo(zone), first_date=date(2026, 1, 4), last_date=date(2036, 1, 1)
    )
    custom["TZID"] = "Customized Time Zone"
    head, tail = NEW_YORK_RULES.split("BEGIN:VTIMEZONE")[0], NEW_YORK_RULES.split("BEGIN:VEVENT")[1]
    text = head + custom.to_ical().decode() + "BEGIN:VEVENT" + tail
    text = text.replace("20260316T09", "20260105T09")
    (read,) = read_ical(text).events
    assert (read.tz, read.span.start) == (zone, datetime(2026, 1, 5, 9, tzinfo=ZoneInfo(zone)))


_GOOD_ZONE = [
    "BEGIN:STANDARD",
    "DTSTART:19700101T000000",
    "TZOFFSETFROM:+0100",
    "TZOFFSETTO:+0100",
    "END:STANDARD",
]


def _custom_zone(tzid: str, *parts: str) -> str:
    """A calendar whose one event is in the VTIMEZONE ``parts`` define for ``tzid`` (line 4)."""
    return ics(
        "BEGIN:VTIMEZONE",
        f"TZID:{tzid}",
        *parts,
        "END:VTIMEZONE",
        *event("UID:u", f"DTSTART;TZID={tzid}:20260316T180000", "DURATION:PT1H"),
    )


@pytest.mark.parametrize(
    ("parts", "why"),
    [
        ((), "at least one component is needed"),
        (
            ("BEGIN:STANDARD", "TZOFFSETFROM:+0100", "TZOFFSETTO:+0100", "END:STANDARD"),
            "mandatory DTSTART not found",
        ),
        (
            ("BEGIN:STANDARD", "DTSTART:19700101T000000", "TZOFFSETTO:+0100", "END:STANDARD"),
            "mandatory TZOFFSETFROM not found",
        ),
    ],
)
@pytest.mark.parametrize("read_before", [False, True])
def test_a_broken_vtimezone_is_refused_on_its_tzid_line_whatever_was_read_before(
    parts: tuple[str, ...], why: str, read_before: bool
) -> None:
    # icalendar reads a VTIMEZONE as it parses, unless it has one of that TZID already, from
    # any calendar: after a good "Customized Time Zone" a broken one escaped as a ValueError.
    tzid = "Customized Time Zone" if read_before else f"Never read {why}"
    if read_before:
        assert read_ical(_custom_zone(tzid, *_GOOD_ZONE)).events[0].tz == "Africa/Lagos"
    with pytest.raises(CalendarSyntaxError) as caught:
        read_ical(_custom_zone(tzid, *parts))
    assert (caught.value.line, caught.value.text) == (4, f"TZID:{tzid}")
    assert str(caught.value) == (
        f"line 4: the VTIMEZONE of TZID {tzid!r} cannot be read ({why}) in 'TZID:{tzid}'"
    )


def test_a_good_custom_zone_after_a_broken_one_of_the_same_tzid_is_read() -> None:
    tzid = "Customized Time Zone"
    with pytest.raises(CalendarSyntaxError):
        read_ical(_custom_zone(tzid))
    assert read_ical(_custom_zone(tzid, *_GOOD_ZONE)).events[0].tz == "Africa/Lagos"


def test_a_custom_zone_that_changes_by_a_whole_day_is_refused_on_the_events_line() -> None:
    # Samoa's jump over the date line (to +1400, a standard offset of -1100): dateutil cannot
    # convert by a daylight offset of a day or more, and its bare ValueError escaped read_ical.
    from sessionkit.contrib.ical import UnknownCalendarZone

    jump = ("DTSTART:20111231T000000", "TZOFFSETFROM:-1100", "TZOFFSETTO:+1400")
    text = _custom_zone(
        "Samoa",
        *("BEGIN:STANDARD", "DTSTART:19700101T000000", "TZOFFSETFROM:-1100"),
        *("TZOFFSETTO:-1100", "END:STANDARD", "BEGIN:DAYLIGHT", *jump, "END:DAYLIGHT"),
    ).replace("20260316T180000", "20111201T090000")
    with pytest.raises(UnknownCalendarZone) as caught:
        read_ical(text)
    assert (caught.value.line, caught.value.text) == (18, "DTSTART;TZID=Samoa:20111201T090000")


def test_chiles_rules_in_a_custom_zone_are_santiagos_not_a_zone_that_left_them() -> None:
    # Compared over two years from 2020, America/Coyhaique (first by name) has Chile's offsets
    # too, but keeps -03 from 2025 on: a weekly class read so was an hour off every winter
    # after, where the calendar's own rules (Santiago's) go on.
    text = _outlook("-0400", "-0300", "BYDAY=1SU;BYMONTH=4", "BYDAY=1SU;BYMONTH=9")
    (standup,) = read_ical(text.replace("20260316T09", "20200316T09")).events
    assert standup.tz == "America/Santiago"


def test_a_globally_unique_tzid_without_its_vtimezone_is_refused_on_its_line() -> None:
    # icalendar guesses Europe/Berlin from the tail with a UserWarning, an error here (pytest's
    # filterwarnings = error) and under python -W error; the TZID is refused either way.
    tzid = "/example.org/sessionkit-refused/Europe/Berlin"
    with pytest.raises(UnknownCalendarZone) as caught:
        read_ical(ics(*event("UID:a", f"DTSTART;TZID={tzid}:20260316T180000", "DURATION:PT1H")))
    assert (caught.value.line, caught.value.text) == (5, f"DTSTART;TZID={tzid}:20260316T180000")


def test_a_globally_unique_tzid_with_its_vtimezone_is_read_by_it() -> None:
    tzid = "/example.org/sessionkit-defined/Europe/Berlin"
    text = ics(
        "BEGIN:VTIMEZONE",
        f"TZID:{tzid}",
        "BEGIN:STANDARD",
        "DTSTART:19701025T030000",
        "TZOFFSETFROM:+0200",
        "TZOFFSETTO:+0100",
        "RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU",
        "END:STANDARD",
        "BEGIN:DAYLIGHT",
        "DTSTART:19700329T020000",
        "TZOFFSETFROM:+0100",
        "TZOFFSETTO:+0200",
        "RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU",
        "END:DAYLIGHT",
        "END:VTIMEZONE",
        *event("UID:a", f"DTSTART;TZID={tzid}:20260316T180000", "DURATION:PT1H"),
    )
    assert [(e.tz, e.span.start) for e in read_ical(text).events] == [
        ("Europe/Berlin", utc(2026, 3, 16, 17))
    ]
