"""sessionkit.contrib.ical: cancelled sessions and STATUS:CANCELLED events, both ways."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import pytest

from sessionkit import Recurrence, ScheduleItem, Series, SessionKit, WindowPolicy
from sessionkit.contrib.ical import (
    CalendarSyntaxError,
    IcalCalendar,
    IcalEvent,
    export_series,
    read_ical,
    resource_feed,
    sessions_feed,
    store_ical,
    write_ical,
)
from sessionkit.errors import UnknownLifecycle
from sessionkit.lifecycle import PRESETS, Lifecycle, Status, Transition
from sessionkit.testing.harness import Harness
from sessionkit.timespan import TimeSpan

from ._ical_support import NOW, choir, event, ics, utc


def lines_of(text: str, *prefixes: str) -> list[str]:
    return [line for line in text.split("\r\n") if line.startswith(prefixes)]


def _mondays(kit: SessionKit) -> Series:
    """Choir, Mondays at 18:00 in Berlin, 2 to 23 March 2026, in room r1."""
    return choir(kit, count=4)[0]


def _session_at(kit: SessionKit, start: datetime) -> str:
    (found,) = [s for s in kit.queries.list("acme").items if s.start == start]
    return found.id


def test_a_cancelled_session_is_exported_as_an_exdate_and_not_imported_again() -> None:
    h = Harness.in_memory(NOW)
    series = _mondays(h.kit)
    h.kit.sessions.cancel("acme", _session_at(h.kit, utc(2026, 3, 9, 17)), actor="a")
    sessions = h.kit.queries.list("acme").items
    text = export_series(series, sessions)
    assert lines_of(text, "EXDATE") == ["EXDATE;TZID=Europe/Berlin:20260309T180000"]
    back = read_ical(text)
    assert [o.span.start for o in back.occurrences()] == [
        utc(2026, 3, 2, 17),
        utc(2026, 3, 16, 17),
        utc(2026, 3, 23, 17),
    ]
    assert write_ical(back, stamp=series.created_at) == text  # a fixed point, as before
    again = Harness.in_memory(NOW)
    store_ical(again.kit, "acme", back, actor="a")
    assert [(s.start, s.status) for s in again.kit.queries.list("acme").items] == [
        (utc(2026, 3, 2, 17), "SCHEDULED"),
        (utc(2026, 3, 16, 17), "SCHEDULED"),
        (utc(2026, 3, 23, 17), "SCHEDULED"),
    ]


def test_a_moved_then_cancelled_session_is_an_exdate_not_an_override() -> None:
    h = Harness.in_memory(NOW)
    series = _mondays(h.kit)
    moved = h.kit.sessions.update(
        "acme", _session_at(h.kit, utc(2026, 3, 16, 17)), actor="a", start=utc(2026, 3, 17, 17)
    )
    h.kit.sessions.cancel("acme", moved.id, actor="a")
    text = export_series(series, h.kit.queries.list("acme").items)
    assert lines_of(text, "RECURRENCE-ID") == []
    assert lines_of(text, "EXDATE") == ["EXDATE;TZID=Europe/Berlin:20260316T180000"]
    starts = [o.span.start.day for o in read_ical(text).occurrences()]
    assert starts == [2, 9, 23]


def test_a_cancelled_extra_session_is_exported_with_status_cancelled() -> None:
    h = Harness.in_memory(NOW)
    series = _mondays(h.kit)
    extra = h.kit.sessions.create_extra(
        "acme", actor="a", series_id=series.id, start=utc(2026, 4, 20, 9), end=utc(2026, 4, 20, 10)
    )
    h.kit.sessions.cancel("acme", extra.id, actor="a")
    text = export_series(series, h.kit.queries.list("acme").items)
    assert lines_of(text, "STATUS") == ["STATUS:CANCELLED"]
    back = read_ical(text)
    assert [(e.uid, e.cancelled) for e in back.events] == [(extra.id, True)]
    assert utc(2026, 4, 20, 9) not in [o.span.start for o in back.occurrences()]
    assert write_ical(back, stamp=series.created_at) == text


def test_the_resource_feed_marks_cancelled_sessions_cancelled() -> None:
    h = Harness.in_memory(NOW)
    _mondays(h.kit)
    cancelled = h.kit.sessions.cancel("acme", _session_at(h.kit, utc(2026, 3, 9, 17)), actor="a")
    feed = resource_feed(h.kit, "acme", "room:r1", start=utc(2026, 3, 1), end=utc(2026, 4, 1))
    assert lines_of(feed, "STATUS") == ["STATUS:CANCELLED"]
    back = read_ical(feed)
    assert [(e.span.start, e.cancelled) for e in back.events] == [
        (utc(2026, 3, 2, 17), False),
        (utc(2026, 3, 9, 17), True),
        (utc(2026, 3, 16, 17), False),
        (utc(2026, 3, 23, 17), False),
    ]
    assert [e.uid for e in back.events if e.cancelled] == [cancelled.id]


PARKING = Lifecycle(
    "parking",
    statuses=[
        Status("PARKED", initial=True, busy=True, editable=True),
        Status("DROPPED", terminal=True, cancelled=True),
    ],
    transitions=[Transition("cancel", "PARKED", "DROPPED")],
)


def test_a_lifecycle_of_the_kit_says_which_status_is_cancelled() -> None:
    h = Harness.in_memory(NOW)
    kit = SessionKit(
        uow=h.store.unit_of_work,
        clock=h.clock,
        lifecycles=PRESETS.with_lifecycle(PARKING),
        ids=h.kit.context.ids,
    )
    made = kit.sessions.create_extra(
        "acme",
        actor="a",
        lifecycle="parking",
        start=utc(2026, 3, 5, 9),
        end=utc(2026, 3, 5, 10),
        resources=["room:r1"],
    )
    dropped = kit.sessions.cancel("acme", made.id, actor="a")
    assert dropped.status == "DROPPED"
    feed = resource_feed(kit, "acme", "room:r1", start=utc(2026, 3, 1), end=utc(2026, 4, 1))
    assert lines_of(feed, "STATUS") == ["STATUS:CANCELLED"]
    with pytest.raises(UnknownLifecycle) as caught:  # the presets do not know "parking"
        sessions_feed([dropped], stamp=NOW)
    assert caught.value.name == "parking"
    text = sessions_feed([dropped], stamp=NOW, lifecycles=kit.context.lifecycles)
    assert lines_of(text, "STATUS") == ["STATUS:CANCELLED"]


CANCELLED_TALK = event(
    "UID:talk",
    "SUMMARY:Talk",
    "STATUS:CANCELLED",
    "DTSTART:20260401T100000Z",
    "DTEND:20260401T110000Z",
)


def test_a_cancelled_single_event_is_read_as_cancelled_and_has_no_occurrence() -> None:
    cal = read_ical(ics(*CANCELLED_TALK))
    assert cal.events == (
        IcalEvent(
            uid="talk",
            title="Talk",
            span=TimeSpan(utc(2026, 4, 1, 10), utc(2026, 4, 1, 11)),
            tz="UTC",
            cancelled=True,
        ),
    )
    assert cal.occurrences() == []
    text = write_ical(cal, stamp=NOW)
    assert lines_of(text, "STATUS") == ["STATUS:CANCELLED"]
    assert read_ical(text) == cal


@pytest.mark.parametrize(
    ("where", "twice"),
    [
        ("single", "STATUS:CANCELLED"),
        ("single", "STATUS:CONFIRMED"),
        ("master", "STATUS:CANCELLED"),
        ("override", "STATUS:CANCELLED"),
        ("override", "SEQUENCE:2"),
    ],
)
def test_a_status_or_sequence_given_twice_is_refused_naming_the_line(
    where: str, twice: str
) -> None:
    # icalendar hands a repeated property over as a list: STATUS:CANCELLED twice read as
    # not cancelled, and every occurrence of the cancelled event was imported; an
    # override's SEQUENCE twice read as 0.
    rule = () if where == "single" else ("RRULE:FREQ=DAILY;COUNT=3",)
    own = (twice, twice) if where != "override" else ()
    body = event("UID:talk", "DTSTART:20260401T100000Z", "DURATION:PT1H", *rule, *own)
    if where == "override":
        body += event(
            "UID:talk",
            "RECURRENCE-ID:20260402T100000Z",
            "DTSTART:20260402T120000Z",
            "DURATION:PT1H",
            twice,
            twice,
        )
    text = ics(*body)
    line = text.split("\r\n").index(twice) + 2  # the second one, counted from 1
    with pytest.raises(CalendarSyntaxError) as caught:
        read_ical(text).occurrences()
    name = twice.split(":")[0]
    assert str(caught.value).startswith(f"line {line}: {name} more than once in one event")
    assert caught.value.line == line


def test_store_ical_stores_no_session_for_a_cancelled_event() -> None:
    h = Harness.in_memory(NOW)
    cal = read_ical(
        ics(*CANCELLED_TALK, *event("UID:chat", "DTSTART:20260402T100000Z", "DURATION:PT1H"))
    )
    stored = store_ical(h.kit, "acme", cal, actor="a", resources=["room:r1"])
    assert [s.metadata["ical_uid"] for s in stored.extras] == ["chat"]
    assert [s.start for s in h.kit.queries.list("acme").items] == [utc(2026, 4, 2, 10)]


def test_a_cancelled_override_without_its_master_is_a_cancelled_event() -> None:
    cal = read_ical(
        ics(
            *event(
                "UID:gone",
                "RECURRENCE-ID:20260401T100000Z",
                "STATUS:CANCELLED",
                "DTSTART:20260401T100000Z",
                "DURATION:PT1H",
            )
        )
    )
    assert [(e.uid, e.cancelled) for e in cal.events] == [("gone", True)]
    assert cal.occurrences() == []


def test_a_cancelled_event_value_is_written_cancelled() -> None:
    talk = IcalEvent(
        uid="t",
        title="Talk",
        span=TimeSpan(utc(2026, 4, 1, 10), utc(2026, 4, 1, 11)),
        tz="Europe/Berlin",
        cancelled=True,
    )
    text = write_ical(IcalCalendar(events=(talk,)), stamp=NOW)
    assert lines_of(text, "STATUS", "DTSTART;") == [
        "DTSTART;TZID=Europe/Berlin:20260401T120000",
        "STATUS:CANCELLED",
    ]


def _weekly(kit: SessionKit, *, count: int | None) -> Series:
    """Choir, Mondays at 18:00 in Berlin from 2 March 2026 (open-ended without ``count``)."""
    return choir(kit, count=count)[0]


@pytest.mark.parametrize("count", [None, 20])
def test_a_closed_series_is_exported_as_the_sessions_it_kept(count: int | None) -> None:
    """Closing deletes the sessions from then on: the export ends where the series did."""
    h = Harness.in_memory(NOW)
    series = _weekly(h.kit, count=count)
    kept = _session_at(h.kit, utc(2026, 4, 13, 16))  # under way when the series closes
    h.kit.sessions.fire("acme", kept, "start", actor="a")
    h.clock.set(utc(2026, 3, 20))
    report = h.kit.series.close("acme", series.id, actor="a")
    assert [s.start.date() for s in report.deleted] == [
        date(2026, 3, 23),
        date(2026, 3, 30),
        date(2026, 4, 6),
        date(2026, 4, 20),
        date(2026, 4, 27),
    ]
    closed = h.kit.queries.get_series("acme", series.id)
    sessions = h.kit.queries.series_sessions("acme", series.id)
    text = export_series(closed, sessions)
    assert lines_of(text, "RRULE") == ["RRULE:FREQ=WEEKLY;UNTIL=20260413T160000Z;BYDAY=MO"]
    back = read_ical(text)
    assert [o.span.start for o in back.occurrences()] == [s.start for s in sessions]
    assert [o.span.start.date() for o in back.occurrences()] == [
        date(2026, 3, 2),
        date(2026, 3, 9),
        date(2026, 3, 16),
        date(2026, 4, 13),
    ]


def test_a_closed_series_without_sessions_exports_no_series() -> None:
    h = Harness.in_memory(NOW)
    series = _weekly(h.kit, count=None)
    h.kit.series.close("acme", series.id, actor="a")  # before its first session
    closed = h.kit.queries.get_series("acme", series.id)
    text = export_series(closed, h.kit.queries.series_sessions("acme", series.id))
    assert lines_of(text, "BEGIN:VEVENT", "RRULE") == []
    assert read_ical(text).occurrences() == []


def test_a_closed_series_whose_kept_sessions_were_all_cancelled_exports() -> None:
    # The only session closing keeps is a cancelled one: its EXDATE took the occurrence the
    # rule was to end at, and the export failed with a bare ValueError (max of nothing).
    h = Harness.in_memory(NOW)
    series = _weekly(h.kit, count=None)
    h.kit.sessions.cancel("acme", _session_at(h.kit, utc(2026, 3, 2, 17)), actor="a")
    h.kit.series.close("acme", series.id, actor="a")
    closed = h.kit.queries.get_series("acme", series.id)
    sessions = h.kit.queries.series_sessions("acme", series.id)
    assert [(s.start, s.status) for s in sessions] == [(utc(2026, 3, 2, 17), "CANCELED")]
    text = export_series(closed, sessions)
    assert lines_of(text, "RRULE", "EXDATE") == [
        "RRULE:FREQ=WEEKLY;UNTIL=20260302T170000Z;BYDAY=MO",
        "EXDATE;TZID=Europe/Berlin:20260302T180000",
    ]
    assert read_ical(text).occurrences() == []


def test_a_closed_series_of_two_rules_is_exported_as_one_event_without_doubles() -> None:
    # Mondays and Fridays, and Fridays: one instant each. Closing keeps the booked Friday 6th
    # and Monday 23rd; the Mondays deleted were EXDATEs of the first rule only, so the rules
    # became two VEVENTs, each giving Friday the 6th: it came back twice.
    text = ics(
        *event(
            "UID:u",
            "SUMMARY:Drill",
            "DTSTART:20260302T100000Z",
            "DURATION:PT1H",
            "RRULE:FREQ=WEEKLY;BYDAY=MO,FR",
            "RRULE:FREQ=WEEKLY;BYDAY=FR",
        )
    )
    h = Harness.in_memory(NOW)
    series = store_ical(h.kit, "acme", read_ical(text), actor="a").series["u"]
    for session in h.kit.queries.series_sessions("acme", series.id):
        if session.start in (utc(2026, 3, 6, 10), utc(2026, 3, 23, 10)):
            h.kit.bookings.book("acme", session.id, "student:ann", actor="ann", confirm=True)
    h.kit.series.close("acme", series.id, actor="a")
    closed = h.kit.queries.get_series("acme", series.id)
    sessions = h.kit.queries.series_sessions("acme", series.id)
    exported = export_series(closed, sessions)
    assert lines_of(exported, "UID") == ["UID:u"]
    back = read_ical(exported).occurrences()
    assert [o.span.start for o in back] == [s.start for s in sessions]
    assert [o.span.start for o in back] == [utc(2026, 3, 6, 10), utc(2026, 3, 23, 10)]


def _daily(kit: SessionKit, start: date) -> Series:
    """Daily at 08:00 UTC from ``start``, generated three months ahead: over a page of sessions."""
    item = ScheduleItem(
        id="day",
        recurrence=Recurrence.weekly(
            days=("MO", "TU", "WE", "TH", "FR", "SA", "SU"),
            at=time(8),
            duration=timedelta(hours=1),
            tz="UTC",
            start=start,
        ),
        resources=("room:r1",),
    )
    window = WindowPolicy(initial_months=3)
    return kit.series.create("acme", actor="a", title="Drill", items=[item], window=window)[0]


def test_a_closed_series_with_more_sessions_than_a_page_is_exported_whole() -> None:
    h = Harness.in_memory(NOW)
    series = _daily(h.kit, NOW.date())
    sessions = h.kit.queries.series_sessions("acme", series.id)
    assert len(sessions) > len(h.kit.queries.list("acme").items) == 50
    late = sessions[70]  # under way when the series closes: kept
    h.kit.sessions.fire("acme", late.id, "start", actor="a")
    h.clock.set(utc(2026, 3, 20, 12))
    h.kit.series.close("acme", series.id, actor="a")
    closed = h.kit.queries.get_series("acme", series.id)
    kept = h.kit.queries.series_sessions("acme", series.id)
    back = read_ical(export_series(closed, kept))
    assert [o.span.start for o in back.occurrences()] == [s.start for s in kept]
    assert kept[-1].id == late.id


def test_a_series_is_exported_from_where_generation_began_open_or_closed() -> None:
    # The rule starts a year before the series was created, so its first sessions are from
    # creation on. The export wrote the year before as well (365 classes the kit never had);
    # an EXDATE for each, as the closed series' export once wrote, made a file of them. The
    # rule now starts at the first occurrence generation reached, with no EXDATE.
    h = Harness.in_memory(NOW)
    series = _daily(h.kit, date(2025, 3, 1))
    sessions = h.kit.queries.series_sessions("acme", series.id)
    assert sessions[0].start == NOW
    # Without sessions, the rule is written as it is.
    assert len(read_ical(export_series(series)).occurrences(utc(2025, 1, 1), NOW)) == 365
    text = export_series(series, sessions)
    assert lines_of(text, "DTSTART") == ["DTSTART:20260301T080000Z"]
    assert lines_of(text, "EXDATE") == []
    window = (utc(2025, 1, 1), sessions[-1].end)
    assert [o.span.start for o in read_ical(text).occurrences(*window)] == [
        s.start for s in sessions
    ]
    h.clock.set(utc(2026, 3, 20, 12))
    h.kit.series.close("acme", series.id, actor="a")
    closed = h.kit.queries.get_series("acme", series.id)
    text = export_series(closed, h.kit.queries.series_sessions("acme", series.id))
    assert lines_of(text, "EXDATE") == []
    back = [o.span.start for o in read_ical(text).occurrences()]
    assert back == [utc(2026, 3, d, 8) for d in range(1, 21)]


def test_sessions_deleted_before_the_first_kept_one_stay_excluded() -> None:
    # Closed before its first session, the choir keeps only a booked one on 13 April: the
    # deleted Mondays from 2 March on are EXDATEs, not live events again.
    h = Harness.in_memory(NOW)
    series = _weekly(h.kit, count=None)
    kept = _session_at(h.kit, utc(2026, 4, 13, 16))
    h.kit.bookings.book("acme", kept, "student:ann", actor="ann", confirm=True)
    h.kit.series.close("acme", series.id, actor="a")
    closed = h.kit.queries.get_series("acme", series.id)
    text = export_series(closed, h.kit.queries.series_sessions("acme", series.id))
    assert [o.span.start for o in read_ical(text).occurrences()] == [utc(2026, 4, 13, 16)]
