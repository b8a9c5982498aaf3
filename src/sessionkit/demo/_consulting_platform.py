"""The consulting demo's consultants and its rules: hours, rates, notice, refunds and prices.

:data:`CONSULTANTS` (each a tenant of her own, with her weekly hours in her
zone and her hourly rate), the booking, refund and notice policies the kit is
wired with (:data:`RULES`, :data:`REFUNDS`, :data:`NOTICE`), the showcase's
notice, and the pricing (:func:`price`) and client references
(:func:`client_ref`) the bookings use. Kept apart from the wiring and the
flows in :mod:`sessionkit.demo.consulting` by the style's size limit; that
module exports every name here under its own, as before.
"""

from __future__ import annotations

import reprlib
from datetime import time, timedelta
from decimal import Decimal

import attrs

from sessionkit.availability import Availability
from sessionkit.errors import InvalidValue
from sessionkit.model.money import Money
from sessionkit.model.session import ResourceRef, Session
from sessionkit.policies import (
    BookingRules,
    FixedPrice,
    NoticePolicy,
    NoticeRule,
    Pricing,
    Rate,
    RefundPolicy,
    RefundTier,
)

__all__ = [
    "CONSULTANTS",
    "NOTICE",
    "REFUNDS",
    "RULES",
    "SHOWCASE_NOTICE",
    "Consultant",
    "client_ref",
    "price",
]

RULES = BookingRules(
    max_horizon=timedelta(weeks=8),
    hold_for=timedelta(minutes=30),
    lock_booked=False,
    when_emptied="cancel",
)
"""Bookings: up to 8 weeks ahead, a card checkout held 30 minutes, booked sessions editable.

A consultation exists for its client's booking: when that ends (the client
cancels, the checkout's hold runs out, the card is declined at once or
later), the session is cancelled with it and its time is free again.
"""

REFUNDS = RefundPolicy(
    tiers=(RefundTier(timedelta(hours=24), 100),),
    late_percent=Decimal(50),
    full_refund_roles=frozenset({"consultant", "host", "admin", "system"}),
    host_no_show_percent=Decimal(100),
    host_no_show_uses_credit=False,
)
"""A consultant's cancel refunds in full; a client's, in full a day ahead, else half.

The consultant cancels a session as its host, or a client's booking in her own role,
``"consultant"``: full either way (the default full-refund roles do not name her).
A NO_SHOW is the client's unless her attendance shows her there: then the consultant
did not come, and the client gets her payment back in full and uses no credit of a
package she holds; her own no-show keeps the payment and uses a credit.
"""

SHOWCASE_NOTICE = timedelta(hours=24)
"""The showcase offers hours starting at least this long from now."""

NOTICE = NoticePolicy(rules=(NoticeRule("book", frozenset({"client"}), SHOWCASE_NOTICE),))
"""A client books at least :data:`SHOWCASE_NOTICE` ahead, as the showcase offers; the consultant
adding a session by hand books as ``"consultant"``, whom no rule names: any time ahead."""

_WEEKDAYS = ("MO", "TU", "WE", "TH", "FR")


@attrs.frozen
class Consultant:
    """A consultant: her tenant, name, zone, weekly hours and hourly rate."""

    tenant: str
    slug: str
    name: str
    zone: str
    days: tuple[str, ...]
    hours: tuple[tuple[time, time], ...]
    rate: Money

    @property
    def ref(self) -> ResourceRef:
        """The consultant as her sessions' busy resource."""
        return ResourceRef("consultant", self.slug)

    @property
    def availability(self) -> Availability:
        """Her weekly hours in her zone."""
        return Availability.weekly(dict.fromkeys(self.days, self.hours), tz=self.zone)


CONSULTANTS = (
    Consultant(
        "naksha-priya",
        "priya",
        "Priya Sharma",
        "Asia/Kolkata",
        _WEEKDAYS,
        ((time(10), time(13)), (time(14), time(18))),
        Money.of(2000, "INR"),
    ),
    Consultant(
        "naksha-arjun",
        "arjun",
        "Arjun Mehta",
        "Europe/London",
        ("TU", "TH"),
        ((time(9), time(17)),),
        Money.of(80, "GBP"),
    ),
)
"""The demo's two consultants, each a tenant of her own."""

_BY_TENANT = {c.tenant: c for c in CONSULTANTS}


def price(session: Session) -> Pricing | None:
    """The platform's pricing: the fee set on the session, else the consultant's hourly rate."""
    owner = _BY_TENANT.get(session.tenant)
    if owner is None:
        return None
    fee = session.metadata.get("fee")
    if fee is not None:
        return FixedPrice(Money.of(str(fee), owner.rate.currency))
    return Rate(owner.rate)


def client_ref(email: str) -> ResourceRef:
    """Return the client with ``email`` (trimmed, lower-cased) as a participant reference."""
    address = email.strip().lower()
    if "@" not in address or ":" in address:
        raise InvalidValue(
            f"a client's email looks like name@example.com, got {reprlib.repr(email)}",
            value=email,
            expected="an email address",
        )
    return ResourceRef("client", address)
