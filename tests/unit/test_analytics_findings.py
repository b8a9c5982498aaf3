"""What a notebook user of ``kit.analytics`` ran into, each pinned to its fix."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest

from sessionkit.adapters.memory import InMemoryStore
from sessionkit.errors import UnknownStatus
from sessionkit.model.analytics import Outcomes
from sessionkit.model.query import SessionQuery
from sessionkit.services import SessionKit
from sessionkit.testing.clocks import ManualClock
from sessionkit.testing.contract import T0, TENANT, seed_analytics


@pytest.fixture
def kit() -> SessionKit:
    store = InMemoryStore()
    seed_analytics(store.unit_of_work)
    return SessionKit(uow=store.unit_of_work, clock=ManualClock(T0 + timedelta(hours=100)))


FIGURES: dict[str, Callable[[SessionKit, SessionQuery], object]] = {
    "counts": lambda kit, q: kit.analytics.counts(TENANT, scope=q).total,
    "rates": lambda kit, q: kit.analytics.rates(TENANT, scope=q).get().sessions,
    "attendance": lambda kit, q: kit.analytics.attendance(TENANT, scope=q).get().held,
    "progress": lambda kit, q: kit.analytics.progress(TENANT, q).completed,
}


@pytest.mark.parametrize("figure", sorted(FIGURES))
def test_a_scope_status_no_lifecycle_has_is_refused_as_kit_queries_refuses_it(
    kit: SessionKit, figure: str
) -> None:
    """``statuses=["completed"]`` (lower case) matched nothing and every figure read 0.

    kit.queries.list refuses it with UnknownStatus; the figures over the same
    scope looked like a tenant with no completed session at all.
    """
    typo = SessionQuery(statuses=["completed"])
    with pytest.raises(UnknownStatus, match="'completed' is not a status") as caught:
        FIGURES[figure](kit, typo)
    assert caught.value.value == "completed"
    with pytest.raises(UnknownStatus):
        kit.queries.list(TENANT, typo)
    # The status as the lifecycles spell it counts the two completed sessions.
    assert FIGURES[figure](kit, SessionQuery(statuses=["COMPLETED"])) == 2


OUTCOME_FIGURES: dict[str, Callable[[SessionKit, Outcomes], object]] = {
    "rates": lambda kit, o: kit.analytics.rates(TENANT, outcomes=o).get().completed,
    "attendance": lambda kit, o: kit.analytics.attendance(TENANT, outcomes=o).get().held,
    "progress": lambda kit, o: kit.analytics.progress(TENANT, SessionQuery(), outcomes=o).completed,
    "clients": lambda kit, o: kit.analytics.clients(TENANT, outcomes=o).rows,
}


@pytest.mark.parametrize("figure", sorted(OUTCOME_FIGURES))
def test_an_outcome_status_no_lifecycle_has_is_refused(kit: SessionKit, figure: str) -> None:
    """``Outcomes(completed={"DONE "})`` counted no session completed, and said nothing.

    A status of the host's own outcomes must be one a lifecycle of the kit has;
    the presets' defaults stand whichever lifecycles the kit registered.
    """
    typo = Outcomes(completed={"COMPLETED", "COMPLETD"})
    with pytest.raises(UnknownStatus, match="'COMPLETD' is not a status") as caught:
        OUTCOME_FIGURES[figure](kit, typo)
    assert caught.value.value == "COMPLETD"
    spelt = Outcomes(completed={"COMPLETED"})
    assert OUTCOME_FIGURES[figure](kit, spelt) == OUTCOME_FIGURES[figure](kit, Outcomes())
