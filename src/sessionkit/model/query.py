"""Queries over sessions: filters, sorting by one or more keys, offset pages and keyset cursors.

Sort keys and how they compare, the same in every adapter:

- ``start``, ``end``, ``created``: the instants; ``updated``: ``updated_at``,
  or ``created_at`` for a never-updated session.
- ``title``, ``status``, ``group``: by Unicode code point, as Python compares
  ``str`` (so ``"B" < "a"``, and trailing spaces count): binary, never a
  database's linguistic collation. A session without a group sorts as ``""``,
  before every group.
- Ties are broken by id, in the direction of the last key.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any, Generic, Literal, TypeAlias, TypeVar

import attrs

from sessionkit.errors import InvalidValue, InvalidWindow, WrongType
from sessionkit.errors._base import int_converter, shown
from sessionkit.model.fields import FieldFilter, FieldValue, field_filters, search_fields
from sessionkit.model.html import html_of
from sessionkit.model.session import (
    ResourceRef,
    Session,
    check_group,
    check_session,
    resource_refs,
)
from sessionkit.model.text import (
    MAX_TITLE_LENGTH,
    check_flag,
    check_id,
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

SortField = Literal["start", "end", "created", "updated", "title", "status", "group"]
"""What sessions can be sorted by."""
Direction = Literal["asc", "desc"]
SortKey: TypeAlias = tuple[SortField, Direction]
"""One key of a sort order: the field and its direction."""
SortValue: TypeAlias = datetime | str
SORT_FIELDS: tuple[SortField, ...] = (
    "start",
    "end",
    "created",
    "updated",
    "title",
    "status",
    "group",
)
_TEXT_FIELDS = frozenset({"title", "status", "group"})
MAX_LIMIT = 1000
MAX_OFFSET = 2**31 - 1
"""The most rows offset paging skips (``(page - 1) * limit``); page deeper with cursors."""
MAX_CURSOR_LENGTH = 8192
"""The longest cursor text :attr:`SessionQuery.after` accepts.

