from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from sessionkit.availability import (
    Availability,
    common_free_slots,
    common_free_time,
    free_slots,
    free_time,
)
from sessionkit.conflicts import find_conflicts
from sessionkit.errors import (
    InvalidAvailability,
    InvalidDuration,
    InvalidValue,
    InvalidWindow,
    NaiveDatetime,
    NotADatetime,
    SessionKitError,
    UnknownTimeZone,
)
from sessionkit.recurrence import Recurrence
from sessionkit.timespan import TimeSpan

BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")
H = timedelta(hours=1)
M = timedelta(minutes=1)


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def local(zone: ZoneInfo, year: int, month: int, day: int, hour: int = 0) -> datetime:
    return datetime(year, month, day, hour, tzinfo=zone)


def iso_pairs(spans: list[TimeSpan]) -> list[tuple[str, str]]:
    return [(s.start.strftime("%m-%d %H:%M"), s.end.strftime("%m-%d %H:%M")) for s in spans]


def local_starts(spans: list[TimeSpan], zone: ZoneInfo) -> list[str]:
    return [s.start.astimezone(zone).strftime("%H:%M%z") for s in spans]


def day_window(day: date, zone: ZoneInfo) -> tuple[datetime, datetime]:
    start = datetime.combine(day, time(0), tzinfo=zone)
    end = datetime.combine(day + timedelta(days=1), time(0), tzinfo=zone)
    return start, end


# ---------------------------------------------------------------- weekly hours


def test_weekly_hours_become_utc_spans_following_the_local_clock() -> None:
    hours = Availability.weekly({"MO": [(time(9), time(12)), (time(13), time(17))]}, tz=BERLIN)
    # Monday 23 March (CET, +1) and Monday 30 March (CEST, +2).
    spans = hours.spans((utc(2026, 3, 23), utc(2026, 3, 31)))
    assert iso_pairs(spans) == [
        ("03-23 08:00", "03-23 11:00"),
        ("03-23 12:00", "03-23 16:00"),
        ("03-30 07:00", "03-30 10:00"),
        ("03-30 11:00", "03-30 15:00"),
    ]


def test_overlapping_and_touching_hours_merge_and_spans_clip_to_the_window() -> None:
    hours = Availability.weekly(
        {"tu": [(time(9), time(11)), (time(10), time(12)), (time(12), time(13))]}, tz="UTC"
    )
    assert hours.weekly_hours[1] == ((9 * H, 13 * H),)
    assert iso_pairs(hours.spans((utc(2026, 3, 3, 10), utc(2026, 3, 3, 11, 30)))) == [
        ("03-03 10:00", "03-03 11:30")
    ]
    assert hours.spans((utc(2026, 3, 3, 10), utc(2026, 3, 3, 10))) == []


def test_end_of_midnight_means_the_end_of_the_day_and_days_join_up() -> None:
    hours = Availability.weekly({"MO": [(time(22), time(0))], "TU": [(time(0), time(2))]}, tz="UTC")
    assert iso_pairs(hours.spans((utc(2026, 3, 2), utc(2026, 3, 4)))) == [
        ("03-02 22:00", "03-03 02:00")
    ]


def test_always_is_available_everywhere_but_blocked_dates() -> None:
    room = Availability.always(tz=BERLIN).with_blocked_date(date(2026, 3, 3))
    spans = room.spans((utc(2026, 3, 2, 12), utc(2026, 3, 4, 12)))
    # Blocked: 3 March local, i.e. 2 March 23:00 UTC to 3 March 23:00 UTC.
    assert iso_pairs(spans) == [("03-02 12:00", "03-02 23:00"), ("03-03 23:00", "03-04 12:00")]


