"""``python -m sessionkit demo coaching``: the Skileez coaching platform (seed 004), rebuilt.

**A contract is N sessions.** The seed's proposal of ``N`` sessions between a
student and a coach is ``N`` extra sessions of the ``coaching`` preset
(SCHEDULED -> COMPLETED, CANCELLED, MISSED), each with the own fields
``contract`` and ``number`` (the seed's ``session_number``). Coach and
student are both resources of every session, so neither is booked twice.
Sessions are kept in the coach's zone; the student reads them in her own.

**Reschedule requests** are ``kit.reschedules`` under
:func:`~sessionkit.policies.coaching_notice`: students ask with 24 hours'
notice, coaches with 48, within 10 hours only students; the other side has
24 hours to answer and silence approves (the tick ``kit.approve_reschedules``).

**Completion and no-shows.** Either side completes a started session with
notes (``kit.sessions.fire(..., "complete", role=..., notes=...)``, kept as the
session's own field ``coach_notes`` or ``student_notes``). A session nobody
completed becomes MISSED 30 minutes after its start, on the ``kit.advance_due``
tick, if nobody attended: :class:`Attendance` answers the ``attended`` fact
from who joined the session (its ``joined`` own field). Attendance here is
per session; per-participant no-shows come with the attendance issue.

Every write is keyed (a contract's sessions by number, a request by its role
and reason), so running the demo again on the same database finds what it
made and writes nothing twice.
"""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime, timedelta

import attrs

from sessionkit.adapters.memory import InMemoryStore
from sessionkit.demo._common import every_session
from sessionkit.model.query import SessionQuery
from sessionkit.model.reschedule import RescheduleRequest
from sessionkit.model.session import ResourceRef, Session
from sessionkit.policies import coaching_notice
from sessionkit.ports import UnitOfWork, UnitOfWorkFactory
from sessionkit.services import SessionKit
from sessionkit.testing.clocks import ManualClock
from sessionkit.zones import get_zone

__all__ = [
    "DEFAULT_DB",
    "DEMO_NOW",
    "TENANT",
    "Attendance",
    "Coaching",
    "Contract",
    "Person",
    "Progress",
    "build_coaching",
    "complete",
    "contract_sessions",
    "join",
    "progress",
    "sign",
]

DEFAULT_DB = "sqlite:///sessionkit-coaching.sqlite3"
"""Where the coaching demo keeps its data unless ``--db`` says otherwise."""

DEMO_NOW = datetime(2026, 3, 2, 14, tzinfo=UTC)
"""The demo's "now": Monday 2 March 2026, 15:00 in Berlin, 09:00 in New York."""

TENANT = "skileez"
"""The platform's tenant."""


@attrs.frozen
class Person:
    """A student or a coach: the role they act as, their id, name and zone."""

    role: str
    slug: str
    name: str
    zone: str

    @property
    def ref(self) -> ResourceRef:
        """The person as a resource of their sessions."""
        return ResourceRef(self.role, self.slug)

    def local(self, at: datetime) -> str:
        """Return ``at`` on this person's wall clock, e.g. ``Tue 03 Mar 12:00 EST``."""
        return f"{at.astimezone(get_zone(self.zone)):%a %d %b %H:%M %Z}"


@attrs.frozen(kw_only=True)
class Contract:
    """``count`` weekly sessions of ``minutes``, ``student`` with ``coach``, from ``first``."""

    key: str
    student: Person
    coach: Person
    subject: str
    count: int
    first: datetime
    minutes: int = 60


class Attendance:
    """The ``attended`` fact of each session: whether anyone joined it (its ``joined`` field).

    A :class:`~sessionkit.ports.FactProvider`: ``kit.advance_due`` asks it
    before marking a session MISSED. It knows nothing per participant.
    """

    def facts_for(
        self,
        sessions: Sequence[Session],
        uow: UnitOfWork,  # noqa: ARG002  # the port's signature; the sessions carry the fact
    ) -> Mapping[str, Mapping[str, object]]:
        """Return ``{session_id: {"attended": bool}}`` for every session asked about."""
        return {s.id: {"attended": bool(s.metadata.get("joined"))} for s in sessions}


@attrs.frozen
class Coaching:
    """The wired kit and its hand-driven clock."""

    kit: SessionKit
    clock: ManualClock


def build_coaching(
    now: datetime = DEMO_NOW,
    *,
    uow: UnitOfWorkFactory | None = None,
    ids: Callable[[], str] | None = None,
) -> Coaching:
    """Wire the platform over ``uow`` (a fresh in-memory store for ``None``) at ``now``."""
    factory = InMemoryStore().unit_of_work if uow is None else uow
    if ids is None:  # a database outlives this run: ids no earlier run gave
        counter = (f"k{n:04d}" for n in itertools.count(1))
        ids = (lambda: next(counter)) if uow is None else (lambda: uuid.uuid4().hex)
    clock = ManualClock(now)
    kit = SessionKit(
        uow=factory, clock=clock, ids=ids, facts=Attendance(), notice=coaching_notice()
    )
    return Coaching(kit=kit, clock=clock)


