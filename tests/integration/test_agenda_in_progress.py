"""A participant's agenda lists a session already in progress, on every store alike.

``kit.bookings.agenda`` reads the sessions starting from ``now -
AGENDA_LOOKBACK`` (one range of the stores' agenda index) and keeps those
ending after ``now``. Memory, SQLite, PostgreSQL and MariaDB give the same list.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine

from sessionkit import SessionKit
from sessionkit.adapters.memory import InMemoryStore
from sessionkit.adapters.sqlalchemy import SqlAlchemyStore
from sessionkit.adapters.sqlalchemy.testing import clear_tables
from sessionkit.model import ResourceRef, Session
from sessionkit.ports import UnitOfWorkFactory
from sessionkit.services.booking_queries import AGENDA_LOOKBACK
from sessionkit.testing.clocks import ManualClock

T = "acme"
NOW = datetime(2026, 3, 2, 8, tzinfo=UTC)
ANA = "student:ana"


def _session(kit: SessionKit, name: str, start: datetime, length: timedelta) -> Session:
    return kit.sessions.create_extra(
        T,
        actor="tina",
        title=name,
        start=start,
        end=start + length,
        resources=[ResourceRef("room", name)],
        lifecycle="lms",
        capacity=2,
    )


def test_the_agenda_lists_sessions_in_progress_on_every_store(every_store: Engine | None) -> None:
    store: UnitOfWorkFactory
    if every_store is None:
        store = InMemoryStore().unit_of_work
    else:
        clear_tables(every_store)
        store = SqlAlchemyStore(every_store).unit_of_work
    clock = ManualClock(NOW)
    kit = SessionKit(uow=store, clock=clock)
    at = NOW + timedelta(days=10)  # when ana opens her agenda
    hour, days = timedelta(hours=1), timedelta(days=10)
    made = {
        "ended": _session(kit, "ended", at - hour - timedelta(minutes=10), hour),
        "lesson": _session(kit, "lesson", at - timedelta(minutes=10), hour),
        "retreat": _session(kit, "retreat", at - AGENDA_LOOKBACK + hour, days),
        "older": _session(kit, "older", at - AGENDA_LOOKBACK - hour, days),
        "later": _session(kit, "later", at + timedelta(days=3), hour),
        "beyond": _session(kit, "beyond", at + timedelta(days=7), hour),
    }
    for session in made.values():
        kit.bookings.book(T, session.id, ANA, actor="ana", confirm=True)
    clock.set(at)
    agenda = [b.session_id for b in kit.bookings.agenda(T, ANA)]
    # "older" started longer than AGENDA_LOOKBACK ago; "beyond" starts at now + 7 days.
    assert agenda == [made["retreat"].id, made["lesson"].id, made["later"].id]
