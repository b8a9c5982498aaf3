"""Attendance use cases: record presence (which drives the lifecycle), override, read.

``kit.attendance.record_presence(tenant, events)`` stores a batch of provider
events in one unit of work, each once (a replay, or the same event delivered
by racing workers, is a no-op), and a session's first join fires its
lifecycle's join transition (the academy's ``start``: READY -> ONGOING) in
that same unit of work. Attendance is derived from *all* of a participant's
events whenever it is read, so the order they arrived in never matters.
``override`` stores the teacher's report apart; it always wins (in a read
``as_of`` an instant, from when it was decided on).

:class:`AttendanceFacts` hands the attended facts to timed conditions (the
academy's ABSENT, the coaching no-show) through the kit's ``facts=``.

``outcomes`` says, per participant, attended or no-show and the consequence
decided for their paid booking (:mod:`sessionkit.policies.no_shows`);
``join_credential`` lets a session's people into its meeting room
(:class:`~sessionkit.services.rooms.RoomAccess`).

The commands live in private modules by concern and come together here:
presence recording in ``_presence_recording``, the teacher's overrides in
``_attendance_overrides``, the policy in ``_attendance_policy``, the status a
read ``as_of`` an instant judges by in ``_attendance_status``, and what else
it reads of the session then (its span, its bookings; one journal read for
all) in ``_attendance_as_of``; the meeting room and the reads are below.
"""

from __future__ import annotations

import contextlib
from datetime import datetime

from sessionkit.errors import UnknownLifecycle, UnknownStatus
from sessionkit.model.attendance import (
    Attendance,
    AttendanceThresholds,
    Presence,
    derive_attendance,
    held_span,
)
from sessionkit.model.session import ResourceRef, Session
from sessionkit.model.text import check_id, check_tenant
from sessionkit.policies.no_shows import AttendanceOutcome
from sessionkit.ports import JoinCredential, MeetingRooms
from sessionkit.services._attendance_as_of import SessionThen
from sessionkit.services._attendance_overrides import OverrideCommands
from sessionkit.services._attendance_policy import AttendancePolicy
from sessionkit.services._attendance_status import status_unknown
from sessionkit.services._context import Context
from sessionkit.services._outcomes import session_outcomes
from sessionkit.services._presence import (
    AttendanceFacts,
    attendance_facts,
    override_repository,
    overrides_as_of,
    presence_repository,
    with_attendance,
)
from sessionkit.services._presence_recording import (
    EARLY_JOIN,
    PresenceRecording,
    PresenceReport,
)
from sessionkit.services.rooms import RoomAccess

__all__ = [
    "EARLY_JOIN",
    "AttendanceCommands",
    "AttendanceFacts",
    "AttendancePolicy",
    "AttendanceThresholds",
    "PresenceReport",
    "attendance_facts",
]


