"""sessionkit.contrib.ical: what a series' rules cannot name is kept; what is no session is refused.

Sessions from before a schedule change, overrides of occurrences the rule does
not give, and the extra events of a series of several schedule items: each was
dropped by an export or by ``occurrences()``, though ``store_ical`` kept it.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest

from sessionkit import Recurrence, ScheduleItem
from sessionkit.contrib.ical import (
    CalendarError,
    CalendarSyntaxError,
    export_series,
    read_ical,
    store_ical,
)
from sessionkit.testing.harness import Harness

from ._ical_support import event, ics

NOW = datetime(2026, 3, 1, tzinfo=UTC)
BERLIN = "Europe/Berlin"


def weekly(day: str, at: time, start: date, count: int) -> Recurrence:
    return Recurrence.weekly(
        days=(day,), at=at, duration=timedelta(hours=1), tz=BERLIN, start=start, count=count
    )


def starts(text: str) -> list[str]:
    return [o.span.start.strftime("%a %d") for o in read_ical(text).occurrences()]


def test_sessions_from_before_a_schedule_change_are_exported() -> None:
    # Yoga moves from Mondays to Tuesdays on 17 March: the two Mondays held are still sessions.
    h = Harness.in_memory(NOW)
    monday = ScheduleItem("slot", weekly("MO", time(18), date(2026, 3, 2), 6))
    h.kit.series.create("acme", actor="admin", title="Yoga", series_id="yoga", items=[monday])
    h.clock.advance(timedelta(days=14))
    tuesday = ScheduleItem("slot", weekly("TU", time(18), date(2026, 3, 17), 4))
    h.kit.series.change_schedule("acme", "yoga", actor="admin", items=[tuesday])
    sessions = h.kit.queries.series_sessions("acme", "yoga")
    text = export_series(h.kit.queries.get_series("acme", "yoga"), sessions)
    assert starts(text) == [s.start.strftime("%a %d") for s in sessions]
    assert starts(text) == ["Mon 02", "Mon 09", "Tue 17", "Tue 24", "Tue 31", "Tue 07"]
    again = Harness.in_memory(NOW)
    stored = store_ical(again.kit, "acme", read_ical(text), actor="admin")
    assert [e.start for e in stored.extras] == [s.start for s in sessions[:2]]


@pytest.mark.parametrize("item_id", ["mo", "mo-new"])
@pytest.mark.parametrize(
    ("minutes", "zone"), [(30, BERLIN), (60, "Europe/London"), (90, "America/New_York")]
)
def test_sessions_held_before_a_change_of_length_or_zone_keep_their_spans(
    minutes: int, zone: str, item_id: str
) -> None:
    # The same Mondays at 18:00 from 20 March, shorter or in another zone: the three lessons
    # held before were written as the new rule's, 30 minutes short or an hour late. So too
    # when the new item has another id: the held lessons name the old one, which no longer is.
    h = Harness.in_memory(NOW)
    old = Recurrence.weekly(("MO",), time(18), timedelta(hours=1), BERLIN, date(2026, 3, 2))
    h.kit.series.create(
        "acme", actor="admin", title="Yoga", series_id="y", items=[ScheduleItem("mo", old)]
    )
    new = Recurrence.weekly(("MO",), time(18), timedelta(minutes=minutes), zone, date(2026, 3, 2))
    h.kit.series.change_schedule(
        "acme",
        "y",
        actor="admin",
        items=[ScheduleItem(item_id, new)],
        effective_from=datetime(2026, 3, 20, tzinfo=UTC),
    )
    series = h.kit.queries.get_series("acme", "y")
    sessions = h.kit.queries.series_sessions("acme", "y")
    assert [s.span.end - s.span.start for s in sessions[:3]] == [timedelta(hours=1)] * 3
    text = export_series(series, sessions)
    assert text.count("RECURRENCE-ID") == 3
    read = read_ical(text).occurrences(series.created_at, series.generated_until)
    assert [o.span for o in read] == [s.span for s in sessions]


@pytest.mark.parametrize("how", ["moved", "extra"])
def test_a_session_at_an_occurrence_not_generated_yet_is_the_only_event_there(how: str) -> None:
    # Mondays at 18:00, generated to 2 May. The lesson of 27 April moved a week on, or an
    # extra one, takes 4 May: generation skips that occurrence later, as its start is held.
    # The export wrote the rule's 4 May beside it: two events at one instant, which
    # read_ical refused ("an override moves an occurrence onto ...") or read as two.
    h = Harness.in_memory(NOW)
    old = Recurrence.weekly(("MO",), time(18), timedelta(hours=1), BERLIN, date(2026, 3, 2))
    h.kit.series.create(
        "acme", actor="admin", title="Yoga", series_id="y", items=[ScheduleItem("mo", old)]
    )
    may_4 = datetime(2026, 5, 4, 16, tzinfo=UTC)
    if how == "moved":
        last = h.kit.queries.series_sessions("acme", "y")[-1]
        assert last.start == may_4 - timedelta(days=7)
        h.kit.sessions.update(
            "acme", last.id, actor="a", start=may_4, end=last.end + (may_4 - last.start)
        )
    else:
        h.kit.sessions.create_extra(
            "acme", actor="a", start=may_4, end=may_4 + timedelta(hours=1), series_id="y"
        )
    text = export_series(
        h.kit.queries.get_series("acme", "y"), h.kit.queries.series_sessions("acme", "y")
    )
    assert "EXDATE;TZID=Europe/Berlin:20260504T180000" in text.split("\r\n")
    around = read_ical(text).occurrences(may_4 - timedelta(days=14), may_4 + timedelta(days=8))
    days = [o.span.start.day for o in around]
    assert days == ([20, 4, 11] if how == "moved" else [20, 27, 4, 11])


OVERRIDDEN = "\r\n".join(
    [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:x",
        "BEGIN:VEVENT",
        "UID:u",
        "SUMMARY:Yoga",
        "DTSTART;TZID=Europe/Berlin:20260316T180000",
        "DURATION:PT1H",
        "RRULE:FREQ=WEEKLY;COUNT=3",
        "EXDATE;TZID=Europe/Berlin:20260323T180000",
        "END:VEVENT",
        "BEGIN:VEVENT",
        "UID:u",
        "SUMMARY:Yoga moved",
        "RECURRENCE-ID;TZID=Europe/Berlin:20260323T180000",
        "DTSTART;TZID=Europe/Berlin:20260324T180000",
        "DURATION:PT1H",
        "END:VEVENT",
        "END:VCALENDAR",
        "",
    ]
)


def test_an_override_of_an_excluded_occurrence_takes_place_as_it_is_stored() -> None:
    cal = read_ical(OVERRIDDEN)
    expected = [("Mon 16", "Yoga"), ("Tue 24", "Yoga moved"), ("Mon 30", "Yoga")]
    assert [(o.span.start.strftime("%a %d"), o.title) for o in cal.occurrences()] == expected
    h = Harness.in_memory(NOW)
    series = store_ical(h.kit, "acme", cal, actor="a").series["u"]
    sessions = h.kit.queries.series_sessions("acme", series.id)
    assert [(s.start.strftime("%a %d"), s.title) for s in sessions] == expected
    back = read_ical(export_series(series, sessions)).occurrences()
    assert [(o.span.start.strftime("%a %d"), o.title) for o in back] == expected


def _vevents(text: str) -> list[list[str]]:
    """The UID, RECURRENCE-ID, EXDATE and RELATED-TO lines of each VEVENT of ``text``."""
    found: list[list[str]] = []
    for line in text.split("\r\n"):
        if line == "BEGIN:VEVENT":
            found.append([])
        elif found and line.startswith(("UID", "RECURRENCE-ID", "EXDATE", "RELATED-TO")):
            found[-1].append(line)
    return found


@pytest.mark.parametrize(
    ("text", "rid"),
    [
        (OVERRIDDEN, "RECURRENCE-ID;TZID=Europe/Berlin:20260323T180000"),
        (  # all-day: the EXDATE is a date, which removes its day
            OVERRIDDEN.replace(";TZID=Europe/Berlin:", ";VALUE=DATE:")
            .replace("T180000", "")
            .replace("DURATION:PT1H", "DURATION:P1D"),
            "RECURRENCE-ID:20260323T000000Z",  # stored, an all-day series is timed
        ),
    ],
    ids=["timed", "all-day"],
)
def test_an_override_of_an_excluded_occurrence_is_exported_as_an_override(
    text: str, rid: str
) -> None:
    # It was written as a single event with the session's id for its UID (RELATED-TO the
    # series): imported again, a new event. RFC 5545 readers drop an override whose
    # RECURRENCE-ID an EXDATE names (recurring-ical-events does), so the override is written
    # under the series' UID without that EXDATE, and every reader finds it where it is stored.
    h = Harness.in_memory(NOW)
    series = store_ical(h.kit, "acme", read_ical(text), actor="a").series["u"]
    sessions = h.kit.queries.series_sessions("acme", series.id)
    exported = export_series(series, sessions, stamp=NOW)
    assert _vevents(exported) == [["UID:u"], ["UID:u", rid]]
    back = read_ical(exported)
    assert back.events == ()
    assert [(o.key.day, o.span, o.title) for o in back.series[0].overrides] == [
        (23, sessions[1].span, "Yoga moved")
    ]
    again = Harness.in_memory(NOW)
    stored = store_ical(again.kit, "acme", back, actor="a").series["u"]
    restored = again.kit.queries.series_sessions("acme", stored.id)
    fields = [(s.span, s.title, s.occurrence_key, s.detached) for s in restored]
    assert fields == [(s.span, s.title, s.occurrence_key, s.detached) for s in sessions]
    assert export_series(stored, restored, stamp=NOW) == exported


def test_a_cancelled_override_of_an_excluded_occurrence_stays_an_exdate() -> None:
    h = Harness.in_memory(NOW)
    series = store_ical(h.kit, "acme", read_ical(OVERRIDDEN), actor="a").series["u"]
    moved = h.kit.queries.series_sessions("acme", series.id)[1]
    h.kit.sessions.cancel("acme", moved.id, actor="a")
    exported = export_series(series, h.kit.queries.series_sessions("acme", series.id), stamp=NOW)
    assert _vevents(exported) == [["UID:u", "EXDATE;TZID=Europe/Berlin:20260323T180000"]]


def test_the_extra_events_of_a_series_of_two_items_stay_related_to_it() -> None:
    h = Harness.in_memory(NOW)
    items = [
        ScheduleItem("mon", weekly("MO", time(17, 30), date(2026, 3, 2), 2)),
        ScheduleItem("wed", weekly("WE", time(9), date(2026, 3, 4), 2)),
    ]
    series, _ = h.kit.series.create(
        "acme", actor="admin", title="Chem", series_id="chem", items=items
    )
    h.kit.sessions.create_extra(
        "acme",
        actor="admin",
        series_id="chem",
        title="Chem extra",
        start=datetime(2026, 3, 20, 14, tzinfo=UTC),
        end=datetime(2026, 3, 20, 15, tzinfo=UTC),
    )
    text = export_series(series, h.kit.queries.series_sessions("acme", "chem"), stamp=NOW)
    uids = [line for line in text.split("\r\n") if line.startswith(("UID", "RELATED-TO"))]
    assert uids[0] == "UID:chem"  # the first item keeps the series' UID ...
    assert "RELATED-TO:chem" in uids  # ... which the extra names
    again = Harness.in_memory(NOW)
    stored = store_ical(again.kit, "acme", read_ical(text), actor="admin")
    [extra] = stored.extras
    assert extra.series_id == stored.series["chem"].id


@pytest.mark.parametrize(
    ("length", "message"),
    [
        ("DTEND:20260316T100000Z", "has no length"),
        ("DURATION:PT0S", "has no length"),
        ("DTEND:20260316T090000Z", "ends before it starts"),
    ],
)
def test_an_event_without_length_is_refused_for_what_it_is(length: str, message: str) -> None:
    text = ics(*event("UID:r", "SUMMARY:Reminder", "DTSTART:20260316T100000Z", length))
    with pytest.raises(CalendarError, match=message) as refused:
        read_ical(text)
    assert (refused.value.line, refused.value.uid) == (7, "r")


@pytest.mark.parametrize(
    ("lines", "second"),
    [
        (["DTEND:20260316T110000Z", "DURATION:PT2H"], 8),
        (["DURATION:PT2H", "DTEND;TZID=Europe/Berlin:20260316T120000"], 8),
    ],
)
@pytest.mark.parametrize("rule", [[], ["RRULE:FREQ=DAILY;COUNT=3"]], ids=["single", "series"])
def test_an_event_with_both_dtend_and_duration_is_refused_naming_both(
    lines: list[str], second: int, rule: list[str]
) -> None:
    # RFC 5545 3.6.1: DTEND and DURATION MUST NOT occur in the same event. It was read with
    # its DTEND and its DURATION ignored, so the event lasted what one writer meant.
    text = ics(*event("UID:both", "SUMMARY:Both", "DTSTART:20260316T100000Z", *lines, *rule))
    with pytest.raises(CalendarSyntaxError) as refused:
        read_ical(text)
    assert (refused.value.line, refused.value.text, refused.value.uid) == (
        second,
        lines[1],
        "both",
    )
    assert lines[0] in str(refused.value)  # both values, the first one's too


def test_an_override_with_both_dtend_and_duration_is_refused_on_its_line() -> None:
    master = event("UID:m", "DTSTART:20260316T100000Z", "DURATION:PT1H", "RRULE:FREQ=DAILY;COUNT=3")
    moved = event(
        "UID:m",
        "RECURRENCE-ID:20260317T100000Z",
        "DTSTART:20260317T120000Z",
        "DTEND:20260317T130000Z",
        "DURATION:PT1H",
    )
    with pytest.raises(CalendarSyntaxError, match="both DTEND") as refused:
        read_ical(ics(*master, *moved))
    assert (refused.value.line, refused.value.uid) == (14, "m")


def test_a_summary_too_long_for_a_title_is_refused_by_the_store_at_its_event() -> None:
    # store_ical refused it with no line or UID, after writing nothing; read_ical reads it (a
    # calendar read only to show it needs no session title), and a cancelled one is no session.
    title = "SUMMARY:" + "x" * 300
    text = ics(*event("UID:long", title, "DTSTART:20260316T100000Z", "DURATION:PT1H"))
    assert len(read_ical(text).events[0].title) == 300
    h = Harness.in_memory(NOW)
    with pytest.raises(CalendarError, match="300 characters") as refused:
        store_ical(h.kit, "acme", read_ical(text), actor="a")
    assert (refused.value.line, refused.value.uid) == (3, "long")
    assert h.kit.queries.list("acme").total == 0
    cancelled = text.replace("DURATION:PT1H", "DURATION:PT1H\r\nSTATUS:CANCELLED")
    assert store_ical(h.kit, "acme", read_ical(cancelled), actor="a").extras == ()
