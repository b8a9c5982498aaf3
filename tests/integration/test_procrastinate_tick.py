"""sessionkit.contrib.procrastinate against the local PostgreSQL: a periodic tick fans out.

procrastinate's tables and functions go into a throwaway schema (the
connections' ``search_path``), sessionkit's into another; both are dropped at
the end, so nothing lands in ``public`` of the shared database.
"""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, create_engine, make_url, text

from sessionkit import SessionKit
from sessionkit.adapters.memory import InMemoryStore
from sessionkit.adapters.sqlalchemy import SqlAlchemyStore
from sessionkit.adapters.sqlalchemy.testing import postgres_schema
from sessionkit.errors import InvalidValue, SessionKitError, WrongType
from sessionkit.model.booking import EXPIRED
from sessionkit.testing.clocks import ManualClock

procrastinate = pytest.importorskip("procrastinate")

from procrastinate.exceptions import AlreadyEnqueued  # noqa: E402  # after the skip

from sessionkit.contrib.procrastinate import tick_blueprint  # noqa: E402  # after the skip

POSTGRES_URL = os.environ.get("SESSIONKIT_TEST_POSTGRES_URL")
NOW = datetime(2026, 3, 2, 8, tzinfo=UTC)
TENANTS = ("acme", "globex", "initech")
TIMED = 5


@pytest.fixture
def engine() -> Iterator[Engine]:
    if not POSTGRES_URL:
        pytest.skip("set SESSIONKIT_TEST_POSTGRES_URL to run procrastinate on PostgreSQL")
    with postgres_schema(POSTGRES_URL) as engine:
        yield engine


@pytest.fixture
def jobs_schema() -> Iterator[tuple[str, str]]:
    """A schema for procrastinate's objects; yields (libpq conninfo, schema), dropped after."""
    assert POSTGRES_URL
    url = make_url(POSTGRES_URL)
    schema = f"procrastinate_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE SCHEMA "{schema}"'))
        conninfo = url.set(drivername="postgresql").render_as_string(hide_password=False)
        yield conninfo, schema
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        admin.dispose()


def _seed(kit: SessionKit) -> datetime:
    """Each tenant: TIMED sessions whose READY timer is due, one run-out hold; when all is due."""
    at = NOW + timedelta(hours=1)
    for tenant in TENANTS:
        for n in range(TIMED):
            start = at + timedelta(minutes=n)
            kit.sessions.create_extra(
                tenant,
                actor="u",
                start=start,
                end=start + timedelta(minutes=30),
                lifecycle="academy",
            )
        slot = kit.sessions.create_extra(
            tenant,
            actor="tina",
            start=NOW + timedelta(days=3),
            end=NOW + timedelta(days=3, hours=1),
            lifecycle="lms",
        )
        kit.bookings.book(tenant, slot.id, "student:ana", actor=None, hold_for=timedelta(minutes=5))
    return at


def _ticking(engine: Engine, jobs_schema: tuple[str, str]) -> tuple[SessionKit, datetime, Any]:
    """Seeded due work, a kit at the instant it is due, and a procrastinate app with the tasks."""
    conninfo, schema = jobs_schema
    seeding = SessionKit(uow=SqlAlchemyStore(engine).unit_of_work, clock=ManualClock(NOW))
    at = _seed(seeding)
    kit = SessionKit(uow=SqlAlchemyStore(engine).unit_of_work, clock=ManualClock(at))
    app = procrastinate.App(
        connector=procrastinate.PsycopgConnector(
            conninfo=conninfo, kwargs={"options": f"-c search_path={schema}"}
        )
    )
    app.add_tasks_from(tick_blueprint(kit, batch=2), namespace="sessionkit")
    return kit, at, app


async def _jobs(app: Any) -> list[tuple[str, str, dict[str, Any]]]:
    async with app.connector.pool.connection() as connection, connection.cursor() as cursor:
        await cursor.execute(
            "SELECT task_name, status::text, args FROM procrastinate_jobs ORDER BY id"
        )
        return [tuple(row) for row in await cursor.fetchall()]


