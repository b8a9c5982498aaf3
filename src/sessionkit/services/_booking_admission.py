"""The checks a new booking passes before it is written, for :class:`BookingMaking`.

Private to the services package, beside :mod:`~sessionkit.services.booking_making`:
:class:`BookingAdmission` is the base of its
:class:`~sessionkit.services.booking_making.BookingMaking` holding the steps
``book``, ``book_in`` and ``can_book`` share: the checks that need no bookings
read (the session's status and capacity, the rules, the notice: ``_admit``,
``_check_bookable``), settling the locked session and checking the participant
(``_settled``, ``_open_seats``), replaying an idempotent request (``_replay``)
and the new booking taking its seats (``_seated``). The refusals that need
bookings read are :mod:`~sessionkit.services._booking_refusals`'s.
"""

from __future__ import annotations

from datetime import datetime

from sessionkit.errors import BookingRefused, IdempotencyKeyReused, InvalidValue
from sessionkit.errors._base import shown
from sessionkit.lifecycle import StatusChanged
from sessionkit.model.booking import BOOKING_LIFECYCLE, Booking
from sessionkit.model.session import ResourceRef, Session
from sessionkit.model.text import check_id
from sessionkit.policies import BookingRules, Refusal
from sessionkit.services._booking_refusals import check_participant, judged_where_moved
from sessionkit.services._context import Context, Tx
from sessionkit.services._seats import Settled, closed, settle
from sessionkit.services.booking_requests import BookingRequest

__all__ = ["BookingAdmission"]


class BookingAdmission:
    """The checks and steps of :class:`~sessionkit.services.booking_making.BookingMaking`."""

    _ctx: Context

    @staticmethod
    def _seated(
        new: Booking,
        request: BookingRequest,
        rules: BookingRules,
        now: datetime,
        actor: str | None,
    ) -> tuple[Booking, StatusChanged]:
        """The new booking taking its seats: confirmed, or held for the request's or rules' time.

        A hold ends by the session's start at the latest (:meth:`Booking.holding`).
        """
        role = request.acting_role
        if request.confirm:
            return BOOKING_LIFECYCLE.fire(new, "book", now=now, actor=actor, role=role)
        held = new.holding(until=now + (request.hold_for or rules.hold_for))
        return BOOKING_LIFECYCLE.fire(held, "hold", now=now, actor=actor, role=role)

    def _drafted(
        self,
        tenant: str,
        session: Session,
        request: BookingRequest,
        actor: str | None,
        now: datetime,
    ) -> Booking:
        """The request's new booking in the locked ``session``, before it takes its seats.

        Every value was checked already (the request, the locked session, the
        command's instant and actor) but the new id, which the kit's id source
        made.
        """
        key = request.key
        return Booking.unchecked(
            id=check_id(self._ctx.ids(), "Booking.id"),
            tenant=tenant,
            session_id=session.id,
            participant=request.participant,
            session_start=session.start,
            session_end=session.end,
            created_at=now,
            created_by=actor,
            role=request.role,
            seats=request.seats,
            idempotency_key=key,
            fingerprint=None if key is None else request.fingerprint,
            metadata=request.metadata,
        )

    def _open_seats(
        self,
        tx: Tx,
        session: Session,
        ref: ResourceRef,
        seats: int,
        actor: str | None,
        acting_role: str,
    ) -> tuple[BookingRules, Settled, Session]:
        """Settle the locked session, run every check but capacity; its rules, seats, session.

        The session as judged: where silence moved it (:func:`judged_where_moved`).
        """
        rules, session = judged_where_moved(
            self._ctx, tx, session, lambda s: self._admit(tx.now, s, seats, acting_role)
        )
        return rules, self._settled(tx, session, rules, ref, actor, acting_role), session

    def _admit(
        self,
        now: datetime,
        session: Session,
        seats: int,
        acting_role: str,
        *,
        drafted: bool = False,
    ) -> BookingRules:
        """Run the checks that need no bookings read (the rules, the notice) at ``now``; the rules.

        ``drafted``: the command drafted ``session``, which goes with a refusal, so
        the seats' error names no id of it.
        """
        rules = self._ctx.rules_for(session)
        try:
            ended = closed(self._ctx, session)
            self._check_bookable(session, rules, seats, now, ended, drafted=drafted)
        except BookingRefused as refused:
            if refused.allows_at is None:
                raise
            # Too far ahead: allowed from allows_at, unless the role's notice shuts the
            # session by then (a notice never opens again nearer the start), and then never.
            shut = self._ctx.notice.notice_refusal("book", acting_role, session, refused.allows_at)
            if shut is None:
                raise
            asked = Refusal(rule=refused.rule, reason=refused.reason, allows_at=refused.allows_at)
            raise asked.by_then(shut).error() from refused
        refusal = self._ctx.notice.notice_refusal("book", acting_role, session, now)
        if refusal is not None:
            raise refusal.error()
        return rules

    def _settled(
        self,
        tx: Tx,
        session: Session,
        rules: BookingRules,
        ref: ResourceRef,
        actor: str | None,
        acting_role: str,
    ) -> Settled:
        """Settle the locked session and check the participant; return the settled seats.

        Seats the waitlist is owed are not free for a newcomer: with anyone
        still waiting, none are (``Settled.free``).
        """
        settled = settle(self._ctx, tx, session, actor=actor, participant=ref)
        check_participant(self._ctx, tx, session, rules, ref, settled.mine, acting_role)
        return settled

    def _replay(self, tx: Tx, tenant: str, key: str, request: BookingRequest) -> Booking | None:
        first = tx.bookings.by_key(tenant, key)
        if first is None:
            return None
        if not request.replays(first.fingerprint):
            raise IdempotencyKeyReused(key, first.id)
        return first

    @staticmethod
    def _check_bookable(
        session: Session,
        rules: BookingRules,
        seats: int,
        now: datetime,
        ended: bool,
        *,
        drafted: bool = False,
    ) -> None:
        """Refuse a session not in a busy status, or ``ended`` (a terminal one), and the rules'."""
        if not session.busy or ended:
            raise BookingRefused(
                "not_bookable",
                f"session {shown(session.id)} is {session.status} and takes no bookings",
            )
        if seats > session.capacity:
            which = "the drafted session" if drafted else f"session {shown(session.id)}"
            raise InvalidValue(
                f"seats={seats} is more than the capacity {session.capacity} of {which}",
                value=seats,
                expected=f"1..{session.capacity}",
                name="seats",
            )
        refusal = rules.refusal(session, now)
        if refusal is not None:
            raise refusal.error()
