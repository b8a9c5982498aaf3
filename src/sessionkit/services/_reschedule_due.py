"""The reschedule tick: answering by silence the requests whose deadline passed.

Private to the services package. :func:`approve_due`, :func:`answer_due_in`
and the unit of work each request is answered in are methods of
:class:`~sessionkit.services.reschedules.RescheduleCommands` (its class body
takes them as attributes); :class:`RescheduleReport`, what a run did, is
exported by :mod:`sessionkit.services.reschedules` and shows, pickles and
resolves its type hints under that module's name.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

import attrs

from sessionkit.errors import ConcurrentModification, TransientConflict
from sessionkit.model.html import html_of
from sessionkit.model.reschedule import AUTO_APPROVED, RescheduleRequest
from sessionkit.model.text import check_tenant
from sessionkit.services._context import Tx
from sessionkit.services._reschedule_steps import answer_due
from sessionkit.services.bookings import check_batch
from sessionkit.services.reports import errors_key

if TYPE_CHECKING:
    from sessionkit.services.reschedules import RescheduleCommands

__all__ = ["RescheduleReport", "answer_due_in", "approve_due"]

_MAX_DUE_BATCH = 100_000
"""The most due requests one ``approve_due`` call reads."""


@attrs.frozen(slots=True, kw_only=True)
class RescheduleReport:
    """What one run of :meth:`RescheduleCommands.approve_due` did.

    ``approved``: requests auto-approved (their sessions moved); ``expired``:
    requests without a usable time; ``failed``: ``(request id, error)`` of
    requests left pending by an unexpected error (the next run retries
    them); ``more``: the batch limit was reached.
    """

    _repr_html_ = html_of

    approved: tuple[RescheduleRequest, ...] = ()
    expired: tuple[RescheduleRequest, ...] = ()
    failed: tuple[tuple[str, Exception], ...] = attrs.field(default=(), eq=errors_key)
    more: bool = False


def approve_due(
    self: RescheduleCommands,
    tenant: str | None = None,
    *,
    now: datetime | None = None,
    limit: int = 500,
) -> RescheduleReport:
    """Answer by silence every pending request whose deadline passed by ``now``; a report.

    A request with a proposed time is AUTO_APPROVED and its session moved
    there; one without a time, or whose time can no longer be applied
    (too soon, a conflict, a status that may not be moved, a period without
    the credits its charged participants need), EXPIRES with the reason.
    Each request is answered in a unit of work of its own, under its
    session's lock, and only while still pending: two ticks racing
    answer each request once (one event). ``tenant=None`` does every
    tenant's; at most ``limit`` requests per call (``report.more``).
    """
    ctx = self._ctx
    if tenant is not None:
        check_tenant(tenant)
    limit = check_batch(limit, "limit", _MAX_DUE_BATCH)
    at = ctx.at(now, "now")
    with self._tx(at) as (_tx, repo):
        due = repo.due(tenant, before=at, limit=limit)
    approved: list[RescheduleRequest] = []
    expired: list[RescheduleRequest] = []
    failed: list[tuple[str, Exception]] = []
    for candidate in due:
        try:
            answered = ctx.retrying(self._answer_due, candidate, at)
        except TransientConflict as error:  # the database's, past its runs: reported
            failed.append((candidate.id, error))
            continue
        except ConcurrentModification:
            continue  # another tick answered it first
        except Exception as error:  # noqa: BLE001  # reported: one request must not stop the tick
            failed.append((candidate.id, error))
            continue
        if answered is None:
            continue
        (approved if answered.status == AUTO_APPROVED else expired).append(answered)
    return RescheduleReport(
        approved=tuple(approved),
        expired=tuple(expired),
        failed=tuple(failed),
        more=len(due) >= limit,
    )


def _answer_due(
    self: RescheduleCommands, candidate: RescheduleRequest, at: datetime
) -> RescheduleRequest | None:
    with self._tx(at) as (tx, _repo):
        return self.answer_due_in(tx, candidate, at)


def answer_due_in(
    self: RescheduleCommands, tx: Tx, candidate: RescheduleRequest, at: datetime
) -> RescheduleRequest | None:
    """Answer ``candidate`` by silence inside ``tx`` if it is still pending past its deadline.

    Locks its session first; returns the answered request, or ``None``
    when another answer (a person, another tick) came first. The tick
    (:mod:`sessionkit.services.tick`) calls it in its batches.
    """
    return answer_due(self._ctx, tx, candidate, at)
