"""The coaching demo's story: the seed's workflows, replayed on the platform and printed.

``python -m sessionkit demo coaching`` calls :func:`render`. The platform
(contracts, attendance, completion, progress) is :mod:`sessionkit.demo.coaching`.
Every step is safe to run again: a request already made (same session, role
and reason) is found, not made twice; an answered one is not answered again.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta

from sessionkit.demo._common import all_due_done, now_in_utc, open_store, step
from sessionkit.demo.coaching import (
    DEMO_NOW,
    TENANT,
    Coaching,
    Contract,
    Person,
    answer,
    attendance,
    build_coaching,
    complete,
    confirm,
    contract_sessions,
    join,
    progress,
    request_reschedule,
    sign,
)
from sessionkit.errors import ActionRefused, RescheduleRefused
from sessionkit.model.reschedule import RescheduleRequest
from sessionkit.model.session import Session
from sessionkit.ports import UnitOfWorkFactory
from sessionkit.zones import check_instant, get_zone, resolve_local

__all__ = ["COACH", "STUDENT", "contract_for", "play", "render", "run_story"]

STUDENT = Person("student", "mia", "Mia Chen", "America/New_York")
COACH = Person("coach", "leo", "Leo Brandt", "Europe/Berlin")


def contract_for(now: datetime = DEMO_NOW) -> Contract:
    """The demo's contract: six weekly hours of German, from the day after ``now``, 18:00 Berlin."""
    zone = get_zone(COACH.zone)
    day = (now + timedelta(days=1)).astimezone(zone).date()
    first = datetime.combine(day, time(18), tzinfo=zone)
    return Contract(key="C-1", student=STUDENT, coach=COACH, subject="German", count=6, first=first)


def _days_later(start: datetime, days: int) -> datetime:
    """``days`` later at the same wall time in the coach's zone, whatever DST does between.

    A lesson asked "a day later" keeps its hour: Saturday 28 March 18:00 in
    Berlin becomes Sunday 18:00 CEST, not 19:00 (24 elapsed hours).
    """
    zone = get_zone(COACH.zone)
    wall = start.astimezone(zone).replace(tzinfo=None) + timedelta(days=days)
    return resolve_local(wall, zone)


def _both(at: datetime) -> str:
    return f"{COACH.local(at)} / {STUDENT.local(at)}"


def _pct(value: float) -> str:
    return f"{value:.0%}"


def _outcome(value: str | None) -> str:
    return "unknown" if value is None else value.replace("_", "-")


