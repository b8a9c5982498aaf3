"""``python -m sessionkit demo academy``: the Quran academy (seed 002), rebuilt.

**Sessions.** A circle (a group, capacity 8) and two individual lessons
(capacity 1) are weekly schedules (series) of the ``academy`` preset, so every
session is generated in SCHEDULED. The teacher is a resource of all of them.

**The clock and presence drive the lifecycle.** ``kit.advance_due`` makes a
session READY 15 minutes before its start; :class:`~sessionkit.services.rooms.RoomKeeper`
(the store's publisher) opens its meeting room then, through the lifecycle
event. Joins and leaves come from the meeting provider (here the shipped
:class:`~sessionkit.testing.rooms.FakeMeetingRooms`) and go to
``kit.attendance.record_presence``: the first join makes the session ONGOING.
Ten minutes after its end the clock completes it and its room closes; an
individual lesson nobody joined is ABSENT 15 minutes past its start (its
room closes too); a circle is never ABSENT: one nobody attended is cancelled
ten minutes after its end (no credit; its room closes).

**Attendance.** Derived per student from the join / leave log (present,
late, left early, partial, absent); the teacher's report overrides it and is
kept apart, both shown.

**Subscriptions and codes.** Every student has a monthly subscription
(``kit.usage``): a session entering COMPLETED or ABSENT (the preset's
``counts_usage`` statuses) uses one credit of each confirmed student's
subscription, exactly once, in the same unit of work; a cancelled one never
does. The teacher will travel next Monday: he cancels Mariam's lesson of that
day and gives her a makeup on Thursday, charged as the lesson it replaces,
so the pair uses one credit.
Every session gets the academy's code when it is created ("QSE-1-000001").

**Analytics.** At the end, ``kit.analytics`` counts attended minutes and
attendance by student (the store sums the join / leave log; the teacher's
report wins) and subscription use per period from the usage ledger.

Every write is keyed (series by id, bookings by idempotency key, presence by
the provider's event id, the override by session and student), and a step
whose session has moved on is skipped, so a rerun on the same database
writes nothing twice. A step whose host code (the meeting provider, a fact
provider) raises stops the demo in one line, with status 1
(:class:`~sessionkit.demo._common.StepFailed`); running it again retries it.

This module keeps the story (the first Monday played, its report printed);
the platform it plays on (the tenant, the teacher, the schedules and credits,
:class:`Academy` and :func:`build_academy`) is kept in ``_academy_platform``
beside it, by the style's size limit, and exported from here under this name.
"""

from __future__ import annotations

# The imports written ``name as name`` are public names of this module from before the split
# (some no longer used here), or, unused, where the moved Academy's and Schedule's type hints
# resolve (their __module__ is this one).
import contextlib
from collections.abc import Sequence
from datetime import datetime, timedelta
from datetime import time as time

from sessionkit.demo._academy_figures import figures
from sessionkit.demo._academy_platform import CIRCLE_STUDENTS as CIRCLE_STUDENTS
from sessionkit.demo._academy_platform import CODES as CODES
from sessionkit.demo._academy_platform import CREDITS as CREDITS
from sessionkit.demo._academy_platform import DEMO_NOW, SCHEDULES, TENANT, Academy, build_academy
from sessionkit.demo._academy_platform import MAKEUP_ID as MAKEUP_ID
from sessionkit.demo._academy_platform import OPEN_ROOMS as OPEN_ROOMS
from sessionkit.demo._academy_platform import TEACHER as TEACHER
from sessionkit.demo._academy_platform import ZONE as ZONE
from sessionkit.demo._academy_platform import Schedule as Schedule
from sessionkit.demo._academy_platform import first_sessions as first_sessions
from sessionkit.demo._common import all_due_done, now_in_utc, step
from sessionkit.errors import DuplicateSession, SessionNotFound
from sessionkit.model.attendance import JOIN, LEAVE, PRESENT
from sessionkit.model.query import SessionQuery
from sessionkit.model.session import ResourceRef, Session
from sessionkit.model.usage import MAKEUP_FIELD
from sessionkit.services import SessionKit as SessionKit
from sessionkit.testing.clocks import ManualClock as ManualClock
from sessionkit.testing.clocks import RecordingPublisher as RecordingPublisher
from sessionkit.testing.rooms import FakeMeetingRooms as FakeMeetingRooms
from sessionkit.zones import get_zone

__all__ = [
    "DEFAULT_DB",
    "DEMO_NOW",
    "SCHEDULES",
    "TENANT",
    "Academy",
    "build_academy",
    "render",
]

DEFAULT_DB = "sqlite:///sessionkit-academy.sqlite3"
"""Where the academy demo keeps its data unless ``--db`` says otherwise."""


