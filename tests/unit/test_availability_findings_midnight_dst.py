"""Slots on the wall-clock grid when a clock change crosses local midnight.

Found by a helper pass with a minute-by-minute oracle over every tzdata zone:
St. John's (2010) and Goose Bay (1988) went back from just after midnight to
the evening before, so the evening's grid times came round again; Toronto
(1919) jumped from 23:30 to 00:30, skipping the evening's last half hour.
``free_slots`` read such a day as regular (it read the next midnight before
the change only) and walked local dates from the window's first instant's,
so it lost the repeated times and gave the skipped ones (twice, unsorted).
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from sessionkit.availability import Availability, common_free_slots, free_slots, free_time
from sessionkit.timespan import TimeSpan

M = timedelta(minutes=1)


def grid_oracle(
    zone: ZoneInfo, lo: datetime, hi: datetime, duration: timedelta, step: timedelta
) -> list[datetime]:
    """Every instant (to the minute) in the window whose wall time is a multiple of ``step``."""
    found, t = [], lo.astimezone(UTC)
    while t + duration <= hi:
        wall = t.astimezone(zone)
        minutes = wall.hour * 60 + wall.minute
        if wall.second == 0 and minutes % (step // M) == 0:
            found.append(t)
        t += M
    return found


CASES = [
    # zone, window start (UTC), hours, step in minutes
    ("America/St_Johns", datetime(2010, 11, 7, 2, 30, tzinfo=UTC), 3, 30),
    ("America/St_Johns", datetime(2010, 11, 7, 0, 30, tzinfo=UTC), 5, 30),
    ("America/Goose_Bay", datetime(1988, 10, 30, 2, 0, tzinfo=UTC), 3, 30),
    ("America/Toronto", datetime(1919, 3, 31, 3, 0, tzinfo=UTC), 3, 15),
    ("America/New_York", datetime(2026, 11, 1, 4, 0, tzinfo=UTC), 4, 30),  # a plain 01:00 fold
]


@pytest.mark.parametrize(("tz", "lo", "hours", "step"), CASES)
def test_free_slots_are_the_wall_grid_across_a_midnight_change(
    tz: str, lo: datetime, hours: int, step: int
) -> None:
    zone = ZoneInfo(tz)
    hi = lo + timedelta(hours=hours)
    duration = timedelta(minutes=step)
    room = Availability.always(tz=tz)
    got = [s.start for s in free_slots(room, [], window=(lo, hi), duration=duration, step=duration)]
    assert got == grid_oracle(zone, lo, hi, duration, duration)
    both = common_free_slots(
        {"tutor": (room, []), "room": (room, [])}, window=(lo, hi), duration=duration, step=duration
    )
    assert [s.start for s in both] == got


def test_st_johns_repeated_evening_half_hour_is_a_slot() -> None:
    lo = datetime(2010, 11, 7, 0, 0, tzinfo=ZoneInfo("America/St_Johns"))  # 02:30 UTC
    room = Availability.always(tz="America/St_Johns")
    half = timedelta(minutes=30)
    slots = free_slots(room, [], window=(lo, lo + timedelta(hours=3)), duration=half, step=half)
    starts = [s.start for s in slots]
    # 23:30 on the 6th came round again at 03:00 UTC, after 00:00 on the 7th at 02:30 UTC.
    assert datetime(2010, 11, 7, 3, 0, tzinfo=UTC) in starts
    assert starts == sorted(set(starts))


def test_toronto_skipped_evening_gives_no_slot() -> None:
    lo, hi = datetime(1919, 3, 31, 3, 0, tzinfo=UTC), datetime(1919, 3, 31, 6, 0, tzinfo=UTC)
    quarter = timedelta(minutes=15)
    room = Availability.always(tz="America/Toronto")
    starts = [
        s.start for s in free_slots(room, [], window=(lo, hi), duration=quarter, step=quarter)
    ]
    assert starts == sorted(set(starts))
    walls = [s.astimezone(ZoneInfo("America/Toronto")).strftime("%d %H:%M") for s in starts]
    assert "30 23:30" not in walls
    assert "30 23:45" not in walls
    assert walls[walls.index("30 23:15") + 1] == "31 00:30"


def test_slots_stay_sorted_when_the_change_lies_inside_a_long_free_span() -> None:
    # The span starts on the 5th and ends on the 8th: neither end is on a day of the
    # change, so the days between were walked in order and St. John's repeated
    # 23:01-00:01 put the 7th's first minutes before the 6th's repeated evening.
    zone = ZoneInfo("America/St_Johns")
    lo, hi = datetime(2010, 11, 5, tzinfo=UTC), datetime(2010, 11, 9, tzinfo=UTC)
    quarter = timedelta(minutes=15)
    room = Availability.always(tz="America/St_Johns")
    got = [s.start for s in free_slots(room, [], window=(lo, hi), duration=quarter, step=quarter)]
    assert got == grid_oracle(zone, lo, hi, quarter, quarter)
    both = common_free_slots(
        {"tutor": (room, []), "room": (room, [])}, window=(lo, hi), duration=quarter, step=quarter
    )
    assert [s.start for s in both] == got


def test_spans_keep_the_next_day_when_the_window_ends_in_the_repeated_evening() -> None:
    # 03:17 UTC on the 7th reads 23:47 on the 6th (the second time round), but the 7th's
    # hours began at 02:30 UTC: the window's last local date is not its last day.
    lo = datetime(2010, 11, 6, 15, 39, tzinfo=UTC)
    hi = datetime(2010, 11, 7, 3, 17, tzinfo=UTC)
    room = Availability.always(tz="America/St_Johns")
    assert [(s.start, s.end) for s in room.spans((lo, hi))] == [(lo, hi)]
    assert [(s.start, s.end) for s in free_time(room, [], window=(lo, hi))] == [(lo, hi)]
    late = datetime(2010, 11, 7, 2, 30, tzinfo=UTC)  # 00:00 on the 7th, the first time
    assert room.covers(TimeSpan(late, hi))
    sundays = Availability.weekly({"SU": [(time(0), time(1))]}, tz="America/St_Johns")
    assert [(s.start, s.end) for s in sundays.spans((lo, hi))] == [(late, hi)]
    half = timedelta(minutes=30)
    assert [s.start for s in free_slots(sundays, [], window=(lo, hi), duration=half)] == [late]
