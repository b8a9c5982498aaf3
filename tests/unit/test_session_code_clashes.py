"""Two session-code templates that render one code: refused, naming both counters, at the clash.

A format can use only ``{prefix}``, ``{tenant}``, ``{group}`` and ``{n}``, never
the counter's name, so two counters with the same prefix and format render the
same codes. The store refused the second counter's first session as a bare
``DuplicateUsage`` ("already belongs to session ..."), again on every retry:
that counter could never code a session, and nothing said why. On the memory
store and on SQLite (the SQL adapter translates the refused row itself).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

import pytest

from sessionkit import InvalidValue, Recurrence, ScheduleItem, SessionCodes, SessionKit
from sessionkit.adapters.memory import InMemoryStore
from sessionkit.errors import DuplicateUsage, SessionNotFound
from sessionkit.model import ResourceRef, Session
from sessionkit.model.usage import CODE_FIELD
from sessionkit.ports import UnitOfWorkFactory
from sessionkit.services import SeriesSpec
from sessionkit.testing.clocks import ManualClock

T = "1"
NOW = datetime(2026, 3, 2, 8, tzinfo=UTC)
IND = SessionCodes(prefix="QSE", counter="ind")
GRP = SessionCodes(prefix="QSE", counter="grp")


class Desk:
    """A kit whose codes are chosen by session title, from ``templates`` (changeable)."""

    def __init__(self, uow: UnitOfWorkFactory) -> None:
        self.templates = {"ind": IND, "grp": GRP}
        self.kit = SessionKit(
            uow=uow,
            clock=ManualClock(NOW),
            codes=lambda s: self.templates.get(s.title or ""),
        )
        self._n = 0

    def lesson(self, title: str, session_id: str | None = None) -> Session:
        self._n += 1
        start = NOW + timedelta(days=1, hours=self._n)
        return self.kit.sessions.create_extra(
            T,
            actor="admin",
            title=title,
            start=start,
            end=start + timedelta(minutes=45),
            lifecycle="academy",
            session_id=session_id,
        )

    def codes(self) -> list[tuple[str | None, str | None]]:
        """Every stored session's (title, code), in start order."""
        return [(s.title, s.metadata.get(CODE_FIELD)) for s in self.kit.queries.each(T)]


@pytest.fixture(params=["memory", "sqlite"])
def desk(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Desk]:
    if request.param == "memory":
        yield Desk(InMemoryStore().unit_of_work)
        return
    sqlalchemy = pytest.importorskip("sqlalchemy")
    from sessionkit.adapters.sqlalchemy import SqlAlchemyStore, upgrade

    engine = sqlalchemy.create_engine(f"sqlite:///{tmp_path / 'codes.sqlite3'}")
    upgrade(engine)
    try:
        yield Desk(SqlAlchemyStore(engine).unit_of_work)
    finally:
        engine.dispose()


def test_two_counters_rendering_one_code_are_refused_naming_both(desk: Desk) -> None:
    first = desk.lesson("ind")
    assert first.metadata[CODE_FIELD] == "QSE-1-000001"
    for _ in range(2):  # each retry renders the same code again: refused the same way
        with pytest.raises(InvalidValue) as clash:
            desk.lesson("grp", session_id="g1")
        assert not isinstance(clash.value, DuplicateUsage)
        assert str(clash.value) == (
            "session code 'QSE-1-000001' for session 'g1' already belongs to session "
            f"{first.id!r}: counters 'ind' (number 1) and 'grp' (number 1) render the same "
            "codes; give each counter its own prefix or format"
        )
        assert clash.value.value == "QSE-1-000001"
        assert "own prefix or format" in clash.value.expected
        with pytest.raises(SessionNotFound):
            desk.kit.queries.get(T, "g1")
    # Given its own prefix, the counter numbers from 1: the refusals took no number.
    desk.templates["grp"] = SessionCodes(prefix="QSG", counter="grp")
    assert desk.lesson("grp", session_id="g1").metadata[CODE_FIELD] == "QSG-1-000001"
    assert desk.lesson("ind").metadata[CODE_FIELD] == "QSE-1-000002"
    assert desk.kit.usage.code_of(T, first.id) == "QSE-1-000001"


def test_two_counters_clashing_in_one_unit_are_refused_and_nothing_is_stored(desk: Desk) -> None:
    def spec(title: str, day: str) -> SeriesSpec:
        rec = Recurrence.weekly(
            days=(day,), at=time(9), duration=timedelta(hours=1), tz="UTC",
            start=date(2026, 3, 2), count=1,
        )  # fmt: skip
        teacher = ResourceRef("teacher", title)
        return SeriesSpec(
            title=title, lifecycle="academy", items=[ScheduleItem("x", rec, [teacher])]
        )

    with pytest.raises(InvalidValue, match=r"counters 'ind' \(number 1\) and 'grp' \(number 1\)"):
        desk.kit.series.create_many(T, actor="admin", specs=[spec("ind", "TU"), spec("grp", "MO")])
    assert desk.codes() == []
    assert desk.kit.usage.by_code(T, "QSE-1-000001") is None


def test_templates_of_one_counter_rendering_one_code_are_refused(desk: Desk) -> None:
    # "A1" + 1 and "A" + 11 are both "A11": one counter, two templates that overlap.
    desk.templates = {
        "a1": SessionCodes(prefix="A1", format="{prefix}{n}"),
        "a": SessionCodes(prefix="A", format="{prefix}{n}"),
    }
    first = desk.lesson("a1")
    assert first.metadata[CODE_FIELD] == "A11"
    assert [desk.lesson("a").metadata[CODE_FIELD] for _ in range(9)][-1] == "A10"
    with pytest.raises(InvalidValue) as clash:
        desk.lesson("a", session_id="a11")
    assert str(clash.value) == (
        f"session code 'A11' for session 'a11' already belongs to session {first.id!r}: "
        "counter 'session' renders it for numbers 1 and 11; give each template of the "
        "counter its own prefix or format"
    )


def test_a_session_created_again_is_refused_a_code_another_counter_holds(desk: Desk) -> None:
    # The codes table's record of a deleted session's id is updated, not added: that path
    # is refused as clearly.
    desk.templates["grp"] = SessionCodes(prefix="GRP", counter="grp")
    ind = [desk.lesson("ind") for _ in range(2)]
    assert desk.lesson("grp", session_id="g1").metadata[CODE_FIELD] == "GRP-1-000001"
    desk.kit.sessions.delete(T, "g1", actor="admin")
    desk.templates["grp"] = GRP
    with pytest.raises(InvalidValue) as clash:
        desk.lesson("grp", session_id="g1")
    assert str(clash.value).startswith(
        f"session code 'QSE-1-000002' for session 'g1' already belongs to session {ind[1].id!r}: "
        "counters 'ind' (number 2) and 'grp' (number 2)"
    )
    assert desk.kit.usage.code_of(T, "g1") == "GRP-1-000001"  # the record kept, unchanged
