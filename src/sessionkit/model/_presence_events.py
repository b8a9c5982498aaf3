"""Presence: a join or leave as the meeting provider reports it, and the record stored of it.

Private to :mod:`sessionkit.model.attendance`, which exports its names under
its own name (their ``__module__``), so they show and pickle as before.
"""

from __future__ import annotations

from datetime import datetime
from typing import Final, Literal

import attrs

from sessionkit.errors import InvalidValue, WrongType
from sessionkit.errors._base import shown
from sessionkit.model.booking import participant_ref
from sessionkit.model.session import MAX_ID_LENGTH, MAX_NAME_LENGTH, ResourceRef, check_identity
from sessionkit.model.text import check_id, storable
from sessionkit.zones import check_instant

__all__ = ["JOIN", "LEAVE", "Action", "Presence", "PresenceEvent"]

JOIN: Final = "join"
"""A participant entered the meeting."""
LEAVE: Final = "leave"
"""A participant left the meeting."""

Action = Literal["join", "leave"]


# One named converter per field: the error names the field ("at must be timezone-aware").
def _at(value: datetime) -> datetime:
    return check_instant(value, "at")


def _received_at(value: datetime) -> datetime:
    return check_instant(value, "received_at")


def _action(value: object) -> str:
    if value not in (JOIN, LEAVE):
        raise InvalidValue(
            f"a presence action must be 'join' or 'leave', got {shown(value)}",
            value=value,
            expected="'join' or 'leave'",
        )
    assert isinstance(value, str)
    return value


def _text(value: object, name: str, limit: int) -> str:
    if not isinstance(value, str):
        raise WrongType(value, name=name, expected="a non-empty string")
    if not value or value.strip() != value or len(value) > limit or ":" in value:
        raise InvalidValue(
            f"{name} must be 1..{limit} characters, no ':' nor surrounding spaces, got "
            f"{shown(value)}",
            value=value,
            expected=f"1..{limit} characters without ':'",
        )
    return storable(value, name)


def _provider(value: object) -> str:
    return _text(value, "provider", MAX_NAME_LENGTH)


@attrs.frozen(slots=True, kw_only=True)
class PresenceEvent:
    """One join or leave as the meeting provider reports it (a webhook, a log line).

    ``provider`` names the provider (``"livekit"``) and ``event_id`` is the
    provider's own id for the event: the pair identifies it, so the same event
    delivered twice is stored once. ``at`` is when the participant joined or
    left (aware; kept in UTC).
    """

    provider: str = attrs.field(converter=_provider)
    event_id: str
    session_id: str
    participant: ResourceRef = attrs.field(converter=participant_ref)
    action: str = attrs.field(converter=_action)
    at: datetime = attrs.field(converter=_at)

    def __attrs_post_init__(self) -> None:
        if not isinstance(self.event_id, str) or not self.event_id:
            raise InvalidValue(
                f"a presence event_id must be a non-empty string, got {shown(self.event_id)}",
                value=self.event_id,
                expected="a non-empty string",
            )
        storable(self.event_id, "event_id")  # the stores keep it: no NUL, no lone surrogate
        check_id(self.session_id, "session_id")
        if len(self.key) <= MAX_ID_LENGTH:
            check_id(self.key, "provider:event_id")  # the stored event's id, by the id rule
        if len(self.key) > MAX_ID_LENGTH:
            raise InvalidValue(
                f"presence event key {shown(self.key)} is longer than {MAX_ID_LENGTH} characters",
                value=self.event_id,
                expected=f"provider and event_id of at most {MAX_ID_LENGTH - 1} characters",
            )

    @property
    def key(self) -> str:
        """The id the event is stored under: ``provider:event_id``."""
        return f"{self.provider}:{self.event_id}"


@attrs.frozen(slots=True, kw_only=True)
class Presence:
    """A stored presence event: one per tenant and ``provider:event_id`` (its ``id``)."""

    id: str
    tenant: str
    session_id: str
    participant: ResourceRef = attrs.field(converter=participant_ref)
    action: str = attrs.field(converter=_action)
    at: datetime = attrs.field(converter=_at)
    received_at: datetime = attrs.field(converter=_received_at)
    version: int = 1

    def __attrs_post_init__(self) -> None:
        check_identity(self, "session_id")

    @classmethod
    def of(cls, tenant: str, event: PresenceEvent, received_at: datetime | None = None) -> Presence:
        """Return the record of ``event`` for ``tenant`` (received at ``received_at``, default ``at``)."""  # noqa: E501
        if not isinstance(event, PresenceEvent):
            raise WrongType(event, name="event", expected="a PresenceEvent")
        return cls(
            id=event.key,
            tenant=tenant,
            session_id=event.session_id,
            participant=event.participant,
            action=event.action,
            at=event.at,
            received_at=event.at if received_at is None else received_at,
        )
