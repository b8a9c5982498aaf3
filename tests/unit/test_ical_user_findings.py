"""sessionkit.contrib.ical as a new user meets it: all-day events, RELATED-TO, cancelled series."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import pytest

from sessionkit import Recurrence, ScheduleItem
from sessionkit.contrib.ical import (
    CalendarError,
    CalendarSyntaxError,
    IcalCalendar,
    IcalEvent,
    IcalOverride,
    IcalSeries,
    UnknownCalendarZone,
    UnsupportedCalendar,
    calendar_of,
    export_series,
    read_ical,
    sessions_feed,
    store_ical,
    write_ical,
)
from sessionkit.errors import InvalidValue, WrongType
from sessionkit.model.series import Series
from sessionkit.testing.harness import Harness
from sessionkit.timespan import TimeSpan

from ._ical_support import NOW, event, ics, utc

STAMP = utc(2026, 1, 1)


def test_a_single_all_day_event_is_written_in_dates_and_read_back_all_day() -> None:
    """A birthday on the day Berlin moves to summer time stays a day: 23 hours, all-day."""
    cal = read_ical(
        ics(
            "X-WR-TIMEZONE:Europe/Berlin",
            *event("UID:bday", "SUMMARY:Birthday", "DTSTART;VALUE=DATE:20260329"),
        )
    )
    text = write_ical(cal, stamp=STAMP)
    lines = text.splitlines()
    assert "X-WR-TIMEZONE:Europe/Berlin" in lines
    assert "DTSTART;VALUE=DATE:20260329" in lines
    assert "DTEND;VALUE=DATE:20260330" in lines
    again = read_ical(text)
    assert [(e.all_day, e.tz, e.span) for e in again.events] == [
        (True, "Europe/Berlin", TimeSpan(utc(2026, 3, 28, 23), utc(2026, 3, 29, 22)))
    ]
    assert again.events == cal.events
    assert write_ical(again, stamp=STAMP) == text


def test_an_all_day_event_of_another_zone_than_the_series_is_written_timed() -> None:
    """DATEs are read in the calendar's one zone: the first all-day series' zone wins."""
    berlin = read_ical(
        ics(*event("UID:b", "DTSTART;VALUE=DATE:20260328", "RRULE:FREQ=DAILY;COUNT=2")),
        default_tz="Europe/Berlin",
    )
    tokyo = read_ical(ics(*event("UID:t", "DTSTART;VALUE=DATE:20260328")), default_tz="Asia/Tokyo")
    both = IcalCalendar(series=berlin.series, events=tokyo.events)
    text = write_ical(both, stamp=STAMP)
    assert "DTSTART;TZID=Asia/Tokyo:20260328T000000" in text.splitlines()
    again = read_ical(text)
    assert [e.all_day for e in again.events] == [False]
    assert again.occurrences() == both.occurrences()


def test_related_to_names_the_parent_only() -> None:
    """RFC 5545 allows several RELATED-TO; RELTYPE=CHILD or SIBLING names no parent series."""
    cal = read_ical(
        ics(
            *event(
                "UID:talk",
                "DTSTART:20260401T100000Z",
                "DURATION:PT1H",
                "RELATED-TO;RELTYPE=CHILD:notes",
                "RELATED-TO:yoga",
                "RELATED-TO;RELTYPE=PARENT:later",
            ),
            *event(
                "UID:chat",
                "DTSTART:20260402T100000Z",
                "DURATION:PT1H",
                "RELATED-TO;RELTYPE=SIBLING:talk",
            ),
        )
    )
    assert [(e.uid, e.series_uid) for e in cal.events] == [("talk", "yoga"), ("chat", None)]


CANCELLED_YOGA = event(
    "UID:yoga",
    "SUMMARY:Yoga",
    "DTSTART;TZID=Europe/Berlin:20260302T180000",
    "DURATION:PT1H",
    "RRULE:FREQ=WEEKLY",
    "STATUS:CANCELLED",
)


def test_a_cancelled_recurring_event_has_no_occurrence() -> None:
    cal = read_ical(ics(*CANCELLED_YOGA))
    (series,) = cal.series
    assert series.cancelled
    assert cal.occurrences() == []  # no UnboundedRule: nothing takes place
    assert cal.occurrences(utc(2026, 3, 1), utc(2026, 4, 1)) == []
    text = write_ical(cal, stamp=STAMP)
    assert "STATUS:CANCELLED" in text.splitlines()
    assert read_ical(text) == cal


def test_store_ical_stores_no_series_for_a_cancelled_recurring_event() -> None:
    h = Harness.in_memory(NOW)
    cal = read_ical(
        ics(
            *CANCELLED_YOGA,
            *event("UID:talk", "SUMMARY:Talk", "DTSTART:20260401T100000Z", "DURATION:PT1H"),
        )
    )
    stored = store_ical(h.kit, "acme", cal, actor="a")
    assert stored.series == {}
    assert [s.title for s in h.kit.queries.list("acme").items] == ["Talk"]


def test_calendar_properties_given_twice_are_read_from_the_first() -> None:
    cal = read_ical(
        ics(
            "X-WR-CALNAME:Studio",
            "X-WR-CALNAME:Other",
            "X-WR-TIMEZONE:Europe/Berlin",
            "X-WR-TIMEZONE:Asia/Tokyo",
            *event("UID:a", "DTSTART:20260302T180000", "DURATION:PT1H"),
        )
    )
    assert cal.name == "Studio"
    assert [(e.tz, e.span.start) for e in cal.events] == [("Europe/Berlin", utc(2026, 3, 2, 17))]


def test_the_writers_and_the_store_refuse_values_of_the_wrong_type() -> None:
    h = Harness.in_memory(NOW)
    with pytest.raises(WrongType) as written:
        write_ical("BEGIN:VCALENDAR", stamp=STAMP)  # type: ignore[arg-type]
    assert (written.value.name, written.value.value) == ("calendar", "BEGIN:VCALENDAR")
    with pytest.raises(WrongType) as named:
        write_ical(IcalCalendar(), stamp=STAMP, name=5)  # type: ignore[arg-type]
    assert (named.value.name, named.value.value) == ("name", 5)
    with pytest.raises(WrongType) as stored:
        store_ical(h.kit, "acme", None, actor="a")  # type: ignore[arg-type]
    assert stored.value.name == "calendar"
    with pytest.raises(WrongType) as exported:
        export_series(None)  # type: ignore[arg-type]
    assert exported.value.name == "series"
    with pytest.raises(WrongType) as of:
        calendar_of("s1")  # type: ignore[arg-type]
    assert of.value.name == "series"
    with pytest.raises(WrongType) as fed:
        sessions_feed(["s1"], stamp=STAMP)  # type: ignore[list-item]
    assert (fed.value.name, fed.value.value) == ("a session", "s1")


def _monday() -> ScheduleItem:
    return ScheduleItem(
        id="mon",
        recurrence=Recurrence.weekly(
            days=("MO",),
            at=time(18),
            duration=timedelta(hours=1),
            tz="Europe/Berlin",
            start=date(2026, 3, 2),
            count=3,
        ),
    )


def test_a_series_value_needs_an_item() -> None:
    with pytest.raises(InvalidValue) as caught:
        IcalSeries(uid="s", title="S", items=())
    assert caught.value.value == ()


def test_an_override_key_is_a_local_wall_time() -> None:
    """An aware key would match no occurrence and the override would be lost unnoticed."""
    span = TimeSpan(utc(2026, 3, 10, 17), utc(2026, 3, 10, 18))
    with pytest.raises(InvalidValue) as caught:
        IcalOverride(key=datetime(2026, 3, 9, 18, tzinfo=UTC), span=span)
    assert caught.value.value == utc(2026, 3, 9, 18)
    series = IcalSeries(
        uid="s",
        title="S",
        items=(_monday(),),
        overrides=(IcalOverride(datetime(2026, 3, 9, 18), span),),
    )
    assert [o.span.start for o in series.occurrences()][1] == utc(2026, 3, 10, 17)


@pytest.mark.parametrize(
    "end", ["DURATION:PT5H", "DTEND;TZID=Europe/Berlin:20260328T050000", "DURATION:P2D"]
)
def test_an_all_day_event_of_other_than_whole_days_is_written_as_it_was_read(end: str) -> None:
    cal = read_ical(
        ics(*event("UID:a", "DTSTART;VALUE=DATE:20260328", end)), default_tz="Europe/Berlin"
    )
    text = write_ical(cal, stamp=STAMP)
    assert "DTSTART;VALUE=DATE:20260328" in text.splitlines()
    again = read_ical(text)
    assert again.events == cal.events
    assert write_ical(again, stamp=STAMP) == text


def test_of_two_revisions_of_a_single_event_the_higher_sequence_wins() -> None:
    """As for an occurrence of a series: the highest SEQUENCE, then the later in the file."""
    cal = read_ical(
        ics(
            *event("UID:a", "SUMMARY:A", "DTSTART:20260302T180000Z", "DURATION:PT1H"),
            *event(
                "UID:a",
                "SUMMARY:v2",
                "SEQUENCE:2",
                "RECURRENCE-ID:20260302T180000Z",
                "DTSTART:20260309T200000Z",
                "DURATION:PT1H",
            ),
            *event(
                "UID:a",
                "SUMMARY:v1",
                "SEQUENCE:1",
                "RECURRENCE-ID:20260302T180000Z",
                "DTSTART:20260309T190000Z",
                "DURATION:PT1H",
            ),
        )
    )
    assert [(e.title, e.span.start) for e in cal.events] == [("v2", utc(2026, 3, 9, 20))]


@pytest.mark.parametrize(
    ("start", "end", "written"),
    [
        # Under a second: both ends used to be cut to 10:00:00, a span no reader takes.
        (timedelta(microseconds=400_000), timedelta(microseconds=900_000), ("100000", "100001")),
        (timedelta(0), timedelta(microseconds=500_000), ("100000", "100001")),
        (timedelta(microseconds=999_999), timedelta(seconds=1), ("100000", "100001")),
        (
            timedelta(microseconds=300_000),
            timedelta(minutes=30, microseconds=1),
            ("100000", "103001"),
        ),
    ],
)
def test_a_session_s_fractions_of_a_second_are_written_outward(
    start: timedelta, end: timedelta, written: tuple[str, str]
) -> None:
    h = Harness.in_memory(datetime(2026, 3, 1, tzinfo=UTC))
    at = datetime(2026, 3, 2, 10, tzinfo=UTC)
    session = h.kit.sessions.create_extra(
        "acme", actor="a", start=at + start, end=at + end, tz="UTC", lifecycle="lms"
    )
    feed = sessions_feed([session], stamp=NOW)
    lines = [line for line in feed.splitlines() if line.startswith(("DTSTART", "DTEND"))]
    assert lines == [f"DTSTART:20260302T{written[0]}Z", f"DTEND:20260302T{written[1]}Z"]
    [read] = read_ical(feed).events
    assert read.span.start <= session.start < session.end <= read.span.end


@pytest.mark.parametrize(
    "onto",
    [
        "DTSTART;TZID=Europe/Berlin:20260302T183000",  # onto the 2 March class
        "DTSTART;TZID=Europe/Berlin:20260316T183000",  # onto the 16 March class
    ],
)
def test_an_override_moved_onto_another_occurrence_is_refused_on_its_line(onto: str) -> None:
    # A series holds one session per start. The moved class took the other's place, and the
    # other was lost with no word (recurring_ical_events lists both; so does RFC 5545).
    text = ics(
        *event(
            "UID:a",
            "SUMMARY:Class",
            "DTSTART;TZID=Europe/Berlin:20260302T183000",
            "DURATION:PT1H",
            "RRULE:FREQ=WEEKLY;COUNT=3",
        ),
        *event(
            "UID:a",
            "SUMMARY:Moved",
            "RECURRENCE-ID;TZID=Europe/Berlin:20260309T183000",
            onto,
            "DURATION:PT1H",
        ),
    )
    with pytest.raises(UnsupportedCalendar) as caught:
        read_ical(text)
    assert (caught.value.uid, caught.value.text) == ("a", onto)
    lines = text.split("\r\n")
    assert caught.value.line == max(n for n, line in enumerate(lines, 1) if line == onto)
    assert "one session per start" in str(caught.value)


def test_overrides_swapping_two_occurrences_or_moved_onto_a_cancelled_one_are_read() -> None:
    # Not a collision: the occurrence at the override's new start moved away, or is gone.
    swapped = read_ical(
        ics(
            *event(
                "UID:a",
                "SUMMARY:Class",
                "DTSTART;TZID=Europe/Berlin:20260302T183000",
                "DURATION:PT1H",
                "RRULE:FREQ=WEEKLY;COUNT=3",
                "EXDATE;TZID=Europe/Berlin:20260316T183000",
            ),
            *event(
                "UID:a",
                "RECURRENCE-ID;TZID=Europe/Berlin:20260302T183000",
                "DTSTART;TZID=Europe/Berlin:20260309T183000",
                "DURATION:PT1H",
            ),
            *event(
                "UID:a",
                "RECURRENCE-ID;TZID=Europe/Berlin:20260309T183000",
                "DTSTART;TZID=Europe/Berlin:20260316T183000",
                "DURATION:PT1H",
            ),
        )
    )
    starts = [o.span.start for o in swapped.occurrences()]
    assert starts == [utc(2026, 3, 9, 17, 30), utc(2026, 3, 16, 17, 30)]
    h = Harness.in_memory(NOW)
    stored = store_ical(h.kit, "acme", swapped, actor="a")
    sessions = h.kit.queries.series_sessions("acme", stored.series["a"].id)
    assert [s.start for s in sessions] == starts


@pytest.mark.parametrize("tzid", ["Europe", "America/Argentina", "Europe/", "A" * 300])
def test_a_tzid_naming_a_folder_of_the_zone_database_is_an_unknown_zone(tzid: str) -> None:
    """icalendar loads such a name as a file and raised OSError through read_ical."""
    text = ics(*event("UID:u", "SUMMARY:S", f"DTSTART;TZID={tzid}:20260301T100000"))
    with pytest.raises(UnknownCalendarZone) as caught:
        read_ical(text)
    assert caught.value.line == 6
    assert caught.value.text == f"DTSTART;TZID={tzid}:20260301T100000"


def test_a_vtimezone_with_its_tzid_twice_is_a_syntax_error() -> None:
    """icalendar raised AttributeError (a list where it wants a string) through read_ical."""
    zone = [
        "BEGIN:VTIMEZONE",
        "TZID:Europe/Berlin",
        "TZID:Europe/Berlin",
        "BEGIN:STANDARD",
        "DTSTART:19701025T030000",
        "TZOFFSETFROM:+0200",
        "TZOFFSETTO:+0100",
        "END:STANDARD",
        "END:VTIMEZONE",
    ]
    text = ics(*zone, *event("UID:u", "DTSTART;TZID=Europe/Berlin:20260316T180000"))
    with pytest.raises(CalendarSyntaxError) as caught:
        read_ical(text)
    assert "given twice" in str(caught.value)


def test_a_lone_surrogate_is_refused_on_its_line_not_when_written_back() -> None:
    text = ics(*event("UID:u", "SUMMARY:a\ud800b", "DTSTART:20260301T100000Z"))
    with pytest.raises(CalendarSyntaxError) as caught:
        read_ical(text)
    assert (caught.value.line, caught.value.text) == (5, "SUMMARY:a\ud800b")
    # Values built by hand that hold one are refused by write_ical with sessionkit's error.
    made = IcalCalendar(
        series=(),
        events=(
            IcalEvent(
                uid="u",
                title="a\ud800b",
                span=TimeSpan(utc(2026, 3, 1, 10), utc(2026, 3, 1, 11)),
                tz="UTC",
            ),
        ),
    )
    with pytest.raises(InvalidValue, match="lone surrogate"):
        write_ical(made, stamp=STAMP)


@pytest.mark.parametrize(
    ("lines", "uid"),
    [
        # Read past the UID: the event's UID.
        (("UID:e", "SUMMARY:a", "SUMMARY:b", "DTSTART:20260316T100000Z"), "e"),
        (("UID:e", "DTSTART;TZID=Mars/Olympus:20260316T100000", "DURATION:PT1H"), "e"),
        # Refused before the UID is read: the line of the event's BEGIN.
        (("UID:e", "UID:f", "DTSTART:20260316T100000Z", "DURATION:PT1H"), "line-3"),
        # Refused while the file is read whole, before its events: none.
        (("UID:e", "DTSTART;TZID=Europe:20260316T100000", "DURATION:PT1H"), None),
        (("UID:e", "SUMMARY:\ud800", "DTSTART:20260316T100000Z", "DURATION:PT1H"), None),
    ],
)
def test_a_refusal_names_the_event_by_what_was_read_of_it(
    lines: tuple[str, ...], uid: str | None
) -> None:
    with pytest.raises(CalendarError) as caught:
        read_ical(ics(*event(*lines)))
    assert caught.value.uid == uid


@pytest.mark.parametrize(
    ("start", "end", "zone"),
    [
        ("20261025T023000", "20261025T033000", "Europe/Berlin"),  # starts in the fold
        ("20261025T023000", "20261025T024500", "UTC"),  # both ends in the fold
    ],
)
def test_a_single_event_in_a_fold_writes_the_same_text_after_a_trip(
    start: str, end: str, zone: str
) -> None:
    # A start in the fold is written in UTC and the end with its TZID: read back, the
    # event was in UTC and the next export differed. With both ends in UTC, the first
    # export carried a VTIMEZONE nothing used.
    text = ics(
        *event(
            "UID:g",
            "SUMMARY:Night shift",
            f"DTSTART;TZID=Europe/Berlin:{start}",
            f"DTEND;TZID=Europe/Berlin:{end}",
        )
    )
    first = write_ical(read_ical(text), stamp=NOW)
    back = read_ical(first)
    assert back.events[0].tz == zone
    assert write_ical(back, stamp=NOW) == first
    assert ("BEGIN:VTIMEZONE" in first) == (zone != "UTC")


def _night(rule: str, local: datetime, disambiguate: Any) -> tuple[Harness, Series]:
    """A weekly "Night" series of ``rule`` from ``local`` in Berlin, read ``disambiguate``."""
    h = Harness.in_memory(datetime(2026, 2, 1, tzinfo=UTC))
    rec = Recurrence.from_rrule(
        rule,
        start=local,
        tz="Europe/Berlin",
        duration=timedelta(hours=1),
        disambiguate=disambiguate,
    )
    series, _ = h.kit.series.create(
        "acme", actor="a", title="Night", items=[ScheduleItem(id="n", recurrence=rec)]
    )
    return h, series


def _exported_back(h: Harness, series: Series) -> tuple[list[datetime], list[datetime]]:
    """The series' stored session starts, and the starts its export reads back."""
    stored = h.kit.queries.series_sessions("acme", series.id)
    text = export_series(h.kit.queries.get_series("acme", series.id), stored)
    back = [o.span.start for o in read_ical(text).occurrences()]
    return [s.start for s in stored], back


