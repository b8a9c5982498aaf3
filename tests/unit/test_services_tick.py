"""``kit.tick``: every kind of due work for all tenants or one, in batches, on the memory store."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import pytest

from sessionkit.adapters.memory import InMemoryStore
from sessionkit.adapters.memory._sessions import InMemorySessionRepository
from sessionkit.errors import InvalidValue, StorageTimeout, WrongType
from sessionkit.model import ResourceRef, ScheduleItem, SessionStatusChanged, WindowPolicy
from sessionkit.model.booking import EXPIRED, OFFERED
from sessionkit.model.events import DomainEvent
from sessionkit.model.reschedule import AUTO_APPROVED, RescheduleStatusChanged
from sessionkit.model.session import Session
from sessionkit.policies import BookingRules, coaching_notice
from sessionkit.recurrence import Recurrence
from sessionkit.services import TICK_KINDS, SessionKit, TickReport, _tick_work, commands
from sessionkit.services import tick as tick_module
from sessionkit.services.attendance import attendance_facts
from sessionkit.testing.clocks import ManualClock, RecordingPublisher
from sessionkit.testing.harness import Harness

NOW = datetime(2026, 3, 2, 8, tzinfo=UTC)
TENANTS = ("acme", "globex")


@pytest.fixture
def h() -> Harness:
    return Harness.in_memory(
        NOW, notice=coaching_notice(), booking_rules=BookingRules(waitlist=True)
    )


def seed(h: Harness, tenant: str, *, timed: int = 3) -> datetime:
    """Store one item of each kind of due work (and ``timed`` READY timers); when all is due."""
    kit = h.kit
    kit.series.create(
        tenant,
        actor="admin",
        title="Weekly",
        items=[
            ScheduleItem(
                "mon",
                Recurrence.weekly(
                    days=("MO",),
                    at=time(17),
                    duration=timedelta(hours=1),
                    tz="UTC",
                    start=date(2026, 3, 2),
                ),
                (ResourceRef("room", "r1"),),
            )
        ],
        window=WindowPolicy(initial_months=1, buffer=timedelta(weeks=5)),
    )
    slot = kit.sessions.create_extra(
        tenant,
        actor="tina",
        start=datetime(2026, 3, 20, 9, tzinfo=UTC),
        end=datetime(2026, 3, 20, 10, tzinfo=UTC),
        lifecycle="lms",
        capacity=1,
    )
    kit.bookings.book(tenant, slot.id, "student:ana", actor=None, hold_for=timedelta(minutes=30))
    kit.bookings.book(tenant, slot.id, "student:ben", actor=None, waitlist=True)
    lesson = kit.sessions.create_extra(
        tenant,
        actor="cleo",
        start=datetime(2026, 3, 6, 9, tzinfo=UTC),
        end=datetime(2026, 3, 6, 9, 45, tzinfo=UTC),
        resources=[ResourceRef("coach", "c1")],
        lifecycle="lms",
    )
    request = kit.reschedules.request(
        tenant,
        lesson.id,
        role="student",
        actor="ana",
        reason="an exam that morning",
        proposed_start=datetime(2026, 3, 7, 9, tzinfo=UTC),
    )
    at = request.deadline + timedelta(minutes=1)
    for n in range(timed):
        start = at + timedelta(minutes=n)
        kit.sessions.create_extra(
            tenant, actor="u", start=start, end=start + timedelta(minutes=30), lifecycle="academy"
        )
    return at


def test_one_tick_does_every_kind_for_every_tenant_once(h: Harness) -> None:
    at = max(seed(h, tenant) for tenant in TENANTS)
    h.events.clear()
    report = h.kit.tick(now=at, actor="cron")
    assert (report.topped_up, report.approved, report.lapsed) == (2, 2, 0)
    assert (report.advanced, report.expired, report.offered) == (6, 2, 2)
    assert report.generated > 0
    assert (report.failed, report.held, report.tenants) == ((), 0, TENANTS)
    assert report.done == 2 + 2 + 6 + 2
    assert report.now == at
    timed = [e for e in h.events.of_type(SessionStatusChanged) if e.change.to_status == "READY"]
    assert len(timed) == 6
    assert len({(e.tenant, e.session.id) for e in timed}) == 6  # one event per session
    assert all(e.actor == "cron" for e in timed)
    [approval, _] = h.events.of_type(RescheduleStatusChanged)
    assert approval.request.status == AUTO_APPROVED
    for tenant in TENANTS:
        [ana] = h.kit.bookings.for_participant(tenant, "student:ana")
        [ben] = h.kit.bookings.for_participant(tenant, "student:ben")
        assert (ana.status, ben.status) == (EXPIRED, OFFERED)
    # Idempotent: at the same instant nothing is due any more.
    h.events.clear()
    again = h.kit.tick(now=at)
    assert again.idle
    assert (again.done, again.batches, again.tenants) == (0, 0, ())
    assert h.events.events == []


def test_a_tenant_and_kinds_narrow_the_tick(h: Harness) -> None:
    assert h.kit.due_tenants() == []
    at = max(seed(h, tenant) for tenant in TENANTS)
    assert h.kit.due_tenants(now=at) == list(TENANTS)
    only = h.kit.tick("globex", now=at, kinds=["advance", "advance"])
    assert (only.advanced, only.done, only.tenants) == (3, 3, ("globex",))
    rest = h.kit.tick(now=at)
    assert (rest.advanced, rest.topped_up, rest.approved, rest.expired) == (3, 2, 2, 2)
    assert h.kit.tick("nobody", now=at).idle
    # Past sessions in a status some lifecycle times keep a tenant a candidate.
    assert h.kit.due_tenants(now=at) == list(TENANTS)
    assert h.kit.due_tenants(now=NOW) == []


def test_a_status_another_lifecycle_times_keeps_no_tenant_due(
    h: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    # An LMS lesson left SCHEDULED after its start: the academy's SCHEDULED has a timer,
    # the LMS's none, yet its tenant was listed at every call, for good (a no-op job a
    # minute on procrastinate), and each tick read the lesson again.
    start = NOW + timedelta(hours=2)
    h.kit.sessions.create_extra(
        "quiet", actor="u", start=start, end=start + timedelta(hours=1), lifecycle="lms"
    )
    later = NOW + timedelta(days=30)
    assert h.kit.due_tenants(now=later) == []
    assert h.kit.tick(now=later).idle
    read: list[int] = []
    due = InMemorySessionRepository.due

    def counting(self: InMemorySessionRepository, *args: Any, **kwargs: Any) -> list[Session]:
        found = due(self, *args, **kwargs)
        read.append(len(found))
        return found

    monkeypatch.setattr(InMemorySessionRepository, "due", counting)
    assert h.kit.tick("quiet", now=later, kinds=["advance"]).idle
    assert read == [0]
    # An academy session there is due as before.
    h.kit.sessions.create_extra(
        "quiet", actor="u", start=start, end=start + timedelta(hours=1), lifecycle="academy"
    )
    assert h.kit.due_tenants(now=later) == ["quiet"]


def test_batches_are_units_of_work_reported_as_they_commit(h: Harness) -> None:
    at = NOW + timedelta(hours=1)
    for n in range(7):  # only sessions whose timer is due: every candidate is done
        start = at + timedelta(minutes=n)
        h.kit.sessions.create_extra(
            "acme", actor="u", start=start, end=start + timedelta(hours=1), lifecycle="academy"
        )
    seen: list[TickReport] = []
    report = h.kit.tick(now=at, batch=3, kinds=["advance"], progress=seen.append)
    assert report.advanced == 7
    assert report.batches == 3  # 3 + 3 + 1
    assert [r.advanced for r in seen] == [3, 6, 7]
    assert [r.batches for r in seen] == [1, 2, 3]
    assert seen[-1] == report
    assert "7 done in 3 batches over 1 tenants" in report.summary()


@pytest.mark.parametrize("storage", [False, True])
@pytest.mark.parametrize("bad_batch", [False, True])
def test_a_progress_callback_that_raises_is_raised_once_the_tick_is_done(
    h: Harness, monkeypatch: pytest.MonkeyPatch, storage: bool, bad_batch: bool
) -> None:
    # The callback's error left the tick after the first batch: the rest stayed undone, the
    # caller got no report, and a StorageError from it read as a failed read of what is due
    # (the kind's rest skipped, reported failed with item "*").
    error: Exception = (
        StorageTimeout.waiting("the host's own table", backend="sqlite", timeout=None)
        if storage
        else RuntimeError("the progress bar's terminal went away")
    )
    at = NOW + timedelta(hours=1)
    for n in range(7):
        start = at + timedelta(minutes=n)
        h.kit.sessions.create_extra(
            "acme", actor="u", start=start, end=start + timedelta(hours=1), lifecycle="academy"
        )
    if bad_batch:  # a batch run again item by item calls the callback after each item
        bad = h.kit.queries.list("acme").items[1].id
        real = commands.advance_steps

        def advance(ctx, tx, session, actor, **options):  # type: ignore[no-untyped-def]  # a stand-in
            if session.id == bad:
                raise RuntimeError("the host's hook broke")
            return real(ctx, tx, session, actor, **options)

        monkeypatch.setattr(_tick_work, "advance_steps", advance)
    seen: list[int] = []

    def progress(report: TickReport) -> None:
        seen.append(report.advanced)
        raise error

    with pytest.raises(type(error)) as raised:
        h.kit.tick(now=at, batch=3, kinds=["advance"], progress=progress)
    assert raised.value is error
    report = getattr(raised.value, "tick_report", None)
    assert isinstance(report, TickReport)
    assert report.advanced == (6 if bad_batch else 7)
    assert [(f.kind, f.item_id) for f in report.failed] == ([("advance", bad)] if bad_batch else [])
    assert seen == ([1] if bad_batch else [3])  # not called again once it raised
    assert any("progress" in note for note in raised.value.__notes__)
    statuses = [s.status for s in h.kit.queries.list("acme").items]
    assert statuses.count("READY") == report.advanced


def test_a_failing_item_is_reported_and_the_rest_of_its_batch_done(
    h: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    at = seed(h, "acme", timed=4)
    due = h.kit.queries.list("acme").items
    bad = next(s for s in due if s.lifecycle == "academy")
    real = commands.advance_steps

    def advance(ctx, tx, session, actor, **options):  # type: ignore[no-untyped-def]  # a stand-in
        if session.id == bad.id:
            raise RuntimeError("the host's hook broke")
        return real(ctx, tx, session, actor, **options)

    # The tick's advance pass lives in _tick_work; the stand-in goes where it is looked up.
    monkeypatch.setattr(_tick_work, "advance_steps", advance)
    report = h.kit.tick(now=at, kinds=["advance"])
    assert report.advanced == 3
    [failure] = report.failed
    assert (failure.kind, failure.tenant, failure.item_id) == ("advance", "acme", bad.id)
    assert isinstance(failure.error, RuntimeError)
    assert h.kit.queries.get("acme", bad.id).status == "SCHEDULED"  # still due
    monkeypatch.undo()
    assert h.kit.tick(now=at, kinds=["advance"]).advanced == 1


def test_a_failed_read_of_what_is_due_is_reported_and_the_other_kinds_are_done(
    h: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A busy SQLite file (docs/jobs.md): the read before a batch waited past the busy timeout,
    # and kit.tick raised StorageTimeout out of the whole tick, after batches had committed,
    # with no report and the later kinds never tried.
    at = max(seed(h, tenant) for tenant in TENANTS)
    real = _tick_work.advance_sessions

    def busy(run: object, tenant: object, **_: object) -> None:
        raise StorageTimeout.waiting("the database's write lock", backend="sqlite", timeout=None)

    monkeypatch.setattr(tick_module, "advance_sessions", busy)
    report = h.kit.tick(now=at)
    [failure] = report.failed
    assert (failure.kind, failure.tenant, failure.item_id) == ("advance", "*", "*")
    assert isinstance(failure.error, StorageTimeout)
    assert (report.topped_up, report.approved, report.expired, report.advanced) == (2, 2, 2, 0)
    one = h.kit.tick("acme", now=at)
    assert [(f.kind, f.tenant, f.item_id) for f in one.failed] == [("advance", "acme", "*")]
    monkeypatch.setattr(tick_module, "advance_sessions", real)
    assert h.kit.tick(now=at).advanced == 6  # it stayed due


def test_one_tenant_s_failed_read_holds_back_only_that_tenant(
    h: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    at = max(seed(h, tenant) for tenant in TENANTS)
    real = InMemorySessionRepository.due

    def due(self: InMemorySessionRepository, tenant: str, **options: Any) -> Any:
        if tenant == "acme":
            raise StorageTimeout.waiting("a row lock", backend="sqlite", timeout=None)
        return real(self, tenant, **options)

    monkeypatch.setattr(InMemorySessionRepository, "due", due)
    report = h.kit.tick(now=at, kinds=["advance"])
    [failure] = report.failed
    assert (failure.kind, failure.tenant, failure.item_id) == ("advance", "acme", "*")
    assert (report.advanced, report.tenants) == (3, ("globex",))  # globex's are done


class _Flaky:
    """A host's fact provider that fails for any batch holding a session titled "bad"."""

    def facts_for(self, sessions: Sequence[Session], uow: object) -> dict[str, dict[str, object]]:
        del uow
        if any(s.title == "bad" for s in sessions):
            raise RuntimeError("the fact service is down")
        return {}


