"""Control characters in titles, UIDs and names are left out of written TEXT (RFC 5545 3.3.11)."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

import icalendar
from tests.unit._ical_support import NOW, choir, event, ics, utc

from sessionkit.contrib.ical import (
    IcalCalendar,
    IcalEvent,
    IcalSeries,
    export_series,
    read_ical,
    resource_feed,
    store_ical,
    write_ical,
)
from sessionkit.model.series import ScheduleItem
from sessionkit.recurrence import Recurrence
from sessionkit.testing.harness import Harness
from sessionkit.timespan import TimeSpan

# RFC 5545's CONTROL: every CTL but HTAB; LF and CR are written escaped, as "\n".
_CTL = re.compile("[\x00-\x08\x0a-\x1f\x7f]")
HOUR = timedelta(hours=1)
_ODD = "".join(chr(c) for c in [*range(0x09), 0x0B, 0x0C, *range(0x0E, 0x20), 0x7F])


def _values(text: str) -> list[str]:
    """Each content line of ``text`` (its CRLFs and folds taken away)."""
    return text.replace("\r\n ", "").split("\r\n")


def _event(uid: str, title: str, series_uid: str | None = None) -> IcalEvent:
    span = TimeSpan(utc(2026, 4, 1, 10), utc(2026, 4, 1, 11))
    return IcalEvent(uid=uid, title=title, span=span, tz="UTC", series_uid=series_uid)


def test_a_written_calendar_has_no_control_characters_and_parses_back() -> None:
    title = f"Yoga{_ODD}\tmat\nroom" + "x" * 80 + "\x01"  # past a fold, a CTL at its end
    cal = IcalCalendar(events=(_event("u\x02", title, "s\x05"),), name="Studio\x03")
    text = write_ical(cal, stamp=NOW)
    assert not any(_CTL.search(line) for line in _values(text))
    parsed = icalendar.Calendar.from_ical(text)
    assert str(parsed["X-WR-CALNAME"]) == "Studio"
    [vevent] = parsed.walk("VEVENT")
    assert str(vevent["SUMMARY"]) == "Yoga\tmat\nroom" + "x" * 80
    assert (str(vevent["UID"]), str(vevent["RELATED-TO"])) == ("u", "s")
    [back] = read_ical(text).events
    assert (back.uid, back.title, back.series_uid, back.span) == (
        "u",
        "Yoga\tmat\nroom" + "x" * 80,
        "s",
        cal.events[0].span,
    )
    assert write_ical(read_ical(text), stamp=NOW) == text  # what is left goes round


def test_uids_that_differ_by_a_control_character_stay_two_events() -> None:
    cal = IcalCalendar(events=(_event("talk\x1f", "A"), _event("talk", "B")))
    back = read_ical(write_ical(cal, stamp=NOW))
    assert [(e.uid, e.title) for e in back.events] == [("talk", "A"), ("talk/2", "B")]


def test_a_stored_series_and_feed_with_a_control_character_in_a_title() -> None:
    h = Harness.in_memory(NOW)
    series, _ = choir(h.kit, count=2, title="Choir\x0b(alto)\x7f")
    sessions = h.kit.queries.series_sessions("acme", series.id)
    text = export_series(series, sessions)
    assert not any(_CTL.search(line) for line in _values(text))
    back = read_ical(text)
    assert [s.title for s in back.series] == ["Choir(alto)"]
    assert [o.span.start for o in back.occurrences()] == [s.start for s in sessions]
    feed = resource_feed(h.kit, "acme", "room:r1", start=NOW, end=NOW + timedelta(days=30))
    assert not any(_CTL.search(line) for line in _values(feed))
    assert [e.title for e in read_ical(feed).events] == ["Choir(alto)", "Choir(alto)"]


def test_a_uid_of_control_characters_only_is_not_written_empty() -> None:
    # Cleaned, "\x01\x02" was written "UID:" (invalid: RFC 5545 wants one); such a UID is
    # named as the reader names an event without one: line-N, else its place.
    read = IcalEvent(uid="\x01", title="R", span=_event("x", "x").span, tz="UTC", line=7)
    cal = IcalCalendar(events=(_event("\x01\x02", "A"), _event("\x03", "B"), read))
    text = write_ical(cal, stamp=NOW)
    assert [line for line in _values(text) if line.startswith("UID")] == [
        "UID:event-1",
        "UID:event-2",
        "UID:line-7",
    ]
    assert [e.uid for e in read_ical(text).events] == ["event-1", "event-2", "line-7"]


def test_series_uids_that_differ_by_a_control_character_stay_two_series() -> None:
    # Cleaned, "a" and "a\x1f" were two masters of UID "a", which read_ical refuses; the
    # second is "a/2", and an event related to it names "a/2". One of only control
    # characters is "series-N".
    def weekly(uid: str, day: int) -> IcalSeries:
        rec = Recurrence.from_rrule(
            "FREQ=WEEKLY;COUNT=2", start=datetime(2026, 4, day, 10), tz="UTC", duration=HOUR
        )
        return IcalSeries(uid=uid, title=uid, items=(ScheduleItem("i", rec),))

    cal = IcalCalendar(
        series=(weekly("a", 1), weekly("a\x1f", 2), weekly("\x01", 3)),
        events=(_event("x", "X", series_uid="a\x1f"), _event("y", "Y", series_uid="\x01")),
    )
    back = read_ical(write_ical(cal, stamp=NOW))
    assert [s.uid for s in back.series] == ["a", "a/2", "series-3"]
    assert [(e.uid, e.series_uid) for e in back.events] == [("x", "a/2"), ("y", "series-3")]


def test_an_imported_uid_of_control_characters_only_is_exported_as_the_id() -> None:
    text = ics(
        *event(
            "UID:\x01\x02",
            "SUMMARY:Talk",
            "DTSTART:20260401T100000Z",
            "DTEND:20260401T110000Z",
            "RRULE:FREQ=WEEKLY;COUNT=2",
        )
    )
    h = Harness.in_memory(NOW)
    [series] = store_ical(h.kit, "acme", read_ical(text), actor="a").series.values()
    exported = export_series(series, h.kit.queries.series_sessions("acme", series.id))
    assert [line for line in _values(exported) if line.startswith("UID")] == [f"UID:{series.id}"]
