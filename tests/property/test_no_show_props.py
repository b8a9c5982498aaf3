"""Per-participant no-show refunds add up to what the policy says, once, whatever follows.

A paid academy circle of up to four students, each with some attendance
(joined, never seen, or the teacher's word either way), enters a held or a
no-show status and is then corrected back and forth. Each payment's refund
must equal an oracle's: an absent participant gets the no-show share less the
fee once the session ended either way; one who came gets the host-no-show
share if the session was ever a no-show; without any attendance record the
no-show is per session. Never more than one refund per payment.
"""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from sessionkit.adapters.memory import InMemoryStore
from sessionkit.model.attendance import JOIN, PresenceEvent
from sessionkit.model.money import Money
from sessionkit.model.payment import PaymentChanged
from sessionkit.policies import FixedPrice, RefundPolicy
from sessionkit.services import SessionKit
from sessionkit.services.attendance import attendance_facts
from sessionkit.testing.clocks import ManualClock, RecordingPublisher
from sessionkit.testing.payments import FakeGateway

T = "acme"
NOW = datetime(2026, 3, 2, 8, tzinfo=UTC)
START = NOW + timedelta(days=1)
PRICE = Money.of("60", "EUR")
SEEN = ("joined", "never", "told_absent", "told_present")
"""How a student's attendance is recorded: a join, nothing, or the teacher's override."""


@st.composite
def policies(draw: st.DrawFn) -> RefundPolicy:
    fee = draw(st.one_of(st.none(), st.integers(1, 70)))
    return RefundPolicy(
        no_show_percent=draw(st.integers(0, 100)),
        no_show_fee=None if fee is None else Money.of(fee, "EUR"),
        host_no_show_percent=draw(st.integers(0, 100)),
    )


def expected(policy: RefundPolicy, seen: str, *, recorded: bool, ever_no_show: bool) -> Decimal:
    """The oracle: what a student's payment gets back in all."""
    if not recorded:
        return policy.no_show_refund(PRICE).amount if ever_no_show else Decimal(0)
    came = seen in ("joined", "told_present")
    if not came:
        return policy.no_show_refund(PRICE).amount
    return policy.host_no_show_refund(PRICE).amount if ever_no_show else Decimal(0)


@settings(max_examples=40)
@given(
    policy=policies(),
    seen=st.lists(st.sampled_from(SEEN), min_size=1, max_size=4),
    statuses=st.lists(st.sampled_from(("COMPLETED", "ABSENT")), min_size=1, max_size=4),
)
def test_refunds_follow_the_oracle_once(
    policy: RefundPolicy, seen: list[str], statuses: list[str]
) -> None:
    clock = ManualClock(NOW)
    gateway = FakeGateway(clock=clock.now, instant=True)
    events = RecordingPublisher()
    counter = itertools.count(1)
    kit = SessionKit(
        uow=InMemoryStore(publisher=events).unit_of_work,
        clock=clock,
        ids=lambda: f"x{next(counter)}",
        gateway=gateway,
        pricing=FixedPrice(PRICE),
        refunds=policy,
        facts=attendance_facts(),
    )
    circle = kit.sessions.create_extra(
        T,
        actor="tara",
        start=START,
        end=START + timedelta(hours=1),
        lifecycle="academy",
        capacity=len(seen),
        resources=["teacher:tara"],
    )
    payments: dict[str, str] = {}
    for n in range(len(seen)):
        checkout = kit.payments.book(T, circle.id, f"student:s{n}", actor=f"s{n}")
        for paid in gateway.drain():
            kit.payments.apply(T, paid)
        assert checkout.payment is not None
        payments[f"s{n}"] = checkout.payment.id
    kit.advance_due(T, now=START - timedelta(minutes=15))
    for n, how in enumerate(seen):
        who = f"student:s{n}"
        if how == "joined":
            join = PresenceEvent(
                provider="meet", event_id=f"e{n}", session_id=circle.id, participant=who,
                action=JOIN, at=START,
            )  # fmt: skip
            kit.attendance.record_presence(T, [join], now=START)
        elif how != "never":
            status = "absent" if how == "told_absent" else "present"
            kit.attendance.override(T, circle.id, who, status=status, actor="tara", now=START)
    clock.set(START + timedelta(minutes=30))
    entered: list[str] = []
    for status in statuses:
        if kit.queries.get(T, circle.id).status != status:
            kit.usage.correct(T, circle.id, status, actor="admin")
            entered.append(status)
    refunds: dict[str, list[Decimal]] = {}
    for published in events.events:
        if isinstance(published, PaymentChanged) and published.refund is not None:
            refunds.setdefault(published.payment.participant.id, []).append(published.refund.amount)
    recorded = any(how != "never" for how in seen)
    for n, how in enumerate(seen):
        want = expected(policy, how, recorded=recorded, ever_no_show="ABSENT" in entered)
        got = refunds.get(f"s{n}", [])
        assert len(got) <= 1
        assert sum(got, Decimal(0)) == want
        assert kit.payments.get(T, payments[f"s{n}"]).refunded == want
