"""No tenant crosses over, and keys compare exactly, on memory, SQLite, PostgreSQL and MariaDB.

Every key is drawn in pairs of look-alikes: trailing or leading spaces, case
variants ("ACME"/"acme"), NFC against NFD ("é"), "ß" against "ss" and "ẞ",
dotted and dotless i, final sigma, Cyrillic and full-width letters. Whatever
is written under one key of a pair is invisible to, cannot be changed by, and
never conflicts with the other: tenants, session and series ids, resources,
participants, idempotency keys and groups. (MariaDB's ``PAD SPACE`` collations
used to call ``"acme "`` and ``"acme"`` the same tenant.)

A look-alike refused at the boundary (``InvalidValue``, e.g. for surrounding
whitespace) is as good as one kept apart: either way nothing crosses over.
Server engines as in ``conftest.py``; their tables are emptied per example.
"""

from __future__ import annotations

import itertools
import unicodedata
from collections import deque
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, time, timedelta
from typing import TypeVar

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine

from sessionkit import SessionKit
from sessionkit.adapters.memory import InMemoryStore
from sessionkit.adapters.sqlalchemy import SqlAlchemyStore
from sessionkit.adapters.sqlalchemy.testing import clear_tables
from sessionkit.errors import InvalidValue, SeriesNotFound, SessionNotFound
from sessionkit.model import ResourceRef, ScheduleItem, SessionQuery, WindowPolicy
from sessionkit.model.text import plain_id
from sessionkit.ports import UnitOfWorkFactory
from sessionkit.recurrence import Recurrence
from sessionkit.testing.clocks import ManualClock

NOW = datetime(2026, 3, 2, 8, tzinfo=UTC)
START = datetime(2026, 3, 4, 9, tzinfo=UTC)
END = START + timedelta(hours=1)

_BASES = ("acme", "école", "straße", "istanbul", "σίσυφος", "Team-1", "a", "Ωmega")


def _nfd(text: str) -> str:
    return unicodedata.normalize("NFD", text)


_LOOKALIKES: tuple[Callable[[str], str], ...] = (
    lambda s: s + " ",
    lambda s: s + "  ",
    lambda s: " " + s,
    lambda s: s + "\t",
    lambda s: s + "\u00a0",
    str.upper,
    str.lower,
    str.title,
    str.casefold,
    _nfd,
    lambda s: unicodedata.normalize("NFC", s),
    lambda s: s.replace("ß", "ss"),
    lambda s: s.replace("ß", "ẞ"),
    lambda s: s.replace("i", "İ"),
    lambda s: s.replace("i", "\u0131"),  # dotless i
    lambda s: s.replace("\u03c3", "\u03c2"),  # final sigma
    lambda s: s.replace("a", "\u0430"),  # Cyrillic a
    lambda s: s.replace("a", "\uff41"),  # full-width a
    lambda s: s[:-1] + s[-1].upper(),
)


@st.composite
def lookalikes(draw: st.DrawFn) -> tuple[str, str]:
    """Two different keys that a careless comparison could take for one."""
    base = draw(st.sampled_from(_BASES))
    first = draw(st.sampled_from(_LOOKALIKES))(base) if draw(st.booleans()) else base
    if not plain_id(first):  # the first key is the one kept: it must be a valid id
        first = base
    second = draw(st.sampled_from(_LOOKALIKES))(first)
    if second == first:
        second = first + " "
    return first, second


T = TypeVar("T")


class _Refused:
    """A look-alike the boundary refused (``InvalidValue``): nothing was written."""


REFUSED = _Refused()


def attempt(call: Callable[[], T]) -> T | _Refused:
    """Run ``call``; a refusal at the boundary is an answer too."""
    try:
        return call()
    except InvalidValue:
        return REFUSED


def _not_found(call: Callable[[], object], error: type[Exception] = SessionNotFound) -> None:
    try:
        outcome = call()
    except error:
        return
    except InvalidValue:
        return
    pytest.fail(f"a look-alike key reached another's record: {outcome!r}")


class _Backend:
    """Makes a SessionKit over a fresh (emptied) store for one example."""

    def __init__(self, engine: Engine | None) -> None:
        self.engine = engine

    def kit(self, ids: Iterator[str]) -> SessionKit:
        factory: UnitOfWorkFactory
        if self.engine is None:
            factory = InMemoryStore().unit_of_work
        else:
            clear_tables(self.engine)
            factory = SqlAlchemyStore(self.engine).unit_of_work
        return SessionKit(uow=factory, clock=ManualClock(NOW), ids=lambda: next(ids))


@pytest.fixture(scope="module")
def backend(every_store: Engine | None) -> _Backend:
    return _Backend(every_store)


def _ids(queue: deque[str]) -> Iterator[str]:
    """Ids from ``queue`` while it has any (the test's chosen keys), then fresh ones."""
    counter = itertools.count(1)
    while True:
        yield queue.popleft() if queue else f"gen-{next(counter)}"


