"""The contract for own fields, groups and orders of several keys.

Every adapter must agree with :func:`sessionkit.model.fields.field_matches`
(a filter compares JSON type and value: ``"1"`` is not ``1``, ``True`` is not
``1``, ``1`` is not ``1.0``, ``"zoom "`` is not ``"zoom"``), filter by
``group``, store and return ``group`` and own fields of every JSON type, find
a group's series, and sort by several keys (text keys by code point) with
keyset cursors that continue strictly after a row in mixed directions.

This module owns :class:`FieldsContract`, the tests; what they store (the own
fields, titles, statuses and groups), the orders they try and
:func:`expected_order`, their oracle, live in ``_fields_data``.
"""

from __future__ import annotations

from typing import Any

import attrs
import pytest

from sessionkit.errors import InvalidValue
from sessionkit.model.query import SessionQuery, SortKey
from sessionkit.model.series import SeriesStatus
from sessionkit.model.session import Session
from sessionkit.ports import UnitOfWorkFactory
from sessionkit.testing.contract._fields_data import (
    _BIG,
    _FIELDS,
    _GROUPS,
    _ORDERS,
    _STATUSES,
    _TITLES,
    _with_fields,
)

# expected_order is read from here, as before (the module has no __all__).
from sessionkit.testing.contract._fields_data import expected_order as expected_order
from sessionkit.testing.contract._support import (
    OTHER_TENANT,
    TENANT,
    ContractBase,
    _at,
    _ids,
    make_series,
    make_session,
)


