"""The unit of work, its factory and base class, and the host ports read inside one."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from types import TracebackType
from typing import Protocol, Self, TypeVar, runtime_checkable

from sessionkit.model.events import DomainEvent
from sessionkit.model.session import Session
from sessionkit.ports._analytics import ANALYTICS, AnalyticsReader
from sessionkit.ports._bookings import BOOKINGS, BookingRepository
from sessionkit.ports._kinds import SERIES, SESSIONS, SeriesRepository, SessionRepository
from sessionkit.ports._storage import Kind

RepoT = TypeVar("RepoT")


class UnitOfWork(Protocol):
    """One atomic piece of work: ``with uow: ...; uow.commit()``.

    Leaving the block without ``commit`` (or with an exception) rolls back.
    Events handed to :meth:`collect` are published after the unit of work
    closed, in order, if (and only if) a commit covered them.

    An adapter implements :meth:`repository` and the transaction methods, and
    inherits the typed accessors (:attr:`sessions`, :attr:`series`) from
    :class:`UnitOfWorkBase`.
    """

    def repository(self, kind: Kind[RepoT]) -> RepoT:
        """Return this unit's repository for ``kind`` (the same object each time).

        Raises ``UnsupportedKind`` for a kind the adapter cannot store (the
        in-memory store stores any kind; a database adapter, the kinds it
        has tables for).
        """
        ...

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
        """Roll back anything not committed, close, then publish the committed events in order."""
        ...

    def commit(self) -> None:
        """Make every write visible at once; its events are published when the unit closes."""
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


class UnitOfWorkBase:
    """The typed accessors of :class:`UnitOfWork`, for adapters to inherit.

    Subclasses implement ``repository(kind)``; every built-in kind gets a
    property here, so a new built-in kind costs an outside adapter nothing.
    """

    def repository(self, kind: Kind[RepoT]) -> RepoT:
        """Return the repository for ``kind`` (implemented by the adapter)."""
        raise NotImplementedError

    def defer_to_host(self, action: Callable[[], object]) -> bool:
        """Run ``action`` when the host's transaction this closed unit joined commits.

        Return ``False`` when the unit joined none (its commit was the real
        one): the caller runs ``action`` now. An adapter whose units can join
        a host's transaction (Django's ``atomic``, a host's SQLAlchemy
        session) returns ``True`` and runs ``action`` after the host commits,
        never after a rollback. sessionkit defers the payment provider's
        calls so: a refund or an intent must not outlive a rolled-back write.
        """
        del action
        return False

    @property
    def sessions(self) -> SessionRepository:
        """The session repository."""
        return self.repository(SESSIONS)

    @property
    def series(self) -> SeriesRepository:
        """The series repository."""
        return self.repository(SERIES)

    @property
    def bookings(self) -> BookingRepository:
        """The booking repository."""
        return self.repository(BOOKINGS)

    @property
    def analytics(self) -> AnalyticsReader:
        """The analytics reader (``UnsupportedKind`` from an adapter that computes none)."""
        return self.repository(ANALYTICS)


@runtime_checkable
class LinkChecker(Protocol):
    """The host says which sessions have dependents (payments, attendance, bookings).

    A session with dependents is never deleted or moved by sessionkit. The
    checker is asked inside a command and gets that command's open unit of
    work to read through (``uow.sessions``, ``uow.repository(kind)``): opening
    another unit of work there would wait for the open one (``NestedUnitOfWork``).
    """

    def blocking_links(self, sessions: Sequence[Session], uow: UnitOfWork) -> Mapping[str, str]:
        """Return ``{session_id: reason}`` for those of ``sessions`` that have dependents."""
        ...


@runtime_checkable
class FactProvider(Protocol):
    """The host's facts about sessions that timed conditions read (attendance, counts).

    The coaching preset marks a session MISSED 30 minutes after its start only
    if ``attended`` is false: sessionkit asks this provider, inside the job's
    unit of work (``uow`` to read through), for the facts of the sessions it is
    about to advance. A fact a condition needs and the provider did not give
    raises ``MissingFact``; it is never taken as true or false.
    """

    def facts_for(
        self, sessions: Sequence[Session], uow: UnitOfWork
    ) -> Mapping[str, Mapping[str, object]]:
        """Return ``{session_id: {fact: value}}`` for those of ``sessions`` the host knows about."""
        ...
