"""Errors of storage: missing and duplicate records, conflicts, locks and races."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sessionkit.errors._base import SessionKitError, shown


class NotFound(SessionKitError, LookupError):
    """No record of ``kind`` with that id for the tenant (another tenant's id looks the same).

    The base of every ``...NotFound``; ``kind`` names the aggregate (``"session"``,
    ``"series"``, ...), ``record_id`` and ``tenant`` what was asked for.
    """

    def __init__(self, kind: str, record_id: object, tenant: object) -> None:
        super().__init__(f"no {kind} {shown(record_id)} for tenant {shown(tenant)}")
        self.kind = kind
        self.record_id = record_id
        self.tenant = tenant


class Duplicate(SessionKitError, ValueError):
    """A record with the same id, or the same value of a unique key, already exists.

    The base of every ``Duplicate...``; ``kind`` names the aggregate, ``key`` the
    unique key that refused (``"id"`` for the id itself), ``existing`` is the
    stored record when the adapter could load it.
    """

    def __init__(
        self,
        message: str,
        *,
        kind: str,
        record_id: object = None,
        tenant: object = None,
        key: str = "id",
        existing: object = None,
    ) -> None:
        super().__init__(message)
        self.kind = kind
        self.record_id = record_id
        self.tenant = tenant
        self.key = key
        self.existing = existing

    @classmethod
    def of(
        cls,
        kind: str,
        record_id: object,
        tenant: object,
        *,
        key: str = "id",
        value: object = None,
        existing: object = None,
    ) -> Duplicate:
        """Return the error for a record whose id (or unique ``key`` = ``value``) is taken."""
        if key == "id":
            message = f"{kind} {record_id!r} already exists for tenant {tenant!r}"
        else:
            owner = getattr(existing, "id", None)
            held = "" if owner is None else f" (held by {owner!r})"
            message = (
                f"{kind} {record_id!r}: tenant {tenant!r} already has a {kind} with "
                f"{key} = {value!r}{held}"
            )
        return cls(
            message, kind=kind, record_id=record_id, tenant=tenant, key=key, existing=existing
        )


class StillReferenced(SessionKitError, ValueError):
    """A record may not be deleted while records of other kinds still point at it.

    ``kind``, ``record_id`` and ``tenant`` name the record; ``referenced_by``
    maps each referring kind to how many of its records point at it (a series'
    sessions, a session's bookings). Delete or move those first.
    """

    def __init__(
        self, kind: str, record_id: object, tenant: object, referenced_by: Mapping[str, int]
    ) -> None:
        holders = ", ".join(f"{count} {name}(s)" for name, count in sorted(referenced_by.items()))
        super().__init__(
            f"{kind} {shown(record_id)} of tenant {shown(tenant)} is still referenced by "
            f"{holders}; "
            "delete or move those first"
        )
        self.kind = kind
        self.record_id = record_id
        self.tenant = tenant
        self.referenced_by = dict(referenced_by)


class UnsupportedKind(SessionKitError, LookupError):
    """A storage adapter was asked for a repository of a kind it cannot store."""

    def __init__(self, kind: str, adapter: str, known: Sequence[str] = ()) -> None:
        listed = f"; it stores: {', '.join(sorted(known))}" if known else ""
        super().__init__(f"{adapter} has no repository for kind {shown(kind)}{listed}")
        self.kind = kind
        self.adapter = adapter
        self.known = tuple(known)


class NestedUnitOfWork(SessionKitError, RuntimeError):
    """A unit of work was opened while this thread already had one open on the same store.

    Nesting would wait for itself on a database (and deadlock the in-memory
    store's lock). Inside a command, read through the unit of work you were
    handed (link checkers and fact providers get it); in an event handler,
    which runs after the commit, open a new one freely.
    """

    def __init__(self, store: str) -> None:
        super().__init__(
            f"this thread already has a unit of work open on this {store}; read through "
            "the unit of work you were handed (a LinkChecker receives it), or finish the "
            "open one before opening another"
        )
        self.store = store


class SessionNotFound(NotFound):
    """No session with that id exists for the tenant (another tenant's id looks the same)."""

    def __init__(self, session_id: object, tenant: object) -> None:
        super().__init__("session", session_id, tenant)
        self.session_id = session_id


class SeriesNotFound(NotFound):
    """No series with that id exists for the tenant."""

    def __init__(self, series_id: object, tenant: object) -> None:
        super().__init__("series", series_id, tenant)
        self.series_id = series_id


class DuplicateSession(Duplicate):
    """A session with that id, (series, occurrence key) or (series, start) exists.

    ``retryable`` is true when a series command met an occurrence a concurrent
    writer stored after its read (a series command skips what exists): it ran
    again by itself, up to ``attempts`` times in all.
    """

    def __init__(
        self,
        message: str,
        *,
        session_id: object = None,
        existing: object = None,
        key: str = "id",
        tenant: object = None,
    ) -> None:
        super().__init__(
            message,
            kind="session",
            record_id=session_id,
            tenant=tenant if tenant is not None else getattr(existing, "tenant", None),
            key=key,
            existing=existing,
        )
        self.session_id = session_id
        self.retryable = False
        self.attempts = 1


class DuplicateSeries(Duplicate):
    """A series with the same id already exists for the tenant; ``existing`` is the stored one.

    ``repeated``: the id is given to two specs of one ``create_many`` batch (nothing stored).
    """

    def __init__(
        self, series_id: object, tenant: object, *, existing: object = None, repeated: bool = False
    ) -> None:
        super().__init__(
            f"series {shown(series_id)} is given to more than one spec of the batch; "
            "give each series its own id"
            if repeated
            else f"series {shown(series_id)} already exists for tenant {shown(tenant)}; "
            "choose another id, or update the stored series",
            kind="series",
            record_id=series_id,
            tenant=tenant,
            existing=existing,
        )
        self.series_id = series_id


class SessionConflict(SessionKitError, ValueError):
    """A resource the session occupies is busy at that time; ``conflicts`` holds the blockers.

    ``retryable`` is true when a series command (which skips the occurrences
    whose resources its read found busy) met a session a concurrent writer
    stored after that read: the command then ran again by itself, up to
    ``attempts`` times in all, skipping it, and raises this only when every
    attempt lost.
    """

    def __init__(
        self, message: str, *, session: object = None, conflicts: Sequence[Any] = ()
    ) -> None:
        super().__init__(message)
        self.session = session
        self.conflicts = tuple(conflicts)
        self.retryable = False
        self.attempts = 1


class SessionLocked(SessionKitError, ValueError):
    """The session may not be changed or deleted; ``reason`` says why (status, dependents)."""

    def __init__(self, session_id: object, reason: str) -> None:
        super().__init__(f"session {shown(session_id)} is locked: {reason}")
        self.session_id = session_id
        self.reason = reason


class ConcurrentModification(SessionKitError, RuntimeError):
    """Someone else changed the record first: the stored version is not the one expected.

    ``record_id``, ``expected`` and ``actual`` (``None``: it is gone) name the
    record and its versions. The subclass
    :class:`~sessionkit.errors.TransientConflict` is a transaction the database
    aborted in a race (no record or version to name: those are ``None``).

    ``retryable`` is true when a command of
    :class:`~sessionkit.services.SessionKit` read the record itself and a
    concurrent writer moved it on before the command wrote, in a unit of work
    the store owned: the command then ran again by itself on the fresh record,
    up to ``attempts`` times in all, and raises this only when every attempt
    lost. A stale ``expected_version`` the caller gave is never retried.
    """

    def __init__(self, record_id: object, expected: int | None, actual: int | None) -> None:
        found = "it is gone" if actual is None else f"found version {shown(actual)}"
        super().__init__(
            f"{shown(record_id)} changed concurrently: expected version {shown(expected)}, {found}"
        )
        self.record_id = record_id
        self.expected = expected
        self.actual = actual
        self.retryable = False
        self.attempts = 1


class SeriesClosedError(SessionKitError, ValueError):
    """The series is closed: no sessions are generated or changed through it any more."""

    def __init__(self, series_id: object) -> None:
        super().__init__(f"series {shown(series_id)} is closed")
        self.series_id = series_id
