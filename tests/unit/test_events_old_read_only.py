"""An update event's ``old`` values are as frozen as the event that carries them.

``SessionUpdated.old`` (and ``SeriesUpdated.old``) was the service's own dict:
a listener could change what every later listener, the journal and a cached
copy saw, on an event that is otherwise frozen.
"""

from __future__ import annotations

import copy
import pickle
from datetime import UTC, date, datetime, time, timedelta

import pytest

from sessionkit import SessionKit
from sessionkit.adapters.memory import InMemoryStore
from sessionkit.errors import WrongType
from sessionkit.model import ScheduleItem
from sessionkit.model.events import SeriesUpdated, SessionUpdated
from sessionkit.recurrence import Recurrence
from sessionkit.testing.clocks import ManualClock, RecordingPublisher

NOW = datetime(2026, 3, 2, 8, tzinfo=UTC)


def _updates() -> tuple[SessionUpdated, SeriesUpdated]:
    events = RecordingPublisher()
    kit = SessionKit(uow=InMemoryStore(publisher=events).unit_of_work, clock=ManualClock(NOW))
    start = NOW + timedelta(days=1)
    session = kit.sessions.create_extra(
        "acme",
        actor="ana",
        title="Extra",
        start=start,
        end=start + timedelta(hours=1),
        lifecycle="lms",
    )
    kit.sessions.update(
        "acme", session.id, actor="ana", title="Moved", start=start + timedelta(hours=2)
    )
    weekly = Recurrence.weekly(
        days=("MO",), at=time(9), duration=timedelta(hours=1), tz="UTC", start=date(2026, 3, 2)
    )
    series, _ = kit.series.create(
        "acme", actor="ana", title="Chem", items=[ScheduleItem("mo", weekly, ["room:lab"])]
    )
    kit.series.set_fields("acme", series.id, actor="ana", set={"room": "lab"})
    moved = next(e for e in events.events if isinstance(e, SessionUpdated))
    fields = next(e for e in events.events if isinstance(e, SeriesUpdated))
    return moved, fields


def test_old_values_cannot_be_changed_and_compare_with_a_dict() -> None:
    moved, fields = _updates()
    start = NOW + timedelta(days=1)
    assert moved.old == {"title": "Extra", "start": start, "end": start + timedelta(hours=1)}
    assert list(moved.old) == ["end", "start", "title"]  # in name order, as own fields are
    assert fields.old == {"metadata": {}}
    for event in (moved, fields):
        with pytest.raises(TypeError):
            event.old["title"] = "Changed"  # type: ignore[index]
        with pytest.raises(AttributeError):
            event.old.clear()  # type: ignore[attr-defined]
    assert moved.old == {"title": "Extra", "start": start, "end": start + timedelta(hours=1)}


def test_update_events_pickle_and_copy_equal_and_stay_unhashable() -> None:
    for event in _updates():
        again = pickle.loads(pickle.dumps(event))
        assert again == event
        assert again.old == event.old
        assert copy.deepcopy(event) == event
        with pytest.raises(TypeError, match="unhashable"):
            hash(event)  # as before: old values may be dicts (own fields)


def test_old_made_by_hand_is_copied_and_checked() -> None:
    moved, _ = _updates()
    given = {"title": "Extra"}
    made = SessionUpdated(tenant="acme", actor=None, at=NOW, session=moved.session, old=given)
    given["title"] = "Changed"
    assert made.old == {"title": "Extra"}
    with pytest.raises(WrongType) as caught:
        SessionUpdated(tenant="acme", actor=None, at=NOW, session=moved.session, old=5)  # type: ignore[arg-type]
    assert (caught.value.value, caught.value.name) == (5, "old")
