"""The Django store's unit of work: an ``atomic`` block joined to the host's transaction.

Owns :class:`DjangoUnitOfWork` (its transaction, savepoints, fault
translation and events' publication after the commit);
``sessionkit.contrib.django.store`` exports it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from functools import partial
from types import TracebackType
from typing import TYPE_CHECKING, Any, Self, TypeVar

from django.db import (
    DEFAULT_DB_ALIAS,
    DatabaseError,
    IntegrityError,
    connections,
    transaction,
)

from sessionkit.adapters._driver_faults import driver_code, translate
from sessionkit.contrib.django._host_commit import _HostCommit, _on_host_commit
from sessionkit.contrib.django._registry import READERS, REPOSITORIES
from sessionkit.errors import (
    InvalidValue,
    SessionKitError,
    StorageUnavailable,
    TransientConflict,
    UnsupportedKind,
)
from sessionkit.errors._base import shown
from sessionkit.model.events import DomainEvent
from sessionkit.ports import Kind, UnitOfWorkBase, check_kind

if TYPE_CHECKING:
    from sessionkit.contrib.django.store import DjangoStore

RepoT = TypeVar("RepoT")


class DjangoUnitOfWork(UnitOfWorkBase):
    """One unit of work: an ``atomic`` block, joined to the host's transaction if one is open."""

    def __init__(self, store: DjangoStore) -> None:
        self.store = store
        self.using = store.using
        self.vendor = store.vendor
        self.joined = False
        self._fresh = False
        """Whether the host's isolation level was found to let counts after a lock see commits."""
        self._atomic: Any = None
        self._open = False
        self._pending: list[DomainEvent] = []
        self._ready: list[tuple[DomainEvent, ...]] = []
        self._hosts: list[tuple[DomainEvent, ...]] = []  # joined: published on the host's commit
        self._host_commit: _HostCommit | None = None
        self._repositories: dict[str, Any] = {}

    def require_open(self) -> None:
        """Raise ``RuntimeError`` outside the ``with`` block; begin a transaction if none is open.

        After a commit or rollback the next transaction begins at once; if that
        failed (SQLite's write lock taken meanwhile, the connection lost), it is
        begun again here, on the unit's next use, and a fault then is that
        use's: the commit before it stands.
        """
        if not self._open:
            raise RuntimeError("use the unit of work inside its `with` block")
        if self._atomic is None:
            with self._translating():
                self._begin()

    def repository(self, kind: Kind[RepoT]) -> RepoT:
        """Return this unit's repository for ``kind``; ``UnsupportedKind`` if it has no tables."""
        found = self._repositories.get(kind.name)
        if found is None:
            check_kind(kind)  # a kind of yours named as one of sessionkit's is refused
            cls = READERS.get(kind.name) or REPOSITORIES.get(kind.name)
            if cls is None:
                known = [*REPOSITORIES, *READERS]
                raise UnsupportedKind(kind.name, "the Django store", known=known)
            found = self._repositories[kind.name] = cls(self, kind)
        return found  # type: ignore[return-value]  # the registry pairs each kind with its class

    # ------------------------------------------------------------------ the transaction

    def _fault(self, error: BaseException) -> SessionKitError | None:
        """The sessionkit error a database fault raised through Django means, or ``None``.

        Django raises its own ``DatabaseError`` with the driver's beneath it
        (``__cause__``), which :func:`~sessionkit.adapters._driver_faults.translate`
        reads as the SQLAlchemy store does. Integrity errors are the
        repositories' to explain; anything else passes unchanged.
        """
        if not isinstance(error, DatabaseError) or isinstance(error, IntegrityError):
            return None
        driver = error.__cause__ if error.__cause__ is not None else error
        # Tables missing on another alias are made by migrate on that alias: a bare
        # "manage.py migrate" migrates the default database only, and changed nothing here.
        database = "" if self.using == DEFAULT_DB_ALIAS else f" --database {self.using}"
        remedy = f"manage.py migrate{database} (the store's DjangoStore(using={shown(self.using)}))"
        return translate(driver, backend=self.vendor, joined=self.joined, remedy=remedy)

    @contextmanager
    def _translating(self) -> Iterator[None]:
        """Raise a database fault inside the block as the sessionkit error it means."""
        try:
            yield
        except DatabaseError as error:
            fault = self._fault(error)
            if fault is None:
                raise
            raise fault from error

    def _begin(self) -> None:
        atomic = transaction.atomic(using=self.using)
        atomic.__enter__()
        try:
            self._read_committed()
        except BaseException as error:
            atomic.__exit__(type(error), error, error.__traceback__)
            raise
        self._atomic = atomic  # only once begun: a failed BEGIN leaves none to end

    def _read_committed(self) -> None:
        """On PostgreSQL in ``REPEATABLE READ``, run the unit's own transaction ``READ COMMITTED``.

        The checks that follow a lock (the seats left, a participant's bookings)
        must see what the lock's previous holder committed; a snapshot taken at
        the transaction's first read missed it, and two bookings took a session's
        last seat. A unit in the host's transaction runs in the host's level.
        """
        if self.joined or self.vendor != "postgresql":
            return
        connection = connections[self.using]
        level = getattr(connection, "isolation_level", None)  # Django's, from OPTIONS
        if getattr(level, "name", None) == "REPEATABLE_READ":
            with connection.cursor() as cursor:  # before the first read: begins the transaction
                cursor.execute("SET TRANSACTION ISOLATION LEVEL READ COMMITTED")

    def refuse_stale_counts(self) -> None:
        """Raise ``InvalidValue`` if the unit runs in a host's ``atomic()`` whose reads are stale.

        Called by every command that locks a session (or a participant) to count
        what it holds. On PostgreSQL a unit in the host's transaction runs in
        the host's level, read once: under ``REPEATABLE READ`` the count after
        the lock read a snapshot taken before it, and a session took more
        bookings than its capacity. ``SERIALIZABLE`` passes only where the
        database's ``OPTIONS["isolation_level"]`` is ``SERIALIZABLE``, the level
        of the store's own units then: PostgreSQL's serializable checks do not
        watch a ``READ COMMITTED`` transaction's commits. Refused before
        anything is locked or written.
        """
        if self._fresh or not self.joined or self.vendor != "postgresql":
            return
        connection = connections[self.using]
        own = getattr(getattr(connection, "isolation_level", None), "name", None)
        fresh = ["READ COMMITTED", "READ UNCOMMITTED"]
        if own == "SERIALIZABLE":
            fresh.append("SERIALIZABLE")
        with self._translating(), connection.cursor() as cursor:
            cursor.execute("SHOW transaction_isolation")
            level = str(cursor.fetchone()[0]).upper()
        if level in fresh:
            self._fresh = True
            return
        expected = "READ COMMITTED" + (" or SERIALIZABLE" if own == "SERIALIZABLE" else "")
        raise InvalidValue(
            f"your transaction.atomic() block runs in {level}, and sessionkit's commands in it "
            "count a session's seats after locking it: at that level the count reads a "
            "snapshot taken before the lock and misses bookings committed meanwhile, so the "
            f"session would take more than its capacity. Run them in {expected} (READ "
            "COMMITTED is Django's default)",
            value=level,
            expected=expected,
        )

    def _begin_next(self) -> None:
        """Begin the transaction after a commit or rollback, or leave it to the next use."""
        try:
            self._begin()
        except DatabaseError:
            self._atomic = None  # require_open begins it again, and raises what it meets then

    def _end(self, *, keep: bool) -> None:
        atomic, self._atomic = self._atomic, None
        if atomic is None:
            return
        if not keep:
            transaction.set_rollback(True, using=self.using)
        atomic.__exit__(None, None, None)

    def __enter__(self) -> Self:
        if self._open:
            raise RuntimeError("this unit of work is already open")
        self.joined = connections[self.using].in_atomic_block
        self._fresh = False
        with self._translating():
            self._begin()
        self._open = True
        self._host_commit = None
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._pending.clear()
        closing: DatabaseError | None = None
        try:
            self._end(keep=False)
        except DatabaseError as error:  # the rollback failed too: the connection is gone
            closing = error
        finally:
            self._open = False
            ready, self._ready = self._ready, []
            hosts, self._hosts = self._hosts, []
        if hosts:
            # Registered in the host's transaction as the unit's commits were (its rollback
            # drops it too), once, so that the calls deferred below go with the events.
            self._host_commit = _HostCommit(self.store, hosts)
            _on_host_commit(self.using, self._host_commit)
        if ready:
            self.store.publish(ready)
        if exc is not None and closing is not None:
            exc.add_note(f"and closing the unit of work failed too: {closing!r}")
        cause = exc if exc is not None else closing
        fault = None if cause is None else self._fault(cause)
        if fault is not None:
            # A deadlock, a lock wait past its timeout, a lost connection: the error
            # reliability.md names, the driver's chained, as the SQLAlchemy store has it.
            raise fault from cause
        if exc is None and closing is not None:
            raise closing

    def commit(self) -> None:
        """Release the writes to the enclosing transaction (commit it, when there is none)."""
        self.require_open()
        batch = tuple(self._pending)
        self._pending.clear()
        if batch and not self.joined:
            transaction.on_commit(partial(self._committed, batch), using=self.using)
        try:
            with self._translating():
                self._end(keep=True)
        except IntegrityError as error:
            raise self._refused_at_commit(error) from error
        except StorageUnavailable as error:
            if not self.joined:
                # Only a COMMIT of the unit's own may have been applied; a joined unit's
                # commit releases a savepoint, and the host's transaction went with the link.
                error.lost_in_commit()
            raise
        if batch and self.joined:
            self._hosts.append(batch)  # registered with the host's commit when the unit closes
        self._begin_next()

    def _refused_at_commit(self, error: IntegrityError) -> TransientConflict:
        """The error for a commit the database refused: a foreign key broken in a race.

        Django makes its foreign keys ``DEFERRABLE INITIALLY DEFERRED``, so they
        are checked when the transaction commits, not when a row is written.
        Every write checked its parent first; a commit refused anyway means a
        concurrent transaction deleted a record this unit pointed at (a
        session booked while it was deleted), or pointed at one this unit
        deleted. The transaction rolled back: nothing was written, and the
        command's next attempt reads afresh (the parent gone, or the
        dependent there), so it is retryable.
        """
        first = str(error).strip().splitlines()
        return TransientConflict(
            f"the database refused the commit ({first[0] if first else type(error).__name__}):"
            " a concurrent transaction deleted a record this unit of work pointed at, or"
            " pointed at one it deleted; nothing was written, and running it again"
            " usually succeeds",
            reason="constraint",
            backend=self.vendor,
            retryable=not self.joined,
            code=driver_code(error.__cause__ or error, self.vendor),
        )

    def defer_to_host(self, action: Callable[[], object]) -> bool:
        """Run ``action`` on the host's commit (``transaction.on_commit``) if this unit joined one.

        Call it once the unit closed: a callback registered inside the unit's
        own savepoint would be dropped with it. It runs after the unit's
        events were published, even if publishing raised (in one callback with
        them: Django runs no later ``on_commit`` callback once one raised).
        """
        if not self.joined:
            return False
        if self._host_commit is None:  # no events: the calls alone
            self._host_commit = _HostCommit(self.store, [])
            _on_host_commit(self.using, self._host_commit)
        self._host_commit.actions.append(action)  # after the unit's events, even if they raise
        return True

    def rollback(self) -> None:
        """Discard every write and collected event since the last commit."""
        self.require_open()
        self._pending.clear()
        with self._translating():
            self._end(keep=False)
        self._begin_next()

    def collect(self, events: Iterable[DomainEvent]) -> None:
        """Queue events to publish once the commit is the host's too."""
        self._pending.extend(events)

    def _committed(self, batch: tuple[DomainEvent, ...]) -> None:
        """``on_commit``: keep the batch until the unit closes, or publish it now if closed."""
        if self._open:
            self._ready.append(batch)
        else:
            self.store.publish([batch])