async def _run_until_idle(app: Any, *, concurrency: int) -> list[tuple[str, str, dict[str, Any]]]:
    """Run ``wait=False`` workers until no job waits (five at most); return the jobs.

    Such a worker stops once it finds the queue empty, which may be before the
    fan-out's jobs arrive, or just as the worker's own periodic deferrer adds a
    tick (CI saw one left "todo"); a real worker keeps waiting.
    """
    jobs = await _jobs(app)
    for _ in range(5):
        if all(status != "todo" for _, status, _ in jobs):
            break
        await app.run_worker_async(
            queues=["sessionkit"],
            wait=False,
            install_signal_handlers=False,
            concurrency=concurrency,
        )
        jobs = await _jobs(app)
    return jobs


def test_the_periodic_tick_fans_out_a_job_per_tenant_and_does_all_due_work(
    engine: Engine, jobs_schema: tuple[str, str]
) -> None:
    schema = jobs_schema[1]
    kit, at, app = _ticking(engine, jobs_schema)

    async def scenario() -> list[tuple[str, str, dict[str, Any]]]:
        async with app.open_async():
            await app.schema_manager.apply_schema_async()
            tick = app.tasks["sessionkit:tick"]
            await tick.defer_async(timestamp=0)
            with pytest.raises(AlreadyEnqueued):  # ticks do not pile up
                await tick.defer_async(timestamp=60)
            return await _run_until_idle(app, concurrency=4)

    jobs = asyncio.run(scenario())
    assert {status for _, status, _ in jobs} == {"succeeded"}, jobs
    assert jobs[0][0] == "sessionkit:tick"
    fanned = [args["tenant"] for name, _, args in jobs if name == "sessionkit:tick_tenant"]
    # A job per tenant with work due (the worker's own periodic deferrer may add a
    # second round, which finds the work done: each item still changed once below).
    assert set(fanned) == set(TENANTS)
    with engine.connect() as connection:
        timed = connection.execute(
            text("SELECT status, version FROM sessionkit_sessions WHERE lifecycle = 'academy'")
        ).all()
        holds = connection.execute(text("SELECT status FROM sessionkit_bookings")).all()
        # Only public is checked: another run's throwaway schema may hold procrastinate's
        # tables at the same time in the shared database.
        public = connection.execute(
            text(
                "SELECT count(*) FROM pg_tables"
                " WHERE tablename LIKE 'procrastinate%' AND schemaname = 'public'"
            )
        ).scalar_one()
        own = connection.execute(
            text(
                "SELECT count(*) FROM pg_tables"
                " WHERE tablename LIKE 'procrastinate%' AND schemaname = :s"
            ),
            {"s": schema},
        ).scalar_one()
    assert sorted(set(map(tuple, timed))) == [("READY", 2)]
    assert len(timed) == TIMED * len(TENANTS)
    assert {tuple(row) for row in holds} == {(EXPIRED,)}
    assert (public, own > 0) == (0, True)  # procrastinate stayed in its own schema
    assert kit.tick(now=at).idle


def test_a_job_left_doing_by_a_killed_worker_holds_back_no_later_tick(
    engine: Engine, jobs_schema: tuple[str, str]
) -> None:
    # A worker killed mid-job leaves it "doing". With a procrastinate lock on the tenant's
    # jobs, every later job of that tenant waited behind it for good.
    kit, at, app = _ticking(engine, jobs_schema)

    async def scenario() -> list[tuple[str, str, dict[str, Any]]]:
        async with app.open_async():
            await app.schema_manager.apply_schema_async()
            await app.tasks["sessionkit:tick_tenant"].defer_async(tenant="acme")
            async with app.connector.pool.connection() as connection:
                await connection.execute(  # as the fan-out made it, the killed worker's
                    "UPDATE procrastinate_jobs SET status = 'doing',"
                    " lock = 'sessionkit:sessionkit-tick:acme'"
                )
            await app.tasks["sessionkit:tick"].defer_async(timestamp=0)
            for _ in range(3):
                await app.run_worker_async(
                    queues=["sessionkit"], wait=False, install_signal_handlers=False, concurrency=2
                )
            return await _jobs(app)

    jobs = asyncio.run(scenario())
    acme = [status for name, status, args in jobs if args.get("tenant") == "acme"]
    assert acme[0] == "doing"  # the killed worker's
    assert "succeeded" in acme[1:], jobs
    assert kit.tick(now=at).idle


