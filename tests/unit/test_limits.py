"""Issue 10 item 9: every call is bounded by Limits and fails fast with LimitExceeded.

Each finding of the outside attack is pinned here with the numbers it was
reported with: the call now refuses within a second or two, names the limit,
the value and the maximum, and stores nothing.
"""

from __future__ import annotations

import time as clock
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta

import pytest

from sessionkit import (
    Availability,
    ExpansionLimitExceeded,
    InvalidValue,
    LimitExceeded,
    Limits,
    Recurrence,
    SessionKitError,
    WrongType,
    common_free_time,
    free_slots,
    free_time,
)
from sessionkit.limits import CEILING, DEFAULT_LIMITS
from sessionkit.model import ScheduleItem, WindowPolicy
from sessionkit.recurrence import MAX_CANDIDATES
from sessionkit.services import SeriesSpec, SessionKit
from sessionkit.testing.harness import Harness

NOW = datetime(2026, 3, 2, 8, tzinfo=UTC)
T = "acme"


RUNAWAY = 30.0
"""CPU seconds that only a runaway reaches: the findings ran for minutes or out of memory.

A backstop, not a speed test: each test pins the work done with the error's own
numbers (a cap that tripped within a period of its maximum, a count worked out
rather than built). A 3 s bound failed on a loaded CI machine at 3.1 s of CPU
for a call taking 0.6 s on an idle one.
"""


def quickly(call: Callable[[], object]) -> LimitExceeded:
    """Run ``call``, which must raise LimitExceeded without running away; return the error."""
    started = clock.process_time()
    with pytest.raises(LimitExceeded) as caught:
        call()
    assert clock.process_time() - started < RUNAWAY
    return caught.value


def item(rule: str, *, start: datetime = datetime(2026, 3, 2, 9)) -> ScheduleItem:
    return ScheduleItem(
        "i1",
        Recurrence.from_rrule(rule, start=start, tz="Europe/Berlin", duration=timedelta(seconds=1)),
        ["teacher:ana"],
    )


@pytest.fixture
def h() -> Harness:
    return Harness.in_memory(NOW)


def test_the_defaults_are_generous_and_documented() -> None:
    assert Limits() == DEFAULT_LIMITS
    assert DEFAULT_LIMITS.sessions_per_materialisation == 10_000
    assert DEFAULT_LIMITS.candidates == MAX_CANDIDATES == 100_000
    assert DEFAULT_LIMITS.window == timedelta(days=3_660)
    assert DEFAULT_LIMITS.slots == 10_000


def test_limit_errors_are_value_errors_with_the_limit_value_and_maximum() -> None:
    error = LimitExceeded("slots", 20_001, 10_000, what="slots")
    assert isinstance(error, SessionKitError)
    assert isinstance(error, ValueError)
    assert (error.name, error.value, error.maximum) == ("slots", 20_001, 10_000)
    assert "20,001 is more than Limits.slots allows (10,000)" in str(error)
    assert issubclass(ExpansionLimitExceeded, LimitExceeded)
    assert issubclass(ExpansionLimitExceeded, RuntimeError)  # as it always was


@pytest.mark.parametrize(
    "changes",
    [
        {"sessions_per_materialisation": 0},
        {"candidates": -1},
        {"slots": True},
        {"slots": "many"},
        {"window": timedelta(0)},
        {"window": CEILING + timedelta(days=1)},
        {"window": 10},
    ],
)
def test_limits_themselves_are_checked(changes: dict[str, object]) -> None:
    with pytest.raises(SessionKitError):
        Limits(**changes)  # type: ignore[arg-type]  # the point: wrong at run time


@pytest.mark.parametrize(
    ("changes", "error"),
    [
        ({"slots": "10"}, WrongType),
        ({"candidates": 1.5}, WrongType),
        ({"sessions_per_materialisation": None}, WrongType),
        ({"slots": True}, WrongType),
        ({"window": 3660}, WrongType),
        ({"slots": 0}, InvalidValue),
        ({"candidates": -1}, InvalidValue),
    ],
)
def test_a_limit_of_the_wrong_type_is_wrong_type_and_out_of_range_invalid(
    changes: dict[str, object], error: type[SessionKitError]
) -> None:
    # docs/limits.md: wrong types anywhere raise WrongType (also a TypeError).
    with pytest.raises(error) as caught:
        Limits(**changes)  # type: ignore[arg-type]  # the point: wrong at run time
    assert isinstance(caught.value, TypeError) is (error is WrongType)
    [name] = changes
    assert f"Limits.{name}" in str(caught.value)


