"""``python -m sessionkit demo marketplace``: the tutoring marketplace (seed 001), paid.

Two tutors publish weekly availability as series of slots: 1-to-1 slots (one
seat) and group slots (up to 20). The tutor is each slot's busy resource, so a
tutor's slots never overlap: Tina's group on Wednesdays clashes with her own
1-to-1 slot and those occurrences are skipped. Students pay the tutor's
hourly rate x the slot's duration (:data:`RATES`, a
:class:`~sessionkit.policies.Rate` per tutor) through the payment provider
(the shipped fake here); a seat is held for 15 minutes until the payment
succeeds. The story: a hold paid, a hold left to expire unpaid (its seat is
free again without any job having run, its intent cancelled), a group filled
to capacity, a waitlist whose offer passes on when unclaimed, a student
cancelling (refunded) and a tutor cancelling (every participant refunded),
edits refused on a booked slot and allowed on an unbooked one, a booking
refused beyond the 4-week horizon, and at the end the slots that ended
unbooked (those of the week since publication) removed in bulk. A
reminder job (:func:`due_reminders`) tells each paid seat once, a day ahead.
``build_marketplace(paid=False)`` wires it without a
provider (seats confirmed by hand), for the scenarios of seats alone.

Slots use the ``marketplace`` preset (the seed's OPEN -> IN_PROGRESS ->
COMPLETED, or CANCELLED); the tentative/paid state belongs to each booking
(:data:`~sessionkit.model.booking.BOOKING_LIFECYCLE`). OPEN is busy (so the
tutor is blocked and the slot takes bookings) and editable (so an unbooked
slot can change; the booking rules' ``lock_booked`` freezes a booked one).

Every booking carries an idempotency key and existing availability is only
topped up, so running the demo again on the same database writes nothing new.
The clock is fixed (``DEMO_NOW`` unless ``--now`` says otherwise) and the story
advances it by hand, so a first run prints the same report every time. This
module is the platform (its rules, lifecycle, publishing and cleanup);
:mod:`sessionkit.demo.marketplace_story` replays the seed's workflows on it and
renders the report.
"""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, time, timedelta

import attrs

from sessionkit.adapters.memory import InMemoryStore
from sessionkit.demo._common import all_done, resume_provider
from sessionkit.errors import (
    ConcurrentModification,
    SeriesNotFound,
    SessionNotFound,
    TransientConflict,
)
from sessionkit.model.booking import CONFIRMED
from sessionkit.model.money import Money
from sessionkit.model.query import SessionQuery
from sessionkit.model.series import ScheduleItem, WindowPolicy
from sessionkit.model.session import ResourceRef, Session
from sessionkit.policies import BookingRules, Pricing, Rate
from sessionkit.ports import BOOKINGS, PAYMENTS, UnitOfWorkFactory
from sessionkit.recurrence import Recurrence
from sessionkit.services import MaterialiseReport, SessionKit
from sessionkit.services.attendance import AttendancePolicy
from sessionkit.services.rooms import JoinRules
from sessionkit.testing.clocks import ManualClock
from sessionkit.testing.payments import FakeGateway
from sessionkit.zones import check_instant, get_zone

__all__ = [
    "ATTENDANCE",
    "DEFAULT_DB",
    "DEMO_NOW",
    "OFFERS",
    "RATES",
    "REMIND_BEFORE",
    "RULES",
    "TENANT",
    "Marketplace",
    "Offer",
    "build_marketplace",
    "due_reminders",
    "next_slot",
    "price",
    "publish",
    "require_bookings",
    "require_payments",
]

DEFAULT_DB = "sqlite:///sessionkit-marketplace.sqlite3"
"""Where the marketplace demo keeps its data unless ``--db`` says otherwise."""

DEMO_NOW = datetime(2026, 3, 2, 7, 0, tzinfo=UTC)
"""The demo's "now": Monday 2 March 2026, 08:00 in Berlin."""

TENANT = "demo-marketplace"
BERLIN = "Europe/Berlin"

RULES = BookingRules(
    max_horizon=timedelta(weeks=4),
    max_capacity=20,
    hold_for=timedelta(minutes=15),
    offer_for=timedelta(hours=1),
    waitlist=True,
    lock_booked=True,
    reschedule_booked=False,  # "modification allowed only if no bookings exist": no request either
    publish_in_horizon=True,
    zone=BERLIN,
)
"""The marketplace's booking rules: 4-week horizon, groups up to 20, 15-minute holds.

A slot published (or moved) by hand must start after now and within the 4
weeks, as the seed's slot creation asks ("no past dates, max 4 weeks ahead").
"""

