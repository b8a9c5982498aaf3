"""The marketplace demo's story and report: the seed's booking workflows, replayed and printed.

``python -m sessionkit demo marketplace`` calls :func:`render`; the platform itself
(rules, prices, slot lifecycle, publishing, cleanup) is :mod:`sessionkit.demo.marketplace`.
Every step is safe to run again: bookings carry idempotency keys, and a step
that changes something already changed (a payment, a cancel) looks first. A
rerun at the same ``--now`` replays the steps but not their lines: each would
print what is stored now as what the step did, so the report says the story
was already played and shows the stored state.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta

from sessionkit.demo._common import now_in_utc, open_store, provider_calls_done
from sessionkit.demo.marketplace import (
    BERLIN,
    DEMO_NOW,
    OFFERS,
    PUBLISHED_BEFORE,
    RULES,
    TENANT,
    TUTORS,
    Marketplace,
    build_marketplace,
    next_slot,
)
from sessionkit.errors import BookingRefused, CapacityExceeded, InvalidValue, SessionLocked
from sessionkit.model.booking import OFFERED, Booking
from sessionkit.model.money import Money, sum_money
from sessionkit.model.payment import PARTIALLY_REFUNDED, PENDING, REFUNDED
from sessionkit.model.query import MAX_LIMIT, SessionQuery
from sessionkit.model.session import Session
from sessionkit.ports import UnitOfWorkFactory
from sessionkit.services import SessionKit
from sessionkit.zones import get_zone

__all__ = ["play", "render", "run_story", "summary"]


def _local(at: datetime) -> str:
    return f"{at.astimezone(get_zone(BERLIN)):%a %d %b %H:%M}"


def _hhmm(at: datetime) -> str:
    return f"{at.astimezone(get_zone(BERLIN)):%H:%M}"


def _slot(session: Session) -> str:
    return f"{session.title} {_local(session.start)}"


HORIZON = RULES.max_horizon or timedelta(0)
"""How far ahead a student may book (the rules' 4 weeks): the story's slots lie within it."""


_STORY_SPAN = timedelta(hours=3)
"""How far past its ``--now`` a play's own steps move the clock (its last is at 125 minutes)."""


class _Story:
    """Runs the seed's workflows on the kit, moving the clock; collects what happened."""

    def __init__(self, market: Marketplace) -> None:
        assert market.gateway is not None, "the story is the paid marketplace"
        self.kit = market.kit
        self.gateway = market.gateway
        self.clock = market.clock
        self.start = market.clock.now()
        # This play's mark in its keys: a rerun at the same --now replays them, and one at a
        # later --now leaves the slots an earlier play booked to it (see :meth:`slot`). In
        # UTC: the same instant given with another offset (08:00+01:00 for 07:00Z) is the
        # same play, not a second one that books every seat again.
        self.play = f"{self.start.astimezone(UTC):%Y%m%dT%H%M}"
        self.lines: list[str] = []

    def at(self, minutes: int) -> None:
        self.clock.set(self.start + timedelta(minutes=minutes))

    def say(self, text: str) -> None:
        self.lines.append(f"  {_local(self.clock.now())}  {text}")

    def slot(self, offer_id: str, after: datetime, *, bookable: bool = True) -> Session:
        """The offer's first slot from ``after`` that no other play has booked.

        ``bookable``: one within the booking horizon from ``--now``. Plays at
        several ``--now`` on one file use the slots up: with none left the
        story says so (``InvalidValue``, one line from the command line).
        """
        horizon = self.start + HORIZON if bookable else None
        since = after
        while True:
            found = next_slot(self.kit, offer_id, since)
            if found is None or (horizon is not None and found.start > horizon):
                raise self._used_up(offer_id, after)  # from where the story looked, not since
            keys = [
                b.idempotency_key or "" for b in self.kit.bookings.for_session(TENANT, found.id)
            ]
            if all(key.endswith(f"@{self.play}") for key in keys):
                return found
            since = found.end

    def _used_up(self, offer_id: str, after: datetime) -> InvalidValue:
        """Say why no slot is left: an earlier play booked them, or a later one removed them.

        A later play is told by its bookings' instants, not by its mark (the
        ``--now``'s UTC digits, text to match, not an instant): one made past
        this play's own steps (:data:`_STORY_SPAN`) was made at a later ``--now``.
        """
        made = [
            b.created_at
            for session in self.kit.queries.each(TENANT)
            for b in self.kit.bookings.for_session(TENANT, session.id)
            if not (b.idempotency_key or "").endswith(f"@{self.play}")
        ]
        latest = max(made, default=None)
        if latest is not None and latest > self.start + _STORY_SPAN:
            return InvalidValue(
                f"--now {self.start.isoformat()}: this database was played at a later --now "
                f"(bookings made at {latest.isoformat()}), which removed the {offer_id} slots "
                f"from {after.isoformat()} that nobody had booked by then; play on a fresh "
                "--db, or at a --now a week or more after that",
                value=self.start,
                expected=f"a --now after {latest.isoformat()}",
            )
        return InvalidValue(
            f"--now {self.start.isoformat()}: no {offer_id} slot from "
            f"{after.isoformat()} is left that an earlier play of this database did "
            "not book; play on a fresh --db, or at a --now a week or more later",
            value=self.start,
            expected="a --now whose slots no earlier play booked",
        )

    def book(self, student: str, slot: Session, *, waitlist: bool = False) -> Booking:
        key = f"{student}@{slot.id}@{self.play}"
        price = ""
        if waitlist:  # a place in the queue is free; the seat is paid for when offered
            booking = self.kit.bookings.book(
                TENANT,
                slot.id,
                f"student:{student}",
                actor=student,
                role="student",
                waitlist=True,
                idempotency_key=key,
            )
        else:
            checkout = self.kit.payments.book(
                TENANT,
                slot.id,
                f"student:{student}",
                actor=student,
                role="student",
                idempotency_key=key,
            )
            booking, price = checkout.booking, f", {checkout.payment.amount} to pay"
        until = (
            "" if booking.hold_expires_at is None else f" until {_hhmm(booking.hold_expires_at)}"
        )
        where = "" if booking.position is None else f" at position {booking.position}"
        self.say(f"{student} books {_slot(slot)}: {booking.status}{where}{until}{price}")
        return booking

    def pay(self, student: str, booking: Booking) -> Booking:
        kit, gateway = self.kit, self.gateway
        payment = kit.payments.for_booking(TENANT, booking.id)
        if payment is None and booking.status == OFFERED:  # a waitlist offer: pay to claim
            payment = kit.payments.claim(TENANT, booking.id, actor=student).payment
        # A rerun's fresh provider does not know an earlier run's intents; those were settled.
        ref = None if payment is None else payment.intent_ref
        if payment is not None and payment.status == PENDING and ref in gateway.intents:
            gateway.pay(ref)
            for event in gateway.drain():  # the provider's webhook
                kit.payments.apply(TENANT, event)
        paid = kit.bookings.get(TENANT, booking.id)
        self.say(f"{student}'s payment succeeded: {paid.status}")
        return paid

    def cancel(self, who: str, booking: Booking) -> None:
        if self.kit.bookings.get(TENANT, booking.id).active:
            self.kit.bookings.cancel(TENANT, booking.id, actor=who, reason="plans changed")
        provider_calls_done(self.kit, TENANT)  # its refund: said if the provider failed it
        status = self.kit.bookings.get(TENANT, booking.id).status
        self.say(f"{who} cancels their own seat: {status}, {self.refunded(booking)} refunded")

    def refunded(self, booking: Booking) -> Money:
        payment = self.kit.payments.for_booking(TENANT, booking.id)
        assert payment is not None
        return Money.of(payment.refunded, payment.currency)

    def seats(self, slot: Session) -> int:
        return self.kit.bookings.remaining_seats(TENANT, [slot.id])[slot.id]

    def played(self, *slots: Session) -> bool:
        """Whether this play booked any of ``slots`` before (they hold no other play's)."""
        return any(self.kit.bookings.for_session(TENANT, s.id) for s in slots)


def run_story(market: Marketplace) -> list[str]:
    """Replay the seed's booking workflows (idempotently); return the story's lines.

    A rerun at the same ``--now`` replays every step (nothing is written twice) and
    returns no lines: its steps find the first play's bookings, whose statuses have
    moved on, and would tell a story that contradicts itself.
    """
    story, kit, now = _Story(market), market.kit, market.clock.now()
    one = story.slot("tina-1to1", now + timedelta(days=1))
    other = story.slot("tina-1to1", one.end)
    spare = story.slot("tina-1to1", other.end)
    group = story.slot("omar-group", now + timedelta(days=1))
    later_group = story.slot("omar-group", group.end)
    far = story.slot("tina-1to1", now + HORIZON, bookable=False)

    story.clock.set(now - PUBLISHED_BEFORE + timedelta(hours=1))
    past = story.slot("omar-group", story.clock.now())
    played = story.played(past, one, other, group, later_group)  # before any step writes
    if past.start < now:  # else an earlier play, at an earlier --now, booked last week's
        story.say("-- last week: a group seat, booked and paid")
        story.pay("lea", story.book("lea", past))
    story.at(0)
    story.say("-- 1-to-1: a hold, then payment")
    story.pay("ana", story.book("ana", one))
    story.say("-- 1-to-1: a hold nobody pays for")
    story.book("ben", other)
    story.at(20)
    story.say(f"no job has run; {_slot(other)} has {story.seats(other)} seat free again")
    story.pay("cai", story.book("cai", other))
    ben = kit.bookings.for_session(TENANT, other.id)[0]
    ben_paid = kit.payments.for_booking(TENANT, ben.id)
    ben_status = "none" if ben_paid is None else ben_paid.status
    story.say(f"ben's hold is now {ben.status}, its payment {ben_status}")

    story.at(30)
    story.say(f"-- a group of {group.capacity}: it fills, then a waitlist")
    held = {s: story.book(s, group) for s in ("ana", "dan", "eve")}
    for student, booking in held.items():
        story.pay(student, booking)
    try:
        kit.payments.book(TENANT, group.id, "student:kim", actor="kim")
    except CapacityExceeded as full:
        story.say(f"kim, no waitlist: CapacityExceeded, {full.remaining} of {full.capacity} free")
    fay = story.book("fay", group, waitlist=True)
    story.book("gus", group, waitlist=True)
    story.at(40)
    story.cancel("eve", held["eve"])
    story.say(f"fay is {kit.bookings.get(TENANT, fay.id).status}; she lets the offer lapse")
    story.at(105)
    report = kit.expire_holds(TENANT)
    story.say(f"expiry job: {report.expired} expired, {report.offered} offered on")
    gus_booking = next(
        b for b in kit.bookings.for_session(TENANT, group.id) if b.participant.id == "gus"
    )
    story.pay("gus", gus_booking)

    story.at(120)
    story.say("-- a tutor cancels a booked group slot; the 4-week horizon; edits")
    for student in ("hal", "ivy"):
        story.pay(student, story.book(student, later_group))
    if kit.queries.get(TENANT, later_group.id).status != "CANCELLED":
        kit.sessions.cancel(TENANT, later_group.id, actor="omar", reason="tutor ill")
    provider_calls_done(kit, TENANT)
    cancelled = kit.bookings.for_session(TENANT, later_group.id, statuses=["CANCELLED"])
    back = sum_money((story.refunded(b) for b in cancelled), "EUR")
    story.say(
        f"omar cancels {_slot(later_group)}: {len(cancelled)} bookings CANCELLED, "
        f"{back} refunded to them"
    )

    story.at(125)
    try:
        kit.payments.book(TENANT, far.id, "student:jon", actor="jon")
    except BookingRefused as refused:
        opens = "never" if refused.allows_at is None else _local(refused.allows_at)
        story.say(f"jon books {_slot(far)}: refused, {refused.rule}, opens {opens}")
    try:
        kit.sessions.update(TENANT, one.id, actor="tina", title="Maths 1-to-1 (exam focus)")
    except SessionLocked as locked:
        story.say(f"tina renames her booked {_local(one.start)} slot: SessionLocked")
        story.say(f"  ({locked.reason})")
    kit.sessions.update(TENANT, spare.id, actor="tina", title="Maths 1-to-1 (exam focus)")
    story.say(f"tina renames her unbooked {_local(spare.start)} slot: done")
    return [] if played else story.lines


def summary(market: Marketplace) -> list[str]:
    """Return the report lines: slots per tutor, bookings per status, free seats, an agenda."""
    kit, now = market.kit, market.clock.now()
    lines = ["", "Slots per tutor (upcoming, by status):"]
    for tutor in TUTORS:
        slots = kit.queries.agenda(TENANT, tutor, start=now, end=now + timedelta(weeks=6))
        kinds = Counter("group" if s.capacity > 1 else "1-to-1" for s in slots)
        statuses = Counter(s.status for s in slots)
        lines.append(
            f"  {tutor}: {len(slots)} slots ({kinds['1-to-1']} 1-to-1, {kinds['group']} group); "
            + ", ".join(f"{n} {status}" for status, n in sorted(statuses.items()))
        )
    booked = [
        s
        for s in kit.queries.list(TENANT, SessionQuery(start_from=now, limit=MAX_LIMIT)).items
        if kit.bookings.for_session(TENANT, s.id)
    ]
    bookings = [b for s in booked for b in kit.bookings.for_session(TENANT, s.id)]
    by_status = Counter(b.status for b in bookings)
    lines += ["", f"Bookings in upcoming slots by status ({len(bookings)} in {len(booked)} slots):"]
    lines += [f"  {status:<10} {n}" for status, n in sorted(by_status.items())]
    lines += ["", "Remaining seats in booked slots:"]
    seats = kit.bookings.remaining_seats(TENANT, [s.id for s in booked])
    for slot in booked:
        left = "cancelled" if slot.status == "CANCELLED" else f"{seats[slot.id]} of {slot.capacity}"
        lines.append(f"  {_slot(slot):<40} {left}")
    open_ = kit.bookings.bookable(TENANT, start=now, end=now + timedelta(weeks=4))
    lines.append(f"  {len(open_)} slots bookable within the 4-week horizon")
    lines += [
        "",
        "Payments (hourly rate x duration, EUR):",
        *_money(kit),
    ]
    lines += ["", "ana's agenda (next 7 days):"]
    for booking in kit.bookings.agenda(TENANT, "student:ana", days=7):
        slot = kit.queries.get(TENANT, booking.session_id)
        lines.append(f"  {_slot(slot):<40} {booking.status}")
    return lines


def _money(kit: SessionKit) -> list[str]:
    """The payments per status and the money, as the database sums them (``kit.analytics``)."""
    revenue = kit.analytics.revenue(TENANT, by="status")
    count = Counter({row.key: row.payments for row in revenue.rows})
    refunds = f"{count[REFUNDED] + count[PARTIALLY_REFUNDED]} refunds, {count[REFUNDED]} in full"
    paid_in, back, kept = (revenue.total(f, "EUR") for f in ("paid", "refunded", "kept"))
    return [
        "  " + ", ".join(f"{n} {status}" for status, n in sorted(count.items())),
        f"  {paid_in} paid in, {back} refunded ({refunds}), {kept} kept",
    ]


def render(now: datetime = DEMO_NOW, *, db: str = "memory") -> str:
    """Build (or top up) the marketplace in ``db``, run the story and return the report.

    ``db`` is ``"memory"`` or a SQLAlchemy URL; a store that cannot keep bookings
    raises ``UnsupportedKind`` before anything is written to it.
    """
    factory, where = open_store(db)
    return play(now, uow=None if db == "memory" else factory, where=where)


def play(now: datetime = DEMO_NOW, *, uow: UnitOfWorkFactory | None = None, where: str = "") -> str:
    """Run the demo on ``uow`` (a fresh in-memory store for ``None``); return the report."""
    market = build_marketplace(now, uow=uow)
    where = where or "memory"
    lines = [
        f"sessionkit demo marketplace: tutoring in {where}; now is {now_in_utc(now)}",
        "",
        f"Weekly availability (Berlin), published {_local(now - PUBLISHED_BEFORE)}, a month ahead:",
    ]
    for offer, reports in zip(OFFERS, market.published, strict=True):
        when = f"{'+'.join(offer.days)} {offer.at:%H:%M} ({offer.minutes} min)"
        created = sum(len(r.created) for r in reports)
        skipped = sum(len(r.skipped) for r in reports)
        outcome = (
            f"{created:>2} slots, {skipped} skipped (tutor busy)"
            if reports
            else "already published, nothing to top up"
        )
        seats = f"{offer.capacity:>2} seat(s)"
        lines.append(f"  {offer.id:<11} {offer.tutor.id:<5} {when:<24} {seats}  {outcome}")
    lines += ["", "What happened (Berlin time):"]
    note = "  already played at this --now: replayed on the stored bookings (nothing written twice)"
    lines += run_story(market) or [note]
    lines += summary(market)
    cleanup = market.kit.bookings.remove_unbooked(TENANT, actor="cleanup")
    lines += [
        "",
        "Expired unbooked slots removed in bulk:",
        f"  {len(cleanup.removed)} removed, {len(cleanup.kept)} kept (cancelled or completed)",
    ]
    return "\n".join(lines)
