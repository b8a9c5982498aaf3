"""``SessionQuery(search=..., search_fields=...)`` on every store equals a plain-Python oracle.

A session matches when the casefolded needle is part of its casefolded title,
or the lower-cased needle part of a named own field's lower-cased text (a
number or a list never matches). Texts and needles are ASCII here, where
every database's ``lower()`` agrees with Python's; ``%``, ``_`` and a
backslash are among their characters, so the ``LIKE`` escaping is checked too.
"""

from __future__ import annotations

import os

import attrs
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine

from sessionkit.adapters.memory import InMemoryStore
from sessionkit.adapters.sqlalchemy import SqlAlchemyStore
from sessionkit.adapters.sqlalchemy.testing import clear_tables
from sessionkit.model.query import SessionQuery
from sessionkit.model.session import Session
from sessionkit.ports import UnitOfWorkFactory
from sessionkit.testing.contract import TENANT, make_session

_TEXT = st.text(alphabet="aAbB@.%_\\ ", max_size=6)
_KEYS = ("client", "email")


@st.composite
def _texts(draw: st.DrawFn, needle: str) -> str:
    """A text, often holding ``needle`` with its case changed around other characters."""
    if not draw(st.booleans()):
        return draw(_TEXT)
    inside = draw(st.sampled_from([needle, needle.swapcase(), needle.upper(), needle.lower()]))
    return draw(_TEXT) + inside + draw(_TEXT)


@st.composite
def _sessions(draw: st.DrawFn, needle: str) -> list[Session]:
    values = st.one_of(
        _texts(needle), st.integers(0, 9), st.lists(_texts(needle), max_size=1), st.booleans()
    )
    made = []
    for n in range(draw(st.integers(0, 8))):
        fields = draw(st.dictionaries(st.sampled_from(_KEYS), values, max_size=2))
        session = make_session(f"s{n}", at=n, resources=(), title=draw(_texts(needle)))
        made.append(attrs.evolve(session, metadata=fields))
    return made


def _oracle(sessions: list[Session], needle: str, keys: tuple[str, ...]) -> list[str]:
    def found(session: Session) -> bool:
        if needle.casefold() in session.title.casefold():
            return True
        texts = [session.metadata.get(key) for key in keys]
        return any(isinstance(t, str) and needle.lower() in t.lower() for t in texts)

    return [s.id for s in sessions if found(s)]


def _found(uow: UnitOfWorkFactory, sessions: list[Session], query: SessionQuery) -> list[str]:
    with uow() as unit:
        unit.sessions.add_many(sessions)
        unit.commit()
    with uow() as unit:
        return [s.id for s in unit.sessions.query(TENANT, query).items]


@settings(
    # Each example stores the sessions in every backend: few examples, ten times more when thorough.
    max_examples=25 * (10 if os.environ.get("HYPOTHESIS_PROFILE") == "thorough" else 1),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    database=None,
)
@given(
    data=st.data(),
    needle=_TEXT.filter(bool),
    keys=st.lists(st.sampled_from(_KEYS), max_size=2, unique=True).map(tuple),
)
def test_every_store_finds_what_the_oracle_finds(
    engines: list[Engine], data: st.DataObject, needle: str, keys: tuple[str, ...]
) -> None:
    sessions = data.draw(_sessions(needle), label="sessions")
    query = SessionQuery(search=needle, search_fields=keys, limit=100)
    expected = _oracle(sessions, needle, tuple(sorted(keys)))
    assert _found(InMemoryStore().unit_of_work, sessions, query) == expected
    for engine in engines:
        clear_tables(engine)
        assert _found(SqlAlchemyStore(engine).unit_of_work, sessions, query) == expected, engine
