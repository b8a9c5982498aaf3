"""The rows of presence and the teacher's attendance overrides (migration ``0005``).

Re-exported by :mod:`sessionkit.contrib.django.models`, where Django finds them.

:class:`PresenceRecord` holds one provider event, its id ``provider:event_id``:
the unique ``(tenant, id)`` is what makes a redelivered event a no-op, however
the deliveries race. :class:`AttendanceOverrideRecord` holds the teacher's
report, one per session and participant (the id is derived from both). Both
keep their session from deletion (``PROTECT``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar

from django.db import models

from sessionkit.contrib.django.models import SessionRecord, StoredRecord

__all__ = ["AttendanceOverrideRecord", "PresenceRecord"]

_ID = 128
_NAME = 255
_LABEL = 64
_REASON = 2000


class PresenceRecord(StoredRecord):
    """One join or leave a meeting provider reported, stored once per ``provider:event_id``."""

    session_ref: models.CharField[str, str] = models.CharField("session id", max_length=_ID)
    session_row: models.ForeignKey[SessionRecord, SessionRecord] = models.ForeignKey(
        SessionRecord, on_delete=models.PROTECT, related_name="presence", verbose_name="session"
    )
    participant: models.CharField[str, str] = models.CharField(max_length=_NAME)
    action: models.CharField[str, str] = models.CharField(max_length=_LABEL)
    at: models.DateTimeField[datetime, datetime] = models.DateTimeField()
    received_at: models.DateTimeField[datetime, datetime] = models.DateTimeField()

    session_row_id: int
    objects: ClassVar[models.Manager[PresenceRecord]]

    class Meta:
        db_table = "sessionkit_presence"
        verbose_name = "presence event"
        verbose_name_plural = "presence"
        constraints: ClassVar[list[Any]] = [
            models.UniqueConstraint(fields=["tenant", "record_id"], name="sk_presence_unique_id"),
        ]
        indexes: ClassVar[list[models.Index]] = [
            models.Index(fields=["tenant", "session_ref", "at"], name="sk_presence_session"),
        ]

    def __str__(self) -> str:
        return (
            f"{self.participant} {self.action} {self.session_ref} ({self.tenant}/{self.record_id})"
        )


class AttendanceOverrideRecord(StoredRecord):
    """The teacher's report for one participant of one session, kept apart from presence."""

    session_ref: models.CharField[str, str] = models.CharField("session id", max_length=_ID)
    session_row: models.ForeignKey[SessionRecord, SessionRecord] = models.ForeignKey(
        SessionRecord,
        on_delete=models.PROTECT,
        related_name="attendance_overrides",
        verbose_name="session",
    )
    participant: models.CharField[str, str] = models.CharField(max_length=_NAME)
    status: models.CharField[str, str] = models.CharField(max_length=_LABEL)
    minutes: models.IntegerField[int | None, int | None] = models.IntegerField(
        null=True, blank=True
    )
    reason: models.CharField[str | None, str | None] = models.CharField(
        max_length=_REASON, null=True, blank=True
    )
    decided_by: models.CharField[str | None, str | None] = models.CharField(
        max_length=_NAME, null=True, blank=True
    )
    decided_at: models.DateTimeField[datetime, datetime] = models.DateTimeField()

    session_row_id: int
    objects: ClassVar[models.Manager[AttendanceOverrideRecord]]

    class Meta:
        db_table = "sessionkit_attendance_override"
        verbose_name = "attendance override"
        constraints: ClassVar[list[Any]] = [
            models.UniqueConstraint(fields=["tenant", "record_id"], name="sk_override_unique_id"),
        ]
        indexes: ClassVar[list[models.Index]] = [
            models.Index(fields=["tenant", "session_ref"], name="sk_override_session"),
        ]

    def __str__(self) -> str:
        return f"{self.participant} {self.status} in {self.session_ref} ({self.tenant})"
