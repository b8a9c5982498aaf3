"""Errors of policies: actions a rule refused, reschedule requests' own, roles not granted.

Also the meeting rooms' one failure that is not a refusal: the provider failing a call
:class:`~sessionkit.services.rooms.RoomKeeper` made for a stored status change.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sessionkit.errors._base import SessionKitError, shown
from sessionkit.errors._storage import Duplicate, NotFound


class ActionRefused(SessionKitError, ValueError):
    """A policy rule refused the command.

    ``rule`` names the rule, ``reason`` says why in words, and ``allows_at``
    is when the same request would be allowed, if ever (``None``: not by
    waiting). The base of :class:`BookingRefused`, :class:`CancelRefused` and
    :class:`RescheduleRefused`.
    """

    def __init__(self, rule: str, reason: str, *, allows_at: datetime | None = None) -> None:
        when = "" if allows_at is None else f" (allowed from {allows_at.isoformat()})"
        super().__init__(f"{reason}{when} [rule {rule}]")
        self.rule = rule
        self.reason = reason
        self.allows_at = allows_at


class CancelRefused(ActionRefused):
    """A rule refused a cancel in the acting role.

    ``rule`` is ``"notice"`` (less notice than the role needs to cancel),
    ``"window"`` (the role is shut out this close to the start),
    ``"ended"`` (the session is over: its end passed, or it ended as
    COMPLETED or a no-show; see docs/policies.md for who may still let a
    booking go then) or ``"unpaid"`` (a partial cancel,
    ``kit.bookings.cancel(..., seats=k)``, of a booking whose payment is
    still open: the provider was asked for the whole price, so only a whole
    cancel lets it go until it is paid); ``allows_at`` is ``None``, since
    none of them opens again as time passes. ``booking_id`` names the booking.
    """

    def __init__(self, rule: str, reason: str, *, booking_id: str) -> None:
        super().__init__(rule, reason)
        self.booking_id = booking_id


class JoinRefused(ActionRefused):
    """A join rule kept a participant out of a session's room.

    ``rule`` is ``"not_a_participant"`` (no confirmed booking, none of the
    resources), ``"not_held"`` (the session was cancelled; said to its
    resources and to whoever held a booking of it), ``"not_joinable"`` (the
    session's status has no open room; ``allows_at`` is when the
    lifecycle's timer opens it, if one does),
    ``"too_early"`` (``allows_at`` is when joining opens), ``"ended"`` or
    ``"room_closed"`` (joinable, but its room was closed for good).
    ``session_id`` and ``participant`` (``"kind:id"``) name who was kept out
    of what.
    """

    def __init__(
        self,
        rule: str,
        reason: str,
        *,
        session_id: str,
        participant: str,
        allows_at: datetime | None = None,
    ) -> None:
        super().__init__(rule, reason, allows_at=allows_at)
        self.session_id = session_id
        self.participant = participant


class MeetingRoomsError(SessionKitError, ConnectionError):
    """The meeting provider failed a room call.

    :class:`~sessionkit.services.rooms.RoomKeeper` opens and closes rooms after
    the commit, so the change stands: ``status`` is the status ``session_id``
    (of ``tenant``) entered, and ``operation`` the provider call that failed,
    ``"ensure_room"`` or ``"close_room"`` (``deleted``: the session was
    deleted, ``status`` its last one, and its room is to close). Both are
    idempotent at the provider: make that call again once it is back
    (running the command again would not, the status being entered
    already). A join credential (``kit.attendance.join_credential``) stores
    nothing: there ``status`` is ``None``, ``operation`` is
    ``"ensure_room"``, ``"reopen_room"`` (a room closed in a status
    corrected back since) or ``"issue_credential"``, and asking again once
    the provider is back is all it takes. The
    provider's own error is chained as ``__cause__``.
    """

    def __init__(
        self,
        operation: str,
        *,
        tenant: str,
        session_id: str,
        status: str | None,
        cause: BaseException,
        deleted: bool = False,
    ) -> None:
        if deleted:
            message = (
                f"session {shown(session_id)} of tenant {shown(tenant)} was deleted (stored), "
                f"but the meeting provider failed to close its room: {cause!r}; call "
                "MeetingRooms.close_room(tenant=..., session_id=...) again once it is back"
            )
        elif status is None:
            message = (
                f"the meeting provider failed {operation} for session {shown(session_id)} of "
                f"tenant {shown(tenant)}: {cause!r}; nothing was stored: ask for the "
                "credential again once it is back"
            )
        else:
            closing = operation == "close_room"
            # ensure_room takes the session's span too: named, or the call fails.
            args = "tenant=..., session_id=..." + ("" if closing else ", span=session.span")
            message = (
                f"session {shown(session_id)} of tenant {shown(tenant)} entered {status} "
                f"(stored), but the meeting provider failed to {'close' if closing else 'open'} "
                f"its room: {cause!r}; call MeetingRooms.{operation}({args}) again once it is back"
            )
        super().__init__(message)
        self.operation = operation
        self.tenant = tenant
        self.session_id = session_id
        self.status = status
        self.deleted = deleted


class RescheduleRefused(ActionRefused):
    """A reschedule request, or its answer, was refused by a rule.

    ``rule`` is one of ``"in_the_past"``, ``"notice"``, ``"window"``,
    ``"max_reschedules"``, ``"reason_length"``, ``"min_lead"``,
    ``"max_horizon"`` (a new time past the booking rules' horizon),
    ``"one_pending"`` (``request_id`` names the pending one; ``allows_at`` is
    its deadline, by when it is answered, or ``None`` when the asker would
    still be refused once it is), ``"not_pending"`` (the request was already
    answered), ``"booked"`` (the booking rules' ``reschedule_booked=False``:
    the session has more than one booking in play), ``"own_request"`` (only
    the other side answers, not the
    requester in another role), ``"session_moved"`` (the session was moved
    since the request was made: decline it and ask again),
    ``"not_requester"`` (only the requester withdraws), ``"no_time"`` (an
    approval of a request that proposed no time names none),
    ``"deadline_passed"`` (an answer silence already gave otherwise) or
    ``"not_reschedulable"`` (the session is in a final status, or in one its
    lifecycle does not let move: the academy's READY; or one the host's
    ``LinkChecker`` names). Each
    ``allows_at`` is ``None`` when waiting never helps (docs/policies.md).
    """

    def __init__(
        self,
        rule: str,
        reason: str,
        *,
        allows_at: datetime | None = None,
        request_id: str | None = None,
    ) -> None:
        super().__init__(rule, reason, allows_at=allows_at)
        self.request_id = request_id


class RescheduleNotFound(NotFound):
    """No reschedule request with that id exists for the tenant."""

    def __init__(self, request_id: object, tenant: object) -> None:
        super().__init__("reschedule", request_id, tenant)
        self.request_id = request_id


class DuplicateReschedule(Duplicate):
    """A reschedule request with that id exists, or the session already has a pending one.

    ``key`` is ``"id"`` or ``"pending"`` (at most one pending request per
    session, held by the database).
    """


class RoleNotGranted(SessionKitError, PermissionError):
    """The caller asked to act in a role the host did not grant it.

    The notice, refund and reschedule policies judge a command by the role it
    is made in; a role a client names is only believed when the host granted
    it. ``role`` is the role asked for, ``granted`` the roles the caller holds
    (sorted). ``needs_for``, if given, names what in the request takes
    ``role`` (an option such as ``"hold_minutes"`` or ``"confirm"``, an act
    such as ``"a manual payment"`` or ``"a drafted session"``), which the
    message then states first; ``None``: the request as a whole (a route
    only staff may call). Nothing was read or written.
    """

    needs_for: str | None = None
    """What in the request takes ``role``; ``None`` on an error pickled before it was a field."""

    def __init__(self, role: str, *, granted: Iterable[str], needs_for: str | None = None) -> None:
        held = tuple(sorted(granted))
        may = ", ".join(shown(r) for r in held) if held else "no role"
        if needs_for is None:
            message = f"the caller may not act as {shown(role)}; it was granted {may}"
        else:
            message = (
                f"the caller may not ask for {needs_for}: that takes acting as {shown(role)}, "
                f"and it was granted {may}"
            )
        super().__init__(message)
        self.role = role
        self.granted = held
        self.needs_for = needs_for


class ParticipantNotGranted(SessionKitError, PermissionError):
    """The caller asked for what is its own participant's only, and is not that participant.

    ``asked`` names what was asked for. Without ``granted`` the host named no
    participant for the caller (``Caller.participant``), so nothing that is
    issued only to a participant themself (a join credential) can be; with
    it, ``granted`` is the caller's participant and ``participant`` the one
    the request concerns (``None``: every participant, a list of all).
    ``reason``, if given, says why instead of the default. Nothing was read
    or written.
    """

    def __init__(
        self,
        asked: str,
        *,
        participant: str | None = None,
        granted: str | None = None,
        reason: str | None = None,
    ) -> None:
        if granted is None:
            first = reason or f"{asked} is for the caller's own participant only"
            message = (
                f"{first}, and the host named none for the caller (Caller.participant); "
                "acting for another participant takes a staff role"
            )
        else:
            whose = "every participant" if participant is None else repr(participant)
            first = reason or (
                f"{asked} is for {whose}, not for the caller's participant {shown(granted)}"
            )
            message = f"{first}; acting for another participant takes a staff role"
        super().__init__(message)
        self.asked = asked
        self.participant = participant
        self.granted = granted