class _Story:
    def __init__(self, c: Coaching, contract: Contract) -> None:
        self.c = c
        self.kit = c.kit
        self.contract = contract
        self.lines: list[str] = []

    def at(self, instant: datetime) -> None:
        self.c.clock.set(instant)

    def say(self, text: str) -> None:
        self.lines.append(f"  {COACH.local(self.c.clock.now()):<22} {text}")

    def session(self, number: int) -> Session:
        return contract_sessions(self.c, self.contract)[number - 1]

    def signed_start(self, number: int) -> datetime:
        """Session ``number``'s start before any request moved it (a rerun finds it moved)."""
        session = self.session(number)
        history = self.kit.reschedules.for_session(TENANT, session.id)  # oldest first
        return history[0].session_start if history else session.start

    def tick(self) -> None:
        """The jobs a host runs every minute: due reschedules, then due timers."""
        answered = self.kit.approve_reschedules(TENANT)
        for request in answered.approved:
            moved = self.kit.queries.get(TENANT, request.session_id)
            self.say(
                f"tick: {request.role}'s request {request.status} by silence; session "
                f"{moved.metadata['number']} now {_both(moved.start)}"
            )
        all_due_done("approve_reschedules", answered.failed)
        advanced = self.kit.advance_due(TENANT)
        for session in advanced.advanced:
            self.say(f"tick: session {session.metadata['number']} nobody joined: {session.status}")
        all_due_done("advance_due", ((f.session_id, f.error) for f in advanced.failed))

    def ask(
        self, number: int, who: Person, reason: str, days: int | None
    ) -> RescheduleRequest | None:
        session = self.session(number)
        made = [
            r
            for r in self.kit.reschedules.for_session(TENANT, session.id)
            if r.role == who.role and r.reason == reason
        ]
        if made:  # a rerun: asked the first time
            self.say(f"{who.name}'s request for session {number} is {made[0].status} already")
            return made[0]
        proposed = None if days is None else _days_later(session.start, days)
        try:
            with step("kit.reschedules.request", session.id):
                asked = request_reschedule(self.c, session, who, reason, start=proposed)
        except RescheduleRefused as refused:
            when = "never" if refused.allows_at is None else _both(refused.allows_at)
            self.say(
                f"{who.name} ({who.role}) asks to move session {number}: refused, rule "
                f"{refused.rule!r}, allows_at {when}"
            )
            return None
        target = "" if proposed is None else f" to {_both(proposed)}"
        self.say(
            f"{who.name} ({who.role}) asks to move session {number}{target}: "
            f"{asked.status}, answer by {_both(asked.deadline)}"
        )
        return asked

    def answer(self, asked: RescheduleRequest | None, who: Person, *, approve: bool) -> None:
        if asked is None:
            return
        current = self.kit.reschedules.get(TENANT, asked.id)
        if not current.pending:
            return
        verb = "approve" if approve else "decline"
        with step(f"kit.reschedules.{verb}", current.id):
            done = answer(self.c, current, who, approve=approve)
        moved = self.kit.queries.get(TENANT, asked.session_id)
        self.say(
            f"{who.name} answers: {done.status}; session {moved.metadata['number']} "
            f"is at {_both(moved.start)}"
        )

    def held(
        self, number: int, notes: tuple[Person, str] | None, *, student_comes: bool = True
    ) -> None:
        """Session ``number`` takes place: who comes joins, one side completes it with notes.

        ``notes`` ``None``: nobody comes, and the tick marks it MISSED.
        """
        session = self.session(number)
        self.at(session.start - timedelta(minutes=5))
        self.tick()
        if notes is None:
            self.at(session.start + timedelta(minutes=31))
            self.tick()
            return
        for who in (COACH, STUDENT) if student_comes else (COACH,):
            with step("kit.attendance (a join)", session.id):
                credential = join(self.c, session, who)
            if credential is not None:
                assert credential.expires_at is not None
                self.say(
                    f"{who.name} joins session {number} (credential until "
                    f"{COACH.local(credential.expires_at)})"
                )
        self.at(session.end + timedelta(minutes=5))
        self.tick()
        who, text = notes
        with step("kit.sessions.fire complete", session.id):
            done = complete(self.c, session, who, text)
        self.say(
            f"{who.name} completes session {number}: {done.status}, "
            f"{who.role}_notes {done.metadata.get(f'{who.role}_notes')!r}"
        )
        came = attendance(self.c, done)
        self.say(
            f"attendance of session {number}: "
            + ", ".join(f"{role} {_outcome(came[role].outcome)}" for role in ("coach", "student"))
        )


def run_story(c: Coaching, contract: Contract) -> list[str]:
    """Replay the seed's workflows (idempotently); return the story's lines."""
    s = _Story(c, contract)
    start = c.clock.now()
    sessions = sign(c, contract)
    first = _both(sessions[0].start)
    s.say(
        f"contract {contract.key}: {len(sessions)} sessions of {contract.subject}, "
        f"{contract.student.name} with {contract.coach.name}, weekly from {first}"
    )
    try:
        confirmed = confirm(c, sessions[0], COACH).metadata["confirmed_by_coach"]
    except ActionRefused as refused:  # a database an older demo, without confirming, left
        confirmed = f"refused, rule {refused.rule!r}"
    s.say(f"{COACH.name} confirms session 1: confirmed_by_coach {confirmed}")
    s.ask(1, COACH, "I have to travel on Tuesday", days=1)
    second = s.ask(2, STUDENT, "My exam moved to that Tuesday", days=1)
    s.at(start + timedelta(hours=2))
    s.answer(second, COACH, approve=True)
    s.held(1, (COACH, "Placement done: A2. Goal: B1 by summer; focus on speaking."))
    s.held(2, (STUDENT, "Loved the role-play. I need more practice with the dative."))
    third_start = s.signed_start(3)
    s.at(third_start - timedelta(days=5, hours=8))
    third = s.ask(3, COACH, "I am at a conference on Tuesday", days=2)
    s.at(third_start - timedelta(days=4, hours=20))
    s.answer(third, STUDENT, approve=False)
    s.held(3, None)
    fourth_start = s.signed_start(4)
    s.at(fourth_start - timedelta(days=6, hours=7))
    fourth = s.ask(4, STUDENT, "Family visit that evening", days=2)
    s.at(fourth_start - timedelta(days=6, hours=5))
    if fourth is not None and c.kit.reschedules.get(TENANT, fourth.id).pending:
        s.ask(4, COACH, "Could we do Wednesday instead?", days=1)
    s.at(fourth_start - timedelta(days=5, hours=7))  # the student's request's deadline
    s.tick()
    s.held(4, (COACH, "Good session: perfect tense drilled; homework: chapter 5."))
    s.held(5, (COACH, "Mia did not come; waited 50 minutes."), student_comes=False)
    return s.lines


