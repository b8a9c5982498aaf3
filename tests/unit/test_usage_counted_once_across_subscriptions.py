"""`kit.usage`: counted once across subscriptions; code choosers and reused ids.

On the in-memory store and on SQLite.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import create_engine
from sqlalchemy.engine import Engine

from sessionkit import SessionCodes, SessionKit
from sessionkit.adapters.memory import InMemoryStore
from sessionkit.adapters.sqlalchemy import SqlAlchemyStore, create_schema
from sessionkit.errors import WrongType
from sessionkit.model import Session
from sessionkit.testing.clocks import ManualClock

T = "1"
NOW = datetime(2026, 3, 2, 8, tzinfo=UTC)
Codes = SessionCodes | Callable[[Session], SessionCodes | None] | None
MakeKit = Callable[[Codes], SessionKit]


@pytest.fixture(params=["memory", "sqlite"])
def make_kit(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[MakeKit]:
    engines: list[Engine] = []

    def make(codes: Codes = None) -> SessionKit:
        if request.param == "memory":
            return SessionKit(uow=InMemoryStore().unit_of_work, clock=ManualClock(NOW), codes=codes)
        engine = create_engine(f"sqlite:///{tmp_path / f'usage{len(engines)}.sqlite3'}")
        engines.append(engine)
        create_schema(engine)
        return SessionKit(
            uow=SqlAlchemyStore(engine).unit_of_work, clock=ManualClock(NOW), codes=codes
        )

    yield make
    for engine in engines:
        engine.dispose()


def _lesson(kit: SessionKit, title: str = "Tajweed") -> Session:
    start = NOW + timedelta(hours=2)
    return kit.sessions.create_extra(
        T,
        actor="admin",
        title=title,
        start=start,
        end=start + timedelta(minutes=45),
        lifecycle="academy",
        resources=["teacher:t1"],
    )


def test_a_replay_after_an_earlier_subscription_was_added_counts_nothing_twice(
    make_kit: MakeKit,
) -> None:
    kit = make_kit(None)
    first = kit.usage.subscribe(
        T, actor="admin", subscriber="student:ana", credits=8, starts=NOW - timedelta(days=1)
    )
    lesson = _lesson(kit)
    kit.bookings.book(T, lesson.id, "student:ana", actor="admin", confirm=True)
    for transition in ("ready", "start", "complete"):
        kit.sessions.fire(T, lesson.id, transition, actor="teacher")
    [entry] = kit.usage.entries(T, session_id=lesson.id)
    # A second subscription, starting earlier, is now the one a new charge would draw on.
    second = kit.usage.subscribe(
        T, actor="admin", subscriber="student:ana", credits=8, starts=NOW - timedelta(days=30)
    )

    assert kit.usage.consume(T, lesson.id, actor="replay") == [entry]
    assert [e.id for e in kit.usage.entries(T, session_id=lesson.id) if e.active] == [entry.id]
    assert (kit.usage.balance(T, first.id).used, kit.usage.balance(T, second.id).used) == (1, 0)


def test_a_code_chooser_answering_no_session_codes_is_a_wrong_type_naming_it(
    make_kit: MakeKit,
) -> None:
    kit = make_kit(lambda session: "QSE")  # type: ignore[arg-type,return-value]  # a mistake on purpose

    with pytest.raises(WrongType) as wrong:
        _lesson(kit)
    assert (wrong.value.value, wrong.value.expected) == ("QSE", "SessionCodes or None")
    assert kit.queries.list(T).total == 0


def test_a_deleted_sessions_id_is_free_again_with_codes_and_gets_the_next_code(
    make_kit: MakeKit,
) -> None:
    kit = make_kit(SessionCodes(prefix="QSE"))

    def create() -> Session:
        start = NOW + timedelta(days=1)
        return kit.sessions.create_extra(
            T,
            actor="admin",
            start=start,
            end=start + timedelta(hours=1),
            lifecycle="academy",
            session_id="lesson-1",
        )

    assert create().metadata["session_code"] == "QSE-1-000001"
    kit.sessions.delete(T, "lesson-1", actor="admin")

    again = create()

    assert again.metadata["session_code"] == "QSE-1-000002"
    assert kit.usage.code_of(T, "lesson-1") == "QSE-1-000002"
    found = kit.usage.by_code(T, "QSE-1-000002")
    assert found is not None
    assert (found.id, found.number) == ("lesson-1", 2)
    assert kit.usage.by_code(T, "QSE-1-000001") is None
