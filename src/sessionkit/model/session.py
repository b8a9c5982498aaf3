"""Session: one concrete meeting (a class, lesson, consultation) as an immutable value.

The record and what checks it live here: :class:`Session`, :func:`check_session`,
the capacity (:data:`MAX_CAPACITY`, :func:`check_capacity`) and the checks every
record shares (:func:`check_identity`, :func:`check_lengths`, :func:`check_group`).
What a session occupies (:class:`ResourceRef`, :func:`resource_refs`,
:data:`MAX_RESOURCES`) lives in ``_session_refs`` and its own fields
(:class:`FrozenFields`, :func:`frozen_mapping`) in ``_session_fields``; this
module exports them under its own name.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any, ClassVar, Final

import attrs

from sessionkit.errors import InvalidValue, NotADatetime, WrongType
from sessionkit.errors._base import int_converter, plain_int, shown
from sessionkit.model._session_fields import _EMPTY, FrozenFields, frozen_mapping
from sessionkit.model._session_refs import MAX_RESOURCES, ResourceRef, resource_refs
from sessionkit.model.html import html_of
from sessionkit.model.records import SESSION, Schema
from sessionkit.model.text import (
    MAX_ID_LENGTH,
    MAX_NAME_LENGTH,
    MAX_REF_LENGTH,
    MAX_TITLE_LENGTH,
    check_id,
    check_text,
    plain_id,
)
from sessionkit.timespan import TimeSpan
from sessionkit.zones import check_aware, zone_name

__all__ = [
    "MAX_ID_LENGTH",
    "MAX_NAME_LENGTH",
    "MAX_REF_LENGTH",
    "MAX_TITLE_LENGTH",
    "MAX_CAPACITY",
    "MAX_RESOURCES",
    "REQUEST_FIELD",
    "FrozenFields",
    "ResourceRef",
    "Session",
    "check_capacity",
    "check_group",
    "check_identity",
    "check_lengths",
    "check_session",
    "frozen_mapping",
    "resource_refs",
]


REQUEST_FIELD: Final = "request_fingerprint"
"""The own field holding the digest of the host's request that made a session.

