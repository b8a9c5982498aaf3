"""Meeting rooms: follow the lifecycle, and let the session's people in with a credential.

:class:`RoomKeeper` is an :class:`~sessionkit.ports.EventPublisher`: hand it
to the store (``InMemoryStore(publisher=keeper)``, ``SqlAlchemyStore(...,
publisher=keeper)``) and it watches the committed status changes and deletes,
so the app never has to remember to open or close a room. Its calls are
idempotent per session at the provider (:class:`~sessionkit.ports.MeetingRooms`),
so a replayed or repeated event opens or closes nothing twice. It never
opens a closed room again: it reads no store, so an event delivered again
or late could not tell a session still held from one closed since. Events
are passed on to ``then`` (the app's own publisher) first, unchanged.

:class:`RoomAccess` is what ``kit.attendance.join_credential`` runs: it
checks that a participant may enter the session's room now (booked, or one
of its resources; a joinable status; inside the time the
:class:`JoinRules` allow), ensures the room and returns the provider's
credential, valid to the session's end plus a buffer, never longer than a
bound. A room it finds closed (a status corrected back out of one that
closed it) it opens again when the provider can
(:class:`~sessionkit.ports.ReopeningRooms`), as the store says the session
is held; it then reads the session once more, and closes the room and
refuses if a cancel, an end or a delete committed meanwhile. A refusal is a
:class:`~sessionkit.errors.JoinRefused` naming the rule and, where waiting
helps, ``allows_at``.

>>> from sessionkit.testing.rooms import FakeMeetingRooms
>>> keeper = RoomKeeper(FakeMeetingRooms())
>>> sorted(keeper.open_on), keeper.close_on
(['READY'], None)
>>> sorted(keeper.closes_on("academy")), sorted(keeper.closes_on("coaching"))
(['ABSENT', 'CANCELLED', 'COMPLETED'], ['CANCELLED', 'COMPLETED', 'MISSED'])
>>> sorted(JoinRules().joinable), JoinRules().buffer
(['ONGOING', 'READY'], datetime.timedelta(seconds=900))
"""

from __future__ import annotations

from collections.abc import Sequence

import attrs

from sessionkit.errors import MeetingRoomsError, WrongType
from sessionkit.errors._base import set_repr
from sessionkit.lifecycle import PRESETS, LifecycleRegistry
from sessionkit.model.events import DomainEvent, SessionDeleted, SessionStatusChanged
from sessionkit.model.session import Session
from sessionkit.model.text import check_names
from sessionkit.ports import EventPublisher, MeetingRooms, check_publisher
from sessionkit.services._room_access import (
    NOT_A_PARTICIPANT,
    NOT_HELD,
    NOT_JOINABLE,
    ROOM_CLOSED,
    ROOM_ENDED,
    TOO_EARLY,
    JoinRules,
    RoomAccess,
)

__all__ = [
    "NOT_A_PARTICIPANT",
    "NOT_HELD",
    "NOT_JOINABLE",
    "ROOM_CLOSED",
    "ROOM_ENDED",
    "TOO_EARLY",
    "JoinRules",
    "RoomAccess",
    "RoomKeeper",
]


def _statuses(value: object, name: str) -> frozenset[str]:
    """A field of status names ``name``: one name or several, checked."""
    return frozenset(check_names(value, name))


# Named converters: mypy's attrs plugin reads no converter a factory returns.
def _open_on(value: object) -> frozenset[str]:
    return _statuses(value, "open_on")


def _close_on(value: object) -> frozenset[str] | None:
    return None if value is None else _statuses(value, "close_on")


def _check_rooms(_keeper: object, _field: object, value: MeetingRooms) -> None:
    """Refuse a ``rooms`` without the calls the keeper makes, when the keeper is made.

    Found only at the first status change, after that change committed, it
    was reported as the provider being down.
    """
    if not all(callable(getattr(value, call, None)) for call in ("ensure_room", "close_room")):
        raise WrongType(
            value,
            name="RoomKeeper(rooms)",
            expected="a MeetingRooms (ensure_room, issue_credential, close_room)",
        )


def _check_lifecycles(_keeper: object, _field: object, value: object) -> None:
    if not isinstance(value, LifecycleRegistry):
        raise WrongType(value, name="RoomKeeper(lifecycles)", expected="a LifecycleRegistry")


def _check_then(_keeper: object, _field: object, value: EventPublisher | None) -> None:
    check_publisher(value, name="RoomKeeper(then)")


