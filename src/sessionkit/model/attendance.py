"""Attendance: presence events from the meeting, what they add up to, and the teacher's word.

Two sources say who attended a session (seed 002): the meeting provider's
join / leave log and the teacher's report, and the report always wins.

- :class:`PresenceEvent` is one join or leave as the provider reports it; it is
  stored once as a :class:`Presence`, keyed by ``provider:event_id``, so a
  replayed event is a no-op.
- :func:`derive_attendance` turns *all* of a participant's presence into
  intervals, attended time and a status (present, late, left early, partial,
  absent) under :class:`AttendanceThresholds`. It sorts before it pairs, so the
  order events arrived in never matters.
- :class:`AttendanceOverride` is the teacher's report, stored apart from the
  presence; :class:`Attendance` shows both and :attr:`Attendance.effective_status`
  is the override's when there is one.

The events live in ``_presence_events``, the statuses a teacher reports and the
override in ``_attendance_reports``, the stays and the thresholds that judge them
in ``_attendance_stays``; this module exports them all under its own name and
keeps what brings them together: :class:`Attendance`, the span a session was held
(:func:`held_span`) and :func:`derive_attendance`.

>>> from datetime import UTC, datetime, timedelta
>>> from sessionkit.timespan import TimeSpan
>>> start = datetime(2026, 3, 2, 17, tzinfo=UTC)
>>> lesson = TimeSpan(start, start + timedelta(hours=1))
>>> log = [
...     Presence.of("acme", PresenceEvent(provider="meet", event_id="e2", session_id="s1",
...         participant="student:ana", action=LEAVE, at=start + timedelta(minutes=50))),
...     Presence.of("acme", PresenceEvent(provider="meet", event_id="e1", session_id="s1",
...         participant="student:ana", action=JOIN, at=start + timedelta(minutes=8))),
... ]
>>> ana = derive_attendance(log, span=lesson, session_id="s1", participant="student:ana")
>>> ana.status, ana.minutes
('late', 42)
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import ClassVar, Final

import attrs

from sessionkit.errors import WrongType
from sessionkit.errors._base import instances_of
from sessionkit.model._attendance_reports import (
    ABSENT,
    ATTENDANCE_STATUSES,
    LATE,
    LEFT_EARLY,
    MAX_OVERRIDE_REASON_LENGTH,
    PARTIAL,
    PRESENT,
    AttendanceOverride,
    override_id,
)
from sessionkit.model._attendance_stays import (
    AttendanceThresholds,
    Interval,
    _attended,
    _closing,
    _stays,
    connections_of,
)

# Not in __all__, but the services and the adapters import them from here.
from sessionkit.model._attendance_stays import attended_within as attended_within
from sessionkit.model._attendance_stays import intervals_of as intervals_of
from sessionkit.model._presence_events import JOIN, LEAVE, Presence, PresenceEvent
from sessionkit.model._presence_events import Action as Action  # a name it always had
from sessionkit.model.booking import participant_ref
from sessionkit.model.html import html_of
from sessionkit.model.records import ATTENDANCE, Schema
from sessionkit.model.session import ResourceRef, Session
from sessionkit.timespan import TimeSpan
from sessionkit.zones import check_instant

__all__ = [
    "ABSENT",
    "ATTENDANCE_STATUSES",
    "JOIN",
    "LATE",
    "LEAVE",
    "LEFT_EARLY",
    "MAX_OVERRIDE_REASON_LENGTH",
    "PARTIAL",
    "PENDING",
    "PRESENT",
    "SEALED_BY_FIELD",
    "SEALED_FIELD",
    "Attendance",
    "AttendanceOverride",
    "AttendanceThresholds",
    "Interval",
    "Presence",
    "PresenceEvent",
    "connections_of",
    "derive_attendance",
    "held_span",
    "held_until",
    "override_id",
    "told_minutes",
]

PENDING: Final = "pending"
"""Derived only, never reported: not there (yet) in a session not over at the read's instant.

:func:`derive_attendance` gives it in place of :data:`ABSENT` when asked
with ``now`` before the session's end: the participant may still come."""

SEALED_FIELD: Final = "sealed_at"
"""The session's own field holding when it ended (entered a terminal status), ISO 8601.

Its attendance is sealed then: presence later than that (or than its
scheduled end, if sooner) is not stored, and a session ended early is
attended against its start to then (:func:`held_span`). Written and cleared by sessionkit
with the status, never by hand."""

SEALED_BY_FIELD: Final = "sealed_by"
"""The session's own field naming the status that wrote :data:`SEALED_FIELD`, when not its own.

A correction from one terminal status to another keeps when the session
ended; this names the status that ended it (COMPLETED, for a lesson ended
early and corrected to ABSENT), so that a correction out of a no-show tells
a no-show's own end (the session went on after all: sealed anew) from one
it kept (held until then all the same). Absent when the session's status
wrote the seal. Written and cleared by sessionkit with the status, never by hand."""


