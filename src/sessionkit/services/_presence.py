"""Attendance read inside a unit of work: for the commands that act on it, and as facts.

Private to the services (``sessionkit.services.attendance`` re-exports the
public names). :func:`presence_repository` and :func:`override_repository`
are a unit's stores of presence and of overrides. :func:`session_attendance`
reads the stored presence and the teacher's overrides of one session and
derives, for the participants asked about, the attendance that counts;
``None`` when the session has no attendance records at all (or the store
keeps none), so callers can tell "absent" from "nobody recorded anything".
:func:`overrides_as_of` keeps the overrides decided by an instant, for a read
``as_of`` it.
:func:`came_to` reads it as a no-show session is read: who was there (the
host's no-show), for the credits, the refunds and ``kit.analytics.clients``.
:class:`AttendanceFacts` hands the attended facts to timed conditions (the
academy's ABSENT, the coaching no-show) through the kit's ``facts=``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime

import attrs

from sessionkit.errors import UnsupportedKind
from sessionkit.model.attendance import (
    ABSENT,
    JOIN,
    Attendance,
    AttendanceOverride,
    AttendanceThresholds,
    Interval,
    Presence,
    derive_attendance,
    held_span,
    intervals_of,
)
from sessionkit.model.session import ResourceRef, Session
from sessionkit.policies.no_shows import ATTENDED, outcome_of
from sessionkit.ports import (
    ATTENDANCE_OVERRIDES,
    PRESENCE,
    FactProvider,
    OverrideRepository,
    PresenceRepository,
    UnitOfWork,
)
from sessionkit.services._context import Tx
from sessionkit.timespan import TimeSpan

__all__ = [
    "AttendanceFacts",
    "Records",
    "attendance_facts",
    "attendance_from",
    "attendance_records",
    "came_among",
    "came_to",
    "overrides_as_of",
    "facts_from",
    "override_repository",
    "presence_repository",
    "records_of",
    "session_attendance",
    "with_attendance",
]


def presence_repository(uow: UnitOfWork) -> PresenceRepository:
    """Return the unit's repository of presence events."""
    return uow.repository(PRESENCE)


def override_repository(uow: UnitOfWork) -> OverrideRepository:
    """Return the unit's repository of the teacher's attendance overrides."""
    return uow.repository(ATTENDANCE_OVERRIDES)


Records = tuple[list[Presence], dict[ResourceRef, AttendanceOverride]]
"""A session's stored presence, and its overrides by participant."""


def attendance_records(uow: UnitOfWork, session: Session) -> Records:
    """Return the session's stored presence and its overrides by participant (none: empty)."""
    return records_of(uow, session.tenant, [session.id]).get(session.id, ([], {}))


def overrides_as_of(
    overrides: Mapping[ResourceRef, AttendanceOverride], as_of: datetime | None
) -> dict[ResourceRef, AttendanceOverride]:
    """Return those of ``overrides`` decided at or before ``as_of`` (``None``: all of them).

    As it stood at ``as_of``: a teacher's report decided after it had not been
    given yet. An override keeps only its latest decision, so one replaced or
    cleared after ``as_of`` is not seen as it was then.
    """
    return {who: o for who, o in overrides.items() if as_of is None or o.decided_at <= as_of}


def records_of(uow: UnitOfWork, tenant: str, session_ids: Iterable[str]) -> dict[str, Records]:
    """Return the :data:`Records` of those sessions that have any, by id (two reads in all)."""
    ids = list(session_ids)
    try:
        presence = uow.repository(PRESENCE).for_sessions(tenant, ids)
        overrides = uow.repository(ATTENDANCE_OVERRIDES).for_sessions(tenant, ids)
    except UnsupportedKind:  # a store that keeps no attendance
        return {}
    found: dict[str, Records] = {}
    for record in presence:
        found.setdefault(record.session_id, ([], {}))[0].append(record)
    for override in overrides:
        found.setdefault(override.session_id, ([], {}))[1][override.participant] = override
    return found


def session_attendance(
    uow: UnitOfWork,
    session: Session,
    participants: Iterable[ResourceRef],
    thresholds: AttendanceThresholds,
) -> dict[ResourceRef, Attendance] | None:
    """Return the attendance of each of ``participants``; ``None`` when there are no records.

    A stay still open runs to the session's end (the room closes then); the
    share is judged against the span it was held (``held_span``: to its
    actual end, when it ended early).
    """
    return attendance_from(session, attendance_records(uow, session), participants, thresholds)


