"""The teacher's word: the attendance statuses a teacher reports, and the override keeping one.

Private to :mod:`sessionkit.model.attendance`, which exports its names under
its own name (their ``__module__``), so they show and pickle as before.
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Final

import attrs

from sessionkit.errors import InvalidValue
from sessionkit.errors._base import check_int, shown
from sessionkit.model.booking import participant_ref
from sessionkit.model.session import MAX_REF_LENGTH, ResourceRef, check_identity, check_lengths
from sessionkit.model.text import check_id
from sessionkit.zones import check_instant

__all__ = [
    "ABSENT",
    "ATTENDANCE_STATUSES",
    "LATE",
    "LEFT_EARLY",
    "MAX_OVERRIDE_REASON_LENGTH",
    "PARTIAL",
    "PRESENT",
    "AttendanceOverride",
    "override_id",
]

PRESENT: Final = "present"
"""There from (about) the start to (about) the end."""
LATE: Final = "late"
"""Joined more than ``late_after`` after the start."""
LEFT_EARLY: Final = "left_early"
"""Last left more than ``left_early_before`` before the end."""
PARTIAL: Final = "partial"
"""There for less than ``partial_below`` of the session."""
ABSENT: Final = "absent"
"""Never there (or for less than ``absent_below``)."""
ATTENDANCE_STATUSES: Final = (PRESENT, LATE, LEFT_EARLY, PARTIAL, ABSENT)
"""Every attendance status a teacher reports, best first."""

MAX_OVERRIDE_REASON_LENGTH: Final = 2000
"""Longest reason a teacher may give for an override."""


# The converter names its field ("decided_at must be timezone-aware").
def _decided_at(value: datetime) -> datetime:
    return check_instant(value, "decided_at")


def override_id(session_id: str, participant: ResourceRef | str) -> str:
    """Return the id of the override of ``participant`` in ``session_id``: one per pair."""
    text = f"{check_id(session_id, 'session_id')}\x00{participant_ref(participant)}"
    return "att-" + hashlib.sha256(text.encode()).hexdigest()[:40]


def _status(value: object) -> str:
    if value not in ATTENDANCE_STATUSES:
        raise InvalidValue(
            f"attendance status must be one of {', '.join(ATTENDANCE_STATUSES)}, got "
            f"{shown(value)}",
            value=value,
            expected=" / ".join(ATTENDANCE_STATUSES),
        )
    assert isinstance(value, str)
    return value


def _minutes(value: object) -> int | None:
    if value is None:
        return None
    # A bool, a float or text is no count of minutes (WrongType, as check_int says it).
    value = check_int(value, name="minutes", expected="a whole number of minutes (int) or None")
    if not 0 <= value <= 100_000:
        raise InvalidValue(
            f"attended minutes must be a whole number 0..100000 or None, got {shown(value)}",
            value=value,
            expected="an int 0..100000 or None",
        )
    return value


@attrs.frozen(slots=True, kw_only=True)
class AttendanceOverride:
    """The teacher's report for one participant of one session: it always wins.

    Stored apart from the presence (both stay visible). ``status`` is one of
    :data:`ATTENDANCE_STATUSES`; ``minutes`` the attended minutes the teacher
    gives (``None``: keep the measured ones); ``decided_by`` who reported.
    The ``id`` is :func:`override_id` of the session and participant, so a
    participant has at most one override per session.
    """

    id: str
    tenant: str
    session_id: str
    participant: ResourceRef = attrs.field(converter=participant_ref)
    status: str = attrs.field(converter=_status)
    minutes: int | None = attrs.field(default=None, converter=_minutes)
    reason: str | None = None
    decided_by: str | None = None
    decided_at: datetime = attrs.field(converter=_decided_at)
    version: int = 1

    def __attrs_post_init__(self) -> None:
        check_identity(self, "session_id")
        check_lengths(self, reason=MAX_OVERRIDE_REASON_LENGTH, decided_by=MAX_REF_LENGTH)