def test_a_fact_provider_failing_for_one_session_holds_back_only_that_one() -> None:
    # The provider's error left the whole tick: the other tenants, and the rest of the
    # failing one's batch, were not advanced.
    kit = SessionKit(
        uow=InMemoryStore().unit_of_work, clock=ManualClock(NOW), facts=attendance_facts(_Flaky())
    )
    for tenant in ("acme", "globex"):
        for n in range(3):
            start = NOW + timedelta(hours=1, minutes=5 * n)
            kit.sessions.create_extra(
                tenant,
                actor="u",
                title="bad" if (tenant, n) == ("acme", 0) else "ok",
                start=start,
                end=start + timedelta(minutes=45),
                lifecycle="academy",
            )
    report = kit.tick(now=NOW + timedelta(minutes=60), batch=2, kinds=["advance"])
    [failure] = report.failed
    assert (failure.tenant, str(failure.error)) == ("acme", "the fact service is down")
    assert report.advanced == 5
    statuses = {
        t: [(s.title, s.status) for s in kit.queries.list(t).items] for t in ("acme", "globex")
    }
    assert statuses == {
        "acme": [("bad", "SCHEDULED"), ("ok", "READY"), ("ok", "READY")],
        "globex": [("ok", "READY")] * 3,
    }


class _MailerDown(RecordingPublisher):
    """A publisher whose first batch while ``armed`` raises (a mailer that is down)."""

    armed = False

    def publish(self, events: Sequence[DomainEvent]) -> None:
        super().publish(events)
        if self.armed:
            self.armed = False
            raise RuntimeError("the mailer is down")


