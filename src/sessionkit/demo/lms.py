"""``python -m sessionkit demo``: a small academy (seed 000) in a database, start to finish.

Three teachers, six groups with weekly schedules in Berlin and New York, and
one deliberate clash: Ana teaches Chemistry A in Berlin on Monday evenings
and is also booked for a New York group on Monday lunchtimes, which is the
same hour. Every group is materialised two months ahead; the demo prints the
groups, the conflict report and next week's agenda per teacher.

The store is a SQLite file by default (``--db`` takes any SQLAlchemy URL, or
``memory``). Running the demo again finds the groups already there and only
tops them up, so it never duplicates anything; pass a later ``--now`` to see
the rolling window refill.

Like ``sessionkit.cli`` this is a composition root, so it may import the adapters. The
clock is fixed (``DEMO_NOW`` unless ``--now`` says otherwise), so the output of
a first run is the same every time.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta

from sessionkit.adapters.memory import InMemoryStore
from sessionkit.demo._common import FixedClock, all_done, now_in_utc, open_store
from sessionkit.errors import SeriesNotFound
from sessionkit.model.series import ScheduleItem
from sessionkit.model.session import ResourceRef, Session
from sessionkit.ports import UnitOfWorkFactory
from sessionkit.recurrence import Recurrence
from sessionkit.services import MaterialiseReport, SessionKit
from sessionkit.zones import get_zone

__all__ = ["DEFAULT_DB", "DEMO_NOW", "FixedClock", "build_academy", "open_store", "render"]

DEFAULT_DB = "sqlite:///sessionkit-demo.sqlite3"
"""Where the demo keeps its academy unless ``--db`` says otherwise."""

DEMO_NOW = datetime(2026, 3, 2, 7, 0, tzinfo=UTC)
"""The demo's "now": Monday 2 March 2026, 08:00 in Berlin."""

TENANT = "demo-academy"
BERLIN = "Europe/Berlin"
NEW_YORK = "America/New_York"

ANA = ResourceRef("teacher", "ana")
BEN = ResourceRef("teacher", "ben")
CHEN = ResourceRef("teacher", "chen")
TEACHERS = (ANA, BEN, CHEN)

# id, title, teacher, days, local time, minutes, zone
GROUPS: tuple[tuple[str, str, ResourceRef, tuple[str, ...], time, int, str], ...] = (
    ("chem-a", "Chemistry A", ANA, ("MO", "WE"), time(18, 0), 90, BERLIN),
    ("math-b", "Mathematics B", BEN, ("TU", "TH"), time(17, 0), 90, BERLIN),
    ("phys-c", "Physics C", ANA, ("FR",), time(16, 0), 60, BERLIN),
    ("eng-ny", "English (NY)", CHEN, ("MO", "WE"), time(10, 0), 60, NEW_YORK),
    ("span-ny", "Spanish (NY)", CHEN, ("TU", "TH"), time(15, 0), 60, NEW_YORK),
    # The clash: Monday 12:30-13:30 in New York overlaps 18:00-19:30 in Berlin (Chemistry A)
    # whichever of the two zones is on summer time.
    ("chem-ny", "Chemistry (NY)", ANA, ("MO", "TH"), time(12, 30), 60, NEW_YORK),
)


def _ids(prefix: str, after: int = 0) -> Iterator[str]:
    for n in itertools.count(after + 1):
        yield f"{prefix}{n:04d}"


def _last_used(uow: UnitOfWorkFactory, prefix: str) -> int:
    """The highest number after ``prefix`` among the stored session ids (0 for none).

    A run stopped half-way (Ctrl-C) at this ``--now`` kept the groups it had
    made; a rerun numbers the rest after them, not again from 1.
    """
    reader = SessionKit(uow=uow, clock=FixedClock(DEMO_NOW))
    numbers = (s.id.removeprefix(prefix) for s in reader.queries.each(TENANT))
    return max((int(n) for n in numbers if n.isascii() and n.isdigit()), default=0)


