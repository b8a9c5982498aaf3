"""What an actor may do with a session now: the values and their computation.

Private to the services package; the values are re-exported by (and
documented as part of) :mod:`sessionkit.services.reschedules`, whose
:meth:`~sessionkit.services.reschedules.RescheduleCommands.options` reads the
session, its reschedule refusal and its pending request in one unit of work
and hands them to :func:`session_options`. The refunds come from the kit's
:class:`~sessionkit.policies.RefundPolicy`, the cancel refusal from its
:class:`~sessionkit.policies.NoticePolicy`, both judged at the same instant.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import attrs

from sessionkit.errors._base import shown
from sessionkit.model.money import Money
from sessionkit.model.reschedule import RescheduleRequest
from sessionkit.model.session import Session
from sessionkit.policies import RefundTier, Refusal
from sessionkit.services._context import Context
from sessionkit.services.bookings import ended_at, session_over

__all__ = ["CancelTier", "SessionOptions", "session_options"]


@attrs.frozen(slots=True, kw_only=True)
class CancelTier:
    """Cancelling until ``until`` refunds ``percent`` (of what was paid), less ``fee``.

    ``fee`` is what the refund keeps: the tier's fee in the currency the
    session is priced in, rounded to its minor unit, as
    :meth:`~sessionkit.policies.RefundPolicy.refund` keeps it (``None`` when
    the tier names no fee in that currency, or when it is not known).
    ``fee_unknown`` is ``None`` when ``fee`` is known, else why not: the tier
    keeps a fee but the kit's pricing raised for the session, so its currency
    (which of the fees a cancel keeps) could not be read. The cancel itself
    needs no price: it keeps the fee in the currency that was paid.
    """

    percent: Decimal
    until: datetime
    fee: Money | None = None
    fee_unknown: str | None = None


@attrs.frozen(slots=True, kw_only=True)
class SessionOptions:
    """What an actor in ``role`` may do with a session at ``at``.

    ``reschedule`` is ``None`` when a reschedule request would be accepted
    (``reschedule_until``: the last instant it would, ``None`` for no limit
    but the start), else the :class:`~sessionkit.policies.Refusal`.
    ``pending`` is the session's pending request, if any. ``cancel`` is
    ``None`` when the notice policy lets ``role`` cancel, ``refund_percent``
    what cancelling now refunds by the kit's
    :class:`~sessionkit.policies.RefundPolicy`, and ``cancel_tiers`` the
    refunds still to come, most first, each with its last instant (the
    policy's ``late_percent``, when it gives any, is the last, until the
    session's end, when it is over). No tier runs past the last instant
    ``role`` may cancel by the notice policy
    (:meth:`~sessionkit.policies.NoticePolicy.deadline_for`), and a role
    whose cancel is refused now has none. Once the
    session is over (its end passed, or its status is terminal) a cancel
    refunds nothing (``refund_percent`` 0, no tiers) and ``cancel`` refuses
    every role but the refund policy's ``full_refund_roles`` (rule
    ``"ended"``), as ``kit.bookings.cancel`` does; those may still write off an
    unpaid booking (a paid one's cancel is refused in every role).
    """

    at: datetime
    reschedule: Refusal | None
    reschedule_until: datetime | None
    pending: RescheduleRequest | None
    cancel: Refusal | None
    refund_percent: Decimal
    cancel_tiers: tuple[CancelTier, ...]


def session_options(
    ctx: Context,
    session: Session,
    role: str,
    at: datetime,
    *,
    reschedule: Refusal | None,
    pending: RescheduleRequest | None,
) -> SessionOptions:
    """Return what ``role`` may do with ``session`` at ``at``, given what the store said.

    ``reschedule`` is why a reschedule request would be refused now (or
    ``None``) and ``pending`` the session's pending request, both read at ``at``.
    """
    policy = ctx.notice
    refunds = ctx.refunds
    start = session.start
    cancel = policy.notice_refusal("cancel", role, session, at)
    refund = refunds.share(role=role, start=start, at=at)
    tiers: list[CancelTier] = []
    if session_over(ctx, session, at):
        # As kit.bookings.cancel judges it: a paid booking stands in every role, an unpaid
        # one is written off by a full-refund role alone; either way nothing goes back.
        refund = Decimal(0)
        if role not in refunds.full_refund_roles:  # whatever the notice says, as cancel has it
            cancel = Refusal(
                rule="ended",
                reason=f"session {session.id!r} is over "
                f"(ended {ended_at(ctx, session).isoformat()}, "
                f"status {session.status}); role {role!r} cannot cancel a booking of it",
            )
    elif cancel is None:
        # No tier outlasts the role's cancel: its notice (or a window) shuts it at its deadline,
        # and a cancel it refuses now it refuses until the start (a notice never opens again).
        deadline = policy.deadline_for("cancel", role, session)
        last = session.end if deadline is None else min(deadline, session.end)
        if role in refunds.full_refund_roles:
            # Until the session is over, as a cancel in such a role refunds in full until then.
            tiers.append(CancelTier(percent=Decimal(100), until=last))
        else:
            currency, unknown = (
                _priced_in(ctx, session) if any(t.fee for t in refunds.tiers) else (None, None)
            )
            for tier in refunds.tiers:
                until = start - tier.notice
                if until >= at:
                    shown_fee = None if unknown is not None else _fee_shown(tier, currency)
                    tiers.append(
                        CancelTier(
                            percent=tier.percent,
                            until=min(until, last),
                            fee=shown_fee,
                            fee_unknown=None if tier.fee is None else unknown,
                        )
                    )
                    if until >= last:
                        break
            # After the last tier, until the session is over, a cancel still gets the late share.
            if refunds.late_percent > 0 and (not tiers or tiers[-1].until < last):
                tiers.append(CancelTier(percent=refunds.late_percent, until=last))
    return SessionOptions(
        at=at,
        reschedule=reschedule,
        reschedule_until=(
            None
            if reschedule is not None
            else policy.deadline_for("request_reschedule", role, session)
        ),
        pending=pending,
        cancel=cancel,
        refund_percent=refund,
        cancel_tiers=tuple(tiers),
    )


def _priced_in(ctx: Context, session: Session) -> tuple[str | None, str | None]:
    """Return the currency the kit prices ``session`` in (``None``: it is free), or why not.

    A pricing that raises (the host's, for a session it does not price) leaves
    the fees shown unknown, and the second item says why; the choices stand.
    """
    try:
        pricing = ctx.price_of(session)
        price = None if pricing is None else pricing.price(session, 1)
    except Exception as error:  # noqa: BLE001  # only the fees shown need the price
        return None, (
            f"the kit's pricing raised {type(error).__name__} for session {shown(session.id)}"
            f": {shown(str(error))}"
        )
    return (price.currency if isinstance(price, Money) else None), None


def _fee_shown(tier: RefundTier, currency: str | None) -> Money | None:
    """The fee ``tier`` keeps from a refund in ``currency``, as the refund keeps it: rounded.

    A free session (``currency`` ``None``) shows a tier's one fee as the policy gives it.
    """
    if currency is not None:
        return tier.fee_in(currency)
    return tier.fee.rounded() if isinstance(tier.fee, Money) else None
