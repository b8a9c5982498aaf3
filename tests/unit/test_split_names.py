"""What a split module moved still reads from the public one, as it did before the split.

A module split past STYLE's ~400 lines keeps its definitions in private modules
and exports them under its own name: a moved class or function shows, pickles
and resolves its type hints under the public module, its values pickle naming
that module only, and a contract keeps its tests in their order.
:data:`SPLITS` holds each split model, policy, schema and contract module to
that (one test per check, parametrized), and the second round of splits
(``test_split_names_model2.py``) also to its ``__all__`` and its moved names'
type hints (the services' moved names are in ``test_split_names_services2.py``); what is
particular to one module (its hints, reprs, the values it computes) has a test
of its own. ``test_split_names_contract.py`` holds the contract, demo and SQL
repository splits. ``_split_guard.py`` holds what these modules share.
"""

from __future__ import annotations

import pickle
import typing
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from importlib import import_module
from types import ModuleType
from typing import Any

import pytest
from tests.unit._split_guard import (
    AT,
    Split,
    analytics_values,
    payments_values,
    pickled_names,
    query_values,
    records_values,
    rooms_values,
    split_id,
)

from sessionkit.model.money import Money
from sessionkit.timespan import TimeSpan


def _booking_values(booking: ModuleType) -> list[Any]:
    listed = booking.BookableSession(
        session_id="s1", title="Yoga", start=AT, end=AT + timedelta(hours=1), capacity=3,
        taken=1, remaining=2,
    )  # fmt: skip
    return [listed, booking.Seating(taken=1)]


def _attendance_values(attendance: ModuleType) -> list[Any]:
    at = datetime(2026, 3, 2, 17, tzinfo=UTC)
    event = attendance.PresenceEvent(
        provider="meet", event_id="e1", session_id="s1", participant="student:ana",
        action=attendance.JOIN, at=at,
    )  # fmt: skip
    told = attendance.AttendanceOverride(
        id="o1", tenant="acme", session_id="s1", participant="student:ana",
        status=attendance.PRESENT, decided_at=at,
    )  # fmt: skip
    return [
        event,
        attendance.Presence.of("acme", event, at),
        told,
        attendance.AttendanceThresholds(),
        attendance.Interval(joined=at, left=None),
    ]


def _usage_values(usage: ModuleType) -> list[Any]:
    plan = usage.Subscription(
        id="sub1", tenant="academy", subscriber="student:ana", credits=8, tz="Asia/Riyadh",
        starts=AT, created_at=AT,
    )  # fmt: skip
    code = usage.SessionCode(id="s1", tenant="academy", code="S-1", counter="code:x", number=1)
    return [plan, code, usage.SessionCodes(prefix="QSE")]


def _notice_values(notice: ModuleType) -> list[Any]:
    rule = notice.NoticeRule("cancel", frozenset({"student"}), timedelta(hours=24))
    window = notice.NoticeWindow("cancel", timedelta(hours=2), frozenset({"host"}))
    policy = notice.NoticePolicy(rules=(rule,), windows=(window,), max_reschedules=2)
    return [rule, window, policy, notice.coaching_notice()]


def _payment_values(payment: ModuleType) -> list[Any]:
    event = payment.PaymentEvent(
        provider="fake", event_id="ev1", type="refunded", occurred_at=AT, payment_id="p1",
        amount=Money.of(10, "EUR"),
    )  # fmt: skip
    receipt = payment.ReceivedEvent(
        id="fake:ev1", tenant="acme", payment_id="p1", type="refunded", outcome="applied",
        received_at=AT,
    )  # fmt: skip
    paid = payment.Payment(
        id="p1", tenant="acme", booking_id="b1", session_id="s1", participant="student:ana",
        session_start=AT, amount=Money.of(60, "EUR"), provider="fake", created_at=AT,
        status=payment.PAID,
    )  # fmt: skip
    changed = payment.PaymentChanged(tenant="acme", actor="host:1", at=AT, payment=paid)
    return [event, receipt, paid, changed]


def _money_policy_values(money: ModuleType) -> list[Any]:
    tier = money.RefundTier(
        timedelta(hours=24), 50, fee=[Money.of(12, "USD"), Money.of(10, "EUR")]
    )  # fmt: skip
    return [
        money.Rate(Money.of("40", "EUR")),
        money.FixedPrice(Money.of(90, "EUR")),
        money.SeatPrice(Money.of(15, "EUR")),
        tier,
        money.RefundPolicy(tiers=(tier,), no_show_fee=Money.of(5, "EUR")),
    ]


