"""The routes of reschedule requests and of a session's options (see :func:`add_reschedule_routes`).

A refusal is a 409 ``RescheduleRefused`` problem carrying the ``rule`` that
refused and ``allows_at``, when the same request would be allowed.
"""

# No ``from __future__ import annotations``: FastAPI reads the routes' annotations at runtime.
from typing import Annotated, TypedDict

import attrs
from fastapi import Query

from sessionkit.contrib.fastapi import reschedule_schemas as rs
from sessionkit.contrib.fastapi._common import (
    ACTING,
    READ_AS,
    Caller,
    acting_role,
    actor_of,
)
from sessionkit.contrib.fastapi._routing import Kit, Routes, Who
from sessionkit.contrib.fastapi.schema_types import ROLE_PATTERN
from sessionkit.errors._base import shown
from sessionkit.model.text import MAX_NAME_LENGTH
from sessionkit.policies import Refusal
from sessionkit.services import SessionKit

__all__ = ["add_reschedule_routes"]


class _Answering(TypedDict):
    role: str
    actor: str


def answering(who: Caller, role: str) -> _Answering:
    """Return the role ``who`` acts in (if granted) and the actor a request records."""
    return {"role": acting_role(who, role), "actor": actor_of(who)}


def _untold(refusal: Refusal | None, session_id: str) -> Refusal | None:
    """Return ``refusal`` as told outside the session: that a request waits, not which or until.

    A ``one_pending`` refusal names the pending request and its deadline
    (in its reason, and as ``allows_at``); a caller that is not one of the
    session's people learns only that one is pending (``allows_at``
    ``None``: such a caller may not ask to move the session anyway).
    """
    if refusal is None or refusal.rule != "one_pending":
        return refusal
    return Refusal(
        rule=refusal.rule,
        reason=f"session {shown(session_id)} already has a pending reschedule request",
    )


def add_reschedule_routes(routes: Routes) -> None:
    """Add the routes of reschedule requests to ``routes`` (see :func:`sessionkit_router`)."""
    reschedules = routes.tagged("reschedules")
    access = routes.access

    def answerable(app: SessionKit, who: Caller, request_id: str) -> None:
        """Refuse an answer to a request on a session the caller's participant has no part in."""
        if not access.kept(who):
            return  # staff: nothing to read
        found = app.reschedules.get(who.tenant, request_id)
        access.booked_in(app, who, found.session_id, asked="an answer to a reschedule request")

    @reschedules.post(
        "/sessions/{session_id}/reschedules",
        rs.RescheduleOut,
        ACTING,
        "Ask to move a session; the other side answers by the deadline",
        status_code=201,
    )
    def request(app: Kit, who: Who, session_id: str, body: rs.RescheduleCreate) -> rs.RescheduleOut:
        how = answering(who, body.role)
        access.booked_in(app, who, session_id, asked="a reschedule request")
        made = app.reschedules.request(
            who.tenant,
            session_id,
            **how,
            reason=body.reason,
            proposed_start=body.proposed_start,
        )
        return rs.reschedule_out(made)

    @reschedules.get(
        "/sessions/{session_id}/reschedules",
        list[rs.RescheduleOut],
        READ_AS,
        "A session's reschedule requests in every status, oldest first",
    )
    def session_reschedules(app: Kit, who: Who, session_id: str) -> list[rs.RescheduleOut]:
        # Who asked and why are the session's people's: staff, its resources, its booked.
        app.queries.get(who.tenant, session_id, actor=who.actor)  # 404 for an unknown session
        access.booked_in(app, who, session_id, asked="a session's reschedule requests")
        return [rs.reschedule_out(r) for r in app.reschedules.for_session(who.tenant, session_id)]

    @reschedules.get(
        "/sessions/{session_id}/options",
        rs.SessionOptionsOut,
        READ_AS,
        "What a role may do with a session now: reschedule until when, cancel for what",
    )
    def options(
        app: Kit,
        who: Who,
        session_id: str,
        # As a body's role (schema_types.Role): a blank or overlong one is a 422 naming
        # "role", not a 403 for a role no caller is granted.
        role: Annotated[
            str,
            Query(
                min_length=1,
                max_length=MAX_NAME_LENGTH,
                pattern=ROLE_PATTERN,
                examples=["student"],
            ),
        ],
    ) -> rs.SessionOptionsOut:
        found = app.reschedules.options(who.tenant, session_id, role=acting_role(who, role))
        if found.pending is not None and not access.takes_part(app, who, session_id):
            # Who asked and why are the session's people's, as GET /reschedules/{id} has it,
            # and so are the request's id and deadline the one_pending refusal names.
            found = attrs.evolve(
                found, pending=None, reschedule=_untold(found.reschedule, session_id)
            )
        return rs.options_out(found)

    @reschedules.get(
        "/reschedules/{request_id}", rs.RescheduleOut, READ_AS, "Get a reschedule request"
    )
    def get_reschedule(app: Kit, who: Who, request_id: str) -> rs.RescheduleOut:
        found = app.reschedules.get(who.tenant, request_id)
        access.booked_in(app, who, found.session_id, asked="a reschedule request")
        return rs.reschedule_out(found)

    @reschedules.post(
        "/reschedules/{request_id}/approve",
        rs.RescheduleOut,
        ACTING,
        "Approve a pending request and move its session (to start, or the proposed time)",
    )
    def approve(
        app: Kit, who: Who, request_id: str, body: rs.RescheduleApprove
    ) -> rs.RescheduleOut:
        how = answering(who, body.role)
        answerable(app, who, request_id)
        done = app.reschedules.approve(who.tenant, request_id, **how, start=body.start)
        return rs.reschedule_out(done)

    @reschedules.post(
        "/reschedules/{request_id}/decline",
        rs.RescheduleOut,
        ACTING,
        "Decline a pending request before its deadline",
    )
    def decline(app: Kit, who: Who, request_id: str, body: rs.RescheduleAnswer) -> rs.RescheduleOut:
        how = answering(who, body.role)
        answerable(app, who, request_id)
        done = app.reschedules.decline(who.tenant, request_id, **how)
        return rs.reschedule_out(done)

    @reschedules.post(
        "/reschedules/{request_id}/withdraw",
        rs.RescheduleOut,
        ACTING,
        "Withdraw one's own pending request before its deadline",
    )
    def withdraw(
        app: Kit, who: Who, request_id: str, body: rs.RescheduleAnswer
    ) -> rs.RescheduleOut:
        how = answering(who, body.role)
        answerable(app, who, request_id)
        done = app.reschedules.withdraw(who.tenant, request_id, **how)
        return rs.reschedule_out(done)