class FieldsContract(ContractBase):
    """Own fields (``metadata``) and ``group``: storage, filters, group series, multi-key order."""

    # ------------------------------------------------------------------ storage

    def test_own_fields_and_group_round_trip(self, store: UnitOfWorkFactory) -> None:
        """Every JSON type comes back as stored, with the group, on sessions and series."""
        sessions = _with_fields()
        series = attrs.evolve(make_series("series-1"), metadata={"contract": "c-9"}, group="g1")
        with store() as uow:
            uow.series.add(series)
            uow.sessions.add_many(sessions)
            uow.commit()
        with store() as uow:
            for session in sessions:
                got = uow.sessions.get(TENANT, session.id)
                assert dict(got.metadata) == _FIELDS[session.id]
                assert got.group == session.group
            got_series = uow.series.get(TENANT, "series-1")
            assert (dict(got_series.metadata), got_series.group) == ({"contract": "c-9"}, "g1")
            changed = attrs.evolve(got_series, metadata={"level": 2.5, "tags": ["x", None]})
            uow.series.update(changed, expected_version=1)
            uow.commit()
        with store() as uow:
            assert dict(uow.series.get(TENANT, "series-1").metadata) == {
                "level": 2.5,
                "tags": ["x", None],
            }

    def test_own_fields_come_back_in_key_order(self, store: UnitOfWorkFactory) -> None:
        """Keys come in code point order, nested ones too, on every store and record.

        PostgreSQL's ``jsonb`` keeps no key order (it lists shorter keys first): a
        session read back from it listed ``{"zeta": 1, "b": 2}`` as ``{"b": 2,
        "zeta": 1}`` while the in-memory store kept the order it was given.
        """
        fields = {"zeta": 1, "b": {"yy": 1, "a": [{"q": 1, "p": 2}]}, "alpha": None, "É": "x"}
        ordered = ["alpha", "b", "zeta", "É"]
        session = attrs.evolve(make_session("keys", resources=()), metadata=fields)
        series = attrs.evolve(make_series("series-keys"), metadata=fields)
        assert list(session.metadata) == ordered
        with store() as uow:
            uow.series.add(series)
            uow.sessions.add(session)
            uow.commit()
        with store() as uow:
            for got in (uow.sessions.get(TENANT, "keys"), uow.series.get(TENANT, "series-keys")):
                assert list(got.metadata) == ordered
                assert list(got.metadata["b"]) == ["a", "yy"]
                assert list(got.metadata["b"]["a"][0]) == ["p", "q"]

    def test_numbers_keep_their_type_at_the_edges(self, store: UnitOfWorkFactory) -> None:
        """Floats up to the limit (and tiny ones) come back floats, big ints ints."""
        # PostgreSQL's jsonb read a float written with an exponent ("1e+16") back as an
        # int; floats from 1e16 on are refused for that (field_value), these are not.
        edges: dict[str, Any] = {
            "below": 9999999999999998.0,
            "minus": -9.999999999999998e15,
            "tiny": 1e-300,
            "least": 5e-324,
            "whole": 1e15,
            "int": _BIG,
            "nested": [2.0, {"x": -0.0}],
        }
        session = attrs.evolve(make_session("edges", resources=()), metadata=edges)
        with store() as uow:
            uow.sessions.add(session)
            uow.commit()
        with store() as uow:
            got = dict(uow.sessions.get(TENANT, "edges").metadata)

        def typed(value: Any) -> Any:
            if isinstance(value, list):
                return [typed(item) for item in value]
            if isinstance(value, dict):
                return {key: typed(item) for key, item in value.items()}
            return (type(value).__name__, value)

        assert typed(got) == typed(edges)

    def test_series_in_group(self, store: UnitOfWorkFactory) -> None:
        """``in_group`` returns a tenant's series of one group, any status, by id."""
        with store() as uow:
            for series_id, tenant, group, status in [
                ("s3", TENANT, "g1", SeriesStatus.ACTIVE),
                ("s1", TENANT, "g1", SeriesStatus.CLOSED),
                ("s2", TENANT, "G1", SeriesStatus.ACTIVE),
                ("s4", TENANT, None, SeriesStatus.ACTIVE),
                ("s5", OTHER_TENANT, "g1", SeriesStatus.ACTIVE),
                ("s6", TENANT, "g1 ", SeriesStatus.ACTIVE),
            ]:
                series = make_series(series_id, tenant=tenant, status=status)
                uow.series.add(attrs.evolve(series, group=group))
            uow.commit()
        with store() as uow:
            assert [s.id for s in uow.series.in_group(TENANT, "g1")] == ["s1", "s3"]
            assert [s.id for s in uow.series.in_group(OTHER_TENANT, "g1")] == ["s5"]
            assert uow.series.in_group(TENANT, "nope") == []

    # ------------------------------------------------------------------ filters

    @pytest.mark.parametrize(
        ("fields", "expected"),
        [
            ({"type": "video"}, "ab"),
            ({"type": "Video"}, "d"),
            ({"type": "vidéo"}, "f"),
            ({"type": 'say "hi" \\ 😀'}, "g"),
            ({"platform": "zoom"}, "af"),
            ({"platform": "zoom "}, "c"),
            ({"platform": ["zoom", "meet"]}, "abf"),
            ({"level": 1}, "a"),
            ({"level": "1"}, "b"),
            ({"level": True}, "d"),
            ({"level": [1, True]}, "ad"),
            ({"level": (1, "1")}, "ab"),
            ({"level": -3}, "f"),
            ({"level": _BIG}, "g"),
            ({"paid": True}, "a"),
            ({"paid": 1}, "b"),
            ({"paid": False}, "c"),
            ({"paid": 0}, ""),
            ({"paid": "true"}, "f"),
            ({"paid": [True, False]}, "ac"),
            ({"missing": "x"}, ""),
            ({"nested": 1}, "g"),
            ({"nested": "1"}, ""),
            ({"type": "video", "platform": "meet"}, "b"),
            ({"type": {"video", "audio"}}, "abc"),
            ({"type": ["video", "audio", "Video"], "paid": [False, True]}, "ac"),
        ],
    )
    def test_field_filters(
        self, store: UnitOfWorkFactory, fields: dict[str, Any], expected: str
    ) -> None:
        """Equality or membership per key, by JSON type and exact value (binary, no padding)."""
        self.given(store, *_with_fields())
        with store() as uow:
            page = uow.sessions.query(TENANT, SessionQuery(fields=fields))
        assert ("".join(_ids(page.items)), page.total) == (expected, len(expected))

    def test_group_filter_combines_with_the_others(self, store: UnitOfWorkFactory) -> None:
        """``group`` keeps one group's sessions (exactly that key) and ANDs with the rest."""
        self.given(store, *_with_fields())
        with store() as uow:
            in_group = uow.sessions.query(TENANT, SessionQuery(group="g1"))
            video = uow.sessions.query(TENANT, SessionQuery(group="g1", fields={"type": "video"}))
            other = uow.sessions.query(TENANT, SessionQuery(group="G1"))
            elsewhere = uow.sessions.query(OTHER_TENANT, SessionQuery(group="g1"))
        assert _ids(in_group.items) == ["a", "b", "c"]
        assert _ids(video.items) == ["a", "b"]
        assert other.total == elsewhere.total == 0

    @pytest.mark.parametrize(
        ("search", "keys", "expected"),
        [
            ("asha", (), "c"),
            ("asha", ("client",), "ac"),
            ("asha", ("client", "email"), "acf"),
            ("ASHA", ("email",), "cf"),
            ("EXAMPLE.com", ("client",), "abc"),
            ("meera@", ("client",), "b"),
            ("rao", ("name",), "a"),
            ("42", ("client",), ""),
            ("%_", ("code",), "d"),
            ("\\x", ("code",), "d"),
            ("%", ("client",), ""),
            ("asha", ("missing",), "c"),
        ],
    )
    def test_search_fields(
        self, store: UnitOfWorkFactory, search: str, keys: tuple[str, ...], expected: str
    ) -> None:
        """``search`` finds the title or the text of a named own field (ASCII case ignored).

        Literal (``%``, ``_`` and a backslash are themselves); only text values
        (not a number, not a list holding the text); any of the fields or the title.
        """
        rows: list[tuple[str, dict[str, Any]]] = [
            ("Strategy call", {"client": "asha.rao@example.com", "name": "Asha Rao"}),
            ("Review", {"client": "MEERA@Example.COM"}),
            ("asha's notes", {"client": "dev@example.com"}),
            ("Other", {"client": 42, "code": "50%_off\\x"}),
            ("Café", {"client": ["asha@example.com"]}),
            ("Follow-up", {"email": "Asha@example.org"}),
        ]
        self.given(
            store,
            *(
                attrs.evolve(make_session(name, at=n, title=title), metadata=fields)
                for n, (name, (title, fields)) in enumerate(zip("abcdef", rows, strict=True))
            ),
            # Another tenant's session that every search of the table would find.
            attrs.evolve(
                make_session("z", tenant=OTHER_TENANT, title=search),
                metadata=dict.fromkeys(("client", "email", "name", "code"), search),
            ),
        )
        with store() as uow:
            page = uow.sessions.query(TENANT, SessionQuery(search=search, search_fields=keys))
            later = uow.sessions.query(
                TENANT, SessionQuery(search=search, search_fields=keys, start_from=_at(2))
            )
        assert ("".join(_ids(page.items)), page.total) == (expected, len(expected))
        assert "".join(_ids(later.items)) == "".join(c for c in expected if c >= "c")

    def test_search_fields_find_a_text_by_itself(self, store: UnitOfWorkFactory) -> None:
        """An own field's text is found by itself and by a part of it, whatever its letters.

        The search is lowered by the store's ``lower()``, as the text is: SQLite's
        keeps ``É`` (so ``lower()`` in Python would miss ``ÉMILE`` there), and
        PostgreSQL's and MySQL's make one ``i`` of ``İ`` (Python's makes two letters);
        a part ending in ``Σ`` is found inside a word (no final ``ς`` of it).
        """
        texts = ["ÉMILE@exämple.com", "İstanbul Office", "ΣΟΦΙΑ", "Straße", "ΟΔΟΣΑ"]
        self.given(
            store,
            *(
                attrs.evolve(make_session(f"s{n}", at=n, title="Call"), metadata={"client": text})
                for n, text in enumerate(texts)
            ),
        )
        needles = [*texts, "ÉMILE@", "İstanbul", "ΟΦΙ", "aße", "ΟΔΟΣ"]
        with store() as uow:
            pages = [
                uow.sessions.query(TENANT, SessionQuery(search=n, search_fields="client"))
                for n in needles
            ]
        found = [_ids(page.items) for page in pages]
        assert found == [[f"s{n}"] for n in (0, 1, 2, 3, 4, 0, 1, 2, 3, 4)]

    # ------------------------------------------------------------------ orders of several keys

    def _varied(self, store: UnitOfWorkFactory) -> list[Session]:
        """Twenty sessions with ties in every key, stored in a scrambled order."""
        sessions = [
            attrs.evolve(
                make_session(
                    f"s{n:02d}",
                    at=(n * 7) % 4,
                    hours=1 + (n % 2),
                    created=-float((n * 5) % 3),
                    updated=None if n % 3 == 0 else -float((n * 11) % 3),
                    resources=(),
                    title=_TITLES[(n * 3) % len(_TITLES)],
                    status=_STATUSES[n % len(_STATUSES)],
                ),
                group=_GROUPS[(n * 7) % len(_GROUPS)],
            )
            for n in (7, 3, 11, 0, 9, 5, 1, 10, 4, 8, 2, 6, 19, 13, 17, 15, 12, 14, 16, 18)
        ]
        self.given(store, *sessions)
        return sessions

    @pytest.mark.parametrize("order", _ORDERS)
    def test_orders_of_several_keys(
        self, store: UnitOfWorkFactory, order: tuple[SortKey, ...]
    ) -> None:
        """Each key in its direction, text by code point, ties by id in the last direction."""
        sessions = self._varied(store)
        with store() as uow:
            page = uow.sessions.query(TENANT, SessionQuery(order=order))
        assert _ids(page.items) == expected_order(sessions, order)

    @pytest.mark.parametrize("order", _ORDERS)
    def test_cursor_pages_to_the_end_in_any_order(
        self, store: UnitOfWorkFactory, order: tuple[SortKey, ...]
    ) -> None:
        """Cursors visit every session once, in order; offset pages agree with them."""
        sessions = self._varied(store)
        expected = expected_order(sessions, order)
        seen: list[str] = []
        after: str | None = None
        with store() as uow:
            for _ in range(len(sessions)):
                page = uow.sessions.query(TENANT, SessionQuery(order=order, limit=3, after=after))
                seen.extend(_ids(page.items))
                after = page.next_cursor
                if after is None:
                    break
            offset = [
                _ids(uow.sessions.query(TENANT, SessionQuery(order=order, limit=6, page=n)).items)
                for n in (1, 2, 3, 4)
            ]
        assert seen == expected
        assert [i for chunk in offset for i in chunk] == expected

    def test_one_key_forms_agree(self, store: UnitOfWorkFactory) -> None:
        """``sort``/``descending`` is the one-key ``order``, cursors included."""
        sessions = self._varied(store)
        with store() as uow:
            old = uow.sessions.query(TENANT, SessionQuery(sort="title", descending=True, limit=4))
            new = uow.sessions.query(TENANT, SessionQuery(order=[("title", "desc")], limit=4))
            assert _ids(old.items) == _ids(new.items)
            assert old.next_cursor == new.next_cursor
            assert old.next_cursor is not None
            with pytest.raises(InvalidValue, match="this cursor pages by"):
                uow.sessions.query(TENANT, SessionQuery(sort="title", after=old.next_cursor))
        assert _ids(old.items) == expected_order(sessions, [("title", "desc")])[:4]

    def test_a_cursor_is_a_position_in_any_order(self, store: UnitOfWorkFactory) -> None:
        """A multi-key cursor still works when its row is deleted and others are added."""
        sessions = self._varied(store)
        order: tuple[SortKey, ...] = (("group", "asc"), ("title", "desc"))
        with store() as uow:
            first = uow.sessions.query(TENANT, SessionQuery(order=order, limit=5))
            last = first.items[-1]
            uow.sessions.delete(TENANT, last.id, expected_version=last.version)
            twin = attrs.evolve(last, id=last.id + "x", version=1)
            uow.sessions.add(twin)
            rest = uow.sessions.query(
                TENANT, SessionQuery(order=order, limit=100, after=first.next_cursor)
            )
        everything = expected_order([*sessions, twin], order)
        expected = everything[everything.index(last.id) + 1 :]
        assert _ids(rest.items) == expected


# Show (and pickle) what moved to the private module under this public path, as before.
expected_order.__module__ = __name__
