"""Title search finds the same sessions on SQLite, PostgreSQL and MariaDB as in memory.

The in-memory store is the oracle: a session matches when
``needle.casefold() in title.casefold()``. Titles mix letters whose case folds
oddly (dotted and dotless i, final sigma, sharp s, the Kelvin sign, ligatures,
combining accents) with LIKE's wildcards and its escape character; needles
are parts of those titles with their case changed, or text of their own.
Engines as in ``conftest.py``, emptied per example.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine

from sessionkit.adapters.memory import InMemoryStore
from sessionkit.adapters.sqlalchemy import SqlAlchemyStore
from sessionkit.adapters.sqlalchemy.testing import clear_tables
from sessionkit.model import Session, SessionQuery
from sessionkit.ports import UnitOfWorkFactory
from sessionkit.timespan import TimeSpan

T0 = datetime(2026, 3, 2, 9, tzinfo=UTC)
# Capital and small I with and without a dot, sigma (and final sigma), sharp s and capital
# sharp s, long s, the Kelvin sign, ligatures, a title-case digraph, accents precomposed and
# combining, LIKE's wildcards and escape character.
_ODD = (
    "\u0130\u0131Ii\u03a3\u03c3\u03c2\u00df\u1e9e\u017fK\u212ak\ufb01\ufb00\u01c5\u01c4"
    "\u0390\u00c9\u00e9e\u00c5\u212b\u0301\u0307%_\\ -"
)
_WORDS = ("\u0130stanbul", "\u03a3\u038a\u03a3\u03a5\u03a6\u039f\u03a3", "\u1e9e-Stra\u00dfe")
"""The titles of issue 10: "İstanbul", "ΣΊΣΥΦΟΣ", "ẞ-Straße"."""

letters = st.one_of(
    st.sampled_from(_ODD),
    st.sampled_from("astrnu"),
    st.characters(codec="utf-8", exclude_characters="\x00"),
)
titles = st.one_of(
    st.sampled_from(_WORDS),
    st.text(letters, min_size=0, max_size=12),
    st.builds(lambda a, b: a + b, st.sampled_from(_WORDS), st.text(letters, max_size=4)),
)


def _session(n: int, title: str) -> Session:
    return Session(
        id=f"s{n:02d}",
        tenant="acme",
        title=title,
        span=TimeSpan(T0 + timedelta(hours=n), T0 + timedelta(hours=n, minutes=30)),
        tz="UTC",
        status="SCHEDULED",
        lifecycle="lms",
        busy=False,
        created_at=T0,
    )


_CHANGES: list[Callable[[str], str]] = [str, str.upper, str.lower, str.casefold, str.swapcase]


@st.composite
def needles(draw: st.DrawFn, stored: list[str]) -> str:
    own_text: bool = draw(st.booleans())
    if own_text or not stored:
        return draw(titles)
    title = draw(st.sampled_from(stored))
    start = draw(st.integers(0, len(title)))
    end = draw(st.integers(start, len(title)))
    change = draw(st.sampled_from(_CHANGES))
    return change(title[start:end])


def _found(store: UnitOfWorkFactory, needle: str) -> list[str]:
    with store() as uow:
        page = uow.sessions.query("acme", SessionQuery(search=needle, limit=100))
    return [s.id for s in page.items]


@settings(max_examples=40, deadline=None)
@given(data=st.data(), stored=st.lists(titles, min_size=1, max_size=8))
def test_search_finds_what_the_memory_store_finds(
    every_store: Engine | None, data: st.DataObject, stored: list[str]
) -> None:
    sessions = [_session(n, title) for n, title in enumerate(stored)]
    memory = InMemoryStore().unit_of_work
    store: UnitOfWorkFactory = memory
    if every_store is not None:
        clear_tables(every_store)
        store = SqlAlchemyStore(every_store).unit_of_work
    for target in {memory, store}:
        with target() as uow:
            uow.sessions.add_many(sessions)
            uow.commit()
    for _ in range(5):
        needle = data.draw(needles(stored))
        expected = [s.id for s in sessions if needle.casefold() in s.title.casefold()]
        assert _found(memory, needle) == expected
        assert _found(store, needle) == expected, (needle, stored)
