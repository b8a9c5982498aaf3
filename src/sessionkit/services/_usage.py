"""Usage inside one unit of work: what a status change consumes and returns, and its parts.

Private to the services package. :func:`settle_usage` is what a status
change calls (``store_status``): entering a status whose lifecycle flag
``counts_usage`` is set consumes a credit for each participant (in a no-show
status, not of one the attendance shows there: the host's no-show), leaving
one returns it. The rest is exported from modules of its own: the ledger,
each credit counted once (:mod:`~sessionkit.services._usage_ledger`); a moved
session's credits (:mod:`~sessionkit.services._usage_moves`); and the session
codes :func:`assign_codes` gives when the kit has
:class:`~sessionkit.model.usage.SessionCodes` (:mod:`~sessionkit.services._usage_codes`).
"""

from __future__ import annotations

from collections.abc import Sequence

from sessionkit.lifecycle import Lifecycle
from sessionkit.model.session import ResourceRef, Session
from sessionkit.policies.no_shows import ATTENDED, uses_credit
from sessionkit.services._context import Tx
from sessionkit.services._presence import came_to
from sessionkit.services._usage_codes import assign_codes
from sessionkit.services._usage_ledger import (
    active_subscription,
    charged_to,
    consume_in,
    resets_at,
    reverse_in,
    usage_or_none,
)
from sessionkit.services._usage_moves import move_session_usage, move_usage_refusal

# settle_usage calls consume_in by this module's name: a race test pauses it here
# (tests/integration/test_sqlalchemy_deadlock_races.py patches _usage.consume_in).
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
            who = charged_to(tx, after, ledger)
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
            who = charged_to(tx, after, ledger)
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
