"""What the fake meeting provider keeps of a room, and the presence events it numbers.

:class:`FakeRoom` (one room: its span, open or closed, who is inside on how
many connections), the check of a room's ``(tenant, session_id)`` key, and how
the fake makes and queues the :class:`~sessionkit.model.attendance.PresenceEvent`
a provider would send: :func:`_event` checks one, :func:`_free_ids` finds the
next ``ev<n>`` ids no queued event had, :func:`_queue` queues one for its
tenant. :class:`~sessionkit.testing.rooms.FakeMeetingRooms` takes the three as
its own methods.

Private to :mod:`sessionkit.testing.rooms`, which exports its names.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

import attrs

from sessionkit.errors._base import set_repr
from sessionkit.model.attendance import PresenceEvent
from sessionkit.model.session import ResourceRef
from sessionkit.model.text import check_id, check_tenant
from sessionkit.ports import Room
from sessionkit.timespan import TimeSpan

if TYPE_CHECKING:
    from sessionkit.testing.rooms import FakeMeetingRooms

__all__ = ["FakeRoom"]


def _checked_ids(tenant: str, session_id: str) -> tuple[str, str]:
    """Return ``tenant`` and ``session_id`` checked as ids (``WrongType`` or ``InvalidValue``)."""
    return check_tenant(tenant), check_id(session_id, "session_id")


@attrs.define
class FakeRoom:
    """What the fake provider knows of one room: the room, its span, open or closed, who is in.

    ``connections`` counts each one's joins not yet left: a participant on a
    phone and a laptop has two, and is inside until both left.
    """

    room: Room
    span: TimeSpan
    open: bool = True
    inside: set[ResourceRef] = attrs.field(factory=set, repr=set_repr)
    connections: dict[ResourceRef, int] = attrs.field(factory=dict, repr=False)


def _event(
    self: FakeMeetingRooms,
    session_id: str,
    who: ResourceRef,
    action: str,
    at: datetime,
    event_id: str | None,
) -> PresenceEvent:
    """Return the presence event the provider would send (checking it; nothing is queued).

    Without ``event_id`` it takes the next ``ev<n>`` id still free.
    """
    return PresenceEvent(
        provider=self._name,
        event_id=self._free_ids(1)[0] if event_id is None else event_id,
        session_id=session_id,
        participant=who,
        action=action,
        at=at,
    )


def _free_ids(self: FakeMeetingRooms, count: int) -> list[str]:
    """Return the next ``count`` ``ev<n>`` ids no queued event has had (none is taken)."""
    free: list[str] = []
    n = self._numbered
    while len(free) < count:
        n += 1
        if f"ev{n}" not in self._used:
            free.append(f"ev{n}")
    return free


def _queue(self: FakeMeetingRooms, tenant: str, event: PresenceEvent, *, numbered: bool) -> None:
    """Queue ``event`` for ``tenant``; ``numbered`` if it took the next ``ev<n>`` id."""
    if numbered:
        self._numbered = int(event.event_id.removeprefix("ev"))
    self._used.add(event.event_id)
    self._events.append((tenant, event))
