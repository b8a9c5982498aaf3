"""Availability and free slots against oracles that resolve every wall time the slow way."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given
from hypothesis import strategies as st

from sessionkit.availability import Availability, common_free_slots, free_slots, free_time
from sessionkit.testing import strategies as sks
from sessionkit.timespan import TimeSpan
from sessionkit.zones import local_date_start, resolve_local

QUARTER = timedelta(minutes=15)
ZERO = timedelta(0)

# Real transitions, each with its zone, so that drawn hours and windows meet them.
TRANSITIONS = [
    ("Europe/Berlin", date(2026, 3, 29)),
    ("Europe/Berlin", date(2026, 10, 25)),
    ("America/New_York", date(2026, 3, 8)),
    ("America/New_York", date(2026, 11, 1)),
    ("Australia/Lord_Howe", date(2026, 4, 5)),  # 30-minute change
    ("Australia/Lord_Howe", date(2026, 10, 4)),
    ("America/Sao_Paulo", date(2018, 11, 4)),  # midnight does not exist
    ("America/Sao_Paulo", date(2019, 2, 16)),  # 23:00-24:00 happens twice
    ("Pacific/Apia", date(2011, 12, 30)),  # the whole day was skipped
    ("Pacific/Chatham", date(2026, 4, 5)),
    ("Pacific/Chatham", date(2026, 9, 27)),
]
zone_days = st.one_of(
    st.sampled_from(TRANSITIONS),
    st.tuples(
        st.sampled_from(sks.DST_ZONES),
        st.dates(min_value=date(2026, 1, 1), max_value=date(2026, 12, 31)),
    ),
)


@st.composite
def settings(draw: st.DrawFn, max_days: int = 3) -> tuple[Availability, datetime, datetime]:
    """An availability and a quarter-hour window near a day that is often a transition."""
    name, day = draw(zone_days)
    zone = ZoneInfo(name)
    hours = draw(
        sks.availabilities(
            zones=st.just(zone),
            first_day=day - timedelta(days=3),
            last_day=day + timedelta(days=3),
        )
    )
    if draw(st.booleans()):  # make sure the transition itself is available time
        hours = hours.with_extra_hours(day, [(time(0), time(0))])
    start = datetime.combine(day - timedelta(days=1), time(0), tzinfo=UTC)
    start += QUARTER * draw(st.integers(0, 96 * 2))
    end = start + QUARTER * draw(st.integers(0, 96 * max_days))
    return hours, start, end


def busy_spans(lo: datetime, hi: datetime) -> st.SearchStrategy[list[TimeSpan]]:
    quarters = max(1, int((hi - lo) / QUARTER))
    return st.lists(
        st.builds(
            lambda at, length: TimeSpan(lo + QUARTER * at, lo + QUARTER * (at + length)),
            st.integers(-8, quarters + 8),
            st.integers(1, 12),
        ),
        max_size=8,
    )


def oracle_spans(availability: Availability, lo: datetime, hi: datetime) -> list[TimeSpan]:
    """Every day's hours through resolve_local, merged and clipped; weekly hours only."""
    zone = availability.zone
    extra = dict(availability.extra_hours)
    found: list[tuple[datetime, datetime]] = []
    day = lo.astimezone(zone).date() - timedelta(days=2)
    while day <= hi.astimezone(zone).date() + timedelta(days=1):
        hours = list(availability.weekly_hours[day.weekday()])
        if any(first <= day <= last for first, last in availability.blocked):
            hours = []
        hours += extra.get(day, ())
        # A day's hours merge as wall times first (documented), then each stretch resolves.
        walls: list[tuple[timedelta, timedelta]] = []
        for start, end in sorted(hours):
            if walls and start <= walls[-1][1]:
                walls[-1] = (walls[-1][0], max(walls[-1][1], end))
            else:
                walls.append((start, end))
        for start, end in walls:
            begin = resolve_local(datetime.combine(day, time(0)) + start, zone)
            if end == timedelta(days=1):
                finish = local_date_start(day + timedelta(days=1), zone)
            else:
                finish = resolve_local(datetime.combine(day, time(0)) + end, zone)
            begin, finish = max(begin, lo), min(finish, hi)
            if begin < finish:
                found.append((begin.astimezone(UTC), finish.astimezone(UTC)))
        day += timedelta(days=1)
    merged: list[tuple[datetime, datetime]] = []
    for begin, finish in sorted(found):
        if merged and begin <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], finish))
        else:
            merged.append((begin, finish))
    return [TimeSpan(begin, finish) for begin, finish in merged]


def on_grid(instant: datetime, zone: ZoneInfo, step: timedelta) -> bool:
    wall = instant.astimezone(zone).replace(tzinfo=None)
    return (wall - datetime.combine(wall.date(), time(0))) % step == ZERO


def collides(slot: TimeSpan, busy: list[TimeSpan], before: timedelta, after: timedelta) -> bool:
    mine = slot.padded(before=before, after=after)
    return any(mine.overlaps(b.padded(before=before, after=after)) for b in busy)


