"""numpy integers (``df["seats"].sum()``) are taken wherever an int is, and kept as plain ints."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta
from decimal import Decimal

import numpy as np
import pytest

from sessionkit.adapters.memory import InMemoryStore
from sessionkit.errors import InvalidValue, WrongType
from sessionkit.lifecycle import Transition
from sessionkit.limits import Limits
from sessionkit.model.analytics import ratio
from sessionkit.model.money import Money
from sessionkit.model.query import SessionQuery
from sessionkit.model.series import WindowPolicy, add_months
from sessionkit.policies import BookingRules, NoticePolicy, RefundTier
from sessionkit.recurrence import Recurrence, Rule, Weekday
from sessionkit.services import SessionKit
from sessionkit.testing.clocks import ManualClock
from sessionkit.testing.harness import Harness

T0 = datetime.fromisoformat("2026-03-02T09:00:00+00:00")
TENANT = "acme"


def _kit() -> SessionKit:
    return Harness.in_memory(T0 - timedelta(days=1)).kit


def _session_capacity(n: object) -> object:
    kit = _kit()
    made = kit.sessions.create_extra(
        TENANT,
        actor="u",
        start=T0,
        end=T0 + timedelta(hours=1),
        lifecycle="consulting",
        capacity=n,  # type: ignore[arg-type]
    )
    assert made.capacity == kit.queries.get(TENANT, made.id).capacity
    return kit.queries.get(TENANT, made.id).capacity


def _booking_seats(n: object) -> object:
    kit = _kit()
    made = kit.sessions.create_extra(
        TENANT, actor="u", start=T0, end=T0 + timedelta(hours=1), lifecycle="consulting", capacity=5
    )
    booking = kit.bookings.book(TENANT, made.id, "student:ana", actor="u", seats=n)  # type: ignore[arg-type]
    return kit.bookings.get(TENANT, booking.id).seats


def _progress_total(n: object) -> object:
    return _kit().analytics.progress(TENANT, SessionQuery(), total=n).total  # type: ignore[arg-type]


def _attempts(n: object) -> object:
    store = InMemoryStore()
    kit = SessionKit(uow=store.unit_of_work, clock=ManualClock(T0), attempts=n)  # type: ignore[arg-type]
    return kit.context.attempts


# Each takes the integral value and returns what sessionkit kept of it, and what 3 gives.
ENTRY_POINTS: dict[str, tuple[Callable[[object], object], object]] = {
    "SessionQuery.limit": (lambda n: SessionQuery(limit=n).limit, 3),  # type: ignore[arg-type]
    "SessionQuery.page": (lambda n: SessionQuery(page=n).page, 3),  # type: ignore[arg-type]
    "Limits.slots": (lambda n: Limits(slots=n).slots, 3),  # type: ignore[arg-type]
    "WindowPolicy.initial_months": (
        lambda n: WindowPolicy(initial_months=n).initial_months,  # type: ignore[arg-type]
        3,
    ),
    "Money.from_minor_units": (
        lambda n: Money.from_minor_units(n, "EUR").amount,  # type: ignore[arg-type]
        Decimal("0.03"),
    ),
    "Money.of": (lambda n: Money.of(n, "EUR").amount, Decimal("3.00")),  # type: ignore[arg-type]
    "ratio": (lambda n: ratio(n, 4), 0.75),  # type: ignore[arg-type]
    "add_months": (lambda n: add_months(date(2026, 1, 31), n), date(2026, 4, 30)),  # type: ignore[arg-type]
    "sessions.create_extra(capacity=)": (_session_capacity, 3),
    "bookings.book(seats=)": (_booking_seats, 3),
    "analytics.progress(total=)": (_progress_total, 3),
    "SessionKit(attempts=)": (_attempts, 3),
    "bookings.agenda(days=)": (
        lambda n: _kit().bookings.agenda(TENANT, "student:ana", days=n),  # type: ignore[arg-type]
        [],
    ),
    "bookings.expire_due(limit=)": (
        lambda n: _kit().bookings.expire_due(TENANT, limit=n).expired,  # type: ignore[arg-type]
        0,
    ),
    "Rule.interval": (lambda n: Rule("WEEKLY", interval=n).interval, 3),  # type: ignore[arg-type]
    "Rule.count": (lambda n: Rule("WEEKLY", count=n).count, 3),  # type: ignore[arg-type]
    "Rule.bymonthday": (lambda n: Rule("MONTHLY", bymonthday=(n,)).bymonthday[0], 3),  # type: ignore[arg-type]
    "Weekday.weekday": (lambda n: Weekday(n).weekday, 3),  # type: ignore[arg-type]
    "BookingRules.max_capacity": (
        lambda n: BookingRules(max_capacity=n).max_capacity,  # type: ignore[arg-type]
        3,
    ),
    "NoticePolicy.max_reschedules": (
        lambda n: NoticePolicy(max_reschedules=n).max_reschedules,  # type: ignore[arg-type]
        3,
    ),
    "NoticePolicy.reason_length": (
        lambda n: NoticePolicy(reason_length=(n, 500)).reason_length[0],
        3,
    ),
    "RefundTier.percent": (
        lambda n: RefundTier(notice=timedelta(hours=1), percent=n).percent,
        Decimal(3),
    ),
    "Transition.max_notes": (
        lambda n: Transition("go", "A", "B", max_notes=n).max_notes,  # type: ignore[arg-type]
        3,
    ),
}


@pytest.mark.parametrize("kind", [np.int64, np.int32, np.uint8])
@pytest.mark.parametrize("entry", sorted(ENTRY_POINTS))
def test_a_numpy_integer_is_taken_and_kept_as_a_plain_int(entry: str, kind: type) -> None:
    call, expected = ENTRY_POINTS[entry]
    kept = call(kind(3))
    assert kept == call(3) == expected
    assert type(kept) is type(expected)


@pytest.mark.parametrize("entry", sorted(ENTRY_POINTS))
def test_a_bool_is_still_refused(entry: str) -> None:
    call, _ = ENTRY_POINTS[entry]
    with pytest.raises((WrongType, InvalidValue)):  # a capacity of True was ever InvalidValue
        call(True)


@pytest.mark.parametrize("kind", [np.int64, np.int32])
def test_an_expansion_budget_may_be_a_numpy_integer(kind: type) -> None:
    rule = Recurrence.from_rrule("FREQ=DAILY", start=T0, tz="UTC", duration=timedelta(hours=1))
    got = rule.between(T0, T0 + timedelta(days=2), max_candidates=kind(100_000))
    assert [o.span.start for o in got] == [T0, T0 + timedelta(days=1)]
    with pytest.raises(WrongType):
        list(rule.between(T0, T0 + timedelta(days=2), max_candidates=True))


@pytest.mark.parametrize("kind", [np.int64, np.int32])
def test_an_own_field_s_numpy_integer_is_kept_and_matched_as_an_int(kind: type) -> None:
    # A numpy float (a float subclass) was taken and a numpy integer refused as not JSON.
    kit = _kit()
    made = kit.sessions.create_extra(
        TENANT,
        actor="u",
        start=T0,
        end=T0 + timedelta(hours=1),
        lifecycle="consulting",
        metadata={"level": kind(3), "scores": [kind(1), 2]},
    )
    kept = kit.queries.get(TENANT, made.id).metadata
    assert kept == {"level": 3, "scores": [1, 2]}
    assert type(kept["level"]) is int
    assert type(kept["scores"][0]) is int
    found = kit.queries.list(TENANT, SessionQuery(fields={"level": kind(3)}))
    assert [s.id for s in found.items] == [made.id]
    assert SessionQuery(fields={"level": [kind(3), kind(4)]}).fields == (("level", (3, 4)),)
