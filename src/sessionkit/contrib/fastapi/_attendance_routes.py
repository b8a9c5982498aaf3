"""The routes of attendance: presence events, the teacher's override, a session's attendance.

Added to the router by :func:`add_attendance_routes`. Presence comes from the
meeting provider, so its route takes the router's ``webhook`` caller (where a
host verifies the provider's signature).
"""

# No ``from __future__ import annotations``: FastAPI reads the routes' annotations at runtime,
# and they name aliases local to the function adding them.
from collections.abc import Callable
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query

from sessionkit.contrib.fastapi import attendance_schemas as ats
from sessionkit.contrib.fastapi._common import READ, WRITE, Caller, instant
from sessionkit.contrib.fastapi.problems import problem_responses
from sessionkit.services import SessionKit

__all__ = ["add_attendance_routes"]


def add_attendance_routes(
    router: APIRouter,
    *,
    kit: Callable[..., SessionKit],
    caller: Callable[..., Caller],
    webhook: Callable[..., Caller],
    tags: tuple[str, ...] = (),
) -> None:
    """Add the routes of attendance to ``router`` (see :func:`sessionkit_router`)."""
    Kit = Annotated[SessionKit, Depends(kit)]  # noqa: N806  # a type alias
    Who = Annotated[Caller, Depends(caller)]  # noqa: N806  # a type alias
    Hook = Annotated[Caller, Depends(webhook)]  # noqa: N806  # a type alias
    Participant = Annotated[str, Path(examples=["student:ann"])]  # noqa: N806  # a type alias
    base_tags: list[str] = list(tags)

    @router.post(
        "/presence-events",
        response_model=ats.PresenceReportOut,
        tags=[*base_tags, "attendance"],
        responses=problem_responses(*WRITE),
        summary="Store the meeting provider's join / leave events, once each",
    )
    def presence_events(app: Kit, hook: Hook, body: ats.PresenceBatch) -> ats.PresenceReportOut:
        events = [event.to_event() for event in body.events]
        return ats.presence_report_out(app.attendance.record_presence(hook.tenant, events))

    @router.get(
        "/sessions/{session_id}/attendance",
        response_model=list[ats.AttendanceOut],
        tags=[*base_tags, "attendance"],
        responses=problem_responses(*READ),
        summary="Everyone's attendance in a session, by participant",
    )
    def session_attendance(
        app: Kit,
        who: Who,
        session_id: str,
        as_of: Annotated[
            str | None, Query(description="ISO 8601 with offset; an open stay runs to it")
        ] = None,
    ) -> list[ats.AttendanceOut]:
        found = app.attendance.for_session(
            who.tenant,
            session_id,
            as_of=instant(as_of),  # type: ignore[arg-type]  # the service checks
        )
        return [ats.attendance_out(a) for a in found]

    @router.put(
        "/sessions/{session_id}/attendance/{participant}",
        response_model=ats.AttendanceOut,
        tags=[*base_tags, "attendance"],
        responses=problem_responses(*WRITE),
        summary="Record the teacher's report for a participant (it replaces an earlier one)",
    )
    def override(
        app: Kit, who: Who, session_id: str, participant: Participant, body: ats.OverrideIn
    ) -> ats.AttendanceOut:
        found = app.attendance.override(
            who.tenant,
            session_id,
            participant,
            status=body.status,
            actor=who.actor,
            minutes=body.minutes,
            reason=body.reason,
        )
        return ats.attendance_out(found)

    @router.delete(
        "/sessions/{session_id}/attendance/{participant}",
        response_model=ats.OverrideCleared,
        tags=[*base_tags, "attendance"],
        responses=problem_responses(*WRITE),
        summary="Remove the teacher's report for a participant (presence counts again)",
    )
    def clear_override(
        app: Kit, who: Who, session_id: str, participant: Participant
    ) -> ats.OverrideCleared:
        cleared = app.attendance.clear_override(
            who.tenant, session_id, participant, actor=who.actor
        )
        return ats.OverrideCleared(cleared=cleared)
