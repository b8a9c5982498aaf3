"""Ports: the protocols storage adapters and hosts implement for sessionkit's services.

Services talk only to these. ``sessionkit.adapters.memory`` and
``sessionkit.adapters.sqlalchemy`` implement the storage ports and are held to
the same behaviour by ``sessionkit.testing.contract``.

Rules every storage adapter follows (the contract suite checks them):

- Every read and write is scoped to a tenant; another tenant's id behaves
  exactly like a missing one (``SessionNotFound`` / ``SeriesNotFound``).
- Writes are atomic per unit of work: ``commit`` makes all of them visible,
  anything else (an exception, ``rollback``) leaves storage as it was.
- ``add``/``add_many`` refuse a second session with the same id or the same
  ``(series_id, occurrence_key)`` (``DuplicateSession``), and a busy session
  that overlaps another busy session on a shared resource (``SessionConflict``,
  carrying the blockers), so no race can double-book.
- ``update``/``delete`` take the version the caller read and raise
  ``ConcurrentModification`` if the stored one differs; ``update`` stores the
  session with ``version + 1``.
- A failed write (duplicate, conflict, stale version, missing id) changes
  nothing and the unit of work stays usable: earlier writes can still be
  committed (a database adapter uses a savepoint per write).
- Ids are scoped by tenant: two tenants may use the same id.
- Ties in a sort are broken by id, in the sort's direction;
  ``sort="updated"`` reads a never-updated session's ``updated_at`` as its
  ``created_at``; a cursor continues strictly after ``(value, id)`` and still
  works when its row was deleted. Title search is case-insensitive and literal.
- ``get_many`` returns each found id once, in the order first asked.
- If the publisher raises, the commit still stands and the error reaches the
  caller.

``sessionkit.testing.contract.StorageContract`` checks every rule above.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from types import TracebackType
from typing import Protocol, Self, runtime_checkable

from sessionkit.model.events import DomainEvent
from sessionkit.model.query import Page, SessionQuery
from sessionkit.model.series import Series
from sessionkit.model.session import ResourceRef, Session
from sessionkit.timespan import TimeSpan

__all__ = [
    "Clock",
    "EventPublisher",
    "LinkChecker",
    "SeriesRepository",
    "SessionRepository",
    "UnitOfWork",
    "UnitOfWorkFactory",
]


@runtime_checkable
class Clock(Protocol):
    """Where services get the current instant (never ``datetime.now()``)."""

    def now(self) -> datetime:
        """Return the current instant, timezone-aware."""
        ...


@runtime_checkable
class EventPublisher(Protocol):
    """Receives domain events after the unit of work that produced them committed."""

    def publish(self, events: Sequence[DomainEvent]) -> None:
        """Deliver ``events`` in the order they happened; raising does not undo the commit."""
        ...


@runtime_checkable
class LinkChecker(Protocol):
    """The host says which sessions have dependents (payments, attendance, bookings).

    A session with dependents is never deleted or moved by sessionkit.
    """

    def blocking_links(self, sessions: Sequence[Session]) -> Mapping[str, str]:
        """Return ``{session_id: reason}`` for those of ``sessions`` that have dependents."""
        ...


class SessionRepository(Protocol):
    """Sessions of all tenants; every method is scoped by ``tenant``."""

    def get(self, tenant: str, session_id: str) -> Session:
        """Return the session; raise ``SessionNotFound`` (also for another tenant's id)."""
        ...

    def get_many(self, tenant: str, session_ids: Iterable[str]) -> list[Session]:
        """Return the sessions that exist among ``session_ids``, in the order asked."""
        ...

    def add(self, session: Session) -> None:
        """Store a new session; raise ``DuplicateSession`` or ``SessionConflict`` (see module)."""
        ...

    def add_many(self, sessions: Sequence[Session]) -> None:
        """Store new sessions in bulk, all or none; same errors as :meth:`add`."""
        ...

    def update(self, session: Session, *, expected_version: int) -> Session:
        """Replace the stored session, returning it with ``version + 1``.

        Raises ``SessionNotFound``, ``ConcurrentModification``, ``DuplicateSession``
        or ``SessionConflict``.
        """
        ...

    def delete(self, tenant: str, session_id: str, *, expected_version: int) -> None:
        """Delete the session; raise ``SessionNotFound`` or ``ConcurrentModification``."""
        ...

    def busy_overlapping(
        self,
        tenant: str,
        *,
        resources: Iterable[ResourceRef],
        span: TimeSpan,
        exclude_ids: Iterable[str] = (),
    ) -> list[Session]:
        """Return busy sessions on any of ``resources`` overlapping ``span``, by start then id."""
        ...

    def for_series(
        self, tenant: str, series_id: str, *, start_from: datetime | None = None
    ) -> list[Session]:
        """Return the series' sessions starting at or after ``start_from``, by start then id."""
        ...

    def query(self, tenant: str, query: SessionQuery) -> Page[Session]:
        """Return one page of sessions matching ``query``, with the total count."""
        ...

    def due(self, tenant: str, *, statuses: Iterable[str], start_before: datetime) -> list[Session]:
        """Return sessions in ``statuses`` starting before ``start_before``, by start then id."""
        ...


class SeriesRepository(Protocol):
    """Series of all tenants; every method is scoped by ``tenant``."""

    def get(self, tenant: str, series_id: str) -> Series:
        """Return the series; raise ``SeriesNotFound`` (also for another tenant's id)."""
        ...

    def add(self, series: Series) -> None:
        """Store a new series; raise ``DuplicateSeries`` if the id exists for the tenant."""
        ...

    def update(self, series: Series, *, expected_version: int) -> Series:
        """Replace the stored series, returning it with ``version + 1``.

        Raises ``SeriesNotFound`` or ``ConcurrentModification``.
        """
        ...

    def active(self, tenant: str | None = None) -> list[Series]:
        """Return active series of ``tenant`` (all tenants for ``None``, system jobs), by id."""
        ...


class UnitOfWork(Protocol):
    """One atomic piece of work: ``with uow: ...; uow.commit()``.

    Leaving the block without ``commit`` (or with an exception) rolls back.
    Events handed to :meth:`collect` are published only after the commit
    succeeded, in order, and dropped on rollback.
    """

    @property
    def sessions(self) -> SessionRepository:
        """The session repository, usable inside the ``with`` block."""
        ...

    @property
    def series(self) -> SeriesRepository:
        """The series repository, usable inside the ``with`` block."""
        ...

    def __enter__(self) -> Self:
        """Begin the transaction."""
        ...

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        """Roll back anything not committed."""
        ...

    def commit(self) -> None:
        """Make every write visible at once, then publish the collected events."""
        ...

    def rollback(self) -> None:
        """Discard every write and collected event since the transaction began."""
        ...

    def collect(self, events: Iterable[DomainEvent]) -> None:
        """Queue events to publish after the commit."""
        ...


class UnitOfWorkFactory(Protocol):
    """Makes a fresh unit of work per service call."""

    def __call__(self) -> UnitOfWork:
        """Return a new, not yet entered, unit of work."""
        ...
