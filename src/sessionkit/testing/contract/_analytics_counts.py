"""The analytics contract's session figures: counts by status and group, scopes, and rates.

Which sessions each figure counts (the tenant's, in a window, picked by a
:class:`~sessionkit.model.query.SessionQuery` scope, an empty any-of scope
picking none) and how they are grouped, and the rates over them. A topic mixin
of :class:`~sessionkit.testing.contract.analytics.AnalyticsContract`, which
gives these tests its ``kit`` (the data set of :mod:`._analytics_data`) and is
the class to subclass; kept in a module of its own by the style's size limit.
"""

from __future__ import annotations

import attrs
import pytest

from sessionkit.model.analytics import RateRow
from sessionkit.model.query import SessionQuery
from sessionkit.ports import UnitOfWorkFactory
from sessionkit.services import SessionKit
from sessionkit.testing.contract._analytics_data import _at
from sessionkit.testing.contract._support import (
    BEN,
    OTHER_TENANT,
    TENANT,
    ContractBase,
    make_session,
)

__all__ = ["AnalyticsCountsContract"]


class AnalyticsCountsContract(ContractBase):
    """Sessions counted by status and group, in a window and a scope, and their rates."""

    def test_counts_by_status_for_the_tenant_only(self, kit: SessionKit) -> None:
        """Sessions by status, the tenant's only; an unknown tenant has none."""
        counts = kit.analytics.counts(TENANT)
        assert counts.by_status() == {"CANCELLED": 1, "COMPLETED": 2, "NO_SHOW": 1, "SCHEDULED": 1}
        assert counts.to_records()[0] == {"key": None, "status": "CANCELLED", "sessions": 1}
        assert kit.analytics.counts(OTHER_TENANT).by_status() == {"COMPLETED": 1}
        assert kit.analytics.counts("nobody").rows == ()

    def test_counts_by_kind_resource_and_participant(self, kit: SessionKit) -> None:
        """Grouped by lifecycle, by each resource, by each seat holder."""
        by_kind = kit.analytics.counts(TENANT, by="kind")
        assert by_kind.keys() == ["coaching", "consulting"]
        assert by_kind.by_status("consulting") == {"CANCELLED": 1, "COMPLETED": 2, "NO_SHOW": 1}
        by_resource = kit.analytics.counts(TENANT, by="resource").to_records()
        assert [(r["key"], r["status"], r["sessions"]) for r in by_resource] == [
            ("room:r1", "COMPLETED", 1),
            ("teacher:ana", "COMPLETED", 2),
            ("teacher:ana", "SCHEDULED", 1),
            ("teacher:ben", "CANCELLED", 1),
            ("teacher:ben", "NO_SHOW", 1),
        ]
        by_participant = kit.analytics.counts(TENANT, by="participant")
        # y's cancelled booking holds no seat: her cancelled session is not hers any more.
        assert [(r.key, r.status, r.sessions) for r in by_participant.rows] == [
            ("client:x", "COMPLETED", 2),
            ("client:y", "NO_SHOW", 1),
            ("client:z", "SCHEDULED", 1),
        ]

    def test_counts_over_a_window_and_a_scope(self, kit: SessionKit) -> None:
        """A window on the start and a SessionQuery's filters pick the sessions."""
        window = kit.analytics.counts(TENANT, start_from=_at(24), start_to=_at(72))
        assert window.by_status() == {"COMPLETED": 1, "NO_SHOW": 1}
        scoped = kit.analytics.counts(TENANT, scope=SessionQuery(resources=[BEN]))
        assert scoped.by_status() == {"CANCELLED": 1, "NO_SHOW": 1}
        assert scoped.total == 2
        # A wider window never brings back what the scope's own bounds left out.
        bounded = SessionQuery(start_from=_at(24), start_to=_at(72))
        lo, hi = _at(-100), _at(1000)
        wide = kit.analytics.counts(TENANT, scope=bounded, start_from=lo, start_to=hi)
        assert wide.by_status() == {"COMPLETED": 1, "NO_SHOW": 1}
        rates = kit.analytics.rates(TENANT, scope=bounded, start_from=lo, start_to=hi)
        assert rates.get().sessions == 2
        narrower = kit.analytics.counts(TENANT, scope=bounded, start_from=_at(48))
        assert narrower.by_status() == {"NO_SHOW": 1}

    @pytest.mark.parametrize(
        ("nothing", "everything"),
        [
            (SessionQuery(resources=[]), SessionQuery(resources=None)),
            (SessionQuery(statuses=[]), SessionQuery(statuses=None)),
        ],
        ids=["resources", "statuses"],
    )
    def test_an_empty_any_of_scope_counts_no_session(
        self, kit: SessionKit, nothing: SessionQuery, everything: SessionQuery
    ) -> None:
        """A scope's ``resources=[]`` or ``statuses=[]`` picks no session; ``None``, every one.

        Each figure over it is empty, however grouped, and a package so
        scoped has no session: a dashboard's empty selection of teachers.
        """
        assert kit.analytics.counts(TENANT, scope=everything).total == 5
        for by in (None, "kind", "resource", "participant"):
            assert kit.analytics.counts(TENANT, by=by, scope=nothing).rows == ()
            assert kit.analytics.rates(TENANT, by=by, scope=nothing).rows == ()
            assert kit.analytics.attendance(TENANT, by=by, scope=nothing).rows == ()
        progress = kit.analytics.progress(TENANT, nothing)
        assert (progress.total, progress.sessions, progress.due) == (0, 0, 0)

    def test_a_scope_searching_own_fields_counts_what_the_query_lists(
        self, store: UnitOfWorkFactory, kit: SessionKit
    ) -> None:
        """A scope's ``search_fields`` pick the sessions ``kit.queries`` lists, beyond ASCII too.

        Each store lowers an own field's text as its queries do (SQLite only
        ASCII letters, PostgreSQL ``İ`` as one ``i``), its figures so too.
        """
        texts = ["ÉMILE@exämple.com", "İstanbul Office", "ΣΟΦΙΑ"]
        with store() as uow:
            uow.sessions.add_many(
                [
                    attrs.evolve(make_session(f"sf{n}", at=n, resources=()), metadata={"client": t})
                    for n, t in enumerate(texts)
                ]
            )
            uow.commit()
        found: dict[str, tuple[int, int]] = {}
        for needle in [*texts, "émile@", "istanbul", "σοφια"]:
            scope = SessionQuery(search=needle, search_fields=["client"])
            listed = kit.queries.list(TENANT, scope).total
            found[needle] = (listed, kit.analytics.counts(TENANT, scope=scope).total)
        assert [found[text] for text in texts] == [(1, 1)] * 3
        assert {n: listed for n, (listed, _) in found.items()} == {
            n: counted for n, (_, counted) in found.items()
        }

    def test_rates_count_a_rescheduled_session_once_and_not_as_cancelled(
        self, kit: SessionKit
    ) -> None:
        """Two moving requests make one rescheduled session, which stays uncancelled."""
        rates = kit.analytics.rates(TENANT)
        assert rates.get() == RateRow(
            key=None, sessions=5, completed=2, no_show=1, cancelled=1, rescheduled=2
        )
        row = rates.get()
        assert (row.held, row.completion_rate, row.no_show_rate) == (3, 2 / 3, 1 / 3)
        assert (row.cancellation_rate, row.reschedule_rate) == (0.2, 0.4)
        by_resource = {
            r.key: (r.sessions, r.rescheduled)
            for r in kit.analytics.rates(TENANT, by="resource").rows
        }
        assert by_resource == {"room:r1": (1, 1), "teacher:ana": (3, 2), "teacher:ben": (2, 0)}
        by_participant = kit.analytics.rates(TENANT, by="participant")
        assert by_participant.get("client:x").rescheduled == 1
        assert by_participant.get("nobody").completion_rate is None