def test_a_stalled_fan_out_job_is_finished_as_docs_jobs_md_says_not_retried(
    engine: Engine, jobs_schema: tuple[str, str]
) -> None:
    # docs/jobs.md told hosts to retry stalled jobs with retry_job(): for a tenant's job the
    # fan-out has queued again since, that raises UniqueViolation (the same queueing lock,
    # both waiting), and a loop over the stalled jobs stops there.
    from procrastinate.exceptions import UniqueViolation
    from procrastinate.jobs import Status

    kit, at, app = _ticking(engine, jobs_schema)

    async def scenario() -> list[tuple[str, str, dict[str, Any]]]:
        async with app.open_async():
            await app.schema_manager.apply_schema_async()
            tick_tenant = app.tasks["sessionkit:tick_tenant"]
            lock = "sessionkit:sessionkit-tick:acme"  # the fan-out's, under its namespace
            await tick_tenant.configure(queueing_lock=lock).defer_async(tenant="acme")
            async with app.connector.pool.connection() as connection:
                await connection.execute("UPDATE procrastinate_jobs SET status = 'doing'")
            await tick_tenant.configure(queueing_lock=lock).defer_async(tenant="acme")
            [stalled] = await app.job_manager.get_stalled_jobs(seconds_since_heartbeat=0)
            with pytest.raises(UniqueViolation):
                await app.job_manager.retry_job(stalled)
            # The recipe: sessionkit's stalled jobs are finished, the next tick does their work.
            assert (stalled.task_name or "").startswith("sessionkit:")
            await app.job_manager.finish_job_by_id_async(
                stalled.id, status=Status.FAILED, delete_job=False
            )
            return await _run_until_idle(app, concurrency=2)

    jobs = asyncio.run(scenario())
    # (The worker's own periodic deferrer may have added a round: it succeeded too.)
    assert [status for _, status, _ in jobs[:2]] == ["failed", "succeeded"], jobs
    assert {status for _, status, _ in jobs[2:]} <= {"succeeded"}, jobs
    assert kit.tick("acme", now=at).idle


@pytest.mark.parametrize(
    ("arguments", "error"),
    [
        ({"kit": "not a kit"}, WrongType),
        ({"batch": 0}, InvalidValue),
        ({"cron": "every minute"}, InvalidValue),
        ({"cron": None}, WrongType),  # not a value of the right type: InvalidValue said so
        ({"queue": ""}, InvalidValue),
        ({"queue": " "}, InvalidValue),  # a queue no worker's --queues would name
        ({"queue": "sessionkit "}, InvalidValue),
        ({"fan_out": "no"}, WrongType),  # a non-empty text is true: it fanned out
    ],
)
def test_bad_blueprint_arguments_are_refused_when_it_is_made(
    arguments: dict[str, Any], error: type[Exception]
) -> None:
    given: dict[str, Any] = {"kit": lambda: None, **arguments}
    with pytest.raises(error):
        tick_blueprint(**given)


def test_a_kit_function_returning_no_kit_is_named_in_the_job() -> None:
    blueprint = tick_blueprint(lambda: "not a kit")  # type: ignore[arg-type, return-value]
    job = blueprint.tasks["tick_tenant"]
    with pytest.raises(WrongType) as caught:
        job("acme")
    assert (caught.value.name, caught.value.expected) == ("kit()", "a SessionKit")


