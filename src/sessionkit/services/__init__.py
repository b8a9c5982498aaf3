"""Use cases: session commands, series generation and reconciliation, queries, jobs.

Build a :class:`SessionKit` (the composition root) over a store's unit of
work, a clock and optionally a link checker; the user guide is ``docs/services.md``.
"""

from __future__ import annotations

from sessionkit.services._context import raised_after_commit
from sessionkit.services.analytics import Analytics
from sessionkit.services.app import SessionKit
from sessionkit.services.booking_queries import BookableSession
from sessionkit.services.bookings import BookingCommands
from sessionkit.services.bulk import SeriesSpec
from sessionkit.services.commands import SessionCommands
from sessionkit.services.drafts import SessionDraft
from sessionkit.services.fields import GroupCloseReport
from sessionkit.services.journal import JournalQueries
from sessionkit.services.queries import SessionQueries
from sessionkit.services.reports import (
    AdvanceFailure,
    AdvanceReport,
    CleanupReport,
    CloseReport,
    ExpiryReport,
    MaterialiseReport,
    Orphan,
    ReconcileReport,
    Skipped,
    SkipReason,
    TopUpFailure,
    TopUpReport,
)
from sessionkit.services.series import SeriesCommands
from sessionkit.services.tick import TICK_KINDS, TickFailure, TickReport

__all__ = [
    "SessionKit",
    "Analytics",
    "SessionCommands",
    "SessionDraft",
    "SeriesCommands",
    "SeriesSpec",
    "SessionQueries",
    "BookingCommands",
    "BookableSession",
    "JournalQueries",
    "CleanupReport",
    "ExpiryReport",
    "MaterialiseReport",
    "Skipped",
    "SkipReason",
    "TopUpReport",
    "TopUpFailure",
    "ReconcileReport",
    "Orphan",
    "CloseReport",
    "GroupCloseReport",
    "AdvanceReport",
    "AdvanceFailure",
    "TickReport",
    "TickFailure",
    "TICK_KINDS",
    "raised_after_commit",
]
