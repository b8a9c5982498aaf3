"""Recurrence: DST tables pinned to real transitions, EXDATE/RDATE, split, limits, errors."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from sessionkit import (
    ExpansionLimitExceeded,
    InvalidRecurrence,
    InvalidValue,
    InvalidWindow,
    NaiveDatetime,
    NotADatetime,
    RepeatedTime,
    SkippedTime,
    UnknownTimeZone,
)
from sessionkit.recurrence import MAX_CANDIDATES, Recurrence, parse_rule

BERLIN = "Europe/Berlin"
NY = "America/New_York"


def utc(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0
) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=UTC)


def weekly_berlin(**kwargs: object) -> Recurrence:
    params: dict[str, object] = {
        "days": ("MO", "WE"),
        "at": time(18, 0),
        "duration": timedelta(minutes=90),
        "tz": BERLIN,
        "start": date(2026, 3, 1),
    }
    params.update(kwargs)
    return Recurrence.weekly(**params)  # type: ignore[arg-type]


# ---------------------------------------------------------------- wall time across DST


def test_berlin_class_stays_at_1800_local_across_both_2026_transitions() -> None:
    rec = weekly_berlin(until=date(2026, 11, 30))
    occs = list(rec.between(utc(2026, 3, 20), utc(2026, 11, 1)))
    assert {o.local_start.time() for o in occs} == {time(18, 0)}
    by_day = {o.local_start.date(): o.span.start.hour for o in occs}
    assert by_day[date(2026, 3, 25)] == 17  # CET, UTC+1
    assert by_day[date(2026, 3, 30)] == 16  # CEST, UTC+2 (switch on 2026-03-29)
    assert by_day[date(2026, 10, 21)] == 16
    assert by_day[date(2026, 10, 26)] == 17  # back to CET after 2026-10-25


@pytest.mark.parametrize(
    ("tz", "local", "policy", "expected_utc", "expected_local"),
    [
        # New York 2007-03-11: 02:00 -> 03:00. RFC 5545: use the offset before the gap.
        (NY, datetime(2007, 3, 11, 2, 30), "compatible", utc(2007, 3, 11, 7, 30), "03:30-04:00"),
        (NY, datetime(2007, 3, 11, 2, 30), "later", utc(2007, 3, 11, 7, 30), "03:30-04:00"),
        (NY, datetime(2007, 3, 11, 2, 30), "earlier", utc(2007, 3, 11, 6, 30), "01:30-05:00"),
        # New York 2007-11-04: 01:00-02:00 happens twice; the first is EDT.
        (NY, datetime(2007, 11, 4, 1, 30), "compatible", utc(2007, 11, 4, 5, 30), "01:30-04:00"),
        (NY, datetime(2007, 11, 4, 1, 30), "earlier", utc(2007, 11, 4, 5, 30), "01:30-04:00"),
        (NY, datetime(2007, 11, 4, 1, 30), "later", utc(2007, 11, 4, 6, 30), "01:30-05:00"),
        # Berlin 2026-03-29 02:00 -> 03:00 and 2026-10-25 03:00 -> 02:00.
        (
            BERLIN,
            datetime(2026, 3, 29, 2, 30),
            "compatible",
            utc(2026, 3, 29, 1, 30),
            "03:30+02:00",
        ),
        (
            BERLIN,
            datetime(2026, 10, 25, 2, 30),
            "compatible",
            utc(2026, 10, 25, 0, 30),
            "02:30+02:00",
        ),
        (BERLIN, datetime(2026, 10, 25, 2, 30), "later", utc(2026, 10, 25, 1, 30), "02:30+01:00"),
        # Lord Howe: 30-minute DST; 2026-10-04 02:00 -> 02:30 (+10:30 -> +11:00).
        (
            "Australia/Lord_Howe",
            datetime(2026, 10, 4, 2, 15),
            "compatible",
            utc(2026, 10, 3, 15, 45),
            "02:45+11:00",
        ),
        # Caracas changed its standard offset: 2016-05-01 02:30 -> 03:00 (-04:30 -> -04:00).
        (
            "America/Caracas",
            datetime(2016, 5, 1, 2, 45),
            "compatible",
            utc(2016, 5, 1, 7, 15),
            "03:15-04:00",
        ),
    ],
)
def test_daily_occurrence_in_gap_or_fold_follows_policy(
    tz: str, local: datetime, policy: str, expected_utc: datetime, expected_local: str
) -> None:
    rec = Recurrence.from_rrule(
        "FREQ=DAILY;COUNT=3",
        start=local - timedelta(days=1),
        tz=tz,
        duration=timedelta(hours=1),
        disambiguate=policy,  # type: ignore[arg-type]
    )
    occs = list(rec.between(utc(1990, 1, 1), utc(2040, 1, 1)))
    assert len(occs) == 3
    middle = occs[1]
    assert middle.key == local
    assert middle.span.start == expected_utc
    assert middle.local_start.strftime("%H:%M%z")[:5] == expected_local[:5]
    assert middle.local_start.isoformat()[-6:] == expected_local[-6:]
    assert middle.span.duration == timedelta(hours=1)


def test_one_hour_event_starting_in_the_gap_lasts_one_real_hour() -> None:
    rec = Recurrence.from_rrule(
        "FREQ=YEARLY;COUNT=1",
        start=datetime(2025, 3, 30, 2, 30),
        tz=BERLIN,
        duration=timedelta(hours=1),
    )
    (occ,) = rec.between(utc(2025, 1, 1), utc(2026, 1, 1))
    assert occ.span.end - occ.span.start == timedelta(hours=1)
    assert occ.span.start == utc(2025, 3, 30, 1, 30)


def test_event_running_across_the_fall_back_lasts_its_duration() -> None:
    rec = Recurrence.from_rrule(
        "FREQ=DAILY;COUNT=3",
        start=datetime(2026, 10, 24, 1, 0),
        tz=BERLIN,
        duration=timedelta(hours=3),
    )
    occs = list(rec.between(utc(2026, 10, 1), utc(2026, 11, 1)))
    assert all(o.span.duration == timedelta(hours=3) for o in occs)
    local_end = occs[1].span.end.astimezone(ZoneInfo(BERLIN))
    assert local_end.strftime("%H:%M") == "03:00"  # 01:00 CEST + 3h = 03:00 CET


def test_skip_policy_drops_and_does_not_count_nonexistent_starts() -> None:
    rec = Recurrence.from_rrule(
        "FREQ=DAILY;COUNT=3",
        start=datetime(2026, 3, 28, 2, 30),
        tz=BERLIN,
        duration=timedelta(minutes=30),
        disambiguate="skip",
    )
    keys = [o.key for o in rec.between(utc(2026, 3, 1), utc(2026, 4, 30))]
    assert keys == [
        datetime(2026, 3, 28, 2, 30),
        datetime(2026, 3, 30, 2, 30),
        datetime(2026, 3, 31, 2, 30),
    ]


def test_raise_policy_raises_skipped_time_when_reached() -> None:
    rec = Recurrence.from_rrule(
        "FREQ=DAILY",
        start=datetime(2026, 3, 28, 2, 30),
        tz=BERLIN,
        duration=timedelta(minutes=30),
        disambiguate="raise",
    )
    with pytest.raises(SkippedTime) as info:
        list(rec.between(utc(2026, 3, 27), utc(2026, 4, 2)))
    assert info.value.local == datetime(2026, 3, 29, 2, 30)
    assert info.value.zone == BERLIN


def test_raise_policy_raises_only_for_an_occurrence_it_yields() -> None:
    # The expansion scans a margin past its window: a Sunday 02:30 class raised SkippedTime
    # for 29 March in windows that hold no such Sunday, and an EXDATE of the day did not help.
    sundays = Recurrence.from_rrule(
        "FREQ=WEEKLY;BYDAY=SU",
        start=datetime(2026, 3, 1, 2, 30),
        tz=BERLIN,
        duration=timedelta(hours=1),
        disambiguate="raise",
    )
    assert [o.local_start.day for o in sundays.between(utc(2026, 3, 20), utc(2026, 3, 28))] == [22]
    assert list(sundays.between(utc(2026, 3, 30), utc(2026, 4, 5))) == []
    with pytest.raises(SkippedTime):
        list(sundays.between(utc(2026, 3, 28), utc(2026, 3, 30)))
    excused = Recurrence.from_rrule(
        "FREQ=DAILY",
        start=datetime(2026, 3, 28, 2, 30),
        tz=BERLIN,
        duration=timedelta(hours=1),
        disambiguate="raise",
        exdates=[date(2026, 3, 29)],
    )
    days = [o.local_start.day for o in excused.between(utc(2026, 3, 28), utc(2026, 4, 1))]
    assert days == [28, 30, 31]
    fall_back = Recurrence.from_rrule(
        "FREQ=WEEKLY;BYDAY=SU",
        start=datetime(2026, 10, 4, 1, 30),
        tz="America/New_York",
        duration=timedelta(hours=1),
        disambiguate="raise",
    )
    assert list(fall_back.between(utc(2026, 11, 2), utc(2026, 11, 7))) == []
    with pytest.raises(RepeatedTime):
        list(fall_back.between(utc(2026, 10, 31), utc(2026, 11, 2)))


@pytest.mark.parametrize(
    ("local", "tz"),
    [(datetime(2026, 3, 29, 2, 30), BERLIN), (datetime(2026, 11, 1, 1, 30), NY)],
    ids=["gap", "fold"],
)
def test_raise_policy_a_local_exdate_names_the_occurrence_it_excludes(
    local: datetime, tz: str
) -> None:
    # Under "raise" an excluded occurrence raises nothing, but a naive EXDATE naming it
    # (the plain way to say "not the 02:30 on 29 March") was read with "raise" itself
    # and refused the recurrence with SkippedTime / RepeatedTime when it was built.
    rec = Recurrence.from_rrule(
        "FREQ=DAILY",
        start=local - timedelta(days=2),
        tz=tz,
        duration=timedelta(hours=1),
        disambiguate="raise",
        exdates=[local],
    )
    lo = (local - timedelta(days=3)).replace(tzinfo=UTC)
    got = [o.key for o in rec.between(lo, lo + timedelta(days=6))]
    assert got[:4] == [local + timedelta(days=n) for n in (-2, -1, 1, 2)]
    back = Recurrence.from_ical_lines(rec.to_ical_lines(), disambiguate="raise")
    assert back == rec
    text = [f"DTSTART;TZID={tz}:{rec.start:%Y%m%dT%H%M%S}", "DURATION:PT1H", "RRULE:FREQ=DAILY"]
    read = Recurrence.from_ical_lines(
        [*text, f"EXDATE;TZID={tz}:{local:%Y%m%dT%H%M%S}"], disambiguate="raise"
    )
    assert read == rec


def test_samoa_skipped_day_gives_one_occurrence_not_two_at_one_instant() -> None:
    rec = Recurrence.from_rrule(
        "FREQ=DAILY",
        start=datetime(2011, 12, 28, 10),
        tz="Pacific/Apia",
        duration=timedelta(hours=1),
    )
    starts = [o.span.start for o in rec.between(utc(2011, 12, 27), utc(2012, 1, 3))]
    assert len(starts) == len(set(starts))
    assert starts == sorted(starts)


def test_hourly_rule_through_the_gap_is_unique_and_ordered() -> None:
    rec = Recurrence.from_rrule(
        "FREQ=MINUTELY;INTERVAL=20",
        start=datetime(2026, 3, 29, 1, 0),
        tz=BERLIN,
        duration=timedelta(minutes=5),
    )
    starts = [o.span.start for o in rec.between(utc(2026, 3, 28, 23), utc(2026, 3, 29, 3))]
    assert starts == sorted(set(starts))
    # 01:00-01:40 CET, then 02:00-02:40 (in the gap) move onto 03:00-03:40 CEST and
    # merge with those, then 04:00-04:40: nine distinct instants, not twelve.
    assert len(starts) == 9


def test_count_counts_a_gap_time_moved_onto_another_time_as_an_instance() -> None:
    # RFC 5545: COUNT counts the rule's instances; the set holds each instant once. On
    # 8 March 02:00 New York does not exist and moves onto 03:00, another of the rule's
    # times: nine instances, eight occurrences, the last on 9 March at 03:00 (it went on
    # to 10 March at 01:00, counting the occurrences instead).
    rec = Recurrence.from_rrule(
        "FREQ=DAILY;BYHOUR=1,2,3;COUNT=9",
        start=datetime(2026, 3, 7, 1),
        tz=NY,
        duration=timedelta(minutes=30),
    )
    starts = [o.span.start for o in rec.between(utc(2026, 3, 1), utc(2026, 4, 1))]
    assert starts == [
        utc(2026, 3, 7, 6),
        utc(2026, 3, 7, 7),
        utc(2026, 3, 7, 8),
        utc(2026, 3, 8, 6),
        utc(2026, 3, 8, 7),
        utc(2026, 3, 9, 5),
        utc(2026, 3, 9, 6),
        utc(2026, 3, 9, 7),
    ]
    # A split after that day counts both instances in the first half, so the two halves
    # together are still the eight.
    before, after = rec.split(datetime(2026, 3, 9, 2))
    assert (before.rule.count, after.rule.count) == (7, 2)
    far = utc(2026, 4, 1)
    joined = list(before.between(utc(2026, 3, 1), far)) + list(after.between(utc(2026, 3, 1), far))
    assert [o.span.start for o in joined] == starts


# ---------------------------------------------------------------- windows and jumps


def test_between_is_lazy_on_an_infinite_rule() -> None:
    rec = Recurrence.from_rrule(
        "FREQ=MINUTELY", start=datetime(2026, 1, 1), tz=BERLIN, duration=timedelta(minutes=1)
    )
    it = rec.between(utc(2026, 1, 1), utc(9999, 1, 1))
    first = [next(it) for _ in range(3)]
    assert [o.local_start.minute for o in first] == [0, 1, 2]


@pytest.mark.parametrize(
    "rule",
    [
        "FREQ=DAILY",
        "FREQ=WEEKLY;BYDAY=MO,TH",
        "FREQ=MONTHLY;BYDAY=1FR",
        "FREQ=YEARLY;BYMONTH=6;BYDAY=MO",
        "FREQ=MONTHLY;BYDAY=MO,TU;BYSETPOS=-1",
    ],
)
def test_twenty_year_old_rule_gives_the_same_window_as_a_fresh_one(rule: str) -> None:
    old = Recurrence.from_rrule(
        rule, start=datetime(2006, 1, 2, 9), tz=NY, duration=timedelta(hours=1)
    )
    lo, hi = utc(2026, 5, 1), utc(2026, 7, 1)
    found = list(old.between(lo, hi))
    assert found
    assert all(lo <= o.span.start < hi for o in found)
    assert {o.local_start.time() for o in found} == {time(9, 0)}


def test_window_far_from_start_does_not_walk_from_dtstart() -> None:
    rec = Recurrence.from_rrule(
        "FREQ=DAILY", start=datetime(1900, 1, 1, 9), tz=NY, duration=timedelta(hours=1)
    )
    # A walk from 1900 would examine ~46,000 days; the budget below allows far fewer.
    found = list(rec.between(utc(2026, 5, 1), utc(2026, 5, 8), max_candidates=200))
    assert len(found) == 7


@pytest.mark.parametrize(
    "rule",
    [
        "FREQ=DAILY;BYHOUR=9,14",
        "FREQ=WEEKLY;BYDAY=MO,TH;BYHOUR=9,14",
        "FREQ=HOURLY;BYHOUR=9,14",
        "FREQ=DAILY;BYHOUR=9,14;BYSETPOS=1",
    ],
)
def test_a_rule_dateutil_expands_is_charged_the_periods_it_examines(rule: str) -> None:
    # The general path charged a whole chunk of 4,096 periods before examining any: a
    # week of a twice-a-day class was refused under any cap below 4,096.
    rec = Recurrence.from_rrule(
        rule, start=datetime(2026, 3, 2, 9), tz="UTC", duration=timedelta(hours=1)
    )
    week = (utc(2026, 3, 2), utc(2026, 3, 9))
    expected = list(rec.between(*week))
    assert 0 < len(expected) <= 14
    assert list(rec.between(*week, max_candidates=400)) == expected
    with pytest.raises(ExpansionLimitExceeded) as caught:
        list(rec.between(utc(2026, 3, 2), utc(2027, 3, 2), max_candidates=400))
    examined = caught.value.value
    assert isinstance(examined, int)
    assert 400 < examined < 4096  # what it examined, not a chunk's worth


def test_a_rule_dateutil_finds_empty_while_expanding_has_no_occurrences() -> None:
    # An hour of seconds from 09:15 never lands on minute 0: dateutil says so only when
    # iterated (a plain ValueError escaped), not when the rule is built.
    rec = Recurrence.from_rrule(
        "FREQ=SECONDLY;INTERVAL=3600;BYMINUTE=0",
        start=datetime(2024, 1, 31, 9, 15),
        tz="UTC",
        duration=timedelta(minutes=30),
    )
    assert list(rec.between(utc(2025, 3, 1), utc(2025, 3, 2))) == []
    with pytest.raises(ExpansionLimitExceeded):  # the budget still counts, and still raises
        list(
            Recurrence.from_rrule(
                "FREQ=SECONDLY;BYMINUTE=0",
                start=datetime(2024, 1, 31, 9, 15),
                tz="UTC",
                duration=timedelta(seconds=1),
            ).between(utc(2025, 3, 1), utc(2025, 3, 8), max_candidates=1000)
        )


def test_never_matching_rule_yields_nothing_quickly() -> None:
    rec = Recurrence.from_rrule(
        "FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=31",
        start=datetime(2026, 1, 1),
        tz=BERLIN,
        duration=timedelta(hours=1),
    )
    assert list(rec.between(utc(2026, 1, 1), utc(2500, 1, 1))) == []


def test_minutely_rule_over_a_century_hits_the_candidate_cap() -> None:
    rec = Recurrence.from_rrule(
        "FREQ=MINUTELY;BYMONTH=2;BYMONTHDAY=29",
        start=datetime(2026, 1, 1),
        tz=BERLIN,
        duration=timedelta(minutes=1),
    )
    with pytest.raises(ExpansionLimitExceeded) as info:
        list(rec.between(utc(2026, 1, 1), utc(2126, 1, 1)))
    assert info.value.limit == MAX_CANDIDATES
    assert "FREQ=MINUTELY" in info.value.rule
    with pytest.raises(ExpansionLimitExceeded) as small:
        list(rec.between(utc(2026, 1, 1), utc(2126, 1, 1), max_candidates=5000))
    assert small.value.limit == 5000
    # Lazily taking the first occurrence examines only the minutes up to it
    # (about 400,000 from mid-2027 to the leap day), well inside a cap of a million.
    first = next(iter(rec.between(utc(2027, 6, 1), utc(2126, 1, 1), max_candidates=10**6)))
    assert first.key == datetime(2028, 2, 29, 0, 0)


@pytest.mark.parametrize(
    "rule",
    [
        "FREQ=MINUTELY;BYMONTH=2;BYMONTHDAY=31",
        "FREQ=DAILY;BYMONTH=4,6;BYMONTHDAY=31",
        "FREQ=MONTHLY;BYMONTH=2;BYMONTHDAY=30,-30",
        "FREQ=YEARLY;BYMONTH=11;BYMONTHDAY=31;BYDAY=MO",
        # BYSETPOS past every period's set: one instant an hour, two a day, two a minute.
        "FREQ=HOURLY;BYDAY=MO;BYSETPOS=-153,319,73,-300",
        "FREQ=DAILY;BYHOUR=9,17;BYSETPOS=3,-3",
        "FREQ=MINUTELY;BYSECOND=0,30;BYSETPOS=5",
    ],
)
def test_rules_that_can_never_match_yield_nothing_at_once(rule: str) -> None:
    rec = Recurrence.from_rrule(
        rule, start=datetime(2026, 1, 1), tz=BERLIN, duration=timedelta(minutes=1)
    )
    assert list(rec.between(utc(2026, 1, 1), utc(9999, 1, 1), max_candidates=10)) == []


@pytest.mark.parametrize(
    ("rule", "first", "count"),
    [
        ("FREQ=HOURLY;BYMINUTE=0,30;BYSETPOS=-1", datetime(2026, 1, 1, 0, 30), 24),
        ("FREQ=DAILY;BYHOUR=9,17;BYSETPOS=2,-3", datetime(2026, 1, 1, 17), 1),
        ("FREQ=MINUTELY;BYSECOND=0,30;BYSETPOS=-2", datetime(2026, 1, 1, 0, 0), 1440),
    ],
)
def test_a_bysetpos_within_the_periods_set_still_selects(
    rule: str, first: datetime, count: int
) -> None:
    rec = Recurrence.from_rrule(rule, start=datetime(2026, 1, 1), tz="UTC", duration=timedelta(1))
    found = list(rec.between(utc(2026, 1, 1), utc(2026, 1, 2)))
    assert (found[0].key, len(found)) == (first, count)


def test_window_end_before_start_is_rejected() -> None:
    with pytest.raises(InvalidWindow):
        list(weekly_berlin().between(utc(2026, 5, 1), utc(2026, 4, 1)))


def test_naive_window_is_rejected() -> None:
    with pytest.raises(NaiveDatetime, match="start"):
        weekly_berlin().between(datetime(2026, 5, 1), utc(2026, 6, 1))


# ---------------------------------------------------------------- UNTIL, EXDATE, RDATE


def test_weekly_until_is_an_inclusive_local_date() -> None:
    rec = weekly_berlin(until=date(2026, 6, 29))  # a Monday
    last = list(rec.between(utc(2026, 6, 1), utc(2026, 12, 1)))[-1]
    assert last.local_start == datetime(2026, 6, 29, 18, tzinfo=ZoneInfo(BERLIN))
    assert rec.rule.until == utc(2026, 6, 29, 21, 59, 59)


@pytest.mark.parametrize(
    "until",
    ["20260629T160000Z", "20260629T180000", "20260629"],
)
def test_until_in_utc_local_or_date_form_is_inclusive(until: str) -> None:
    rec = Recurrence.from_rrule(
        f"FREQ=WEEKLY;BYDAY=MO;UNTIL={until}",
        start=datetime(2026, 6, 1, 18),
        tz=BERLIN,
        duration=timedelta(hours=1),
    )
    dates = [o.local_start.date() for o in rec.between(utc(2026, 1, 1), utc(2027, 1, 1))]
    assert dates[-1] == date(2026, 6, 29)
    assert rec.to_rrule().endswith("Z;BYDAY=MO") or "Z" in rec.to_rrule()


def test_exdate_matches_the_instant_not_the_wall_clock_elsewhere() -> None:
    rec = weekly_berlin(
        until=date(2026, 4, 30),
        exdates=[datetime(2026, 3, 4, 17, 0, tzinfo=UTC)],  # 18:00 Berlin
    )
    keys = [o.key.date() for o in rec.between(utc(2026, 3, 1), utc(2026, 3, 12))]
    assert keys == [date(2026, 3, 2), date(2026, 3, 9), date(2026, 3, 11)]
    # 18:00 UTC is 19:00 Berlin: not an occurrence, removes nothing.
    other = weekly_berlin(until=date(2026, 4, 30), exdates=[datetime(2026, 3, 4, 18, tzinfo=UTC)])
    assert len(list(other.between(utc(2026, 3, 1), utc(2026, 3, 12)))) == 4


def test_local_and_date_exdates() -> None:
    rec = weekly_berlin(exdates=[datetime(2026, 3, 2, 18, 0), datetime(2026, 3, 9, 18, 0)])
    assert [o.key.day for o in rec.between(utc(2026, 3, 1), utc(2026, 3, 12))] == [4, 11]
    by_day = weekly_berlin(exdates=[date(2026, 3, 4)])
    assert [o.key.day for o in by_day.between(utc(2026, 3, 1), utc(2026, 3, 12))] == [2, 9, 11]


def test_mixing_naive_and_aware_exdates_is_rejected_at_build_time() -> None:
    with pytest.raises(InvalidRecurrence, match="mix naive and aware") as info:
        weekly_berlin(exdates=[datetime(2026, 3, 2, 18), datetime(2026, 3, 4, 17, tzinfo=UTC)])
    assert info.value.part == "EXDATES"


def test_rdates_add_occurrences_in_order_and_exdates_remove_them() -> None:
    extra = datetime(2026, 3, 6, 10, 0)
    rec = weekly_berlin(rdates=[extra, datetime(2026, 3, 4, 18, 0)])
    occs = list(rec.between(utc(2026, 3, 1), utc(2026, 3, 10)))
    assert [o.key for o in occs] == [
        datetime(2026, 3, 2, 18),
        datetime(2026, 3, 4, 18),
        extra,
        datetime(2026, 3, 9, 18),
    ]
    assert occs[2].span.duration == timedelta(minutes=90)
    removed = weekly_berlin(rdates=[extra], exdates=[date(2026, 3, 6)])
    assert extra not in [o.key for o in removed.between(utc(2026, 3, 1), utc(2026, 3, 10))]


def test_dtstart_not_matching_the_rule_is_not_an_occurrence() -> None:
    rec = Recurrence.from_rrule(
        "FREQ=WEEKLY;BYDAY=MO;COUNT=2",
        start=datetime(2026, 3, 3, 18),
        tz=BERLIN,  # a Tuesday
        duration=timedelta(hours=1),
    )
    keys = [o.key for o in rec.between(utc(2026, 1, 1), utc(2027, 1, 1))]
    assert keys == [datetime(2026, 3, 9, 18), datetime(2026, 3, 16, 18)]


# ---------------------------------------------------------------- text forms


def test_to_rrule_and_ical_lines_write_until_in_utc_and_tzid() -> None:
    rec = weekly_berlin(until=date(2026, 6, 30), exdates=[datetime(2026, 3, 4, 18)])
    assert rec.to_rrule() == "FREQ=WEEKLY;UNTIL=20260630T215959Z;BYDAY=MO,WE"
    assert rec.to_ical_lines() == [
        "DTSTART;TZID=Europe/Berlin:20260301T180000",
        "DURATION:PT1H30M",
        "RRULE:FREQ=WEEKLY;UNTIL=20260630T215959Z;BYDAY=MO,WE",
        "EXDATE;TZID=Europe/Berlin:20260304T180000",
    ]
    assert Recurrence.from_ical_lines(rec.to_ical_lines()) == rec


def test_from_ical_lines_refuses_a_second_rrule_instead_of_keeping_the_last() -> None:
    lines = [
        "DTSTART;TZID=Europe/Berlin:20260302T180000",
        "DURATION:PT1H",
        "RRULE:FREQ=WEEKLY;BYDAY=MO",
        "RRULE:FREQ=WEEKLY;BYDAY=WE",
    ]
    with pytest.raises(InvalidRecurrence, match="second RRULE") as caught:
        Recurrence.from_ical_lines(lines)
    assert caught.value.part == "RRULE"
    assert caught.value.value == "RRULE:FREQ=WEEKLY;BYDAY=WE"


@pytest.mark.parametrize(
    ("second", "part"),
    [
        ("DTSTART;TZID=Europe/Berlin:20260303T180000", "DTSTART"),
        ("DURATION:PT2H", "DURATION"),
    ],
)
def test_from_ical_lines_refuses_a_second_dtstart_or_duration(second: str, part: str) -> None:
    # A second DTSTART replaced the first (the class moved to Tuesdays) and a second
    # DURATION was ignored, with no word of either.
    lines = [
        "DTSTART;TZID=Europe/Berlin:20260302T180000",
        "DURATION:PT1H",
        "RRULE:FREQ=WEEKLY;COUNT=2",
        second,
    ]
    with pytest.raises(InvalidRecurrence, match=f"second {part}") as caught:
        Recurrence.from_ical_lines(lines)
    assert caught.value.part == part
    assert caught.value.value == second


def test_from_ical_lines_names_the_part_of_an_unreadable_exdate_or_rdate() -> None:
    lines = ["DTSTART;TZID=Europe/Berlin:20260302T180000", "DURATION:PT1H", "RRULE:FREQ=DAILY"]
    with pytest.raises(InvalidRecurrence, match="RDATE") as caught:
        Recurrence.from_ical_lines([*lines, "RDATE;VALUE=PERIOD:20260304T170000Z/PT2H"])
    assert (caught.value.part, caught.value.value) == ("RDATE", "20260304T170000Z/PT2H")


def test_rrule_prefix_is_optional_and_parts_are_normalised() -> None:
    a = Recurrence.from_rrule(
        "RRULE:FREQ=WEEKLY;BYDAY=WE,MO",
        start=datetime(2026, 3, 2, 18),
        tz=BERLIN,
        duration=timedelta(hours=1),
    )
    b = Recurrence.from_rrule(
        "freq=weekly;byday=MO,WE",
        start=datetime(2026, 3, 2, 17, tzinfo=UTC),
        tz=BERLIN,
        duration=timedelta(hours=1),
    )
    assert a == b
    assert a.start == datetime(2026, 3, 2, 18)


# ---------------------------------------------------------------- split


def test_split_with_count_recomputes_both_counts() -> None:
    rec = weekly_berlin(count=10)
    occs = list(rec.between(utc(2026, 1, 1), utc(2027, 1, 1)))
    before, after = rec.split(occs[4].key)
    assert (before.rule.count, after.rule.count) == (4, 6)
    assert after.start == occs[4].key
    far = utc(2030, 1, 1)
    assert (
        list(before.between(utc(2026, 1, 1), far)) + list(after.between(utc(2026, 1, 1), far))
        == occs
    )


def test_split_without_count_ends_the_first_just_before() -> None:
    rec = weekly_berlin()
    key = datetime(2026, 4, 1, 18, 0)
    before, after = rec.split(key)
    assert before.rule.until == utc(2026, 4, 1, 15, 59, 59)
    assert after.rule.until is None
    assert list(before.between(utc(2026, 3, 31), utc(2026, 5, 1))) == []


def test_split_at_a_non_occurrence_or_the_first_is_refused() -> None:
    rec = weekly_berlin()
    with pytest.raises(InvalidValue, match="not the key of an occurrence"):
        rec.split(datetime(2026, 3, 3, 18))
    with pytest.raises(InvalidValue, match="no occurrence comes before"):
        rec.split(datetime(2026, 3, 2, 18))


# ---------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    ("rule", "part"),
    [
        ("FREQ=FORTNIGHTLY", "FREQ"),
        ("FREQ=WEEKLY;BYDAY=XX", "BYDAY"),
        ("FREQ=DAILY;COUNT=3;UNTIL=20260101T000000Z", "UNTIL"),
        ("garbage", None),
        ("", None),
        ("FREQ=DAILY;INTERVAL=0", "INTERVAL"),
        ("FREQ=DAILY;COUNT=-1", "COUNT"),
        ("FREQ=DAILY;BYHOUR=24", "BYHOUR"),
        ("FREQ=DAILY;BYSECOND=60", "BYSECOND"),
        ("FREQ=MONTHLY;BYMONTHDAY=0", "BYMONTHDAY"),
        ("FREQ=WEEKLY;BYDAY=1MO", "BYDAY"),
        ("FREQ=WEEKLY;BYMONTHDAY=1", "BYMONTHDAY"),
        ("FREQ=MONTHLY;BYWEEKNO=1", "BYWEEKNO"),
        ("FREQ=DAILY;BYYEARDAY=1", "BYYEARDAY"),
        ("FREQ=MONTHLY;BYSETPOS=1", "BYSETPOS"),
        ("FREQ=DAILY;FREQ=WEEKLY", "FREQ"),
        ("FREQ=DAILY;X-NAME=1", "X-NAME"),
        ("FREQ=DAILY;UNTIL=2026-01-01", "UNTIL"),
        ("FREQ=DAILY;UNTIL=20261301", "UNTIL"),
        ("INTERVAL=2", "FREQ"),
        ("FREQ=DAILY;BYMONTH=1,x", "BYMONTH"),
    ],
)
def test_bad_rules_raise_invalid_recurrence_naming_the_part(rule: str, part: str | None) -> None:
    with pytest.raises(InvalidRecurrence) as info:
        parse_rule(rule)
    assert info.value.part == part
    assert isinstance(info.value, ValueError)


@pytest.mark.parametrize("duration", [timedelta(0), timedelta(minutes=-5)])
def test_non_positive_duration_is_rejected(duration: timedelta) -> None:
    with pytest.raises(InvalidRecurrence, match="duration must be positive"):
        weekly_berlin(duration=duration)


def test_other_bad_arguments() -> None:
    with pytest.raises(UnknownTimeZone):
        weekly_berlin(tz="Europe/Atlantis")
    with pytest.raises(InvalidRecurrence, match="unknown weekday"):
        weekly_berlin(days=("MO", "XX"))
    with pytest.raises(NotADatetime):
        weekly_berlin(at="18:00")
    with pytest.raises(NotADatetime):
        weekly_berlin(start=datetime(2026, 3, 1))
    with pytest.raises(InvalidValue, match="disambiguate"):
        weekly_berlin(disambiguate="nearest")
    with pytest.raises(InvalidRecurrence, match="whole seconds"):
        Recurrence.from_rrule(
            "FREQ=DAILY",
            start=datetime(2026, 1, 1, 9, 0, 0, 5),
            tz=BERLIN,
            duration=timedelta(hours=1),
        )


def test_between_with_bounds_in_a_named_zone_equals_utc_bounds() -> None:
    berlin = ZoneInfo("Europe/Berlin")
    rec = Recurrence.weekly(
        days=("MO", "SU"),
        at=time(2, 30),  # inside the spring-forward gap on 2026-03-29
        duration=timedelta(hours=1),
        tz="Europe/Berlin",
        start=date(2026, 3, 1),
    )
    # Bounds exactly on an occurrence, on both sides of the DST change.
    lo = datetime(2026, 3, 23, 2, 30, tzinfo=berlin)
    hi = datetime(2026, 4, 6, 2, 30, tzinfo=berlin)
    named = list(rec.between(lo, hi))
    utc = list(rec.between(lo.astimezone(UTC), hi.astimezone(UTC)))
    assert named == utc
    assert named[0].span.start == lo.astimezone(UTC)  # start bound inclusive
    assert all(o.span.start < hi for o in named)  # end bound exclusive
    assert len(named) == 4


@pytest.mark.parametrize("part", ["rdates", "exdates"])
def test_a_local_date_with_no_utc_equivalent_is_an_invalid_value(part: str) -> None:
    """Year 1 at midnight in Berlin lies before UTC's first instant: a SessionKitError, named."""
    with pytest.raises(InvalidValue, match=part[:-1]) as caught:
        Recurrence.from_rrule(
            "FREQ=WEEKLY;BYDAY=MO",
            start=datetime(2026, 3, 2, 9),
            tz="Europe/Berlin",
            duration=timedelta(hours=1),
            **{part: [datetime(1, 1, 1)]},  # type: ignore[arg-type]
        )
    bad = caught.value.value
    assert isinstance(bad, datetime)
    assert bad.year == 1


