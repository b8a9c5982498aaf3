"""What the kit's settings say of a session: its pricing, booking rules and lifecycles.

Private to the services package. Each function here is a method of
:class:`~sessionkit.services._context.Context` (its class body takes them as
attributes): ``ctx.price_of(session)``, ``ctx.rules_for(session)``,
``ctx.check_capacity``, ``ctx.check_publishing``, ``ctx.new_time_refusal``,
``ctx.lifecycle(name)`` and ``ctx.session_lifecycle(name)``.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sessionkit.errors import InvalidValue, WrongType
from sessionkit.errors._base import shown
from sessionkit.lifecycle import Lifecycle
from sessionkit.model.session import Session
from sessionkit.policies import BookingRules, Pricing, Refusal

if TYPE_CHECKING:
    from sessionkit.services._context import Context

__all__ = [
    "check_capacity",
    "check_publishing",
    "lifecycle",
    "new_time_refusal",
    "price_of",
    "rules_for",
    "session_lifecycle",
]


def price_of(ctx: Context, session: Session) -> Pricing | None:
    """Return the pricing of ``session``, or ``None`` when it is free.

    A pricing function that returns anything but a ``Pricing`` or ``None``
    is the host's mistake: ``WrongType`` names what it returned.
    """
    pricing = ctx.pricing
    if pricing is None or isinstance(pricing, Pricing):
        return pricing
    found = pricing(session)
    if found is not None and not isinstance(found, Pricing):
        raise WrongType(
            found, name=f"pricing(session {shown(session.id)})", expected="a Pricing or None"
        )
    return found


def rules_for(ctx: Context, session: Session) -> BookingRules:
    """Return the booking rules that apply to ``session``.

    A rules function that returns anything but ``BookingRules`` is the
    host's mistake: ``WrongType`` names what it returned.
    """
    rules = ctx.booking_rules
    if isinstance(rules, BookingRules):
        return rules
    found = rules(session)
    if not isinstance(found, BookingRules):
        raise WrongType(
            found, name=f"booking_rules(session {shown(session.id)})", expected="BookingRules"
        )
    return found


def check_capacity(ctx: Context, session: Session, rules: BookingRules | None = None) -> None:
    """Raise ``InvalidValue`` when ``session`` has more seats than its rules' ``max_capacity``.

    Run when a session is published (created or generated), so a provider
    learns it then, not when the first participant is refused. ``rules``:
    the session's rules when the caller has them already (else asked).
    """
    limit = (ctx.rules_for(session) if rules is None else rules).max_capacity
    if limit is not None and session.capacity > limit:
        raise InvalidValue(
            f"capacity={session.capacity} is above the {limit} seats the booking rules "
            f"allow for session {shown(session.title)} at {session.start.isoformat()}",
            value=session.capacity,
            expected=f"1..{limit}",
        )


def check_publishing(
    ctx: Context, session: Session, now: datetime, rules: BookingRules | None = None
) -> None:
    """Raise ``BookingRefused`` when its rules' ``publish_in_horizon`` refuse ``session``.

    Run when a session is published one by one (created as an extra, or
    moved), not for a series' sessions. ``rules`` as for :meth:`check_capacity`.
    """
    found = ctx.rules_for(session) if rules is None else rules
    refusal = found.publishing_refusal(session.start, now)
    if refusal is not None:
        raise refusal.error()


def new_time_refusal(
    ctx: Context, session: Session, new_start: datetime, now: datetime
) -> Refusal | None:
    """Return why ``session`` may not be moved to ``new_start`` at ``now``, or ``None``.

    The notice's ``min_lead`` for a new time, then the session's booking
    rules' ``publish_in_horizon`` (a moved session is published anew, as
    ``update`` checks): a reschedule's proposed or approved time.
    """
    refusal = ctx.notice.new_time_refusal(new_start, now)
    if refusal is None:
        refusal = ctx.rules_for(session).publishing_refusal(new_start, now)
    return refusal


def lifecycle(ctx: Context, name: str) -> Lifecycle:
    """Return the lifecycle called ``name`` (``UnknownLifecycle`` if there is none)."""
    return ctx.lifecycles.get(name)


def session_lifecycle(ctx: Context, name: str) -> Lifecycle:
    """Return the lifecycle ``name`` for new sessions; refuse one meant for something else.

    Raises ``UnknownLifecycle``, or ``LifecycleNotApplicable`` for a lifecycle
    whose subject is not ``"session"`` (``consulting_payment`` drives a payment).
    """
    machine = ctx.lifecycles.get(name)
    machine.check_subject("session")
    return machine
