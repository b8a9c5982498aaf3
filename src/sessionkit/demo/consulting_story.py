"""The consulting demo's story: the seed's workflows, replayed on the platform and printed.

``python -m sessionkit demo consulting`` calls :func:`render`. The platform
(consultants as tenants, clients, pricing, public and manual booking) is
:mod:`sessionkit.demo.consulting`, the figures printed after the story
:mod:`sessionkit.demo.consulting_dashboard`. Every step is safe to run
again: requests are keyed, a step that changes something already changed
looks first, and a bulk change that is refused changes nothing. A rerun says
it was played before and tells each step that found its request stored as
stored, with today's statuses, not as made again.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime, time, timedelta
from decimal import Decimal

from sessionkit.demo._common import now_in_utc, open_store, provider_calls_done
from sessionkit.demo.consulting import (
    CONSULTANTS,
    DEMO_NOW,
    Booked,
    Consultant,
    Consulting,
    Request,
    book_public,
    build_consulting,
    client_ref,
    confirm_paid,
    create_manual,
    find_request,
    pay,
    showcase,
)
from sessionkit.demo.consulting_dashboard import client_name, counts, lines, when
from sessionkit.errors import InvalidTransition, InvalidValue, SessionNotFound
from sessionkit.model.money import Money
from sessionkit.model.payment import PENDING
from sessionkit.model.query import SessionQuery
from sessionkit.ports import UnitOfWorkFactory
from sessionkit.timespan import TimeSpan
from sessionkit.zones import get_zone, resolve_local, to_utc

__all__ = ["play", "render", "run_story"]

PRIYA, ARJUN = CONSULTANTS
_DAY_CODES = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")


def _local(at: datetime, zone: str = PRIYA.zone) -> str:
    return f"{at.astimezone(get_zone(zone)):%a %d %b %H:%M}"


class _Story:
    """Runs the seed's workflows on the platform, moving the clock; collects what happened."""

    def __init__(self, c: Consulting) -> None:
        self.c = c
        self.kit = c.kit
        self.start = c.clock.now()
        self.lines: list[str] = []
        # The story's first request ("web-1"), stored: a rerun, which says so before anything.
        self.rerun = find_request(c, PRIYA.tenant, "web-1") is not None
        if self.rerun:
            self.lines.append(
                "  played before on this database: each step finds what it made then, "
                "writes nothing twice and shows it as it is stored now"
            )

    def at(self, minutes: int) -> None:
        self.c.clock.set(self.start + timedelta(minutes=minutes))

    def say(self, text: str) -> None:
        self.lines.append(f"  {_local(self.c.clock.now())}  {text}")

    def request(
        self,
        key: str,
        who: Consultant,
        email: str,
        name: str,
        *,
        start: datetime | None = None,
        minutes: int = 60,
        phone: str | None = None,
        platform: str = "ZOOM",
        fee: Decimal | None = None,
    ) -> Request:
        stored = find_request(self.c, who.tenant, key)
        if stored is not None:  # a rerun: the request is sent again as it was first sent
            start = stored.start
        elif start is None:  # the first free time on the showcase
            start = showcase(self.c, who, minutes=minutes)[0].start
        else:  # the consultant's own pick, unless the showcase sold it meanwhile
            start = self.free_from(who, start, minutes)
        return Request(
            key=key,
            who=who,
            email=email,
            name=name,
            start=start,
            minutes=minutes,
            phone=phone,
            platform=platform,
            fee=fee,
        )

    def working_day(self, who: Consultant, days: int, hour: int) -> datetime:
        """``hour`` o'clock in ``who``'s zone, her ``days``-th working day after the story's start.

        Where the story sets her manual sessions: in her working days and hours
        whatever ``--now`` is (a weekend or a night falls in neither).
        """
        day = to_utc(self.start).astimezone(get_zone(who.zone)).date()
        while days:
            day += timedelta(days=1)
            days -= _DAY_CODES[day.weekday()] in who.days
        return to_utc(resolve_local(datetime.combine(day, time(hour)), who.zone))

    def free_from(self, who: Consultant, start: datetime, minutes: int) -> datetime:
        """``start``, or, when ``who`` is busy then, her first free showcase time after it.

        The story's manual sessions are set in her working days; the clients
        booking on the showcase before take her first free hours, which on some
        days (a Friday's, say: Monday morning) are those very hours.
        """
        span = TimeSpan.from_start(start, timedelta(minutes=minutes))
        since = span.start - timedelta(days=1)  # the agenda lists sessions by their start
        agenda = self.kit.queries.agenda(who.tenant, who.ref, start=since, end=span.end)
        if not any(s.busy and s.span.overlaps(span) for s in agenda):
            return start
        free = showcase(self.c, who, minutes=minutes, days=14)
        return next((f.start for f in free if f.start >= start), start)

    def made(self, request: Request) -> bool:
        """Whether ``request`` was made before (by an earlier run)."""
        return find_request(self.c, request.who.tenant, request.key) is not None

    def public(self, request: Request, *, declined: bool = False) -> Booked:
        made = self.made(request)
        if declined and not made:
            self.c.gateway.decline_next("card_declined")
        booked = book_public(self.c, request)
        slot = f"{when(booked.session)} with {request.who.name.split()[0]}"
        payment = booked.payment
        state = f"session {booked.session.status}, payment {payment.status} {payment.amount}"
        if made:  # a rerun: booked the first time; the statuses have moved on since
            self.say(f"{request.name}'s booking of {slot} is stored: {state}")
            return booked
        client = "new client" if booked.new_client else "existing client"
        self.say(f"{request.name} books {slot}: {client}; {state}")
        return booked

    def pays(self, booked: Booked) -> Booked:
        paid = pay(self.c, booked)
        name = booked.booking.metadata["name"]
        if booked.payment.status == PENDING:
            self.say(
                f"  {name} pays by card: payment {paid.payment.status}, "
                f"booking {paid.booking.status}"
            )
        else:  # a rerun: paid (or refunded) the first time
            self.say(f"  {name}'s payment is {paid.payment.status} already")
        return paid

    def manual(self, request: Request) -> Booked:
        made = self.made(request)
        booked = create_manual(self.c, request)
        state = (
            f"session {booked.session.status}, payment {booked.payment.status} "
            f"{booked.payment.amount} ({booked.payment.provider})"
        )
        if made:  # a rerun: added the first time
            self.say(f"Priya's {when(booked.session)} for {request.name} is stored: {state}")
            return booked
        client = "new client" if booked.new_client else "existing client"
        self.say(f"Priya adds {when(booked.session)} for {request.name} ({client}): {state}")
        return booked


