"""Every sessionkit error pickles whole: a process pool or a job queue hands it back intact.

An exception pickles as ``(cls, args)`` by default, and unpickling calls
``cls(*args)``: most sessionkit errors take their fields as keyword arguments
(``CapacityExceeded(session_id=..., capacity=...)``), so a worker's error
failed to unpickle in the parent with a ``TypeError`` about ``__init__``.
"""

from __future__ import annotations

import inspect
import pickle
from concurrent.futures import ProcessPoolExecutor
from datetime import datetime, timedelta

import pytest

import sessionkit.errors as errors
from sessionkit.errors import (
    CapacityExceeded,
    NaiveDatetime,
    SessionKitError,
    StorageTimeout,
    StorageUnavailable,
    WrongType,
)
from sessionkit.errors._base import _rebuilt

CLASSES = sorted(
    (
        getattr(errors, name)
        for name in errors.__all__
        if inspect.isclass(getattr(errors, name))
        and issubclass(getattr(errors, name), SessionKitError)
    ),
    key=lambda cls: cls.__name__,
)


def _round_trip(error: SessionKitError) -> SessionKitError:
    found = pickle.loads(pickle.dumps(error))
    assert isinstance(found, SessionKitError)
    return found


@pytest.mark.parametrize("cls", CLASSES, ids=lambda cls: cls.__name__)
def test_every_error_class_pickles_with_its_message_and_fields(
    cls: type[SessionKitError],
) -> None:
    error = cls.__new__(cls, "what went wrong")
    error.args = ("what went wrong",)
    error.__dict__.update({"value": 5, "expected": "1..4", "allows_at": None})
    error.add_note("a note")
    found = _round_trip(error)
    assert type(found) is cls
    assert (str(found), found.args) == ("what went wrong", ("what went wrong",))
    assert found.__dict__ == error.__dict__
    assert found.__notes__ == ["a note"]


def test_errors_made_by_their_own_constructors_pickle() -> None:
    made: list[SessionKitError] = [
        CapacityExceeded(session_id="s1", capacity=2, taken=2, asked=1, waiting=3),
        NaiveDatetime(datetime(2026, 3, 1, 9), name="start"),
        WrongType(5, name="limit", expected="an integer"),
        StorageTimeout.waiting(
            "the session's row lock", backend="postgresql", timeout=timedelta(seconds=10)
        ),
    ]
    for error in made:
        found = _round_trip(error)
        assert (type(found), str(found), found.__dict__) == (
            type(error),
            str(error),
            error.__dict__,
        )


def _book_in_a_worker(session_id: str) -> None:
    raise CapacityExceeded(session_id=session_id, capacity=1, taken=1, asked=1)


def test_a_worker_process_s_error_reaches_the_parent_as_itself() -> None:
    with ProcessPoolExecutor(max_workers=1) as pool:
        future = pool.submit(_book_in_a_worker, "s7")
        with pytest.raises(CapacityExceeded) as caught:
            future.result(timeout=60)
    assert (caught.value.session_id, caught.value.capacity, caught.value.taken) == ("s7", 1, 1)
    assert isinstance(caught.value, errors.SessionKitError)


def test_a_storage_unavailable_keeps_outcome_unknown_across_a_pickle() -> None:
    # b43209af's field: true once lost in the COMMIT (with its note), false otherwise, and
    # false for one pickled before the field was there (its state has no outcome_unknown).
    lost = StorageUnavailable("the connection was lost", backend="postgresql", code="57P01")
    assert _round_trip(lost).__dict__ == {
        "backend": "postgresql",
        "code": "57P01",
        "outcome_unknown": False,
    }
    lost.lost_in_commit()
    found = _round_trip(lost)
    assert isinstance(found, StorageUnavailable)
    assert found.outcome_unknown is True
    assert found.__notes__ == lost.__notes__
    assert "may or may not have been applied" in found.__notes__[0]
    # What a pickle made before the field calls: its state names backend and code alone.
    before = _rebuilt(StorageUnavailable, lost.args, {"backend": "postgresql", "code": None})
    assert isinstance(before, StorageUnavailable)
    assert before.outcome_unknown is False  # the class's default: the field was not there
    assert (str(before), before.backend) == ("the connection was lost", "postgresql")
