"""The booking lifecycle: its statuses, which of them take seats, and :data:`BOOKING_LIFECYCLE`.

Private to :mod:`sessionkit.model.booking`, which exports every name here and
draws the lifecycle's diagram in its docstring. Kept apart from the
:class:`~sessionkit.model.booking.Booking` record so that what a booking may
become reads in one place.
"""

from __future__ import annotations

from sessionkit.lifecycle import Lifecycle, Status, Timer, Transition

__all__ = [
    "ACTIVE_BOOKING_STATUSES",
    "BOOKING_LIFECYCLE",
    "BOOKING_STATUSES",
    "CANCELLED",
    "CONFIRMED",
    "EXPIRED",
    "HELD",
    "NEW",
    "OFFERED",
    "SEAT_STATUSES",
    "WAITLISTED",
]

NEW = "NEW"
"""A booking being made: the status it is built in, never stored."""
HELD = "HELD"
"""Seats held until ``hold_expires_at`` (awaiting payment or confirmation)."""
CONFIRMED = "CONFIRMED"
"""Seats confirmed."""
WAITLISTED = "WAITLISTED"
"""In the session's waitlist, at ``position``; takes no seat."""
OFFERED = "OFFERED"
"""A waitlisted booking offered a freed seat, held until ``hold_expires_at``."""
CANCELLED = "CANCELLED"
"""Cancelled by the participant, the provider or the session's cancellation."""
EXPIRED = "EXPIRED"
"""A hold, offer or waitlist place its time, its session's start or early end ran out."""

SEAT_STATUSES = frozenset({HELD, CONFIRMED, OFFERED})
"""Statuses whose bookings take seats (held and offered ones only until they expire)."""
ACTIVE_BOOKING_STATUSES = frozenset({HELD, CONFIRMED, OFFERED, WAITLISTED})
"""Statuses of bookings still in play: a participant has at most one such per session."""
BOOKING_STATUSES = frozenset({HELD, CONFIRMED, WAITLISTED, OFFERED, CANCELLED, EXPIRED})
"""Every status a stored booking can have (``NEW`` never is)."""

BOOKING_LIFECYCLE = Lifecycle(
    "booking",
    statuses=[
        Status(NEW, initial=True),
        Status(HELD, busy=True),
        Status(CONFIRMED, busy=True),
        Status(WAITLISTED),
        Status(OFFERED, busy=True),
        Status(CANCELLED, terminal=True, cancelled=True),
        Status(EXPIRED, terminal=True),
    ],
    transitions=[
        Transition("hold", NEW, HELD),
        Transition("book", NEW, CONFIRMED),
        Transition("queue", NEW, WAITLISTED),
        Transition("confirm", [HELD, OFFERED], CONFIRMED),
        Transition("offer", WAITLISTED, OFFERED),
        Transition("expire", [HELD, OFFERED], EXPIRED, timer=Timer.after("hold_expires_at")),
        Transition("lapse", WAITLISTED, EXPIRED, timer=Timer.after("session_start")),
        Transition("cancel", [HELD, CONFIRMED, WAITLISTED, OFFERED], CANCELLED),
    ],
    subject="booking",
    description="""Bookings (issue 11; the marketplace seed's tentative bookings).

    - A booking is tentative until paid: it is HELD, with an expiry; a hold
      that is not confirmed in time EXPIRES and frees its seats.
    - A full session can keep a waitlist: when seats free, the first
      WAITLISTED booking is OFFERED them, held for a claim window; an
      unclaimed offer EXPIRES and passes to the next. A waitlist place
      still waiting when the session starts EXPIRES with it.
    - Any booking still in play can be CANCELLED; cancelling a session
      cancels its bookings.
    - ``busy`` statuses (HELD, CONFIRMED, OFFERED) take seats.
    """,
)
"""The lifecycle of every booking (subject ``"booking"``); see :mod:`sessionkit.model.booking`."""