def _series_item(resource: ResourceRef) -> list[ScheduleItem]:
    recurrence = Recurrence.from_rrule(
        "FREQ=DAILY;COUNT=2",
        start=datetime.combine(date(2026, 3, 10), time(9)),
        tz="UTC",
        duration=timedelta(minutes=30),
    )
    return [ScheduleItem("i1", recurrence, [resource])]


@settings(max_examples=30, deadline=None)
@given(
    tenants=lookalikes(),
    sessions=lookalikes(),
    rooms=lookalikes(),
    people=lookalikes(),
    keys=lookalikes(),
    series=lookalikes(),
    groups=lookalikes(),
)
def test_lookalike_keys_never_cross_over(
    backend: _Backend,
    tenants: tuple[str, str],
    sessions: tuple[str, str],
    rooms: tuple[str, str],
    people: tuple[str, str],
    keys: tuple[str, str],
    series: tuple[str, str],
    groups: tuple[str, str],
) -> None:
    tenant, other_tenant = tenants
    session_id, other_id = sessions
    queue: deque[str] = deque()
    kit = backend.kit(_ids(queue))
    room = ResourceRef("room", rooms[0])

    def create(tenant: str, session_id: str, resource: ResourceRef, title: str) -> object:
        queue.append(session_id)
        try:
            return kit.sessions.create_extra(
                tenant,
                actor="t",
                start=START,
                end=END,
                resources=[resource],
                lifecycle="lms",
                capacity=3,
                title=title,
            )
        finally:
            queue.clear()

    original = create(tenant, session_id, room, "mine")

    # Another tenant that looks the same reads, changes and books nothing of it.
    _not_found(lambda: kit.queries.get(other_tenant, session_id))
    listed = attempt(lambda: kit.queries.list(other_tenant))
    assert listed is REFUSED or listed.total == 0  # type: ignore[union-attr]
    _not_found(lambda: kit.sessions.update(other_tenant, session_id, actor="x", title="theirs"))
    _not_found(lambda: kit.sessions.cancel(other_tenant, session_id, actor="x"))
    _not_found(lambda: kit.sessions.delete(other_tenant, session_id, actor="x"))
    _not_found(lambda: kit.bookings.book(other_tenant, session_id, "student:eve", actor="x"))
    # ... and its session on the same room at the same time blocks nothing of mine.
    theirs = attempt(lambda: create(other_tenant, session_id, room, "theirs"))

    # Within the tenant, a look-alike id is another session, a look-alike room another room.
    _not_found(lambda: kit.queries.get(tenant, other_id))
    second = attempt(lambda: create(tenant, other_id, ResourceRef("room", rooms[1]), "second"))

    # Look-alike participants are two people; look-alike idempotency keys two requests.
    first_booking = kit.bookings.book(
        tenant, session_id, ResourceRef("student", people[0]), actor="t", idempotency_key=keys[0]
    )
    other_booking = attempt(
        lambda: kit.bookings.book(
            tenant,
            session_id,
            ResourceRef("student", people[1]),
            actor="t",
            idempotency_key=keys[1],
        )
    )
    if not isinstance(other_booking, _Refused):
        assert other_booking.id != first_booking.id
        assert other_booking.participant.id == people[1]
        assert other_booking.idempotency_key == keys[1]

    # Look-alike series ids are two series; look-alike groups two groups.
    made, _ = kit.series.create(
        tenant,
        actor="t",
        title="first",
        items=_series_item(ResourceRef("teacher", "ana")),
        window=WindowPolicy(1),
        series_id=series[0],
        group=groups[0],
    )
    _not_found(lambda: kit.queries.get_series(tenant, series[1]), SeriesNotFound)
    other_series = attempt(
        lambda: kit.series.create(
            tenant,
            actor="t",
            title="second",
            items=_series_item(ResourceRef("teacher", "ben")),
            window=WindowPolicy(1),
            series_id=series[1],
            group=groups[1],
        )
    )
    assert kit.queries.get_series(tenant, series[0]) == made
    in_group = kit.queries.list(tenant, SessionQuery(group=groups[0]))
    assert {s.series_id for s in in_group.items} == {series[0]}
    if not isinstance(other_series, _Refused):
        assert kit.queries.get_series(tenant, series[1]).title == "second"
        in_other = kit.queries.list(tenant, SessionQuery(group=groups[1]))
        assert {s.series_id for s in in_other.items} == {series[1]}

    # Mine is as I left it, and each tenant sees its own sessions only.
    assert kit.queries.get(tenant, session_id) == original
    mine = {s.id for s in kit.queries.list(tenant, SessionQuery(is_extra=True)).items}
    assert mine == {session_id} | (set() if isinstance(second, _Refused) else {other_id})
    if not isinstance(theirs, _Refused):
        assert kit.queries.get(other_tenant, session_id) == theirs
        assert {s.id for s in kit.queries.list(other_tenant).items} == {session_id}
        seats = kit.bookings.for_session(other_tenant, session_id)
        assert seats == []
