"""Subscriptions and usage: credits per month or in total, consumed once per session.

``kit.usage`` holds the commands. The automatic path needs none of them:
when a session enters a status whose lifecycle flag ``counts_usage`` is set
(COMPLETED and ABSENT in the academy preset), each of its confirmed
participants with a subscription valid at the session's start consumes one
credit in the same unit of work as the status change; leaving such a status
(an admin's :meth:`UsageCommands.correct`) returns it. A no-show status
that counts usage (ABSENT, NO_SHOW) charges no participant the attendance
shows there (the host's no-show) unless the kit's ``RefundPolicy`` has
``host_no_show_uses_credit`` (:func:`sessionkit.policies.uses_credit`); a
session without attendance records charges all. The ledger's unique
key (subscription, session, participant) makes every path count once. A
timed (clock) status change is never refused for credits: past the last
one it is counted all the same, and the balance goes below zero.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Literal

import attrs

from sessionkit.errors import InvalidValue, UsageLimitReached
from sessionkit.lifecycle import StatusChanged
from sessionkit.model.booking import participant_ref
from sessionkit.model.session import ResourceRef, Session
from sessionkit.model.text import (
    MAX_ID_LENGTH,
    MAX_REF_LENGTH,
    check_actor,
    check_collection,
    check_id,
    check_optional_id,
    check_tenant,
    check_text,
)
from sessionkit.model.usage import (
    Balance,
    Per,
    SessionCode,
    Subscription,
    UsageEntry,
    check_period,
    usage_counter,
)
from sessionkit.ports import COUNTERS, SESSION_CODES, SUBSCRIPTIONS, USAGE
from sessionkit.services._context import (
    Context,
    Tx,
    check_record_version,
    check_version,
    retried,
)
from sessionkit.services._editing import lock_session
from sessionkit.services._makeups import check_revival, mark_makeup
from sessionkit.services._usage import active_subscription, consume_in, resets_at, reverse_in
from sessionkit.services.commands import store_status
from sessionkit.zones import check_instant

__all__ = ["UsageCommands"]

_MAX_REASON = 2000


def _participants(values: Iterable[ResourceRef | str] | None) -> list[ResourceRef] | None:
    """The participants named, or ``None`` for the session's confirmed ones.

    A collection: one participant on its own (``"student:ana"`` for
    ``["student:ana"]``) is refused, not read as a list of one.
    """
    if values is None:
        return None
    named = check_collection(values, "participants", of="'kind:id' texts or ResourceRefs")
    return [participant_ref(v) for v in named]


def _balance(tx: Tx, subscription: Subscription, at: datetime) -> Balance:
    period = subscription.period_of(at)
    name = usage_counter(subscription.id, period)
    used = tx.repository(COUNTERS).value(subscription.tenant, name)
    if subscription.in_force_at(at):
        credits, remaining = subscription.credits, subscription.credits - used
        renewed = resets_at(subscription, period)
    else:
        # Before the subscription starts (its credits start then) or after it ends: nothing
        # can be drawn. A total subscription's ``used`` is its life's, kept but not owed.
        credits = remaining = 0
        renewed = subscription.starts if at < subscription.starts else None
    return Balance(
        subscription_id=subscription.id,
        subscriber=subscription.subscriber,
        period=period,
        credits=credits,
        used=used,
        remaining=remaining,
        resets_at=renewed,
    )


class UsageCommands:
    """Subscriptions, balances, consuming and returning credits, makeup sessions, session codes."""

    def __init__(self, ctx: Context) -> None:
        self._ctx = ctx

    # -- subscriptions -------------------------------------------------------------

    @retried
    def subscribe(
        self,
        tenant: str,
        *,
        actor: str | None,
        subscriber: ResourceRef | str,
        credits: int,
        starts: datetime,
        per: Per = "month",
        ends: datetime | None = None,
        tz: str = "UTC",
        on_limit: Literal["refuse", "allow"] = "refuse",
        subscription_id: str | None = None,
    ) -> Subscription:
        """Create a subscription: ``credits`` per calendar month in ``tz`` (or in ``total``).

        Valid from ``starts`` until ``ends`` (exclusive; ``None``: open).
        Raises ``InvalidValue`` for bad input and ``DuplicateUsage`` for a
        taken ``subscription_id``.
        """
        ctx = self._ctx
        tenant = check_tenant(tenant)
        check_actor(actor)
        check_optional_id(subscription_id, "subscription_id")
        start = check_instant(starts, "starts")
        end = None if ends is None else check_instant(ends, "ends")
        with ctx.transaction() as tx:
            subscription = Subscription(
                id=ctx.ids() if subscription_id is None else subscription_id,
                tenant=tenant,
                subscriber=participant_ref(subscriber),
                credits=credits,
                per=per,
                tz=tz,
                starts=start,
                ends=end,
                on_limit=on_limit,
                created_at=tx.now,
                created_by=actor,
            )
            tx.repository(SUBSCRIPTIONS).add(subscription)
        return subscription

    def get(self, tenant: str, subscription_id: str) -> Subscription:
        """Return the subscription; raise ``SubscriptionNotFound``."""
        check_tenant(tenant)
        check_id(subscription_id, "subscription_id")
        with self._ctx.transaction() as tx:
            return tx.repository(SUBSCRIPTIONS).get(tenant, subscription_id)

    def subscriptions(self, tenant: str, subscriber: ResourceRef | str) -> list[Subscription]:
        """Return the subscriber's subscriptions (any window), by start then id."""
        check_tenant(tenant)
        who = participant_ref(subscriber)
        with self._ctx.transaction() as tx:
            return tx.repository(SUBSCRIPTIONS).for_subscriber(tenant, who)

    def balance(self, tenant: str, subscription_id: str, *, at: datetime | None = None) -> Balance:
        """Return what the subscription has left in the period of ``at`` (default: now).

        A month wholly before the subscription starts or from its end on has
        no credits, nor has a ``per="total"`` subscription at an instant
        before its start or from its end on: ``credits`` and ``remaining`` 0
        (``used`` is still the period's), ``resets_at`` the start (before it)
        or ``None`` (after the end).
        """
        check_tenant(tenant)
        check_id(subscription_id, "subscription_id")
        with self._ctx.transaction(at, name="at") as tx:
            subscription = tx.repository(SUBSCRIPTIONS).get(tenant, subscription_id)
            return _balance(tx, subscription, tx.now)

    def check_credit(
        self, tenant: str, participant: ResourceRef | str, *, at: datetime
    ) -> Balance | None:
        """Return the balance that a session at ``at`` would draw on, before booking it.

        ``None`` when the participant has no subscription valid at ``at``.
        Raises ``UsageLimitReached`` (``remaining``, ``period``, ``allows_at``)
        when it has no credit left and refuses going past it: the check a
        host makes to refuse a booking beyond the monthly limit.
        """
        check_tenant(tenant)
        who = participant_ref(participant)
        when = check_instant(at, "at")
        with self._ctx.transaction() as tx:
            subscription = active_subscription(tx, tenant, who, when)
            if subscription is None:
                return None
            balance = _balance(tx, subscription, when)
        if balance.remaining <= 0 and subscription.on_limit == "refuse":
            raise UsageLimitReached.for_period(
                subscription.id,
                str(who),
                balance.period,
                balance.credits,
                balance.used,
                balance.resets_at,
            )
        return balance

    # -- the ledger ----------------------------------------------------------------

    @retried
    def consume(
        self,
        tenant: str,
        session_id: str,
        *,
        actor: str | None,
        participants: Iterable[ResourceRef | str] | None = None,
    ) -> list[UsageEntry]:
        """Consume one credit per participant of the session, once each; return the entries.

        ``participants`` (a collection: ``["student:ana"]``, not the bare
        string) defaults to the session's confirmed bookings'.
        Running it again (a retried command, a replayed event) changes
        nothing. A cancelled session uses no credit: one in a status its
        lifecycle marks ``cancelled`` charges nobody (its makeup is charged
        instead, :meth:`mark_makeup`), whoever ``participants`` names, and
        cancelling a session charged before it was held returns its credits.
        Raises ``SessionNotFound`` and ``UsageLimitReached`` (nothing written).
        """
        check_tenant(tenant)
        check_id(session_id, "session_id")
        check_actor(actor)
        who = _participants(participants)
        with self._ctx.transaction() as tx:
            # Under the session's lock, as its status changes run: a cancel or a correction
            # racing this one either sees its entries or is seen.
            session = lock_session(tx, tenant, session_id)
            if session.status in self._ctx.lifecycle(session.lifecycle).cancelled_statuses:
                return []  # a late or replayed charge of a cancelled session: nobody pays
            return consume_in(tx, session, actor=actor, participants=who)

    @retried
    def reverse(
        self,
        tenant: str,
        session_id: str,
        *,
        actor: str | None,
        reason: str | None = None,
        participants: Iterable[ResourceRef | str] | None = None,
    ) -> list[UsageEntry]:
        """Return the credits the session consumed, once each; return the reversed entries.

        ``participants`` (a collection, as for :meth:`consume`) narrows it to theirs.
        """
        check_tenant(tenant)
        check_id(session_id, "session_id")
        check_actor(actor)
        check_text(reason, "reason", limit=_MAX_REASON, optional=True)
        who = _participants(participants)
        with self._ctx.transaction() as tx:
            session = lock_session(tx, tenant, session_id)
            return reverse_in(tx, session, actor=actor, reason=reason, participants=who)

    @retried
    def correct(
        self,
        tenant: str,
        session_id: str,
        status: str,
        *,
        actor: str | None,
        reason: str | None = None,
        role: str | None = None,
        expected_version: int | None = None,
    ) -> Session:
        """Set the session's status by hand (an admin correction), credits following it.

        Any status of the session's lifecycle, even out of a terminal one
        (COMPLETED -> CANCELLED): leaving a status that counts usage returns
        the credits, entering one consumes them (again), each once. The event
        is a ``SessionStatusChanged`` (``SessionCanceled`` into a cancelled
        status) with transition ``"correct"``. Raises ``UnknownStatus``,
        ``SessionNotFound``, ``ConcurrentModification``, ``UsageLimitReached``,
        and ``InvalidValue`` bringing a cancelled session back while a makeup
        stands for it, or a cancelled makeup whose session is back in play.
        """
        ctx = self._ctx
        check_tenant(tenant)
        check_id(session_id, "session_id")
        check_actor(actor)
        check_text(reason, "reason", limit=_MAX_REASON, optional=True)
        check_text(role, "role", limit=MAX_REF_LENGTH, optional=True)
        expected = check_version(expected_version)
        with ctx.transaction() as tx:
            session = tx.sessions.get(tenant, session_id)
            check_record_version(session.id, session.version, expected)
            machine = ctx.lifecycle(session.lifecycle)
            target = machine.status(status).name
            if target == session.status:
                return session
            change = StatusChanged(
                session_id=session.id,
                lifecycle=machine.name,
                transition="correct",
                from_status=session.status,
                to_status=target,
                at=tx.now,
                actor=actor,
                role=role,
                reason=reason,
            )
            check_revival(ctx, tx, session, target)
            changed = attrs.evolve(session, status=target)
            return store_status(tx, machine, session, changed, [change], actor)

    def entries(
        self,
        tenant: str,
        *,
        session_id: str | None = None,
        subscription_id: str | None = None,
        period: str | None = None,
    ) -> list[UsageEntry]:
        """Return ledger entries of a session (charged or used) or of a subscription (one of them).

        A session's come by participant then id; a subscription's (of
        ``period`` if given) by consumption time then id. Reversed entries
        are included (``entry.active`` tells).
        """
        check_tenant(tenant)
        check_optional_id(session_id, "session_id")
        check_optional_id(subscription_id, "subscription_id")
        if period is not None:
            check_period(period)
        if (session_id is None) == (subscription_id is None):
            raise InvalidValue(
                "entries() takes exactly one of session_id and subscription_id",
                value=(session_id, subscription_id),
                expected="one of session_id, subscription_id",
            )
        with self._ctx.transaction() as tx:
            usage = tx.repository(USAGE)
            if session_id is not None:
                return usage.for_session(tenant, session_id)
            assert subscription_id is not None
            return usage.for_subscription(tenant, subscription_id, period=period)

    # -- makeup sessions and codes ---------------------------------------------------

    @retried
    def mark_makeup(
        self, tenant: str, session_id: str, *, replaces: str, actor: str | None
    ) -> Session:
        """Mark a session as the makeup of cancelled session ``replaces``; return it.

        A makeup is charged as the session it replaces (same ledger entry,
        that session's period): the pair never consumes more than one
        credit. Sets the own field ``makeup_of``, and ``made_up_by`` on the
        cancelled session. Raises ``SessionNotFound``
        and ``InvalidValue`` when ``replaces`` is the session itself, is not
        in a cancelled status, is already replaced by another session, or was
        itself a makeup (mark this one for the session both replace).
        """
        return mark_makeup(self._ctx, tenant, session_id, replaces=replaces, actor=actor)

    def code_of(self, tenant: str, session_id: str) -> str | None:
        """Return the session's code, or ``None`` if it was created without one."""
        check_tenant(tenant)
        check_id(session_id, "session_id")
        with self._ctx.transaction() as tx:
            found = tx.repository(SESSION_CODES).get_many(tenant, [session_id])
        return found[0].code if found else None

    def by_code(self, tenant: str, code: str) -> SessionCode | None:
        """Return the code record (its ``id`` is the session's) for ``code``, or ``None``.

        ``None`` for a code never issued in ``tenant`` (another tenant's too).
        A deleted session's record stays (its number is not issued again):
        its ``id`` names a session that reads as ``SessionNotFound``.
        ``code`` is text of 1 to 128 characters, as a stored code is (``InvalidValue``
        otherwise, ``WrongType`` for no text).
        """
        check_tenant(tenant)
        check_text(code, "code", limit=MAX_ID_LENGTH, empty=False)
        with self._ctx.transaction() as tx:
            return tx.repository(SESSION_CODES).by_code(tenant, code)
