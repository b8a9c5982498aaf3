"""What :class:`~sessionkit.testing.contract.fields.FieldsContract` stores, and its order oracle.

The own fields of every JSON type its sessions carry (``_FIELDS``, made into
sessions by ``_with_fields``), the titles, statuses and groups its orders are
tried on, the orders of several keys it tries (``_ORDERS``), and
:func:`expected_order`, the contract's own reading of an order (text keys by
code point, ties by id in the last key's direction), apart from any adapter.

Private to :mod:`sessionkit.testing.contract.fields`, which exports its names.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import attrs

from sessionkit.model.query import SortKey
from sessionkit.model.session import Session
from sessionkit.testing.contract._support import _ids, make_session

__all__ = ["expected_order"]

_BIG = 2**63 - 1

_FIELDS: dict[str, dict[str, Any]] = {
    "a": {"type": "video", "platform": "zoom", "level": 1, "paid": True},
    "b": {"type": "video", "platform": "meet", "level": "1", "paid": 1},
    "c": {"type": "audio", "platform": "zoom ", "level": 1.0, "paid": False},
    "d": {"type": "Video", "platform": ["zoom"], "level": True, "paid": None},
    "e": {},
    "f": {"type": "vidéo", "platform": "zoom", "level": -3, "paid": "true", "nested": {"x": 1}},
    "g": {"type": 'say "hi" \\ 😀', "level": _BIG, "nested": 1},
}


def _with_fields(store_ids: str = "abcdefg") -> list[Session]:
    return [
        attrs.evolve(
            make_session(name, at=n, resources=()),
            metadata=_FIELDS[name],
            group="g1" if name in "abc" else None,
        )
        for n, name in enumerate(store_ids)
    ]


_TITLES = ["Algebra", "algebra", "Biology", "Algebra ", "Zoo", "Émile", "algebra", "B"]
_STATUSES = ["SCHEDULED", "CANCELED", "FINISHED"]
_GROUPS: list[str | None] = [None, "g1", "G1", "g2", "g1 "]


def _value(session: Session, field: str) -> Any:
    """The contract's own reading of each sort key (an oracle apart from the adapters)."""
    values: dict[str, Any] = {
        "start": session.span.start,
        "end": session.span.end,
        "created": session.created_at,
        "updated": session.updated_at or session.created_at,
        "title": session.title,
        "status": session.status,
        "group": session.group or "",
    }
    return values[field]


def expected_order(sessions: Sequence[Session], order: Sequence[SortKey]) -> list[str]:
    """Return the ids of ``sessions`` in ``order``, ties by id in the last key's direction."""
    result = sorted(sessions, key=lambda s: s.id, reverse=order[-1][1] == "desc")
    for field, direction in reversed(order):
        result.sort(key=lambda s, f=field: _value(s, f), reverse=direction == "desc")  # type: ignore[misc]  # the default binds the loop's field
    return _ids(result)


_ORDERS: list[tuple[SortKey, ...]] = [
    (("title", "asc"),),
    (("title", "desc"),),
    (("status", "asc"), ("start", "desc")),
    (("group", "asc"), ("title", "desc"), ("start", "asc")),
    (("start", "asc"), ("title", "desc")),
    (("updated", "desc"), ("status", "asc")),
    (("group", "desc"),),
    (("end", "desc"), ("group", "asc"), ("title", "asc")),
    (("status", "desc"), ("group", "desc"), ("title", "desc")),
]
