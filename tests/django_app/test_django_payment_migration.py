"""Migration ``0008_payment_retries`` reversed: a waiting call's ``due_since`` is its last change.

From ``0008`` on, ``due_since`` holds the later of the payment's last change
and the failed call's ``retry_at``; the version before reads it, and its admin
shows it, as the last change. Reversed, the migration dropped ``retry_at`` and
left a retry time ahead in ``due_since``, where Alembic's ``0017`` downgrade
sets it back. Payments are made by a kit on the migrated file (a hold that ran
out, its intent's cancel failed by a run), then the app is migrated back to
``0007`` and the rows read with SQL.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connections
from django.db.migrations.executor import MigrationExecutor

from sessionkit.contrib.django.store import DjangoStore
from sessionkit.model.money import Money
from sessionkit.policies import Rate
from sessionkit.services import SessionKit
from sessionkit.services.payments import RETRY_FIRST
from sessionkit.testing.clocks import ManualClock
from sessionkit.testing.payments import FakeGateway

ALIAS = "sqlite_migrations"
T = "acme"
OTHER = "globex"
NOW = datetime(2026, 3, 2, 8, tzinfo=UTC)
BEFORE = ("sessionkit", "0007_journal_tenant_reads")


@pytest.fixture
def executor() -> Iterator[MigrationExecutor]:
    """The app migrated to its latest migration on a file of its own; unmigrated at the end."""
    connection = connections[ALIAS]
    executor = MigrationExecutor(connection)
    latest = [node for node in executor.loader.graph.leaf_nodes() if node[0] == "sessionkit"]
    executor.migrate(latest)
    try:
        yield executor
    finally:
        executor.loader.build_graph()
        executor.migrate([("sessionkit", None)])
        connection.close()


def _column(column: str, payment_id: str) -> str | None:
    """The payment's ``column`` as stored (SQLite's text)."""
    with connections[ALIAS].cursor() as cursor:
        cursor.execute(
            f"SELECT {column} FROM sessionkit_payment WHERE record_id = %s",
            [payment_id],
        )
        [(found,)] = cursor.fetchall()
    return None if found is None else str(found)


def _due_since(payment_id: str) -> str | None:
    return _column("due_since", payment_id)


def _updated_at(payment_id: str) -> str | None:
    return _column("updated_at", payment_id)


def test_reversed_it_sets_a_waiting_calls_due_since_back_to_its_last_change(
    executor: MigrationExecutor,
) -> None:
    clock = ManualClock(NOW)
    gateway = FakeGateway(clock=clock.now)
    kit = SessionKit(
        uow=DjangoStore(using=ALIAS).unit_of_work,
        clock=clock,
        gateway=gateway,
        pricing=Rate(Money.of(40, "EUR")),
    )
    start = NOW + timedelta(days=2)
    payments = []
    for tenant, who in ((T, "ana"), (OTHER, "ben"), (T, "cai")):
        session = kit.sessions.create_extra(
            tenant,
            actor="tina",
            start=start,
            end=start + timedelta(hours=1),
            lifecycle="marketplace",
        )
        checkout = kit.payments.book(tenant, session.id, f"student:{who}", actor=who)
        assert checkout.payment is not None
        payments.append((tenant, checkout.payment.id))
        start += timedelta(hours=2)
    gateway.pay(kit.payments.get(*payments[2]).intent_ref or "")  # cai pays: no call due
    assert [kit.payments.apply(T, e).outcome for e in gateway.drain()] == ["applied"]
    clock.advance(timedelta(minutes=16))
    for tenant in (T, OTHER):  # ana's and ben's holds run out; their cancels fail
        gateway.fail_next()
        assert kit.expire_holds(tenant).expired == 1
    expired_at = clock.now()
    clock.advance(timedelta(minutes=1))
    gateway.fail_next()  # a run fails at ana's cancel and counts it; ben's is left as it is
    assert [f[1] for f in kit.run_payment_calls(T).failed] == [payments[0][1]]
    ana, ben, cai = (kit.payments.get(*p) for p in payments)
    assert (ana.due, ana.retry_at, ana.updated_at) == (
        "cancel",
        clock.now() + RETRY_FIRST,
        expired_at,
    )
    assert (ben.due, ben.retry_at, ben.updated_at) == ("cancel", None, expired_at)
    assert (cai.due, cai.retry_at) == (None, None)
    due = [_due_since(p.id) for p in (ana, ben, cai)]
    assert due[0] != due[1]  # ana's is her retry time; ben's his expiry, the last change
    assert (due[1], due[2]) == (_updated_at(ben.id), None)
    executor.loader.build_graph()
    executor.migrate([BEFORE])
    # Ana's call is due from her payment's last change again, as ben's; cai's has none.
    assert [_due_since(p.id) for p in (ana, ben, cai)] == [_updated_at(ana.id), due[1], None]
    assert _updated_at(ana.id) == due[1]  # both expired at the same instant
