"""Policies: rules declared as values, evaluated by pure functions at a command's instant.

The same evaluation answers "may I?" for a button and enforces the rule in the
command, so the two never disagree.

A name is imported when it is first used, and so is a module of the package (a
module ``__getattr__``, PEP 562): Hypothesis imports sessionkit's ``hypothesis``
entry point in every project of the environment, which needs
:class:`~sessionkit.policies.booking.BookingRules` only, and the package imported
all its modules (pricing, refunds, no-shows, notice, retries) and the model modules
they need. The ``TYPE_CHECKING`` imports name the same for type checkers and IDEs;
a test holds them, ``_FROM`` and ``__all__`` to the same names.
"""

from __future__ import annotations

import typing as _typing  # private: a public name here would be one more than __all__

from sessionkit._lazy import lazy_attributes as _lazy_attributes

if _typing.TYPE_CHECKING:
    from sessionkit.policies.booking import BookingRules, Refusal, RulesFor, check_booking_time
    from sessionkit.policies.money import (
        Fee,
        FixedPrice,
        Pricing,
        PricingFor,
        Rate,
        RefundPolicy,
        RefundTier,
        SeatPrice,
    )
    from sessionkit.policies.no_shows import (
        ATTENDED,
        HOST_NO_SHOW,
        NO_SHOW,
        AttendanceOutcome,
        NoShowRefund,
        Outcome,
        outcome_of,
        refund_for,
        uses_credit,
    )
    from sessionkit.policies.notice import (
        ACTIONS,
        Action,
        NoticePolicy,
        NoticeRule,
        NoticeWindow,
        coaching_notice,
    )
    from sessionkit.policies.retries import PaymentRetries

_FROM: dict[str, tuple[str, ...]] = {
    "sessionkit.policies.booking": ("BookingRules", "Refusal", "RulesFor", "check_booking_time"),
    "sessionkit.policies.money": (
        "Fee",
        "FixedPrice",
        "Pricing",
        "PricingFor",
        "Rate",
        "RefundPolicy",
        "RefundTier",
        "SeatPrice",
    ),
    "sessionkit.policies.no_shows": (
        "ATTENDED",
        "HOST_NO_SHOW",
        "NO_SHOW",
        "AttendanceOutcome",
        "NoShowRefund",
        "Outcome",
        "outcome_of",
        "refund_for",
        "uses_credit",
    ),
    "sessionkit.policies.notice": (
        "ACTIONS",
        "Action",
        "NoticePolicy",
        "NoticeRule",
        "NoticeWindow",
        "coaching_notice",
    ),
    "sessionkit.policies.retries": ("PaymentRetries",),
}
"""The module of each name imported on first use: the ``TYPE_CHECKING`` imports above."""
_MODULE_OF = {name: module for module, names in _FROM.items() for name in names}

__all__ = [
    "ACTIONS",
    "Action",
    "NoticePolicy",
    "NoticeRule",
    "NoticeWindow",
    "coaching_notice",
    "ATTENDED",
    "HOST_NO_SHOW",
    "NO_SHOW",
    "AttendanceOutcome",
    "NoShowRefund",
    "Outcome",
    "outcome_of",
    "refund_for",
    "uses_credit",
    "BookingRules",
    "Fee",
    "FixedPrice",
    "Pricing",
    "PricingFor",
    "Rate",
    "Refusal",
    "RefundPolicy",
    "RefundTier",
    "RulesFor",
    "SeatPrice",
    "check_booking_time",
    "PaymentRetries",
]


_import_on_first_use, __dir__ = _lazy_attributes(__name__, __path__, _MODULE_OF, __all__, globals())

if not _typing.TYPE_CHECKING:  # to a type checker an unknown name stays an error, not an object
    __getattr__ = _import_on_first_use