@attrs.frozen(kw_only=True)
class Attendance:
    """One participant's attendance in one session: the automatic record and the teacher's.

    ``intervals``, ``attended`` (time inside the session), ``minutes`` and
    ``status`` come from presence; ``override`` is the teacher's report or
    ``None``. :attr:`effective_status` and :attr:`effective_minutes` are what
    counts: the override's when there is one (an ``absent`` one with no
    minutes counts none). ``held_minutes`` is how long the session was held,
    in whole minutes (``None``: not told): an override's minutes count at
    most these, so one written before the session ended early is read capped.
    """

    session_id: str
    participant: ResourceRef
    intervals: tuple[Interval, ...]
    attended: timedelta
    status: str
    override: AttendanceOverride | None = None
    held_minutes: int | None = None

    __record_schema__: ClassVar[Schema] = ATTENDANCE
    _repr_html_ = html_of

    @property
    def minutes(self) -> int:
        """Whole minutes attended inside the session, from presence."""
        return int(self.attended.total_seconds() // 60)

    @property
    def effective_status(self) -> str:
        """The status that counts: the teacher's when given, else the derived one."""
        return self.status if self.override is None else self.override.status

    @property
    def effective_minutes(self) -> int:
        """The minutes that count: the teacher's when given, else the measured ones.

        A teacher's ``absent`` with no minutes counts none: the room's log
        (someone on the student's account) is not what the teacher saw. The
        teacher's minutes count at most ``held_minutes``.
        """
        if self.override is None:
            return self.minutes
        return told_minutes(
            self.override.status, self.override.minutes, self.minutes, most=self.held_minutes
        )

    @property
    def attended_effectively(self) -> bool:
        """Whether the participant counts as having been there at all (not absent, not pending)."""
        return self.effective_status not in (ABSENT, PENDING)


def told_minutes(status: str, minutes: int | None, measured: int, most: int | None = None) -> int:
    """The minutes that count under a teacher's report of ``status`` and ``minutes``.

    The teacher's ``minutes`` when given, at most ``most`` (the whole minutes
    the session was held: a report written before it ended early counts no
    more; ``None``: uncapped); else none for ``absent`` (the teacher says the
    participant was not there, whatever the room logged), else the
    ``measured`` ones.
    """
    if minutes is not None:
        return minutes if most is None else min(minutes, most)
    return 0 if status == ABSENT else measured


def held_until(start: datetime, end: datetime, sealed: object) -> datetime:
    """Return when a session scheduled from ``start`` to ``end`` was held until.

    ``sealed`` is its recorded end, its own field :data:`SEALED_FIELD` (ISO
    8601, written when it entered a terminal status): when that lies after
    ``start`` and before ``end`` (ended early by its lifecycle or its host),
    until then; else (not ended, ended at or after ``end``, or before it
    began: nothing held, as a cancel) until ``end``.
    """
    if isinstance(sealed, str):
        try:
            ended = datetime.fromisoformat(sealed)
        except ValueError:
            return end
        if ended.tzinfo is not None and start < ended < end:
            return ended.astimezone(UTC)
    return end


def held_span(session: Session) -> TimeSpan:
    """Return the span ``session`` was held: its start to :func:`held_until` (its actual end).

    Attendance is judged against it: a lesson ended after 30 minutes of 60
    is attended in full by whoever was there those 30 minutes.
    """
    sealed = session.metadata.get(SEALED_FIELD)
    return TimeSpan(session.start, held_until(session.start, session.end, sealed))


def derive_attendance(
    records: Iterable[Presence],
    *,
    span: TimeSpan,
    session_id: str,
    participant: ResourceRef | str,
    thresholds: AttendanceThresholds | None = None,
    override: AttendanceOverride | None = None,
    as_of: datetime | None = None,
    now: datetime | None = None,
) -> Attendance:
    """Return the attendance of ``participant`` in the session spanning ``span``.

    ``records`` may hold other participants' and duplicates; only this
    participant's count, each id once. ``as_of`` reads the session as it
    stood then (default: at its end, when the room closes, every record
    counted): a join or leave at an instant after it had not happened yet
    (one at ``as_of`` had), so a stay that closed later is still open in
    ``intervals`` and one begun later is not there; a stay still open closes
    at it, and an ``as_of`` inside the span judges the time elapsed so far,
    from the start to ``as_of`` (there since the start is present so far,
    not partial). ``now``, the read's instant, makes a participant who
    would be :data:`ABSENT` :data:`PENDING` while it lies before the session's
    end (default ``None``: the session is read as over, as a decision that is
    taken once it is).
    """
    who = participant_ref(participant)
    read_at = None if now is None else check_instant(now, "now")
    rules = AttendanceThresholds() if thresholds is None else thresholds
    if not isinstance(rules, AttendanceThresholds):
        raise WrongType(thresholds, name="thresholds", expected="AttendanceThresholds or None")
    span, until = _closing(span, as_of)
    # As it stood at ``as_of``: a join or leave at an instant after it had not happened yet
    # (a stay that closed later was still open then, one begun later not begun).
    seen_until = None if as_of is None else check_instant(as_of, "as_of")
    stays = _stays(
        r
        for r in instances_of(records, Presence, name="records")
        if r.participant == who and (seen_until is None or r.at <= seen_until)
    )
    attended = _attended(stays, span, until)
    so_far = TimeSpan(span.start, until) if span.start < until < span.end else span
    status = rules._status(stays, so_far, attended)
    if status == ABSENT and read_at is not None and read_at < span.end:
        status = PENDING
    return Attendance(
        session_id=session_id,
        participant=who,
        intervals=stays,
        attended=attended,
        status=status,
        override=override,
        held_minutes=span.duration // timedelta(minutes=1),
    )


# Show (and pickle) what moved to the private modules under this public path, as before.
_moved: object
for _moved in (PresenceEvent, Presence, AttendanceOverride, override_id, AttendanceThresholds):
    _moved.__module__ = __name__
for _moved in (Interval, intervals_of, connections_of, attended_within):
    _moved.__module__ = __name__
del _moved