def _public_booking(story: _Story) -> dict[str, Booked]:
    c = story.c
    if story.rerun:  # the showcase shows today's free times, not those the story booked
        story.say("-- public booking on Priya's showcase")
    else:
        free = ", ".join(_local(s.start) for s in showcase(c, PRIYA)[:3])
        story.say(f"-- public booking: Priya's showcase offers {free}, ...")
    asha = story.request("web-1", PRIYA, "asha.rao@example.com", "Asha Rao")
    booked = {"asha": story.pays(story.public(asha))}
    story.at(10)
    vikram = story.request("web-2", PRIYA, "vikram@example.com", "Vikram Iyer", phone="+91 98200")
    declined = story.made(vikram)
    booked["vikram"] = story.public(vikram, declined=True)
    if declined:  # a rerun: its time was freed then, and booked since
        story.say(f"  the card was declined; {_local(booked['vikram'].session.start)} was freed")
    else:
        story.say(f"  the card was declined; free again: {_local(showcase(c, PRIYA)[0].start)}")
    story.at(20)
    meera = story.request("web-3", PRIYA, "meera.nair@example.com", "Meera Nair", minutes=90)
    story.pays(story.public(meera))
    story.at(30)
    again = story.request("web-4", PRIYA, " Asha.Rao@Example.com", "Asha Rao", platform="MEET")
    booked["follow-up"] = story.pays(story.public(again))
    story.at(40)
    story.say(f"Priya confirms the paid sessions at once: {len(confirm_paid(c, PRIYA))} CONFIRMED")
    return booked


