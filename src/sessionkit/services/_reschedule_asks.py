"""What a role may do with a session now: the read-only questions of the reschedule commands.

Private to the services package. :func:`can_request` (why a request would be
refused now) and :func:`options` (reschedule until, cancel for how much) are
methods of :class:`~sessionkit.services.reschedules.RescheduleCommands` (its
class body takes them as attributes); they run the very checks
:meth:`~sessionkit.services.reschedules.RescheduleCommands.request` runs, and
write nothing.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sessionkit.policies import Refusal
from sessionkit.services._context import retried
from sessionkit.services._reschedule_options import SessionOptions, session_options
from sessionkit.services._reschedule_refusals import request_refusal
from sessionkit.services._reschedule_steps import check_args, lock_session, settle_overdue

if TYPE_CHECKING:
    from sessionkit.services.reschedules import RescheduleCommands

__all__ = ["can_request", "options"]


@retried
def can_request(
    self: RescheduleCommands,
    tenant: str,
    session_id: str,
    *,
    role: str,
    now: datetime | None = None,
) -> Refusal | None:
    """Return why :meth:`request` would refuse ``role`` now, or ``None`` if it would not.

    The same checks, read only, for a "request reschedule" button (the
    reason and the new time are the caller's to check: see the policy's
    ``reason_refusal``, and ``new_time_refusal`` and ``silence_refusal``
    with the session's booking rules' ``publishing_refusal``; the series'
    other sessions and the resources' busy times are checked on request).
    """
    check_args(tenant, session_id, "session_id", role)
    with self._tx(now) as (tx, repo):
        session = settle_overdue(self._ctx, tx, repo, lock_session(tx, tenant, session_id))
        found = request_refusal(self._ctx, tx, repo, session, role)
        tx.rollback()
    return found


@retried
def options(
    self: RescheduleCommands,
    tenant: str,
    session_id: str,
    *,
    role: str,
    now: datetime | None = None,
) -> SessionOptions:
    """Return what ``role`` may do with the session now: reschedule until, cancel for how much.

    ``reschedule`` is exactly what :meth:`request` would refuse (or
    ``None``); the refunds are the kit's
    :class:`~sessionkit.policies.RefundPolicy` for a cancel in ``role``.
    A tier's fee is shown in the currency the kit's pricing gives the
    session; a pricing that raises leaves only those fees unknown
    (:attr:`CancelTier.fee_unknown` says why), never the options.
    """
    check_args(tenant, session_id, "session_id", role)
    with self._tx(now) as (tx, repo):
        session = settle_overdue(self._ctx, tx, repo, lock_session(tx, tenant, session_id))
        reschedule = request_refusal(self._ctx, tx, repo, session, role)
        pending = repo.pending_for(tenant, session_id)
        tx.rollback()
    return session_options(self._ctx, session, role, tx.now, reschedule=reschedule, pending=pending)
