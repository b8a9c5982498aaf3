"""The Django unit of work inside the host's transaction: joins ``atomic``, publishes on commit.

Also the database's own guard on PostgreSQL: the exclusion constraint refuses
an overlapping busy row written around sessionkit, and a writer that loses a
race to it gets the same ``SessionConflict`` the check gives.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator, Sequence
from decimal import Decimal
from io import StringIO
from typing import Any

import attrs
import pytest
from django import forms
from django.contrib.auth.models import User
from django.core.checks import ERROR
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from django.db import IntegrityError, connections, transaction
from django.test import TestCase, override_settings

from sessionkit.adapters.memory import InMemoryStore
from sessionkit.contrib.django._sessions import DjangoSessionRepository
from sessionkit.contrib.django.checks import TAG, check_settings
from sessionkit.contrib.django.fields import AmountField, numeric_amount
from sessionkit.contrib.django.models import BookingRecord, PaymentRecord, SessionResource
from sessionkit.contrib.django.signals import events_committed
from sessionkit.contrib.django.store import DjangoStore
from sessionkit.errors import (
    CapacityExceeded,
    InvalidValue,
    SessionConflict,
    UnsupportedKind,
    WrongType,
)
from sessionkit.model.booking import HELD
from sessionkit.model.events import DomainEvent
from sessionkit.model.session import Session
from sessionkit.ports import BOOKINGS, PAYMENTS, Kind
from sessionkit.testing.clocks import RecordingPublisher
from sessionkit.testing.contract import T0, TENANT, _event, make_session
from sessionkit.testing.contract.bookings import make_booking, make_booking_session
from sessionkit.testing.contract.payments import make_payment

from .conftest import POSTGRES_URL, clear, close_thread_connections, sqlite_takes_turns


@pytest.fixture(params=["sqlite", "postgres"])
def using(request: pytest.FixtureRequest) -> Iterator[str]:
    """Each test on SQLite and (with the server) on PostgreSQL, from empty tables."""
    if request.param == "postgres" and not POSTGRES_URL:
        pytest.skip("set SESSIONKIT_TEST_POSTGRES_URL to run the PostgreSQL tests")
    alias: str = request.getfixturevalue(
        "postgres_db" if request.param == "postgres" else "sqlite_db"
    )
    clear(alias)
    User.objects.using(alias).all().delete()
    yield alias
    clear(alias)
    User.objects.using(alias).all().delete()


@pytest.fixture
def signalled() -> Iterator[list[tuple[DomainEvent, ...]]]:
    """The batches the ``events_committed`` signal carried during the test."""
    received: list[tuple[DomainEvent, ...]] = []

    def receive(sender: object, events: Sequence[DomainEvent], **_: Any) -> None:
        received.append(tuple(events))

    events_committed.connect(receive, dispatch_uid="sessionkit-tests")
    yield received
    events_committed.disconnect(dispatch_uid="sessionkit-tests")


def stored_ids(store: DjangoStore) -> list[str]:
    with store.unit_of_work() as uow:
        return [s.id for s in uow.sessions.for_series(TENANT, "none")] + [
            s.id for s in uow.sessions.get_many(TENANT, ["a", "b"])
        ]


def test_a_unit_inside_atomic_publishes_when_the_host_commits(
    using: str, signalled: list[tuple[DomainEvent, ...]]
) -> None:
    publisher = RecordingPublisher()
    store = DjangoStore(publisher, using=using)
    event = _event()
    with transaction.atomic(using=using):
        with store.unit_of_work() as uow:
            assert uow.joined
            uow.sessions.add(make_session("a"))
            uow.collect([event])
            uow.commit()
        User.objects.db_manager(using).create_user("host-write")
        assert publisher.events == []
        assert signalled == []
    assert publisher.batches == [(event,)]
    assert signalled == [(event,)]
    assert stored_ids(store) == ["a"]


def test_the_host_rolling_back_undoes_sessionkit_and_publishes_nothing(
    using: str, signalled: list[tuple[DomainEvent, ...]]
) -> None:
    publisher = RecordingPublisher()
    store = DjangoStore(publisher, using=using)

    def host_view() -> None:
        with transaction.atomic(using=using):
            User.objects.db_manager(using).create_user("host-write")
            with store.unit_of_work() as uow:
                uow.sessions.add(make_session("a"))
                uow.collect([_event()])
                uow.commit()
            raise LookupError("the host's view fails after sessionkit committed")

    with pytest.raises(LookupError):
        host_view()
    assert publisher.events == []
    assert signalled == []
    assert stored_ids(store) == []
    assert not User.objects.using(using).filter(username="host-write").exists()


class _FailsOnce:
    """A publisher that raises for the first batch it is offered, and records every batch."""

    def __init__(self) -> None:
        self.batches: list[tuple[DomainEvent, ...]] = []

    def publish(self, events: Sequence[DomainEvent]) -> None:
        self.batches.append(tuple(events))
        if len(self.batches) == 1:
            raise RuntimeError("the notifier is down")


def test_a_raising_publisher_costs_the_later_units_in_atomic_nothing(
    using: str, signalled: list[tuple[DomainEvent, ...]]
) -> None:
    # Each unit's events were an on_commit callback of their own, and Django runs none after
    # one that raised: the second unit's events were never published nor signalled.
    publisher = _FailsOnce()
    store = DjangoStore(publisher, using=using)
    first, second, dropped = _event(), _event(tenant="t2"), _event(tenant="t3")

    def host_view() -> None:
        with transaction.atomic(using=using):
            for at, (name, event) in enumerate((("a", first), ("b", second))):
                with store.unit_of_work() as uow:
                    uow.sessions.add(make_session(name, at=2 * at))
                    uow.collect([event])
                    uow.commit()
            with contextlib.suppress(LookupError), transaction.atomic(using=using):
                with store.unit_of_work() as uow:  # its savepoint rolls back: never published
                    uow.collect([dropped])
                    uow.commit()
                raise LookupError("the host's inner block fails")

    with pytest.raises(RuntimeError, match="the notifier is down"):
        host_view()
    assert publisher.batches == [(first,), (second,)]
    assert signalled == [(first,), (second,)]
    assert stored_ids(store) == ["a", "b"]


def test_captured_on_commit_callbacks_publish_every_unit_s_events(
    using: str, signalled: list[tuple[DomainEvent, ...]]
) -> None:
    """A host's test: ``captureOnCommitCallbacks(execute=True)`` inside ``TestCase``'s atomic.

    The failures' callback moved to the end from below the count the capture began at,
    taking the new unit's callback's place: the capture ran it alone, and neither the
    unit's events nor a unit a receiver opened were ever published.
    """
    store = DjangoStore(using=using)
    events = [_event(tenant=f"t{n}") for n in range(4)]

    def unit(event: DomainEvent) -> None:
        with store.unit_of_work() as uow:
            uow.collect([event])
            uow.commit()

    def again(sender: object, events: Sequence[DomainEvent], **_: Any) -> None:
        if events[0] is not last:
            unit(last)  # a receiver running a command of its own

    *earlier, inside, last = events
    events_committed.connect(again, dispatch_uid="sessionkit-tests-again")
    try:
        with transaction.atomic(using=using):  # as TestCase's
            for event in earlier:  # before the capture (setUp, say): never committed
                unit(event)
            with TestCase.captureOnCommitCallbacks(using=using, execute=True):
                unit(inside)
            transaction.set_rollback(True, using=using)
    finally:
        events_committed.disconnect(dispatch_uid="sessionkit-tests-again")
    assert signalled == [(inside,), (last,)]


def test_one_unit_in_atomic_registers_one_callback_that_raises_itself(using: str) -> None:
    store = DjangoStore(_FailsOnce(), using=using)
    connection = connections[using]
    with transaction.atomic(using=using):
        before = len(connection.run_on_commit)
        with store.unit_of_work() as uow:
            uow.collect([_event()])
            uow.commit()
        (callback,) = [hook[1] for hook in connection.run_on_commit[before:]]
        with pytest.raises(RuntimeError, match="the notifier is down"):
            callback()
        connection.run_on_commit = connection.run_on_commit[:before]


def test_a_rolled_back_unit_inside_atomic_leaves_the_host_s_writes(using: str) -> None:
    publisher = RecordingPublisher()
    store = DjangoStore(publisher, using=using)
    with transaction.atomic(using=using):
        User.objects.db_manager(using).create_user("host-write")
        with store.unit_of_work() as uow:
            uow.sessions.add(make_session("a"))
            uow.collect([_event()])
        with store.unit_of_work() as uow:
            uow.sessions.add(make_session("b", at=2))
            uow.commit()
    assert stored_ids(store) == ["b"]
    assert User.objects.using(using).filter(username="host-write").exists()
    assert publisher.events == []


def test_a_unit_on_its_own_publishes_after_it_closed(
    using: str, signalled: list[tuple[DomainEvent, ...]]
) -> None:
    publisher = RecordingPublisher()
    store = DjangoStore(publisher, using=using)
    first, second = _event(), _event("globex")
    with store.unit_of_work() as uow:
        assert not uow.joined
        uow.collect([first])
        uow.commit()
        uow.collect([second])
        uow.commit()
        assert signalled == []
    assert publisher.batches == [(first,), (second,)]
    assert signalled == [(first,), (second,)]


def test_a_kind_without_tables_is_unsupported(using: str) -> None:
    notes: Kind[Any] = Kind("note", dict)
    with DjangoStore(using=using).unit_of_work() as uow, pytest.raises(UnsupportedKind) as caught:
        uow.repository(notes)
    assert caught.value.kind == "note"
    assert set(caught.value.known) == {
        "analytics",
        "session",
        "series",
        "booking",
        "reschedule",
        "journal_entry",
        "payment",
        "payment_event",
        "presence",
        "attendance_override",
        "subscription",
        "usage",
        "counter",
        "session_code",
    }


def test_a_kind_of_yours_named_as_one_of_sessionkits_is_refused(using: str) -> None:
    # It was handed sessionkit's booking repository, as the memory store did.
    tickets: Kind[Any] = Kind("booking", dict)
    with DjangoStore(using=using).unit_of_work() as uow:
        with pytest.raises(InvalidValue, match="kind name 'booking' is sessionkit's own"):
            uow.repository(tickets)
        assert uow.repository(BOOKINGS) is uow.bookings


def test_the_store_needs_time_zone_support() -> None:
    with override_settings(USE_TZ=False), pytest.raises(InvalidValue) as caught:
        DjangoStore()
    assert caught.value.expected == "USE_TZ = True"


def test_the_store_refuses_a_database_without_autocommit(using: str) -> None:
    """``AUTOCOMMIT = False``: the events waited for an ``on_commit`` that never ran.

    The unit's writes stayed in the host's manual transaction, and the host's
    ``transaction.commit()`` ran no ``on_commit`` callback: nothing was ever published.
    """
    settings = connections.settings[using]
    settings["AUTOCOMMIT"] = False
    try:
        with pytest.raises(InvalidValue, match="AUTOCOMMIT") as caught:
            DjangoStore(using=using)
    finally:
        settings["AUTOCOMMIT"] = True
    assert caught.value.expected == "AUTOCOMMIT = True for the database"


@pytest.fixture
def settings_as_the_docs_ask(monkeypatch: pytest.MonkeyPatch) -> None:
    """Before Django 5.1, ``transaction_mode`` put in the SQLite aliases' settings for the checks.

    The checks read the settings only (they open no connection); before 5.1 the
    test settings cannot carry the option, which ``sqlite3.connect`` refuses, and
    every SQLite alias warned ``sessionkit.W001`` beside what a test checks.
    """
    if sqlite_takes_turns():
        return
    for settings in connections.settings.values():
        if settings["ENGINE"].endswith("sqlite3"):
            options = {**settings.get("OPTIONS", {}), "transaction_mode": "IMMEDIATE"}
            monkeypatch.setitem(settings, "OPTIONS", options)


@pytest.mark.usefixtures("settings_as_the_docs_ask")
def test_the_settings_checks_pass_on_settings_as_the_docs_ask() -> None:
    assert check_settings() == []
    out = StringIO()
    call_command("check", "--fail-level", "WARNING", tags=[TAG], stdout=out)
    assert "no issues" in out.getvalue()


@pytest.mark.usefixtures("settings_as_the_docs_ask")
@pytest.mark.parametrize("mode", [None, "DEFERRED", "deferred"])
def test_sqlite_without_the_lock_at_begin_is_a_warning(
    monkeypatch: pytest.MonkeyPatch, mode: str | None
) -> None:
    options = connections.settings["default"]["OPTIONS"]
    if mode is None:
        monkeypatch.delitem(options, "transaction_mode")
    else:
        monkeypatch.setitem(options, "transaction_mode", mode)
    [warning] = check_settings()
    assert warning.id == "sessionkit.W001"
    assert "'default'" in warning.msg
    assert repr(mode) in warning.msg
    assert warning.hint is not None
    # Before Django 5.1 the hint says the option comes with 5.1, and how to live without it.
    assert ('"IMMEDIATE"' if sqlite_takes_turns() else "silence sessionkit.W001") in warning.hint
    with pytest.raises(SystemCheckError, match=r"sessionkit\.W001"):
        call_command("check", "--fail-level", "WARNING", tags=[TAG], stdout=StringIO())


@pytest.mark.usefixtures("settings_as_the_docs_ask")
def test_every_sqlite_database_that_may_hold_the_tables_is_checked(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # DjangoStore(using=...) may write to any of them: each without the lock at BEGIN warns.
    for alias in ("default", "sqlite_busy"):
        monkeypatch.setitem(connections.settings[alias]["OPTIONS"], "transaction_mode", "DEFERRED")
    found = check_settings()
    assert [m.id for m in found] == ["sessionkit.W001", "sessionkit.W001"]
    assert ["'default'" in found[0].msg, "'sqlite_busy'" in found[1].msg] == [True, True]


@pytest.mark.usefixtures("settings_as_the_docs_ask")
@pytest.mark.parametrize("mode", ["IMMEDIATE", "immediate", "EXCLUSIVE"])
def test_sqlite_taking_the_lock_at_begin_passes(monkeypatch: pytest.MonkeyPatch, mode: str) -> None:
    monkeypatch.setitem(connections.settings["default"]["OPTIONS"], "transaction_mode", mode)
    assert check_settings() == []


@pytest.mark.usefixtures("settings_as_the_docs_ask")
@pytest.mark.parametrize("vendor", ["mysql", "oracle"])
def test_a_database_of_a_vendor_the_store_refuses_is_an_error(
    monkeypatch: pytest.MonkeyPatch, vendor: str
) -> None:
    # manage.py check said nothing on MariaDB, where DjangoStore() then refused to start.
    monkeypatch.setattr(connections["default"], "vendor", vendor)
    [error] = check_settings()
    assert (error.id, error.level) == ("sessionkit.E003", ERROR)
    assert f"'default' (which may hold sessionkit's tables) is {vendor}" in error.msg
    with pytest.raises(InvalidValue) as caught:
        DjangoStore()
    assert caught.value.value == vendor


class _SessionkitOn:
    """A host's router: sessionkit's tables on one alias (``None``: on none)."""

    def __init__(self, alias: str | None) -> None:
        self.alias = alias

    def allow_migrate(self, db: str, app_label: str, **hints: object) -> bool | None:
        return db == self.alias if app_label == "sessionkit" else None


def test_the_store_refuses_an_alias_the_routers_keep_its_tables_off(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # A host routing sessionkit to another database, with DjangoStore() as docs/django.md
    # shows: it wrote to tables migrate never made on 'default' (or stale ones left there,
    # which the admin, reading where the routers point, never showed); on a MySQL default
    # it was refused as MySQL, though the routers kept sessionkit on PostgreSQL or SQLite.
    monkeypatch.setattr(connections["default"], "vendor", "mysql")
    with override_settings(DATABASE_ROUTERS=[_SessionkitOn("sqlite_file")]):
        with pytest.raises(InvalidValue) as caught:
            DjangoStore()
        assert caught.value.value == "default"
        assert "DATABASE_ROUTERS keep sessionkit's tables off 'default'" in str(caught.value)
        assert "pass using='sqlite_file'" in str(caught.value)
        assert DjangoStore(using="sqlite_file").using == "sqlite_file"
    with (
        override_settings(DATABASE_ROUTERS=[_SessionkitOn(None)]),
        pytest.raises(InvalidValue, match="let a router allow migrating the app"),
    ):
        DjangoStore(using="sqlite_file")


@pytest.mark.usefixtures("settings_as_the_docs_ask")
@pytest.mark.parametrize("zone", ["Europe/Berlin", "America/New_York"])
def test_a_local_time_zone_of_a_sqlite_database_is_an_error_and_refused(
    monkeypatch: pytest.MonkeyPatch, zone: str
) -> None:
    # Django stores naive local times on SQLite then: 00:30 and 01:30 UTC on 25 October
    # 2026 are both 02:30 in Berlin, and a session read back an hour off.
    monkeypatch.setitem(connections.settings["default"], "TIME_ZONE", zone)
    [error] = check_settings()
    assert (error.id, error.level) == ("sessionkit.E002", ERROR)
    assert "'default'" in error.msg
    assert repr(zone) in error.msg
    with pytest.raises(InvalidValue) as caught:
        DjangoStore()
    assert caught.value.value == zone
    for utc in ("UTC", "Etc/UTC", "GMT"):  # names of UTC itself lose nothing
        monkeypatch.setitem(connections.settings["default"], "TIME_ZONE", utc)
        assert check_settings() == []
        DjangoStore()


@pytest.mark.usefixtures("settings_as_the_docs_ask")
@pytest.mark.parametrize("zone", ["Greenwich", "Etc/Greenwich", "Zulu", "Etc/GMT-0"])
def test_every_name_of_utc_for_a_sqlite_database_passes(
    monkeypatch: pytest.MonkeyPatch, zone: str
) -> None:
    # tzdata's links to UTC: "Greenwich" was refused (E002, and DjangoStore() would not
    # start), though Django stores UTC itself there and the fold holds two instants apart.
    monkeypatch.setitem(connections.settings["default"], "TIME_ZONE", zone)
    assert check_settings() == []
    assert DjangoStore().using == "default"


@pytest.mark.usefixtures("settings_as_the_docs_ask")
def test_no_time_zone_support_is_an_error() -> None:
    with override_settings(USE_TZ=False):
        found = check_settings()
    assert [(m.id, m.level) for m in found] == [("sessionkit.E001", ERROR)]


# ---------------------------------------------------------------------- PostgreSQL's guard


def test_postgres_refuses_an_overlapping_busy_row_written_around_sessionkit(
    postgres_db: str,
) -> None:
    clear(postgres_db)
    store = DjangoStore(using=postgres_db)
    with store.unit_of_work() as uow:
        uow.sessions.add(make_session("a"))
        uow.commit()
    with store.unit_of_work() as uow:
        uow.sessions.add(make_session("b", busy=False))
        uow.commit()
    rows = SessionResource.objects.using(postgres_db)
    busy, idle = rows.get(busy=True), rows.get(busy=False)
    refused = pytest.raises(IntegrityError, match="sessionkit_dj_no_double_booking")
    with refused, transaction.atomic(using=postgres_db):
        rows.filter(pk=idle.pk).update(busy=True)
    # Back to back is no overlap ([start, end) ranges); another resource neither.
    rows.filter(pk=idle.pk).update(
        busy=True, start_at=busy.end_at, end_at=busy.end_at + (busy.end_at - busy.start_at)
    )
    assert rows.filter(busy=True).count() == 2
    clear(postgres_db)


def test_postgres_repeatable_read_still_counts_the_seats_committed_meanwhile(
    postgres_db: str,
) -> None:
    """A host's ``OPTIONS["isolation_level"]`` REPEATABLE READ: the last seat is taken once.

    The unit's first read fixed its snapshot, so the count after the session's lock
    missed the booking another unit committed meanwhile: capacity 1 held two.
    """
    from psycopg import IsolationLevel

    clear(postgres_db)
    store = DjangoStore(using=postgres_db)
    with store.unit_of_work() as uow:
        uow.sessions.add(make_booking_session("s1", capacity=1))
        uow.commit()

    def other() -> None:
        try:
            with store.unit_of_work() as uow:
                uow.bookings.add(make_booking("b1", participant="student:bo"))
                uow.commit()
        finally:
            close_thread_connections()

    options = connections[postgres_db].settings_dict["OPTIONS"]
    connections[postgres_db].close()
    options["isolation_level"] = IsolationLevel.REPEATABLE_READ
    try:
        with store.unit_of_work() as uow:
            uow.sessions.get(TENANT, "s1")  # the unit's first read
            worker = threading.Thread(target=other)
            worker.start()
            worker.join()
            with pytest.raises(CapacityExceeded):
                uow.bookings.add(make_booking("b2", participant="student:al"))
        with store.unit_of_work() as uow:
            assert [b.id for b in uow.bookings.for_session(TENANT, "s1")] == ["b1"]
    finally:
        connections[postgres_db].close()
        del options["isolation_level"]
        clear(postgres_db)


def test_postgres_a_writer_losing_the_race_gets_the_session_conflict(
    postgres_db: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A writer without the advisory locks (an older version, another program) races one.

    Neither check sees the other's uncommitted row; the constraint decides,
    and the store explains its refusal as the conflict.
    """
    clear(postgres_db)
    monkeypatch.setattr(DjangoSessionRepository, "lock_resources", lambda *_: None)
    explained: list[str] = []
    original = DjangoSessionRepository._explain

    def spy(self: DjangoSessionRepository, record: Session, *args: Any, **kwargs: Any) -> Any:
        explained.append(record.id)
        return original(self, record, *args, **kwargs)

    monkeypatch.setattr(DjangoSessionRepository, "_explain", spy)
    store = DjangoStore(using=postgres_db)
    written, checked = threading.Event(), threading.Event()
    outcome: list[BaseException | None] = []

    def first() -> None:
        try:
            with store.unit_of_work() as uow:
                uow.sessions.add(make_session("first"))
                written.set()
                checked.wait(10)
                # Let the second writer's INSERT reach the constraint and wait on this one.
                threading.Event().wait(0.5)
                uow.commit()
        finally:
            close_thread_connections()

    def second() -> None:
        written.wait(10)
        try:
            with store.unit_of_work() as uow:
                assert (
                    uow.sessions.busy_overlapping(
                        TENANT, resources=make_session("x").resources, span=make_session("x").span
                    )
                    == []
                )
                checked.set()
                uow.sessions.add(make_session("second", at=0.5))
                uow.commit()
            outcome.append(None)
        except BaseException as exc:  # noqa: BLE001  # asserted below
            outcome.append(exc)
        finally:
            close_thread_connections()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert not any(thread.is_alive() for thread in threads)
    [error] = outcome
    assert isinstance(error, SessionConflict)
    assert [s.id for s in error.conflicts] == ["first"]
    assert explained == ["second"]  # refused by the constraint, not by the check
    with store.unit_of_work() as uow:
        assert [s.id for s in uow.sessions.get_many(TENANT, ["first", "second"])] == ["first"]
    clear(postgres_db)
    connections[postgres_db].close()


