"""The contract of the payments kind: the generic rules plus keys, exact amounts and the reads.

:class:`PaymentsRepositoryContract` fills in the generic
:class:`~sessionkit.testing.contract.RepositoryContract` (and its
:class:`~sessionkit.testing.contract.ParentsContract` rules: a payment's
booking must exist, and a booking with a payment is not deleted) for
:data:`~sessionkit.ports.PAYMENTS`, and adds what
:class:`~sessionkit.ports.PaymentRepository` promises beyond it: one payment
per booking, one per provider reference, amounts that come back exactly as
stored (sub-minor-unit amounts too), and the reads ``for_booking``,
``by_intent``, ``for_bookings``, ``with_due`` and ``query``. Subclass it once
per adapter and implement ``make_store``.

Each payment's booking is a stand-in that :meth:`~PaymentsRepositoryContract.prepare`
adds (with its session) when missing: it is booked by ``student:<booking id>``,
whoever the payment names, so that many payments of one participant never
make two bookings in play in one session.

This module keeps the class and its tests. What they store is kept in
``_payments_records`` beside it (by the style's size limit): :func:`make_payment`
and :data:`EXACT_AMOUNTS`, exported from here under this name, and the
generic contract filled in for payments (the kind, ``make_record``, ``change``,
``prepare``, ``collide``), the class's base.
"""

from __future__ import annotations

from decimal import Decimal

import attrs
import pytest

from sessionkit.errors import BookingNotFound, DuplicatePayment
from sessionkit.model.money import Money
from sessionkit.model.payment import PAID, REFUNDED, Payment
from sessionkit.model.session import ResourceRef
from sessionkit.ports import UnitOfWorkFactory as Factory
from sessionkit.testing.contract._payments_records import (
    EXACT_AMOUNTS,
    PaymentsRecordsContract,
    _at,
    _ids,
    _share,
    make_payment,
)
from sessionkit.testing.contract._support import OTHER_TENANT, TENANT, page_through

__all__ = ["EXACT_AMOUNTS", "PaymentsRepositoryContract", "make_payment"]


