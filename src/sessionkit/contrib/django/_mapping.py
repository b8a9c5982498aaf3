"""Explicit conversions between domain values and the Django model rows, both directions.

Recurrences are stored as their iCalendar lines, resources as ``"kind:id"``
strings, metadata as JSON, an occurrence key (a naive local start) as its ISO
8601 text (a naive datetime in a ``DateTimeField`` would be read in the
host's zone under ``USE_TZ``).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any, cast

from sessionkit.contrib.django.models import (
    BookingRecord,
    SeriesRecord,
    SessionRecord,
    SessionResource,
)
from sessionkit.model.booking import Booking
from sessionkit.model.series import ScheduleItem, Series, SeriesStatus, WindowPolicy
from sessionkit.model.session import ResourceRef, Session
from sessionkit.recurrence import Recurrence
from sessionkit.timespan import TimeSpan
from sessionkit.zones import RecurrenceDisambiguate

__all__ = [
    "booking_fields",
    "booking_from_record",
    "occurrence_text",
    "resource_rows",
    "series_fields",
    "series_from_record",
    "session_fields",
    "session_from_record",
]


def _utc(value: datetime) -> datetime:
    return value.astimezone(UTC)


def _optional_utc(value: datetime | None) -> datetime | None:
    return None if value is None else value.astimezone(UTC)


def occurrence_text(key: datetime | None) -> str | None:
    """Return the stored text of an occurrence key (``None`` stays ``None``)."""
    return None if key is None else key.isoformat()


def session_fields(session: Session) -> dict[str, Any]:
    """Return the :class:`SessionRecord` field values of ``session`` (the series row aside)."""
    return {
        "tenant": session.tenant,
        "record_id": session.id,
        "series_ref": session.series_id,
        "schedule_item": session.schedule_item_id,
        "occurrence_key": occurrence_text(session.occurrence_key),
        "title": session.title,
        "title_folded": session.title.casefold(),
        "start_at": session.span.start,
        "end_at": session.span.end,
        "tz": session.tz,
        "status": session.status,
        "lifecycle": session.lifecycle,
        "busy": session.busy,
        "capacity": session.capacity,
        "is_extra": session.is_extra,
        "detached": session.detached,
        "resources": [str(ref) for ref in session.resources],
        "version": session.version,
        "created_at": session.created_at,
        "created_by": session.created_by,
        "updated_at": session.updated_at,
        "updated_by": session.updated_by,
        "metadata": dict(session.metadata) if session.metadata else {},
        "group_key": session.group,
    }


def resource_rows(session: Session, record: SessionRecord) -> list[SessionResource]:
    """Return the unsaved :class:`SessionResource` rows of ``session`` (one per resource)."""
    span = session.span
    return [
        SessionResource(
            session=record,
            tenant=session.tenant,
            resource=str(ref),
            start_at=span.start,
            end_at=span.end,
            busy=session.busy,
        )
        for ref in session.resources
    ]


def session_from_record(row: SessionRecord) -> Session:
    """Build the domain :class:`~sessionkit.model.session.Session` from its row."""
    key = row.occurrence_key
    return Session(
        id=row.record_id,
        tenant=row.tenant,
        title=row.title,
        span=TimeSpan(_utc(row.start_at), _utc(row.end_at)),
        tz=row.tz,
        status=row.status,
        lifecycle=row.lifecycle,
        busy=bool(row.busy),
        created_at=_utc(row.created_at),
        created_by=row.created_by,
        resources=tuple(ResourceRef.parse(text) for text in row.resources),
        series_id=row.series_ref,
        schedule_item_id=row.schedule_item,
        occurrence_key=None if key is None else datetime.fromisoformat(key),
        capacity=row.capacity,
        is_extra=bool(row.is_extra),
        detached=bool(row.detached),
        version=row.version,
        updated_at=_optional_utc(row.updated_at),
        updated_by=row.updated_by,
        metadata=row.metadata or {},
        group=row.group_key,
    )


def _microseconds(delta: timedelta) -> int:
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def series_fields(series: Series) -> dict[str, Any]:
    """Return the :class:`SeriesRecord` field values of ``series``, its items as JSON."""
    return {
        "tenant": series.tenant,
        "record_id": series.id,
        "title": series.title,
        "lifecycle": series.lifecycle,
        "status": series.status.value,
        "window_months": series.window.initial_months,
        "window_buffer_us": _microseconds(series.window.buffer),
        "capacity": series.capacity,
        "generated_until": series.generated_until,
        "version": series.version,
        "created_at": series.created_at,
        "created_by": series.created_by,
        "updated_at": series.updated_at,
        "updated_by": series.updated_by,
        "metadata": dict(series.metadata),
        "group_key": series.group,
        "items": [
            {
                "id": item.id,
                "title": item.title,
                "recurrence": list(item.recurrence.to_ical_lines()),
                "disambiguate": item.recurrence.disambiguate,
                "resources": [str(ref) for ref in item.resources],
            }
            for item in series.items
        ],
    }


def _schedule_item(item: dict[str, Any]) -> ScheduleItem:
    recurrence = Recurrence.from_ical_lines(
        item["recurrence"],
        disambiguate=cast("RecurrenceDisambiguate", item["disambiguate"]),
    )
    resources = tuple(ResourceRef.parse(text) for text in item["resources"])
    return ScheduleItem(item["id"], recurrence, resources, item["title"])


def series_from_record(row: SeriesRecord) -> Series:
    """Build the domain :class:`~sessionkit.model.series.Series` from its row."""
    return Series(
        id=row.record_id,
        tenant=row.tenant,
        title=row.title,
        items=tuple(_schedule_item(item) for item in row.items),
        lifecycle=row.lifecycle,
        created_at=_utc(row.created_at),
        created_by=row.created_by,
        status=SeriesStatus(row.status),
        window=WindowPolicy(row.window_months, timedelta(microseconds=row.window_buffer_us)),
        capacity=row.capacity,
        generated_until=_optional_utc(row.generated_until),
        version=row.version,
        updated_at=_optional_utc(row.updated_at),
        updated_by=row.updated_by,
        metadata=row.metadata or {},
        group=row.group_key,
    )


def booking_fields(booking: Booking) -> dict[str, Any]:
    """Return the :class:`BookingRecord` field values of ``booking`` (the session row aside)."""
    return {
        "tenant": booking.tenant,
        "record_id": booking.id,
        "session_ref": booking.session_id,
        "participant": str(booking.participant),
        "role": booking.role,
        "seats": booking.seats,
        "status": booking.status,
        "hold_expires_at": booking.hold_expires_at,
        "session_start": booking.session_start,
        "session_end": booking.session_end,
        "position": booking.position,
        "idempotency_key": booking.idempotency_key,
        "fingerprint": booking.fingerprint,
        "created_at": booking.created_at,
        "created_by": booking.created_by,
        "updated_at": booking.updated_at,
        "updated_by": booking.updated_by,
        "version": booking.version,
        "metadata": dict(booking.metadata) if booking.metadata else {},
    }


def booking_from_record(row: BookingRecord) -> Booking:
    """Build the domain :class:`~sessionkit.model.booking.Booking` from its row."""
    return Booking(
        id=row.record_id,
        tenant=row.tenant,
        session_id=row.session_ref,
        participant=ResourceRef.parse(row.participant),
        role=row.role,
        seats=row.seats,
        status=row.status,
        hold_expires_at=_optional_utc(row.hold_expires_at),
        session_start=_utc(row.session_start),
        session_end=_utc(row.session_end),
        position=row.position,
        idempotency_key=row.idempotency_key,
        fingerprint=row.fingerprint,
        created_at=_utc(row.created_at),
        created_by=row.created_by,
        updated_at=_optional_utc(row.updated_at),
        updated_by=row.updated_by,
        version=row.version,
        metadata=row.metadata or {},
    )
