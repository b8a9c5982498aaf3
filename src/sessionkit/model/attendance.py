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

import hashlib
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import ClassVar, Final, Literal

import attrs

from sessionkit.errors import InvalidValue, WrongType
from sessionkit.errors._base import check_int, instances_of, shown, shown_duration
from sessionkit.model.booking import participant_ref
from sessionkit.model.html import html_of
from sessionkit.model.records import ATTENDANCE, Schema
from sessionkit.model.session import (
    MAX_ID_LENGTH,
    MAX_NAME_LENGTH,
    MAX_REF_LENGTH,
    ResourceRef,
    Session,
    check_identity,
    check_lengths,
)
from sessionkit.model.text import check_id, storable
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
PENDING: Final = "pending"
"""Derived only, never reported: not there (yet) in a session not over at the read's instant.

:func:`derive_attendance` gives it in place of :data:`ABSENT` when asked
with ``now`` before the session's end: the participant may still come."""

JOIN: Final = "join"
"""A participant entered the meeting."""
LEAVE: Final = "leave"
"""A participant left the meeting."""

Action = Literal["join", "leave"]

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

MAX_OVERRIDE_REASON_LENGTH: Final = 2000
"""Longest reason a teacher may give for an override."""


# One named converter per field: the error names the field ("at must be timezone-aware").
def _at(value: datetime) -> datetime:
    return check_instant(value, "at")


def _received_at(value: datetime) -> datetime:
    return check_instant(value, "received_at")


def _decided_at(value: datetime) -> datetime:
    return check_instant(value, "decided_at")


def _action(value: object) -> str:
    if value not in (JOIN, LEAVE):
        raise InvalidValue(
            f"a presence action must be 'join' or 'leave', got {shown(value)}",
            value=value,
            expected="'join' or 'leave'",
        )
    assert isinstance(value, str)
    return value


def _text(value: object, name: str, limit: int) -> str:
    if not isinstance(value, str):
        raise WrongType(value, name=name, expected="a non-empty string")
    if not value or value.strip() != value or len(value) > limit or ":" in value:
        raise InvalidValue(
            f"{name} must be 1..{limit} characters, no ':' nor surrounding spaces, got "
            f"{shown(value)}",
            value=value,
            expected=f"1..{limit} characters without ':'",
        )
    return storable(value, name)


def _provider(value: object) -> str:
    return _text(value, "provider", MAX_NAME_LENGTH)


@attrs.frozen(slots=True, kw_only=True)
class PresenceEvent:
    """One join or leave as the meeting provider reports it (a webhook, a log line).

    ``provider`` names the provider (``"livekit"``) and ``event_id`` is the
    provider's own id for the event: the pair identifies it, so the same event
    delivered twice is stored once. ``at`` is when the participant joined or
    left (aware; kept in UTC).
    """

    provider: str = attrs.field(converter=_provider)
    event_id: str
    session_id: str
    participant: ResourceRef = attrs.field(converter=participant_ref)
    action: str = attrs.field(converter=_action)
    at: datetime = attrs.field(converter=_at)

    def __attrs_post_init__(self) -> None:
        if not isinstance(self.event_id, str) or not self.event_id:
            raise InvalidValue(
                f"a presence event_id must be a non-empty string, got {shown(self.event_id)}",
                value=self.event_id,
                expected="a non-empty string",
            )
        storable(self.event_id, "event_id")  # the stores keep it: no NUL, no lone surrogate
        check_id(self.session_id, "session_id")
        if len(self.key) <= MAX_ID_LENGTH:
            check_id(self.key, "provider:event_id")  # the stored event's id, by the id rule
        if len(self.key) > MAX_ID_LENGTH:
            raise InvalidValue(
                f"presence event key {shown(self.key)} is longer than {MAX_ID_LENGTH} characters",
                value=self.event_id,
                expected=f"provider and event_id of at most {MAX_ID_LENGTH - 1} characters",
            )

    @property
    def key(self) -> str:
        """The id the event is stored under: ``provider:event_id``."""
        return f"{self.provider}:{self.event_id}"


@attrs.frozen(slots=True, kw_only=True)
class Presence:
    """A stored presence event: one per tenant and ``provider:event_id`` (its ``id``)."""

    id: str
    tenant: str
    session_id: str
    participant: ResourceRef = attrs.field(converter=participant_ref)
    action: str = attrs.field(converter=_action)
    at: datetime = attrs.field(converter=_at)
    received_at: datetime = attrs.field(converter=_received_at)
    version: int = 1

    def __attrs_post_init__(self) -> None:
        check_identity(self, "session_id")

    @classmethod
    def of(cls, tenant: str, event: PresenceEvent, received_at: datetime | None = None) -> Presence:
        """Return the record of ``event`` for ``tenant`` (received at ``received_at``, default ``at``)."""  # noqa: E501
        if not isinstance(event, PresenceEvent):
            raise WrongType(event, name="event", expected="a PresenceEvent")
        return cls(
            id=event.key,
            tenant=tenant,
            session_id=event.session_id,
            participant=event.participant,
            action=event.action,
            at=event.at,
            received_at=event.at if received_at is None else received_at,
        )


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


def _delta(value: object, name: str) -> timedelta:
    """The threshold ``name``: a timedelta of at least zero."""
    if not isinstance(value, timedelta) or value < timedelta(0):
        raise InvalidValue(
            f"AttendanceThresholds.{name} must be a timedelta >= 0, got {shown_duration(value)}",
            value=value,
            expected="a timedelta >= 0",
        )
    return value


def _late_after(value: object) -> timedelta:
    return _delta(value, "late_after")


def _left_early_before(value: object) -> timedelta:
    return _delta(value, "left_early_before")


