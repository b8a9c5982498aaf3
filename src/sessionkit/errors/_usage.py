"""Errors of subscriptions and usage: a missing subscription, a taken one, credits run out."""

from __future__ import annotations

from datetime import datetime

from sessionkit.errors._base import shown
from sessionkit.errors._policies import ActionRefused
from sessionkit.errors._storage import Duplicate, NotFound


class SubscriptionNotFound(NotFound):
    """No subscription with that id exists for the tenant."""

    def __init__(self, subscription_id: object, tenant: object) -> None:
        super().__init__("subscription", subscription_id, tenant)
        self.subscription_id = subscription_id


class DuplicateUsage(Duplicate):
    """A usage record (subscription, ledger entry, counter, session code) is taken.

    ``key`` is ``"id"``, ``"charge"`` (one ledger entry per subscription,
    session and participant) or ``"code"`` (a session code already given).
    """


class UsageLimitReached(ActionRefused):
    """A subscription has no credit left in the period; nothing was written.

    ``subscription_id`` and ``participant`` say whose, ``period`` which
    (``"2026-03"`` or ``"total"``), ``credits`` how many it gives,
    ``remaining`` how many are left (0, or below once the period went past them),
    and ``allows_at`` (from :class:`ActionRefused`) when fresh credits start:
    the next period's first instant, or ``None`` when waiting does not help.
    ``rule`` is ``"credits"``.
    """

    def __init__(
        self,
        *,
        subscription_id: str,
        participant: str,
        period: str,
        credits: int,
        remaining: int,
        allows_at: datetime | None,
    ) -> None:
        super().__init__(
            "credits",
            f"subscription {shown(subscription_id)} of {participant} has {remaining} of {credits} "
            f"credit(s) left in period {period}",
            allows_at=allows_at,
        )
        self.subscription_id = subscription_id
        self.participant = participant
        self.period = period
        self.credits = credits
        self.remaining = remaining

    @classmethod
    def for_period(
        cls,
        subscription_id: str,
        participant: str,
        period: str,
        credits: int,
        used: int,
        resets_at: datetime | None,
    ) -> UsageLimitReached:
        """Build the error from a period's credits and what was used of them."""
        return cls(
            subscription_id=subscription_id,
            participant=participant,
            period=period,
            credits=credits,
            remaining=credits - used,
            allows_at=resets_at,
        )
