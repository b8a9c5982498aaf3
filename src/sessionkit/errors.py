"""The exceptions sessionkit raises, all rooted at :class:`SessionKitError`.

Every error also inherits the builtin it resembles, so ``except ValueError`` in
existing code keeps working, and carries structured attributes besides its
message::

    SessionKitError
    ├── InvalidValue (ValueError)              bad input in general
    │   ├── NaiveDatetime                       a datetime without tzinfo
    │   ├── InvalidTimeSpan                     end <= start
    │   ├── InvalidDuration                     a duration/step <= 0, a negative buffer
    │   ├── InvalidWindow                       a query window whose end is before its start
    │   ├── UnknownTimeZone                     not an IANA zone name
    │   ├── UnknownStatus (LookupError)         not a status of the lifecycle
    │   ├── UnknownTransitionName (LookupError) not a transition of the lifecycle
    │   ├── NotASession (TypeError)             a value a lifecycle cannot drive
    │   ├── InvalidRecurrence                   a rule, EXDATE or RDATE that cannot be used
    │   └── InvalidAvailability                 weekly hours that make no sense
    ├── WrongType (TypeError)                   a public API got a value of the wrong type
    │   └── NotADatetime                        not a datetime (date, time, timedelta)
    ├── NotIndexed (KeyError)                   a key that a ConflictIndex does not hold
    ├── WallTimeError (ValueError)              a local time that is not one instant
    │   ├── SkippedTime                         falls in a DST gap (does not exist)
    │   └── RepeatedTime                        falls in a DST fold (exists twice)
    ├── ExpansionLimitExceeded (RuntimeError)   a recurrence examined too many candidates
    ├── NotFound (LookupError)                  no such record of a kind for this tenant
    │   ├── SessionNotFound                     no such session
    │   └── SeriesNotFound                      no such series
    ├── Duplicate (ValueError)                  the id or a unique key of a kind is taken
    │   ├── DuplicateSession                    session id, (series, occurrence) or (series, start)
    │   └── DuplicateSeries                     the series id
    ├── UnsupportedKind (LookupError)           an adapter cannot store that kind
    ├── NestedUnitOfWork (RuntimeError)         a unit of work opened inside another
    ├── SessionConflict (ValueError)            a busy resource is taken at that time
    ├── SessionLocked (ValueError)              status or dependents forbid the change
    ├── ConcurrentModification (RuntimeError)   the stored version moved on
    ├── SeriesClosedError (ValueError)          the series is closed
    ├── LifecycleError (ValueError)
    │   ├── InvalidLifecycle                    a lifecycle definition that is not sound
    │   ├── InvalidTransition                   a transition not allowed from the status
    │   ├── TransitionRefused                   a guard said no
    │   ├── LifecycleNotApplicable              the lifecycle drives another kind of value
    │   └── UnknownLifecycle (LookupError)      no preset by that name
    ├── MissingFact (LookupError)               a timer's condition needs a fact not given
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

__all__ = [
    "NotFound",
    "Duplicate",
    "WrongType",
    "UnsupportedKind",
    "NestedUnitOfWork",
    "ConcurrentModification",
    "DuplicateSession",
    "DuplicateSeries",
    "SeriesClosedError",
    "SeriesNotFound",
    "SessionConflict",
    "SessionLocked",
    "SessionNotFound",
    "ExpansionLimitExceeded",
    "InvalidAvailability",
    "InvalidDuration",
    "InvalidLifecycle",
    "InvalidRecurrence",
    "InvalidTimeSpan",
    "InvalidTransition",
    "InvalidValue",
    "InvalidWindow",
    "LifecycleError",
    "LifecycleNotApplicable",
    "MissingFact",
    "NaiveDatetime",
    "NotADatetime",
    "NotASession",
    "NotIndexed",
    "RepeatedTime",
    "SessionKitError",
    "SkippedTime",
    "TransitionRefused",
    "UnknownLifecycle",
    "UnknownStatus",
    "UnknownTimeZone",
    "UnknownTransitionName",
    "WallTimeError",
]


class SessionKitError(Exception):
    """Root of every exception sessionkit raises on purpose."""


class InvalidValue(SessionKitError, ValueError):
    """A value handed to sessionkit is not acceptable.

    ``value`` is the offending value and ``expected`` says what would have been
    accepted.
    """

    def __init__(self, message: str, *, value: object = None, expected: str = "") -> None:
        super().__init__(message)
        self.value = value
        self.expected = expected


class NaiveDatetime(InvalidValue):
    """A datetime without a time zone where an instant was required."""

    def __init__(self, value: datetime, *, name: str = "datetime") -> None:
        super().__init__(
            f"{name} must be timezone-aware, got naive {value.isoformat()!r}; "
            "attach a zone (e.g. .replace(tzinfo=ZoneInfo('Europe/Berlin')) or UTC)",
            value=value,
            expected="an aware datetime",
        )
        self.name = name


class WrongType(SessionKitError, TypeError):
    """A value of the wrong type reached a public API; ``name`` says which, ``expected`` what."""

    def __init__(self, value: object, *, name: str = "value", expected: str = "") -> None:
        super().__init__(
            f"{name} must be {expected}, got {type(value).__name__} {value!r}"
            if expected
            else f"{name} has the wrong type: {type(value).__name__} {value!r}"
        )
        self.value = value
        self.name = name
        self.expected = expected


class NotADatetime(WrongType):
    """A value of the wrong type where a datetime (or date, time, timedelta) was required."""

    def __init__(self, value: object, *, name: str = "value", expected: str = "datetime") -> None:
        super().__init__(value, name=name, expected=f"a {expected}")
        self.expected = expected


class InvalidTimeSpan(InvalidValue):
    """A span whose end is not after its start."""

    def __init__(self, start: datetime, end: datetime) -> None:
        super().__init__(
            f"a TimeSpan needs end > start, got start={start.isoformat()} end={end.isoformat()}",
            value=(start, end),
            expected="end strictly after start",
        )
        self.start = start
        self.end = end


class UnknownStatus(InvalidValue, LookupError):
    """A status name that the lifecycle does not declare."""


class UnknownTransitionName(InvalidValue, LookupError):
    """A transition name that the lifecycle does not declare."""


class NotASession(InvalidValue, TypeError):
    """A value that a lifecycle cannot drive (not an attrs/dataclass value, no status field)."""


class NotIndexed(SessionKitError, KeyError):
    """A key that is not in the :class:`~sessionkit.conflicts.ConflictIndex`."""

    def __init__(self, key: object) -> None:
        super().__init__(f"{key!r} is not in the index")
        self.key = key

    def __str__(self) -> str:
        return str(self.args[0])


class InvalidDuration(InvalidValue):
    """A duration, step or buffer outside its allowed range."""


class InvalidWindow(InvalidValue):
    """A query window whose end lies before its start."""


class UnknownTimeZone(InvalidValue):
    """A name that is not an IANA time zone known to this system."""

    def __init__(self, name: object) -> None:
        super().__init__(
            f"unknown time zone {name!r}; expected an IANA name such as 'Europe/Berlin' or 'UTC'",
            value=name,
            expected="an IANA time zone name",
        )
        self.name = name


class InvalidRecurrence(InvalidValue):
    """A recurrence rule, EXDATE or RDATE that cannot be used.

    ``part`` names the offending rule part (``"FREQ"``, ``"BYDAY"``, ...) when
    the problem is in the rule text.
    """

    def __init__(self, message: str, *, value: object = None, part: str | None = None) -> None:
        super().__init__(message, value=value, expected=part or "")
        self.part = part


class InvalidAvailability(InvalidValue):
    """Availability hours that cannot be used (unknown weekday, end before start, ...)."""


class WallTimeError(SessionKitError, ValueError):
    """A local wall-clock time that does not name exactly one instant in its zone."""

    def __init__(self, message: str, *, local: datetime, zone: str) -> None:
        super().__init__(message)
        self.local = local
        self.zone = zone


class SkippedTime(WallTimeError):
    """The local time falls in a gap (clocks jumped over it), so it never happened."""

    def __init__(self, local: datetime, zone: str) -> None:
        super().__init__(
            f"{local.isoformat()} does not exist in {zone}: the clocks skip over it "
            "(choose disambiguate='compatible', 'earlier' or 'later')",
            local=local,
            zone=zone,
        )


class RepeatedTime(WallTimeError):
    """The local time falls in a fold (clocks went back), so it happened twice."""

    def __init__(self, local: datetime, zone: str) -> None:
        super().__init__(
            f"{local.isoformat()} happens twice in {zone}: the clocks go back over it "
            "(choose disambiguate='compatible', 'earlier' or 'later')",
            local=local,
            zone=zone,
        )


class ExpansionLimitExceeded(SessionKitError, RuntimeError):
    """One expansion call examined more candidate dates than the hard cap allows."""

    def __init__(self, rule: str, limit: int) -> None:
        super().__init__(
            f"expanding {rule!r} examined more than {limit:,} candidate dates in one call; "
            "ask for a smaller window (or raise the limit explicitly)"
        )
        self.rule = rule
        self.limit = limit


class LifecycleError(SessionKitError, ValueError):
    """Base for lifecycle definition and transition errors."""


class InvalidLifecycle(LifecycleError):
    """A lifecycle definition that is not sound (unknown status, unreachable status, ...)."""

    def __init__(self, message: str, *, problem: str = "", subject: object = None) -> None:
        super().__init__(message)
        self.problem = problem
        self.subject = subject


class InvalidTransition(LifecycleError):
    """The transition asked for is not allowed from the session's current status."""

    def __init__(
        self,
        *,
        session_id: object,
        status: str,
        transition: str,
        allowed: Sequence[str],
    ) -> None:
        allowed_text = ", ".join(allowed) if allowed else "none"
        super().__init__(
            f"cannot {transition!r} session {session_id!r} in status {status!r}; "
            f"allowed now: {allowed_text}"
        )
        self.session_id = session_id
        self.status = status
        self.transition = transition
        self.allowed = tuple(allowed)


