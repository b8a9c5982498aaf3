"""``python -m sessionkit demo``: a small academy scheduled in memory, start to finish.

Three teachers, six groups with weekly schedules in Berlin and New York, and
one deliberate clash: Ana teaches Chemistry A in Berlin on Monday evenings
and is also booked for a New York group on Monday lunchtimes, which is the
same hour. Every group is materialised two months ahead; the demo prints the
groups, the conflict report and next week's agenda per teacher.

Like ``cli.py`` this is a composition root, so it may import the in-memory
adapter. The clock is fixed, so the output is the same on every run.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta

from sessionkit.adapters.memory import InMemoryStore
from sessionkit.model.series import ScheduleItem
from sessionkit.model.session import ResourceRef, Session
from sessionkit.recurrence import Recurrence
from sessionkit.services import MaterialiseReport, SessionKit
from sessionkit.zones import get_zone

__all__ = ["DEMO_NOW", "FixedClock", "build_academy", "render"]

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


class FixedClock:
    """A :class:`~sessionkit.ports.Clock` that always says the same instant."""

    def __init__(self, instant: datetime) -> None:
        self._instant = instant

    def now(self) -> datetime:
        """Return the fixed instant."""
        return self._instant


def _ids() -> Iterator[str]:
    for n in itertools.count(1):
        yield f"s{n:04d}"


def build_academy(now: datetime = DEMO_NOW) -> tuple[SessionKit, list[MaterialiseReport]]:
    """Create the six groups in a fresh in-memory store; return the kit and the reports."""
    store = InMemoryStore()
    ids = _ids()
    kit = SessionKit(uow=store.unit_of_work, clock=FixedClock(now), ids=lambda: next(ids))
    reports = []
    for group_id, title, teacher, days, at, minutes, zone in GROUPS:
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


def _when(session: Session) -> str:
    local = session.start.astimezone(get_zone(session.tz))
    end = session.end.astimezone(get_zone(session.tz))
    return (
        f"{local:%a %d %b %H:%M}-{end:%H:%M} {local:%Z} "
        f"({session.start:%H:%M}Z, {session.start.astimezone(get_zone(BERLIN)):%H:%M} Berlin)"
    )


def render(now: datetime = DEMO_NOW) -> str:
    """Build the academy and return the demo's report as text."""
    kit, reports = build_academy(now)
    lines = [
        f"sessionkit demo: a small academy, in memory; now is {now:%a %Y-%m-%d %H:%M} UTC",
        "",
        "Groups, materialised two months ahead:",
    ]
    for (group_id, title, teacher, days, at, minutes, zone), report in zip(
        GROUPS, reports, strict=True
    ):
        schedule = f"{'+'.join(days)} {at:%H:%M} {zone} ({minutes} min)"
        lines.append(
            f"  {group_id:<8} {title:<15} {teacher.id:<5} {schedule:<38} "
            f"{len(report.created):>2} created, {len(report.skipped)} skipped"
        )
    lines += ["", "Conflict report:"]
    skipped = [skip for report in reports for skip in report.skipped]
    lines += [f"  {skip.describe()}" for skip in skipped] or ["  none"]
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
