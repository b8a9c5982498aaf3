"""The presence and override repositories: the generic one plus the by-session reads.

Writes are the generic repository's: the primary key ``(tenant, id)`` with
``id = provider:event_id`` refuses a second copy of a presence event
(``Duplicate``, kind ``"presence"``) however the deliveries race.
"""

from __future__ import annotations

from collections.abc import Iterable

from sessionkit.adapters.sqlalchemy._repository import SqlRepository
from sessionkit.adapters.sqlalchemy.attendance_rows import overrides_table, presence_table
from sessionkit.model.attendance import AttendanceOverride, Presence

__all__ = ["SqlAlchemyOverrideRepository", "SqlAlchemyPresenceRepository"]

_CHUNK = 500
"""Session ids per ``IN`` list: well under every driver's bound-parameter limit."""


def _chunks(ids: Iterable[str]) -> list[list[str]]:
    unique = sorted(set(ids))
    return [unique[i : i + _CHUNK] for i in range(0, len(unique), _CHUNK)]


class SqlAlchemyPresenceRepository(SqlRepository[Presence]):
    """The :class:`~sessionkit.ports.PresenceRepository` of a SQL unit of work."""

    def for_sessions(self, tenant: str, session_ids: Iterable[str]) -> list[Presence]:
        """Return the presence of those sessions, by session id, instant, then id."""
        P = presence_table  # noqa: N806  # the table, as SQL names it
        found: list[Presence] = []
        for chunk in _chunks(session_ids):
            found.extend(
                self._load(
                    self._unit.db(),
                    [P.c.tenant == tenant, P.c.session_id.in_(chunk)],
                    order_by=(P.c.session_id, P.c.at, P.c.id),
                )
            )
        return found


class SqlAlchemyOverrideRepository(SqlRepository[AttendanceOverride]):
    """The :class:`~sessionkit.ports.OverrideRepository` of a SQL unit of work."""

    def for_sessions(self, tenant: str, session_ids: Iterable[str]) -> list[AttendanceOverride]:
        """Return the overrides of those sessions, by session id, then id."""
        O = overrides_table  # noqa: N806, E741  # the table, as SQL names it
        found: list[AttendanceOverride] = []
        for chunk in _chunks(session_ids):
            found.extend(
                self._load(
                    self._unit.db(),
                    [O.c.tenant == tenant, O.c.session_id.in_(chunk)],
                    order_by=(O.c.session_id, O.c.id),
                )
            )
        return found