def _absent_below(value: object) -> timedelta:
    return _delta(value, "absent_below")


def _fraction(value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 1:
        raise InvalidValue(
            f"AttendanceThresholds.partial_below must be a fraction 0..1, got {shown(value)}",
            value=value,
            expected="0..1",
        )
    return float(value)


@attrs.frozen(kw_only=True)
class AttendanceThresholds:
    """When presence counts as late, left early, partial or absent: values, not code.

    - ``late_after``: a first join later than ``start + late_after`` is late.
    - ``left_early_before``: a last leave earlier than ``end - left_early_before``
      is leaving early.
    - ``partial_below``: attended less than this fraction of the session is partial.
    - ``absent_below``: attended less than this (and never at all) is absent.

    Partial is judged before late, and late before left early: a participant
    who came late *and* stayed a fraction is partial. Late and left early
    read the stays that overlap the session: a visit wholly before its start
    or after its end does not make a late arrival punctual or an early
    leaver present.
    """

    late_after: timedelta = attrs.field(default=timedelta(minutes=5), converter=_late_after)
    left_early_before: timedelta = attrs.field(
        default=timedelta(minutes=5), converter=_left_early_before
    )
    partial_below: float = attrs.field(default=0.5, converter=_fraction)
    absent_below: timedelta = attrs.field(default=timedelta(minutes=1), converter=_absent_below)

    def status(self, intervals: Iterable[Interval], span: TimeSpan, attended: timedelta) -> str:
        """Return the status of someone present in ``intervals`` for ``attended`` of ``span``."""
        span = _span(span)
        if not isinstance(attended, timedelta):
            raise WrongType(attended, name="attended", expected="a timedelta")
        return self._status(instances_of(intervals, Interval, name="intervals"), span, attended)

    def _status(self, stays: Iterable[Interval], span: TimeSpan, attended: timedelta) -> str:
        """:meth:`status` of values already checked."""
        found = [
            stay
            for stay in stays
            if stay.joined < span.end and (stay.left is None or stay.left > span.start)
        ]
        if not found or attended < self.absent_below:
            return ABSENT
        length = span.end - span.start
        if length > timedelta(0) and attended / length < self.partial_below:
            return PARTIAL
        if found[0].joined > span.start + self.late_after:
            return LATE
        last = found[-1].left
        if last is not None and last < span.end - self.left_early_before:
            return LEFT_EARLY
        return PRESENT


@attrs.frozen
class Interval:
    """One stay in the meeting: ``joined`` to ``left`` (``None``: still there)."""

    joined: datetime
    left: datetime | None


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


def _span(value: object) -> TimeSpan:
    if not isinstance(value, TimeSpan):
        raise WrongType(value, name="span", expected="a TimeSpan")
    return value


def intervals_of(records: Iterable[Presence]) -> tuple[Interval, ...]:
    """Return the stays ``records`` add up to, deduplicated by id and in time order.

    Each join opens a connection (a participant on a phone and a laptop has
    two) and each leave ends one; a participant is in while any is open, so
    the stays are the union of their connections, overlaps counted once. A
    leave with none open is ignored, and the joins and leaves at one instant
    cancel out pair by pair: a reconnect (in) stays one stay, and a join that
    failed at once (out) makes none. So the result depends on the set of
    events only, never on the order they arrived in.
    """
    return _stays(instances_of(records, Presence, name="records"))


def connections_of(records: Iterable[Presence]) -> tuple[tuple[datetime, int], ...]:
    """Return, per instant of ``records`` in time order, how many connections are open after it.

    Deduplicated by id; the walk :func:`intervals_of` takes: the joins less
    the leaves at each instant, never below none.
    """
    return _connections(instances_of(records, Presence, name="records"))


def _connections(records: Iterable[Presence]) -> tuple[tuple[datetime, int], ...]:
    """:func:`connections_of` of records already checked."""
    net: dict[datetime, int] = {}
    for record in {r.id: r for r in records}.values():
        net[record.at] = net.get(record.at, 0) + (1 if record.action == JOIN else -1)
    walk: list[tuple[datetime, int]] = []
    open_ = 0
    for at in sorted(net):
        open_ = max(0, open_ + net[at])
        walk.append((at, open_))
    return tuple(walk)


def _stays(records: Iterable[Presence]) -> tuple[Interval, ...]:
    """:func:`intervals_of` of records already checked."""
    stays: list[Interval] = []
    since: datetime | None = None
    for at, open_ in _connections(records):
        if open_ and since is None:
            since = at
        elif not open_ and since is not None:
            stays.append(Interval(since, at))
            since = None
    if since is not None:
        stays.append(Interval(since, None))
    return tuple(stays)


def attended_within(
    intervals: Iterable[Interval], span: TimeSpan, as_of: datetime | None = None
) -> timedelta:
    """Return the time ``intervals`` cover inside ``span``; an open stay runs to ``as_of`` or the end."""  # noqa: E501
    span, until = _closing(span, as_of)
    return _attended(instances_of(intervals, Interval, name="intervals"), span, until)


def _closing(span: object, as_of: object) -> tuple[TimeSpan, datetime]:
    """The checked ``span`` and when its open stays close: ``as_of``, or its end if sooner."""
    checked = _span(span)
    return checked, checked.end if as_of is None else min(
        checked.end, check_instant(as_of, "as_of")
    )


def _attended(stays: Iterable[Interval], span: TimeSpan, until: datetime) -> timedelta:
    """:func:`attended_within` of values already checked, open stays running to ``until``."""
    total = timedelta(0)
    for stay in stays:
        left = until if stay.left is None else stay.left
        begin, end = max(stay.joined, span.start), min(left, until)
        if end > begin:
            total += end - begin
    return total


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
