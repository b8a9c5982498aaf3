"""Read-only queries: one session or series, filtered pages, and a resource's agenda.

Every read is scoped to the tenant: another tenant's id raises the same
``SessionNotFound`` / ``SeriesNotFound`` as a missing one.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

import attrs

from sessionkit.errors import InvalidValue, UnknownStatus, WrongType
from sessionkit.errors._base import shown
from sessionkit.model.query import MAX_LIMIT, Page, SessionQuery, check_window_order
from sessionkit.model.series import Series
from sessionkit.model.session import ResourceRef, Session
from sessionkit.model.text import check_actor, check_collection, check_id, check_tenant
from sessionkit.services._context import Context
from sessionkit.zones import check_instant

__all__ = ["SessionQueries"]


class SessionQueries:
    """Reads, scoped to the tenant.

    Every method accepts ``actor`` so that all services have the same shape
    (a host wrapping them for auditing or authorisation passes it through);
    reads do not record it.
    """

    def __init__(self, ctx: Context) -> None:
        self._ctx = ctx

    def get(
        self,
        tenant: str,
        session_id: str,
        *,
        actor: str | None = None,  # see class docstring
    ) -> Session:
        """Return the session; raise ``SessionNotFound`` (also for another tenant's id)."""
        check_tenant(tenant)
        check_id(session_id, "session_id")
        check_actor(actor)
        with self._ctx.transaction() as tx:
            return tx.sessions.get(tenant, session_id)

    def get_series(
        self,
        tenant: str,
        series_id: str,
        *,
        actor: str | None = None,  # see class docstring
    ) -> Series:
        """Return the series; raise ``SeriesNotFound`` (also for another tenant's id)."""
        check_tenant(tenant)
        check_id(series_id, "series_id")
        check_actor(actor)
        with self._ctx.transaction() as tx:
            return tx.series.get(tenant, series_id)

    def series_sessions(
        self,
        tenant: str,
        series_id: str,
        *,
        actor: str | None = None,  # see class docstring
    ) -> tuple[Session, ...]:
        """Return every session of the series, in every status, by start then id.

        Generated, detached and extra ones alike, read in one unit of work:
        what :func:`sessionkit.contrib.ical.export_series` needs to write the
        series whole (a page of :meth:`list` leaves later ones out). Raises
        ``SeriesNotFound`` (also for another tenant's id).
        """
        check_tenant(tenant)
        check_id(series_id, "series_id")
        check_actor(actor)
        with self._ctx.transaction() as tx:
            tx.series.get(tenant, series_id)
            return tuple(tx.sessions.for_series(tenant, series_id))

    def agenda(
        self,
        tenant: str,
        resource: ResourceRef | str,
        *,
        start: datetime,
        end: datetime,
        statuses: tuple[str, ...] | None = None,
        actor: str | None = None,  # see class docstring
    ) -> tuple[Session, ...]:
        """Return the resource's sessions starting in ``[start, end)``, by start then id.

        All statuses unless ``statuses`` narrows them (pass the busy ones to
        leave canceled sessions out): a collection of status names, so a bare
        string (``"SCHEDULED"`` for ``("SCHEDULED",)``) is an ``InvalidValue``.
        Reads every page in one unit of work. The window may be at most
        ``Limits.window`` long (``LimitExceeded``); an ``end`` before ``start``
        is ``InvalidWindow``.
        """
        check_tenant(tenant)
        check_actor(actor)
        if statuses is not None:
            check_collection(statuses, "statuses", of="session statuses")
        ref = resource if isinstance(resource, ResourceRef) else ResourceRef.parse(resource)
        lo, hi = check_instant(start, "start"), check_instant(end, "end")
        check_window_order(lo, hi, ("start", "end"))
        self._ctx.limits.check_window(lo, hi, "the agenda's window")
        query = SessionQuery(
            resources=(ref,),
            statuses=statuses,
            start_from=lo,
            start_to=hi,
            limit=MAX_LIMIT,
        )
        self._known(query.statuses)
        found: list[Session] = []
        with self._ctx.transaction() as tx:
            while True:
                page = tx.sessions.query(tenant, query)
                found.extend(page.items)
                if page.next_cursor is None:
                    break
                query = attrs.evolve(query, after=page.next_cursor)
        return tuple(found)

    def _known(self, statuses: tuple[str, ...] | None) -> None:
        known_session_statuses(self._ctx, statuses)

    def list(
        self,
        tenant: str,
        query: SessionQuery | None = None,
        *,
        actor: str | None = None,  # see class docstring
    ) -> Page[Session]:
        """Return one page of the tenant's sessions matching ``query`` (all, by start, if None)."""
        check_tenant(tenant)
        check_actor(actor)
        if query is not None and not isinstance(query, SessionQuery):
            raise WrongType(query, name="query", expected="a SessionQuery or None")
        if query is not None:
            self._known(query.statuses)
        with self._ctx.transaction() as tx:
            return tx.sessions.query(tenant, SessionQuery() if query is None else query)

    def each(
        self,
        tenant: str,
        query: SessionQuery | None = None,
        *,
        actor: str | None = None,  # see class docstring
    ) -> Iterator[Session]:
        """Yield every session ``query`` finds (all of the tenant's if None), in its order.

        What :meth:`list` gives page by page, for a loop that wants them all
        (a report, an export): pages of ``MAX_LIMIT`` (1,000) sessions are
        read one after another by ``next_cursor``, from the query's ``after``
        or the start; its ``limit`` is not used, and a ``page`` other than 1
        is refused (``InvalidValue``). The arguments are checked and the first
        page read at the call; each page is read in a unit of work of its own,
        so a session whose sort key changes between two pages may be met
        twice or not at all.
        """
        check_tenant(tenant)
        check_actor(actor)
        if query is not None and not isinstance(query, SessionQuery):
            raise WrongType(query, name="query", expected="a SessionQuery or None")
        wanted = SessionQuery() if query is None else query
        if wanted.page != 1:
            raise InvalidValue(
                "each reads every page, from the start or from after=;"
                f" got page={shown(wanted.page)}",
                value=wanted.page,
                expected="page=1 (the default)",
            )
        wanted = attrs.evolve(wanted, limit=MAX_LIMIT)
        first = self.list(tenant, wanted)

        def pages(page: Page[Session]) -> Iterator[Session]:
            while True:
                yield from page.items
                if page.next_cursor is None:
                    return
                page = self.list(tenant, attrs.evolve(wanted, after=page.next_cursor))

        return pages(first)


def known_session_statuses(ctx: Context, statuses: tuple[str, ...] | None) -> None:
    """Refuse a status no lifecycle of the kit has (``UnknownStatus``), as a typo would be.

    Filtering by it would find nothing and say nothing: ``"scheduled"`` for
    ``"SCHEDULED"``, a status of another application's lifecycles. ``kit.queries``
    and ``kit.analytics`` check a query's statuses alike.
    """
    if not statuses:
        return
    known = {status.name for name in ctx.lifecycles for status in ctx.lifecycles.get(name).statuses}
    for status in statuses:
        if status not in known:
            raise UnknownStatus(
                f"{shown(status)} is not a status of any lifecycle of this kit",
                value=status,
                expected=", ".join(sorted(known)),
            )
