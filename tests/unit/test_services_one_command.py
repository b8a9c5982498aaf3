"""One command, one unit of work, one instant: events, link checkers and stamps (issue 9 §4)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta

import pytest

from sessionkit.adapters.memory.harness import Harness
from sessionkit.errors import SessionLocked
from sessionkit.model.events import SessionCanceled, SessionStatusChanged
from sessionkit.model.query import SessionQuery
from sessionkit.model.session import Session
from sessionkit.ports import UnitOfWork
from sessionkit.services import SessionKit

NOW = datetime(2026, 3, 2, 8, tzinfo=UTC)
TENANT = "acme"


def _extra(h: Harness, hours: float = 24, lifecycle: str = "lms") -> Session:
    start = NOW + timedelta(hours=hours)
    return h.kit.sessions.create_extra(
        TENANT,
        actor="admin",
        start=start,
        end=start + timedelta(hours=1),
        lifecycle=lifecycle,
        resources=["teacher:ana"],
    )


@pytest.mark.parametrize("how", ["cancel", "fire"])
def test_every_cancellation_publishes_the_same_event(how: str) -> None:
    h = Harness.in_memory(NOW)
    session = _extra(h)
    h.events.events.clear()
    if how == "cancel":
        h.kit.sessions.cancel(TENANT, session.id, actor="admin", reason="ill")
    else:
        h.kit.sessions.fire(TENANT, session.id, "cancel", actor="admin", reason="ill")
    (event,) = h.events.events
    assert type(event) is SessionCanceled
    assert isinstance(event, SessionStatusChanged)
    assert (event.reason, event.change.to_status, event.session.status) == (
        "ill",
        "CANCELED",
        "CANCELED",
    )


def test_a_non_cancelling_transition_publishes_a_status_change() -> None:
    h = Harness.in_memory(NOW)
    session = _extra(h)
    h.events.events.clear()
    h.kit.sessions.fire(TENANT, session.id, "start", actor="t")
    (event,) = h.events.events
    assert type(event) is SessionStatusChanged


class ReadingLinks:
    """A link checker that reads through the unit of work it is handed."""

    def __init__(self) -> None:
        self.seen: list[int] = []

    def blocking_links(self, sessions: Sequence[Session], uow: UnitOfWork) -> Mapping[str, str]:
        page = uow.sessions.query(TENANT, SessionQuery())
        self.seen.append(page.total)
        return {s.id: "read it" for s in sessions if page.total > 1}


def test_a_link_checker_reads_through_the_commands_unit_of_work() -> None:
    h = Harness.in_memory(NOW)
    links = ReadingLinks()
    h.kit = SessionKit(uow=h.store.unit_of_work, clock=h.clock, links=links)
    first = _extra(h)
    _extra(h, hours=48)
    with pytest.raises(SessionLocked) as info:
        h.kit.sessions.delete(TENANT, first.id, actor="admin")
    assert info.value.reason == "it has dependents (read it)"
    assert links.seen == [2]


def test_advance_stamps_the_instant_it_was_given_not_the_clock() -> None:
    h = Harness.in_memory(NOW)
    session = _extra(h, hours=1, lifecycle="marketplace")  # HELD expires at its start
    later = NOW + timedelta(hours=2)
    stored = h.kit.sessions.advance(TENANT, session.id, actor="cron", now=later)
    assert stored.status == "EXPIRED"
    assert stored.updated_at == later
    assert h.events.events[-1].at == session.start  # when the timer fell due


def test_top_up_creates_sessions_stamped_with_the_given_instant() -> None:
    from datetime import date, time

    from sessionkit.model.series import ScheduleItem, WindowPolicy
    from sessionkit.recurrence import Recurrence

    h = Harness.in_memory(NOW)
    weekly = Recurrence.weekly(
        days=("MO",), at=time(9), duration=timedelta(hours=1), tz="UTC", start=date(2026, 3, 1)
    )
    series, _ = h.kit.series.create(
        TENANT,
        actor="admin",
        title="Chem",
        items=[ScheduleItem("w", weekly, ("teacher:ana",))],
        window=WindowPolicy(initial_months=1, buffer=timedelta(weeks=2)),
    )
    later = NOW + timedelta(weeks=3)
    report = h.kit.top_up(TENANT, actor="cron", now=later)
    (refill,) = report.refilled
    assert refill.created
    assert {s.created_at for s in refill.created} == {later}
    assert h.kit.queries.get_series(TENANT, series.id).generated_until is not None
