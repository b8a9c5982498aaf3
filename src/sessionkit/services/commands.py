"""Session commands: create an extra session, update, delete, cancel, fire and advance.

Each command runs in its own unit of work, checks the rules the LMS seed left
as TODOs (editable status, dependents, teacher conflicts, duplicate starts),
writes with the version it read, and collects one domain event per change.
The status commands (cancel, fire, fire_many, advance) live in
:mod:`~sessionkit.services.session_statuses`, the in-transaction status steps
in :mod:`~sessionkit.services._statuses`; this module adds creating, editing,
deleting and own fields, and keeps the names other modules import from here.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

import attrs

from sessionkit.model.events import SessionDeleted, SessionUpdated
from sessionkit.model.session import ResourceRef, Session, check_capacity, resource_refs
from sessionkit.model.text import (
    MAX_TITLE_LENGTH,
    check_actor,
    check_tenant,
    check_text,
)
from sessionkit.services import fields
from sessionkit.services._context import (
    Context,
    check_free,
    retried,
)
from sessionkit.services._editing import check_editable, lock_session
from sessionkit.services._release import settle_moved, settle_resized
from sessionkit.services._seats import (
    expire_before_move,
    move_session_bookings,
    takes_bookings,
)
from sessionkit.services._statuses import advance_steps as advance_steps
from sessionkit.services._statuses import status_event as status_event
from sessionkit.services._statuses import store_status as store_status
from sessionkit.services._usage import move_session_usage
from sessionkit.services.drafts import SessionDraft, make_extra
from sessionkit.services.session_statuses import (
    SessionStatusCommands,
    check_session_version,
    session_args,
)
from sessionkit.timespan import TimeSpan
from sessionkit.zones import check_instant

__all__ = ["SessionCommands"]


class SessionCommands(SessionStatusCommands):
    """Commands on single sessions. Every method takes the tenant and the acting user."""

    def __init__(self, ctx: Context) -> None:
        self._ctx = ctx

    # -- creating ------------------------------------------------------------------

    @retried
    def create_extra(
        self,
        tenant: str,
        *,
        actor: str | None,
        start: datetime,
        end: datetime,
        series_id: str | None = None,
        title: str | None = None,
        resources: Iterable[ResourceRef | str] | None = None,
        tz: str | None = None,
        lifecycle: str | None = None,
        capacity: int | None = None,
        metadata: Mapping[str, Any] | None = None,
        session_id: str | None = None,
        fingerprint: str | None = None,
    ) -> Session:
        """Create an extra session (outside the schedule) and return it.

        With ``series_id`` the title, resources, zone, lifecycle and capacity
        default to the series' (its schedule items' resources together), and
        the session takes the series' group.
        Without one, ``lifecycle`` is required. Raises ``SeriesNotFound``,
        ``SeriesClosedError``, ``SessionConflict`` (with the busy sessions in
        the way, checked first), ``DuplicateSession`` (the series already has
        a session starting then that shares no busy resource with this one, or
        ``session_id`` is taken), ``BookingRefused`` when
        the booking rules' ``publish_in_horizon`` refuse its start, and
        ``InvalidValue`` for bad input (a capacity above ``max_capacity``
        included). ``session_id`` gives the session that id instead of a new one (a
        host's idempotency key can name it, so a replay is refused as a
        duplicate rather than creating a second session). ``fingerprint``
        (text of 1 to 128 characters), a digest of that host's request, is
        kept as the session's own field ``request_fingerprint``
        (:data:`~sessionkit.model.session.REQUEST_FIELD`), so a replay is
        told from another request however the session was changed since.
        """
        tenant = check_tenant(tenant)
        check_actor(actor)
        draft = SessionDraft(
            start=start,
            end=end,
            lifecycle=lifecycle,
            title=title,
            resources=resources,
            tz=tz,
            capacity=capacity,
            metadata=metadata,
            series_id=series_id,
            session_id=session_id,
            fingerprint=fingerprint,
        )
        with self._ctx.transaction() as tx:
            return make_extra(self._ctx, tx, tenant, draft, actor)

    # -- editing -------------------------------------------------------------------

    @retried
    def update(
        self,
        tenant: str,
        session_id: str,
        *,
        actor: str | None,
        title: str | None = None,
        start: datetime | None = None,
        end: datetime | None = None,
        resources: Iterable[ResourceRef | str] | None = None,
        capacity: int | None = None,
        expected_version: int | None = None,
    ) -> Session:
        """Change a session's title, time, resources or capacity; return the stored session.

        ``None`` leaves a field as it is; a new ``start`` alone keeps the
        duration. Allowed only in an editable status (the one its timers due
        by now give it, tick or not), at the new time as at the old one (a
        lesson is not moved into its own READY window), and without dependents
        (``SessionLocked`` names why). A new start is checked by the booking
        rules' ``publish_in_horizon`` (``BookingRefused``). Re-checks conflicts
        (``SessionConflict``) and the series' unique start (``DuplicateSession``), marks the session
        ``detached`` so regeneration leaves it alone, and emits
        ``SessionUpdated`` with the old values (a move's or a capacity change's after the
        expiries of what had run out before it, a move's before what the move ended). No
        change, no write, no event.
        A reschedule request of the session past its deadline is answered by
        silence first, as the tick would have (the session moved to the
        proposed time, or the request expired), and the update applies to the
        session as that leaves it, whether or not the tick ran; the answer is
        stored even when the update changes nothing, and rolled back when it is
        refused. ``expected_version`` is the version before that answer.

        ``capacity`` is checked as ``create_extra`` checks it (a positive
        integer, at most the booking rules' ``max_capacity``: ``InvalidValue``).
        Seats it adds go to the waitlist at once, in order, as a cancel's do;
        lowered below the seats booked, the bookings keep them and nobody new
        is seated until enough leave. A waitlist place waiting for more seats
        than the new capacity can never be offered them: it ends (EXPIRED).
        """
        ctx = self._ctx
        session_args(tenant, session_id, actor, expected_version)
        check_text(title, "title", limit=MAX_TITLE_LENGTH, optional=True)
        if capacity is not None:
            check_capacity(capacity)
        if start is not None:
            check_instant(start, "start")
        if end is not None:
            check_instant(end, "end")
        refs = None if resources is None else resource_refs(resources)
        with ctx.transaction() as tx:
            # Locked as a booking locks it: else one committed after the check below would
            # be moved along with the session, though booked sessions are locked.
            session = lock_session(tx, tenant, session_id)
            check_session_version(session, expected_version)
            if ctx.answer_overdue is not None:  # a request's silence first, as the tick gives it
                session = ctx.answer_overdue(ctx, tx, session)
            span = session.span
            if start is not None or end is not None:
                new_start = session.start if start is None else check_instant(start, "start")
                if end is not None:
                    new_end = check_instant(end, "end")
                elif start is not None:
                    new_end = new_start + session.span.duration
                else:
                    new_end = session.end
                span = TimeSpan(new_start, new_end)
            changes: dict[str, Any] = {}
            old: dict[str, Any] = {}
            if title is not None and title != session.title:
                changes["title"] = title
                old["title"] = session.title
            if span.start != session.start:
                old["start"] = session.start
            if span.end != session.end:
                old["end"] = session.end
            if span != session.span:
                changes["span"] = span
            if refs is not None and refs != session.resources:
                changes["resources"] = refs
                old["resources"] = session.resources
            if capacity is not None and capacity != session.capacity:
                changes["capacity"] = capacity
                old["capacity"] = session.capacity
            if not changes:
                return session
            changed = attrs.evolve(
                session, **changes, detached=True, updated_at=tx.now, updated_by=actor
            )
            check_editable(ctx, tx, session, moved=changed if "span" in changes else None)
            if "capacity" in changes:
                ctx.check_capacity(changed)
            if "span" in changes and changed.start != session.start:
                ctx.check_publishing(changed, tx.now)
            if "span" in changes or "resources" in changes:
                check_free(tx, changed)
            stored = tx.sessions.update(changed, expected_version=session.version)
            resized = stored.capacity != session.capacity and takes_bookings(ctx, stored, tx.now)
            # In the order it happened, as a reschedule's move: what had run out at the old
            # time (or before a resize), the change, then what a move ended (a start already
            # past ends its holds) and what the seats settle.
            moved = "span" in changes
            ran_out = expire_before_move(tx, stored) if moved or resized else None
            tx.collect(
                [SessionUpdated(tenant=tenant, actor=actor, at=tx.now, session=stored, old=old)]
            )
            ended = 0 if ran_out is None else len(ran_out.expired)
            if moved and ran_out is not None:
                ended = move_session_bookings(tx, stored, actor=actor, ran_out=ran_out)
                move_session_usage(tx, stored, actor=actor)
            if ended:  # a hold that had run out, marked at the move or the resize: its seats
                # are offered (new ones too), or its session goes
                stored = settle_moved(ctx, tx, stored, actor=actor)
            elif resized:
                # New seats go to the waitlist; a place waiting for more seats than a
                # lowered capacity has ends (it would block everyone behind it).
                stored = settle_resized(ctx, tx, stored, actor=actor)
        return stored

    @retried
    def delete(
        self,
        tenant: str,
        session_id: str,
        *,
        actor: str | None,
        expected_version: int | None = None,
    ) -> Session:
        """Delete a session in an editable status without dependents; return its last state.

        The status judged is the one its timers due by now give it, tick or
        not (an academy lesson in its READY window is not deleted, READY
        stored or not). Raises ``SessionLocked`` (naming why) otherwise; use
        :meth:`cancel` for a session that has dependents. Emits ``SessionDeleted``.
        """
        ctx = self._ctx
        session_args(tenant, session_id, actor, expected_version)
        with ctx.transaction() as tx:
            session = lock_session(tx, tenant, session_id)  # before bookings are counted
            check_session_version(session, expected_version)
            check_editable(ctx, tx, session, deleting=True)
            tx.sessions.delete(tenant, session.id, expected_version=session.version)
            tx.collect([SessionDeleted(tenant=tenant, actor=actor, at=tx.now, session=session)])
        return session

    # -- own fields ----------------------------------------------------------------

    @retried
    def set_fields(
        self,
        tenant: str,
        session_id: str,
        *,
        actor: str | None,
        set: Mapping[str, Any] | None = None,
        remove: Iterable[str] = (),
        expected_version: int | None = None,
    ) -> Session:
        """Set and remove the session's own fields (``metadata``); return the stored session.

        Values must be JSON-representable (``InvalidValue`` names the key).
        Allowed in every status and with dependents: own fields are
        annotations (notes, a grade, a meeting link), not the schedule.
        Emits ``SessionUpdated`` with ``old={"metadata": ...}``; no change, no
        write, no event. Raises ``SessionNotFound`` and ``ConcurrentModification``.
        """
        return fields.set_fields(
            self._ctx,
            Session,
            tenant,
            session_id,
            actor=actor,
            set=set,
            remove=remove,
            expected_version=expected_version,
        )
