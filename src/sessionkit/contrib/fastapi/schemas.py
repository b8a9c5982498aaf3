"""Pydantic v2 schemas of the HTTP API, kept apart from the attrs domain values.

Requests are read into these models and handed to the services as plain
arguments; the services check them as they check any caller's (a bad value is
a ``SessionKitError`` and a problem+json response, not a 500). Responses are
built from the domain values by the ``*_out`` functions.

This module gathers them from one module per concern: the shared field types
(``schema_types``), sessions and the journal (``session_schemas``), series
(``series_schemas``) and bookings (``booking_schemas``). Payments, reschedule
requests and attendance keep their own modules (``payment_schemas``,
``reschedule_schemas``, ``attendance_schemas``).
"""

from __future__ import annotations

from sessionkit.contrib.fastapi.booking_schemas import (
    BookableOut,
    BookingCancel,
    BookingCreate,
    BookingOut,
    BookingPage,
    BookingSeatsCancel,
    DraftBookingCreate,
    SeatsOut,
    SessionBookingPage,
    bookable_out,
    booking_out,
)
from sessionkit.contrib.fastapi.schema_types import (
    MAX_METADATA_FIELDS,
    MAX_METADATA_TEXT,
    MAX_MINUTES,
    FieldValue,
    IsoInstant,
    LocalDatetime,
    Metadata,
    Name,
    Ref,
)

# Not part of the API, but importable from here before the split: the sibling schema modules'
# bases and helpers, re-exported as such (``X as X``).
from sessionkit.contrib.fastapi.schema_types import Item as Item
from sessionkit.contrib.fastapi.schema_types import Row as Row
from sessionkit.contrib.fastapi.schema_types import _bounded as _bounded
from sessionkit.contrib.fastapi.schema_types import _In as _In
from sessionkit.contrib.fastapi.schema_types import _iso_8601 as _iso_8601
from sessionkit.contrib.fastapi.schema_types import _json_kind as _json_kind
from sessionkit.contrib.fastapi.schema_types import _KeysetPage as _KeysetPage
from sessionkit.contrib.fastapi.schema_types import _Out as _Out
from sessionkit.contrib.fastapi.series_schemas import (
    ScheduleItemIn,
    ScheduleItemOut,
    SeriesCreate,
    SeriesCreated,
    SeriesOut,
    SkippedOut,
    series_created,
    series_out,
)
from sessionkit.contrib.fastapi.series_schemas import _minutes as _minutes
from sessionkit.contrib.fastapi.session_schemas import (
    BulkTransition,
    JournalEntryOut,
    JournalPage,
    KeptSession,
    SessionCancel,
    SessionCreate,
    SessionOut,
    SessionPage,
    SessionUpdate,
    Transition,
    UnbookedRemoval,
    UnbookedRemoved,
    journal_entry_out,
    session_out,
    unbooked_removed,
)

__all__ = [
    "IsoInstant",
    "LocalDatetime",
    "BookableOut",
    "BookingCancel",
    "BookingCreate",
    "BookingOut",
    "BookingSeatsCancel",
    "DraftBookingCreate",
    "JournalEntryOut",
    "JournalPage",
    "BookingPage",
    "SessionBookingPage",
    "SeatsOut",
    "BulkTransition",
    "ScheduleItemIn",
    "ScheduleItemOut",
    "SeriesCreate",
    "SeriesCreated",
    "SeriesOut",
    "SessionCancel",
    "SessionCreate",
    "SessionOut",
    "KeptSession",
    "SkippedOut",
    "SessionPage",
    "SessionUpdate",
    "Transition",
    "UnbookedRemoval",
    "UnbookedRemoved",
    "bookable_out",
    "booking_out",
    "journal_entry_out",
    "series_out",
    "session_out",
    "unbooked_removed",
    # Public before the split but left out of __all__ then (docs/fastapi.md names the caps).
    "FieldValue",
    "MAX_METADATA_FIELDS",
    "MAX_METADATA_TEXT",
    "MAX_MINUTES",
    "Metadata",
    "Name",
    "Ref",
    "series_created",
]