class TransitionRefused(LifecycleError):
    """A guard refused the transition; ``reason`` says why."""

    def __init__(
        self,
        *,
        session_id: object,
        status: str,
        transition: str,
        reason: str,
        guard: Any = None,
    ) -> None:
        super().__init__(
            f"cannot {transition!r} session {session_id!r} in status {status!r}: {reason}"
        )
        self.session_id = session_id
        self.status = status
        self.transition = transition
        self.reason = reason
        self.guard = guard


class LifecycleNotApplicable(LifecycleError):
    """The lifecycle drives another kind of value (``subject``) than the one asked for.

    ``lifecycle`` is its name, ``subject`` what it is for (``"payment"``),
    ``expected`` the kind the caller needs (``"session"``) and ``field`` the
    attribute the lifecycle changes.
    """

    def __init__(self, *, lifecycle: str, subject: str, expected: str, field: str = "") -> None:
        drives = f", driving their {field!r} field" if field else ""
        super().__init__(
            f"lifecycle {lifecycle!r} is for {subject} values{drives}, not for {expected} "
            f"values; choose a lifecycle whose subject is {expected!r}"
        )
        self.lifecycle = lifecycle
        self.subject = subject
        self.expected = expected
        self.field = field


class MissingFact(SessionKitError, LookupError):
    """A timed transition's condition needs a fact the caller did not pass in ``facts=``.

    ``fact`` is the fact's name, ``lifecycle`` and ``transition`` say whose
    condition asked, and ``value_id`` is the id of the value being advanced.
    """

    def __init__(self, *, fact: str, lifecycle: str, transition: str, value_id: object) -> None:
        super().__init__(
            f"the condition of {lifecycle!r} transition {transition!r} needs the fact {fact!r} "
            f"for {value_id!r}; pass it, e.g. facts={{{fact!r}: ...}}, to advance() or next_due()"
        )
        self.fact = fact
        self.lifecycle = lifecycle
        self.transition = transition
        self.value_id = value_id


