"""The academy demo's platform: its schedules and students, and the academy wired over a store.

The tenant, the teacher, the students' monthly credits and session codes,
the weekly :data:`SCHEDULES`, and :func:`build_academy`, which wires the kit
(the meeting provider behind a :class:`~sessionkit.services.rooms.RoomKeeper`)
over ``--db`` and creates what a run needs unless it is stored: the series,
the subscriptions, and the rooms a stopped run had opened. Kept apart from
the story :mod:`sessionkit.demo.academy` plays and prints by the style's size
limit; that module exports the public names here under its own, as before.
"""

from __future__ import annotations

import contextlib
from datetime import UTC, date, datetime, time, timedelta

import attrs

from sessionkit.demo._common import open_store, step
from sessionkit.errors import DuplicateUsage, SeriesNotFound
from sessionkit.model.query import SessionQuery
from sessionkit.model.series import ScheduleItem
from sessionkit.model.session import ResourceRef, Session
from sessionkit.model.usage import SessionCodes
from sessionkit.recurrence import Recurrence
from sessionkit.services import SessionKit
from sessionkit.services.attendance import attendance_facts
from sessionkit.services.rooms import RoomKeeper
from sessionkit.testing.clocks import ManualClock, RecordingPublisher
from sessionkit.testing.rooms import FakeMeetingRooms
from sessionkit.zones import get_zone

__all__ = [
    "CIRCLE_STUDENTS",
    "CODES",
    "CREDITS",
    "DEMO_NOW",
    "MAKEUP_ID",
    "OPEN_ROOMS",
    "SCHEDULES",
    "TEACHER",
    "TENANT",
    "ZONE",
    "Academy",
    "Schedule",
    "build_academy",
    "first_sessions",
]

DEMO_NOW = datetime(2026, 3, 2, 6, tzinfo=UTC)
"""The demo's "now": Monday 2 March 2026, 09:00 in Riyadh."""

TENANT = "itqan"
"""The academy's tenant."""

ZONE = "Asia/Riyadh"
TEACHER = ResourceRef("teacher", "ahmed")
CIRCLE_STUDENTS = ("student:omar", "student:sara", "student:yusuf")
CODES = SessionCodes(prefix="QSE", format="{prefix}-1-{n:06d}")
"""The academy's session codes: QSE-1-000001, QSE-1-000002, ..."""
CREDITS = {
    "student:omar": 8,
    "student:sara": 8,
    "student:yusuf": 8,
    "student:mariam": 4,
    "student:khalid": 4,
}
"""Each student's monthly credits (sessions per calendar month in Riyadh)."""
MAKEUP_ID = "makeup-mariam-1"


@attrs.frozen
class Schedule:
    """A weekly schedule: series id, title, weekday, local start, minutes, capacity, student."""

    series_id: str
    title: str
    day: str
    at: time
    minutes: int
    capacity: int
    student: str | None = None


SCHEDULES = (
    Schedule("circle-fajr", "Hifz circle", "MO", time(16), 60, 8),
    Schedule("ind-mariam", "Tajweed with Mariam", "MO", time(18), 45, 1, "student:mariam"),
    Schedule("ind-khalid", "Tajweed with Khalid", "MO", time(19), 45, 1, "student:khalid"),
)
"""The academy's schedules: one circle and two individual lessons, every Monday."""


@attrs.frozen
class Academy:
    """The wired academy: the kit, its manual clock, the fake meeting provider and events."""

    kit: SessionKit
    clock: ManualClock
    rooms: FakeMeetingRooms
    events: RecordingPublisher


def build_academy(now: datetime = DEMO_NOW, *, db: str = "memory") -> tuple[Academy, str]:
    """Wire the academy over ``db`` and create its schedules unless stored; return it and where."""
    rooms = FakeMeetingRooms("meet")
    events = RecordingPublisher()
    factory, where = open_store(db, publisher=RoomKeeper(rooms, then=events))
    clock = ManualClock(now)
    kit = SessionKit(uow=factory, clock=clock, facts=attendance_facts(), codes=CODES)
    academy = Academy(kit, clock, rooms, events)
    for schedule in SCHEDULES:
        _ensure_series(kit, schedule)
    _resume_rooms(academy)
    for student, credits in CREDITS.items():
        with contextlib.suppress(DuplicateUsage):  # a rerun: subscribed before
            kit.usage.subscribe(
                TENANT,
                actor="admin",
                subscriber=student,
                credits=credits,
                starts=_month_start(now),  # DEMO_NOW's: 1 March, 00:00 in Riyadh
                tz=ZONE,
                subscription_id=f"sub-{student.split(':')[1]}",
            )
    return academy, where


def _month_start(at: datetime) -> datetime:
    """The first of ``at``'s month, 00:00 in Riyadh: when the subscriptions start."""
    local = at.astimezone(get_zone(ZONE))
    return local.replace(day=1, hour=0, minute=0, second=0, microsecond=0).astimezone(UTC)


OPEN_ROOMS = ("READY", "ONGOING")
"""The statuses whose meeting room is open: entered at READY, closed on leaving ONGOING."""


def _resume_rooms(academy: Academy) -> None:
    """Open again, in this run's fake provider, the rooms a stopped run had opened.

    The fake lives as long as one run; the database outlives it. A run
    stopped (Ctrl-C) between a session's READY and its end left its room open
    in that run's fake only: the rerun, which does not enter READY again,
    would find no room and skip the joins. ``ensure_room`` is what the
    :class:`~sessionkit.services.rooms.RoomKeeper` asks a provider to do again
    (it is idempotent at the provider). After a run that finished no session
    is in these statuses: nothing is called.
    """
    query = SessionQuery(statuses=list(OPEN_ROOMS), sort="start", limit=100)
    for session in academy.kit.queries.list(TENANT, query).items:
        with step("meeting rooms ensure_room", session.id):
            academy.rooms.ensure_room(tenant=TENANT, session_id=session.id, span=session.span)


def _ensure_series(kit: SessionKit, schedule: Schedule) -> None:
    try:
        kit.queries.get_series(TENANT, schedule.series_id)
    except SeriesNotFound:
        pass
    else:
        return
    resources = [TEACHER] + ([] if schedule.student is None else [schedule.student])
    recurrence = Recurrence.weekly(
        days=(schedule.day,),
        at=schedule.at,
        duration=timedelta(minutes=schedule.minutes),
        tz=ZONE,
        start=date(2026, 3, 2),
    )
    kit.series.create(
        TENANT,
        actor="admin",
        title=schedule.title,
        items=[ScheduleItem("weekly", recurrence, resources)],
        lifecycle="academy",
        capacity=schedule.capacity,
        series_id=schedule.series_id,
    )


def first_sessions(academy: Academy) -> dict[str, Session]:
    """Return each schedule's first session, by series id."""
    found: dict[str, Session] = {}
    for schedule in SCHEDULES:
        page = academy.kit.queries.list(
            TENANT, SessionQuery(series_id=schedule.series_id, sort="start", limit=1)
        )
        found[schedule.series_id] = page.items[0]
    return found
