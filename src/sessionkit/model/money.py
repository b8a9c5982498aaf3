"""Money: a ``Decimal`` amount in an ISO 4217 currency, never a float.

Arithmetic keeps full precision and refuses to mix currencies
(:class:`~sessionkit.errors.CurrencyMismatch`); :meth:`Money.rounded` rounds to
the currency's minor unit (2 digits for EUR, 0 for JPY, 3 for BHD, from the
ISO 4217 table the ``iso4217`` package keeps current), half up unless told
otherwise. Prices fixed on a booking and every amount sent to a payment
provider are rounded.

>>> price = Money.of("40.00", "EUR")
>>> (price * Decimal("1.5")).rounded()
Money(amount=Decimal('60.00'), currency='EUR')
>>> price.percent(33)
Money(amount=Decimal('13.20'), currency='EUR')
>>> Money.of(1050, "JPY").to_minor_units(), Money.of("1.5", "BHD").to_minor_units()
(1050, 1500)
>>> str(Money.of("9.5", "usd"))
'9.50 USD'
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from decimal import (
    ROUND_HALF_EVEN,
    ROUND_HALF_UP,
    Context,
    Decimal,
    DivisionByZero,
    InvalidOperation,
    Overflow,
)
from typing import Literal, get_args

import attrs
from iso4217 import Currency

from sessionkit.errors import CurrencyMismatch, InvalidValue, UnknownCurrency, WrongType
from sessionkit.errors._base import check_int, iterator_of, plain_int, shown

__all__ = [
    "DECIMALS",
    "MAX_AMOUNT",
    "Money",
    "Rounding",
    "check_currency",
    "check_money",
    "decimal_text",
    "minor_unit",
    "sum_money",
]

Rounding = Literal[
    "ROUND_HALF_UP", "ROUND_HALF_EVEN", "ROUND_DOWN", "ROUND_UP", "ROUND_FLOOR", "ROUND_CEILING"
]
"""A :mod:`decimal` rounding mode, by name."""
_ROUNDINGS: tuple[str, ...] = get_args(Rounding)

MAX_AMOUNT = Decimal("1e15")
"""Amounts are below this in absolute value (what every adapter stores exactly)."""

DECIMALS = Context(
    prec=28,
    rounding=ROUND_HALF_EVEN,
    Emin=-999_999,
    Emax=999_999,
    capitals=1,
    clamp=0,
    flags=[],
    traps=[InvalidOperation, DivisionByZero, Overflow],
)
"""The :mod:`decimal` context sessionkit's money arithmetic runs in: Python's defaults, spelt out.

Money's own arithmetic names it, and the services run each command in it
(``Context.transaction``), so an app that changes its thread's context
(``getcontext().prec = 6``) gets the same refunds, and no bare
``decimal.InvalidOperation``. Not read from ``decimal.DefaultContext``, which an app may change too.
"""


def minor_unit(currency: str) -> int:
    """Return how many decimal digits ``currency``'s minor unit has (2 for EUR, 0 for JPY)."""
    if not isinstance(currency, str):
        raise WrongType(currency, name="currency", expected="an ISO 4217 code string")
    return _minor_unit(currency)


@functools.cache
def _minor_unit(currency: str) -> int:
    try:
        exponent = Currency(currency).exponent
    except ValueError:
        raise UnknownCurrency(currency) from None
    if exponent is None:
        raise UnknownCurrency(currency)  # gold, test codes: no minor unit to round to
    return exponent


def check_currency(value: object) -> str:
    """Return ``value`` as an upper-case ISO 4217 code; ``UnknownCurrency`` otherwise."""
    if not isinstance(value, str):
        raise WrongType(value, name="currency", expected="an ISO 4217 code string")
    code = value.strip().upper()
    minor_unit(code)
    return code


_DECIMAL_TEXT = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
"""The text of an amount: a sign, ASCII digits with a point, an exponent (what Decimal reads)."""


def decimal_text(text: str) -> bool:
    """Whether ``text`` (stripped) is a plain decimal number: ASCII digits, sign, point, exponent.

    :class:`~decimal.Decimal` also reads other scripts' digits and skips
    underscores (``"1_000"``); amounts and percents typed or sent as text
    must not be read so.
    """
    return _DECIMAL_TEXT.fullmatch(text.strip()) is not None


def _amount(value: object, name: str = "amount") -> Decimal:
    """Return ``value`` as a finite Decimal below :data:`MAX_AMOUNT`; errors name ``name``."""
    value = plain_int(value)
    if isinstance(value, bool) or not isinstance(value, int | Decimal | str):
        raise WrongType(
            value, name=name, expected="a Decimal, an int or a numeric string (never a float)"
        )
    if isinstance(value, str) and not decimal_text(value):
        # A price typed or sent as text must be a plain number (see decimal_text).
        raise InvalidValue(
            f"{name} {shown(value)} is not a decimal number in ASCII digits",
            value=value,
            expected="a decimal number such as '60', '-1.5' or '2.5E-2'",
        )
    try:
        amount = Decimal(value.strip() if isinstance(value, str) else value)
    except InvalidOperation:
        raise InvalidValue(
            f"{name} {shown(value)} is not a number", value=value, expected="a decimal number"
        ) from None
    if not amount.is_finite() or amount.copy_abs() >= MAX_AMOUNT:
        raise InvalidValue(
            f"{name} {shown(value)} is not a finite number below {MAX_AMOUNT:.0E}",
            value=value,
            expected=f"a finite decimal below {MAX_AMOUNT:.0E} in absolute value",
        )
    return amount


