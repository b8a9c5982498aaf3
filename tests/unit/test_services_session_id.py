"""``create_extra(session_id=...)``: a chosen id, refused as a duplicate when taken."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import create_engine

from sessionkit.adapters.memory import InMemoryStore
from sessionkit.adapters.sqlalchemy import SqlAlchemyStore, create_schema
from sessionkit.errors import DuplicateSession, InvalidValue, WrongType
from sessionkit.services import SessionKit
from sessionkit.testing.clocks import ManualClock

NOW = datetime(2026, 3, 2, 8, tzinfo=UTC)
START = NOW + timedelta(days=1)


@pytest.fixture(params=["memory", "sqlite"])
def kit(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[SessionKit]:
    if request.param == "memory":
        yield SessionKit(uow=InMemoryStore().unit_of_work, clock=ManualClock(NOW))
        return
    engine = create_engine(f"sqlite:///{tmp_path / 'ids.sqlite3'}")
    create_schema(engine)
    yield SessionKit(uow=SqlAlchemyStore(engine).unit_of_work, clock=ManualClock(NOW))
    engine.dispose()


def create(kit: SessionKit, session_id: object, hours: int = 0) -> object:
    return kit.sessions.create_extra(
        "acme",
        actor="u1",
        start=START + timedelta(hours=hours),
        end=START + timedelta(hours=hours + 1),
        lifecycle="lms",
        session_id=session_id,  # type: ignore[arg-type]  # hostile on purpose below
    )


def test_a_chosen_id_is_kept_and_a_taken_one_refused(kit: SessionKit) -> None:
    create(kit, "lesson-1")
    assert kit.queries.get("acme", "lesson-1").span.start == START
    with pytest.raises(DuplicateSession) as taken:
        create(kit, "lesson-1", hours=5)
    assert (taken.value.key, taken.value.session_id) == ("id", "lesson-1")
    assert kit.queries.list("acme").total == 1


def test_another_tenant_may_use_the_same_id(kit: SessionKit) -> None:
    create(kit, "lesson-1")
    other = kit.sessions.create_extra(
        "other",
        actor="u1",
        start=START,
        end=START + timedelta(hours=1),
        lifecycle="lms",
        session_id="lesson-1",
    )
    assert (other.tenant, other.id) == ("other", "lesson-1")


@pytest.mark.parametrize(
    ("bad", "error"), [("", InvalidValue), (" x", InvalidValue), (7, WrongType)]
)
def test_a_bad_id_is_refused_before_anything_is_written(
    kit: SessionKit, bad: object, error: type[Exception]
) -> None:
    with pytest.raises(error):
        create(kit, bad)
    assert kit.queries.list("acme").total == 0
