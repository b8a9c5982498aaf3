"""The usage ledger inside one unit of work: consume and return credits, each counted once.

Private to the services package (import from :mod:`sessionkit.services._usage`).
:func:`consume_in` charges a session's participants a credit each and
:func:`reverse_in` gives the credits back; the moves of
:mod:`~sessionkit.services._usage_moves` and the status changes of
:func:`~sessionkit.services._usage.settle_usage` are made of these.

Counted once: a participant's entry for a (subscription, charged session)
is looked up, then inserted in its own SAVEPOINT; a concurrent writer that
inserted it first makes the insert fail with ``DuplicateUsage``, which is
read as "already counted". Only then is the period's counter bumped (with
the credits as its limit), so a refused or duplicate entry never moves it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

import attrs

from sessionkit.errors import (
    ConcurrentModification,
    DuplicateUsage,
    TransientConflict,
    UsageLimitReached,
)
from sessionkit.model.booking import CONFIRMED
from sessionkit.model.session import ResourceRef, Session
from sessionkit.model.usage import (
    MAX_REASON_LENGTH,
    Subscription,
    UsageEntry,
    UsageRecorded,
    charged_session,
    entry_id,
    usage_counter,
)
from sessionkit.ports import COUNTERS, SUBSCRIPTIONS, USAGE, UsageRepository
from sessionkit.services._context import Tx

__all__ = [
    "active_subscription",
    "charged_to",
    "consume_in",
    "consume_one",
    "count_credit",
    "give_back",
    "limit_error",
    "resets_at",
    "reverse_in",
    "usage_or_none",
]


def usage_or_none(tx: Tx) -> UsageRepository | None:
    """The unit's usage ledger, or ``None`` for a store that keeps none."""
    return tx.repository_or_none(USAGE)


def active_subscription(
    tx: Tx, tenant: str, participant: ResourceRef, at: datetime
) -> Subscription | None:
    """Return the participant's subscription valid at ``at``: the earliest started, then by id."""
    for subscription in tx.repository(SUBSCRIPTIONS).for_subscriber(tenant, participant):
        if subscription.active_at(at):
            return subscription
    return None


def resets_at(subscription: Subscription, period: str) -> datetime | None:
    """Return when ``period``'s credits are renewed, or ``None`` if waiting does not help."""
    end = subscription.period_end(period)
    if end is None or (subscription.ends is not None and end >= subscription.ends):
        return None
    return end


def limit_error(
    tx: Tx, subscription: Subscription, participant: ResourceRef, period: str
) -> UsageLimitReached:
    used = tx.repository(COUNTERS).value(
        subscription.tenant, usage_counter(subscription.id, period)
    )
    # No ``allows_at``: the credit is charged to the period of the session's start, which
    # waiting never changes (the next period's credits do not pay for this session).
    return UsageLimitReached.for_period(
        subscription.id, str(participant), period, subscription.credits, used, None
    )


def count_credit(
    tx: Tx,
    subscription: Subscription,
    participant: ResourceRef,
    period: str,
    *,
    over_limit: bool = False,
) -> None:
    """Count one credit in ``period``; ``over_limit``: past the credits even if it refuses.

    ``UsageLimitReached`` when the subscription refuses going past its credits
    and none is left (and ``over_limit`` is false).
    """
    refuses = subscription.on_limit == "refuse" and not over_limit
    most = subscription.credits if refuses else None
    name = usage_counter(subscription.id, period)
    if tx.repository(COUNTERS).bump(subscription.tenant, name, 1, most=most) is None:
        raise limit_error(tx, subscription, participant, period)


def charged_to(tx: Tx, session: Session, entries: Sequence[UsageEntry]) -> list[ResourceRef]:
    """Who a session's credit is charged to now: its confirmed participants, and its ledger's.

    A correction back into a counting status re-consumes a returned entry of a
    participant still confirmed, never of one whose booking was cancelled
    meanwhile, so what is charged does not depend on the path the session
    took. A participant charged without a booking (``consume`` naming them,
    a store that keeps no bookings) has only the ledger to go by, and is
    charged again.
    """
    ledger = {e.participant for e in entries if e.used_by == session.id}
    bookings = tx.bookings_or_none()
    if bookings is None:
        return sorted(ledger)
    held = bookings.for_session(session.tenant, session.id)
    confirmed = {b.participant for b in held if b.status == CONFIRMED}
    booked = {b.participant for b in held}
    return sorted(confirmed | (ledger - booked))


