"""The routes of sessions and the journal (added by :func:`add_session_routes`)."""

# No ``from __future__ import annotations``: FastAPI reads the routes' annotations at runtime.
import hashlib
from typing import Annotated, Any

from fastapi import Query

from sessionkit.contrib.fastapi import schemas as s
from sessionkit.contrib.fastapi._common import (
    ACTING,
    READ,
    READ_AS,
    Caller,
    Cursor,
    IdempotencyKey,
    MaybeInstant,
    Names,
    instant,
    key_id,
    lifecycle_named,
    resource_named,
    session_statuses,
)
from sessionkit.contrib.fastapi._routing import Kit, Routes, Who
from sessionkit.contrib.fastapi.paging import journal_cursor, read_journal_cursor
from sessionkit.contrib.fastapi.problems import unstored
from sessionkit.contrib.fastapi.schema_types import FieldKeys
from sessionkit.errors import (
    DuplicateSession,
    IdempotencyKeyReused,
    SessionConflict,
    SessionNotFound,
)
from sessionkit.model.journal import JournalEntry
from sessionkit.model.query import MAX_LIMIT, SessionQuery, SortField
from sessionkit.model.series import Series
from sessionkit.model.session import REQUEST_FIELD, Session, resource_refs
from sessionkit.services import SessionKit
from sessionkit.services.booking_requests import canonical_json
from sessionkit.zones import check_instant, get_zone

__all__ = ["add_session_routes"]

_SINCE = "only the entries at or after this instant (ISO 8601 with offset)"
_BEFORE = "only the entries before this instant (ISO 8601 with offset)"


