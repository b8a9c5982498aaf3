"""What the platform demos share: a fixed clock, the store ``--db`` names, paged reads.

Like ``sessionkit.cli`` the demos are composition roots, so they may import the adapters.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

from sessionkit.adapters.memory import InMemoryStore
from sessionkit.demo._database import (
    Refusal,
    arguments_refused,
    check_database_named,
    check_not_a_directory,
    check_sync_driver,
    connect_refusal,
    driver_hint,
    make_engine,
    missing_schema,
    shown_url,
    sqlite_directory_hint,
    url_hint,
)
from sessionkit.demo._database_urls import masked_text
from sessionkit.demo._run_lock import DemoBusy, hold_run_lock
from sessionkit.errors import (
    InvalidValue,
    MeetingRoomsError,
    SessionKitError,
    StorageError,
    StorageUnavailable,
    TransientConflict,
)
from sessionkit.errors._base import shown
from sessionkit.model.payment import (
    AUTHORIZED,
    CANCELLED,
    FAILED,
    PAID,
    PARTIALLY_REFUNDED,
    PENDING,
    REFUNDED,
)
from sessionkit.model.query import MAX_LIMIT
from sessionkit.ports import EventPublisher, IntentStatus, UnitOfWorkFactory
from sessionkit.services import SessionKit, TopUpFailure
from sessionkit.testing.payments import FakeGateway, FakeIntent

__all__ = [
    "DatabaseUnreachable",
    "DueWorkFailed",
    "FixedClock",
    "Refusal",
    "StepFailed",
    "all_done",
    "all_due_done",
    "check_database_named",
    "check_not_a_directory",
    "check_sync_driver",
    "connect_refusal",
    "driver_hint",
    "make_engine",
    "missing_schema",
    "now_in_utc",
    "open_store",
    "provider_calls_done",
    "resume_provider",
    "shown_url",
    "step",
    "url_hint",
]


class FixedClock:
    """A :class:`~sessionkit.ports.Clock` that always says the same instant."""

    def __init__(self, instant: datetime) -> None:
        self._instant = instant

    def now(self) -> datetime:
        """Return the fixed instant."""
        return self._instant


def now_in_utc(now: datetime) -> str:
    """``now`` for a demo's first line: the instant in UTC, however ``--now`` wrote its offset."""
    return f"{now.astimezone(UTC):%a %Y-%m-%d %H:%M} UTC"


def all_done(failed: Iterable[TopUpFailure]) -> None:
    """Raise the error of the first series ``top_up`` reports in ``failed``; return if none.

    ``top_up`` reports a series it could not refill and goes on, as a job for all
    tenants must; a demo that went on read a read-only database as "already
    scheduled, nothing to top up" and exited 0. It says the error instead.
    """
    for failure in failed:
        raise failure.error


class DueWorkFailed(SessionKitError, RuntimeError):
    """A demo could not do some due work: it stops there; running it again retries.

    ``job`` is the tick's job (``"advance_due"``, ``"approve_reschedules"``) or the
    provider calls' (``"payments.run_due"``), ``item_id`` the session, reschedule
    request or payment it failed for, and ``error`` the error it met.
    """

    def __init__(self, *, job: str, item_id: str, error: Exception) -> None:
        super().__init__(
            f"the demo could not do its due work: {job} failed for {shown(item_id)} "
            f"({type(error).__name__}: {error}); the demo stopped there (running it again "
            "retries it)"
        )
        self.job = job
        self.item_id = item_id
        self.error = error


def all_due_done(job: str, failed: Iterable[tuple[str, Exception]]) -> None:
    """Raise :class:`DueWorkFailed` for the first (item id, error) in ``failed``; return if none.

    The tick's jobs report an item they could not do and go on, as a job for
    all tenants must; a demo that read only what they did printed its story
    as a success, and exited 0, with a session left where it was.
    """
    for item_id, error in failed:
        raise DueWorkFailed(job=job, item_id=item_id, error=error) from error


def provider_calls_done(kit: SessionKit, tenant: str) -> None:
    """Make the provider calls a command left due; raise :class:`DueWorkFailed` if one fails.

    A command makes its provider calls (a cancel's refund) once its unit of
    work commits; one that fails is left due for ``kit.payments.run_due``, and
    the command returns all the same: a demo that went on printed "0.00 EUR
    refunded" and exited 0 with the provider down. Nothing is due after a
    call that succeeded: then this does nothing. A call a stopped run tried
    waits for its retry time, past this run's clock (the demo's clock is
    fixed): it is made at that time, so running the demo again makes it.
    """
    report = kit.payments.run_due(tenant, limit=MAX_LIMIT)
    all_due_done("payments.run_due", ((pid, error) for _tenant, pid, error in report.failed))
    waiting = [p.retry_at for p in kit.payments.each(tenant) if p.due and p.retry_at]
    if waiting:
        report = kit.payments.run_due(tenant, limit=MAX_LIMIT, now=max(waiting))
        all_due_done("payments.run_due", ((pid, err) for _tenant, pid, err in report.failed))