def test_a_handler_failing_after_a_batch_committed_is_raised_once_the_tick_is_done() -> None:
    # The error after the commit read as a failed batch: its items, done, were run again one
    # by one, found not due, and the tick reported nothing done and nothing failed.
    mailer = _MailerDown()
    kit = SessionKit(uow=InMemoryStore(publisher=mailer).unit_of_work, clock=ManualClock(NOW))
    for tenant in ("acme", "globex"):
        for n in range(3):
            start = NOW + timedelta(minutes=10 + n)
            kit.sessions.create_extra(
                tenant,
                actor="u",
                start=start,
                end=start + timedelta(minutes=30),
                lifecycle="academy",
            )
    mailer.armed = True
    with pytest.raises(RuntimeError, match="the mailer is down") as raised:
        kit.tick(kinds=["advance"])
    assert "6 sessions advanced" in "".join(raised.value.__notes__)
    report = getattr(raised.value, "tick_report", None)
    assert isinstance(report, TickReport)
    assert (report.advanced, report.failed) == (6, ())
    statuses = {s.status for t in ("acme", "globex") for s in kit.queries.list(t).items}
    assert statuses == {"READY"}
    assert kit.tick(kinds=["advance"]).idle


def test_bad_arguments_are_refused_with_what_was_expected(h: Harness) -> None:
    with pytest.raises(InvalidValue) as caught:
        h.kit.tick(batch=0)
    assert caught.value.value == 0
    with pytest.raises(WrongType):
        h.kit.tick(batch=True)
    with pytest.raises(WrongType):
        h.kit.tick(kinds="advance")
    with pytest.raises(InvalidValue) as unknown:
        h.kit.tick(kinds=["advance", "payments"])
    assert unknown.value.value == "payments"
    assert "top_up" in str(unknown.value)
    with pytest.raises(WrongType):
        h.kit.tick(progress=42)  # type: ignore[arg-type]
    assert TICK_KINDS == ("top_up", "reschedules", "advance", "expire_holds")


