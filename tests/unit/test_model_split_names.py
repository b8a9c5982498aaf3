"""What the split model modules moved still reads from the public ones, as it did.

``sessionkit.model.booking``, ``sessionkit.model.attendance`` and
``sessionkit.model.usage`` keep their definitions in private modules
(``_booking_*``, ``_attendance_*``, ``_presence_events``, ``_usage_*``) and
export them under their own names; so does ``sessionkit.policies.notice``
(``_notice_rules``, ``_notice_roles``), ``sessionkit.adapters.sqlalchemy.schema``
(``_schema_*``) and ``sessionkit.testing.contract.analytics`` (``_analytics_*``).
"""

from __future__ import annotations

import pickle
from datetime import UTC, datetime, timedelta


def test_booking_still_exports_session_order_key() -> None:
    # A public name of booking.py before the split, left in _booking_values without an import.
    from sessionkit.model.booking import session_order_key

    at = datetime(2026, 3, 2, 9, tzinfo=UTC)
    assert session_order_key((None, at, "b1")) == (True, 0, at, "b1")
    assert session_order_key((2, at, "b1")) == (False, 2, at, "b1")
    assert session_order_key.__module__ == "sessionkit.model.booking"


def _pickled_names(value: object) -> set[str]:
    """The modules a pickle of ``value`` names (its classes' and functions' paths)."""
    import pickletools

    names: set[str] = set()
    for op, arg, _ in pickletools.genops(pickle.dumps(value, protocol=2)):
        if op.name == "GLOBAL":
            names.add(str(arg).split(" ")[0])
    return names


def test_moved_booking_values_keep_the_public_module() -> None:
    from sessionkit.model import booking

    for moved in (
        booking.BookableSession, booking.Seating, booking.check_seats, booking.participant_ref,
        booking.in_session_order, booking.keeps_its_seats, booking.seats_owed,
        booking.seats_taken, booking.stamped_at,
    ):  # fmt: skip
        assert moved.__module__ == "sessionkit.model.booking", moved
    at = datetime(2026, 3, 2, 9, tzinfo=UTC)
    listed = booking.BookableSession(
        session_id="s1", title="Yoga", start=at, end=at + timedelta(hours=1), capacity=3,
        taken=1, remaining=2,
    )  # fmt: skip
    seating = booking.Seating(taken=1)
    for value in (listed, seating):
        assert pickle.loads(pickle.dumps(value)) == value
        assert "sessionkit.model.booking" in _pickled_names(value)
        assert not any(".model._" in name for name in _pickled_names(value))


def test_moved_attendance_values_keep_the_public_module() -> None:
    from sessionkit.model import attendance

    for moved in (
        attendance.PresenceEvent, attendance.Presence, attendance.AttendanceOverride,
        attendance.override_id, attendance.AttendanceThresholds, attendance.Interval,
        attendance.intervals_of, attendance.connections_of, attendance.attended_within,
    ):  # fmt: skip
        assert moved.__module__ == "sessionkit.model.attendance", moved
    at = datetime(2026, 3, 2, 17, tzinfo=UTC)
    event = attendance.PresenceEvent(
        provider="meet", event_id="e1", session_id="s1", participant="student:ana",
        action=attendance.JOIN, at=at,
    )  # fmt: skip
    told = attendance.AttendanceOverride(
        id="o1", tenant="acme", session_id="s1", participant="student:ana",
        status=attendance.PRESENT, decided_at=at,
    )  # fmt: skip
    for value in (
        event,
        attendance.Presence.of("acme", event, at),
        told,
        attendance.AttendanceThresholds(),
        attendance.Interval(joined=at, left=None),
    ):
        assert pickle.loads(pickle.dumps(value)) == value
        assert "sessionkit.model.attendance" in _pickled_names(value)
        assert not any(".model._" in name for name in _pickled_names(value))