def add_session_routes(routes: Routes) -> None:
    """Add the routes of sessions and the journal (see :func:`sessionkit_router`)."""
    sessions = routes.tagged("sessions")
    journal = routes.tagged("journal")
    access = routes.access

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
        search_field: Annotated[
            FieldKeys | None, Query(description="own fields whose text `search` matches too")
        ] = None,
        group: str | None = None,
        is_extra: bool | None = None,
        sort: SortField = "start",
        descending: bool = False,
        limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 50,
        cursor: Cursor = None,
    ) -> s.SessionPage:
        query = SessionQuery(
            series_id=series_id,
            resources=resource_named(resource),
            statuses=session_statuses(app, status),
            start_from=instant(start_from, "start_from"),
            start_to=instant(start_to, "start_to"),
            search=search,
            search_fields=search_field,
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

    @sessions.get(
        "/sessions/{session_id}/journal",
        s.JournalPage,
        READ_AS,
        "A session's journal: its changes and its bookings', payments', requests' (keyset pages)",
    )
    def session_journal(
        app: Kit,
        who: Who,
        session_id: str,
        actor: Annotated[str | None, Query(description="only the entries this actor made")] = None,
        since: Annotated[str | None, Query(description=_SINCE)] = None,
        before: Annotated[str | None, Query(description=_BEFORE)] = None,
        limit: Annotated[int, Query(ge=1, le=MAX_LIMIT - 1)] = 100,
        cursor: Cursor = None,
    ) -> s.JournalPage:
        access.staff(who)  # every participant's changes, and the staff's reasons
        found = app.journal.for_session(
            who.tenant,
            session_id,
            actor=actor,
            since=instant(since, "since"),
            before=instant(before, "before"),
            after=None if cursor is None else read_journal_cursor(cursor),
            limit=limit + 1,  # one more tells whether a next page exists
        )
        if not found:
            # Filtered, an empty page says nothing of the session: its history may hold more.
            read_on = any(x is not None for x in (cursor, actor, since, before))
            _known(app, who, session_id, read_on=read_on)
        return _journal_page(found, limit)

    @journal.get(
        "/journal",
        s.JournalPage,
        (403, 422),
        "The tenant's journal: every session's and record's changes (keyset pages)",
    )
    def tenant_journal(
        app: Kit,
        who: Who,
        actor: Annotated[str | None, Query(description="only the entries this actor made")] = None,
        since: Annotated[str | None, Query(description=_SINCE)] = None,
        before: Annotated[str | None, Query(description=_BEFORE)] = None,
        limit: Annotated[int, Query(ge=1, le=MAX_LIMIT - 1)] = 100,
        cursor: Cursor = None,
    ) -> s.JournalPage:
        access.staff(who)  # everyone's changes, and the staff's reasons
        found = app.journal.list(
            who.tenant,
            actor=actor,
            since=instant(since, "since"),
            before=instant(before, "before"),
            after=None if cursor is None else read_journal_cursor(cursor),
            limit=limit + 1,  # one more tells whether a next page exists
        )
        return _journal_page(found, limit)

    @sessions.post("/sessions", s.SessionOut, ACTING, "Create an extra session", status_code=201)
    def create_session(
        app: Kit, who: Who, body: s.SessionCreate, idempotency_key: IdempotencyKey = None
    ) -> s.SessionOut:
        access.staff(who)
        lifecycle_named(app, body.lifecycle)
        session_id = fingerprint = None
        if idempotency_key is not None:
            session_id = key_id(who.tenant, idempotency_key)
            fingerprint = _fingerprint(_asked_session(app, who.tenant, body))
        args: dict[str, Any] = body.model_dump()
        try:
            made = app.sessions.create_extra(
                who.tenant, actor=who.actor, session_id=session_id, fingerprint=fingerprint, **args
            )
        except SessionConflict as conflict:
            raise unstored(conflict) from conflict
        except DuplicateSession as taken:
            if session_id is None or idempotency_key is None or taken.key != "id":
                raise
            made = app.queries.get(who.tenant, session_id, actor=who.actor)
            if not _replays(app, who.tenant, body, made, fingerprint):
                raise IdempotencyKeyReused(idempotency_key, session_id, kind="session") from taken
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
            role=access.staff_unless_guarded(
                app, who, body.role, session_ids=body.session_ids, transition=body.transition
            ),
        )
        return [s.session_out(x) for x in changed]

    @sessions.post(
        "/sessions/remove-unbooked",
        s.UnbookedRemoved,
        ACTING,
        "Delete the sessions that ended without ever having a booking",
    )
    def remove_unbooked(
        app: Kit, who: Who, body: s.UnbookedRemoval | None = None
    ) -> s.UnbookedRemoved:
        access.staff(who)
        given = body or s.UnbookedRemoval()  # every field is optional: no body is the defaults
        report = app.bookings.remove_unbooked(who.tenant, actor=who.actor, **given.model_dump())
        return s.unbooked_removed(report)

    @sessions.get("/sessions/{session_id}", s.SessionOut, READ, "Get a session")
    def get_session(app: Kit, who: Who, session_id: str) -> s.SessionOut:
        return s.session_out(app.queries.get(who.tenant, session_id, actor=who.actor))

    @sessions.patch(
        "/sessions/{session_id}",
        s.SessionOut,
        ACTING,
        "Change a session's title, time, resources or capacity",
    )
    def update_session(app: Kit, who: Who, session_id: str, body: s.SessionUpdate) -> s.SessionOut:
        access.staff(who)
        changed = app.sessions.update(who.tenant, session_id, actor=who.actor, **body.model_dump())
        return s.session_out(changed)

    @sessions.delete(
        "/sessions/{session_id}", s.SessionOut, ACTING, "Delete a session (returns it as it was)"
    )
    def delete_session(
        app: Kit,
        who: Who,
        session_id: str,
        expected_version: Annotated[int | None, Query(ge=1)] = None,
    ) -> s.SessionOut:
        access.staff(who)
        gone = app.sessions.delete(
            who.tenant, session_id, actor=who.actor, expected_version=expected_version
        )
        return s.session_out(gone)

    @sessions.post("/sessions/{session_id}/cancel", s.SessionOut, ACTING, "Cancel a session")
    def cancel_session(
        app: Kit, who: Who, session_id: str, body: s.SessionCancel | None = None
    ) -> s.SessionOut:
        given = body or s.SessionCancel()
        # A named role passes only where the lifecycle's own roles(...) guards cancel by role.
        access.staff_unless_guarded(
            app, who, given.role, session_ids=[session_id], transition="cancel"
        )
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
        access.staff_unless_guarded(
            app, who, given.role, session_ids=[session_id], transition=transition
        )
        done = app.sessions.fire(
            who.tenant, session_id, transition, actor=who.actor, **given.model_dump()
        )
        return s.session_out(done)


