"""A session to create in the unit of work that uses it: :class:`SessionDraft` and ``make_extra``.

:meth:`~sessionkit.services.SessionCommands.create_extra` creates an extra
session from a draft in a unit of work of its own; ``kit.bookings.book`` and
``kit.payments.book`` take a draft in place of a session id and create the
session in the booking's unit of work, so a booking request that needs a new
session (a client booking a consultant's free hour) commits whole or not at all.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

import attrs

from sessionkit.errors import DuplicateSession, InvalidValue, SeriesClosedError
from sessionkit.errors._base import shown
from sessionkit.model.events import SessionCreated
from sessionkit.model.fields import check_fields
from sessionkit.model.session import (
    REQUEST_FIELD,
    ResourceRef,
    Session,
    check_capacity,
    resource_refs,
)
from sessionkit.model.text import MAX_NAME_LENGTH, MAX_TITLE_LENGTH, check_optional_id, check_text
from sessionkit.services import fields
from sessionkit.services._context import Context, Tx, check_free
from sessionkit.services._series_time import series_zone
from sessionkit.services._usage import assign_codes
from sessionkit.timespan import TimeSpan
from sessionkit.zones import check_instant, get_zone

__all__ = ["SessionDraft", "make_extra"]


def _resources(values: Iterable[ResourceRef | str] | None) -> tuple[ResourceRef, ...] | None:
    return None if values is None else resource_refs(values)


def _title(value: object) -> str | None:
    return check_text(value, "title", limit=MAX_TITLE_LENGTH, optional=True)


def _own_fields(value: object) -> Mapping[str, Any] | None:
    checked = check_fields(value)
    fields.check_unkept(checked or ())
    return checked


def _fingerprint(value: object) -> str | None:
    return check_text(value, "fingerprint", limit=128, optional=True, empty=False)


def _zone(value: object) -> str | None:
    if value is None:
        return None
    # None is the default (the series' zone, else UTC); an empty name is no zone, and was
    # stored as UTC unasked: UnknownTimeZone names it, as a session's own zone is checked.
    return get_zone(value).key  # type: ignore[arg-type]  # it checks


def _capacity(value: object) -> int | None:
    return None if value is None else check_capacity(value)


def _lifecycle(value: object) -> str | None:
    # A name here; the kit knows which lifecycles there are (UnknownLifecycle when used).
    return check_text(value, "lifecycle", limit=MAX_NAME_LENGTH, optional=True, empty=False)


def _start(value: object) -> datetime:
    return check_instant(value, "start")


def _end(value: object) -> datetime:
    return check_instant(value, "end")


def _series_id(value: object) -> str | None:
    return check_optional_id(value, "series_id")


def _session_id(value: object) -> str | None:
    return check_optional_id(value, "session_id")


@attrs.frozen(kw_only=True)
class SessionDraft:
    """An extra session to create (outside any schedule), checked when made.

    The fields are the arguments of
    :meth:`~sessionkit.services.SessionCommands.create_extra`, with the same
    defaults: ``lifecycle`` is required without ``series_id``, ``capacity``
    defaults to the series' or 1, ``tz`` to the series' or UTC. Bad values
    raise ``InvalidValue``, ``WrongType``, ``NaiveDatetime`` or
    ``UnknownTimeZone`` (an empty ``tz`` too: leave it ``None`` for the
    default) here, before any unit of work opens; what only the kit
    and the store know (the lifecycle's name among the kit's, the series, the
    booking rules' ``max_capacity``, a taken id) is checked when the draft is
    used. ``kit.bookings.book`` and ``kit.payments.book``
    take one in place of a session id: they create the session and book it
    in one unit of work.
    """

    start: datetime = attrs.field(converter=_start)
    end: datetime = attrs.field(converter=_end)
    lifecycle: str | None = attrs.field(default=None, converter=_lifecycle)
    title: str | None = attrs.field(default=None, converter=_title)
    resources: tuple[ResourceRef, ...] | None = attrs.field(default=None, converter=_resources)
    tz: str | None = attrs.field(default=None, converter=_zone)
    capacity: int | None = attrs.field(default=None, converter=_capacity)
    metadata: Mapping[str, Any] | None = attrs.field(default=None, converter=_own_fields)
    series_id: str | None = attrs.field(default=None, converter=_series_id)
    session_id: str | None = attrs.field(default=None, converter=_session_id)
    fingerprint: str | None = attrs.field(default=None, converter=_fingerprint)

    def __attrs_post_init__(self) -> None:
        TimeSpan(self.start, self.end)  # InvalidTimeSpan unless the end is after the start

    def asked(self) -> list[object]:
        """The draft as JSON values, for a booking request's fingerprint."""
        return [
            "new session",
            self.start.isoformat(),
            self.end.isoformat(),
            self.lifecycle,
            self.title,
            None if self.resources is None else [str(ref) for ref in self.resources],
            self.tz,
            self.capacity,
            self.metadata,
            self.series_id,
            self.session_id,
            self.fingerprint,
        ]


def make_extra(
    ctx: Context, tx: Tx, tenant: str, draft: SessionDraft, actor: str | None
) -> Session:
    """Create the session ``draft`` describes in ``tx``; return it, stored, its event collected.

    Raises what :meth:`~sessionkit.services.SessionCommands.create_extra` raises.
    """
    session_id, series_id = draft.session_id, draft.series_id
    title, resources, tz = draft.title, draft.resources, draft.tz
    lifecycle, capacity = draft.lifecycle, draft.capacity
    if session_id is not None and tx.sessions.get_many(tenant, [session_id]):
        # First: a taken id is the session's duplicate, whatever became of the
        # schedule since (a host's retry after the start, or once its series
        # closed), and before a code is drawn for it.
        raise DuplicateSession(
            f"session {shown(session_id)} already exists for tenant {shown(tenant)}",
            session_id=session_id,
            key="id",
            tenant=tenant,
        )
    group = None
    if series_id is not None:
        series = tx.series.get(tenant, series_id)
        if not series.is_active:
            raise SeriesClosedError(series.id)
        title = series.title if title is None else title
        if resources is None:
            resources = resource_refs([ref for item in series.items for ref in item.resources])
        tz = series_zone(series) if tz is None else tz
        lifecycle = series.lifecycle if lifecycle is None else lifecycle
        capacity = series.capacity if capacity is None else capacity
        group = series.group
    elif lifecycle is None:
        raise InvalidValue(
            "an extra session without a series needs a lifecycle name",
            value=None,
            expected=", ".join(ctx.lifecycles),
        )
    own_fields = draft.metadata
    if draft.fingerprint is not None:
        own_fields = {**(own_fields or {}), REQUEST_FIELD: draft.fingerprint}
    machine = ctx.session_lifecycle(lifecycle)
    session = Session(
        id=ctx.ids() if session_id is None else session_id,
        tenant=tenant,
        title=title or "",
        span=TimeSpan(draft.start, draft.end),
        tz=get_zone("UTC" if tz is None else tz).key,
        status=machine.entry_status,
        lifecycle=machine.name,
        busy=machine.status(machine.entry_status).busy,
        created_at=tx.now,
        created_by=actor,
        resources=resources or (),
        series_id=series_id,
        capacity=1 if capacity is None else capacity,
        is_extra=True,
        metadata=own_fields,
        group=group,
    )
    rules = ctx.rules_for(session)  # asked once: a host's function may read its tables
    ctx.check_capacity(session, rules)
    ctx.check_publishing(session, tx.now, rules)
    # The code first: its counter's row lock queues coded creators before they
    # take the conflict check's locks, so two never wait on each other (MariaDB).
    [session] = assign_codes(ctx, tx, [session])
    check_free(tx, session)
    tx.sessions.add(session)
    tx.collect([SessionCreated(tenant=tenant, actor=actor, at=tx.now, session=session)])
    return session
