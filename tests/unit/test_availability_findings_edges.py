"""Availability at the edges a new user meets: dates up to date.max, and zones read from a file."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import TZPATH, ZoneInfo

import pytest

from sessionkit.availability import (
    Availability,
    common_free_slots,
    common_free_time,
    free_slots,
    free_time,
)
from sessionkit.errors import InvalidValue, NotADatetime, WrongType

H = timedelta(hours=1)
MONDAY = (datetime(2026, 3, 2, tzinfo=UTC), datetime(2026, 3, 3, tzinfo=UTC))


def test_a_block_inside_one_that_runs_to_date_max_merges_into_it() -> None:
    # "From June on, for good": a range ending on date.max, then a holiday inside it.
    for_good = Availability.always(tz="UTC").with_blocked_range(date(2026, 6, 1), date.max)
    later = for_good.with_blocked_date(date(2026, 12, 25))
    also = for_good.with_blocked_range(date(2026, 5, 1), date(2026, 5, 31))
    assert later.blocked == ((date(2026, 6, 1), date.max),)
    assert also.blocked == ((date(2026, 5, 1), date.max),)
    assert later.is_blocked(date(9999, 12, 31))


@pytest.mark.parametrize("day", [datetime(2026, 3, 2, 10), "2026-03-02", None])
def test_is_blocked_takes_a_date_only(day: object) -> None:
    # A datetime raised a bare TypeError where dates were blocked and read as False where none.
    for hours in (
        Availability.always(tz="UTC"),
        Availability.always(tz="UTC").with_blocked_date(date(2026, 3, 2)),
    ):
        with pytest.raises(NotADatetime, match="day must be a date"):
            hours.is_blocked(day)  # type: ignore[arg-type]


def _berlin_from_file() -> ZoneInfo:
    for root in TZPATH:
        path = Path(root, "Europe", "Berlin")
        if path.is_file():
            with path.open("rb") as file:
                return ZoneInfo.from_file(file)  # no key
    pytest.skip("no system zone files to read a zone from")


def test_common_slots_follow_a_zone_read_from_a_file_as_free_slots_do() -> None:
    zone = _berlin_from_file()
    tutor = Availability.weekly({"MO": [(time(9), time(12))]}, tz=zone)
    alone = free_slots(tutor, [], window=MONDAY, duration=H)
    both = common_free_slots(
        {"tutor": (tutor, []), "again": (tutor, [])}, window=MONDAY, duration=H
    )
    assert both == alone
    assert [s.start.astimezone(zone).hour for s in both] == [9, 10, 11]
    # Beside a named zone it is another zone: the caller says whose grid, as for any two.
    named = Availability.weekly({"MO": [(time(9), time(12))]}, tz="Europe/Berlin")
    with pytest.raises(InvalidValue, match=r"Europe/Berlin, zoneinfo\.ZoneInfo\.from_file"):
        common_free_slots({"tutor": (tutor, []), "room": (named, [])}, window=MONDAY, duration=H)


SUNDAY = (datetime(2026, 3, 1, tzinfo=UTC), datetime(2026, 3, 2, tzinfo=UTC))


@pytest.mark.parametrize("busy", [None, "9-10", [(MONDAY[0], MONDAY[1])]])
def test_busy_is_checked_on_a_day_with_no_hours_too(busy: object) -> None:
    # Sessions passed for their spans failed on working days and read as [] on days off.
    tutor = Availability.weekly({"MO": [(time(9), time(12))]}, tz="Europe/Berlin")
    for window in (SUNDAY, MONDAY):
        with pytest.raises((WrongType, NotADatetime), match="busy"):
            free_time(tutor, busy, window=window)  # type: ignore[arg-type]
        with pytest.raises((WrongType, NotADatetime), match="busy"):
            free_slots(tutor, busy, window=window, duration=H)  # type: ignore[arg-type]


def test_every_calendar_is_checked_when_nothing_is_common_early() -> None:
    tutor = Availability.weekly({"MO": [(time(9), time(12))]}, tz="Europe/Berlin")
    for window in (SUNDAY, MONDAY):
        with pytest.raises(InvalidValue, match="availability must be an Availability"):
            common_free_slots(
                {"tutor": (tutor, []), "room": ("always", [])},  # type: ignore[dict-item]
                window=window,
                duration=H,
                tz="Europe/Berlin",
            )
        with pytest.raises(NotADatetime, match="busy span"):
            common_free_time(
                {"tutor": (tutor, []), "room": (tutor, [(window[0], window[1])])},  # type: ignore[list-item]
                window=window,
            )