def consume_in(
    tx: Tx,
    session: Session,
    *,
    actor: str | None,
    participants: Iterable[ResourceRef] | None = None,
    over_limit: bool = False,
    excused: frozenset[ResourceRef] = frozenset(),
    ledger: Sequence[UsageEntry] | None = None,
) -> list[UsageEntry]:
    """Consume one credit per participant of ``session`` (once each); return their active entries.

    ``participants`` defaults to the session's confirmed bookings'; those
    ``excused`` (who came to a no-show session, see :func:`settle_usage`)
    are left out. A makeup session is charged as the session it replaces,
    in that session's period.
    A participant without a subscription valid at the charged session's start
    consumes nothing. Raises ``UsageLimitReached`` for a subscription that
    refuses going past its credits (the unit of work is then rolled back),
    unless ``over_limit``: the credit is then counted past them (the clock's
    status changes, which nobody can be refused), as ``on_limit="allow"`` counts it.
    ``ledger``: the session's entries (``for_session``) this unit of work read
    already, not read again.
    """
    usage = tx.repository(USAGE)
    tenant = session.tenant
    charged_id = charged_session(session.id, session.metadata)
    charged = session if charged_id == session.id else tx.sessions.get(tenant, charged_id)
    known = usage.for_session(tenant, session.id) if ledger is None else list(ledger)
    if charged_id != session.id:
        known = known + usage.for_session(tenant, charged_id)
    who = charged_to(tx, session, known) if participants is None else sorted(set(participants))
    done: list[UsageEntry] = []
    for participant in (p for p in who if p not in excused):
        # Already counted, under whichever subscription: one added since (say, starting
        # earlier) would otherwise be chosen below and charge the session a second time.
        # A makeup held before it was marked was charged as itself: that credit counts.
        counted = next(
            (
                e
                for e in known
                if e.active
                and e.session_id in (charged_id, session.id)
                and e.participant == participant
            ),
            None,
        )
        if counted is not None:
            done.append(counted)
            continue
        subscription = active_subscription(tx, tenant, participant, charged.start)
        if subscription is None:
            continue
        existing = next(
            (
                e
                for e in known
                if e.subscription_id == subscription.id
                and e.session_id == charged_id
                and e.participant == participant
            ),
            None,
        )
        entry = consume_one(
            tx,
            subscription,
            charged,
            session,
            participant,
            existing,
            actor=actor,
            over_limit=over_limit,
        )
        done.append(entry)
    return done


def consume_one(
    tx: Tx,
    subscription: Subscription,
    charged: Session,
    session: Session,
    participant: ResourceRef,
    existing: UsageEntry | None,
    *,
    actor: str | None,
    over_limit: bool = False,
) -> UsageEntry:
    usage = tx.repository(USAGE)
    period = subscription.period_of(charged.start)
    if existing is not None and existing.active:
        return existing
    if existing is None:
        entry = UsageEntry(
            id=entry_id(subscription.id, charged.id, participant),
            tenant=subscription.tenant,
            subscription_id=subscription.id,
            session_id=charged.id,
            participant=participant,
            period=period,
            used_by=session.id,
            consumed_at=tx.now,
        )
        try:
            usage.add(entry)
        except DuplicateUsage as taken:  # a concurrent writer counted it first
            if isinstance(taken.existing, UsageEntry):  # by its derived id or its charge
                return taken.existing
            raise
        stored = entry
    else:
        # Charged again in the period of its session's start now (it may have moved since):
        # the counter bumped below and the one reversing decrements must be the same.
        again = attrs.evolve(
            existing, reversed_at=None, reason=None, used_by=session.id, period=period
        )
        try:
            stored = usage.update(again, expected_version=existing.version)
        except ConcurrentModification as error:  # a concurrent writer consumed it again first
            if isinstance(error, TransientConflict):
                raise  # the database refused the statement, not the version: run the unit again
            return usage.get(existing.tenant, existing.id)
    count_credit(tx, subscription, participant, period, over_limit=over_limit)
    tx.collect(
        [
            UsageRecorded(
                tenant=stored.tenant, actor=actor, at=tx.now, entry=stored, change="consumed"
            )
        ]
    )
    return stored


def reverse_in(
    tx: Tx,
    session: Session,
    *,
    actor: str | None,
    reason: str | None,
    participants: Iterable[ResourceRef] | None = None,
    ledger: Sequence[UsageEntry] | None = None,
) -> list[UsageEntry]:
    """Return the credits ``session`` consumed (once each); return the entries now reversed.

    Entries already reversed stay as they are; ``participants`` (default: all)
    narrows which. ``ledger``: the session's entries, as :func:`consume_in` takes them.
    """
    usage = tx.repository(USAGE)
    wanted = None if participants is None else set(participants)
    done: list[UsageEntry] = []
    entries = usage.for_session(session.tenant, session.id) if ledger is None else ledger
    for entry in entries:
        if entry.used_by != session.id or (wanted is not None and entry.participant not in wanted):
            continue
        if not entry.active:
            done.append(entry)
            continue
        # A status change's reason may be longer than the ledger keeps (4,096 vs 2,000).
        kept = None if reason is None else reason[:MAX_REASON_LENGTH]
        returned = attrs.evolve(entry, reversed_at=tx.now, reason=kept)
        try:
            stored = usage.update(returned, expected_version=entry.version)
        except ConcurrentModification as error:  # a concurrent writer returned it first
            if isinstance(error, TransientConflict):
                raise  # a deadlock, or SQLite's table lock: the unit runs again
            done.append(usage.get(entry.tenant, entry.id))
            continue
        # Outside the try: the counter's own refusal (its bump past its attempts) is no
        # sign the entry was returned first; read as one, the unit committed the entry
        # returned while the balance still counted it.
        done.append(_credit_back(tx, stored, actor=actor))
    return done


def give_back(tx: Tx, entry: UsageEntry, returned: UsageEntry, *, actor: str | None) -> UsageEntry:
    """Store ``returned`` (``entry`` reversed), give its period the credit back, announce it.

    ``ConcurrentModification`` (nothing changed) when another writer changed
    ``entry`` first.
    """
    stored = tx.repository(USAGE).update(returned, expected_version=entry.version)
    return _credit_back(tx, stored, actor=actor)


def _credit_back(tx: Tx, stored: UsageEntry, *, actor: str | None) -> UsageEntry:
    """Give back the credit of ``stored``, an entry just stored reversed; announce it."""
    tx.repository(COUNTERS).bump(
        stored.tenant, usage_counter(stored.subscription_id, stored.period), -1
    )
    event = UsageRecorded(
        tenant=stored.tenant, actor=actor, at=tx.now, entry=stored, change="reversed"
    )
    tx.collect([event])
    return stored