@attrs.frozen(order=False)
class Money:
    """An amount of one currency. Build it with :meth:`of`; compare and add only like currencies."""

    amount: Decimal = attrs.field(converter=_amount)
    currency: str = attrs.field(converter=check_currency)

    @classmethod
    def of(cls, amount: Decimal | int | str, currency: str) -> Money:
        """Return ``amount`` (a ``Decimal``, int or numeric string; no float) of ``currency``."""
        return cls(amount, currency)

    @classmethod
    def zero(cls, currency: str) -> Money:
        """Return nothing of ``currency``."""
        return cls.of(0, currency)

    @classmethod
    def from_minor_units(cls, units: int, currency: str) -> Money:
        """Return ``units`` of ``currency``'s minor unit as money: 1050 EUR cents is 10.50."""
        units = check_int(units, name="units", expected="an int")
        code = check_currency(currency)
        return cls.of(Decimal(units).scaleb(-minor_unit(code), context=DECIMALS), code)

    # -- reading ---------------------------------------------------------------------

    @property
    def minor_unit(self) -> int:
        """How many decimal digits the currency's minor unit has."""
        return minor_unit(self.currency)

    def rounded(self, rounding: Rounding = "ROUND_HALF_UP") -> Money:
        """Return the amount rounded to the currency's minor unit (``rounding``: a decimal mode)."""
        if rounding not in _ROUNDINGS:
            raise InvalidValue(
                f"rounding must be one of {', '.join(_ROUNDINGS)}, got {shown(rounding)}",
                value=rounding,
                expected=", ".join(_ROUNDINGS),
            )
        exponent = Decimal(1).scaleb(-self.minor_unit, context=DECIMALS)
        rounded = self.amount.quantize(exponent, rounding=rounding, context=DECIMALS)
        return attrs.evolve(self, amount=rounded)

    def to_minor_units(self) -> int:
        """Return the rounded amount in the minor unit (cents): what payment providers take."""
        return int(self.rounded().amount.scaleb(self.minor_unit, context=DECIMALS))

    @property
    def is_zero(self) -> bool:
        """Whether the amount is zero."""
        return self.amount == 0

    @property
    def is_positive(self) -> bool:
        """Whether the amount is above zero."""
        return self.amount > 0

    def percent(self, share: Decimal | int | str, rounding: Rounding = "ROUND_HALF_UP") -> Money:
        """Return ``share`` percent of this money, rounded to the minor unit.

        ``share`` is a percent from 0 to 100 (every refund share is); one
        outside is ``InvalidValue`` naming it, not a refund above what was paid
        or a negative one.
        """
        percent = _amount(share, "share")
        if not 0 <= percent <= 100:
            raise InvalidValue(
                f"share must be a percent from 0 to 100, got {shown(share)}",
                value=share,
                expected="0..100",
            )
        return (self * DECIMALS.divide(percent, 100)).rounded(rounding)

    # -- arithmetic -------------------------------------------------------------------

    def _same(self, other: object, operation: str) -> Money:
        if not isinstance(other, Money):
            raise WrongType(other, name=f"{operation} operand", expected="Money")
        if other.currency != self.currency:
            raise CurrencyMismatch(self.currency, other.currency, operation=operation)
        return other

    def __add__(self, other: Money) -> Money:
        return attrs.evolve(self, amount=DECIMALS.add(self.amount, self._same(other, "add").amount))

    def __sub__(self, other: Money) -> Money:
        subtrahend = self._same(other, "subtract").amount
        return attrs.evolve(self, amount=DECIMALS.subtract(self.amount, subtrahend))

    def __neg__(self) -> Money:
        amount = self.amount
        # No negative zero: -Money.zero("EUR") is 0.00 EUR, as it compares.
        return attrs.evolve(self, amount=amount.copy_negate() if amount else amount.copy_abs())

    def __mul__(self, factor: Decimal | int) -> Money:
        factor = plain_int(factor)
        if isinstance(factor, bool) or not isinstance(factor, int | Decimal):
            raise WrongType(factor, name="factor", expected="a Decimal or an int (never a float)")
        return attrs.evolve(self, amount=DECIMALS.multiply(self.amount, factor))

    __rmul__ = __mul__

    def __lt__(self, other: Money) -> bool:
        return self.amount < self._same(other, "compare").amount

    def __le__(self, other: Money) -> bool:
        return self.amount <= self._same(other, "compare").amount

    def __gt__(self, other: Money) -> bool:
        return self.amount > self._same(other, "compare").amount

    def __ge__(self, other: Money) -> bool:
        return self.amount >= self._same(other, "compare").amount

    def __str__(self) -> str:
        shown = self.amount
        places = Decimal(1).scaleb(-self.minor_unit, context=DECIMALS)
        if shown == shown.quantize(places, rounding=ROUND_HALF_UP, context=DECIMALS):
            shown = self.rounded().amount  # 9.5 EUR shows as 9.50 EUR; 0.125 EUR stays exact
        return f"{shown} {self.currency}"


def check_money(value: object, name: str) -> Money:
    """Return ``value`` if it is :class:`Money`; raise ``WrongType`` naming ``name`` otherwise."""
    if not isinstance(value, Money):
        raise WrongType(value, name=name, expected="Money")
    return value


def sum_money(amounts: Iterable[Money], currency: str) -> Money:
    """Return the sum of ``amounts`` (Money of ``currency``), zero for none."""
    total = Money.zero(currency)
    for amount in iterator_of(amounts, name="amounts", expected="an iterable of Money"):
        total = total + amount
    return total