Written by ``create_extra(fingerprint=...)`` and kept by sessionkit: a host
whose idempotency key names the session (``session_id``) compares a replay's
request with it, whatever was changed on the session since."""


def check_identity(record: object, *ids: str) -> None:
    """Check a record's ``id``, ``tenant`` and the other id fields ``ids`` (when set).

    Ids follow :func:`~sessionkit.model.text.check_id`: strings of 1..128
    characters, no surrounding whitespace, no control characters.
    """
    for name in ("id", "tenant", *ids):
        value = getattr(record, name)
        if plain_id(value) or (value is None and name in ids):
            continue
        check_id(value, f"{type(record).__name__}.{name}")


def check_lengths(record: object, **limits: int) -> None:
    """Check that each named field is ``None`` or storable text of at most its limit."""
    for name, limit in limits.items():
        value = getattr(record, name)
        # None and plain ASCII text are decided here; anything else gets the full check.
        if value is None or (
            type(value) is str and len(value) <= limit and value.isascii() and "\x00" not in value
        ):
            continue
        check_text(value, f"{type(record).__name__}.{name}", limit=limit, optional=True)


def check_group(value: object) -> None:
    """Check that a group key is ``None`` or storable text of 1..128 characters.

    Unlike ids, a group may have surrounding spaces: adapters compare groups exactly.
    """
    check_text(value, "group", limit=MAX_ID_LENGTH, optional=True, empty=False)


_new = object.__new__
_set = object.__setattr__


def _check_title(_instance: object, _attribute: attrs.Attribute[str], value: object) -> None:
    check_text(value, "title", limit=MAX_TITLE_LENGTH)


def _check_span(_instance: object, _attribute: attrs.Attribute[TimeSpan], value: object) -> None:
    if not isinstance(value, TimeSpan):
        raise NotADatetime(value, name="span", expected="TimeSpan")


def _check_instant(_instance: object, attribute: attrs.Attribute[datetime], value: object) -> None:
    check_aware(value, attribute.name)


MAX_CAPACITY = 1_000_000
"""The most seats a session may have."""


def check_capacity(value: object) -> int:
    """Return ``value`` if it is a whole number of seats, 1..:data:`MAX_CAPACITY`, else raise."""
    value = plain_int(value)
    if not isinstance(value, int):
        raise WrongType(value, name="capacity", expected="a positive integer")
    if isinstance(value, bool) or not 1 <= value <= MAX_CAPACITY:
        raise InvalidValue(
            f"capacity must be a positive integer of at most {MAX_CAPACITY:,}, got {shown(value)}",
            value=value,
            expected=f"1..{MAX_CAPACITY}",
        )
    return value


def _check_capacity(_instance: object, _attribute: attrs.Attribute[int], value: object) -> None:
    check_capacity(value)


@attrs.frozen(slots=True)
class Session:
    """One scheduled session, immutable; change it with :func:`attrs.evolve` (services do).

    ``series_id``/``occurrence_key`` tie a generated session to its series'
    occurrence (the key is the original local start, RFC 5545 RECURRENCE-ID);
    both are ``None`` for an extra session. ``busy`` says whether the session
    occupies its resources in its current status (from its lifecycle), so
    storage can enforce "no overlapping busy sessions" without knowing
    lifecycles. ``detached`` marks a session moved or edited by hand, which
    regeneration leaves alone. ``version`` is for optimistic concurrency.
    ``metadata`` holds the platform's own fields (JSON values); ``group`` is
    the group key of the session's series (``None`` without one).
    """

    __record_schema__: ClassVar[Schema] = SESSION
    _repr_html_ = html_of

    id: str
    tenant: str
    title: str = attrs.field(validator=_check_title)
    span: TimeSpan = attrs.field(validator=_check_span)
    tz: str = attrs.field(converter=zone_name)  # a ZoneInfo given is kept by its name
    status: str
    lifecycle: str
    busy: bool
    created_at: datetime = attrs.field(validator=_check_instant)
    created_by: str | None = None
    resources: tuple[ResourceRef, ...] = attrs.field(default=(), converter=resource_refs)
    series_id: str | None = None
    schedule_item_id: str | None = None
    occurrence_key: datetime | None = None
    capacity: int = attrs.field(default=1, converter=int_converter, validator=_check_capacity)
    is_extra: bool = False
    detached: bool = False
    version: int = 1
    updated_at: datetime | None = None
    updated_by: str | None = None
    metadata: Mapping[str, Any] = attrs.field(
        factory=dict, converter=frozen_mapping, eq=False, hash=False
    )
    group: str | None = attrs.field(default=None, validator=lambda _i, _a, v: check_group(v))

    def __attrs_post_init__(self) -> None:
        check_identity(self, "series_id", "schedule_item_id")
        if self.updated_at is not None:
            check_aware(self.updated_at, "updated_at")
        check_lengths(
            self,
            status=MAX_NAME_LENGTH,
            lifecycle=MAX_NAME_LENGTH,
            created_by=MAX_REF_LENGTH,
            updated_by=MAX_REF_LENGTH,
        )
        if self.occurrence_key is not None and not isinstance(self.occurrence_key, datetime):
            raise NotADatetime(self.occurrence_key, name="occurrence_key")
        if self.occurrence_key is not None and self.occurrence_key.tzinfo is not None:
            raise InvalidValue(
                "occurrence_key is the naive local start of the occurrence",
                value=self.occurrence_key,
                expected="a naive local datetime",
            )
        if (self.series_id is None) != (self.occurrence_key is None) and not self.is_extra:
            raise InvalidValue(
                "a generated session needs both series_id and occurrence_key",
                value=(self.series_id, self.occurrence_key),
                expected="both set, or is_extra=True",
            )

    @classmethod
    def unchecked(
        cls,
        *,
        id: str,
        tenant: str,
        title: str,
        span: TimeSpan,
        tz: str,
        status: str,
        lifecycle: str,
        busy: bool,
        created_at: datetime,
        created_by: str | None = None,
        resources: tuple[ResourceRef, ...] = (),
        series_id: str | None = None,
        schedule_item_id: str | None = None,
        occurrence_key: datetime | None = None,
        capacity: int = 1,
        is_extra: bool = False,
        detached: bool = False,
        version: int = 1,
        updated_at: datetime | None = None,
        updated_by: str | None = None,
        metadata: Mapping[str, Any] = _EMPTY,
        group: str | None = None,
    ) -> Session:
        """Build a session without converting or checking its fields, for hot loops.

        The caller's obligations, which nothing verifies: every value is one
        the constructor would accept and store as it is (``resources`` a
        sorted, duplicate-free tuple of :class:`ResourceRef`, ``metadata`` a
        read-only mapping nobody mutates, ``span`` a :class:`TimeSpan`, ids and
        names within their lengths). Generation uses it for the occurrences of
        a schedule item after the first, whose fields but the id, span and key
        were checked when the first was built with ``Session(...)``.
        Otherwise call ``Session(...)``.
        """
        session = _new(cls)
        _set(session, "id", id)
        _set(session, "tenant", tenant)
        _set(session, "title", title)
        _set(session, "span", span)
        _set(session, "tz", tz)
        _set(session, "status", status)
        _set(session, "lifecycle", lifecycle)
        _set(session, "busy", busy)
        _set(session, "created_at", created_at)
        _set(session, "created_by", created_by)
        _set(session, "resources", resources)
        _set(session, "series_id", series_id)
        _set(session, "schedule_item_id", schedule_item_id)
        _set(session, "occurrence_key", occurrence_key)
        _set(session, "capacity", capacity)
        _set(session, "is_extra", is_extra)
        _set(session, "detached", detached)
        _set(session, "version", version)
        _set(session, "updated_at", updated_at)
        _set(session, "updated_by", updated_by)
        _set(session, "metadata", metadata)
        _set(session, "group", group)
        return session

    @property
    def start(self) -> datetime:
        """The start instant (UTC)."""
        return self.span.start

    @property
    def end(self) -> datetime:
        """The end instant (UTC)."""
        return self.span.end


def check_session(value: object, name: str = "session") -> Session:
    """Return ``value`` if it is a :class:`Session`, else raise ``WrongType`` naming ``name``."""
    if not isinstance(value, Session):
        raise WrongType(value, name=name, expected="a Session")
    return value


# Show (and pickle) what moved to the private modules under this public path, as before.
_moved: object
for _moved in (ResourceRef, resource_refs, FrozenFields, frozen_mapping):
    _moved.__module__ = __name__
del _moved
