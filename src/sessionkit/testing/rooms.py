"""A fake meeting provider for tests: rooms in memory, credentials, and presence to replay.

:class:`FakeMeetingRooms` implements :class:`~sessionkit.ports.MeetingRooms`
in memory, and :class:`~sessionkit.ports.ReopeningRooms`. Rooms are keyed by
``(tenant, session_id)``: ensuring twice returns the same room, closing twice
does nothing; ensuring a closed room leaves it closed, and only
:meth:`~FakeMeetingRooms.reopen_room` opens it again. :meth:`~FakeMeetingRooms.join` and
:meth:`~FakeMeetingRooms.leave` play a participant entering and leaving an
open room (joining a closed or missing one raises ``LookupError``, as the
provider refuses a late student; leaving when not inside does nothing, as the
provider reports no leave without a join), and queue the
:class:`~sessionkit.model.attendance.PresenceEvent` the provider would send;
:meth:`~FakeMeetingRooms.close_room` sends everyone still inside out, queueing
their leave events at the close. :meth:`~FakeMeetingRooms.drain` hands the
queued events over, one tenant's (``tenant=``) or every tenant's, duplicated
and shuffled when asked to, for ``kit.attendance.record_presence``.

This module owns :class:`FakeMeetingRooms`; :class:`FakeRoom` and the making,
numbering and queueing of presence events (its ``_event``, ``_free_ids`` and
``_queue``) live in ``_fake_presence``, exported from here as before.

>>> from datetime import UTC, datetime, timedelta
>>> from sessionkit.timespan import TimeSpan
>>> at = datetime(2026, 3, 2, 17, tzinfo=UTC)
>>> rooms = FakeMeetingRooms()
>>> room = rooms.ensure_room(tenant="acme", session_id="s1", span=TimeSpan(at, at + timedelta(hours=1)))
>>> room == rooms.ensure_room(tenant="acme", session_id="s1", span=TimeSpan(at, at + timedelta(hours=1)))
True
>>> rooms.join("acme", "s1", "student:ana", at=at)
>>> [(e.action, str(e.participant)) for e in rooms.drain(tenant="acme")]
[('join', 'student:ana')]
>>> rooms.close_room(tenant="acme", session_id="s1", at=at + timedelta(minutes=40))
>>> rooms.is_open("acme", "s1"), rooms.inside("acme", "s1")
(False, frozenset())
>>> [(e.action, str(e.participant), f"{e.at:%H:%M}") for e in rooms.drain()]
[('leave', 'student:ana', '17:40')]
"""  # noqa: E501

from __future__ import annotations

import random
import threading
from collections.abc import Callable
from datetime import datetime

from sessionkit.errors import InvalidValue, WrongType
from sessionkit.errors._base import shown
from sessionkit.model.attendance import JOIN, LEAVE, PresenceEvent
from sessionkit.model.booking import participant_ref
from sessionkit.model.session import ResourceRef
from sessionkit.model.text import (
    MAX_NAME_LENGTH,
    MAX_REF_LENGTH,
    check_flag,
    check_tenant,
    check_text,
)
from sessionkit.ports import Clock, JoinCredential, ReopeningRooms, Room
from sessionkit.testing import _fake_presence
from sessionkit.testing._fake_presence import FakeRoom, _checked_ids
from sessionkit.testing.clocks import check_seed, time_reader
from sessionkit.timespan import TimeSpan
from sessionkit.zones import check_aware, check_instant

__all__ = ["FakeMeetingRooms", "FakeRoom"]