class _Story:
    def __init__(self, academy: Academy) -> None:
        self.a = academy
        self.kit = academy.kit
        self.lines: list[str] = []

    def tick(self, at: datetime) -> None:
        self.a.clock.set(at)
        report = self.kit.advance_due(TENANT, now=at)
        for session in report.advanced:
            self.lines.append(f"  {_local(at)}  tick: {session.title} -> {session.status}")
        all_due_done("advance_due", ((f.session_id, f.error) for f in report.failed))

    def presence(self, session: Session, batch: str, moves: Sequence[tuple[str, str, int]]) -> None:
        """Play joins / leaves (who, action, minutes from the start) in the session's room.

        The meeting provider and the kit's fact provider are host code: an error of
        theirs stops the demo in one line (:class:`~sessionkit.demo._common.StepFailed`).
        """
        rooms = self.a.rooms
        with step("meeting rooms is_open", session.id):
            if not rooms.is_open(TENANT, session.id):
                return  # a rerun: the session has moved on and its room was closed before
        for n, (who, action, minutes) in enumerate(moves):
            at = session.start + timedelta(minutes=minutes)
            key = f"{session.id}-{batch}{n}"  # the provider's event id, the same on every run
            with step(f"meeting rooms {action}", session.id):
                if action == JOIN:
                    rooms.join(TENANT, session.id, who, at=at, event_id=key)
                else:
                    rooms.leave(TENANT, session.id, who, at=at, event_id=key)
        with step("meeting rooms drain", session.id):
            # Webhooks arrive twice and out of order; neither matters.
            events = rooms.drain(duplicate=True, shuffle=True)
        at = session.start + timedelta(minutes=max(m for _, _, m in moves))
        with step("kit.attendance.record_presence", session.id):
            report = self.kit.attendance.record_presence(TENANT, events, now=at)
        started = ", ".join(f"{s.title} -> {s.status}" for s in report.started) or "no change"
        self.lines.append(
            f"  {_local(at)}  presence: {report.recorded} recorded, "
            f"{report.duplicates} duplicates ignored; {started}"
        )


def _local(at: datetime) -> str:
    return f"{at.astimezone(get_zone(ZONE)):%a %H:%M}"


def _dated(at: datetime) -> str:
    """``at`` with its date: Mariam's two Monday lessons are told apart."""
    return f"{at.astimezone(get_zone(ZONE)):%a %d %b %H:%M}"


def play(academy: Academy) -> list[str]:
    """Play the first Monday: READY, joins, ONGOING, COMPLETED, ABSENT, an override."""
    story = _Story(academy)
    kit = academy.kit
    firsts = first_sessions(academy)
    circle, mariam, khalid = (firsts[s.series_id] for s in SCHEDULES)
    for session, who in [(circle, w) for w in CIRCLE_STUDENTS] + [
        (mariam, "student:mariam"),
        (khalid, "student:khalid"),
    ]:
        with step("kit.bookings.book", session.id):
            kit.bookings.book(
                TENANT,
                session.id,
                who,
                actor="admin",
                confirm=True,
                idempotency_key=f"{session.id}-{who}",
            )
    story.tick(circle.start - timedelta(minutes=15))
    story.presence(
        circle,
        "j",
        [
            (str(TEACHER), JOIN, -5),
            ("student:omar", JOIN, -2),
            ("student:yusuf", JOIN, 0),
            ("student:sara", JOIN, 12),
        ],
    )
    story.presence(
        circle,
        "l",
        [
            ("student:yusuf", LEAVE, 20),
            ("student:omar", LEAVE, 60),
            ("student:sara", LEAVE, 60),
            (str(TEACHER), LEAVE, 60),
        ],
    )
    story.tick(circle.end + timedelta(minutes=10))
    # Yusuf's connection dropped; his teacher saw him recite the whole hour.
    told = {str(a.participant): a.override for a in kit.attendance.for_session(TENANT, circle.id)}
    if told.get("student:yusuf") is None:
        with step("kit.attendance.override", circle.id):
            kit.attendance.override(
                TENANT,
                circle.id,
                "student:yusuf",
                status=PRESENT,
                minutes=60,
                reason="connection dropped; recited the whole hour",
                actor="ahmed",
                now=circle.end + timedelta(minutes=20),
            )
        reported = _local(circle.end + timedelta(minutes=20))
        story.lines.append(f"  {reported}  teacher: yusuf present")
    story.tick(mariam.start - timedelta(minutes=15))
    story.presence(mariam, "j", [("student:mariam", JOIN, 3)])
    story.presence(mariam, "l", [("student:mariam", LEAVE, 30)])
    story.tick(khalid.start - timedelta(minutes=15))
    story.tick(mariam.end + timedelta(minutes=10))
    story.tick(khalid.start + timedelta(minutes=15))
    _makeup(academy, story)
    return story.lines


def _second(academy: Academy, series_id: str) -> Session:
    page = academy.kit.queries.list(
        TENANT, SessionQuery(series_id=series_id, sort="start", limit=2)
    )
    return page.items[1]


