"""Orders of several keys in memory: cursor and offset paging equal a sorted() oracle."""

from __future__ import annotations

import functools
from datetime import timedelta
from typing import Any

import attrs
from hypothesis import given
from hypothesis import strategies as st

from sessionkit.adapters.memory import InMemoryStore
from sessionkit.model.query import SORT_FIELDS, SessionQuery, SortKey
from sessionkit.model.session import Session
from sessionkit.testing.contract import TENANT, make_session

_TITLES = ["a", "A", "b", "a ", "é", "", "B"]
_STATUSES = ["SCHEDULED", "CANCELED", "FINISHED"]
_GROUPS = [None, "g", "G", "g "]


@st.composite
def _sessions(draw: st.DrawFn) -> list[Session]:
    count = draw(st.integers(0, 14))
    made = []
    for n in range(count):
        session = make_session(
            f"s{draw(st.integers(0, 99)):02d}-{n}",
            at=draw(st.integers(0, 3)),
            hours=draw(st.integers(1, 2)),
            created=-float(draw(st.integers(0, 2))),
            updated=draw(st.one_of(st.none(), st.integers(-2, 0).map(float))),
            resources=(),
            title=draw(st.sampled_from(_TITLES)),
            status=draw(st.sampled_from(_STATUSES)),
        )
        made.append(attrs.evolve(session, group=draw(st.sampled_from(_GROUPS))))
    return made


_directions = st.sampled_from(["asc", "desc"])
_orders = st.lists(st.sampled_from(SORT_FIELDS), min_size=1, max_size=3, unique=True).flatmap(
    lambda fields: st.tuples(*(st.tuples(st.just(f), _directions) for f in fields))
)


def _value(session: Session, field: str) -> Any:
    return {
        "start": session.start,
        "end": session.end,
        "created": session.created_at,
        "updated": session.updated_at or session.created_at,
        "title": session.title,
        "status": session.status,
        "group": session.group or "",
    }[field]


def _oracle(sessions: list[Session], order: tuple[SortKey, ...]) -> list[str]:
    def compare(left: Session, right: Session) -> int:
        keys = [(_value(left, f), _value(right, f), d) for f, d in order]
        keys.append((left.id, right.id, order[-1][1]))
        for a, b, direction in keys:
            if a != b:
                smaller = -1 if a < b else 1
                return smaller if direction == "asc" else -smaller
        return 0

    return [s.id for s in sorted(sessions, key=functools.cmp_to_key(compare))]


@given(_sessions(), _orders, st.integers(1, 5))
def test_cursor_and_offset_paging_follow_the_oracle(
    sessions: list[Session], order: tuple[SortKey, ...], limit: int
) -> None:
    store = InMemoryStore()
    with store.unit_of_work() as uow:
        uow.sessions.add_many(sessions)
        uow.commit()
    expected = _oracle(sessions, order)
    seen: list[str] = []
    after: str | None = None
    with store.unit_of_work() as uow:
        for _ in range(len(sessions) + 1):
            page = uow.sessions.query(TENANT, SessionQuery(order=order, limit=limit, after=after))
            assert page.total == len(sessions)
            seen.extend(s.id for s in page.items)
            after = page.next_cursor
            if after is None:
                break
        pages = -(-len(sessions) // limit)
        query = SessionQuery(order=order, limit=limit)
        offset = [
            s.id
            for n in range(1, pages + 1)
            for s in uow.sessions.query(TENANT, attrs.evolve(query, page=n)).items
        ]
    assert seen == expected
    assert offset == expected


def test_the_oracle_breaks_ties_by_id_in_the_last_direction() -> None:
    one = make_session("a", resources=())
    two = attrs.evolve(one, id="b", span=one.span.shift(timedelta(0)))
    assert _oracle([one, two], (("title", "desc"),)) == ["b", "a"]