class DatabaseUnreachable(InvalidValue):
    """A demo's ``--db`` names a database that cannot be opened or reached (refused, down).

    Or one that refuses to take sessionkit's tables (read-only, full, locked), as it
    would refuse the demo's writes.

    Not a bad ``--db``: the same URL may work on the next run (the command line's
    status 1, as a tick's). ``value`` is the ``--db`` as given, its password masked.
    """


class StepFailed(SessionKitError, RuntimeError):
    """A demo's step met a host's error (a fact provider's, the meeting provider's): it stops there.

    ``step`` is the command (``"kit.reschedules.request"``), ``item_id`` the
    session or request it was for, and ``error`` the error it met. Running the
    demo again retries the step (every write is keyed).
    """

    def __init__(self, *, step: str, item_id: str, error: Exception) -> None:
        super().__init__(
            f"the demo could not do its step: {step} failed for {shown(item_id)} "
            f"({type(error).__name__}: {error}); the demo stopped there (running it again "
            "retries it)"
        )
        self.step = step
        self.item_id = item_id
        self.error = error


@contextmanager
def step(name: str, item_id: str) -> Iterator[None]:
    """Raise :class:`StepFailed` for an error of host code the block calls.

    sessionkit's own errors (a refusal) pass as they are; another one came from
    code the kit calls, such as the host's fact provider, and left the demo as a
    traceback. A :class:`~sessionkit.errors.MeetingRoomsError` is the meeting
    provider's failure after a commit (a cancel's room not closed): it stops the
    demo as the tick's does (:class:`DueWorkFailed`), not as a bad argument.
    """
    try:
        yield
    except MeetingRoomsError as exc:  # the provider's, reported by the kit's RoomKeeper
        raise StepFailed(step=name, item_id=item_id, error=exc) from exc
    except SessionKitError:
        raise
    except Exception as exc:  # any host code's error: said in one line, not a traceback
        raise StepFailed(step=name, item_id=item_id, error=exc) from exc


def open_store(
    db: str, *, publisher: EventPublisher | None = None
) -> tuple[UnitOfWorkFactory, str]:
    """Return a unit-of-work factory for ``db`` ("memory" or a SQLAlchemy URL) and its name.

    A database gets sessionkit's tables through the shipped Alembic
    migrations, so an existing demo database is upgraded in place. Committed
    events go to ``publisher``, if given. In a :func:`~._run_lock.demo_run` it
    first waits for another run on the database to end (:class:`~._run_lock.DemoBusy`
    if it does not end in time), and holds the database until this one does.
    """
    if db == "memory":
        return InMemoryStore(publisher).unit_of_work, "memory"
    shown = shown_url(db)
    try:
        from sqlalchemy.exc import ArgumentError, DBAPIError

        from sessionkit.adapters.sqlalchemy import SqlAlchemyStore, upgrade
    except ImportError as exc:
        raise InvalidValue(
            f"--db {shown!r} needs SQLAlchemy: pip install 'sessionkit[sqlalchemy]' "
            "(or pass --db memory)",
            value=shown,
            expected="an installed sqlalchemy extra",
        ) from exc
    try:
        engine = make_engine(db, shown)
    except InvalidValue:  # said by make_engine: arguments the driver would ignore or misread
        raise
    except (ArgumentError, ValueError) as exc:
        said = masked_text(str(exc), db)  # SQLAlchemy 2.0.5 quotes the text given
        raise InvalidValue(
            f"--db {shown!r} is not a SQLAlchemy database URL ({said}){url_hint(shown)}",
            value=shown,
            expected="e.g. sqlite:///academy.sqlite3 or postgresql+psycopg://user@host/db",
        ) from None
    except ImportError as exc:  # SQLAlchemy imports the URL's driver here
        raise InvalidValue(
            f"--db {shown!r}: its database driver is not installed ({exc}){driver_hint(shown)}",
            value=shown,
            expected="a URL whose driver is installed (psycopg, pymysql, the standard sqlite3)",
        ) from None
    try:
        check_database_named(engine, shown)
        check_sync_driver(engine, shown)
        check_not_a_directory(engine, shown)
        refusal = connect_refusal(engine)
    except InvalidValue:
        engine.dispose()
        raise
    if refusal is not None:
        engine.dispose()
        refused = arguments_refused(shown, refusal)
        if refused is not None:  # the URL must change: running again cannot help
            raise InvalidValue(
                refused, value=shown, expected="a URL whose arguments its driver accepts"
            )
        database = refusal.missing_database
        if database is not None:
            raise InvalidValue(
                f"--db {shown!r}: {database}; the demo creates sessionkit's tables but not "
                "databases: create the database first (CREATE DATABASE) or name one that exists",
                value=shown,
                expected="a URL naming an existing database",
            )
        raise DatabaseUnreachable(
            f"--db {shown!r}: the database cannot be opened or reached ({refusal.said})"
            f"{sqlite_directory_hint(engine)}",
            value=shown,
            expected="a database URL sessionkit can connect to",
        )
    schema = missing_schema(engine)
    if schema is not None:
        engine.dispose()
        raise InvalidValue(
            f"--db {shown!r}: {schema}; the demo creates sessionkit's tables but not "
            "schemas: create the schema first (CREATE SCHEMA) or name one that exists",
            value=shown,
            expected="a search_path naming an existing schema",
        )
    try:
        hold_run_lock(engine, shown)  # before the tables too: another run may be making them
        upgrade(engine)
    except DemoBusy:
        engine.dispose()
        raise
    except (StorageError, TransientConflict) as exc:
        engine.dispose()
        if not isinstance(exc, StorageUnavailable) and type(exc) is not StorageError:
            # Refused writes, a full disk, a timeout, a lock of a connection sharing SQLite's
            # cache: said as the database said it, named by its --db (a read-only file
            # that holds no tables yet, say). Not a bad --db: the same fault met while
            # working, once the tables are made, is a storage fault (the CLI's status 1).
            raise DatabaseUnreachable(
                f"--db {shown!r}: {exc}",
                value=shown,
                expected="a database sessionkit can make its tables in",
            ) from None
        # Unavailable, or a fault of no kind (a file that is no SQLite database): cannot be
        # opened, as tick says it, in the driver's own words (upgrade() chains its error).
        cause = exc.__cause__
        raise _cannot_open(shown, cause if isinstance(cause, DBAPIError) else exc) from None
    except DBAPIError as exc:
        engine.dispose()
        raise _cannot_open(shown, exc) from None
    store = SqlAlchemyStore(engine, publisher=publisher)
    # As given, the password masked: SQLAlchemy's rendering %-escapes the path (``file%3A``)
    # and fails on a name the locale could not decode (``LC_ALL=C``, a non-ASCII path).
    return store.unit_of_work, shown


