"""Records pickle and deep-copy: a Django or Redis cache, a process pool, ``copy.deepcopy``.

Their own fields (``metadata``) were a ``types.MappingProxyType``, which
neither pickles nor deep-copies: caching a page of sessions failed with
"cannot pickle 'mappingproxy' object".
"""

from __future__ import annotations

import copy
import pickle
from datetime import UTC, datetime, timedelta

import pytest

from sessionkit import SessionKit
from sessionkit.adapters.memory import InMemoryStore
from sessionkit.errors import WrongType
from sessionkit.model.records import SCHEMAS
from sessionkit.model.session import FrozenFields, frozen_mapping
from sessionkit.testing.clocks import ManualClock

NOW = datetime(2026, 3, 2, 8, tzinfo=UTC)
FIELDS = {"platform": "zoom", "notes": {"b": [1, 2], "a": None}}


def test_sessions_bookings_and_pages_with_own_fields_pickle_and_deep_copy() -> None:
    kit = SessionKit(uow=InMemoryStore().unit_of_work, clock=ManualClock(NOW))
    start = NOW + timedelta(days=1)
    session = kit.sessions.create_extra(
        "acme",
        actor="ana",
        start=start,
        end=start + timedelta(hours=1),
        resources=["teacher:ana"],
        lifecycle="lms",
        capacity=3,
        metadata=FIELDS,
    )
    booking = kit.bookings.book("acme", session.id, "student:ben", actor=None, metadata=FIELDS)
    values: list[object] = [session, booking, kit.queries.list("acme"), [booking]]
    for value in values:
        assert pickle.loads(pickle.dumps(value)) == value
        assert copy.deepcopy(value) == value
    again = pickle.loads(pickle.dumps(session))
    assert again.metadata == FIELDS
    assert list(again.metadata["notes"]) == ["a", "b"]  # still in code point order
    assert isinstance(again.metadata, FrozenFields)


def test_record_schemas_pickle_and_read_values_as_before() -> None:
    # Their columns read values with closures: "Can't pickle local object '_instant.<locals>'".
    kit = SessionKit(uow=InMemoryStore().unit_of_work, clock=ManualClock(NOW))
    start = NOW + timedelta(days=1)
    session = kit.sessions.create_extra(
        "acme", actor="ana", start=start, end=start + timedelta(hours=1), lifecycle="lms"
    )
    schema = SCHEMAS["session"]
    again = pickle.loads(pickle.dumps(schema))
    assert again == schema
    assert again.records([session]) == schema.records([session])
    assert again.columns_of([session]) == schema.columns_of([session])
    assert again.record(session)["start"] == start
    for column in schema.columns:
        assert pickle.loads(pickle.dumps(column)).get(session) == column.get(session)


def test_own_fields_stay_read_only_and_behave_as_a_mappingproxy_did() -> None:
    fields = frozen_mapping({"b": 2, "a": 1})
    assert fields == {"a": 1, "b": 2}
    assert list(fields) == ["a", "b"]
    with pytest.raises(TypeError):
        fields["a"] = 5  # type: ignore[index]
    copied = fields.copy()
    copied["c"] = 3
    assert fields == {"a": 1, "b": 2}
    assert fields | {"c": 3} == {"a": 1, "b": 2, "c": 3}
    assert {"z": 0} | fields == {"z": 0, "a": 1, "b": 2}
    assert frozen_mapping(None) == {}
    assert len(frozen_mapping({})) == 0
    assert repr(fields) == "FrozenFields({'a': 1, 'b': 2})"


def test_frozen_fields_made_by_hand_are_checked_and_ordered_as_a_record_s() -> None:
    # The review: FrozenFields(5) was a bare TypeError, and keys kept the order given.
    made = FrozenFields({"b": 1, "a": {"d": 1, "c": 2}})
    assert list(made) == ["a", "b"]
    assert list(made["a"]) == ["c", "d"]
    assert frozen_mapping(made) is made
    for bad in (5, "ab"):
        with pytest.raises(WrongType) as caught:
            FrozenFields(bad)  # type: ignore[arg-type]
        assert caught.value.value == bad
    assert made.get("z", 3) == 3
    with pytest.raises(TypeError, match="unhashable"):
        hash(made)
