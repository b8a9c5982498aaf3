"""Presence recording: store a batch of provider events once each; a first join starts.

Private to the services (``sessionkit.services.attendance`` re-exports
:class:`PresenceReport`). :class:`PresenceRecording` is the
``record_presence`` of :class:`~sessionkit.services.attendance.AttendanceCommands`:
one unit of work stores the new events and fires, for each session whose
first join is among them, its lifecycle's join transition.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta

import attrs

from sessionkit.errors import (
    InvalidValue,
    MissingFact,
    SessionNotFound,
    WrongType,
)
from sessionkit.lifecycle import Lifecycle, StatusChanged
from sessionkit.model.attendance import JOIN, LEAVE, Presence, PresenceEvent
from sessionkit.model.html import html_of
from sessionkit.model.session import Session
from sessionkit.model.text import check_tenant
from sessionkit.ports import PRESENCE
from sessionkit.services._attendance_policy import WRITE_ATTEMPTS, AttendancePolicy
from sessionkit.services._context import Context, Tx
from sessionkit.services._presence import presence_repository, with_attendance
from sessionkit.services._presence_seal import close_open_stays, ends_early, seal_instant
from sessionkit.services.commands import store_status
from sessionkit.services.rooms import JoinRules

__all__ = [
    "EARLY_JOIN",
    "MAX_PRESENCE_BATCH",
    "PresenceRecording",
    "PresenceReport",
    "start_on_join",
]

MAX_PRESENCE_BATCH = 10_000
"""The most presence events one ``record_presence`` call takes."""


@attrs.frozen(kw_only=True)
class PresenceReport:
    """What one ``record_presence`` call did.

    ``recorded`` events were stored; ``duplicates`` were stored before (or
    twice in the batch); ``unknown`` are the keys of events naming a session
    the tenant does not have (not stored); ``sealed`` the keys of events
    later than the end of a session that has ended (not stored: its
    attendance is sealed); ``started`` are the sessions the first join moved
    on, as stored.
    """

    _repr_html_ = html_of

    recorded: int = 0
    duplicates: int = 0
    unknown: tuple[str, ...] = ()
    started: tuple[Session, ...] = ()
    sealed: tuple[str, ...] = ()


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


class PresenceRecording:
    """The presence recording of :class:`~sessionkit.services.attendance.AttendanceCommands`."""

    _ctx: Context
    policy: AttendancePolicy

    def record_presence(
        self, tenant: str, events: Iterable[PresenceEvent], *, now: datetime | None = None
    ) -> PresenceReport:
        """Store a batch of provider presence events once each; return what it did.

        All in one unit of work: the new events, and for every session whose
        first join is among them, the policy's join transition (READY ->
        ONGOING), if it leaves the session's status, dated at that join (with
        the timed transitions due by then before it: see
        :func:`start_on_join`); a session it does not leave is left to the
        tick, unmoved. A join before the start fires it only inside the
        room's window (a status of the policy's ``join.joinable``, no earlier
        than ``join.early`` before the start): an LMS session joined the day
        before stays SCHEDULED, as the teacher's report is refused then. A
        join at or after the session's scheduled end is
        stored and starts nothing (a room left open, joined days later).
        Events already stored (a replay) and repeats within the batch count
        as ``duplicates``; events naming no session of
        the tenant are reported as ``unknown`` and not stored. A session that
        has ended (a terminal status) is sealed at its end (when it entered
        that status, its own field ``sealed_at``, at most its scheduled end):
        an event later than that is reported as ``sealed`` and not stored,
        and a join heard late that leaves a stay open at an end before the
        scheduled one is closed there. The batch locks its sessions' rows
        before it reads them, so a command ending one of them at the same
        time closes the stays this batch opens, or ends it after them. When
        racing writers store an event or move a session first, the batch runs
        again (it wrote nothing), and then finds them stored. A database's
        refusal (``TransientConflict``) runs it again as any command's does
        (``attempts``), and not at all in a unit joined to the host's transaction.
        """
        check_tenant(tenant)
        batch = _check_events(events)
        at = self._ctx.at(now, "now")
        # Racing writers stored an event or moved a session first: run it again.
        return self._ctx.retrying_races(
            lambda: self._record(tenant, batch, at), WRITE_ATTEMPTS, duplicate=PRESENCE.name
        )

    def _record(self, tenant: str, batch: list[PresenceEvent], now: datetime) -> PresenceReport:
        ctx = self._ctx
        with ctx.transaction(now) as tx:
            repo = presence_repository(tx.uow)
            unique: dict[str, PresenceEvent] = {}
            for event in batch:
                unique.setdefault(event.key, event)
            stored = {p.id for p in repo.get_many(tenant, list(unique))}
            fresh = [e for key, e in unique.items() if key not in stored]
            sessions = _locked_sessions(tx, tenant, {e.session_id for e in fresh})
            seals = {i: seal_instant(ctx.lifecycle(s.lifecycle), s) for i, s in sessions.items()}
            unknown = tuple(e.key for e in fresh if e.session_id not in sessions)
            sealed = tuple(e.key for e in fresh if _after(e, seals))
            known = [e for e in fresh if e.session_id in sessions and not _after(e, seals)]
            repo.add_many([Presence.of(tenant, e, tx.now) for e in known])
            for session_id in sorted({e.session_id for e in known if seals[e.session_id]}):
                # A join heard after its session ended opened a stay the end closes.
                ended, at = sessions[session_id], seals[session_id]
                if at is not None and ends_early(ended, at):
                    close_open_stays(repo, ended, at, repo.for_sessions(tenant, [session_id]))
            # A join with a leave of the same participant at the same instant in the batch
            # (a join that failed at once) makes no stay, so it starts nothing; nor does a
            # join at or after the session's end (someone in a room left open, days later),
            # which no stay of the ``attended`` fact counts: it would hold, and charge, a
            # session nobody came to.
            left = {(e.session_id, e.participant, e.at) for e in known if e.action == LEAVE}
            first: dict[str, datetime] = {}
            for e in known:
                if e.at >= sessions[e.session_id].end:
                    continue
                if e.action == JOIN and (e.session_id, e.participant, e.at) not in left:
                    first[e.session_id] = min(e.at, first.get(e.session_id, e.at))
            started = start_on_join(
                self._ctx, self.policy, tx, [sessions[i] for i in sorted(first)], heard=first
            )
            return PresenceReport(
                recorded=len(known),
                duplicates=len(batch) - len(fresh),
                unknown=unknown,
                sealed=sealed,
                started=tuple(started),
            )


def _locked_sessions(tx: Tx, tenant: str, session_ids: Iterable[str]) -> dict[str, Session]:
    """Lock and read the batch's sessions (in id order), by id; unknown ids are left out.

    Locked, not only read: a command ending a session early closes the stays
    open then, and a join this batch stores after that command read the
    stays would stay open, counted to the scheduled end. With the row locked
    first, one of the two waits for the other, and whichever comes second
    sees what the first stored.
    """
    found: dict[str, Session] = {}
    for session_id in sorted(session_ids):
        try:
            found[session_id] = tx.bookings.lock_session(tenant, session_id)
        except SessionNotFound:
            continue
    return found


def _after(event: PresenceEvent, seals: dict[str, datetime | None]) -> bool:
    """Whether ``event`` comes after the end of its session (known, and ended)."""
    at = seals.get(event.session_id)
    return at is not None and event.at > at


def start_on_join(
    ctx: Context,
    policy: AttendancePolicy,
    tx: Tx,
    sessions: list[Session],
    *,
    actor: str | None = None,
    heard: Mapping[str, datetime] | None = None,
) -> list[Session]:
    """Move each session on by the clock, then fire the join transition where it leaves.

    A session the join transition does not leave is not moved at all: its
    due timers are the tick's, so a refusal they meet (a credit over the
    limit on completing) never refuses the batch's presence. Facts are
    read only for a session whose due timers need them (a READY academy
    lesson past its ABSENT time): most sessions need none. A first join
    heard, and a teacher's override that someone was there, both call it:
    ``actor`` is the override's, on the join transition and on the events (a
    provider's join has none).

    The join transition is dated when the join was: the first join
    ``heard`` of the session (by id), or its scheduled start for a
    teacher's word, with the timers due by then before it; never before the
    session's last write, nor after the unit's now. A join the lifecycle
    does not take then (a join before READY, or before the start outside
    the room's window: see :func:`_starts`), or one before the session's
    last write, fires it only if someone counts as there (the ``attended``
    fact, as the tick reads it); the former is dated when the timers due by
    now made it possible, else now. Dated when it was heard instead, a join
    delivered after the session's end came after the completion the tick
    then dates at its due time: ONGOING after COMPLETED in the journal.
    """
    name = policy.join_transition
    if name is None or not sessions:
        return []
    moved: list[Session] = []
    for session in sessions:
        machine = ctx.lifecycle(session.lifecycle)
        joined = (heard or {}).get(session.id)
        at = _joined_at(session, joined, tx.now)
        # A join before the session's last write (the READY step the tick stored) may
        # have come before the session could take it.
        early = joined is not None and joined < at
        changed, changes = _advanced(ctx, tx, machine, session, at)
        if not _starts(machine, policy.join, changed, name, at):
            changed, later = _advanced(ctx, tx, machine, changed, tx.now)
            changes = (*changes, *later)
            at = max(at, later[-1].at) if later else tx.now
            if not _starts(machine, policy.join, changed, name, at):
                continue
            early = True
        if early and not _someone_there(ctx, tx, changed):
            # Such a join starts it only if someone counts as there now, as the tick's
            # joined_before reads it: a microphone test over before the lesson, heard
            # late, is no stay in it.
            continue
        changed, change = machine.fire(changed, name, now=at, actor=actor)
        steps: list[StatusChanged] = [*changes, change]
        moved.append(store_status(tx, machine, session, changed, steps, actor))
    return moved


EARLY_JOIN = timedelta(minutes=15)
"""How long before its start a join starts a session outside the room's statuses (LMS)."""


def _starts(
    machine: Lifecycle, rules: JoinRules, session: Session, name: str, at: datetime
) -> bool:
    """Whether a join at ``at`` fires ``name`` on ``session`` (as the clock moved it by then).

    Before the start, only inside the room's window: ``session`` in one of
    the ``joinable`` statuses (the academy's READY, its 15 minutes) and no
    earlier than ``rules.early`` before the start; in another status (an LMS
    session, SCHEDULED until someone starts it), no earlier than ``rules.early``
    or :data:`EARLY_JOIN` before it. An LMS session joined the day before was
    CONDUCTING a day early, where the teacher's report that someone was there
    is refused until the start (``not_started``).
    """
    if not machine.can(session, name, now=at):
        return False
    if at >= session.start:
        return True
    early = rules.early
    if session.status in rules.joinable:
        return early is None or at >= session.start - early
    # A status outside the room's (an LMS session, SCHEDULED until someone starts it): a
    # join a little before the start is the lesson beginning, as one at it is; no timer
    # would start it later, were the teacher in the room from 10:58 and heard no more.
    return at >= session.start - (EARLY_JOIN if early is None else early)


def _someone_there(ctx: Context, tx: Tx, session: Session) -> bool:
    """Whether the ``attended`` fact holds for ``session`` now (the stored attendance's)."""
    facts = with_attendance(ctx.facts).facts_for([session], tx.uow).get(session.id)
    return bool(facts and facts.get("attended"))


def _joined_at(session: Session, heard: datetime | None, now: datetime) -> datetime:
    """When a join starts ``session``: ``heard`` (else its start), within its last write and now."""
    last = session.updated_at or session.created_at
    return min(now, max(session.start if heard is None else heard, last))


def _advanced(
    ctx: Context, tx: Tx, machine: Lifecycle, session: Session, until: datetime
) -> tuple[Session, tuple[StatusChanged, ...]]:
    """``machine.advance`` of ``session`` to ``until``, with facts read only when a timer asks."""
    try:
        return machine.advance(session, until, facts={})
    except MissingFact:
        facts = with_attendance(ctx.facts).facts_for([session], tx.uow)
        return machine.advance(session, until, facts=facts.get(session.id))
