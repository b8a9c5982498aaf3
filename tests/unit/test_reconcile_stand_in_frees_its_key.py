"""A kept session that stands for its item's moved lesson frees its old key in the same change.

Class ``a`` met on Mondays at 17:00 Berlin; its 9 March lesson was cancelled
(a holiday). The schedule then moved ``a`` to 09:00 and added class ``b`` at
17:00 London: the same local start, so the same occurrence key, as the
cancelled lesson. The change made the cancelled lesson stand for ``a``'s
09:00 lesson of its day (it took that key) and at once also for ``b``'s
17:00 lesson, which was skipped as held by it; the very same change run
again then made ``b``'s lesson, as the key was free. A kept session stands
for one occurrence: ``b``'s lesson is made by the first change. Each case
runs on memory and SQLite.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest

from sessionkit.model.series import ScheduleItem
from sessionkit.recurrence import Recurrence
from sessionkit.services import SessionKit

from ._store_support import STORES, fresh_kit

T = "acme"


def _monday(item_id: str, at: time, tz: str, teacher: str) -> ScheduleItem:
    recurrence = Recurrence.weekly(
        days=("MO",), at=at, duration=timedelta(hours=1), tz=tz, start=date(2026, 3, 2), count=4
    )
    return ScheduleItem(item_id, recurrence, (teacher,))


NEW = [
    _monday("a", time(9), "Europe/Berlin", "teacher:ana"),
    _monday("b", time(17), "Europe/London", "teacher:ben"),
]


@pytest.fixture(params=list(STORES.values()), ids=list(STORES))
def kit(request: pytest.FixtureRequest) -> SessionKit:
    return fresh_kit(request.param, datetime(2026, 3, 1, tzinfo=UTC))


def test_the_other_class_gets_its_lesson_on_the_cancelled_day_at_once(kit: SessionKit) -> None:
    series, made = kit.series.create(
        T, actor="t", title="Choir", items=[_monday("a", time(17), "Europe/Berlin", "teacher:ana")]
    )
    holiday = kit.sessions.cancel(T, made.created[1].id, actor="t", reason="holiday")
    report = kit.series.change_schedule(T, series.id, actor="t", items=NEW)
    assert [(s.key, s.reason, s.blocking.id) for s in report.skipped] == [
        (datetime(2026, 3, 9, 9), "exists", holiday.id)
    ]
    assert [o.session.id for o in report.orphans] == [holiday.id]
    assert kit.queries.get(T, holiday.id).occurrence_key == datetime(2026, 3, 9, 9)
    on_the_day = [
        (s.schedule_item_id, s.start, s.occurrence_key)
        for s in kit.queries.series_sessions(T, series.id)
        if s.start.date() == date(2026, 3, 9)
    ]
    assert on_the_day == [
        ("a", holiday.start, datetime(2026, 3, 9, 9)),
        ("b", datetime(2026, 3, 9, 17, tzinfo=UTC), datetime(2026, 3, 9, 17)),
    ]
    again = kit.series.change_schedule(T, series.id, actor="t", items=NEW)
    assert (again.created, again.deleted, again.updated) == ((), (), ())
