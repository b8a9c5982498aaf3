"""The journal table and its row mapping, in both directions.

``sessionkit_journal`` holds one row per
:class:`~sessionkit.model.journal.JournalEntry`, keyed by ``(tenant, id)``.
It has no foreign key: a session's history stays when the session is deleted.
Indexes: a session's history (tenant, session_id, at, seq, id), a record's
(tenant, subject, subject_id, at, seq, id), the tenant's (tenant, at, seq, id)
and one actor's in it (tenant, actor, at, seq, id), each in the order
histories are read, so a window of ``at`` after a cursor is one range of it.
``actor`` compares exactly (migration ``0016_journal_tenant_reads``): on
MySQL/MariaDB it has the key columns' collation, elsewhere the default one,
deterministic on PostgreSQL and ``BINARY`` on SQLite; an equality in another
collation than its index's could not be read from the index.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any, cast

from sqlalchemy import BigInteger, Index, Integer, String, Table
from sqlalchemy.orm import Mapped, mapped_column

from sessionkit.adapters.sqlalchemy._types import JSONValue, UTCDateTime, key_type
from sessionkit.adapters.sqlalchemy.rows import Base
from sessionkit.model.journal import MAX_JOURNAL_REASON_LENGTH, JournalEntry
from sessionkit.model.session import MAX_NAME_LENGTH, MAX_REF_LENGTH

__all__ = ["JournalRow", "journal_from_row", "journal_table", "journal_values"]

_LABEL = String(MAX_NAME_LENGTH)
_ACTOR = String(MAX_REF_LENGTH).with_variant(key_type(MAX_REF_LENGTH), "mysql", "mariadb")


class JournalRow(Base):
    """One journal entry: an event, the record it changed, who, when and why."""

    __tablename__ = "sessionkit_journal"

    tenant: Mapped[str] = mapped_column(key_type(), primary_key=True)
    id: Mapped[str] = mapped_column(key_type(), primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    seq: Mapped[int] = mapped_column(BigInteger)
    event: Mapped[str] = mapped_column(_LABEL)
    subject: Mapped[str] = mapped_column(_LABEL)
    subject_id: Mapped[str] = mapped_column(key_type())
    session_id: Mapped[str | None] = mapped_column(key_type())
    actor: Mapped[str | None] = mapped_column(_ACTOR)
    role: Mapped[str | None] = mapped_column(String(MAX_REF_LENGTH))
    previous: Mapped[str | None] = mapped_column(_LABEL)
    status: Mapped[str | None] = mapped_column(_LABEL)
    transition: Mapped[str | None] = mapped_column(_LABEL)
    reason: Mapped[str | None] = mapped_column(String(MAX_JOURNAL_REASON_LENGTH))
    details: Mapped[dict[str, Any]] = mapped_column(JSONValue)
    version: Mapped[int] = mapped_column(Integer)

    __table_args__ = (
        # A session's history, in the order it is read.
        Index(None, "tenant", "session_id", "at", "seq", "id"),
        # A record's history (a booking's, a payment's, a series').
        Index(None, "tenant", "subject", "subject_id", "at", "seq", "id"),
        # The tenant's journal, and one actor's in it (migration 0016).
        Index(None, "tenant", "at", "seq", "id"),
        Index(None, "tenant", "actor", "at", "seq", "id"),
    )


journal_table = cast("Table", JournalRow.__table__)
"""``sessionkit_journal`` as a Core table."""


def journal_values(entry: JournalEntry) -> dict[str, Any]:
    """Return the ``sessionkit_journal`` row of ``entry``."""
    return {
        "tenant": entry.tenant,
        "id": entry.id,
        "at": entry.at,
        "seq": entry.seq,
        "event": entry.event,
        "subject": entry.subject,
        "subject_id": entry.subject_id,
        "session_id": entry.session_id,
        "actor": entry.actor,
        "role": entry.role,
        "previous": entry.previous,
        "status": entry.status,
        "transition": entry.transition,
        "reason": entry.reason,
        "details": dict(entry.details),
        "version": entry.version,
    }


def journal_from_row(row: Mapping[Any, Any]) -> JournalEntry:
    """Build the domain :class:`~sessionkit.model.journal.JournalEntry` from its row."""
    return JournalEntry(
        id=row["id"],
        tenant=row["tenant"],
        at=row["at"],
        seq=row["seq"],
        event=row["event"],
        subject=row["subject"],
        subject_id=row["subject_id"],
        session_id=row["session_id"],
        actor=row["actor"],
        role=row["role"],
        previous=row["previous"],
        status=row["status"],
        transition=row["transition"],
        reason=row["reason"],
        details=row["details"] or {},
        version=row["version"],
    )