def test_covers_tells_whether_a_span_is_wholly_available() -> None:
    hours = Availability.weekly({"MO": [(time(9), time(12))]}, tz="UTC")
    assert hours.covers(TimeSpan(utc(2026, 3, 2, 9), utc(2026, 3, 2, 12)))
    assert not hours.covers(TimeSpan(utc(2026, 3, 2, 11), utc(2026, 3, 2, 13)))
    assert not hours.covers(TimeSpan(utc(2026, 3, 3, 9), utc(2026, 3, 3, 10)))


# ---------------------------------------------------------------- overrides


def test_blocked_range_removes_every_date_in_it_inclusive() -> None:
    hours = Availability.weekly(
        {d: [(time(9), time(10))] for d in ("MO", "TU", "WE", "TH", "FR")}, tz="UTC"
    ).with_blocked_range(date(2026, 3, 3), date(2026, 3, 5))
    spans = hours.spans((utc(2026, 3, 2), utc(2026, 3, 7)))
    assert [s.start.day for s in spans] == [2, 6]
    assert hours.is_blocked(date(2026, 3, 5))
    assert not hours.is_blocked(date(2026, 3, 6))


def test_blocked_ranges_merge() -> None:
    hours = (
        Availability.always(tz="UTC")
        .with_blocked_range(date(2026, 3, 10), date(2026, 3, 12))
        .with_blocked_date(date(2026, 3, 13))
        .with_blocked_range(date(2026, 3, 1), date(2026, 3, 2))
    )
    assert hours.blocked == (
        (date(2026, 3, 1), date(2026, 3, 2)),
        (date(2026, 3, 10), date(2026, 3, 13)),
    )


def test_extra_hours_add_to_a_day_and_replace_a_blocked_one() -> None:
    base = Availability.weekly({"MO": [(time(9), time(12))]}, tz="UTC")
    monday = date(2026, 3, 2)
    window = day_window(monday, ZoneInfo("UTC"))
    added = base.with_extra_hours(monday, [(time(11), time(14))])
    assert iso_pairs(added.spans(window)) == [("03-02 09:00", "03-02 14:00")]
    replaced = base.with_blocked_date(monday).with_extra_hours(monday, [(time(15), time(16))])
    assert iso_pairs(replaced.spans(window)) == [("03-02 15:00", "03-02 16:00")]
    saturday = date(2026, 3, 7)
    weekend = base.with_extra_hours(saturday, [(time(10), time(11))])
    assert iso_pairs(weekend.spans(day_window(saturday, ZoneInfo("UTC")))) == [
        ("03-07 10:00", "03-07 11:00")
    ]


def test_with_weekly_adds_hours() -> None:
    hours = Availability.weekly({"MO": [(time(9), time(10))]}, tz="UTC").with_weekly(
        {"MO": [(time(10), time(11))], "FR": [(time(8), time(9))]}
    )
    assert hours.weekly_hours[0] == ((9 * H, 11 * H),)
    assert hours.weekly_hours[4] == ((8 * H, 9 * H),)


def test_values_are_immutable_and_compare_by_value() -> None:
    a = Availability.weekly({"MO": [(time(9), time(10))]}, tz="Europe/Berlin")
    b = Availability.weekly({"mo": [(time(9), time(10))]}, tz=BERLIN)
    assert a == b
    assert hash(a) == hash(b)
    assert a.with_blocked_date(date(2026, 1, 1)) != a


# ---------------------------------------------------------------- recurrences


def test_from_recurrences_uses_every_occurrence_and_respects_blocked_dates() -> None:
    evenings = Recurrence.weekly(
        days=("MO", "WE"),
        at=time(18, 0),
        duration=timedelta(minutes=90),
        tz="Europe/Berlin",
        start=date(2026, 3, 1),
    )
    hours = Availability.from_recurrences([evenings], tz=BERLIN).with_blocked_date(
        date(2026, 3, 25)
    )
    spans = hours.spans((utc(2026, 3, 23), utc(2026, 4, 2)))
    assert [s.start.astimezone(BERLIN).strftime("%d %H:%M") for s in spans] == [
        "23 18:00",
        "30 18:00",
        "01 18:00",
    ]
    assert all(s.duration == timedelta(minutes=90) for s in spans)


