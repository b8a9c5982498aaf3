"""A payment's statuses, the sets of them services ask about, and its lifecycle.

The status names (:data:`PENDING` to :data:`REFUNDED`), :data:`PAID_STATUSES`
and :data:`OPEN_PAYMENT_STATUSES`, :data:`MANUAL` (the provider of payments
collected outside sessionkit), :data:`Due` (the provider call a command decided)
and :data:`PAYMENT_LIFECYCLE`, the one machine every payment's status follows.
Adapters, analytics and the FastAPI schemas read these without the payment's
own checks, so they stand apart from :class:`~sessionkit.model.payment.Payment`.

Private to :mod:`sessionkit.model.payment`, which exports its names.
"""

from __future__ import annotations

from typing import Literal

from sessionkit.lifecycle import Lifecycle, Status, Transition

__all__ = [
    "AUTHORIZED",
    "CANCELLED",
    "FAILED",
    "MANUAL",
    "OPEN_PAYMENT_STATUSES",
    "PAID",
    "PAID_STATUSES",
    "PARTIALLY_REFUNDED",
    "PAYMENT_LIFECYCLE",
    "PENDING",
    "REFUNDED",
    "Due",
]

PENDING = "PENDING"
"""Made with its booking; the provider has not said yes or no yet."""
AUTHORIZED = "AUTHORIZED"
"""The provider holds the money; it is captured when the booking is confirmed."""
PAID = "PAID"
"""The money came in."""
FAILED = "FAILED"
"""The provider declined; the booking was released."""
CANCELLED = "CANCELLED"
"""Nothing was paid and nothing will be: the booking expired or was cancelled first."""
PARTIALLY_REFUNDED = "PARTIALLY_REFUNDED"
"""Paid, and part of it given back."""
REFUNDED = "REFUNDED"
"""Paid, and all of it given back."""

PAID_STATUSES = frozenset({PAID, PARTIALLY_REFUNDED, REFUNDED})
"""Statuses of payments whose money came in (whatever was refunded since)."""
OPEN_PAYMENT_STATUSES = frozenset({PENDING, AUTHORIZED})
"""Statuses of payments the provider may still complete."""

MANUAL = "manual"
"""The provider name of payments collected outside sessionkit (cash, invoice): no calls."""

Due = Literal["create", "capture", "cancel", "refund"]
"""A provider call a command decided and the provider has not confirmed yet."""

PAYMENT_LIFECYCLE = Lifecycle(
    "payment",
    statuses=[
        Status(PENDING, initial=True),
        Status(AUTHORIZED),
        Status(PAID),
        Status(FAILED),
        Status(CANCELLED),
        Status(PARTIALLY_REFUNDED),
        Status(REFUNDED, terminal=True),
    ],
    transitions=[
        Transition("authorize", PENDING, AUTHORIZED),
        Transition("succeed", [PENDING, AUTHORIZED, FAILED, CANCELLED], PAID),
        Transition("fail", [PENDING, AUTHORIZED], FAILED),
        Transition("cancel", [PENDING, AUTHORIZED], CANCELLED),
        Transition("refund_part", PAID, PARTIALLY_REFUNDED),
        Transition("refund", [PAID, PARTIALLY_REFUNDED], REFUNDED),
    ],
    subject="payment",
    description="""A booking's payment (issue 12; the marketplace's Stripe payments, the
    consulting platform's payment status).

    - PENDING until the provider answers; AUTHORIZED when it holds the money.
    - PAID confirms the booking; FAILED releases it.
    - CANCELLED: the booking expired or was cancelled before any money came
      in. Money that comes in after all (FAILED or CANCELLED -> PAID) is
      refunded at once, never kept for a seat that is gone.
    - Refunds give back part (PARTIALLY_REFUNDED) or all (REFUNDED).
    """,
)
"""The lifecycle of every payment (subject ``"payment"``); see the module docstring."""