@attrs.frozen
class RoomKeeper(EventPublisher):
    """Ensures a session's room on entering ``open_on``, closes it on entering ``close_on``.

    ``open_on`` defaults to the academy's READY. ``close_on`` defaults to
    ``None``: every terminal status of the session's own lifecycle, as
    ``lifecycles`` (default: the presets; pass the kit's registry when it
    has lifecycles of its own) defines it, so coaching's MISSED closes a
    room as the academy's ABSENT does; for a lifecycle ``lifecycles`` does
    not know, a status terminal in any of them (:meth:`closes_on`). Either
    takes one status name or several. A deleted session's room is closed
    too (``SessionDeleted``: ``kit.sessions.delete``, a bulk cleanup, a
    series closed or reconciled), as a room ensured early (by a join
    credential in an editable status) would otherwise stay open. A status
    corrected back out of one that closed the room (``kit.usage.correct``:
    CANCELLED to READY, COMPLETED to ONGOING) opens nothing here: ensuring
    a closed room leaves it closed, and the next join credential, which
    reads the session, opens it again (:class:`RoomAccess`). ``then`` receives
    every event first; an error it raises is raised after the rooms
    followed the events all the same. A provider failure is raised as a
    :class:`~sessionkit.errors.MeetingRoomsError` after the other events
    were handled: the commit stands, and the error names the session, the
    status it entered and the call that failed (the first error raised
    names each later failure in its notes). Running the command again
    does not call again (the status is entered already): make that call
    again, idempotent at the provider. A ``rooms`` without ``ensure_room``
    and ``close_room``, or a ``then`` without ``publish``, is refused
    (``WrongType``) when the keeper is made.
    """

    rooms: MeetingRooms = attrs.field(validator=_check_rooms)
    open_on: frozenset[str] = attrs.field(
        default=frozenset({"READY"}), converter=_open_on, repr=set_repr
    )
    close_on: frozenset[str] | None = attrs.field(default=None, converter=_close_on, repr=set_repr)
    then: EventPublisher | None = attrs.field(default=None, validator=_check_then)
    lifecycles: LifecycleRegistry = attrs.field(
        default=PRESETS, kw_only=True, validator=_check_lifecycles, repr=False
    )

    def closes_on(self, lifecycle: str) -> frozenset[str]:
        """Return the statuses whose entry closes the room of a session of ``lifecycle``.

        ``close_on`` when it was given; else the terminal statuses of
        ``lifecycle`` in ``lifecycles``, or, for one it does not know, every
        status terminal in any lifecycle it has.
        """
        if self.close_on is not None:
            return self.close_on
        if lifecycle in self.lifecycles:
            return self.lifecycles.get(lifecycle).terminal_statuses
        return frozenset(
            s for name in self.lifecycles for s in self.lifecycles.get(name).terminal_statuses
        )

    def publish(self, events: Sequence[DomainEvent]) -> None:
        """Pass ``events`` on, then open and close the rooms their status changes call for.

        The rooms follow even when ``then`` raises; the first error is raised
        once all are done, each later one named in its notes.
        """
        failures: list[Exception] = []
        if self.then is not None:
            try:
                self.then.publish(events)
            except Exception as exc:  # noqa: BLE001  # the committed changes' rooms still follow
                failures.append(exc)
        for event in events:
            if not isinstance(event, SessionStatusChanged | SessionDeleted):
                continue
            try:
                self._follow(event)
            except Exception as exc:  # noqa: BLE001  # the other rooms still follow
                failures.append(exc)
        if failures:
            first = failures[0]
            for other in failures[1:]:  # each its own call to make again
                first.add_note(f"also failed: {other}")
            raise first

    def _follow(self, event: SessionStatusChanged | SessionDeleted) -> None:
        session = event.session
        deleted = isinstance(event, SessionDeleted)
        calls: list[str] = []
        if isinstance(event, SessionDeleted):
            # No status is left to close a room ensured before the delete (by a credential).
            status = session.status
            calls.append("close_room")
        else:
            # No reopen_room, even for a status corrected back: this event may be a late or
            # repeated one, after a later close; the join credential reads the store first.
            status = event.change.to_status
            closes = self.closes_on(session.lifecycle)
            if status in self.open_on:
                calls.append("ensure_room")
            elif status in closes:
                calls.append("close_room")
        for operation in calls:
            try:
                self._call(operation, session)
            except Exception as exc:
                # Raised as the provider's own error, a stored cancel read as a failed one,
                # and the cancel run again was refused: nothing would ever close the room.
                raise MeetingRoomsError(
                    operation,
                    tenant=session.tenant,
                    session_id=session.id,
                    status=status,
                    cause=exc,
                    deleted=deleted,
                ) from exc

    def _call(self, operation: str, session: Session) -> None:
        """Make the provider call ``operation`` for ``session``'s room."""
        where = {"tenant": session.tenant, "session_id": session.id}
        if operation == "close_room":
            self.rooms.close_room(**where)
        else:
            self.rooms.ensure_room(**where, span=session.span)