def test_moved_usage_values_keep_the_public_module() -> None:
    import typing

    from sessionkit.model import usage
    from sessionkit.model.session import ResourceRef

    for moved in (
        usage.Subscription, usage.check_period, usage.SessionCode, usage.SessionCodes,
        usage.code_counter,
    ):  # fmt: skip
        assert moved.__module__ == "sessionkit.model.usage", moved
    at = datetime(2026, 3, 2, 9, tzinfo=UTC)
    plan = usage.Subscription(
        id="sub1", tenant="academy", subscriber="student:ana", credits=8, tz="Asia/Riyadh",
        starts=at, created_at=at,
    )  # fmt: skip
    code = usage.SessionCode(id="s1", tenant="academy", code="S-1", counter="code:x", number=1)
    codes = usage.SessionCodes(prefix="QSE")
    for value in (plan, code, codes):
        assert pickle.loads(pickle.dumps(value)) == value
        assert "sessionkit.model.usage" in _pickled_names(value)
        assert not any(".model._" in name for name in _pickled_names(value))
        # Annotations resolve in the module __module__ names (attrs.resolve_types, Hypothesis).
        assert str in typing.get_type_hints(type(value)).values()
    assert typing.get_type_hints(usage.Subscription)["subscriber"] is ResourceRef
    assert repr(codes) == (
        "SessionCodes(prefix='QSE', format='{prefix}-{tenant}-{n:06d}', counter='session')"
    )
    assert usage.check_period("2026-03") == "2026-03"
    assert usage.code_counter("x") == "code:x"


def test_moved_notice_values_keep_the_public_module() -> None:
    import typing

    from sessionkit.policies import notice

    for moved in (
        notice.NoticeRule, notice.NoticeWindow, notice.check_role, notice.check_case,
        notice.fold_index, notice.role_set,
    ):  # fmt: skip
        assert moved.__module__ == "sessionkit.policies.notice", moved
    rule = notice.NoticeRule("cancel", frozenset({"student"}), timedelta(hours=24))
    window = notice.NoticeWindow("cancel", timedelta(hours=2), frozenset({"host"}))
    policy = notice.NoticePolicy(rules=(rule,), windows=(window,), max_reschedules=2)
    for value in (rule, window, policy, notice.coaching_notice()):
        assert pickle.loads(pickle.dumps(value)) == value
        assert "sessionkit.policies.notice" in _pickled_names(value)
        assert not any(".policies._" in name for name in _pickled_names(value))
    assert typing.get_type_hints(notice.NoticeRule)["notice"] is timedelta
    assert typing.get_type_hints(notice.NoticeWindow)["only"] == frozenset[str]
    assert repr(rule) == (
        "NoticeRule(action='cancel', roles=frozenset({'student'}), "
        "notice=datetime.timedelta(days=1))"
    )
    assert notice.fold_index(["Student", "student"]) == {"student": ("Student", "student")}


def test_moved_schema_functions_keep_the_public_module() -> None:
    # Migrations, Alembic's env.py and hosts' own migrations import these from schema.
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
    for moved in (
        schema.check_bind, schema.check_character_set, schema.check_database_chosen,
        schema.database_faults, schema.migration_lock, schema.own_connection,
        schema.refuse_autocommit, schema.target_first_on_path, schema.target_schema,
    ):  # fmt: skip
        assert moved.__module__ == "sessionkit.adapters.sqlalchemy.schema", moved
        assert pickle.loads(pickle.dumps(moved)) is moved
        assert _pickled_names(moved) == {"sessionkit.adapters.sqlalchemy.schema"}
    assert VERSION_TABLE == "sessionkit_alembic_version"


def test_the_analytics_contract_keeps_its_tests_and_names() -> None:
    # Third-party stores subclass AnalyticsContract: its tests stay its own, under their names.
    from sessionkit.testing.contract import analytics
    from sessionkit.testing.contract.analytics import make_seat

    assert analytics.__all__ == ["AnalyticsContract", "make_payment", "seed_analytics"]
    for moved in (analytics.make_payment, make_seat, analytics.seed_analytics):
        assert moved.__module__ == "sessionkit.testing.contract.analytics", moved
        assert pickle.loads(pickle.dumps(moved)) is moved
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
