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

``outcomes`` says, per participant, attended or no-show and the consequence
decided for their paid booking (:mod:`sessionkit.policies.no_shows`);
``join_credential`` lets a session's people into its meeting room
(:class:`~sessionkit.services.rooms.RoomAccess`).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

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
from sessionkit.model.text import check_actor, check_id, check_names, check_tenant, check_text
from sessionkit.policies.no_shows import AttendanceOutcome
from sessionkit.ports import (
    ATTENDANCE_OVERRIDES,
    PRESENCE,
    JoinCredential,
    MeetingRooms,
    OverrideRepository,
    PresenceRepository,
    UnitOfWork,
)
from sessionkit.services._context import Context, Tx
from sessionkit.services._outcomes import session_outcomes
from sessionkit.services._presence import AttendanceFacts, attendance_facts, with_attendance
from sessionkit.services.commands import store_status
from sessionkit.services.rooms import JoinRules, RoomAccess

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


def _kinds(value: object) -> frozenset[str]:
    return frozenset(check_names(value, "attendee_kinds"))


@attrs.frozen(kw_only=True)
class AttendancePolicy:
    """How presence is read and what it drives.

    ``thresholds`` classify attendance (late, left early, partial, absent);
    absent is also what makes a participant a no-show.
    ``join_transition`` is fired, by the clock's actor ``None``, when a
    session gets its first join while that transition leaves its status
    (the academy's ``start``: READY -> ONGOING); ``None`` fires nothing.
    ``attendee_kinds`` are the kinds of a session's resources expected in
    the meeting besides its booked participants (coaching's ``"coach"`` and
    ``"student"``): :meth:`AttendanceCommands.for_session` and
    :meth:`AttendanceCommands.outcomes` list them too (default: none, only
    who booked or was seen). ``join`` are the :class:`JoinRules` of join
    credentials.
    """

    thresholds: AttendanceThresholds = attrs.field(factory=AttendanceThresholds)
    join_transition: str | None = "start"
    attendee_kinds: frozenset[str] = attrs.field(default=frozenset(), converter=_kinds)
    join: JoinRules = attrs.field(factory=JoinRules)

    @join.validator
    def _check_join(self, _attribute: attrs.Attribute[Any], value: object) -> None:
        if not isinstance(value, JoinRules):
            raise WrongType(value, name="join", expected="JoinRules")


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


class AttendanceCommands:
    """Record presence, override attendance and read it; see the module docstring."""

    def __init__(
        self,
        ctx: Context,
        policy: AttendancePolicy | None = None,
        rooms: MeetingRooms | None = None,
    ) -> None:
        self._ctx = ctx
        self.policy = AttendancePolicy() if policy is None else policy
        """The thresholds, the join transition and the join rules this service applies."""
        self._access = RoomAccess(ctx, rooms, self.policy.join, with_attendance(ctx.facts))

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
                facts = with_attendance(ctx.facts).facts_for([session], tx.uow)
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
        """Remove the teacher's report for ``participant``; return whether there was one.

        Raises ``SessionNotFound`` for a session the tenant does not have.
        """
        check_tenant(tenant)
        check_id(session_id, "session_id")
        check_actor(actor)
        who = participant_ref(participant)
        with self._ctx.transaction(now) as tx:
            repo = _overrides(tx.uow)
            found = repo.get_many(tenant, [override_id(session_id, who)])
            if not found:
                tx.sessions.get(tenant, session_id)  # SessionNotFound for an unknown session
                return False
            repo.delete(tenant, found[0].id, expected_version=found[0].version)
            return True

    # -- the meeting room ------------------------------------------------------------

    def join_credential(
        self,
        tenant: str,
        session_id: str,
        participant: ResourceRef | str,
        *,
        role: str | None = None,
        now: datetime | None = None,
    ) -> JoinCredential:
        """Return a credential for ``participant`` to enter the session's meeting room now.

        The participant must hold a confirmed booking of the session or be one
        of its resources (the teacher); the credential's ``role`` is ``role``,
        else the resource's kind or the booking's role. First the session's
        timed transitions due by ``now`` are applied (a student who clicks
        "join" before the READY tick ran gets in). Its status must be one of
        the policy's ``join.joinable``, ``now`` no earlier than ``join.early``
        before the start and before the end plus ``join.buffer``. Then the
        room is ensured (idempotent at the provider) and the provider's
        credential returned, valid until the end plus ``join.buffer`` and at
        most ``join.longest`` from now; no provider call is made inside a unit
        of work.

        Refusals are :class:`~sessionkit.errors.ActionRefused` with ``rule``
        ``"not_a_participant"``, ``"not_joinable"`` (``allows_at``: when a timer
        makes the session joinable, e.g. READY 15 minutes before the start;
        ``None`` if none will), ``"too_early"`` (``allows_at``) or ``"ended"``.
        Raises ``SessionNotFound``, ``InvalidValue`` when the kit has no
        ``rooms``, and what the provider raises (``LookupError`` for a room
        it closed).
        """
        return self._access.credential(tenant, session_id, participant, role=role, now=now)

    # -- reads -----------------------------------------------------------------------

    def _expected(self, session: Session) -> set[ResourceRef]:
        """The session's resources of the policy's attendee kinds."""
        kinds = self.policy.attendee_kinds
        return {r for r in session.resources if r.kind in kinds}

    def for_session(
        self, tenant: str, session_id: str, *, as_of: datetime | None = None
    ) -> list[Attendance]:
        """Return the attendance of everyone in the session, by participant.

        Everyone is whoever has presence, an override or a confirmed booking,
        and the session's resources of the policy's ``attendee_kinds`` (booked
        or expected and never there: absent). A stay still open runs to
        ``as_of`` (default: the session's end). Raises ``SessionNotFound``.
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
            people = {p.participant for p in presence} | set(overrides) | self._expected(session)
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

    def outcomes(self, tenant: str, session_id: str) -> list[AttendanceOutcome]:
        """Return, per participant, attended or no-show and its consequence; by participant.

        The participants are the session's confirmed bookings and its
        resources of the policy's ``attendee_kinds``. Each outcome comes from
        the effective attendance (the teacher's override first) and the
        session's status, as :func:`~sessionkit.policies.no_shows.outcome_of`
        says; once the session entered a status that decides a paid booking's
        no-show refund, the outcome, rule and refund are the ones decided then
        (recorded on its payment), whatever was reported since. A pure read.
        Raises ``SessionNotFound``.
        """
        check_tenant(tenant)
        check_id(session_id, "session_id")
        with self._ctx.transaction() as tx:
            session = tx.sessions.get(tenant, session_id)
            no_show = self._ctx.lifecycle(session.lifecycle).status(session.status).no_show
            return session_outcomes(
                tx,
                session,
                no_show_session=no_show,
                expected=self._expected(session),
                thresholds=self.policy.thresholds,
            )

    def presence(self, tenant: str, session_id: str) -> list[Presence]:
        """Return the session's stored presence events, by instant then id."""
        check_tenant(tenant)
        check_id(session_id, "session_id")
        with self._ctx.transaction() as tx:
            tx.sessions.get(tenant, session_id)
            return _presence(tx.uow).for_sessions(tenant, [session_id])
