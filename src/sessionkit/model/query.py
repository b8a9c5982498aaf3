"""Queries over sessions: filters, sorting by one or more keys, offset pages and keyset cursors.

Sort keys and how they compare, the same in every adapter:

- ``start``, ``end``, ``created``: the instants; ``updated``: ``updated_at``,
  or ``created_at`` for a never-updated session.
- ``title``, ``status``, ``group``: by Unicode code point, as Python compares
  ``str`` (so ``"B" < "a"``, and trailing spaces count): binary, never a
  database's linguistic collation. A session without a group sorts as ``""``,
  before every group.
- Ties are broken by id, in the direction of the last key.

The sort keys, :func:`sort_value` and :class:`Cursor` live in ``_query_order``;
this module exports them under its own name and keeps what a query asks and
what it answers: :class:`SessionQuery`, its filters' checks and :class:`Page`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Generic, TypeVar

import attrs

from sessionkit.errors import InvalidValue, InvalidWindow, WrongType
from sessionkit.errors._base import int_converter, shown
from sessionkit.model._query_order import (
    MAX_CURSOR_LENGTH as MAX_CURSOR_LENGTH,
)
from sessionkit.model._query_order import (
    SORT_FIELDS,
    Cursor,
    Direction,
    SortField,
    SortKey,
    SortValue,
    _order,
    sort_value,
)
from sessionkit.model.fields import FieldFilter, FieldValue, field_filters, search_fields
from sessionkit.model.html import html_of
from sessionkit.model.session import (
    ResourceRef,
    check_group,
    resource_refs,
)
from sessionkit.model.text import (
    MAX_TITLE_LENGTH,
    check_flag,
    check_names,
    check_optional_id,
    check_text,
)
from sessionkit.zones import EARLIEST, LATEST, UTC, check_aware

__all__ = [
    "MAX_LIMIT",
    "SORT_FIELDS",
    "Cursor",
    "Direction",
    "Page",
    "SessionQuery",
    "SortField",
    "SortKey",
    "SortValue",
    "sort_value",
]

T = TypeVar("T")

MAX_LIMIT = 1000
MAX_OFFSET = 2**31 - 1
"""The most rows offset paging skips (``(page - 1) * limit``); page deeper with cursors."""


def _statuses(value: str | Sequence[str] | None) -> tuple[str, ...] | None:
    # None is no filter; an empty list is "any of none", which matches no session.
    if value is None:
        return None
    return check_names(value, "statuses")


def _bound(value: datetime | None, name: str) -> datetime | None:
    """A query bound in UTC, clamped to the instants sessions can have (EARLIEST..LATEST)."""
    if value is None:
        return None
    instant = check_aware(value, name).astimezone(UTC)
    return min(max(instant, EARLIEST), LATEST)


def _start_from(value: datetime | None) -> datetime | None:
    return _bound(value, "start_from")


def _start_to(value: datetime | None) -> datetime | None:
    return _bound(value, "start_to")


def check_window_order(
    start_from: datetime | None,
    start_to: datetime | None,
    names: tuple[str, str] = ("start_from", "start_to"),
) -> None:
    """Raise ``InvalidWindow`` for a ``start_to`` before ``start_from`` (equal: an empty window).

    Such a window matches nothing: its reads and figures came back empty, as
    if there were no data, where the caller had swapped the two. ``names``
    are the caller's own names for the two ends, as the message gives them.
    """
    if start_from is not None and start_to is not None and start_to < start_from:
        first, last = names
        raise InvalidWindow(
            f"{last} {start_to.isoformat()} is before {first} {start_from.isoformat()}",
            value=(start_from, start_to),
            expected=f"{last} >= {first}",
        )


def _optional_refs(
    value: ResourceRef | str | Sequence[ResourceRef | str] | None,
) -> tuple[ResourceRef, ...] | None:
    # As for statuses: None is no filter, an empty list matches no session.
    if value is None:
        return None
    # A query may name more resources than one session has: a dashboard's teachers.
    return resource_refs(value, most=MAX_LIMIT)  # type: ignore[arg-type]  # one or many


def _fields(
    value: Mapping[str, FieldValue | Iterable[FieldValue]] | Iterable[FieldFilter] | None,
) -> tuple[FieldFilter, ...]:
    return field_filters(value)


def _count(number: int) -> str:
    """``number`` with thousands separators; a number too long to print, shortened."""
    return f"{number:,}" if number < 10**100 else shown(number)


@attrs.frozen(slots=True, kw_only=True)
class SessionQuery:
    """What to list. Filters combine with AND; a list of statuses or resources means any of them.

    ``statuses`` and ``resources`` are ``None`` (the default) for no filter;
    an empty list matches no session (as SQL's ``IN`` and Django's
    ``__in=[]`` do), so a dashboard's selection of no teacher lists none,
    never every session of the tenant (:attr:`matches_nothing`).
    ``start_from`` is inclusive and ``start_to`` exclusive (``InvalidWindow`` when
    ``start_to`` is before ``start_from``). ``search`` matches
    the title case-insensitively, and, with ``search_fields`` (own-field keys:
    ``("client", "email")``), the text of those own fields too (a session
    matches if any of them contains it; see docs/services.md for how each
    database ignores case there). ``group`` keeps the sessions of one group.
    ``fields`` filters on own fields (``metadata``): ``{"type": "video",
    "platform": ["zoom", "meet"]}`` wants each key equal to its value, or to
    any of a list, tuple or set of values; keys are identifiers, values
    strings, integers or booleans, compared by JSON type too (see
    :mod:`sessionkit.model.fields`); it is stored normalised, as sorted
    ``(key, values)`` pairs.

    Sort by one key with ``sort``/``descending``, or by several with
    ``order=[("start", "asc"), ("title", "desc")]`` (not both); ties are
    broken by id in the direction of the last key, so pages are stable (the
    module docstring says how each key compares). Use either ``page``
    (1-based, with a total count) or ``after`` (a :class:`Cursor` from the
    previous page, for the same order) for deep paging.
    """

    series_id: str | None = None
    resources: tuple[ResourceRef, ...] | None = attrs.field(default=None, converter=_optional_refs)
    statuses: tuple[str, ...] | None = attrs.field(default=None, converter=_statuses)
    start_from: datetime | None = attrs.field(default=None, converter=_start_from)
    start_to: datetime | None = attrs.field(default=None, converter=_start_to)
    search: str | None = None
    search_fields: tuple[str, ...] = attrs.field(default=None, converter=search_fields)
    is_extra: bool | None = None
    group: str | None = None
    fields: tuple[FieldFilter, ...] = attrs.field(default=None, converter=_fields)
    sort: SortField = "start"
    descending: bool = False
    order: tuple[SortKey, ...] = attrs.field(default=None, converter=_order)
    page: int = attrs.field(default=1, converter=int_converter)
    limit: int = attrs.field(default=50, converter=int_converter)
    after: str | None = None

    def __attrs_post_init__(self) -> None:
        check_optional_id(self.series_id, "series_id")
        check_text(self.search, "search", limit=MAX_TITLE_LENGTH, optional=True)
        if self.search_fields and self.search is None:
            raise InvalidValue(
                f"the search fields ({', '.join(self.search_fields)}) need a search to match",
                value=self.search_fields,
                expected="a search with the search fields, or neither",
            )
        check_flag(self.is_extra, "is_extra", optional=True)
        check_flag(self.descending, "descending")
        if self.sort not in SORT_FIELDS:
            raise InvalidValue(
                f"sort must be one of {', '.join(SORT_FIELDS)}, got {shown(self.sort)}",
                value=self.sort,
                expected=" | ".join(SORT_FIELDS),
            )
        if self.order and (self.sort != "start" or self.descending):
            raise InvalidValue(
                "use either order or sort/descending, not both",
                value=(self.order, self.sort, self.descending),
                expected="order alone",
            )
        check_group(self.group)
        check_window_order(self.start_from, self.start_to)
        for name in ("limit", "page"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int):
                raise WrongType(value, name=name, expected="a positive integer")
        if not 1 <= self.limit <= MAX_LIMIT:
            raise InvalidValue(
                f"limit must be between 1 and {MAX_LIMIT}, got {shown(self.limit)}",
                value=self.limit,
                expected=f"1..{MAX_LIMIT}",
            )
        if self.page < 1:
            raise InvalidValue(
                f"page must be a positive integer, got {shown(self.page)}",
                value=self.page,
                expected=">= 1",
            )
        if self.offset > MAX_OFFSET:
            raise InvalidValue(
                f"page={_count(self.page)} with limit={self.limit} skips "
                f"{_count(self.offset)} rows; offset "
                f"paging skips at most {MAX_OFFSET:,} (page on with after=, a cursor)",
                value=self.page,
                expected=f"(page - 1) * limit <= {MAX_OFFSET}",
            )
        if self.after is not None and self.page != 1:
            raise InvalidValue(
                "use either page or after (a cursor), not both",
                value=(self.page, self.after),
                expected="page=1 with a cursor",
            )
        if self.after is not None:
            Cursor.decode(self.after, self.ordering)

    @property
    def ordering(self) -> tuple[SortKey, ...]:
        """The sort keys in effect: ``order``, or ``sort``/``descending`` as one key."""
        return self.order or ((self.sort, "desc" if self.descending else "asc"),)

    @property
    def matches_nothing(self) -> bool:
        """Whether an empty ``statuses`` or ``resources`` leaves no session to match.

        A store may then answer an empty page (total 0) without reading.
        """
        return self.statuses == () or self.resources == ()

    @property
    def offset(self) -> int:
        """Rows skipped before this page (offset paging)."""
        return (self.page - 1) * self.limit


@attrs.frozen(slots=True)
class Page(Generic[T]):
    """One page of results: ``items``, the ``total`` matching the filters, and paging hints.

    ``next_cursor`` continues after the last item (``None`` on the last page).
    """

    _repr_html_ = html_of

    items: tuple[T, ...]
    total: int
    page: int
    limit: int
    next_cursor: str | None

    @property
    def pages(self) -> int:
        """How many pages of ``limit`` the total makes."""
        return max(1, -(-self.total // self.limit))


# Show (and pickle) what moved to the private module under this public path, as before.
_moved: object
for _moved in (Cursor, sort_value):
    _moved.__module__ = __name__
del _moved
