"""Attendance kinds and ports: presence records, teacher overrides, and the meeting provider.

:data:`PRESENCE` stores each provider event once: its id is
``provider:event_id``, unique per tenant in every adapter (a primary key in
SQL), so a replayed or concurrently redelivered event cannot be stored twice.
:data:`ATTENDANCE_OVERRIDES` keeps the teacher's reports apart from presence,
one per session and participant (the id is derived from the pair).

:class:`MeetingRooms` is the only vendor code sessionkit calls for meetings;
``sessionkit.testing.rooms`` ships a fake.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Protocol

import attrs

from sessionkit.model.attendance import AttendanceOverride, Presence
from sessionkit.model.session import ResourceRef
from sessionkit.ports._kinds import SESSIONS
from sessionkit.ports._storage import Kind, Repository
from sessionkit.timespan import TimeSpan


class PresenceRepository(Repository[Presence], Protocol):
    """Presence records of all tenants: the generic methods plus the reads attendance needs."""

    def for_sessions(self, tenant: str, session_ids: Iterable[str]) -> list[Presence]:
        """Return the presence of those sessions, by session id, instant, then id."""
        ...


class OverrideRepository(Repository[AttendanceOverride], Protocol):
    """Teacher overrides of all tenants: the generic methods plus a by-session read."""

    def for_sessions(self, tenant: str, session_ids: Iterable[str]) -> list[AttendanceOverride]:
        """Return the overrides of those sessions, by session id, then id."""
        ...


PRESENCE: Kind[PresenceRepository] = Kind("presence", Presence, parents={"session_id": SESSIONS})
"""Presence records: unique per tenant by ``provider:event_id``; each names a stored session."""

ATTENDANCE_OVERRIDES: Kind[OverrideRepository] = Kind(
    "attendance_override", AttendanceOverride, parents={"session_id": SESSIONS}
)
"""Teacher overrides: one per session and participant (the id is derived from both)."""


@attrs.frozen(kw_only=True)
class Room:
    """A provider's meeting room for one session: its reference and the link to join."""

    ref: str
    tenant: str
    session_id: str
    url: str | None = None


@attrs.frozen(kw_only=True)
class JoinCredential:
    """What one participant needs to enter a room: a token (and a link), valid until ``expires_at``."""  # noqa: E501

    room_ref: str
    participant: ResourceRef
    token: str
    url: str | None = None
    expires_at: datetime | None = None


class MeetingRooms(Protocol):
    """A meeting provider (LiveKit, Zoom, ...). Transient failures raise; every call is idempotent.

    Rooms are keyed by ``(tenant, session_id)``: ensuring twice returns the
    same room, closing twice (or a room never ensured) does nothing. A closed
    room stays closed when ensured again; a provider that can open it again
    is a :class:`ReopeningRooms`.
    """

    @property
    def name(self) -> str:
        """The provider's name, the ``provider`` of the presence events it sends."""
        ...

    def ensure_room(self, *, tenant: str, session_id: str, span: TimeSpan) -> Room:
        """Create the session's room unless it exists; return it (the same one every time).

        ``span`` is the session's time now: an open room takes it as its own
        (a session moved since the room was made), so a provider room with an
        end or a schedule follows the session's current one.
        """
        ...

    def issue_credential(
        self,
        *,
        tenant: str,
        session_id: str,
        participant: ResourceRef,
        role: str | None,
        expires_at: datetime,
    ) -> JoinCredential:
        """Return a credential for ``participant`` to join the session's open room.

        Raises ``LookupError`` when the session has no open room.
        """
        ...

    def close_room(self, *, tenant: str, session_id: str) -> None:
        """Close the session's room so nobody else joins; nothing if it is closed or absent."""
        ...


class ReopeningRooms(MeetingRooms, Protocol):
    """A :class:`MeetingRooms` that can open a closed room again (an optional call).

    A join credential (``kit.attendance.join_credential``) calls it when it
    finds closed the room of a session the store says is joinable now (its
    status corrected back out of one that closed the room, ``kit.usage.correct``
    from CANCELLED or COMPLETED); :class:`~sessionkit.services.rooms.RoomKeeper`
    never does, as it reads no store. With a provider without it the room
    stays closed, and the credential is refused (``room_closed``).
    """

    def reopen_room(self, *, tenant: str, session_id: str, span: TimeSpan) -> None:
        """Open the session's closed room again for ``span``; nothing if it is open or absent."""
        ...