def _session_values(session: ModuleType) -> list[Any]:
    ref = session.ResourceRef("teacher", "t-17")
    fields = session.frozen_mapping({"b": [1, {"z": 2, "a": 1}], "a": "x"})
    lesson = session.Session(
        id="s1", tenant="acme", title="Maths", span=TimeSpan(AT, AT + timedelta(hours=1)),
        tz="UTC", status="OPEN", lifecycle="marketplace", busy=True, created_at=AT,
        resources=["room:r1", ref], metadata=fields,
    )  # fmt: skip
    return [ref, fields, lesson]


SPLITS = [
    Split(
        "sessionkit.model.booking",
        "BookableSession Seating check_seats participant_ref in_session_order keeps_its_seats"
        " seats_owed seats_taken stamped_at session_order_key",
        _booking_values,
    ),
    Split(
        "sessionkit.model.attendance",
        "PresenceEvent Presence AttendanceOverride override_id AttendanceThresholds Interval"
        " intervals_of connections_of attended_within",
        _attendance_values,
    ),
    Split(
        "sessionkit.model.usage",
        "Subscription check_period SessionCode SessionCodes code_counter",
        _usage_values,
    ),
    Split(
        "sessionkit.model.payment",
        "PaymentEvent ReceivedEvent check_provider_name",
        _payment_values,
    ),
    Split(
        "sessionkit.model.session",
        "ResourceRef resource_refs FrozenFields frozen_mapping",
        _session_values,
    ),
    Split(
        "sessionkit.policies.notice",
        "NoticeRule NoticeWindow check_role check_case fold_index role_set",
        _notice_values,
    ),
    Split(
        "sessionkit.policies.money",
        "Pricing Rate FixedPrice SeatPrice RefundTier",
        _money_policy_values,
    ),
    Split(
        # Migrations, Alembic's env.py and hosts' own migrations import these from schema.
        "sessionkit.adapters.sqlalchemy.schema",
        "check_bind check_character_set check_database_chosen database_faults migration_lock"
        " own_connection refuse_autocommit target_first_on_path target_schema",
    ),
    Split("sessionkit.testing.contract.analytics", "make_payment make_seat seed_analytics"),
    Split("sessionkit.availability.slots", "free_time common_free_time free_slots"),
    Split("sessionkit.contrib.plot", "timeline"),
    # The second round: each module's __all__ is the one it had, each moved name resolves.
    Split(
        "sessionkit.model.query",
        "Cursor sort_value",
        query_values,
        exported="MAX_LIMIT SORT_FIELDS Cursor Direction Page SessionQuery SortField SortKey"
        " SortValue sort_value",
        hinted=True,
    ),
    Split(
        "sessionkit.model.records",
        "Values",
        records_values,
        exported="ATTENDANCE BOOKING PAYMENT RESCHEDULE SCHEMAS SERIES SESSION SUBSCRIPTION USAGE"
        " Column ColumnType Record Schema Values column_values schema_of to_records",
        hinted=True,
    ),
    Split(
        "sessionkit.model.analytics",
        "StatusCount KeyCount TimingCount PaymentTotal ClientBookings every_group",
        analytics_values,
        exported="COUNT_DIMENSIONS REVENUE_DIMENSIONS ClientBookings ClientMoney ClientRow"
        " ClientStats CountBy Counts KeyCount Outcomes PaymentTotal Progress RateRow Rates Revenue"
        " RevenueBy RevenueRow StatusCount TimingCount ratio",
        hinted=True,
    ),
    # The wall-clock hours' checks moved; no public class or function did.
    Split(
        "sessionkit.availability.model",
        "",
        exported="WEEKDAY_CODES Availability HasSpan OccurrenceSource Window",
        hinted=True,
    ),
    Split(
        "sessionkit.testing.payments",
        "FakeIntent",
        payments_values,
        exported="FakeGateway FakeIntent",
        hinted=True,
    ),
    Split(
        "sessionkit.testing.rooms",
        "FakeRoom",
        rooms_values,
        exported="FakeMeetingRooms FakeRoom",
        hinted=True,
    ),
    Split("sessionkit.testing.contract.fields", "expected_order", exported="", hinted=True),
]