def test_any_rrule_works_and_an_occurrence_straddling_the_window_is_clipped() -> None:
    first_saturday = Recurrence.from_rrule(
        "FREQ=MONTHLY;BYDAY=1SA",
        start=datetime(2026, 1, 3, 10, 0),
        tz="America/New_York",
        duration=timedelta(hours=4),
    )
    hours = Availability.from_recurrences([first_saturday], tz=NEW_YORK)
    spans = hours.spans((local(NEW_YORK, 2026, 3, 7, 12), local(NEW_YORK, 2026, 5, 1)))
    assert [(s.start.astimezone(NEW_YORK).isoformat(), s.duration) for s in spans] == [
        ("2026-03-07T12:00:00-05:00", 2 * H),
        ("2026-04-04T10:00:00-04:00", 4 * H),
    ]


def test_weekly_hours_and_recurrences_combine() -> None:
    rec = Recurrence.from_rrule(
        "FREQ=DAILY", start=datetime(2026, 3, 1, 11), tz="UTC", duration=2 * H
    )
    hours = Availability.weekly({"MO": [(time(9), time(12))]}, tz="UTC").with_recurrences(rec)
    assert iso_pairs(hours.spans((utc(2026, 3, 2), utc(2026, 3, 3, 12)))) == [
        ("03-02 09:00", "03-02 13:00"),
        ("03-03 11:00", "03-03 12:00"),
    ]


# ---------------------------------------------------------------- DST tables

TRANSITION_HOURS = [
    # zone, local date, wall hours, expected UTC spans
    (BERLIN, date(2026, 3, 29), (time(1), time(4)), [("03-29 00:00", "03-29 02:00")]),
    (BERLIN, date(2026, 3, 29), (time(2), time(3)), []),  # wholly in the gap
    (BERLIN, date(2026, 3, 29), (time(2, 30), time(5)), [("03-29 01:30", "03-29 03:00")]),
    (BERLIN, date(2026, 3, 29), (time(9), time(12)), [("03-29 07:00", "03-29 10:00")]),
    (BERLIN, date(2026, 3, 22), (time(9), time(12)), [("03-22 08:00", "03-22 11:00")]),
    (BERLIN, date(2026, 10, 25), (time(1), time(4)), [("10-24 23:00", "10-25 03:00")]),
    (BERLIN, date(2026, 10, 25), (time(2), time(3)), [("10-25 00:00", "10-25 02:00")]),
    (BERLIN, date(2026, 10, 25), (time(2, 30), time(2, 45)), [("10-25 00:30", "10-25 00:45")]),
    (BERLIN, date(2026, 10, 25), (time(9), time(12)), [("10-25 08:00", "10-25 11:00")]),
    (NEW_YORK, date(2007, 3, 11), (time(1), time(4)), [("03-11 06:00", "03-11 08:00")]),
    (NEW_YORK, date(2007, 3, 11), (time(9), time(12)), [("03-11 13:00", "03-11 16:00")]),
    (NEW_YORK, date(2007, 3, 4), (time(9), time(12)), [("03-04 14:00", "03-04 17:00")]),
    (NEW_YORK, date(2007, 11, 4), (time(1), time(4)), [("11-04 05:00", "11-04 09:00")]),
    (NEW_YORK, date(2007, 11, 4), (time(0), time(0)), [("11-04 04:00", "11-05 05:00")]),
    (NEW_YORK, date(2007, 11, 4), (time(9), time(12)), [("11-04 14:00", "11-04 17:00")]),
]


@pytest.mark.parametrize(("zone", "day", "hours", "expected"), TRANSITION_HOURS)
def test_hours_across_dst_transitions(
    zone: ZoneInfo, day: date, hours: tuple[time, time], expected: list[tuple[str, str]]
) -> None:
    availability = Availability.weekly({"SU": [hours]}, tz=zone)
    lo, hi = day_window(day, zone)
    assert iso_pairs(availability.spans((lo - H, hi + H))) == expected


