"""What a booking costs: the pricing protocol and the prices sessionkit ships.

:class:`Pricing` (what a booking of some seats in a session costs),
:class:`Rate` (per hour, or per any length, per seat), :class:`FixedPrice` (one
price per booking), :class:`SeatPrice` (per seat) and :data:`PricingFor` (the
pricing of each session), with the checks of their amounts. A booking pays
the price its pricing gave when it was made (a session's options,
``kit.reschedules.options``, read one too, only for the currency its cancel
fees show in); the refund policy reads none, as it weighs only what was paid;
so pricing stands apart from refunds.

Private to :mod:`sessionkit.policies.money`, which exports its names under its
own name (their ``__module__``), so they show and pickle as before.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any, Protocol, runtime_checkable

import attrs

from sessionkit.errors import InvalidValue, WrongType
from sessionkit.errors._base import shown_duration
from sessionkit.model.booking import check_seats
from sessionkit.model.money import DECIMALS, Money
from sessionkit.model.session import Session, check_session

__all__ = ["FixedPrice", "Pricing", "PricingFor", "Rate", "SeatPrice"]

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


def _micros(span: timedelta) -> int:
    return span // _MICROSECOND


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