def _no_kit() -> SessionKit:
    raise AssertionError("the blueprint's jobs do not run here")


@pytest.mark.parametrize(
    ("tenant", "error"), [(None, WrongType), (5, WrongType), ("", InvalidValue)]
)
def test_a_tenant_job_with_no_tenant_is_refused_naming_it(
    tenant: object, error: type[Exception]
) -> None:
    # tick_tenant(None) called kit.tick(None): every tenant was ticked by a job meant for
    # one, behind that one's queueing lock, and reported as a success.
    kit = SessionKit(uow=InMemoryStore().unit_of_work, clock=ManualClock(NOW))
    for name in TENANTS:
        start = NOW + timedelta(minutes=10)
        kit.sessions.create_extra(
            name, actor="u", start=start, end=start + timedelta(minutes=30), lifecycle="academy"
        )
    job = tick_blueprint(kit).tasks["tick_tenant"]
    with pytest.raises(error) as refused:
        job(tenant)
    assert isinstance(refused.value, SessionKitError)
    assert refused.value.value == tenant  # type: ignore[attr-defined]
    assert str(refused.value).startswith("tenant ")

    def statuses() -> list[str]:
        return [s.status for name in TENANTS for s in kit.queries.list(name).items]

    assert statuses() == ["SCHEDULED"] * 3  # nothing was ticked
    done = {"done": 1, "failed": 0, "held": 0, "batches": 1, **_NONE, "advanced": 1}
    assert job("acme") == done
    assert statuses() == ["READY", "SCHEDULED", "SCHEDULED"]


@pytest.mark.parametrize(
    "cron",
    [
        "0 0 31 2 *",
        "0 0 30 2 *",
        "0 0 31 4 *",
        "0 0 1 1 * 0 2010",  # a year already past: the deferrer looks from now
    ],
)
def test_a_cron_that_never_fires_is_refused_when_the_blueprint_is_made(cron: str) -> None:
    # croniter.is_valid accepts these dates that never come; procrastinate's periodic
    # deferrer then raises CroniterBadDateError and the worker stops.
    with pytest.raises(InvalidValue, match="never fires") as refused:
        tick_blueprint(_no_kit, cron=cron)
    assert refused.value.value == cron
    assert repr(cron) in str(refused.value)
    assert "fires" in refused.value.expected


@pytest.mark.parametrize("cron", ["* * * * *", "0 0 29 2 *", "0 0 L 2 *", "*/5 9-17 * * mon-fri"])
def test_a_cron_that_fires_rarely_is_accepted(cron: str) -> None:
    blueprint = tick_blueprint(_no_kit, cron=cron)
    assert {task.cron for task in blueprint.periodic_registry.periodic_tasks.values()} == {cron}


def test_two_blueprints_in_one_app_each_get_their_periodic_tick() -> None:
    # The tick's queueing lock did not carry the namespace: every minute the first
    # blueprint's periodic tick took "sessionkit-tick" and the second's was never deferred.
    from procrastinate import testing
    from procrastinate.periodic import PeriodicDeferrer

    app = procrastinate.App(connector=testing.InMemoryConnector())
    app.add_tasks_from(tick_blueprint(lambda: None), namespace="school")  # type: ignore[arg-type, return-value]
    app.add_tasks_from(tick_blueprint(lambda: None), namespace="clinic")  # type: ignore[arg-type, return-value]
    ticks = list(app.periodic_registry.periodic_tasks.values())
    connector: Any = app.connector

    async def minutes() -> list[list[tuple[str, str]]]:
        seen = []
        async with app.open_async():
            deferrer = PeriodicDeferrer(registry=app.periodic_registry)
            for minute in range(3):
                await deferrer.defer_jobs([(tick, 1_800_000_000 + 60 * minute) for tick in ticks])
                waiting = [job for job in connector.jobs.values() if job["status"] == "todo"]
                seen.append(sorted((job["task_name"], job["queueing_lock"]) for job in waiting))
                for job in waiting:
                    job["status"] = "succeeded"  # each minute's ticks ran before the next
        return seen

    assert (
        asyncio.run(minutes())
        == [[("clinic:tick", "clinic:sessionkit-tick"), ("school:tick", "school:sessionkit-tick")]]
        * 3
    )


