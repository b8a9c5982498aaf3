"""Errors of the database itself: a race it broke, or a fault (gone, full, read-only, too slow).

Storage adapters raise these in place of their drivers' errors, with the
driver's exception chained as ``__cause__``. Each also inherits the builtin
it resembles, so ``except ConnectionError`` or ``except TimeoutError`` in
existing code catches them.
"""

from __future__ import annotations

from datetime import timedelta

from sessionkit.errors._base import SessionKitError
from sessionkit.errors._storage import ConcurrentModification


class TransientConflict(ConcurrentModification):
    """The database refused a unit of work for a concurrent one: a deadlock, a conflict, a lock.

    Nothing the unit of work wrote is kept (sessionkit rolls its own unit
    back), and running it again usually succeeds. ``reason`` is
    ``"deadlock"``, ``"serialization"`` or ``"locked"`` (SQLite refused a
    statement at once, without waiting, for a table lock held by another
    connection sharing its cache, as a test database in memory shares it; it
    aborts no transaction: a joined host's is still open, to roll back); ``backend``
    names the database and ``code`` is the driver's code for the error when
    it gave one (as for :class:`StorageError`). ``retryable`` is true when
    sessionkit owned the whole transaction (a unit from ``store.unit_of_work()``): the commands of
    :class:`~sessionkit.services.SessionKit` then run again by themselves, up
    to ``attempts`` times in all, and raise this only when every attempt lost.
    It is false in a unit joined to the host's transaction (``store.join``):
    roll the host's transaction back and run it again.
    """

    def __init__(
        self,
        message: str = "the database aborted the transaction to break a deadlock",
        *,
        reason: str = "deadlock",
        backend: str | None = None,
        retryable: bool = False,
        code: str | None = None,
    ) -> None:
        SessionKitError.__init__(self, message)
        self.record_id = None
        self.expected = None
        self.actual = None
        self.reason = reason
        self.backend = backend
        self.code = code
        self.retryable = retryable
        self.attempts = 1

    @classmethod
    def aborted(
        cls, reason: str, backend: str, *, joined: bool, code: str | None = None
    ) -> TransientConflict:
        """Return the error for a transaction ``backend`` aborted (``reason``, driver ``code``)."""
        advice = (
            "it is part of your transaction (store.join): roll that back and run it again"
            if joined
            else "nothing was written; running it again usually succeeds"
        )
        if reason == "locked":
            said = (
                f"{backend} refused the statement at once: another connection sharing its "
                "cache holds a lock on the table"
            )
        else:
            what = "a deadlock" if reason == "deadlock" else "a serialization conflict"
            said = f"{backend} aborted the transaction to break {what} with a concurrent one"
        return cls(
            f"{said}; {advice}",
            reason=reason,
            backend=backend,
            retryable=not joined,
            code=code,
        )


class StorageError(SessionKitError, OSError):
    """The database failed to do what was asked, for a reason of its own (not of the data).

    The base of the storage faults below; raised itself for the rare fault
    that is none of them (a corrupt file, a statement cancelled by an
    operator). ``backend`` names the database, ``code`` is the driver's code
    for the error when it gave one (a SQLSTATE, a MySQL error number, a
    SQLite error name). The driver's exception is the ``__cause__``. The unit
    of work may only be rolled back afterwards.
    """

    def __init__(
        self, message: str = "", *, backend: str | None = None, code: str | None = None
    ) -> None:
        super().__init__(message)
        self.backend = backend
        self.code = code


class SchemaMissing(StorageError, LookupError):
    """sessionkit's tables, or a column of them, are not in the database.

    They were never made (no ``upgrade(engine)`` or ``create_schema(engine)``,
    no ``manage.py migrate``), the store looks in another schema than the one
    they were made in, or they are older than this sessionkit and were not
    upgraded. ``missing`` names the table or column the database did not find
    (``None`` when it said none): a table by its name alone (MySQL/MariaDB
    name its database too, which the message keeps), so a dotted name is a
    table's column. Nothing was written.
    """

    def __init__(
        self,
        message: str = "",
        *,
        backend: str | None = None,
        code: str | None = None,
        missing: str | None = None,
    ) -> None:
        super().__init__(message, backend=backend, code=code)
        self.missing = missing


class StorageUnavailable(StorageError, ConnectionError):
    """The connection to the database failed or was lost (shut down, killed, unreachable).

    A commit that fails this way may or may not have been applied:
    ``outcome_unknown`` is then true (and a note on the error says so); read
    before writing again. Otherwise nothing of the failed unit was kept.
    """

    outcome_unknown: bool = False
    """Whether the connection was lost in the COMMIT, which may or may not have been applied."""

    def __init__(
        self, message: str = "", *, backend: str | None = None, code: str | None = None
    ) -> None:
        super().__init__(message, backend=backend, code=code)
        self.outcome_unknown = False

    def lost_in_commit(self) -> None:
        """Mark the error as raised by a COMMIT whose outcome is unknown, and say so in a note."""
        self.outcome_unknown = True
        self.add_note(
            "the connection was lost while committing: the commit may or may not "
            "have been applied; read before writing again"
        )


class StorageFull(StorageError):
    """The database (or its disk) has no room for the write; nothing of it was stored."""


class StorageReadOnly(StorageError, PermissionError):
    """The database refuses writes (a read-only file, server or transaction)."""


class StorageTimeout(StorageError, TimeoutError):
    """A statement waited longer than allowed: for a lock, or past a statement timeout.

    ``waited_for`` says for what (a resource's lock, a row of a table, the
    database's write lock, the statement itself); ``timeout`` is the limit
    when sessionkit knows it (``SqlAlchemyStore(lock_timeout=...)``).
    """

    def __init__(
        self,
        message: str = "",
        *,
        backend: str | None = None,
        code: str | None = None,
        waited_for: str = "",
        timeout: timedelta | None = None,
    ) -> None:
        super().__init__(message, backend=backend, code=code)
        self.waited_for = waited_for
        self.timeout = timeout

    @classmethod
    def waiting(
        cls,
        waited_for: str,
        *,
        backend: str,
        timeout: timedelta | None,
        code: str | None = None,
        setting: str = "lock_timeout",
    ) -> StorageTimeout:
        """Return the error for a wait for ``waited_for`` that ran out (``setting`` bounds it)."""
        limit = (
            f"longer than {timeout.total_seconds():g} s ({setting})"
            if timeout is not None
            else f"too long ({setting})"
        )
        return cls(
            f"{backend} waited {limit} for {waited_for}; another transaction holds it. "
            "Nothing was written; try again later, or keep units of work short",
            backend=backend,
            code=code,
            waited_for=waited_for,
            timeout=timeout,
        )