ATTENDANCE = AttendancePolicy(join_transition=None, join=JoinRules(joinable={"IN_PROGRESS"}))
"""The marketplace's attendance: joins are recorded and start nothing; the room is entered live.

"Instructor starts session -> Status IN_PROGRESS": the tutor fires ``start``
(the preset's ``start`` leaves OPEN at any time, so the default policy's
start-on-join let a student's join, or a stranger's, start a slot a week
ahead and lock it against edits). "-> Agora Channel creation": a
``RoomKeeper(rooms, open_on="IN_PROGRESS")`` opens the slot's room then, and
``kit.attendance.join_credential`` lets its tutor and booked students in
while it is IN_PROGRESS (the default join rules name the academy's READY and
ONGOING, which this lifecycle has not: every credential was refused).
"""

PUBLISHED_BEFORE = timedelta(days=7)
"""The demo's tutors published their availability this long before "now"."""

WINDOW = WindowPolicy(initial_months=1, buffer=timedelta(weeks=5))
"""Slots are published a month ahead and topped up to keep 5 weeks shown.

A week past the 4-week horizon: a student sees the slots coming and is told
when each opens for booking (``BookingRefused`` ``max_horizon`` with
``allows_at``)."""


TINA = ResourceRef("tutor", "tina")
OMAR = ResourceRef("tutor", "omar")
TUTORS = (TINA, OMAR)

RATES = {TINA: Money.of(40, "EUR"), OMAR: Money.of(30, "EUR")}
"""Each tutor's hourly rate: a booking costs it x the slot's duration, per seat."""


def price(session: Session) -> Pricing | None:
    """The marketplace's pricing: the slot's tutor's hourly rate (a slot without one is free)."""
    rates = [RATES[r] for r in session.resources if r in RATES]
    return Rate(rates[0]) if rates else None


@attrs.frozen
class Offer:
    """A tutor's weekly availability: one series of slots with ``capacity`` seats each."""

    id: str
    title: str
    tutor: ResourceRef
    days: tuple[str, ...]
    at: time
    minutes: int
    capacity: int


OFFERS = (
    Offer("tina-1to1", "Maths 1-to-1", TINA, ("MO", "WE"), time(16, 0), 60, 1),
    # Wednesdays clash with Tina's own 1-to-1 slot (16:00-17:00): skipped, never double-booked.
    Offer("tina-group", "Maths exam group", TINA, ("WE", "SA"), time(16, 30), 90, 20),
    Offer("omar-1to1", "Chemistry 1-to-1", OMAR, ("TU", "TH"), time(17, 0), 60, 1),
    Offer("omar-group", "Chemistry study group", OMAR, ("FR",), time(18, 0), 60, 3),
)
"""What the demo's tutors publish (Berlin local times)."""


@attrs.frozen
class Marketplace:
    """The wired kit, its hand-driven clock, and what publishing the offers did."""

    kit: SessionKit
    clock: ManualClock
    published: list[list[MaterialiseReport]]
    gateway: FakeGateway | None = None


def _ids(prefix: str) -> Iterator[str]:
    for n in itertools.count(1):
        yield f"{prefix}{n:04d}"


def require_bookings(uow: UnitOfWorkFactory) -> None:
    """Raise ``UnsupportedKind`` now if the store cannot keep bookings (before any write)."""
    with uow() as unit:
        unit.repository(BOOKINGS)


def require_payments(uow: UnitOfWorkFactory) -> None:
    """Raise ``UnsupportedKind`` now if the store cannot keep bookings and payments."""
    require_bookings(uow)
    with uow() as unit:
        unit.repository(PAYMENTS)


