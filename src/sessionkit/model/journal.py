"""The journal: every change sessionkit made, kept in the store with the change itself.

A kit built with ``journal=True`` writes one :class:`JournalEntry` per domain
event, in the unit of work that made the change, so the history of a session
(who created, moved, cancelled or completed it, who booked it, paid, asked to
reschedule it, and why) is exactly what was committed: a change that rolled back
left no entry, and no committed event lacks one. Changes that send no event
(presence, attendance overrides, subscriptions) have no entry. Entries are never
changed.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

import attrs

from sessionkit.model.session import check_lengths, frozen_mapping
from sessionkit.model.text import MAX_NAME_LENGTH, MAX_REF_LENGTH, check_id
from sessionkit.zones import check_instant

__all__ = ["MAX_JOURNAL_REASON_LENGTH", "SUBJECTS", "JournalEntry"]

SUBJECTS = ("session", "series", "booking", "payment", "reschedule", "usage")
"""What an entry can be about: the kind of record the event changed."""

MAX_JOURNAL_REASON_LENGTH = 2000
"""The longest reason an entry keeps; a longer one (a cancel's may be) is cut to it."""


def _instant(value: object) -> datetime:
    return check_instant(value, "JournalEntry.at")


@attrs.frozen(kw_only=True)
class JournalEntry:
    """One change: its event, the record it changed, who made it, when, and why.

    ``at`` is the event's instant (for a timed step, when it fell due);
    ``seq`` orders entries of one instant as they were written. ``subject`` is
    the kind of record changed (one of :data:`SUBJECTS`) and ``subject_id`` its
    id; ``session_id`` the session it belongs to (``None`` for a series).
    ``previous`` and ``status`` are the statuses before and after a status
    change, ``transition`` its name and ``role`` the role it was fired in;
    ``reason`` the reason given. ``details`` holds what else the event told
    (the fields an update changed, a refund's amount, how many sessions a
    schedule change made), as JSON values.
    """

    id: str
    tenant: str
    at: datetime = attrs.field(converter=_instant)
    seq: int
    event: str
    subject: str
    subject_id: str
    session_id: str | None = None
    actor: str | None = None
    role: str | None = None
    previous: str | None = None
    status: str | None = None
    transition: str | None = None
    reason: str | None = None
    details: Mapping[str, Any] = attrs.field(factory=dict, converter=frozen_mapping)
    version: int = 1

    @property
    def cursor(self) -> tuple[datetime, int, str]:
        """Where a page ending with this entry ends: ``(at, seq, id)``."""
        return (self.at, self.seq, self.id)

    def __attrs_post_init__(self) -> None:
        check_id(self.id, "JournalEntry.id")
        check_id(self.tenant, "JournalEntry.tenant")
        check_id(self.subject_id, "JournalEntry.subject_id")
        if self.session_id is not None:
            check_id(self.session_id, "JournalEntry.session_id")
        check_lengths(
            self,
            event=MAX_NAME_LENGTH,
            subject=MAX_NAME_LENGTH,
            role=MAX_REF_LENGTH,
            previous=MAX_NAME_LENGTH,
            status=MAX_NAME_LENGTH,
            transition=MAX_NAME_LENGTH,
            reason=MAX_JOURNAL_REASON_LENGTH,
        )