@pytest.mark.parametrize(
    ("local", "disambiguate"),
    [(datetime(2026, 10, 25, 2, 30), "later"), (datetime(2026, 3, 22, 2, 30), "earlier")],
)
def test_a_series_read_early_or_late_in_a_gap_or_fold_exports_its_sessions_where_they_are(
    local: datetime, disambiguate: Any
) -> None:
    # RFC 5545 reads such an occurrence "compatible": the "later" one in the fold was
    # written as an EXDATE of its compatible instant (lost to every reader), the
    # "earlier" one in the gap came back an hour later.
    stored, back = _exported_back(*_night("RRULE:FREQ=WEEKLY;COUNT=3", local, disambiguate))
    assert back == stored


@pytest.mark.parametrize("disambiguate", ["earlier", "later"])
@pytest.mark.parametrize(
    "local", [datetime(2026, 3, 29, 2, 30), datetime(2026, 10, 25, 2, 30)], ids=["gap", "fold"]
)
def test_a_start_the_rule_does_not_give_is_excluded_where_readers_put_it(
    local: datetime, disambiguate: Any
) -> None:
    # A Sunday start of a Monday rule: its EXDATE named the start as the rule reads it,
    # an hour from where every reader ("compatible") puts DTSTART, which came back.
    rule = "RRULE:FREQ=WEEKLY;BYDAY=MO;COUNT=3"
    stored, back = _exported_back(*_night(rule, local, disambiguate))
    assert back == stored