class FakeMeetingRooms(ReopeningRooms):
    """An in-memory :class:`~sessionkit.ports.MeetingRooms`; see the module docstring.

    ``calls`` lists every call made (``("ensure", tenant, session_id)``,
    ``("close", ...)``, ``("reopen", ...)``, ``("credential", ...)``) for tests to assert on;
    ``created`` counts the rooms really created. ``clock``, if given (share
    the kit's; a callable returning the time will do too), says when a room
    closed through the port (by :class:`~sessionkit.services.rooms.RoomKeeper`,
    which does not say when): see :meth:`close_room`. ``name`` is the
    ``provider`` of its presence events, 1 to 64 characters with no ``:``,
    checked when the fake is made.
    """

    def __init__(
        self,
        name: str = "fakemeet",
        *,
        seed: int = 0,
        clock: Clock | Callable[[], datetime] | None = None,
    ) -> None:
        # Checked when the fake is made, as its clock is, not by the first join's event.
        checked = check_text(name, "FakeMeetingRooms(name)", limit=MAX_NAME_LENGTH, empty=False)
        assert checked is not None  # not optional
        if ":" in checked:  # a presence is keyed "provider:event_id"
            raise InvalidValue(
                f"FakeMeetingRooms(name={shown(checked)}): a presence event's provider holds"
                " no ':'",
                value=checked,
                expected=f"1..{MAX_NAME_LENGTH} characters without ':'",
            )
        self._name = checked
        self._clock = None if clock is None else time_reader(clock, "clock", calls=False)
        self._rooms: dict[tuple[str, str], FakeRoom] = {}
        # Each event with its tenant: a PresenceEvent does not name one (a provider's webhook
        # is per account), and drain(tenant=...) hands over one tenant's only.
        self._events: list[tuple[str, PresenceEvent]] = []
        self._numbered = 0  # the ev<n> ids given so far
        # Every event id queued, given or not: a given "ev2" is not issued again as the next
        # ev<n>, which record_presence would take for a repeat of it and drop.
        self._used: set[str] = set()
        self._lock = threading.Lock()
        seed = check_seed(seed, "FakeMeetingRooms(seed)")
        self._random = random.Random(seed)  # noqa: S311  # shuffles test events, not a secret
        self.calls: list[tuple[str, str, str]] = []
        self.created = 0

    @property
    def name(self) -> str:
        """The provider's name, the ``provider`` of its presence events."""
        return self._name

    def ensure_room(self, *, tenant: str, session_id: str, span: TimeSpan) -> Room:
        """Create the session's room unless it exists (open or closed); return it.

        An open room takes ``span`` as its own: a session moved since its room
        was ensured closes at its new end (see :meth:`close_room`), not at the
        end of the time it was first ensured for, before its participants
        joined it. The arguments are checked first, as a provider refuses a
        malformed request: ``tenant`` and ``session_id`` are ids
        (``WrongType`` for another type, ``InvalidValue`` for an empty or
        padded one), ``span`` a :class:`~sessionkit.timespan.TimeSpan`
        (``WrongType``); a refused call is not in ``calls`` and changes nothing.
        """
        tenant, session_id = _checked_ids(tenant, session_id)
        if not isinstance(span, TimeSpan):
            raise WrongType(span, name="span", expected="a TimeSpan")
        with self._lock:
            self.calls.append(("ensure", tenant, session_id))
            found = self._rooms.get((tenant, session_id))
            if found is None:
                self.created += 1
                ref = f"room-{tenant}-{session_id}"
                room = Room(
                    ref=ref, tenant=tenant, session_id=session_id, url=f"https://meet.test/{ref}"
                )
                found = self._rooms[(tenant, session_id)] = FakeRoom(room, span)
            elif found.open:
                found.span = span
            return found.room

    def issue_credential(
        self,
        *,
        tenant: str,
        session_id: str,
        participant: ResourceRef,
        role: str | None,
        expires_at: datetime,
    ) -> JoinCredential:
        """Return a token for ``participant``; ``LookupError`` unless the room is open.

        The arguments are checked first, as :meth:`ensure_room` checks its own:
        ``tenant`` and ``session_id`` are ids (``WrongType`` or ``InvalidValue``),
        ``participant`` a :class:`~sessionkit.model.session.ResourceRef`, ``role``
        text or ``None`` (as ``kit.attendance.join_credential`` takes it) and
        ``expires_at`` an aware datetime; a refused call is not in ``calls``.
        """
        tenant, session_id = _checked_ids(tenant, session_id)
        if not isinstance(participant, ResourceRef):
            raise WrongType(participant, name="participant", expected="a ResourceRef")
        check_text(role, "role", limit=MAX_REF_LENGTH, optional=True)
        check_aware(expires_at, "expires_at")
        with self._lock:
            self.calls.append(("credential", tenant, session_id))
            found = self._open(tenant, session_id)
            return JoinCredential(
                room_ref=found.room.ref,
                participant=participant,
                token=f"token-{found.room.ref}-{participant}-{role or 'guest'}",
                url=found.room.url,
                expires_at=expires_at,
            )

    def close_room(self, *, tenant: str, session_id: str, at: datetime | None = None) -> None:
        """Close the session's room: everyone inside leaves; nothing if closed or absent.

        A leave event at the close is queued for each connection still open
        (in participant order: one on two devices gets two), and the room is
        left empty. The close
        is at ``at``, else the fake's ``clock``'s now, else the room's end
        (the port does not say when, so a room closed by ``RoomKeeper``
        without a clock closes at the end of the span it was last ensured with).
        Everything is checked before anything changes: a refused close
        (``tenant`` or ``session_id`` not an id, checked as :meth:`ensure_room`
        checks them; a naive ``at`` or one outside the instants a presence
        event takes, a ``clock`` answering a naive datetime or no datetime)
        leaves the room open, everyone inside and nothing queued (nor the call
        in ``calls``, when its arguments are refused).
        """
        tenant, session_id = _checked_ids(tenant, session_id)
        if at is not None:
            # Checked as the leaves will check it, even with nobody inside to leave: an
            # instant no presence event takes closes no room, empty or not, as for the clock.
            at = check_instant(at, "at")
        with self._lock:
            self.calls.append(("close", tenant, session_id))
            found = self._rooms.get((tenant, session_id))
            if found is None or not found.open:
                return
            if at is None and self._clock is not None:
                # Checked as a presence event checks its instant (the same errors), and
                # even with nobody inside: a bad clock closes nothing.
                at = check_instant(self._clock(), "instant")
            close = found.span.end if at is None else at
            open_ = [
                who
                for who in sorted(found.inside, key=str)
                for _ in range(found.connections.get(who, 1))
            ]
            leaves = [
                self._event(session_id, who, LEAVE, close, event_id)
                for who, event_id in zip(open_, self._free_ids(len(open_)), strict=True)
            ]
            found.open = False
            for event in leaves:
                self._queue(tenant, event, numbered=True)
            found.inside.clear()
            found.connections.clear()

    def reopen_room(self, *, tenant: str, session_id: str, span: TimeSpan) -> None:
        """Open the session's closed room again for ``span``; nothing if it is open or absent.

        The same room (its ``ref`` and link), empty; ``created`` does not
        count it again. The arguments are checked as :meth:`ensure_room`
        checks them; a refused call is not in ``calls`` and changes nothing.
        """
        tenant, session_id = _checked_ids(tenant, session_id)
        if not isinstance(span, TimeSpan):
            raise WrongType(span, name="span", expected="a TimeSpan")
        with self._lock:
            self.calls.append(("reopen", tenant, session_id))
            found = self._rooms.get((tenant, session_id))
            if found is not None and not found.open:
                found.open = True
                found.span = span

    def _open(self, tenant: str, session_id: str) -> FakeRoom:
        found = self._rooms.get((tenant, session_id))
        if found is None or not found.open:
            raise LookupError(f"session {shown(session_id)} of {shown(tenant)} has no open room")
        return found

    # -- what the test makes participants do -------------------------------------------

    def is_open(self, tenant: str, session_id: str) -> bool:
        """Return whether the session has an open room (ids checked as :meth:`ensure_room` does)."""
        tenant, session_id = _checked_ids(tenant, session_id)
        found = self._rooms.get((tenant, session_id))
        return found is not None and found.open

    def inside(self, tenant: str, session_id: str) -> frozenset[ResourceRef]:
        """Return who is in the session's room now (nobody when it is closed or absent).

        ``tenant`` and ``session_id`` are checked as :meth:`ensure_room` checks them.
        """
        tenant, session_id = _checked_ids(tenant, session_id)
        with self._lock:
            found = self._rooms.get((tenant, session_id))
            return frozenset() if found is None else frozenset(found.inside)

    def join(
        self,
        tenant: str,
        session_id: str,
        participant: ResourceRef | str,
        *,
        at: datetime,
        event_id: str | None = None,
    ) -> None:
        """Let ``participant`` enter the open room at ``at``; queue the join event.

        Joining again while inside opens another connection (a second
        device), which a leave of its own ends. ``event_id`` is the event's
        id at the provider (default: the next ``ev<n>`` no event queued before
        had, so one given as ``"ev2"`` is not issued again; give an id twice
        to play a provider repeating an event). Everything is checked before
        anything changes: a refused call (``tenant`` or ``session_id`` not an
        id, checked as :meth:`ensure_room` checks them; ``LookupError`` for a
        closed room, ``NaiveDatetime`` for a naive ``at``, a bad ``event_id``)
        leaves nobody inside and queues nothing.
        """
        tenant, session_id = _checked_ids(tenant, session_id)
        who = participant_ref(participant)
        with self._lock:
            found = self._open(tenant, session_id)
            # Checked first: a refused join changes nothing.
            event = self._event(session_id, who, JOIN, at, event_id)
            found.inside.add(who)
            found.connections[who] = found.connections.get(who, 0) + 1
            self._queue(tenant, event, numbered=event_id is None)

    def leave(
        self,
        tenant: str,
        session_id: str,
        participant: ResourceRef | str,
        *,
        at: datetime,
        event_id: str | None = None,
    ) -> None:
        """Let ``participant`` leave the room at ``at``; queue the leave event.

        It ends one of their connections: on two devices, they are inside
        until the other leaves too. Someone not inside (who never joined,
        left already, or was sent out by :meth:`close_room`) leaves nothing
        behind: no event is queued and no ``ev<n>`` id taken, as a provider
        reports no leave without a join. A refused call (``tenant`` or
        ``session_id`` not an id, a naive ``at``, a bad ``event_id``, inside
        or not) changes nothing, as for :meth:`join`: who is inside stays so.
        """
        tenant, session_id = _checked_ids(tenant, session_id)
        who = participant_ref(participant)
        with self._lock:
            # Checked first (a refused leave changes nothing), as in join.
            event = self._event(session_id, who, LEAVE, at, event_id)
            found = self._rooms.get((tenant, session_id))
            if found is None or who not in found.inside:
                return
            left = found.connections.pop(who, 1) - 1
            if left > 0:
                found.connections[who] = left
            else:
                found.inside.discard(who)
            self._queue(tenant, event, numbered=event_id is None)

    _event = _fake_presence._event
    _free_ids = _fake_presence._free_ids
    _queue = _fake_presence._queue

    def drain(
        self, *, tenant: str | None = None, duplicate: bool = False, shuffle: bool = False
    ) -> list[PresenceEvent]:
        """Return the queued presence events and forget them; maybe each twice, maybe shuffled.

        With ``tenant``, only that tenant's events are taken (in the order they
        were queued) and the other tenants' stay queued: a
        :class:`~sessionkit.model.attendance.PresenceEvent` does not name its
        tenant, and ``record_presence`` reports another tenant's as ``unknown``.
        Without it, every tenant's are taken. ``duplicate`` and ``shuffle`` are
        ``True`` or ``False`` (``WrongType`` else, nothing taken: a truthy
        ``"no"`` would duplicate or shuffle all the same).
        """
        check_flag(duplicate, "FakeMeetingRooms.drain(duplicate)")
        check_flag(shuffle, "FakeMeetingRooms.drain(shuffle)")
        if tenant is not None:
            tenant = check_tenant(tenant)
        with self._lock:
            if tenant is None:
                taken, self._events = self._events, []
            else:
                taken = [q for q in self._events if q[0] == tenant]
                self._events = [q for q in self._events if q[0] != tenant]
        events = [event for _tenant, event in taken]
        if duplicate:
            events = [e for e in events for _ in (0, 1)]
        if shuffle:
            self._random.shuffle(events)
        return events


# Show (and pickle) what moved to the private module under this public path, as before; the
# methods the class body took from it show as the class's own, and their hints
# (``self: FakeMeetingRooms``) resolve there.
FakeRoom.__module__ = __name__
for _name in ("_event", "_free_ids", "_queue"):
    _method = vars(FakeMeetingRooms)[_name]
    _method.__module__, _method.__qualname__ = __name__, f"FakeMeetingRooms.{_name}"
del _name, _method
vars(_fake_presence)["FakeMeetingRooms"] = FakeMeetingRooms
