"""What both conflict finders accept, and how it is checked: buffers, spans and resource ids.

:data:`Buffers` pads the spans on a resource; :func:`check_buffers` validates a
buffers mapping, :func:`check_span` refuses anything but a
:class:`~sessionkit.timespan.TimeSpan`, and :func:`resource_ids` reads the ids
one item occupies (refusing a bare string, which would be read letter by letter).
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping
from datetime import timedelta
from typing import Any

from sessionkit.errors import InvalidValue, NotADatetime, WrongType
from sessionkit.errors._base import shown
from sessionkit.timespan import TimeSpan, check_buffer_pair

__all__ = ["Buffers", "check_buffers", "check_span", "resource_ids", "unhashable"]

# Keyed by Any, not Hashable: Mapping is invariant in its key type, so a
# dict[str, ...] would not be accepted as a Mapping[Hashable, ...].
Buffers = Mapping[Any, tuple[timedelta, timedelta]]
"""Per-resource padding: ``{resource: (before, after)}``; resources not listed have none."""


def check_buffers(buffers: Buffers | None) -> dict[Hashable, tuple[timedelta, timedelta]]:
    """Validate a buffers mapping; keep only resources with some padding."""
    checked: dict[Hashable, tuple[timedelta, timedelta]] = {}
    if buffers is None:
        return checked
    given: object = buffers
    if not isinstance(given, Mapping):
        raise WrongType(given, name="buffers", expected="{resource: (before, after)}")
    for resource, pair in buffers.items():
        before, after = check_buffer_pair(resource, pair)
        if before or after:
            checked[resource] = (before, after)
    return checked


def check_span(value: object) -> TimeSpan:
    """Return ``value`` if it is a TimeSpan; raise ``NotADatetime`` (named ``span``) if not."""
    if not isinstance(value, TimeSpan):
        raise NotADatetime(value, name="span", expected="TimeSpan")
    return value


def resource_ids(value: object) -> Iterable[Hashable]:
    """Return the distinct resource ids of one item, in the order given."""
    if isinstance(value, str | bytes):
        raise InvalidValue(
            f"resources must be a collection of resource ids such as ('ana',), got {shown(value)}",
            value=value,
            expected="an iterable of hashable ids (not a bare string)",
        )
    if not isinstance(value, Iterable):
        raise WrongType(value, name="resources", expected="a collection of resource ids")
    try:
        return dict.fromkeys(value)
    except TypeError:
        raise unhashable(value) from None


def unhashable(value: object) -> WrongType:
    """The error for resources holding an id that cannot be a key (a list, a dict)."""
    return WrongType(value, name="resources", expected="a collection of hashable resource ids")
