"""The journal's entries of domain events: what each event is about, who, when and why.

Private to the services: the unit of work of a kit built with
``journal=True`` writes ``journal_entries(events)`` before it commits
(:meth:`~sessionkit.services._context.Context.transaction`).
"""

from __future__ import annotations

import itertools
import threading
import time
import uuid
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

import attrs

from sessionkit.lifecycle import StatusChanged
from sessionkit.model.booking_events import BookingSeatsCancelled, BookingStatusChanged
from sessionkit.model.events import (
    DomainEvent,
    SeriesClosed,
    SeriesUpdated,
    SessionCanceled,
    SessionCreated,
    SessionDeleted,
    SessionsRegenerated,
    SessionStatusChanged,
    SessionUpdated,
)
from sessionkit.model.fields import json_typed
from sessionkit.model.journal import MAX_JOURNAL_REASON_LENGTH, JournalEntry
from sessionkit.model.payment import PaymentChanged
from sessionkit.model.reschedule import RescheduleStatusChanged
from sessionkit.model.text import MAX_NAME_LENGTH
from sessionkit.model.usage import UsageRecorded

__all__ = ["KEPT", "journal_entries"]


class _Sequence:
    """Numbers entries in the order this process writes them: ``seq`` of each entry.

    Seeded from the wall clock in nanoseconds and never going back, so the
    entries of one instant (a manual clock's, or two units within a
    microsecond) keep the order they were written in, within a process and,
    roughly, across processes.
    """

    def __init__(self) -> None:
        self._last = 0
        self._lock = threading.Lock()

    def take(self, count: int) -> int:
        """Reserve ``count`` numbers; return the first."""
        with self._lock:
            first = max(self._last + 1, time.time_ns())
            self._last = first + count - 1
            return first


_SEQ = _Sequence()


