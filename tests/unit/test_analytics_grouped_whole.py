"""A grouped figure asked for no key: the whole, or a refusal, never a silent empty row."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy import create_engine
from sqlalchemy.pool import StaticPool

from sessionkit.adapters.memory import InMemoryStore
from sessionkit.adapters.sqlalchemy import SqlAlchemyStore, create_schema
from sessionkit.errors import InvalidValue
from sessionkit.ports import UnitOfWorkFactory
from sessionkit.services import SessionKit
from sessionkit.testing.clocks import ManualClock
from sessionkit.testing.contract import T0, TENANT, seed_analytics, seed_analytics_use


@contextlib.contextmanager
def _kit(store: str, seed: object) -> Iterator[SessionKit]:
    uow: UnitOfWorkFactory = InMemoryStore().unit_of_work
    engine = create_engine("sqlite://", poolclass=StaticPool)
    try:
        if store == "sqlite":
            create_schema(engine)
            uow = SqlAlchemyStore(engine).unit_of_work
        seed(uow)  # type: ignore[operator]  # one of the contract's seed functions
        yield SessionKit(uow=uow, clock=ManualClock(T0 + timedelta(hours=100)))
    finally:
        engine.dispose()


@pytest.mark.parametrize("store", ["memory", "sqlite"])
def test_counts_and_rates_by_kind_without_a_key_are_the_whole(store: str) -> None:
    # rates(t, by="kind").get() looked for the row keyed None, which only an ungrouped
    # result has, and answered an empty row: completion_rate None, 0 sessions.
    with _kit(store, seed_analytics) as kit:
        whole = kit.analytics.rates(TENANT).get()
        by_kind = kit.analytics.rates(TENANT, by="kind")
        assert len(by_kind.rows) == 2  # coaching and consulting: a sum, not one group's row
        assert by_kind.get() == whole
        assert (whole.sessions, whole.completed, whole.no_show) == (5, 2, 1)
        # The rate of the summed counts, not the mean of the groups' rates (1.0 and None).
        assert by_kind.get().completion_rate == pytest.approx(2 / 3)
        counts = kit.analytics.counts(TENANT, by="kind").by_status()
        assert counts == kit.analytics.counts(TENANT).by_status()
        assert counts == {"CANCELLED": 1, "COMPLETED": 2, "NO_SHOW": 1, "SCHEDULED": 1}


@pytest.mark.parametrize("store", ["memory", "sqlite"])
def test_attendance_by_kind_or_participant_without_a_key_is_the_whole(store: str) -> None:
    with _kit(store, seed_analytics_use) as kit:
        whole = kit.analytics.attendance(TENANT).get()
        assert (whole.records, whole.minutes, whole.held) == (12, 354, 11)
        for by in ("kind", "participant"):  # each record is in one group
            grouped = kit.analytics.attendance(TENANT, by=by)
            assert len(grouped.rows) > 1
            assert grouped.get() == whole
            assert grouped.get().no_show_rate == whole.no_show_rate


@pytest.mark.parametrize("store", ["memory", "sqlite"])
@pytest.mark.parametrize("by", ["resource", "participant"])
def test_a_grouping_that_can_count_a_session_twice_asks_for_a_key(store: str, by: str) -> None:
    # A session with two resources is in both groups: their sum is not the whole.
    with _kit(store, seed_analytics) as kit:
        rates = kit.analytics.rates(TENANT, by=by)  # type: ignore[arg-type]  # a CountBy
        with pytest.raises(InvalidValue, match=rf"grouped by '{by}'.*pass a key") as caught:
            rates.get()
        assert caught.value.value == by
        with pytest.raises(InvalidValue, match=f"grouped by '{by}'"):
            kit.analytics.counts(TENANT, by=by).by_status()  # type: ignore[arg-type]
        key = rates.rows[0].key
        assert rates.get(key) == rates.rows[0]  # a key still finds its group
    with _kit(store, seed_analytics_use) as kit:
        if by == "resource":
            with pytest.raises(InvalidValue, match=r"grouped by 'resource'.*records"):
                kit.analytics.attendance(TENANT, by="resource").get()


@pytest.mark.parametrize("store", ["memory", "sqlite"])
@pytest.mark.parametrize("by", ["subscription", "period", "participant"])
def test_usage_get_without_a_key_asks_for_one(store: str, by: str) -> None:
    # usage(t, by=...).get() returned the first row (student:p's) as if it were the whole.
    with _kit(store, seed_analytics_use) as kit:
        use = kit.analytics.usage(TENANT, by=by)  # type: ignore[arg-type]  # a UsageBy
        assert len(use.rows) > 1
        with pytest.raises(InvalidValue, match=rf"grouped by '{by}' needs a key") as caught:
            use.get()
        assert (caught.value.value, caught.value.expected) == (
            by,
            "a subscription_id, subscriber or period",
        )
        with pytest.raises(InvalidValue, match="needs a key"):
            use.get(None, subscriber=None, period=None)
        # A key still finds its row, and total() is the whole.
        first = use.rows[0]
        assert use.get(subscriber="student:p") is first
        assert first.subscriber == "student:p"
        assert use.total("used") == 6
