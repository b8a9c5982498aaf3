"""The public names outside the services, called with hostile values: a SessionKitError or success.

Rule parsing and expansion, iCalendar lines, availability and free slots,
time spans, zones, conflicts, lifecycles and the model's values: each call
must return, or raise a :class:`~sessionkit.errors.SessionKitError` (a wrong
type one that is also a ``TypeError``), within :data:`CALL_BOUND` seconds.
Nothing here touches storage, so examples are cheap: 40 per test.
"""

from __future__ import annotations

import os
import time as clock
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

import attrs
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sessionkit import (
    Availability,
    ConflictIndex,
    Limits,
    Recurrence,
    ResourceRef,
    SessionKitError,
    SessionQuery,
    TimeSpan,
    WindowPolicy,
    common_free_slots,
    common_free_time,
    find_conflicts,
    free_slots,
    free_time,
    get_lifecycle,
    get_zone,
    parse_rule,
    resolve_local,
)
from sessionkit.errors import NotASession, WrongType
from sessionkit.lifecycle.context import TransitionContext
from sessionkit.lifecycle.guards import guard_roles, nobody_attended
from sessionkit.model import add_months
from sessionkit.model.analytics import ratio
from sessionkit.model.analytics_money import RevenueRow
from sessionkit.model.attendance import (
    AttendanceThresholds,
    Presence,
    attended_within,
    derive_attendance,
    intervals_of,
    override_id,
)
from sessionkit.model.booking import (
    BOOKING_LIFECYCLE,
    in_session_order,
    seats_owed,
    seats_taken,
    stamped_at,
)
from sessionkit.model.booking_events import booking_event
from sessionkit.model.fields import field_matches
from sessionkit.model.html import cell, html_table
from sessionkit.model.money import Money, minor_unit, sum_money
from sessionkit.model.query import Cursor, sort_value
from sessionkit.model.session import resource_refs
from sessionkit.model.text import storable
from sessionkit.model.usage import (
    SessionCodes,
    charged_session,
    code_counter,
    entry_id,
    usage_counter,
)
from sessionkit.policies import (
    BookingRules,
    RefundPolicy,
    RefundTier,
    check_booking_time,
    coaching_notice,
)
from sessionkit.policies.money import FixedPrice, Rate, SeatPrice
from sessionkit.policies.no_shows import outcome_of, refund_for
from sessionkit.testing import hostile
from sessionkit.testing.contract import make_session
from sessionkit.testing.contract.attendance import make_presence
from sessionkit.testing.contract.bookings import make_booking
from sessionkit.testing.contract.payments import make_payment
from sessionkit.testing.contract.usage import make_subscription
from sessionkit.zones import local_date_start, wall_time_kind

CALL_BOUND = 30.0
"""Seconds any one call may take, refused or not."""
_EXAMPLES = 400 if os.environ.get("HYPOTHESIS_PROFILE") == "thorough" else 40
NOW = datetime(2026, 3, 2, 8, tzinfo=UTC)
fuzz = settings(
    max_examples=_EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    database=None,
)