TRANSITION_GRIDS = [
    # zone, local date, step, expected local starts of 30-minute slots between 01:00 and 04:00
    (
        BERLIN,
        date(2026, 3, 29),
        30 * M,
        ["01:00+0100", "01:30+0100", "03:00+0200", "03:30+0200"],
    ),
    (BERLIN, date(2026, 3, 29), 45 * M, ["01:30+0100", "03:00+0200"]),  # 02:15 never happens
    (
        BERLIN,
        date(2026, 10, 25),
        30 * M,
        [
            "01:00+0200",
            "01:30+0200",
            "02:00+0200",
            "02:30+0200",
            "02:00+0100",
            "02:30+0100",
            "03:00+0100",
            "03:30+0100",
        ],
    ),
    (
        NEW_YORK,
        date(2007, 3, 11),
        30 * M,
        ["01:00-0500", "01:30-0500", "03:00-0400", "03:30-0400"],
    ),
    (
        NEW_YORK,
        date(2007, 11, 4),
        60 * M,
        ["01:00-0400", "01:00-0500", "02:00-0500", "03:00-0500"],
    ),
]


@pytest.mark.parametrize(("zone", "day", "step", "expected"), TRANSITION_GRIDS)
def test_slot_grid_follows_the_wall_clock_across_transitions(
    zone: ZoneInfo, day: date, step: timedelta, expected: list[str]
) -> None:
    availability = Availability.weekly({"SU": [(time(1), time(4))]}, tz=zone)
    slots = free_slots(availability, [], window=day_window(day, zone), duration=30 * M, step=step)
    assert local_starts(slots, zone) == expected


@pytest.mark.parametrize(
    ("zone", "before", "after"),
    [
        (BERLIN, date(2026, 3, 22), date(2026, 3, 29)),
        (BERLIN, date(2026, 10, 18), date(2026, 10, 25)),
        (NEW_YORK, date(2007, 3, 4), date(2007, 3, 11)),
        (NEW_YORK, date(2007, 10, 28), date(2007, 11, 4)),
    ],
)
def test_half_hour_slots_stay_on_the_half_hour_on_both_sides_of_a_change(
    zone: ZoneInfo, before: date, after: date
) -> None:
    availability = Availability.weekly({"SU": [(time(9), time(11))]}, tz=zone)
    window = (day_window(before, zone)[0], day_window(after, zone)[1])
    slots = free_slots(availability, [], window=window, duration=H, step=30 * M)
    walls = [s.start.astimezone(zone).strftime("%d %H:%M") for s in slots]
    assert walls == [
        f"{d.day:02d} {t}" for d in (before, after) for t in ("09:00", "09:30", "10:00")
    ]
    offsets = {s.start.astimezone(zone).utcoffset() for s in slots}
    assert len(offsets) == 2  # the UTC times did move


# ---------------------------------------------------------------- free time and slots

NINE_TO_FIVE = Availability.weekly(
    {d: [(time(9), time(17))] for d in ("MO", "TU", "WE", "TH", "FR")}, tz="UTC"
)
MONDAY = (utc(2026, 3, 2), utc(2026, 3, 3))


def busy_at(hour: int, minutes: int = 60, day: int = 2) -> TimeSpan:
    start = utc(2026, 3, day, hour)
    return TimeSpan(start, start + minutes * M)


def test_free_time_subtracts_busy_spans() -> None:
    busy = [busy_at(10), busy_at(12, 30), busy_at(16, 120)]
    assert iso_pairs(free_time(NINE_TO_FIVE, busy, window=MONDAY)) == [
        ("03-02 09:00", "03-02 10:00"),
        ("03-02 11:00", "03-02 12:00"),
        ("03-02 12:30", "03-02 16:00"),
    ]


