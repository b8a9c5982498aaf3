"""The rows of reschedule requests, payments and payment event receipts (migration ``0004``).

Re-exported by :mod:`sessionkit.contrib.django.models`, where Django finds them.

- :class:`RescheduleRecord`: one pending request per session, held by the
  conditional unique constraint ``sk_reschedule_pending`` (``(tenant,
  session_ref)`` where ``status = 'PENDING'``, a partial unique index on
  SQLite and PostgreSQL): answered requests pile up, and two racing requests
  cannot both be pending.
- :class:`PaymentRecord`: one per booking (``sk_payment_booking``) and one per
  provider reference (``sk_payment_intent``; ``NULL``, no intent yet, never
  collides). Amounts are :class:`~sessionkit.contrib.django.fields.AmountField`
  (exact on every database), the currency plain text. ``due_since`` is the
  row's own column: while a provider call is due, when it may be made
  (``Payment.due_at``: the last change, or a failed call's later
  ``retry_at``), else ``NULL``; ``with_due`` reads by it. ``failed_calls`` and
  ``retry_at`` came with migration ``0008``.
- :class:`PaymentEventRecord`: the receipt of an applied provider event, its
  id ``provider:event_id``: the unique ``(tenant, id)`` is what applies a
  redelivered event once, even when two deliveries race.

Requests and payments keep their parent row (``session_row``, ``booking_row``)
from deletion (``PROTECT``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar

from django.db import models

from sessionkit.contrib.django.fields import AmountField, shown_amount
from sessionkit.contrib.django.models import BookingRecord, SessionRecord, StoredRecord

__all__ = ["PaymentEventRecord", "PaymentRecord", "RescheduleRecord"]

_ID = 128
_NAME = 255
_LABEL = 64
_REASON = 2000


class RescheduleRecord(StoredRecord):
    """One reschedule request: who asked to move which session, why, to when, and the answer."""

    session_ref: models.CharField[str, str] = models.CharField("session id", max_length=_ID)
    session_row: models.ForeignKey[SessionRecord, SessionRecord] = models.ForeignKey(
        SessionRecord,
        on_delete=models.PROTECT,
        related_name="reschedules",
        verbose_name="session",
    )
    role: models.CharField[str, str] = models.CharField(max_length=_LABEL)
    requested_by: models.CharField[str, str] = models.CharField(max_length=_NAME)
    reason: models.CharField[str, str] = models.CharField(max_length=_REASON)
    session_start: models.DateTimeField[datetime, datetime] = models.DateTimeField()
    proposed_start: models.DateTimeField[datetime | None, datetime | None] = models.DateTimeField(
        null=True, blank=True
    )
    deadline: models.DateTimeField[datetime, datetime] = models.DateTimeField()
    status: models.CharField[str, str] = models.CharField(max_length=_LABEL)
    decided_by: models.CharField[str | None, str | None] = models.CharField(
        max_length=_NAME, null=True, blank=True
    )
    decided_role: models.CharField[str | None, str | None] = models.CharField(
        max_length=_LABEL, null=True, blank=True
    )
    new_start: models.DateTimeField[datetime | None, datetime | None] = models.DateTimeField(
        null=True, blank=True
    )
    created_at: models.DateTimeField[datetime, datetime] = models.DateTimeField()
    updated_at: models.DateTimeField[datetime | None, datetime | None] = models.DateTimeField(
        null=True, blank=True
    )

    session_row_id: int
    objects: ClassVar[models.Manager[RescheduleRecord]]

    class Meta:
        db_table = "sessionkit_reschedule"
        verbose_name = "reschedule request"
        constraints: ClassVar[list[Any]] = [
            models.UniqueConstraint(fields=["tenant", "record_id"], name="sk_reschedule_unique_id"),
            # One pending request per session; answered ones never collide.
            models.UniqueConstraint(
                fields=["tenant", "session_ref"],
                condition=models.Q(status="PENDING"),
                name="sk_reschedule_pending",
            ),
        ]
        indexes: ClassVar[list[models.Index]] = [
            models.Index(
                fields=["tenant", "session_ref", "created_at"], name="sk_reschedule_session"
            ),
            models.Index(fields=["status", "deadline"], name="sk_reschedule_due"),
        ]

    def __str__(self) -> str:
        return f"{self.session_ref}: {self.status} ({self.tenant}/{self.record_id})"


class PaymentRecord(StoredRecord):
    """One payment: a booking's amount, status, refunds and provider reference."""

    booking_ref: models.CharField[str, str] = models.CharField("booking id", max_length=_ID)
    booking_row: models.ForeignKey[BookingRecord, BookingRecord] = models.ForeignKey(
        BookingRecord, on_delete=models.PROTECT, related_name="payments", verbose_name="booking"
    )
    session_ref: models.CharField[str, str] = models.CharField("session id", max_length=_ID)
    participant: models.CharField[str, str] = models.CharField(max_length=_NAME)
    session_start: models.DateTimeField[datetime, datetime] = models.DateTimeField()
    amount: AmountField = AmountField()
    currency: models.CharField[str, str] = models.CharField(max_length=3)
    provider: models.CharField[str, str] = models.CharField(max_length=_LABEL)
    status: models.CharField[str, str] = models.CharField(max_length=_LABEL)
    intent_ref: models.CharField[str | None, str | None] = models.CharField(
        max_length=_NAME, null=True, blank=True
    )
    refunded: AmountField = AmountField()
    refund_due: AmountField = AmountField()
    refund_sending: AmountField = AmountField()
    refunds: models.IntegerField[int, int] = models.IntegerField()
    due: models.CharField[str | None, str | None] = models.CharField(
        max_length=16, null=True, blank=True
    )
    # Labelled "due at": it holds a retry time ahead too, so "due since" read wrong.
    due_since: models.DateTimeField[datetime | None, datetime | None] = models.DateTimeField(
        "due at",
        null=True,
        blank=True,
        help_text="When the due provider call may be made (the payment's last change, or its "
        "later retry time), else empty.",
    )
    failure: models.CharField[str | None, str | None] = models.CharField(
        max_length=_NAME, null=True, blank=True
    )
    failed_calls: models.IntegerField[int, int] = models.IntegerField(
        default=0, help_text="Failed tries at the due provider call since the last change."
    )
    retry_at: models.DateTimeField[datetime | None, datetime | None] = models.DateTimeField(
        null=True, blank=True, help_text="When a failed provider call may be tried again."
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

    booking_row_id: int
    objects: ClassVar[models.Manager[PaymentRecord]]

    class Meta:
        db_table = "sessionkit_payment"
        verbose_name = "payment"
        constraints: ClassVar[list[Any]] = [
            models.UniqueConstraint(fields=["tenant", "record_id"], name="sk_payment_unique_id"),
            models.UniqueConstraint(fields=["tenant", "booking_ref"], name="sk_payment_booking"),
            models.UniqueConstraint(
                fields=["tenant", "provider", "intent_ref"], name="sk_payment_intent"
            ),
        ]
        indexes: ClassVar[list[models.Index]] = [
            models.Index(fields=["tenant", "session_start", "record_id"], name="sk_payment_start"),
            models.Index(
                fields=["tenant", "participant", "session_start"], name="sk_payment_participant"
            ),
            models.Index(fields=["tenant", "status", "session_start"], name="sk_payment_status"),
            models.Index(fields=["due_since", "tenant", "record_id"], name="sk_payment_due"),
        ]

    def __str__(self) -> str:
        return (
            f"{shown_amount(self.amount, self.currency)} {self.currency} for {self.booking_ref}"
            f" ({self.tenant}/{self.record_id})"
        )


class PaymentEventRecord(StoredRecord):
    """The receipt of one applied provider event, its id ``provider:event_id``."""

    payment_ref: models.CharField[str | None, str | None] = models.CharField(
        "payment id", max_length=_ID, null=True, blank=True
    )
    type: models.CharField[str, str] = models.CharField(max_length=_LABEL)
    outcome: models.CharField[str, str] = models.CharField(max_length=_LABEL)
    received_at: models.DateTimeField[datetime, datetime] = models.DateTimeField()

    objects: ClassVar[models.Manager[PaymentEventRecord]]

    class Meta:
        db_table = "sessionkit_payment_event"
        verbose_name = "payment event"
        constraints: ClassVar[list[Any]] = [
            models.UniqueConstraint(
                fields=["tenant", "record_id"], name="sk_payment_event_unique_id"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.record_id}: {self.outcome} ({self.tenant})"
