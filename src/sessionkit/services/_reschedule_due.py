"""The reschedule tick: answering by silence the requests whose deadline passed.

Private to the services package. :func:`approve_due`, :func:`answer_due_in`
and the unit of work each request is answered in are methods of
:class:`~sessionkit.services.reschedules.RescheduleCommands` (its class body
takes them as attributes); :class:`RescheduleReport`, what a run did, is
exported by :mod:`sessionkit.services.reschedules` and shows, pickles and
resolves its type hints under that module's name. :func:`answer_due` answers
one request by silence. :func:`answer_counted`
answers a session's overdue request for the expiry job, counting the bookings
its move ended (:class:`Answered`).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING

import attrs

from sessionkit.errors import ConcurrentModification, TransientConflict
from sessionkit.model.booking import EXPIRED, HELD, OFFERED, WAITLISTED
from sessionkit.model.html import html_of
from sessionkit.model.reschedule import AUTO_APPROVED, RescheduleRequest
from sessionkit.model.session import Session
from sessionkit.model.text import check_tenant
from sessionkit.ports import RESCHEDULES
from sessionkit.services._context import Context, Tx
from sessionkit.services._editing import booked_lock, lock_session
from sessionkit.services._release import settle_run_out
from sessionkit.services._reschedule_answers import store_answer
from sessionkit.services._reschedule_moves import apply_proposed, release_moved
from sessionkit.services._seats import expire_before_move
from sessionkit.services.booking_requests import check_batch
from sessionkit.services.reports import errors_key

if TYPE_CHECKING:
    from sessionkit.services.reschedules import RescheduleCommands

__all__ = [
    "Answered",
    "RescheduleReport",
    "answer_counted",
    "answer_due_in",
    "answer_request_counted",
    "approve_due",
    "silence_keeps",
]

_MAX_DUE_BATCH = 100_000
"""The most due requests one ``approve_due`` call reads."""

AnswerDue = Callable[[Tx, RescheduleRequest, datetime], RescheduleRequest | None]
"""Answers a due request by silence in a unit (:func:`answer_due_in`): the answer, or ``None``."""


@attrs.frozen(slots=True, kw_only=True)
class RescheduleReport:
    """What one run of :meth:`RescheduleCommands.approve_due` did.

    ``approved``: requests auto-approved (their sessions moved); ``expired``:
    requests without a usable time; ``failed``: ``(request id, error)`` of
    requests left pending by an unexpected error (the next run retries
    them); ``more``: the batch limit was reached. ``bookings_expired`` and
    ``seats_offered`` count what answering ended, as the expiry job counts
    it: the holds, offers and waitlist places that ran out (by a deadline,
    before its answer; since, after it) and the freed seats offered to
    waitlists, which a later ``expire_due`` finds done.
    """

    _repr_html_ = html_of

    approved: tuple[RescheduleRequest, ...] = ()
    expired: tuple[RescheduleRequest, ...] = ()
    failed: tuple[tuple[str, Exception], ...] = attrs.field(default=(), eq=errors_key)
    more: bool = False
    bookings_expired: int = 0
    seats_offered: int = 0


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
    ended = offered = 0
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
        # Counted though another answer came first (None): its unit still settled the session.
        ended, offered = ended + answered.expired, offered + answered.offered
        request = answered.request
        if request is None:
            continue
        (approved if request.status == AUTO_APPROVED else expired).append(request)
    return RescheduleReport(
        approved=tuple(approved),
        expired=tuple(expired),
        failed=tuple(failed),
        more=len(due) >= limit,
        bookings_expired=ended,
        seats_offered=offered,
    )


def _answer_due(self: RescheduleCommands, candidate: RescheduleRequest, at: datetime) -> Answered:
    # As the expiry job answers it: what ran out by the deadline first, settled after.
    with self._tx(at) as (tx, _repo):
        return answer_request_counted(self._ctx, tx, candidate, at, self.answer_due_in)


def answer_due_in(
    self: RescheduleCommands, tx: Tx, candidate: RescheduleRequest, at: datetime
) -> RescheduleRequest | None:
    """Answer ``candidate`` by silence inside ``tx`` if it is still pending past its deadline.

    Locks its session first; returns the answered request, or ``None``
    when another answer (a person, another tick) came first. The tick
    (:mod:`sessionkit.services.tick`) calls it in its batches.
    """
    return answer_due(self._ctx, tx, candidate, at)


@attrs.frozen
class Answered:
    """A request silence answered (``None``: none was due, or another answer came first).

    With what the answer ended: ``expired``, the session's holds, offers and
    waitlist places it marked EXPIRED (they ran out, at the old time by the
    deadline or since, at the new one after a move); ``offered``, the
    waitlist places it offered the seats they freed. ``settled``: the answer's
    unit left the session settled at its instant (what ran out expired, the
    seats offered, the session released if that emptied it), so the expiry
    job has nothing left to settle there and need not read its seats again.
    """

    request: RescheduleRequest | None = None
    expired: int = 0
    offered: int = 0
    settled: bool = False


def answer_counted(ctx: Context, tx: Tx, session: Session) -> tuple[Session, Answered]:
    """Answer ``session``'s request by silence if its deadline passed by ``tx.now``; count it.

    Call with the session locked. As ``answered_overdue`` (the session as it
    is then, moved when approved), with what the answer ended: it marks what
    ran out EXPIRED and offers the freed seats itself
    (:func:`answer_request_counted`), and counts them from here. An answer
    leaves the session settled (``Answered.settled``): the expiry job settles
    it only when none was given, so it reads the session's seats once.
    """
    repo = tx.repository_or_none(RESCHEDULES)
    pending = None if repo is None else repo.pending_for(session.tenant, session.id)
    if pending is None or pending.deadline > tx.now:
        return session, Answered()
    answered = answer_request_counted(ctx, tx, pending, tx.now)
    if answered.request is None or (answered.request.new_start is None and not answered.expired):
        return session, answered
    # Moved, or released if what ran out was its last booking in play: as stored now.
    return tx.sessions.get(session.tenant, session.id), answered


def answer_request_counted(
    ctx: Context,
    tx: Tx,
    candidate: RescheduleRequest,
    at: datetime,
    answer: AnswerDue | None = None,
) -> Answered:
    """:func:`answer_due` of ``candidate`` (or ``answer``), with the bookings it ended.

    ``answer`` answers in its stead (the tick's reschedules pass passes
    :meth:`RescheduleCommands.answer_due_in`). In the order things happened:
    the session's holds, offers and waitlist places that ran out by the
    request's deadline are marked EXPIRED first (silence's answer is dated
    there), then the request is answered; a move ends and offers what ran out
    since itself. The session is then settled here as the expiry job would
    (what ran out since, the freed seats offered, dated now; released if that
    emptied it) unless a move settled it: so the job's settling after it finds
    them done. Each counts once, from here. The session is settled at ``at``
    whichever the answer (``Answered.settled``): a move that ended nothing
    found nothing run out, at the old time by the deadline or at the new one
    by now, so left no seat to offer.
    """
    tenant, session_id = candidate.tenant, candidate.session_id
    bookings = tx.bookings_or_none()
    if bookings is None:
        return Answered(_answer(ctx, tx, candidate, at, answer), settled=True)
    session = lock_session(tx, tenant, session_id)  # as the answer does first: no stale read
    ran_out = expire_before_move(tx, session, moved_at=candidate.deadline, statuses=_WAITING)
    gone = len(ran_out.expired)
    before = {b.id: b.status for b in ran_out.held if b.id not in ran_out.expired}
    answered = _answer(ctx, tx, candidate, at, answer)
    moved = answered is not None and answered.new_start is not None
    if not moved or gone:  # settled as the job would: a move settles only what it ended
        if moved:
            session = tx.sessions.get(tenant, session_id)
        settled = settle_run_out(ctx, tx, session, ended=gone)
        if not moved:
            expired = gone + settled.expired
            return Answered(answered, expired=expired, offered=settled.offered, settled=True)
    if not before:  # nothing else the move could end or offer a seat to
        return Answered(answered, expired=gone, settled=True)
    ended = bookings.for_session(tenant, session_id, statuses=(EXPIRED, OFFERED))
    return Answered(
        answered,
        expired=gone + sum(b.status == EXPIRED and b.id in before for b in ended),
        offered=sum(b.status == OFFERED and before.get(b.id) == WAITLISTED for b in ended),
        settled=True,
    )


def silence_keeps(ctx: Context, tx: Tx, session: Session) -> str | None:
    """Why silence leaves ``session`` where it is though it proposed a time, or ``None``.

    Under booking rules with ``reschedule_booked=False`` a booked session moves
    only by its sides' agreement, and silence is none: a tutor's request her
    student never answered would move his paid seat. A late approve, which may
    only agree with what silence did, is refused alike.
    """
    if ctx.rules_for(session).reschedule_booked:
        return None
    booked = booked_lock(ctx, tx, session)
    return None if booked is None else f"silence does not move a booked session: {booked}"


def answer_due(
    ctx: Context, tx: Tx, candidate: RescheduleRequest, at: datetime
) -> RescheduleRequest | None:
    """Answer ``candidate`` by silence inside ``tx`` if it is still pending past its deadline.

    Locks its session first; returns the answered request (AUTO_APPROVED and
    the session moved, or EXPIRED with the reason), or ``None`` when another
    answer (a person, another tick) came first. Silence approves only what
    was asked: a request made against another start than the session's now
    (the host moved it since, perhaps to before the deadline, so that it has
    taken place) expires, saying so. Either answer is dated at the request's
    deadline (at most now), when silence gave it, whenever the job runs.
    """
    tenant = candidate.tenant
    repo = tx.repository(RESCHEDULES)
    session = lock_session(tx, tenant, candidate.session_id)
    request = repo.get(tenant, candidate.id)
    if not request.pending or request.deadline > at:
        return None
    target = request.proposed_start
    if target is None:
        return store_answer(tx, repo, request, "expire", None, None, timed=True)
    kept = silence_keeps(ctx, tx, session)
    if session.start != request.session_start:
        why = (
            f"the session was moved since the request, from "
            f"{request.session_start.isoformat()} to {session.start.isoformat()}"
        )
    elif kept is not None:
        why = kept
    else:
        approved: list[RescheduleRequest] = []

        def approve() -> None:  # with the move, at the deadline, before what ran out since
            approved.append(
                store_answer(
                    tx,
                    repo,
                    request,
                    "auto_approve",
                    None,
                    None,
                    new_start=target,
                    at=request.deadline,
                )
            )

        applied = apply_proposed(ctx, tx, session, target, request.deadline, answer=approve)
        if not isinstance(applied, str):
            release_moved(ctx, tx, applied, None)
            return approved[0]
        why = f"the proposed time could not be applied: {applied}"
    # Silence's answer, at the deadline as its timer's (its time judged as then, or past now).
    return store_answer(tx, repo, request, "expire", None, None, reason=why, at=request.deadline)


def _answer(
    ctx: Context, tx: Tx, candidate: RescheduleRequest, at: datetime, answer: AnswerDue | None
) -> RescheduleRequest | None:
    """Silence's answer of ``candidate``: :func:`answer_due`'s, or ``answer``'s in its stead."""
    return answer_due(ctx, tx, candidate, at) if answer is None else answer(tx, candidate, at)


_WAITING = (HELD, OFFERED, WAITLISTED)
"""The statuses a move may end (EXPIRED) or offer a seat to (a waitlist place)."""
