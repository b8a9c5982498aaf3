"""The tables of the Django adapter: model rows that belong to the adapter, never to the domain.

The domain's frozen attrs classes are never mapped; :mod:`._mapping` converts
between them and these rows explicitly. Every row has an integer primary key
for Django (``row_id``) and is unique per ``(tenant, record_id)``: two tenants
may use the same ids. Zones, statuses and lifecycles are plain text (no
``choices``: adding a lifecycle or a zone must not make a migration).

:class:`SessionResource` holds one row per (session, resource) with a copy of
the session's span and ``busy`` flag, so "who is busy on these resources at
that time" is one indexed query; on PostgreSQL the exclusion constraint
:data:`EXCLUSION_CONSTRAINT` (migration ``0002``) makes two overlapping busy
rows of one resource impossible, whoever writes them.

The rows of the other aggregates live in modules of their own, re-exported
here (where Django looks for an app's models): reschedule requests, payments
and payment event receipts in :mod:`._payment_models`; presence and
attendance overrides in :mod:`._attendance_models`; subscriptions, the usage
ledger, counters and session codes in :mod:`._usage_models`; journal entries in
:mod:`._journal_models`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar

from django.db import models

__all__ = [
    "EXCLUSION_CONSTRAINT",
    "AttendanceOverrideRecord",
    "BookingRecord",
    "CounterRecord",
    "JournalRecord",
    "PaymentEventRecord",
    "PaymentRecord",
    "PresenceRecord",
    "RescheduleRecord",
    "SeriesRecord",
    "SessionCodeRecord",
    "SessionRecord",
    "SessionResource",
    "StoredRecord",
    "SubscriptionRecord",
    "UsageRecord",
]

EXCLUSION_CONSTRAINT = "sessionkit_dj_no_double_booking"
"""The name of PostgreSQL's exclusion constraint on busy resource rows."""

_ID = 128
_NAME = 255
_LABEL = 64


class StoredRecord(models.Model):
    """What every stored aggregate's row has: a row key, the tenant, the record's id, a version."""

    row_id: models.BigAutoField[int, int] = models.BigAutoField(primary_key=True)
    tenant: models.CharField[str, str] = models.CharField(max_length=_ID)
    record_id: models.CharField[str, str] = models.CharField("id", max_length=_ID)
    version: models.IntegerField[int, int] = models.IntegerField()

    class Meta:  # noqa: D106
        abstract = True


class SeriesRecord(StoredRecord):
    """One series; its schedule items are a JSON list (recurrences as iCalendar lines)."""

    title: models.CharField[str, str] = models.CharField(max_length=_NAME)
    lifecycle: models.CharField[str, str] = models.CharField(max_length=_LABEL)
    status: models.CharField[str, str] = models.CharField(max_length=16)
    window_months: models.IntegerField[int, int] = models.IntegerField()
    window_buffer_us: models.BigIntegerField[int, int] = models.BigIntegerField()
    capacity: models.IntegerField[int, int] = models.IntegerField()
    generated_until: models.DateTimeField[datetime | None, datetime | None] = models.DateTimeField(
        null=True, blank=True
    )
    created_at: models.DateTimeField[datetime, datetime] = models.DateTimeField()
    created_by: models.CharField[str | None, str | None] = models.CharField(
        max_length=_NAME, null=True, blank=True
    )
    updated_at: models.DateTimeField[datetime | None, datetime | None] = models.DateTimeField(
        null=True, blank=True
    )
    updated_by: models.CharField[str | None, str | None] = models.CharField(
        max_length=_NAME, null=True, blank=True
    )
    metadata: models.JSONField[Any, Any] = models.JSONField(default=dict, blank=True)
    group_key: models.CharField[str | None, str | None] = models.CharField(
        "group", max_length=_ID, null=True, blank=True
    )
    items: models.JSONField[Any, Any] = models.JSONField(default=list)

    objects: ClassVar[models.Manager[SeriesRecord]]

    class Meta:  # noqa: D106
        db_table = "sessionkit_series"
        verbose_name = "series"
        verbose_name_plural = "series"
        constraints: ClassVar[list[Any]] = [
            models.UniqueConstraint(fields=["tenant", "record_id"], name="sk_series_unique_id"),
        ]
        indexes: ClassVar[list[models.Index]] = [
            models.Index(fields=["status", "tenant", "record_id"], name="sk_series_status"),
            models.Index(fields=["tenant", "group_key"], name="sk_series_group"),
        ]

    def __str__(self) -> str:
        return f"{self.title} ({self.tenant}/{self.record_id})"