@pytest.mark.parametrize("split", [s for s in SPLITS if s.exported is not None], ids=split_id)
def test_the_module_keeps_its_public_names(split: Split) -> None:
    module = import_module(split.module)
    if not split.exported:
        assert not hasattr(module, "__all__")
        return
    assert module.__all__ == split.exported.split()
    for name in module.__all__:
        assert hasattr(module, name), name


@pytest.mark.parametrize("split", SPLITS, ids=split_id)
def test_moved_names_show_pickle_and_resolve_as_the_public_modules(split: Split) -> None:
    module = import_module(split.module)
    for name in split.moved.split():
        moved = getattr(module, name)
        assert moved.__module__ == split.module, moved
        # Pickled by name: the public module's, which gives back the very object.
        assert pickle.loads(pickle.dumps(moved)) is moved
        assert pickled_names(moved) == {split.module}
        if split.hinted:
            # Annotations resolve in the module __module__ names (attrs, Hypothesis, FastAPI).
            assert typing.get_type_hints(moved)


@pytest.mark.parametrize("split", [s for s in SPLITS if s.values], ids=split_id)
def test_moved_values_pickle_naming_the_public_module_only(split: Split) -> None:
    module = import_module(split.module)
    private = split.module.rsplit(".", 1)[0] + "._"
    assert split.values is not None
    for value in split.values(module):
        assert pickle.loads(pickle.dumps(value)) == value
        assert split.module in pickled_names(value)
        assert not any(name.startswith(private) for name in pickled_names(value)), value


def test_booking_still_exports_session_order_key() -> None:
    # A public name of booking.py before the split, left in _booking_values without an import.
    from sessionkit.model.booking import session_order_key

    at = datetime(2026, 3, 2, 9, tzinfo=UTC)
    assert session_order_key((None, at, "b1")) == (True, 0, at, "b1")
    assert session_order_key((2, at, "b1")) == (False, 2, at, "b1")


def test_usage_hints_resolve_and_its_values_read_as_before() -> None:
    from sessionkit.model import usage
    from sessionkit.model.session import ResourceRef

    for value in _usage_values(usage):
        # Annotations resolve in the module __module__ names (attrs.resolve_types, Hypothesis).
        assert str in typing.get_type_hints(type(value)).values()
    assert typing.get_type_hints(usage.Subscription)["subscriber"] is ResourceRef
    assert repr(usage.SessionCodes(prefix="QSE")) == (
        "SessionCodes(prefix='QSE', format='{prefix}-{tenant}-{n:06d}', counter='session')"
    )
    assert usage.check_period("2026-03") == "2026-03"
    assert usage.code_counter("x") == "code:x"


def test_notice_hints_resolve_and_its_values_read_as_before() -> None:
    from sessionkit.policies import notice

    rule = notice.NoticeRule("cancel", frozenset({"student"}), timedelta(hours=24))
    assert typing.get_type_hints(notice.NoticeRule)["notice"] is timedelta
    assert typing.get_type_hints(notice.NoticeWindow)["only"] == frozenset[str]
    assert repr(rule) == (
        "NoticeRule(action='cancel', roles=frozenset({'student'}), "
        "notice=datetime.timedelta(days=1))"
    )
    assert notice.fold_index(["Student", "student"]) == {"student": ("Student", "student")}


def test_payment_hints_resolve_and_its_values_read_as_before() -> None:
    from sessionkit.model import payment

    event, receipt, paid, _ = _payment_values(payment)
    hints = typing.get_type_hints(payment.PaymentEvent)
    assert hints["type"] == payment.PaymentEventType
    assert hints["occurred_at"] is datetime
    assert hints["amount"] == Money | None
    assert typing.get_type_hints(payment.ReceivedEvent)["received_at"] is datetime
    assert typing.get_type_hints(payment.Payment)["due"] == payment.Due | None
    assert repr(receipt) == (
        "ReceivedEvent(id='fake:ev1', tenant='acme', payment_id='p1', type='refunded', "
        "outcome='applied', received_at=datetime.datetime(2026, 3, 2, 9, 0, "
        "tzinfo=datetime.timezone.utc), version=1)"
    )
    assert repr(event).startswith("PaymentEvent(provider='fake', event_id='ev1', type='refunded'")
    assert payment.check_provider_name("stripe", "provider") == "stripe"
    assert paid.kept == Money.of(Decimal("60.00"), "EUR")
    assert payment.PAYMENT_LIFECYCLE.fire(paid, "refund", now=AT)[0].status == payment.REFUNDED
    assert {"PAID", "PARTIALLY_REFUNDED", "REFUNDED"} == payment.PAID_STATUSES


