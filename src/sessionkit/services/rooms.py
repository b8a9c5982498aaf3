"""Meeting rooms follow the lifecycle: ensured when a session becomes READY, closed when it ends.

:class:`RoomKeeper` is an :class:`~sessionkit.ports.EventPublisher`: hand it
to the store (``InMemoryStore(publisher=keeper)``, ``SqlAlchemyStore(...,
publisher=keeper)``) and it watches the committed status changes, so the app
never has to remember to open or close a room. Both calls are idempotent per
session at the provider (:class:`~sessionkit.ports.MeetingRooms`), so a
replayed or repeated event opens or closes nothing twice. Events are passed
on to ``then`` (the app's own publisher) first, unchanged.

>>> from sessionkit.testing.rooms import FakeMeetingRooms
>>> keeper = RoomKeeper(FakeMeetingRooms())
>>> sorted(keeper.open_on), sorted(keeper.close_on)
(['READY'], ['ABSENT', 'CANCELLED', 'COMPLETED'])
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import attrs

from sessionkit.model.events import DomainEvent, SessionStatusChanged
from sessionkit.ports import EventPublisher, MeetingRooms

__all__ = ["RoomKeeper"]


def _names(values: Iterable[str]) -> frozenset[str]:
    return frozenset(values)


@attrs.frozen
class RoomKeeper(EventPublisher):
    """Ensures a session's room on entering ``open_on``, closes it on entering ``close_on``.

    The defaults are the academy's statuses (READY; COMPLETED, ABSENT,
    CANCELLED). ``then`` receives every event first. A provider error is
    raised after the other events were handled (the commit stands; the next
    change, or a host's retry, calls again).
    """

    rooms: MeetingRooms
    open_on: frozenset[str] = attrs.field(default=frozenset({"READY"}), converter=_names)
    close_on: frozenset[str] = attrs.field(
        default=frozenset({"COMPLETED", "ABSENT", "CANCELLED"}), converter=_names
    )
    then: EventPublisher | None = None

    def publish(self, events: Sequence[DomainEvent]) -> None:
        """Pass ``events`` on, then open and close the rooms their status changes call for."""
        if self.then is not None:
            self.then.publish(events)
        failure: Exception | None = None
        for event in events:
            if not isinstance(event, SessionStatusChanged):
                continue
            try:
                self._follow(event)
            except Exception as exc:  # noqa: BLE001  # the other rooms still follow
                failure = failure or exc
        if failure is not None:
            raise failure

    def _follow(self, event: SessionStatusChanged) -> None:
        session = event.session
        status = event.change.to_status
        if status in self.open_on:
            self.rooms.ensure_room(tenant=session.tenant, session_id=session.id, span=session.span)
        elif status in self.close_on:
            self.rooms.close_room(tenant=session.tenant, session_id=session.id)
