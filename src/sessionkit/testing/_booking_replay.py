"""The booking commands and the expiry job on one session, replayed for ``booked_sessions``.

Private to :mod:`sessionkit.testing.strategies`: :func:`booked_sessions`
draws the requests (:class:`Request`) and :class:`Replay` plays them, and the
expiry job's runs, in time order, as the services would, so every drawn state
is one the commands can leave.
"""

from __future__ import annotations

import heapq
import itertools
from datetime import datetime, timedelta
from typing import Any

import attrs

from sessionkit.model.booking import (
    CANCELLED,
    CONFIRMED,
    EXPIRED,
    HELD,
    OFFERED,
    WAITLISTED,
    Booking,
    seats_owed,
    seats_taken,
)
from sessionkit.model.session import ResourceRef, Session

__all__ = ["Replay", "Request"]


@attrs.frozen(kw_only=True)
class Request:
    """One booking request of a booked session, and what its participant does afterwards."""

    made: datetime
    seats: int
    role: str
    again: int
    """``k`` > 0: the participant of request ``k`` books again, if nothing of theirs is in play."""
    confirm: bool
    """Booked confirmed at once when seated (else held for :attr:`hold_for`)."""
    hold_for: timedelta
    claim_after: timedelta | None
    """A hold or an offer is confirmed this long after it began, if it still runs then."""
    cancel_at: datetime | None
    by_self: bool
    """Made, confirmed and cancelled by the participant, else by no one named (``actor=None``)."""


class Replay:
    """The booking commands and the expiry job on one session, replayed in time order.

    What each command does to the session's bookings, as the services do it:
    ``book`` settles the session first (holds, offers and the waitlist that
    ran out are EXPIRED; freed seats are offered to the waitlist in order,
    strictly: nobody passes a first in line who needs more seats than are
    free), then seats the newcomer if the seats fit beside those taken and
    owed to the waitlist, else queues it; ``cancel`` cancels a booking still
    in play and settles; ``confirm`` settles the session first and then
    claims a hold or offer that still runs; the job settles. Every change is stamped
    (``updated_at``, ``updated_by``, ``version``) as the store stamps it.
    """

    def __init__(self, session: Session, offer_for: timedelta) -> None:
        self.session = session
        self.offer_for = offer_for
        self.bookings: dict[str, Booking] = {}
        self.requests: dict[str, Request] = {}
        self._due: list[tuple[datetime, int, str, str]] = []
        self._order = itertools.count()  # what was planned first happens first at one instant

    def _at(self, when: datetime, kind: str, key: str) -> None:
        heapq.heappush(self._due, (when, next(self._order), kind, key))

    def request(self, booking_id: str, request: Request) -> None:
        """Plan a booking request (and its cancel, if any)."""
        self.requests[booking_id] = request
        self._at(request.made, "book", booking_id)
        if request.cancel_at is not None:
            self._at(request.cancel_at, "cancel", booking_id)

    def tick(self, when: datetime) -> None:
        """Plan a run of the expiry job."""
        self._at(when, "tick", "")

    def run(self, until: datetime) -> tuple[Booking, ...]:
        """Replay what was planned up to ``until``; return the bookings in creation order."""
        while self._due and self._due[0][0] <= until:
            when, _, kind, key = heapq.heappop(self._due)
            if kind == "book":
                self._book(key, when)
            elif kind == "cancel":
                self._cancel(key, when)
            elif kind == "claim":
                self._claim(key, when)
            else:
                self._tick(when)
        return tuple(self.bookings.values())

    def _actor(self, booking_id: str) -> str | None:
        booking = self.bookings[booking_id]
        return str(booking.participant) if self.requests[booking_id].by_self else None

    def _change(self, booking: Booking, when: datetime, actor: str | None, **changes: Any) -> None:
        self.bookings[booking.id] = attrs.evolve(
            booking, updated_at=when, updated_by=actor, version=booking.version + 1, **changes
        )

    def _holding(self, booking_id: str, began: datetime, until: datetime) -> None:
        claim = self.requests[booking_id].claim_after
        if claim is not None and began + claim < until:
            self._at(began + claim, "claim", booking_id)

    def _settle(self, when: datetime, actor: str | None) -> None:
        for booking in list(self.bookings.values()):
            if booking.active and booking.expired_at(when):
                self._change(booking, when, None, status=EXPIRED)  # a hold keeps its expiry
        if not (self.session.busy and self.session.start > when):
            return
        free = self.session.capacity - seats_taken(self.bookings.values(), when)
        waiting = sorted(
            (b for b in self.bookings.values() if b.status == WAITLISTED),
            key=lambda b: b.position or 0,
        )
        for booking in waiting:
            if booking.seats > free:
                break  # first come, first offered: nobody passes the first in line
            until = min(when + self.offer_for, self.session.start)  # never past the start
            self._change(booking, when, actor, status=OFFERED, hold_expires_at=until)
            self._holding(booking.id, when, until)
            free -= booking.seats

    def _tick(self, when: datetime) -> None:
        self._settle(when, actor=None)

    def _book(self, booking_id: str, when: datetime) -> None:
        request = self.requests[booking_id]
        number = len(self.bookings) + 1
        participant = ResourceRef("student", f"p{number}")
        if request.again:
            # Free to book again once nothing of theirs is in play (what ran out is settled now).
            earlier = list(self.bookings.values())[request.again - 1].participant
            if not any(
                b.participant == earlier and b.active and not b.expired_at(when)
                for b in self.bookings.values()
            ):
                participant = earlier
        actor = str(participant) if request.by_self else None
        self._settle(when, actor)
        taken = seats_taken(self.bookings.values(), when)
        free = self.session.capacity - taken - seats_owed(self.bookings.values())
        status, expires, position = WAITLISTED, None, None
        if request.seats <= free:
            status = CONFIRMED if request.confirm else HELD
            expires = None if request.confirm else min(when + request.hold_for, self.session.start)
        else:  # a full session, or one with a waitlist: queued, as book(waitlist=True) does
            position = 1 + max((b.position or 0 for b in self.bookings.values()), default=0)
        self.bookings[booking_id] = Booking(
            id=booking_id,
            tenant=self.session.tenant,
            session_id=self.session.id,
            participant=participant,
            role=request.role,
            seats=request.seats,
            status=status,
            hold_expires_at=expires,
            session_start=self.session.start,
            session_end=self.session.end,
            position=position,
            created_at=when,
            created_by=actor,
        )
        if expires is not None:
            self._holding(booking_id, when, expires)

    def _cancel(self, booking_id: str, when: datetime) -> None:
        booking = self.bookings[booking_id]
        if not booking.active or booking.expired_at(when):
            return  # refused (InvalidTransition): what ran out is no longer in play
        actor = self._actor(booking_id)
        self._change(booking, when, actor, status=CANCELLED, hold_expires_at=None)
        self._settle(when, actor)

    def _claim(self, booking_id: str, when: datetime) -> None:
        booking = self.bookings[booking_id]
        if booking.status in (HELD, OFFERED) and not booking.expired_at(when):
            actor = self._actor(booking_id)
            self._settle(when, actor)  # confirm settles the session first, as every write
            booking = self.bookings[booking_id]
            self._change(booking, when, actor, status=CONFIRMED, hold_expires_at=None)
