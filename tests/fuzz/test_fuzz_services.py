"""Every service command and query, called with hostile values: a SessionKitError or success.

Issue 10 found about 200 places per backend where bad input surfaced as a raw
TypeError, OverflowError, UnicodeEncodeError or driver error, and calls that
ran for minutes. Here each public command and query of :class:`SessionKit`
gets arguments from :mod:`sessionkit.testing.hostile` (wrong types, extreme
datetimes, huge and odd strings, pathological rules), a few at a time among
valid ones, and every call must

- return, or raise a :class:`~sessionkit.errors.SessionKitError` (a wrong
  type one that is also a ``TypeError``),
- within :data:`CALL_BOUND` seconds,
- leave storage exactly as it was when it raised, and readable when it did not.

It runs on the memory store always, on SQLite, and on PostgreSQL and MariaDB
when their URLs are set, with fewer examples where one costs more: about a
minute in all. Each example works on a freshly seeded store, so what one
hostile call did never leaks into the next; the SQL engines (the servers'
in a throwaway schema or database) live for the whole run, are seeded once,
and get the seeded rows back, and a copy of the seeded kit, per example.
``HYPOTHESIS_PROFILE=thorough`` multiplies the examples by ten.
"""

from __future__ import annotations

import copy
import functools
import os
import threading
import time as clock
from collections.abc import Callable, Iterator, Mapping
from datetime import UTC, date, datetime, time, timedelta
from operator import attrgetter
from typing import Any

import attrs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, create_engine, select
from sqlalchemy.pool import StaticPool

from sessionkit.adapters.memory import InMemoryStore
from sessionkit.adapters.sqlalchemy import SqlAlchemyStore, create_schema
from sessionkit.adapters.sqlalchemy.rows import metadata
from sessionkit.adapters.sqlalchemy.testing import clear_tables, mysql_database, postgres_schema
from sessionkit.errors import NotASession, SessionKitError, WrongType
from sessionkit.model import ScheduleItem, SessionQuery, WindowPolicy
from sessionkit.model.attendance import PresenceEvent
from sessionkit.model.money import Money
from sessionkit.model.payment import PaymentEvent
from sessionkit.policies import BookingRules, FixedPrice
from sessionkit.recurrence import Recurrence
from sessionkit.services import TICK_KINDS, SeriesSpec, SessionKit
from sessionkit.testing import hostile
from sessionkit.testing.clocks import ManualClock
from sessionkit.testing.payments import FakeGateway
from sessionkit.testing.rooms import FakeMeetingRooms

POSTGRES_URL = os.environ.get("SESSIONKIT_TEST_POSTGRES_URL")
MYSQL_URL = os.environ.get("SESSIONKIT_TEST_MYSQL_URL")

NOW = datetime(2026, 3, 2, 8, tzinfo=UTC)
TENANT = "acme"
OTHER = "beta"


@attrs.frozen
class Seeded:
    """A kit over a seeded store, the ids it holds, and how to read all of it back."""

    kit: SessionKit
    session_id: str
    series_id: str
    booking_id: str
    snapshot: Callable[[], list[str]]
    paid_session_id: str = ""
    paid_booking_id: str = ""
    payment_id: str = ""
    manual_payment_id: str = ""
    lesson_id: str = ""
    request_id: str = ""
    subscription_id: str = ""


def weekly_item(item_id: str = "mo", teacher: str = "teacher:ana") -> ScheduleItem:
    """A Monday 09:00-10:00 Berlin class from 1 March 2026."""
    return ScheduleItem(
        item_id,
        Recurrence.weekly(
            days=("MO",),
            at=time(9),
            duration=timedelta(hours=1),
            tz="Europe/Berlin",
            start=date(2026, 3, 1),
        ),
        [teacher],
    )


PRICE = FixedPrice(Money.of(30, "EUR"))
REASON = "I have an exam that morning"


class _Ids:
    """``id1``, ``id2``, ...: a counter a copy of the kit copies (a closure's would be shared)."""

    def __init__(self) -> None:
        self.issued = 0

    def __call__(self) -> str:
        self.issued += 1
        return f"id{self.issued}"


def _seed(store: Any, snapshot: Callable[[], list[str]]) -> Seeded:
    kit = SessionKit(
        uow=store.unit_of_work,
        clock=ManualClock(NOW),
        ids=_Ids(),
        booking_rules=BookingRules(waitlist=True),
        gateway=FakeGateway(clock=lambda: NOW),
        pricing=lambda session: PRICE if session.title == "Paid" else None,
        rooms=FakeMeetingRooms(),
    )
    tomorrow = NOW + timedelta(days=1)
    session = kit.sessions.create_extra(
        TENANT,
        actor="u1",
        start=tomorrow,
        end=tomorrow + timedelta(hours=1),
        lifecycle="lms",
        title="Algebra",
        resources=["teacher:ben", "room:r1"],
        capacity=3,
        metadata={"level": 2},
    )
    series, _ = kit.series.create(
        TENANT, actor="u1", title="Chemistry", items=[weekly_item()], group="g1"
    )
    booking = kit.bookings.book(TENANT, session.id, "student:ana", actor="u1")
    kit.sessions.create_extra(
        OTHER, actor=None, start=tomorrow, end=tomorrow + timedelta(hours=2), lifecycle="lms"
    )
    paid = kit.sessions.create_extra(
        TENANT,
        actor="u1",
        start=tomorrow + timedelta(hours=2),
        end=tomorrow + timedelta(hours=3),
        lifecycle="lms",
        title="Paid",
        capacity=3,
    )
    lesson = kit.sessions.create_extra(
        TENANT,
        actor="cleo",
        start=NOW + timedelta(days=4),
        end=NOW + timedelta(days=4, hours=1),
        lifecycle="lms",
        title="Maths",
    )
    request = kit.reschedules.request(
        TENANT,
        lesson.id,
        role="student",
        actor="ana",
        reason=REASON,
        proposed_start=NOW + timedelta(days=5),
    )
    subscription = kit.usage.subscribe(
        TENANT, actor="u1", subscriber="student:ana", credits=4, starts=NOW, subscription_id="sub1"
    )
    checkout = kit.payments.book(TENANT, paid.id, "student:ana", actor="u1")
    manual = kit.payments.book(TENANT, paid.id, "student:ben", actor="u1", manual=True)
    assert checkout.payment is not None
    assert manual.payment is not None
    return Seeded(
        kit,
        session.id,
        series.id,
        booking.id,
        snapshot,
        paid_session_id=paid.id,
        paid_booking_id=checkout.booking.id,
        payment_id=checkout.payment.id,
        manual_payment_id=manual.payment.id,
        lesson_id=lesson.id,
        request_id=request.id,
        subscription_id=subscription.id,
    )