def _json(value: object) -> Any:
    """``value`` as a JSON value: instants in ISO 8601, anything else (refs, money) as text."""
    if value is None or isinstance(value, (str, bool, int, float)):
        return value
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, Mapping):
        return {str(key): _json(item) for key, item in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [_json(item) for item in value]
    return str(value)


def _reason(text: str | None) -> str | None:
    return None if text is None else text[:MAX_JOURNAL_REASON_LENGTH]


def _changed(old: Mapping[str, Any], now: Mapping[str, Any] | None) -> dict[str, Any]:
    """What an update changed: the old values, and the own fields added, changed or removed."""
    details: dict[str, Any] = {"changed": sorted(old)}
    before = {key: value for key, value in old.items() if key != "metadata"}
    if before:
        details["old"] = _json(before)
    if "metadata" in old and now is not None:
        was = old["metadata"] or {}
        keys = set(was) | set(now)
        # As set_fields compares (services/fields.py): 1 -> True is a change it stores.
        details["fields"] = sorted(
            k
            for k in keys
            if k not in was or k not in now or json_typed(was[k]) != json_typed(now[k])
        )
    return details


@attrs.frozen
class _About:
    """What an event is about, and what it tells beyond that."""

    subject: str
    subject_id: str
    session_id: str | None
    change: StatusChanged | None = None
    reason: str | None = None
    details: Mapping[str, Any] = attrs.field(factory=dict)
    status: str | None = None
    """The status the record has after the event, when no status change says it."""


def _about(event: DomainEvent) -> _About | None:
    """Return what ``event`` is about, or ``None`` for an event the journal does not keep."""
    if isinstance(event, SessionStatusChanged):
        session = event.session
        reason = event.reason if isinstance(event, SessionCanceled) else event.change.reason
        return _About("session", session.id, session.id, event.change, reason)
    if isinstance(event, SessionCreated):
        session = event.session
        span = {"start": session.start.isoformat(), "end": session.end.isoformat()}
        return _About("session", session.id, session.id, details=span, status=session.status)
    if isinstance(event, SessionUpdated):
        session = event.session
        return _About(
            "session", session.id, session.id, details=_changed(event.old, session.metadata)
        )
    if isinstance(event, SessionDeleted):
        return _About("session", event.session.id, event.session.id, status=event.session.status)
    if isinstance(event, BookingStatusChanged):
        booking = event.booking
        who: dict[str, Any] = {"participant": str(booking.participant), "seats": booking.seats}
        if isinstance(event, BookingSeatsCancelled):  # how many went back, beside the rest
            who["seats_before"] = event.seats_before
        return _About(
            "booking", booking.id, booking.session_id, event.change, event.reason, details=who
        )
    if isinstance(event, PaymentChanged):
        payment = event.payment
        money = {"amount": str(payment.amount)}
        if event.refund is not None:
            money["refund"] = str(event.refund)
        return _About(
            "payment",
            payment.id,
            payment.session_id,
            event.change,
            event.reason,
            details=money,
            status=payment.status,
        )
    if isinstance(event, RescheduleStatusChanged):
        request = event.request
        asked = {"proposed_start": _json(request.proposed_start)}
        if request.new_start is not None:
            asked["new_start"] = request.new_start.isoformat()
        return _About(
            "reschedule",
            request.id,
            request.session_id,
            event.change,
            # The reason given with this step; a request's own reason with the request.
            event.reason
            or event.change.reason
            or (request.reason if event.change.transition == "request" else None),
            details=asked,
        )
    if isinstance(event, UsageRecorded):
        entry = event.entry
        used = {
            "change": event.change,
            "subscription_id": entry.subscription_id,
            "participant": str(entry.participant),
        }
        if entry.used_by != entry.session_id:  # a makeup: charged as the session it replaces
            used["used_by"] = entry.used_by
        # A reversal's reason is the entry's (a consumption clears it).
        return _About("usage", entry.id, entry.session_id, reason=entry.reason, details=used)
    if isinstance(event, SessionsRegenerated):
        counts = {
            "created": event.created,
            "deleted": event.deleted,
            "kept": event.kept,
            "orphaned": event.orphaned,
            "skipped": event.skipped,
            "updated": event.updated,
        }
        return _About("series", event.series_id, None, details=counts)
    if isinstance(event, SeriesClosed):
        counts = {"deleted": event.deleted, "kept": event.kept}
        return _About("series", event.series_id, None, details=counts)
    if isinstance(event, SeriesUpdated):
        series = event.series
        return _About("series", series.id, None, details=_changed(event.old, series.metadata))
    return None


KEPT: tuple[type[DomainEvent], ...] = (
    SessionStatusChanged,
    SessionCreated,
    SessionUpdated,
    SessionDeleted,
    BookingStatusChanged,
    PaymentChanged,
    RescheduleStatusChanged,
    UsageRecorded,
    SessionsRegenerated,
    SeriesClosed,
    SeriesUpdated,
)
"""The events :func:`journal_entries` keeps (and their subclasses): every one sessionkit sends."""


def journal_entries(events: Sequence[DomainEvent]) -> list[JournalEntry]:
    """Return the journal entries of ``events``, in their order (an event it keeps not: none)."""
    about = [(event, _about(event)) for event in events]
    kept = [(event, found) for event, found in about if found is not None]
    if not kept:
        return []
    first = _SEQ.take(len(kept))
    entries = []
    for seq, (event, found) in zip(itertools.count(first), kept, strict=False):
        change = found.change
        entries.append(
            JournalEntry(
                id=uuid.uuid4().hex,
                tenant=event.tenant,
                at=event.at if change is None else change.at,
                seq=seq,
                event=type(event).__name__,
                subject=found.subject,
                subject_id=found.subject_id,
                session_id=found.session_id,
                actor=event.actor,
                role=None if change is None else change.role,
                previous=None if change is None else change.from_status,
                status=found.status if change is None else change.to_status,
                # A lifecycle's own transition may be named longer than an entry keeps.
                transition=None if change is None else change.transition[:MAX_NAME_LENGTH],
                reason=_reason(found.reason),
                details=found.details,
            )
        )
    return entries
