"""Hostile values for the core's value classes: a SessionKitError naming the value, never bare.

Found by a sweep of the core API outside the services (248 callables, each
argument in turn replaced by hostile values): these constructors and methods
let a bare ``ValueError`` (an integer too long to print), ``RecursionError``
(a list nested too deep to print), ``TypeError``, ``AttributeError``,
``KeyError`` or ``OverflowError`` escape.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta, timezone
from decimal import Decimal
from typing import Any

import attrs
import pytest

from sessionkit import ConflictIndex, Limits, SessionQuery, find_conflicts
from sessionkit.errors import (
    InvalidValue,
    NaiveDatetime,
    NotADatetime,
    NotIndexed,
    SessionKitError,
    WrongType,
)
from sessionkit.lifecycle import Lifecycle, Status, Timer, Transition, get_lifecycle
from sessionkit.lifecycle.context import TransitionContext
from sessionkit.lifecycle.guards import guard_roles, nobody_attended
from sessionkit.lifecycle.presets import individual_nobody_attended
from sessionkit.model import add_months
from sessionkit.model.analytics import ratio
from sessionkit.model.analytics_money import RevenueRow
from sessionkit.model.attendance import (
    AttendanceThresholds,
    Presence,
    derive_attendance,
    override_id,
)
from sessionkit.model.booking import in_session_order, seats_owed, seats_taken, stamped_at
from sessionkit.model.booking_events import booking_event
from sessionkit.model.fields import field_matches, field_value, notes_field
from sessionkit.model.html import cell, html_table
from sessionkit.model.money import Money, minor_unit, sum_money
from sessionkit.model.query import Cursor, sort_value
from sessionkit.model.session import ResourceRef, resource_refs
from sessionkit.model.text import storable
from sessionkit.model.usage import (
    SessionCodes,
    charged_session,
    code_counter,
    entry_id,
    usage_counter,
)
from sessionkit.policies import BookingRules, NoticePolicy, RefundPolicy, check_booking_time
from sessionkit.policies.money import FixedPrice, Rate, SeatPrice
from sessionkit.policies.no_shows import outcome_of, refund_for
from sessionkit.recurrence import Rule
from sessionkit.testing.contract import make_session
from sessionkit.testing.contract.bookings import make_booking
from sessionkit.testing.contract.payments import make_payment
from sessionkit.testing.contract.usage import make_subscription
from sessionkit.timespan import TimeSpan, check_buffer_pair
from sessionkit.zones import EARLIEST, LATEST, local_date_start, wall_time_kind

NOW = datetime(2026, 3, 2, 8, tzinfo=UTC)
H = timedelta(hours=1)
BIG: Any = 10**5000
DEEP: Any = [1]
for _ in range(4999):
    DEEP = [DEEP]
ANY: Any = None
A: Any = "a"
TRUE: Any = True
YES: Any = "yes"
FIVE: Any = 5


CASES: dict[str, Callable[[], object]] = {
    "Rule(10**5000)": lambda: Rule(BIG),
    "Rule(bymonth='a')": lambda: Rule("WEEKLY", bymonth=A),
    "Rule(byday=True)": lambda: Rule("WEEKLY", byday=TRUE),
    # A status's or transition's name is the Lifecycle's to refuse (invalid_name); the
    # status and transition themselves name it in their own refusals.
    "Status(deep list) in a Lifecycle": lambda: Lifecycle(
        "x", [Status(DEEP, initial=True), Status("B", terminal=True)], []
    ),
    "Status(deep list, initial='yes')": lambda: Status(DEEP, initial=YES),
    "Transition(10**5000, ...) in a Lifecycle": lambda: Lifecycle(
        "x",
        [Status("A", initial=True), Status("B", terminal=True)],
        [Transition(BIG, "A", "B")],
    ),
    "Transition(10**5000, 'A', target=5)": lambda: Transition(BIG, "A", FIVE),
    "Lifecycle(10**5000, ...)": lambda: Lifecycle(
        BIG,
        [Status("A", initial=True), Status("B", terminal=True)],
        [Transition("go", "A", "B")],
    ),
    "check_subject(10**5000)": lambda: get_lifecycle("lms").check_subject(BIG),
    "Timer.before(timedelta.max)": lambda: Timer.before("start", timedelta.max),
    "Timer.before_start(timedelta.max)": lambda: Timer.before_start(timedelta.max),
    "find_conflicts(resources=None)": lambda: find_conflicts([make_session("s1")], resources=ANY),
    "find_conflicts(span=None)": lambda: find_conflicts([make_session("s1")], span=ANY),
    "NoticePolicy(bypass=[[1]])": lambda: NoticePolicy(bypass=[[1]]),
    "BookingRules(min_notice=None)": lambda: BookingRules(
        min_notice=ANY, max_horizon=timedelta(days=30)
    ),
    "Session(occurrence_key=True)": lambda: attrs.evolve(make_session("s1"), occurrence_key=TRUE),
    "SessionQuery(page=10**5000)": lambda: SessionQuery(page=BIG),
    "Booking(metadata=True)": lambda: attrs.evolve(make_booking("b1"), metadata=TRUE),
}


@pytest.mark.parametrize("call", CASES.values(), ids=CASES.keys())
def test_a_hostile_value_is_a_sessionkit_error(call: Callable[[], object]) -> None:
    with pytest.raises(SessionKitError):
        call()


def test_span_of_an_unknown_key_is_not_indexed() -> None:
    index: ConflictIndex[str] = ConflictIndex()
    with pytest.raises(NotIndexed) as info:
        index.span_of("nope")
    assert isinstance(info.value, KeyError)  # as the docstring promised, and a sessionkit one


def _rec() -> Any:
    from sessionkit.recurrence import Recurrence

    return Recurrence.from_rrule(
        "FREQ=WEEKLY;BYDAY=MO", start=datetime(2026, 3, 2, 9), tz="Europe/Berlin", duration=H
    )


MORE: dict[str, Callable[[], object]] = {
    "field_value(k, 10**5000)": lambda: field_value("k", BIG),
    "notes_field(deep list, ...)": lambda: notes_field(DEEP, "n"),
    "check_buffer_pair(10**5000, ...)": lambda: check_buffer_pair(BIG, (H, TRUE)),
    "ConflictIndex(buffers={10**5000: ...})": lambda: ConflictIndex(buffers={BIG: (H, TRUE)}),
    "Recurrence.split(datetime.max)": lambda: _rec().split(datetime.max.replace(tzinfo=UTC)),
    "Recurrence.split(datetime.min)": lambda: _rec().split(datetime.min),
    "add_months(9999-12-01, 1)": lambda: add_months(date(9999, 12, 1), 1),
    "add_months(..., 2**63)": lambda: add_months(date(2026, 1, 1), 2**63),
    "Money.rounded(True)": lambda: Money.of("10", "EUR").rounded(TRUE),
}


@pytest.mark.parametrize("call", MORE.values(), ids=MORE.keys())
def test_more_hostile_values_are_sessionkit_errors(call: Callable[[], object]) -> None:
    with pytest.raises(SessionKitError):
        call()


# The rest of the sweep: policy methods and helpers a host may call directly, given a wrong
# type or an instant at the end of the calendar, let a bare Python error escape.
MAX = datetime.max.replace(tzinfo=UTC)
MIN = datetime.min.replace(tzinfo=UTC)
SESSION = make_session("s1")


def _index() -> ConflictIndex[int]:
    index: ConflictIndex[int] = ConflictIndex()
    index.add(1, TimeSpan(NOW, NOW + H), ["room:r1"])
    return index


REST: dict[str, tuple[type[SessionKitError], Callable[[], object]]] = {
    "BookingRules.refusal(None, now)": (WrongType, lambda: BookingRules().refusal(ANY, NOW)),
    "BookingRules.day_of(datetime.max)": (InvalidValue, lambda: BookingRules().day_of(MAX)),
    "BookingRules.week_of(datetime.max)": (InvalidValue, lambda: BookingRules().week_of(MAX)),
    "BookingRules(zone=Berlin).day_of(datetime.max)": (
        InvalidValue,
        lambda: BookingRules(zone="Europe/Berlin").day_of(MAX),
    ),
    "BookingRules(zone=New York).week_of(datetime.min)": (
        InvalidValue,
        lambda: BookingRules(zone="America/New_York").week_of(MIN),
    ),
    "NoticePolicy.may(session=None)": (
        WrongType,
        lambda: NoticePolicy().may("book", "student", ANY, NOW),
    ),
    "NoticePolicy.notice_refusal(session=None)": (
        WrongType,
        lambda: NoticePolicy().notice_refusal("book", "student", ANY, NOW),
    ),
    "NoticePolicy.deadline_for(session=None)": (
        WrongType,
        lambda: NoticePolicy().deadline_for("book", "student", ANY),
    ),
    "NoticePolicy.deadline(None, now)": (WrongType, lambda: NoticePolicy().deadline(ANY, NOW)),
    "NoticePolicy.deadline(session, datetime.max)": (
        InvalidValue,
        lambda: NoticePolicy().deadline(SESSION, MAX),
    ),
    "NoticePolicy.new_time_refusal(datetime.min, datetime.max)": (
        InvalidValue,
        lambda: NoticePolicy().new_time_refusal(MIN, MAX),
    ),
    "Rate.price(None, 1)": (WrongType, lambda: Rate(Money.of("10", "EUR")).price(ANY, 1)),
    "Rate.price(session, 'a')": (WrongType, lambda: Rate(Money.of("10", "EUR")).price(SESSION, A)),
    "FixedPrice.price(None, 1)": (
        WrongType,
        lambda: FixedPrice(Money.of("10", "EUR")).price(ANY, 1),
    ),
    "SeatPrice.price(session, 0)": (
        InvalidValue,
        lambda: SeatPrice(Money.of("10", "EUR")).price(SESSION, 0),
    ),
    "RefundPolicy.no_show_refund(None)": (WrongType, lambda: RefundPolicy().no_show_refund(ANY)),
    "RefundPolicy.host_no_show_refund(None)": (
        WrongType,
        lambda: RefundPolicy().host_no_show_refund(ANY),
    ),
    "RefundPolicy.refund(None, ...)": (
        WrongType,
        lambda: RefundPolicy().refund(ANY, role=None, start=NOW + H, at=NOW),
    ),
    "outcome_of(5)": (WrongType, lambda: outcome_of(FIVE, no_show_session=False)),
    "outcome_of(None, no_show_session='yes')": (
        WrongType,
        lambda: outcome_of(None, no_show_session=YES),
    ),
    "refund_for(None, ...)": (
        WrongType,
        lambda: refund_for(ANY, "no_show", no_show_session=False, paid=Money.of("10", "EUR")),
    ),
    "refund_for(outcome='late')": (
        InvalidValue,
        lambda: refund_for(RefundPolicy(), A, no_show_session=False, paid=Money.of("1", "EUR")),
    ),
    "Cursor.after_row(order, None)": (
        WrongType,
        lambda: Cursor.after_row((("start", "asc"),), ANY),
    ),
    "Cursor.after_row(None, session)": (InvalidValue, lambda: Cursor.after_row(ANY, SESSION)),
    "wall_time_kind(None)": (NotADatetime, lambda: wall_time_kind(ANY, "Europe/Berlin")),
    "wall_time_kind(time(9))": (
        NotADatetime,
        lambda: wall_time_kind(time(9), "Europe/Berlin"),  # type: ignore[arg-type]
    ),
    "local_date_start(None)": (WrongType, lambda: local_date_start(ANY, "Europe/Berlin")),
    "TransitionContext.fact([1])": (WrongType, lambda: TransitionContext(now=NOW).fact(DEEP)),
    "TransitionContext.knows([1])": (WrongType, lambda: TransitionContext(now=NOW).knows(DEEP)),
    "minor_unit([1])": (WrongType, lambda: minor_unit(DEEP)),
    "sum_money(None)": (WrongType, lambda: sum_money(ANY, "EUR")),
    "seats_taken(None)": (WrongType, lambda: seats_taken(ANY, NOW)),
    "seats_taken([1])": (WrongType, lambda: seats_taken([FIVE], NOW)),
    "seats_taken(at=None)": (NotADatetime, lambda: seats_taken([], ANY)),
    "override_id(a lone surrogate)": (
        InvalidValue,
        lambda: override_id("s\ud800", "student:a"),
    ),
    "override_id(None)": (WrongType, lambda: override_id(ANY, "student:a")),
    "usage_counter(10**5000)": (WrongType, lambda: usage_counter(BIG, "2026-03")),
    "code_counter(None)": (WrongType, lambda: code_counter(ANY)),
    "field_matches(None, ...)": (WrongType, lambda: field_matches(ANY, "k", ["a"])),
    "field_matches(key=[1])": (WrongType, lambda: field_matches({"k": "a"}, DEEP, ["a"])),
    "field_matches(values=None)": (WrongType, lambda: field_matches({"k": "a"}, "k", ANY)),
    "resource_refs(most=nan)": (
        WrongType,
        lambda: resource_refs(["room:a", "room:b"], most=float("nan")),  # type: ignore[arg-type]
    ),
    "conflicts_with(exclude='')": (
        WrongType,
        lambda: _index().conflicts_with(TimeSpan(NOW, NOW + H), ["room:r1"], exclude=A),
    ),
    "Limits.check_window(None, None)": (NotADatetime, lambda: Limits().check_window(ANY, ANY)),
    "Limits.check_count('x', ...)": (InvalidValue, lambda: Limits().check_count("x", 1, "it")),
    "Limits.check_count('slots', None, ...)": (
        WrongType,
        lambda: Limits().check_count("slots", ANY, "it"),
    ),
}


@pytest.mark.parametrize(("kind", "call"), REST.values(), ids=REST.keys())
def test_the_rest_of_the_sweep_is_refused_by_type(
    kind: type[SessionKitError], call: Callable[[], object]
) -> None:
    with pytest.raises(kind):
        call()


def test_a_text_exclude_never_matches_by_substring() -> None:
    index: ConflictIndex[str] = ConflictIndex()
    index.add("s", TimeSpan(NOW, NOW + H), ["room:r1"])
    assert index.conflicts_with(TimeSpan(NOW, NOW + H), ["room:r1"], exclude=("s1",)) == ["s"]
    with pytest.raises(WrongType) as info:
        index.conflicts_with(TimeSpan(NOW, NOW + H), ["room:r1"], exclude="s1")
    assert info.value.value == "s1"


def test_the_checked_helpers_still_answer_right_values() -> None:
    booking = make_booking("b1")
    assert seats_taken([booking], NOW) == booking.seats
    assert seats_taken([booking], NOW, excluding="b1") == 0
    assert sum_money(iter([Money.of("1.50", "EUR"), Money.of(2, "EUR")]), "EUR") == Money.of(
        "3.50", "EUR"
    )
    assert field_matches({"k": 3}, "k", iter([3])) is True
    assert field_matches({"k": 3}, "k", (True,)) is False
    assert minor_unit("JPY") == 0
    assert usage_counter("sub-1", "2026-03") == "usage:2026-03:sub-1"
    assert Cursor.after_row((("start", "asc"),), SESSION).id == "s1"
    assert BookingRules().day_of(NOW).start == datetime(2026, 3, 2, tzinfo=UTC)
    assert TransitionContext(now=NOW, facts={"paid": True}).fact("paid") is True


# A second sweep (224 callables named in the core modules' ``__all__``) after those fixes.
SUB = make_subscription("sub1", subscriber="student:a", starts_in_days=-1)
PAY = make_payment("p1")
ROW = RevenueRow(
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
SPAN = TimeSpan(NOW, NOW + H)
STUDENT = ResourceRef("student", "a")

SECOND: dict[str, tuple[type[SessionKitError], Callable[[], object]]] = {
    "Subscription.active_at(naive)": (NaiveDatetime, lambda: SUB.active_at(datetime(2026, 3, 2))),
    "Subscription.period_of(None)": (NotADatetime, lambda: SUB.period_of(ANY)),
    "Subscription.in_force_at(naive)": (
        NaiveDatetime,
        lambda: attrs.evolve(SUB, per="total").in_force_at(datetime(2026, 3, 2)),
    ),
    "Subscription.in_force_at(None)": (NotADatetime, lambda: SUB.in_force_at(ANY)),
    "Subscription.period_end('')": (InvalidValue, lambda: SUB.period_end("")),
    "Subscription.period_end('2026-13')": (InvalidValue, lambda: SUB.period_end("2026-13")),
    "Subscription.period_end('9999-12')": (InvalidValue, lambda: SUB.period_end("9999-12")),
    "SessionCodes.render(n=None)": (WrongType, lambda: SessionCodes().render(tenant="a", n=ANY)),
    "SessionCodes.render(n=10**5000)": (
        InvalidValue,
        lambda: SessionCodes().render(tenant="a", n=BIG),
    ),
    "SessionCodes.render(tenant=deep list)": (
        WrongType,
        lambda: SessionCodes().render(tenant=DEEP, n=1),
    ),
    "check_booking_time(None, ...)": (
        WrongType,
        lambda: check_booking_time(ANY, NOW + H, NOW),
    ),
    "guard_roles(None)": (WrongType, lambda: guard_roles(ANY)),
    "nobody_attended(session, None)": (WrongType, lambda: nobody_attended(SESSION, ANY)),
    "individual_nobody_attended(session, None)": (
        WrongType,
        lambda: individual_nobody_attended(attrs.evolve(SESSION, capacity=1), ANY),
    ),
    "Cursor.decode(text, None)": (
        InvalidValue,
        lambda: Cursor.decode(Cursor.after_row((("start", "asc"),), SESSION).encode(), ANY),
    ),
    "add_months(None, 1)": (WrongType, lambda: add_months(ANY, 1)),
    "RevenueRow.money('')": (InvalidValue, lambda: ROW.money("")),
    "ratio(10**5000, 1)": (InvalidValue, lambda: ratio(BIG, 1)),
    "ratio(None, 1)": (WrongType, lambda: ratio(ANY, 1)),
    "AttendanceThresholds.status(None, ...)": (
        WrongType,
        lambda: AttendanceThresholds().status(ANY, SPAN, H),
    ),
    "AttendanceThresholds.status(span=None)": (
        WrongType,
        lambda: AttendanceThresholds().status([], ANY, H),
    ),
    "Presence.of('acme', None)": (WrongType, lambda: Presence.of("acme", ANY)),
    "derive_attendance(span=None)": (
        WrongType,
        lambda: derive_attendance([], span=ANY, session_id="s1", participant="student:a"),
    ),
    "derive_attendance(records=None)": (
        WrongType,
        lambda: derive_attendance(ANY, span=SPAN, session_id="s1", participant="student:a"),
    ),
    "derive_attendance(thresholds=5)": (
        WrongType,
        lambda: derive_attendance(
            [], span=SPAN, session_id="s1", participant="student:a", thresholds=FIVE
        ),
    ),
    "in_session_order(after=5)": (WrongType, lambda: in_session_order([], after=FIVE)),
    "seats_owed(None)": (WrongType, lambda: seats_owed(ANY)),
    "stamped_at(None)": (WrongType, lambda: stamped_at(ANY)),
    "booking_event(None, ...)": (
        WrongType,
        lambda: booking_event(ANY, ANY, tenant="acme", actor=None),
    ),
    "field_value(10**5000, 'v')": (InvalidValue, lambda: field_value(BIG, "\x00")),
    "html_table(columns=5)": (WrongType, lambda: html_table([{"a": 1}], columns=FIVE)),
    "Payment.gateway_key(10**5000)": (WrongType, lambda: PAY.gateway_key(BIG)),
    "Payment.gateway_key('refund', 10**9)": (
        InvalidValue,
        lambda: PAY.gateway_key("refund", 10**9),
    ),
    "sort_value(session, None)": (InvalidValue, lambda: sort_value(SESSION, ANY)),
    "sort_value(None, 'start')": (WrongType, lambda: sort_value(ANY, "start")),
    "storable(None, 'n')": (WrongType, lambda: storable(ANY, "n")),
    "charged_session('s1', None)": (WrongType, lambda: charged_session("s1", ANY)),
    "entry_id(a lone surrogate, ...)": (
        InvalidValue,
        lambda: entry_id("\ud800", "s1", STUDENT),
    ),
    "entry_id(None, ...)": (WrongType, lambda: entry_id(ANY, "s1", STUDENT)),
}


@pytest.mark.parametrize(("kind", "call"), SECOND.values(), ids=SECOND.keys())
def test_the_second_sweep_is_refused_by_type(
    kind: type[SessionKitError], call: Callable[[], object]
) -> None:
    with pytest.raises(kind):
        call()


def test_cells_of_values_python_cannot_print_are_shown_shortened() -> None:
    assert cell(BIG) == "<int object>"
    assert cell(DEEP) == "<list object>"
    edge = datetime.min.replace(tzinfo=timezone(timedelta(hours=14)))
    assert cell(edge) == "0001-01-01 00:00:00+14:00"  # no UTC equivalent: shown as given


def test_the_second_sweeps_helpers_still_answer_right_values() -> None:
    assert SUB.period_of(NOW) == "2026-03"
    assert SUB.period_end("2026-12") == datetime(2027, 1, 1, tzinfo=UTC)
    # The periods of LATEST and EARLIEST in zones away from UTC still end somewhere.
    far_east = attrs.evolve(SUB, tz="Pacific/Kiritimati")
    assert far_east.period_of(LATEST) == "9000-01"
    assert far_east.period_end("9000-01") == datetime(9000, 1, 31, 10, tzinfo=UTC)
    far_west = attrs.evolve(SUB, tz="America/New_York")  # local mean time then: -4:56:02
    assert far_west.period_of(EARLIEST) == "0999-12"
    assert far_west.period_end("0999-12") == EARLIEST + timedelta(hours=4, minutes=56, seconds=2)
    assert SUB.active_at(NOW) is True
    assert SessionCodes().render(tenant="acme", n=7) == "S-acme-000007"
    assert ratio(1, 4) == 0.25
    assert ratio(1, 0) is None
    assert ROW.money("kept") == Money.of(1, "EUR")
    assert PAY.gateway_key("refund", 2) == "sessionkit:acme:p1:refund:2"
    assert sort_value(SESSION, "start") == SESSION.start
    assert charged_session("s1", {}) == "s1"
    booking = make_booking("b1")
    earlier = (None, booking.created_at - H, "a")
    assert in_session_order([booking], after=earlier) == [booking]
    assert in_session_order([booking], after=booking.session_order) == []
    assert seats_owed([booking]) == 0
    assert add_months(date(2026, 1, 31), 1) == date(2026, 2, 28)
    assert code_counter(" lessons") == "code: lessons"  # SessionCodes allows the space


def test_a_days_rules_span_sessions_after_latest() -> None:
    # A series that starts before LATEST may hold sessions after it; their bookings count
    # per day and week like any other.
    rules = BookingRules(zone="Europe/Berlin")
    start = LATEST + timedelta(days=5, hours=17)
    assert rules.day_of(start) == TimeSpan(
        datetime(9000, 1, 5, 23, tzinfo=UTC), datetime(9000, 1, 6, 23, tzinfo=UTC)
    )
    assert rules.week_of(start) == TimeSpan(  # 9000-01-06 is a Monday
        datetime(9000, 1, 5, 23, tzinfo=UTC), datetime(9000, 1, 12, 23, tzinfo=UTC)
    )
