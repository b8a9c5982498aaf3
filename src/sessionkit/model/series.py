"""Series: a recurring class or group with its schedule items and generation window."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Any

import attrs

from sessionkit.errors import InvalidDuration, InvalidValue
from sessionkit.model.session import (
    MAX_ID_LENGTH,
    MAX_NAME_LENGTH,
    MAX_REF_LENGTH,
    MAX_TITLE_LENGTH,
    ResourceRef,
    check_group,
    check_identity,
    check_lengths,
    frozen_mapping,
    resource_refs,
)
from sessionkit.recurrence import Recurrence
from sessionkit.zones import check_aware

__all__ = ["ScheduleItem", "Series", "SeriesStatus", "WindowPolicy", "add_months"]


class SeriesStatus(StrEnum):
    """Whether a series still generates sessions."""

    ACTIVE = "active"
    CLOSED = "closed"


def add_months(day: date, months: int) -> date:
    """Return ``day`` moved by whole calendar months, clamped to the month's last day."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    month += 1
    following = date(year + (month == 12), month % 12 + 1, 1)
    last = (following - timedelta(days=1)).day
    return date(year, month, min(day.day, last))


@attrs.frozen(slots=True)
class WindowPolicy:
    """How far ahead sessions are generated.

    A new series is materialised ``initial_months`` calendar months ahead (the
    LMS seed: 2 months). ``top_up`` keeps at least ``buffer`` ahead of now (the
    seed: 4 weeks) and, when it runs short, refills to ``initial_months`` again.
    """

    initial_months: int = 2
    buffer: timedelta = timedelta(weeks=4)

    def __attrs_post_init__(self) -> None:
        if not isinstance(self.initial_months, int) or self.initial_months < 1:
            raise InvalidValue(
                f"initial_months must be a positive integer, got {self.initial_months!r}",
                value=self.initial_months,
                expected=">= 1",
            )
        if not isinstance(self.buffer, timedelta) or self.buffer <= timedelta(0):
            raise InvalidDuration(
                f"buffer must be a positive timedelta, got {self.buffer!r}",
                value=self.buffer,
                expected="> 0",
            )


@attrs.frozen(slots=True)
class ScheduleItem:
    """One recurring slot of a series: a recurrence plus the resources it occupies.

    ``id`` is stable across schedule changes when the slot is only edited.
    """

    id: str
    recurrence: Recurrence
    resources: tuple[ResourceRef, ...] = attrs.field(default=(), converter=resource_refs)
    title: str | None = None

    def __attrs_post_init__(self) -> None:
        if not isinstance(self.id, str) or not self.id:
            raise InvalidValue(
                f"ScheduleItem.id must be a non-empty string, got {self.id!r}",
                value=self.id,
                expected="a non-empty string",
            )
        check_lengths(self, id=MAX_ID_LENGTH, title=MAX_TITLE_LENGTH)


def _item_tuple(value: Iterable[ScheduleItem]) -> tuple[ScheduleItem, ...]:
    return tuple(value)


@attrs.frozen(slots=True)
class Series:
    """A recurring group (the LMS seed's group with its schedule items).

    ``generated_until`` is the instant up to which occurrences have been
    materialised into sessions (``None`` before the first materialisation).
    ``metadata`` holds the platform's own fields; ``group`` (optional) files
    the series under a grouping above it (a class holding several groups, a
    coaching contract), which its sessions inherit.
    """

    id: str
    tenant: str
    title: str
    items: tuple[ScheduleItem, ...] = attrs.field(converter=_item_tuple)
    lifecycle: str
    created_at: datetime
    created_by: str | None = None
    status: SeriesStatus = SeriesStatus.ACTIVE
    window: WindowPolicy = WindowPolicy()
    capacity: int = 1
    generated_until: datetime | None = None
    version: int = 1
    updated_at: datetime | None = None
    updated_by: str | None = None
    metadata: Mapping[str, Any] = attrs.field(
        factory=dict, converter=frozen_mapping, eq=False, hash=False
    )
    group: str | None = attrs.field(default=None, validator=lambda _i, _a, v: check_group(v))

    def __attrs_post_init__(self) -> None:
        check_identity(self)
        check_lengths(
            self,
            lifecycle=MAX_NAME_LENGTH,
            created_by=MAX_REF_LENGTH,
            updated_by=MAX_REF_LENGTH,
        )
        if not isinstance(self.title, str) or len(self.title) > MAX_TITLE_LENGTH:
            raise InvalidValue(
                f"title must be a string of at most {MAX_TITLE_LENGTH} characters",
                value=self.title,
                expected=f"<= {MAX_TITLE_LENGTH} characters",
            )
        if not self.items:
            raise InvalidValue(
                "a series needs at least one schedule item", value=self.items, expected=">= 1 item"
            )
        ids = [item.id for item in self.items]
        if len(set(ids)) != len(ids):
            raise InvalidValue(
                f"schedule item ids must be unique, got {ids}", value=ids, expected="unique ids"
            )
        check_aware(self.created_at, "created_at")
        if self.generated_until is not None:
            check_aware(self.generated_until, "generated_until")

    @property
    def is_active(self) -> bool:
        """Whether the series still generates sessions."""
        return self.status == SeriesStatus.ACTIVE

    def item(self, item_id: str) -> ScheduleItem:
        """Return the schedule item with ``item_id``."""
        for item in self.items:
            if item.id == item_id:
                return item
        raise InvalidValue(
            f"series {self.id!r} has no schedule item {item_id!r}",
            value=item_id,
            expected=", ".join(i.id for i in self.items),
        )
