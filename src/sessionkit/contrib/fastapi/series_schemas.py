"""Pydantic v2 schemas of series, their schedule items and the occurrences a new one skipped."""

from __future__ import annotations

import inspect
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from pydantic import BaseModel, Field, StrictInt

from sessionkit.contrib.fastapi.schema_types import (
    MAX_MINUTES,
    LocalDatetime,
    Metadata,
    Name,
    Refs,
    _In,
    _Out,
)
from sessionkit.model.series import MAX_ITEMS, ScheduleItem, Series
from sessionkit.model.session import MAX_CAPACITY
from sessionkit.model.text import MAX_ID_LENGTH, MAX_TITLE_LENGTH
from sessionkit.recurrence import Recurrence
from sessionkit.recurrence.rule import MAX_RULE_LENGTH
from sessionkit.services.reports import Skipped, SkipReason
from sessionkit.services.series import SeriesCommands

__all__ = [
    "KIT_SERIES_LIFECYCLE",
    "ScheduleItemIn",
    "ScheduleItemOut",
    "SeriesCreate",
    "SeriesCreated",
    "SeriesOut",
    "SkippedOut",
    "series_created",
    "series_out",
]


KIT_SERIES_LIFECYCLE: str = inspect.signature(SeriesCommands.create).parameters["lifecycle"].default
"""The lifecycle sessionkit's ``kit.series.create`` gives a series that names none (read from it,
so that the two cannot differ): ``SeriesCreate``'s default in Python. A host's kit may give
another, which ``POST /series`` reads per request; the OpenAPI schema publishes neither."""


def _unpublished_default(schema: dict[str, Any]) -> None:
    """Keep a field's default out of its JSON schema: the server decides it, not the model."""
    schema.pop("default", None)


class ScheduleItemIn(_In):
    """One recurring item of a series: an RFC 5545 rule from a local start in a zone."""

    id: str = Field(max_length=MAX_ID_LENGTH)
    rrule: str = Field(max_length=MAX_RULE_LENGTH, examples=["FREQ=WEEKLY;BYDAY=MO,WE"])
    start: LocalDatetime = Field(
        description="The first occurrence's local wall time in tz (an offset is converted to tz)."
    )
    tz: Name = Field(examples=["Europe/Berlin"])
    duration_minutes: StrictInt = Field(gt=0, le=MAX_MINUTES)
    resources: Refs = Field(default_factory=list)
    title: str | None = Field(default=None, max_length=MAX_TITLE_LENGTH)

    def to_item(self) -> ScheduleItem:
        """Return the domain schedule item (``InvalidRecurrence`` and friends for bad values)."""
        recurrence = Recurrence.from_rrule(
            self.rrule,
            start=self.start,
            tz=self.tz,
            duration=timedelta(minutes=self.duration_minutes),
        )
        return ScheduleItem(self.id, recurrence, self.resources, self.title)


class ScheduleItemOut(_Out):
    """A schedule item as stored: its rule text, local start, zone and duration."""

    id: str
    rrule: str
    start: LocalDatetime = Field(
        description="The local wall time of the first occurrence in tz, without an offset."
    )
    tz: str
    duration_minutes: int | float = Field(
        description="Whole minutes as an integer (as ScheduleItemIn takes them); a number else."
    )
    resources: list[str]
    title: str | None


class SeriesCreate(_In):
    """A series: its schedule items generate sessions over a rolling window."""

    title: str = Field(max_length=MAX_TITLE_LENGTH)
    items: list[ScheduleItemIn] = Field(min_length=1, max_length=MAX_ITEMS)
    lifecycle: Name = Field(
        default=KIT_SERIES_LIFECYCLE,
        description=(
            "The lifecycle of its sessions. Omitted: the server's default for a series, which"
            " each host's kit sets (kit.series.create's), so none is published here; a kit that"
            " does not know its own default answers a 500 UnknownLifecycle."
        ),
        json_schema_extra=_unpublished_default,  # "lms" here would be wrong for some hosts
    )
    capacity: StrictInt = Field(default=1, ge=1, le=MAX_CAPACITY)
    group: str | None = Field(default=None, max_length=MAX_ID_LENGTH)
    series_id: str | None = Field(
        default=None,
        max_length=MAX_ID_LENGTH,
        description=(
            "The id to give it (default: made from Idempotency-Key, or new). Named beside an"
            " Idempotency-Key, it is the request's identity instead of the key: the same id and"
            " request return the first series, another request with that id is a 409"
            " DuplicateSeries, and the key is not stored. Without a key, a second request"
            " naming it is a 409."
        ),
    )
    metadata: Metadata | None = None


class SeriesOut(_Out):
    """A series and how far its sessions are generated."""

    id: str
    title: str
    lifecycle: str
    status: str
    capacity: int
    group: str | None
    items: list[ScheduleItemOut]
    generated_until: datetime | None
    metadata: dict[str, Any]
    version: int
    created_at: datetime
    updated_at: datetime | None


class SkippedOut(BaseModel):
    """An occurrence a new series did not turn into a session, and the session in its way.

    ``reason``: ``"conflict"`` (``resource`` is busy with ``blocking_id``
    then) or ``"exists"`` (``blocking_id`` holds the occurrence already).
    """

    item_id: str
    start: datetime
    end: datetime
    reason: SkipReason
    resource: str | None
    blocking_id: str
    message: str


class SeriesCreated(SeriesOut):
    """A new series, and the occurrences of its first window it skipped.

    ``skipped`` is ``None`` on a replay of the request (an ``Idempotency-Key``
    sent again): what the first request skipped is not kept.
    """

    skipped: list[SkippedOut] | None


def _minutes(duration: timedelta) -> int | float:
    """``duration`` in minutes: an ``int`` when whole, so a series read can be posted back."""
    whole, rest = divmod(duration, timedelta(minutes=1))
    return whole if not rest else duration / timedelta(minutes=1)


def series_out(series: Series) -> SeriesOut:
    """Return the response schema of ``series``."""
    return SeriesOut.of(
        series,
        status=str(series.status.value),
        items=[
            ScheduleItemOut.of(
                item,
                rrule=item.recurrence.to_rrule(),
                start=item.recurrence.start,
                tz=item.recurrence.tz,
                duration_minutes=_minutes(item.recurrence.duration),
                resources=[str(r) for r in item.resources],
            )
            for item in series.items
        ],
        metadata=dict(series.metadata),
    )


def series_created(series: Series, skipped: Sequence[Skipped] | None) -> SeriesCreated:
    """Return the response schema of a new ``series`` and the occurrences it ``skipped``."""
    return SeriesCreated(
        **series_out(series).model_dump(),
        skipped=None
        if skipped is None
        else [
            SkippedOut(
                item_id=s.item_id,
                start=s.span.start,
                end=s.span.end,
                reason=s.reason,
                resource=None if s.resource is None else str(s.resource),
                blocking_id=s.blocking.id,
                message=s.describe(),
            )
            for s in skipped
        ],
    )