def report(c: Coaching, contract: Contract) -> list[str]:
    """The contract's sessions (in both zones, with notes) and its progress and rates."""
    out = [
        "",
        f"Contract {contract.key} (coach's zone / student's zone):",
    ]
    for session in contract_sessions(c, contract):
        notes = [
            f"{role}: {session.metadata[f'{role}_notes']}"
            for role in ("coach", "student")
            if f"{role}_notes" in session.metadata
        ]
        out.append(
            f"  {session.metadata['number']}  {_both(session.start):<46} {session.status:<10} "
            f"{'; '.join(notes)}".rstrip()
        )
    p = progress(c, contract)
    requests = ", ".join(f"{n} {status}" for status, n in sorted(p.requests.items()))
    out += [
        "",
        (
            f"progress           {p.completed}/{p.total} completed ({_pct(p.progress)}), "
            f"{'on track' if p.on_track else 'behind'} ({p.completed} of {p.due} due completed)"
        ),
        f"completion rate    {_pct(p.completion_rate)} of {p.held} held",
        f"no-show rate       {_pct(p.no_show_rate)} of {p.held} held",
        f"reschedule rate    {_pct(p.reschedule_rate)} ({p.moved} of {p.total} sessions moved)",
        (
            f"session length     {p.average_planned:.0f} min planned, attended: coach "
            f"{p.average_attended('coach'):.0f} min, student {p.average_attended('student'):.0f}"
            f" min (average of {p.held} held)"
        ),
        (
            "no-shows by side   "
            + ", ".join(f"{role} {p.no_shows.get(role, 0)}" for role in ("coach", "student"))
        ),
        f"requests           {requests or 'none'}",
    ]
    return out + audit_trail(c, contract, 4)


def audit_trail(c: Coaching, contract: Contract, number: int) -> list[str]:
    """Session ``number``'s journal: every change, who made it in which role, when and why."""
    [session] = [s for s in contract_sessions(c, contract) if int(s.metadata["number"]) == number]
    out = ["", f"Audit trail of session {number} (kit.journal; the coach's time):"]
    for entry in c.kit.journal.for_session(TENANT, session.id):
        who = "the tick" if entry.actor is None else entry.actor
        if entry.role is not None:
            who += f" ({entry.role})"
        change = f"{entry.subject} {entry.transition or entry.event}"
        if entry.status is not None:
            change += f" -> {entry.status}"
        if "changed" in entry.details:
            change += f" ({', '.join(entry.details['changed'])})"
        why = "" if entry.reason is None else f': "{entry.reason}"'
        out.append(f"  {COACH.local(entry.at):<21} {who:<18} {change}{why}")
    return out


def render(now: datetime = DEMO_NOW, *, db: str = "memory") -> str:
    """Build the platform in ``db`` (``"memory"`` or a SQLAlchemy URL), run the story, report."""
    factory, where = open_store(db)
    return play(now, uow=None if db == "memory" else factory, where=where)


def play(now: datetime = DEMO_NOW, *, uow: UnitOfWorkFactory | None = None, where: str = "") -> str:
    """Run the demo on ``uow`` (a fresh in-memory store for ``None``); return the report."""
    check_instant(now, "clock.now()")  # before the contract's dates can overflow near 9999
    c = build_coaching(now, uow=uow)
    contract = contract_for(now)
    out = [
        f"sessionkit demo coaching: Skileez in {where or 'memory'}; now is {now_in_utc(now)}",
        "",
        (
            f"{COACH.name} (coach, {COACH.zone}) and {STUDENT.name} (student, {STUDENT.zone}); "
            "reschedule notice: students 24 h, coaches 48 h, within 10 h students only; "
            "24 h to answer, silence approves; the room opens 10 min before the start; "
            "MISSED 30 min after the start if nobody joined."
        ),
        "",
        "What happened (Berlin time; times as coach / student):",
    ]
    return "\n".join([*out, *run_story(c, contract), *report(c, contract)])
