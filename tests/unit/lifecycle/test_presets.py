"""The preset registry, the re-export module and each preset's declared shape."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import attrs
import pytest

import sessionkit.lifecycle.presets as presets_module
import sessionkit.lifecycles as lifecycles_module
from sessionkit import TimeSpan
from sessionkit.errors import TransitionRefused, UnknownLifecycle
from sessionkit.lifecycle import (
    PRESETS,
    Lifecycle,
    LifecycleRegistry,
    Status,
    Transition,
    get_lifecycle,
    has_started,
    individual_only,
    nobody_attended,
)
from sessionkit.lifecycles import (
    academy,
    circle_nobody_attended,
    circle_only,
    coaching,
    consulting,
    consulting_payment,
    lms,
    marketplace,
)


@attrs.frozen
class _Consultation:
    span: TimeSpan
    status: str
    id: str = "c1"


def edges(lifecycle: Lifecycle) -> set[tuple[str, str, str]]:
    return {(source, t.name, t.target) for t in lifecycle.transitions for source in t.sources}


def test_the_registry_knows_every_preset() -> None:
    assert list(PRESETS) == [
        "lms",
        "academy",
        "consulting",
        "consulting_payment",
        "coaching",
        "marketplace",
    ]
    assert len(PRESETS) == 6
    assert "lms" in PRESETS
    assert "moodle" not in PRESETS
    assert get_lifecycle("academy") is academy


def test_an_unknown_name_raises_unknown_lifecycle() -> None:
    with pytest.raises(UnknownLifecycle) as info:
        get_lifecycle("moodle")
    error = info.value
    assert error.name == "moodle"
    assert error.known == tuple(PRESETS)
    assert isinstance(error, LookupError)
    assert str(error) == (
        "unknown lifecycle 'moodle'; known: academy, coaching, consulting, "
        "consulting_payment, lms, marketplace"
    )


def test_a_host_registry_can_add_its_own() -> None:
    own = Lifecycle(
        "tutoring",
        statuses=[Status("OPEN", initial=True), Status("CLOSED", terminal=True)],
        transitions=[Transition("close", "OPEN", "CLOSED")],
    )
    registry = PRESETS.with_lifecycle(own)
    assert registry.get("tutoring") is own
    assert registry.get("lms") is lms
    assert "tutoring" not in PRESETS
    replaced = registry.with_lifecycle(own.replace_transition("close", description="done"))
    assert replaced.get("tutoring").transition("close").description == "done"
    assert len(LifecycleRegistry([])) == 0


def test_the_lifecycles_module_reexports_the_presets() -> None:
    for name in lifecycles_module.__all__:
        assert getattr(lifecycles_module, name) is getattr(presets_module, name)
    assert set(presets_module.__all__) == set(lifecycles_module.__all__)


def test_lms_graph_and_flags() -> None:
    assert edges(lms) == {
        ("SCHEDULED", "start", "CONDUCTING"),
        ("CONDUCTING", "finish", "FINISHED"),
        ("SCHEDULED", "cancel", "CANCELED"),
        ("CONDUCTING", "cancel", "CANCELED"),
    }
    assert lms.initial == "SCHEDULED"
    assert lms.editable_statuses == {"SCHEDULED"}
    assert not any(t.timed for t in lms.transitions)


def test_academy_graph_timers_guard_and_usage() -> None:
    assert edges(academy) == {
        ("UNSCHEDULED", "schedule", "SCHEDULED"),
        ("SCHEDULED", "ready", "READY"),
        ("READY", "start", "ONGOING"),
        ("ONGOING", "complete", "COMPLETED"),
        ("READY", "mark_absent", "ABSENT"),
        ("READY", "cancel_unattended", "CANCELLED"),
        *{(s, "cancel", "CANCELLED") for s in ("UNSCHEDULED", "SCHEDULED", "READY", "ONGOING")},
    }
    ready = academy.transition("ready").timer
    complete = academy.transition("complete").timer
    assert ready is not None
    assert (ready.anchor, ready.offset) == ("start", -timedelta(minutes=15))
    assert complete is not None
    assert (complete.anchor, complete.offset) == ("end", timedelta(minutes=10))
    assert academy.transition("mark_absent").guards == (individual_only, has_started)
    unattended = academy.transition("cancel_unattended")
    assert unattended.timer is not None
    assert (unattended.timer.anchor, unattended.timer.offset) == ("end", complete.offset)
    assert unattended.timer.condition is circle_nobody_attended
    assert unattended.guards == (circle_only,)
    assert academy.usage_statuses == {"COMPLETED", "ABSENT"}
    assert "CANCELLED" not in academy.usage_statuses
    assert academy.initial == "UNSCHEDULED"
    assert "UNSCHEDULED" not in academy.busy_statuses


def test_consulting_graph_and_payment_field() -> None:
    assert edges(consulting) == {
        ("PENDING", "confirm", "CONFIRMED"),
        ("CONFIRMED", "complete", "COMPLETED"),
        ("PENDING", "cancel", "CANCELLED"),
        ("CONFIRMED", "cancel", "CANCELLED"),
        ("CONFIRMED", "no_show", "NO_SHOW"),
    }
    assert edges(consulting_payment) == {
        ("PENDING", "pay", "PAID"),
        ("PENDING", "fail", "FAILED"),
        ("PAID", "refund", "REFUNDED"),
    }
    assert (consulting.field, consulting_payment.field) == ("status", "payment_status")
    assert consulting_payment.busy_statuses == frozenset()


@pytest.mark.parametrize(("name", "target"), [("no_show", "NO_SHOW"), ("complete", "COMPLETED")])
def test_consulting_holds_or_misses_a_session_only_once_it_started(name: str, target: str) -> None:
    # Before, a consultant could mark a client NO_SHOW an hour before the consultation, and
    # COMPLETED a consultation not yet held (counted as held in the completion rates).
    start = datetime(2026, 3, 2, 17, tzinfo=UTC)
    booked = _Consultation(TimeSpan.from_start(start, timedelta(hours=1)), "CONFIRMED")
    with pytest.raises(TransitionRefused) as refused:
        consulting.fire(booked, name, now=start - timedelta(microseconds=1))
    assert (refused.value.transition, refused.value.status) == (name, "CONFIRMED")
    assert refused.value.guard is has_started
    assert refused.value.reason == (
        "the session has not started yet (it starts at 2026-03-02T17:00:00+00:00)"
    )
    assert consulting.allowed(booked, now=start - timedelta(hours=1)) == ("cancel",)
    assert consulting.fire(booked, name, now=start)[0].status == target
    assert consulting.fire(booked, name, now=start + timedelta(days=7))[0].status == target
    assert consulting.transition(name).guards == (has_started,)


def test_coaching_graph_guard_and_timer() -> None:
    assert edges(coaching) == {
        ("SCHEDULED", "complete", "COMPLETED"),
        ("SCHEDULED", "cancel", "CANCELLED"),
        ("SCHEDULED", "miss", "MISSED"),
    }
    assert coaching.transition("complete").guards == (has_started,)
    miss = coaching.transition("miss").timer
    assert miss is not None
    assert (miss.anchor, miss.offset, miss.condition) == (
        "start",
        timedelta(minutes=30),
        nobody_attended,
    )
    assert coaching.usage_statuses == {"COMPLETED"}


def test_marketplace_graph_is_a_slot_whose_seats_bookings_take() -> None:
    assert edges(marketplace) == {
        ("OPEN", "start", "IN_PROGRESS"),
        ("IN_PROGRESS", "end", "COMPLETED"),
        ("OPEN", "cancel", "CANCELLED"),
        ("IN_PROGRESS", "cancel", "CANCELLED"),
    }
    assert not any(t.timed for t in marketplace.transitions)
    assert marketplace.editable_statuses == frozenset({"OPEN"})
    assert marketplace.busy_statuses == frozenset({"OPEN", "IN_PROGRESS", "COMPLETED"})
    assert marketplace.usage_statuses == {"COMPLETED"}


@pytest.mark.parametrize("name", list(PRESETS))
def test_every_preset_cites_its_seed(name: str) -> None:
    description = get_lifecycle(name).description
    assert "seed 00" in description
    assert description == description.strip()
    assert not description.startswith(" ")