def test_free_time_widens_busy_spans_by_both_buffers() -> None:
    busy = [busy_at(12)]
    free = free_time(NINE_TO_FIVE, busy, window=MONDAY, buffer_before=5 * M, buffer_after=10 * M)
    assert iso_pairs(free) == [("03-02 09:00", "03-02 11:45"), ("03-02 13:15", "03-02 17:00")]


def test_free_slots_on_the_step_grid_skip_busy_time() -> None:
    slots = free_slots(NINE_TO_FIVE, [busy_at(10, 90)], window=MONDAY, duration=H, step=30 * M)
    assert local_starts(slots, ZoneInfo("UTC")) == [
        f"{t}+0000"
        for t in ("09:00", "11:30", "12:00", "12:30", "13:00", "13:30", "14:00", "14:30")
    ] + ["15:00+0000", "15:30+0000", "16:00+0000"]
    assert all(s.duration == H for s in slots)


def test_step_defaults_to_the_duration() -> None:
    slots = free_slots(NINE_TO_FIVE, [], window=MONDAY, duration=2 * H)
    # The grid runs 00:00, 02:00, ... so 09:00-17:00 holds 10:00, 12:00 and 14:00.
    assert [s.start.hour for s in slots] == [10, 12, 14]


def test_step_grid_is_anchored_at_local_midnight_not_at_the_hours() -> None:
    hours = Availability.weekly({"MO": [(time(9, 10), time(11))]}, tz="UTC")
    slots = free_slots(hours, [], window=MONDAY, duration=30 * M, step=30 * M)
    assert local_starts(slots, ZoneInfo("UTC")) == ["09:30+0000", "10:00+0000", "10:30+0000"]


def test_slots_respect_min_notice_and_horizon_from_now() -> None:
    now = utc(2026, 3, 2, 8, 15)
    slots = free_slots(
        NINE_TO_FIVE,
        [],
        window=(utc(2026, 3, 1), utc(2026, 3, 31)),
        duration=H,
        step=H,
        min_notice=2 * H,
        horizon=timedelta(days=1, hours=3),
        now=now,
    )
    assert slots[0].start == utc(2026, 3, 2, 11)
    assert slots[-1].start == utc(2026, 3, 3, 11)
    assert len(slots) == 6 + 3


def test_a_start_exactly_horizon_ahead_is_offered_as_booking_rules_allow_it() -> None:
    # BookingRules(max_horizon=...) lets a session exactly that far ahead be booked, so
    # free_slots offers it; a horizon equal to the notice leaves that one start.
    now = utc(2026, 3, 2, 9)
    ahead = free_slots(NINE_TO_FIVE, [], window=MONDAY, duration=H, step=H, horizon=2 * H, now=now)
    assert [s.start for s in ahead] == [utc(2026, 3, 2, h) for h in (9, 10, 11)]
    only = free_slots(
        NINE_TO_FIVE, [], window=MONDAY, duration=H, step=H, min_notice=H, horizon=H, now=now
    )
    assert [s.start for s in only] == [utc(2026, 3, 2, 10)]


def test_now_alone_excludes_the_past() -> None:
    slots = free_slots(NINE_TO_FIVE, [], window=MONDAY, duration=H, now=utc(2026, 3, 2, 15, 1))
    assert [s.start for s in slots] == [utc(2026, 3, 2, 16)]


def test_slots_lie_inside_the_window() -> None:
    slots = free_slots(
        NINE_TO_FIVE, [], window=(utc(2026, 3, 2, 9, 30), utc(2026, 3, 2, 12)), duration=H, step=H
    )
    assert [s.start.hour for s in slots] == [10, 11]