def _replays(
    app: SessionKit, tenant: str, body: s.SessionCreate, made: Session, fingerprint: str | None
) -> bool:
    """Whether ``body`` is the request that made ``made`` (under the same key).

    Compared with the digest of that request, which the session keeps
    (:data:`~sessionkit.model.session.REQUEST_FIELD`) whatever was changed on
    it since; a session made without one (by an earlier version) is compared
    field by field as it is now.
    """
    if body.series_id != made.series_id:
        return False
    kept = made.metadata.get(REQUEST_FIELD)
    if kept is not None:
        return bool(kept == fingerprint)
    return _asked_session(app, tenant, body) == _stored_session(made)


def _known(app: SessionKit, who: Caller, session_id: str, *, read_on: bool) -> None:
    """Raise ``SessionNotFound`` unless the tenant has the session, or had it.

    The journal knows no sessions, only changes: an empty page is a session
    nobody changed (or a kit that keeps no journal), or none at all. A
    session deleted keeps its history, so one with a history is known,
    even when the page read on past its last entry or its filters matched
    none of it (``read_on``). Another tenant's session is unknown, as on
    every route.
    """
    try:
        app.queries.get(who.tenant, session_id, actor=who.actor)
    except SessionNotFound:
        if not read_on or not app.journal.for_session(who.tenant, session_id, limit=1):
            raise


def _fingerprint(asked: dict[str, object]) -> str:
    """The digest of a ``POST /sessions`` request as :func:`_asked_session` fills it in."""
    start, end = check_instant(asked["start"], "start"), check_instant(asked["end"], "end")
    text = canonical_json({**asked, "start": start.isoformat(), "end": end.isoformat()})
    return "v1:" + hashlib.sha256(text.encode()).hexdigest()


def _stored_session(made: Session) -> dict[str, object]:
    """The fields of a stored session a ``POST /sessions`` names, to compare with a replay's."""
    return {
        "start": made.span.start,
        "end": made.span.end,
        "title": made.title,
        "series_id": made.series_id,
        "tz": made.tz,
        "lifecycle": made.lifecycle,
        "capacity": made.capacity,
        "resources": [str(r) for r in made.resources],
        "metadata": canonical_json(made.metadata),
    }


def _asked_session(app: SessionKit, tenant: str, body: s.SessionCreate) -> dict[str, object]:
    """What ``body`` asks for, each omitted field as ``create_extra`` fills it in.

    In a series, an omitted field is the series' (as it is now).
    """
    found: Series | None = None
    if body.series_id is not None:
        found = app.queries.get_series(tenant, body.series_id)
    title, resources, tz = body.title, body.resources, body.tz
    lifecycle, capacity = body.lifecycle, body.capacity
    if found is not None:
        title = found.title if title is None else title
        if resources is None:
            resources = [str(r) for item in found.items for r in item.resources]
        tz = found.items[0].recurrence.tz if tz is None else tz  # the series' zone
        lifecycle = found.lifecycle if lifecycle is None else lifecycle
        capacity = found.capacity if capacity is None else capacity
    return {
        "start": body.start,
        "end": body.end,
        "title": title or "",
        "series_id": body.series_id,
        "tz": get_zone(tz or "UTC").key,
        "lifecycle": lifecycle,
        "capacity": 1 if capacity is None else capacity,
        "resources": [str(r) for r in resource_refs(resources or ())],
        "metadata": canonical_json(body.metadata or {}),
    }


def _journal_page(found: list[JournalEntry], limit: int) -> s.JournalPage:
    """The page of ``found``, read with one entry more than ``limit`` to tell if one follows."""
    items = found[:limit]
    return s.JournalPage(
        items=[s.journal_entry_out(entry) for entry in items],
        limit=limit,
        next_cursor=journal_cursor(items[-1]) if len(found) > limit else None,
    )