def sometimes(valid: Any, *bad: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.one_of(st.just(valid), st.just(valid), *(bad or (hostile.values(),)))


def answers(call: Callable[[], object]) -> None:
    """Run ``call``: it returns, or raises a SessionKitError (a TypeError only as WrongType)."""
    started = clock.perf_counter()
    refused: SessionKitError | None = None
    try:
        result: Any = call()
        if hasattr(result, "__next__"):
            for _ in zip(result, range(10_000), strict=False):  # lazily expanded: take some
                pass
    except SessionKitError as error:
        refused = error
    elapsed = clock.perf_counter() - started
    if refused is not None:
        kind: type = type(refused)
        assert not issubclass(kind, TypeError) or issubclass(kind, (WrongType, NotASession))
    assert elapsed < CALL_BOUND, f"took {elapsed:.1f} s"


instants = hostile.extreme_datetimes
deltas = hostile.extreme_timedeltas
zones = st.one_of(
    st.sampled_from(["Europe/Berlin", "UTC", "Pacific/Apia", "Australia/Lord_Howe"]),
    hostile.text(huge=False),
    hostile.wrong_types(),
)


# ---------------------------------------------------------------------- recurrences


@fuzz
@given(hostile.rules())
def test_parse_rule(text: str) -> None:
    answers(lambda: parse_rule(text))


@fuzz
@given(
    rule=sometimes("FREQ=WEEKLY;BYDAY=MO,WE", hostile.rules()),
    start=sometimes(datetime(2026, 3, 2, 9), instants()),
    tz=sometimes("Europe/Berlin", zones),
    duration=sometimes(timedelta(hours=1), deltas(), hostile.wrong_types()),
    exdates=sometimes((), st.lists(st.one_of(instants(), hostile.wrong_types()), max_size=3)),
    rdates=sometimes((), st.lists(st.one_of(instants(), hostile.wrong_types()), max_size=3)),
    disambiguate=sometimes("compatible", st.sampled_from(["skip", "raise", "x"]), hostile.values()),
    lo=sometimes(NOW, instants(), hostile.wrong_types()),
    hi=sometimes(NOW + timedelta(days=60), instants(), hostile.wrong_types()),
    max_candidates=sometimes(100_000, hostile.hostile_ints(), hostile.wrong_types()),
)
def test_recurrence_expansion(
    rule: Any,
    start: Any,
    tz: Any,
    duration: Any,
    exdates: Any,
    rdates: Any,
    disambiguate: Any,
    lo: Any,
    hi: Any,
    max_candidates: Any,
) -> None:
    def expand() -> object:
        rec = Recurrence.from_rrule(
            rule,
            start=start,
            tz=tz,
            duration=duration,
            exdates=exdates,
            rdates=rdates,
            disambiguate=disambiguate,
        )
        found = list(rec.between(lo, hi, max_candidates=max_candidates))
        again = Recurrence.from_ical_lines(rec.to_ical_lines(), disambiguate=rec.disambiguate)
        if found:
            rec.split(found[-1].key)
        return again

    answers(expand)


@fuzz
@given(
    days=sometimes(("MO",), st.lists(hostile.text(huge=False), max_size=3), hostile.wrong_types()),
    at=sometimes(time(9), hostile.wrong_types(), st.just(time(2, 30))),
    duration=sometimes(timedelta(hours=1), deltas()),
    tz=sometimes("Europe/Berlin", zones),
    start=sometimes(date(2026, 3, 1), st.dates(), hostile.wrong_types()),
    until=sometimes(None, st.dates(), hostile.wrong_types()),
    count=sometimes(None, hostile.hostile_ints()),
    interval=sometimes(1, hostile.hostile_ints(), hostile.wrong_types()),
)
def test_weekly_recurrence(
    days: Any,
    at: Any,
    duration: Any,
    tz: Any,
    start: Any,
    until: Any,
    count: Any,
    interval: Any,
) -> None:
    answers(
        lambda: list(
            Recurrence.weekly(
                days=days,
                at=at,
                duration=duration,
                tz=tz,
                start=start,
                until=until,
                count=count,
                interval=interval,
            ).between(NOW, NOW + timedelta(days=400))
        )
    )


@fuzz
@given(
    st.lists(
        st.one_of(
            hostile.text(huge=False),
            st.builds("RRULE:{}".format, hostile.rules()),
            st.builds("DTSTART;TZID={}:20260302T090000".format, hostile.text(huge=False)),
            st.sampled_from(
                [
                    "DTSTART;TZID=Europe/Berlin:20260302T090000",
                    "DTSTART:99991231T235959Z",
                    "DURATION:PT1H",
                    "DURATION:P99999999W",
                    "DURATION:-PT1H",
                    "EXDATE;VALUE=DATE:20260309",
                    "RDATE:00010101T000000Z",
                ]
            ),
        ),
        max_size=5,
    )
)
def test_ical_lines(lines: list[str]) -> None:
    answers(lambda: Recurrence.from_ical_lines(lines))


# ---------------------------------------------------------------------- availability


@fuzz
@given(
    hours=sometimes(
        {"MO": [(time(9), time(17))]},
        st.dictionaries(
            hostile.text(huge=False),
            st.lists(st.tuples(hostile.values(), hostile.values()), max_size=2),
            max_size=2,
        ),
        hostile.wrong_types(),
    ),
    tz=sometimes("Europe/Berlin", zones),
    busy=sometimes(
        [], st.lists(st.one_of(hostile.wrong_types(), st.just(TimeSpan(NOW, NOW + timedelta(1)))))
    ),
    lo=sometimes(NOW, instants()),
    hi=sometimes(NOW + timedelta(days=14), instants()),
    duration=sometimes(timedelta(minutes=30), deltas()),
    step=sometimes(None, deltas(), hostile.wrong_types()),
    buffer=sometimes(timedelta(0), deltas()),
    notice=sometimes(timedelta(0), deltas()),
    horizon=sometimes(None, deltas()),
    now=sometimes(None, instants()),
    blocked=sometimes(None, st.tuples(st.dates(), st.dates()), hostile.wrong_types()),
    limits=sometimes(None, st.just(Limits(slots=5, window=timedelta(days=3))), hostile.values()),
)
def test_free_time_and_slots(
    hours: Any,
    tz: Any,
    busy: Any,
    lo: Any,
    hi: Any,
    duration: Any,
    step: Any,
    buffer: Any,
    notice: Any,
    horizon: Any,
    now: Any,
    blocked: Any,
    limits: Any,
) -> None:
    def compute() -> object:
        availability = Availability.weekly(hours, tz=tz)
        if isinstance(blocked, tuple):
            availability = availability.with_blocked_range(blocked[0], blocked[1])
        elif blocked is not None:
            availability = availability.with_blocked_date(blocked)
        free_time(availability, busy, window=(lo, hi), buffer_before=buffer, limits=limits)
        availability.covers(TimeSpan(lo, hi))
        common_free_time({"a": (availability, busy)}, window=(lo, hi), limits=limits)
        common_free_slots(
            {"a": (availability, busy), "b": (Availability.always(), [])},
            window=(lo, hi),
            duration=duration,
            step=step,
            buffers={"b": (buffer, buffer)},
            tz=tz,
            limits=limits,
        )
        return free_slots(
            availability,
            busy,
            window=(lo, hi),
            duration=duration,
            step=step,
            buffer_after=buffer,
            min_notice=notice,
            horizon=horizon,
            now=now,
            limits=limits,
        )

    answers(compute)


# ---------------------------------------------------------------------- values


@fuzz
@given(
    start=sometimes(NOW, instants()),
    end=sometimes(NOW + timedelta(hours=1), instants()),
    delta=deltas(),
    tz=zones,
    local=instants(),
    disambiguate=sometimes("compatible", hostile.values()),
)
def test_time_values(
    start: Any, end: Any, delta: Any, tz: Any, local: Any, disambiguate: Any
) -> None:
    def compute() -> object:
        get_zone(tz)
        resolve_local(local, tz, disambiguate=disambiguate)
        span = TimeSpan(start, end)
        span.shift(delta)
        span.padded(before=delta, after=delta)
        span.contains(local)
        span.in_zone(tz)
        return TimeSpan.from_start(start, delta)

    answers(compute)


@fuzz
@given(
    items=st.lists(
        st.tuples(
            st.one_of(st.just(TimeSpan(NOW, NOW + timedelta(hours=1))), hostile.values()),
            sometimes(("teacher:ana",), hostile.values(), st.lists(hostile.values(), max_size=2)),
        ),
        max_size=4,
    ),
    buffers=sometimes(
        None,
        st.dictionaries(st.just("teacher:ana"), st.tuples(deltas(), deltas())),
        hostile.wrong_types(),
    ),
)
def test_conflicts(items: list[tuple[Any, Any]], buffers: Any) -> None:
    def compute() -> object:
        index: ConflictIndex[int] = ConflictIndex(buffers=buffers)
        for key, (span, resources) in enumerate(items):
            index.add(key, span, resources)
        return find_conflicts(
            items, span=lambda item: item[0], resources=lambda item: item[1], buffers=buffers
        )

    answers(compute)


@fuzz
@given(
    query=st.fixed_dictionaries(
        {},
        optional={
            "series_id": hostile.values(),
            "resources": st.one_of(hostile.values(), st.lists(hostile.ids(), max_size=3)),
            "statuses": st.one_of(hostile.values(), st.lists(hostile.values(), max_size=3)),
            "start_from": instants(),
            "start_to": instants(),
            "search": hostile.values(),
            "is_extra": hostile.values(),
            "group": hostile.values(),
            "fields": hostile.metadata(),
            "sort": hostile.values(),
            "descending": hostile.values(),
            "order": st.one_of(hostile.values(), st.lists(hostile.values(), max_size=3)),
            "page": hostile.hostile_ints(),
            "limit": hostile.hostile_ints(),
            "after": hostile.cursors(),
        },
    ),
    limits=st.fixed_dictionaries(
        {},
        optional={
            "sessions_per_materialisation": hostile.hostile_ints(),
            "candidates": hostile.values(),
            "window": deltas(),
            "slots": hostile.values(),
        },
    ),
    policy=st.tuples(hostile.hostile_ints(), st.one_of(deltas(), hostile.wrong_types())),
    rules=st.fixed_dictionaries(
        {},
        optional={
            "min_notice": deltas(),
            "max_horizon": deltas(),
            "max_capacity": hostile.hostile_ints(),
            "per_day": hostile.values(),
            "zone": zones,
            "hold_for": deltas(),
        },
    ),
    ref=st.tuples(hostile.values(), hostile.ids()),
    lifecycle=st.one_of(hostile.text(huge=False), hostile.wrong_types()),
)
def test_model_values(
    query: dict[str, Any],
    limits: dict[str, Any],
    policy: tuple[Any, Any],
    rules: dict[str, Any],
    ref: tuple[Any, Any],
    lifecycle: Any,
) -> None:
    answers(lambda: SessionQuery(**query))
    answers(lambda: Limits(**limits))
    answers(lambda: WindowPolicy(*policy))
    answers(lambda: BookingRules(**rules))
    answers(lambda: ResourceRef(*ref))
    answers(lambda: ResourceRef.parse(ref[1]))
    answers(lambda: get_lifecycle(lifecycle))


# ---------------------------------------------------------------------- policies, helpers

SESSION = make_session("s1")
STUDENT = ResourceRef("student", "a")
EUR = Money.of("40", "EUR")
sessions_or_not = sometimes(SESSION, hostile.values())
moneys = sometimes(EUR, hostile.values())
now_or_not = sometimes(NOW, instants(), hostile.wrong_types())


@fuzz
@given(
    session=sessions_or_not,
    now=now_or_not,
    other=now_or_not,
    seats=sometimes(1, hostile.hostile_ints(), hostile.wrong_types()),
    action=sometimes("book", hostile.values()),
    role=sometimes("student", hostile.values()),
    paid=moneys,
    outcome=sometimes("no_show", st.sampled_from(["attended", None]), hostile.values()),
    flag=sometimes(False, hostile.values()),
)
def test_policy_methods(
    session: Any,
    now: Any,
    other: Any,
    seats: Any,
    action: Any,
    role: Any,
    paid: Any,
    outcome: Any,
    flag: Any,
) -> None:
    rules = BookingRules(min_notice=timedelta(hours=2), per_day=2, zone="Europe/Berlin")
    notice = coaching_notice()
    refunds = RefundPolicy(
        tiers=(RefundTier(notice=timedelta(hours=24), percent=50),),
        no_show_percent=10,
        no_show_fee=Money.of(5, "EUR"),
    )
    answers(lambda: rules.refusal(session, now))
    answers(lambda: rules.publishing_refusal(now, other))
    answers(lambda: rules.day_of(now))
    answers(lambda: rules.week_of(now))
    answers(lambda: notice.may(action, role, session, now))
    answers(lambda: notice.notice_refusal(action, role, session, now))
    answers(lambda: notice.deadline_for(action, role, session))
    answers(lambda: notice.deadline(session, now))
    answers(lambda: notice.new_time_refusal(now, other))
    for pricing in (Rate(EUR), FixedPrice(EUR), SeatPrice(EUR)):
        answers(lambda pricing=pricing: pricing.price(session, seats))  # type: ignore[misc]
    answers(lambda: refunds.refund(paid, role=role, start=now, at=other))
    answers(lambda: refunds.no_show_refund(paid))
    answers(lambda: refunds.host_no_show_refund(paid))
    answers(lambda: outcome_of(outcome, no_show_session=flag))
    answers(lambda: refund_for(refunds, outcome, no_show_session=flag, paid=paid))


@fuzz
@given(
    local=st.one_of(instants(), hostile.wrong_types()),
    day=st.one_of(st.dates(), hostile.wrong_types()),
    tz=zones,
    ids=st.tuples(hostile.ids(), hostile.ids()),
    amounts=sometimes([EUR], st.lists(hostile.values(), max_size=2), hostile.values()),
    bookings=sometimes([make_booking("b1")], st.lists(hostile.values(), max_size=2)),
    at=now_or_not,
    fields=sometimes({"k": 1}, hostile.metadata(), hostile.values()),
    key=sometimes("k", hostile.values()),
    values=sometimes((1,), hostile.values()),
    exclude=sometimes((), hostile.values()),
    session=sessions_or_not,
    order=sometimes((("start", "asc"),), hostile.values()),
    name=sometimes("paid", hostile.values()),
    most=sometimes(2, hostile.hostile_ints(), hostile.wrong_types()),
)
def test_helpers(
    local: Any,
    day: Any,
    tz: Any,
    ids: tuple[Any, Any],
    amounts: Any,
    bookings: Any,
    at: Any,
    fields: Any,
    key: Any,
    values: Any,
    exclude: Any,
    session: Any,
    order: Any,
    name: Any,
    most: Any,
) -> None:
    answers(lambda: wall_time_kind(local, tz))
    answers(lambda: local_date_start(day, tz))
    answers(lambda: override_id(ids[0], ids[1]))
    answers(lambda: usage_counter(ids[0], ids[1]))
    answers(lambda: code_counter(ids[0]))
    answers(lambda: minor_unit(ids[0]))
    answers(lambda: sum_money(amounts, "EUR"))
    answers(lambda: seats_taken(bookings, at))
    answers(lambda: field_matches(fields, key, values))
    answers(lambda: Cursor.after_row(order, session))
    answers(lambda: TransitionContext(now=NOW, facts={"paid": True}).fact(name))
    answers(lambda: resource_refs(["room:a", "room:b"], most=most))
    answers(lambda: Limits().check_window(at, local))
    answers(lambda: Limits().check_count(name, most, "it"))
    plan = make_subscription("sub1")
    answers(lambda: plan.active_at(at))
    answers(lambda: plan.period_of(at))
    answers(lambda: plan.period_end(ids[0]))
    answers(lambda: plan.in_force_at(at))
    answers(lambda: attrs.evolve(plan, per="total").in_force_at(at))
    answers(lambda: SessionCodes().render(tenant=ids[0], n=most))
    answers(lambda: check_booking_time(BookingRules(), at, local))
    answers(lambda: guard_roles(values))
    answers(lambda: add_months(day, most))
    answers(lambda: ratio(most, most))
    answers(lambda: sort_value(session, name))
    answers(lambda: charged_session(ids[0], fields))
    answers(lambda: entry_id(ids[0], ids[1], STUDENT))
    answers(lambda: in_session_order(bookings, after=order))
    answers(lambda: seats_owed(bookings))
    answers(lambda: cell(amounts))
    index: ConflictIndex[str] = ConflictIndex()
    index.add("s1", TimeSpan(NOW, NOW + timedelta(hours=1)), ["room:a"])
    answers(
        lambda: index.conflicts_with(
            TimeSpan(NOW, NOW + timedelta(hours=1)), ["room:a"], exclude=exclude
        )
    )


JOINED = make_presence("e1", participant="student:a")
HELD_BOOKING = make_booking("b1", status="HELD", hold_until=1.0)
CONFIRMED_BOOKING, CONFIRMING = BOOKING_LIFECYCLE.fire(HELD_BOOKING, "confirm", now=NOW)
PAYMENT = make_payment("p1")
REVENUE = RevenueRow(
    key=None,
    currency="EUR",
    payments=1,
    booked=Decimal(1),
    paid=Decimal(1),
    refunded=Decimal(0),
    refund_due=Decimal(0),
    kept=Decimal(1),
    pending=Decimal(0),
)


@fuzz
@given(
    context=sometimes(TransitionContext(now=NOW, facts={"attended": 0}), hostile.values()),
    name=sometimes("attended", hostile.values()),
    cursor=sometimes(
        Cursor.after_row((("start", "asc"),), SESSION).encode(), hostile.cursors(), hostile.values()
    ),
    order=sometimes((("start", "asc"),), hostile.values()),
    records=sometimes([JOINED], st.lists(hostile.values(), max_size=2), hostile.values()),
    stays=sometimes(intervals_of([JOINED]), st.lists(hostile.values(), max_size=2)),
    span=sometimes(TimeSpan(NOW, NOW + timedelta(hours=1)), hostile.values()),
    attended=sometimes(timedelta(minutes=30), deltas(), hostile.wrong_types()),
    as_of=sometimes(None, instants(), hostile.wrong_types()),
    thresholds=sometimes(None, hostile.values()),
    event=sometimes(JOINED, hostile.values()),
    booking=sometimes(CONFIRMED_BOOKING, hostile.values()),
    change=sometimes(CONFIRMING, hostile.values()),
    operation=sometimes("refund", hostile.ids(), hostile.values()),
    n=sometimes(1, hostile.hostile_ints(), hostile.wrong_types()),
    text=sometimes("a", hostile.text(huge=False), hostile.values()),
    rows=sometimes([{"a": 1}], st.lists(hostile.metadata(), max_size=2), hostile.values()),
    columns=sometimes(None, st.lists(hostile.values(), max_size=2), hostile.values()),
    figure=sometimes("kept", hostile.values()),
)
def test_attendance_booking_and_report_helpers(
    context: Any,
    name: Any,
    cursor: Any,
    order: Any,
    records: Any,
    stays: Any,
    span: Any,
    attended: Any,
    as_of: Any,
    thresholds: Any,
    event: Any,
    booking: Any,
    change: Any,
    operation: Any,
    n: Any,
    text: Any,
    rows: Any,
    columns: Any,
    figure: Any,
) -> None:
    answers(lambda: nobody_attended(SESSION, context))
    answers(lambda: TransitionContext(now=NOW, facts={"attended": 1}).knows(name))
    answers(lambda: Cursor.decode(cursor, order))
    answers(lambda: AttendanceThresholds().status(stays, span, attended))
    answers(lambda: Presence.of("acme", event))
    answers(lambda: intervals_of(records))
    answers(lambda: attended_within(stays, span, as_of))
    answers(
        lambda: derive_attendance(
            records,
            span=span,
            session_id="s1",
            participant="student:a",
            thresholds=thresholds,
            as_of=as_of,
        )
    )
    answers(lambda: stamped_at(booking))
    answers(lambda: booking_event(booking, change, tenant="acme", actor=None))
    answers(lambda: PAYMENT.gateway_key(operation, n))
    answers(lambda: storable(text, "text"))
    answers(lambda: html_table(rows, columns=columns))
    answers(lambda: REVENUE.money(figure))


# ---------------------------------------------------------------------- valid, but extreme

EDGE_ZONES = ["Europe/Berlin", "Pacific/Apia", "Australia/Lord_Howe", "Pacific/Kiritimati", "UTC"]
edge_instants = st.one_of(
    st.datetimes(
        min_value=datetime(1000, 1, 1), max_value=datetime(1000, 3, 1), timezones=st.just(UTC)
    ),
    st.datetimes(
        min_value=datetime(8999, 11, 1), max_value=datetime(8999, 12, 31), timezones=st.just(UTC)
    ),
    st.datetimes(
        min_value=datetime(2011, 12, 25), max_value=datetime(2012, 1, 5), timezones=st.just(UTC)
    ),
    st.datetimes(
        min_value=datetime(2026, 3, 20), max_value=datetime(2026, 11, 5), timezones=st.just(UTC)
    ),
)
small_deltas = st.sampled_from(
    [
        timedelta(microseconds=1),
        timedelta(seconds=1),
        timedelta(minutes=7),
        timedelta(minutes=30),
        timedelta(hours=1),
        timedelta(hours=25),
        timedelta(days=1),
    ]
)


@fuzz
@given(
    zone=st.sampled_from(EDGE_ZONES),
    lo=edge_instants,
    length=st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=20)),
    duration=small_deltas,
    step=st.one_of(st.none(), small_deltas),
    busy=st.lists(st.tuples(st.timedeltas(timedelta(0), timedelta(days=20)), small_deltas)),
    hours=st.sampled_from(
        [
            {"MO": [(time(0), time(0))]},
            {code: [(time(1, 30), time(3, 30))] for code in ("MO", "TU", "WE", "TH", "FR", "SA")},
            {"SU": [(time(22), time(0))], "SA": [(time(0), time(23, 59, 59, 999_999))]},
        ]
    ),
)
def test_slots_near_the_edges(
    zone: str,
    lo: datetime,
    length: timedelta,
    duration: timedelta,
    step: timedelta | None,
    busy: list[tuple[timedelta, timedelta]],
    hours: dict[str, list[tuple[time, time]]],
) -> None:
    def compute() -> object:
        availability = Availability.weekly(hours, tz=zone).with_blocked_date(lo.date())
        spans = [TimeSpan(lo + offset, lo + offset + width) for offset, width in busy]
        return free_slots(
            availability,
            spans,
            window=(lo, lo + length),
            duration=duration,
            step=step,
            buffer_before=duration,
            now=lo,
            min_notice=duration,
        )

    answers(compute)


@fuzz
@given(
    rule=hostile.rules(),
    zone=st.sampled_from(EDGE_ZONES),
    start=st.one_of(
        st.datetimes(min_value=datetime(1, 1, 1), max_value=datetime(1, 2, 1)),
        st.datetimes(min_value=datetime(9999, 11, 1), max_value=datetime(9999, 12, 31)),
        st.datetimes(min_value=datetime(1000, 1, 1), max_value=datetime(9000, 1, 1)),
    ),
    lo=st.one_of(edge_instants, st.just(datetime.min.replace(tzinfo=UTC))),
    length=st.sampled_from([timedelta(days=7), timedelta(days=3660), timedelta.max]),
)
def test_expansion_near_the_edges(
    rule: str, zone: str, start: datetime, lo: datetime, length: timedelta
) -> None:
    def compute() -> object:
        rec = Recurrence.from_rrule(
            rule, start=start.replace(microsecond=0), tz=zone, duration=timedelta(hours=1)
        )
        hi = datetime.max.replace(tzinfo=UTC) if length == timedelta.max else lo + length
        return rec.between(lo, hi)

    answers(compute)