def test_a_slot_never_conflicts_under_find_conflicts_with_the_same_buffers() -> None:
    busy = [busy_at(10), busy_at(13, 45)]
    before, after = 5 * M, 10 * M
    slots = free_slots(
        NINE_TO_FIVE,
        busy,
        window=MONDAY,
        duration=30 * M,
        step=5 * M,
        buffer_before=before,
        buffer_after=after,
    )
    assert slots
    assert slots[0].start == utc(2026, 3, 2, 9)
    assert utc(2026, 3, 2, 9, 15) in [s.start for s in slots]  # ends 9:45, 15 min before 10:00
    assert utc(2026, 3, 2, 9, 20) not in [s.start for s in slots]
    assert utc(2026, 3, 2, 11, 15) in [s.start for s in slots]
    for slot in slots:
        items = [(slot, "me"), *((b, "other") for b in busy)]
        assert (
            find_conflicts(
                items,
                span=lambda item: item[0],
                resources=lambda _: ("tutor",),
                buffers={"tutor": (before, after)},
            )
            == []
        )


def test_common_free_slots_need_every_resource_free() -> None:
    teacher = Availability.weekly({"MO": [(time(9), time(13))]}, tz="UTC")
    room = Availability.always(tz="UTC")
    resources = {
        "ana": (teacher, [busy_at(10)]),
        "room-1": (room, [busy_at(11, 30)]),  # 11:00-11:30
    }
    slots = common_free_slots(resources, window=MONDAY, duration=30 * M, step=30 * M)
    assert local_starts(slots, ZoneInfo("UTC")) == [
        "09:00+0000",
        "09:30+0000",
        "11:30+0000",
        "12:00+0000",
        "12:30+0000",
    ]
    free = common_free_time(resources, window=MONDAY)
    assert iso_pairs(free) == [("03-02 09:00", "03-02 10:00"), ("03-02 11:30", "03-02 13:00")]


def test_common_free_slots_with_per_resource_buffers() -> None:
    room = Availability.always(tz="UTC")
    resources = {"ana": (room, [busy_at(10)]), "room-1": (room, [busy_at(12)])}
    free = common_free_time(
        resources,
        window=(utc(2026, 3, 2, 9), utc(2026, 3, 2, 14)),
        buffers={"room-1": (timedelta(0), 15 * M)},
    )
    assert iso_pairs(free) == [
        ("03-02 09:00", "03-02 10:00"),
        ("03-02 11:00", "03-02 11:45"),
        ("03-02 13:15", "03-02 14:00"),
    ]


def test_common_free_slots_in_different_zones_need_a_grid_zone() -> None:
    resources: dict[str, tuple[Availability, list[TimeSpan]]] = {
        "berlin": (Availability.always(tz=BERLIN), []),
        "new-york": (Availability.always(tz=NEW_YORK), []),
    }
    window = (utc(2026, 3, 2, 9), utc(2026, 3, 2, 11))
    with pytest.raises(InvalidValue, match="America/New_York, Europe/Berlin"):
        common_free_slots(resources, window=window, duration=H)
    slots = common_free_slots(resources, window=window, duration=H, tz="Asia/Kolkata")
    assert [s.start.astimezone(ZoneInfo("Asia/Kolkata")).strftime("%H:%M") for s in slots] == [
        "15:00"
    ]


