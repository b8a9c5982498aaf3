"""Session: one concrete meeting (a class, lesson, consultation) as an immutable value."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from types import MappingProxyType
from typing import Any

import attrs

from sessionkit.errors import InvalidValue, NotADatetime
from sessionkit.timespan import TimeSpan
from sessionkit.zones import check_aware, get_zone

__all__ = [
    "MAX_ID_LENGTH",
    "MAX_NAME_LENGTH",
    "MAX_REF_LENGTH",
    "MAX_TITLE_LENGTH",
    "ResourceRef",
    "Session",
    "check_group",
    "check_identity",
    "check_lengths",
    "frozen_mapping",
    "resource_refs",
]

MAX_TITLE_LENGTH = 255
MAX_ID_LENGTH = 128
"""Longest id (session, series, schedule item, tenant) any adapter must store."""
MAX_NAME_LENGTH = 64
"""Longest status, lifecycle or zone name."""
MAX_REF_LENGTH = 255
"""Longest ``"kind:id"`` resource reference or actor name."""


@attrs.frozen(slots=True, order=True)
class ResourceRef:
    """A typed reference to something a session occupies: ``ResourceRef("teacher", "t-17")``.

    ``kind`` is free text (teacher, room, student, tutor, ...); ``str()`` gives
    ``"teacher:t-17"`` and :meth:`parse` reads it back.
    """

    kind: str
    id: str

    def __attrs_post_init__(self) -> None:
        for name in ("kind", "id"):
            value = getattr(self, name)
            if not isinstance(value, str) or not value or ":" in (value if name == "kind" else ""):
                raise InvalidValue(
                    f"ResourceRef.{name} must be a non-empty string"
                    + (" without ':'" if name == "kind" else "")
                    + f", got {value!r}",
                    value=value,
                    expected="a non-empty string",
                )

        if len(self.kind) + len(self.id) + 1 > MAX_REF_LENGTH:
            raise InvalidValue(
                f"resource reference {self.kind}:{self.id!r} is longer than "
                f"{MAX_REF_LENGTH} characters",
                value=f"{self.kind}:{self.id}",
                expected=f"<= {MAX_REF_LENGTH} characters",
            )

    def __str__(self) -> str:
        return f"{self.kind}:{self.id}"

    @classmethod
    def parse(cls, text: str) -> ResourceRef:
        """Read ``"kind:id"`` back into a ResourceRef."""
        kind, sep, ident = text.partition(":")
        if not sep:
            raise InvalidValue(
                f"a resource reference looks like 'teacher:t-17', got {text!r}",
                value=text,
                expected="kind:id",
            )
        return cls(kind, ident)


def resource_refs(values: Iterable[ResourceRef | str]) -> tuple[ResourceRef, ...]:
    """Normalise resources (refs or ``"kind:id"`` strings) to a sorted, duplicate-free tuple."""
    if isinstance(values, (str, ResourceRef)):
        values = (values,)
    refs = {v if isinstance(v, ResourceRef) else ResourceRef.parse(v) for v in values}
    return tuple(sorted(refs))


def check_identity(record: object) -> None:
    """Check that a record's ``id`` and ``tenant`` are non-empty strings of a storable length."""
    for name in ("id", "tenant"):
        value = getattr(record, name)
        if not isinstance(value, str) or not value:
            raise InvalidValue(
                f"{type(record).__name__}.{name} must be a non-empty string, got {value!r}",
                value=value,
                expected="a non-empty string",
            )
    check_lengths(record, id=MAX_ID_LENGTH, tenant=MAX_ID_LENGTH)


def check_lengths(record: object, **limits: int) -> None:
    """Check that each named string field (when set) is at most its limit long."""
    for name, limit in limits.items():
        value = getattr(record, name)
        if isinstance(value, str) and len(value) > limit:
            raise InvalidValue(
                f"{type(record).__name__}.{name} is {len(value)} characters long; "
                f"at most {limit} are allowed",
                value=value,
                expected=f"<= {limit} characters",
            )


def check_group(value: object) -> None:
    """Check that a group key is ``None`` or a non-empty string of at most 128 characters."""
    if value is not None and (not isinstance(value, str) or not 0 < len(value) <= MAX_ID_LENGTH):
        raise InvalidValue(
            f"a group must be a non-empty string of at most {MAX_ID_LENGTH} characters, "
            f"got {value!r}",
            value=value,
            expected=f"1..{MAX_ID_LENGTH} characters",
        )


def frozen_mapping(value: Mapping[str, Any] | None) -> Mapping[str, Any]:
    """Return a read-only copy of own fields (``None``: none), as records store them."""
    return MappingProxyType(dict(value or {}))


_EMPTY: Mapping[str, Any] = MappingProxyType({})
"""The metadata of a session built by :meth:`Session.unchecked` without any (read-only, shared)."""
_new = object.__new__
_set = object.__setattr__


def _check_title(_instance: object, _attribute: attrs.Attribute[str], value: object) -> None:
    if not isinstance(value, str):
        raise InvalidValue(f"title must be a string, got {value!r}", value=value, expected="str")
    if len(value) > MAX_TITLE_LENGTH:
        raise InvalidValue(
            f"title is {len(value)} characters long; at most {MAX_TITLE_LENGTH} are allowed",
            value=value,
            expected=f"<= {MAX_TITLE_LENGTH} characters",
        )


def _check_span(_instance: object, _attribute: attrs.Attribute[TimeSpan], value: object) -> None:
    if not isinstance(value, TimeSpan):
        raise NotADatetime(value, name="span", expected="TimeSpan")


def _check_instant(_instance: object, attribute: attrs.Attribute[datetime], value: object) -> None:
    check_aware(value, attribute.name)


def _check_capacity(_instance: object, _attribute: attrs.Attribute[int], value: object) -> None:
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise InvalidValue(
            f"capacity must be a positive integer, got {value!r}", value=value, expected=">= 1"
        )


def _check_tz(_instance: object, _attribute: attrs.Attribute[str], value: object) -> None:
    get_zone(value)  # type: ignore[arg-type]  # raises UnknownTimeZone with the value


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

    id: str
    tenant: str
    title: str = attrs.field(validator=_check_title)
    span: TimeSpan = attrs.field(validator=_check_span)
    tz: str = attrs.field(validator=_check_tz)
    status: str
    lifecycle: str
    busy: bool
    created_at: datetime = attrs.field(validator=_check_instant)
    created_by: str | None = None
    resources: tuple[ResourceRef, ...] = attrs.field(default=(), converter=resource_refs)
    series_id: str | None = None
    schedule_item_id: str | None = None
    occurrence_key: datetime | None = None
    capacity: int = attrs.field(default=1, validator=_check_capacity)
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
        check_identity(self)
        check_lengths(
            self,
            series_id=MAX_ID_LENGTH,
            schedule_item_id=MAX_ID_LENGTH,
            status=MAX_NAME_LENGTH,
            lifecycle=MAX_NAME_LENGTH,
            created_by=MAX_REF_LENGTH,
            updated_by=MAX_REF_LENGTH,
        )
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