class SessionRecord(StoredRecord):
    """One session; ``resources`` is the domain's list, indexed by :class:`SessionResource`.

    ``series_ref`` is the series' id (``Session.series_id``) and ``series_row``
    the foreign key that makes the database refuse a session of a missing
    series and the deletion of a series that still has sessions.
    """

    series_ref: models.CharField[str | None, str | None] = models.CharField(
        "series id", max_length=_ID, null=True, blank=True
    )
    series_row: models.ForeignKey[SeriesRecord | None, SeriesRecord | None] = models.ForeignKey(
        SeriesRecord,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="sessions",
        verbose_name="series",
    )
    schedule_item: models.CharField[str | None, str | None] = models.CharField(
        max_length=_ID, null=True, blank=True
    )
    occurrence_key: models.CharField[str | None, str | None] = models.CharField(
        max_length=32,
        null=True,
        blank=True,
        help_text="The occurrence's naive local start, in ISO 8601 (extras have none).",
    )
    title: models.CharField[str, str] = models.CharField(max_length=_NAME)
    title_folded: models.TextField[str, str] = models.TextField(editable=False)
    start_at: models.DateTimeField[datetime, datetime] = models.DateTimeField()
    end_at: models.DateTimeField[datetime, datetime] = models.DateTimeField()
    tz: models.CharField[str, str] = models.CharField("zone", max_length=_LABEL)
    status: models.CharField[str, str] = models.CharField(max_length=_LABEL)
    lifecycle: models.CharField[str, str] = models.CharField(max_length=_LABEL)
    busy: models.BooleanField[bool, bool] = models.BooleanField()
    capacity: models.IntegerField[int, int] = models.IntegerField()
    is_extra: models.BooleanField[bool, bool] = models.BooleanField()
    detached: models.BooleanField[bool, bool] = models.BooleanField()
    resources: models.JSONField[Any, Any] = models.JSONField(default=list)
    created_at: models.DateTimeField[datetime, datetime] = models.DateTimeField()
    created_by: models.CharField[str | None, str | None] = models.CharField(
        max_length=_NAME, null=True, blank=True
    )
    updated_at: models.DateTimeField[datetime | None, datetime | None] = models.DateTimeField(
        null=True, blank=True
    )
    updated_by: models.CharField[str | None, str | None] = models.CharField(
        max_length=_NAME, null=True, blank=True
    )
    metadata: models.JSONField[Any, Any] = models.JSONField(default=dict, blank=True)
    group_key: models.CharField[str | None, str | None] = models.CharField(
        "group", max_length=_ID, null=True, blank=True
    )

    series_row_id: int | None
    objects: ClassVar[models.Manager[SessionRecord]]

    class Meta:  # noqa: D106
        db_table = "sessionkit_session"
        verbose_name = "session"
        constraints: ClassVar[list[Any]] = [
            models.UniqueConstraint(fields=["tenant", "record_id"], name="sk_session_unique_id"),
            models.UniqueConstraint(
                fields=["tenant", "series_ref", "occurrence_key"], name="sk_session_occurrence"
            ),
            models.UniqueConstraint(
                fields=["tenant", "series_ref", "start_at"], name="sk_session_series_start"
            ),
        ]
        indexes: ClassVar[list[models.Index]] = [
            models.Index(fields=["tenant", "start_at", "record_id"], name="sk_session_start"),
            models.Index(fields=["tenant", "status", "start_at"], name="sk_session_status"),
            models.Index(fields=["tenant", "group_key", "start_at"], name="sk_session_group"),
        ]

    def __str__(self) -> str:
        return f"{self.title} ({self.tenant}/{self.record_id})"


class SessionResource(models.Model):
    """One resource a session occupies, with the session's span and ``busy`` copied in."""

    row_id: models.BigAutoField[int, int] = models.BigAutoField(primary_key=True)
    session: models.ForeignKey[SessionRecord, SessionRecord] = models.ForeignKey(
        SessionRecord, on_delete=models.CASCADE, related_name="resource_rows"
    )
    tenant: models.CharField[str, str] = models.CharField(max_length=_ID)
    resource: models.CharField[str, str] = models.CharField(max_length=_NAME)
    start_at: models.DateTimeField[datetime, datetime] = models.DateTimeField()
    end_at: models.DateTimeField[datetime, datetime] = models.DateTimeField()
    busy: models.BooleanField[bool, bool] = models.BooleanField()

    session_id: int
    objects: ClassVar[models.Manager[SessionResource]]

    class Meta:  # noqa: D106
        db_table = "sessionkit_session_resource"
        constraints: ClassVar[list[Any]] = [
            models.UniqueConstraint(fields=["session", "resource"], name="sk_resource_once"),
        ]
        indexes: ClassVar[list[models.Index]] = [
            models.Index(fields=["tenant", "resource", "start_at"], name="sk_resource_start"),
            models.Index(fields=["tenant", "resource", "end_at"], name="sk_resource_end"),
        ]

    def __str__(self) -> str:
        return f"{self.resource} for session {self.session_id}"


