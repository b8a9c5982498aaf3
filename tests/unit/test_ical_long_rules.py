"""A series with more occurrences than one expansion examines is exported all the same."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from sessionkit import Recurrence, ScheduleItem
from sessionkit.adapters.memory import InMemoryStore
from sessionkit.contrib.ical import (
    calendar_of,
    export_series,
    read_ical,
    store_ical,
    write_ical,
)
from sessionkit.errors import ExpansionLimitExceeded, InvalidValue, WrongType
from sessionkit.limits import Limits
from sessionkit.services import SessionKit
from sessionkit.testing.clocks import ManualClock
from sessionkit.testing.harness import Harness

from ._ical_support import NOW, event, ics, utc


def _standup(count: int) -> str:
    return ics(
        *event(
            "UID:standup",
            "SUMMARY:Standup",
            "DTSTART;TZID=Europe/Berlin:20260316T090000",
            "DURATION:PT15M",
            f"RRULE:FREQ=HOURLY;COUNT={count}",
        )
    )


def _covered_until(text: str) -> date:
    """The last transition the calendar's one VTIMEZONE names (DTSTART or RDATE)."""
    unfolded = text.replace("\r\n ", "")
    zone = unfolded[unfolded.index("BEGIN:VTIMEZONE") : unfolded.index("END:VTIMEZONE")]
    found = [
        datetime.strptime(value, "%Y%m%dT%H%M%S").date()
        for line in zone.splitlines()
        if line.startswith(("DTSTART:", "RDATE:"))
        for value in line.partition(":")[2].split(",")
    ]
    return max(found)


@pytest.mark.parametrize(
    ("count", "last_day", "last_change"),
    [
        (10_000, date(2027, 5, 6), date(2027, 3, 28)),  # within one expansion, as before
        (99_000, date(2037, 7, 1), date(2037, 3, 29)),  # 11 years of hours: past the limit
    ],
)
def test_a_stored_hourly_series_of_any_count_is_exported_with_its_zone_covered(
    count: int, last_day: date, last_change: date
) -> None:
    # export_series expanded the whole rule to size the VTIMEZONE and raised
    # ExpansionLimitExceeded, telling the user to pass max_candidates=, which it does not take.
    h = Harness.in_memory(NOW)
    stored = store_ical(h.kit, "acme", read_ical(_standup(count)), actor="a")
    series = stored.series["standup"]
    text = export_series(series, h.kit.queries.series_sessions("acme", series.id))
    assert f"RRULE:FREQ=HOURLY;COUNT={count}" in text.splitlines()
    assert read_ical(text).series[0].items[0].recurrence == series.items[0].recurrence
    # The VTIMEZONE has Berlin's DST changes up to the last occurrence (``last_day``), the
    # last one before it ``last_change``, and not many years more.
    assert last_change <= _covered_until(text) <= date(last_day.year + 2, 12, 31)
    again = write_ical(read_ical(text), stamp=NOW)  # the values alone: the same path
    assert f"RRULE:FREQ=HOURLY;COUNT={count}" in again.splitlines()
    assert _covered_until(again) == _covered_until(text)


def test_a_session_moved_far_into_a_long_count_rule_is_exported() -> None:
    # Looking for an occurrence at the moved session's start walked the COUNT rule from its
    # DTSTART and passed the candidates' limit: export_series raised ExpansionLimitExceeded.
    text = ics(
        *event(
            "UID:ping",
            "SUMMARY:Ping",
            "DTSTART:20260301T100000Z",
            "DURATION:PT1M",
            "RRULE:FREQ=MINUTELY;INTERVAL=10;COUNT=500000",
        )
    )
    h = Harness.in_memory(NOW)
    series = store_ical(h.kit, "acme", read_ical(text), actor="a").series["ping"]
    first = h.kit.queries.series_sessions("acme", series.id)[0]
    far = timedelta(days=800)  # 115,200 occurrences on, where another one starts
    h.kit.sessions.update("acme", first.id, actor="a", start=first.start + far, end=first.end + far)
    exported = export_series(
        h.kit.queries.get_series("acme", series.id),
        h.kit.queries.series_sessions("acme", series.id),
    )
    assert "EXDATE:20280509T100000Z" in exported.splitlines()


_PING = event(
    "UID:ping",
    "SUMMARY:Ping",
    "DTSTART:20260301T100000Z",
    "DURATION:PT1M",
    "RRULE:FREQ=MINUTELY;INTERVAL=10;COUNT=500000",
)
_DEEP = datetime(2027, 4, 5, 10)  # 57,600 occurrences on: past the default 100,000 candidates


