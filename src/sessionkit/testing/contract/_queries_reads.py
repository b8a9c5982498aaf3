"""The query contract's plain reads: busy_overlapping, for_series, due, due_tenants and claim.

What each read method of the sessions repository other than ``query``
returns, in what order: the busy sessions on some resources over a span (the
conflict check's read), a series' sessions, the sessions due for a timer
(paged by start and id, kept to the statuses each lifecycle times) and their
tenants, and the records a unit of work claims. A topic mixin of
:class:`~sessionkit.testing.contract.queries.QueryContract`, which is the
class to subclass (through ``StorageContract``); kept in a module of its own
by the style's size limit.
"""

from __future__ import annotations

from sessionkit.ports import UnitOfWorkFactory
from sessionkit.testing.contract._support import (
    ANA,
    BEN,
    OTHER_TENANT,
    ROOM,
    TENANT,
    ContractBase,
    _at,
    _ids,
    make_session,
)
from sessionkit.timespan import TimeSpan

__all__ = ["QueryReadsContract"]


class QueryReadsContract(ContractBase):
    """The reads besides ``query``: ``busy_overlapping``, ``for_series``, ``due`` and ``claim``."""

    # ------------------------------------------------------------------ other reads

    def test_busy_overlapping(self, store: UnitOfWorkFactory) -> None:
        """Busy sessions on any of the resources that overlap the span, by start then id."""
        self.given(
            store,
            make_session("late", at=2, resources=(ROOM,)),
            make_session("b", at=1, resources=(ANA,)),
            make_session("a", at=1, resources=(BEN,)),
            make_session("idle", at=1, resources=(ANA,), busy=False),
            make_session("touch", at=3, resources=(ANA,)),
            make_session("early", at=0, resources=(ANA,)),
        )
        span = TimeSpan(_at(1), _at(3))
        with store() as uow:
            found = uow.sessions.busy_overlapping(TENANT, resources=[ANA, BEN, ROOM], span=span)
            assert _ids(found) == ["a", "b", "late"]
            found = uow.sessions.busy_overlapping(
                TENANT, resources=iter([ANA, ROOM]), span=span, exclude_ids=["b"]
            )
            assert _ids(found) == ["late"]
            assert uow.sessions.busy_overlapping(TENANT, resources=[], span=span) == []
            whole = TimeSpan(_at(-5), _at(5))
            found = uow.sessions.busy_overlapping(TENANT, resources=[ANA], span=whole)
            assert _ids(found) == ["early", "b", "touch"]

    def test_for_series(self, store: UnitOfWorkFactory) -> None:
        """A series' sessions (extras included) from ``start_from`` on, by start then id."""
        self.given(
            store,
            make_session("w3", series_id="series-1", at=3),
            make_session("w1", series_id="series-1", at=1),
            make_session("extra", series_id="series-1", is_extra=True, at=1.5, busy=False),
            make_session("w0", series_id="series-1", at=0),
            make_session("other", series_id="series-2", at=2, resources=(BEN,)),
            make_session("lone", is_extra=True, at=5),
        )
        with store() as uow:
            assert _ids(uow.sessions.for_series(TENANT, "series-1")) == ["w0", "w1", "extra", "w3"]
            later = uow.sessions.for_series(TENANT, "series-1", start_from=_at(1))
            assert _ids(later) == ["w1", "extra", "w3"]
            assert uow.sessions.for_series(TENANT, "missing") == []

    def test_due(self, store: UnitOfWorkFactory) -> None:
        """Sessions in any of the statuses starting strictly before the instant, by start, id."""
        self.given(
            store,
            make_session("s2", at=2, status="SCHEDULED"),
            make_session("c1", at=1, status="CONDUCTING", resources=(BEN,)),
            make_session("s1", at=1, status="SCHEDULED"),
            make_session("f0", at=0, status="FINISHED", busy=False),
            make_session("s3", at=3, status="SCHEDULED"),
        )
        with store() as uow:
            due = uow.sessions.due(
                TENANT, statuses=["SCHEDULED", "CONDUCTING"], start_before=_at(3)
            )
            assert _ids(due) == ["c1", "s1", "s2"]
            due = uow.sessions.due(TENANT, statuses=iter(["FINISHED"]), start_before=_at(9))
            assert _ids(due) == ["f0"]
            assert uow.sessions.due(TENANT, statuses=[], start_before=_at(9)) == []

    def test_due_pages_and_due_tenants(self, store: UnitOfWorkFactory) -> None:
        """``after`` and ``limit`` page ``due`` by (start, id); ``due_tenants`` names the owners.

        A cursor inside a tie on the start continues with the tie's later ids.
        """
        self.given(
            store,
            make_session("s2", at=1, status="SCHEDULED", resources=(BEN,)),
            make_session("s1", at=1, status="SCHEDULED"),
            make_session("s3", at=2, status="SCHEDULED"),
            make_session("s4", at=3, status="SCHEDULED"),
            make_session("o1", tenant=OTHER_TENANT, at=1, status="SCHEDULED"),
            make_session("o2", tenant=OTHER_TENANT, at=1, status="FINISHED", busy=False),
        )
        with store() as uow:
            sessions = uow.sessions
            first = sessions.due(TENANT, statuses=["SCHEDULED"], start_before=_at(9), limit=2)
            assert _ids(first) == ["s1", "s2"]
            rest = sessions.due(
                TENANT, statuses=["SCHEDULED"], start_before=_at(9), after=(_at(1), "s2")
            )
            assert _ids(rest) == ["s3", "s4"]
            tied = sessions.due(
                TENANT, statuses=["SCHEDULED"], start_before=_at(9), after=(_at(1), "s1")
            )
            assert _ids(tied) == ["s2", "s3", "s4"]
            assert (
                sessions.due(
                    TENANT, statuses=["SCHEDULED"], start_before=_at(9), after=(_at(3), "s4")
                )
                == []
            )
            assert sessions.due_tenants(statuses=["SCHEDULED"], start_before=_at(9)) == sorted(
                [TENANT, OTHER_TENANT]
            )
            assert sessions.due_tenants(statuses=["FINISHED"], start_before=_at(9)) == [
                OTHER_TENANT
            ]
            assert sessions.due_tenants(statuses=["SCHEDULED"], start_before=_at(1)) == []
            assert sessions.due_tenants(statuses=[], start_before=_at(9)) == []

    def test_due_keeps_the_statuses_each_lifecycle_times(self, store: UnitOfWorkFactory) -> None:
        """With ``lifecycles``, a session counts only in a status its own lifecycle times.

        SCHEDULED is timed in the academy's lifecycle, not in the LMS's: an LMS
        session left SCHEDULED is no candidate, and its tenant has nothing due.
        A session of a lifecycle not named stays one (the tick reports it).
        """
        self.given(
            store,
            make_session("lms", at=1, status="SCHEDULED"),
            make_session("a1", at=2, status="SCHEDULED", lifecycle="academy"),
            make_session("a2", at=3, status="READY", lifecycle="academy"),
            make_session("a3", at=4, status="FINISHED", lifecycle="academy", busy=False),
            make_session("stray", at=5, status="SCHEDULED", lifecycle="retired"),
            make_session("quiet", tenant=OTHER_TENANT, at=1, status="SCHEDULED"),
        )
        timed = {
            "academy": frozenset({"SCHEDULED", "READY"}),
            "coaching": frozenset({"X"}),
            "lms": frozenset(),
        }
        statuses = ["SCHEDULED", "READY", "X"]
        with store() as uow:
            sessions = uow.sessions
            due = sessions.due(TENANT, statuses=statuses, start_before=_at(9), lifecycles=timed)
            assert _ids(due) == ["a1", "a2", "stray"]
            first = sessions.due(
                TENANT, statuses=statuses, start_before=_at(9), limit=1, lifecycles=timed
            )
            assert _ids(first) == ["a1"]
            rest = sessions.due(
                TENANT,
                statuses=statuses,
                start_before=_at(9),
                after=(_at(2), "a1"),
                lifecycles=timed,
            )
            assert _ids(rest) == ["a2", "stray"]
            # Both filters hold: a status the lifecycle times but the statuses leave out.
            only = sessions.due(TENANT, statuses=["READY"], start_before=_at(9), lifecycles=timed)
            assert _ids(only) == ["a2"]
            every = sessions.due(TENANT, statuses=statuses, start_before=_at(9), lifecycles={})
            assert _ids(every) == ["lms", "a1", "a2", "stray"]
            assert sessions.due_tenants(
                statuses=statuses, start_before=_at(9), lifecycles=timed
            ) == [TENANT]
            assert sessions.due_tenants(statuses=statuses, start_before=_at(9)) == sorted(
                [TENANT, OTHER_TENANT]
            )

    def test_claim_returns_the_tenants_records_by_id(self, store: UnitOfWorkFactory) -> None:
        """Alone, ``claim`` returns every existing record asked for, by id; no other tenant's."""
        self.given(
            store,
            make_session("b", at=1),
            make_session("a", at=2, resources=(BEN,)),
            make_session("x", tenant=OTHER_TENANT, at=1),
        )
        with store() as uow:
            claimed = uow.sessions.claim(TENANT, ["b", "missing", "a", "x", "b"])
            assert _ids(claimed) == ["a", "b"]
            assert [s.version for s in claimed] == [1, 1]
            assert uow.sessions.claim(TENANT, []) == []
            assert uow.series.claim(TENANT, ["nope"]) == []