def test_a_cancelled_session_read_early_in_a_gap_is_excluded_where_readers_put_it() -> None:
    h, series = _night("RRULE:FREQ=WEEKLY;COUNT=3", datetime(2026, 3, 22, 2, 30), "earlier")
    gap = h.kit.queries.series_sessions("acme", series.id)[1]  # 29 March 02:30, in the gap
    h.kit.sessions.cancel("acme", gap.id, actor="a")
    stored, back = _exported_back(h, series)
    assert back == [start for start in stored if start != gap.start]


@pytest.mark.parametrize(
    ("rule", "twice"),
    [
        ("FREQ=DAILY;COUNT=3;COUNT=4", "COUNT"),
        ("FREQ=WEEKLY;BYDAY=MO;BYDAY=TU", "BYDAY"),
        ("FREQ=DAILY;UNTIL=20260322T000000Z;until=20260325T000000Z", "UNTIL"),
        ("FREQ=DAILY;FREQ=WEEKLY", "FREQ"),
    ],
)
def test_a_rule_part_given_twice_is_refused_on_its_line(rule: str, twice: str) -> None:
    # RFC 5545 3.3.10: a rule part MUST NOT occur more than once. icalendar's parse kept
    # the last of them, and the series was read with a part the calendar never settled on.
    lines = event("UID:e", "DTSTART:20260316T100000Z", "DURATION:PT1H", f"RRULE:{rule}")
    with pytest.raises(CalendarError) as caught:
        read_ical(ics(*lines))
    said = f"line 7: {twice} is given twice in the RRULE in {'RRULE:' + rule!r}"
    assert str(caught.value) == said
    assert (caught.value.text, caught.value.line, caught.value.uid) == (f"RRULE:{rule}", 7, "e")


