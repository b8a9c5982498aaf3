"""What the machine needs of the values it drives, and how it copies them.

:class:`SessionLike` is the structural type, ``replace_status`` makes the
changed copy, ``check_value`` refuses values the machine cannot copy.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, Protocol, TypeVar

import attrs

from sessionkit.errors import NotASession, WrongType
from sessionkit.errors._base import shown
from sessionkit.zones import check_aware

__all__ = ["SessionLike", "SessionT", "check_facts", "check_value", "replace_status", "utc"]


class SessionLike(Protocol):
    """What the machine needs of a value it drives: an ``id`` (and, for most, a ``span``).

    The status itself lives in the field the lifecycle names (``status`` by
    default, ``payment_status`` for :data:`~sessionkit.lifecycles.consulting_payment`).
    Timers anchored at ``"start"``/``"end"`` read ``value.span``, others read
    the field they name; guards such as ``has_started`` read ``span`` too.
    The value must be an attrs instance (or a dataclass) so the machine can
    make a changed copy.
    """

    @property
    def id(self) -> object:
        """The value's identity, copied into events and errors."""
        ...


SessionT = TypeVar("SessionT", bound=SessionLike)


STATUS_COPY = "_sessionkit_with_status"
"""A value class's own way to copy itself with a new status, if it has one.

A method ``(self, field, status) -> copy``: sessionkit's records whose
constructor checks every field again (a booking's participant, instants,
lengths) copy themselves with only the status changed, which keeps every
invariant of a value already built. Any other value is copied with
``attrs.evolve`` (or ``dataclasses.replace``), its constructor run again.
"""


def replace_status(value: Any, field: str, status: str) -> Any:
    """Return a copy of ``value`` with ``field`` set to ``status``."""
    kind = type(value)
    copy = getattr(kind, STATUS_COPY, None)
    if copy is not None:
        return copy(value, field, status)
    if attrs.has(kind):
        return attrs.evolve(value, **{field: status})
    return dataclasses.replace(value, **{field: status})


def check_value(value: object, field: str) -> None:
    """Raise ``NotASession`` unless ``value`` is an attrs/dataclass instance with ``field``."""
    kind = type(value)
    if not (attrs.has(kind) or (dataclasses.is_dataclass(value) and not isinstance(value, type))):
        raise NotASession(
            f"a lifecycle works on attrs (or dataclass) values, got {kind.__name__}",
            value=value,
            expected="an attrs instance with id, span and a status field",
        )
    if not hasattr(value, field):
        raise NotASession(
            f"{kind.__name__} has no {shown(field)} field for this lifecycle to change",
            value=value,
            expected=f"a {shown(field)} field",
        )


def utc(now: datetime, name: str = "now") -> datetime:
    """Return the aware ``now`` in UTC; raise ``NaiveDatetime`` (named ``name``) if naive."""
    return check_aware(now, name).astimezone(UTC)


def check_facts(facts: object) -> Mapping[str, object] | None:
    """Return ``facts`` as a mapping of fact names, or ``None``; else raise ``WrongType``.

    Checked where they are handed in, not where a condition first reads
    them: that is only once a timer falls due, and a wrong value (a list of
    names, a list of pairs) would fail there with a bare error, or pass. A
    value shaped as a mapping (``keys()`` and ``[]``, as ``dict()`` takes
    it) is copied into one.
    """
    if facts is None:
        return None
    found: object = facts
    if not isinstance(found, Mapping):
        if not callable(getattr(found, "keys", None)):
            raise _wrong_facts(facts)
        try:
            found = dict(found)  # type: ignore[call-overload]  # a mapping by its shape
        except (TypeError, ValueError, KeyError):
            raise _wrong_facts(facts) from None
    assert isinstance(found, Mapping)
    if not all(isinstance(name, str) for name in found):
        raise _wrong_facts(facts)
    return found


def _wrong_facts(facts: object) -> WrongType:
    return WrongType(
        facts, name="facts", expected="a mapping of fact names (str) to values, or None"
    )
