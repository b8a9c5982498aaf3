"""A tick's run: its report, and the runner that claims and does due items in batches.

Private to the services package; :func:`sessionkit.services.tick.tick` drives
it, and the passes in ``_tick_work`` hand it their batches. :class:`TickRun`
does one batch in one unit of work that first claims its items, so the change
that makes an item no longer due commits with the claim; a batch that fails
is run again item by item, so one bad item is reported (:class:`TickFailure`)
and stays due while the rest are done. Counts of a batch are added to the
tick's (:class:`TickReport`) only once the batch committed. Before each batch
the run asks the tick's ``should_stop``; once it says stop, no batch starts
again and the report says ``more``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from typing import TypeVar

import attrs

from sessionkit.errors import WrongType
from sessionkit.model.html import html_of
from sessionkit.services._context import Context, Tx, raise_late, raised_after_commit
from sessionkit.services._context_retry import note
from sessionkit.services.reports import error_key

__all__ = [
    "ALL",
    "COUNT_FIELDS",
    "Claim",
    "Counts",
    "TickFailure",
    "TickReport",
    "TickRun",
    "Work",
    "by_tenant",
    "chunks",
]

R = TypeVar("R")


ALL = "*"
"""The ``item_id`` (and ``tenant``) of a failure to read what is due: the kind's every item.