def contract_sessions(c: Coaching, contract: Contract) -> list[Session]:
    """Return the contract's sessions, by number."""
    query = SessionQuery(fields={"contract": contract.key})
    return sorted(every_session(c.kit, TENANT, query), key=lambda s: int(s.metadata["number"]))


def sign(c: Coaching, contract: Contract) -> list[Session]:
    """Create the contract's sessions (those not made yet); return all of them, by number."""
    made = {int(s.metadata["number"]) for s in contract_sessions(c, contract)}
    zone = get_zone(contract.coach.zone)
    first = contract.first.astimezone(zone).replace(tzinfo=None)
    for number in range(1, contract.count + 1):
        if number in made:
            continue
        # The same wall time every week in the coach's zone, whatever DST does.
        start = (first + timedelta(weeks=number - 1)).replace(tzinfo=zone)
        c.kit.sessions.create_extra(
            TENANT,
            actor=contract.coach.slug,
            start=start,
            end=start + timedelta(minutes=contract.minutes),
            title=f"{contract.subject} {number}/{contract.count} with {contract.student.name}",
            resources=[contract.coach.ref, contract.student.ref],
            tz=contract.coach.zone,
            lifecycle="coaching",
            metadata={"contract": contract.key, "number": number},
        )
    return contract_sessions(c, contract)


def join(c: Coaching, session: Session, who: Person) -> Session:
    """Record that ``who`` joined ``session`` (what :class:`Attendance` reads)."""
    joined = list(session.metadata.get("joined", []))
    if who.role in joined:
        return session
    return c.kit.sessions.set_fields(
        TENANT, session.id, actor=who.slug, set={"joined": [*joined, who.role]}
    )


def complete(c: Coaching, session: Session, who: Person, notes: str) -> Session:
    """``who`` marks ``session`` completed with ``notes`` (a rerun finds it completed)."""
    current = c.kit.queries.get(TENANT, session.id)
    if current.status != "SCHEDULED":
        return current
    return c.kit.sessions.fire(
        TENANT, session.id, "complete", actor=who.slug, role=who.role, notes=notes
    )


@attrs.frozen(kw_only=True)
class Progress:
    """A contract's progress and rates, computed by the store (``kit.analytics``).

    ``held``: sessions whose time came (COMPLETED or MISSED); the completion
    and no-show rates are out of those. ``moved``: sessions an approved
    request moved (the reschedule rate is out of all sessions). ``due`` and
    ``on_track``: see :class:`sessionkit.model.analytics.Progress`.
    ``requests`` tallies the contract's requests by status (its history,
    read session by session).
    """

    total: int
    statuses: Mapping[str, int]
    requests: Mapping[str, int]
    moved: int
    due: int = 0
    on_track: bool = True

    @property
    def completed(self) -> int:
        """Sessions completed."""
        return self.statuses.get("COMPLETED", 0)

    @property
    def held(self) -> int:
        """Sessions whose time came: completed or missed."""
        return self.completed + self.statuses.get("MISSED", 0)

    @property
    def progress(self) -> float:
        """Completed out of the contract's sessions."""
        return self.completed / self.total if self.total else 0.0

    @property
    def completion_rate(self) -> float:
        """Completed out of the sessions held."""
        return self.completed / self.held if self.held else 0.0

    @property
    def no_show_rate(self) -> float:
        """Missed out of the sessions held."""
        return self.statuses.get("MISSED", 0) / self.held if self.held else 0.0

    @property
    def reschedule_rate(self) -> float:
        """Sessions moved out of the contract's sessions."""
        return self.moved / self.total if self.total else 0.0


def progress(c: Coaching, contract: Contract) -> Progress:
    """Return the contract's progress: its figures from ``kit.analytics``, its request history."""
    scope = SessionQuery(fields={"contract": contract.key})
    analytics = c.kit.analytics
    done = analytics.progress(TENANT, scope, total=contract.count)
    moved = analytics.rates(TENANT, scope=scope).get().rescheduled
    requests: dict[str, int] = {}
    for session in contract_sessions(c, contract):
        history: list[RescheduleRequest] = c.kit.reschedules.for_session(TENANT, session.id)
        for request in history:
            requests[request.status] = requests.get(request.status, 0) + 1
    return Progress(
        total=contract.count,
        statuses=analytics.counts(TENANT, scope=scope).by_status(),
        requests=requests,
        moved=moved,
        due=done.due,
        on_track=done.on_track,
    )