class PaymentsRepositoryContract(PaymentsRecordsContract):
    """The contract of :data:`~sessionkit.ports.PAYMENTS`; implement ``make_store``."""

    # ------------------------------------------------------------------ keys and parents

    def test_a_second_payment_for_a_booking_is_a_duplicate(self, store: Factory) -> None:
        """One payment per booking: ``DuplicatePayment`` with key "booking" and the stored one."""
        first = make_payment("p1", booking_id="b1", intent_ref="pi_1")
        self.keep(store, first)
        with store() as uow:
            repo = self.payments(uow)
            with pytest.raises(DuplicatePayment) as caught:
                repo.add(make_payment("p2", booking_id="b1", intent_ref="pi_2"))
            error = caught.value
            assert isinstance(error, ValueError)
            assert (error.kind, error.key, error.record_id, error.tenant) == (
                "payment",
                "booking",
                "p2",
                TENANT,
            )
            assert error.existing == first
            assert repo.get_many(TENANT, ["p2"]) == []

    def test_a_taken_intent_is_a_duplicate(self, store: Factory) -> None:
        """One payment per provider reference: key "intent"; another provider's is its own."""
        first = make_payment("p1", booking_id="b1", intent_ref="pi_1")
        self.keep(store, first)
        with store() as uow:
            self.prepare(uow, [make_payment("x", booking_id="b2")])
            repo = self.payments(uow)
            with pytest.raises(DuplicatePayment) as caught:
                repo.add(make_payment("p2", booking_id="b2", intent_ref="pi_1"))
            assert (caught.value.key, caught.value.existing) == ("intent", first)
            repo.add(make_payment("p3", booking_id="b2", intent_ref="pi_1", provider="other"))
            uow.commit()
        assert self.ids(store, TENANT, ["p1", "p2", "p3"]) == ["p1", "p3"]

    def test_payments_without_an_intent_never_collide(self, store: Factory) -> None:
        """``intent_ref=None`` (no intent yet, or manual) is not held to the intent key."""
        self.keep(store, make_payment("p1"), make_payment("p2"), make_payment("p3", provider="x"))
        assert self.ids(store, TENANT, ["p1", "p2", "p3"]) == ["p1", "p2", "p3"]

    def test_a_payment_of_a_missing_booking_is_booking_not_found(self, store: Factory) -> None:
        """The parent is the booking, in the payment's tenant: ``BookingNotFound``."""
        self.keep(store, make_payment("p1", booking_id="b1"))
        with store() as uow:
            repo = self.payments(uow)
            with pytest.raises(BookingNotFound) as caught:
                repo.add(make_payment("p2", booking_id="nowhere"))
            assert (caught.value.record_id, caught.value.tenant) == ("nowhere", TENANT)
            with pytest.raises(BookingNotFound) as theirs:
                repo.add(make_payment("p3", tenant=OTHER_TENANT, booking_id="b1"))
            assert theirs.value.tenant == OTHER_TENANT
            stored = repo.get(TENANT, "p1")
            with pytest.raises(BookingNotFound):
                repo.update(attrs.evolve(stored, booking_id="nowhere"), expected_version=1)
            assert repo.get(TENANT, "p1") == stored

    # ------------------------------------------------------------------ amounts

    def test_amounts_come_back_exactly(self, store: Factory) -> None:
        """Every amount of :data:`EXACT_AMOUNTS` (and refunds beside it) reads back equal.

        Equal in value and in how it shows: ``60.00 EUR`` stays ``60.00 EUR``,
        ``0.125 EUR`` stays ``0.125 EUR``.
        """
        stored = [
            make_payment(
                f"p{n}",
                amount=amount,
                currency=currency,
                status=PAID,
                refunded=_share(amount, 4),
                refund_due=_share(amount, 8),
                refund_sending=_share(amount, 16),
            )
            for n, (amount, currency) in enumerate(EXACT_AMOUNTS)
        ]
        self.keep(store, *stored)
        with store() as uow:
            got = self.payments(uow).get_many(TENANT, _ids(stored))
        assert got == stored
        for mine, theirs in zip(stored, got, strict=True):
            assert str(theirs.amount) == str(mine.amount)
            for field in ("refunded", "refund_due", "refund_sending"):
                money = Money.of(getattr(theirs, field), theirs.currency)
                assert str(money) == str(Money.of(getattr(mine, field), mine.currency)), field
            assert theirs.kept == mine.kept

    def test_an_update_keeps_amounts_exact(self, store: Factory) -> None:
        """Refunds written by ``update`` read back exactly, and so does the amount."""
        self.keep(store, make_payment("p1", amount="0.125", status=PAID))
        with store() as uow:
            repo = self.payments(uow)
            paid = repo.get(TENANT, "p1")
            moved = attrs.evolve(
                paid,
                refunded=Decimal("0.005"),
                refund_due=Decimal("0.1"),
                refund_sending=Decimal("0.075"),
            )
            repo.update(moved, expected_version=1)
            uow.commit()
        with store() as uow:
            got = self.payments(uow).get(TENANT, "p1")
        assert (got.refunded, got.refund_due, got.refund_sending, got.kept.amount) == (
            Decimal("0.005"),
            Decimal("0.1"),
            Decimal("0.075"),
            Decimal("0.020"),
        )

    # ------------------------------------------------------------------ lookups

    def test_for_booking_and_by_intent_find_one_payment(self, store: Factory) -> None:
        """By booking, by (provider, intent); ``None`` for unknown ones or another tenant's."""
        mine = make_payment("p1", booking_id="b1", intent_ref="pi_1")
        theirs = make_payment("p1", tenant=OTHER_TENANT, booking_id="b9", intent_ref="pi_9")
        self.keep(store, mine, make_payment("p2", booking_id="b2"), theirs)
        with store() as uow:
            repo = self.payments(uow)
            assert repo.for_booking(TENANT, "b1") == mine
            assert repo.for_booking(TENANT, "b9") is None
            assert repo.for_booking(OTHER_TENANT, "b1") is None
            assert repo.for_booking(OTHER_TENANT, "b9") == theirs
            assert repo.by_intent(TENANT, "fake", "pi_1") == mine
            assert repo.by_intent(TENANT, "other", "pi_1") is None
            assert repo.by_intent(TENANT, "fake", "pi_9") is None
            assert repo.by_intent(OTHER_TENANT, "fake", "pi_9") == theirs

    def test_for_bookings_returns_those_that_have_a_payment(self, store: Factory) -> None:
        """By booking id, in the order asked, each once; bookings without one left out."""
        a = make_payment("pa", booking_id="b1")
        c = make_payment("pc", booking_id="b3")
        theirs = make_payment("pt", tenant=OTHER_TENANT, booking_id="b2")
        self.keep(store, a, c, theirs)
        with store() as uow:
            repo = self.payments(uow)
            found = repo.for_bookings(TENANT, iter(["b3", "b2", "nowhere", "b1", "b3"]))
            assert list(found.items()) == [("b3", c), ("b1", a)]
            assert repo.for_bookings(TENANT, []) == {}
            assert repo.for_bookings(OTHER_TENANT, ["b1", "b2"]) == {"b2": theirs}

    def test_an_update_is_seen_by_the_lookups(self, store: Factory) -> None:
        """An intent recorded by ``update`` is found by it; the old reference finds nothing."""
        self.keep(store, make_payment("p1", booking_id="b1"))
        with store() as uow:
            repo = self.payments(uow)
            assert repo.by_intent(TENANT, "fake", "pi_new") is None
            stored = repo.get(TENANT, "p1")
            updated = repo.update(attrs.evolve(stored, intent_ref="pi_new"), expected_version=1)
            assert repo.by_intent(TENANT, "fake", "pi_new") == updated
            again = repo.update(attrs.evolve(updated, intent_ref="pi_newer"), expected_version=2)
            uow.commit()
        with store() as uow:
            repo = self.payments(uow)
            assert repo.by_intent(TENANT, "fake", "pi_new") is None
            assert repo.by_intent(TENANT, "fake", "pi_newer") == again
            assert repo.for_booking(TENANT, "b1") == again

    # ------------------------------------------------------------------ due provider calls

    def test_with_due_reads_the_oldest_change_first_across_tenants(self, store: Factory) -> None:
        """Due calls by last change (``updated_at``, else ``created_at``), tenant, id; capped."""
        self.keep(
            store,
            make_payment("p1", due="refund", created=-50, updated=-10),
            make_payment("p2", tenant=OTHER_TENANT, due="create", created=-20),
            make_payment("p3", due="cancel", created=-30, updated=-20),
            make_payment("p4", due=None, created=-60, updated=-40),
            make_payment("p5", tenant=OTHER_TENANT, due="capture", created=-60, updated=-5),
            make_payment("p6", due="refund", created=-70, updated=-10),
        )
        with store() as uow:
            repo = self.payments(uow)
            everyone = repo.with_due(None, limit=10)
            assert [(p.tenant, p.id) for p in everyone] == [
                (TENANT, "p3"),
                (OTHER_TENANT, "p2"),
                (TENANT, "p1"),
                (TENANT, "p6"),
                (OTHER_TENANT, "p5"),
            ]
            assert _ids(repo.with_due(None, limit=2)) == ["p3", "p2"]
            assert _ids(repo.with_due(TENANT, limit=10)) == ["p3", "p1", "p6"]
            assert _ids(repo.with_due(OTHER_TENANT, limit=1)) == ["p2"]
            assert repo.with_due(None, limit=0) == []

    def test_with_due_follows_updates(self, store: Factory) -> None:
        """A call done (``due=None``) leaves the list; a new one joins it at its change."""
        self.keep(
            store,
            make_payment("p1", due="refund", created=-50, updated=-10),
            make_payment("p2", due=None, created=-60),
            make_payment("p3", due="create", created=-30),
        )
        with store() as uow:
            repo = self.payments(uow)
            p1, p2 = repo.get(TENANT, "p1"), repo.get(TENANT, "p2")
            repo.update(attrs.evolve(p1, due=None, updated_at=_at(-1)), expected_version=1)
            repo.update(attrs.evolve(p2, due="refund", updated_at=_at(-40)), expected_version=1)
            assert _ids(repo.with_due(None, limit=10)) == ["p2", "p3"]
            uow.commit()
        with store() as uow:
            assert _ids(self.payments(uow).with_due(TENANT, limit=10)) == ["p2", "p3"]

    def test_with_due_leaves_out_calls_waiting_for_their_retry_time(self, store: Factory) -> None:
        """With ``now``: no call whose ``due_at`` (a failed call's ``retry_at``) is after it."""

        def waiting(payment: Payment, calls: int, retry: float) -> Payment:
            return attrs.evolve(payment, failed_calls=calls, retry_at=_at(retry))

        self.keep(
            store,
            waiting(make_payment("p1", due="refund", created=-50, updated=-10), 2, 1),
            waiting(make_payment("p2", due="create", created=-20), 1, -5),
            make_payment("p3", due="cancel", created=-30),
            make_payment("p4", tenant=OTHER_TENANT, due="capture", created=-40),
            waiting(make_payment("p5", due=None, created=-60), 3, 5),
        )
        with store() as uow:
            repo = self.payments(uow)
            stored = repo.get(TENANT, "p1")
            assert (stored.failed_calls, stored.retry_at, stored.due_at) == (2, _at(1), _at(1))
            assert _ids(repo.with_due(None, limit=10, now=_at(0))) == ["p4", "p3", "p2"]
            assert _ids(repo.with_due(TENANT, limit=10, now=_at(1))) == ["p3", "p2", "p1"]
            assert _ids(repo.with_due(TENANT, limit=1, now=_at(1))) == ["p3"]
            assert _ids(repo.with_due(TENANT, limit=10, now=_at(-6))) == ["p3"]
            assert _ids(repo.with_due(TENANT, limit=10)) == ["p3", "p2", "p1"]
            p3 = repo.get(TENANT, "p3")
            repo.update(waiting(p3, 1, 2), expected_version=1)
            assert _ids(repo.with_due(TENANT, limit=10, now=_at(1))) == ["p2", "p1"]
            uow.commit()
        with store() as uow:
            repo = self.payments(uow)
            assert _ids(repo.with_due(None, limit=10, now=_at(2))) == ["p4", "p2", "p1", "p3"]
            cleared = attrs.evolve(repo.get(TENANT, "p1"), failed_calls=0, retry_at=None)
            repo.update(cleared, expected_version=1)
            assert _ids(repo.with_due(TENANT, limit=10, now=_at(0))) == ["p1", "p2"]

    # ------------------------------------------------------------------ lists

    def test_query_filters_orders_and_pages(self, store: Factory) -> None:
        """Statuses, participant, sessions, start window ``[from, to)``, keyset, limit; by start, id."""  # noqa: E501
        ana = "student:ana"
        self.keep(
            store,
            make_payment("d4", session_id="s4", at=12, participant=ana, status=PAID),
            make_payment("b2", session_id="s2", at=6, participant=ana),
            make_payment("c3", session_id="s3", at=9, participant=ana, status=REFUNDED),
            make_payment("a3", session_id="s3", at=9, participant="student:bo", status=PAID),
            make_payment("z1", session_id="s1", at=3, participant="tutor:ana", status=PAID),
            make_payment("a1", session_id="s1", at=3, participant=ana, status=PAID),
            make_payment("t1", tenant=OTHER_TENANT, session_id="s1", at=3, participant=ana),
        )
        who = ResourceRef("student", "ana")
        with store() as uow:
            repo = self.payments(uow)
            assert _ids(repo.query(TENANT)) == ["a1", "z1", "b2", "a3", "c3", "d4"]
            assert _ids(repo.query(TENANT, statuses=[PAID])) == ["a1", "z1", "a3", "d4"]
            assert _ids(repo.query(TENANT, participant=who)) == ["a1", "b2", "c3", "d4"]
            in_sessions = repo.query(TENANT, session_ids=iter(["s3", "s1", "s3"]))
            assert _ids(in_sessions) == ["a1", "z1", "a3", "c3"]
            window = repo.query(TENANT, start_from=_at(6), start_to=_at(12))
            assert _ids(window) == ["b2", "a3", "c3"]
            assert _ids(repo.query(TENANT, after=(_at(9), "a3"))) == ["c3", "d4"]
            assert _ids(repo.query(TENANT, after=(_at(6), "b2"), limit=1)) == ["a3"]
            assert _ids(repo.query(TENANT, limit=2)) == ["a1", "z1"]
            every = repo.query(
                TENANT, statuses=[PAID, REFUNDED], participant=who, start_from=_at(4), limit=5
            )
            assert _ids(every) == ["c3", "d4"]
            assert repo.query(TENANT, statuses=[]) == []
            assert repo.query(TENANT, session_ids=[]) == []
            assert repo.query(TENANT, limit=0) == []
            assert _ids(repo.query(OTHER_TENANT)) == ["t1"]

    def test_paging_with_the_keyset_visits_every_payment_once(self, store: Factory) -> None:
        """Pages of 2 continued with ``after=(last.session_start, last.id)`` cover the list."""
        self.keep(
            store,
            *(make_payment(f"p{n}", session_id=f"s{n % 3}", at=float(n % 3)) for n in range(7)),
        )
        with store() as uow:
            repo = self.payments(uow)
            seen = page_through(
                lambda after: repo.query(TENANT, after=after, limit=2),
                lambda payment: (payment.session_start, payment.id),
                rows=7,
                what="query",
            )
        assert _ids(seen) == ["p0", "p3", "p6", "p1", "p4", "p2", "p5"]


# Show (and pickle) what moved to the records module under this public path, as before.
make_payment.__module__ = __name__
