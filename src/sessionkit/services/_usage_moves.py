"""A moved session's credits: carried to the period of its new start, or charged anew.

Private to the services package (import from :mod:`sessionkit.services._usage`).
A credit is charged to the period of its session's start:
:func:`move_session_usage` carries a moved session's credits along, and
:func:`move_usage_refusal` says beforehand whether the move would be refused
for want of credits. Both plan the same way (``_planned_moves``); the writes are
the ledger's (:mod:`~sessionkit.services._usage_ledger`).
"""

from __future__ import annotations

from datetime import datetime

import attrs

from sessionkit.errors import UsageLimitReached
from sessionkit.model.session import ResourceRef, Session
from sessionkit.model.usage import Subscription, UsageEntry, UsageRecorded, usage_counter
from sessionkit.ports import COUNTERS, SUBSCRIPTIONS, USAGE
from sessionkit.services._context import Tx
from sessionkit.services._usage_ledger import (
    active_subscription,
    consume_one,
    count_credit,
    give_back,
    limit_error,
    usage_or_none,
)

__all__ = ["move_session_usage", "move_usage_refusal"]


@attrs.frozen
class _PlannedMove:
    """One active credit of a session being moved, and what its new start charges.

    ``recharge``: the credit's subscription is not valid at the new start,
    so ``entry`` is returned and ``charged`` (the participant's subscription
    valid then, ``None``: none) pays instead; else ``charged`` is the entry's
    own subscription and the credit moves to its ``period``. ``period`` is
    the period of the new start in ``charged`` (``None`` with no ``charged``).
    """

    entry: UsageEntry
    charged: Subscription | None
    period: str | None
    recharge: bool


def _planned_moves(tx: Tx, session: Session, start: datetime) -> list[_PlannedMove]:
    """Return what moving ``session``'s credits to ``start`` changes, by entry; writes nothing.

    Each active credit charged to the session itself (a makeup's stays with
    the session it replaces) whose period or subscription ``start`` changes,
    in the ledger's order; one whose period stays is left out.
    """
    usage = usage_or_none(tx)
    if usage is None:
        return []
    subscriptions = tx.repository(SUBSCRIPTIONS)
    planned: list[_PlannedMove] = []
    for entry in usage.for_session(session.tenant, session.id):
        if not entry.active or entry.session_id != session.id:
            continue
        own = subscriptions.get(entry.tenant, entry.subscription_id)
        if own.active_at(start):
            moved = own.period_of(start)
            if moved != entry.period:
                planned.append(_PlannedMove(entry=entry, charged=own, period=moved, recharge=False))
            continue
        # Returned; the participant's subscription valid then (if any) pays.
        charged = active_subscription(tx, session.tenant, entry.participant, start)
        period = None if charged is None else charged.period_of(start)
        planned.append(_PlannedMove(entry=entry, charged=charged, period=period, recharge=True))
    return planned


def move_session_usage(tx: Tx, session: Session, *, actor: str | None) -> None:
    """Carry the credits charged to moved ``session`` to the period of its new start.

    A credit is charged to the period of its session's start, so a session
    moved across a period's end (31 January to 3 February) returns its
    credits to the old period and takes them from the new one: a
    ``"reversed"`` and a ``"consumed"`` :class:`UsageRecorded` each. A credit
    whose subscription is not valid at the new start is returned, and the
    participant's subscription valid then (if any) is charged instead, as the
    session would be charged afresh. ``UsageLimitReached`` when the new
    period has no credit left and the subscription refuses going past (the
    move is refused with it). Call with the moved session stored; a makeup's
    credit stays with the session it replaces.
    """
    for move in _planned_moves(tx, session, session.start):
        entry, subscription, period = move.entry, move.charged, move.period
        if move.recharge:
            _recharge(tx, session, entry, subscription, actor=actor)
            continue
        # A period move is charged to its own subscription, in the new start's period.
        assert subscription is not None
        assert period is not None
        counters = tx.repository(COUNTERS)
        counters.bump(entry.tenant, usage_counter(entry.subscription_id, entry.period), -1)
        count_credit(tx, subscription, entry.participant, period)
        stored = tx.repository(USAGE).update(
            attrs.evolve(entry, period=period), expected_version=entry.version
        )
        tx.collect(
            [
                UsageRecorded(
                    tenant=entry.tenant, actor=actor, at=tx.now, entry=entry, change="reversed"
                ),
                UsageRecorded(
                    tenant=entry.tenant, actor=actor, at=tx.now, entry=stored, change="consumed"
                ),
            ]
        )


def move_usage_refusal(tx: Tx, session: Session, new_start: datetime) -> UsageLimitReached | None:
    """Return the ``UsageLimitReached`` a move of ``session`` to ``new_start`` raises, or ``None``.

    Writes nothing: what :func:`move_session_usage` would charge at the new
    start, counted per (subscription, period) against the credits left, for
    a caller that must know before the move's first write (silence, which
    lets a request it cannot apply expire rather than fail at every tick).
    """
    needed: dict[tuple[str, str], tuple[Subscription, ResourceRef, int]] = {}
    for move in _planned_moves(tx, session, new_start):
        charged, period = move.charged, move.period
        if charged is None or period is None or charged.on_limit != "refuse":
            continue
        key = (charged.id, period)
        count = needed.get(key, (charged, move.entry.participant, 0))[2]
        needed[key] = (charged, move.entry.participant, count + 1)
    for (subscription_id, period), (charged, participant, count) in needed.items():
        name = usage_counter(subscription_id, period)
        used = tx.repository(COUNTERS).value(session.tenant, name)
        if used + count > charged.credits:
            return limit_error(tx, charged, participant, period)
    return None


def _recharge(
    tx: Tx,
    session: Session,
    entry: UsageEntry,
    subscription: Subscription | None,
    *,
    actor: str | None,
) -> None:
    """Return ``entry``, its subscription not valid at moved ``session``'s start; charge anew.

    ``subscription``, the participant's valid at the new start, is charged, on
    its own entry (one returned by an earlier move is consumed again); with
    none valid then, nothing is: a session charged afresh there would draw on none.
    """
    usage = tx.repository(USAGE)
    give_back(tx, entry, attrs.evolve(entry, reversed_at=tx.now), actor=actor)
    if subscription is None:
        return
    existing = next(
        (
            e
            for e in usage.for_session(session.tenant, session.id)
            if e.subscription_id == subscription.id
            and e.session_id == session.id
            and e.participant == entry.participant
        ),
        None,
    )
    consume_one(tx, subscription, session, session, entry.participant, existing, actor=actor)
