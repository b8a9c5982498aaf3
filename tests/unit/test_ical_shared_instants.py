"""A series whose schedule items are written as VEVENTs of their own gives each instant once.

Items that differ in start, zone or length are a VEVENT each; an instant two of
them give is one session (the first item's, as generation and ``occurrences()``
keep it), so the later VEVENT excludes it, or every RFC 5545 reader shows it twice.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import icalendar
import pytest
from dateutil.rrule import rruleset, rrulestr

from sessionkit import Recurrence, ScheduleItem
from sessionkit.contrib.ical import IcalCalendar, IcalSeries, export_series, read_ical, write_ical
from sessionkit.errors import ExpansionLimitExceeded
from sessionkit.testing.harness import Harness

from ._ical_support import NOW, utc

BERLIN = "Europe/Berlin"


def rfc_instants(text: str, before: datetime) -> list[datetime]:
    """Every instant (UTC, by start) an RFC 5545 reader gives ``text``'s events before ``before``.

    The oracle: icalendar parses, dateutil expands each VEVENT's DTSTART, RRULEs,
    RDATEs and EXDATEs; an override (RECURRENCE-ID) replaces its occurrence.
    """
    # Any: icalendar types a property as a union of every value type.
    vevents: list[Any] = icalendar.Calendar.from_ical(text).walk("VEVENT")
    moved: dict[str, set[datetime]] = {}
    found: list[datetime] = []
    for vevent in vevents:
        if "RECURRENCE-ID" in vevent:
            rid = vevent["RECURRENCE-ID"].dt.astimezone(UTC)
            moved.setdefault(str(vevent["UID"]), set()).add(rid)
            found.append(vevent["DTSTART"].dt.astimezone(UTC))
    for vevent in vevents:
        if "RECURRENCE-ID" in vevent:
            continue
        start: datetime = vevent["DTSTART"].dt
        rules = vevent.get("RRULE", [])
        rset = rruleset()
        rset.rdate(start)  # RFC 5545: DTSTART is an occurrence
        for rule in rules if isinstance(rules, list) else [rules]:
            rset.rrule(rrulestr(rule.to_ical().decode(), dtstart=start))  # type: ignore[arg-type]
        for name, add in (("RDATE", rset.rdate), ("EXDATE", rset.exdate)):
            values = vevent.get(name, [])
            for listed in values if isinstance(values, list) else [values]:
                for value in listed.dts:
                    add(value.dt)
        skip = moved.get(str(vevent["UID"]), set())
        instants = (i.astimezone(UTC) for i in rset.between(start, before, inc=True))
        found.extend(i for i in instants if i not in skip)
    return sorted(found)


def item(
    ident: str, rule: str, start: datetime, tz: str = BERLIN, minutes: int = 60
) -> ScheduleItem:
    rec = Recurrence.from_rrule(rule, start=start, tz=tz, duration=timedelta(minutes=minutes))
    return ScheduleItem(id=ident, recurrence=rec)


def test_a_stored_series_of_two_rules_sharing_mondays_exports_each_once() -> None:
    # Mondays from 2 March, and Mondays and Wednesdays from 4 March: three Mondays are
    # both's, one session each. Written as two VEVENTs, each gave them: ten events for seven.
    h = Harness.in_memory(NOW)
    items = [
        item("mo", "FREQ=WEEKLY;BYDAY=MO;COUNT=4", datetime(2026, 3, 2, 18)),
        item("mowe", "FREQ=WEEKLY;BYDAY=MO,WE;COUNT=6", datetime(2026, 3, 4, 18)),
    ]
    series, _ = h.kit.series.create("acme", actor="a", title="Yoga", items=items)
    sessions = h.kit.queries.series_sessions("acme", series.id)
    stored = [s.start for s in sessions]
    assert len(stored) == 7
    text = export_series(series, sessions)
    assert "EXDATE;TZID=Europe/Berlin:20260309T180000,20260316T180000,20260323T180000" in (
        text.replace("\r\n ", "").splitlines()
    )
    assert rfc_instants(text, utc(2027, 1, 1)) == stored
    back = read_ical(text)
    assert [o.span.start for o in back.occurrences()] == stored
    assert write_ical(back, stamp=series.updated_at or series.created_at) == text


@pytest.mark.parametrize(
    "second",
    [
        item("long", "FREQ=WEEKLY;BYDAY=MO;COUNT=3", datetime(2026, 3, 2, 18), minutes=90),
        item("ny", "FREQ=WEEKLY;BYDAY=MO;COUNT=3", datetime(2026, 3, 9, 13), "America/New_York"),
    ],
    ids=["length", "zone"],
)
def test_an_instant_two_items_give_is_written_once_at_the_first_item_s_span(
    second: ScheduleItem,
) -> None:
    # 18:00 in Berlin is 17:00 UTC in March until the 29th, as is 13:00 in New York from
    # the 8th: the second item's Mondays are all the first's, with a length of their own.
    first = item("mo", "FREQ=WEEKLY;BYDAY=MO;COUNT=4", datetime(2026, 3, 2, 18))
    series = IcalSeries(uid="u", title="Yoga", items=(first, second))
    text = write_ical(IcalCalendar(series=(series,)), stamp=NOW)
    mondays = [utc(2026, 3, d, 17) for d in (2, 9, 16, 23)]
    assert rfc_instants(text, utc(2027, 1, 1)) == mondays
    assert [(o.span.start, o.span.duration) for o in read_ical(text).occurrences()] == [
        (m, timedelta(hours=1)) for m in mondays
    ]
    assert [(o.span.start, o.uid) for o in series.occurrences()] == [(m, "u") for m in mondays]


def test_two_rules_that_never_end_are_written_once_as_far_as_the_vtimezone_covers() -> None:
    # No list of EXDATEs excludes every shared instant of two rules that never end: the
    # exporter lists those of the ten years its VTIMEZONE covers.
    rule = Recurrence.weekly(
        days=("MO",), at=time(18), duration=timedelta(hours=1), tz=BERLIN, start=date(2026, 3, 2)
    )
    also = Recurrence.weekly(
        days=("MO", "WE"),
        at=time(18),
        duration=timedelta(hours=1),
        tz=BERLIN,
        start=date(2026, 4, 1),
    )
    series = IcalSeries(
        uid="u", title="Yoga", items=(ScheduleItem("mo", rule), ScheduleItem("mowe", also))
    )
    text = write_ical(IcalCalendar(series=(series,)), stamp=NOW)
    ten_years = rfc_instants(text, utc(2036, 3, 1))
    assert len(ten_years) == len(set(ten_years))
    assert ten_years == [o.span.start for o in series.occurrences(utc(2026, 3, 1), utc(2036, 3, 1))]


def test_instants_shared_past_one_expansion_are_excluded_or_the_export_raises() -> None:
    # Every hour for 13 years, and once a year for 14 at one of those hours but half an hour
    # long: a VEVENT each, the second excluding all 14 of its instants. The lookup of the
    # hourly rule's instants stopped quietly at the default budget (100,000 candidates):
    # the instants of 2030 on were written twice.
    hourly = item("h", "FREQ=HOURLY;COUNT=120000", datetime(2026, 3, 2, 10), "UTC")
    yearly = item("y", "FREQ=YEARLY;COUNT=14", datetime(2026, 3, 2, 10), "UTC", minutes=30)
    calendar = IcalCalendar(series=(IcalSeries(uid="u", title="Ping", items=(hourly, yearly)),))
    with pytest.raises(ExpansionLimitExceeded, match="max_candidates="):
        write_ical(calendar, stamp=NOW)
    text = write_ical(calendar, stamp=NOW, max_candidates=1_000_000)
    found = rfc_instants(text, utc(2041, 1, 1))
    assert len(found) == len(set(found)) == 120_000
    assert (found[0], found[-1]) == (
        utc(2026, 3, 2, 10),
        utc(2026, 3, 2, 10) + timedelta(hours=119_999),
    )


def test_an_override_of_no_items_occurrence_is_written_with_the_first_vevent() -> None:
    # Written as a VEVENT per item, an override was written only under the item that gives
    # its key: one of an occurrence no item gives (which still takes place, as with one
    # VEVENT) was left out of the file.
    from sessionkit.contrib.ical import IcalOverride
    from sessionkit.timespan import TimeSpan

    def weekly(day: str, start: date, hour: int) -> Recurrence:
        length = timedelta(hours=1 if day == "MO" else 2)
        return Recurrence.weekly(
            days=(day,), at=time(hour), duration=length, tz=BERLIN, start=start, count=2
        )

    moved = IcalOverride(
        key=datetime(2026, 3, 11, 12), span=TimeSpan(utc(2026, 3, 12, 10), utc(2026, 3, 12, 11))
    )
    series = IcalSeries(
        uid="s",
        title="S",
        items=(
            ScheduleItem(id="mon", recurrence=weekly("MO", date(2026, 3, 2), 18)),
            ScheduleItem(id="tue", recurrence=weekly("TU", date(2026, 3, 3), 9)),
        ),
        overrides=(moved,),
    )
    calendar = IcalCalendar(series=(series,))
    back = read_ical(write_ical(calendar, stamp=NOW))
    assert [o.span for o in back.occurrences()] == [o.span for o in calendar.occurrences()]
    assert [(s.uid, [o.key for o in s.overrides]) for s in back.series] == [
        ("s", [datetime(2026, 3, 11, 12)]),
        ("s/tue", []),
    ]
