"""``python -m sessionkit demo coaching``: the Skileez coaching platform (seed 004), rebuilt.

**A contract is N sessions.** The seed's proposal of ``N`` sessions between a
student and a coach is ``N`` extra sessions of the ``coaching`` preset
(SCHEDULED -> COMPLETED, CANCELLED, MISSED), each with the own fields
``contract`` and ``number`` (the seed's ``session_number``). Coach and
student are both resources of every session, so neither is booked twice.
Sessions are kept in the coach's zone; the student reads them in her own.

**Reschedule requests** are ``kit.reschedules`` under
:func:`~sessionkit.policies.coaching_notice`: students ask with 24 hours'
notice, coaches with 48, within 10 hours only students; the other side has
24 hours to answer and silence approves (the tick ``kit.approve_reschedules``).

**Confirming.** The coach confirms a session with :func:`confirm` (the
seed's ``confirmed_by_coach``, an own field beside the status).

**Joining, attendance and no-shows.** Coach and student enter the session's
meeting room with a credential from ``kit.attendance.join_credential`` (while
SCHEDULED, from ten minutes before the start: :data:`ATTENDANCE`); the
provider (a :class:`~sessionkit.testing.rooms.FakeMeetingRooms` here) reports
their joins, which ``kit.attendance.record_presence`` stores once each.
Either side completes a started session with notes (``kit.sessions.fire(...,
"complete", role=..., notes=...)``, kept as the session's own field
``coach_notes`` or ``student_notes``). A session nobody completed becomes
MISSED 30 minutes after its start, on the ``kit.advance_due`` tick, if nobody
attended: sessionkit's :func:`~sessionkit.services.attendance.attendance_facts`
answer the ``attended`` fact from the stored presence (and overrides).
No-shows are per participant: ``kit.attendance.outcomes`` says who of coach
and student came to each session (the coach who waited for a student who
never came completes the session; the student is the no-show), and
:func:`progress` counts them by side.

Every write is keyed (a contract's sessions by number, a request by its role
and reason), so running the demo again on the same database finds what it
made and writes nothing twice.

This module keeps the settings, the wiring and the actions, and computes
:func:`progress`; the value classes (:class:`Person`, :class:`Contract`,
:class:`Coaching`, :class:`Progress`) are kept in ``_coaching_values`` beside
it, by the style's size limit, and exported from here under this name.
"""

from __future__ import annotations

# Mapping, imported ``as Mapping``, is not used here: it is where the moved Progress's type
# hints resolve (its __module__ is this one).
import itertools
import uuid
from collections.abc import Callable
from collections.abc import Mapping as Mapping
from datetime import UTC, datetime, timedelta

import attrs

from sessionkit.adapters.memory import InMemoryStore
from sessionkit.demo._coaching_values import Coaching, Contract, Person, Progress
from sessionkit.errors import ActionRefused
from sessionkit.model.query import SessionQuery
from sessionkit.model.reschedule import RescheduleRequest
from sessionkit.model.session import Session
from sessionkit.policies import NO_SHOW, AttendanceOutcome, coaching_notice
from sessionkit.ports import JoinCredential, UnitOfWorkFactory
from sessionkit.services import SessionKit
from sessionkit.services.attendance import AttendancePolicy, attendance_facts
from sessionkit.services.rooms import JoinRules
from sessionkit.testing.clocks import ManualClock
from sessionkit.testing.rooms import FakeMeetingRooms
from sessionkit.zones import get_zone, resolve_local

__all__ = [
    "ATTENDANCE",
    "DEFAULT_DB",
    "DEMO_NOW",
    "MEETINGS",
    "NOTES_LIMIT",
    "TENANT",
    "Coaching",
    "Contract",
    "Person",
    "Progress",
    "answer",
    "attendance",
    "build_coaching",
    "cancel",
    "complete",
    "confirm",
    "contract_sessions",
    "join",
    "mark_missed",
    "progress",
    "request_reschedule",
    "sign",
]

