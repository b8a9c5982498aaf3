"""Explicit conversions between domain values and table rows, in both directions.

Rows are read with SQLAlchemy Core (``result.mappings()``), so the functions
that build domain values take any mapping of column names to values; the
functions that write return plain dicts ready for ``insert().values`` or an
``executemany``. Recurrences are stored as their iCalendar lines, resources as
``"kind:id"`` strings, metadata as JSON.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from datetime import timedelta
from typing import Any, cast

from sessionkit.adapters.sqlalchemy.rows import LONG_SPAN
from sessionkit.model.series import ScheduleItem, Series, SeriesStatus, WindowPolicy
from sessionkit.model.session import ResourceRef, Session, frozen_mapping
from sessionkit.recurrence import Recurrence
from sessionkit.timespan import TimeSpan
from sessionkit.zones import RecurrenceDisambiguate

__all__ = [
    "resource_values",
    "schedule_item_values",
    "series_from_rows",
    "series_values",
    "session_from_row",
    "session_values",
]

Row = Mapping[Any, Any]


def session_values(session: Session) -> dict[str, Any]:
    """Return the ``sessionkit_sessions`` row of ``session``."""
    # Called once per row of a bulk write: the span and metadata read once, no comprehension.
    span = session.span
    metadata = session.metadata
    return {
        "tenant": session.tenant,
        "id": session.id,
        "series_id": session.series_id,
        "schedule_item_id": session.schedule_item_id,
        "occurrence_key": session.occurrence_key,
        "title": session.title,
        "start_at": span.start,
        "end_at": span.end,
        "tz": session.tz,
        "status": session.status,
        "lifecycle": session.lifecycle,
        "busy": session.busy,
        "capacity": session.capacity,
        "is_extra": session.is_extra,
        "detached": session.detached,
        "resources": list(map(str, session.resources)),
        "version": session.version,
        "created_at": session.created_at,
        "created_by": session.created_by,
        "updated_at": session.updated_at,
        "updated_by": session.updated_by,
        "metadata": dict(metadata) if metadata else {},
        "group_key": session.group,
        "title_folded": session.title.casefold(),
    }


def resource_values(session: Session) -> list[dict[str, Any]]:
    """Return the ``sessionkit_session_resources`` rows of ``session`` (one per resource)."""
    span = session.span
    long_span = span.end - span.start > LONG_SPAN
    return [
        {
            "tenant": session.tenant,
            "session_id": session.id,
            "resource": str(ref),
            "start_at": span.start,
            "end_at": span.end,
            "busy": session.busy,
            "long_span": long_span,
        }
        for ref in session.resources
    ]


_stored_ref = functools.lru_cache(maxsize=4096)(ResourceRef.parse)
"""``ResourceRef.parse`` of a stored resource, kept for the few a store's sessions name.

A ref is immutable, so every session naming ``teacher:t1`` may hold the same
one: a booking reads its session's row each time (two refs, about a seventh of
building the session, 2026-12-06). An unparseable text raises, and is not kept.
"""


def session_from_row(row: Row) -> Session:
    """Build the domain :class:`~sessionkit.model.session.Session` from a sessions row.

    The row's values were checked when sessionkit wrote it (``Session``'s
    constructor, then the table's types and constraints), so they are not
    checked again (``Session.unchecked``): the column types give aware UTC
    instants and a naive occurrence key, the resources were stored sorted and
    without duplicates and are parsed back, the metadata is made read-only as
    the constructor makes it. Reading sessions is the hot path of every
    booking command and listing; a row edited outside sessionkit must keep to
    the same rules (docs/sqlalchemy.md).
    """
    try:
        resources = tuple(map(_stored_ref, row["resources"]))
    except TypeError:
        # The cache hashes first: a list or mapping stored by hand is WrongType, as parsed.
        resources = tuple(ResourceRef.parse(text) for text in row["resources"])
    return Session.unchecked(
        id=row["id"],
        tenant=row["tenant"],
        title=row["title"],
        span=TimeSpan.unchecked(row["start_at"], row["end_at"]),
        tz=row["tz"],
        status=row["status"],
        lifecycle=row["lifecycle"],
        busy=bool(row["busy"]),
        created_at=row["created_at"],
        created_by=row["created_by"],
        resources=resources,
        series_id=row["series_id"],
        schedule_item_id=row["schedule_item_id"],
        occurrence_key=row["occurrence_key"],
        capacity=row["capacity"],
        is_extra=bool(row["is_extra"]),
        detached=bool(row["detached"]),
        version=row["version"],
        updated_at=row["updated_at"],
        updated_by=row["updated_by"],
        metadata=frozen_mapping(row["metadata"]),
        group=row["group_key"],
    )


def _microseconds(delta: timedelta) -> int:
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def series_values(series: Series) -> dict[str, Any]:
    """Return the ``sessionkit_series`` row of ``series`` (its items go separately)."""
    return {
        "tenant": series.tenant,
        "id": series.id,
        "title": series.title,
        "lifecycle": series.lifecycle,
        "status": series.status.value,
        "window_months": series.window.initial_months,
        "window_buffer_us": _microseconds(series.window.buffer),
        "capacity": series.capacity,
        "generated_until": series.generated_until,
        "version": series.version,
        "created_at": series.created_at,
        "created_by": series.created_by,
        "updated_at": series.updated_at,
        "updated_by": series.updated_by,
        "metadata": dict(series.metadata),
        "group_key": series.group,
    }


def schedule_item_values(series: Series) -> list[dict[str, Any]]:
    """Return the ``sessionkit_schedule_items`` rows of ``series``, in the series' order."""
    return [
        {
            "tenant": series.tenant,
            "series_id": series.id,
            "id": item.id,
            "position": position,
            "title": item.title,
            "recurrence": "\n".join(item.recurrence.to_ical_lines()),
            "disambiguate": item.recurrence.disambiguate,
            "resources": [str(ref) for ref in item.resources],
        }
        for position, item in enumerate(series.items)
    ]


def _schedule_item(row: Row) -> ScheduleItem:
    recurrence = Recurrence.from_ical_lines(
        row["recurrence"].splitlines(),
        disambiguate=cast("RecurrenceDisambiguate", row["disambiguate"]),
    )
    resources = tuple(ResourceRef.parse(text) for text in row["resources"])
    return ScheduleItem(row["id"], recurrence, resources, row["title"])


def series_from_rows(row: Row, items: Sequence[Row]) -> Series:
    """Build the domain :class:`~sessionkit.model.series.Series` from its row and item rows.

    ``items`` must be the series' item rows in ``position`` order.
    """
    return Series(
        id=row["id"],
        tenant=row["tenant"],
        title=row["title"],
        items=tuple(_schedule_item(item) for item in items),
        lifecycle=row["lifecycle"],
        created_at=row["created_at"],
        created_by=row["created_by"],
        status=SeriesStatus(row["status"]),
        window=WindowPolicy(row["window_months"], timedelta(microseconds=row["window_buffer_us"])),
        capacity=row["capacity"],
        generated_until=row["generated_until"],
        version=row["version"],
        updated_at=row["updated_at"],
        updated_by=row["updated_by"],
        metadata=row["metadata"],
        group=row["group_key"],
    )
