"""Booking a session that does not exist yet: who may draft one, and the check a host gives.

``POST /bookings`` and ``POST /paid-bookings`` create a session and book it
in one unit of work (``kit.bookings.book`` / ``kit.payments.book`` with a
:class:`~sessionkit.services.SessionDraft`), as a consultant's public booking
page does. Staff may draft any session. A caller that is not staff may only
when the router was given ``drafts=``, a :data:`DraftCheck` the host writes
(or :func:`within_availability`), which refuses by raising; without it the
routes are staff's alone.
"""

from __future__ import annotations

from collections.abc import Callable

from sessionkit.availability import Availability
from sessionkit.contrib.fastapi._common import Caller
from sessionkit.errors import BookingRefused, WrongType
from sessionkit.errors._base import shown
from sessionkit.model.session import ResourceRef
from sessionkit.services import SessionDraft, SessionKit
from sessionkit.timespan import TimeSpan

__all__ = ["DraftCheck", "within_availability"]

DraftCheck = Callable[[SessionKit, Caller, SessionDraft], None]
"""Judges a session a caller that is not staff asks to create by booking it.

Called with the app's kit, the caller and the draft (its values checked)
before anything is written; it returns to allow the draft and raises a
:class:`~sessionkit.errors.SessionKitError` to refuse it (answered as that
error's problem, e.g. ``BookingRefused``, 409). What the kit checks anyway
(the resources' other sessions, the booking rules, the notice) it need not.
"""

AvailabilityOf = Callable[[str, ResourceRef], Availability | None]
"""The availability of one resource of a tenant (``None``: it has none to book)."""


def within_availability(availability_of: AvailabilityOf) -> DraftCheck:
    """Return a :data:`DraftCheck` taking a draft inside its resources' availability.

    A draft is taken when it names at least one resource and each one it
    names has availability (``availability_of(tenant, resource)``) covering
    the draft's whole span. Otherwise ``BookingRefused`` with rule
    ``"availability"``: a public caller books a consultant's open hours, not
    any hour, and cannot add a series or a resource of its own choosing.
    """
    if not callable(availability_of):
        raise WrongType(
            availability_of,
            name="availability_of",
            expected="a callable (tenant, resource) -> Availability | None",
        )

    def check(_kit: SessionKit, who: Caller, draft: SessionDraft) -> None:
        if draft.series_id is not None:
            raise BookingRefused(
                "availability", "a session drafted by a booking may not join a series"
            )
        if not draft.resources:
            raise BookingRefused(
                "availability", "a session drafted by a booking must name whom it books"
            )
        span = TimeSpan(draft.start, draft.end)
        for resource in draft.resources:
            hours = availability_of(who.tenant, resource)
            if hours is None or not hours.covers(span):
                raise BookingRefused(
                    "availability",
                    f"{shown(str(resource))} is not available from {span.start.isoformat()} "
                    f"to {span.end.isoformat()}",
                )

    return check