DEFAULT_DB = "sqlite:///sessionkit-coaching.sqlite3"
"""Where the coaching demo keeps its data unless ``--db`` says otherwise."""

DEMO_NOW = datetime(2026, 3, 2, 14, tzinfo=UTC)
"""The demo's "now": Monday 2 March 2026, 15:00 in Berlin, 09:00 in New York."""

TENANT = "skileez"
"""The platform's tenant."""

MEETINGS = "skileez-meet"
"""The meeting provider's name (the ``provider`` of its presence events)."""

NOTES_LIMIT = 1000
"""The seed's "optional notes up to 1000 characters": the coaching preset's ``complete`` takes
no longer ones (``Transition(max_notes=1000)``; sessionkit's own bound is 2,000)."""

ATTENDANCE = AttendancePolicy(
    join_transition=None,
    attendee_kinds={"coach", "student"},
    join=JoinRules(joinable={"SCHEDULED"}, early=timedelta(minutes=10)),
)
"""Coaching's attendance: no status for "someone joined"; coach and student are both expected
(they are the session's resources, not bookings); the room opens ten minutes before the start.
"""


def build_coaching(
    now: datetime = DEMO_NOW,
    *,
    uow: UnitOfWorkFactory | None = None,
    ids: Callable[[], str] | None = None,
) -> Coaching:
    """Wire the platform over ``uow`` (a fresh in-memory store for ``None``) at ``now``."""
    factory = InMemoryStore().unit_of_work if uow is None else uow
    if ids is None:  # a database outlives this run: ids no earlier run gave
        counter = (f"k{n:04d}" for n in itertools.count(1))
        ids = (lambda: next(counter)) if uow is None else (lambda: uuid.uuid4().hex)
    clock = ManualClock(now)
    rooms = FakeMeetingRooms(MEETINGS)
    kit = SessionKit(
        uow=factory,
        clock=clock,
        ids=ids,
        facts=attendance_facts(),
        notice=coaching_notice(),
        attendance=ATTENDANCE,
        rooms=rooms,
        journal=True,  # the seed's audit trail: who changed what, when and why
    )
    return Coaching(kit=kit, clock=clock, rooms=rooms)


def contract_sessions(c: Coaching, contract: Contract) -> list[Session]:
    """Return the contract's sessions, by number."""
    query = SessionQuery(fields={"contract": contract.key})
    return sorted(c.kit.queries.each(TENANT, query), key=lambda s: int(s.metadata["number"]))


def sign(c: Coaching, contract: Contract) -> list[Session]:
    """Create the contract's sessions (those not made yet); return all of them, by number."""
    made = {int(s.metadata["number"]) for s in contract_sessions(c, contract)}
    zone = get_zone(contract.coach.zone)
    first = contract.first.astimezone(zone).replace(tzinfo=None)
    for number in range(1, contract.count + 1):
        if number in made:
            continue
        # The same wall time every week in the coach's zone, whatever DST does: a time
        # the clock skips that day moves by the gap, a repeated one is taken the first
        # time. The lesson lasts its minutes of elapsed time, across a change too.
        start = resolve_local(first + timedelta(weeks=number - 1), zone)
        c.kit.sessions.create_extra(
            TENANT,
            actor=contract.coach.slug,
            start=start,
            end=start.astimezone(UTC) + timedelta(minutes=contract.minutes),
            title=f"{contract.subject} {number}/{contract.count} with {contract.student.name}",
            resources=[contract.coach.ref, contract.student.ref],
            tz=contract.coach.zone,
            lifecycle="coaching",
            metadata={"contract": contract.key, "number": number},
        )
    return contract_sessions(c, contract)


