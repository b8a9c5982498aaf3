"""Usage inside one unit of work: consume and return credits, number sessions.

Private to the services package. :func:`settle_usage` is what a status
change calls (``store_status``): entering a status whose lifecycle flag
``counts_usage`` is set consumes a credit for each participant (in a no-show
status, not of one the attendance shows there: the host's no-show), leaving
one returns it. :func:`assign_codes` numbers new sessions when the kit has
:class:`~sessionkit.model.usage.SessionCodes`.

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
    InvalidValue,
    TransientConflict,
    UsageLimitReached,
    WrongType,
)
from sessionkit.errors._base import shown
from sessionkit.lifecycle import Lifecycle
from sessionkit.model.booking import CONFIRMED
from sessionkit.model.session import ResourceRef, Session
from sessionkit.model.usage import (
    CODE_FIELD,
    MAX_REASON_LENGTH,
    SessionCode,
    SessionCodes,
    Subscription,
    UsageEntry,
    UsageRecorded,
    charged_session,
    code_counter,
    entry_id,
    usage_counter,
)
from sessionkit.policies.no_shows import ATTENDED, uses_credit
from sessionkit.ports import COUNTERS, SESSION_CODES, SUBSCRIPTIONS, USAGE, UsageRepository
from sessionkit.services._context import Context, Tx
from sessionkit.services._presence import came_to

__all__ = [
    "active_subscription",
    "assign_codes",
    "consume_in",
    "move_session_usage",
    "move_usage_refusal",
    "resets_at",
    "reverse_in",
    "settle_usage",
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


def _limit_error(
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


def _bump(
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
        raise _limit_error(tx, subscription, participant, period)


def _participants(tx: Tx, session: Session, entries: Sequence[UsageEntry]) -> list[ResourceRef]:
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
    who = _participants(tx, session, known) if participants is None else sorted(set(participants))
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
        entry = _consume_one(
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


def _consume_one(
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
    _bump(tx, subscription, participant, period, over_limit=over_limit)
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


def _give_back(tx: Tx, entry: UsageEntry, returned: UsageEntry, *, actor: str | None) -> UsageEntry:
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
        _bump(tx, subscription, entry.participant, period)
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
            return _limit_error(tx, charged, participant, period)
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
    _give_back(tx, entry, attrs.evolve(entry, reversed_at=tx.now), actor=actor)
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
    _consume_one(tx, subscription, session, session, entry.participant, existing, actor=actor)


def _host_no_show_excused(
    tx: Tx, session: Session, who: Sequence[ResourceRef]
) -> frozenset[ResourceRef]:
    """Return who of ``who`` uses no credit of ``session``, entering a no-show status: who came.

    A participant the attendance shows there while the session still became
    a no-show was let down by its host (:func:`~sessionkit.policies.uses_credit`
    with the kit's refund policy), as their refund is decided; with no
    attendance records, the status is all there is and nobody is excused.
    """
    if uses_credit(tx.refunds, ATTENDED, no_show_session=True):
        return frozenset()  # the policy charges a host's no-show all the same
    came = came_to(tx, session, who)
    return frozenset() if came is None else came


def settle_usage(
    tx: Tx,
    machine: Lifecycle,
    before: Session,
    after: Session,
    *,
    actor: str | None,
    reason: str | None = None,
    entered_cancelled: bool | None = None,
    over_limit: bool = False,
) -> None:
    """Consume or return credits when a status change crosses the lifecycle's ``counts_usage``.

    A no-show status that counts usage (NO_SHOW, ABSENT) charges no
    participant the attendance shows there (the host's no-show; see
    :func:`~sessionkit.policies.uses_credit`): one charged already gets the
    credit back. A correction between a held and a no-show counting status
    returns, or charges again, only the credits of those who came; nobody
    else is charged again (a credit reversed by hand stays reversed).

    Entering a cancelled status returns the credits too: a session charged by
    hand (``kit.usage.consume``) before it was held, then cancelled, uses none.
    ``entered_cancelled`` says whether the change entered one on its way (a
    catch-up through EXPIRED to ARCHIVED); ``None``: whether ``after`` is in one.
    ``over_limit``: a credit past a subscription's last is counted, not refused
    (the change is the clock's, see :func:`consume_in`).
    """
    counting = machine.usage_statuses
    was, now = before.status in counting, after.status in counting
    no_show = machine.status(after.status).no_show
    # Between two counting statuses only a change of ``no_show`` changes who is charged.
    if was != now or (now and no_show != machine.status(before.status).no_show):
        usage = usage_or_none(tx)
        if usage is None:
            return
        if was and now:
            # A correction between a held and a no-show status: only those who came to the
            # no-show change (charged held, not charged a host's no-show). Nobody else is
            # charged again: a credit an admin reversed stays reversed.
            ledger = usage.for_session(after.tenant, after.id)
            who = _participants(tx, after, ledger)
            came = _host_no_show_excused(tx, after, who)
            if came and no_show:
                reverse_in(tx, after, actor=actor, reason=reason, participants=came, ledger=ledger)
            elif came:
                consume_in(
                    tx, after, actor=actor, over_limit=over_limit, participants=came, ledger=ledger
                )
        elif now and no_show:
            # The ledger and who is charged are read once: the excused are some of them, all
            # are charged but those. Returning the excused' credits changes only their entries,
            # which charging the others passes by.
            ledger = usage.for_session(after.tenant, after.id)
            who = _participants(tx, after, ledger)
            excused = _host_no_show_excused(tx, after, who)
            if excused:
                reverse_in(
                    tx, after, actor=actor, reason=reason, participants=excused, ledger=ledger
                )
            consume_in(
                tx,
                after,
                actor=actor,
                over_limit=over_limit,
                participants=who,
                excused=excused,
                ledger=ledger,
            )
        elif now:
            consume_in(tx, after, actor=actor, over_limit=over_limit)
        else:
            reverse_in(tx, after, actor=actor, reason=reason)
        return
    cancelled = machine.cancelled_statuses
    entered = (
        after.status in cancelled and before.status not in cancelled
        if entered_cancelled is None
        else entered_cancelled
    )
    if entered and usage_or_none(tx) is not None:
        reverse_in(tx, after, actor=actor, reason=reason)


def _codes_for(ctx: Context, session: Session) -> SessionCodes | None:
    codes = ctx.codes
    if codes is None or isinstance(codes, SessionCodes):
        return codes
    chosen = codes(session)
    if chosen is not None and not isinstance(chosen, SessionCodes):
        raise WrongType(
            chosen, name=f"codes(session {shown(session.id)})", expected="SessionCodes or None"
        )
    return chosen


def assign_codes(ctx: Context, tx: Tx, sessions: Sequence[Session]) -> list[Session]:
    """Give each new session its code (field ``session_code``); return them, in the same order.

    Numbers come from one bump per (tenant, counter), in start-then-id order,
    in the unit of work that inserts the sessions: they commit together or
    not at all, and writers of one counter queue on it. ``InvalidValue`` (see
    :func:`_code_clash`) when a code rendered is already another session's.
    """
    if ctx.codes is None or not sessions:
        return list(sessions)
    # By counter, not by template: sessions coded "IND-..." and "GRP-..." off one counter are
    # numbered together, in start order, as the counter's one bump promises.
    groups: dict[tuple[str, str], list[tuple[Session, SessionCodes]]] = {}
    for session in sessions:
        codes = _codes_for(ctx, session)
        if codes is not None:
            groups.setdefault((session.tenant, codes.counter), []).append((session, codes))
    coded: dict[str, Session] = {}
    records: list[SessionCode] = []
    for (tenant, name), group in groups.items():
        group.sort(key=lambda pair: (pair[0].start, pair[0].id))
        last = tx.repository(COUNTERS).bump(tenant, code_counter(name), len(group))
        assert last is not None  # no limit was given
        for number, (session, codes) in enumerate(group, start=last - len(group) + 1):
            code = codes.render(tenant=tenant, n=number, group=session.group)
            metadata = {**session.metadata, CODE_FIELD: code}
            coded[session.id] = attrs.evolve(session, metadata=metadata)
            records.append(
                SessionCode(
                    id=session.id, tenant=tenant, code=code, counter=codes.counter, number=number
                )
            )
    if records:
        _store_codes(tx, records)
    return [coded.get(s.id, s) for s in sessions]


def _store_codes(tx: Tx, records: Sequence[SessionCode]) -> None:
    """Add the code records; one a deleted session of the same id left is given the new code.

    A record's id is its session's, and a deleted session's record stays (its
    number is never issued again): a session created again under that id
    takes the record over instead of being refused as a duplicate code.
    """
    repo = tx.repository(SESSION_CODES)
    by_tenant: dict[str, list[SessionCode]] = {}
    for record in records:
        by_tenant.setdefault(record.tenant, []).append(record)
    for tenant, mine in by_tenant.items():
        left = {c.id: c for c in repo.get_many(tenant, [r.id for r in mine])}
        try:
            repo.add_many([r for r in mine if r.id not in left])
            for record in mine:
                old = left.get(record.id)
                if old is not None:
                    repo.update(
                        attrs.evolve(record, version=old.version), expected_version=old.version
                    )
        except DuplicateUsage as taken:
            held = taken.existing
            clashing = next((r for r in mine if r.id == taken.record_id), None)
            if taken.key != "code" or clashing is None or not isinstance(held, SessionCode):
                raise
            raise _code_clash(clashing, held) from taken


def _code_clash(record: SessionCode, held: SessionCode) -> InvalidValue:
    """The error for ``record``, whose code ``held`` (another session's) has: codes misconfigured.

    A counter's numbers are never issued twice, so two sessions rendering one
    code means two counters with the same template (a format cannot name its
    counter), a renamed counter starting again at 1, or templates that
    overlap. Refused every time, not retried: each attempt renders the code again.
    """
    if held.counter == record.counter:
        cause = (
            f"counter {record.counter!r} renders it for numbers {held.number} and "
            f"{record.number}; give each template of the counter its own prefix or format"
        )
    else:
        cause = (
            f"counters {held.counter!r} (number {held.number}) and {record.counter!r} "
            f"(number {record.number}) render the same codes; give each counter its own "
            "prefix or format"
        )
    return InvalidValue(
        f"session code {record.code!r} for session {record.id!r} already belongs to session "
        f"{held.id!r}: {cause}",
        value=record.code,
        expected="codes unique per tenant: each counter its own prefix or format",
    )
