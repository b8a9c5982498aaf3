"""The groups analytics count by, and the rows a store aggregates for each group.

:data:`CountBy` and :data:`COUNT_DIMENSIONS` (how session counts and rates are
grouped), :func:`every_group` (whether a key asks for every group together, and
when their sum would count a session twice), and the *aggregates* an
:class:`~sessionkit.ports.AnalyticsReader` returns: :class:`StatusCount`,
:class:`KeyCount`, :class:`TimingCount`, :class:`PaymentTotal` and
:class:`ClientBookings`, a few rows per group, never one per session.

Private to :mod:`sessionkit.model.analytics`, which exports its names.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from decimal import Decimal
from typing import Literal

import attrs

from sessionkit.errors import InvalidValue

__all__ = [
    "COUNT_DIMENSIONS",
    "ClientBookings",
    "CountBy",
    "KeyCount",
    "PaymentTotal",
    "StatusCount",
    "TimingCount",
    "every_group",
]

CountBy = Literal["kind", "resource", "participant"]
"""How session counts and rates are grouped beside the whole scope (``None``).

``"kind"``: the session's lifecycle name (``consulting``, ``coaching``, ...);
``"resource"``: each resource the session occupies (``teacher:ana``; a
session with two resources counts once under each); ``"participant"``: each
participant holding a seat in it (a booking HELD, CONFIRMED or OFFERED;
one count per booking).
"""
COUNT_DIMENSIONS: tuple[str, ...] = ("kind", "resource", "participant")
"""The values :data:`CountBy` allows."""
_SPLIT = frozenset({"resource", "participant"})  # the groupings that can hold a session twice


def every_group(by: str | None, key: str | None, *, split: Collection[str], items: str) -> bool:
    """Whether ``key`` asks a result grouped ``by`` for every group together (``key`` ``None``).

    Grouped by a dimension that puts each of the ``items`` in one group (a
    session's kind), the groups add up to the whole. One in ``split`` can put
    an item in several (a session's resources), so their sum would count it
    twice: ``InvalidValue`` asks for a key instead of a wrong total.
    """
    if key is not None or by is None:
        return False
    if by in split:
        raise InvalidValue(
            f"a result grouped by {by!r} counts one of its {items} in each of its {by}s, so its "
            f"groups do not add up to the whole: pass a key, or ask without by= for the whole",
            value=by,
            expected=f"a key of one {by}",
        )
    return True


# ---------------------------------------------------------------- what a store aggregates


@attrs.frozen(slots=True)
class StatusCount:
    """How many sessions of one group (``key``; ``None``: the whole scope) have ``status``."""

    key: str | None
    status: str
    sessions: int


@attrs.frozen(slots=True)
class KeyCount:
    """How many sessions of one group (``key``; ``None``: the whole scope) a fact holds for."""

    key: str | None
    sessions: int


@attrs.frozen(slots=True)
class TimingCount:
    """How many sessions have ``status`` and have (``ended``) or have not ended by an instant."""

    status: str
    ended: bool
    sessions: int


@attrs.frozen(slots=True)
class PaymentTotal:
    """The payments of one group (``key``), currency and status: how many, and their sums."""

    key: str | None
    currency: str
    status: str
    payments: int
    amount: Decimal
    refunded: Decimal
    refund_due: Decimal


@attrs.frozen(slots=True)
class ClientBookings:
    """One participant's seat bookings: how many, in how many sessions, first and last start.

    ``no_shows``: how many of those sessions ended in a no-show status.
    """

    client: str
    bookings: int
    sessions: int
    first_session: datetime
    last_session: datetime
    no_shows: int = 0
