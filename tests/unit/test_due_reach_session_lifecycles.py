"""Only session lifecycles bound which sessions the tick reads as due.

A registry may hold lifecycles of other subjects too (a reschedule request's,
auto-approved a day after it was filed). Their timers counted toward the start
bound of the due sessions: one counting from a field lifted it past any start,
so every session in a timed status was read at every tick and
``kit.due_tenants()`` listed a tenant whose only session starts months ahead.
On the in-memory store and on SQLite.
"""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

import pytest

from sessionkit import SessionKit
from sessionkit.lifecycle import PRESETS, Lifecycle, Status, Timer, Transition
from sessionkit.services.jobs import due_reach
from sessionkit.testing.clocks import ManualClock, RecordingPublisher

from ._store_support import STORES

NOW = datetime(2026, 3, 2, 8, tzinfo=UTC)

REQUESTS = Lifecycle(
    "requests",
    statuses=[Status("PENDING", initial=True), Status("APPROVED", terminal=True)],
    transitions=[
        Transition(
            "auto_approve",
            "PENDING",
            "APPROVED",
            timer=Timer.after("filed_at", timedelta(hours=24)),
        )
    ],
    subject="reschedule_request",
)
REGISTRY = PRESETS.with_lifecycle(REQUESTS)


def test_another_subjects_timer_leaves_the_bound_and_statuses_alone() -> None:
    assert due_reach(REGISTRY, NOW) == due_reach(PRESETS, NOW)
    assert due_reach(REGISTRY, NOW) == (
        ["ONGOING", "READY", "SCHEDULED"],
        NOW + timedelta(minutes=15, microseconds=1),
    )


@pytest.mark.parametrize("store", sorted(STORES))
def test_a_session_far_ahead_is_not_due_and_one_near_is(store: str) -> None:
    counter = itertools.count(1)
    kit = SessionKit(
        uow=STORES[store](RecordingPublisher()),
        clock=ManualClock(NOW),
        ids=lambda: f"x{next(counter)}",
        lifecycles=REGISTRY,
    )
    far = NOW + timedelta(days=200)
    kit.sessions.create_extra(
        "far", actor="ann", lifecycle="academy", start=far, end=far + timedelta(hours=1)
    )
    assert kit.due_tenants() == []
    near = NOW + timedelta(minutes=10)
    made = kit.sessions.create_extra(
        "near", actor="ann", lifecycle="academy", start=near, end=near + timedelta(hours=1)
    )
    assert kit.due_tenants() == ["near"]
    report = kit.tick()
    assert (report.advanced, report.tenants, report.failed) == (1, ("near",), ())
    assert kit.queries.get("near", made.id).status == "READY"