Above the longest a page makes (about 4,200 characters: every key of an order
and the id at their longest, in four-byte characters), which a next page must
take."""

_SORT_VALUES: dict[str, Callable[[Session], SortValue]] = {
    "start": lambda s: s.span.start,
    "end": lambda s: s.span.end,
    "created": lambda s: s.created_at,
    # A session never updated sorts by when it was created, as COALESCE would in SQL.
    "updated": lambda s: s.created_at if s.updated_at is None else s.updated_at,
    "title": lambda s: s.title,
    "status": lambda s: s.status,
    "group": lambda s: "" if s.group is None else s.group,
}


def sort_value(session: Session, field: SortField) -> SortValue:
    """Return the value ``session`` sorts by under ``field`` (see the module's rules)."""
    if not isinstance(field, str) or field not in _SORT_VALUES:
        raise InvalidValue(
            f"cannot sort by {shown(field)}; sortable: {', '.join(SORT_FIELDS)}",
            value=field,
            expected=" | ".join(SORT_FIELDS),
        )
    return _SORT_VALUES[field](check_session(session))


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


def _order(value: Iterable[tuple[str, str]] | None) -> tuple[SortKey, ...]:
    if value is None:
        return ()
    if isinstance(value, (str, bytes, Mapping)) or not isinstance(value, Iterable):
        raise WrongType(value, name="order", expected="a list of (field, direction) pairs")
    keys: list[SortKey] = []
    for pair in value:
        try:
            field, direction = pair
        except (TypeError, ValueError):
            raise InvalidValue(
                f"an order is a list of (field, direction) pairs, got {shown(pair)}",
                value=pair,
                expected="(field, 'asc' | 'desc')",
            ) from None
        if field not in SORT_FIELDS:
            raise InvalidValue(
                f"cannot sort by {shown(field)}; sortable: {', '.join(SORT_FIELDS)}",
                value=field,
                expected=" | ".join(SORT_FIELDS),
            )
        if direction not in ("asc", "desc"):
            raise InvalidValue(
                f"a direction is 'asc' or 'desc', got {shown(direction)}",
                value=direction,
                expected="asc | desc",
            )
        if any(field == seen for seen, _ in keys):
            raise InvalidValue(
                f"{shown(field)} appears twice in the order",
                value=field,
                expected="each field once",
            )
        keys.append((field, direction))  # type: ignore[arg-type]  # checked just above
    return tuple(keys)


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
class Cursor:
    """The keyset position after a row: the order, the row's value of each key and its id.

    :meth:`encode` makes the opaque text for :attr:`SessionQuery.after`; a
    page continues strictly after ``(values..., id)`` in the order's
    directions.
    """

    order: tuple[SortKey, ...]
    values: tuple[SortValue, ...]
    id: str

    @classmethod
    def after_row(cls, order: tuple[SortKey, ...], session: Session) -> Cursor:
        """Return the cursor continuing after ``session`` under ``order``."""
        keys = _order(order)
        if not keys:
            raise InvalidValue(
                "a cursor needs the order it pages by, got none",
                value=order,
                expected="at least one (field, direction) pair",
            )
        row = check_session(session)
        return cls(keys, tuple(_SORT_VALUES[field](row) for field, _ in keys), row.id)

    def encode(self) -> str:
        """Return the opaque cursor text for :attr:`SessionQuery.after`."""
        payload = {
            "o": [[field, direction] for field, direction in self.order],
            "v": [v if isinstance(v, str) else v.isoformat() for v in self.values],
            "i": self.id,
        }
        # Compact, and UTF-8 rather than \u escapes: a title of 255 emoji takes 1,020 bytes, not
        # 3,060, so the longest cursor any row makes stays within MAX_CURSOR_LENGTH.
        text = json.dumps(payload, ensure_ascii=False, separators=(",", ":"))
        return base64.urlsafe_b64encode(text.encode()).decode()

    @classmethod
    def decode(cls, text: str, order: tuple[SortKey, ...]) -> Cursor:
        """Read a cursor; it must come from a query with the same order."""
        order = _order(order)
        if not isinstance(text, str):
            raise WrongType(text, name="after", expected="a cursor (text) from a previous page")
        if len(text) > MAX_CURSOR_LENGTH:
            raise InvalidValue(
                f"a cursor is at most {MAX_CURSOR_LENGTH:,} characters long, got {len(text):,}",
                value=text,
                expected="a cursor from a previous page",
            )
        try:
            payload: Any = json.loads(base64.urlsafe_b64decode(text.encode()))
            stored = tuple((str(f), str(d)) for f, d in payload["o"])
            raw = payload["v"]
            if len(raw) != len(stored) or not all(isinstance(v, str) for v in raw):
                raise ValueError("one string value per key")
            values = tuple(
                _text_value(v) if f in _TEXT_FIELDS else _instant_value(v, f)
                for (f, _), v in zip(stored, raw, strict=True)
            )
            ident = check_id(payload["i"], "the cursor's id")
        except (ValueError, KeyError, TypeError, RecursionError) as exc:
            # RecursionError: JSON nested past the interpreter's limit (a forged cursor).
            raise InvalidValue(
                f"not a cursor from a previous page: {shown(text)}", value=text, expected="a cursor"
            ) from exc
        if stored != tuple(order):
            raise InvalidValue(
                f"this cursor pages by {_describe(stored)}, not {_describe(order)}",
                value=text,
                expected=f"a cursor for {_describe(order)}",
            )
        return cls(order, values, ident)


def _text_value(value: str) -> str:
    checked = check_text(value, "a cursor value", limit=MAX_TITLE_LENGTH)
    assert checked is not None
    return checked


def _instant_value(value: str, field: str) -> datetime:
    instant = check_aware(datetime.fromisoformat(value), field).astimezone(UTC)
    if not EARLIEST <= instant <= LATEST:
        raise ValueError(f"{field} {value} is outside the instants sessions have")
    return instant


def _describe(order: Iterable[tuple[str, str]]) -> str:
    return ", ".join(f"{field} {direction}" for field, direction in order)


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