class _FactsDown:
    """A fact provider that fails for any batch holding a session titled "bad"."""

    def facts_for(self, sessions: Any, uow: object) -> dict[str, dict[str, object]]:
        del uow
        if any(s.title == "bad" for s in sessions):
            raise RuntimeError("the fact service is down")
        return {}


def test_a_tenant_job_whose_item_fails_succeeds_logs_it_and_the_item_stays_due(
    caplog: pytest.LogCaptureFixture,
) -> None:
    # As docs/jobs.md says: counts returned, a warning naming the item, the tenant due again.
    from sessionkit.services.attendance import attendance_facts

    clock = ManualClock(NOW)
    kit = SessionKit(
        uow=InMemoryStore().unit_of_work, clock=clock, facts=attendance_facts(_FactsDown())
    )
    bad = None
    for n in range(3):
        start = NOW + timedelta(hours=1, minutes=5 * n)
        made = kit.sessions.create_extra(
            "acme",
            actor="u",
            title="bad" if n == 0 else "ok",
            start=start,
            end=start + timedelta(minutes=45),
            lifecycle="academy",
        )
        bad = bad or made.id
    clock.advance(timedelta(minutes=60))
    job = tick_blueprint(kit, batch=2).tasks["tick_tenant"]
    with caplog.at_level("WARNING", logger="sessionkit.contrib.procrastinate"):
        assert job("acme") == {
            "done": 2,
            "failed": 1,
            "held": 0,
            "batches": 2,
            **_NONE,
            "advanced": 2,
        }
    said = f"sessionkit tick left 1 item(s) due after errors: advance acme/{bad}: the fact "
    assert [r.getMessage() for r in caplog.records] == [said + "service is down"]
    assert kit.due_tenants() == ["acme"]
    assert job("acme") == {"done": 0, "failed": 1, "held": 0, "batches": 0, **_NONE}


_NONE = dict.fromkeys(
    ("topped_up", "generated", "approved", "lapsed", "advanced", "expired", "offered"), 0
)


def test_a_tenant_job_returns_what_it_did_kind_by_kind() -> None:
    # procrastinate logs a job's result: {"done": 3, ...} alone could not say whether holds
    # expired, seats were offered on or sessions advanced.
    from sessionkit.policies import BookingRules

    clock = ManualClock(NOW)
    kit = SessionKit(
        uow=InMemoryStore().unit_of_work,
        clock=clock,
        booking_rules=BookingRules(waitlist=True),
    )
    slot = kit.sessions.create_extra(
        "acme",
        actor="tina",
        start=NOW + timedelta(days=3),
        end=NOW + timedelta(days=3, hours=1),
        lifecycle="lms",
        capacity=1,
    )
    kit.bookings.book("acme", slot.id, "student:ana", actor=None, hold_for=timedelta(minutes=5))
    kit.bookings.book("acme", slot.id, "student:ben", actor=None, waitlist=True)
    start = NOW + timedelta(minutes=20)
    kit.sessions.create_extra(
        "acme", actor="u", start=start, end=start + timedelta(minutes=30), lifecycle="academy"
    )
    clock.advance(timedelta(minutes=10))
    job = tick_blueprint(kit).tasks["tick_tenant"]
    done = {"done": 2, "failed": 0, "held": 0, "batches": 2}
    assert job("acme") == {**done, **_NONE, "advanced": 1, "expired": 1, "offered": 1}
    blueprint = tick_blueprint(kit, fan_out=False)
    assert blueprint.tasks["tick"](timestamp=0) == {**done, **_NONE, "batches": 0, "done": 0}
