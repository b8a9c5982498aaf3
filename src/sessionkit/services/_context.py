"""What every service shares: the unit-of-work factory, the clock, the link checker, lifecycles.

Private to the services package; :class:`~sessionkit.services.app.SessionKit`
builds one and hands it to each service.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, date, datetime, time
from typing import TypeVar

import attrs

from sessionkit.errors import SessionConflict, SessionLocked
from sessionkit.lifecycle import Lifecycle, LifecycleRegistry
from sessionkit.model.events import DomainEvent
from sessionkit.model.series import Series, add_months
from sessionkit.model.session import Session
from sessionkit.ports import (
    Clock,
    FactProvider,
    Kind,
    LinkChecker,
    SeriesRepository,
    SessionRepository,
    UnitOfWork,
    UnitOfWorkFactory,
)
from sessionkit.zones import check_aware, get_zone, resolve_local

__all__ = ["Context", "Tx"]

RepoT = TypeVar("RepoT")


@attrs.frozen
class Tx:
    """One command's open unit of work and the one instant the whole command runs at.

    Every row the command writes is stamped with :attr:`now`, every event
    carries it, and every rule is judged at it: a caller that passes ``now``
    gets exactly that instant throughout, never the clock's.
    """

    uow: UnitOfWork
    now: datetime

    @property
    def sessions(self) -> SessionRepository:
        """The unit's session repository."""
        return self.uow.sessions

    @property
    def series(self) -> SeriesRepository:
        """The unit's series repository."""
        return self.uow.series

    def repository(self, kind: Kind[RepoT]) -> RepoT:
        """The unit's repository for ``kind``."""
        return self.uow.repository(kind)

    def collect(self, events: Iterable[DomainEvent]) -> None:
        """Queue events to publish once the unit of work committed and closed."""
        self.uow.collect(events)


@attrs.frozen
class Context:
    """The collaborators of every service, wired once by the composition root."""

    uow: UnitOfWorkFactory
    clock: Clock
    links: LinkChecker | None
    lifecycles: LifecycleRegistry
    ids: Callable[[], str]
    facts: FactProvider | None = None

    def now(self) -> datetime:
        """Return the clock's instant in UTC (a naive clock value is an error)."""
        return check_aware(self.clock.now(), "clock.now()").astimezone(UTC)

    def at(self, value: datetime | None, name: str) -> datetime:
        """Return ``value`` in UTC, or now when it is ``None``."""
        if value is None:
            return self.now()
        return check_aware(value, name).astimezone(UTC)

    @contextmanager
    def transaction(self, now: datetime | None = None, *, name: str = "now") -> Iterator[Tx]:
        """Open a unit of work for one command; commit it if the block finishes, else roll back.

        ``now`` (default: the clock) is checked once and is the command's
        instant throughout (:class:`Tx`). Events collected in the block are
        published after the unit of work closed.
        """
        at = self.at(now, name)
        with self.uow() as uow:
            yield Tx(uow, at)
            uow.commit()

    def lifecycle(self, name: str) -> Lifecycle:
        """Return the lifecycle called ``name`` (``UnknownLifecycle`` if there is none)."""
        return self.lifecycles.get(name)

    def session_lifecycle(self, name: str) -> Lifecycle:
        """Return the lifecycle ``name`` for new sessions; refuse one meant for something else.

        Raises ``UnknownLifecycle``, or ``LifecycleNotApplicable`` for a lifecycle
        whose subject is not ``"session"`` (``consulting_payment`` drives a payment).
        """
        machine = self.lifecycles.get(name)
        machine.check_subject("session")
        return machine

    def facts_for(self, tx: Tx, sessions: Sequence[Session]) -> Mapping[str, Mapping[str, object]]:
        """Ask the host for the facts timed conditions read (attendance, counts), by session id."""
        if self.facts is None or not sessions:
            return {}
        return self.facts.facts_for(sessions, tx.uow)

    def blocking_links(self, tx: Tx, sessions: Sequence[Session]) -> Mapping[str, str]:
        """Ask the host which of ``sessions`` have dependents (none without a link checker).

        The link checker reads through the command's own unit of work, so it
        sees the command's writes so far and never opens a second one.
        """
        if self.links is None or not sessions:
            return {}
        return self.links.blocking_links(sessions, tx.uow)


def status_lock(lifecycle: Lifecycle, session: Session) -> str | None:
    """Return why ``session``'s status forbids editing or deleting it, or ``None``."""
    if lifecycle.status(session.status).editable:
        return None
    editable = ", ".join(sorted(lifecycle.editable_statuses)) or "none"
    return f"status {session.status!r} is not editable (editable: {editable})"


def check_editable(ctx: Context, tx: Tx, session: Session) -> None:
    """Raise ``SessionLocked`` unless ``session`` is in an editable status with no dependents."""
    reason = status_lock(ctx.lifecycle(session.lifecycle), session)
    if reason is None:
        dependents = ctx.blocking_links(tx, [session]).get(session.id)
        if dependents is not None:
            reason = f"it has dependents ({dependents})"
    if reason is not None:
        raise SessionLocked(session.id, reason)


def check_free(tx: Tx, session: Session) -> None:
    """Raise ``SessionConflict`` if busy ``session`` overlaps another busy session of a resource."""
    if not session.busy or not session.resources:
        return
    blockers = tx.sessions.busy_overlapping(
        session.tenant, resources=session.resources, span=session.span, exclude_ids=(session.id,)
    )
    if blockers:
        first = blockers[0]
        shared = sorted(set(first.resources) & set(session.resources))
        who = ", ".join(str(r) for r in shared) or "a resource"
        raise SessionConflict(
            f"{who} is busy from {first.start.isoformat()} to {first.end.isoformat()} "
            f"with {first.title!r} ({first.id}); {len(blockers)} session(s) in the way",
            session=session,
            conflicts=blockers,
        )


def series_zone(series: Series) -> str:
    """Return the zone a series counts calendar months in: its first schedule item's."""
    return series.items[0].recurrence.tz


def series_start(series: Series) -> datetime:
    """Return the earliest instant any schedule item of ``series`` may start (UTC)."""
    return min(
        resolve_local(item.recurrence.start, item.recurrence.tz).astimezone(UTC)
        for item in series.items
    )


def months_after(instant: datetime, months: int, tz: str) -> datetime:
    """Return ``instant`` moved by calendar months on the wall clock of ``tz`` (UTC)."""
    local = instant.astimezone(get_zone(tz))
    day: date = add_months(local.date(), months)
    wall: time = local.time().replace(tzinfo=None)
    return resolve_local(datetime.combine(day, wall), tz).astimezone(UTC)
