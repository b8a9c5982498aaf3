"""The attendance service's settings: its :class:`AttendancePolicy` and its retry bound.

Private to the services (``sessionkit.services.attendance`` re-exports
:class:`AttendancePolicy`). Kept apart from the commands so that the modules
they live in (``_presence_recording``, ``_attendance_overrides``) and the
``AttendanceCommands`` that joins them can all read it.
"""

from __future__ import annotations

from typing import Any

import attrs

from sessionkit.errors import WrongType
from sessionkit.model.attendance import AttendanceThresholds
from sessionkit.model.text import check_names
from sessionkit.services.rooms import JoinRules

__all__ = ["WRITE_ATTEMPTS", "AttendancePolicy"]

WRITE_ATTEMPTS = 10
"""Runs of one write (a presence batch, an override) when racing writers got there first."""


def _kinds(value: object) -> frozenset[str]:
    return frozenset(check_names(value, "attendee_kinds"))


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
    """

    thresholds: AttendanceThresholds = attrs.field(factory=AttendanceThresholds)
    join_transition: str | None = "start"
    attendee_kinds: frozenset[str] = attrs.field(default=frozenset(), converter=_kinds)
    join: JoinRules = attrs.field(factory=JoinRules)

    @join.validator
    def _check_join(self, _attribute: attrs.Attribute[Any], value: object) -> None:
        if not isinstance(value, JoinRules):
            raise WrongType(value, name="join", expected="JoinRules")
