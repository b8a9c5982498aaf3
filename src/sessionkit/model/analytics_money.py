"""Money analytics: revenue per group and currency, and per-client statistics.

The companion of :mod:`sessionkit.model.analytics`, which re-exports every name
here. :class:`Revenue` (rows of :class:`RevenueRow`, grouped by :data:`RevenueBy`)
and :class:`ClientStats` (rows of :class:`ClientRow`, each with its
:class:`ClientMoney` per currency) are what ``kit.analytics.revenue`` and
``kit.analytics.clients`` return, built from the store's
:class:`~sessionkit.model.analytics.PaymentTotal` and
:class:`~sessionkit.model.analytics.ClientBookings` rows: frozen values with
``to_records()`` and a notebook table. Definitions are in ``docs/analytics.md``.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal, localcontext
from typing import Any, ClassVar, Literal

import attrs

from sessionkit.errors import InvalidValue, WrongType
from sessionkit.errors._base import shown
from sessionkit.model._record_types import ColumnType
from sessionkit.model.html import html_of
from sessionkit.model.money import DECIMALS, Money
from sessionkit.model.session import ResourceRef

__all__ = [
    "group_key",
    "REVENUE_DIMENSIONS",
    "ClientMoney",
    "ClientRow",
    "ClientStats",
    "Revenue",
    "RevenueBy",
    "RevenueRow",
]

RevenueBy = Literal["provider", "client", "status"]
"""How revenue is grouped beside the currency: the payment provider, the
paying participant (``client:ana@example.com``) or the payment status."""
REVENUE_DIMENSIONS: tuple[str, ...] = ("provider", "client", "status")
"""The values :data:`RevenueBy` allows."""


def group_key(value: object, name: str = "key") -> str | None:
    """Return a result's group key as its rows write it: text, a ``ResourceRef`` as text, or None.

    The services take a participant or resource as a ``ResourceRef`` and
    the rows key it by its text (``"student:ana"``): a lookup by either
    finds the row. Anything else is ``WrongType``, never a silent miss.
    """
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, ResourceRef):
        return str(value)
    raise WrongType(value, name=name, expected="a group key (text or a ResourceRef) or None")


@attrs.frozen(slots=True, kw_only=True)
class RevenueRow:
    """One group's payments in one currency (definitions in ``docs/analytics.md``)."""

    key: str | None
    currency: str
    payments: int
    booked: Decimal
    paid: Decimal
    refunded: Decimal
    refund_due: Decimal
    kept: Decimal
    pending: Decimal

    def money(self, figure: str) -> Money:
        """Return one figure (``"paid"``, ``"kept"``, ...) as :class:`Money`."""
        if figure not in _FIGURES:
            raise InvalidValue(
                f"a revenue figure is one of {', '.join(_FIGURES)}, got {shown(figure)}",
                value=figure,
                expected=" | ".join(_FIGURES),
            )
        return Money.of(getattr(self, figure), self.currency)


_FIGURES = ("booked", "paid", "refunded", "refund_due", "kept", "pending")
"""The amount columns of :class:`Revenue` that :meth:`Revenue.total` sums."""


@attrs.frozen(kw_only=True)
class Revenue:
    """Revenue per group and currency, sorted by key (``None`` first) then currency."""

    tenant: str
    by: RevenueBy | None
    rows: tuple[RevenueRow, ...]

    COLUMNS = (
        "key",
        "currency",
        "payments",
        "booked",
        "paid",
        "refunded",
        "refund_due",
        "kept",
        "pending",
    )
    """The columns of :meth:`to_records` (amounts are ``Decimal``)."""
    TYPES: ClassVar[Mapping[str, ColumnType]] = {
        "key": "text",
        "currency": "text",
        "payments": "int",
        "booked": "decimal",
        "paid": "decimal",
        "refunded": "decimal",
        "refund_due": "decimal",
        "kept": "decimal",
        "pending": "decimal",
    }
    """Each column's type, so a frame types a column even when it holds only ``None``."""

    _repr_html_ = html_of

    def to_records(self) -> list[dict[str, Any]]:
        """Return one dict per row with :attr:`COLUMNS`."""
        return [{name: getattr(row, name) for name in self.COLUMNS} for row in self.rows]

    def total(self, figure: str, currency: str, key: str | ResourceRef | None = None) -> Money:
        """Return ``figure`` of group ``key`` in ``currency`` (zero when there is no such row).

        ``figure`` is one of the amount columns (``booked``, ``paid``,
        ``refunded``, ``refund_due``, ``kept``, ``pending``); another name is
        ``InvalidValue``. ``key`` ``None`` of a grouped result (``by`` given)
        is every group together: each payment is in one group, so that is the
        figure of the whole, as ``revenue(tenant)`` gives it; a ``key`` of a
        result not grouped is ``InvalidValue``.
        """
        if figure not in _FIGURES:
            raise InvalidValue(
                f"no revenue figure {shown(figure)}; the figures are {', '.join(_FIGURES)}",
                value=figure,
                expected=f"one of {', '.join(_FIGURES)}",
            )
        code = Money.zero(currency).currency  # checked and written as the rows write it ("eur")
        wanted = group_key(key)
        if wanted is not None and self.by is None:
            # The rows of a result for the whole have no key: it answered a silent zero.
            raise InvalidValue(
                f"total() of a revenue result not grouped takes no key, got {shown(key)}: ask"
                " for revenue by a dimension to total one group",
                value=key,
                expected="no key (the whole)",
            )
        # No row of a grouped result has the key None: it answered a silent zero.
        every = wanted is None and self.by is not None
        with localcontext(DECIMALS):  # summed as the rows were, whatever the thread's context
            amount = sum(
                (
                    getattr(r, figure)
                    for r in self.rows
                    if (every or r.key == wanted) and r.currency == code
                ),
                Decimal(0),
            )
        return Money.of(amount, code)


