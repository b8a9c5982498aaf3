"""Join credentials: who may enter a session's room now, and the room they enter.

Private to the services: :mod:`sessionkit.services.rooms` re-exports
:class:`JoinRules`, :class:`RoomAccess` and the refusal rules, and says what
they do; ``kit.attendance.join_credential`` runs :class:`RoomAccess`. Kept
apart from :class:`~sessionkit.services.rooms.RoomKeeper`, which follows
the committed events and reads no store, as this reads the session.

This module owns :class:`RoomAccess` (checking who asks, advancing the session's
timers, opening, closing and reopening its room) and the refusal rules.
:class:`JoinRules` (when a credential is issued and how long it lasts, with the
checks of its fields) lives in :mod:`sessionkit.services._join_rules`, exported
here under this module's name as before.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from datetime import timedelta as timedelta  # JoinRules' hints resolve here (__module__)
from typing import Final, cast

from sessionkit.errors import (
    InvalidValue,
    JoinRefused,
    MeetingRoomsError,
    MissingFact,
    SessionKitError,
    SessionNotFound,
)
from sessionkit.errors._base import duration_text, shown
from sessionkit.model.booking import CANCELLED, CONFIRMED, participant_ref
from sessionkit.model.session import ResourceRef, Session
from sessionkit.model.text import MAX_REF_LENGTH, check_id, check_tenant, check_text
from sessionkit.ports import FactProvider, JoinCredential, MeetingRooms, ReopeningRooms, Room
from sessionkit.services._context import Context, Tx
from sessionkit.services._join_rules import JoinRules, _joinable_at
from sessionkit.services._statuses import joined_before
from sessionkit.services.commands import store_status

__all__ = [
    "NOT_A_PARTICIPANT",
    "NOT_HELD",
    "NOT_JOINABLE",
    "ROOM_CLOSED",
    "ROOM_ENDED",
    "TOO_EARLY",
    "JoinRules",
    "RoomAccess",
]

NOT_A_PARTICIPANT: Final = "not_a_participant"
"""Refusal rule: neither a confirmed booking of the session nor one of its resources."""
NOT_HELD: Final = "not_held"
"""Refusal rule: the session was cancelled (a status its lifecycle flags ``cancelled``).

Given to its resources and to whoever held a booking of it (cancelled with it or
before): to them ``not_a_participant`` would hide that the session is off.
"""
NOT_JOINABLE: Final = "not_joinable"
"""Refusal rule: the session's status is not a joinable one (``allows_at``: when a timer makes it)."""  # noqa: E501
TOO_EARLY: Final = "too_early"
"""Refusal rule: earlier than ``JoinRules.early`` before the start (``allows_at`` says when)."""
ROOM_ENDED: Final = "ended"
"""Refusal rule: the session ended more than ``JoinRules.buffer`` ago."""
ROOM_CLOSED: Final = "room_closed"
"""Refusal rule: the session is joinable but its room was closed and not opened again.

A status corrected back finds it so when the provider cannot reopen a room
(no ``reopen_room``: not a :class:`~sessionkit.ports.ReopeningRooms`), as a
status the rules call joinable but its lifecycle terminal always does.
"""

_ATTEMPTS = 10
"""Runs of one credential request when racing writers moved the session first."""


def _advanced(
    ctx: Context, tx: Tx, session: Session, facts: FactProvider, rules: JoinRules
) -> Session:
    """Apply ``session``'s timed transitions due by ``tx.now``; return it (stored if it moved).

    Stored only when they make it joinable: otherwise the credential is refused
    (``not_joinable``) and the moves are the tick's, so a refusal they would
    meet (a scheduling conflict, a host's guard) is not the join's answer.
    ``facts`` are read only when a due timer's condition needs them (the
    academy's ABSENT asks whether anyone attended).
    """
    machine = ctx.lifecycle(session.lifecycle)
    known: Mapping[str, object] | None = None
    try:
        changed, changes = machine.advance(session, tx.now, facts={})
    except MissingFact:
        known = facts.facts_for([session], tx.uow).get(session.id)
        changed, changes = machine.advance(session, tx.now, facts=known)
    # Someone in the room since before READY starts it now, as the tick would (joined_before).
    changed, changes = joined_before(ctx, tx, machine, changed, changes, known, facts)
    if not changes or changed.status not in rules.joinable:
        return changed
    return store_status(tx, machine, session, changed, list(changes), None)