def test_the_kit_takes_limits_and_nothing_else() -> None:
    with pytest.raises(WrongType):
        SessionKit(
            uow=Harness.in_memory(NOW).store.unit_of_work,
            clock=Harness.in_memory(NOW).clock,
            limits="generous",  # type: ignore[arg-type]  # the point: wrong at run time
        )


# ---------------------------------------------------------------------- sessions per call


def test_a_secondly_series_is_refused_before_it_builds_878400_sessions(h: Harness) -> None:
    # Reported: one series.create made 878,400 sessions using about 2 GB.
    error = quickly(
        lambda: h.kit.series.create(
            T, actor=None, title="flood", items=[item("FREQ=SECONDLY;INTERVAL=6")]
        )
    )
    assert error.name == "sessions_per_materialisation"
    assert error.maximum == 10_000
    assert error.value == 10_001
    assert h.kit.queries.list(T).total == 0


def test_sessions_per_materialisation_is_configurable(h: Harness) -> None:
    small = SessionKit(
        uow=h.store.unit_of_work, clock=h.clock, limits=Limits(sessions_per_materialisation=3)
    )
    weekly = item("FREQ=WEEKLY;BYDAY=MO")
    with pytest.raises(LimitExceeded) as caught:
        small.series.create(T, actor=None, title="Algebra", items=[weekly])
    assert (caught.value.name, caught.value.maximum) == ("sessions_per_materialisation", 3)
    # Within the limit all is as before; the default kit makes the whole window.
    _, report = h.kit.series.create(T, actor=None, title="Algebra", items=[weekly])
    assert len(report.created) == 9
    batch = SessionKit(
        uow=h.store.unit_of_work, clock=h.clock, limits=Limits(sessions_per_materialisation=12)
    )
    # Two series of 9 sessions each: 18 in the batch, more than 12.
    specs = [
        SeriesSpec(title=day, items=[item(f"FREQ=WEEKLY;BYDAY={day}")]) for day in ("TU", "WE")
    ]
    with pytest.raises(LimitExceeded):
        batch.series.create_many("other", actor=None, specs=specs)
    assert h.kit.queries.list("other").total == 0


# ---------------------------------------------------------------------- candidate cost


def test_a_minutely_rule_with_bysecond_trips_its_cap_in_about_a_second() -> None:
    # Reported: 135 s before the cap of a million periods tripped (60 dates a period).
    seconds = ",".join(str(n) for n in range(60))
    rec = Recurrence.from_rrule(
        f"FREQ=MINUTELY;BYSECOND={seconds}",
        start=datetime(2026, 3, 2),
        tz="UTC",
        duration=timedelta(seconds=1),
    )
    error = quickly(lambda: list(rec.between(NOW, NOW + timedelta(days=30))))
    assert isinstance(error, ExpansionLimitExceeded)
    assert (error.name, error.maximum) == ("candidates", 100_000)
    assert isinstance(error.value, int)
    # Dates are counted, not periods: the cap trips within a few periods of its
    # maximum (the finding counted a million periods, 60 million dates).
    assert 100_000 < error.value < 110_000


def test_a_rule_that_never_matches_costs_milliseconds_not_a_scan_to_9999() -> None:
    rec = Recurrence.from_rrule(
        "FREQ=YEARLY;BYSETPOS=-366;BYYEARDAY=1",
        start=datetime(2026, 3, 2),
        tz="Europe/Berlin",
        duration=timedelta(hours=1),
    )
    # Ten candidates' worth of work at most, where a scan to 9999 costs thousands.
    assert list(rec.between(NOW, NOW + timedelta(days=3_650), max_candidates=10)) == []


HOUR = timedelta(hours=1)


def test_the_dtstart_bounds_are_instants_and_the_refusal_names_them() -> None:
    for start in (datetime(1, 1, 3), datetime(9999, 12, 29)):
        assert (
            Recurrence.from_rrule("FREQ=DAILY;COUNT=1", start=start, tz="UTC", duration=HOUR).start
            == start
        )
    for start in (datetime(1, 1, 2, 23, 59), datetime(9999, 12, 29, 9)):
        with pytest.raises(InvalidValue) as refused:
            Recurrence.from_rrule("FREQ=DAILY;COUNT=1", start=start, tz="UTC", duration=HOUR)
        assert str(refused.value) == (
            f"DTSTART {start.isoformat()} in UTC must lie between 0001-01-03 00:00 and"
            " 9999-12-29 00:00 UTC"
        )