Also the ``item_id`` of a failed batch whose items a stopped tick did not run alone.
"""


@attrs.frozen(slots=True, kw_only=True)
class TickFailure:
    """An item a tick could not do (it stays due), and the error it met.

    ``kind`` is one of :data:`~sessionkit.services.tick.TICK_KINDS`;
    ``item_id`` the series, session or reschedule request id, or :data:`ALL`
    (``"*"``) when reading which items are due failed (``tenant`` is ``"*"``
    too when the tick was for every tenant), or when a batch failed and the
    tick's ``should_stop`` stopped it before any of its items run alone failed
    (the batch's error; its items stay due).
    """

    _repr_html_ = html_of

    kind: str
    tenant: str
    item_id: str
    error: Exception = attrs.field(eq=error_key)


@attrs.frozen(slots=True, kw_only=True)
class TickReport:
    """What one tick did (so far, when handed to a progress callback).

    ``topped_up`` series refilled with ``generated`` new sessions;
    ``approved`` and ``lapsed`` reschedule requests (auto-approved, expired
    without a usable time); ``advanced`` sessions moved by their timers;
    ``expired`` holds and offers run out (and waitlist places of sessions that
    started) and ``offered`` freed seats passed to waitlists, in whichever pass
    ended them (what ran out by a request's deadline, which silence's answer settles first,
    and a silence move's run-out holds and offers too). ``held`` counts
    due items another unit of work held (another worker does them), ``failed``
    the items left due by an error. ``tenants`` were touched (something done),
    in ``batches`` units of work that committed (that did something: a batch
    whose items were all held elsewhere, or found done already, is not counted).
    ``more`` says the tick stopped before a batch of due items (or a page of
    candidates whose facts were not asked) because its ``should_stop`` said so:
    what it did committed, the rest is still due (tick again).
    """

    _repr_html_ = html_of

    now: datetime
    topped_up: int = 0
    generated: int = 0
    approved: int = 0
    lapsed: int = 0
    advanced: int = 0
    expired: int = 0
    offered: int = 0
    held: int = 0
    failed: tuple[TickFailure, ...] = ()
    tenants: tuple[str, ...] = ()
    batches: int = 0
    more: bool = False

    @property
    def done(self) -> int:
        """How many items were done: series, requests, sessions and bookings."""
        return self.topped_up + self.approved + self.lapsed + self.advanced + self.expired

    @property
    def idle(self) -> bool:
        """Whether the tick found nothing to do (failed or held items aside)."""
        return self.done == 0

    def summary(self) -> str:
        """Return the report as one line a person reads (the CLI prints it).

        "over N tenants" counts the tenants work was done for (:attr:`tenants`);
        a tick that did nothing leaves it out, as "over 0 tenants" read as if
        the tick had found no tenant at all.
        """
        over = f" over {len(self.tenants):,} tenants" if self.tenants else ""
        return (
            f"{self.done:,} done in {self.batches:,} batches{over}: "
            f"{self.topped_up:,} series topped up (+{self.generated:,} sessions), "
            f"{self.approved:,} reschedules approved, {self.lapsed:,} lapsed, "
            f"{self.advanced:,} sessions advanced, {self.expired:,} bookings expired "
            f"({self.offered:,} seats offered); {self.held:,} held elsewhere, "
            f"{len(self.failed):,} failed" + ("; stopped early, more is due" if self.more else "")
        )


@attrs.define
class Counts:
    """Counts of one batch, added to the tick's only once the batch committed."""

    topped_up: int = 0
    generated: int = 0
    approved: int = 0
    lapsed: int = 0
    advanced: int = 0
    expired: int = 0
    offered: int = 0


COUNT_FIELDS = tuple(f.name for f in attrs.fields(Counts))
"""The names of the counts, as :class:`TickReport` has them too."""

Claim = Callable[[Tx, list[str]], Sequence[R]]
"""Lock the items of a batch (by key) that no other unit of work holds; return them."""
Work = Callable[[Tx, R, Counts], None]
"""Do one claimed item inside the batch's unit of work, counting what it did."""


REPORT_ATTRIBUTE = "tick_report"
"""The attribute of an error raised after a tick's batches committed: the tick's report."""


class TickRun:
    """One tick's run: its instant, batch size, tallies and progress callback."""

    def __init__(
        self,
        ctx: Context,
        *,
        at: datetime,
        batch: int,
        actor: str | None,
        progress: Callable[[TickReport], None] | None,
        should_stop: Callable[[], bool] | None = None,
    ) -> None:
        self.ctx = ctx
        self.at = at
        self.batch = batch
        self.actor = actor
        self.progress = progress
        self.counts = Counts()
        self.held = 0
        self.failed: list[TickFailure] = []
        self.tenants: set[str] = set()
        self.batches = 0
        self.published: list[Exception] = []
        """Errors raised after a batch committed (an event handler's, the progress callback's):
        raised by :meth:`done`."""
        self.answered = False
        """Whether this tick answered every reschedule request due at :attr:`at` (none failed,
        none held by another tick): its status pass then asks no session about one again."""
        self.should_stop = should_stop
        self.stopped = False
        """Whether ``should_stop`` said stop before a batch: none starts again (``more``)."""

    def report(self) -> TickReport:
        """Return what the tick did so far."""
        return TickReport(
            now=self.at,
            **{name: getattr(self.counts, name) for name in COUNT_FIELDS},
            held=self.held,
            failed=tuple(self.failed),
            tenants=tuple(sorted(self.tenants)),
            batches=self.batches,
            more=self.stopped,
        )

    def done(self) -> TickReport:
        """Return the report, or raise the first error met after a batch committed.

        Such an error (an event handler's, a publisher's, the progress
        callback's) reaches the caller, as after any command, once every
        batch has been done and counted;
        the :class:`TickReport` is its ``tick_report`` attribute, and its
        summary and failures are in its notes.
        """
        report = self.report()
        raise_late(
            self.published,
            "the tick",
            report,
            "batch",
            summary=report.summary(),
            details=(
                f"failed {failure.kind} {failure.tenant}/{failure.item_id}: {failure.error}"
                for failure in report.failed[:20]
            ),
            attribute=REPORT_ATTRIBUTE,
        )
        return report

    def run(
        self,
        kind: str,
        tenant: str,
        keys: Sequence[str],
        claim: Claim[R],
        work: Work[R],
        *,
        partly: Callable[[str, Exception], Counts] | None = None,
    ) -> None:
        """Claim ``keys`` and do the claimed items in one unit of work; one by one on an error.

        ``partly`` is asked, for an item that failed alone, to do what of it
        can be done despite the error (in units of work of its own); the item
        is still reported failed. Nothing starts once :meth:`stopping` says
        stop, asked before the batch and, run item by item, before each item.
        """
        if self.stopping():
            return

        def attempt(chunk: list[str]) -> tuple[Counts, int]:
            counts = Counts()
            claimed: Sequence[R] = ()
            try:
                # A top-up skips the occurrences its read found busy (planned).
                with self.ctx.transaction(self.at, planned=kind == "top_up") as tx:
                    claimed = claim(tx, chunk)
                    for record in claimed:
                        work(tx, record, counts)
            except Exception as error:
                if not raised_after_commit(error):
                    raise
                # Committed, then publishing its events (or a provider call) raised: the
                # batch is done; the error is raised once the tick has done the rest.
                self.published.append(error)
            return counts, len(chunk) - len(claimed)

        wanted = list(dict.fromkeys(keys))
        try:
            self._add(tenant, *self.ctx.retrying(attempt, wanted))
        except Exception as error:  # noqa: BLE001  # one item must not stop the tick
            if len(wanted) == 1:
                self.fail(kind, tenant, wanted[0], error)
                self._partly(partly, tenant, wanted[0], error)
            else:
                # Each item again in a unit of work of its own: a batch each, reported each.
                failed = len(self.failed)
                for key in wanted:
                    if self.stopping():  # the items not tried stay due, for the next tick
                        if len(self.failed) == failed:  # none run alone failed: say why
                            note(
                                error,
                                f"raised by a batch of {len(wanted)}; the tick's should_stop "
                                "stopped it before it ran them alone to find which raised it",
                            )
                            self.fail(kind, tenant, ALL, error)
                        return
                    try:
                        self._add(tenant, *self.ctx.retrying(attempt, [key]))
                    except Exception as one:  # noqa: BLE001  # reported; the item stays due
                        self.fail(kind, tenant, key, one)
                        self._partly(partly, tenant, key, one)
                    self._progress()
                return
        self._progress()

    def stopping(self) -> bool:
        """Whether to start no more batches: ``should_stop`` said so, now or before.

        Asked between batches only, never inside a unit of work. Once it says
        stop it is not asked again. An error it raises, or an answer other than
        ``True`` or ``False``, stops the tick too (a deadline that cannot be
        read is no reason to run on) and is raised by :meth:`done`.
        """
        if self.stopped or self.should_stop is None:
            return self.stopped
        try:
            answer: object = self.should_stop()
            if not isinstance(answer, bool):
                raise WrongType(answer, name="should_stop()", expected="True or False")
            self.stopped = answer
        except Exception as error:  # noqa: BLE001  # raised by done(), the report with it
            # note(), not add_note: a frozen error class refuses __notes__ (see note).
            note(error, "raised by the tick's should_stop, which stopped the tick")
            self.published.append(error)
            self.stopped = True
        return self.stopped

    def _progress(self) -> None:
        """Hand the report so far to the callback; its error is raised by :meth:`done`.

        The host's callback runs after a commit, as an event handler does, and
        is treated alike: what was committed counts, the tick does the rest
        (a ``StorageError`` of the callback's is not a failed read of what is
        due), and the callback is not called again.
        """
        if self.progress is None:
            return
        try:
            self.progress(self.report())
        except Exception as error:  # noqa: BLE001  # raised by done(), the report with it
            self.progress = None
            note(error, "raised by the tick's progress callback, not called again after it")
            self.published.append(error)

    def _partly(
        self,
        partly: Callable[[str, Exception], Counts] | None,
        tenant: str,
        key: str,
        error: Exception,
    ) -> None:
        """Have ``partly`` do what of failed item ``key`` can be done; count it.

        An error it raises is the item's, reported already: ``partly`` itself
        hands one met after it committed to :attr:`published`.
        """
        if partly is None:
            return
        try:
            counts = partly(key, error)
        except Exception:  # noqa: BLE001  # see above
            return
        if any(getattr(counts, name) for name in COUNT_FIELDS):  # else nothing was committed
            self._add(tenant, counts, 0)

    def _add(self, tenant: str, counts: Counts, held: int) -> None:
        """Count a committed batch: ``counts`` of what it did, ``held`` items held elsewhere.

        Only a batch that did something is one of :attr:`batches`: one whose items were
        all held by another unit of work (or done already) committed no work.
        """
        self.held += held
        done = False
        for name in COUNT_FIELDS:
            value = getattr(counts, name)
            done = done or value > 0
            setattr(self.counts, name, getattr(self.counts, name) + value)
        if done:
            self.batches += 1
            self.tenants.add(tenant)

    def fail(self, kind: str, tenant: str, item_id: str, error: Exception) -> None:
        """Report ``item_id`` as not done (it stays due), with the error it met."""
        self.failed.append(TickFailure(kind=kind, tenant=tenant, item_id=item_id, error=error))


def chunks(items: Sequence[str], size: int) -> Iterable[list[str]]:
    """Yield ``items`` in lists of at most ``size``, in order."""
    for start in range(0, len(items), size):
        yield list(items[start : start + size])


def by_tenant(pairs: Iterable[tuple[str, str]]) -> dict[str, list[str]]:
    """Group ``(tenant, key)`` pairs by tenant, tenants sorted, keys in the order given."""
    grouped: dict[str, list[str]] = {}
    for tenant, key in pairs:
        grouped.setdefault(tenant, []).append(key)
    return {tenant: grouped[tenant] for tenant in sorted(grouped)}
