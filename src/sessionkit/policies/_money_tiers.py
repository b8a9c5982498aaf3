"""What a refund policy is built of: its tiers, fees and percents, and its fields' checks.

:data:`Fee` (one Money, or one per currency) and the reading of a fee,
:class:`RefundTier` (the share a participant gets back with some notice, less
a late-cancel fee), and the converters of
:class:`~sessionkit.policies.money.RefundPolicy`'s fields (percents read
exactly, never as floats; fees; the tiers, sorted and one per notice; the
full-refund roles; its one flag, ``host_no_show_uses_credit``, is checked in
``money.py``). Kept apart from the policy's judging (``money.py``), which only
reads these values.

Private to :mod:`sessionkit.policies.money`, which exports its names under its
own name (their ``__module__``), so they show and pickle as before.
"""

from __future__ import annotations

import itertools
from datetime import timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

import attrs

from sessionkit.errors import InvalidDuration, InvalidValue, WrongType
from sessionkit.errors._base import duration_text, plain_int, shown, shown_duration
from sessionkit.limits import CEILING
from sessionkit.model.money import Money, decimal_text
from sessionkit.policies.notice import role_set

__all__ = ["Fee", "RefundTier"]

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
