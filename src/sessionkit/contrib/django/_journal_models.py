"""The rows of the journal (migration ``0006``; the tenant's and an actor's indexes: ``0007``).

Re-exported by :mod:`sessionkit.contrib.django.models`, where Django finds them.
:class:`JournalRecord` holds one journal entry, with no foreign key: a
session's history stays when the session is deleted.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar

from django.db import models

from sessionkit.contrib.django.models import StoredRecord

__all__ = ["JournalRecord"]

_ID = 128
_NAME = 255
_LABEL = 64
_REASON = 2000


class JournalRecord(StoredRecord):
    """One journal entry: an event, the record it changed, who made it, when and why."""

    at: models.DateTimeField[datetime, datetime] = models.DateTimeField()
    seq: models.BigIntegerField[int, int] = models.BigIntegerField()
    event: models.CharField[str, str] = models.CharField(max_length=_LABEL)
    subject: models.CharField[str, str] = models.CharField(max_length=_LABEL)
    subject_ref: models.CharField[str, str] = models.CharField("subject id", max_length=_ID)
    session_ref: models.CharField[str | None, str | None] = models.CharField(
        "session id", max_length=_ID, null=True, blank=True
    )
    actor: models.CharField[str | None, str | None] = models.CharField(
        max_length=_NAME, null=True, blank=True
    )
    role: models.CharField[str | None, str | None] = models.CharField(
        max_length=_NAME, null=True, blank=True
    )
    previous: models.CharField[str | None, str | None] = models.CharField(
        max_length=_LABEL, null=True, blank=True
    )
    status: models.CharField[str | None, str | None] = models.CharField(
        max_length=_LABEL, null=True, blank=True
    )
    transition: models.CharField[str | None, str | None] = models.CharField(
        max_length=_LABEL, null=True, blank=True
    )
    reason: models.CharField[str | None, str | None] = models.CharField(
        max_length=_REASON, null=True, blank=True
    )
    details: models.JSONField[Any, Any] = models.JSONField(default=dict, blank=True)

    objects: ClassVar[models.Manager[JournalRecord]]

    class Meta:
        db_table = "sessionkit_journal"
        verbose_name = "journal entry"
        verbose_name_plural = "journal"
        constraints: ClassVar[list[Any]] = [
            models.UniqueConstraint(fields=["tenant", "record_id"], name="sk_journal_unique_id"),
        ]
        indexes: ClassVar[list[Any]] = [
            models.Index(
                fields=["tenant", "session_ref", "at", "seq", "record_id"],
                name="sk_journal_session",
            ),
            models.Index(
                fields=["tenant", "subject", "subject_ref", "at", "seq", "record_id"],
                name="sk_journal_subject",
            ),
            # The tenant's journal, and one actor's in it (migration 0007).
            models.Index(fields=["tenant", "at", "seq", "record_id"], name="sk_journal_tenant"),
            models.Index(
                fields=["tenant", "actor", "at", "seq", "record_id"], name="sk_journal_actor"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.event} of {self.subject} {self.subject_ref} ({self.tenant}/{self.record_id})"