def test_money_policy_hints_resolve_and_its_values_read_as_before() -> None:
    from sessionkit.policies import money

    rate, _, _, tier, policy = _money_policy_values(money)
    assert isinstance(rate, money.Pricing)
    assert typing.get_type_hints(money.Rate) == {"amount": Money, "per": timedelta}
    hints = typing.get_type_hints(money.RefundTier)
    assert hints["fee"] == money.Fee | None
    assert hints["percent"] is Decimal
    assert typing.get_type_hints(money.RefundPolicy)["tiers"] == tuple[money.RefundTier, ...]
    assert repr(tier) == (
        "RefundTier(notice=datetime.timedelta(days=1), percent=Decimal('50'), "
        "fee=(Money(amount=Decimal('10'), currency='EUR'), "
        "Money(amount=Decimal('12'), currency='USD')))"
    )
    assert repr(rate) == (
        "Rate(amount=Money(amount=Decimal('40'), currency='EUR'), "
        "per=datetime.timedelta(seconds=3600))"
    )
    at = datetime(2026, 3, 4, 16, tzinfo=UTC)
    paid = Money.of("60", "EUR")
    back = policy.refund(paid, role="participant", start=at, at=at - timedelta(hours=30))
    assert back == Money.of("20.00", "EUR")  # half of 60, less the 10 EUR fee


def test_session_hints_resolve_and_its_values_read_as_before() -> None:
    import inspect
    from collections.abc import Mapping

    import attrs

    from sessionkit.model import session

    ref, fields, lesson = _session_values(session)
    assert pickle.loads(pickle.dumps(lesson)).metadata == fields
    assert typing.get_type_hints(session.ResourceRef) == {"kind": str, "id": str}
    hints = typing.get_type_hints(session.Session)
    assert hints["resources"] == tuple[session.ResourceRef, ...]
    assert hints["metadata"] == Mapping[str, Any]
    assert repr(ref) == "ResourceRef(kind='teacher', id='t-17')"
    assert repr(fields) == "FrozenFields({'a': 'x', 'b': [1, {'a': 1, 'z': 2}]})"
    assert lesson.resources == (session.ResourceRef("room", "r1"), ref)  # sorted
    # One empty mapping, shared by every record without own fields, however it is made.
    empty = inspect.signature(session.Session.unchecked).parameters["metadata"].default
    assert session.frozen_mapping(None) is empty
    assert session.frozen_mapping({}) is empty
    assert attrs.evolve(lesson, title="Physics").metadata is lesson.metadata


def test_schema_keeps_its_names() -> None:
    from sessionkit.adapters.sqlalchemy import schema
    from sessionkit.adapters.sqlalchemy.schema import (  # noqa: F401  # importable, as before
        VERSION_TABLE,
        _mysql_lock_key,
        check_bind,
        database_faults,
        own_connection,
        refuse_autocommit,
        target_first_on_path,
    )

    assert schema.__all__ == [
        "EXCLUSION_DDL", "check_character_set", "check_database_chosen", "create_schema",
        "drop_schema", "install_exclusion_constraint", "migration_lock", "target_schema",
        "Amount", "ExactText", "JSONValue", "LocalDateTime", "UTCDateTime", "key_type",
    ]  # fmt: skip
    assert VERSION_TABLE == "sessionkit_alembic_version"