class AttendanceCommands(PresenceRecording, OverrideCommands):
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
        ``"not_a_participant"``, ``"not_held"`` (the session was cancelled; its
        resources and those whose booking was cancelled are told so),
        ``"not_joinable"`` (``allows_at``: when a timer
        makes the session joinable, e.g. READY 15 minutes before the start;
        ``None`` if none will), ``"too_early"`` (``allows_at``), ``"ended"`` or
        ``"room_closed"`` (the provider's room was closed when the session was
        over and the provider cannot open it again: a status corrected back to
        a joinable one finds it so; with ``reopen_room`` the room is opened
        again here, the keeper never reopens it). A session deleted, cancelled or ended while
        the room was being made or reopened has it closed again and is refused
        as it would be now. Raises ``SessionNotFound``, ``InvalidValue`` when the
        kit has no ``rooms``, and ``MeetingRoomsError`` (``status`` ``None``:
        nothing was stored) when the provider fails ``ensure_room``,
        ``reopen_room`` or ``issue_credential``;
        a failed close of such a room names its status (or ``deleted``).
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
        or expected and never there: absent). A session in a cancelled status
        (at ``as_of``) expected nobody: only whoever has presence or an
        override is listed, its teacher not as an absentee. Read ``as_of`` an
        instant, the bookings are those confirmed then: one made after it is
        not; one not written since had its status now; else the kit's journal
        (``journal=True``) tells, and without one that tells it, a booking
        changed since counts by its status now. ``as_of`` reads the session as
        it stood then: a join or leave whose instant lies after it, and a
        teacher's override decided (``decided_at``) after it, had not happened
        yet (one at ``as_of`` had), though whom they are about is still
        listed; an override replaced or cleared since keeps
        only its latest decision, so it is not seen as it was then. A stay
        still open runs to ``as_of`` (default: the session's end, every record
        and override counted), and an ``as_of`` before the end judges the time
        elapsed so far, from the start to ``as_of``: there since the start is
        present so far. A session ended early (its
        recorded end before the scheduled one) is judged against the span it
        was held, from its start to that end
        (:func:`~sessionkit.model.attendance.held_span`). Read ``as_of`` an
        instant before the session was moved (rescheduled, its time changed),
        it is judged against the span it had then, which the kit's journal
        tells (each move keeps the old start and end); without a journal (or
        for a lifecycle the kit does not know: it reads no journal for it),
        against its span now. Read at ``as_of`` (default: now)
        before the session's end, while its status is not terminal, someone
        not there (yet) is ``pending``, not absent. That status is the one the
        session had at ``as_of`` (a session completed or cancelled since was
        not over then) when the kit can know it: the session has not changed
        since ``as_of`` (or since its creation), or the kit keeps a journal (``journal=True``) that
        tells it; else it is its status now (:meth:`outcomes` refuses such an
        ``as_of``). Raises ``SessionNotFound``.
        """
        check_tenant(tenant)
        check_id(session_id, "session_id")
        ctx = self._ctx
        with ctx.transaction() as tx:
            session = tx.sessions.get(tenant, session_id)
            at = None if as_of is None else ctx.at(as_of, "as_of")
            presence = presence_repository(tx.uow).for_sessions(tenant, [session_id])
            stored = override_repository(tx.uow).for_sessions(tenant, [session_id])
            overrides = overrides_as_of({o.participant: o for o in stored}, at)
            was = SessionThen(tx, session, at)  # one journal read, if any, for all it tells
            then = None
            span = held_span(session)
            # Of a lifecycle the kit does not know, no status says anything (_pending_at reads
            # it by the clock): no journal read for the status, nor the span, it had at as_of.
            if session.lifecycle in ctx.lifecycles:
                then = was.status()
                span = was.span()
            # Unknown then (no journal, changed since): judged by its status now, as documented.
            status = session.status if then is None else then
            # Everyone in the session, as for a join after ``as_of``: an override decided
            # later is not applied, but whom it is about is still listed.
            people = {p.participant for p in presence} | {o.participant for o in stored}
            if not self._cancelled(session, status):  # one cancelled expected nobody
                people |= self._expected(session)
                people.update(b.participant for b in was.bookings())
        read_at = self._pending_at(session, status, at)
        return [
            derive_attendance(
                presence,
                span=span,
                session_id=session_id,
                participant=who,
                thresholds=self.policy.thresholds,
                override=overrides.get(who),
                as_of=at,
                now=read_at,
            )
            for who in sorted(people, key=str)
        ]

    def _cancelled(self, session: Session, status: str) -> bool:
        """Whether ``status`` is a cancelled one of ``session``'s lifecycle (one it knows)."""
        try:
            return self._ctx.lifecycle(session.lifecycle).status(status).cancelled
        except (UnknownLifecycle, UnknownStatus):
            return False

    def _pending_at(self, session: Session, status: str, at: datetime | None) -> datetime | None:
        """The read's instant, ``at`` or now; ``None`` when ``status`` is terminal.

        ``status`` is the session's at ``at``. A session over by its status
        (ended early, cancelled, a no-show) has nobody still to come, whatever
        the clock says. One in a status its lifecycle no longer has is read by
        the clock alone.
        """
        try:
            if self._ctx.lifecycle(session.lifecycle).status(status).terminal:
                return None
        except (UnknownLifecycle, UnknownStatus):
            pass
        return self._ctx.now() if at is None else at

    def outcomes(
        self, tenant: str, session_id: str, *, as_of: datetime | None = None
    ) -> list[AttendanceOutcome]:
        """Return, per participant, attended or no-show and its consequence; by participant.

        The participants are the session's confirmed bookings and its
        resources of the policy's ``attendee_kinds``; read ``as_of`` an
        instant, the bookings confirmed then, as :meth:`for_session` lists
        them (one cancelled since is listed, one made since is not; without
        a journal that tells it, one changed since counts by its status now).
        Each outcome comes from the effective attendance (the teacher's override first), read at
        ``as_of`` as :meth:`for_session` reads it (joins, leaves and overrides
        after it not yet counted; a stay still open runs to it; one before the
        end judges the time elapsed so far, and leaves whoever is not there
        yet pending, with no outcome, while the status is not terminal), and
        the session's status at ``as_of`` (a no-show status entered since, or
        an end, had not come yet), as
        :func:`~sessionkit.policies.no_shows.outcome_of` says. With no
        attendance record by ``as_of`` (presence at or before it, an override
        decided by then) the status alone decides, as for a session with none
        at all. The status then is known when the session has not changed
        since ``as_of`` or from the kit's journal (``journal=True``: each
        status change dated when it fell due); a kit with no journal that
        tells it refuses an ``as_of`` before the session's last change
        (``InvalidValue``: ``value`` the ``as_of``, ``expected`` the instants
        it may be; its message names what is missing: a journal, or the
        session's entries in it) rather than judge by the status now. A
        session never written since its creation had its status now all
        along, journal or not. Once the
        session entered a status that decides a paid booking's no-show
        refund, the outcome, rule and refund are the ones decided then
        (recorded on its payment), whatever was reported since, unless that
        decision was taken (``decided_at``) after ``as_of``: it had not been
        taken then, and the outcome is read from the attendance. A session
        cancelled by ``as_of`` (in a cancelled status then) took place for
        nobody and expected nobody: nobody is listed, neither its resources
        (an absent teacher is no absentee) nor a booking its cancel left
        confirmed, as :meth:`for_session` lists none of them. Attendance is
        judged against the span the session had at ``as_of``, as
        :meth:`for_session` judges it. A read ``as_of`` an instant reads the
        kit's journal at most once. A pure read.
        A session whose lifecycle (or status) the kit does not know is read
        as :meth:`for_session` reads it, by the clock alone: whoever is not
        there yet before its end is pending (no outcome), and its status makes
        no one a no-show. Raises ``SessionNotFound``.
        """
        check_tenant(tenant)
        check_id(session_id, "session_id")
        with self._ctx.transaction() as tx:
            session = tx.sessions.get(tenant, session_id)
            at = None if as_of is None else self._ctx.at(as_of, "as_of")
            was = SessionThen(tx, session, at)  # one journal read, if any, for all it tells
            try:
                machine = self._ctx.lifecycle(session.lifecycle)
            except UnknownLifecycle:
                machine = None  # read by the clock alone, whatever its status or span then
            status = None
            if machine is not None:
                then = was.status()
                if then is None:
                    assert at is not None  # read now, the status is the session's own
                    raise status_unknown(tx, session, at)
                with contextlib.suppress(UnknownStatus):  # one its lifecycle no longer has
                    status = machine.status(then)
            if status is not None and status.cancelled:
                # It took place for nobody and expected nobody, as for_session lists it: its
                # resources are no one's absentees, nor is a booking left confirmed.
                return []
            return session_outcomes(
                tx,
                session,
                confirmed=was.bookings(),
                span=held_span(session) if machine is None else was.span(),
                no_show_session=status is not None and status.no_show,
                expected=self._expected(session),
                thresholds=self.policy.thresholds,
                as_of=at,
                now=None if status is not None and status.terminal else at or self._ctx.now(),
            )

    def presence(self, tenant: str, session_id: str) -> list[Presence]:
        """Return the session's stored presence events, by instant then id."""
        check_tenant(tenant)
        check_id(session_id, "session_id")
        with self._ctx.transaction() as tx:
            tx.sessions.get(tenant, session_id)
            return presence_repository(tx.uow).for_sessions(tenant, [session_id])