class UnknownLifecycle(SessionKitError, LookupError):
    """No lifecycle is registered under the name asked for."""

    def __init__(self, name: str, known: Sequence[str]) -> None:
        super().__init__(f"unknown lifecycle {name!r}; known: {', '.join(sorted(known))}")
        self.name = name
        self.known = tuple(known)


class NotFound(SessionKitError, LookupError):
    """No record of ``kind`` with that id for the tenant (another tenant's id looks the same).

    The base of every ``...NotFound``; ``kind`` names the aggregate (``"session"``,
    ``"series"``, ...), ``record_id`` and ``tenant`` what was asked for.
    """

    def __init__(self, kind: str, record_id: object, tenant: object) -> None:
        super().__init__(f"no {kind} {record_id!r} for tenant {tenant!r}")
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


class UnsupportedKind(SessionKitError, LookupError):
    """A storage adapter was asked for a repository of a kind it cannot store."""

    def __init__(self, kind: str, adapter: str, known: Sequence[str] = ()) -> None:
        listed = f"; it stores: {', '.join(sorted(known))}" if known else ""
        super().__init__(f"{adapter} has no repository for kind {kind!r}{listed}")
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
    """A session with that id, (series, occurrence key) or (series, start) exists."""

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


class DuplicateSeries(Duplicate):
    """A series with the same id already exists for the tenant; ``existing`` is the stored one."""

    def __init__(self, series_id: object, tenant: object, *, existing: object = None) -> None:
        super().__init__(
            f"series {series_id!r} already exists for tenant {tenant!r}; "
            "choose another id, or update the stored series",
            kind="series",
            record_id=series_id,
            tenant=tenant,
            existing=existing,
        )
        self.series_id = series_id


class SessionConflict(SessionKitError, ValueError):
    """A resource the session occupies is busy at that time; ``conflicts`` holds the blockers."""

    def __init__(
        self, message: str, *, session: object = None, conflicts: Sequence[Any] = ()
    ) -> None:
        super().__init__(message)
        self.session = session
        self.conflicts = tuple(conflicts)


class SessionLocked(SessionKitError, ValueError):
    """The session may not be changed or deleted; ``reason`` says why (status, dependents)."""

    def __init__(self, session_id: object, reason: str) -> None:
        super().__init__(f"session {session_id!r} is locked: {reason}")
        self.session_id = session_id
        self.reason = reason


class ConcurrentModification(SessionKitError, RuntimeError):
    """Someone else changed the record first: the stored version is not the one expected."""

    def __init__(self, record_id: object, expected: int, actual: int | None) -> None:
        found = "it is gone" if actual is None else f"found version {actual}"
        super().__init__(
            f"{record_id!r} changed concurrently: expected version {expected}, {found}"
        )
        self.record_id = record_id
        self.expected = expected
        self.actual = actual


class SeriesClosedError(SessionKitError, ValueError):
    """The series is closed: no sessions are generated or changed through it any more."""

    def __init__(self, series_id: object) -> None:
        super().__init__(f"series {series_id!r} is closed")
        self.series_id = series_id