class BookingRecord(StoredRecord):
    """One participant's seats in one session; ``session_row`` keeps the session from deletion.

    ``session_ref`` is the session's id (``Booking.session_id``); the session's
    span is copied in (``session_start``, ``session_end``) so a participant's
    agenda is one indexed read.
    """

    session_ref: models.CharField[str, str] = models.CharField("session id", max_length=_ID)
    session_row: models.ForeignKey[SessionRecord, SessionRecord] = models.ForeignKey(
        SessionRecord, on_delete=models.PROTECT, related_name="bookings", verbose_name="session"
    )
    participant: models.CharField[str, str] = models.CharField(max_length=_NAME)
    role: models.CharField[str, str] = models.CharField(max_length=_LABEL)
    seats: models.IntegerField[int, int] = models.IntegerField()
    status: models.CharField[str, str] = models.CharField(max_length=_LABEL)
    hold_expires_at: models.DateTimeField[datetime | None, datetime | None] = models.DateTimeField(
        null=True, blank=True
    )
    session_start: models.DateTimeField[datetime, datetime] = models.DateTimeField()
    session_end: models.DateTimeField[datetime, datetime] = models.DateTimeField()
    position: models.IntegerField[int | None, int | None] = models.IntegerField(
        null=True, blank=True
    )
    idempotency_key: models.CharField[str | None, str | None] = models.CharField(
        max_length=_NAME, null=True, blank=True
    )
    fingerprint: models.CharField[str | None, str | None] = models.CharField(
        max_length=_NAME, null=True, blank=True
    )
    created_at: models.DateTimeField[datetime, datetime] = models.DateTimeField()
    created_by: models.CharField[str | None, str | None] = models.CharField(
        max_length=_NAME, null=True, blank=True
    )
    updated_at: models.DateTimeField[datetime | None, datetime | None] = models.DateTimeField(
        null=True, blank=True
    )
    updated_by: models.CharField[str | None, str | None] = models.CharField(
        max_length=_NAME, null=True, blank=True
    )
    metadata: models.JSONField[Any, Any] = models.JSONField(default=dict, blank=True)

    session_row_id: int
    objects: ClassVar[models.Manager[BookingRecord]]

    class Meta:  # noqa: D106
        db_table = "sessionkit_booking"
        verbose_name = "booking"
        constraints: ClassVar[list[Any]] = [
            models.UniqueConstraint(fields=["tenant", "record_id"], name="sk_booking_unique_id"),
            models.UniqueConstraint(
                fields=["tenant", "idempotency_key"], name="sk_booking_idempotency"
            ),
        ]
        indexes: ClassVar[list[models.Index]] = [
            models.Index(fields=["tenant", "session_ref", "status"], name="sk_booking_session"),
            models.Index(
                fields=["tenant", "participant", "session_start"], name="sk_booking_agenda"
            ),
            models.Index(
                fields=["tenant", "session_start", "record_id"], name="sk_booking_tenant_start"
            ),
            models.Index(fields=["status", "hold_expires_at"], name="sk_booking_expiry"),
        ]

    def __str__(self) -> str:
        return f"{self.participant} in {self.session_ref} ({self.tenant}/{self.record_id})"


# The other aggregates' rows, defined beside this module (which they import) and
# re-exported here, where Django looks for them; hence at the end.
from sessionkit.contrib.django._attendance_models import (  # noqa: E402
    AttendanceOverrideRecord,
    PresenceRecord,
)
from sessionkit.contrib.django._journal_models import JournalRecord  # noqa: E402
from sessionkit.contrib.django._payment_models import (  # noqa: E402
    PaymentEventRecord,
    PaymentRecord,
    RescheduleRecord,
)
from sessionkit.contrib.django._usage_models import (  # noqa: E402
    CounterRecord,
    SessionCodeRecord,
    SubscriptionRecord,
    UsageRecord,
)
