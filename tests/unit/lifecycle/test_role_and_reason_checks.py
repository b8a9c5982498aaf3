"""``fire``, ``can`` and ``allowed`` refuse a role (and ``fire`` a reason) that is no text.

A list of the actor's roles, say, failed in a ``roles(...)`` guard with a bare
``TypeError`` (unhashable type: 'list'), and went into the event of any
transition without such a guard.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import attrs
import pytest

from sessionkit import TimeSpan
from sessionkit.errors import WrongType
from sessionkit.lifecycles import marketplace

START = datetime(2026, 3, 2, 17, tzinfo=UTC)


@attrs.frozen
class Slot:
    id: str
    span: TimeSpan
    status: str = "OPEN"


SLOT = Slot("s1", TimeSpan.from_start(START, timedelta(hours=1)))


def test_fire_refuses_a_list_of_roles_naming_the_role() -> None:
    with pytest.raises(WrongType) as refused:
        marketplace.fire(SLOT, "start", now=START, role=["provider"])  # type: ignore[arg-type]
    assert refused.value.name == "role"
    with pytest.raises(WrongType, match="role"):
        marketplace.fire(SLOT, "cancel", now=START, role=["provider"])  # type: ignore[arg-type]


def test_can_and_allowed_refuse_it_too() -> None:
    with pytest.raises(WrongType, match="role"):
        marketplace.can(SLOT, "start", now=START, role=["provider"])  # type: ignore[arg-type]
    with pytest.raises(WrongType, match="role"):
        marketplace.allowed(SLOT, now=START, role=("provider",))  # type: ignore[arg-type]


def test_fire_refuses_a_reason_that_is_no_text() -> None:
    with pytest.raises(WrongType) as refused:
        marketplace.fire(SLOT, "cancel", now=START, reason=5)  # type: ignore[arg-type]
    assert refused.value.name == "reason"


def test_text_roles_and_reasons_still_fire() -> None:
    started, event = marketplace.fire(SLOT, "start", now=START, role="provider", reason="on time")
    assert (started.status, event.role, event.reason) == ("IN_PROGRESS", "provider", "on time")
    assert marketplace.allowed(SLOT, now=START) == ("cancel",)
    assert not marketplace.can(SLOT, "start", now=START, role="student")
