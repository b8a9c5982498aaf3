"""The domain model: sessions, series, domain events and queries (frozen attrs values)."""

from __future__ import annotations

from sessionkit.model.events import (
    DomainEvent,
    SeriesClosed,
    SeriesUpdated,
    SessionCanceled,
    SessionCreated,
    SessionDeleted,
    SessionsRegenerated,
    SessionStatusChanged,
    SessionUpdated,
)
from sessionkit.model.query import MAX_LIMIT, Cursor, Page, SessionQuery, SortField
from sessionkit.model.series import ScheduleItem, Series, SeriesStatus, WindowPolicy, add_months
from sessionkit.model.session import (
    MAX_ID_LENGTH,
    MAX_NAME_LENGTH,
    MAX_REF_LENGTH,
    MAX_TITLE_LENGTH,
    ResourceRef,
    Session,
    resource_refs,
)

__all__ = [
    "MAX_ID_LENGTH",
    "MAX_LIMIT",
    "MAX_NAME_LENGTH",
    "MAX_REF_LENGTH",
    "MAX_TITLE_LENGTH",
    "Cursor",
    "DomainEvent",
    "Page",
    "ResourceRef",
    "ScheduleItem",
    "Series",
    "SeriesClosed",
    "SeriesStatus",
    "SeriesUpdated",
    "Session",
    "SessionCanceled",
    "SessionCreated",
    "SessionDeleted",
    "SessionQuery",
    "SessionStatusChanged",
    "SessionUpdated",
    "SessionsRegenerated",
    "SortField",
    "WindowPolicy",
    "add_months",
    "resource_refs",
]
