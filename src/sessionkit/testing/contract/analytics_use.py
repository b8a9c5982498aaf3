"""The contract of attended minutes and subscription use: the academy's figures, hand-counted.

:class:`AnalyticsUseContract` stores a small data set through the
repositories and checks ``kit.analytics.attendance`` and
``kit.analytics.usage`` against the counts written out here. Subclass it
beside :class:`~sessionkit.testing.contract.AnalyticsContract`, once per
adapter (its fixture is named ``academy``, so the two mix without clashing).

The data set (:func:`seed_analytics_use`), lessons of one hour from
:data:`~sessionkit.testing.contract.T0`:

- ``a1`` (+0 h, COMPLETED, teacher ana): ``student:p`` joins 2 minutes early,
  joins again on a second device at 10 and leaves one of them a minute after
  the end (the other never leaves): present, 60 min, counted once;
  ``student:l`` joins 10 min 30 s in and stays: late, 49 min;
  ``student:e`` leaves at 45: left early, 45 min; ``student:q`` is there
  20 to 40: partial, 20 min; ``student:o`` joins at the start and never
  leaves: present, 60 min (the open stay runs to the end); ``student:x`` is
  booked and never comes: absent; ``teacher:ana`` reconnects at 30 (a leave
  and a join at one instant) and sends a stray leave at the end: present,
  60 min.
- ``a2`` (+24 h, ABSENT, teacher ben): ``student:x`` booked, absent.
- ``a3`` (+48 h, COMPLETED, ana and room r1): ``student:y`` is there 5 min
  (partial) but the teacher reports present, 60 min; ``student:z`` only
  leaves (never joined): absent; ``student:w`` has nothing but the teacher's
  "absent".
- ``a4`` (+72 h, CANCELLED, ben): ``student:p``'s booking is still
  confirmed and ``student:x``'s was cancelled, but a cancelled session
  expected nobody (as ``kit.attendance.for_session`` lists it): no record,
  neither p nor the teacher.
- ``a5`` (+200 h, SCHEDULED, ana, the ``lms`` lifecycle): ``student:p`` booked.
- Another tenant's completed lesson with presence, which must never count.

Subscriptions (now: ``T0 + 100 h``, 6 March 2026): ``sub-p`` (4 a month from
1 February: February 2 used and 1 returned, March 1 used), ``sub-x`` (10 in
total from 1 March: 2 used, 1 returned), ``sub-x2`` (2 a month from 1 May:
nothing begun), ``sub-y`` (3 a month, January and February only: 1 used in
January), and another tenant's subscription with entries.

This module keeps the class and the expected rows; the data set and its
factories are kept in ``_analytics_use_data`` beside it (by the style's size
limit), and :func:`seed_analytics_use` is exported from here under this name.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from sessionkit.errors import InvalidValue, WrongType
from sessionkit.model.analytics_use import AttendanceRow, UsageRow
from sessionkit.model.attendance import ABSENT, JOIN, LEAVE, PARTIAL
from sessionkit.model.query import SessionQuery
from sessionkit.model.session import ResourceRef
from sessionkit.ports import ATTENDANCE_OVERRIDES, PRESENCE, UnitOfWorkFactory
from sessionkit.services import SessionKit
from sessionkit.services.attendance import AttendancePolicy
from sessionkit.testing.clocks import ManualClock

# NOW: a public name of this module from before the split (not in __all__), exported as it was.
from sessionkit.testing.contract._analytics_use_data import NOW as NOW
from sessionkit.testing.contract._analytics_use_data import _moves, _told, seed_analytics_use
from sessionkit.testing.contract._support import (
    BEN,
    OTHER_TENANT,
    T0,
    TENANT,
    ContractBase,
)

__all__ = ["AnalyticsUseContract", "seed_analytics_use"]


def _row(key: str | None, **counts: int) -> AttendanceRow:
    zero = dict.fromkeys(
        (
            "records",
            "present",
            "late",
            "left_early",
            "partial",
            "absent",
            "minutes",
            "overridden",
            "held",
            "held_absent",
        ),
        0,
    )
    return AttendanceRow(key=key, **(zero | counts))


def _use(
    who: str, sub: str | None, period: str | None, periods: int, granted: int, used: int, back: int
) -> UsageRow:
    return UsageRow(
        subscriber=who,
        subscription_id=sub,
        period=period,
        periods=periods,
        granted=granted,
        used=used,
        reversed=back,
    )


class AnalyticsUseContract(ContractBase):
    """Attended minutes, attendance and subscription use on the seeded data; implement ``make_store``."""  # noqa: E501

    @pytest.fixture
    def academy(self, store: UnitOfWorkFactory) -> SessionKit:
        """A kit over the store, with the data set stored and the clock at ``T0 + 100h``."""
        seed_analytics_use(store)
        return SessionKit(uow=store, clock=ManualClock(NOW))

    def test_attendance_of_the_whole_tenant(self, academy: SessionKit) -> None:
        """Every record counted once by effective status; minutes summed; no-shows of held."""
        stats = academy.analytics.attendance(TENANT)
        assert stats.rows == (
            _row(
                None,
                records=12,
                present=4,
                late=1,
                left_early=1,
                partial=1,
                absent=4,
                pending=1,
                minutes=354,
                overridden=2,
                held=11,
                held_absent=4,
            ),
        )
        assert stats.get().no_show_rate == 4 / 11
        assert stats.to_records()[0]["minutes"] == 354
        other = academy.analytics.attendance(OTHER_TENANT).get()
        assert (other.records, other.late, other.minutes) == (1, 1, 7)

    def test_attendance_by_participant(self, academy: SessionKit) -> None:
        """Each participant's records: booked, present, told by the teacher, or all three."""
        stats = academy.analytics.attendance(TENANT, by="participant")
        assert [r.key for r in stats.rows] == [
            "student:e",
            "student:l",
            "student:o",
            "student:p",
            "student:q",
            "student:w",
            "student:x",
            "student:y",
            "student:z",
            "teacher:ana",
        ]
        # p's confirmed seat in the cancelled a4 is no record: nobody was expected there.
        assert stats.get("student:p") == _row(
            "student:p", records=2, present=1, pending=1, minutes=60, held=1
        )
        # p's seat in a5, still to come (T0 + 200h, the clock at T0 + 100h): not there yet.
        assert stats.get("student:p").attended == 1
        assert stats.get("student:x") == _row(
            "student:x", records=2, absent=2, held=2, held_absent=2
        )
        assert stats.get("student:x").no_show_rate == 1.0
        assert stats.get("student:y") == _row(
            "student:y", records=1, present=1, minutes=60, overridden=1, held=1
        )
        assert stats.get("student:w") == _row(
            "student:w", records=1, absent=1, overridden=1, held=1, held_absent=1
        )
        by_status = {r.key: (r.by_status(), r.minutes) for r in stats.rows}
        assert by_status["student:l"] == ({**_row(None).by_status(), "late": 1}, 49)
        assert by_status["student:e"][1] == 45
        assert by_status["student:q"] == ({**_row(None).by_status(), "partial": 1}, 20)
        assert by_status["student:o"] == ({**_row(None).by_status(), "present": 1}, 60)
        assert by_status["student:z"] == ({**_row(None).by_status(), "absent": 1}, 0)
        assert by_status["teacher:ana"] == ({**_row(None).by_status(), "present": 1}, 60)

    def test_attendance_by_resource_and_kind_over_a_window_and_scope(
        self, academy: SessionKit
    ) -> None:
        """Grouped by each resource of the session, by lifecycle; picked by window and scope."""
        by_resource = academy.analytics.attendance(TENANT, by="resource")
        assert [(r.key, r.records, r.minutes) for r in by_resource.rows] == [
            ("room:r1", 3, 60),
            ("teacher:ana", 11, 354),
            ("teacher:ben", 1, 0),
        ]
        by_kind = academy.analytics.attendance(TENANT, by="kind")
        assert [(r.key, r.records, r.held) for r in by_kind.rows] == [
            ("academy", 11, 11),
            ("lms", 1, 0),
        ]
        window = academy.analytics.attendance(
            TENANT, start_from=T0 + timedelta(hours=24), start_to=T0 + timedelta(hours=72)
        ).get()
        assert (window.records, window.present, window.absent, window.minutes) == (4, 1, 3, 60)
        ben = academy.analytics.attendance(TENANT, scope=SessionQuery(resources=[BEN])).get()
        assert (ben.records, ben.absent, ben.held, ben.held_absent) == (1, 1, 1, 1)

    def test_attendance_counts_expected_resources_as_kit_attendance_lists_them(
        self, academy: SessionKit, store: UnitOfWorkFactory
    ) -> None:
        """With ``attendee_kinds``, a session's teachers and rooms are records, absent if away.

        The oracle is ``kit.attendance.for_session``, session by session: each
        participant's records and effective statuses agree with the figures.
        """
        expects = SessionKit(
            uow=store,
            clock=ManualClock(NOW),
            attendance=AttendancePolicy(attendee_kinds={"teacher", "room"}),
        )
        stats = expects.analytics.attendance(TENANT, by="participant")
        listed: dict[str, list[str]] = {}
        for session_id in ("a1", "a2", "a3", "a4", "a5"):
            for record in expects.attendance.for_session(TENANT, session_id):
                listed.setdefault(str(record.participant), []).append(record.effective_status)
        counted = {
            r.key: sorted(s for s, n in r.by_status().items() for _ in range(n)) for r in stats.rows
        }
        assert counted == {who: sorted(statuses) for who, statuses in listed.items()}
        # ben taught a2 and never joined (a4 was cancelled: nobody was expected there); ana
        # missed a3 and a5; the room, a3.
        assert stats.get("teacher:ben") == _row(
            "teacher:ben", records=1, absent=1, held=1, held_absent=1
        )
        assert stats.get("room:r1") == _row("room:r1", records=1, absent=1, held=1, held_absent=1)
        assert stats.get("teacher:ana").records == 3
        # The default policy expects nobody: the resources are records only when present.
        assert academy.analytics.attendance(TENANT, by="participant").get("room:r1").records == 0

    def test_a_cancelled_session_counts_only_who_was_seen_or_reported(
        self, academy: SessionKit, store: UnitOfWorkFactory
    ) -> None:
        """A cancelled session expected nobody: its confirmed bookings and teacher are no records.

        Whoever presence or a teacher's report puts in it still counts, by
        what they say, as ``kit.attendance.for_session`` lists them (the
        oracle); never held, so never in the no-show rate.
        """
        with store() as uow:
            a4 = uow.sessions.get(TENANT, "a4")
            uow.repository(PRESENCE).add_many(_moves(a4, "student:x", (JOIN, 0), (LEAVE, 10)))
            uow.repository(ATTENDANCE_OVERRIDES).add_many([_told(a4, "student:o", ABSENT)])
            uow.commit()
        expects = SessionKit(
            uow=store,
            clock=ManualClock(NOW),
            attendance=AttendancePolicy(attendee_kinds={"teacher", "room"}),
        )
        listed = expects.attendance.for_session(TENANT, "a4")
        assert [(str(a.participant), a.effective_status) for a in listed] == [
            ("student:o", ABSENT),
            ("student:x", PARTIAL),
        ]
        for kit in (academy, expects):
            stats = kit.analytics.attendance(
                TENANT, by="participant", start_from=a4.start, start_to=a4.end
            )
            assert stats.rows == (
                _row("student:o", records=1, absent=1, overridden=1),
                _row("student:x", records=1, partial=1, minutes=10),
            )

    def test_attendance_of_an_empty_scope(self, academy: SessionKit) -> None:
        """No session in scope: no row, and a group's row is empty with an undefined rate."""
        stats = academy.analytics.attendance(TENANT, scope=SessionQuery(statuses=["READY"]))
        assert stats.rows == ()
        assert stats.get().records == 0
        assert stats.get().no_show_rate is None
        assert academy.analytics.attendance("nobody").rows == ()

    def test_usage_per_period(self, academy: SessionKit) -> None:
        """Each period begun by now, and any with entries: granted, used, returned, remaining."""
        use = academy.analytics.usage(TENANT, by="period")
        assert use.rows == (
            _use("student:p", "sub-p", "2026-02", 1, 4, 2, 1),
            _use("student:p", "sub-p", "2026-03", 1, 4, 1, 0),
            _use("student:x", "sub-x", "total", 1, 10, 2, 1),
            _use("student:y", "sub-y", "2026-01", 1, 3, 1, 0),
            _use("student:y", "sub-y", "2026-02", 1, 3, 0, 0),
        )
        march = use.get("sub-p", period="2026-03")
        assert march is not None
        assert march.remaining == 3
        assert use.now == NOW

    def test_usage_per_subscription_and_subscriber(self, academy: SessionKit) -> None:
        """A subscription sums its periods; a subscriber her subscriptions; none begun is zeros."""
        use = academy.analytics.usage(TENANT)
        assert use.rows == (
            _use("student:p", "sub-p", None, 2, 8, 3, 1),
            _use("student:x", "sub-x", None, 1, 10, 2, 1),
            _use("student:x", "sub-x2", None, 0, 0, 0, 0),
            _use("student:y", "sub-y", None, 2, 6, 1, 0),
        )
        assert use.to_records()[0] == {
            "subscriber": "student:p",
            "subscription_id": "sub-p",
            "period": None,
            "periods": 2,
            "granted": 8,
            "used": 3,
            "reversed": 1,
            "remaining": 5,
        }
        people = academy.analytics.usage(TENANT, by="participant")
        assert people.rows == (
            _use("student:p", None, None, 2, 8, 3, 1),
            _use("student:x", None, None, 1, 10, 2, 1),
            _use("student:y", None, None, 2, 6, 1, 0),
        )
        assert people.total("used") == 6
        only_x = academy.analytics.usage(TENANT, subscriber=ResourceRef("student", "x"))
        assert [r.subscription_id for r in only_x.rows] == ["sub-x", "sub-x2"]
        other = academy.analytics.usage(OTHER_TENANT)
        assert [(r.subscription_id, r.used) for r in other.rows] == [("sub-g", 3)]

    def test_usage_as_of_another_instant(self, academy: SessionKit) -> None:
        """Later, more periods have begun (and sub-x2 with them); before any start, none."""
        june = academy.analytics.usage(TENANT, now=datetime(2026, 6, 15, tzinfo=UTC))
        assert [(r.subscription_id, r.periods, r.granted) for r in june.rows] == [
            ("sub-p", 5, 20),
            ("sub-x", 1, 10),
            ("sub-x2", 2, 4),
            ("sub-y", 2, 6),
        ]
        early = academy.analytics.usage(TENANT, by="period", now=datetime(2025, 12, 1, tzinfo=UTC))
        assert [(r.subscription_id, r.period) for r in early.rows] == [
            ("sub-p", "2026-02"),
            ("sub-p", "2026-03"),
            ("sub-x", "total"),
            ("sub-y", "2026-01"),
        ]

    def test_bad_arguments_are_refused(self, academy: SessionKit) -> None:
        """A bad grouping or subscriber is a SessionKitError naming it."""
        with pytest.raises(InvalidValue):
            academy.analytics.usage(TENANT, by="month")  # type: ignore[arg-type]
        with pytest.raises(InvalidValue):
            academy.analytics.usage(TENANT, by=None)  # type: ignore[arg-type]
        with pytest.raises(InvalidValue):
            academy.analytics.attendance(TENANT, by="subscription")  # type: ignore[arg-type]
        with pytest.raises(WrongType):
            academy.analytics.usage(TENANT, subscriber=42)  # type: ignore[arg-type]


# Show (and pickle) what moved to the data set's module under this public path, as before.
seed_analytics_use.__module__ = __name__
