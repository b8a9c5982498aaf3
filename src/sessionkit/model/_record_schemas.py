"""The fixed record schemas of the stored aggregates, and :data:`SCHEMAS`, all of them by name.

One :class:`~sessionkit.model.records.Schema` per aggregate (:data:`SESSION`,
:data:`SERIES`, :data:`BOOKING`, :data:`PAYMENT`, :data:`RESCHEDULE`,
:data:`USAGE`, :data:`SUBSCRIPTION`) and one for a derived
:class:`~sessionkit.model.attendance.Attendance` (:data:`ATTENDANCE`), built
from columns that read the value's attributes; instants are given in UTC.
Import them from :mod:`sessionkit.model.records`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from functools import partial
from operator import attrgetter
from typing import Any

from sessionkit.model._record_types import Column, ColumnType, Schema

__all__ = [
    "ATTENDANCE",
    "BOOKING",
    "PAYMENT",
    "RESCHEDULE",
    "SCHEMAS",
    "SERIES",
    "SESSION",
    "SUBSCRIPTION",
    "USAGE",
]

# The getters are partials of module functions, not closures, so that a column and a
# schema pickle (a cache, a process pool); utc() is inlined to keep a call per value.


def _utc_of(read: Callable[[Any], datetime | None], value: Any) -> datetime | None:
    at = read(value)
    return at if at is None or at.tzinfo is UTC else at.astimezone(UTC)


def _text_of(read: Callable[[Any], object], value: Any) -> str | None:
    found = read(value)
    return None if found is None else str(found)


def _instant(path: str) -> Callable[[Any], object]:
    return partial(_utc_of, attrgetter(path))


def _text(path: str) -> Callable[[Any], object]:
    return partial(_text_of, attrgetter(path))


def _refs(value: Any) -> str:
    return ", ".join(map(str, value.resources))


def _item_count(value: Any) -> int:
    return len(value.items)


def _col(
    name: str,
    type: ColumnType,
    doc: str,
    get: Callable[[Any], object] | None = None,
    *,
    nullable: bool = False,
    path: str | None = None,
) -> Column:
    if get is None:
        path = path or name
        get = _instant(path) if type == "instant" else attrgetter(path)
    return Column(name, type, doc, get, nullable, path)


_ID = _col("id", "text", "the record's id")
_TENANT = _col("tenant", "text", "the tenant (organisation) it belongs to")
_VERSION = _col("version", "int", "the optimistic-concurrency version, 1 when new")
_CREATED = _col("created_at", "instant", "when it was created (UTC)")
_UPDATED = _col("updated_at", "instant", "when it last changed (UTC); None if never", nullable=True)


SESSION = Schema(
    "session",
    (
        _ID,
        _TENANT,
        _col("title", "text", "the title"),
        _col("start", "instant", "the start instant (UTC)", path="span.start"),
        _col("end", "instant", "the end instant (UTC), after start", path="span.end"),
        _col("tz", "text", "the IANA zone its wall-clock times are read in, e.g. Europe/Berlin"),
        _col("status", "category", "the lifecycle status, e.g. scheduled"),
        _col("lifecycle", "text", "the lifecycle's name"),
        _col("busy", "bool", "whether it occupies its resources in this status"),
        _col("resources", "text", "the resources it occupies, 'kind:id' joined by ', '", _refs),
        _col("series_id", "text", "its series; None for a one-off session", nullable=True),
        _col("group", "text", "the series' group key; None without one", nullable=True),
        _col("capacity", "int", "how many seats it has"),
        _col("is_extra", "bool", "added by hand, outside the series' schedule"),
        _col("detached", "bool", "moved or edited by hand; regeneration leaves it alone"),
        _CREATED,
        _UPDATED,
        _VERSION,
    ),
)
"""The columns of a :class:`~sessionkit.model.session.Session` record."""

SERIES = Schema(
    "series",
    (
        _ID,
        _TENANT,
        _col("title", "text", "the title"),
        _col("status", "category", "active or closed", _text("status")),
        _col("lifecycle", "text", "the lifecycle its sessions follow"),
        _col("items", "int", "how many schedule items it has", _item_count),
        _col("capacity", "int", "the seats of each session"),
        _col("group", "text", "the group key; None without one", nullable=True),
        _col(
            "generated_until",
            "instant",
            "how far sessions are materialised (UTC); None before the first run",
            nullable=True,
        ),
        _CREATED,
        _UPDATED,
        _VERSION,
    ),
)
"""The columns of a :class:`~sessionkit.model.series.Series` record."""

BOOKING = Schema(
    "booking",
    (
        _ID,
        _TENANT,
        _col("session_id", "text", "the session booked"),
        _col("participant", "text", "who holds the seats, 'kind:id'", _text("participant")),
        _col("role", "text", "the participant's role, e.g. attendee"),
        _col("seats", "int", "how many seats it holds"),
        _col("status", "category", "the booking status, e.g. CONFIRMED"),
        _col("session_start", "instant", "the session's start (UTC)"),
        _col("session_end", "instant", "the session's end (UTC)"),
        _col(
            "hold_expires_at",
            "instant",
            "when a held seat or an offer lapses (UTC); None otherwise",
            nullable=True,
        ),
        _col(
            "position",
            "int",
            "its waitlist number, kept after it leaves the list; None if never waitlisted",
            nullable=True,
        ),
        _CREATED,
        _UPDATED,
        _VERSION,
    ),
)
"""The columns of a :class:`~sessionkit.model.booking.Booking` record."""

PAYMENT = Schema(
    "payment",
    (
        _ID,
        _TENANT,
        _col("booking_id", "text", "the booking paid for"),
        _col("session_id", "text", "the booking's session"),
        _col("participant", "text", "who pays, 'kind:id'", _text("participant")),
        _col("session_start", "instant", "the session's start (UTC)"),
        _col("amount", "decimal", "the price, in currency units (exact)", path="amount.amount"),
        _col("currency", "text", "the ISO 4217 code", path="amount.currency"),
        _col("provider", "text", "the payment provider"),
        _col("status", "category", "the payment status, e.g. PAID"),
        _col("refunded", "decimal", "what the provider confirmed giving back"),
        _col("refund_due", "decimal", "what was decided to give back, not yet confirmed"),
        _col(
            "failure",
            "text",
            "why it failed, or why its last refund call failed; None unless one did",
            nullable=True,
        ),
        _CREATED,
        _UPDATED,
        _VERSION,
    ),
)
"""The columns of a :class:`~sessionkit.model.payment.Payment` record."""

RESCHEDULE = Schema(
    "reschedule",
    (
        _ID,
        _TENANT,
        _col("session_id", "text", "the session to move"),
        _col("role", "text", "the asking party's role, e.g. student"),
        _col("requested_by", "text", "who asked"),
        _col("reason", "text", "why"),
        _col("session_start", "instant", "the session's start when asked (UTC)"),
        _col("proposed_start", "instant", "the start proposed (UTC); None if open", nullable=True),
        _col("deadline", "instant", "when silence approves it (UTC)"),
        _col("status", "category", "the request status, e.g. PENDING"),
        _col("decided_by", "text", "who approved or declined; None if open", nullable=True),
        _col("decided_role", "text", "their role; None if open", nullable=True),
        _col("new_start", "instant", "the start agreed (UTC); None if not moved", nullable=True),
        _CREATED,
        _UPDATED,
        _VERSION,
    ),
)
"""The columns of a :class:`~sessionkit.model.reschedule.RescheduleRequest` record."""


def _stays(value: Any) -> int:
    return len(value.intervals)


def _first_joined(value: Any) -> datetime | None:
    return _utc_of(attrgetter("joined"), value.intervals[0]) if value.intervals else None


def _last_left(value: Any) -> datetime | None:
    return _utc_of(attrgetter("left"), value.intervals[-1]) if value.intervals else None


def _override(name: str) -> Callable[[Any], object]:
    return partial(_override_of, name)


def _override_of(name: str, value: Any) -> object:
    return None if value.override is None else getattr(value.override, name)


ATTENDANCE = Schema(
    "attendance",
    (
        _col("session_id", "text", "the session"),
        _col("participant", "text", "who attended, 'kind:id'", _text("participant")),
        _col("status", "category", "the status presence gives, e.g. late; pending before the end"),
        _col("minutes", "int", "whole minutes attended inside the session, from presence"),
        _col("stays", "int", "how many stays presence adds up to (joins after a leave)", _stays),
        _col(
            "first_joined",
            "instant",
            "when the first stay began (UTC); None without presence",
            _first_joined,
            nullable=True,
        ),
        _col(
            "last_left",
            "instant",
            "when the last stay ended (UTC); None without presence or while still there",
            _last_left,
            nullable=True,
        ),
        _col(
            "override_status",
            "category",
            "the teacher's status; None without an override",
            _override("status"),
            nullable=True,
        ),
        _col(
            "override_minutes",
            "int",
            "the teacher's minutes; None if not given",
            _override("minutes"),
            nullable=True,
        ),
        _col(
            "override_by",
            "text",
            "who wrote the override; None without one (or if not said)",
            _override("decided_by"),
            nullable=True,
        ),
        _col(
            "held_minutes",
            "int",
            "how long the session was held, in whole minutes; None if not told",
            nullable=True,
        ),
        _col("effective_status", "category", "the status that counts: the teacher's if given"),
        _col("effective_minutes", "int", "the minutes that count (the teacher's, capped)"),
    ),
)
"""The columns of an :class:`~sessionkit.model.attendance.Attendance` record."""

USAGE = Schema(
    "usage",
    (
        _ID,
        _TENANT,
        _col("subscription_id", "text", "the subscription the credit is drawn from"),
        _col("session_id", "text", "the session charged (for a makeup, the one it replaces)"),
        _col("participant", "text", "who used the credit, 'kind:id'", _text("participant")),
        _col("period", "text", "where the credit counts: 'YYYY-MM' or 'total'"),
        _col("used_by", "text", "the session that was held"),
        _col("consumed_at", "instant", "when the credit was consumed (UTC)"),
        _col(
            "reversed_at",
            "instant",
            "when the credit was given back (UTC); None while consumed",
            nullable=True,
        ),
        _col("reason", "text", "why it was given back; None if not said", nullable=True),
        _col("active", "bool", "whether the credit is consumed now (not given back)"),
        _VERSION,
    ),
)
"""The columns of a :class:`~sessionkit.model.usage.UsageEntry` record."""

SUBSCRIPTION = Schema(
    "subscription",
    (
        _ID,
        _TENANT,
        _col("subscriber", "text", "who holds it, 'kind:id'", _text("subscriber")),
        _col("credits", "int", "the sessions it gives per period"),
        _col("per", "category", "the period credits count over: month or total"),
        _col("tz", "text", "the IANA zone its months are read in"),
        _col("starts", "instant", "when it starts (UTC)"),
        _col("ends", "instant", "when it ends, exclusive (UTC); None if open-ended", nullable=True),
        _col("on_limit", "category", "what consuming past the credits does: refuse or allow"),
        _CREATED,
        _col("created_by", "text", "who created it; None if not said", nullable=True),
        _VERSION,
    ),
)
"""The columns of a :class:`~sessionkit.model.usage.Subscription` record."""

SCHEMAS: Mapping[str, Schema] = {
    s.name: s
    for s in (SESSION, SERIES, BOOKING, PAYMENT, RESCHEDULE, ATTENDANCE, USAGE, SUBSCRIPTION)
}
"""Every schema by name."""