def _makeup(academy: Academy, story: _Story) -> None:
    """The teacher cancels Mariam's next Monday lesson and gives a makeup on Thursday."""
    kit = academy.kit
    second = _second(academy, "ind-mariam")
    start = second.start - timedelta(days=4)  # Thursday, 18:00
    if second.status != "CANCELLED":
        at = start - timedelta(days=2, hours=8)  # Tuesday morning
        academy.clock.set(at)
        with step("kit.sessions.cancel", second.id):
            kit.sessions.cancel(TENANT, second.id, actor="ahmed", reason="teacher travelling")
        story.lines.append(
            f"  {_local(at)}  teacher: Mariam's lesson of {second.start:%d %b} cancelled "
            "(no credit), a makeup on Thursday"
        )
    try:
        with step("kit.sessions.create_extra", MAKEUP_ID):
            makeup = kit.sessions.create_extra(
                TENANT,
                actor="ahmed",
                start=start,
                end=start + timedelta(minutes=45),
                resources=[TEACHER, ResourceRef.parse("student:mariam")],
                lifecycle="academy",
                capacity=1,
                title="Tajweed makeup",
                session_id=MAKEUP_ID,
            )
    except DuplicateSession:  # a rerun: given before; a stopped run may not have marked it
        makeup = kit.queries.get(TENANT, MAKEUP_ID)
    if makeup.metadata.get(MAKEUP_FIELD) is None:
        with step("kit.usage.mark_makeup", makeup.id):
            kit.usage.mark_makeup(TENANT, makeup.id, replaces=second.id, actor="ahmed")
    with step("kit.bookings.book", makeup.id):
        kit.bookings.book(  # a rerun replays the first booking (its idempotency key)
            TENANT,
            makeup.id,
            "student:mariam",
            actor="admin",
            confirm=True,
            idempotency_key=MAKEUP_ID,
        )
    story.tick(makeup.start - timedelta(minutes=15))
    story.presence(makeup, "j", [("student:mariam", JOIN, 1), (str(TEACHER), JOIN, 0)])
    story.presence(makeup, "l", [("student:mariam", LEAVE, 45), (str(TEACHER), LEAVE, 45)])
    story.tick(makeup.end + timedelta(minutes=10))


def render(now: datetime = DEMO_NOW, *, db: str = "memory") -> str:
    """Build the academy in ``db``, play its first Monday, and return the report as text."""
    academy, where = build_academy(now, db=db)
    lines = [
        f"sessionkit demo academy: a Quran academy in {where}; now is {now_in_utc(now)}",
        "",
        "Schedules (Riyadh time):",
    ]
    for s in SCHEDULES:
        kind = "circle" if s.capacity > 1 else f"individual ({s.student})"
        lines.append(
            f"  {s.series_id:<12} {s.title:<22} {s.day} {s.at:%H:%M} {s.minutes} min, {kind}"
        )
    lines += ["", "The first Monday, as the clock and the meeting room saw it:"]
    lines += play(academy) or ["  already played: every session has moved on (nothing written)"]
    lines += ["", "Sessions and attendance (automatic / teacher / counts):"]
    for session in first_sessions(academy).values():
        lines.append(f"  {session.title} at {_local(session.start)}: {session.status}")
        for a in academy.kit.attendance.for_session(TENANT, session.id):
            told = "-" if a.override is None else a.override.status
            lines.append(
                f"    {a.participant!s:<16} {a.status:<10} {a.minutes:>3} min / {told:<8}"
                f" / {a.effective_status} {a.effective_minutes} min"
            )
    lines += ["", "Session codes:"]
    shown = [*first_sessions(academy).values(), _second(academy, "ind-mariam")]
    with contextlib.suppress(SessionNotFound):
        shown.append(academy.kit.queries.get(TENANT, MAKEUP_ID))
    for session in shown:
        code = academy.kit.usage.code_of(TENANT, session.id) or "(none)"
        lines.append(f"  {code}  {session.title} {_dated(session.start)} {session.status}")
    # The first Monday's month, whatever --now says (DEMO_NOW's is March).
    held = first_sessions(academy)[SCHEDULES[0].series_id].start
    month = f"{held.astimezone(get_zone(ZONE)):%B}"
    lines += ["", f"Subscriptions in {month} (a credit per COMPLETED or ABSENT session, once):"]
    for student in CREDITS:
        balance = academy.kit.usage.balance(TENANT, f"sub-{student.split(':')[1]}", at=held)
        lines.append(
            f"  {student:<16} used {balance.used} of {balance.credits}, {balance.remaining} left"
        )
    titles = {s.id: f"{s.title} ({s.start.astimezone(get_zone(ZONE)):%d %b})" for s in shown}
    calls = [f"{verb} {titles.get(sid, sid)}" for verb, _tenant, sid in academy.rooms.calls]
    lines += ["", "Meeting room calls (from lifecycle events): " + (", ".join(calls) or "none")]
    lines += ["", *figures(academy.kit, TENANT, at=held, month=month)]
    return "\n".join(lines)


# Show (and pickle) what moved to the platform's module under this public path, as before.
_moved: object
for _moved in (Academy, Schedule, build_academy, first_sessions):
    _moved.__module__ = __name__
del _moved