def test_a_count_rule_walking_from_year_one_is_bounded() -> None:
    with pytest.raises(InvalidValue, match="DTSTART"):  # its UTC instant is in year 0
        Recurrence.from_rrule(
            "FREQ=MONTHLY", start=datetime(1, 1, 1), tz="Europe/Berlin", duration=timedelta(1)
        )
    rec = Recurrence.from_rrule(
        "FREQ=MONTHLY;COUNT=999999999",
        start=datetime(1, 1, 5),
        tz="Europe/Berlin",
        duration=timedelta(hours=1),
    )
    error = quickly(lambda: list(rec.between(NOW, NOW + timedelta(days=30))))
    assert error.name == "candidates"


def test_candidates_per_expansion_are_configurable_for_the_services(h: Harness) -> None:
    tight = SessionKit(uow=h.store.unit_of_work, clock=h.clock, limits=Limits(candidates=20))
    with pytest.raises(ExpansionLimitExceeded):
        tight.series.create(T, actor=None, title="daily", items=[item("FREQ=DAILY;BYHOUR=9,17")])
    assert h.kit.queries.list(T).total == 0


# ---------------------------------------------------------------------- windows


def test_materialise_to_the_end_of_time_is_refused_at_once(h: Harness) -> None:
    series, _ = h.kit.series.create(T, actor=None, title="Algebra", items=[item("FREQ=WEEKLY")])
    before = h.kit.queries.list(T).total
    with pytest.raises(InvalidValue, match="outside the instants"):
        h.kit.series.materialise(
            T, series.id, actor=None, start=NOW, end=datetime.max.replace(tzinfo=UTC)
        )
    error = quickly(
        lambda: h.kit.series.materialise(
            T, series.id, actor=None, start=NOW, end=NOW + timedelta(days=3_661)
        )
    )
    assert (error.name, error.value, error.maximum) == (
        "window",
        timedelta(days=3_661),
        timedelta(days=3_660),
    )
    assert h.kit.queries.list(T).total == before


@pytest.mark.parametrize(
    "policy",
    [WindowPolicy(initial_months=121), WindowPolicy(buffer=timedelta(days=3_661))],
)
def test_a_window_policy_longer_than_the_limit_is_refused_at_creation(
    h: Harness, policy: WindowPolicy
) -> None:
    error = quickly(
        lambda: h.kit.series.create(
            T, actor=None, title="long", items=[item("FREQ=WEEKLY")], window=policy
        )
    )
    assert error.name == "window"
    assert h.kit.queries.list(T).total == 0


def test_agendas_and_bookable_windows_are_bounded(h: Harness) -> None:
    far = NOW + timedelta(days=4_000)
    quickly(lambda: h.kit.queries.agenda(T, "teacher:ana", start=NOW, end=far))
    quickly(lambda: h.kit.bookings.bookable(T, start=NOW, end=far))
    with pytest.raises(LimitExceeded) as caught:  # a limit, as queries.agenda's (limits.md)
        h.kit.bookings.agenda(T, "student:ana", days=4_000)
    assert (caught.value.name, caught.value.value, caught.value.maximum) == (
        "window",
        timedelta(days=4_000),
        timedelta(days=3_660),
    )
    with pytest.raises(InvalidValue, match="days must be"):
        h.kit.bookings.agenda(T, "student:ana", days=0)


# ---------------------------------------------------------------------- slots


WEEKDAYS = Availability.weekly(
    {code: [(time(9), time(17))] for code in ("MO", "TU", "WE", "TH", "FR")}, tz="Europe/Berlin"
)


def test_free_slots_every_microsecond_are_refused_before_they_are_built() -> None:
    # Reported: out of memory after 74 s over 14 days.
    error = quickly(
        lambda: free_slots(
            WEEKDAYS,
            [],
            window=(NOW, NOW + timedelta(days=14)),
            duration=timedelta(minutes=30),
            step=timedelta(microseconds=1),
        ),
    )
    # Counted, not built: the first day alone has 27 billion start times (7.5 h at 1 us).
    assert (error.name, error.value, error.maximum) == ("slots", 27_000_000_001, 10_000)


