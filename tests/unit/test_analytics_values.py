"""The analytics values: outcome sets, rates without a denominator, records with fixed columns."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import attrs
import pytest

from sessionkit.errors import InvalidValue, WrongType
from sessionkit.model.analytics import (
    ClientMoney,
    ClientRow,
    ClientStats,
    Counts,
    Outcomes,
    PaymentTotal,
    Progress,
    RateRow,
    Rates,
    Revenue,
    RevenueRow,
    StatusCount,
)
from sessionkit.model.money import Money
from sessionkit.model.session import ResourceRef
from sessionkit.services._analytics_money import revenue_row
from sessionkit.testing.contract.payments import make_payment

AT = datetime(2026, 3, 2, 9, tzinfo=UTC)


def test_a_status_is_one_outcome_only() -> None:
    with pytest.raises(InvalidValue) as shared:
        Outcomes(completed={"DONE"}, no_show={"DONE", "GONE"})
    assert shared.value.value == ["DONE"]
    with pytest.raises(WrongType):
        Outcomes(completed="COMPLETED")
    assert Outcomes(completed=["DONE"]).completed == frozenset({"DONE"})


def test_rates_without_a_denominator_are_none_not_zero() -> None:
    empty = RateRow(key=None, sessions=0, completed=0, no_show=0, cancelled=0, rescheduled=0)
    assert (empty.completion_rate, empty.no_show_rate, empty.cancellation_rate) == (None,) * 3
    only_cancelled = RateRow(
        key="k", sessions=2, completed=0, no_show=0, cancelled=2, rescheduled=1
    )
    assert only_cancelled.completion_rate is None
    rates = Rates(tenant="t", by="participant", rows=(attrs.evolve(only_cancelled, key="s:k"),))
    assert rates.get(ResourceRef("s", "k")).sessions == 2
    assert (only_cancelled.cancellation_rate, only_cancelled.reschedule_rate) == (1.0, 0.5)
    records = Rates(tenant="t", by="kind", rows=(only_cancelled,)).to_records()
    assert list(records[0]) == list(Rates.COLUMNS)
    assert records[0]["held"] == 0


def test_counts_records_and_groups() -> None:
    counts = Counts(
        tenant="t",
        by="resource",
        rows=(StatusCount("room:a", "DONE", 2), StatusCount("room:b", "DONE", 1)),
    )
    assert counts.keys() == ["room:a", "room:b"]
    assert counts.total == 3
    assert counts.by_status("room:b") == {"DONE": 1}
    assert counts.by_status(ResourceRef("room", "b")) == {"DONE": 1}
    with pytest.raises(WrongType):
        counts.by_status(("room", "b"))  # type: ignore[arg-type]  # not a key
    assert [list(r) for r in counts.to_records()] == [list(Counts.COLUMNS)] * 2


def test_revenue_totals_stay_in_their_currency() -> None:
    row = RevenueRow(
        key=None,
        currency="EUR",
        payments=1,
        booked=Decimal(10),
        paid=Decimal(10),
        refunded=Decimal(4),
        refund_due=Decimal(1),
        kept=Decimal(5),
        pending=Decimal(0),
    )
    revenue = Revenue(tenant="t", by=None, rows=(row,))
    assert revenue.total("kept", "EUR") == Money.of(5, "EUR")
    assert revenue.total("kept", "USD") == Money.of(0, "USD")
    assert revenue.total("kept", "eur") == Money.of(5, "EUR")  # was a silent zero
    with pytest.raises(InvalidValue):
        revenue.total("kept", "euro")
    assert row.money("refunded") == Money.of(4, "EUR")
    assert list(revenue.to_records()[0]) == list(Revenue.COLUMNS)
    with pytest.raises(InvalidValue, match="'kpet'") as refused:  # was an AttributeError
        revenue.total("kpet", "EUR")
    assert refused.value.value == "kpet"


def test_a_payments_refund_figures_have_the_currencys_places_as_a_store_reads_them() -> None:
    fresh = make_payment("p1", amount="60.00")
    assert [str(v) for v in (fresh.refunded, fresh.refund_due, fresh.refund_sending)] == [
        "0.00"
    ] * 3
    assert str(make_payment("p2", amount="6000", currency="JPY").refunded) == "0"
    assert str(make_payment("p3", refunded="12.5").refunded) == "12.50"
    assert str(attrs.evolve(fresh, refunded=0).refunded) == "0.00"  # type: ignore[arg-type]  # an int
    for bad in (Decimal("NaN"), Decimal("1E+30")):
        with pytest.raises(InvalidValue, match="not an amount of EUR"):
            attrs.evolve(fresh, refunded=bad)


def test_progress_remaining_never_below_zero_and_on_track() -> None:
    done = Progress(
        tenant="t", now=AT, total=2, sessions=3, completed=3, no_show=0, cancelled=0, due=3
    )
    assert (done.remaining, done.ratio, done.on_track) == (0, 1.5, True)
    empty = Progress(
        tenant="t", now=AT, total=0, sessions=0, completed=0, no_show=0, cancelled=0, due=0
    )
    assert (empty.ratio, empty.on_track) == (None, True)
    assert list(empty.to_records()[0]) == list(Progress.COLUMNS)


def test_client_records_one_per_currency_and_one_without_payments() -> None:
    euros = ClientMoney(currency="EUR", paid=Decimal(5), pending=Decimal(0), refunded=Decimal(0))
    dollars = ClientMoney(currency="USD", paid=Decimal(1), pending=Decimal(2), refunded=Decimal(0))
    stats = ClientStats(
        tenant="t",
        rows=(
            ClientRow(
                client="c:a", sessions=2, first_session=AT, last_session=AT, money=(euros, dollars)
            ),
            ClientRow(client="c:b", sessions=0, first_session=None, last_session=None),
        ),
    )
    records = stats.to_records()
    assert [(r["client"], r["currency"], r["paid"], r["repeat"]) for r in records] == [
        ("c:a", "EUR", Decimal(5), True),
        ("c:a", "USD", Decimal(1), True),
        ("c:b", None, Decimal(0), False),
    ]
    assert all(list(r) == list(ClientStats.COLUMNS) for r in records)
    assert stats.get("c:b") is stats.rows[1]
    assert stats.get(ResourceRef("c", "b")) is stats.rows[1]
    assert stats.get("c:z") is None
    assert stats.repeat_clients == (stats.rows[0],)


def test_analytics_results_show_as_html_tables_of_their_records() -> None:
    from datetime import timedelta

    from sessionkit.model.session import ResourceRef
    from sessionkit.testing.harness import Harness

    h = Harness.in_memory(datetime(2026, 3, 2, 8, tzinfo=UTC))
    start = datetime(2026, 3, 3, 9, tzinfo=UTC)
    for title in ("Maths", "Physics"):
        h.kit.sessions.create_extra(
            "acme",
            actor="tina",
            start=start,
            end=start + timedelta(hours=1),
            resources=[ResourceRef("teacher", title.lower())],
            lifecycle="lms",
            title=title,
        )
    counts = h.kit.analytics.counts("acme", by="resource")
    page = counts._repr_html_()
    assert page.startswith("<table")
    for record in counts.to_records():
        for value in record.values():
            assert str(value) in page
    rates = h.kit.analytics.rates("acme")
    assert "<table" in rates._repr_html_()


def test_revenue_figures_come_in_the_currency_s_places_whatever_the_store_summed() -> None:
    # SQL stores sum with the amount column's six places, memory with the amounts' own.
    sql = PaymentTotal(
        None, "EUR", "PAID", 2, Decimal("60.000000"), Decimal("20.005000"), Decimal(0)
    )
    row = revenue_row(None, "EUR", [sql])
    assert [str(row.paid), str(row.refunded), str(row.pending)] == ["60.00", "20.005", "0.00"]
    memory = PaymentTotal(None, "EUR", "PAID", 2, Decimal(60), Decimal("20.005"), Decimal(0))
    assert revenue_row(None, "EUR", [memory]) == row
    assert str(revenue_row(None, "JPY", [memory]).paid) == "60"


def test_an_empty_result_shows_its_columns_in_html() -> None:
    # The header came from the rows: with none, the table named no column at all.
    from sessionkit.testing.harness import Harness

    h = Harness.in_memory(datetime(2026, 3, 2, 8, tzinfo=UTC))
    for result in (h.kit.analytics.revenue("acme"), h.kit.analytics.counts("acme")):
        assert result.to_records() == []
        header = "".join(f"<th>{name}</th>" for name in result.COLUMNS)
        assert f"<thead><tr>{header}</tr></thead>" in result._repr_html_()


@pytest.mark.parametrize("figure", ["counts", "rates", "revenue", "clients", "attendance"])
def test_a_window_ending_before_it_starts_is_refused(figure: str) -> None:
    # It matched nothing, so the figures came back empty, as if there were no data.
    from sessionkit.errors import InvalidWindow
    from sessionkit.testing.harness import Harness

    h = Harness.in_memory(datetime(2026, 3, 2, 8, tzinfo=UTC))
    start, end = datetime(2026, 3, 5, tzinfo=UTC), datetime(2026, 3, 3, tzinfo=UTC)
    with pytest.raises(InvalidWindow) as refused:
        getattr(h.kit.analytics, figure)("acme", start_from=start, start_to=end)
    assert str(refused.value) == (
        "start_to 2026-03-03T00:00:00+00:00 is before start_from 2026-03-05T00:00:00+00:00"
    )
    assert refused.value.value == (start, end)
    # An empty window is no error: on this empty store, the figures of no window at all.
    empty = getattr(h.kit.analytics, figure)("acme", start_from=start, start_to=start)
    assert empty.to_records() == getattr(h.kit.analytics, figure)("acme").to_records()


def test_a_grouped_revenue_s_total_without_a_key_is_every_group_s() -> None:
    # No row of a grouped result has the key None: total("kept", "EUR") answered 0.00 EUR.
    from datetime import timedelta

    from sessionkit.adapters.memory import InMemoryStore
    from sessionkit.services import SessionKit
    from sessionkit.testing.clocks import ManualClock
    from sessionkit.testing.contract import T0, seed_analytics

    store = InMemoryStore()
    seed_analytics(store.unit_of_work)
    kit = SessionKit(uow=store.unit_of_work, clock=ManualClock(T0 + timedelta(hours=100)))
    whole = kit.analytics.revenue("acme")
    for by in ("provider", "client", "status"):
        grouped = kit.analytics.revenue("acme", by=by)
        for figure in ("booked", "paid", "refunded", "refund_due", "kept", "pending"):
            for currency in ("EUR", "USD", "JPY"):
                assert grouped.total(figure, currency) == whole.total(figure, currency)
    assert kit.analytics.revenue("acme", by="provider").total("kept", "EUR") == Money.of(
        "100.00", "EUR"
    )
    assert kit.analytics.revenue("acme", by="provider").total("pending", "EUR", "card") == (
        Money.of(0, "EUR")
    )
    assert kit.analytics.revenue("acme", by="provider").total("pending", "EUR", "manual") == (
        Money.of(40, "EUR")
    )


@pytest.mark.parametrize("figure", ["counts", "rates", "attendance"])
def test_a_window_that_misses_the_scope_s_bounds_narrows_it_to_nothing(figure: str) -> None:
    # Both in order, but nothing in both: the narrowed scope ended before it started and
    # was refused as InvalidWindow, naming bounds the caller never gave.
    from datetime import timedelta

    from sessionkit.adapters.memory import InMemoryStore
    from sessionkit.model.query import SessionQuery
    from sessionkit.services import SessionKit
    from sessionkit.testing.clocks import ManualClock
    from sessionkit.testing.contract import T0, seed_analytics

    store = InMemoryStore()
    seed_analytics(store.unit_of_work)
    kit = SessionKit(uow=store.unit_of_work, clock=ManualClock(T0 + timedelta(hours=100)))
    read = getattr(kit.analytics, figure)
    days = SessionQuery(start_from=T0 + timedelta(hours=24), start_to=T0 + timedelta(hours=72))
    assert read("acme", scope=days).to_records() != []
    for lo, hi in ((0, 12), (None, 12), (96, None), (96, 120)):
        window = [None if h is None else T0 + timedelta(hours=h) for h in (lo, hi)]
        missed = read("acme", scope=days, start_from=window[0], start_to=window[1])
        assert missed.rows == ()
    # A window that overlaps the scope's bounds still narrows to the overlap.
    later = SessionQuery(start_from=T0 + timedelta(hours=24))
    overlap = read("acme", scope=later, start_to=T0 + timedelta(hours=48))
    alone = read("acme", start_from=T0 + timedelta(hours=24), start_to=T0 + timedelta(hours=48))
    assert overlap.to_records() == alone.to_records() != []


def test_client_no_shows_follow_the_outcomes_passed_as_rates_do() -> None:
    # Without outcomes a no-show is what the lifecycles mark no_show; a host whose own
    # Outcomes name other statuses had rates() and clients() disagree, with no way around.
    from datetime import timedelta

    from sessionkit.adapters.memory import InMemoryStore
    from sessionkit.model.analytics import Outcomes
    from sessionkit.services import SessionKit
    from sessionkit.testing.clocks import ManualClock
    from sessionkit.testing.contract import T0, seed_analytics

    store = InMemoryStore()
    seed_analytics(store.unit_of_work)
    kit = SessionKit(uow=store.unit_of_work, clock=ManualClock(T0 + timedelta(hours=100)))

    def no_shows(outcomes: Outcomes | None) -> dict[str, int]:
        return {r.client: r.no_shows for r in kit.analytics.clients("acme", outcomes=outcomes).rows}

    assert no_shows(None) == {"client:x": 0, "client:y": 1, "client:z": 0}
    assert no_shows(Outcomes(no_show={"MISSED"})) == dict.fromkeys(no_shows(None), 0)
    wide = Outcomes(completed={"FINISHED"}, no_show={"NO_SHOW", "COMPLETED"})
    assert no_shows(wide) == {"client:x": 2, "client:y": 1, "client:z": 0}
    assert kit.analytics.rates("acme", outcomes=wide).rows[0].no_show == 3
    with pytest.raises(WrongType):
        kit.analytics.clients("acme", outcomes="NO_SHOW")  # type: ignore[arg-type]
