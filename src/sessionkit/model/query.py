"""Queries over sessions: filters, sorting, offset pages and keyset cursors."""

from __future__ import annotations

import base64
import json
from collections.abc import Sequence
from datetime import datetime
from typing import Generic, Literal, TypeVar

import attrs

from sessionkit.errors import InvalidValue
from sessionkit.model.session import ResourceRef, resource_refs
from sessionkit.zones import check_aware

__all__ = ["MAX_LIMIT", "Cursor", "Page", "SessionQuery", "SortField"]

T = TypeVar("T")

SortField = Literal["start", "end", "created", "updated"]
MAX_LIMIT = 1000


def _statuses(value: str | Sequence[str] | None) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    return tuple(sorted(set(value)))


def _optional_refs(
    value: ResourceRef | str | Sequence[ResourceRef | str] | None,
) -> tuple[ResourceRef, ...]:
    if value is None:
        return ()
    return resource_refs(value)  # type: ignore[arg-type]  # resource_refs takes one or many


@attrs.frozen(slots=True, kw_only=True)
class SessionQuery:
    """What to list. Filters combine with AND; a list of statuses or resources means any of them.

    ``start_from`` is inclusive and ``start_to`` exclusive. ``search`` matches
    the title case-insensitively. Ties in the sort order are broken by id, so
    pages are stable. Use either ``page`` (1-based, with a total count) or
    ``after`` (a :class:`Cursor` from the previous page) for deep paging.
    """

    series_id: str | None = None
    resources: tuple[ResourceRef, ...] = attrs.field(default=None, converter=_optional_refs)
    statuses: tuple[str, ...] = attrs.field(default=None, converter=_statuses)
    start_from: datetime | None = None
    start_to: datetime | None = None
    search: str | None = None
    is_extra: bool | None = None
    sort: SortField = "start"
    descending: bool = False
    page: int = 1
    limit: int = 50
    after: str | None = None

    def __attrs_post_init__(self) -> None:
        if self.sort not in ("start", "end", "created", "updated"):
            raise InvalidValue(
                f"sort must be start, end, created or updated, got {self.sort!r}",
                value=self.sort,
                expected="start | end | created | updated",
            )
        if not isinstance(self.limit, int) or not 1 <= self.limit <= MAX_LIMIT:
            raise InvalidValue(
                f"limit must be between 1 and {MAX_LIMIT}, got {self.limit!r}",
                value=self.limit,
                expected=f"1..{MAX_LIMIT}",
            )
        if not isinstance(self.page, int) or self.page < 1:
            raise InvalidValue(
                f"page must be a positive integer, got {self.page!r}",
                value=self.page,
                expected=">= 1",
            )
        if self.after is not None and self.page != 1:
            raise InvalidValue(
                "use either page or after (a cursor), not both",
                value=(self.page, self.after),
                expected="page=1 with a cursor",
            )
        for name in ("start_from", "start_to"):
            value = getattr(self, name)
            if value is not None:
                check_aware(value, name)
        if self.after is not None:
            Cursor.decode(self.after, self.sort)

    @property
    def offset(self) -> int:
        """Rows skipped before this page (offset paging)."""
        return (self.page - 1) * self.limit


@attrs.frozen(slots=True)
class Cursor:
    """The keyset position after a row: its sort value and id, as an opaque string."""

    sort: SortField
    value: datetime | None
    id: str

    def encode(self) -> str:
        """Return the opaque cursor text for :attr:`SessionQuery.after`."""
        payload = {
            "s": self.sort,
            "v": None if self.value is None else self.value.isoformat(),
            "i": self.id,
        }
        return base64.urlsafe_b64encode(json.dumps(payload).encode()).decode()

    @classmethod
    def decode(cls, text: str, sort: SortField) -> Cursor:
        """Read a cursor; it must come from a query with the same sort field."""
        try:
            payload = json.loads(base64.urlsafe_b64decode(text.encode()))
            value = None if payload["v"] is None else datetime.fromisoformat(payload["v"])
            cursor = cls(payload["s"], value, str(payload["i"]))
        except (ValueError, KeyError, TypeError) as exc:
            raise InvalidValue(
                f"not a cursor from a previous page: {text!r}", value=text, expected="a cursor"
            ) from exc
        if cursor.sort != sort:
            raise InvalidValue(
                f"this cursor pages by {cursor.sort!r}, not {sort!r}",
                value=text,
                expected=f"a cursor for sort={sort!r}",
            )
        return cursor


@attrs.frozen(slots=True)
class Page(Generic[T]):
    """One page of results: ``items``, the ``total`` matching the filters, and paging hints.

    ``next_cursor`` continues after the last item (``None`` on the last page).
    """

    items: tuple[T, ...]
    total: int
    page: int
    limit: int
    next_cursor: str | None

    @property
    def pages(self) -> int:
        """How many pages of ``limit`` the total makes."""
        return max(1, -(-self.total // self.limit))