def build_academy(
    now: datetime = DEMO_NOW, *, uow: UnitOfWorkFactory | None = None
) -> tuple[SessionKit, list[MaterialiseReport | None]]:
    """Create the six groups (or top up the ones already stored); return the kit and reports.

    A report is ``None`` for a group that already existed and needed no refill.
    """
    in_memory = uow is None
    factory = uow if uow is not None else InMemoryStore().unit_of_work
    # Readable ids; a database keeps them across runs, so each run's own prefix.
    prefix = "s" if in_memory else f"s{now:%Y%m%d%H%M}-"
    ids = _ids(prefix, 0 if in_memory else _last_used(factory, prefix))
    kit = SessionKit(uow=factory, clock=FixedClock(now), ids=lambda: next(ids))
    existing = {group[0] for group in GROUPS if _exists(kit, group[0])}
    topped = kit.top_up(TENANT, actor="demo")
    all_done(topped.failed)
    refills = {r.series_id: r for r in topped.refilled}
    reports: list[MaterialiseReport | None] = []
    for group_id, title, teacher, days, at, minutes, zone in GROUPS:
        if group_id in existing:
            reports.append(refills.get(group_id))
            continue
        recurrence = Recurrence.weekly(
            days=days,
            at=at,
            duration=timedelta(minutes=minutes),
            tz=zone,
            start=date(2026, 2, 23),
        )
        _, report = kit.series.create(
            TENANT,
            actor="demo",
            title=title,
            items=[ScheduleItem("weekly", recurrence, [teacher])],
            series_id=group_id,
        )
        reports.append(report)
    return kit, reports


def _exists(kit: SessionKit, series_id: str) -> bool:
    try:
        kit.queries.get_series(TENANT, series_id)
    except SeriesNotFound:
        return False
    return True


def _when(session: Session) -> str:
    local = session.start.astimezone(get_zone(session.tz))
    end = session.end.astimezone(get_zone(session.tz))
    return (
        f"{local:%a %d %b %H:%M}-{end:%H:%M} {local:%Z} "
        f"({session.start:%H:%M}Z, {session.start.astimezone(get_zone(BERLIN)):%H:%M} Berlin)"
    )


def render(now: datetime = DEMO_NOW, *, db: str = "memory") -> str:
    """Build (or top up) the academy in ``db`` and return the demo's report as text."""
    factory, where = open_store(db)
    kit, reports = build_academy(now, uow=None if db == "memory" else factory)
    lines = [
        f"sessionkit demo: a small academy in {where}; now is {now_in_utc(now)}",
        "",
        "Groups, materialised two months ahead:",
    ]
    for (group_id, title, teacher, days, at, minutes, zone), report in zip(
        GROUPS, reports, strict=True
    ):
        schedule = f"{'+'.join(days)} {at:%H:%M} {zone} ({minutes} min)"
        outcome = (
            "already scheduled, nothing to top up"
            if report is None
            else f"{len(report.created):>2} created, {len(report.skipped)} skipped"
        )
        lines.append(f"  {group_id:<8} {title:<15} {teacher.id:<5} {schedule:<38} {outcome}")
    lines += ["", "Conflict report:"]
    skipped = [skip for report in reports if report is not None for skip in report.skipped]
    # A rerun generates nothing, so it skips nothing: "none" read as "the clash is gone".
    quiet = "  none" if any(r is not None for r in reports) else "  none new: nothing generated"
    lines += [f"  {skip.describe()}" for skip in skipped] or [quiet]
    monday = now.date() + timedelta(days=7 - now.weekday())
    start = datetime.combine(monday, time(0), tzinfo=UTC)
    end = start + timedelta(days=7)
    lines += ["", f"Agenda for the week of {monday:%a %d %b %Y} (UTC):"]
    for teacher in TEACHERS:
        agenda = kit.queries.agenda(TENANT, teacher, start=start, end=end)
        lines.append(f"  {teacher}: {len(agenda)} session(s)")
        lines += [f"    {_when(s)}  {s.title}" for s in agenda]
    total = kit.queries.list(TENANT).total
    lines += ["", f"{total} sessions stored, {len(skipped)} occurrence(s) skipped."]
    return "\n".join(lines)
