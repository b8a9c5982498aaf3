"""How sessions sort and where a page continues: the sort keys and the keyset cursor.

The sort fields (:data:`SortField`, :data:`SORT_FIELDS`), a key of an order
(:data:`SortKey`) and the value a session sorts by (:func:`sort_value`), an
order's check, and :class:`Cursor`, the opaque position after a row that
:attr:`SessionQuery.after` continues from, with :data:`MAX_CURSOR_LENGTH`.
The rules by which each key compares are :mod:`sessionkit.model.query`'s.

Private to :mod:`sessionkit.model.query`, which exports its names.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from typing import Any, Literal, TypeAlias

import attrs

from sessionkit.errors import InvalidValue, WrongType
from sessionkit.errors._base import shown
from sessionkit.model.session import Session, check_session
from sessionkit.model.text import MAX_TITLE_LENGTH, check_id, check_text
from sessionkit.zones import EARLIEST, LATEST, UTC, check_aware

__all__ = [
    "MAX_CURSOR_LENGTH",
    "SORT_FIELDS",
    "Cursor",
    "Direction",
    "SortField",
    "SortKey",
    "SortValue",
    "sort_value",
]

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