def _memory_snapshot(store: InMemoryStore) -> Callable[[], list[str]]:
    def snapshot() -> list[str]:
        # The store's own tables (a test may look inside): every record of every tenant.
        tables = store._tables  # the whole state, not one tenant's view
        return sorted(
            f"{name}:{attrs.asdict(record)!r}"
            for name, table in tables.items()
            for rows in table.rows.values()
            for record in rows.values()
        )

    return snapshot


TABLES = metadata.sorted_tables
"""sessionkit's tables, parents first."""


def _sql_snapshot(engine: Engine) -> Callable[[], list[str]]:
    def snapshot() -> list[str]:
        with engine.connect() as connection:
            return sorted(
                f"{table.name}:{tuple(row)!r}"
                for table in metadata.sorted_tables
                for row in connection.execute(select(table))
            )

    return snapshot


@attrs.frozen
class Backend:
    """One kind of store the fuzz suite runs on."""

    name: str
    examples: int
    fresh: Callable[[], Seeded]


def _memory() -> Seeded:
    store = InMemoryStore()
    return _seed(store, _memory_snapshot(store))


def _copy_kit(seeded: Seeded, store: object) -> Seeded:
    """A copy of ``seeded`` whose kit shares ``store`` and nothing else (fakes, clock, ids).

    The fakes' locks are the only state deepcopy refuses: each copy gets new ones.
    """
    fakes: list[Any] = [seeded.kit.context.gateway, seeded.kit.attendance._access._rooms]
    memo: dict[int, Any] = {id(store): store} | {id(f._lock): threading.Lock() for f in fakes}
    return copy.deepcopy(seeded, memo)


@functools.cache  # one seeding per engine for the whole run
def _sql(engine: Engine) -> Callable[[], Seeded]:
    """Seed once; per example put the seeded rows back in one transaction and copy the kit.

    Seeding through the services costs a dozen commits (about 0.4 s an example on a
    loaded server); restoring the rows it left costs one. The first restore is checked
    to give back exactly what seeding stored.
    """
    store = SqlAlchemyStore(engine)
    snapshot = _sql_snapshot(engine)
    clear_tables(engine)
    seeded = _seed(store, snapshot)
    with engine.connect() as connection:
        rows = {t: [dict(r) for r in connection.execute(select(t)).mappings()] for t in TABLES}
    stored = snapshot()

    def restore() -> None:
        with engine.begin() as connection:
            for table in reversed(TABLES):
                connection.execute(table.delete())
            for table in TABLES:
                if rows[table]:
                    connection.execute(table.insert(), rows[table])

    restore()
    assert snapshot() == stored, "restoring the seeded rows changed them"

    def fresh() -> Seeded:
        restore()
        return _copy_kit(seeded, store)

    return fresh


@pytest.fixture(scope="session")
def sqlite_engine() -> Iterator[Engine]:
    engine = create_engine(
        "sqlite://", poolclass=StaticPool, connect_args={"check_same_thread": False}
    )
    create_schema(engine)
    yield engine
    engine.dispose()


@pytest.fixture(scope="session")
def postgres_engine() -> Iterator[Engine]:
    if not POSTGRES_URL:
        pytest.skip("set SESSIONKIT_TEST_POSTGRES_URL to fuzz PostgreSQL")
    with postgres_schema(POSTGRES_URL) as engine:
        yield engine


@pytest.fixture(scope="session")
def mysql_engine() -> Iterator[Engine]:
    if not MYSQL_URL:
        pytest.skip("set SESSIONKIT_TEST_MYSQL_URL to fuzz MySQL/MariaDB")
    with mysql_database(MYSQL_URL) as engine:
        yield engine


@pytest.fixture(params=["memory", "sqlite", "postgres", "mysql"])
def backend(request: pytest.FixtureRequest) -> Backend:
    if request.param == "memory":
        return Backend("memory", 25, _memory)
    engine: Engine = request.getfixturevalue(f"{request.param}_engine")
    return Backend(request.param, 6 if request.param == "sqlite" else 3, _sql(engine))


CALL_BOUND = 30.0
"""Seconds only a runaway call reaches (the slowest limit trips in about two on an idle
machine; a loaded CI machine ran such calls five times slower)."""
_THOROUGH = os.environ.get("HYPOTHESIS_PROFILE") == "thorough"


# ---------------------------------------------------------------------- argument strategies