def test_slots_and_windows_of_the_availability_functions_are_configurable() -> None:
    window = (NOW, NOW + timedelta(days=14))
    slots = free_slots(WEEKDAYS, [], window=window, duration=timedelta(hours=1))
    assert len(slots) == 80
    with pytest.raises(LimitExceeded) as caught:
        free_slots(
            WEEKDAYS, [], window=window, duration=timedelta(hours=1), limits=Limits(slots=79)
        )
    assert caught.value.maximum == 79
    with pytest.raises(LimitExceeded):
        free_time(WEEKDAYS, [], window=window, limits=Limits(window=timedelta(days=13)))
    with pytest.raises(LimitExceeded):
        free_time(WEEKDAYS, [], window=(NOW, NOW + timedelta(days=3_661)))


def test_the_availability_functions_give_recurrences_the_candidates_limit() -> None:
    # A recurring availability is expanded with Limits.candidates, as the docs say, not
    # with the default whatever the caller passed.
    minutely = Recurrence.from_rrule(
        "FREQ=MINUTELY", start=datetime(2026, 1, 1), tz="UTC", duration=timedelta(seconds=30)
    )
    every_minute = Availability.from_recurrences([minutely], tz="UTC")
    day = (NOW, NOW + timedelta(days=1))
    assert len(free_time(every_minute, [], window=day)) == 1440
    calls: list[Callable[[Limits], object]] = [
        lambda limits: free_time(every_minute, [], window=day, limits=limits),
        lambda limits: free_slots(
            every_minute, [], window=day, duration=timedelta(seconds=30), limits=limits
        ),
        lambda limits: common_free_time({"room": (every_minute, [])}, window=day, limits=limits),
    ]
    for call in calls:
        with pytest.raises(ExpansionLimitExceeded) as caught:
            call(Limits(candidates=100))
        assert caught.value.maximum == 100
    # 35 days is past the default of 100,000 candidates and inside 200,000 (as a year's
    # 525,600 minutes was inside 2,000,000, which took 5 s to prove the same).
    past_default = (NOW, NOW + timedelta(days=35))
    assert DEFAULT_LIMITS.candidates == 100_000
    with pytest.raises(ExpansionLimitExceeded) as caught:
        free_time(every_minute, [], window=past_default)
    assert caught.value.maximum == 100_000
    roomy = Limits(candidates=200_000)
    assert len(free_time(every_minute, [], window=past_default, limits=roomy)) == 50_400


def test_a_transition_day_with_a_tiny_step_builds_only_what_it_returns() -> None:
    # The DST day used to build its whole grid first: 86,400,000,000 points at 1 us.
    lo = datetime(2026, 3, 29, 0, 59, 59, tzinfo=UTC)  # just before Berlin's clocks jump
    slots = free_slots(
        Availability.always(tz="Europe/Berlin"),
        [],
        window=(lo, lo + timedelta(seconds=3)),
        duration=timedelta(seconds=1),
        step=timedelta(microseconds=250_000),
    )
    assert len(slots) == 9
    assert slots[0].start == lo


def test_top_up_reports_a_series_past_a_lowered_limit_and_carries_on(h: Harness) -> None:
    weekly = item("FREQ=WEEKLY;BYDAY=MO")
    series, _ = h.kit.series.create(
        T, actor=None, title="Algebra", items=[weekly], window=WindowPolicy(initial_months=1)
    )
    h.kit.series.create(
        "beta", actor=None, title="Algebra", items=[weekly], window=WindowPolicy(initial_months=1)
    )
    before = h.kit.queries.list(T).total
    tight = SessionKit(
        uow=h.store.unit_of_work, clock=h.clock, limits=Limits(window=timedelta(days=5))
    )
    # Ten days on, each series wants its next 10 days: more than the limit allows.
    report = tight.top_up(now=NOW + timedelta(days=10))
    assert report.checked == 2
    assert {(f.tenant, f.series_id) for f in report.failed} >= {(T, series.id)}
    assert len(report.failed) == 2
    assert all(isinstance(f.error, LimitExceeded) for f in report.failed)
    assert h.kit.queries.list(T).total == before
    assert h.kit.top_up(now=NOW + timedelta(days=10)).failed == ()


def test_expansion_and_dates_stay_inside_what_a_datetime_holds() -> None:
    rec = Recurrence.weekly(
        days=("FR",), at=time(23), duration=timedelta(days=10), tz="UTC", start=date(9999, 12, 1)
    )
    with pytest.raises(InvalidValue, match="end after year 9999"):
        list(rec.between(datetime(9999, 12, 1, tzinfo=UTC), datetime.max.replace(tzinfo=UTC)))
