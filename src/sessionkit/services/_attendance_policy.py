"""The attendance service's settings: its :class:`AttendancePolicy` and its retry bound.

Private to the services (``sessionkit.services.attendance`` re-exports
:class:`AttendancePolicy`). Kept apart from the commands so that the modules
they live in (``_presence_recording``, ``_attendance_overrides``) and the
``AttendanceCommands`` that joins them can all read it.
"""

from __future__ import annotations

from typing import Any

import attrs

from sessionkit.errors import InvalidValue, WrongType
from sessionkit.errors._base import set_repr, shown
from sessionkit.model.attendance import AttendanceThresholds
from sessionkit.model.text import MAX_NAME_LENGTH, check_id, check_names, check_transition_name
from sessionkit.services.rooms import JoinRules

__all__ = ["WRITE_ATTEMPTS", "AttendancePolicy"]

WRITE_ATTEMPTS = 10
"""Runs of one write (a presence batch, an override) when racing writers got there first."""


def _kinds(value: object) -> frozenset[str]:
    kinds = check_names(value, "attendee_kinds")
    for kind in kinds:
        # A kind is compared with a ResourceRef's, so one that no ResourceRef can have
        # (surrounding whitespace, a control character, a ':') would never match anyone.
        check_id(kind, "attendee_kinds item", limit=MAX_NAME_LENGTH)
        if ":" in kind:
            raise InvalidValue(
                f"attendee_kinds item {shown(kind)} cannot be a resource kind: it holds ':'",
                value=kind,
                expected="a resource kind without ':' (e.g. 'teacher')",
            )
    return frozenset(kinds)


def _check_transition(_policy: object, _attribute: object, value: object) -> None:
    check_transition_name(value, "join_transition", owner="AttendancePolicy")


def _check_thresholds(_policy: object, _attribute: object, value: object) -> None:
    if not isinstance(value, AttendanceThresholds):
        raise WrongType(value, name="thresholds", expected="AttendanceThresholds")


@attrs.frozen(kw_only=True)
class AttendancePolicy:
    """How presence is read and what it drives.

    ``thresholds`` classify attendance (late, left early, partial, absent);
    absent is also what makes a participant a no-show.
    ``join_transition`` is fired, by the clock's actor ``None``, when a
    session gets its first join while that transition leaves its status
    (the academy's ``start``: READY -> ONGOING); ``None`` fires nothing.
    ``attendee_kinds`` are the kinds of a session's resources expected in
    the meeting besides its booked participants (coaching's ``"coach"`` and
    ``"student"``):
    :meth:`~sessionkit.services.attendance.AttendanceCommands.for_session`
    and :meth:`~sessionkit.services.attendance.AttendanceCommands.outcomes`
    list them too (default: none, only who booked or was seen). ``join`` are
    the :class:`JoinRules` of join credentials.

    Every field is checked when the policy is built: a value of the wrong
    type is a :class:`~sessionkit.errors.WrongType` naming the field, one
    that can never work (a ``join_transition`` that is not an identifier, an
    attendee kind no resource can have) an :class:`~sessionkit.errors.InvalidValue`.
    """

    thresholds: AttendanceThresholds = attrs.field(
        factory=AttendanceThresholds, validator=_check_thresholds
    )
    join_transition: str | None = attrs.field(default="start", validator=_check_transition)
    attendee_kinds: frozenset[str] = attrs.field(
        default=frozenset(), converter=_kinds, repr=set_repr
    )
    join: JoinRules = attrs.field(factory=JoinRules)

    @join.validator
    def _check_join(self, _attribute: attrs.Attribute[Any], value: object) -> None:
        if not isinstance(value, JoinRules):
            raise WrongType(value, name="join", expected="JoinRules")
