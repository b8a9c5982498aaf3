"""The lifecycle errors: where they sit in the tree and what they carry."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import attrs
import pytest

from sessionkit import TimeSpan
from sessionkit.errors import (
    InvalidLifecycle,
    InvalidTransition,
    LifecycleError,
    SessionKitError,
    TransitionRefused,
    UnknownLifecycle,
)
from sessionkit.lifecycle import Lifecycle, Status, get_lifecycle, has_started
from sessionkit.lifecycles import coaching

NOW = datetime(2026, 3, 2, 17, 0, tzinfo=UTC)


@attrs.frozen
class Call:
    id: int
    span: TimeSpan
    status: str = "SCHEDULED"


CALL = Call(42, TimeSpan.from_start(NOW + timedelta(hours=1), timedelta(hours=1)))


@pytest.mark.parametrize(
    ("error_type", "builtin"),
    [
        (InvalidLifecycle, ValueError),
        (InvalidTransition, ValueError),
        (TransitionRefused, ValueError),
        (UnknownLifecycle, LookupError),
    ],
)
def test_each_error_is_a_sessionkit_error_and_its_builtin(
    error_type: type[Exception], builtin: type[Exception]
) -> None:
    assert issubclass(error_type, SessionKitError)
    assert issubclass(error_type, builtin)


def test_invalid_lifecycle_attributes() -> None:
    with pytest.raises(InvalidLifecycle) as info:
        Lifecycle("no good", statuses=[Status("A", initial=True, terminal=True)], transitions=[])
    assert isinstance(info.value, LifecycleError)
    assert (info.value.problem, info.value.subject) == ("invalid_name", "no good")
    assert str(info.value) == (
        "lifecycle 'no good': a lifecycle name must be an identifier (letters, digits, underscores)"
    )


def test_invalid_transition_attributes() -> None:
    with pytest.raises(InvalidTransition) as info:
        coaching.fire(CALL, "confirm", now=NOW)
    error = info.value
    assert (error.session_id, error.status, error.transition) == (42, "SCHEDULED", "confirm")
    assert error.allowed == ("cancel",)  # "complete" and "miss" are guarded until the start
    assert isinstance(error, LifecycleError)


def test_transition_refused_attributes() -> None:
    with pytest.raises(TransitionRefused) as info:
        coaching.fire(CALL, "complete", now=NOW, actor="coach-1", role="coach")
    error = info.value
    assert (error.session_id, error.status, error.transition) == (42, "SCHEDULED", "complete")
    assert error.reason == (
        "the session has not started yet (it starts at 2026-03-02T18:00:00+00:00)"
    )
    assert error.guard is has_started
    assert isinstance(error, LifecycleError)


def test_unknown_lifecycle_attributes() -> None:
    with pytest.raises(UnknownLifecycle) as info:
        get_lifecycle("LMS")
    assert info.value.name == "LMS"
    assert "lms" in info.value.known
    assert not isinstance(info.value, LifecycleError)