def test_the_analytics_contract_keeps_its_tests_and_names() -> None:
    # Third-party stores subclass AnalyticsContract: its tests stay its own, under their names.
    from sessionkit.testing.contract import analytics
    from sessionkit.testing.contract.analytics import make_seat  # noqa: F401  # importable

    assert analytics.__all__ == ["AnalyticsContract", "make_payment", "seed_analytics"]
    tests = [name for name in dir(analytics.AnalyticsContract) if name.startswith("test_")]
    assert set(tests) >= {
        "test_counts_by_status_for_the_tenant_only",
        "test_counts_by_kind_resource_and_participant",
        "test_counts_over_a_window_and_a_scope",
        "test_an_empty_any_of_scope_counts_no_session",
        "test_a_scope_searching_own_fields_counts_what_the_query_lists",
        "test_rates_count_a_rescheduled_session_once_and_not_as_cancelled",
        "test_revenue_per_currency_and_provider",
        "test_client_statistics",
        "test_holds_that_ran_out_count_in_no_figure",
        "test_a_payment_waiting_for_a_seat_counts_in_no_figure",
        "test_a_waiting_payment_whose_place_ran_out_counts_as_the_job_leaves_it",
        "test_progress_of_a_package",
        "test_bad_arguments_are_refused_with_what_was_expected",
    }


def test_the_query_contract_keeps_its_tests_in_their_order() -> None:
    # Third-party stores subclass StorageContract: these tests stay QueryContract's, in order.
    from sessionkit.testing.contract import StorageContract
    from sessionkit.testing.contract.queries import QueryContract

    assert issubclass(StorageContract, QueryContract)
    # pytest collects the bases' tests first (reverse method-resolution order).
    tests = [
        name
        for klass in reversed(QueryContract.__mro__)
        for name in vars(klass)
        if name.startswith("test_")
    ]
    assert tests == [
        "test_busy_overlapping",
        "test_for_series",
        "test_due",
        "test_due_pages_and_due_tenants",
        "test_due_keeps_the_statuses_each_lifecycle_times",
        "test_claim_returns_the_tenants_records_by_id",
        "test_query_filters",
        "test_an_empty_any_of_list_matches_no_session",
        "test_query_filters_compare_exactly",
        "test_query_search_folds_unicode_case",
        "test_query_search_finds_titles_whatever_their_case",
        "test_query_sorts_with_id_as_tiebreaker",
        "test_offset_pages_with_totals",
        "test_an_offset_page_continues_with_its_cursor",
        "test_cursor_pages_through_everything_once",
        "test_cursor_paging_with_filters_and_an_exact_last_page",
        "test_a_cursor_survives_a_deleted_row",
    ]
    assert QueryContract.UNICODE_TITLES[0] == "İstanbul"


def test_slots_keeps_its_public_names() -> None:
    from collections.abc import Mapping

    from sessionkit.availability import Calendar, slots
    from sessionkit.availability.slots import Buffers, Pairs  # importable, as before

    assert slots.__all__ == ["common_free_slots", "common_free_time", "free_slots", "free_time"]
    assert Calendar is slots.Calendar
    assert Pairs == list[tuple[datetime, datetime]]
    # Annotations resolve in the module the functions name (Sphinx, FastAPI, Hypothesis).
    hints = typing.get_type_hints(slots.common_free_slots)
    assert hints["resources"] == Mapping[typing.Any, Calendar]
    assert hints["buffers"] == Buffers | None


def test_plot_keeps_its_names_and_its_matplotlib_optional() -> None:
    from tests._fresh_python import run_python

    from sessionkit.contrib import plot

    assert plot.__all__ == ["CONFLICT_COLOR", "STATUS_COLORS", "timeline"]
    # Each module alone, as a lint or a type checker's plugin may import it: no matplotlib.
    out = run_python(
        """
        import sys, sessionkit.contrib._plot_checks, sessionkit.contrib._plot_axis
        print('matplotlib' in sys.modules)
        """
    )
    assert out == ["False"]


def test_moved_service_reports_pickle_and_resolve_under_the_public_module() -> None:
    from sessionkit.model.reschedule import RescheduleRequest
    from sessionkit.services import reschedules

    report = reschedules.RescheduleReport(failed=(("r1", ValueError("x")),), more=True)
    assert pickle.loads(pickle.dumps(report)) == report
    assert "sessionkit.services.reschedules" in pickled_names(report)
    assert not any(".services._" in name for name in pickled_names(report))
    hints = typing.get_type_hints(reschedules.RescheduleReport)
    assert hints["approved"] == tuple[RescheduleRequest, ...]
    assert hints["failed"] == tuple[tuple[str, Exception], ...]
    assert repr(report) == (
        "RescheduleReport(approved=(), expired=(), failed=(('r1', ValueError('x')),), more=True,"
        " bookings_expired=0, seats_offered=0)"
    )