def test_an_override_deep_into_a_long_count_rule_is_read_with_the_budget_raised() -> None:
    # Checking the override against the rule walked the COUNT rule from DTSTART and raised
    # ExpansionLimitExceeded, whose message says to pass max_candidates=, which read_ical,
    # occurrences() and store_ical did not take (nor pass on: the kit's Limits.candidates).
    moved = event(
        "UID:ping",
        "RECURRENCE-ID:20270405T100000Z",
        "DTSTART:20270405T100500Z",
        "DURATION:PT1M",
    )
    text = ics(*_PING, *moved)
    with pytest.raises(ExpansionLimitExceeded, match="max_candidates="):
        read_ical(text)
    cal = read_ical(text, max_candidates=300_000)
    assert [o.key for o in cal.series[0].overrides] == [_DEEP]
    window = (utc(2027, 4, 5, 10), utc(2027, 4, 5, 10, 20))
    with pytest.raises(ExpansionLimitExceeded):
        cal.occurrences(*window)
    found = cal.occurrences(*window, max_candidates=300_000)
    assert [o.span.start for o in found] == [utc(2027, 4, 5, 10, 5), utc(2027, 4, 5, 10, 10)]
    kit = SessionKit(
        uow=InMemoryStore().unit_of_work,
        clock=ManualClock(NOW),
        limits=Limits(candidates=300_000),
    )
    [override] = store_ical(kit, "acme", cal, actor="a").overrides
    assert (override.occurrence_key, override.start) == (_DEEP, utc(2027, 4, 5, 10, 5))


@pytest.mark.parametrize(("bad", "error"), [(0, InvalidValue), ("9", WrongType), (True, WrongType)])
def test_read_ical_refuses_a_budget_that_is_no_count(bad: object, error: type[Exception]) -> None:
    with pytest.raises(error, match="max_candidates"):
        read_ical(ics(*_PING), max_candidates=bad)  # type: ignore[arg-type]  # the wrong type


def test_a_closed_series_of_a_long_count_rule_is_exported_with_the_budget_raised() -> None:
    # A closed series ends at its last session: each item was expanded from its DTSTART up
    # to there with the default budget, 120,000 days of a rule from 1700, and export_series
    # raised ExpansionLimitExceeded saying to pass max_candidates=, which it did not take.
    rule = "FREQ=DAILY;COUNT=200000"
    rec = Recurrence.from_rrule(
        rule, start=datetime(1700, 1, 1, 9), tz="UTC", duration=timedelta(hours=1)
    )
    clock = ManualClock(NOW)
    kit = SessionKit(
        uow=InMemoryStore().unit_of_work, clock=clock, limits=Limits(candidates=500_000)
    )
    series, _ = kit.series.create("acme", actor="a", title="Daily", items=[ScheduleItem("d", rec)])
    clock.advance(timedelta(days=5))  # five sessions held, 1 to 5 March; closing drops the rest
    kit.series.close("acme", series.id, actor="a")
    closed = kit.queries.get_series("acme", series.id)
    sessions = kit.queries.series_sessions("acme", series.id)
    assert [s.start for s in sessions] == [utc(2026, 3, d, 9) for d in range(1, 6)]
    with pytest.raises(ExpansionLimitExceeded, match="max_candidates="):
        export_series(closed, sessions)
    with pytest.raises(ExpansionLimitExceeded, match="max_candidates="):
        calendar_of(closed, sessions)
    text = export_series(closed, sessions, max_candidates=500_000)
    assert "RRULE:FREQ=DAILY;UNTIL=20260305T090000Z" in text.splitlines()
    back = read_ical(text, max_candidates=500_000)
    window = (utc(2026, 2, 27), utc(2026, 4, 1))
    found = back.occurrences(*window, max_candidates=500_000)
    # From the series' creation on, as the kit has it: the rule's start moves to 1 March.
    assert "DTSTART:20260301T090000Z" in text.splitlines()
    assert [o.span.start for o in found] == [s.start for s in sessions]


@pytest.mark.parametrize(("bad", "error"), [(0, InvalidValue), ("9", WrongType), (True, WrongType)])
def test_the_exporters_refuse_a_budget_that_is_no_count(
    bad: object, error: type[Exception]
) -> None:
    # Checked when given, as read_ical checks it: a series with nothing to expand would let
    # a wrong one pass unnoticed.
    h = Harness.in_memory(NOW)
    series = store_ical(h.kit, "acme", read_ical(ics(*_PING)), actor="a").series["ping"]
    with pytest.raises(error, match="max_candidates"):
        export_series(series, max_candidates=bad)  # type: ignore[arg-type]  # the wrong type
    with pytest.raises(error, match="max_candidates"):
        calendar_of(series, max_candidates=bad)  # type: ignore[arg-type]
    with pytest.raises(error, match="max_candidates"):
        write_ical(read_ical(ics(*_PING)), stamp=NOW, max_candidates=bad)  # type: ignore[arg-type]


def test_overrides_years_apart_of_an_hourly_rule_are_written_as_they_were_read() -> None:
    # The writer expanded the rule from the first override's key to the last one's (sixteen
    # years of hours) to match overrides to VEVENTs, past the budget read_ical kept to.
    def moved(day: str) -> list[str]:
        return event(
            "UID:u",
            f"RECURRENCE-ID;TZID=Europe/Berlin:{day}T093000",
            f"DTSTART;TZID=Europe/Berlin:{day}T094500",
            "DURATION:PT30M",
        )

    master = ["UID:u", "SUMMARY:Watch", "DTSTART;TZID=Europe/Berlin:20260105T093000"]
    text = ics(
        *event(*master, "DURATION:PT30M", "RRULE:FREQ=HOURLY"),
        *moved("20260106"),
        *moved("20420106"),
    )
    back = read_ical(write_ical(read_ical(text), stamp=NOW))
    assert [o.key for o in back.series[0].overrides] == [
        datetime(2026, 1, 6, 9, 30),
        datetime(2042, 1, 6, 9, 30),
    ]
