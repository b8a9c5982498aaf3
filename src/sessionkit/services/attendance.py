"""Attendance use cases: record presence (which drives the lifecycle), override, read.

``kit.attendance.record_presence(tenant, events)`` stores a batch of provider
events in one unit of work, each once (a replay, or the same event delivered
by racing workers, is a no-op), and a session's first join fires its
lifecycle's join transition (the academy's ``start``: READY -> ONGOING) in
that same unit of work. Attendance is derived from *all* of a participant's
events whenever it is read, so the order they arrived in never matters.
``override`` stores the teacher's report apart; it always wins.

:class:`AttendanceFacts` hands the attended facts to timed conditions (the
academy's ABSENT, the coaching no-show) through the kit's ``facts=``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime

import attrs

from sessionkit.errors import (
    ConcurrentModification,
    Duplicate,
    InvalidValue,
    MissingFact,
    WrongType,
)
from sessionkit.lifecycle import StatusChanged
from sessionkit.model.attendance import (
    ABSENT,
    JOIN,
    Attendance,
    AttendanceOverride,
    AttendanceThresholds,
    Presence,
    PresenceEvent,
    derive_attendance,
    override_id,
)
from sessionkit.model.booking import CONFIRMED, participant_ref
from sessionkit.model.session import ResourceRef, Session
from sessionkit.model.text import check_actor, check_id, check_tenant, check_text
from sessionkit.ports import (
    ATTENDANCE_OVERRIDES,
    PRESENCE,
    FactProvider,
    OverrideRepository,
    PresenceRepository,
    UnitOfWork,
)
from sessionkit.services._context import Context, Tx
from sessionkit.services.commands import store_status

__all__ = [
    "AttendanceCommands",
    "AttendanceFacts",
    "AttendancePolicy",
    "PresenceReport",
    "attendance_facts",
]

_ATTEMPTS = 10
"""Runs of one batch when racing writers stored an event or moved a session first."""
MAX_PRESENCE_BATCH = 10_000
"""The most presence events one ``record_presence`` call takes."""


@attrs.frozen(kw_only=True)
class AttendancePolicy:
    """How presence is read and what it drives.

    ``thresholds`` classify attendance (late, left early, partial, absent).
    ``join_transition`` is fired, by the clock's actor ``None``, when a
    session gets its first join while that transition leaves its status
    (the academy's ``start``: READY -> ONGOING); ``None`` fires nothing.
    """

    thresholds: AttendanceThresholds = attrs.field(factory=AttendanceThresholds)
    join_transition: str | None = "start"


@attrs.frozen(kw_only=True)
class PresenceReport:
    """What one ``record_presence`` call did.

    ``recorded`` events were stored; ``duplicates`` were stored before (or
    twice in the batch); ``unknown`` are the keys of events naming a session
    the tenant does not have (not stored); ``started`` are the sessions the
    first join moved on, as stored.
    """

    recorded: int = 0
    duplicates: int = 0
    unknown: tuple[str, ...] = ()
    started: tuple[Session, ...] = ()


def _presence(uow: UnitOfWork) -> PresenceRepository:
    return uow.repository(PRESENCE)


def _overrides(uow: UnitOfWork) -> OverrideRepository:
    return uow.repository(ATTENDANCE_OVERRIDES)


def _check_events(events: object) -> list[PresenceEvent]:
    if isinstance(events, PresenceEvent | str | bytes) or not isinstance(events, Iterable):
        raise WrongType(events, name="events", expected="an iterable of PresenceEvent")
    found = list(events)
    for event in found:
        if not isinstance(event, PresenceEvent):
            raise WrongType(event, name="events[...]", expected="a PresenceEvent")
    if len(found) > MAX_PRESENCE_BATCH:
        raise InvalidValue(
            f"{len(found)} presence events in one call; at most {MAX_PRESENCE_BATCH}",
            value=len(found),
            expected=f"<= {MAX_PRESENCE_BATCH} events",
        )
    return found


def facts_from(
    presence: Iterable[Presence], overrides: Iterable[AttendanceOverride]
) -> dict[str, dict[str, object]]:
    """Return ``{session_id: {"joined", "attendees", "attended"}}`` from presence and overrides.

    ``joined``: someone's join was reported. ``attendees``: participants who
    count as there (the teacher's word first; else a reported join).
    ``attended``: ``attendees > 0``.
    """
    joined: dict[str, set[ResourceRef]] = {}
    for record in presence:
        if record.action == JOIN:
            joined.setdefault(record.session_id, set()).add(record.participant)
    told: dict[str, dict[ResourceRef, bool]] = {}
    for override in overrides:
        told.setdefault(override.session_id, {})[override.participant] = override.status != ABSENT
    facts: dict[str, dict[str, object]] = {}
    for session_id in joined.keys() | told.keys():
        came = set(joined.get(session_id, ()))
        for who, there in told.get(session_id, {}).items():
            if there:
                came.add(who)
            else:
                came.discard(who)
        facts[session_id] = {
            "joined": session_id in joined,
            "attendees": len(came),
            "attended": bool(came),
        }
    return facts


_NOBODY: Mapping[str, object] = {"joined": False, "attendees": 0, "attended": False}


@attrs.frozen
class AttendanceFacts(FactProvider):
    """A :class:`~sessionkit.ports.FactProvider` of the attended facts, from stored attendance.

    Every session asked about gets ``attended`` (someone counts as there:
    the teacher's override first, else a reported join), ``attendees`` (how
    many) and ``joined`` (a join was reported at all). ``also`` is the
    host's own provider, whose facts are kept beside these (the host's win
    on a shared name).
    """

    also: FactProvider | None = None

    def facts_for(
        self, sessions: Sequence[Session], uow: UnitOfWork
    ) -> Mapping[str, Mapping[str, object]]:
        """Return the facts of every one of ``sessions``, by session id."""
        by_tenant: dict[str, list[str]] = {}
        for session in sessions:
            by_tenant.setdefault(session.tenant, []).append(session.id)
        found: dict[str, dict[str, object]] = {}
        for tenant, ids in by_tenant.items():
            found.update(
                facts_from(
                    _presence(uow).for_sessions(tenant, ids),
                    _overrides(uow).for_sessions(tenant, ids),
                )
            )
        host = {} if self.also is None else self.also.facts_for(sessions, uow)
        return {s.id: {**found.get(s.id, _NOBODY), **host.get(s.id, {})} for s in sessions}


def attendance_facts(also: FactProvider | None = None) -> AttendanceFacts:
    """Return the attended-facts provider to pass as ``SessionKit(facts=...)``."""
    return AttendanceFacts(also)


class AttendanceCommands:
    """Record presence, override attendance and read it; see the module docstring."""

    def __init__(self, ctx: Context, policy: AttendancePolicy | None = None) -> None:
        self._ctx = ctx
        self.policy = AttendancePolicy() if policy is None else policy
        """The thresholds and the join transition this service applies."""

    # -- presence --------------------------------------------------------------------

    def record_presence(
        self, tenant: str, events: Iterable[PresenceEvent], *, now: datetime | None = None
    ) -> PresenceReport:
        """Store a batch of provider presence events once each; return what it did.

        All in one unit of work: the new events, and for every session whose
        first join is among them, the timed transitions due by ``now`` and
        then the policy's join transition (READY -> ONGOING), if it leaves
        the session's status. Events already stored (a replay) and repeats
        within the batch count as ``duplicates``; events naming no session of
        the tenant are reported as ``unknown`` and not stored. When racing
        writers store an event or move a session first, the batch runs again
        (it wrote nothing), and then finds them stored.
        """
        check_tenant(tenant)
        batch = _check_events(events)
        at = self._ctx.at(now, "now")
        for attempt in range(1, _ATTEMPTS + 1):
            try:
                return self._record(tenant, batch, at)
            except Duplicate as taken:
                if taken.kind != PRESENCE.name or attempt == _ATTEMPTS:
                    raise
            except ConcurrentModification:
                if attempt == _ATTEMPTS:
                    raise
        raise AssertionError("unreachable")  # pragma: no cover

    def _record(self, tenant: str, batch: list[PresenceEvent], now: datetime) -> PresenceReport:
        ctx = self._ctx
        with ctx.transaction(now) as tx:
            repo = _presence(tx.uow)
            unique: dict[str, PresenceEvent] = {}
            for event in batch:
                unique.setdefault(event.key, event)
            stored = {p.id for p in repo.get_many(tenant, list(unique))}
            fresh = [e for key, e in unique.items() if key not in stored]
            sessions = {
                s.id: s for s in tx.sessions.get_many(tenant, {e.session_id for e in fresh})
            }
            known = [e for e in fresh if e.session_id in sessions]
            unknown = tuple(e.key for e in fresh if e.session_id not in sessions)
            repo.add_many([Presence.of(tenant, e, tx.now) for e in known])
            joined = sorted({e.session_id for e in known if e.action == JOIN})
            started = self._start(tx, [sessions[i] for i in joined])
            return PresenceReport(
                recorded=len(known),
                duplicates=len(batch) - len(fresh),
                unknown=unknown,
                started=tuple(started),
            )

    def _start(self, tx: Tx, sessions: list[Session]) -> list[Session]:
        """Move each session on by the clock, then fire the join transition where it leaves.

        Facts are read only for a session whose due timers need them (a READY
        academy lesson past its ABSENT time): most sessions need none.
        """
        name = self.policy.join_transition
        if name is None or not sessions:
            return []
        ctx = self._ctx
        moved: list[Session] = []
        for session in sessions:
            machine = ctx.lifecycle(session.lifecycle)
            try:
                changed, changes = machine.advance(session, tx.now, facts={})
            except MissingFact:
                facts = AttendanceFacts(ctx.facts).facts_for([session], tx.uow)
                changed, changes = machine.advance(session, tx.now, facts=facts.get(session.id))
            steps: list[StatusChanged] = list(changes)
            if machine.can(changed, name, now=tx.now):
                changed, change = machine.fire(changed, name, now=tx.now)
                steps.append(change)
            if steps:
                moved.append(store_status(tx, machine, session, changed, steps, None))
        return moved

    # -- the teacher's word ----------------------------------------------------------

    def override(
        self,
        tenant: str,
        session_id: str,
        participant: ResourceRef | str,
        *,
        status: str,
        actor: str | None,
        minutes: int | None = None,
        reason: str | None = None,
        now: datetime | None = None,
    ) -> Attendance:
        """Record the teacher's report for ``participant``; return their attendance with it.

        Replaces an earlier override of the same participant; presence is kept
        apart and stays visible. ``status`` is one of
        :data:`~sessionkit.model.attendance.ATTENDANCE_STATUSES`. Raises
        ``SessionNotFound`` and ``InvalidValue``. Racing overrides of one
        participant: the last to commit wins, none fails.
        """
        check_tenant(tenant)
        check_id(session_id, "session_id")
        check_actor(actor)
        check_text(reason, "reason", limit=2000, optional=True)
        who = participant_ref(participant)
        for attempt in range(1, _ATTEMPTS + 1):
            try:
                return self._override(tenant, session_id, who, status, actor, minutes, reason, now)
            except Duplicate as taken:  # a racing first override was stored: replace it
                if taken.kind != ATTENDANCE_OVERRIDES.name or attempt == _ATTEMPTS:
                    raise
            except ConcurrentModification:  # a racing override was stored: replace it
                if attempt == _ATTEMPTS:
                    raise
        raise AssertionError("unreachable")  # pragma: no cover

    def _override(
        self,
        tenant: str,
        session_id: str,
        who: ResourceRef,
        status: str,
        actor: str | None,
        minutes: int | None,
        reason: str | None,
        now: datetime | None,
    ) -> Attendance:
        with self._ctx.transaction(now) as tx:
            session = tx.sessions.get(tenant, session_id)
            repo = _overrides(tx.uow)
            record = AttendanceOverride(
                id=override_id(session_id, who),
                tenant=tenant,
                session_id=session_id,
                participant=who,
                status=status,
                minutes=minutes,
                reason=reason,
                decided_by=actor,
                decided_at=tx.now,
            )
            found = repo.get_many(tenant, [record.id])
            if found:
                stored = repo.update(
                    attrs.evolve(record, version=found[0].version),
                    expected_version=found[0].version,
                )
            else:
                repo.add(record)
                stored = record
            presence = _presence(tx.uow).for_sessions(tenant, [session_id])
            return derive_attendance(
                presence,
                span=session.span,
                session_id=session_id,
                participant=who,
                thresholds=self.policy.thresholds,
                override=stored,
            )

    def clear_override(
        self,
        tenant: str,
        session_id: str,
        participant: ResourceRef | str,
        *,
        actor: str | None,
        now: datetime | None = None,
    ) -> bool:
        """Remove the teacher's report for ``participant``; return whether there was one."""
        check_tenant(tenant)
        check_id(session_id, "session_id")
        check_actor(actor)
        who = participant_ref(participant)
        with self._ctx.transaction(now) as tx:
            repo = _overrides(tx.uow)
            found = repo.get_many(tenant, [override_id(session_id, who)])
            if not found:
                return False
            repo.delete(tenant, found[0].id, expected_version=found[0].version)
            return True

    # -- reads -----------------------------------------------------------------------

    def for_session(
        self, tenant: str, session_id: str, *, as_of: datetime | None = None
    ) -> list[Attendance]:
        """Return the attendance of everyone in the session, by participant.

        Everyone is whoever has presence, an override or a confirmed booking
        (booked and never there: absent). A stay still open runs to ``as_of``
        (default: the session's end). Raises ``SessionNotFound``.
        """
        check_tenant(tenant)
        check_id(session_id, "session_id")
        ctx = self._ctx
        with ctx.transaction() as tx:
            session = tx.sessions.get(tenant, session_id)
            presence = _presence(tx.uow).for_sessions(tenant, [session_id])
            overrides = {
                o.participant: o for o in _overrides(tx.uow).for_sessions(tenant, [session_id])
            }
            people = {p.participant for p in presence} | set(overrides)
            bookings = tx.bookings_or_none()
            if bookings is not None:
                people.update(
                    b.participant
                    for b in bookings.for_session(tenant, session_id, statuses=[CONFIRMED])
                )
        at = None if as_of is None else ctx.at(as_of, "as_of")
        return [
            derive_attendance(
                presence,
                span=session.span,
                session_id=session_id,
                participant=who,
                thresholds=self.policy.thresholds,
                override=overrides.get(who),
                as_of=at,
            )
            for who in sorted(people, key=str)
        ]

    def presence(self, tenant: str, session_id: str) -> list[Presence]:
        """Return the session's stored presence events, by instant then id."""
        check_tenant(tenant)
        check_id(session_id, "session_id")
        with self._ctx.transaction() as tx:
            tx.sessions.get(tenant, session_id)
            return _presence(tx.uow).for_sessions(tenant, [session_id])