def test_failing_holds_at_the_front_of_the_queue_never_hide_the_later_ones() -> None:
    # The queue is earliest first, and what failed stays due at its front: each page read
    # the same failing rows again, found no session it had not tried, and stopped, so at
    # a batch smaller than the failing rows no later hold ever expired, tick after tick.
    broken: set[str] = set()

    def rules(session: Session) -> BookingRules:
        if session.id in broken:
            raise RuntimeError(f"rules service down for {session.id}")
        return BookingRules(waitlist=True)

    kit = SessionKit(uow=InMemoryStore().unit_of_work, clock=ManualClock(NOW), booking_rules=rules)
    starts = [NOW + timedelta(days=d) for d in (1, 2, 3)]
    slots = [
        kit.sessions.create_extra(
            "acme", actor="t", start=s, end=s + timedelta(hours=1), lifecycle="lms", capacity=2
        )
        for s in starts
    ]
    holds = [
        kit.bookings.book(
            "acme", slot.id, f"student:{who}{n}", actor=None, hold_for=timedelta(minutes=5 + n)
        )
        for n, slot in enumerate(slots)
        for who in ("a", "b")
    ]
    broken.add(slots[0].id)  # its two holds run out first
    report = kit.tick(now=NOW + timedelta(hours=1), batch=1, kinds=["expire_holds"])
    assert [(f.kind, f.item_id) for f in report.failed] == [("expire_holds", slots[0].id)]
    assert report.expired == 4
    statuses = [kit.bookings.get("acme", b.id).status for b in holds]
    assert statuses == ["HELD", "HELD", EXPIRED, EXPIRED, EXPIRED, EXPIRED]


