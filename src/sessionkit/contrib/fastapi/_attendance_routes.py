"""The routes of attendance: joining the room, presence events, the teacher's override.

Added to the router by :func:`add_attendance_routes`. Presence comes from the
meeting provider, so its route takes the router's ``webhook`` caller (where a
host verifies the provider's signature). A join credential is issued only for
the caller's own participant (``Caller.participant``): it lets its holder into
the room as that participant. A session's attendance is everyone's to staff
and to the session's own resources (its teacher), and the caller's own record
to anyone else. A presence event is heard after it happens, so one dated later than the
kit's clock allows (its now plus the router's ``presence_skew``) is refused, its batch with it.
"""

# No ``from __future__ import annotations``: FastAPI reads the routes' annotations at runtime.
from datetime import datetime, timedelta
from typing import Annotated

from fastapi import Path, Query

from sessionkit.contrib.fastapi import attendance_schemas as ats
from sessionkit.contrib.fastapi._access import not_granted
from sessionkit.contrib.fastapi._common import (
    ACTING,
    READ_AS,
    WRITE,
    actor_of,
    heard_by,
    instant,
    participant_named,
)
from sessionkit.contrib.fastapi._paths import PARTICIPANT
from sessionkit.contrib.fastapi._routing import Hook, Kit, Routes, Who
from sessionkit.errors import ParticipantNotGranted
from sessionkit.model.attendance import PresenceEvent
from sessionkit.model.booking import participant_ref

__all__ = ["add_attendance_routes"]


def _heard_by(events: list[ats.PresenceEventIn], now: datetime, skew: timedelta) -> None:
    """Refuse an event dated later than ``now`` plus ``skew``: no one joins in the future."""
    for index, event in enumerate(events):
        heard_by(event.at, f"events[{index}].at", now=now, skew=skew, what="a presence event")


def _event(event: ats.PresenceEventIn) -> PresenceEvent:
    """Return ``event`` as the core's, its participant told a participant's form.

    The core's refusal of a participant without a kind shows a resource's form
    ('teacher:t-17'); :func:`participant_named` shows a participant's, as a
    booking's body and a path's participant are shown it.
    """
    participant_named(event.participant)
    return event.to_event()


Participant = Annotated[str, Path(examples=["student:ann"])]
AsOf = Annotated[
    str | None,
    Query(
        description="ISO 8601 with offset; the session as it stood then: joins, leaves and"
        " teacher's overrides after it are not counted yet, an open stay runs to it, and inside"
        " the session presence is judged against the time elapsed so far"
    ),
]


def add_attendance_routes(routes: Routes) -> None:
    """Add the routes of attendance to ``routes`` (see :func:`sessionkit_router`)."""
    attendance = routes.tagged("attendance")
    access = routes.access

    @attendance.post(
        "/sessions/{session_id}/join",
        ats.JoinCredentialOut,
        ACTING,
        "A credential for the caller to enter the session's meeting room now",
    )
    def join(app: Kit, who: Who, session_id: str) -> ats.JoinCredentialOut:
        if who.participant is None:
            raise ParticipantNotGranted("a join credential")
        found = app.attendance.join_credential(who.tenant, session_id, who.participant)
        return ats.join_credential_out(found)

    @attendance.post(
        "/presence-events",
        ats.PresenceReportOut,
        (*routes.hook_problems, *WRITE),
        "Store the meeting provider's join / leave events, once each",
    )
    def presence_events(app: Kit, hook: Hook, body: ats.PresenceBatch) -> ats.PresenceReportOut:
        now = app.context.now()  # one now: the one checked is the one recorded at
        _heard_by(body.events, now, routes.presence_skew)
        events = [_event(event) for event in body.events]
        report = app.attendance.record_presence(hook.tenant, events, now=now)
        return ats.presence_report_out(report)

    @attendance.get(
        "/sessions/{session_id}/attendance",
        list[ats.AttendanceOut],
        READ_AS,
        "A session's attendance by participant: everyone's for staff, else the caller's own",
    )
    def session_attendance(
        app: Kit, who: Who, session_id: str, as_of: AsOf = None
    ) -> list[ats.AttendanceOut]:
        # Everyone's (a teacher's report and its reason included) is staff's, or one of the
        # session's resources' (its teacher); a participant reads its own record alone.
        own = None
        if access.kept(who):
            if who.participant is None:
                raise not_granted("a session's attendance", participant=None, granted=None)
            own = participant_ref(who.participant)
        found = app.attendance.for_session(
            who.tenant,
            session_id,
            as_of=instant(as_of, "as_of"),
        )
        if own is not None:
            session = app.queries.get(who.tenant, session_id, actor=who.actor)
            if own not in session.resources:
                found = [a for a in found if a.participant == own]
        return [ats.attendance_out(a) for a in found]

    @attendance.put(
        f"/sessions/{{session_id}}/attendance/{PARTICIPANT}",
        ats.AttendanceOut,
        ACTING,
        "Record the teacher's report for a participant (it replaces an earlier one)",
    )
    def override(
        app: Kit, who: Who, session_id: str, participant: Participant, body: ats.OverrideIn
    ) -> ats.AttendanceOut:
        access.staff(who)
        found = app.attendance.override(
            who.tenant,
            session_id,
            participant_named(participant),
            status=body.status,
            actor=actor_of(who),
            minutes=body.minutes,
            reason=body.reason,
        )
        return ats.attendance_out(found)

    @attendance.delete(
        f"/sessions/{{session_id}}/attendance/{PARTICIPANT}",
        ats.OverrideCleared,
        ACTING,
        "Remove the teacher's report for a participant (presence counts again)",
    )
    def clear_override(
        app: Kit, who: Who, session_id: str, participant: Participant
    ) -> ats.OverrideCleared:
        access.staff(who)
        cleared = app.attendance.clear_override(
            who.tenant, session_id, participant_named(participant), actor=who.actor
        )
        return ats.OverrideCleared(cleared=cleared)