@given(settings())
def test_spans_equal_the_resolve_local_oracle(
    setting: tuple[Availability, datetime, datetime],
) -> None:
    hours, lo, hi = setting
    assert hours.spans((lo, hi)) == oracle_spans(hours, lo, hi)


@given(st.data(), settings())
def test_free_time_is_available_clear_of_busy_disjoint_and_complete(
    data: st.DataObject, setting: tuple[Availability, datetime, datetime]
) -> None:
    hours, lo, hi = setting
    busy = data.draw(busy_spans(lo, hi))
    pad = data.draw(st.integers(0, 2)) * QUARTER
    free = free_time(hours, busy, window=(lo, hi), buffer_after=pad)
    available = hours.spans((lo, hi))
    for a, b in itertools.pairwise(free):
        assert a.end < b.start
    for span in free:
        assert any(s.contains(span) for s in available)
        assert not any(span.overlaps(b.padded(before=pad, after=pad)) for b in busy)
    # Every available quarter hour clear of the widened busy time is free.
    for span in available:
        at = span.start
        while at < span.end:
            piece = TimeSpan(at, min(at + QUARTER, span.end))
            clear = not any(piece.overlaps(b.padded(before=pad, after=pad)) for b in busy)
            assert clear == any(f.contains(piece) for f in free)
            at += QUARTER


SLOT_RULES = st.fixed_dictionaries(
    {
        "duration": st.sampled_from([15, 30, 45, 60, 90]).map(lambda m: timedelta(minutes=m)),
        "step": st.sampled_from([15, 30, 45, 60, 120]).map(lambda m: timedelta(minutes=m)),
        "buffer_before": st.sampled_from([0, 5, 15]).map(lambda m: timedelta(minutes=m)),
        "buffer_after": st.sampled_from([0, 10, 15]).map(lambda m: timedelta(minutes=m)),
    }
)


@given(st.data(), settings(), SLOT_RULES)
def test_free_slots_obey_every_rule_and_miss_no_free_step(
    data: st.DataObject,
    setting: tuple[Availability, datetime, datetime],
    rules: dict[str, timedelta],
) -> None:
    hours, lo, hi = setting
    zone = hours.zone
    busy = data.draw(busy_spans(lo, hi))
    now: datetime | None = None
    notice: timedelta = ZERO
    horizon: timedelta | None = None
    if data.draw(st.booleans()):
        now = lo + QUARTER * data.draw(st.integers(-8, 200))
        now += timedelta(minutes=data.draw(st.sampled_from([0, 7])))
        notice = QUARTER * data.draw(st.integers(0, 8))
        # One that leaves starts: as long as the notice (one start) or longer, never 0.
        horizon = notice + QUARTER * data.draw(st.integers(0 if notice else 1, 400))
    duration, step = rules["duration"], rules["step"]
    before, after = rules["buffer_before"], rules["buffer_after"]
    slots = free_slots(
        hours,
        busy,
        window=(lo, hi),
        duration=duration,
        step=step,
        buffer_before=before,
        buffer_after=after,
        min_notice=notice,
        horizon=horizon,
        now=now,
    )
    available = hours.spans((lo, hi))

    def bookable(slot: TimeSpan) -> bool:
        if not (lo <= slot.start and slot.end <= hi):
            return False
        if now is not None:
            assert horizon is not None
            if slot.start < now + notice or slot.start > now + horizon:  # inclusive
                return False
        return (
            on_grid(slot.start, zone, step)
            and any(s.contains(slot) for s in available)
            and not collides(slot, busy, before, after)
        )

    starts = [slot.start for slot in slots]
    assert starts == sorted(set(starts))
    for slot in slots:
        assert slot.duration == duration
        assert bookable(slot), slot
    # The oracle: every quarter-hour instant in the window that is bookable is returned
    # (zone offsets are whole quarter hours, so every grid instant is one of them).
    expected = []
    at = lo
    while at + duration <= hi:
        candidate = TimeSpan(at, at + duration)
        if bookable(candidate):
            expected.append(candidate)
        at += QUARTER
    assert slots == expected


@given(st.data(), settings())
def test_common_slots_are_the_slots_every_resource_has(
    data: st.DataObject, setting: tuple[Availability, datetime, datetime]
) -> None:
    teacher, lo, hi = setting
    room = data.draw(sks.availabilities(zones=st.just(teacher.zone)))
    busy_teacher = data.draw(busy_spans(lo, hi))
    busy_room = data.draw(busy_spans(lo, hi))
    common = common_free_slots(
        {"teacher": (teacher, busy_teacher), "room": (room, busy_room)},
        window=(lo, hi),
        duration=timedelta(minutes=30),
        step=QUARTER,
        buffer_after=QUARTER,
    )
    each = [
        set(
            free_slots(
                hours,
                busy,
                window=(lo, hi),
                duration=timedelta(minutes=30),
                step=QUARTER,
                buffer_after=QUARTER,
            )
        )
        for hours, busy in ((teacher, busy_teacher), (room, busy_room))
    ]
    assert set(common) == each[0] & each[1]
    assert common == sorted(common, key=lambda s: s.start)