@pytest.mark.parametrize("period", ["20260325T100000Z/PT0S", "20260325T100000Z/20260325T100000Z"])
def test_an_rdate_period_of_no_length_is_refused(period: str) -> None:
    # A zero-length PERIOD was read as no PERIOD at all: an occurrence of the event's length.
    lines = event(
        "UID:e",
        "DTSTART:20260320T090000Z",
        "DTEND:20260320T100000Z",
        f"RDATE;VALUE=PERIOD:{period}",
    )
    with pytest.raises(CalendarError) as caught:
        read_ical(ics(*lines))
    assert "an RDATE PERIOD has no length" in str(caught.value)
    assert caught.value.text == f"RDATE;VALUE=PERIOD:{period}"


@pytest.mark.parametrize(
    "rid", ["RECURRENCE-ID:00010101T000000", "RECURRENCE-ID;TZID=Europe/Berlin:00010101T000000"]
)
def test_an_override_keyed_in_year_1_is_refused_on_its_line(rid: str) -> None:
    # Found by the fuzz test: read whole, it raised OverflowError once its occurrences were
    # asked for (year 1 at Berlin's +00:53:28 has no UTC instant).
    lines = [
        *event(
            "UID:e",
            "DTSTART;TZID=Europe/Berlin:20260316T180000",
            "DURATION:PT1H",
            "RRULE:FREQ=WEEKLY;COUNT=4",
        ),
        *event("UID:e", rid, "DTSTART;VALUE=DATE:20260331"),
    ]
    with pytest.raises(CalendarError) as caught:
        read_ical(ics(*lines))
    assert "too close to year 1 or 9999" in str(caught.value)
    assert caught.value.text == rid


@pytest.mark.parametrize("fold", [b"\r\n ", b"\n\t"])
def test_a_character_folded_across_lines_is_read_whole(fold: bytes) -> None:
    # RFC 5545 3.1 folds at 75 octets; writers that count octets split an emoji or an
    # accented letter across lines, and the bytes did not decode ("not UTF-8 text").
    title = "Caf\u00e9 \U0001f389 Yoga"
    raw = title.encode()
    inside = [raw.index("\u00e9".encode()) + 1, raw.index("\U0001f389".encode()) + 2]
    for at in inside:
        summary = b"SUMMARY:" + raw[:at] + fold + raw[at:]
        lines = [b"UID:x", summary, b"DTSTART:20260316T180000Z", b"DURATION:PT1H"]
        text = ics(*event(*(line.decode("latin-1") for line in lines))).encode("latin-1")
        (read,) = read_ical(text).events
        assert read.title == title
    broken = ics(*event("UID:x", "SUMMARY:x", "DTSTART:20260316T180000Z")).encode()
    with pytest.raises(CalendarSyntaxError, match="not UTF-8"):
        read_ical(broken.replace(b"SUMMARY:x", b"SUMMARY:\xff"))