def sometimes(valid: Any, *hostile_values: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """``valid`` two times in three, else a hostile value: most arguments of a call stay valid."""
    bad = st.one_of(*hostile_values) if hostile_values else hostile.values()
    return st.one_of(st.just(valid), st.just(valid), bad)


def tenant() -> st.SearchStrategy[Any]:
    return sometimes(TENANT, hostile.ids(), hostile.wrong_types(), st.just(OTHER))


def an_id(valid: str) -> st.SearchStrategy[Any]:
    return sometimes(valid, hostile.ids(), hostile.wrong_types())


def actor() -> st.SearchStrategy[Any]:
    return sometimes("u1", hostile.text(), hostile.wrong_types(), st.none())


def instant(valid: datetime) -> st.SearchStrategy[Any]:
    return sometimes(valid, hostile.extreme_datetimes(), hostile.wrong_types())


def optional_instant() -> st.SearchStrategy[Any]:
    return sometimes(None, hostile.extreme_datetimes(), hostile.wrong_types())


def delta(valid: timedelta | None) -> st.SearchStrategy[Any]:
    return sometimes(valid, hostile.extreme_timedeltas(), hostile.wrong_types())


def count(valid: int) -> st.SearchStrategy[Any]:
    return sometimes(valid, hostile.hostile_ints(), hostile.wrong_types())


def text_arg(valid: str | None) -> st.SearchStrategy[Any]:
    return sometimes(valid, hostile.text(), hostile.wrong_types())


def dimension(valid: str) -> st.SearchStrategy[Any]:
    """A grouping of analytics: ``valid``, none, or hostile text and types."""
    return sometimes(valid, st.none(), hostile.text(), hostile.wrong_types())


def flag(valid: bool) -> st.SearchStrategy[Any]:  # a value, not an option
    return sometimes(valid, hostile.wrong_types())


def resources(valid: Any) -> st.SearchStrategy[Any]:
    refs = st.lists(st.one_of(hostile.ids(), st.just("teacher:ana"), hostile.wrong_types()))
    return sometimes(valid, refs, hostile.ids(), hostile.wrong_types())


def fields_arg(valid: Any) -> st.SearchStrategy[Any]:
    return sometimes(valid, hostile.metadata())


def statuses() -> st.SearchStrategy[Any]:
    return sometimes(
        None, st.lists(hostile.text(huge=False)), hostile.text(), hostile.wrong_types()
    )


@attrs.frozen
class ItemRecipe:
    """The ingredients of a schedule item; built inside the timed call, where errors count."""

    item_id: Any
    rule: Any
    start: Any
    tz: Any
    duration: Any
    resources: Any

    def build(self) -> ScheduleItem:
        recurrence = Recurrence.from_rrule(
            self.rule, start=self.start, tz=self.tz, duration=self.duration
        )
        return ScheduleItem(self.item_id, recurrence, self.resources)


def item_recipes() -> st.SearchStrategy[ItemRecipe]:
    return st.builds(
        ItemRecipe,
        item_id=an_id("mo"),
        rule=sometimes("FREQ=WEEKLY;BYDAY=MO", hostile.rules()),
        start=sometimes(datetime(2026, 3, 2, 9), hostile.extreme_datetimes()),
        tz=sometimes("Europe/Berlin", hostile.text(huge=False), hostile.wrong_types()),
        duration=delta(timedelta(hours=1)),
        resources=resources(["teacher:zoe"]),
    )


def items() -> st.SearchStrategy[Any]:
    return sometimes(
        None,  # None: one valid item, built in the call
        st.lists(item_recipes(), min_size=1, max_size=3),
        st.lists(item_recipes(), min_size=2, max_size=2).map(
            lambda pair: [attrs.evolve(pair[0], item_id="a"), attrs.evolve(pair[1], item_id="a")]
        ),
        hostile.wrong_types(),
    )


def built_items(value: Any) -> Any:
    if value is None:
        return [weekly_item("mo", "teacher:zoe")]
    if isinstance(value, list) and all(isinstance(v, ItemRecipe) for v in value):
        return [recipe.build() for recipe in value]
    return value


def window_policy() -> st.SearchStrategy[Any]:
    return sometimes(
        None,
        st.builds(
            lambda months, buffer: ("policy", months, buffer),
            count(2),
            delta(timedelta(weeks=4)),
        ),
        hostile.wrong_types(),
    )


def built_window(value: Any) -> Any:
    if isinstance(value, tuple) and value and value[0] == "policy":
        return WindowPolicy(initial_months=value[1], buffer=value[2])
    return value


def query_kwargs() -> st.SearchStrategy[dict[str, Any]]:
    keys = {
        "series_id": sometimes(None, hostile.ids(), hostile.wrong_types()),
        "resources": resources(None),
        "statuses": statuses(),
        "start_from": optional_instant(),
        "start_to": optional_instant(),
        "search": sometimes(None, hostile.text(), hostile.wrong_types()),
        "is_extra": sometimes(None, hostile.wrong_types()),
        "group": sometimes(None, hostile.text(), hostile.wrong_types()),
        "fields": sometimes(None, hostile.metadata(), st.just({"level": [2, "2", True]})),
        "sort": sometimes("start", st.sampled_from(["title", "group", "x"]), hostile.wrong_types()),
        "descending": flag(False),
        "order": sometimes(
            None,
            st.lists(st.tuples(hostile.text(huge=False), hostile.text(huge=False)), max_size=3),
            st.just([("title", "asc"), ("start", "desc")]),
            hostile.wrong_types(),
        ),
        "page": count(1),
        "limit": count(50),
        "after": sometimes(None, hostile.cursors()),
    }
    return st.fixed_dictionaries({}, optional=keys)


def query() -> st.SearchStrategy[Any]:
    return sometimes(
        None, query_kwargs().map(lambda kwargs: ("query", kwargs)), hostile.wrong_types()
    )


def built_query(value: Any) -> Any:
    if isinstance(value, tuple) and value and value[0] == "query":
        return SessionQuery(**value[1])
    return value


def built_event(value: Any) -> Any:
    if isinstance(value, tuple) and value and value[0] == "event":
        return PaymentEvent(**value[1])
    return value


# ---------------------------------------------------------------------- the commands

Call = Callable[[Seeded, dict[str, Any]], object]
Args = Callable[[Seeded], st.SearchStrategy[dict[str, Any]]]
"""Arguments for one call, drawn for a seeded store (its ids are the valid ones)."""
LATER = NOW + timedelta(days=2)


def args(**strategies: st.SearchStrategy[Any]) -> st.SearchStrategy[dict[str, Any]]:
    return st.fixed_dictionaries(strategies)


def payment_filters() -> dict[str, st.SearchStrategy[Any]]:
    """The filters ``kit.payments.list`` and ``each`` share."""
    return {
        "tenant": tenant(),
        "statuses": statuses(),
        "participant": sometimes(None, hostile.ids(), hostile.wrong_types()),
        "session_ids": sometimes(None, st.lists(hostile.ids(), max_size=3), hostile.wrong_types()),
        "start_from": optional_instant(),
        "start_to": optional_instant(),
        "after": sometimes(
            None, st.tuples(hostile.extreme_datetimes(), hostile.ids()), hostile.wrong_types()
        ),
    }


def journal_filters() -> dict[str, st.SearchStrategy[Any]]:
    """The filters and paging ``kit.journal.list``, ``for_session`` and ``for_subject`` share."""
    return {
        "tenant": tenant(),
        "actor": actor(),
        "since": optional_instant(),
        "before": optional_instant(),
        "after": sometimes(
            None,
            st.tuples(hostile.extreme_datetimes(), hostile.hostile_ints(), hostile.ids()),
            hostile.wrong_types(),
        ),
        "limit": count(100),
    }


COMMANDS: dict[str, Args | tuple[Call, Args]] = {
    "sessions.create_extra": lambda s: args(
        tenant=tenant(),
        actor=actor(),
        start=instant(LATER),
        end=instant(LATER + timedelta(hours=1)),
        series_id=sometimes(None, an_id(s.series_id)),
        title=text_arg(None),
        resources=resources(["room:r2"]),
        tz=sometimes(None, hostile.text(huge=False), hostile.wrong_types()),
        lifecycle=sometimes("lms", hostile.text(huge=False), hostile.wrong_types()),
        capacity=sometimes(None, hostile.hostile_ints(), hostile.wrong_types()),
        metadata=fields_arg(None),
        session_id=sometimes(None, an_id(s.session_id)),
    ),
    "sessions.update": lambda s: args(
        tenant=tenant(),
        session_id=an_id(s.session_id),
        actor=actor(),
        title=text_arg("Geometry"),
        start=sometimes(None, instant(LATER)),
        end=sometimes(None, instant(LATER + timedelta(hours=2))),
        resources=resources(None),
        expected_version=sometimes(None, hostile.hostile_ints(), hostile.wrong_types()),
    ),
    "sessions.delete": lambda s: args(
        tenant=tenant(),
        session_id=an_id(s.session_id),
        actor=actor(),
        expected_version=sometimes(None, hostile.hostile_ints(), hostile.wrong_types()),
    ),
    "sessions.cancel": lambda s: args(
        tenant=tenant(),
        session_id=an_id(s.session_id),
        actor=actor(),
        reason=text_arg(None),
        role=text_arg(None),
        transition=text_arg("cancel"),
    ),
    "sessions.fire": lambda s: args(
        tenant=tenant(),
        session_id=an_id(s.session_id),
        transition=sometimes("cancel", hostile.text(), hostile.wrong_types()),
        actor=actor(),
    ),
    "sessions.fire_many": lambda s: args(
        tenant=tenant(),
        session_ids=sometimes(
            [s.session_id],
            st.lists(hostile.ids(), max_size=3),
            st.just([f"s{n}" for n in range(1001)]),
            hostile.wrong_types(),
        ),
        transition=sometimes("cancel", hostile.text(), hostile.wrong_types()),
        actor=actor(),
        reason=text_arg(None),
        role=text_arg(None),
    ),
    "sessions.advance": lambda s: args(
        tenant=tenant(),
        session_id=an_id(s.session_id),
        actor=actor(),
        now=instant(NOW + timedelta(days=3)),
    ),
    "sessions.set_fields": lambda s: args(
        tenant=tenant(),
        session_id=an_id(s.session_id),
        actor=actor(),
        set=fields_arg({"note": "bring goggles"}),
        remove=sometimes(
            (), hostile.text(huge=False), st.lists(hostile.ids()), hostile.wrong_types()
        ),
        expected_version=sometimes(None, hostile.hostile_ints(), hostile.wrong_types()),
    ),
    "series.create": (
        lambda s, a: s.kit.series.create(
            **{**a, "items": built_items(a["items"]), "window": built_window(a["window"])}
        ),
        lambda s: args(
            tenant=tenant(),
            actor=actor(),
            title=text_arg("Physics"),
            items=items(),
            lifecycle=sometimes("lms", hostile.text(huge=False), hostile.wrong_types()),
            window=window_policy(),
            capacity=count(1),
            metadata=fields_arg(None),
            series_id=sometimes(None, hostile.ids(), hostile.wrong_types(), st.just(s.series_id)),
            group=sometimes(None, hostile.text(), hostile.wrong_types()),
        ),
    ),
    "series.create_many": (
        lambda s, a: s.kit.series.create_many(
            a["tenant"],
            actor=a["actor"],
            specs=[
                SeriesSpec(
                    title=a["title"],
                    items=built_items(a["items"]),
                    window=built_window(a["window"]),
                )
            ]
            * a["copies"],
        ),
        lambda s: args(
            tenant=tenant(),
            actor=actor(),
            title=text_arg("Physics"),
            items=items(),
            window=window_policy(),
            copies=st.integers(1, 3),
        ),
    ),
    "series.materialise": lambda s: args(
        tenant=tenant(),
        series_id=an_id(s.series_id),
        actor=actor(),
        start=instant(NOW),
        end=instant(NOW + timedelta(days=120)),
    ),
    "series.top_up": lambda s: args(
        tenant=sometimes(TENANT, hostile.ids(), hostile.wrong_types(), st.none()),
        actor=actor(),
        now=sometimes(None, instant(NOW + timedelta(days=40))),
    ),
    "series.change_schedule": (
        lambda s, a: s.kit.series.change_schedule(**{**a, "items": built_items(a["items"])}),
        lambda s: args(
            tenant=tenant(),
            series_id=an_id(s.series_id),
            actor=actor(),
            items=items(),
            effective_from=sometimes(None, instant(LATER)),
            expected_version=sometimes(None, hostile.hostile_ints(), hostile.wrong_types()),
        ),
    ),
    "series.close": lambda s: args(
        tenant=tenant(),
        series_id=an_id(s.series_id),
        actor=actor(),
        expected_version=sometimes(None, hostile.hostile_ints(), hostile.wrong_types()),
    ),
    "series.set_fields": lambda s: args(
        tenant=tenant(),
        series_id=an_id(s.series_id),
        actor=actor(),
        set=fields_arg({"room": "lab"}),
        remove=sometimes((), hostile.text(huge=False), hostile.wrong_types()),
    ),
    "series.close_group": lambda s: args(tenant=tenant(), group=text_arg("g1"), actor=actor()),
    "queries.get": lambda s: args(tenant=tenant(), session_id=an_id(s.session_id), actor=actor()),
    "queries.get_series": lambda s: args(tenant=tenant(), series_id=an_id(s.series_id)),
    "queries.series_sessions": lambda s: args(
        tenant=tenant(), series_id=an_id(s.series_id), actor=actor()
    ),
    "queries.list": (
        lambda s, a: s.kit.queries.list(a["tenant"], built_query(a["query"])),
        lambda s: args(tenant=tenant(), query=query()),
    ),
    "queries.each": (
        lambda s, a: list(s.kit.queries.each(a["tenant"], built_query(a["query"]))),
        lambda s: args(tenant=tenant(), query=query()),
    ),
    "queries.agenda": lambda s: args(
        tenant=tenant(),
        resource=sometimes("teacher:ben", hostile.ids(), hostile.wrong_types()),
        start=instant(NOW),
        end=instant(NOW + timedelta(days=30)),
        statuses=statuses(),
    ),
    "bookings.book": lambda s: args(
        tenant=tenant(),
        session_id=an_id(s.session_id),
        participant=sometimes("student:ben", hostile.ids(), hostile.wrong_types()),
        actor=actor(),
        seats=count(1),
        role=text_arg("student"),
        confirm=flag(False),
        waitlist=flag(False),
        hold_for=delta(None),
        idempotency_key=sometimes(None, hostile.text(), hostile.wrong_types()),
        metadata=fields_arg(None),
        now=optional_instant(),
    ),
    "bookings.can_book": lambda s: args(
        tenant=tenant(),
        session_id=an_id(s.session_id),
        participant=sometimes("student:ben", hostile.ids(), hostile.wrong_types()),
        seats=count(1),
        now=optional_instant(),
    ),
    "bookings.confirm": lambda s: args(
        tenant=tenant(), booking_id=an_id(s.booking_id), actor=actor(), now=optional_instant()
    ),
    "bookings.cancel": lambda s: args(
        tenant=tenant(),
        booking_id=an_id(s.booking_id),
        actor=actor(),
        reason=text_arg(None),
        now=optional_instant(),
    ),
    "bookings.expire_due": lambda s: args(
        tenant=sometimes(None, tenant()),
        now=sometimes(None, instant(NOW + timedelta(hours=1))),
        limit=count(500),
    ),
    "bookings.remove_unbooked": lambda s: args(
        tenant=tenant(),
        actor=actor(),
        before=sometimes(None, instant(NOW + timedelta(days=400))),
        since=optional_instant(),
        resources=resources(None),
        series_id=sometimes(None, an_id(s.series_id)),
        batch=count(200),
    ),
    "bookings.get": lambda s: args(tenant=tenant(), booking_id=an_id(s.booking_id)),
    "bookings.for_session": lambda s: args(
        tenant=tenant(), session_id=an_id(s.session_id), statuses=statuses()
    ),
    "bookings.for_participant": lambda s: args(
        tenant=tenant(),
        participant=sometimes("student:ana", hostile.ids(), hostile.wrong_types()),
        start=optional_instant(),
        end=optional_instant(),
        statuses=statuses(),
        after=sometimes(
            None,
            st.tuples(hostile.extreme_datetimes(), hostile.ids()),
            hostile.wrong_types(),
        ),
        limit=count(100),
    ),
    "bookings.for_tenant": lambda s: args(
        tenant=tenant(),
        start=optional_instant(),
        end=optional_instant(),
        statuses=statuses(),
        after=sometimes(
            None,
            st.tuples(hostile.extreme_datetimes(), hostile.ids()),
            hostile.wrong_types(),
        ),
        limit=count(100),
    ),
    "bookings.agenda": lambda s: args(
        tenant=tenant(),
        participant=sometimes("student:ana", hostile.ids(), hostile.wrong_types()),
        days=count(7),
        now=optional_instant(),
    ),
    "bookings.remaining_seats": lambda s: args(
        tenant=tenant(),
        session_ids=sometimes(
            [s.session_id],
            st.lists(hostile.ids(), max_size=5),
            st.just([f"s{n}" for n in range(1001)]),
            hostile.wrong_types(),
        ),
        now=optional_instant(),
    ),
    "bookings.bookable": lambda s: args(
        tenant=tenant(),
        start=instant(NOW),
        end=instant(NOW + timedelta(days=30)),
        resource=sometimes(None, hostile.ids(), hostile.wrong_types()),
        seats=count(1),
        now=optional_instant(),
    ),
    "top_up": lambda s: args(
        tenant=sometimes(None, tenant()), actor=actor(), now=optional_instant()
    ),
    "advance_due": lambda s: args(tenant=tenant(), actor=actor(), now=optional_instant()),
    "expire_holds": lambda s: args(
        tenant=sometimes(None, tenant()), now=optional_instant(), limit=count(500)
    ),
    "payments.book": lambda s: args(
        tenant=tenant(),
        session_id=an_id(s.paid_session_id),
        participant=sometimes("student:cai", hostile.ids(), hostile.wrong_types()),
        actor=actor(),
        seats=count(1),
        role=text_arg("attendee"),
        hold_for=delta(None),
        waitlist=flag(False),
        idempotency_key=sometimes(None, hostile.text(), hostile.wrong_types()),
        metadata=fields_arg(None),
        manual=flag(False),
        confirm=flag(False),
        now=optional_instant(),
    ),
    "payments.claim": lambda s: args(
        tenant=tenant(),
        booking_id=an_id(s.paid_booking_id),
        actor=actor(),
        now=optional_instant(),
    ),
    "payments.apply": (
        lambda s, a: s.kit.payments.apply(a["tenant"], built_event(a["event"])),
        lambda s: args(
            tenant=tenant(),
            event=sometimes(
                (
                    "event",
                    {
                        "provider": "fake",
                        "event_id": "evt-1",
                        "type": "succeeded",
                        "occurred_at": NOW,
                        "payment_id": s.payment_id,
                    },
                ),
                st.fixed_dictionaries(
                    {
                        "provider": sometimes("fake", hostile.ids(), hostile.wrong_types()),
                        "event_id": sometimes("evt-2", hostile.ids(), hostile.wrong_types()),
                        "type": sometimes(
                            "refunded", hostile.text(huge=False), hostile.wrong_types()
                        ),
                        "occurred_at": instant(NOW),
                        "payment_id": sometimes(s.payment_id, hostile.ids(), st.none()),
                        "intent_ref": sometimes(None, hostile.text(), hostile.wrong_types()),
                        "amount": sometimes(
                            None, st.just(Money.of(5, "USD")), hostile.wrong_types()
                        ),
                        "reason": text_arg(None),
                    }
                ).map(lambda kwargs: ("event", kwargs)),
                hostile.wrong_types(),
            ),
        ),
    ),
    "payments.cancel": lambda s: args(
        tenant=tenant(),
        booking_id=an_id(s.paid_booking_id),
        actor=actor(),
        role=sometimes("participant", hostile.text(huge=False), hostile.wrong_types()),
        reason=text_arg(None),
        now=optional_instant(),
    ),
    "payments.refund": (
        lambda s, a: s.kit.payments.refund(
            **{
                **a,
                "amount": Money.of(*a["amount"]) if isinstance(a["amount"], tuple) else a["amount"],
            }
        ),
        lambda s: args(
            tenant=tenant(),
            payment_id=an_id(s.payment_id),
            amount=sometimes(
                ("5", "EUR"),
                st.tuples(hostile.values(), hostile.text(huge=False)),
                hostile.wrong_types(),
            ),
            actor=actor(),
            reason=text_arg(None),
            now=optional_instant(),
        ),
    ),
    "payments.retry_refund": lambda s: args(
        tenant=tenant(), payment_id=an_id(s.payment_id), actor=actor(), now=optional_instant()
    ),
    "payments.mark_paid": lambda s: args(
        tenant=tenant(),
        payment_ids=sometimes(
            [s.manual_payment_id], st.lists(hostile.ids(), max_size=3), hostile.wrong_types()
        ),
        actor=actor(),
        now=optional_instant(),
    ),
    "payments.run_due": lambda s: args(
        tenant=sometimes(None, tenant()), limit=count(100), now=optional_instant()
    ),
    "payments.get": lambda s: args(tenant=tenant(), payment_id=an_id(s.payment_id)),
    "payments.for_booking": lambda s: args(tenant=tenant(), booking_id=an_id(s.paid_booking_id)),
    "payments.list": lambda s: args(**payment_filters(), limit=count(50)),
    "payments.each": (
        lambda s, a: list(s.kit.payments.each(**a)),
        lambda s: args(**payment_filters()),
    ),
    "reschedules.request": lambda s: args(
        tenant=tenant(),
        session_id=an_id(s.session_id),
        role=text_arg("student"),
        actor=sometimes("ana", hostile.text(), hostile.wrong_types()),
        reason=text_arg(REASON),
        proposed_start=sometimes(None, instant(NOW + timedelta(days=3))),
        now=optional_instant(),
    ),
    "reschedules.can_request": lambda s: args(
        tenant=tenant(),
        session_id=an_id(s.session_id),
        role=text_arg("student"),
        now=optional_instant(),
    ),
    "reschedules.approve": lambda s: args(
        tenant=tenant(),
        request_id=an_id(s.request_id),
        role=text_arg("coach"),
        actor=sometimes("cleo", hostile.text(), hostile.wrong_types()),
        start=sometimes(None, instant(NOW + timedelta(days=6))),
        now=optional_instant(),
    ),
    "reschedules.decline": lambda s: args(
        tenant=tenant(),
        request_id=an_id(s.request_id),
        role=text_arg("coach"),
        actor=sometimes("cleo", hostile.text(), hostile.wrong_types()),
        now=optional_instant(),
    ),
    "reschedules.withdraw": lambda s: args(
        tenant=tenant(),
        request_id=an_id(s.request_id),
        role=text_arg("student"),
        actor=sometimes("ana", hostile.text(), hostile.wrong_types()),
        now=optional_instant(),
    ),
    "reschedules.get": lambda s: args(tenant=tenant(), request_id=an_id(s.request_id)),
    "reschedules.for_session": lambda s: args(tenant=tenant(), session_id=an_id(s.lesson_id)),
    "reschedules.approve_due": lambda s: args(
        tenant=sometimes(None, tenant()),
        now=sometimes(None, instant(NOW + timedelta(days=2))),
        limit=count(500),
    ),
    "reschedules.options": lambda s: args(
        tenant=tenant(),
        session_id=an_id(s.lesson_id),
        role=text_arg("student"),
        now=optional_instant(),
    ),
    "analytics.counts": (
        lambda s, a: s.kit.analytics.counts(**{**a, "scope": built_query(a["scope"])}),
        lambda s: args(
            tenant=tenant(),
            by=dimension("resource"),
            scope=query(),
            start_from=optional_instant(),
            start_to=optional_instant(),
            actor=actor(),
        ),
    ),
    "analytics.rates": (
        lambda s, a: s.kit.analytics.rates(**{**a, "scope": built_query(a["scope"])}),
        lambda s: args(
            tenant=tenant(),
            by=dimension("participant"),
            scope=query(),
            start_from=optional_instant(),
            start_to=optional_instant(),
            outcomes=sometimes(None, hostile.wrong_types()),
        ),
    ),
    "analytics.revenue": lambda s: args(
        tenant=tenant(),
        by=dimension("client"),
        start_from=optional_instant(),
        start_to=optional_instant(),
    ),
    "analytics.progress": (
        lambda s, a: s.kit.analytics.progress(**{**a, "scope": built_query(a["scope"])}),
        lambda s: args(
            tenant=tenant(),
            scope=sometimes(("query", {}), query()),
            total=sometimes(None, hostile.hostile_ints(), hostile.wrong_types()),
            now=optional_instant(),
        ),
    ),
    "analytics.clients": lambda s: args(
        tenant=tenant(),
        start_from=optional_instant(),
        start_to=optional_instant(),
        actor=actor(),
    ),
    "analytics.attendance": (
        lambda s, a: s.kit.analytics.attendance(**{**a, "scope": built_query(a["scope"])}),
        lambda s: args(
            tenant=tenant(),
            by=dimension("participant"),
            scope=query(),
            start_from=optional_instant(),
            start_to=optional_instant(),
            outcomes=sometimes(None, hostile.wrong_types()),
        ),
    ),
    "analytics.usage": lambda s: args(
        tenant=tenant(),
        by=dimension("period"),
        subscriber=sometimes(None, st.just("student:ana"), hostile.text(), hostile.wrong_types()),
        now=optional_instant(),
    ),
    "approve_reschedules": lambda s: args(
        tenant=sometimes(None, tenant()),
        now=sometimes(None, instant(NOW + timedelta(days=2))),
        limit=count(500),
    ),
    "tick": lambda s: args(
        tenant=sometimes(None, tenant()),
        now=optional_instant(),
        batch=count(200),
        kinds=sometimes(
            TICK_KINDS,
            st.lists(st.one_of(st.sampled_from(TICK_KINDS), hostile.text())),
            hostile.wrong_types(),
        ),
        actor=actor(),
    ),
    "due_tenants": lambda s: args(now=optional_instant(), limit=count(10_000)),
    "usage.subscribe": lambda s: args(
        tenant=tenant(),
        actor=actor(),
        subscriber=sometimes("student:bo", hostile.text(), hostile.wrong_types()),
        credits=count(8),
        starts=instant(NOW),
        per=sometimes("month", hostile.text(), hostile.wrong_types(), st.just("total")),
        ends=sometimes(None, hostile.extreme_datetimes(), hostile.wrong_types()),
        tz=sometimes("Asia/Riyadh", hostile.text(), hostile.wrong_types()),
        on_limit=sometimes("refuse", hostile.text(), hostile.wrong_types()),
        subscription_id=sometimes(None, hostile.ids(), hostile.wrong_types()),
    ),
    "usage.get": lambda s: args(tenant=tenant(), subscription_id=an_id(s.subscription_id)),
    "usage.subscriptions": lambda s: args(
        tenant=tenant(),
        subscriber=sometimes("student:ana", hostile.text(), hostile.wrong_types()),
    ),
    "usage.balance": lambda s: args(
        tenant=tenant(), subscription_id=an_id(s.subscription_id), at=optional_instant()
    ),
    "usage.check_credit": lambda s: args(
        tenant=tenant(),
        participant=sometimes("student:ana", hostile.text(), hostile.wrong_types()),
        at=instant(NOW + timedelta(days=1)),
    ),
    "usage.consume": lambda s: args(
        tenant=tenant(),
        session_id=an_id(s.session_id),
        actor=actor(),
        participants=sometimes(
            None, st.lists(hostile.text(huge=False), max_size=3), hostile.wrong_types()
        ),
    ),
    "usage.reverse": lambda s: args(
        tenant=tenant(),
        session_id=an_id(s.session_id),
        actor=actor(),
        reason=sometimes(None, hostile.text(), hostile.wrong_types()),
        participants=sometimes(None, hostile.text(), hostile.wrong_types()),
    ),
    "usage.correct": lambda s: args(
        tenant=tenant(),
        session_id=an_id(s.session_id),
        status=sometimes("FINISHED", hostile.text(), hostile.wrong_types()),
        actor=actor(),
        reason=sometimes(None, hostile.text(), hostile.wrong_types()),
        role=sometimes(None, hostile.text(), hostile.wrong_types()),
        expected_version=sometimes(None, hostile.hostile_ints(), hostile.wrong_types()),
    ),
    "usage.entries": lambda s: args(
        tenant=tenant(),
        session_id=sometimes(s.session_id, hostile.ids(), hostile.wrong_types(), st.none()),
        subscription_id=sometimes(None, hostile.ids(), hostile.wrong_types()),
        period=sometimes(None, hostile.text(), hostile.wrong_types()),
    ),
    "usage.mark_makeup": lambda s: args(
        tenant=tenant(),
        session_id=an_id(s.lesson_id),
        replaces=an_id(s.session_id),
        actor=actor(),
    ),
    "usage.code_of": lambda s: args(tenant=tenant(), session_id=an_id(s.session_id)),
    "usage.by_code": lambda s: args(tenant=tenant(), code=text_arg("S-acme-000001")),
    "attendance.record_presence": (
        lambda s, a: s.kit.attendance.record_presence(
            a["tenant"], presence_events(a["events"]), now=a["now"]
        ),
        lambda s: args(
            tenant=tenant(),
            events=sometimes(
                [{"session_id": s.session_id, "at": NOW}],
                st.lists(
                    st.fixed_dictionaries(
                        {
                            "session_id": an_id(s.session_id),
                            "participant": text_arg("student:ana"),
                            "action": text_arg("join"),
                            "event_id": text_arg("e1"),
                            "at": instant(NOW),
                        }
                    ),
                    max_size=3,
                ),
                hostile.wrong_types(),
            ),
            now=optional_instant(),
        ),
    ),
    "attendance.override": lambda s: args(
        tenant=tenant(),
        session_id=an_id(s.session_id),
        participant=sometimes("student:ana", hostile.ids(), hostile.wrong_types()),
        status=text_arg("present"),
        actor=sometimes("tara", hostile.text(), hostile.wrong_types()),
        minutes=sometimes(None, hostile.hostile_ints(), hostile.wrong_types()),
        reason=sometimes(None, hostile.text(), hostile.wrong_types()),
        now=optional_instant(),
    ),
    "attendance.clear_override": lambda s: args(
        tenant=tenant(),
        session_id=an_id(s.session_id),
        participant=sometimes("student:ana", hostile.ids(), hostile.wrong_types()),
        actor=sometimes("tara", hostile.text(), hostile.wrong_types()),
        now=optional_instant(),
    ),
    "attendance.for_session": lambda s: args(
        tenant=tenant(), session_id=an_id(s.session_id), as_of=optional_instant()
    ),
    "attendance.presence": lambda s: args(tenant=tenant(), session_id=an_id(s.session_id)),
    "attendance.outcomes": lambda s: args(tenant=tenant(), session_id=an_id(s.paid_session_id)),
    "attendance.join_credential": lambda s: args(
        tenant=tenant(),
        session_id=an_id(s.session_id),
        participant=sometimes("student:ana", hostile.ids(), hostile.wrong_types()),
        role=sometimes(None, hostile.text(), hostile.wrong_types()),
        now=optional_instant(),
    ),
    "run_payment_calls": lambda s: args(
        tenant=sometimes(None, tenant()), now=optional_instant(), limit=count(100)
    ),
    "journal.list": lambda s: args(**journal_filters()),
    "journal.for_session": lambda s: args(**journal_filters(), session_id=an_id(s.session_id)),
    "journal.for_subject": lambda s: args(
        **journal_filters(),
        subject=sometimes("booking", hostile.text(), hostile.wrong_types()),
        subject_id=an_id(s.booking_id),
    ),
}


"""What each command is fuzzed with: its arguments, called as ``kit.<name>(**arguments)``.

A command whose values are built first (recipes, events) gives its own call too.
"""


def command(name: str) -> tuple[Call, Args]:
    """Return how command ``name`` is called and the arguments it is fuzzed with."""
    entry = COMMANDS[name]
    if isinstance(entry, tuple):
        return entry
    method = attrgetter(name)
    return (lambda seeded, arguments: method(seeded.kit)(**arguments)), entry


INTERNAL = {"bookings.book_in", "series.top_up_in", "reschedules.answer_due_in"}
"""Public-named building blocks that take an open unit of work (a ``Tx``), not user input."""


def presence_events(given: Any) -> Any:
    """Build presence events from dictionaries (hostile values and all); pass anything else on."""
    if not isinstance(given, list) or not all(isinstance(f, dict) for f in given):
        return given
    made = []
    for n, fields in enumerate(given):
        values: dict[str, Any] = {
            "provider": "meet",
            "event_id": f"e{n}",
            "participant": "student:ana",
        }
        values.update({"action": "join"}, **fields)
        made.append(PresenceEvent(**values))
    return made


def test_every_public_command_is_fuzzed() -> None:
    """A command added to a service without a line here fails this test."""
    kit = SessionKit(uow=InMemoryStore().unit_of_work, clock=ManualClock(NOW))
    public = {
        f"{group}.{name}"
        for group in (
            "sessions",
            "series",
            "queries",
            "bookings",
            "payments",
            "reschedules",
            "analytics",
            "usage",
            "attendance",
            "journal",
        )
        for name in dir(getattr(kit, group))
        if not name.startswith("_") and callable(getattr(getattr(kit, group), name))
    }
    public |= {
        name for name in dir(kit) if not name.startswith("_") and callable(getattr(kit, name))
    }
    assert public - INTERNAL == set(COMMANDS)


def _show(arguments: Mapping[str, Any]) -> str:
    return ", ".join(f"{key}={hostile_repr(value)}" for key, value in arguments.items())


def hostile_repr(value: Any) -> str:
    text = repr(value)
    return text if len(text) < 200 else f"{text[:200]}... ({len(text):,} characters)"


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_command_answers_hostile_input(backend: Backend, name: str) -> None:
    call, make_args = command(name)
    probe = backend.fresh()  # the ids are the same in every fresh store

    @settings(
        max_examples=backend.examples * (10 if _THOROUGH else 1),
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
        database=None,
    )
    @given(make_args(probe))
    def answers(arguments: dict[str, Any]) -> None:
        seeded = backend.fresh()
        before = seeded.snapshot()
        refused: SessionKitError | None = None
        started = clock.perf_counter()
        try:
            call(seeded, arguments)
        except SessionKitError as error:
            refused = error
        elapsed = clock.perf_counter() - started
        if refused is None:
            seeded.kit.queries.list(TENANT)  # whatever was stored reads back
        else:
            assert seeded.snapshot() == before, f"{name} raised {refused!r} but wrote"
            # A sessionkit error that is a TypeError is one for a wrong type.
            kind: type = type(refused)
            assert not issubclass(kind, TypeError) or issubclass(kind, (WrongType, NotASession))
        assert elapsed < CALL_BOUND, f"{name}({_show(arguments)}) took {elapsed:.1f} s"

    answers()