def test_postgres_expiring_orders_ties_by_code_point_whatever_the_collation(
    postgres_db: str,
) -> None:
    """Holds running out together go by tenant, then id, by code point, as in memory.

    They went by the columns' collation: under an ICU one ``acme`` came before
    ``Zeta`` and ``a1`` before ``B1``, so a capped batch of the tick expired
    other holds first than the memory and SQLAlchemy stores do.
    """
    with connections[postgres_db].cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_collation WHERE collname = 'und-x-icu'")
        if cursor.fetchone() is None:
            pytest.skip("the server has no ICU collations")
    clear(postgres_db)
    sessions = [make_booking_session("s1"), make_booking_session("s1", tenant="Zeta")]
    bookings = [
        make_booking("a1", status=HELD, hold_until=-3),
        make_booking("B1", status=HELD, hold_until=-3),
        make_booking("c1", tenant="Zeta", status=HELD, hold_until=-3),
        make_booking("late", status=HELD, hold_until=-2),
    ]
    expected = [("Zeta", "c1"), (TENANT, "B1"), (TENANT, "a1"), (TENANT, "late")]
    memory = InMemoryStore()
    for store in (memory, DjangoStore(using=postgres_db)):
        with store.unit_of_work() as uow:
            for session in sessions:
                uow.sessions.add(session)
            for booking in bookings:
                uow.bookings.add(booking)
            uow.commit()
    with memory.unit_of_work() as uow:
        found = uow.bookings.expiring(None, before=T0, limit=10)
        assert [(b.tenant, b.id) for b in found] == expected
    fields = {name: BookingRecord._meta.get_field(name) for name in ("tenant", "record_id")}

    def collate(collation: str) -> None:
        with connections[postgres_db].cursor() as cursor:
            cursor.execute(
                "ALTER TABLE sessionkit_booking "
                + ", ".join(
                    f"ALTER COLUMN {name} TYPE {field.db_type(connections[postgres_db])}"
                    f' COLLATE "{collation}"'
                    for name, field in fields.items()
                )
            )

    collate("und-x-icu")
    try:
        with DjangoStore(using=postgres_db).unit_of_work() as uow:
            found = uow.bookings.expiring(None, before=T0, limit=10)
            assert [(b.tenant, b.id) for b in found] == expected
            capped = uow.bookings.expiring(TENANT, before=T0, limit=1)
            assert [b.id for b in capped] == ["B1"]
    finally:
        collate("default")
        clear(postgres_db)