def _manual_creation(story: _Story) -> None:
    story.at(60)
    story.say("-- manual creation, paid outside sessionkit (invoice, cash)")
    meera = story.request(
        "desk-1",
        PRIYA,
        "meera.nair@example.com",
        "Meera Nair",
        start=story.working_day(PRIYA, 2, 16),
        fee=Decimal(2500),
        platform="TEAMS",
    )
    story.manual(meera)
    dev = story.request(
        "desk-2",
        PRIYA,
        "dev.patel@example.com",
        "Dev Patel",
        start=story.working_day(PRIYA, 3, 12),
    )
    story.manual(dev)
    rohan = story.request(
        "desk-3",
        PRIYA,
        "rohan@example.com",
        "Rohan Gupta",
        start=story.working_day(PRIYA, 4, 17),
        phone="+91 99000",
    )
    story.manual(rohan)


def _consultant_cancels(story: _Story, follow_up: Booked) -> None:
    kit, tenant = story.kit, PRIYA.tenant
    story.at(90)
    story.say("-- the consultant cancels a paid session: a full refund; the client rebooks")
    session = kit.queries.get(tenant, follow_up.session.id)
    cancels = f"Priya cancels Asha's {when(session)}"
    if session.status != "CANCELLED":
        session = kit.sessions.cancel(tenant, session.id, actor="priya", reason="unwell")
    else:  # a rerun: cancelled the first time
        cancels = f"Asha's {when(session)} is stored CANCELLED"
    provider_calls_done(kit, tenant)  # the refund: said if the provider failed it
    refunded = kit.payments.get(tenant, follow_up.payment.id)
    back = Money.of(refunded.refunded, refunded.currency)
    story.say(f"{cancels}: payment {refunded.status}, {back} back")
    rebook = story.request("web-5", PRIYA, "asha.rao@example.com", "Asha Rao")
    story.pays(story.public(rebook))
    confirm_paid(story.c, PRIYA)


def _another_tenant(story: _Story) -> None:
    kit, c = story.kit, story.c
    story.at(105)
    story.say("-- another consultant, another tenant")
    asha = story.request("web-1", ARJUN, "asha.rao@example.com", "Asha Rao")
    with_arjun = story.pays(story.public(asha))
    confirm_paid(c, ARJUN)
    try:
        kit.queries.get(PRIYA.tenant, with_arjun.session.id)
    except SessionNotFound:
        story.say("Arjun's session looked up in Priya's tenant: SessionNotFound")
    ref = client_ref("asha.rao@example.com")
    mine = kit.bookings.for_participant(PRIYA.tenant, ref)
    his = kit.bookings.for_participant(ARJUN.tenant, ref)
    story.say(f"Asha's bookings: {len(mine)} with Priya, {len(his)} with Arjun (a client of each)")


