"""Series: a recurring class or group with its schedule items and generation window."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Any, ClassVar

import attrs

from sessionkit.errors import InvalidValue, WrongType
from sessionkit.errors._base import check_int, int_converter, shown
from sessionkit.limits import CEILING
from sessionkit.model.html import html_of
from sessionkit.model.records import SERIES, Schema
from sessionkit.model.session import (
    MAX_NAME_LENGTH,
    MAX_REF_LENGTH,
    MAX_TITLE_LENGTH,
    ResourceRef,
    check_capacity,
    check_group,
    check_identity,
    check_lengths,
    frozen_mapping,
    resource_refs,
)
from sessionkit.model.text import check_id, check_text
from sessionkit.recurrence import Recurrence
from sessionkit.timespan import check_delta
from sessionkit.zones import check_aware

__all__ = [
    "MAX_ITEMS",
    "ScheduleItem",
    "Series",
    "SeriesStatus",
    "WindowPolicy",
    "add_months",
    "item_tuple",
]


class SeriesStatus(StrEnum):
    """Whether a series still generates sessions."""

    ACTIVE = "active"
    CLOSED = "closed"


def series_status(value: object) -> SeriesStatus:
    """Return ``value`` as a :class:`SeriesStatus` (its text, ``"closed"``, too), or raise.

    ``WrongType`` for a value that is no text; ``InvalidValue`` for text that
    names no status: a series does not keep one storage cannot write.
    """
    if isinstance(value, SeriesStatus):
        return value
    if not isinstance(value, str):
        raise WrongType(value, name="status", expected="a SeriesStatus")
    try:
        return SeriesStatus(value)
    except ValueError:
        known = ", ".join(s.value for s in SeriesStatus)
        raise InvalidValue(
            f"series status {shown(value)} is not one of {known}",
            value=value,
            expected=" | ".join(s.value for s in SeriesStatus),
        ) from None


def add_months(day: date, months: int) -> date:
    """Return ``day`` moved by whole calendar months, clamped to the month's last day.

    ``InvalidValue`` when that leaves the years 1..9999 (``WrongType`` for a
    ``months`` that is no integer).
    """
    if not isinstance(day, date):
        raise WrongType(day, name="day", expected="a date")
    months = check_int(months, name="months", expected="an integer")
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    month += 1
    try:
        following = date(year + (month == 12), month % 12 + 1, 1)
        last = (following - timedelta(days=1)).day
        return date(year, month, min(day.day, last))
    except (ValueError, OverflowError):
        if 1 <= year <= 9999:  # December 9999: its following month does not exist
            return date(year, month, day.day)
        raise InvalidValue(
            f"{day.isoformat()} moved by {shown(months)} months leaves the years 1..9999",
            value=months,
            expected="a move that stays within the years 1..9999",
        ) from None


_MAX_MONTHS = 1200


@attrs.frozen(slots=True)
class WindowPolicy:
    """How far ahead sessions are generated.

    A new series is materialised ``initial_months`` calendar months ahead (the
    LMS seed: 2 months). ``top_up`` keeps at least ``buffer`` ahead of now (the
    seed: 4 weeks) and, when it runs short, refills to ``initial_months`` again,
    and at least a day past ``buffer``: a buffer longer than the months is kept
    by a refill once a day.
    """

    initial_months: int = attrs.field(default=2, converter=int_converter)
    buffer: timedelta = timedelta(weeks=4)

    def __attrs_post_init__(self) -> None:
        months = self.initial_months
        if isinstance(months, bool) or not isinstance(months, int):
            raise WrongType(months, name="initial_months", expected="a positive integer")
        if not 1 <= months <= _MAX_MONTHS:
            raise InvalidValue(
                f"initial_months must be 1..{_MAX_MONTHS} (100 years), got {shown(months)}; "
                "Limits.window bounds it further when a series is created",
                value=months,
                expected=f"1..{_MAX_MONTHS}",
            )
        check_delta(self.buffer, "buffer", positive=True, maximum=CEILING)


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
        check_id(self.id, "ScheduleItem.id")
        if not isinstance(self.recurrence, Recurrence):
            raise WrongType(
                self.recurrence, name="ScheduleItem.recurrence", expected="a Recurrence"
            )
        check_lengths(self, title=MAX_TITLE_LENGTH)


MAX_ITEMS = 100
"""The most schedule items a series may have."""


def item_tuple(value: Iterable[ScheduleItem]) -> tuple[ScheduleItem, ...]:
    """Return schedule items as a tuple; raise ``WrongType`` for anything else, too many."""
    if isinstance(value, (str, bytes, Mapping)) or not isinstance(value, Iterable):
        raise WrongType(value, name="items", expected="a list of ScheduleItems")
    items: list[ScheduleItem] = []
    for item in value:
        if not isinstance(item, ScheduleItem):
            raise WrongType(item, name="a schedule item", expected="a ScheduleItem")
        items.append(item)
        if len(items) > MAX_ITEMS:
            raise InvalidValue(
                f"a series has at most {MAX_ITEMS} schedule items",
                value=len(items),
                expected=f"1..{MAX_ITEMS} items",
            )
    return tuple(items)


@attrs.frozen(slots=True)
class Series:
    """A recurring group (the LMS seed's group with its schedule items).

    ``generated_until`` is the instant up to which occurrences have been
    materialised into sessions (``None`` before the first materialisation).
    ``metadata`` holds the platform's own fields; ``group`` (optional) files
    the series under a grouping above it (a class holding several groups, a
    coaching contract), which its sessions inherit.
    """

    __record_schema__: ClassVar[Schema] = SERIES
    _repr_html_ = html_of

    id: str
    tenant: str
    title: str
    items: tuple[ScheduleItem, ...] = attrs.field(converter=item_tuple)
    lifecycle: str
    created_at: datetime
    created_by: str | None = None
    status: SeriesStatus = attrs.field(default=SeriesStatus.ACTIVE, converter=series_status)
    window: WindowPolicy = WindowPolicy()
    capacity: int = attrs.field(default=1, converter=int_converter)
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
        check_text(self.title, "title", limit=MAX_TITLE_LENGTH)
        check_capacity(self.capacity)
        if not isinstance(self.window, WindowPolicy):
            raise WrongType(self.window, name="window", expected="a WindowPolicy")
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
        if self.updated_at is not None:
            check_aware(self.updated_at, "updated_at")

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
            f"series {shown(self.id)} has no schedule item {shown(item_id)}",
            value=item_id,
            expected=", ".join(i.id for i in self.items),
        )
