"""The rows of subscriptions, the usage ledger, counters and session codes (migration ``0005``).

Re-exported by :mod:`sessionkit.contrib.django.models`, where Django finds them.

- :class:`SubscriptionRecord`: credits per month or in total for a
  subscriber, in a window; the zone is plain text (no ``choices``).
- :class:`UsageRecord`: one row per (subscription, session, participant),
  held by the unique constraint ``sk_usage_charge``: that constraint, not a
  flag on the session, is what counts a session once however the writers
  race. It keeps its subscription from deletion (``PROTECT``).
- :class:`CounterRecord`: (tenant, name) -> value, moved only by an
  ``UPDATE ... SET value = value + by`` (:mod:`._usage`).
- :class:`SessionCodeRecord`: (tenant, session id) -> code, the code unique
  per tenant (``sk_session_code``). No foreign key to the session: a deleted
  session's code stays taken, so it is never given again.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar

from django.db import models

from sessionkit.contrib.django.models import StoredRecord

__all__ = ["CounterRecord", "SessionCodeRecord", "SubscriptionRecord", "UsageRecord"]

_ID = 128
_NAME = 255
_LABEL = 64
_REASON = 2000


class SubscriptionRecord(StoredRecord):
    """One subscription: ``credits`` sessions per ``per`` for a subscriber, from ``starts``."""

    subscriber: models.CharField[str, str] = models.CharField(max_length=_NAME)
    credits: models.IntegerField[int, int] = models.IntegerField()
    per: models.CharField[str, str] = models.CharField(max_length=16)
    tz: models.CharField[str, str] = models.CharField("zone", max_length=_LABEL)
    starts: models.DateTimeField[datetime, datetime] = models.DateTimeField()
    ends: models.DateTimeField[datetime | None, datetime | None] = models.DateTimeField(
        null=True, blank=True
    )
    on_limit: models.CharField[str, str] = models.CharField(max_length=16)
    created_at: models.DateTimeField[datetime, datetime] = models.DateTimeField()
    created_by: models.CharField[str | None, str | None] = models.CharField(
        max_length=_NAME, null=True, blank=True
    )

    objects: ClassVar[models.Manager[SubscriptionRecord]]

    class Meta:
        db_table = "sessionkit_subscription"
        verbose_name = "subscription"
        constraints: ClassVar[list[Any]] = [
            models.UniqueConstraint(
                fields=["tenant", "record_id"], name="sk_subscription_unique_id"
            ),
        ]
        indexes: ClassVar[list[models.Index]] = [
            models.Index(
                fields=["tenant", "subscriber", "starts"], name="sk_subscription_subscriber"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.subscriber}: {self.credits} per {self.per} ({self.tenant}/{self.record_id})"


class UsageRecord(StoredRecord):
    """One consumed (or returned) credit: a subscription's, for a session and a participant."""

    subscription_ref: models.CharField[str, str] = models.CharField(
        "subscription id", max_length=_ID
    )
    subscription_row: models.ForeignKey[SubscriptionRecord, SubscriptionRecord] = models.ForeignKey(
        SubscriptionRecord,
        on_delete=models.PROTECT,
        related_name="usage",
        verbose_name="subscription",
    )
    session_ref: models.CharField[str, str] = models.CharField(
        "session id", max_length=_ID, help_text="The session charged (a makeup's: the one missed)."
    )
    participant: models.CharField[str, str] = models.CharField(max_length=_NAME)
    period: models.CharField[str, str] = models.CharField(max_length=_LABEL)
    used_by: models.CharField[str, str] = models.CharField(
        max_length=_ID, help_text="The session that was held."
    )
    consumed_at: models.DateTimeField[datetime, datetime] = models.DateTimeField()
    reversed_at: models.DateTimeField[datetime | None, datetime | None] = models.DateTimeField(
        null=True, blank=True
    )
    reason: models.CharField[str | None, str | None] = models.CharField(
        max_length=_REASON, null=True, blank=True
    )

    subscription_row_id: int
    objects: ClassVar[models.Manager[UsageRecord]]

    class Meta:
        db_table = "sessionkit_usage"
        verbose_name = "usage entry"
        verbose_name_plural = "usage"
        constraints: ClassVar[list[Any]] = [
            models.UniqueConstraint(fields=["tenant", "record_id"], name="sk_usage_unique_id"),
            # Counted once: one entry per (subscription, session, participant), whoever races.
            models.UniqueConstraint(
                fields=["tenant", "subscription_ref", "session_ref", "participant"],
                name="sk_usage_charge",
            ),
        ]
        indexes: ClassVar[list[models.Index]] = [
            models.Index(fields=["tenant", "session_ref"], name="sk_usage_session"),
            models.Index(fields=["tenant", "used_by"], name="sk_usage_used_by"),
        ]

    def __str__(self) -> str:
        return f"{self.participant} in {self.session_ref} ({self.tenant}/{self.record_id})"


class CounterRecord(StoredRecord):
    """A named per-tenant counter (session codes, credits used per period)."""

    value: models.BigIntegerField[int, int] = models.BigIntegerField()

    objects: ClassVar[models.Manager[CounterRecord]]

    class Meta:
        db_table = "sessionkit_counter"
        verbose_name = "counter"
        constraints: ClassVar[list[Any]] = [
            models.UniqueConstraint(fields=["tenant", "record_id"], name="sk_counter_unique_id"),
        ]

    def __str__(self) -> str:
        return f"{self.record_id} = {self.value} ({self.tenant})"


class SessionCodeRecord(StoredRecord):
    """A session's code (its id is the session's), unique per tenant."""

    code: models.CharField[str, str] = models.CharField(max_length=_ID)
    counter: models.CharField[str, str] = models.CharField(max_length=_LABEL)
    number: models.BigIntegerField[int, int] = models.BigIntegerField()

    objects: ClassVar[models.Manager[SessionCodeRecord]]

    class Meta:
        db_table = "sessionkit_session_code"
        verbose_name = "session code"
        constraints: ClassVar[list[Any]] = [
            models.UniqueConstraint(fields=["tenant", "record_id"], name="sk_code_unique_id"),
            models.UniqueConstraint(fields=["tenant", "code"], name="sk_session_code"),
        ]

    def __str__(self) -> str:
        return f"{self.code} ({self.tenant}/{self.record_id})"
