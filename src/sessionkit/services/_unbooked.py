"""Removing a provider's published slots that ended unbooked: ``remove_unbooked``.

:class:`UnbookedRemoval` is the part of
:class:`~sessionkit.services.bookings.BookingCommands` that deletes the
sessions of a tenant that ended and never had a booking, batch by batch, each
as :meth:`~sessionkit.services.commands.SessionCommands.delete` would.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

import attrs

from sessionkit.errors import (
    InvalidValue,
    SessionLocked,
    SessionNotFound,
    StillReferenced,
    UnknownLifecycle,
    UnknownStatus,
)
from sessionkit.model.events import SessionDeleted
from sessionkit.model.query import MAX_LIMIT, Page, SessionQuery, check_window_order
from sessionkit.model.session import ResourceRef, Session, resource_refs
from sessionkit.model.text import check_actor, check_optional_id, check_tenant
from sessionkit.services._context import Context, raise_late, raised_after_commit, retried
from sessionkit.services._editing import check_editable
from sessionkit.services.booking_requests import check_batch
from sessionkit.services.reports import CleanupReport
from sessionkit.zones import check_instant

__all__ = ["UnbookedRemoval"]


class UnbookedRemoval:
    """The cleanup command of :class:`~sessionkit.services.bookings.BookingCommands`."""

    _ctx: Context

    @retried
    def remove_unbooked(
        self,
        tenant: str,
        *,
        actor: str | None,
        before: datetime | None = None,
        since: datetime | None = None,
        resources: Iterable[ResourceRef | str] | None = None,
        series_id: str | None = None,
        batch: int = 200,
    ) -> CleanupReport:
        """Delete the tenant's sessions that ended by ``before`` and never had a booking.

        A provider's published slots nobody booked, once over (``before``
        defaults to now), filtered like a session query (starting from
        ``since``, of any of ``resources``, up to ``MAX_LIMIT``, none for an
        empty list, of ``series_id``). Sessions with any
        booking (even a cancelled or expired one) are left alone and not
        reported. Each is deleted as :meth:`SessionCommands.delete` would,
        with a ``SessionDeleted`` event, or kept with the reason (a status
        that is not editable, a host's dependents, a booking that arrived
        meanwhile, a lifecycle or status the kit does not know). Runs in
        units of work of ``batch`` sessions (at most ``MAX_LIMIT``); ``since``
        bounds the scan of the tenant's history (a ``since`` after ``before``
        is ``InvalidWindow``). An
        error raised once a batch's unit committed (the publisher's) is raised
        after the later batches are done, with the report in its notes.
        """
        ctx = self._ctx
        check_tenant(tenant)
        check_actor(actor)
        check_optional_id(series_id, "series_id")
        batch = check_batch(batch, "batch", MAX_LIMIT)
        until = ctx.at(before, "before")
        now = ctx.now()
        if until > now:
            # "Expired, unbooked slots": a session not over yet is still bookable; a
            # ``before`` to come deleted the week ahead's open slots.
            raise InvalidValue(
                f"before {until.isoformat()} is still to come: only sessions over by now"
                f" ({now.isoformat()}) are removed",
                value=before,
                expected=f"an instant no later than now ({now.isoformat()})",
                name="before",
            )
        earliest = None if since is None else check_instant(since, "since")
        check_window_order(earliest, until, ("since", "before"))
        refs = None if resources is None else resource_refs(resources, most=MAX_LIMIT)
        if refs == ():  # any of none: nothing to remove, and no unit of work to open for it
            return CleanupReport(removed=(), kept=())
        query = SessionQuery(
            start_from=earliest,
            start_to=until,
            resources=refs,
            series_id=series_id,
            limit=batch,
        )
        removed: list[Session] = []
        kept: list[tuple[Session, str]] = []
        late: list[Exception] = []
        while True:
            page: Page[Session] | None = None
            try:
                with ctx.transaction() as tx:
                    page = tx.sessions.query(tenant, query)
                    over = [s for s in page.items if s.end <= until]
                    booked = tx.bookings.counts(tenant, [s.id for s in over])
                    for session in over:
                        if booked.get(session.id):
                            continue
                        try:
                            check_editable(ctx, tx, session, deleting=True)
                            tx.sessions.delete(tenant, session.id, expected_version=session.version)
                        except SessionLocked as locked:
                            kept.append((session, locked.reason))
                            continue
                        except StillReferenced as referenced:  # booked since the count
                            kept.append((session, str(referenced)))
                            continue
                        except (UnknownLifecycle, UnknownStatus) as unknown:  # delete refuses it
                            kept.append((session, str(unknown)))  # not the whole batch's end
                            continue
                        except SessionNotFound:  # another cleanup removed it first: not ours
                            continue
                        removed.append(session)
                        tx.collect(
                            [SessionDeleted(tenant=tenant, actor=actor, at=tx.now, session=session)]
                        )
            except Exception as error:
                if page is None or not raised_after_commit(error):
                    raise
                # Committed, then publishing its events raised: the batch is done, and the
                # later batches are still removed before the error is raised, as the tick
                # and the expiry job do.
                late.append(error)
            if page.next_cursor is None:
                report = CleanupReport(removed=tuple(removed), kept=tuple(kept))
                raise_late(late, "the cleanup", report, "batch")
                return report
            query = attrs.evolve(query, after=page.next_cursor)
