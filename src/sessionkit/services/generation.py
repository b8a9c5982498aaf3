"""Materialising series: occurrences of the schedule items become sessions, conflicts skipped.

The planning here is shared by creation, explicit windows, the rolling
``top_up`` and schedule changes (:mod:`sessionkit.services.reconcile`): expand
every schedule item over the window, ask storage once for the busy sessions of
the items' resources in that window, and check each occurrence against a
:class:`~sessionkit.conflicts.ConflictIndex` that also holds the sessions
planned earlier in the same batch.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from itertools import islice
from typing import Self

import attrs

from sessionkit.conflicts import ConflictIndex
from sessionkit.errors import InvalidValue, LimitExceeded
from sessionkit.errors._base import shown
from sessionkit.lifecycle import Lifecycle
from sessionkit.limits import DEFAULT_LIMITS, Limits
from sessionkit.model.events import DomainEvent, SessionCreated, SessionsRegenerated
from sessionkit.model.series import ScheduleItem, Series
from sessionkit.model.session import MAX_ID_LENGTH, ResourceRef, Session
from sessionkit.recurrence import Occurrence
from sessionkit.services._context import Context, Tx
from sessionkit.services._usage import assign_codes
from sessionkit.services.reports import MaterialiseReport, Skipped
from sessionkit.timespan import TimeSpan

__all__ = [
    "BusyIndex",
    "Wanted",
    "holders_of",
    "materialise_in",
    "plan",
    "record_materialised",
    "check_keys",
    "skipped_occurrence",
    "wanted_occurrences",
]


@attrs.frozen(slots=True)
class Wanted:
    """One occurrence a schedule item asks for: the item and the occurrence, in start order."""

    item: ScheduleItem
    occurrence: Occurrence

    @property
    def span(self) -> TimeSpan:
        """When the occurrence takes place."""
        return self.occurrence.span

    @property
    def key(self) -> datetime:
        """The occurrence key (naive local start)."""
        return self.occurrence.key


def wanted_occurrences(
    series: Series, start: datetime, end: datetime, limits: Limits = DEFAULT_LIMITS
) -> list[Wanted]:
    """Return the occurrences of every schedule item starting in ``[start, end)``, by start.

    Raises ``LimitExceeded`` as soon as there are more than
    ``limits.sessions_per_materialisation`` of them, or an item's expansion
    examines more than ``limits.candidates`` candidates.
    """
    found: list[tuple[datetime, int, Wanted]] = []
    if end <= start:
        return []
    most = limits.sessions_per_materialisation
    for order, item in enumerate(series.items):
        occurrences = item.recurrence.between(start, end, max_candidates=limits.candidates)
        found.extend(
            (occ.span.start, order, Wanted(item, occ))
            for occ in islice(occurrences, most + 1 - len(found))
        )
        if len(found) > most:
            raise LimitExceeded(
                "sessions_per_materialisation",
                len(found),
                most,
                what=f"occurrences of series {shown(series.id)} from {start.isoformat()} to "
                f"{end.isoformat()} (counted so far)",
            )
    found.sort(key=lambda row: (row[0], row[1]))
    return [row[2] for row in found]


def check_keys(series: Series, wanted: Sequence[Wanted]) -> None:
    """Refuse two occurrences of one local start at different instants (``InvalidValue``).

    A generated session is keyed by its occurrence's local start (RFC 5545's
    RECURRENCE-ID), unique in its series: items in two zones at the same
    local time (18:00 in Berlin and in New York) would give one key to two
    sessions, and the second would never be made. Two items giving the very
    same occurrence (same instant) are one session, as before. Creating or
    changing a series checks the window it generates; a top-up does not
    (a series stored before, or items that collide only in some seasons,
    keep generating, the colliding occurrence skipped as ``"exists"``).
    """
    seen: dict[datetime, Wanted] = {}
    for wish in wanted:
        first = seen.setdefault(wish.key, wish)
        if first.span.start != wish.span.start and first.item.id == wish.item.id:
            # One item: an RDATE in the hour a fold repeats, beside the rule's reading of it.
            raise InvalidValue(
                f"schedule item {shown(wish.item.id)} ({wish.item.recurrence.tz}) of series "
                f"{shown(series.id)} gives two occurrences at local {wish.key.isoformat()}, at "
                f"{first.span.start.isoformat()} and {wish.span.start.isoformat()} (the clocks "
                "repeat that hour); a series keys its sessions by local start, so give one of "
                "them another time or its own series",
                value=(wish.item.id, wish.key),
                expected="one instant per local start in a series",
            )
        if first.span.start != wish.span.start:
            raise InvalidValue(
                f"schedule items {shown(first.item.id)} ({first.item.recurrence.tz}) and "
                f"{shown(wish.item.id)} ({wish.item.recurrence.tz}) of series {shown(series.id)} "
                "both "
                f"give an occurrence at local {wish.key.isoformat()}, at two instants; a "
                "series keys its sessions by local start, so put them in two series or at "
                "other times",
                value=(first.item.id, wish.item.id),
                expected="one instant per local start in a series",
            )


class BusyIndex:
    """Busy sessions that may block a batch, indexed by id, read from storage in one query."""

    def __init__(self) -> None:
        self.index: ConflictIndex[str] = ConflictIndex()
        self.sessions: dict[str, Session] = {}

    @classmethod
    def load(
        cls, tx: Tx, tenant: str, wanted: Sequence[Wanted], *, exclude: Iterable[str] = ()
    ) -> Self:
        """Read the busy sessions on the wanted items' resources over the batch's whole span."""
        busy = cls()
        resources = sorted({ref for w in wanted for ref in w.item.resources})
        if not wanted or not resources:
            return busy
        envelope = TimeSpan(min(w.span.start for w in wanted), max(w.span.end for w in wanted))
        for session in tx.sessions.busy_overlapping(
            tenant, resources=resources, span=envelope, exclude_ids=tuple(exclude)
        ):
            busy.add(session)
        return busy

    def add(self, session: Session) -> None:
        """Index (or re-index) ``session`` if it is busy; drop it if it is not."""
        if session.busy and session.resources:
            self.index.add(session.id, session.span, session.resources)
            self.sessions[session.id] = session
        else:
            self.discard(session.id)

    def discard(self, session_id: str) -> None:
        """Forget ``session_id`` (deleted, or about to be re-indexed)."""
        self.index.discard(session_id)
        self.sessions.pop(session_id, None)

    def blocker(
        self, span: TimeSpan, resources: Sequence[ResourceRef], *, exclude: str | None = None
    ) -> tuple[Session, ResourceRef] | None:
        """Return the first busy session colliding with ``span`` on ``resources``, and the resource."""  # noqa: E501
        if not resources:
            return None
        keys = self.index.conflicts_with(
            span, resources, exclude=() if exclude is None else (exclude,)
        )
        if not keys:
            return None
        first = self.sessions[self.choose(keys)]
        shared = sorted(set(first.resources) & set(resources))
        return first, shared[0]

    def choose(self, keys: Sequence[str]) -> str:
        """Return the blocker to report among colliding ``keys`` (by start, then as added)."""
        return keys[0]


def new_session(
    ctx: Context,
    series: Series,
    machine: Lifecycle,
    wanted: Wanted,
    *,
    now: datetime,
    actor: str | None,
    like: Session | None = None,
) -> Session:
    """Return the session for ``wanted`` in the lifecycle's entry status (not stored).

    A generated session has a time, so it enters the status a session with a
    time starts in (:attr:`~sessionkit.lifecycle.Lifecycle.entry_status`):
    busy there, it is checked for conflicts and its timers apply.

    ``like`` is a session this call made earlier for the same series, schedule
    item, ``now`` and ``actor``: its checked fields are reused and only the new
    id is checked (the span and key come from the recurrence), which is most of
    the cost of generating a long window. A new id that fails the quick check
    goes through the full constructor, so it is refused with the usual error.
    """
    session_id = ctx.ids()
    if like is not None and type(session_id) is str and 0 < len(session_id) <= MAX_ID_LENGTH:
        return Session.unchecked(
            id=session_id,
            tenant=like.tenant,
            title=like.title,
            span=wanted.span,
            tz=like.tz,
            status=like.status,
            lifecycle=like.lifecycle,
            busy=like.busy,
            created_at=like.created_at,
            created_by=like.created_by,
            resources=like.resources,
            series_id=like.series_id,
            schedule_item_id=like.schedule_item_id,
            occurrence_key=wanted.key,
            capacity=like.capacity,
            metadata=like.metadata,
            group=like.group,
        )
    status = machine.entry_status
    return Session(
        id=session_id,
        tenant=series.tenant,
        title=wanted.item.title or series.title,
        span=wanted.span,
        tz=wanted.item.recurrence.tz,
        status=status,
        lifecycle=machine.name,
        busy=machine.status(status).busy,
        created_at=now,
        created_by=actor,
        resources=wanted.item.resources,
        series_id=series.id,
        schedule_item_id=wanted.item.id,
        occurrence_key=wanted.key,
        capacity=series.capacity,
        group=series.group,
    )


def plan(
    ctx: Context,
    series: Series,
    wanted: Sequence[Wanted],
    *,
    holders: Sequence[Session],
    busy: BusyIndex,
    now: datetime,
    actor: str | None,
) -> tuple[list[Session], list[Skipped]]:
    """Decide which wanted occurrences become sessions; nothing is stored.

    An occurrence is skipped as ``"exists"`` when one of ``holders`` (the
    series' sessions) has its key or starts at the same instant, and as
    ``"conflict"`` when ``busy`` holds a colliding session. Sessions planned
    here join ``busy``, so the batch cannot double-book itself.
    """
    machine = ctx.lifecycle(series.lifecycle)
    by_key = {s.occurrence_key: s for s in holders if s.occurrence_key is not None}
    by_start = {s.start: s for s in holders}
    created: list[Session] = []
    skipped: list[Skipped] = []
    # Per schedule item, its first session, built with every check; the rest copy its fields.
    first_of: dict[str, Session] = {}
    for item in wanted:
        holder = by_key.get(item.key) or by_start.get(item.span.start)
        if holder is not None:
            skipped.append(skipped_occurrence(series, item, "exists", holder, None))
            continue
        like = first_of.get(item.item.id)
        session = new_session(ctx, series, machine, item, now=now, actor=actor, like=like)
        if like is None:
            ctx.check_capacity(session)  # the item's other sessions share its fields
            first_of[item.item.id] = session
        if session.busy:
            hit = busy.blocker(session.span, session.resources)
            if hit is not None:
                skipped.append(skipped_occurrence(series, item, "conflict", hit[0], hit[1]))
                continue
            busy.add(session)
        by_key[item.key] = session
        by_start[session.start] = session
        created.append(session)
    return created, skipped


def skipped_occurrence(
    series: Series,
    wanted: Wanted,
    reason: str,
    blocking: Session,
    resource: ResourceRef | None,
) -> Skipped:
    """Report ``wanted`` not made: ``"conflict"`` (busy ``resource``) or ``"exists"`` (held)."""
    return Skipped(
        series_id=series.id,
        item_id=wanted.item.id,
        key=wanted.key,
        span=wanted.span,
        reason="conflict" if reason == "conflict" else "exists",
        blocking=blocking,
        resource=resource,
    )


def holders_of(tx: Tx, series: Series, wanted: Sequence[Wanted]) -> list[Session]:
    """Return the series' sessions that may hold a wanted occurrence: same key or same start.

    Reads the sessions with the wanted occurrence keys and those starting
    in the wanted span, never the series' whole history.
    """
    if not wanted:
        return []
    first = min(w.span.start for w in wanted)
    last = max(w.span.start for w in wanted)
    found = {
        s.id: s
        for s in tx.sessions.for_series(series.tenant, series.id, start_from=first)
        if s.start <= last
    }
    by_key = tx.sessions.for_occurrences(series.tenant, series.id, [w.key for w in wanted])
    found.update((s.id, s) for s in by_key.values())
    return sorted(found.values(), key=lambda s: (s.start, s.id))


def materialise_in(
    ctx: Context,
    tx: Tx,
    series: Series,
    window: TimeSpan,
    *,
    actor: str | None,
    check: bool = False,
) -> MaterialiseReport:
    """Create the sessions of ``series`` starting in ``window`` inside ``tx``, with events.

    The series itself is not written; callers move ``generated_until``.
    ``check``: refuse occurrence keys two items share (:func:`check_keys`), as
    creating a series does.
    """
    wanted = wanted_occurrences(series, window.start, window.end, ctx.limits)
    if check:
        check_keys(series, wanted)
    created: list[Session] = []
    skipped: list[Skipped] = []
    if wanted:
        holders = holders_of(tx, series, wanted)
        busy = BusyIndex.load(tx, series.tenant, wanted)
        created, skipped = plan(
            ctx, series, wanted, holders=holders, busy=busy, now=tx.now, actor=actor
        )
        if created:
            created = assign_codes(ctx, tx, created)
            tx.sessions.add_many(created)
    return record_materialised(tx, series, window, created, skipped, actor=actor)


def record_materialised(
    tx: Tx,
    series: Series,
    window: TimeSpan,
    created: Sequence[Session],
    skipped: Sequence[Skipped],
    *,
    actor: str | None,
) -> MaterialiseReport:
    """Collect the events of materialising ``series`` over ``window`` and return its report."""
    now = tx.now
    events: list[DomainEvent] = [
        SessionCreated(tenant=series.tenant, actor=actor, at=now, session=s) for s in created
    ]
    events.append(
        SessionsRegenerated(
            tenant=series.tenant,
            actor=actor,
            at=now,
            series_id=series.id,
            created=len(created),
            deleted=0,
            kept=0,
            orphaned=0,
            skipped=len(skipped),
        )
    )
    tx.collect(events)
    return MaterialiseReport(
        tenant=series.tenant,
        series_id=series.id,
        window=window,
        created=tuple(created),
        skipped=tuple(skipped),
    )
