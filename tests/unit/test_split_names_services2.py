"""What the second round of splits moved still reads from the module it left, as before.

recurrence.rule, lifecycle.presets, lifecycle.machine, services.booking_making,
services._reschedule_steps, services._room_access, errors._base and
contrib.fastapi._problem_body (and before them services._payment_calls, reschedules and
series) each moved definitions to a private module beside them. :data:`MOVED` holds each
moved name: it still reads from the module it left, as the very object the new module
defines; a class or function of a public module (or one that showed under its old module
before) shows and pickles under the old one. ``test_split_names.py`` holds the earlier
splits.
"""

from __future__ import annotations

import inspect
import pickle
import typing
from datetime import timedelta
from importlib import import_module

import pytest
from tests.unit._split_guard import pickled_paths

MOVED = [
    # (the module a name left, the name, the private module it moved to, shown as the old one)
    ("recurrence.rule", "MAX_INTERVAL", "recurrence._rule_parts", False),
    ("recurrence.rule", "MAX_COUNT", "recurrence._rule_parts", False),
    ("recurrence.rule", "MAX_RULE_LENGTH", "recurrence._rule_parts", False),
    ("recurrence.rule", "_check_range", "recurrence._rule_parts", False),
    ("recurrence.rule", "_parse_until", "recurrence._rule_parts", False),
    ("recurrence.rule", "_format_until", "recurrence._rule_parts", False),
    ("lifecycle.presets", "LifecycleRegistry", "lifecycle._registry", True),
    ("lifecycle.presets", "individual_nobody_attended", "lifecycle._academy_guards", True),
    ("lifecycle.presets", "circle_nobody_attended", "lifecycle._academy_guards", True),
    ("lifecycle.presets", "_is_circle", "lifecycle._academy_guards", True),
    ("lifecycle.presets", "circle_only", "lifecycle._academy_guards", False),
    ("lifecycle.machine", "_fact_statuses", "lifecycle._machine_checks", False),
    ("lifecycle.machine", "_check_role", "lifecycle._machine_checks", False),
    ("services._room_access", "JoinRules", "services._join_rules", True),
    ("services._room_access", "_joinable_at", "services._join_rules", False),
    ("services._reschedule_steps", "Moved", "services._reschedule_moves", False),
    ("services._reschedule_steps", "move_session", "services._reschedule_moves", False),
    ("services._reschedule_steps", "release_moved", "services._reschedule_moves", False),
    ("services._reschedule_steps", "apply_proposed", "services._reschedule_moves", False),
    ("services._reschedule_steps", "check_series_start", "services._reschedule_moves", False),
    ("services._payment_calls", "perform", "services._payment_perform", False),
    ("services._payment_calls", "create_intent", "services._payment_perform", False),
    ("services._payment_calls", "record_intent", "services._payment_perform", False),
    ("services._payment_calls", "refund_failed", "services._payment_perform", False),
    ("services._payment_calls", "gateway_of", "services._payment_perform", False),
    ("services.reschedules", "RescheduleReport", "services._reschedule_due", True),
    ("services.series", "top_up_window", "services._series_window", True),
    ("errors._base", "_amount", "errors._shown", False),
    ("errors._base", "duration_text", "errors._shown", False),
    ("errors._base", "seconds_text", "errors._shown", False),
    ("errors._base", "shown_duration", "errors._shown", False),
    ("errors._base", "shown", "errors._shown", False),
    ("errors._base", "set_repr", "errors._shown", False),
    ("contrib.fastapi._problem_body", "ERROR_STATUS", "contrib.fastapi._problem_status", False),
    ("contrib.fastapi._problem_body", "asked", "contrib.fastapi._problem_status", False),
    ("contrib.fastapi._problem_body", "status_of", "contrib.fastapi._problem_status", False),
]


@pytest.mark.parametrize(("left", "name", "moved_to", "shown"), MOVED)
def test_moved_names_read_from_the_module_they_left(
    left: str, name: str, moved_to: str, shown: bool
) -> None:
    old = import_module(f"sessionkit.{left}")
    value = getattr(old, name)
    assert value is getattr(import_module(f"sessionkit.{moved_to}"), name)
    if shown:
        assert value.__module__ == old.__name__
        assert pickle.loads(pickle.dumps(value)) is value
        assert pickled_paths(value) == {f"{old.__name__}.{name}"}


@pytest.mark.parametrize(
    ("module", "names"),
    [
        ("recurrence.rule", ["FREQUENCIES", "WEEKDAYS", "Frequency", "Rule", "Weekday",
                             "parse_rule"]),
        ("lifecycle.machine", ["ANY", "Anchor", "Lifecycle", "SessionLike", "SpanAnchor", "Status",
                               "StatusChanged", "Timer", "Transition"]),
        ("services.booking_making", ["BookingMaking"]),
        ("services._room_access", ["NOT_A_PARTICIPANT", "NOT_HELD", "NOT_JOINABLE", "ROOM_CLOSED",
                                   "ROOM_ENDED", "TOO_EARLY", "JoinRules", "RoomAccess"]),
        ("services._reschedule_steps", ["answer_due", "apply_proposed", "approve_late",
                                        "check_answer", "check_args", "check_series_start",
                                        "deadline_for", "lock_session", "move_session",
                                        "release_moved", "settle_overdue", "settle_overdue_kept",
                                        "status_event", "store_answer"]),
    ],
)  # fmt: skip
def test_the_split_modules_export_what_they_did(module: str, names: list[str]) -> None:
    assert import_module(f"sessionkit.{module}").__all__ == names


