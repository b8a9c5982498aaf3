"""The duration check the policies' values share (private to the policies package)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import attrs

from sessionkit.errors import InvalidDuration
from sessionkit.errors._base import shown_duration
from sessionkit.limits import CEILING

__all__ = ["positive_duration"]


def positive_duration(owner: str) -> Callable[[object, attrs.Attribute[Any], object], None]:
    """Return an attrs validator of a timedelta longer than 0 and at most a century.

    ``InvalidDuration`` names the field as ``owner.field`` (``BookingRules.hold_for``).
    """

    def check(_instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
        if not isinstance(value, timedelta) or not timedelta(0) < value <= CEILING:
            raise InvalidDuration(
                f"{owner}.{attribute.name} must be a timedelta longer than 0 and at most a "
                f"century, got {shown_duration(value)}",
                value=value,
                expected=f"a timedelta > 0 and <= {CEILING.days:,} days",
            )

    return check