def attendance_from(
    session: Session,
    records: Records,
    participants: Iterable[ResourceRef],
    thresholds: AttendanceThresholds,
) -> dict[ResourceRef, Attendance] | None:
    """:func:`session_attendance` of the session's ``records``, already read."""
    presence, overrides = records
    if not presence and not overrides:
        return None
    return {
        who: derive_attendance(
            presence,
            span=held_span(session),
            session_id=session.id,
            participant=who,
            thresholds=thresholds,
            override=overrides.get(who),
        )
        for who in participants
    }


def came_to(tx: Tx, session: Session, who: Iterable[ResourceRef]) -> frozenset[ResourceRef] | None:
    """Return those of ``who`` at no-show ``session``; ``None`` when it has no attendance records.

    A participant counts as there as :func:`session_attendance` then
    :func:`~sessionkit.policies.outcome_of` (``no_show_session=True``) read
    them: ``attended`` (an attendance still pending is not). In a no-show
    status that is the host's no-show. ``None``: the status is all there is,
    everyone is a no-show.
    """
    return came_among(session, attendance_records(tx.uow, session), who, tx.thresholds)


def came_among(
    session: Session,
    records: Records,
    who: Iterable[ResourceRef],
    thresholds: AttendanceThresholds,
) -> frozenset[ResourceRef] | None:
    """:func:`came_to` of the session's ``records``, already read."""
    attendance = attendance_from(session, records, who, thresholds)
    if attendance is None:
        return None
    return frozenset(
        p for p, seen in attendance.items() if outcome_of(seen, no_show_session=True) == ATTENDED
    )


def facts_from(
    presence: Iterable[Presence],
    overrides: Iterable[AttendanceOverride],
    spans: Mapping[str, TimeSpan] | None = None,
) -> dict[str, dict[str, object]]:
    """Return ``{session_id: {"joined", "attendees", "attended"}}`` from presence and overrides.

    ``joined``: someone's join was reported. ``attendees``: participants who
    count as there (the teacher's word first; else a stay of theirs, as
    :func:`~sessionkit.model.attendance.intervals_of` walks the events: a join
    and a leave at one instant, a join that failed at once, make none; with
    the sessions' ``spans``, only a stay reaching into its session's span:
    one that ended before the start, as at a move, counts nothing).
    ``attended``: ``attendees > 0``.
    """
    reported: dict[str, dict[ResourceRef, list[Presence]]] = {}
    for record in presence:
        reported.setdefault(record.session_id, {}).setdefault(record.participant, []).append(record)
    joined: dict[str, set[ResourceRef]] = {}
    for session_id, people in reported.items():
        if any(r.action == JOIN for records in people.values() for r in records):
            span = None if spans is None else spans.get(session_id)
            joined[session_id] = {
                who for who, records in people.items() if _stayed(intervals_of(records), span)
            }
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
            "joined": session_id in joined,  # a join reported, a stay or not
            "attendees": len(came),
            "attended": bool(came),
        }
    return facts


def _stayed(stays: Sequence[Interval], span: TimeSpan | None) -> bool:
    """Whether ``stays`` hold a stay (inside ``span``, when given)."""
    if span is None:
        return bool(stays)
    return any(s.joined < span.end and (s.left is None or s.left > span.start) for s in stays)


_NOBODY: Mapping[str, object] = {"joined": False, "attendees": 0, "attended": False}


@attrs.frozen
class AttendanceFacts(FactProvider):
    """A :class:`~sessionkit.ports.FactProvider` of the attended facts, from stored attendance.

    Every session asked about gets ``attended`` (someone counts as there:
    the teacher's override first, else a stay of theirs: a join not undone by
    a leave at the same instant), ``attendees`` (how
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
                    uow.repository(PRESENCE).for_sessions(tenant, ids),
                    uow.repository(ATTENDANCE_OVERRIDES).for_sessions(tenant, ids),
                    {s.id: s.span for s in sessions},
                )
            )
        host = {} if self.also is None else self.also.facts_for(sessions, uow)
        return {s.id: {**found.get(s.id, _NOBODY), **host.get(s.id, {})} for s in sessions}


def attendance_facts(also: FactProvider | None = None) -> AttendanceFacts:
    """Return the attended-facts provider to pass as ``SessionKit(facts=...)``."""
    return AttendanceFacts(also)


def with_attendance(facts: FactProvider | None) -> AttendanceFacts:
    """Return ``facts`` as a provider that also gives the stored attended facts.

    An :class:`AttendanceFacts` is returned as it is (asking the store once,
    not twice); anything else (the host's provider, or ``None``) is wrapped,
    the host's facts winning over the stored ones.
    """
    return facts if isinstance(facts, AttendanceFacts) else AttendanceFacts(facts)
