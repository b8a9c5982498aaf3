"""Report values the services return: what was created, skipped, kept, deleted or orphaned.

Reports are frozen attrs values, so a host can log them, compare them in tests
or turn them into an API response without touching storage again.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

import attrs

from sessionkit.model.html import html_of
from sessionkit.model.session import ResourceRef, Session
from sessionkit.timespan import TimeSpan

__all__ = [
    "AdvanceFailure",
    "AdvanceReport",
    "CleanupReport",
    "CloseReport",
    "ExpiryReport",
    "MaterialiseReport",
    "Orphan",
    "ReconcileReport",
    "SkipReason",
    "Skipped",
    "TopUpFailure",
    "TopUpReport",
]


def error_key(error: BaseException) -> tuple[type[BaseException], str]:
    """What a reported error is compared and hashed by: its class and its message.

    An exception compares by identity, so a report holding one would not
    equal its own pickled or deep-copied self (a cache, a job result, a test).
    """
    return (type(error), str(error))


def errors_key(
    failed: tuple[tuple[str, BaseException], ...],
) -> tuple[tuple[str, tuple[type[BaseException], str]], ...]:
    """:func:`error_key` over ``(id, error)`` pairs."""
    return tuple((item, error_key(error)) for item, error in failed)


SkipReason = Literal["conflict", "exists"]
"""Why an occurrence was not materialised: a resource was busy, or a session already held it."""


@attrs.frozen(slots=True, kw_only=True)
class Skipped:
    """An occurrence that was not turned into a session, with the session in its way.

    ``reason`` is ``"conflict"`` when ``blocking`` is a busy session on
    ``resource`` overlapping ``span``, and ``"exists"`` when ``blocking``
    already holds the occurrence (same occurrence key, or an extra session of
    the series starting at the same instant, or, in a schedule change, a
    kept session of the same item on the same local day).
    """

    _repr_html_ = html_of

    series_id: str
    item_id: str
    key: datetime
    span: TimeSpan
    reason: SkipReason
    blocking: Session
    resource: ResourceRef | None = None

    def describe(self) -> str:
        """Return one line a person can act on."""
        when = self.span.start.strftime("%Y-%m-%d %H:%MZ")
        if self.reason == "conflict":
            return (
                f"{self.series_id}/{self.item_id} at {when}: {self.resource} is busy with "
                f"{self.blocking.title!r} ({self.blocking.id})"
            )
        return f"{self.series_id}/{self.item_id} at {when}: already held by {self.blocking.id}"


@attrs.frozen(slots=True, kw_only=True)
class MaterialiseReport:
    """What materialising one series over ``window`` did."""

    _repr_html_ = html_of

    tenant: str
    series_id: str
    window: TimeSpan | None
    created: tuple[Session, ...] = ()
    skipped: tuple[Skipped, ...] = ()

    @property
    def conflicts(self) -> tuple[Skipped, ...]:
        """The skipped occurrences that a busy resource blocked."""
        return tuple(s for s in self.skipped if s.reason == "conflict")


@attrs.frozen(slots=True, kw_only=True)
class TopUpFailure:
    """A series that ``top_up`` could not refill, and the error it met.

    Usually a :class:`~sessionkit.errors.SessionKitError`; any other exception
    (a bug, a host's hook) is reported here too, so one series cannot stop the
    job for every other tenant.
    """

    _repr_html_ = html_of

    tenant: str
    series_id: str
    error: Exception = attrs.field(eq=error_key)


@attrs.frozen(slots=True, kw_only=True)
class TopUpReport:
    """What one ``top_up`` run did: one report per series it refilled, and the failures."""

    _repr_html_ = html_of

    now: datetime
    checked: int
    refilled: tuple[MaterialiseReport, ...] = ()
    failed: tuple[TopUpFailure, ...] = ()

    @property
    def created(self) -> int:
        """How many sessions the run created in all."""
        return sum(len(r.created) for r in self.refilled)


@attrs.frozen(slots=True, kw_only=True)
class Orphan:
    """A future session the new schedule no longer wants (or wants otherwise), kept, and why."""

    _repr_html_ = html_of

    session: Session
    reason: str


@attrs.frozen(slots=True, kw_only=True)
class ReconcileReport:
    """What a schedule change did to the series' sessions from ``cutoff`` on.

    ``created``: occurrences the new schedule added. ``updated``: sessions kept
    under their ids but given the new slot's duration, resources or title.
    ``deleted``: obsolete sessions removed. ``kept``: future sessions left as
    they were (still wanted, extra, detached, or not in the initial status).
    ``orphans``: kept sessions the new schedule does not want (or wants at
    another time or zone of the same occurrence), with the reason they could
    not be deleted (or moved). ``skipped``: wanted occurrences that could not be
    created or updated (see :class:`Skipped`).
    """

    _repr_html_ = html_of

    tenant: str
    series_id: str
    cutoff: datetime
    created: tuple[Session, ...] = ()
    updated: tuple[Session, ...] = ()
    deleted: tuple[Session, ...] = ()
    kept: tuple[Session, ...] = ()
    orphans: tuple[Orphan, ...] = ()
    skipped: tuple[Skipped, ...] = ()


@attrs.frozen(slots=True, kw_only=True)
class CloseReport:
    """What closing a series did: future sessions ``deleted`` and those ``kept`` (with reasons)."""

    _repr_html_ = html_of

    tenant: str
    series_id: str
    deleted: tuple[Session, ...] = ()
    kept: tuple[Orphan, ...] = ()


@attrs.frozen(slots=True, kw_only=True)
class AdvanceFailure:
    """A due session that could not be advanced, and the error it met (as in TopUpFailure)."""

    _repr_html_ = html_of

    session_id: str
    error: Exception = attrs.field(eq=error_key)


@attrs.frozen(slots=True, kw_only=True)
class AdvanceReport:
    """What ``advance_due`` did: the sessions it moved on and those it could not."""

    _repr_html_ = html_of

    now: datetime
    advanced: tuple[Session, ...] = ()
    failed: tuple[AdvanceFailure, ...] = ()


@attrs.frozen(slots=True, kw_only=True)
class ExpiryReport:
    """What one run of the hold-expiry job did.

    ``expired`` holds, offers and waitlist places (of sessions that started)
    ran out, ``offered`` freed seats went to
    waitlisted bookings, over ``sessions`` sessions; ``more`` says the batch
    limit was reached (run the job again). Both count everything the run
    ended, including what the move of a reschedule request it answered by
    silence first ended (its run-out holds and offers, the seats they freed).
    """

    _repr_html_ = html_of

    expired: int = 0
    offered: int = 0
    sessions: int = 0
    more: bool = False


@attrs.frozen(slots=True, kw_only=True)
class CleanupReport:
    """What a removal of unbooked sessions did (:meth:`BookingCommands.remove_unbooked`).

    ``removed`` were deleted (each with a ``SessionDeleted`` event); ``kept``
    had no booking either but could not be deleted, each with the reason
    (a status that is not editable, a host's dependents, a booking made
    while the removal ran, a lifecycle or status the kit does not know).
    Sessions with bookings are neither.
    """

    _repr_html_ = html_of

    removed: tuple[Session, ...] = ()
    kept: tuple[tuple[Session, str], ...] = ()
