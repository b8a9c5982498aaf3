"""Who may act as the schedule's owner (staff), and on whose bookings a caller may act.

:class:`Access` is the router's answer to both. A caller holding one of the
router's ``staff_roles`` is staff: it creates, changes and cancels sessions and
series, moves money by hand and overrides attendance. Any other caller acts
for its own participant only (``Caller.participant``): a booking, payment or
reschedule of another participant, or a list of everyone's, is refused with a
403 ``ParticipantNotGranted``. A caller the host named no participant for may
make a new booking for anyone (a public booking form) and confirm or claim the
bookings it made (the same actor), and reads or changes nothing else of any
participant's bookings, payments or reschedules. A session created by
booking it (``POST /bookings``) is staff's to draft, or the router's
``drafts`` check's to make of what another caller asked.
Every check runs before the route reads or writes what it guards.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import timedelta

import attrs

from sessionkit.contrib.fastapi._common import Caller, acting_role, lifecycle_named, role_names
from sessionkit.contrib.fastapi._drafts import DraftCheck
from sessionkit.contrib.fastapi.problems import unstored
from sessionkit.contrib.fastapi.schemas import SessionCreate
from sessionkit.errors import (
    AlreadyBooked,
    BookingNotFound,
    IdempotencyKeyReused,
    ParticipantNotGranted,
    RoleNotGranted,
    SessionConflict,
    SessionKitError,
    WrongType,
)
from sessionkit.errors._base import set_repr, shown
from sessionkit.lifecycle import guard_roles
from sessionkit.model.booking import CONFIRMED, Booking, participant_ref
from sessionkit.model.session import ResourceRef
from sessionkit.services import SessionDraft, SessionKit

__all__ = ["DEFAULT_STAFF_ROLES", "Access", "not_granted"]

DEFAULT_STAFF_ROLES: frozenset[str] = frozenset({"host", "provider", "admin"})
"""The roles that act as the schedule's owner unless the router names others: the ones the
default policies privilege (a ``host`` bypasses notice; a ``host``, ``provider`` or ``admin``
cancel refunds in full)."""


def _staff_roles(value: object) -> frozenset[str]:
    return role_names(value, name="staff_roles")


def _either(names: Iterable[str]) -> str:
    """``"a"``, ``"a or b"``, ``"a, b or c"``: the roles any one of which would do."""
    ordered = sorted(names)
    if not ordered:
        return "a staff role (the router names none)"
    if len(ordered) == 1:
        return ordered[0]
    return f"{', '.join(ordered[:-1])} or {ordered[-1]}"


def _draft_check(value: object) -> DraftCheck | None:
    if value is not None and not callable(value):
        raise WrongType(value, name="drafts", expected="a DraftCheck (a callable) or None")
    return value


def not_granted(
    asked: str, *, participant: str | None, granted: str | None, why: str | None = None
) -> ParticipantNotGranted:
    """Return the refusal of ``asked``, which concerns ``participant`` (``None``: every one).

    ``granted`` is the caller's own participant (``None``: the host named
    none); ``why`` replaces the message's first half.
    """
    return ParticipantNotGranted(asked, participant=participant, granted=granted, reason=why)


@attrs.frozen
class Access:
    """The router's staff roles, and the checks that keep callers to what they may do."""

    staff_roles: frozenset[str] = attrs.field(
        default=DEFAULT_STAFF_ROLES, converter=_staff_roles, repr=set_repr
    )
    drafts: DraftCheck | None = attrs.field(default=None, converter=_draft_check)
    """The host's check of a session drafted by a caller not staff (``None``: staff only)."""

    @property
    def needed(self) -> str:
        """The staff roles as a ``RoleNotGranted`` names them: ``"admin, host or provider"``."""
        return _either(self.staff_roles)

    def is_staff(self, who: Caller) -> bool:
        """Whether ``who`` holds at least one staff role."""
        return not who.roles.isdisjoint(self.staff_roles)

    def target(
        self, app: SessionKit, who: Caller, session_id: str | None, asked: SessionCreate | None
    ) -> str | SessionDraft:
        """Return what a booking books: the session ``session_id``, or the one ``asked``.

        A session asked to be created by the booking is drafted by staff as
        asked, or by a caller not staff as the router's ``drafts`` check
        returns it, which refuses by raising (without one: ``RoleNotGranted``).
        """
        if asked is None:
            assert session_id is not None  # a booking names its session or asks for one
            return session_id
        draft = SessionDraft(**asked.model_dump())
        if self.is_staff(who):
            lifecycle_named(app, asked.lifecycle)  # the client's; the drafts check's is the host's
            return draft
        if self.drafts is None:
            raise RoleNotGranted(
                self.needed, granted=who.roles, needs_for='"session" (a new session)'
            )
        made = self.drafts(app, who, draft)
        if not isinstance(made, SessionDraft):  # the host's bug, not the caller's: a 500
            raise TypeError(f"the router's drafts check returned {made!r}, not a SessionDraft")
        if made.lifecycle == asked.lifecycle:  # the check took the client's: the client's typo
            lifecycle_named(app, made.lifecycle)
        return made

    @contextmanager
    def booking(self, app: SessionKit, who: Caller, participant: str) -> Iterator[None]:
        """Tell a booking's refusals as far as they are the caller's to know.

        A drafted session's conflict is told as never stored: staff see the
        sessions in the way (``conflicts``), anyone else only that the time
        is not free (those are other people's sessions). ``AlreadyBooked``
        names the booking in the way to staff and to the participant
        itself; a caller booking for another (a public form) learns only
        that the participant is booked. ``IdempotencyKeyReused`` likewise
        names the booking the key first made only to staff and to that
        booking's participant: keys are the tenant's, so a caller reusing
        one (by mistake, or guessing) learns only that it is taken.
        """
        try:
            yield
        except SessionConflict as conflict:
            if self.is_staff(who):
                raise unstored(conflict) from conflict
            raise SessionConflict(
                "the time asked for is not free: a resource of the session is busy then"
            ) from None
        except AlreadyBooked as booked:
            if not self.kept(who) or who.participant == str(participant_ref(participant)):
                raise
            raise AlreadyBooked(
                session_id=booked.session_id, participant=booked.participant
            ) from None
        except IdempotencyKeyReused as reused:
            if reused.record_id is None or self._first_is_own(app, who, reused.record_id):
                raise
            raise IdempotencyKeyReused(reused.key, None, kind=reused.kind) from None

    def _first_is_own(self, app: SessionKit, who: Caller, booking_id: str) -> bool:
        """Whether the caller is staff, or the participant of the booking ``booking_id``."""
        if not self.kept(who):
            return True
        if who.participant is None:
            return False
        try:
            first = app.bookings.get(who.tenant, booking_id)
        except BookingNotFound:
            return False
        return str(participant_ref(first.participant)) == who.participant

    def staff(self, who: Caller, *, needs_for: str | None = None) -> Caller:
        """Return ``who`` if it is staff; else ``RoleNotGranted`` naming the staff roles.

        ``needs_for`` names what in the request takes them (``None``: the route itself).
        """
        if not self.is_staff(who):
            raise RoleNotGranted(self.needed, granted=who.roles, needs_for=needs_for)
        return who

    def staff_unless_guarded(
        self,
        app: SessionKit,
        who: Caller,
        role: str | None,
        *,
        session_ids: Iterable[str],
        transition: str,
    ) -> str | None:
        """Return the role a session command acts in, once the caller may fire ``transition``.

        Staff may, in any role it holds (``None``: the schedule's owner). Any
        other caller only in a role it holds that the transition's own
        ``roles(...)`` guards let through on every session's lifecycle: a
        transition those guards do not judge by role (the presets' cancel and
        start) is the schedule owner's, whatever role the request names.
        """
        if role is not None:
            acting_role(who, role)  # a role not granted: RoleNotGranted naming it
        if self.is_staff(who):
            return role
        if role is None:
            self.staff(who)
        for session_id in session_ids:
            session = app.queries.get(who.tenant, session_id, actor=who.actor)
            try:
                guards = app.context.lifecycle(session.lifecycle).transition(transition).guards
            except SessionKitError:
                continue  # no such transition: the command itself says so
            allowed = guard_roles(guards)
            if allowed is None or role not in allowed:
                # The role is the caller's; firing this transition in it is what takes staff.
                raise RoleNotGranted(
                    self.needed,
                    granted=who.roles,
                    needs_for=f'the transition {shown(transition)} with "role": {json.dumps(role)}',
                )
        return role

    def staff_if(
        self,
        who: Caller,
        *,
        manual: bool = False,
        confirm: bool = False,
        hold: bool = False,
        drafted: bool = False,
    ) -> None:
        """Refuse a non-staff caller a booking taken outside the usual flow.

        ``confirm`` gives a seat without a hold (or a payment, when paid),
        ``manual`` takes the money outside sessionkit, ``hold`` sets how long
        the seat is held instead of the booking rules (a student holding a
        paid seat for a year keeps everyone else out): all the schedule's
        owner's to decide. ``drafted``: the booking drafts its session, which
        a router without a ``drafts`` check refuses too (in :meth:`target`);
        a refusal here names it beside the rest, so one 403 says all of it.
        """
        asked = [
            name
            for name, given in (('"manual": true', manual), ('"confirm": true', confirm))
            if given
        ] + (["hold_minutes"] if hold else [])
        if asked:
            if drafted and self.drafts is None:
                asked.append('"session" (a new session)')
            self.staff(who, needs_for=" and ".join(asked))

    def kept(self, who: Caller) -> bool:
        """Whether ``who`` acts for its own participant alone (any caller that is not staff).

        Its participant is ``Caller.participant``; a caller the host named
        none for acts for no participant at all.
        """
        return not self.is_staff(who)

    def own(
        self,
        who: Caller,
        participant: ResourceRef | str,
        *,
        asked: str,
        new: bool = False,
        stored: bool = False,
    ) -> None:
        """Refuse ``asked``, concerning ``participant``, unless it is the caller's own.

        ``new``: ``asked`` is a new booking, which a caller the host named no
        participant for may make for anyone (a public booking form: the host
        vouches for who books). Reading or changing what a participant has
        takes being that participant. ``stored``: ``participant`` was read
        from a stored record (a booking's, a payment's), not from the
        request, so the refusal does not say whose it is.
        """
        if not self.kept(who) or (new and who.participant is None):
            return
        theirs = str(participant_ref(participant))
        if theirs == who.participant:
            return
        if stored:
            why = None
            if who.participant is not None:
                why = f"{asked} is not for the caller's participant {shown(who.participant)}"
            raise not_granted(asked, participant=None, granted=who.participant, why=why)
        raise not_granted(asked, participant=theirs, granted=who.participant)

    def own_booking(
        self, app: SessionKit, who: Caller, booking_id: str, *, made: bool = False
    ) -> Booking:
        """Return the booking, refused unless the caller may act on it (it is its participant's).

        ``made``: the command completes a booking (confirms a hold, claims an
        offer), which a caller the host named no participant for may do to a
        booking it made itself (its actor is the booking's ``created_by``): a
        public booking form finishes what it started, and touches nothing else.
        """
        booking = app.bookings.get(who.tenant, booking_id)
        if made and self._made_by(who, booking):
            return booking
        self.own(who, booking.participant, asked=f"booking {shown(booking_id)}", stored=True)
        return booking

    def _made_by(self, who: Caller, booking: Booking) -> bool:
        """Whether ``who``, kept to no participant, made ``booking`` (the same actor)."""
        return (
            self.kept(who)
            and who.participant is None
            and who.actor is not None
            and booking.created_by == who.actor
        )

    def everyone(self, who: Caller, *, asked: str) -> None:
        """Refuse ``asked``, which shows every participant's records, to a caller not staff."""
        if self.kept(who):
            raise not_granted(asked, participant=None, granted=who.participant)

    def booked_in(self, app: SessionKit, who: Caller, session_id: str, *, asked: str) -> None:
        """Refuse ``asked`` on a session the caller's participant has no part in.

        Its part is a confirmed booking of the session, or being one of its
        resources (as for a join credential).
        """
        if not self.kept(who):
            return
        own = who.participant
        if own is None:
            raise not_granted(asked, participant=None, granted=None)
        if self._takes_part(app, who.tenant, participant_ref(own), session_id, who.actor):
            return
        raise not_granted(
            asked,
            participant=None,
            granted=own,
            why=f"the caller's participant {shown(own)} holds no confirmed booking of "
            f"session {shown(session_id)} and is none of its resources, so {asked} is "
            "another participant's",
        )

    def takes_part(self, app: SessionKit, who: Caller, session_id: str) -> bool:
        """Whether ``who`` is staff, or its participant takes part in the session (as above)."""
        if not self.kept(who):
            return True
        if who.participant is None:
            return False
        return self._takes_part(
            app, who.tenant, participant_ref(who.participant), session_id, who.actor
        )

    @staticmethod
    def _takes_part(
        app: SessionKit, tenant: str, me: ResourceRef, session_id: str, actor: str | None
    ) -> bool:
        session = app.queries.get(tenant, session_id, actor=actor)
        if me in session.resources:
            return True
        found = app.bookings.for_participant(
            tenant,
            me,
            start=session.start,
            end=session.start + timedelta(microseconds=1),  # the sessions starting then
            statuses=[CONFIRMED],
        )
        return any(b.session_id == session.id for b in found)