def build_marketplace(
    now: datetime = DEMO_NOW,
    *,
    uow: UnitOfWorkFactory | None = None,
    ids: Callable[[], str] | None = None,
    paid: bool = True,
) -> Marketplace:
    """Publish every offer (or top up the ones already stored); return the marketplace.

    The tutors published a week before ``now`` (so the week behind has slots to
    clean up), and the rolling window is topped up at ``now``. Each offer's
    entry lists what that did: the publication and the top-up, or only a
    top-up (or nothing) for an offer already stored. ``paid=False`` wires no
    payment provider and no prices: seats are confirmed by hand.
    """
    # Refused before ``now - PUBLISHED_BEFORE`` can overflow (near year 1), as the
    # other demos' kits refuse such a clock.now().
    check_instant(now, "clock.now()")
    factory = InMemoryStore().unit_of_work if uow is None else uow
    (require_payments if paid else require_bookings)(factory)
    if ids is None:
        # Readable ids in memory; a database outlives the run, so ids that never collide.
        counter = _ids("m")
        ids = (lambda: next(counter)) if uow is None else (lambda: uuid.uuid4().hex)
    clock = ManualClock(now - PUBLISHED_BEFORE)
    gateway = None
    if paid:  # the provider's ids, too, must never collide with an earlier run's
        gateway = FakeGateway(clock=clock.now, ids=None if uow is None else ids)
    kit = SessionKit(
        uow=factory,
        clock=clock,
        ids=ids,
        booking_rules=RULES,
        attendance=ATTENDANCE,
        gateway=gateway,
        pricing=price if paid else None,
    )
    made = {o.id: [publish(kit, o)] for o in OFFERS if not _exists(kit, o.id)}
    clock.set(now)
    if gateway is not None and uow is not None:  # what a stopped earlier run left to finish
        resume_provider(kit, gateway, [TENANT])
    topped = kit.top_up(TENANT, actor="demo")
    all_done(topped.failed)
    for refill in topped.refilled:
        made.setdefault(refill.series_id, []).append(refill)
    published = [made.get(o.id, []) for o in OFFERS]
    return Marketplace(kit=kit, clock=clock, published=published, gateway=gateway)


def publish(kit: SessionKit, offer: Offer) -> MaterialiseReport:
    """Publish ``offer`` as a series of slots (the rules refuse more than 20 seats)."""
    recurrence = Recurrence.weekly(
        days=offer.days,
        at=offer.at,
        duration=timedelta(minutes=offer.minutes),
        tz=BERLIN,
        start=kit.context.now().astimezone(get_zone(BERLIN)).date(),  # the day it is published
    )
    _, report = kit.series.create(
        TENANT,
        actor=offer.tutor.id,
        title=offer.title,
        items=[ScheduleItem("weekly", recurrence, [offer.tutor])],
        lifecycle="marketplace",
        window=WINDOW,
        capacity=offer.capacity,
        series_id=offer.id,
    )
    return report


def _exists(kit: SessionKit, series_id: str) -> bool:
    try:
        kit.queries.get_series(TENANT, series_id)
    except SeriesNotFound:
        return False
    return True


def next_slot(kit: SessionKit, offer_id: str, after: datetime) -> Session | None:
    """Return the offer's first slot starting at or after ``after`` (``None``: none published)."""
    page = kit.queries.list(TENANT, SessionQuery(series_id=offer_id, start_from=after, limit=1))
    return page.items[0] if page.items else None


REMIND_BEFORE = timedelta(hours=24)
"""A student with a paid seat is reminded of it once, this long (or less) before it starts."""


def due_reminders(
    kit: SessionKit, *, within: timedelta = REMIND_BEFORE
) -> list[tuple[Session, str]]:
    """Return the reminders to send now: each paid seat of an open slot starting ``within``, once.

    The seed's reminder emails (its "Notifications", left TODO): a job calls
    this every few minutes and sends what it returns (slot, participant). The
    slot's own field ``reminded`` lists who was told. It is written before the
    sending, at the version read, so two jobs racing tell each student once
    (the loser skips the slot; the next run looks again), and a job that stops
    in between loses those reminders rather than doubling them. A slot whose
    claim is refused (changed, deleted or cancelled since it was read) is
    skipped, never the reminders claimed already for the others. A storage
    failure (a database down or read-only) is raised, and so is a claim the
    database kept refusing past the kit's runs (a ``TransientConflict``: a
    deadlock, SQLite's table lock): skipped, it read as nothing due, run
    after run. A seat paid after its slot's reminders went
    out is told at the next run.
    """
    now = kit.context.now()
    query = SessionQuery(start_from=now, start_to=now + within, statuses=["OPEN"])
    due: list[tuple[Session, str]] = []
    for slot in kit.queries.each(TENANT, query):
        told = set(slot.metadata.get("reminded", ()))
        seats = kit.bookings.for_session(TENANT, slot.id, statuses=[CONFIRMED])
        new = sorted({str(b.participant) for b in seats} - told)
        if not new:
            continue
        try:
            kit.sessions.set_fields(
                TENANT,
                slot.id,
                actor="reminders",
                set={"reminded": sorted(told.union(new))},
                expected_version=slot.version,
            )
        except TransientConflict:
            # A ConcurrentModification, but the database's (a deadlock, SQLite's table lock)
            # past the kit's runs, not a claim that lost: skipped, a lock that stays read
            # as nothing due, run after run.
            raise
        except (ConcurrentModification, SessionNotFound):
            # Another job (or an edit, a cancel) came first, or the slot was deleted
            # meanwhile: that slot waits for the next run; the others' claims stand.
            continue
        due += [(slot, who) for who in new]
    return due
