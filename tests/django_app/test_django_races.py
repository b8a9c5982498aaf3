"""Race tests of the Django store: threads racing for seats and resources.

On PostgreSQL exact capacity (and one booking in play per participant)
comes from the lock on the session's row, a participant's per-day limit
from an advisory lock on the participant, and no double booking of a
resource from the exclusion constraint; on a SQLite file
(``transaction_mode = "IMMEDIATE"``) writers take turns from their first
statement. Ticks running at once split the due sessions by claiming them
(``FOR UPDATE SKIP LOCKED`` on PostgreSQL; on SQLite a second worker waits,
then finds them done), and the versioned ``UPDATE`` refuses a worker that
advanced a session another already had. Each thread has its own connection
(Django's are per thread) and closes it when done.

Pending reschedule requests and ledger entries are raced through the
repositories, with no session lock taken first: the unique constraints
``sk_reschedule_pending`` and ``sk_usage_charge`` alone keep one. (The
commands lock the session's row first, so their races in
``test_django_process_races.py`` hold even without the keys.) On
PostgreSQL the writers of a race are held before they insert until all of
them have passed their checks (:func:`hold_inserts`), so a race whose
guard is missing fails every time, not when the timing happens to overlap.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from datetime import UTC, datetime, timedelta
from typing import Any

import attrs
import pytest

from sessionkit.contrib.django._repository import model_of
from sessionkit.contrib.django.models import BookingRecord, SessionRecord
from sessionkit.contrib.django.store import DjangoStore
from sessionkit.errors import (
    AlreadyBooked,
    BookingRefused,
    CapacityExceeded,
    ConcurrentModification,
    DuplicateReschedule,
    DuplicateUsage,
    InvalidValue,
    SessionConflict,
    SessionKitError,
    TransientConflict,
)
from sessionkit.model.booking import CANCELLED, CONFIRMED
from sessionkit.model.session import ResourceRef
from sessionkit.policies import BookingRules
from sessionkit.ports import RESCHEDULES, SUBSCRIPTIONS, USAGE, Kind
from sessionkit.services import SessionKit, TickReport
from sessionkit.testing.clocks import ManualClock
from sessionkit.testing.contract import OTHER_TENANT, T0, TENANT, make_session
from sessionkit.testing.contract.bookings import make_booking, make_booking_session
from sessionkit.testing.contract.reschedules import make_reschedule
from sessionkit.testing.contract.usage import make_entry, make_subscription

from .conftest import (
    POSTGRES_URL,
    TAKES_TURNS_ONLY,
    clear,
    close_thread_connections,
    sqlite_takes_turns,
)


@pytest.fixture(params=["sqlite_file", "postgres"])
def store(request: pytest.FixtureRequest) -> Iterator[DjangoStore]:
    if request.param == "postgres" and not POSTGRES_URL:
        pytest.skip("set SESSIONKIT_TEST_POSTGRES_URL to run the PostgreSQL race tests")
    if request.param == "sqlite_file" and not sqlite_takes_turns():
        pytest.skip(TAKES_TURNS_ONLY)
    using: str = request.getfixturevalue(f"{request.param}_db")
    clear(using)
    yield DjangoStore(using=using)
    clear(using)


def race(count: int, work: Callable[[int], None]) -> list[BaseException | None]:
    """Run ``work(n)`` in ``count`` threads released at once; return each outcome."""
    barrier = threading.Barrier(count)
    outcomes: list[BaseException | None] = [None] * count

    def run(n: int) -> None:
        try:
            barrier.wait()
            work(n)
        except BaseException as exc:  # noqa: BLE001  # asserted by the tests
            outcomes[n] = exc
        finally:
            close_thread_connections()

    threads = [threading.Thread(target=run, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not any(thread.is_alive() for thread in threads), "a unit of work hung"
    return outcomes


HOLD = 1.0
"""Seconds the writers held before their inserts wait for the others (:func:`hold_inserts`)."""


def hold_inserts(
    monkeypatch: pytest.MonkeyPatch, store: DjangoStore, model: type[Any], writers: int
) -> None:
    """On PostgreSQL, hold ``writers`` before they insert a ``model`` row until all are there.

    Each has then read and passed its checks before any of them writes, so
    only the database keeps them apart: without its guard, all of them would
    write. While a writer holds a lock the others wait for (the guard at
    work), they cannot come: the hold gives way after :data:`HOLD` seconds
    and they go on in turn. On SQLite writers take turns from their first
    statement (``BEGIN IMMEDIATE``), so none is held.
    """
    if store.vendor != "postgresql":
        return
    barrier = threading.Barrier(writers)
    save = model.save

    def held(row: Any, *args: Any, **kwargs: Any) -> None:
        if kwargs.get("force_insert"):
            with suppress(threading.BrokenBarrierError):
                barrier.wait(timeout=HOLD)
        save(row, *args, **kwargs)

    monkeypatch.setattr(model, "save", held)


def race_keyed_insert(
    store: DjangoStore,
    monkeypatch: pytest.MonkeyPatch,
    make: Callable[[int], Any],
    kind: Kind[Any],
    *,
    duplicate: type[SessionKitError],
    key: str,
) -> str:
    """Race 8 inserts of ``make(writer)``, records with ids of their own that ``key`` allows once.

    Each writer adds its record through the repository of ``kind`` in a unit
    of its own, with no lock taken first, so only the key keeps them apart
    (on PostgreSQL all of them are held until all passed their checks).
    Asserts that one was stored and every other writer refused with
    ``duplicate`` on ``key``, naming the stored record; returns its id.
    """
    said: list[str] = [""] * 8

    def insert(writer: int) -> None:
        record = make(writer)
        try:
            with store.unit_of_work() as uow:
                uow.repository(kind).add(record)
                uow.commit()
        except duplicate as taken:
            existing = getattr(taken, "existing", None)
            said[writer] = (
                f"duplicate of {existing.id}"
                if getattr(taken, "key", None) == key and isinstance(existing, type(record))
                else f"wrong duplicate: {taken!r}"
            )
        else:
            said[writer] = f"stored {record.id}"

    hold_inserts(monkeypatch, store, model_of(kind.name), 8)
    outcomes = race(8, insert)
    assert outcomes == [None] * 8, outcomes
    stored = [o.removeprefix("stored ") for o in said if o.startswith("stored ")]
    assert len(stored) == 1, said
    assert sorted(set(said) - {f"stored {stored[0]}"}) == [f"duplicate of {stored[0]}"], said
    return stored[0]


def test_racing_bookings_fill_a_session_exactly(
    store: DjangoStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    with store.unit_of_work() as uow:
        uow.sessions.add(make_booking_session("s1", capacity=3))
        uow.commit()

    def book(n: int) -> None:
        with store.unit_of_work() as uow:
            uow.bookings.add(make_booking(f"b{n}"))
            uow.commit()

    hold_inserts(monkeypatch, store, BookingRecord, 8)
    outcomes = race(8, book)
    assert sum(outcome is None for outcome in outcomes) == 3
    assert all(o is None or isinstance(o, CapacityExceeded) for o in outcomes), outcomes
    with store.unit_of_work() as uow:
        confirmed = uow.bookings.for_session(TENANT, "s1", statuses=[CONFIRMED])
        assert sum(b.seats for b in confirmed) == 3


def test_racing_bookings_of_one_participant_keep_one(
    store: DjangoStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    with store.unit_of_work() as uow:
        uow.sessions.add(make_booking_session("s1", capacity=10))
        uow.commit()

    def book(n: int) -> None:
        with store.unit_of_work() as uow:
            uow.bookings.add(make_booking(f"b{n}", participant="student:ana"))
            uow.commit()

    hold_inserts(monkeypatch, store, BookingRecord, 8)
    outcomes = race(8, book)
    assert sum(outcome is None for outcome in outcomes) == 1
    assert all(o is None or isinstance(o, AlreadyBooked) for o in outcomes), outcomes
    with store.unit_of_work() as uow:
        kept = uow.bookings.for_session(TENANT, "s1")
    assert [str(b.participant) for b in kept] == ["student:ana"]


def test_racing_bookings_of_one_day_keep_a_per_day_limit(
    store: DjangoStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One participant books eight sessions of one day at once, one a day allowed: one booking.

    The sessions are apart, so their rows' locks do not queue the writers:
    the participant's lock does (a transaction advisory lock on PostgreSQL),
    and every other writer is refused with rule ``per_day``.
    """
    start = datetime(2026, 3, 4, 9, tzinfo=UTC)
    kit = SessionKit(
        uow=store.unit_of_work,
        clock=ManualClock(datetime(2026, 3, 2, 8, tzinfo=UTC)),
        booking_rules=BookingRules(per_day=1),
    )
    sessions = [
        kit.sessions.create_extra(
            TENANT,
            actor="tina",
            start=start + timedelta(hours=n),
            end=start + timedelta(hours=n, minutes=45),
            resources=[f"tutor:t{n}"],
            lifecycle="lms",
            capacity=8,
        ).id
        for n in range(8)
    ]
    said: list[str] = [""] * 8

    def book(n: int) -> None:
        try:
            kit.bookings.book(TENANT, sessions[n], "student:ana", actor="ana")
        except BookingRefused as refused:
            said[n] = refused.rule
        else:
            said[n] = "won"

    hold_inserts(monkeypatch, store, BookingRecord, 8)
    assert race(8, book) == [None] * 8
    assert sorted(said) == ["per_day"] * 7 + ["won"], said
    with store.unit_of_work() as uow:
        booked = uow.bookings.for_participant(TENANT, ResourceRef("student", "ana"))
    assert [b.session_id for b in booked] == [sessions[said.index("won")]]


