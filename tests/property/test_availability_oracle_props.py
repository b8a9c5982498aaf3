"""Availability, free time and slots against a quarter-hour brute force of their own.

What ``test_availability_props`` leaves out: availability built from
recurrences (blocked by the local date each occurrence starts on), free spans
that run for days across a clock change back over midnight (St. John's and
Goose Bay went back from 00:01 to 23:01 the evening before), and common slots
on the grid of a zone that is not the resources' own. Wall times are resolved
here with ``zoneinfo`` alone (``fold=0``: in a gap the offset before it, in a
fold the first time round, RFC 5545's default), not through sessionkit.
Every offset in play is a whole number of quarter hours, so every edge and
grid instant is a quarter hour from the window's start.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given
from hypothesis import strategies as st

from sessionkit.availability import (
    Availability,
    common_free_slots,
    common_free_time,
    free_slots,
    free_time,
)
from sessionkit.recurrence import Recurrence
from sessionkit.timespan import TimeSpan

QUARTER = timedelta(minutes=15)
DAY = timedelta(days=1)
ZERO = timedelta(0)

# Days with a change: springs, autumns, 30-minute ones, and changes back across midnight.
CHANGES = [
    ("Europe/Berlin", date(2026, 3, 29)),
    ("Europe/Berlin", date(2026, 10, 25)),
    ("America/New_York", date(2026, 11, 1)),
    ("Australia/Lord_Howe", date(2026, 4, 5)),
    ("Australia/Lord_Howe", date(2026, 10, 4)),
    ("Asia/Kathmandu", date(2026, 6, 1)),
    ("America/St_Johns", date(2010, 3, 14)),
    ("America/St_Johns", date(2010, 11, 7)),
    ("America/Goose_Bay", date(1988, 10, 30)),
]
BACK_OVER_MIDNIGHT = [  # with the quarter hour the clocks went back in (UTC)
    ("America/St_Johns", date(2010, 11, 7), datetime(2010, 11, 7, 2, 30, tzinfo=UTC)),
    ("America/Goose_Bay", date(1988, 10, 30), datetime(1988, 10, 30, 3, 0, tzinfo=UTC)),
]
OTHER_ZONES = ["UTC", "Europe/Berlin", "Asia/Kathmandu", "Australia/Lord_Howe", "America/New_York"]

Pairs = list[tuple[datetime, datetime]]


def resolve(day: date, wall: timedelta, zone: ZoneInfo) -> datetime:
    return (datetime.combine(day, time(0)) + wall).replace(tzinfo=zone, fold=0).astimezone(UTC)


def merged(pairs: Pairs) -> Pairs:
    out: Pairs = []
    for lo, hi in sorted(pairs):
        if out and lo <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], hi))
        else:
            out.append((lo, hi))
    return out


def quarters(pairs: Pairs, lo: datetime, hi: datetime) -> set[int]:
    """The quarter hours (counted from ``lo``) of ``[lo, hi)`` that ``pairs`` cover."""
    found: set[int] = set()
    for start, end in pairs:
        first, last = max(start, lo), min(end, hi)
        found.update(range((first - lo) // QUARTER, -((lo - last) // QUARTER)))
    return found


def grid_slots(
    free: set[int], zone: ZoneInfo, lo: datetime, hi: datetime, duration: timedelta, step: timedelta
) -> list[tuple[datetime, datetime]]:
    """Every quarter-hour start whose wall time is on the step grid and whose slot is all free."""
    width = duration // QUARTER
    found = []
    for n in range((hi - lo) // QUARTER - width + 1):
        start = lo + n * QUARTER
        wall = start.astimezone(zone)
        since = wall.replace(tzinfo=None) - datetime.combine(wall.date(), time(0))
        if since % step == ZERO and all(n + k in free for k in range(width)):
            found.append((start, start + duration))
    return found


def walls(draw: st.DrawFn) -> timedelta:
    return QUARTER * draw(st.integers(0, 95))


@st.composite
def recurring(draw: st.DrawFn) -> tuple[Availability, Pairs, datetime, datetime]:
    """Availability of daily recurrences (and maybe weekly hours), its stretches, a window."""
    name, day = draw(st.sampled_from(CHANGES))
    zone = ZoneInfo(name)
    blocked = draw(st.lists(st.integers(-3, 3).map(lambda n: day + n * DAY), max_size=2))
    hours = draw(st.sampled_from([[], [(time(9), time(12))], [(time(0), time(2))]]))
    availability = Availability.weekly({"SU": hours, "WE": hours}, tz=name)
    stretches: Pairs = []
    for n in range(-6, 7):
        d = day + n * DAY
        if hours and d.weekday() in (2, 6) and d not in blocked:
            for start, end in hours:
                stretches.append(
                    (
                        resolve(d, timedelta(hours=start.hour), zone),
                        resolve(d, timedelta(hours=end.hour), zone),
                    )
                )
    for _ in range(draw(st.integers(1, 2))):
        wall = walls(draw)
        length = QUARTER * draw(st.sampled_from([1, 4, 6, 40, 100]))
        every = draw(st.integers(1, 2))
        first = day - draw(st.integers(2, 5)) * DAY
        rule = Recurrence.from_rrule(
            f"FREQ=DAILY;INTERVAL={every}",
            start=datetime.combine(first, time(0)) + wall,
            tz=name,
            duration=length,
        )
        availability = availability.with_recurrences(rule)
        d = first
        while d <= day + 6 * DAY:
            begin = resolve(d, wall, zone)
            if begin.astimezone(zone).date() not in blocked:
                stretches.append((begin, begin + length))
            d += every * DAY
    for d in blocked:
        availability = availability.with_blocked_date(d)
    lo = datetime.combine(day - DAY, time(0), tzinfo=UTC) + QUARTER * draw(st.integers(0, 192))
    hi = lo + QUARTER * draw(st.integers(0, 96 * 3))
    return availability, stretches, lo, hi


@given(recurring())
def test_recurring_availability_is_each_occurrence_not_blocked_by_its_start_date(
    setting: tuple[Availability, Pairs, datetime, datetime],
) -> None:
    availability, stretches, lo, hi = setting
    expected = [(max(a, lo), min(b, hi)) for a, b in merged(stretches) if max(a, lo) < min(b, hi)]
    assert [(s.start, s.end) for s in availability.spans((lo, hi))] == expected


SLOT_LENGTHS = st.sampled_from([15, 30, 60, 90]).map(lambda m: timedelta(minutes=m))
STEPS = st.sampled_from([15, 30, 45, 60, 105]).map(lambda m: timedelta(minutes=m))


@given(
    st.sampled_from(BACK_OVER_MIDNIGHT),
    st.integers(0, 96 * 2),
    st.integers(0, 96 * 5) | st.integers(-7, -1),
    SLOT_LENGTHS,
    STEPS,
    st.lists(st.tuples(st.integers(0, 96 * 6), st.integers(1, 12)), max_size=3),
)
def test_slots_over_days_across_a_change_back_over_midnight_are_the_wall_grid(
    change: tuple[str, date, datetime],
    offset: int,
    length: int,
    duration: timedelta,
    step: timedelta,
    taken: list[tuple[int, int]],
) -> None:
    # Free spans that start days before the change and end days after it, so
    # that the day it repeats an evening lies inside one span, not at its ends;
    # or windows that end in the repeated evening (a negative length: the
    # quarter hours after the change), where the next day's hours have begun.
    name, day, back = change
    zone = ZoneInfo(name)
    lo = datetime.combine(day - 3 * DAY, time(0), tzinfo=UTC) + QUARTER * offset
    hi = lo + QUARTER * length if length >= 0 else back + QUARTER * (-length - 3)
    busy = [TimeSpan(lo + QUARTER * at, lo + QUARTER * (at + n)) for at, n in taken]
    room = Availability.always(tz=name)
    free = quarters([(lo, hi)], lo, hi) - quarters([(b.start, b.end) for b in busy], lo, hi)
    slots = free_slots(room, busy, window=(lo, hi), duration=duration, step=step)
    assert [(s.start, s.end) for s in slots] == grid_slots(free, zone, lo, hi, duration, step)
    spans = free_time(room, busy, window=(lo, hi))
    assert quarters([(s.start, s.end) for s in spans], lo, hi) == free


@st.composite
def weekly_in(draw: st.DrawFn, name: str, day: date) -> tuple[Availability, Pairs]:
    """Weekly hours (every day the same) in zone ``name``, and their stretches near ``day``."""
    zone = ZoneInfo(name)
    hours = []
    for _ in range(draw(st.integers(1, 2))):
        start = walls(draw)
        end = start + QUARTER * draw(st.integers(1, 40))
        hours.append((start, min(end, DAY)))
    availability = Availability.weekly(
        {
            code: [
                (
                    (datetime.min + start).time(),
                    time(0) if end == DAY else (datetime.min + end).time(),
                )
                for start, end in hours
            ]
            for code in ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
        },
        tz=name,
    )
    stretches: Pairs = []
    for n in range(-4, 6):
        d = day + n * DAY
        for first, last in merged([(datetime.min + a, datetime.min + b) for a, b in hours]):
            stretches.append(
                (resolve(d, first - datetime.min, zone), resolve(d, last - datetime.min, zone))
            )
    return availability, stretches


@given(st.data(), st.sampled_from(CHANGES), SLOT_LENGTHS, STEPS)
def test_common_slots_follow_the_grid_of_the_zone_asked_for(
    data: st.DataObject, change: tuple[str, date], duration: timedelta, step: timedelta
) -> None:
    name, day = change
    other = data.draw(st.sampled_from(OTHER_ZONES) if day.year > 2000 else st.just(name))
    grid = data.draw(st.sampled_from(sorted({name, other, "UTC"})))
    tutor, tutor_hours = data.draw(weekly_in(name, day))
    room, room_hours = data.draw(weekly_in(other, day))
    lo = datetime.combine(day - DAY, time(0), tzinfo=UTC) + QUARTER * data.draw(st.integers(0, 96))
    hi = lo + QUARTER * data.draw(st.integers(0, 96 * 2))
    at = data.draw(st.integers(0, 96 * 3))
    lesson = [TimeSpan(lo + QUARTER * at, lo + QUARTER * (at + 4))]
    cleaning = (ZERO, QUARTER)
    free = (
        quarters(tutor_hours, lo, hi) - quarters([(s.start, s.end) for s in lesson], lo, hi)
    ) & (
        quarters(room_hours, lo, hi)
        - quarters([(s.start - QUARTER, s.end + QUARTER) for s in lesson], lo, hi)
    )
    calendars = {"tutor": (tutor, lesson), "room": (room, lesson)}
    spans = common_free_time(calendars, window=(lo, hi), buffers={"room": cleaning})
    assert quarters([(s.start, s.end) for s in spans], lo, hi) == free
    slots = common_free_slots(
        calendars,
        window=(lo, hi),
        duration=duration,
        step=step,
        buffers={"room": cleaning},
        tz=grid,
    )
    expected = grid_slots(free, ZoneInfo(grid), lo, hi, duration, step)
    assert [(s.start, s.end) for s in slots] == expected
