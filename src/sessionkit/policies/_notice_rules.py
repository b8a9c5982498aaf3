"""What a notice policy is built of: the actions, the rules and windows, and its fields' checks.

:data:`Action` and :data:`ACTIONS`, :class:`NoticeRule` (the notice roles need
for an action) and :class:`NoticeWindow` (who alone may act in the last
stretch), the converters and validators of the fields of
:class:`~sessionkit.policies.notice.NoticePolicy` (``min_lead``, the roles, the
rules and windows, the reschedule limit, the reason's bounds; ``answer_within``
takes the policies' shared ``positive_duration``), and the checks of the action
and of the count of moves its methods are asked with. Kept apart from the
policy's judging (``notice.py``), which only reads these values.

Private to :mod:`sessionkit.policies.notice`, which exports its names under
its own name (their ``__module__``), so they show and pickle as before.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any, Literal

import attrs

from sessionkit.errors import InvalidDuration, InvalidValue, WrongType
from sessionkit.errors._base import check_int, plain_int, set_repr, shown, shown_duration
from sessionkit.limits import CEILING
from sessionkit.model.reschedule import MAX_REASON_LENGTH
from sessionkit.policies._notice_roles import role_set

__all__ = ["ACTIONS", "Action", "NoticeRule", "NoticeWindow"]

Action = Literal["request_reschedule", "cancel", "book"]
"""What a notice rule governs."""
ACTIONS: frozenset[str] = frozenset({"request_reschedule", "cancel", "book"})
"""Every :data:`Action`."""


def _action(_instance: object, _attribute: attrs.Attribute[Any], value: object) -> None:
    if not isinstance(value, str) or value not in ACTIONS:
        raise InvalidValue(
            f"an action is one of {sorted(ACTIONS)}, got {shown(value)}",
            value=value,
            expected=" | ".join(sorted(ACTIONS)),
        )


def _duration(_instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    # At most a century, like every other duration: a start less it stays a datetime.
    if not isinstance(value, timedelta) or not timedelta(0) <= value <= CEILING:
        raise InvalidDuration(
            f"{attribute.name} must be a timedelta from 0 to a century, got "
            f"{shown_duration(value)}",
            value=value,
            expected=f"a timedelta >= 0 and <= {CEILING.days:,} days",
        )


def _roles(value: object) -> frozenset[str]:
    return role_set(value, "roles")


def _only(value: object) -> frozenset[str]:
    return role_set(value, "only")


def _bypass(value: object) -> frozenset[str]:
    return role_set(value, "bypass")


@attrs.frozen
class NoticeRule:
    """``roles`` must do ``action`` at least ``notice`` before the start."""

    action: str = attrs.field(validator=_action)
    roles: frozenset[str] = attrs.field(converter=_roles, repr=set_repr)
    notice: timedelta = attrs.field(validator=_duration)


@attrs.frozen
class NoticeWindow:
    """Within ``within`` of the start, only ``only`` may still do ``action`` (others never)."""

    action: str = attrs.field(validator=_action)
    within: timedelta = attrs.field(validator=_duration)
    only: frozenset[str] = attrs.field(converter=_only, repr=set_repr)


def _rules(value: object) -> tuple[NoticeRule, ...]:
    if not isinstance(value, tuple | list) or not all(isinstance(r, NoticeRule) for r in value):
        raise WrongType(value, name="rules", expected="a sequence of NoticeRule")
    return tuple(value)


def _windows(value: object) -> tuple[NoticeWindow, ...]:
    if not isinstance(value, tuple | list) or not all(isinstance(w, NoticeWindow) for w in value):
        raise WrongType(value, name="windows", expected="a sequence of NoticeWindow")
    return tuple(value)


def _limit(_instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 0):
        raise InvalidValue(
            f"NoticePolicy.{attribute.name} must be None or an integer >= 0, got {shown(value)}",
            value=value,
            expected="None or an integer >= 0",
        )


def _check_count(reschedules: object) -> int:
    """Return a count of a session's moves as an int; refuse one that is no integer >= 0."""
    reschedules = check_int(
        reschedules,
        name="reschedules",
        expected="how many times the session was moved, an integer >= 0",
    )
    if reschedules < 0:
        raise InvalidValue(
            f"reschedules is how many times the session was moved, got {reschedules}",
            value=reschedules,
            expected="an integer >= 0",
        )
    return reschedules


def _reason_length(value: object) -> tuple[int, int]:
    # A request always has a reason, stored at most MAX_REASON_LENGTH long: bounds past
    # those would pass a reason the request's own checks then refuse, unnamed by the rule.
    bounds = f"1 <= shortest <= longest <= {MAX_REASON_LENGTH}"
    given = value
    if isinstance(value, tuple | list):
        value = tuple(map(plain_int, value))  # a numpy integer is a length too
    if (
        not isinstance(value, tuple)
        or len(value) != 2
        or not all(isinstance(n, int) and not isinstance(n, bool) for n in value)
        or not 1 <= value[0] <= value[1] <= MAX_REASON_LENGTH
    ):
        raise InvalidValue(
            f"reason_length is (shortest, longest) with {bounds}, got {shown(given)}",
            value=given,
            expected=f"(shortest, longest) with {bounds}",
        )
    return (value[0], value[1])