# ---------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    ("build", "error", "fragment"),
    [
        (lambda: Availability.weekly({"XX": []}, tz="UTC"), InvalidAvailability, "'XX'"),
        (
            lambda: Availability.weekly({"MO": [(time(12), time(9))]}, tz="UTC"),
            InvalidAvailability,
            "12:00:00-09:00:00",
        ),
        (
            lambda: Availability.weekly({"MO": [(time(9), time(9))]}, tz="UTC"),
            InvalidAvailability,
            "09:00:00-09:00:00",
        ),
        (
            lambda: Availability.weekly({"MO": [(9, 12)]}, tz="UTC"),  # type: ignore[list-item]
            NotADatetime,
            "int 9",
        ),
        (
            lambda: Availability.weekly({"MO": [(time(9),)]}, tz="UTC"),  # type: ignore[list-item]
            InvalidAvailability,
            "(datetime.time(9, 0),)",
        ),
        (
            lambda: Availability.weekly({"MO": "9-12"}, tz="UTC"),  # type: ignore[dict-item]
            InvalidAvailability,
            "'9-12'",
        ),
        (
            lambda: Availability.weekly({"MO": [(time(9, tzinfo=UTC), time(12))]}, tz="UTC"),
            InvalidAvailability,
            "09:00:00+00:00",
        ),
        (lambda: Availability.weekly({}, tz="Mars/Olympus"), UnknownTimeZone, "'Mars/Olympus'"),
        (lambda: Availability.always(tz="Nowhere"), UnknownTimeZone, "'Nowhere'"),
        (
            lambda: Availability.always(tz="UTC").with_blocked_range(
                date(2026, 3, 5), date(2026, 3, 1)
            ),
            InvalidAvailability,
            "2026-03-01",
        ),
        (
            lambda: Availability.always(tz="UTC").with_blocked_date(datetime(2026, 3, 5)),
            NotADatetime,
            "datetime",
        ),
        (
            lambda: Availability.always(tz="UTC").with_extra_hours(
                date(2026, 3, 5), [(time(3), time(2))]
            ),
            InvalidAvailability,
            "2026-03-05",
        ),
    ],
)
def test_bad_availability_raises_a_specific_error_naming_the_value(
    build: object, error: type[SessionKitError], fragment: str
) -> None:
    assert callable(build)
    with pytest.raises(error) as info:
        build()
    assert fragment in str(info.value)


def slots_with(**overrides: object) -> list[TimeSpan]:
    arguments: dict[str, object] = {"window": MONDAY, "duration": H}
    arguments.update(overrides)
    return free_slots(NINE_TO_FIVE, [], **arguments)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("overrides", "error", "fragment"),
    [
        ({"duration": timedelta(0)}, InvalidDuration, "duration must be positive, got 0 seconds"),
        ({"duration": -H}, InvalidDuration, "duration must be positive, got -1 hour"),
        ({"step": timedelta(0)}, InvalidDuration, "step must be positive, got 0 seconds"),
        ({"step": -M}, InvalidDuration, "step must be positive"),
        (
            {"step": timedelta(days=2)},
            InvalidDuration,
            "at most one day (the grid restarts at local midnight), got 2 days",
        ),
        ({"buffer_before": -M}, InvalidDuration, "buffer_before must not be negative"),
        ({"buffer_after": -M}, InvalidDuration, "buffer_after must not be negative"),
        (
            {"min_notice": -M, "now": utc(2026, 3, 1)},
            InvalidDuration,
            "min_notice must not be negative",
        ),
        ({"horizon": -H, "now": utc(2026, 3, 1)}, InvalidDuration, "horizon must be positive"),
        (
            {"horizon": timedelta(0), "now": utc(2026, 3, 1)},
            InvalidDuration,
            "horizon must be positive, got 0 seconds",
        ),
        (
            {"horizon": H, "min_notice": 2 * H, "now": utc(2026, 3, 1)},
            InvalidValue,
            "horizon 1 hour is shorter than min_notice 2 hours",
        ),
        ({"duration": 60}, NotADatetime, "duration must be a timedelta, got int 60"),
        (
            {"window": (utc(2026, 3, 3), utc(2026, 3, 2))},
            InvalidWindow,
            "window end 2026-03-02T00:00:00+00:00 is before its start",
        ),
        ({"window": (datetime(2026, 3, 2), utc(2026, 3, 3))}, NaiveDatetime, "2026-03-02T00:00:00"),
        ({"window": utc(2026, 3, 2)}, NotADatetime, "window must be a TimeSpan"),
        ({"now": datetime(2026, 3, 2, 8)}, NaiveDatetime, "now must be timezone-aware"),
        ({"min_notice": H}, InvalidValue, "pass now="),
        ({"horizon": H}, InvalidValue, "pass now="),
    ],
)
def test_bad_slot_arguments_raise_a_specific_error_naming_the_value(
    overrides: dict[str, object], error: type[SessionKitError], fragment: str
) -> None:
    with pytest.raises(error) as info:
        slots_with(**overrides)
    assert fragment in str(info.value)


