"""Prices and refunds as values: what a booking costs, and what a cancellation gives back.

A :class:`Pricing` prices a booking of a session when it is made; the price is
then fixed on the booking's payment (a later rate change does not reprice
it). :data:`PricingFor` picks the pricing per session (by kind, by provider,
by own fields), ``None`` for a free session.

:class:`RefundPolicy` decides a cancelled booking's refund by who cancelled
and how long before the start: a provider's or an admin's cancel refunds in
full, a participant's follows the notice tiers.

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

import itertools
from collections.abc import Callable
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any, Protocol, runtime_checkable

import attrs

from sessionkit.errors import InvalidDuration, InvalidValue, WrongType
from sessionkit.errors._base import duration_text, plain_int, set_repr, shown, shown_duration
from sessionkit.limits import CEILING
from sessionkit.model.booking import check_seats
from sessionkit.model.money import DECIMALS, Money, check_money, decimal_text
from sessionkit.model.session import Session, check_session
from sessionkit.model.text import check_flag
from sessionkit.policies.notice import check_case, check_role, fold_index, role_set
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

_MICROSECOND = timedelta(microseconds=1)


def _positive_money(_instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if not isinstance(value, Money):
        raise WrongType(value, name=attribute.name, expected="Money")
    if not value.is_positive:
        raise InvalidValue(
            f"a price must be above zero, got {value}", value=value, expected="an amount > 0"
        )


def _priced_money(instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    """A fixed price must be at least one minor unit once rounded, as every price is."""
    _positive_money(instance, attribute, value)
    if isinstance(value, Money) and not value.rounded().is_positive:
        raise InvalidValue(
            f"a price must be at least one minor unit once rounded, got {value}"
            f" (rounds to {value.rounded()})",
            value=value,
            expected=f"an amount of at least one minor unit of {value.currency}",
        )


Fee = Money | tuple[Money, ...]
"""A fee: one Money, or several of distinct currencies (sorted by currency), one per currency."""


def _fee(value: object, name: str) -> Fee | None:
    """Return ``value`` as a fee: ``None``, one Money, or a tuple of several by currency.

    A collection of one Money is that Money; two of one currency, or none,
    are an ``InvalidValue`` (which would apply would be their order).
    """
    if value is None or isinstance(value, Money):
        if value is not None:
            _fee_money(value, name)
        return value
    if isinstance(value, str) or not isinstance(value, tuple | list | set | frozenset):
        raise WrongType(value, name=name, expected="Money, a collection of Money or None")
    fees = tuple(sorted(value, key=lambda fee: getattr(fee, "currency", "")))
    for fee in fees:
        _fee_money(fee, name)
    currencies = [fee.currency for fee in fees]
    if not fees or len(set(currencies)) != len(currencies):
        raise InvalidValue(
            f"{name} gives one fee per currency, got {', '.join(map(str, fees)) or 'none'}",
            value=value,
            expected="Money, or a collection of Money of distinct currencies, or None",
        )
    return fees[0] if len(fees) == 1 else fees


def _fee_in(fee: Fee | None, currency: str) -> Money | None:
    """Return the fee ``fee`` keeps from money in ``currency``, rounded (``None``: none).

    A fee is kept from payments in its own currency only: a payment in a
    currency no fee names keeps none, and is never refused for it.
    """
    fees = (fee,) if isinstance(fee, Money) else fee or ()
    return next((f.rounded() for f in fees if f.currency == currency), None)


def _fee_money(value: object, name: str) -> None:
    """A fee is Money of at least one minor unit once rounded: a finer one would keep nothing."""
    if not isinstance(value, Money):
        raise WrongType(value, name=name, expected="Money, a collection of Money or None")
    if not value.rounded().is_positive:
        why = f" (rounds to {value.rounded()}: it would keep nothing)" if value.is_positive else ""
        raise InvalidValue(
            f"{name} must be at least one minor unit of {value.currency}, got {value}{why}",
            value=value,
            expected=f"an amount of at least one minor unit of {value.currency}, or None",
        )


def _micros(span: timedelta) -> int:
    return span // _MICROSECOND


def _percent(value: object, name: str) -> Decimal:
    """Return the percent ``value`` as a Decimal (its range is the validators'), else raise."""
    # A float is refused as Money refuses it: 33.3 is 33.29999... and a refund of it
    # rounds a cent short.
    value = plain_int(value)
    if isinstance(value, bool) or not isinstance(value, int | str | Decimal):
        raise WrongType(
            value,
            name=name,
            expected="a number from 0 to 100 (an int, a Decimal or a string, never a float)",
        )
    try:
        if isinstance(value, str) and not decimal_text(value):
            raise InvalidOperation  # "5_0" or other scripts' digits, which Decimal reads
        return Decimal(value.strip() if isinstance(value, str) else value)
    except InvalidOperation:
        raise InvalidValue(
            f"{name} must be a number from 0 to 100, got {shown(value)}",
            value=value,
            expected="0..100",
        ) from None


# One named converter per field: the error names the argument, and mypy's attrs plugin
# reads only named functions as converters.
def _tier_percent(value: object) -> Decimal:
    return _percent(value, "percent")


def _late_percent(value: object) -> Decimal:
    return _percent(value, "late_percent")


def _no_show_percent(value: object) -> Decimal:
    return _percent(value, "no_show_percent")


def _host_no_show_percent(value: object) -> Decimal:
    return _percent(value, "host_no_show_percent")


def _tier_fee(value: object) -> Fee | None:
    return _fee(value, "RefundTier.fee")


def _no_show_fee(value: object) -> Fee | None:
    return _fee(value, "RefundPolicy.no_show_fee")


def _full_refund_roles(value: object) -> frozenset[str]:
    return role_set(value, "full_refund_roles")


@runtime_checkable
class Pricing(Protocol):
    """What a booking of ``seats`` in ``session`` costs, rounded to the currency's minor unit."""

    def price(self, session: Session, seats: int) -> Money:
        """Return the price of a booking of ``seats`` seats in ``session``."""
        ...


@attrs.frozen
class Rate:
    """``amount`` per ``per`` of the session's duration, per seat (the marketplace: per hour)."""

    amount: Money = attrs.field(validator=_positive_money)
    per: timedelta = attrs.field(default=timedelta(hours=1))

    @per.validator
    def _check_per(self, _attribute: attrs.Attribute[Any], value: object) -> None:
        if not isinstance(value, timedelta) or value <= timedelta(0):
            raise InvalidValue(
                f"Rate.per must be a timedelta > 0, got {shown_duration(value)}",
                value=value,
                expected="a timedelta > 0",
            )

    def price(self, session: Session, seats: int) -> Money:
        """Return ``amount`` x duration / ``per`` x ``seats``, rounded."""
        check_session(session)
        check_seats(seats)
        # In sessionkit's context, as Money's own arithmetic: an app's lower precision
        # (getcontext().prec = 4) cut 100/60 to 1.667 and charged 3 seats 5.001 hours.
        share = DECIMALS.divide(_micros(session.span.duration), _micros(self.per))
        return (self.amount * DECIMALS.multiply(share, seats)).rounded()


@attrs.frozen
class FixedPrice:
    """One price per booking, whatever its length or seats (a consultation)."""

    amount: Money = attrs.field(validator=_priced_money)

    def price(self, session: Session, seats: int) -> Money:
        """Return ``amount``, rounded."""
        check_session(session)
        check_seats(seats)
        return self.amount.rounded()


@attrs.frozen
class SeatPrice:
    """A price per seat (a group class)."""

    amount: Money = attrs.field(validator=_priced_money)

    def price(self, session: Session, seats: int) -> Money:
        """Return ``amount`` x ``seats``, rounded."""
        check_session(session)
        check_seats(seats)
        return (self.amount * seats).rounded()


PricingFor = Callable[[Session], Pricing | None]
"""Picks the pricing of a session (by kind, provider or own fields); ``None``: it is free."""


@attrs.frozen
class RefundTier:
    """Cancelled at least ``notice`` before the start, a participant gets ``percent`` back.

    ``fee`` is a late-cancel fee kept from that refund (never more than the
    refund): ``RefundTier(timedelta(hours=24), 100, fee=Money.of("10", "EUR"))``
    refunds everything but 10 EUR. A kit that prices in several currencies
    gives one fee per currency (``fee=[Money.of(10, "EUR"), Money.of(12,
    "USD")]``); a payment in a currency no fee names keeps none (see
    :meth:`fee_in`).
    """

    notice: timedelta = attrs.field()
    percent: Decimal = attrs.field(converter=_tier_percent)
    fee: Fee | None = attrs.field(default=None, kw_only=True, converter=_tier_fee)

    def fee_in(self, currency: str) -> Money | None:
        """Return the fee this tier keeps from a refund in ``currency``, rounded, or ``None``."""
        return _fee_in(self.fee, currency)

    @notice.validator
    def _check_notice(self, _attribute: attrs.Attribute[Any], value: object) -> None:
        if not isinstance(value, timedelta) or not timedelta(0) <= value <= CEILING:
            raise InvalidDuration(
                "RefundTier.notice must be a timedelta from 0 to a century, got "
                f"{shown_duration(value)}",
                value=value,
                expected=f"a timedelta >= 0 and <= {CEILING.days:,} days",
            )

    @percent.validator
    def _check_percent(self, _attribute: attrs.Attribute[Any], value: Decimal) -> None:
        if not value.is_finite() or not 0 <= value <= 100:
            raise InvalidValue(
                f"RefundTier.percent must be 0..100, got {value}", value=value, expected="0..100"
            )


def _tiers(value: object) -> tuple[RefundTier, ...]:
    if not isinstance(value, tuple | list) or not all(isinstance(t, RefundTier) for t in value):
        raise WrongType(value, name="tiers", expected="a sequence of RefundTier")
    tiers = tuple(sorted(value, key=lambda t: t.notice, reverse=True))
    for more, less in itertools.pairwise(tiers):
        # Which of two tiers of one notice applies would be the order they came in.
        if more.notice == less.notice:
            raise InvalidValue(
                f"tiers: two tiers give the same notice, {duration_text(more.notice)}"
                f" ({more.percent}% and "
                f"{less.percent}%); give each notice one tier",
                value=more.notice,
                expected="tiers of distinct notices",
            )
    return tiers


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