def _a_week_later(story: _Story, asha: Booked, vikram: Booked) -> None:
    kit, c, tenant = story.kit, story.c, PRIYA.tenant
    story.at(7 * 24 * 60)
    story.say("-- a week later: a no-show; bulk mark completed, mark paid (all or nothing)")
    rohan = find_request(c, tenant, "desk-3")
    if rohan is not None and rohan.status == "CONFIRMED":
        kit.sessions.fire(tenant, rohan.id, "no_show", actor="priya")
    story.say("Rohan Gupta did not come: NO_SHOW")
    now = c.clock.now()
    confirmed = SessionQuery(statuses=("CONFIRMED",), start_to=now)
    held = [s.id for s in c.kit.queries.each(tenant, confirmed) if s.end <= now]
    try:
        kit.sessions.fire_many(tenant, [*held, vikram.session.id], "complete", actor="priya")
    except InvalidTransition as refused:
        still = Counter(kit.queries.get(tenant, i).status for i in [*held, vikram.session.id])
        story.say(
            f"mark completed, a cancelled session selected too: InvalidTransition "
            f"({refused.status}); nothing changed: {counts(still)}"
        )
    done = kit.sessions.fire_many(tenant, held, "complete", actor="priya")
    story.say(f"mark completed: {len(done)} COMPLETED")
    completed = {s.id for s in c.kit.queries.each(tenant, SessionQuery(statuses=("COMPLETED",)))}
    pending = list(c.kit.payments.each(tenant, statuses=(PENDING,)))
    invoices = [p.id for p in pending if p.session_id in completed]
    try:
        kit.payments.mark_paid(tenant, [*invoices, asha.payment.id], actor="priya")
    except InvalidValue:
        left = Counter(kit.payments.get(tenant, i).status for i in invoices)
        story.say(
            f"mark paid, a card payment selected too: InvalidValue; unchanged: {counts(left)}"
        )
    story.say(f"mark paid: {len(kit.payments.mark_paid(tenant, invoices, actor='priya'))} PAID")
    unpaid = [
        f"{client_name(c, p)} {p.amount} ({kit.queries.get(tenant, p.session_id).status})"
        for p in c.kit.payments.each(tenant, statuses=(PENDING,))
    ]
    story.say(f"payments still PENDING: {', '.join(unpaid) or 'none'}")
    # The seed's search: the title (which names the client), the client's email too.
    for needle in ("meera", "NAIR@example"):
        query = SessionQuery(search=needle, search_fields=["client"])
        found = kit.queries.list(tenant, query).total
        story.say(f"search {needle!r} in Priya's sessions (title, client email): {found} found")
    for session in c.kit.queries.each(ARJUN.tenant, confirmed):
        kit.sessions.fire(ARJUN.tenant, session.id, "complete", actor="arjun")


def run_story(c: Consulting) -> list[str]:
    """Replay the seed's workflows (idempotently); return the story's lines."""
    story = _Story(c)
    booked = _public_booking(story)
    _manual_creation(story)
    _consultant_cancels(story, booked["follow-up"])
    _another_tenant(story)
    _a_week_later(story, booked["asha"], booked["vikram"])
    return story.lines


def render(now: datetime = DEMO_NOW, *, db: str = "memory") -> str:
    """Build the platform in ``db``, run the story and return the report.

    ``db`` is ``"memory"`` or a SQLAlchemy URL; a store that cannot keep
    payments raises ``UnsupportedKind`` before anything is written to it.
    """
    factory, where = open_store(db)
    return play(now, uow=None if db == "memory" else factory, where=where)


def play(now: datetime = DEMO_NOW, *, uow: UnitOfWorkFactory | None = None, where: str = "") -> str:
    """Run the demo on ``uow`` (a fresh in-memory store for ``None``); return the report."""
    c = build_consulting(now, uow=uow)
    title = f"sessionkit demo consulting: Naksha consultants in {where or 'memory'}"
    out = [
        f"{title}; now is {now_in_utc(now)}",
        "",
        "Consultants (a tenant each; a session costs the hourly rate unless a fee is set):",
    ]
    for who in CONSULTANTS:
        hours = ", ".join(f"{a:%H:%M}-{b:%H:%M}" for a, b in who.hours)
        days = "MO-FR" if len(who.days) == 5 else "+".join(who.days)
        out.append(
            f"  {who.tenant:<13} {who.name:<13} {who.zone:<14} {days:<6} {hours:<24} {who.rate}/h"
        )
    out += ["", "What happened (Kolkata time; sessions in the consultant's own zone):"]
    return "\n".join([*out, *run_story(c), *lines(c)])
