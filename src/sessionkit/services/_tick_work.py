"""The four passes of a tick, one per kind of due work, and how each claims its items.

Private to the services package; :func:`sessionkit.services.tick.tick` calls
the passes in the order of :data:`~sessionkit.services.tick.TICK_KINDS`. Each
pass finds its due items (series to top up, reschedule requests past their
deadline, sessions whose timers fell due, sessions with holds or offers run
out), groups them by tenant and hands them to :meth:`TickRun.run
<sessionkit.services._tick_run.TickRun.run>` in batches, with how to claim
them - the series for a top-up, the sessions for the rest - and what to do
with each one claimed. A pass is a generator that yields after each batch, so
that :func:`take_turns` can give the kinds, and the tenants within a pass, a
batch each in turn when the tick may be stopped (``should_stop``): a budget
then spent on one kind's or tenant's backlog leaves none of the others waiting
for it to be cleared.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from datetime import datetime
from functools import partial

from sessionkit.errors import ConcurrentModification, StorageError
from sessionkit.model.reschedule import AUTO_APPROVED, RescheduleRequest
from sessionkit.model.series import Series
from sessionkit.model.session import Session
from sessionkit.ports import RESCHEDULES
from sessionkit.services._context import Tx, raised_after_commit
from sessionkit.services._due_pages import DuePages
from sessionkit.services._release import settle_run_out
from sessionkit.services._reschedule_due import Answered, answer_counted, answer_request_counted
from sessionkit.services._reschedule_steps import requests_due
from sessionkit.services._statuses import advance_before_refusal
from sessionkit.services._tick_run import ALL, Claim, Counts, TickRun, by_tenant, chunks
from sessionkit.services.commands import advance_steps
from sessionkit.services.jobs import due_reach, facts_by_session, timed_statuses
from sessionkit.services.reschedules import RescheduleCommands
from sessionkit.services.series import SeriesCommands, top_up_window

__all__ = ["advance_sessions", "answer_reschedules", "expire_holds", "take_turns", "top_up_series"]


def take_turns(run: TickRun, passes: Iterable[Iterator[None]]) -> Iterator[None]:
    """Step through ``passes`` (each yields after a batch); end once the run stopped.

    Without ``should_stop`` the tick does all that is due, so one pass after
    another, in order. With one, a batch each in turn (a pass that ends leaves
    the turns), so whichever comes first cannot spend the whole budget while the
    others wait: the order is fair without any state kept from tick to tick.
    """
    if run.should_stop is None:
        for steps in passes:
            if run.stopped:
                return
            yield from steps
        return
    turns = deque(passes)
    while turns and not run.stopped:
        steps = turns.popleft()
        if next(steps, False) is None:  # a batch done (else the pass ended)
            turns.append(steps)
            yield


def _series_of(tenant: str) -> Claim[Series]:
    def claim(tx: Tx, keys: list[str]) -> Sequence[Series]:
        return tx.series.claim(tenant, keys)

    return claim


def _sessions_of(tenant: str) -> Claim[Session]:
    def claim(tx: Tx, keys: list[str]) -> Sequence[Session]:
        return tx.sessions.claim(tenant, keys)

    return claim


def _noting(
    claim: Claim[Session], tenant: str, passed: set[tuple[str, str]] | None
) -> Claim[Session]:
    """``claim``, the sessions of ``keys`` it did not claim (held elsewhere) put in ``passed``."""
    if passed is None:
        return claim

    def noted(tx: Tx, keys: list[str]) -> Sequence[Session]:
        claimed = claim(tx, keys)
        passed.update((tenant, key) for key in set(keys) - {s.id for s in claimed})
        return claimed

    return noted


def _seats_of(tenant: str) -> Claim[Session]:
    def claim(tx: Tx, keys: list[str]) -> Sequence[Session]:
        claimed = {s.id for s in tx.sessions.claim(tenant, keys)}  # locked in id order
        # The booking repository's own lock too, which its seat checks trust
        # (the row is already this unit's, so it does not wait); in the order of
        # ``keys``, the one the sessions fell due in, so their events are in time order.
        return [tx.bookings.lock_session(tenant, key) for key in keys if key in claimed]

    return claim


def _requests_of(tenant: str, requests: dict[str, RescheduleRequest]) -> Claim[RescheduleRequest]:
    def claim(tx: Tx, keys: list[str]) -> Sequence[RescheduleRequest]:
        # A request is claimed through its session: the lock every answer takes first.
        claimed = {s.id for s in tx.sessions.claim(tenant, {requests[k].session_id for k in keys})}
        return [requests[k] for k in keys if requests[k].session_id in claimed]

    return claim


def _top_up_due(run: TickRun, series: Series) -> bool:
    try:
        return top_up_window(series, run.at) is not None
    except Exception as error:  # noqa: BLE001  # reported: one series must not stop the tick
        run.fail("top_up", series.tenant, series.id, error)
        return False


def top_up_series(run: TickRun, tenant: str | None, series: SeriesCommands) -> Iterator[None]:
    """Refill the rolling windows of the active series that need it (kind ``top_up``)."""
    with run.ctx.transaction(run.at) as tx:
        due = [(s.tenant, s.id) for s in tx.series.active(tenant) if _top_up_due(run, s)]

    def work(tx: Tx, found: Series, counts: Counts) -> None:
        report = series.top_up_in(tx, found, actor=run.actor)
        if report is not None:
            counts.topped_up += 1
            counts.generated += len(report.created)

    def of(owner: str, ids: list[str]) -> Iterator[None]:
        for chunk in chunks(ids, run.batch):
            run.run("top_up", owner, chunk, _series_of(owner), work)
            if run.stopped:
                return
            yield

    yield from take_turns(run, [of(owner, ids) for owner, ids in by_tenant(due).items()])


def advance_sessions(
    run: TickRun,
    tenant: str | None,
    *,
    skip: Collection[tuple[str, str]] = (),
    passed: set[tuple[str, str]] | None = None,
) -> Iterator[None]:
    """Move the sessions whose timed transitions fell due, page by page (kind ``advance``).

    ``skip`` holds the ``(tenant, session_id)`` this tick reported failed or
    held elsewhere already (``(tenant, "*")``: the tenant's due sessions could
    not be read): a pass run again leaves them, so that each is tried, and
    reported or counted, once a tick. Those held elsewhere go in ``passed``.
    """
    ctx = run.ctx
    reach = due_reach(ctx.lifecycles, run.at)
    if reach is None:
        return
    statuses, bound = reach
    timed = timed_statuses(ctx.lifecycles)
    if tenant is None:
        with ctx.transaction(run.at) as tx:
            tenants = tx.sessions.due_tenants(
                statuses=statuses, start_before=bound, lifecycles=timed
            )
    else:
        tenants = [tenant]

    answering = [not run.answered]  # per page: whether a request of its tenant is overdue

    def work(tx: Tx, session: Session, counts: Counts) -> None:
        if answering[0]:  # answered here, counted as the reschedules pass counts them
            session, answered = answer_counted(ctx, tx, session)
            _count_answer(counts, answered)
        if advance_steps(ctx, tx, session, run.actor, answer=False)[1]:
            counts.advanced += 1

    def of(owner: str) -> Iterator[None]:
        if (owner, ALL) in skip:
            return
        after: tuple[datetime, str] | None = None
        while True:
            try:
                with ctx.transaction(run.at) as tx:
                    page = tx.sessions.due(
                        owner,
                        statuses=statuses,
                        start_before=bound,
                        after=after,
                        limit=run.batch,
                        lifecycles=timed,
                    )
                    answering[0] = bool(page) and not run.answered and requests_due(tx, owner)
            except (StorageError, ConcurrentModification) as error:
                run.fail("advance", owner, ALL, error)  # the tenant's rest stays due
                break
            if not page:
                break
            after = (page[-1].start, page[-1].id)
            full = len(page) == run.batch
            page = [candidate for candidate in page if (owner, candidate.id) not in skip]
            if ctx.facts is not None and page and run.stopping():
                # The host's provider may be slow (down: a timeout per call, a page's calls
                # each alone), and no batch may start to ask before: its time is the tick's.
                return  # these candidates stay due: more
            facts = facts_by_session(run.ctx, run.at, page, partial(run.fail, "advance", owner))
            due: list[str] = []
            for candidate in page:
                if facts is not None and candidate.id not in facts:
                    continue  # its facts failed: reported
                try:
                    known = None if facts is None else facts[candidate.id]
                    machine = ctx.lifecycle(candidate.lifecycle)
                    # Only timers due by now are asked: a later one's facts do not exist yet.
                    when = machine.next_due(candidate, facts=known, by=run.at)
                except Exception as error:  # noqa: BLE001  # reported: one session must not stop the tick
                    run.fail("advance", owner, candidate.id, error)
                    continue
                if when is not None and when <= run.at:
                    due.append(candidate.id)
            if due:
                run.run(
                    "advance",
                    owner,
                    due,
                    _noting(_sessions_of(owner), owner, passed),
                    work,
                    partly=_before(run, owner),
                )
                if run.stopped:
                    return  # no page read past it: the rest stays due
                yield
            if not full:
                break

    yield from take_turns(run, [of(owner) for owner in tenants])


def expire_holds(run: TickRun, tenant: str | None) -> Iterator[None]:
    """Expire the holds, offers and waitlist places that ran out, passing freed seats on.

    Kind ``expire_holds``: a waitlist place runs out when its session starts.
    Unless this tick answered every reschedule request due (its earlier pass),
    a session's request past its deadline is answered by silence first, so
    what ran out is judged at the start the answer gave the session.
    """
    ctx = run.ctx
    answering = [not run.answered]  # per page: whether a request is overdue (one read)

    def work(tx: Tx, session: Session, counts: Counts) -> None:
        if answering[0]:  # a request's silence first: a waitlist runs out at the new start
            session, answered = answer_counted(ctx, tx, session)
            _count_answer(counts, answered)
            if answered.settled:  # the answer settled it: nothing left, no second read
                return
        settled = settle_run_out(ctx, tx, session)
        counts.expired += settled.expired
        counts.offered += settled.offered

    def due(limit: int) -> Sequence[tuple[str, str]] | None:
        with ctx.transaction(run.at) as tx:
            bookings = tx.bookings_or_none()
            if bookings is None:
                return None
            found = bookings.expiring(tenant, before=run.at, limit=limit)
            answering[0] = bool(found) and not run.answered and requests_due(tx, tenant)
        return [(b.tenant, b.session_id) for b in found]

    pages = DuePages(due, run.batch)
    for fresh in pages:
        # A tenant's sessions in the order they fell due (DuePages keeps the read's), a
        # batch at a time: a read that asked past rows settled elsewhere since finds more.
        for owner, session_ids in by_tenant(fresh).items():
            for chunk in chunks(session_ids, run.batch):
                failed = len(run.failed)
                run.run("expire_holds", owner, chunk, _seats_of(owner), work)
                _still_due(run, pages, failed)
                if run.stopped:
                    return
                yield


def _still_due(run: TickRun, pages: DuePages, since: int) -> None:
    """Tell ``pages`` the items reported failed from failure ``since`` on: still due, rolled back.

    The next read then asks past their rows at once, rather than finding only
    them again (a read wasted per page of failures) before it asks past them.
    """
    for failure in run.failed[since:]:
        pages.failed((failure.tenant, failure.item_id))


def _count_answer(counts: Counts, answered: Answered) -> None:
    """Count a request silence answered: ``approved`` (AUTO_APPROVED) or ``lapsed``.

    And what its move ended, in whichever pass answered it: the holds and
    offers that ran out (``expired``), the seats they freed (``offered``),
    as ``kit.bookings.expire_due`` counts them.
    """
    counts.expired += answered.expired
    counts.offered += answered.offered
    if answered.request is None:
        return
    if answered.request.status == AUTO_APPROVED:
        counts.approved += 1
    else:
        counts.lapsed += 1


def answer_reschedules(
    run: TickRun, tenant: str | None, commands: RescheduleCommands
) -> Iterator[None]:
    """Answer the reschedule requests past their deadline (kind ``reschedules``)."""
    ctx = run.ctx
    pending: dict[tuple[str, str], RescheduleRequest] = {}

    def work(tx: Tx, request: RescheduleRequest, counts: Counts) -> None:
        _count_answer(
            counts, answer_request_counted(ctx, tx, request, run.at, commands.answer_due_in)
        )

    def due(limit: int) -> Sequence[tuple[str, str]] | None:
        with ctx.transaction(run.at) as tx:
            repo = tx.repository_or_none(RESCHEDULES)
            if repo is None:
                return None
            found = repo.due(tenant, before=run.at, limit=limit)
        pending.update(((r.tenant, r.id), r) for r in found)
        return [(r.tenant, r.id) for r in found]

    pages = DuePages(due, run.batch)
    for fresh in pages:
        for owner, request_ids in by_tenant(fresh).items():
            for chunk in chunks(request_ids, run.batch):  # a batch at a time, as above
                requests = {i: pending[(owner, i)] for i in chunk}
                failed = len(run.failed)
                run.run("reschedules", owner, chunk, _requests_of(owner, requests), work)
                _still_due(run, pages, failed)
                if run.stopped:
                    return
                yield


def _before(run: TickRun, tenant: str) -> Callable[[str, Exception], Counts]:
    """Store the steps of a session due before the one refused (``advance_before_refusal``)."""

    def partly(session_id: str, error: Exception) -> Counts:
        try:
            done = advance_before_refusal(run.ctx, tenant, session_id, run.at, run.actor, error)
        except Exception as late:
            if not raised_after_commit(late):
                raise
            # Stored, then an event handler raised: raised once the tick has done the rest,
            # as for a batch, and the steps stored count.
            run.published.append(late)
            return Counts(advanced=1)
        return Counts(advanced=0 if done is None else 1)

    return partly