def test_racing_sessions_never_double_book_a_teacher(
    store: DjangoStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    def add(n: int) -> None:
        with store.unit_of_work() as uow:
            uow.sessions.add(make_session(f"t{n}", at=n / 10))
            uow.commit()

    hold_inserts(monkeypatch, store, SessionRecord, 8)
    outcomes = race(8, add)
    assert sum(outcome is None for outcome in outcomes) == 1
    assert all(o is None or isinstance(o, SessionConflict) for o in outcomes), outcomes
    with store.unit_of_work() as uow:
        kept = uow.sessions.get_many(TENANT, [f"t{n}" for n in range(8)])
    assert len(kept) == 1


def test_racing_reschedule_requests_leave_one_pending(
    store: DjangoStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Eight writers ask to move one session at once: one request is pending, the rest duplicates.

    On PostgreSQL nothing serialises the writers' checks: the conditional unique
    constraint refuses the losers, explained as ``DuplicateReschedule`` (key ``"pending"``).
    """
    with store.unit_of_work() as uow:
        uow.sessions.add(make_booking_session("s1"))
        uow.commit()
    stored = race_keyed_insert(
        store,
        monkeypatch,
        lambda n: make_reschedule(f"r{n}"),
        RESCHEDULES,
        duplicate=DuplicateReschedule,
        key="pending",
    )
    with store.unit_of_work() as uow:
        requests = uow.repository(RESCHEDULES).for_session(TENANT, "s1")
    assert [(r.id, r.status) for r in requests] == [(stored, "PENDING")]


def test_racing_ledger_entries_of_one_charge_keep_one(
    store: DjangoStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Eight entries of one (subscription, session, participant), each its own id, at once.

    Stored through the repository with no session lock taken first (``consume``
    takes one): the unique constraint ``sk_usage_charge`` alone keeps one,
    every other writer gets ``DuplicateUsage`` (key ``"charge"``) naming it.
    """
    with store.unit_of_work() as uow:
        uow.repository(SUBSCRIPTIONS).add(make_subscription("sub1"))
        uow.commit()
    stored = race_keyed_insert(
        store,
        monkeypatch,
        lambda n: make_entry(f"e{n}"),
        USAGE,
        duplicate=DuplicateUsage,
        key="charge",
    )
    with store.unit_of_work() as uow:
        entries = uow.repository(USAGE).for_subscription(TENANT, "sub1")
    assert [(e.id, e.session_id, str(e.participant)) for e in entries] == [
        (stored, "s1", "student:ana")
    ]


@pytest.mark.parametrize("batch", [1, 3])
def test_racing_ticks_advance_every_due_session_exactly_once(
    store: DjangoStore, batch: int
) -> None:
    """Four workers tick at once: each due session is claimed and advanced by one of them.

    Batches of one hold the tick to its database guards, the claim and the
    versioned ``UPDATE``: in a batch of three, a worker that advanced a session
    another worker advanced too waits for that one's commit, then reads the
    batch's next session changed and rolls back, even were its first write let
    through.
    """
    due = [
        attrs.evolve(
            make_session(f"s{n:02}", tenant=tenant, at=n / 60, hours=0.5, resources=()),
            lifecycle="academy",  # READY falls due 15 minutes before the start
            capacity=2,  # circles: the ABSENT timer of individual lessons asks who attended
        )
        for tenant in (TENANT, OTHER_TENANT)
        for n in range(1, 13)
    ]
    with store.unit_of_work() as uow:
        uow.sessions.add_many(due)
        uow.commit()
    kit = SessionKit(uow=store.unit_of_work, clock=ManualClock(T0))
    reports: list[TickReport] = []

    def tick(_: int) -> None:
        reports.append(kit.tick(batch=batch, kinds=["advance"]))

    outcomes = race(4, tick)
    assert outcomes == [None] * 4
    assert sum(r.advanced for r in reports) == len(due)
    assert [r.failed for r in reports] == [()] * 4
    with store.unit_of_work() as uow:
        for tenant in (TENANT, OTHER_TENANT):
            stored = uow.sessions.get_many(tenant, [s.id for s in due if s.tenant == tenant])
            assert {(s.status, s.version) for s in stored} == {("READY", 2)}
    assert kit.tick(kinds=["advance"]).idle


def test_postgres_claim_skips_the_rows_another_unit_holds(store: DjangoStore) -> None:
    """While one unit holds two claimed sessions, another's claim gets only the third at once."""
    if store.vendor != "postgresql":
        pytest.skip("SQLite has no row locks: a second writer waits for the first to commit")
    with store.unit_of_work() as uow:
        uow.sessions.add_many([make_session(n, at=i, resources=()) for i, n in enumerate("abc")])
        uow.commit()
    got: list[list[str]] = []

    def claim_all(_: int) -> None:
        with store.unit_of_work() as other:
            got.append([s.id for s in other.sessions.claim(TENANT, ["a", "b", "c"])])

    with store.unit_of_work() as holder:
        assert [s.id for s in holder.sessions.claim(TENANT, ["b", "a"])] == ["a", "b"]
        assert race(1, claim_all) == [None]  # inside the holder's transaction: no waiting
    assert got == [["c"]]


def test_a_join_stored_while_the_session_ends_is_closed_at_the_end(
    store: DjangoStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    """As ``tests/integration/test_sqlalchemy_presence_seal_race.py``, on the Django store:
    a presence batch held inside its transaction while a cancel runs; the cancel waits for it
    (the batch locked its session) and closes the stay the batch stored."""
    from sessionkit.contrib.django._attendance import DjangoPresenceRepository
    from sessionkit.model.attendance import JOIN, PresenceEvent
    from sessionkit.services.attendance import attendance_facts

    minute = timedelta(minutes=1)
    reached, go = threading.Event(), threading.Event()
    original = DjangoPresenceRepository.add_many

    def held(self: DjangoPresenceRepository, records: object) -> None:
        if threading.current_thread().name == "batch" and not reached.is_set():
            reached.set()
            assert go.wait(30)
        original(self, records)  # type: ignore[arg-type]

    monkeypatch.setattr(DjangoPresenceRepository, "add_many", held)
    clock = ManualClock(T0 - timedelta(days=1))
    kit = SessionKit(uow=store.unit_of_work, clock=clock, facts=attendance_facts())
    session_id = kit.sessions.create_extra(
        TENANT,
        actor="tara",
        start=T0,
        end=T0 + timedelta(hours=1),
        resources=["teacher:tara"],
        lifecycle="academy",
        capacity=2,
    ).id

    def join(who: str, at: object) -> PresenceEvent:
        return PresenceEvent(
            provider="meet",
            event_id=f"{who}-{at}",
            session_id=session_id,
            participant=who,
            action=JOIN,
            at=at,  # type: ignore[arg-type]
        )

    clock.set(T0 + 5 * minute)
    kit.attendance.record_presence(TENANT, [join("teacher:tara", T0 + 5 * minute)])
    clock.set(T0 + 20 * minute)
    errors: list[BaseException] = []

    def run(work: Callable[[], object]) -> None:
        try:
            work()
        except BaseException as exc:  # noqa: BLE001  # asserted below
            errors.append(exc)
        finally:
            close_thread_connections()

    late = join("student:sami", T0 + 19 * minute)
    batch = threading.Thread(
        target=run, args=(lambda: kit.attendance.record_presence(TENANT, [late]),), name="batch"
    )
    batch.start()
    assert reached.wait(30)
    end = threading.Thread(
        target=run, args=(lambda: kit.sessions.cancel(TENANT, session_id, actor="tara"),)
    )
    end.start()
    end.join(2.0)
    go.set()
    batch.join(60)
    end.join(60)
    assert errors == []
    stays = {
        str(record.participant): [(i.joined, i.left) for i in record.intervals]
        for record in kit.attendance.for_session(TENANT, session_id)
    }
    assert stays == {
        "teacher:tara": [(T0 + 5 * minute, T0 + 20 * minute)],
        "student:sami": [(T0 + 19 * minute, T0 + 20 * minute)],
    }


def _until_a_writer_waits(using: str) -> None:
    """Return once a connection to ``using``'s PostgreSQL database waits for a lock."""
    import time

    from django.db import connections

    deadline = time.monotonic() + 30
    with connections[using].cursor() as cursor:
        while time.monotonic() < deadline:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity"
                " WHERE datname = current_database() AND wait_event_type = 'Lock'"
            )
            row = cursor.fetchone()
            if row is not None and row[0]:
                return
            time.sleep(0.02)
    raise AssertionError("no writer came to wait for a lock")


def _in_thread(
    work: Callable[[], object], outcomes: dict[str, BaseException | None], name: str
) -> threading.Thread:
    """Start ``work`` in a thread called ``name``; its outcome goes to ``outcomes[name]``."""

    def run() -> None:
        try:
            work()
        except BaseException as exc:  # noqa: BLE001  # asserted by the tests
            outcomes[name] = exc
        else:
            outcomes[name] = None
        finally:
            close_thread_connections()

    thread = threading.Thread(target=run, name=name)
    thread.start()
    return thread


@pytest.mark.parametrize("status", [CONFIRMED, CANCELLED])
def test_postgres_a_booking_racing_its_sessions_delete_is_a_retryable_conflict(
    store: DjangoStore, status: str
) -> None:
    """Django checks foreign keys at the commit: the loser's is refused, as a sessionkit error.

    A booking in play locks its session, so the delete waits and the booking commits
    first; a cancelled one does not, and the delete commits first. Either way the
    second commit broke a foreign key, which was Django's ``IntegrityError``.
    """
    if store.vendor != "postgresql":
        pytest.skip("SQLite's writers take turns from their first statement: no such race")
    with store.unit_of_work() as uow:
        uow.sessions.add(make_booking_session("s1"))
        uow.commit()
    booked, go = threading.Event(), threading.Event()
    outcomes: dict[str, BaseException | None] = {}

    def book() -> None:
        with store.unit_of_work() as uow:
            uow.bookings.add(make_booking("b1", status=status))
            booked.set()
            assert go.wait(30)
            uow.commit()

    def delete() -> None:
        with store.unit_of_work() as uow:
            uow.sessions.delete(TENANT, "s1", expected_version=1)
            uow.commit()

    booker = _in_thread(book, outcomes, "book")
    assert booked.wait(30)
    deleter = _in_thread(delete, outcomes, "delete")
    if status == CONFIRMED:
        _until_a_writer_waits(store.using)  # the delete waits for the booking's lock
    else:
        deleter.join(30)
    go.set()
    booker.join(30)
    deleter.join(30)
    loser = "delete" if status == CONFIRMED else "book"
    winner = "book" if loser == "delete" else "delete"
    error = outcomes[loser]
    assert outcomes[winner] is None, outcomes
    assert isinstance(error, TransientConflict), outcomes
    assert (error.reason, error.retryable, error.code) == ("constraint", True, "23503")
    assert "nothing was written" in str(error)
    with store.unit_of_work() as uow:
        kept = uow.sessions.get_many(TENANT, ["s1"])
        assert ([s.id for s in kept], uow.bookings.get_many(TENANT, ["b1"]) != []) == (
            (["s1"], True) if status == CONFIRMED else ([], False)
        )


def test_postgres_an_update_waiting_for_a_newer_commit_is_refused(store: DjangoStore) -> None:
    """Two units update one session from version 1: the one that waited gets the conflict.

    The second writer reads version 1 (the first has not committed), so its
    read-then-write check passes; its ``UPDATE`` waits for the first's row
    lock and then finds version 2: the version in the ``UPDATE``'s own
    ``WHERE`` refuses it, as ``ConcurrentModification``, instead of writing
    over the first's change.
    """
    if store.vendor != "postgresql":
        pytest.skip("SQLite's writers take turns from their first statement: no such race")
    with store.unit_of_work() as uow:
        uow.sessions.add(make_session("s1", resources=()))
        uow.commit()
    written, go = threading.Event(), threading.Event()
    outcomes: dict[str, BaseException | None] = {}

    def retitle(title: str, *, hold: bool) -> Callable[[], None]:
        def work() -> None:
            with store.unit_of_work() as uow:
                session = uow.sessions.get(TENANT, "s1")
                uow.sessions.update(attrs.evolve(session, title=title), expected_version=1)
                if hold:
                    written.set()
                    assert go.wait(30)
                uow.commit()

        return work

    first = _in_thread(retitle("first", hold=True), outcomes, "first")
    assert written.wait(30)
    second = _in_thread(retitle("second", hold=False), outcomes, "second")
    _until_a_writer_waits(store.using)  # the second's UPDATE waits for the first's lock
    go.set()
    first.join(30)
    second.join(30)
    error = outcomes["second"]
    assert outcomes["first"] is None, outcomes
    assert isinstance(error, ConcurrentModification), outcomes
    assert (error.record_id, error.expected, error.actual) == ("s1", 1, 2)
    with store.unit_of_work() as uow:
        stored = uow.sessions.get(TENANT, "s1")
    assert (stored.title, stored.version) == ("first", 2)


@contextmanager
def _database_level(using: str, level: str | None) -> Iterator[None]:
    """Run the alias's connections, in every thread, with ``OPTIONS["isolation_level"]``."""
    from django.db import connections
    from psycopg import IsolationLevel

    options = connections[using].settings_dict["OPTIONS"]  # shared by every thread's connection
    connections[using].close()
    if level is not None:
        options["isolation_level"] = IsolationLevel[level]
    try:
        yield
    finally:
        connections[using].close()
        options.pop("isolation_level", None)


def _book_in_atomic(
    store: DjangoStore, level: str, booking_id: str, ready: Callable[[], object]
) -> None:
    """Book ``s1`` in the host's ``atomic()`` at ``level``, after a read of the host's."""
    from django.db import connections, transaction

    with transaction.atomic(using=store.using):
        with connections[store.using].cursor() as cursor:
            cursor.execute(f"SET TRANSACTION ISOLATION LEVEL {level}")
        SessionRecord.objects.using(store.using).count()  # the host's read: its snapshot
        ready()
        with store.unit_of_work() as uow:
            uow.bookings.add(make_booking(booking_id))
            uow.commit()


def _refused(level: str, expected: str) -> Callable[[BaseException | None], bool]:
    def check(outcome: BaseException | None) -> bool:
        return isinstance(outcome, InvalidValue) and (outcome.value, outcome.expected) == (
            level,
            expected,
        )

    return check


@pytest.mark.parametrize(
    ("own", "level"),
    [
        (None, "READ COMMITTED"),
        (None, "REPEATABLE READ"),
        (None, "SERIALIZABLE"),
        ("REPEATABLE_READ", "REPEATABLE READ"),
        ("SERIALIZABLE", "SERIALIZABLE"),
    ],
)
def test_postgres_hosts_that_read_first_never_overbook_the_last_seat(
    store: DjangoStore, own: str | None, level: str
) -> None:
    """Two hosts' ``atomic()`` blocks at ``level`` each read, then book a capacity-1 session.

    Before, under REPEATABLE READ both stored their booking: the second's lock
    waited for the first, then its count read the snapshot of its first read.
    SERIALIZABLE is kept where the database's ``OPTIONS`` make the store's own
    units serializable too (``own``); then one of the two loses.
    """
    if store.vendor != "postgresql":
        pytest.skip("SQLite's writers take turns from their first statement")
    with store.unit_of_work() as uow:
        uow.sessions.add(make_booking_session("s1", capacity=1))
        uow.commit()
    barrier = threading.Barrier(2)
    with _database_level(store.using, own):
        outcomes = race(2, lambda n: _book_in_atomic(store, level, f"b{n}", barrier.wait))
    stored = BookingRecord.objects.using(store.using).count()
    if level == "READ COMMITTED" or own == "SERIALIZABLE":
        assert stored == 1, outcomes
        loser = outcomes[0] or outcomes[1]
        assert None in outcomes, outcomes
        if level == "READ COMMITTED":
            assert isinstance(loser, CapacityExceeded), outcomes
        else:  # the database's serializable checks, on the host's transaction: not retried
            assert isinstance(loser, TransientConflict), outcomes
            assert (loser.reason, loser.retryable) == ("serialization", False)
    else:
        assert stored == 0
        assert all(map(_refused(level, "READ COMMITTED"), outcomes)), outcomes


@pytest.mark.parametrize("level", ["READ COMMITTED", "REPEATABLE READ", "SERIALIZABLE"])
def test_postgres_a_host_that_read_before_a_units_booking_never_overbooks(
    store: DjangoStore, level: str
) -> None:
    """A host reads, a unit of the store's own (READ COMMITTED) takes the last seat, the host books.

    Before, SERIALIZABLE stored the host's booking too: PostgreSQL's checks do
    not watch a READ COMMITTED transaction's commits.
    """
    if store.vendor != "postgresql":
        pytest.skip("SQLite's writers take turns from their first statement")
    with store.unit_of_work() as uow:
        uow.sessions.add(make_booking_session("s1", capacity=1))
        uow.commit()

    def own() -> None:
        with store.unit_of_work() as uow:
            uow.bookings.add(make_booking("own"))
            uow.commit()

    def booked_by_a_unit() -> None:
        outcomes: dict[str, BaseException | None] = {}
        _in_thread(own, outcomes, "own").join(30)
        assert outcomes == {"own": None}

    outcome = race(1, lambda _: _book_in_atomic(store, level, "host", booked_by_a_unit))[0]
    if level == "READ COMMITTED":
        assert isinstance(outcome, CapacityExceeded), outcome
    else:
        assert _refused(level, "READ COMMITTED")(outcome), outcome
    assert list(BookingRecord.objects.using(store.using).values_list("record_id", flat=True)) == [
        "own"
    ]
