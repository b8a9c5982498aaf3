"""Policies: rules declared as values, evaluated by pure functions at a command's instant.

The same evaluation answers "may I?" for a button and enforces the rule in the
command, so the two never disagree.
"""

from __future__ import annotations

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