def confirm(c: Coaching, session: Session, who: Person) -> Session:
    """``who``, the session's coach, confirms it (the seed's ``POST /sessions/<id>/confirm``).

    Kept as the own field ``confirmed_by_coach`` (the seed's column: a flag
    beside the status, not a status), written with ``kit.sessions.set_fields``
    at the version read, so it lands only on the session as checked. Only the
    session's own coach confirms (``ActionRefused``, rule ``"not_the_coach"``),
    and only a SCHEDULED session (rule ``"not_scheduled"``); a confirmed one is
    returned as it is (a rerun writes nothing).
    """
    current = c.kit.queries.get(TENANT, session.id)
    if who.role != "coach" or who.ref not in current.resources:
        raise ActionRefused(
            "not_the_coach",
            f"only the coach of session {current.id!r} confirms it, not {who.role} {who.slug!r}",
        )
    if current.metadata.get("confirmed_by_coach") is True:
        return current
    if current.status != "SCHEDULED":
        raise ActionRefused(
            "not_scheduled",
            f"session {current.id!r} is {current.status}: only a SCHEDULED session is confirmed",
        )
    return c.kit.sessions.set_fields(
        TENANT,
        current.id,
        actor=who.slug,
        set={"confirmed_by_coach": True},
        expected_version=current.version,
    )


def _check_party(session: Session, who: Person, action: str) -> None:
    """Refuse ``who`` unless they are the coach or the student of ``session``.

    The seed: "Users can only modify their own sessions"; only the
    contract's participants act on its sessions.
    """
    if who.role not in ("coach", "student") or who.ref not in session.resources:
        raise ActionRefused(
            "not_a_party",
            f"only the coach and the student of session {session.id!r} {action}, "
            f"not {who.role} {who.slug!r}",
        )


def request_reschedule(
    c: Coaching, session: Session, who: Person, reason: str, *, start: datetime | None = None
) -> RescheduleRequest:
    """``who``, the session's coach or student, asks to move it (to ``start``, if given).

    ``kit.reschedules.request`` under :func:`~sessionkit.policies.coaching_notice`
    (``RescheduleRefused``: notice by role, the 10-hour window, one pending
    request, a reason of 10 to 500 characters, a new time an hour ahead);
    someone else is refused first (``ActionRefused``, rule ``"not_a_party"``).
    """
    _check_party(c.kit.queries.get(TENANT, session.id), who, "ask to move it")
    return c.kit.reschedules.request(
        TENANT, session.id, role=who.role, actor=who.slug, reason=reason, proposed_start=start
    )


def answer(
    c: Coaching, request: RescheduleRequest, who: Person, *, approve: bool
) -> RescheduleRequest:
    """``who``, the other side of the session, approves or declines ``request``.

    Someone who is not the session's coach or student is refused
    (``ActionRefused``, rule ``"not_a_party"``); the requester's own side is
    refused by sessionkit (``RescheduleRefused``, rule ``"own_request"``).
    """
    _check_party(c.kit.queries.get(TENANT, request.session_id), who, "answer its requests")
    if approve:
        return c.kit.reschedules.approve(TENANT, request.id, role=who.role, actor=who.slug)
    return c.kit.reschedules.decline(TENANT, request.id, role=who.role, actor=who.slug)


def join(c: Coaching, session: Session, who: Person) -> JoinCredential | None:
    """``who`` enters ``session``'s meeting room now; return their credential.

    The credential comes from ``kit.attendance.join_credential`` (which refuses
    with ``ActionRefused`` outside the join window), the provider reports the
    join, and ``kit.attendance.record_presence`` stores it. ``None``: ``who``'s
    join was stored before (a rerun), nothing is done.
    """
    event_id = f"{session.id}-{who.role}-join"
    if any(p.id == f"{MEETINGS}:{event_id}" for p in c.kit.attendance.presence(TENANT, session.id)):
        return None
    credential = c.kit.attendance.join_credential(TENANT, session.id, who.ref)
    c.rooms.join(TENANT, session.id, who.ref, at=c.clock.now(), event_id=event_id)
    c.kit.attendance.record_presence(TENANT, c.rooms.drain())
    return credential


def attendance(c: Coaching, session: Session) -> dict[str, AttendanceOutcome]:
    """Return who of coach and student came to ``session``, by role."""
    return {o.participant.kind: o for o in c.kit.attendance.outcomes(TENANT, session.id)}


