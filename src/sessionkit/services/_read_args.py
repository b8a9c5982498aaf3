"""The reads' shared argument checks: status filters and page continuations.

Private to the services package: the booking reads
(:mod:`~sessionkit.services.booking_queries`, which keeps the names others
import from there) and the payment reads check their ``statuses`` and
``after`` arguments here, before any unit of work starts.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from sessionkit.errors import InvalidValue, WrongType
from sessionkit.errors._base import check_int, shown
from sessionkit.model.booking import BOOKING_STATUSES, SessionOrder
from sessionkit.model.text import check_collection, check_id, check_names
from sessionkit.zones import check_instant

__all__ = [
    "MAX_POSITION",
    "booking_statuses",
    "continuation",
    "known_statuses",
    "order_continuation",
]


def booking_statuses(statuses: object) -> tuple[str, ...]:
    """Check a booking status filter: names, each a booking's status (``HELD``, ...)."""
    return known_statuses(statuses, BOOKING_STATUSES, "booking")


def known_statuses(statuses: object, known: Collection[str], what: str) -> tuple[str, ...]:
    """Check a status filter: a collection of names (``check_names``), each one of ``known``.

    A bare string (``"HELD"`` for ``["HELD"]``) and a name no ``what`` can
    have (``"confirmed"``, a typo) are an ``InvalidValue``, not a filter that
    quietly means something else or matches nothing.
    """
    wanted = check_names(check_collection(statuses, "statuses", of=f"{what} statuses"), "statuses")
    for name in wanted:
        if name not in known:
            raise InvalidValue(
                f"statuses: {shown(name)} is no {what} status",
                value=name,
                expected=f"one of {', '.join(sorted(known))}",
            )
    return wanted


def continuation(after: object) -> tuple[datetime, str]:
    """Check a page's continuation: ``(last.session_start, last.id)``."""
    if not isinstance(after, tuple) or len(after) != 2:
        raise WrongType(
            after, name="after", expected="a (session_start, booking id) pair from the last page"
        )
    start, last_id = after
    return check_instant(start, "after[0]"), check_id(last_id, "after[1]")


MAX_POSITION = 2**31 - 1
"""The largest waitlist position a store keeps (a 32-bit integer column)."""


def order_continuation(after: object) -> SessionOrder:
    """Check a session page's continuation: ``last.session_order`` (position, created_at, id)."""
    if not isinstance(after, tuple) or len(after) != 3:
        raise WrongType(
            after,
            name="after",
            expected="the last booking's session_order: (position, created_at, id)",
        )
    position, created_at, last_id = after
    if position is not None:
        position = check_int(position, name="after[0]", expected="a waitlist position or None")
        if not 0 <= position <= MAX_POSITION:
            raise InvalidValue(
                f"after[0] must be a waitlist position 0..{MAX_POSITION:,} or None, got "
                f"{shown(position)}",
                value=position,
                expected=f"0..{MAX_POSITION} or None",
            )
    return position, check_instant(created_at, "after[1]"), check_id(last_id, "after[2]")
