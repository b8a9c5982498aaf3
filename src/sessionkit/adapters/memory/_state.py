"""The in-memory tables and their indexes, changed only through journalled primitives."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from sessionkit.conflicts import ConflictIndex
from sessionkit.model.series import Series
from sessionkit.model.session import ResourceRef, Session

__all__ = ["Journal", "State"]

SessionKey = tuple[str, str]
"""``(tenant, session id)``: how the conflict index names a session."""


def resource_keys(tenant: str, resources: tuple[ResourceRef, ...]) -> list[tuple[str, ResourceRef]]:
    """Return the conflict-index resource ids: resources are per tenant, never shared across."""
    return [(tenant, ref) for ref in resources]


class State:
    """Every tenant's sessions and series, with the indexes the repositories need.

    Not thread-safe by itself: the store's lock guards it. The mutators keep
    every index in step and either finish or change nothing (they only fail on
    a broken invariant, never on user input, which the repositories check first).
    """

    def __init__(self) -> None:
        self.sessions: dict[str, dict[str, Session]] = {}
        self.occurrences: dict[tuple[str, str, datetime], str] = {}
        self.by_series: dict[tuple[str, str], set[str]] = {}
        self.busy: ConflictIndex[SessionKey] = ConflictIndex()
        self.series: dict[str, dict[str, Series]] = {}

    def session(self, tenant: str, session_id: str) -> Session | None:
        """Return the stored session or ``None``."""
        return self.sessions.get(tenant, {}).get(session_id)

    def insert(self, session: Session) -> None:
        """Store a session that is not stored yet and index it."""
        tenant = session.tenant
        self.sessions.setdefault(tenant, {})[session.id] = session
        if session.series_id is not None:
            self.by_series.setdefault((tenant, session.series_id), set()).add(session.id)
            if session.occurrence_key is not None:
                key = (tenant, session.series_id, session.occurrence_key)
                self.occurrences[key] = session.id
        if session.busy and session.resources:
            self.busy.add(
                (tenant, session.id), session.span, resource_keys(tenant, session.resources)
            )

    def remove(self, session: Session) -> None:
        """Drop a stored session and its index entries."""
        tenant = session.tenant
        rows = self.sessions[tenant]
        del rows[session.id]
        if not rows:
            del self.sessions[tenant]
        if session.series_id is not None:
            members = self.by_series[(tenant, session.series_id)]
            members.discard(session.id)
            if not members:
                del self.by_series[(tenant, session.series_id)]
            if session.occurrence_key is not None:
                del self.occurrences[(tenant, session.series_id, session.occurrence_key)]
        self.busy.discard((tenant, session.id))

    def put_series(self, series: Series) -> None:
        """Store or replace a series."""
        self.series.setdefault(series.tenant, {})[series.id] = series

    def drop_series(self, series: Series) -> None:
        """Drop a stored series (only used to undo an add)."""
        rows = self.series[series.tenant]
        del rows[series.id]
        if not rows:
            del self.series[series.tenant]


class Journal:
    """Applies changes to a :class:`State` and remembers how to undo them, newest last."""

    def __init__(self, state: State) -> None:
        self.state = state
        self._undo: list[Callable[[], None]] = []

    def mark(self) -> int:
        """Return a savepoint for :meth:`undo_to`."""
        return len(self._undo)

    def undo_to(self, mark: int) -> None:
        """Undo every change made since ``mark``, newest first."""
        while len(self._undo) > mark:
            self._undo.pop()()

    def forget(self) -> None:
        """Keep every change made so far (the commit)."""
        self._undo.clear()

    def insert(self, session: Session) -> None:
        """Store a new session."""
        self.state.insert(session)
        self._undo.append(lambda: self.state.remove(session))

    def replace(self, old: Session, new: Session) -> None:
        """Replace a stored session by a new state of it."""
        self.state.remove(old)
        self.state.insert(new)

        def undo() -> None:
            self.state.remove(new)
            self.state.insert(old)

        self._undo.append(undo)

    def remove(self, session: Session) -> None:
        """Delete a stored session."""
        self.state.remove(session)
        self._undo.append(lambda: self.state.insert(session))

    def add_series(self, series: Series) -> None:
        """Store a new series."""
        self.state.put_series(series)
        self._undo.append(lambda: self.state.drop_series(series))

    def replace_series(self, old: Series, new: Series) -> None:
        """Replace a stored series."""
        self.state.put_series(new)
        self._undo.append(lambda: self.state.put_series(old))
