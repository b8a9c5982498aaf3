"""A kit refuses a session lifecycle that drives another field than ``status``, when made.

Taken before, its sessions were created in its entry status, and then every
fire and every tick of them failed with ``NotASession``: a kit's sessions keep
their status in ``Session.status``, which the services read.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from sessionkit.adapters.memory import InMemoryStore
from sessionkit.errors import InvalidLifecycle
from sessionkit.lifecycle import PRESETS, Lifecycle, Status, Timer, Transition
from sessionkit.services import SessionKit
from sessionkit.testing.clocks import ManualClock

NOW = datetime(2026, 3, 2, 8, tzinfo=UTC)


def _lifecycle(field: str, subject: str = "session") -> Lifecycle:
    return Lifecycle(
        "mine",
        [Status("OPEN", initial=True, busy=True), Status("DONE", terminal=True)],
        [Transition("finish", "OPEN", "DONE", timer=Timer.after_end())],
        field=field,
        subject=subject,
    )


def _kit(lifecycle: Lifecycle) -> SessionKit:
    return SessionKit(
        uow=InMemoryStore().unit_of_work,
        clock=ManualClock(NOW),
        lifecycles=PRESETS.with_lifecycle(lifecycle),
    )


def test_a_session_lifecycle_on_another_field_is_refused() -> None:
    with pytest.raises(InvalidLifecycle) as refused:
        _kit(_lifecycle("state"))
    assert refused.value.problem == "invalid_field"
    assert refused.value.subject == "state"
    assert str(refused.value) == (
        "lifecycle 'mine' drives sessions but changes their 'state' field; a kit's sessions"
        " keep their status in 'status' (leave field= out)"
    )


def test_a_session_lifecycle_on_status_still_ticks() -> None:
    kit = _kit(_lifecycle("status"))
    made = kit.sessions.create_extra(
        "acme", actor="ann", lifecycle="mine", start=NOW, end=NOW + timedelta(hours=1)
    )
    report = kit.tick(now=NOW + timedelta(hours=2))
    assert (report.advanced, report.failed) == (1, ())
    assert kit.queries.get("acme", made.id).status == "DONE"


def test_a_lifecycle_of_another_subject_may_drive_any_field() -> None:
    # consulting_payment drives payment_status; the kit's presets hold it.
    kit = _kit(_lifecycle("state", subject="ledger"))
    assert kit.context.lifecycles.get("mine").field == "state"
    assert PRESETS.get("consulting_payment").field == "payment_status"
