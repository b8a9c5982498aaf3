"""Booking a session that does not exist yet: who may draft one, and the check a host gives.

``POST /bookings`` and ``POST /paid-bookings`` create a session and book it
in one unit of work (``kit.bookings.book`` / ``kit.payments.book`` with a
:class:`~sessionkit.services.SessionDraft`), as a consultant's public booking
page does. Staff may draft any session. A caller that is not staff may only
when the router was given ``drafts=``, a :data:`DraftCheck` the host writes
(or :func:`within_availability`), which returns the session to create or
refuses by raising; without it the routes are staff's alone.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

import attrs

from sessionkit.availability import Availability
from sessionkit.contrib.fastapi._common import Caller
from sessionkit.errors import BookingRefused, InvalidValue, WrongType
from sessionkit.errors._base import shown
from sessionkit.model.session import ResourceRef
from sessionkit.services import SessionDraft, SessionKit
from sessionkit.timespan import TimeSpan

__all__ = ["DraftCheck", "within_availability"]

DraftCheck = Callable[[SessionKit, Caller, SessionDraft], SessionDraft]
"""Judges a session a caller that is not staff asks to create by booking it.

Called with the app's kit, the caller and the draft (its values checked)
before anything is written; it returns the session to create (the draft,
or the host's own made of it: its lifecycle, capacity, title, fields) and
raises a :class:`~sessionkit.errors.SessionKitError` to refuse it (answered
as that error's problem, e.g. ``BookingRefused``, 409). What the kit checks
anyway for the session returned (the resources' other sessions, the booking
rules, the notice, the price) it need not.
"""

AvailabilityOf = Callable[[str, ResourceRef], Availability | None]
"""The availability of one resource of a tenant (``None``: it has none to book)."""

_HOSTS = ("lifecycle", "capacity", "title", "tz", "metadata", "series_id")
"""A drafted session's fields the host sets, never a caller that is not staff."""

_CHECKED = datetime(2000, 1, 3, tzinfo=UTC)
"""An instant to build a template session at, so its values are checked when it is given."""


def within_availability(
    availability_of: AvailabilityOf,
    *,
    lifecycle: str,
    capacity: int = 1,
    title: str | None = None,
    metadata: Mapping[str, Any] | None = None,
) -> DraftCheck:
    """Return a :data:`DraftCheck` taking a draft inside its resources' availability.

    The caller gives the time and the resources only: a draft that names
    one of the other fields (``lifecycle``, ``capacity``, ``title``, ``tz``,
    ``metadata``, ``series_id``) is ``InvalidValue``, since the price, the
    seats and the lifecycle a host's rules read from them are the host's to
    say. The session created is the host's: ``lifecycle``, ``capacity``,
    ``title`` and ``metadata`` as given here, in the zone of its first
    resource's availability. A draft is taken when it names at least one
    resource and each one has availability (``availability_of(tenant,
    resource)``) covering the draft's whole span; otherwise
    ``BookingRefused`` with rule ``"availability"``.
    """
    if not callable(availability_of):
        raise WrongType(
            availability_of,
            name="availability_of",
            expected="a callable (tenant, resource) -> Availability | None",
        )
    template = SessionDraft(  # the host's values, checked now
        start=_CHECKED,
        end=_CHECKED + timedelta(hours=1),
        lifecycle=lifecycle,
        capacity=capacity,
        title=title,
        metadata=metadata,
    )

    def check(_kit: SessionKit, who: Caller, draft: SessionDraft) -> SessionDraft:
        for name in _HOSTS:
            if getattr(draft, name) not in (None, {}):  # a draft's metadata is {} when not given
                raise InvalidValue(
                    f"session.{name}: a session a booking drafts takes its {name} from the "
                    f"host; leave it out",
                    value=getattr(draft, name),
                    expected="not given",
                )
        if not draft.resources:
            raise BookingRefused(
                "availability", "a session drafted by a booking must name whom it books"
            )
        span = TimeSpan(draft.start, draft.end)
        zone: str | None = None
        for resource in draft.resources:
            hours = availability_of(who.tenant, resource)
            if hours is None or not hours.covers(span):
                raise BookingRefused(
                    "availability",
                    f"{shown(str(resource))} is not available from {span.start.isoformat()} "
                    f"to {span.end.isoformat()}",
                )
            zone = zone or hours.zone.key
        return attrs.evolve(
            template, start=draft.start, end=draft.end, resources=draft.resources, tz=zone
        )

    return check
