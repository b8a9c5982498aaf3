"""Prices and refunds as values: what a booking costs, and what a cancellation gives back.

A :class:`Pricing` prices a booking of a session when it is made; the price is
then fixed on the booking's payment (a later rate change does not reprice
it). :data:`PricingFor` picks the pricing per session (by kind, by provider,
by own fields), ``None`` for a free session.

:class:`RefundPolicy` decides a cancelled booking's refund by who cancelled
and how long before the start: a provider's or an admin's cancel refunds in
full, a participant's follows the notice tiers.


The prices (:class:`Pricing`, :class:`Rate`, :class:`FixedPrice`,
:class:`SeatPrice`, :data:`PricingFor`) live in ``_money_pricing``; the parts
of a refund policy (:data:`Fee`, :class:`RefundTier` and the checks of the
policy's fields) in ``_money_tiers``. This module exports them under its own
name and keeps what judges a refund: :class:`RefundPolicy`.

>>> from datetime import UTC, datetime, timedelta
>>> from sessionkit.model.session import Session
>>> from sessionkit.timespan import TimeSpan
>>> start = datetime(2026, 3, 4, 16, tzinfo=UTC)
>>> lesson = Session(id="s1", tenant="acme", title="Maths", tz="UTC", status="OPEN",
...                  span=TimeSpan(start, start + timedelta(minutes=90)), lifecycle="marketplace",
...                  busy=True, created_at=start - timedelta(days=7))
>>> Rate(Money.of("40", "EUR")).price(lesson, seats=1)
Money(amount=Decimal('60.00'), currency='EUR')
>>> policy = RefundPolicy(tiers=(RefundTier(timedelta(hours=48), 100), RefundTier(timedelta(hours=24), 50)))
>>> paid = Money.of("60", "EUR")
>>> policy.refund(paid, role="participant", start=start, at=start - timedelta(hours=30))
Money(amount=Decimal('30.00'), currency='EUR')
>>> policy.refund(paid, role="provider", start=start, at=start - timedelta(hours=1))
Money(amount=Decimal('60.00'), currency='EUR')
"""  # noqa: E501

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import attrs

from sessionkit.errors import InvalidValue
from sessionkit.errors._base import set_repr
from sessionkit.model.money import Money, check_money
from sessionkit.model.text import check_flag
from sessionkit.policies._money_pricing import FixedPrice, Pricing, PricingFor, Rate, SeatPrice
from sessionkit.policies._money_tiers import (
    Fee,
    RefundTier,
    _fee_in,
    _full_refund_roles,
    _host_no_show_percent,
    _late_percent,
    _no_show_fee,
    _no_show_percent,
    _tiers,
)
from sessionkit.policies.notice import check_case, check_role, fold_index
from sessionkit.zones import to_utc

__all__ = [
    "Fee",
    "FixedPrice",
    "Pricing",
    "PricingFor",
    "Rate",
    "RefundPolicy",
    "RefundTier",
    "SeatPrice",
]


