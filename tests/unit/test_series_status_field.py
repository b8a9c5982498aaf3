"""A series keeps only a status storage can write.

``attrs.evolve(series, status="paused")`` (or ``Series(status=...)`` in an
adapter of one's own) was kept as it was: the memory store held it, and the
SQLAlchemy mapping failed on it with a bare ``AttributeError`` (``.value``).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import attrs
import pytest

from sessionkit import SessionKit
from sessionkit.adapters.memory import InMemoryStore
from sessionkit.errors import InvalidValue, WrongType
from sessionkit.model import ScheduleItem, Series, SeriesStatus
from sessionkit.model.records import to_records
from sessionkit.recurrence import Recurrence
from sessionkit.testing.clocks import ManualClock

NOW = datetime(2026, 3, 2, 7, tzinfo=UTC)


def _series() -> Series:
    kit = SessionKit(uow=InMemoryStore().unit_of_work, clock=ManualClock(NOW))
    weekly = Recurrence.weekly(
        days=("MO",),
        at=time(18),
        duration=timedelta(hours=1),
        tz="Europe/Berlin",
        start=date(2026, 3, 2),
    )
    series, _ = kit.series.create(
        "acme", actor="admin", title="Choir", items=[ScheduleItem("mo", weekly, ["room:r1"])]
    )
    return series


def test_a_status_given_as_its_text_is_the_status() -> None:
    closed = attrs.evolve(_series(), status="closed")
    assert closed.status is SeriesStatus.CLOSED
    assert not closed.is_active
    assert to_records([closed])[0]["status"] == "closed"


@pytest.mark.parametrize(
    ("status", "error", "says"),
    [
        ("paused", InvalidValue, "series status 'paused' is not one of active, closed"),
        ("ACTIVE", InvalidValue, "series status 'ACTIVE' is not one of active, closed"),
        (1, WrongType, "status must be a SeriesStatus, got int 1"),
        (None, WrongType, "status must be a SeriesStatus, got NoneType None"),
    ],
)
def test_a_status_no_series_has_is_refused(
    status: object, error: type[Exception], says: str
) -> None:
    series = _series()
    with pytest.raises(error) as evolved:
        attrs.evolve(series, status=status)
    assert str(evolved.value) == says
