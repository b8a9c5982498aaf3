"""The contract of the journal kind: the generic rules plus histories in pages.

:class:`JournalRepositoryContract` fills in the generic
:class:`~sessionkit.testing.contract.RepositoryContract` for
:data:`~sessionkit.ports.JOURNAL`, and adds what
:class:`~sessionkit.ports.JournalRepository` promises beyond it: ``history``
by session, by record or the tenant's whole, oldest first (``at``, then
``seq``, then ``id`` by code point), continued after a cursor, scoped to the
tenant, and no parent (a session's history outlives it); narrowed by the
store to one actor's entries (compared exactly) and to a window ``[since,
before)``, in pages that stay whole with the filters. Subclass it once per
adapter and implement ``make_store``.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import attrs

from sessionkit.model.journal import JournalEntry
from sessionkit.ports import JOURNAL, JournalRepository, UnitOfWork
from sessionkit.ports import UnitOfWorkFactory as Factory
from sessionkit.testing.contract._support import OTHER_TENANT, T0, TENANT, page_through
from sessionkit.testing.contract.repository import RepositoryContract

__all__ = ["JournalRepositoryContract", "make_entry"]


def make_entry(
    entry_id: str,
    *,
    tenant: str = TENANT,
    session_id: str | None = "s1",
    subject: str = "session",
    subject_id: str | None = None,
    minutes: float = 0.0,
    seq: int = 1,
    event: str = "SessionStatusChanged",
    actor: str | None = "ana",
) -> JournalEntry:
    """Return an entry ``minutes`` after ``T0`` about ``subject_id`` (default: the session)."""
    return JournalEntry(
        id=entry_id,
        tenant=tenant,
        at=T0 + timedelta(minutes=minutes),
        seq=seq,
        event=event,
        subject=subject,
        subject_id=subject_id if subject_id is not None else (session_id or "series-1"),
        session_id=session_id,
        actor=actor,
        role="teacher",
        previous="SCHEDULED",
        status="CANCELLED",
        transition="cancel",
        reason="ill, sorry: 病気",
        details={"changed": ["title"], "old": {"title": "Chem"}, "seats": 2, "nested": [1, None]},
    )


class JournalRepositoryContract(RepositoryContract[JournalEntry]):
    """The contract of :data:`~sessionkit.ports.JOURNAL`; implement ``make_store``."""

    kind = JOURNAL

    def make_record(
        self, record_id: str, *, tenant: str = TENANT, variant: int = 0
    ) -> JournalEntry:
        """Return an entry of session ``s<variant>``."""
        return make_entry(record_id, tenant=tenant, session_id=f"s{variant}", seq=variant + 1)

    def change(self, record: JournalEntry) -> JournalEntry:
        """Return the entry with another reason."""
        return attrs.evolve(record, reason="changed")

    def journal(self, uow: UnitOfWork) -> JournalRepository:
        """Return the unit's journal repository."""
        return uow.repository(JOURNAL)

    def _history(self, store: Factory, **asked: object) -> list[str]:
        with store() as uow:
            found = self.journal(uow).history(TENANT, limit=100, **asked)  # type: ignore[arg-type]
        return [entry.id for entry in found]

    def _pages(self, store: Factory, *, rows: int, **asked: Any) -> list[str]:
        """Every page of 4 of the tenant's history with the filters ``asked``, read on by cursor."""
        with store() as uow:
            journal = self.journal(uow)
            found = page_through(
                lambda after: journal.history(TENANT, after=after, limit=4, **asked),
                lambda entry: (entry.at, entry.seq, entry.id),
                rows=rows,
                what=f"history({asked})",
            )
        return [entry.id for entry in found]

    def test_a_history_keeps_every_field(self, store: Factory) -> None:
        """An entry reads back as it was added: text, instants, JSON details, no parent needed."""
        entry = make_entry("e1", session_id="gone")  # no such session: the journal needs none
        series = make_entry("e2", session_id=None, subject="series", subject_id="chem")
        self.keep(store, entry, series)
        with store() as uow:
            journal = self.journal(uow)
            assert journal.history(TENANT, session_id="gone", limit=10) == [entry]
            found = journal.history(TENANT, subject=("series", "chem"), limit=10)
        assert found == [series]
        assert found[0].session_id is None
        assert dict(found[0].details) == dict(series.details)
        # In one key order on every store: PostgreSQL's jsonb lists shorter keys first.
        assert list(found[0].details) == ["changed", "nested", "old", "seats"]

    def test_a_history_is_oldest_first_then_in_written_order(self, store: Factory) -> None:
        """``at``, then ``seq``, then the id by code point: not the order of the ids alone."""
        self.keep(
            store,
            make_entry("a", minutes=10, seq=1),
            make_entry("b", minutes=0, seq=9),
            make_entry("c", minutes=0, seq=3),
            make_entry("D", minutes=0, seq=3),
            make_entry("e", minutes=-5, seq=100),
        )
        assert self._history(store, session_id="s1") == ["e", "D", "c", "b", "a"]

    def test_a_history_continues_after_its_cursor(self, store: Factory) -> None:
        """Pages after ``(at, seq, id)`` add up to the whole history, each entry once."""
        entries = [make_entry(f"e{n}", minutes=n // 3, seq=n % 2) for n in range(9)]
        self.keep(store, *entries)
        whole = self._history(store, session_id="s1")
        assert sorted(whole) == sorted(e.id for e in entries)
        with store() as uow:
            journal = self.journal(uow)
            pages = page_through(
                lambda after: journal.history(TENANT, session_id="s1", after=after, limit=2),
                lambda entry: (entry.at, entry.seq, entry.id),
                rows=len(entries),
                what="history",
            )
            assert journal.history(TENANT, session_id="s1", limit=0) == []
        assert [entry.id for entry in pages] == whole

    def test_a_history_is_the_tenants_and_the_sessions_or_records(self, store: Factory) -> None:
        """Another tenant's entries, another session's or record's, are never in it."""
        self.keep(
            store,
            make_entry("e1"),
            make_entry("e2", subject="booking", subject_id="b1"),
            make_entry("e3", session_id="s2"),
            make_entry("e4", tenant=OTHER_TENANT),
            make_entry("e5", session_id="s2", subject="booking", subject_id="b1"),
        )
        assert self._history(store, session_id="s1") == ["e1", "e2"]
        assert self._history(store, subject=("booking", "b1")) == ["e2", "e5"]
        assert self._history(store, subject=("session", "s1")) == ["e1"]
        assert self._history(store) == ["e1", "e2", "e3", "e5"]
        with store() as uow:
            other = self.journal(uow).history(OTHER_TENANT, limit=10)
        assert [entry.id for entry in other] == ["e4"]

    def test_a_history_keeps_one_actors_entries_compared_exactly(self, store: Factory) -> None:
        """``actor`` matches to the letter: no collation folds case or accents or pads spaces."""
        actors = ["ana", "Ana", "ana ", "ána", "", None, "ana"]
        self.keep(
            store,
            *(make_entry(f"e{n}", minutes=n, actor=actor) for n, actor in enumerate(actors)),
            make_entry("b1", minutes=1, actor="ana", subject="booking", subject_id="b1"),
            make_entry("x1", minutes=1, actor="ana", session_id="s2"),
            make_entry("o1", minutes=1, actor="ana", tenant=OTHER_TENANT),
        )
        assert self._history(store, session_id="s1", actor="ana") == ["e0", "b1", "e6"]
        assert self._history(store, session_id="s1", actor="Ana") == ["e1"]
        assert self._history(store, session_id="s1", actor="ana ") == ["e2"]
        assert self._history(store, session_id="s1", actor="") == ["e4"]
        assert self._history(store, session_id="s1", actor="bo") == []
        assert self._history(store, subject=("booking", "b1"), actor="ana") == ["b1"]
        assert self._history(store, subject=("booking", "b1"), actor="Ana") == []
        assert self._history(store, actor="ana") == ["e0", "b1", "x1", "e6"]

    def test_a_history_keeps_the_entries_of_a_window(self, store: Factory) -> None:
        """``since`` is inclusive and ``before`` exclusive, to the microsecond; both or either."""
        tick = timedelta(microseconds=1)
        self.keep(
            store,
            *(make_entry(f"e{n}", minutes=n) for n in range(5)),
            make_entry("b1", minutes=2, subject="booking", subject_id="b1"),
        )
        at = [T0 + timedelta(minutes=n) for n in range(5)]
        assert self._history(store, session_id="s1", since=at[1], before=at[3]) == [
            "e1",
            "b1",
            "e2",
        ]
        assert self._history(store, session_id="s1", since=at[1] + tick, before=at[3] + tick) == [
            "b1",
            "e2",
            "e3",
        ]
        assert self._history(store, session_id="s1", since=at[3]) == ["e3", "e4"]
        assert self._history(store, session_id="s1", before=at[1]) == ["e0"]
        assert self._history(store, session_id="s1", since=at[2], before=at[2]) == []
        assert self._history(store, subject=("booking", "b1"), since=at[2]) == ["b1"]
        assert self._history(store, subject=("booking", "b1"), before=at[2]) == []

    def test_a_filtered_history_pages_after_its_cursor(self, store: Factory) -> None:
        """Pages with the filters add up to the filtered history, each entry once, in order."""
        entries = [
            make_entry(f"e{n}", minutes=n // 4, seq=n % 3, actor="ana" if n % 3 else "ben")
            for n in range(24)
        ]
        self.keep(store, *entries)
        since, before = T0 + timedelta(minutes=1), T0 + timedelta(minutes=5)
        whole = self._history(store, session_id="s1", actor="ana", since=since, before=before)
        wanted = [e for e in entries if e.actor == "ana" and since <= e.at < before]
        assert whole == [e.id for e in sorted(wanted, key=lambda e: e.cursor)]
        assert len(whole) == 11
        with store() as uow:
            journal = self.journal(uow)
            pages = page_through(
                lambda after: journal.history(
                    TENANT,
                    session_id="s1",
                    actor="ana",
                    since=since,
                    before=before,
                    after=after,
                    limit=3,
                ),
                lambda entry: (entry.at, entry.seq, entry.id),
                rows=len(whole),
                what="history",
            )
        assert [entry.id for entry in pages] == whole

    def test_the_tenants_journal_pages_with_its_filters_as_python_would(
        self, store: Factory
    ) -> None:
        """Every session's and record's entries, filtered and paged: the oracle's list, in order.

        Three entries share each ``(at, seq)``, ids ``Y..``, ``x..`` and ``z..``:
        code point order, which a collation folding case would not keep. Actors
        differ only in case or a trailing space; another tenant holds the same.
        """
        actors = ["ana", "Ana", "ben", None, "ana "]
        ours = [
            make_entry(
                f"{'xYz'[n // 10]}{n}",
                session_id=f"s{n % 3}" if n % 7 else None,
                subject="session" if n % 7 else "series",
                subject_id=None if n % 7 else "chem",
                minutes=n % 10,
                seq=n % 2,
                actor=actors[n % len(actors)],
            )
            for n in range(30)
        ]
        theirs = [attrs.evolve(e, tenant=OTHER_TENANT, id=f"o{e.id}") for e in ours[::3]]
        self.keep(store, *ours, *theirs)
        at = [T0 + timedelta(minutes=n) for n in range(10)]
        windows = [(None, None), (at[2], None), (None, at[7]), (at[3], at[8]), (at[4], at[4])]
        for actor in (None, "ana", "Ana", "ana ", "ben", "nobody"):
            for since, before in windows:
                wanted = sorted(
                    (
                        e
                        for e in ours
                        if (actor is None or e.actor == actor)
                        and (since is None or since <= e.at)
                        and (before is None or e.at < before)
                    ),
                    key=lambda e: (e.at, e.seq, e.id),
                )
                found = self._pages(store, rows=len(ours), actor=actor, since=since, before=before)
                assert found == [e.id for e in wanted], (actor, since, before)
        # Written in the order x0, Y10, z20 (one at, one seq): read by id, code point by code point.
        assert self._history(store, actor="ana", before=at[1]) == ["Y10", "x0", "z20"]
