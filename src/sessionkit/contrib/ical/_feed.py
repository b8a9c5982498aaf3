"""A resource's sessions over a window as an iCalendar feed, read through ``SessionKit``."""

from __future__ import annotations

from datetime import datetime

from sessionkit.contrib.ical._export import sessions_feed
from sessionkit.model.session import ResourceRef
from sessionkit.services.app import SessionKit

__all__ = ["resource_feed"]


def resource_feed(
    kit: SessionKit,
    tenant: str,
    resource: ResourceRef | str,
    *,
    start: datetime,
    end: datetime,
    statuses: tuple[str, ...] | None = None,
    name: str | None = None,
) -> str:
    """Return the resource's sessions starting in ``[start, end)`` as a VCALENDAR feed.

    The sessions are :meth:`~sessionkit.services.SessionQueries.agenda`'s (all
    statuses unless ``statuses`` narrows them), one VEVENT each with the
    session id (or the UID it was imported with) as UID and the series id as
    RELATED-TO; cancelled ones (by the kit's lifecycles) say
    ``STATUS:CANCELLED``. DTSTAMP is the kit's now.
    """
    sessions = kit.queries.agenda(tenant, resource, start=start, end=end, statuses=statuses)
    return sessions_feed(
        sessions,
        stamp=kit.context.now(),
        name=name or str(resource),
        lifecycles=kit.context.lifecycles,
    )