@attrs.frozen(kw_only=True)
class RefundPolicy:
    """Who gets what back when a paid booking is cancelled.

    - ``full_refund_roles``: roles whose cancel refunds everything, whenever
      (the session's host or provider cancelling, an admin; the default is
      ``host``, ``provider``, ``admin`` and ``system``, ``host`` being the role
      the default :class:`~sessionkit.policies.NoticePolicy` lets bypass
      notice); a collection of role names (a single string is refused with
      ``WrongType``, never read as letters).
    - ``tiers``: for any other role (the participant), the first tier whose
      ``notice`` the cancel still gives (most notice first) sets the share;
      with none, ``late_percent`` (default: nothing back). Tiers may come in
      any order; two of one notice are refused (``InvalidValue``), as which
      applies would be their order.
    - ``no_show_percent`` / ``no_show_fee``: what a confirmed, paid booking
      of a participant who did not come gets back, less a no-show fee (never
      more than that refund; one per currency, as a tier's ``fee``). The
      default keeps everything: a no-show pays in full. Without attendance
      records that is every booking of a session entering a ``no_show``
      status (NO_SHOW, MISSED, ABSENT); with them, each participant the
      attendance shows absent, whether the session ends in a no-show status
      or is held (COMPLETED).
    - ``host_no_show_percent``: what a confirmed, paid booking of a
      participant the attendance shows *there* gets back when the session
      still enters a no-show status (the student waited, the host never
      came). No fee is kept. The default refunds it in full: a participant
      who came is never charged for a session that did not happen.
    - ``host_no_show_uses_credit``: whether that participant (there, the
      session a no-show all the same) also uses a subscription credit when
      the no-show status counts usage (``Status(counts_usage=True)``: the
      consulting NO_SHOW, the academy's ABSENT). The default, ``False``,
      charges them none: the provider's no-show costs the client nothing,
      while a participant's own no-show uses one as a held session does.

    The default refunds a participant in full up to the start, which is the
    marketplace's "student cancel triggers a refund for that student". What
    a refund does not give back (a share, a fee) is kept from money that
    came in; nothing is billed: a booking cancelled while its payment is
    unpaid (a manual invoice) owes nothing.
    """

    full_refund_roles: frozenset[str] = attrs.field(
        default=frozenset({"host", "provider", "admin", "system"}),
        converter=_full_refund_roles,
        repr=set_repr,
    )
    tiers: tuple[RefundTier, ...] = attrs.field(
        default=(RefundTier(timedelta(0), 100),), converter=_tiers
    )
    late_percent: Decimal = attrs.field(default=Decimal(0), converter=_late_percent)
    no_show_percent: Decimal = attrs.field(default=Decimal(0), converter=_no_show_percent)
    no_show_fee: Fee | None = attrs.field(default=None, converter=_no_show_fee)
    host_no_show_percent: Decimal = attrs.field(
        default=Decimal(100), converter=_host_no_show_percent
    )
    host_no_show_uses_credit: bool = attrs.field(default=False)

    @late_percent.validator
    @no_show_percent.validator
    @host_no_show_percent.validator
    def _check_percent(self, attribute: attrs.Attribute[Any], value: Decimal) -> None:
        if not value.is_finite() or not 0 <= value <= 100:
            raise InvalidValue(
                f"RefundPolicy.{attribute.name} must be 0..100, got {value}",
                value=value,
                expected="0..100",
            )

    @host_no_show_uses_credit.validator
    def _check_flag(self, attribute: attrs.Attribute[Any], value: object) -> None:
        check_flag(value, f"RefundPolicy.{attribute.name}")  # WrongType: "false" is not False

    def tier(self, *, role: str | None, start: datetime, at: datetime) -> RefundTier | None:
        """Return the tier cancelling at ``at`` in ``role`` falls in (``None``: full or late).

        The first tier whose notice the cancel still gives (exactly the notice
        is enough); ``None`` for a full-refund role and after every tier.
        ``start`` and ``at`` are aware datetimes (``NaiveDatetime`` otherwise).
        """
        check_role(role, optional=True)
        if role is not None:
            check_case(role, fold_index(self.full_refund_roles), "RefundPolicy")
        # In UTC: two datetimes of one zone subtract as wall clocks, an hour off across DST.
        notice = to_utc(start, "start") - to_utc(at, "at")
        if role in self.full_refund_roles:
            return None
        return next((t for t in self.tiers if notice >= t.notice), None)

    def share(self, *, role: str | None, start: datetime, at: datetime) -> Decimal:
        """Return the percent of the payment that cancelling at ``at`` in ``role`` gives back."""
        tier = self.tier(role=role, start=start, at=at)
        if role in self.full_refund_roles:
            return Decimal(100)
        return self.late_percent if tier is None else tier.percent

    def refund(self, paid: Money, *, role: str | None, start: datetime, at: datetime) -> Money:
        """Return what cancelling at ``at`` in ``role`` refunds of ``paid``, less a tier's fee.

        Rounded to the currency's minor unit (half up), as every refund is
        sent, a full one too: 100 % of 19.999 EUR refunds 20.00.
        """
        check_money(paid, "paid")
        tier = self.tier(role=role, start=start, at=at)
        if role in self.full_refund_roles:
            return paid.rounded()
        share = self.late_percent if tier is None else tier.percent
        back = paid.percent(share)
        return back if tier is None else _less_fee(back, tier.fee_in(back.currency))

    def no_show_refund(self, paid: Money) -> Money:
        """Return what a no-show gets back of ``paid``: the share less the fee (rounded)."""
        check_money(paid, "paid")
        back = paid.percent(self.no_show_percent)
        return _less_fee(back, _fee_in(self.no_show_fee, back.currency))

    def host_no_show_refund(self, paid: Money) -> Money:
        """Return what one who came gets back of ``paid`` from a no-show session (rounded)."""
        check_money(paid, "paid")
        return paid.percent(self.host_no_show_percent)


def _less_fee(back: Money, kept: Money | None) -> Money:
    """Return ``back`` less the fee ``kept`` (of its currency, rounded), never below zero."""
    if kept is None:
        return back
    return back - kept if back > kept else Money.zero(back.currency)


# Show (and pickle) what moved to the private modules under this public path, as before.
_moved: object
for _moved in (Pricing, Rate, FixedPrice, SeatPrice, RefundTier):
    _moved.__module__ = __name__
del _moved