def test_the_migrations_match_the_models() -> None:
    """``makemigrations --check`` finds nothing to do: every table comes from a migration."""
    out = StringIO()
    call_command("makemigrations", "sessionkit", "--check", "--dry-run", stdout=out)
    assert "No changes detected" in out.getvalue()


def test_an_amount_the_columns_would_round_is_refused(using: str) -> None:
    """Seven decimal places: ``InvalidValue`` naming the payment, nothing written."""
    payment = attrs.evolve(make_payment("p1"), refund_due=Decimal("0.0000001"))
    with DjangoStore(using=using).unit_of_work() as uow:
        with pytest.raises(InvalidValue, match="'p1'") as caught:
            uow.repository(PAYMENTS).add(payment)
        assert caught.value.value == Decimal("0.0000001")
    with pytest.raises(TypeError, match="never a float"):
        AmountField().to_python(0.1)


def test_an_amount_field_in_a_form_or_full_clean_reports_bad_input_on_the_field() -> None:
    """A host's ModelForm (or ``full_clean``) over an ``AmountField``.

    Its form field was a ``CharField``: "abc" failed with ``decimal.InvalidOperation`` (a
    500 in a view), and "NaN" or seven decimal places passed, to fail only when saved.
    """

    class AmountForm(forms.ModelForm):  # type: ignore[type-arg]  # django-stubs' generic
        class Meta:
            model = PaymentRecord
            fields = ("amount",)

    answers = {
        text: dict(form.errors) if not form.is_valid() else form.cleaned_data["amount"]
        for text in ("abc", "NaN", "1.1234567", "12.5")
        for form in [AmountForm(data={"amount": text})]
    }
    assert answers == {
        "abc": {"amount": ["Enter a number."]},
        "NaN": {"amount": ["Enter a number."]},
        "1.1234567": {"amount": ["Ensure that there are no more than 6 decimal places."]},
        "12.5": Decimal("12.5"),
    }
    field = AmountField()
    for bad in ("abc", Decimal("NaN"), Decimal("0.0000001")):
        with pytest.raises(ValidationError) as caught:
            field.clean(bad, None)
        assert caught.value.code == "invalid"