def test_failing_reschedule_answers_never_hide_the_later_ones(
    h: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    kit = h.kit
    requests = []
    for n in range(3):
        start = datetime(2026, 3, 10 + n, 9, tzinfo=UTC)
        lesson = kit.sessions.create_extra(
            "acme",
            actor="cleo",
            start=start,
            end=start + timedelta(minutes=45),
            resources=[ResourceRef("coach", "c1")],
            lifecycle="lms",
        )
        requests.append(
            kit.reschedules.request(
                "acme",
                lesson.id,
                role="student",
                actor="ana",
                reason="an exam that morning",
                proposed_start=start + timedelta(hours=3),
                now=NOW + timedelta(minutes=n),
            )
        )
    real = kit.reschedules.answer_due_in

    def answer(tx, candidate, at):  # type: ignore[no-untyped-def]  # a stand-in
        if candidate.id == requests[0].id:
            raise RuntimeError("the host's hook broke")
        return real(tx, candidate, at)

    monkeypatch.setattr(kit.reschedules, "answer_due_in", answer)
    later = max(r.deadline for r in requests) + timedelta(minutes=1)
    report = kit.tick(now=later, batch=1, kinds=["reschedules"])
    assert [f.item_id for f in report.failed] == [requests[0].id]
    assert report.approved == 2
    assert [kit.reschedules.get("acme", r.id).status for r in requests] == [
        "PENDING",
        AUTO_APPROVED,
        AUTO_APPROVED,
    ]