def complete(c: Coaching, session: Session, who: Person, notes: str) -> Session:
    """``who`` marks ``session`` completed with ``notes`` (a rerun finds it completed).

    Notes longer than :data:`NOTES_LIMIT` raise ``InvalidValue`` (the preset's
    ``complete`` refuses them); nothing is written. Only the session's coach or
    student completes it (``ActionRefused``, rule ``"not_a_party"``), and only
    a SCHEDULED one: a CANCELLED or MISSED session is refused
    (``InvalidTransition``), as the seed's "only scheduled sessions can be
    completed" says.
    """
    current = c.kit.queries.get(TENANT, session.id)
    _check_party(current, who, "complete it")
    if current.status == "COMPLETED":
        return current
    return c.kit.sessions.fire(
        TENANT, session.id, "complete", actor=who.slug, role=who.role, notes=notes
    )


def cancel(c: Coaching, session: Session, who: Person, reason: str) -> Session:
    """``who`` cancels ``session`` now, giving ``reason`` (a rerun finds it cancelled).

    The seed's ``POST /sessions/<id>/cancel``: immediate, no approval, only a
    SCHEDULED session (``InvalidTransition`` otherwise); a pending reschedule
    request of it expires with it, and the reason is kept in the audit trail.
    Only the session's coach or student cancels it (``ActionRefused``, rule
    ``"not_a_party"``).
    """
    current = c.kit.queries.get(TENANT, session.id)
    _check_party(current, who, "cancel it")
    if current.status == "CANCELLED":
        return current
    return c.kit.sessions.cancel(TENANT, session.id, actor=who.slug, role=who.role, reason=reason)


def mark_missed(c: Coaching, session: Session, who: Person, reason: str) -> Session:
    """``who`` marks ``session`` MISSED by hand, giving ``reason`` (a rerun finds it missed).

    The seed's ``POST /sessions/<id>/missed``: only once the session started
    (``TransitionRefused``) and only a SCHEDULED one (``InvalidTransition``).
    Only the session's coach or student marks it (``ActionRefused``, rule
    ``"not_a_party"``).
    """
    current = c.kit.queries.get(TENANT, session.id)
    _check_party(current, who, "mark it missed")
    if current.status == "MISSED":
        return current
    return c.kit.sessions.fire(
        TENANT, session.id, "miss", actor=who.slug, role=who.role, reason=reason
    )


_HELD = frozenset({"COMPLETED", "MISSED"})
"""The statuses of sessions whose time came."""


def progress(c: Coaching, contract: Contract) -> Progress:
    """Return the contract's progress: its figures from ``kit.analytics``, its request history."""
    scope = SessionQuery(fields={"contract": contract.key})
    analytics = c.kit.analytics
    done = analytics.progress(TENANT, scope, total=contract.count)
    moved = analytics.rates(TENANT, scope=scope).get().rescheduled
    held = attrs.evolve(scope, statuses=sorted(_HELD))
    attended = {
        (row.key or "").partition(":")[0]: row.minutes
        for row in analytics.attendance(TENANT, scope=held, by="participant").rows
    }
    requests: dict[str, int] = {}
    no_shows: dict[str, int] = {}
    planned = 0
    for session in contract_sessions(c, contract):
        history: list[RescheduleRequest] = c.kit.reschedules.for_session(TENANT, session.id)
        for request in history:
            requests[request.status] = requests.get(request.status, 0) + 1
        if session.status in _HELD:
            planned += session.span.duration // timedelta(minutes=1)
            for role, outcome in attendance(c, session).items():
                if outcome.outcome == NO_SHOW:
                    no_shows[role] = no_shows.get(role, 0) + 1
    return Progress(
        total=contract.count,
        statuses=analytics.counts(TENANT, scope=scope).by_status(),
        requests=requests,
        moved=moved,
        due=done.due,
        on_track=done.on_track,
        no_shows=no_shows,
        planned_minutes=planned,
        attended_minutes=attended,
    )


# Show (and pickle) what moved to the values module under this public path, as before.
_moved: object
for _moved in (Coaching, Contract, Person, Progress):
    _moved.__module__ = __name__
del _moved
