"""Rules of one VEVENT that cannot move to where generation began, kept at their own DTSTART.

Where excluding their occurrences before the series' creation one by one would pass
``max_candidates``, the VEVENT is written from its own DTSTART (ec347233, c56166ff); the
sessions read back from the kit's range are the ones exported.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from tests.unit._ical_support import NOW

from sessionkit.contrib.ical import export_series, read_ical
from sessionkit.model.series import ScheduleItem, WindowPolicy
from sessionkit.recurrence import Recurrence
from sessionkit.testing.harness import Harness

BYSETPOS = "FREQ=WEEKLY;BYDAY=MO,WE,FR;BYSETPOS=2"


def _lines(text: str, *starts: str) -> list[str]:
    return [line for line in text.splitlines() if line.startswith(starts)]


def test_a_closed_series_is_kept_at_its_dtstart_when_the_walk_to_its_last_session_passes() -> None:
    # Hourly and a weekly BYSETPOS rule of one DTSTART, 1 February, the series created on
    # 1 March and closed on 20 May. Walked from DTSTART to the creation, the rules are within
    # a budget of 4,500, so the export was to exclude their earlier occurrences one by one;
    # but it walks them to the last session to find those and the closed series' end, past
    # the budget: ExpansionLimitExceeded, where an open series (its walk to generated_until
    # foreseen) is written from its DTSTART. A closed one is now too.
    h = Harness.in_memory(NOW)
    start = datetime(2026, 2, 1, 9)
    items = [
        ScheduleItem(
            item_id,
            Recurrence.from_rrule(
                rule, start=start, tz="Europe/Berlin", duration=timedelta(minutes=30)
            ),
        )
        for item_id, rule in (("h", "FREQ=HOURLY"), ("w", BYSETPOS))
    ]
    window = WindowPolicy(initial_months=3)
    series = h.kit.series.create("acme", actor="a", title="Ping", items=items, window=window)[0]
    h.clock.advance(timedelta(days=80))
    h.kit.series.close("acme", series.id, actor="a")
    series = h.kit.queries.get_series("acme", series.id)
    sessions = h.kit.queries.series_sessions("acme", series.id)
    text = export_series(series, sessions, max_candidates=4500)
    assert _lines(text, "DTSTART;TZID", "RRULE", "EXDATE") == [
        "DTSTART;TZID=Europe/Berlin:20260201T090000",
        "RRULE:FREQ=HOURLY;UNTIL=20260520T070000Z",
        f"RRULE:FREQ=WEEKLY;UNTIL=20260520T070000Z;{BYSETPOS.removeprefix('FREQ=WEEKLY;')}",
    ]
    read = read_ical(text, max_candidates=4500)
    window_read = (NOW, sessions[-1].end + timedelta(days=7))
    assert [(o.span.start, o.span.end) for o in read.occurrences(*window_read)] == [
        (s.start, s.end) for s in sessions
    ]