def test_the_presets_export_what_they_did_and_pickle_naming_presets_only() -> None:
    from sessionkit.lifecycle import Lifecycle, presets

    assert presets.__all__ == [
        "ACADEMY_ABSENT_AFTER", "ACADEMY_COMPLETE_AFTER", "ACADEMY_READY_BEFORE",
        "COACHING_MISSED_AFTER", "MARKETPLACE_RUNNERS", "PRESETS", "LifecycleRegistry",
        "academy", "circle_nobody_attended", "circle_only", "coaching", "consulting",
        "consulting_payment", "get_lifecycle", "individual_nobody_attended", "lms", "marketplace",
    ]  # fmt: skip
    names = pickled_paths(presets.academy)
    assert {
        "sessionkit.lifecycle.presets._is_circle",
        "sessionkit.lifecycle.presets.individual_nobody_attended",
        "sessionkit.lifecycle.presets.circle_nobody_attended",
    } <= names
    assert not any("._academy_guards." in n or "._registry." in n for n in names)
    assert pickle.loads(pickle.dumps(presets.PRESETS)) == presets.PRESETS
    assert pickled_paths(presets.PRESETS) >= {"sessionkit.lifecycle.presets.LifecycleRegistry"}
    hints = typing.get_type_hints(presets.LifecycleRegistry)
    assert hints == {"_by_name": dict[str, Lifecycle]}
    returned = typing.get_type_hints(presets.LifecycleRegistry.with_lifecycle)["return"]
    assert returned is presets.LifecycleRegistry
    assert repr(presets.circle_only) == "<guard circle>"
    assert presets.get_lifecycle("academy").fact_statuses == frozenset({"SCHEDULED", "READY"})


def test_join_rules_show_pickle_and_resolve_where_they_did() -> None:
    from sessionkit.services import rooms
    from sessionkit.services._room_access import JoinRules

    assert rooms.JoinRules is JoinRules
    rules = JoinRules(joinable={"SCHEDULED"}, early=timedelta(minutes=10))
    assert pickle.loads(pickle.dumps(rules)) == rules
    assert pickled_paths(rules) >= {"sessionkit.services._room_access.JoinRules"}
    assert not any("._join_rules." in n for n in pickled_paths(rules))
    assert typing.get_type_hints(JoinRules) == {
        "joinable": frozenset[str],
        "early": timedelta | None,
        "buffer": timedelta,
        "longest": timedelta,
    }
    assert repr(JoinRules()) == (
        "JoinRules(joinable=frozenset({'ONGOING', 'READY'}), early=None, "
        "buffer=datetime.timedelta(seconds=900), longest=datetime.timedelta(seconds=43200))"
    )


def test_booking_making_keeps_its_methods_and_their_names() -> None:
    # The steps book, book_in and can_book share are methods of a private base now; the
    # commands stay BookingMaking's own, shown, pickled and resolved as before.
    from sessionkit.model.booking import Booking
    from sessionkit.policies import Refusal
    from sessionkit.services._booking_admission import BookingAdmission
    from sessionkit.services.booking_making import BookingMaking
    from sessionkit.services.bookings import BookingCommands

    assert issubclass(BookingCommands, BookingAdmission)
    for name in ("book", "book_in", "can_book"):
        method = vars(BookingMaking)[name]
        shown = (method.__module__, method.__qualname__)
        assert shown == ("sessionkit.services.booking_making", f"BookingMaking.{name}")
        assert pickle.loads(pickle.dumps(method)) is method
    assert typing.get_type_hints(BookingMaking.book)["return"] is Booking
    signature = inspect.signature(BookingMaking.can_book, eval_str=True)
    assert signature.return_annotation == Refusal | None
    for name in ("_seated", "_open_seats", "_admit", "_settled", "_replay", "_check_bookable"):
        assert getattr(BookingCommands, name) is getattr(BookingAdmission, name)


def test_lifecycle_init_hints_resolve_after_its_helpers_moved() -> None:
    # f6c88e30 dropped machine's Iterable import with the helpers that used it, but the
    # __init__ attrs makes takes to_statuses' ``Iterable[Status]`` and resolves it in machine:
    # inspect.signature(Lifecycle, eval_str=True), as FastAPI reads it, raised NameError.
    from collections.abc import Iterable

    from sessionkit.lifecycle.definition import Status, Transition
    from sessionkit.lifecycle.machine import Lifecycle

    hints = typing.get_type_hints(Lifecycle.__init__)
    assert hints["statuses"] == Iterable[Status]
    assert hints["transitions"] == Iterable[Transition]
    signature = inspect.signature(Lifecycle, eval_str=True)
    assert signature.parameters["statuses"].annotation == Iterable[Status]


def test_presets_keep_no_loop_name_from_their_split() -> None:
    # The loop that shows the moved names under presets left its variable behind as a module
    # attribute (presets._moved, the registry class), where query and analytics delete theirs.
    from sessionkit.lifecycle import presets

    assert "_moved" not in vars(presets)
