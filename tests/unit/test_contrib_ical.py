"""sessionkit.contrib.ical: reading, writing and storing iCalendar."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest

from sessionkit import ScheduleItem, Series
from sessionkit.contrib.ical import (
    CalendarError,
    CalendarSyntaxError,
    IcalCalendar,
    IcalOverride,
    IcalSeries,
    MissingProperty,
    UnboundedRule,
    UnknownCalendarZone,
    UnsupportedCalendar,
    export_series,
    read_ical,
    resource_feed,
    store_ical,
    write_ical,
)
from sessionkit.errors import InvalidValue, SessionConflict, SessionKitError
from sessionkit.recurrence import Recurrence
from sessionkit.testing.harness import Harness
from sessionkit.timespan import TimeSpan

from ._ical_support import NOW, choir, event, ics, utc

WEEKLY = event(
    "UID:yoga",
    "SUMMARY:Yoga",
    "DTSTART;TZID=Europe/Berlin:20260316T180000",
    "DTEND;TZID=Europe/Berlin:20260316T193000",
    "RRULE:FREQ=WEEKLY;COUNT=4",
)


def starts(cal: IcalCalendar) -> list[str]:
    return [o.span.start.isoformat() for o in cal.occurrences()]


def test_a_weekly_event_keeps_its_local_time_across_dst() -> None:
    cal = read_ical(ics(*WEEKLY))
    (series,) = cal.series
    assert (series.uid, series.title, series.tz) == ("yoga", "Yoga", "Europe/Berlin")
    assert series.items[0].recurrence.duration == timedelta(minutes=90)
    assert starts(cal) == [
        "2026-03-16T17:00:00+00:00",
        "2026-03-23T17:00:00+00:00",
        "2026-03-30T16:00:00+00:00",  # 18:00 CEST
        "2026-04-06T16:00:00+00:00",
    ]


def test_several_rrules_are_a_union_each_instant_once() -> None:
    cal = read_ical(
        ics(
            *event(
                "UID:u",
                "DTSTART:20260302T100000Z",
                "DURATION:PT1H",
                "RRULE:FREQ=WEEKLY;COUNT=3;BYDAY=MO",
                "RRULE:FREQ=WEEKLY;COUNT=2;BYDAY=MO,WE",
            )
        )
    )
    (series,) = cal.series
    assert [i.id for i in series.items] == ["rule-1", "rule-2"]
    assert starts(cal) == [
        "2026-03-02T10:00:00+00:00",
        "2026-03-04T10:00:00+00:00",
        "2026-03-09T10:00:00+00:00",
        "2026-03-16T10:00:00+00:00",
    ]


def test_exdate_rdate_and_a_period_rdate_of_its_own_length() -> None:
    cal = read_ical(
        ics(
            *event(
                "UID:p",
                "DTSTART;TZID=Europe/Berlin:20260316T180000",
                "DURATION:PT1H",
                "RRULE:FREQ=WEEKLY;COUNT=3",
                "EXDATE;TZID=Europe/Berlin:20260323T180000",
                "RDATE;TZID=Europe/Berlin:20260325T090000",
                "RDATE;VALUE=PERIOD:20260327T080000Z/PT3H",
            )
        )
    )
    (series,) = cal.series
    assert series.overrides == (
        IcalOverride(
            key=datetime(2026, 3, 27, 9), span=TimeSpan(utc(2026, 3, 27, 8), utc(2026, 3, 27, 11))
        ),
    )
    spans = [(o.span.start.isoformat(), o.span.duration) for o in cal.occurrences()]
    assert spans == [
        ("2026-03-16T17:00:00+00:00", timedelta(hours=1)),
        ("2026-03-25T08:00:00+00:00", timedelta(hours=1)),
        ("2026-03-27T08:00:00+00:00", timedelta(hours=3)),
        ("2026-03-30T16:00:00+00:00", timedelta(hours=1)),
    ]


def test_rdate_without_rrule_is_a_series_of_dtstart_and_the_rdates() -> None:
    cal = read_ical(
        ics(
            *event(
                "UID:r",
                "DTSTART:20260301T190000Z",
                "DTEND:20260301T210000Z",
                "RDATE:20260401T190000Z,20260501T190000Z",
            )
        )
    )
    assert len(cal.series) == 1
    assert starts(cal) == [
        "2026-03-01T19:00:00+00:00",
        "2026-04-01T19:00:00+00:00",
        "2026-05-01T19:00:00+00:00",
    ]


def test_all_day_events_are_whole_days_in_the_calendar_zone() -> None:
    cal = read_ical(
        ics(
            *event(
                "UID:a", "DTSTART;VALUE=DATE:20260310", "DTEND;VALUE=DATE:20260312", "SUMMARY:Camp"
            ),
        ),
        default_tz="America/New_York",
    )
    (single,) = cal.events
    assert single.all_day
    assert single.tz == "America/New_York"
    assert single.span == TimeSpan(utc(2026, 3, 10, 4), utc(2026, 3, 12, 4))  # EDT since the 8th


def test_a_custom_vtimezone_is_matched_to_an_iana_zone() -> None:
    text = ics(
        "BEGIN:VTIMEZONE",
        "TZID:My Office",
        "BEGIN:STANDARD",
        "DTSTART:19701025T030000",
        "RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU",
        "TZOFFSETFROM:+0200",
        "TZOFFSETTO:+0100",
        "END:STANDARD",
        "BEGIN:DAYLIGHT",
        "DTSTART:19700329T020000",
        "RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU",
        "TZOFFSETFROM:+0100",
        "TZOFFSETTO:+0200",
        "END:DAYLIGHT",
        "END:VTIMEZONE",
        *event(
            "UID:o",
            "DTSTART;TZID=My Office:20260320T090000",
            "DURATION:PT1H",
            "RRULE:FREQ=WEEKLY;COUNT=2",
        ),
    )
    (series,) = read_ical(text).series
    assert series.tz != "My Office"
    assert starts(IcalCalendar(series=(series,))) == [
        "2026-03-20T08:00:00+00:00",
        "2026-03-27T08:00:00+00:00",
    ]


def test_overrides_by_recurrence_id_and_a_cancelled_one_excluded() -> None:
    cal = read_ical(
        ics(
            *WEEKLY,
            *event(
                "UID:yoga",
                "RECURRENCE-ID;TZID=Europe/Berlin:20260323T180000",
                "SUMMARY:Yoga (moved)",
                "DTSTART;TZID=Europe/Berlin:20260324T190000",
                "DTEND;TZID=Europe/Berlin:20260324T200000",
            ),
            *event(
                "UID:yoga",
                "RECURRENCE-ID:20260330T160000Z",
                "STATUS:CANCELLED",
                "DTSTART;TZID=Europe/Berlin:20260330T180000",
            ),
        )
    )
    (series,) = cal.series
    assert series.overrides == (
        IcalOverride(
            key=datetime(2026, 3, 23, 18),
            span=TimeSpan(utc(2026, 3, 24, 18), utc(2026, 3, 24, 19)),
            title="Yoga (moved)",
        ),
    )
    assert [(o.span.start.isoformat(), o.title) for o in cal.occurrences()] == [
        ("2026-03-16T17:00:00+00:00", "Yoga"),
        ("2026-03-24T18:00:00+00:00", "Yoga (moved)"),
        ("2026-04-06T16:00:00+00:00", "Yoga"),
    ]


def test_a_missing_dtstart_names_the_event_line() -> None:
    with pytest.raises(MissingProperty) as caught:
        read_ical(ics(*WEEKLY, *event("UID:x", "SUMMARY:no start")))
    assert caught.value.line == 10
    assert caught.value.uid == "x"
    assert "line 10" in str(caught.value)
    assert isinstance(caught.value, SessionKitError)
    assert isinstance(caught.value, InvalidValue)


def test_an_unknown_tzid_without_vtimezone_names_its_line() -> None:
    with pytest.raises(UnknownCalendarZone) as caught:
        read_ical(
            ics(*event("UID:m", "DTSTART;TZID=Mars/Olympus:20260101T100000", "DURATION:PT1H"))
        )
    assert caught.value.line == 5
    assert caught.value.text == "DTSTART;TZID=Mars/Olympus:20260101T100000"


def test_a_rule_that_never_ends_has_no_complete_list_without_a_window() -> None:
    text = ics(*event("UID:f", "DTSTART:20260302T100000Z", "DURATION:PT1H", "RRULE:FREQ=DAILY"))
    cal = read_ical(text)  # a series may be open-ended: it materialises window by window
    with pytest.raises(UnboundedRule) as caught:
        cal.occurrences()
    assert (caught.value.line, caught.value.text) == (7, "RRULE:FREQ=DAILY")
    assert len(cal.occurrences(utc(2026, 3, 1), utc(2026, 3, 11))) == 9


def test_syntax_errors_and_unsupported_ranges_name_the_line() -> None:
    with pytest.raises(CalendarSyntaxError) as caught:
        read_ical(ics(*event("UID:s", "this is not a property")))
    assert caught.value.line == 5
    with pytest.raises(CalendarSyntaxError):
        read_ical("BEGIN:VEVENT\r\nEND:VEVENT\r\n")
    with pytest.raises(UnsupportedCalendar) as unsupported:
        read_ical(
            ics(
                *WEEKLY,
                *event(
                    "UID:yoga",
                    "RECURRENCE-ID;RANGE=THISANDFUTURE:20260323T170000Z",
                    "DTSTART:20260323T180000Z",
                ),
            )
        )
    assert unsupported.value.line == 12


def test_an_unreadable_rule_is_a_calendar_error_on_its_line() -> None:
    with pytest.raises(InvalidValue) as caught:
        read_ical(
            ics(
                *event("UID:b", "DTSTART:20260302T100000Z", "DURATION:PT1H", "RRULE:FREQ=SOMETIMES")
            )
        )
    assert "line 7" in str(caught.value)


def _stored_series(h: Harness) -> Series:
    series, report = choir(h.kit, count=6)
    h.kit.sessions.update(
        "acme", report.created[2].id, actor="a", start=utc(2026, 3, 17, 17), title="Choir (Tue)"
    )
    h.kit.sessions.create_extra(
        "acme", actor="a", series_id=series.id, start=utc(2026, 4, 20, 9), end=utc(2026, 4, 20, 10)
    )
    return series


def test_export_series_writes_overrides_extras_and_a_vtimezone_and_reads_back() -> None:
    h = Harness.in_memory(NOW)
    series = _stored_series(h)
    sessions = h.kit.queries.list("acme").items
    text = export_series(series, sessions)
    assert "BEGIN:VTIMEZONE\r\nTZID:Europe/Berlin" in text
    assert "RECURRENCE-ID;TZID=Europe/Berlin:20260316T180000" in text
    assert f"RELATED-TO:{series.id}" in text
    back = read_ical(text)
    stored = sorted((s.start, s.title) for s in sessions)
    assert [(o.span.start, o.title) for o in back.occurrences()] == stored
    assert write_ical(back, stamp=series.created_at) == text


def test_store_ical_stores_series_overrides_and_extras_in_one_unit() -> None:
    h = Harness.in_memory(NOW)
    cal = read_ical(
        ics(
            *WEEKLY,
            *event(
                "UID:yoga",
                "RECURRENCE-ID;TZID=Europe/Berlin:20260323T180000",
                "DTSTART;TZID=Europe/Berlin:20260324T190000",
                "DTEND;TZID=Europe/Berlin:20260324T200000",
            ),
            *event(
                "UID:talk", "RELATED-TO:yoga", "DTSTART:20260401T100000Z", "DTEND:20260401T110000Z"
            ),
        )
    )
    stored = store_ical(h.kit, "acme", cal, actor="a", resources=["room:r1"])
    series = stored.series["yoga"]
    assert series.metadata["ical_uid"] == "yoga"
    sessions = h.kit.queries.list("acme").items
    assert sorted((s.start, s.detached, s.is_extra) for s in sessions) == [
        (utc(2026, 3, 16, 17), False, False),
        (utc(2026, 3, 24, 18), True, False),
        (utc(2026, 3, 30, 16), False, False),
        (utc(2026, 4, 1, 10), False, True),
        (utc(2026, 4, 6, 16), False, False),
    ]
    (override,) = stored.overrides
    assert override.occurrence_key == datetime(2026, 3, 23, 18)
    assert stored.extras[0].series_id == series.id


def test_store_ical_stores_nothing_when_one_part_conflicts() -> None:
    h = Harness.in_memory(NOW)
    h.kit.sessions.create_extra(
        "acme",
        actor="a",
        lifecycle="lms",
        start=utc(2026, 4, 1, 9),
        end=utc(2026, 4, 1, 12),
        resources=["room:r1"],
    )
    cal = read_ical(
        ics(*WEEKLY, *event("UID:talk", "DTSTART:20260401T100000Z", "DTEND:20260401T110000Z"))
    )
    with pytest.raises(SessionConflict):
        store_ical(h.kit, "acme", cal, actor="a", resources=["room:r1"])
    assert h.kit.queries.list("acme").total == 1
    assert h.store.unit_of_work is not None


def test_resource_feed_lists_the_agenda_as_vevents() -> None:
    h = Harness.in_memory(NOW)
    series = _stored_series(h)
    text = resource_feed(h.kit, "acme", "room:r1", start=utc(2026, 3, 1), end=utc(2026, 3, 20))
    back = read_ical(text)
    assert back.name == "room:r1"
    assert [(e.uid, e.span.start) for e in back.events] == [
        (s.id, s.start)
        for s in h.kit.queries.agenda(
            "acme", "room:r1", start=utc(2026, 3, 1), end=utc(2026, 3, 20)
        )
    ]
    assert len(back.events) == 3
    assert back.events[0].series_uid == series.id


def test_write_ical_keeps_gap_and_fold_instants_exact() -> None:
    rec = Recurrence.from_rrule(
        "FREQ=DAILY;COUNT=3",
        start=datetime(2026, 10, 24, 2, 30),
        tz="Europe/Berlin",
        duration=timedelta(minutes=30),
    )
    fold = rec.between(utc(2026, 10, 25), utc(2026, 10, 26))
    (occ,) = list(fold)
    series = IcalSeries(
        uid="f",
        title="Night",
        items=(ScheduleItem(id="rule-1", recurrence=rec),),
        overrides=(
            IcalOverride(
                key=occ.key, span=TimeSpan(utc(2026, 10, 25, 1, 15), utc(2026, 10, 25, 1, 45))
            ),
        ),
    )
    text = write_ical(IcalCalendar(series=(series,)), stamp=NOW)
    assert "DTSTART:20261025T011500Z" in text  # 02:15 is in the fold: written in UTC
    back = read_ical(text)
    assert back.occurrences() == IcalCalendar(series=(series,)).occurrences()


def test_an_unclosed_component_is_named_at_its_begin_line() -> None:
    text = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nUID:x\r\n"
    with pytest.raises(CalendarSyntaxError) as caught:
        read_ical(text)
    assert (caught.value.line, caught.value.text) == (3, "BEGIN:VEVENT")
    with pytest.raises(CalendarSyntaxError) as unclosed:
        read_ical("BEGIN:VCALENDAR\r\nBEGIN:VCALENDAR\r\nVERSION:2.0\r\nEND:VCALENDAR\r\n")
    assert (unclosed.value.line, unclosed.value.text) == (1, "BEGIN:VCALENDAR")


@pytest.mark.parametrize("moved_to", ["99981231T100000Z", "00010105T100000Z"])
def test_an_override_moved_centuries_away_is_found_without_overflow(moved_to: str) -> None:
    text = ics(
        *WEEKLY,
        *event(
            "UID:yoga",
            "RECURRENCE-ID;TZID=Europe/Berlin:20260323T180000",
            f"DTSTART:{moved_to}",
            "DURATION:PT1H",
        ),
    )
    cal = read_ical(text)
    window = cal.occurrences(datetime(2026, 1, 1, tzinfo=UTC), datetime(2027, 1, 1, tzinfo=UTC))
    assert [o.span.start.date().isoformat() for o in window] == [
        "2026-03-16",
        "2026-03-30",
        "2026-04-06",
    ]
    moved = [o for o in cal.occurrences() if o.span.start.year != 2026]
    y, m, d = int(moved_to[:4]), int(moved_to[4:6]), int(moved_to[6:8])
    assert [o.span.start for o in moved] == [datetime(y, m, d, 10, tzinfo=UTC)]


def test_an_exdate_at_the_edge_of_the_calendar_is_written_in_utc() -> None:
    text = ics(
        *event(
            "UID:edge",
            "DTSTART;TZID=America/New_York:20260302T090000",
            "DURATION:PT1H",
            "RRULE:FREQ=WEEKLY;COUNT=3",
            "EXDATE:00010101T010000Z",  # 0000-12-31 in New York: outside the calendar
        )
    )
    written = write_ical(read_ical(text), stamp=datetime(2026, 1, 1, tzinfo=UTC))
    assert "EXDATE:00010101T010000Z" in written
    again = read_ical(written).occurrences()
    assert [o.span.start.date().isoformat() for o in again] == [
        "2026-03-02",
        "2026-03-09",
        "2026-03-16",
    ]


@pytest.mark.parametrize(
    "until", ["20260401T100000Z/20260301T100000Z", "20260301T100000Z/20260401T100000Z"]
)
def test_an_until_that_is_a_period_is_refused_on_the_rrule_line(until: str) -> None:
    rrule = f"RRULE:FREQ=DAILY;UNTIL={until}"
    text = ics(*event("UID:p", "DTSTART:20260302T100000Z", "DURATION:PT1H", rrule))
    with pytest.raises(CalendarError) as caught:
        read_ical(text)
    assert (caught.value.line, caught.value.text) == (7, rrule)


def test_line_numbers_count_crlf_lines_only() -> None:
    """Characters ``str.splitlines`` breaks on (``\\x1e``, ``\\x85``) are text inside a value."""
    text = ics(*event("UID:x", "SUMMARY:a\x1eb\x85c", "DTSTART:20260301T100000Z", "nonsense"))
    with pytest.raises(CalendarSyntaxError) as caught:
        read_ical(text)
    assert caught.value.line == text.split("\r\n").index("nonsense") + 1
    assert caught.value.text == "nonsense"


def test_a_calendar_of_lone_cr_line_ends_is_read_as_its_lines_are_numbered() -> None:
    # The outline (and the line numbers) took a lone CR as a line end, icalendar did not:
    # such a file (old Mac) was refused as "found no components", with no line.
    lines = ["UID:x", "SUMMARY:Yoga", "DTSTART:20260301T100000Z", "DURATION:PT1H"]
    text = ics(*event(*lines, "RRULE:FREQ=DAILY;COUNT=2")).replace("\r\n", "\r")
    read = read_ical(text)
    assert [(o.title, o.span.start) for o in read.occurrences()] == [
        ("Yoga", utc(2026, 3, 1, 10)),
        ("Yoga", utc(2026, 3, 2, 10)),
    ]
    with pytest.raises(CalendarError) as caught:
        read_ical(ics(*event(*lines, "RRULE:FREQ=DAILY;COUNT=0")).replace("\r\n", "\r"))
    assert (caught.value.line, caught.value.text) == (8, "RRULE:FREQ=DAILY;COUNT=0")


@pytest.mark.parametrize(
    ("line", "error", "number"),
    [
        ("DTSTART:2026XYZ", CalendarSyntaxError, 7),
        ("DURATION:soon", CalendarSyntaxError, 7),
        ("RDATE;VALUE=PERIOD:20260305T100000Z/20260305T090000Z", CalendarError, 7),
        ("DTSTART:20260302T100000Z", CalendarSyntaxError, 7),
        ("EXDATE:yesterday", CalendarSyntaxError, 7),
    ],
)
def test_damaged_values_are_refused_on_their_line(
    line: str, error: type[CalendarError], number: int
) -> None:
    text = ics(
        *event("UID:x", "DTSTART:20260301T100000Z", "DURATION:PT1H", line, "RRULE:FREQ=DAILY")
    )
    with pytest.raises(error) as caught:
        read_ical(text)
    assert caught.value.line == number
    assert caught.value.text == line


def test_of_two_overrides_of_one_occurrence_the_higher_sequence_wins() -> None:
    moved = [
        "UID:yoga",
        "RECURRENCE-ID;TZID=Europe/Berlin:20260323T180000",
        "DTEND;TZID=Europe/Berlin:20260324T200000",
    ]
    cal = read_ical(
        ics(
            *WEEKLY,
            *event(*moved, "SEQUENCE:2", "DTSTART;TZID=Europe/Berlin:20260324T190000"),
            *event(*moved, "SEQUENCE:1", "DTSTART;TZID=Europe/Berlin:20260324T180000"),
        )
    )
    (override,) = cal.series[0].overrides
    assert override.span.start == utc(2026, 3, 24, 18)  # 19:00 in Berlin, of SEQUENCE:2


def test_a_byte_order_mark_and_a_windows_zone_name_are_understood() -> None:
    text = "\ufeff" + ics(
        *event(
            "UID:w",
            "DTSTART;TZID=W. Europe Standard Time:20260316T180000",
            "DURATION:PT1H",
            "RRULE:FREQ=WEEKLY;COUNT=2",
        )
    )
    for source in (text, text.encode("utf-8")):
        (series,) = read_ical(source).series
        assert series.tz == "Europe/Berlin"


@pytest.mark.parametrize(
    ("line", "number"),
    [
        ("DTEND;VALUE=BINARY:MjAyNjAzMDI=", 6),
        ("DTEND;VALUE=RECUR:FREQ=DAILY", 6),
        ("DURATION;VALUE=RECUR:FREQ=DAILY", 6),
    ],
)
def test_a_value_declared_of_another_type_is_refused_on_its_line(line: str, number: int) -> None:
    # icalendar parses such a value as the type declared, with no date in it: an
    # AttributeError used to escape instead of a CalendarError.
    text = ics(*event("UID:x", "DTSTART:20260301T100000Z", line))
    with pytest.raises(CalendarSyntaxError) as caught:
        read_ical(text)
    assert (caught.value.line, caught.value.text) == (number, line)


def test_a_recurrence_id_of_another_type_is_refused_on_its_line() -> None:
    line = "RECURRENCE-ID;VALUE=RECUR:FREQ=DAILY"
    text = ics(*WEEKLY, *event("UID:yoga", line, "DTSTART:20260323T180000Z"))
    with pytest.raises(CalendarSyntaxError) as caught:
        read_ical(text)
    assert caught.value.text == line


@pytest.mark.parametrize(
    "line",
    ["RRULE:FREQ=WEEKLY;UNTIL=201912", "CATEGORIES;VALUE=DATE:other", "CATEGORIES;VALUE=INTEGER:x"],
)
def test_values_icalendar_cannot_type_are_calendar_errors(line: str) -> None:
    # Each let a TypeError out of icalendar 7 (found by mutating real calendars); icalendar
    # 6 reads the CATEGORIES ones, which sessionkit does not use. Never another exception.
    text = ics(*event("UID:x", "DTSTART:20260301T100000Z", "DURATION:PT1H", line))
    try:
        read_ical(text)
    except CalendarError:
        pass
    else:
        assert line.startswith("CATEGORIES"), line


def test_an_exrule_is_refused_rather_than_ignored() -> None:
    # Ignored, it brought back the weekend the source calendar leaves out.
    line = "EXRULE:FREQ=WEEKLY;BYDAY=SA,SU"
    text = ics(
        *event(
            "UID:x", "DTSTART:20260302T100000Z", "DURATION:PT1H", "RRULE:FREQ=DAILY;COUNT=7", line
        )
    )
    with pytest.raises(UnsupportedCalendar) as caught:
        read_ical(text)
    assert (caught.value.line, caught.value.text) == (8, line)


def test_a_calendar_name_with_a_newline_is_escaped_and_read_back() -> None:
    # X-WR-CALNAME was written as given: a newline ended the line and the rest of the
    # title became a property of its own (icalendar refused it with an AssertionError).
    h = Harness.in_memory(NOW)
    title = "Yoga\nRRULE:FREQ=DAILY;COUNT=50, a; b\\c"
    series, _ = choir(h.kit, count=3, title=title)
    text = export_series(series, h.kit.queries.series_sessions("acme", series.id))
    assert "\r\nRRULE:FREQ=DAILY;COUNT=50" not in text
    back = read_ical(text)
    assert back.name == title
    assert len(back.occurrences()) == 3
    assert write_ical(back, stamp=series.created_at) == text


def test_an_open_series_after_a_schedule_change_exports_only_its_sessions() -> None:
    # The new rule starts before the change: written alone, it read back as a 19:00
    # class on every March Monday, next to the 18:00 sessions the series had then.
    h = Harness.in_memory(NOW)

    def mondays(hour: int) -> ScheduleItem:
        rule = Recurrence.weekly(
            days=("MO",),
            at=time(hour),
            duration=timedelta(hours=1),
            tz="Europe/Berlin",
            start=date(2026, 3, 1),
            until=date(2026, 4, 30),
        )
        return ScheduleItem(id="mo", recurrence=rule, resources=("teacher:ana",))

    series, _ = h.kit.series.create("acme", actor="a", title="Yoga", items=[mondays(18)])
    h.kit.series.change_schedule(
        "acme", series.id, actor="a", items=[mondays(19)], effective_from=utc(2026, 4, 1)
    )
    series = h.kit.queries.get_series("acme", series.id)
    sessions = h.kit.queries.series_sessions("acme", series.id)
    assert len(sessions) == 9
    text = export_series(series, sessions)
    back = read_ical(text)
    assert [o.span.start for o in back.occurrences()] == sorted(s.start for s in sessions)
    again = Harness.in_memory(NOW)
    store_ical(again.kit, "acme", back, actor="a")
    assert sorted(s.start for s in again.kit.queries.list("acme").items) == sorted(
        s.start for s in sessions
    )


def test_overrides_read_without_their_master_are_written_with_a_uid_each() -> None:
    # Kept as single events with one UID, they were written as two VEVENTs of that UID
    # and no RECURRENCE-ID, which read_ical itself refuses.
    text = ics(
        *event(
            "UID:lost",
            "RECURRENCE-ID:20260302T100000Z",
            "DTSTART:20260303T100000Z",
            "DURATION:PT1H",
            "SUMMARY:moved 1",
        ),
        *event(
            "UID:lost",
            "RECURRENCE-ID:20260309T100000Z",
            "DTSTART:20260310T100000Z",
            "DURATION:PT1H",
            "SUMMARY:moved 2",
        ),
    )
    first = read_ical(text)
    assert [e.uid for e in first.events] == ["lost", "lost"]
    written = write_ical(first, stamp=NOW)
    back = read_ical(written)
    assert [(e.uid, e.title, e.span) for e in back.events] == [
        ("lost", "moved 1", first.events[0].span),
        ("lost/2", "moved 2", first.events[1].span),
    ]
    assert write_ical(back, stamp=NOW) == written


def test_a_rule_that_never_ends_from_a_29_february_is_written() -> None:
    # Its VTIMEZONE covered ten years from 29 February 2028: a date that does not exist.
    rule = Recurrence.weekly(
        days=("TU",),
        at=time(9),
        duration=timedelta(hours=1),
        tz="Europe/Berlin",
        start=date(2028, 2, 29),
    )
    cal = IcalCalendar(
        series=(IcalSeries(uid="leap", title="Leap", items=(ScheduleItem("tu", rule),)),)
    )
    text = write_ical(cal, stamp=NOW)
    assert "DTSTART;TZID=Europe/Berlin:20280229T090000" in text
    assert read_ical(text).series[0].items[0].recurrence.rule == rule.rule


def test_items_that_share_a_vevent_still_share_it_with_a_session_removed() -> None:
    # Each item got only its own missing occurrences as EXDATEs, so Monday and Wednesday
    # were written as two VEVENTs and read back as two series.
    h = Harness.in_memory(NOW)

    def item(ident: str, day: str) -> ScheduleItem:
        rule = Recurrence.from_rrule(
            f"FREQ=WEEKLY;BYDAY={day};COUNT=6",
            start=datetime(2026, 3, 2, 18),
            tz="Europe/Berlin",
            duration=timedelta(hours=1),
        )
        return ScheduleItem(id=ident, recurrence=rule)

    series, _ = h.kit.series.create(
        "acme", actor="a", title="Yoga", items=[item("mo", "MO"), item("we", "WE")]
    )
    first = h.kit.queries.series_sessions("acme", series.id)
    h.kit.sessions.delete("acme", first[2].id, actor="a")
    series = h.kit.queries.get_series("acme", series.id)
    sessions = h.kit.queries.series_sessions("acme", series.id)
    back = read_ical(export_series(series, sessions))
    assert [s.uid for s in back.series] == [series.id]
    assert [o.span.start for o in back.occurrences()] == [s.start for s in sessions]
    # With no sessions given, the rule is written as it is: all twelve.
    assert len(read_ical(export_series(series)).occurrences()) == 12