def test_common_slots_refuse_a_horizon_that_leaves_no_start() -> None:
    # As BookingRules refuses a max_horizon of 0 or one shorter than the notice: the
    # answer was silently empty.
    both: dict[str, tuple[Availability, list[TimeSpan]]] = {
        "a": (NINE_TO_FIVE, []),
        "b": (NINE_TO_FIVE, []),
    }
    now = utc(2026, 3, 1)
    with pytest.raises(InvalidDuration, match="horizon must be positive"):
        common_free_slots(both, window=MONDAY, duration=H, now=now, horizon=timedelta(0))
    with pytest.raises(InvalidValue, match="shorter than min_notice") as info:
        common_free_slots(both, window=MONDAY, duration=H, now=now, horizon=H, min_notice=3 * H)
    assert info.value.value == (3 * H, H)


def test_busy_must_hold_timespans() -> None:
    with pytest.raises(NotADatetime, match="busy span must be a TimeSpan, got tuple"):
        free_time(NINE_TO_FIVE, [(utc(2026, 3, 2, 9), utc(2026, 3, 2, 10))], window=MONDAY)  # type: ignore[list-item]


def test_common_functions_reject_empty_or_malformed_resources() -> None:
    with pytest.raises(InvalidValue, match="at least one resource"):
        common_free_time({}, window=MONDAY)
    with pytest.raises(
        InvalidValue, match="resources\\['ana'\\] must be an \\(availability, busy\\) pair"
    ):
        common_free_time({"ana": NINE_TO_FIVE}, window=MONDAY)  # type: ignore[dict-item]
    with pytest.raises(InvalidDuration, match="buffers\\['ana'\\] after"):
        common_free_time(
            {"ana": (NINE_TO_FIVE, [])}, window=MONDAY, buffers={"ana": (timedelta(0), -M)}
        )


def test_buffers_naming_no_resource_of_the_mapping_are_refused() -> None:
    # A misspelt key was ignored: the real resource kept the default buffers, unpadded.
    calendars: dict[str, tuple[Availability, list[TimeSpan]]] = {
        "room-1": (NINE_TO_FIVE, []),
        "ana": (NINE_TO_FIVE, []),
    }
    typo = {"room1": (timedelta(0), 15 * M)}
    with pytest.raises(InvalidValue) as refused:
        common_free_time(calendars, window=MONDAY, buffers=typo)
    with pytest.raises(InvalidValue) as refused_slots:
        common_free_slots(calendars, window=MONDAY, duration=30 * M, buffers=typo)
    for error in (refused.value, refused_slots.value):
        assert (error.value, error.expected) == ("room1", "a resource of the mapping")
        assert str(error) == (
            "buffers name 'room1', which is none of the resources 'ana', 'room-1'"
        )


def test_hours_that_end_when_they_start_say_so() -> None:
    with pytest.raises(
        InvalidAvailability, match="hours for MO end when they start: 09:00:00-09:00"
    ):
        Availability.weekly({"MO": [(time(9), time(9))]}, tz=BERLIN)


def test_an_empty_window_has_no_slots_and_fixed_offset_zones_work() -> None:
    assert slots_with(window=(utc(2026, 3, 2, 10), utc(2026, 3, 2, 10))) == []
    plus_two = timezone(timedelta(hours=2))
    slots = slots_with(window=(datetime(2026, 3, 2, 11, tzinfo=plus_two), utc(2026, 3, 2, 11)))
    assert [s.start.hour for s in slots] == [9, 10]
