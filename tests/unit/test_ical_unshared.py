"""A series whose items are VEVENTs of their own is exported when one ends before another starts."""

from __future__ import annotations

from datetime import datetime, timedelta

from tests.unit._ical_support import utc

from sessionkit.contrib.ical import export_series, read_ical
from sessionkit.model.series import ScheduleItem
from sessionkit.recurrence import Recurrence
from sessionkit.testing.harness import Harness


def test_an_item_that_ends_before_the_next_starts_does_not_stop_the_export() -> None:
    # A one-off kick-off on 1 September, then dailies from 20 September: two DTSTARTs, so
    # two VEVENTs. Looking for instants the second shares with the first, the writer asked
    # for the window from two days before the second's start to two days after the first's
    # end, which ends before it starts: InvalidWindow, and no calendar at all.
    def rec(rule: str, day: int) -> Recurrence:
        start = datetime(2025, 9, day, 10)
        return Recurrence.from_rrule(
            rule, start=start, tz="Europe/Berlin", duration=timedelta(hours=1)
        )

    h = Harness.in_memory(utc(2025, 8, 1))
    items = [
        ScheduleItem("kickoff", rec("FREQ=DAILY;COUNT=1", 1)),
        ScheduleItem("daily", rec("FREQ=DAILY;COUNT=3", 20)),
    ]
    series = h.kit.series.create("acme", actor="a", title="T", items=items)[0]
    sessions = h.kit.queries.series_sessions("acme", series.id)
    text = export_series(series, sessions)
    window = (utc(2025, 1, 1), utc(2026, 1, 1))
    assert [o.span.start for o in read_ical(text).occurrences(*window)] == [
        utc(2025, 9, 1, 8),
        utc(2025, 9, 20, 8),
        utc(2025, 9, 21, 8),
        utc(2025, 9, 22, 8),
    ]
    assert [s.start for s in sessions] == [
        o.span.start for o in read_ical(text).occurrences(*window)
    ]