@attrs.frozen(slots=True, kw_only=True)
class ClientMoney:
    """What one client paid (kept), still owes (pending) and got back, in one currency."""

    currency: str
    paid: Decimal
    pending: Decimal
    refunded: Decimal


@attrs.frozen(slots=True, kw_only=True)
class ClientRow:
    """One client: sessions booked, first and last session start, and money per currency.

    ``client`` is the participant reference (``client:ana@example.com``).
    A client with payments but no seat booking left (all cancelled) has
    ``sessions == 0`` and no first or last session. ``no_shows``: how many of
    the client's sessions ended in a no-show status of their lifecycle
    (``Status.no_show``: consulting's NO_SHOW, academy's ABSENT, coaching's
    MISSED) but for those whose attendance shows her there (the host's
    no-show).
    """

    client: str
    sessions: int
    first_session: datetime | None
    last_session: datetime | None
    money: tuple[ClientMoney, ...] = ()
    no_shows: int = 0

    @property
    def repeat(self) -> bool:
        """Whether the client booked more than one session."""
        return self.sessions > 1


_NO_MONEY = ClientMoney(currency="", paid=Decimal(0), pending=Decimal(0), refunded=Decimal(0))


@attrs.frozen(kw_only=True)
class ClientStats:
    """Per-client statistics, sorted by client."""

    tenant: str
    rows: tuple[ClientRow, ...]

    COLUMNS = (
        "client",
        "sessions",
        "first_session",
        "last_session",
        "repeat",
        "no_shows",
        "currency",
        "paid",
        "pending",
        "refunded",
    )
    """The columns of :meth:`to_records`."""
    TYPES: ClassVar[Mapping[str, ColumnType]] = {
        "client": "text",
        "sessions": "int",
        "first_session": "instant",
        "last_session": "instant",
        "repeat": "bool",
        "no_shows": "int",
        "currency": "text",
        "paid": "decimal",
        "pending": "decimal",
        "refunded": "decimal",
    }
    """Each column's type, so a frame types a column even when it holds only ``None``."""

    @property
    def repeat_clients(self) -> tuple[ClientRow, ...]:
        """The clients with more than one session."""
        return tuple(r for r in self.rows if r.repeat)

    def get(self, client: str | ResourceRef) -> ClientRow | None:
        """Return the row of ``client`` (``"kind:id"`` or its ``ResourceRef``), or ``None``."""
        wanted = group_key(client, "client")
        return next((r for r in self.rows if r.client == wanted), None)

    _repr_html_ = html_of

    def to_records(self) -> list[dict[str, Any]]:
        """Return one dict per client and currency with :attr:`COLUMNS`.

        A client without payments gets one record with ``currency`` ``None``
        and zero amounts.
        """
        out: list[dict[str, Any]] = []
        for row in self.rows:
            base = {
                "client": row.client,
                "sessions": row.sessions,
                "first_session": row.first_session,
                "last_session": row.last_session,
                "repeat": row.repeat,
                "no_shows": row.no_shows,
            }
            out.extend(
                base
                | {
                    "currency": money.currency or None,
                    "paid": money.paid,
                    "pending": money.pending,
                    "refunded": money.refunded,
                }
                for money in row.money or (_NO_MONEY,)
            )
        return out
