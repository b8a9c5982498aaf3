"""The routes of sessions and series (added to the router by :func:`add_session_routes`)."""

# No ``from __future__ import annotations``: FastAPI reads the routes' annotations at runtime.
from typing import Annotated, Any

from fastapi import Query

from sessionkit.contrib.fastapi import schemas as s
from sessionkit.contrib.fastapi._common import (
    ACTING,
    READ,
    WRITE,
    Cursor,
    IdempotencyKey,
    MaybeInstant,
    Names,
    acting_role,
    instant,
    key_id,
)
from sessionkit.contrib.fastapi._routing import Kit, Routes, Who
from sessionkit.errors import DuplicateSeries, DuplicateSession
from sessionkit.model.query import MAX_LIMIT, SessionQuery, SortField
from sessionkit.model.session import Session

__all__ = ["add_session_routes"]


def add_session_routes(routes: Routes) -> None:
    """Add the routes of sessions and series to ``routes`` (see :func:`sessionkit_router`)."""
    sessions = routes.tagged("sessions")
    series = routes.tagged("series")

    # -- sessions --------------------------------------------------------------------

    @sessions.get("/sessions", s.SessionPage, READ, "List sessions (keyset pages)")
    def list_sessions(
        app: Kit,
        who: Who,
        series_id: str | None = None,
        resource: Names = None,
        status: Names = None,
        start_from: MaybeInstant = None,
        start_to: MaybeInstant = None,
        search: str | None = None,
        group: str | None = None,
        is_extra: bool | None = None,
        sort: SortField = "start",
        descending: bool = False,
        limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 50,
        cursor: Cursor = None,
    ) -> s.SessionPage:
        query = SessionQuery(
            series_id=series_id,
            resources=resource,
            statuses=status,
            start_from=instant(start_from),  # type: ignore[arg-type]
            start_to=instant(start_to),  # type: ignore[arg-type]
            search=search,
            is_extra=is_extra,
            group=group,
            sort=sort,
            descending=descending,
            limit=limit,
            after=cursor,
        )
        page = app.queries.list(who.tenant, query, actor=who.actor)
        return s.SessionPage(
            items=[s.session_out(x) for x in page.items],
            total=page.total,
            limit=page.limit,
            next_cursor=page.next_cursor,
        )

    @sessions.post("/sessions", s.SessionOut, WRITE, "Create an extra session", status_code=201)
    def create_session(
        app: Kit, who: Who, body: s.SessionCreate, idempotency_key: IdempotencyKey = None
    ) -> s.SessionOut:
        session_id = None if idempotency_key is None else key_id(who.tenant, idempotency_key)
        args: dict[str, Any] = body.model_dump()
        try:
            made = app.sessions.create_extra(
                who.tenant, actor=who.actor, session_id=session_id, **args
            )
        except DuplicateSession as taken:
            if session_id is None or taken.key != "id":
                raise
            made = app.queries.get(who.tenant, session_id, actor=who.actor)
            if not _same_session(made, body):
                raise
        return s.session_out(made)

    @sessions.post(
        "/sessions/transitions",
        list[s.SessionOut],
        ACTING,
        "Fire one transition on many sessions, all or nothing",
    )
    def fire_many(app: Kit, who: Who, body: s.BulkTransition) -> list[s.SessionOut]:
        changed = app.sessions.fire_many(
            who.tenant,
            body.session_ids,
            body.transition,
            actor=who.actor,
            reason=body.reason,
            role=acting_role(who, body.role),
        )
        return [s.session_out(x) for x in changed]

    @sessions.get("/sessions/{session_id}", s.SessionOut, READ, "Get a session")
    def get_session(app: Kit, who: Who, session_id: str) -> s.SessionOut:
        return s.session_out(app.queries.get(who.tenant, session_id, actor=who.actor))

    @sessions.patch(
        "/sessions/{session_id}", s.SessionOut, WRITE, "Change a session's title, time or resources"
    )
    def update_session(app: Kit, who: Who, session_id: str, body: s.SessionUpdate) -> s.SessionOut:
        changed = app.sessions.update(who.tenant, session_id, actor=who.actor, **body.model_dump())
        return s.session_out(changed)

    @sessions.delete(
        "/sessions/{session_id}", s.SessionOut, WRITE, "Delete a session (returns it as it was)"
    )
    def delete_session(
        app: Kit,
        who: Who,
        session_id: str,
        expected_version: int | None = None,
    ) -> s.SessionOut:
        gone = app.sessions.delete(
            who.tenant, session_id, actor=who.actor, expected_version=expected_version
        )
        return s.session_out(gone)

    @sessions.post("/sessions/{session_id}/cancel", s.SessionOut, ACTING, "Cancel a session")
    def cancel_session(
        app: Kit, who: Who, session_id: str, body: s.SessionCancel | None = None
    ) -> s.SessionOut:
        given = body or s.SessionCancel()
        acting_role(who, given.role)  # the lifecycle's guards judge it
        done = app.sessions.cancel(who.tenant, session_id, actor=who.actor, **given.model_dump())
        return s.session_out(done)

    @sessions.post(
        "/sessions/{session_id}/transitions/{transition}",
        s.SessionOut,
        ACTING,
        "Fire a named transition of the session's lifecycle",
    )
    def fire(
        app: Kit, who: Who, session_id: str, transition: str, body: s.Transition | None = None
    ) -> s.SessionOut:
        given = body or s.Transition()
        acting_role(who, given.role)  # the lifecycle's guards judge it
        done = app.sessions.fire(
            who.tenant, session_id, transition, actor=who.actor, **given.model_dump()
        )
        return s.session_out(done)

    # -- series ----------------------------------------------------------------------

    @series.post(
        "/series",
        s.SeriesOut,
        WRITE,
        "Create a series and generate its first sessions",
        status_code=201,
    )
    def create_series(
        app: Kit, who: Who, body: s.SeriesCreate, idempotency_key: IdempotencyKey = None
    ) -> s.SeriesOut:
        series_id = body.series_id
        if series_id is None and idempotency_key is not None:
            series_id = key_id(who.tenant, idempotency_key)
        items = [item.to_item() for item in body.items]
        try:
            made, _ = app.series.create(
                who.tenant,
                actor=who.actor,
                title=body.title,
                items=items,
                lifecycle=body.lifecycle,
                capacity=body.capacity,
                metadata=body.metadata,
                series_id=series_id,
                group=body.group,
            )
        except DuplicateSeries:
            if idempotency_key is None or series_id is None:
                raise
            made = app.queries.get_series(who.tenant, series_id, actor=who.actor)
            asked = (body.title, body.lifecycle, body.capacity, body.group, tuple(items))
            if asked != (made.title, made.lifecycle, made.capacity, made.group, made.items):
                raise
        return s.series_out(made)

    @series.get("/series/{series_id}", s.SeriesOut, READ, "Get a series")
    def get_series(app: Kit, who: Who, series_id: str) -> s.SeriesOut:
        return s.series_out(app.queries.get_series(who.tenant, series_id, actor=who.actor))

    @series.post(
        "/series/{series_id}/close",
        s.SeriesOut,
        WRITE,
        "Close a series: its future sessions are removed where nothing holds them",
    )
    def close_series(
        app: Kit, who: Who, series_id: str, expected_version: int | None = None
    ) -> s.SeriesOut:
        app.series.close(who.tenant, series_id, actor=who.actor, expected_version=expected_version)
        return s.series_out(app.queries.get_series(who.tenant, series_id, actor=who.actor))


def _same_session(made: Session, body: s.SessionCreate) -> bool:
    """Whether ``made`` is what ``body`` asks for (a replay, not another request)."""
    asked: dict[str, object] = {"start": body.start, "end": body.end}
    found: dict[str, object] = {"start": made.span.start, "end": made.span.end}
    optional = {
        "title": made.title,
        "series_id": made.series_id,
        "tz": made.tz,
        "lifecycle": made.lifecycle,
        "capacity": made.capacity,
        "resources": sorted(str(r) for r in made.resources),
        "metadata": dict(made.metadata),
    }
    for name, value in optional.items():
        given = getattr(body, name)
        if given is not None:
            asked[name] = sorted(given) if name == "resources" else given
            found[name] = value
    return asked == found
