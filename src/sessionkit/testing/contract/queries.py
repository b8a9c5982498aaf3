"""The contract for reading sessions: busy_overlapping, for_series, due and query.

This module keeps :class:`QueryContract` and the tests of ``query`` (its
filters, its orders, offset and cursor pages). The other read methods'
tests are the topic mixin ``QueryReadsContract`` in the private module
``_queries_reads`` beside it, which the class inherits, so a store's subclass
runs them under the same names as before.
"""

from __future__ import annotations

from collections.abc import Callable

import attrs
import pytest

from sessionkit.model.query import SessionQuery, SortField
from sessionkit.model.session import ResourceRef, Session
from sessionkit.ports import UnitOfWorkFactory
from sessionkit.testing.contract._queries_reads import QueryReadsContract
from sessionkit.testing.contract._support import (
    _ORDERINGS,
    _SORT_VALUE,
    ANA,
    BEN,
    OTHER_TENANT,
    ROOM,
    TENANT,
    _at,
    _ids,
    make_session,
)
from sessionkit.timespan import TimeSpan


class QueryContract(QueryReadsContract):
    """The read methods: ``busy_overlapping``, ``for_series``, ``due`` and ``query``."""

    # ------------------------------------------------------------------ query: filters

    def _catalogue(self, store: UnitOfWorkFactory) -> None:
        self.given(
            store,
            make_session("a", at=0, series_id="series-1", title="Algebra I", resources=(ANA,)),
            make_session(
                "b", at=1, series_id="series-1", title="ALGEBRA II", resources=(ANA, ROOM)
            ),
            make_session("c", at=2, series_id="series-2", title="Biology", resources=(BEN,)),
            make_session(
                "d", at=3, is_extra=True, title="Extra algebra drill", resources=(BEN, ROOM)
            ),
            make_session(
                "e",
                at=4,
                series_id="series-2",
                title="100% attendance",
                status="CANCELED",
                busy=False,
                resources=(BEN,),
            ),
            make_session(
                "f",
                at=5,
                series_id="series-1",
                title="snake_case",
                status="FINISHED",
                busy=False,
                resources=(ANA,),
            ),
        )

    @pytest.mark.parametrize(
        ("query", "expected"),
        [
            (SessionQuery(), "abcdef"),
            (SessionQuery(series_id="series-1"), "abf"),
            (SessionQuery(series_id="nope"), ""),
            (SessionQuery(resources=[ROOM]), "bd"),
            (SessionQuery(resources=["teacher:ben", ROOM]), "bcde"),
            (SessionQuery(statuses="SCHEDULED"), "abcd"),
            (SessionQuery(statuses=["CANCELED", "FINISHED"]), "ef"),
            (SessionQuery(start_from=_at(1)), "bcdef"),
            (SessionQuery(start_to=_at(2)), "ab"),
            (SessionQuery(start_from=_at(1), start_to=_at(3)), "bc"),
            (SessionQuery(start_from=_at(0.5), start_to=_at(1.5)), "b"),
            (SessionQuery(search="algebra"), "abd"),
            (SessionQuery(search="ALGEBRA I"), "ab"),
            (SessionQuery(search="0%"), "e"),
            (SessionQuery(search="e_c"), "f"),
            (SessionQuery(search="_"), "f"),
            (SessionQuery(search="%"), "e"),
            (SessionQuery(is_extra=True), "d"),
            (SessionQuery(is_extra=False), "abcef"),
            (SessionQuery(series_id="series-1", statuses="SCHEDULED", resources=[ROOM]), "b"),
            (SessionQuery(resources=None, statuses=None), "abcdef"),
            (SessionQuery(resources=[]), ""),
            (SessionQuery(statuses=()), ""),
            (SessionQuery(resources=[], statuses=["SCHEDULED"]), ""),
            (SessionQuery(statuses=[], search="algebra", resources=[ANA]), ""),
            (SessionQuery(search="a", is_extra=False, start_from=_at(1)), "bef"),
        ],
    )
    def test_query_filters(
        self, store: UnitOfWorkFactory, query: SessionQuery, expected: str
    ) -> None:
        """Each filter alone and combined (AND); lists mean any of; search is literal."""
        self._catalogue(store)
        with store() as uow:
            page = uow.sessions.query(TENANT, query)
        assert "".join(_ids(page.items)) == expected
        assert page.total == len(expected)

    @pytest.mark.parametrize(
        "empty",
        [SessionQuery(resources=[]), SessionQuery(statuses=[])],
        ids=["resources", "statuses"],
    )
    @pytest.mark.parametrize(("sort", "descending"), [("start", False), ("title", True)])
    def test_an_empty_any_of_list_matches_no_session(
        self, store: UnitOfWorkFactory, empty: SessionQuery, sort: SortField, descending: bool
    ) -> None:
        """``resources=[]`` or ``statuses=[]`` is "any of none": an empty page, total 0.

        Not every session, as ``None`` (no filter) lists: a dashboard's empty
        selection of teachers. On any page, after any cursor of the order,
        for every tenant alike.
        """
        self._catalogue(store)
        self.given(store, make_session("o", tenant=OTHER_TENANT, at=1, resources=(ANA,)))
        everything = SessionQuery(sort=sort, descending=descending, limit=2)
        with store() as uow:
            first = uow.sessions.query(TENANT, everything)
            assert (first.total, first.next_cursor is not None) == (6, True)
            assert uow.sessions.query(OTHER_TENANT, everything).total == 1
            nothing = attrs.evolve(empty, sort=sort, descending=descending, limit=2)
            assert nothing.matches_nothing
            pages = [
                uow.sessions.query(tenant, query)
                for tenant in (TENANT, OTHER_TENANT)
                for query in (
                    nothing,
                    attrs.evolve(nothing, page=3),
                    attrs.evolve(nothing, after=first.next_cursor),
                )
            ]
        assert [(p.items, p.total, p.next_cursor, p.pages) for p in pages] == [((), 0, None, 1)] * 6
        assert [(p.page, p.limit) for p in pages[:3]] == [(1, 2), (3, 2), (1, 2)]

    def test_query_filters_compare_exactly(self, store: UnitOfWorkFactory) -> None:
        """Statuses, series ids, resources and groups match as Python compares ``str``.

        Never folding case or padding with spaces, as a database's default
        collation may (MySQL's ``utf8mb4_general_ci`` calls ``"Ana"`` ``"ana"``
        and ``"g1 "`` ``"g1"``); a resource is its kind and its id. Two busy
        sessions at one hour on ``teacher:ana`` and ``teacher:Ana`` do not
        conflict. Search is literal for a backslash too, the escape character of
        ``LIKE``.
        """
        self.given(
            store,
            attrs.evolve(make_session("exact", series_id="series-1", title="C:\\temp"), group="g1"),
            make_session("case", resources=(ResourceRef("teacher", "Ana"),), status="Scheduled"),
            make_session("kind", resources=(ResourceRef("room", "ana"),), title="tea"),
            attrs.evolve(make_session("upper", at=1, series_id="Series-1"), group="G1"),
            attrs.evolve(make_session("padded", at=2, resources=(BEN,)), group="g1 "),
        )
        with store() as uow:

            def found(query: SessionQuery) -> list[str]:
                return _ids(uow.sessions.query(TENANT, query).items)

            assert found(SessionQuery(statuses=["SCHEDULED"])) == [
                "exact",
                "kind",
                "upper",
                "padded",
            ]
            assert found(SessionQuery(statuses=["Scheduled"])) == ["case"]
            assert found(SessionQuery(series_id="series-1")) == ["exact"]
            assert found(SessionQuery(resources=[ANA])) == ["exact", "upper"]
            assert found(SessionQuery(resources=["teacher:Ana"])) == ["case"]
            assert found(SessionQuery(group="g1")) == ["exact"]
            assert found(SessionQuery(group="g1 ")) == ["padded"]
            assert found(SessionQuery(search="\\")) == ["exact"]
            assert found(SessionQuery(search="\\t")) == ["exact"]
            span = TimeSpan(_at(0), _at(3))
            busy = uow.sessions.busy_overlapping(TENANT, resources=[ANA], span=span)
            assert _ids(busy) == ["exact", "upper"]
            due = uow.sessions.due(TENANT, statuses=["SCHEDULED"], start_before=_at(9))
            assert _ids(due) == ["exact", "kind", "upper", "padded"]

    def test_query_search_folds_unicode_case(self, store: UnitOfWorkFactory) -> None:
        """Title search ignores case beyond ASCII (capability ``unicode_search``)."""
        if not self.unicode_search:
            pytest.skip("this adapter folds case for ASCII only")
        self.given(store, make_session("a", title="Économie"), make_session("b", at=1, title="eco"))
        with store() as uow:
            page = uow.sessions.query(TENANT, SessionQuery(search="éCO"))
        assert _ids(page.items) == ["a"]

    # Titles whose case folds beyond one letter to one letter: a dotted capital I ("İ" folds
    # to "i" and a combining dot), a final sigma, a capital sharp s ("ẞ" folds to "ss"), a
    # ligature, and an accent.
    UNICODE_TITLES = ("İstanbul", "ΣΊΣΥΦΟΣ", "ẞ-Straße", "ﬁnance", "Économie")

    @pytest.mark.parametrize(
        "variant", [str, str.upper, str.lower, str.casefold, str.title, lambda t: t[1:-1]]
    )
    def test_query_search_finds_titles_whatever_their_case(
        self, store: UnitOfWorkFactory, variant: Callable[[str], str]
    ) -> None:
        """A title is found by itself, in any case, and by any part of it (``unicode_search``).

        A title matches when the folded needle is part of the folded title, folded
        with ``str.casefold`` on every adapter (PostgreSQL's and MariaDB's
        ``lower()`` fold differently, and missed "İstanbul" searched as itself).
        """
        if not self.unicode_search:
            pytest.skip("this adapter folds case for ASCII only")
        titles = self.UNICODE_TITLES
        self.given(
            store,
            *(make_session(f"t{n}", at=n, title=title) for n, title in enumerate(titles)),
        )
        for n, title in enumerate(titles):
            needle = variant(title)
            expected = [f"t{m}" for m, t in enumerate(titles) if needle.casefold() in t.casefold()]
            assert f"t{n}" in expected
            with store() as uow:
                page = uow.sessions.query(TENANT, SessionQuery(search=needle))
            assert _ids(page.items) == expected, needle

    # ------------------------------------------------------------------ query: order and pages

    def _ordered_sessions(self, store: UnitOfWorkFactory) -> list[Session]:
        """Twelve sessions with ties in every sort field, stored in a scrambled order."""
        sessions = [
            make_session(
                f"s{n:02d}",
                at=(n * 7) % 5,
                hours=1 + (n % 3),
                created=-float((n * 5) % 4),
                updated=None if n % 3 == 0 else -float((n * 11) % 4),
                resources=(),
            )
            for n in (7, 3, 11, 0, 9, 5, 1, 10, 4, 8, 2, 6)
        ]
        self.given(store, *sessions)
        return sessions

    @pytest.mark.parametrize(("sort", "descending"), _ORDERINGS)
    def test_query_sorts_with_id_as_tiebreaker(
        self, store: UnitOfWorkFactory, sort: SortField, descending: bool
    ) -> None:
        """Each sort field in both directions, ties broken by id in the same direction."""
        sessions = self._ordered_sessions(store)
        expected = sorted(sessions, key=lambda s: (_SORT_VALUE[sort](s), s.id), reverse=descending)
        with store() as uow:
            page = uow.sessions.query(TENANT, SessionQuery(sort=sort, descending=descending))
        assert _ids(page.items) == _ids(expected)

    def test_offset_pages_with_totals(self, store: UnitOfWorkFactory) -> None:
        """Offset pages carry the total, the page, the limit and the page count."""
        sessions = self._ordered_sessions(store)
        expected = _ids(sorted(sessions, key=lambda s: (s.span.start, s.id)))
        with store() as uow:
            pages = [
                uow.sessions.query(TENANT, SessionQuery(limit=5, page=n)) for n in (1, 2, 3, 4)
            ]
        assert [p.total for p in pages] == [12] * 4
        assert [(p.page, p.limit, p.pages) for p in pages] == [(n, 5, 3) for n in (1, 2, 3, 4)]
        assert [_ids(p.items) for p in pages] == [expected[:5], expected[5:10], expected[10:], []]
        assert pages[2].next_cursor is None
        assert pages[3].next_cursor is None

    def test_an_offset_page_continues_with_its_cursor(self, store: UnitOfWorkFactory) -> None:
        """An offset page's ``next_cursor`` continues right after it."""
        sessions = self._ordered_sessions(store)
        expected = _ids(sorted(sessions, key=lambda s: (s.created_at, s.id), reverse=True))
        with store() as uow:
            second = uow.sessions.query(
                TENANT, SessionQuery(sort="created", descending=True, limit=4, page=2)
            )
            assert second.next_cursor is not None
            third = uow.sessions.query(
                TENANT,
                SessionQuery(sort="created", descending=True, limit=4, after=second.next_cursor),
            )
        assert _ids(second.items) + _ids(third.items) == expected[4:]

    @pytest.mark.parametrize(("sort", "descending"), _ORDERINGS)
    def test_cursor_pages_through_everything_once(
        self, store: UnitOfWorkFactory, sort: SortField, descending: bool
    ) -> None:
        """Following cursors visits every session exactly once, in order."""
        sessions = self._ordered_sessions(store)
        expected = sorted(sessions, key=lambda s: (_SORT_VALUE[sort](s), s.id), reverse=descending)
        seen: list[str] = []
        after: str | None = None
        with store() as uow:
            for _ in range(len(sessions) + 1):
                query = SessionQuery(sort=sort, descending=descending, limit=5, after=after)
                page = uow.sessions.query(TENANT, query)
                assert page.total == len(sessions)
                seen.extend(_ids(page.items))
                after = page.next_cursor
                if after is None:
                    break
        assert seen == _ids(expected)

    def test_cursor_paging_with_filters_and_an_exact_last_page(
        self, store: UnitOfWorkFactory
    ) -> None:
        """Cursors keep the filters' total; a full last page has no next cursor."""
        self._catalogue(store)
        with store() as uow:
            first = uow.sessions.query(TENANT, SessionQuery(series_id="series-1", limit=2))
            assert (_ids(first.items), first.total) == (["a", "b"], 3)
            assert first.next_cursor is not None
            rest = uow.sessions.query(
                TENANT, SessionQuery(series_id="series-1", limit=2, after=first.next_cursor)
            )
            assert (_ids(rest.items), rest.total, rest.next_cursor) == (["f"], 3, None)
            exact = uow.sessions.query(TENANT, SessionQuery(limit=6))
            assert (len(exact.items), exact.next_cursor) == (6, None)

    def test_a_cursor_survives_a_deleted_row(self, store: UnitOfWorkFactory) -> None:
        """A cursor is a position, not a row: deleting its row does not break it."""
        self._catalogue(store)
        with store() as uow:
            first = uow.sessions.query(TENANT, SessionQuery(limit=2))
            uow.sessions.delete(TENANT, "b", expected_version=1)
            assert first.next_cursor is not None
            rest = uow.sessions.query(TENANT, SessionQuery(limit=2, after=first.next_cursor))
        assert _ids(rest.items) == ["c", "d"]
