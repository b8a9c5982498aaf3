"""The contract of the analytics reader: every adapter gives the same figures for the same data.

:class:`AnalyticsContract` stores one small, hand-counted data set (sessions
of two kinds on three resources, bookings of three clients, payments in two
currencies and every interesting status, reschedule requests moved and not,
and another tenant's session) through the repositories, then checks each
figure of ``kit.analytics`` against the counts written out here. Subclass
it once per adapter and implement ``make_store``; :func:`seed_analytics` is
public so a property test or a benchmark can reuse the data.

This module keeps the class, the fixture that stores the data set, and the
checks of a package's progress and of bad arguments. The rest is kept in
private modules beside it: the data set and its factories (``_analytics_data``),
the session figures (``_analytics_counts``: counts and rates) and the money
figures (``_analytics_money``: revenue and clients), topic mixins the class
is made of.
"""

from __future__ import annotations

import pytest

from sessionkit.errors import InvalidValue, WrongType
from sessionkit.model.query import SessionQuery
from sessionkit.ports import UnitOfWorkFactory
from sessionkit.services import SessionKit
from sessionkit.testing.clocks import ManualClock
from sessionkit.testing.contract._analytics_counts import AnalyticsCountsContract
from sessionkit.testing.contract._analytics_data import _at, make_payment, seed_analytics

# Not in __all__, but imported from here by the use contract and the tests.
from sessionkit.testing.contract._analytics_data import make_seat as make_seat
from sessionkit.testing.contract._analytics_money import AnalyticsMoneyContract
from sessionkit.testing.contract._support import ANA as TEACHER_ANA
from sessionkit.testing.contract._support import BEN, TENANT

__all__ = ["AnalyticsContract", "make_payment", "seed_analytics"]


class AnalyticsContract(AnalyticsMoneyContract, AnalyticsCountsContract):
    """Every figure of ``kit.analytics`` on the seeded data set; implement ``make_store``."""

    @pytest.fixture
    def kit(self, store: UnitOfWorkFactory) -> SessionKit:
        """A kit over the store, with the data set stored and the clock at ``T0 + 100h``."""
        seed_analytics(store)
        return SessionKit(uow=store, clock=ManualClock(_at(100)))

    def test_progress_of_a_package(self, kit: SessionKit) -> None:
        """Completed of total, what was due by now, and on track or not."""
        ana = kit.analytics.progress(TENANT, SessionQuery(resources=[TEACHER_ANA]))
        assert (ana.total, ana.completed, ana.due, ana.remaining, ana.on_track) == (
            3,
            2,
            2,
            1,
            True,
        )
        assert ana.ratio == 2 / 3
        ben = kit.analytics.progress(TENANT, SessionQuery(resources=[BEN]), total=4)
        assert (ben.sessions, ben.cancelled, ben.no_show, ben.due) == (1, 1, 1, 1)
        assert (ben.remaining, ben.on_track) == (4, False)
        later = kit.analytics.progress(TENANT, SessionQuery(resources=[TEACHER_ANA]), now=_at(300))
        assert (later.due, later.on_track) == (3, False)

    def test_bad_arguments_are_refused_with_what_was_expected(self, kit: SessionKit) -> None:
        """A bad dimension, scope or total is a SessionKitError naming it."""
        with pytest.raises(InvalidValue) as bad:
            kit.analytics.counts(TENANT, by="colour")  # type: ignore[arg-type]
        assert bad.value.value == "colour"
        with pytest.raises(WrongType):
            kit.analytics.rates(TENANT, scope="all")  # type: ignore[arg-type]
        with pytest.raises(InvalidValue):
            kit.analytics.progress(TENANT, SessionQuery(), total=-1)


# Show (and pickle) what moved to the data set's module under this public path, as before.
_moved: object
for _moved in (make_payment, make_seat, seed_analytics):
    _moved.__module__ = __name__
del _moved
