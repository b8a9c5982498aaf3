"""A stored series is exported from where generation began, not from its rule's own start."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, time, timedelta
from typing import Literal

import pytest
from tests.unit._ical_support import NOW, event, ics, utc

from sessionkit.contrib.ical import export_series, read_ical, store_ical
from sessionkit.model.series import ScheduleItem, Series, WindowPolicy
from sessionkit.model.session import Session
from sessionkit.recurrence import Recurrence
from sessionkit.services import SessionKit
from sessionkit.testing.harness import Harness


def _lines(text: str, *prefixes: str) -> list[str]:
    return [line for line in text.split("\r\n") if line.startswith(prefixes)]


def _mondays(kit: SessionKit, *, count: int | None, until: date | None = None) -> Series:
    """Choir, Mondays at 18:00 in Berlin from 2 February 2026: a month before ``NOW``."""
    rec = Recurrence.weekly(
        days=("MO",),
        at=time(18),
        duration=timedelta(hours=1),
        tz="Europe/Berlin",
        start=date(2026, 2, 2),
        count=count,
        until=until,
    )
    return kit.series.create("acme", actor="a", title="Choir", items=[ScheduleItem("mon", rec)])[0]


def test_a_count_rule_starts_at_the_first_session_with_the_count_left() -> None:
    # The series was created on 1 March: the kit has the Mondays from 2 March on. The export
    # wrote DTSTART 2 February with COUNT=8, four classes before any session.
    h = Harness.in_memory(NOW)
    series = _mondays(h.kit, count=8)
    sessions = h.kit.queries.series_sessions("acme", series.id)
    assert [s.start.day for s in sessions] == [2, 9, 16, 23]
    text = export_series(series, sessions)
    assert _lines(text, "DTSTART;TZID", "RRULE", "EXDATE") == [
        "DTSTART;TZID=Europe/Berlin:20260302T180000",
        "RRULE:FREQ=WEEKLY;COUNT=4;BYDAY=MO",
    ]
    assert [o.span.start for o in read_ical(text).occurrences()] == [s.start for s in sessions]
    # Imported into a kit of the same day and exported again: the same text.
    again = Harness.in_memory(NOW)
    stored = store_ical(again.kit, "acme", read_ical(text), actor="a")
    [copy] = stored.series.values()
    assert export_series(copy, again.kit.queries.series_sessions("acme", copy.id)) == text


def test_a_rule_that_never_ends_or_ends_at_an_until_keeps_its_end() -> None:
    for until, rule in [(None, "RRULE:FREQ=WEEKLY;BYDAY=MO"), (date(2026, 3, 30), None)]:
        h = Harness.in_memory(NOW)
        series = _mondays(h.kit, count=None, until=until)
        sessions = h.kit.queries.series_sessions("acme", series.id)
        text = export_series(series, sessions)
        assert _lines(text, "DTSTART;TZID") == ["DTSTART;TZID=Europe/Berlin:20260302T180000"]
        assert _lines(text, "EXDATE") == []
        if rule is not None:
            assert rule in _lines(text, "RRULE")
        window = (utc(2026, 1, 1), sessions[-1].end)
        assert [o.span.start for o in read_ical(text).occurrences(*window)] == [
            s.start for s in sessions
        ]


def test_an_imported_override_before_creation_keeps_the_rule_from_its_occurrence() -> None:
    # Imported on 1 March, a class of Mondays from 2 February with the 9 February one moved
    # to the Tuesday: the kit has that session, then the Mondays from 2 March on. The
    # export starts at 9 February; the Mondays between (16 and 23 February) never had a
    # session, and are EXDATEs.
    text = ics(
        *event(
            "UID:choir",
            "SUMMARY:Choir",
            "DTSTART;TZID=Europe/Berlin:20260202T180000",
            "DURATION:PT1H",
            "RRULE:FREQ=WEEKLY;COUNT=8",
        ),
        *event(
            "UID:choir",
            "SUMMARY:Choir",
            "RECURRENCE-ID;TZID=Europe/Berlin:20260209T180000",
            "DTSTART;TZID=Europe/Berlin:20260210T180000",
            "DURATION:PT1H",
        ),
    )
    h = Harness.in_memory(NOW)
    series = store_ical(h.kit, "acme", read_ical(text), actor="a").series["choir"]
    sessions = h.kit.queries.series_sessions("acme", series.id)
    assert [s.start for s in sessions] == [
        utc(2026, 2, 10, 17),
        *(utc(2026, 3, d, 17) for d in (2, 9, 16, 23)),
    ]
    exported = export_series(series, sessions)
    assert _lines(exported, "DTSTART;TZID", "RRULE", "EXDATE", "RECURRENCE-ID") == [
        "DTSTART;TZID=Europe/Berlin:20260209T180000",
        "RRULE:FREQ=WEEKLY;COUNT=7",
        "EXDATE;TZID=Europe/Berlin:20260216T180000,20260223T180000",
        "DTSTART;TZID=Europe/Berlin:20260210T180000",
        "RECURRENCE-ID;TZID=Europe/Berlin:20260209T180000",
    ]
    assert [o.span.start for o in read_ical(exported).occurrences()] == [s.start for s in sessions]


def test_a_series_created_before_its_rule_starts_is_written_as_it_is() -> None:
    h = Harness.in_memory(utc(2026, 1, 1))
    series = _mondays(h.kit, count=8)
    sessions = h.kit.queries.series_sessions("acme", series.id)
    text = export_series(series, sessions)
    assert _lines(text, "DTSTART;TZID", "RRULE") == [
        "DTSTART;TZID=Europe/Berlin:20260202T180000",
        "RRULE:FREQ=WEEKLY;COUNT=8;BYDAY=MO",
    ]


@pytest.mark.parametrize(
    "rule",
    [
        "FREQ=WEEKLY;INTERVAL=2;BYDAY=MO,TH;COUNT=30",
        "FREQ=MONTHLY;BYDAY=-1FR;COUNT=7",
        "FREQ=DAILY;INTERVAL=3",
        "FREQ=MONTHLY;BYMONTHDAY=31;COUNT=6",
        "FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=-1;UNTIL=20260801T000000Z",
    ],
)
def test_a_moved_start_keeps_the_rules_grid(rule: str) -> None:
    # DTSTART moves to an occurrence, on the rule's grid: the interval's weeks, the last
    # Friday, the 31st stay what they were.
    rec = Recurrence.from_rrule(
        rule, start=datetime(2025, 11, 3, 18), tz="Europe/Berlin", duration=timedelta(hours=1)
    )
    h = Harness.in_memory(NOW)
    series = h.kit.series.create("acme", actor="a", title="Class", items=[ScheduleItem("c", rec)])[
        0
    ]
    sessions = h.kit.queries.series_sessions("acme", series.id)
    assert sessions  # generated from creation on, a month ahead
    text = export_series(series, sessions)
    window = (utc(2025, 1, 1), sessions[-1].end)
    assert [o.span.start for o in read_ical(text).occurrences(*window)] == [
        s.start for s in sessions
    ]


def _weekly(day: str, start: date, count: int) -> Recurrence:
    return Recurrence.weekly(
        days=(day,),
        at=time(18),
        duration=timedelta(hours=1),
        tz="Europe/Berlin",
        start=start,
        count=count,
    )


def test_items_of_one_vevent_that_would_start_apart_are_excluded_one_by_one() -> None:
    # Mondays and Thursdays from 2 February, one VEVENT of two RRULEs. Moved, the Thursdays
    # would start on 5 March and be a VEVENT of a UID of their own; the February classes are
    # EXDATEs instead, and the VEVENT stays one.
    h = Harness.in_memory(NOW)
    items = [
        ScheduleItem("mon", _weekly("MO", date(2026, 2, 2), 8)),
        ScheduleItem("thu", _weekly("TH", date(2026, 2, 2), 8)),
    ]
    series = h.kit.series.create("acme", actor="a", title="Choir", items=items)[0]
    sessions = h.kit.queries.series_sessions("acme", series.id)
    text = export_series(series, sessions)
    assert _lines(text, "DTSTART;TZID") == ["DTSTART;TZID=Europe/Berlin:20260202T180000"]
    assert len(_lines(text, "UID")) == 1
    assert [o.span.start for o in read_ical(text).occurrences()] == [s.start for s in sessions]


def test_an_item_whose_rule_ended_before_creation_is_excluded_one_by_one() -> None:
    h = Harness.in_memory(NOW)
    items = [
        ScheduleItem("mon", _weekly("MO", date(2026, 2, 2), 8)),
        ScheduleItem("thu", _weekly("TH", date(2026, 1, 1), 3)),  # ended on 15 January
    ]
    series = h.kit.series.create("acme", actor="a", title="Choir", items=items)[0]
    sessions = h.kit.queries.series_sessions("acme", series.id)
    assert [s.start.day for s in sessions] == [2, 9, 16, 23]
    text = export_series(series, sessions)
    assert [o.span.start for o in read_ical(text).occurrences()] == [s.start for s in sessions]


def test_an_old_rule_without_count_is_moved_within_the_default_budget() -> None:
    # Every ten minutes since 2020: counting the occurrences before the series' creation
    # walked 325,000 of them, past the budget the export had kept to before the move.
    rec = Recurrence.from_rrule(
        "FREQ=MINUTELY;INTERVAL=10",
        start=datetime(2020, 1, 1, 9),
        tz="UTC",
        duration=timedelta(minutes=5),
    )
    h = Harness.in_memory(NOW)
    window = WindowPolicy(initial_months=1)
    series = h.kit.series.create(
        "acme", actor="a", title="Ping", items=[ScheduleItem("p", rec)], window=window
    )[0]
    sessions = h.kit.queries.series_sessions("acme", series.id)
    text = export_series(series, sessions)
    assert _lines(text, "DTSTART:2", "RRULE", "EXDATE") == [
        "DTSTART:20260301T080000Z",
        "RRULE:FREQ=MINUTELY;INTERVAL=10",
    ]


def test_a_rule_read_earlier_starts_at_its_first_session_not_at_a_gap_before_creation() -> None:
    # Daily at 02:30 in Berlin, read "earlier": on 29 March (no 02:30 there) the class is
    # at 00:30 UTC, before the series was created at 00:45 UTC; the kit's first is on the
    # 30th. The move looked for the first occurrence read "compatible" (01:30 UTC, after
    # creation) and wrote DTSTART on the 29th: a class the kit never had.
    rec = Recurrence.from_rrule(
        "FREQ=DAILY",
        start=datetime(2026, 3, 20, 2, 30),
        tz="Europe/Berlin",
        duration=timedelta(hours=1),
        disambiguate="earlier",
    )
    h = Harness.in_memory(utc(2026, 3, 29, 0, 45))
    series = h.kit.series.create("acme", actor="a", title="Early", items=[ScheduleItem("e", rec)])[
        0
    ]
    sessions = h.kit.queries.series_sessions("acme", series.id)
    assert sessions[0].start == utc(2026, 3, 30, 0, 30)
    text = export_series(series, sessions)
    assert _lines(text, "DTSTART;TZID", "EXDATE") == ["DTSTART;TZID=Europe/Berlin:20260330T023000"]
    window = (utc(2026, 1, 1), sessions[-1].end)
    assert [o.span.start for o in read_ical(text).occurrences(*window)] == [
        s.start for s in sessions
    ]


@pytest.mark.parametrize(
    ("local", "disambiguate", "last"),
    [
        (datetime(2026, 3, 15, 2, 30), "earlier", utc(2026, 3, 29, 0, 30)),  # in the gap
        (datetime(2026, 10, 18, 2, 30), "later", utc(2026, 10, 25, 1, 30)),  # in the fold
    ],
)
def test_a_moved_rule_closed_at_a_gap_or_fold_ends_at_its_session_as_the_rule_reads_it(
    local: datetime, disambiguate: Literal["earlier", "later"], last: datetime
) -> None:
    # Weekly at 02:30 in Berlin, created the week before the DST change: the rule moves to
    # its first session, in the gap or fold, and closing keeps only that one, so UNTIL is
    # put at it. Both steps rebuild the rule (_values.rebuilt) and must keep its reading of
    # the gap or fold: read "compatible", UNTIL would be an hour from the session.
    rec = Recurrence.from_rrule(
        "FREQ=WEEKLY",
        start=local,
        tz="Europe/Berlin",
        duration=timedelta(hours=1),
        disambiguate=disambiguate,
    )
    h = Harness.in_memory(last - timedelta(days=6))
    series = h.kit.series.create("acme", actor="a", title="Night", items=[ScheduleItem("n", rec)])[
        0
    ]
    night = h.kit.queries.series_sessions("acme", series.id)[0]
    assert night.start == last
    h.kit.sessions.fire("acme", night.id, "start", actor="a")
    h.clock.set(last - timedelta(minutes=10))
    h.kit.series.close("acme", series.id, actor="a")
    sessions = h.kit.queries.series_sessions("acme", series.id)
    assert [s.start for s in sessions] == [last]
    text = export_series(h.kit.queries.get_series("acme", series.id), sessions)
    assert _lines(text, "RRULE") == [f"RRULE:FREQ=WEEKLY;UNTIL={last:%Y%m%dT%H%M%S}Z"]
    assert [o.span.start for o in read_ical(text).occurrences()] == [last]


def test_a_spent_item_beside_an_old_frequent_one_does_not_stop_the_export() -> None:
    # Hourly since 2020 beside three Thursdays of 2020 (VEVENTs of their own): the spent
    # rule cannot move, and the export fell back to EXDATEs for every item, walking six
    # years of hours past the budget: ExpansionLimitExceeded. The hourly rule moves; only
    # the spent one's occurrences are EXDATEs.
    hourly = Recurrence.from_rrule(
        "FREQ=HOURLY",
        start=datetime(2020, 1, 1, 9),
        tz="Europe/Berlin",
        duration=timedelta(minutes=30),
    )
    h = Harness.in_memory(NOW)
    items = [ScheduleItem("h", hourly), ScheduleItem("thu", _weekly("TH", date(2020, 1, 2), 3))]
    window = WindowPolicy(initial_months=1)
    series = h.kit.series.create("acme", actor="a", title="Ping", items=items, window=window)[0]
    sessions = h.kit.queries.series_sessions("acme", series.id)
    text = export_series(series, sessions)
    # The spent rule never had a session: it is left out, and nothing is excluded.
    assert _lines(text, "DTSTART;TZID", "RRULE", "EXDATE") == [
        "DTSTART;TZID=Europe/Berlin:20260301T090000",
        "RRULE:FREQ=HOURLY",
    ]
    window_read = (utc(2019, 1, 1), sessions[-1].end)
    assert [o.span.start for o in read_ical(text).occurrences(*window_read)] == [
        s.start for s in sessions
    ]


def test_a_weekly_bysetpos_rule_is_not_moved_into_the_middle_of_a_week() -> None:
    # The second of each week's Monday, Wednesday and Friday: Wednesdays. Moved to Wednesday
    # 4 March, the rule's first week (as dateutil, so read_ical, reads it) runs from DTSTART:
    # Wednesday and Friday, whose second is Friday 6 March, a class the kit never had, and
    # the kit's Wednesday 4 March was gone. Such a rule keeps its DTSTART; earlier
    # occurrences are EXDATEs.
    rec = Recurrence.from_rrule(
        "FREQ=WEEKLY;BYDAY=MO,WE,FR;BYSETPOS=2",
        start=datetime(2026, 1, 7, 18),
        tz="Europe/Berlin",
        duration=timedelta(hours=1),
    )
    h = Harness.in_memory(NOW)
    series = h.kit.series.create("acme", actor="a", title="Mid", items=[ScheduleItem("w", rec)])[0]
    sessions = h.kit.queries.series_sessions("acme", series.id)
    assert [s.start.day for s in sessions[:2]] == [4, 11]
    text = export_series(series, sessions)
    assert _lines(text, "DTSTART;TZID") == ["DTSTART;TZID=Europe/Berlin:20260107T180000"]
    window = (utc(2026, 1, 1), sessions[-1].end)
    assert [o.span.start for o in read_ical(text).occurrences(*window)] == [
        s.start for s in sessions
    ]


def _hourly_in_one_vevent(kit: SessionKit, *, other: str) -> tuple[Series, Sequence[Session]]:
    """Hourly since 2020 and ``other``, at 09:00 Berlin from 1 January 2020: one VEVENT."""
    start = datetime(2020, 1, 1, 9)
    items = [
        ScheduleItem(
            "h",
            Recurrence.from_rrule(
                "FREQ=HOURLY", start=start, tz="Europe/Berlin", duration=timedelta(minutes=30)
            ),
        ),
        ScheduleItem(
            "w",
            Recurrence.from_rrule(
                other, start=start, tz="Europe/Berlin", duration=timedelta(minutes=30)
            ),
        ),
    ]
    window = WindowPolicy(initial_months=1)
    series = kit.series.create("acme", actor="a", title="Ping", items=items, window=window)[0]
    return series, kit.queries.series_sessions("acme", series.id)


def test_a_spent_rule_of_one_vevent_beside_an_old_frequent_one_does_not_stop_the_export() -> None:
    # The spent rule cannot move, and the VEVENT fell back to an EXDATE for every earlier
    # occurrence of both rules: six years of hours past the budget, ExpansionLimitExceeded
    # (before bddb3b98 it was written). Spent, it never had a session: it is left out, and
    # the hourly rule moves.
    h = Harness.in_memory(NOW)
    series, sessions = _hourly_in_one_vevent(h.kit, other="FREQ=WEEKLY;COUNT=3")
    text = export_series(series, sessions)
    assert _lines(text, "DTSTART;TZID", "RRULE", "EXDATE") == [
        "DTSTART;TZID=Europe/Berlin:20260301T090000",
        "RRULE:FREQ=HOURLY",
    ]
    window = (utc(2019, 1, 1), sessions[-1].end)
    assert [o.span.start for o in read_ical(text).occurrences(*window)] == [
        s.start for s in sessions
    ]


def test_rules_of_one_vevent_that_cannot_move_and_pass_the_budget_are_written_as_before() -> None:
    # Hourly and a weekly BYSETPOS rule of one DTSTART: the BYSETPOS one cannot move to its
    # mid-week first, so the VEVENT's earlier occurrences were to be EXDATEs, six years of
    # hours past the budget: ExpansionLimitExceeded. The VEVENT is written as it was before
    # bddb3b98, from its own DTSTART, occurrences before the series' creation included.
    h = Harness.in_memory(NOW)
    rule = "FREQ=WEEKLY;BYDAY=MO,WE,FR;BYSETPOS=2"
    series, sessions = _hourly_in_one_vevent(h.kit, other=rule)
    text = export_series(series, sessions)
    assert _lines(text, "DTSTART;TZID", "RRULE", "EXDATE") == [
        "DTSTART;TZID=Europe/Berlin:20200101T090000",
        "RRULE:FREQ=HOURLY",
        f"RRULE:{rule}",
    ]
    window = (NOW, sessions[-1].end)
    assert [o.span.start for o in read_ical(text).occurrences(*window)] == [
        s.start for s in sessions
    ]


def test_rules_of_one_vevent_that_cannot_move_and_pass_the_budget_export_closed_too() -> None:
    # As above, the series closed three days on: the VEVENT was written from its own
    # DTSTART, but its end was found by walking both rules from the start of time to the
    # last session, six years of hours past the budget: ExpansionLimitExceeded. Occurrences
    # before generation began never had a session, so the walk starts there.
    h = Harness.in_memory(NOW)
    rule = "FREQ=WEEKLY;BYDAY=MO,WE,FR;BYSETPOS=2"
    series, _ = _hourly_in_one_vevent(h.kit, other=rule)
    h.clock.advance(timedelta(days=3))
    h.kit.series.close("acme", series.id, actor="a")
    series = h.kit.queries.get_series("acme", series.id)
    sessions = h.kit.queries.series_sessions("acme", series.id)
    assert sessions[-1].start < NOW + timedelta(days=3)
    text = export_series(series, sessions)
    assert _lines(text, "DTSTART;TZID") == ["DTSTART;TZID=Europe/Berlin:20200101T090000"]
    window = (NOW, NOW + timedelta(days=60))
    assert [o.span.start for o in read_ical(text).occurrences(*window)] == [
        s.start for s in sessions
    ]


def test_a_rule_spent_before_the_series_was_created_is_not_written() -> None:
    # Mondays from 2 February, COUNT=4: spent on 23 February, the series created on 1 March.
    # It has no session and never will, and the export wrote the four classes. A rule that
    # has occurrences from the series' creation on is written as it is without sessions.
    h = Harness.in_memory(NOW)
    spent = _mondays(h.kit, count=4)
    assert h.kit.queries.series_sessions("acme", spent.id) == ()
    assert "BEGIN:VEVENT" not in export_series(spent, [])
    assert "BEGIN:VEVENT" not in export_series(spent)
    later = Harness.in_memory(utc(2026, 1, 1))
    waiting = later.kit.series.create(
        "acme",
        actor="a",
        title="Choir",
        items=[ScheduleItem("mon", _weekly("MO", date(2027, 6, 7), 4))],
        window=WindowPolicy(initial_months=1),
    )[0]
    assert _lines(export_series(waiting), "DTSTART;TZID", "RRULE") == [
        "DTSTART;TZID=Europe/Berlin:20270607T180000",
        "RRULE:FREQ=WEEKLY;COUNT=4;BYDAY=MO",
    ]


def test_a_spent_rule_with_an_rdate_after_creation_keeps_that_rdate() -> None:
    # Mondays of February (COUNT=4) and an extra class on 10 March (an RDATE): the rule is
    # spent before creation, but the RDATE's session is the kit's, and is written.
    rec = Recurrence.from_rrule(
        "FREQ=WEEKLY;COUNT=4",
        start=datetime(2026, 2, 2, 18),
        tz="Europe/Berlin",
        duration=timedelta(hours=1),
        rdates=[utc(2026, 3, 10, 17)],
    )
    h = Harness.in_memory(NOW)
    series = h.kit.series.create("acme", actor="a", title="Choir", items=[ScheduleItem("m", rec)])[
        0
    ]
    sessions = h.kit.queries.series_sessions("acme", series.id)
    assert [s.start for s in sessions] == [utc(2026, 3, 10, 17)]
    text = export_series(series, sessions)
    window = (utc(2026, 1, 1), utc(2026, 12, 31))
    assert [o.span.start for o in read_ical(text).occurrences(*window)] == [utc(2026, 3, 10, 17)]


def test_an_rdate_before_creation_is_left_out_where_the_rule_starts_after_it() -> None:
    # Mondays from 2 March (after creation on 1 March at 09:00) and an introductory class
    # on 27 February (an RDATE): generation began on 1 March, so the kit never had it. The
    # rule did not move, and the export wrote the RDATE as it was: a class without a session.
    rec = Recurrence.from_rrule(
        "FREQ=WEEKLY;COUNT=3",
        start=datetime(2026, 3, 2, 18),
        tz="Europe/Berlin",
        duration=timedelta(hours=1),
        rdates=[utc(2026, 2, 27, 17), utc(2026, 3, 4, 17)],
    )
    h = Harness.in_memory(NOW)
    items = [ScheduleItem("m", rec)]
    series = h.kit.series.create("acme", actor="a", title="Choir", items=items)[0]
    sessions = h.kit.queries.series_sessions("acme", series.id)
    assert [s.start for s in sessions] == [
        utc(2026, 3, 2, 17),
        utc(2026, 3, 4, 17),
        utc(2026, 3, 9, 17),
        utc(2026, 3, 16, 17),
    ]
    text = export_series(series, sessions)
    assert _lines(text, "RDATE") == ["RDATE;TZID=Europe/Berlin:20260304T180000"]
    window = (utc(2026, 1, 1), utc(2026, 12, 31))
    assert [o.span.start for o in read_ical(text).occurrences(*window)] == [
        s.start for s in sessions
    ]