def _cannot_open(shown: str, error: BaseException) -> DatabaseUnreachable:
    """The error for a ``--db`` that cannot be opened or reached, ``error`` said in one line."""
    orig = getattr(error, "orig", None)
    said = str(orig if orig is not None else error).strip()
    return DatabaseUnreachable(
        f"--db {shown!r}: the database cannot be opened or reached "
        f"({said.splitlines()[0] if said else 'no reason given'})",
        value=shown,
        expected="a database URL sessionkit can connect to",
    )


_INTENT_STATUS: dict[str, IntentStatus] = {
    PENDING: "pending",
    AUTHORIZED: "authorized",
    PAID: "succeeded",
    PARTIALLY_REFUNDED: "succeeded",
    REFUNDED: "succeeded",
    FAILED: "failed",
    CANCELLED: "canceled",
}
"""What the provider says of an intent whose sessionkit payment is in each status."""


def resume_provider(kit: SessionKit, gateway: FakeGateway, tenants: Iterable[str]) -> None:
    """Give a fresh fake provider the stored intents, then make the provider calls left due.

    The fake lives as long as one run; the database outlives it. A run stopped
    half-way (Ctrl-C between a hold and its payment, or a cancel and its
    refund) left payments whose intents only that run's fake knew, or calls
    it had not made yet: without this a rerun could neither pay nor refund
    them, and the held seats would expire. After a run that finished, the
    intents are settled and no call is due: nothing changes.
    """
    for tenant in tenants:
        for payment in kit.payments.each(tenant):
            ref = payment.intent_ref
            if payment.provider != gateway.name or ref is None or ref in gateway.intents:
                continue
            gateway.intents[ref] = FakeIntent(
                ref=ref,
                amount=payment.amount.rounded(),
                metadata={
                    "payment_id": payment.id,
                    "booking_id": payment.booking_id,
                    "tenant": tenant,
                },
                status=_INTENT_STATUS.get(payment.status, "pending"),
                refunded=payment.refunded,
            )
        # One batch: a demo's tenant has far fewer payments than MAX_LIMIT.
        kit.payments.run_due(tenant, limit=MAX_LIMIT)
    for event in gateway.drain():  # the provider's webhook for the calls just made
        intent = gateway.intents[event.intent_ref or ""]
        kit.payments.apply(intent.metadata["tenant"], event)