@pytest.mark.parametrize(
    ("text", "part"),
    [("FREQ=DAILY\nX", "FREQ"), ("FREQ=\x1b[31mDAILY", "FREQ"), ("FREQ=DAILY;WKST=M\nO", "WKST")],
)
def test_a_bad_freq_or_wkst_is_shown_escaped_on_one_line(text: str, part: str) -> None:
    # The raw value went into the message: a newline split the CLI's one-line error and an
    # escape sequence reached the terminal. Every other part is shown with repr().
    with pytest.raises(InvalidRecurrence) as caught:
        parse_rule(text)
    message = str(caught.value)
    assert caught.value.part == part
    assert "\n" not in message
    assert "\x1b" not in message
    assert message.startswith(f"{part}='")


@pytest.mark.parametrize(
    "dtstart",
    [
        "DTSTART;tzid=America/New_York:20260302T180000",
        'DTSTART;TZID="America/New_York":20260302T180000',
        "DTSTART;Tzid=America/New_York;value=DATE-TIME:20260302T180000",
    ],
)
def test_from_ical_lines_reads_parameter_names_in_any_case_and_quoted_values(
    dtstart: str,
) -> None:
    # RFC 5545 3.2: parameter names are case-insensitive and values may be quoted. A
    # lowercase "tzid" was ignored, so the class ran at 18:00 UTC (13:00 in New York),
    # and a quoted TZID was refused as an unknown zone.
    lines = [
        dtstart,
        "DURATION:PT1H",
        "RRULE:FREQ=WEEKLY;COUNT=2",
        'EXDATE;tzid="America/New_York":20260309T180000',
        "RDATE;value=date-time;tzid=America/New_York:20260310T180000",
    ]
    rec = Recurrence.from_ical_lines(lines)
    assert rec.tz == NY
    assert rec.start == datetime(2026, 3, 2, 18, 0)
    assert [o.span.start for o in rec.between(utc(2026, 3, 1), utc(2026, 4, 1))] == [
        utc(2026, 3, 2, 23),
        utc(2026, 3, 10, 22),
    ]


def test_from_ical_lines_refuses_a_floating_dtstart_it_would_read_as_utc() -> None:
    # With neither TZID nor Z, the start was read as UTC: 09:00 meant in Berlin ran at 10:00.
    with pytest.raises(InvalidRecurrence) as caught:
        Recurrence.from_ical_lines(
            ["DTSTART:20260302T090000", "RRULE:FREQ=WEEKLY"], duration=timedelta(hours=1)
        )
    assert caught.value.part == "DTSTART"
    assert "DTSTART;TZID=Europe/Berlin:20260302T090000" in str(caught.value)
    utc = Recurrence.from_ical_lines(
        ["DTSTART:20260302T090000Z", "RRULE:FREQ=WEEKLY"], duration=timedelta(hours=1)
    )
    assert (utc.tz, utc.start) == ("UTC", datetime(2026, 3, 2, 9))
