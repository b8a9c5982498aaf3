"""Domain events: what happened to sessions and series, published after commit.

Every event carries the tenant, the actor and the instant it happened (from
the clock, never ``datetime.now()``).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

import attrs

from sessionkit.errors import WrongType
from sessionkit.lifecycle import StatusChanged
from sessionkit.model.series import Series
from sessionkit.model.session import FrozenFields, Session

__all__ = [
    "DomainEvent",
    "SeriesClosed",
    "SeriesUpdated",
    "SessionCanceled",
    "SessionCreated",
    "SessionDeleted",
    "SessionStatusChanged",
    "SessionUpdated",
    "SessionsRegenerated",
]


@attrs.frozen(slots=True, kw_only=True)
class DomainEvent:
    """Base of all domain events."""

    tenant: str
    actor: str | None
    at: datetime


def _read_only(value: Mapping[str, Any]) -> FrozenFields:
    """An update's ``old`` values as a read-only mapping, so the frozen event cannot be changed.

    A :class:`~sessionkit.model.session.FrozenFields`: it pickles and deep-copies,
    is equal to a dict of the same items and, as a dict, has no hash.
    """
    if type(value) is FrozenFields:
        return value
    if not isinstance(value, Mapping):
        raise WrongType(value, name="old", expected="a mapping of changed fields to old values")
    return FrozenFields(value)


@attrs.frozen(slots=True, kw_only=True)
class SessionCreated(DomainEvent):
    """A session was created (generated from a series, or an extra one)."""

    session: Session


@attrs.frozen(slots=True, kw_only=True)
class SessionUpdated(DomainEvent):
    """A session's title, time, resources or own fields changed; ``old`` maps each changed field to its old value.

    Own fields come as one entry, ``old["metadata"]``: the whole mapping before. A schedule
    change gives a session it keeps off the new schedule the key of the occurrence it stands
    for: ``old["occurrence_key"]``. ``old`` is read-only (its top level: the values are as
    the command gave them), its fields in name order.
    """  # noqa: E501

    session: Session
    old: Mapping[str, Any] = attrs.field(converter=_read_only)


@attrs.frozen(slots=True, kw_only=True)
class SessionDeleted(DomainEvent):
    """A session was deleted; ``session`` is its last state."""

    session: Session


@attrs.frozen(slots=True, kw_only=True)
class SessionStatusChanged(DomainEvent):
    """A session moved between statuses; ``change`` is the lifecycle's event."""

    session: Session
    change: StatusChanged


@attrs.frozen(slots=True, kw_only=True)
class SessionCanceled(SessionStatusChanged):
    """A session entered a cancelled status, however it got there, with the reason given.

    Published for :meth:`~sessionkit.services.SessionCommands.cancel`, for a
    cancelling transition fired by hand and for a timed one alike, so a refund
    listener needs to watch this one event. It is also a
    :class:`SessionStatusChanged`, so a listener of status changes sees it too.
    """

    reason: str | None


@attrs.frozen(slots=True, kw_only=True)
class SessionsRegenerated(DomainEvent):
    """A series' sessions were materialised or reconciled; counts say what happened.

    ``kept`` counts every session left in place, ``updated`` those of them whose
    slot details (duration, resources, title) were brought up to date.
    """

    series_id: str
    created: int
    deleted: int
    kept: int
    orphaned: int
    skipped: int
    updated: int = 0


@attrs.frozen(slots=True, kw_only=True)
class SeriesClosed(DomainEvent):
    """A series was closed; ``deleted`` future sessions were removed, ``kept`` were not."""

    series_id: str
    deleted: int
    kept: int


@attrs.frozen(slots=True, kw_only=True)
class SeriesUpdated(DomainEvent):
    """A series' own fields changed; ``old`` maps each changed field (``"metadata"``) to its old value."""  # noqa: E501

    series: Series
    old: Mapping[str, Any] = attrs.field(converter=_read_only)
