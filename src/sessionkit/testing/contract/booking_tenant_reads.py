"""The tenant-wide booking listing every adapter answers alike: all participants', by start.

:class:`TenantBookingsContract` is one topic of
:class:`~sessionkit.testing.contract.BookingsRepositoryContract`:
``BookingRepository.for_tenant`` (an admin's listing of a week's bookings),
and ``kit.bookings.for_tenant`` over it, whose arguments are checked before
the store is read.
"""

from __future__ import annotations

from datetime import datetime

import pytest

from sessionkit.errors import InvalidValue, NaiveDatetime, WrongType
from sessionkit.model.booking import CANCELLED, CONFIRMED, HELD, WAITLISTED, Booking
from sessionkit.ports import UnitOfWorkFactory as Factory
from sessionkit.services import SessionKit
from sessionkit.services.booking_queries import MAX_BOOKINGS_PAGE
from sessionkit.testing.clocks import ManualClock
from sessionkit.testing.contract._booking_support import (
    BookingContractBase,
    at_hours,
    booking_ids,
    make_booking,
    make_booking_session,
)
from sessionkit.testing.contract._support import OTHER_TENANT, T0, TENANT, page_through
from sessionkit.timespan import TimeSpan

__all__ = ["TenantBookingsContract"]


class TenantBookingsContract(BookingContractBase):
    """``for_tenant``: every participant's bookings by session start then id, filtered, paged."""

    def keep_week(self, store: Factory) -> None:
        """Store the tenant's bookings of the listing tests, and another tenant's beside them.

        Sessions ``s1`` to ``s4`` start 3, 6, 9 and 12 hours after ``T0``; their
        bookings are by several participants, ``s1``'s two made in reverse id
        order; ``OTHER_TENANT`` has a session ``s1`` at the same time, with a
        booking ``a0`` that sorts before every one of ours.
        """
        self.open_sessions(
            store,
            *(make_booking_session(f"s{n}", at=3 * n) for n in range(1, 5)),
            make_booking_session("s1", tenant=OTHER_TENANT, at=3),
        )
        self.keep(
            store,
            make_booking("d4", session_id="s4", at=12, participant="student:ana"),
            make_booking("b2", session_id="s2", at=6, status=HELD, hold_until=1),
            make_booking("z1", session_id="s1", at=3, participant="tutor:ana"),
            make_booking("a1", session_id="s1", at=3, participant="student:ana"),
            make_booking("c3", session_id="s3", at=9, status=CANCELLED),
            make_booking("a3", session_id="s3", at=9, status=WAITLISTED, position=1),
            make_booking("a0", tenant=OTHER_TENANT, at=3),
        )

    def test_for_tenant_reads_every_participants_bookings_by_start_then_id(
        self, store: Factory
    ) -> None:
        """Window (half-open, by session start), statuses, keyset ``after``, ``limit``, tenant."""
        self.keep_week(store)
        with store() as uow:
            repo = self.bookings(uow)
            every = ["a1", "z1", "b2", "a3", "c3", "d4"]
            assert booking_ids(repo.for_tenant(TENANT)) == every
            week = repo.for_tenant(TENANT, window=TimeSpan(at_hours(6), at_hours(12)))
            assert booking_ids(week) == ["b2", "a3", "c3"]
            first_hours = repo.for_tenant(TENANT, window=TimeSpan(at_hours(3), at_hours(6)))
            assert booking_ids(first_hours) == ["a1", "z1"]
            assert booking_ids(repo.for_tenant(TENANT, statuses=[HELD])) == ["b2"]
            active = repo.for_tenant(TENANT, statuses=[CONFIRMED, WAITLISTED])
            assert booking_ids(active) == ["a1", "z1", "a3", "d4"]
            after = repo.for_tenant(TENANT, after=(at_hours(3), "z1"), limit=2)
            assert booking_ids(after) == ["b2", "a3"]
            assert booking_ids(repo.for_tenant(TENANT, after=(at_hours(9), "a3"))) == ["c3", "d4"]
            assert booking_ids(repo.for_tenant(TENANT, limit=2)) == ["a1", "z1"]
            assert repo.for_tenant(TENANT, statuses=[]) == []
            assert repo.for_tenant(TENANT, limit=0) == []
            assert booking_ids(repo.for_tenant(OTHER_TENANT)) == ["a0"]
            assert repo.for_tenant("nobody") == []
            [first] = repo.for_tenant(TENANT, limit=1)
            assert first == repo.get(TENANT, "a1")  # the whole booking, as stored

    def test_for_tenant_ties_by_code_point_and_pages_through_them(self, store: Factory) -> None:
        """One start's bookings go by id by code point (``B`` before ``a``), pages too."""
        self.open_sessions(store, make_booking_session("s1"), make_booking_session("s2"))
        self.keep(
            store,
            make_booking("b", status=CANCELLED),
            make_booking("B", session_id="s2"),
            make_booking("a"),
            make_booking("A", session_id="s2", participant="student:Ana"),
        )
        with store() as uow:
            repo = self.bookings(uow)

            def pages_of(size: int, statuses: list[str] | None) -> list[Booking]:
                return page_through(
                    lambda after: repo.for_tenant(
                        TENANT, statuses=statuses, after=after, limit=size
                    ),
                    lambda booking: (booking.session_start, booking.id),
                    rows=4,
                    what=f"for_tenant(limit={size})",
                )

            for size in (1, 2, 3, 4):
                assert booking_ids(pages_of(size, None)) == ["A", "B", "a", "b"], size
                assert booking_ids(pages_of(size, [CONFIRMED])) == ["A", "B", "a"], size

    def test_kit_for_tenant_lists_a_window_and_refuses_bad_arguments(self, store: Factory) -> None:
        """``kit.bookings.for_tenant``: aware bounds in any zone, typed errors naming the value.

        A naive bound is ``NaiveDatetime``; a limit outside 1 to
        ``MAX_BOOKINGS_PAGE``, a bare string of statuses or an unknown status
        is ``InvalidValue``; a cursor that is no ``(start, id)`` pair is
        ``WrongType``.
        """
        self.keep_week(store)
        kit = SessionKit(uow=store, clock=ManualClock(T0))
        found = kit.bookings.for_tenant(TENANT, start=at_hours(6), end=at_hours(12), limit=2)
        assert booking_ids(found) == ["b2", "a3"]
        rest = kit.bookings.for_tenant(
            TENANT, start=at_hours(6), end=at_hours(12), after=(found[-1].session_start, "a3")
        )
        assert booking_ids(rest) == ["c3"]
        held = kit.bookings.for_tenant(TENANT, statuses=("HELD",), end=at_hours(7))
        assert booking_ids(held) == ["b2"]
        naive = datetime(2026, 3, 2, 12)  # naive on purpose: it is refused
        with pytest.raises(NaiveDatetime) as caught:
            kit.bookings.for_tenant(TENANT, start=naive)
        assert caught.value.value == naive
        with pytest.raises(NaiveDatetime):
            kit.bookings.for_tenant(TENANT, end=naive)
        for limit in (0, MAX_BOOKINGS_PAGE + 1):
            with pytest.raises(InvalidValue) as bad:
                kit.bookings.for_tenant(TENANT, limit=limit)
            assert bad.value.value == limit
        with pytest.raises(InvalidValue) as bare:
            kit.bookings.for_tenant(TENANT, statuses="HELD")
        assert bare.value.value == "HELD"
        with pytest.raises(InvalidValue) as unknown:
            kit.bookings.for_tenant(TENANT, statuses=["PARKED"])
        assert "PARKED" in str(unknown.value)
        with pytest.raises(WrongType):
            kit.bookings.for_tenant(TENANT, after="a1")  # type: ignore[arg-type]
        with pytest.raises(InvalidValue):
            kit.bookings.for_tenant("", limit=1)