class RoomAccess:
    """Issues join credentials for the kit's meeting rooms; see :mod:`sessionkit.services.rooms`."""

    def __init__(
        self, ctx: Context, rooms: MeetingRooms | None, rules: JoinRules, facts: FactProvider
    ) -> None:
        self._ctx = ctx
        self._rooms = rooms
        self.rules = rules
        """When a credential is issued and how long it lasts."""
        self._facts = facts

    def credential(
        self,
        tenant: str,
        session_id: str,
        participant: ResourceRef | str,
        *,
        role: str | None = None,
        now: datetime | None = None,
    ) -> JoinCredential:
        """Return the provider's credential for ``participant`` to enter the session's room.

        See :meth:`~sessionkit.services.attendance.AttendanceCommands.join_credential`.
        """
        check_tenant(tenant)
        check_id(session_id, "session_id")
        check_text(role, "role", limit=MAX_REF_LENGTH, optional=True)
        who = participant_ref(participant)
        rooms = self._rooms
        if rooms is None:
            raise InvalidValue(
                "this kit has no meeting rooms: pass SessionKit(rooms=...)",
                value=None,
                expected="a MeetingRooms",
            )
        at = self._ctx.at(now, "now")
        # A racing writer moved the session: read it again.
        session, granted = self._ctx.retrying_races(
            lambda: self._admit(tenant, session_id, who, role, at), _ATTEMPTS
        )
        expires_at = self.rules.expires_at(session, at)

        def issue(room: Room) -> JoinCredential:
            return rooms.issue_credential(
                tenant=room.tenant,
                session_id=room.session_id,
                participant=who,
                role=granted,
                expires_at=expires_at,
            )

        operation = "ensure_room"
        reopened = False
        try:
            room = rooms.ensure_room(tenant=tenant, session_id=session.id, span=session.span)
            operation = "issue_credential"
            try:
                credential = issue(room)
            except LookupError:  # the port's answer for a room that is not open
                reopening = self._reopener(rooms, session)
                if reopening is None:
                    raise
                # Closed in a status the store no longer holds (corrected back): open it
                # again. A cancel or end racing this request is _still_held's: it closes
                # what was reopened (RoomKeeper's close may have come first).
                operation = "reopen_room"
                reopening.reopen_room(
                    tenant=room.tenant, session_id=room.session_id, span=session.span
                )
                reopened = True
                operation = "issue_credential"
                credential = issue(room)
        except Exception as exc:
            if reopened:  # open again, but not for a session cancelled or ended meanwhile
                self._still_held(rooms, session, who, granted, at)
            if isinstance(exc, LookupError) and operation == "issue_credential":
                # The port's answer for a room that is not open. ensure_room and reopen_room
                # give no such answer: a LookupError of theirs is the provider failing.
                raise self._closed(rooms, session, who, reopened=reopened) from None
            if isinstance(exc, SessionKitError):
                raise
            # The provider's own error (down, refused): named, typed.
            raise MeetingRoomsError(
                operation, tenant=tenant, session_id=session.id, status=None, cause=exc
            ) from exc
        self._still_held(rooms, session, who, granted, at)
        return credential

    def _still_held(
        self,
        rooms: MeetingRooms,
        admitted: Session,
        who: ResourceRef,
        role: str | None,
        at: datetime,
    ) -> None:
        """Close the room and refuse if a racing writer deleted or ended the session meanwhile.

        A delete or an end that commits after this request read the session and
        before its ``ensure_room`` has ``RoomKeeper`` close a room not made yet
        (nothing), and the ensure then makes one, open for a session that is
        over; a cancel closing the room before its ``reopen_room`` has it
        reopened so. Read after the ensure, such a change is seen whenever that close
        came first, so the room is closed here (a close after the ensure closes
        it anyway). ``role``: the one granted.
        """
        try:
            with self._ctx.transaction(at) as tx:
                current = tx.sessions.get(admitted.tenant, admitted.id)
        except SessionNotFound:
            self._close(rooms, admitted, deleted=True)
            raise
        machine = self._ctx.lifecycle(current.lifecycle)
        if current.status == admitted.status or not machine.status(current.status).terminal:
            return
        self._close(rooms, current, deleted=False)
        cancelled = current.status in machine.cancelled_statuses
        self._check(current, who, role, at, cancelled=cancelled)
        # A terminal status the rules call joinable: its room is closed all the same.
        raise JoinRefused(
            ROOM_CLOSED,
            f"session {shown(current.id)} is {current.status}: its room was closed",
            session_id=current.id,
            participant=str(who),
        )

    def _closed(
        self, rooms: MeetingRooms, session: Session, who: ResourceRef, *, reopened: bool
    ) -> JoinRefused:
        """Return the ``room_closed`` refusal of ``session``'s room, saying why it stays so."""
        if reopened:
            why = "the provider's reopen_room left it closed"
        elif not callable(getattr(rooms, "reopen_room", None)):
            why = "the meeting provider has no reopen_room"
        else:
            why = f"{session.status} ends its lifecycle"
        return JoinRefused(
            ROOM_CLOSED,
            f"session {shown(session.id)} is {session.status} but its room was closed and not "
            f"opened again ({why})",
            session_id=session.id,
            participant=str(who),
        )

    def _reopener(self, rooms: MeetingRooms, session: Session) -> ReopeningRooms | None:
        """Return the provider that opens ``session``'s closed room again, if it may.

        ``None`` when the provider has no ``reopen_room``, or when ``session``'s
        status is terminal (one the rules call joinable): its room was closed
        with it, as ``RoomKeeper`` closes it, and stays so.
        """
        if not callable(getattr(rooms, "reopen_room", None)):
            return None
        if self._ctx.lifecycle(session.lifecycle).status(session.status).terminal:
            return None
        return cast("ReopeningRooms", rooms)

    @staticmethod
    def _close(rooms: MeetingRooms, session: Session, *, deleted: bool) -> None:
        """Close ``session``'s room; a provider failure is a ``MeetingRoomsError``."""
        try:
            rooms.close_room(tenant=session.tenant, session_id=session.id)
        except Exception as exc:
            raise MeetingRoomsError(
                "close_room",
                tenant=session.tenant,
                session_id=session.id,
                status=session.status,
                cause=exc,
                deleted=deleted,
            ) from exc

    def _admit(
        self, tenant: str, session_id: str, who: ResourceRef, role: str | None, now: datetime
    ) -> tuple[Session, str | None]:
        """Move the session on by the clock; return it and the role to grant, or refuse.

        A refusal is raised inside the unit of work, so it writes nothing (the
        clock's moves are left to the tick).
        """
        ctx = self._ctx
        with ctx.transaction(now) as tx:
            found = tx.sessions.get(tenant, session_id)
            session = _advanced(ctx, tx, found, self._facts, self.rules)
            cancelled = session.status in ctx.lifecycle(session.lifecycle).cancelled_statuses
            own = self._role_of(tx, session, who, cancelled=cancelled)
            self._check(session, who, own, now, cancelled=cancelled)
        return session, own if role is None else role

    def _check(
        self, session: Session, who: ResourceRef, own: str | None, now: datetime, *, cancelled: bool
    ) -> None:
        """Raise the ``JoinRefused`` of the first rule that keeps ``who`` out now.

        ``cancelled``: ``session`` is in a cancelled status (``own`` then also
        comes from a cancelled booking).
        """
        rules = self.rules

        def refused(rule: str, reason: str, allows_at: datetime | None = None) -> JoinRefused:
            return JoinRefused(
                rule, reason, session_id=session.id, participant=str(who), allows_at=allows_at
            )

        if own is None:
            raise refused(
                NOT_A_PARTICIPANT,
                f"{who} has no confirmed booking in session {shown(session.id)} and is none of "
                "its resources",
            )
        if cancelled:
            raise refused(
                NOT_HELD,
                f"session {shown(session.id)} is {session.status}: it is not held, so its room "
                "is not open",
            )
        if session.status not in rules.joinable:
            machine = self._ctx.lifecycle(session.lifecycle)
            joinable = ", ".join(sorted(rules.joinable)) or "none"
            raise refused(
                NOT_JOINABLE,
                f"session {shown(session.id)} is {session.status}; its room is joined in "
                f"{joinable}",
                _joinable_at(machine, session, rules, now),
            )
        if rules.early is not None and now < session.start - rules.early:
            raise refused(
                TOO_EARLY,
                f"session {shown(session.id)} is joined from {duration_text(rules.early)} "
                "before its start",
                session.start - rules.early,
            )
        if now >= session.end + rules.buffer:
            raise refused(
                ROOM_ENDED, f"session {shown(session.id)} ended at {session.end.isoformat()}"
            )

    @staticmethod
    def _role_of(tx: Tx, session: Session, who: ResourceRef, *, cancelled: bool) -> str | None:
        """Return the role ``who`` joins in (a resource's kind, a booking's role), or ``None``.

        Of a ``cancelled`` session, whose bookings were cancelled with it, a
        cancelled booking counts as well as a confirmed one.
        """
        if who in session.resources:
            return who.kind
        bookings = tx.bookings_or_none()
        if bookings is None:
            return None
        statuses = {CONFIRMED, CANCELLED} if cancelled else {CONFIRMED}
        found = bookings.for_session(session.tenant, session.id, statuses=statuses)
        return next((b.role for b in found if b.participant == who), None)


# Show (and pickle) JoinRules under this path, where it was defined before the split; its
# type hints resolve here too (timedelta, frozenset).
JoinRules.__module__ = __name__