def test_numeric_amount_compares_and_orders_amounts_by_value(using: str) -> None:
    """On SQLite the column is text: by the field, "9" > "50" and "10" sorts before "9"."""
    given = {"p1": "9", "p2": "10", "p3": "100", "p4": "2.5"}
    with DjangoStore(using=using).unit_of_work() as uow:
        uow.sessions.add(make_booking_session("s1", capacity=5))
        for payment_id, amount in given.items():
            uow.bookings.add(make_booking(f"b-{payment_id}"))
            uow.repository(PAYMENTS).add(make_payment(payment_id, amount=amount))
        uow.commit()
    rows = PaymentRecord.objects.using(using).alias(value=numeric_amount("amount"))
    assert sorted(rows.filter(value__gt=9).values_list("record_id", flat=True)) == ["p2", "p3"]
    ordered = rows.order_by(numeric_amount("amount").desc()).values_list("record_id", flat=True)
    assert list(ordered) == ["p3", "p2", "p1", "p4"]


def test_the_store_refuses_a_publisher_that_cannot_publish() -> None:
    bad = object()
    with pytest.raises(WrongType) as caught:
        DjangoStore(bad)  # type: ignore[arg-type]
    assert caught.value.name == "publisher"
    assert caught.value.value is bad


def test_the_journal_commits_with_the_change_and_the_hosts_rollback_takes_both(
    using: str,
) -> None:
    from datetime import UTC, datetime, timedelta

    from sessionkit.services import SessionKit
    from sessionkit.testing.clocks import ManualClock

    now = datetime(2026, 3, 2, 8, tzinfo=UTC)
    kit = SessionKit(
        uow=DjangoStore(using=using).unit_of_work, clock=ManualClock(now), journal=True
    )

    def lesson(hour: int) -> str:
        start = now + timedelta(days=1, hours=hour)
        made = kit.sessions.create_extra(
            TENANT,
            actor="leo",
            start=start,
            end=start + timedelta(hours=1),
            resources=["coach:leo"],
            lifecycle="coaching",
        )
        return made.id

    kept = lesson(0)
    kit.sessions.cancel(TENANT, kept, actor="leo", reason="ill")
    made: list[str] = []

    def host_view() -> None:
        with transaction.atomic(using=using):
            made.append(lesson(2))
            raise LookupError("the host's view fails after sessionkit committed")

    with pytest.raises(LookupError):
        host_view()
    [dropped] = made
    rows = [(e.event, e.actor, e.status, e.reason) for e in kit.journal.for_session(TENANT, kept)]
    assert rows == [
        ("SessionCreated", "leo", "SCHEDULED", None),
        ("SessionCanceled", "leo", "CANCELLED", "ill"),
    ]
    assert kit.journal.for_session(TENANT, dropped) == []


def test_the_stores_own_capacity_check_computes_no_may_free_at(using: str) -> None:
    # Only the booking commands compute it (CapacityExceeded says so), as on every store.
    store = DjangoStore(using=using)
    with store.unit_of_work() as uow:
        uow.sessions.add(make_booking_session("s1", capacity=1))
        uow.bookings.add(make_booking("held", status=HELD, hold_until=-9, created=-20))
        uow.commit()
    with store.unit_of_work() as uow, pytest.raises(CapacityExceeded) as caught:
        uow.bookings.add(make_booking("late", created=-10))  # the hold runs out at -9
    assert (caught.value.taken, caught.value.waiting, caught.value.may_free_at) == (1, 0, None)
