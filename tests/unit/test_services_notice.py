"""Notice by role on booking, cancelling and refunds, enforced by the commands.

Every rule at exactly its limit and one second either side. The participant's
zone is Europe/Berlin and the clocks change (2026-03-29, 02:00 -> 03:00) inside
every 48-hour notice here, so 48 elapsed hours are 49 on the wall clock; the
commands count elapsed time, as the policy's pure functions do, and "may I?"
(``can_book``, ``kit.reschedules.options``) answers exactly what the command does.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from sessionkit.errors import BookingRefused, CancelRefused, InvalidValue
from sessionkit.model import ResourceRef, Session
from sessionkit.model.booking import CANCELLED, CONFIRMED, HELD
from sessionkit.model.money import Money
from sessionkit.policies import (
    FixedPrice,
    NoticePolicy,
    NoticeRule,
    NoticeWindow,
    RefundPolicy,
    RefundTier,
)
from sessionkit.testing.harness import Harness
from sessionkit.testing.payments import FakeGateway

T = "acme"
BERLIN = ZoneInfo("Europe/Berlin")
SECOND = timedelta(seconds=1)
HOUR = timedelta(hours=1)
NOW = datetime(2026, 3, 20, 9, tzinfo=UTC)
# 11:00 in Berlin the day after the change to summer time.
START = datetime(2026, 3, 30, 11, tzinfo=BERLIN).astimezone(UTC)
COACH = ResourceRef("coach", "cleo")
POLICY = NoticePolicy(
    rules=(
        NoticeRule("book", frozenset({"student"}), timedelta(hours=48)),
        NoticeRule("cancel", frozenset({"student"}), timedelta(hours=48)),
        NoticeRule("cancel", frozenset({"coach"}), timedelta(hours=24)),
    ),
    windows=(NoticeWindow("cancel", timedelta(hours=10), frozenset({"student"})),),
    bypass=frozenset({"host"}),
)


@pytest.fixture
def h() -> Harness:
    return Harness.in_memory(NOW, id_prefix="x", notice=POLICY)


def lesson(h: Harness, start: datetime = START) -> Session:
    return h.kit.sessions.create_extra(
        T,
        actor="cleo",
        start=start,
        end=start + HOUR,
        resources=[COACH],
        lifecycle="lms",
        capacity=3,
        title="Maths",
        tz="Europe/Berlin",
    )


def test_the_notices_here_span_a_dst_change() -> None:
    limit = START - timedelta(hours=48)
    wall = START.astimezone(BERLIN).replace(tzinfo=None) - limit.astimezone(BERLIN).replace(
        tzinfo=None
    )
    assert wall == timedelta(hours=49)


@pytest.mark.parametrize(
    ("offset", "allowed"), [(-SECOND, True), (timedelta(0), True), (SECOND, False)]
)
def test_booking_at_the_notice_limit_and_a_second_either_side(
    h: Harness, offset: timedelta, allowed: bool
) -> None:
    session = lesson(h)
    at = START - timedelta(hours=48) + offset
    answer = h.kit.bookings.can_book(T, session.id, "student:ana", acting_role="student", now=at)
    if allowed:
        assert answer is None
        booking = h.kit.bookings.book(
            T, session.id, "student:ana", actor="ana", role="student", now=at
        )
        assert booking.status == HELD
    else:
        assert answer is not None
        assert (answer.rule, answer.allows_at) == ("notice", None)
        with pytest.raises(BookingRefused) as refused:
            h.kit.bookings.book(T, session.id, "student:ana", actor="ana", role="student", now=at)
        assert (refused.value.rule, refused.value.allows_at) == ("notice", None)
        assert h.kit.bookings.for_session(T, session.id) == []


def test_a_host_booking_for_a_student_bypasses_the_notice(h: Harness) -> None:
    session = lesson(h)
    at = START - HOUR
    booking = h.kit.bookings.book(
        T,
        session.id,
        "student:ana",
        actor="cleo",
        role="student",
        acting_role="host",
        confirm=True,
        now=at,
    )
    assert (booking.status, booking.role) == (CONFIRMED, "student")
    # A role no rule names needs no notice either.
    other = h.kit.bookings.book(T, session.id, "guest:bo", actor="bo", role="guest", now=at)
    assert other.status == HELD


@pytest.mark.parametrize(
    ("role", "notice"), [("student", timedelta(hours=48)), ("coach", timedelta(hours=24))]
)
@pytest.mark.parametrize(
    ("offset", "allowed"), [(-SECOND, True), (timedelta(0), True), (SECOND, False)]
)
def test_cancelling_at_the_notice_limit_and_a_second_either_side(
    h: Harness, role: str, notice: timedelta, offset: timedelta, allowed: bool
) -> None:
    session = lesson(h)
    booking = h.kit.bookings.book(
        T, session.id, "student:ana", actor="cleo", role="student", acting_role="host",
        confirm=True,
    )  # fmt: skip
    at = START - notice + offset
    options = h.kit.reschedules.options(T, session.id, role=role, now=at)
    if allowed:
        assert options.cancel is None
        cancelled = h.kit.bookings.cancel(T, booking.id, actor="x", role=role, now=at)
        assert cancelled.status == CANCELLED
    else:
        assert options.cancel is not None
        assert options.cancel.rule == "notice"
        with pytest.raises(CancelRefused) as refused:
            h.kit.bookings.cancel(T, booking.id, actor="x", role=role, now=at)
        assert (refused.value.rule, refused.value.booking_id) == ("notice", booking.id)
        assert refused.value.allows_at is None
        assert h.kit.bookings.get(T, booking.id).status == CONFIRMED


def test_a_window_shuts_the_coach_out_but_not_the_student_or_the_host() -> None:
    policy = NoticePolicy(
        windows=(NoticeWindow("cancel", timedelta(hours=10), frozenset({"student"})),)
    )
    h = Harness.in_memory(NOW, id_prefix="x", notice=policy)
    session = lesson(h)
    bookings = [
        h.kit.bookings.book(T, session.id, f"student:{n}", actor=n, role="student", confirm=True)
        for n in ("ana", "bo", "cy")
    ]
    edge = START - timedelta(hours=10)
    # At the window's edge the coach may still cancel; a second inside, not.
    first = h.kit.bookings.cancel(T, bookings[0].id, actor="cleo", role="coach", now=edge)
    assert first.status == CANCELLED
    with pytest.raises(CancelRefused) as refused:
        h.kit.bookings.cancel(T, bookings[1].id, actor="cleo", role="coach", now=edge + SECOND)
    assert refused.value.rule == "window"
    assert h.kit.bookings.cancel(
        T, bookings[1].id, actor="bo", role="student", now=edge + SECOND
    ).status == (CANCELLED)
    assert h.kit.bookings.cancel(
        T, bookings[2].id, actor="cleo", role="host", now=START - SECOND
    ).status == (CANCELLED)


def test_letting_a_hold_go_is_never_refused(h: Harness) -> None:
    session = lesson(h)
    late = START - HOUR
    held = h.kit.bookings.book(
        T,
        session.id,
        "student:ana",
        actor="cleo",
        role="student",
        acting_role="host",
        hold_for=late - NOW + HOUR,  # still held when let go, an hour before the start
    )
    assert h.kit.bookings.cancel(T, held.id, actor="ana", role="student", now=late).status == (
        CANCELLED
    )


# -- refund tiers and the late-cancel fee ---------------------------------------------------

EUR = "EUR"
TIERS = RefundPolicy(
    tiers=(
        RefundTier(timedelta(hours=48), 100),
        RefundTier(timedelta(hours=24), 100, fee=Money.of("10", EUR)),
        RefundTier(timedelta(hours=12), 50),
    ),
)
PAID = Money.of("60", EUR)


@pytest.mark.parametrize(
    ("notice", "before", "at_limit", "after"),
    [
        (timedelta(hours=48), "60.00", "60.00", "50.00"),
        (timedelta(hours=24), "50.00", "50.00", "30.00"),
        (timedelta(hours=12), "30.00", "30.00", "0"),
    ],
)
def test_each_refund_tier_at_its_limit_and_a_second_either_side(
    notice: timedelta, before: str, at_limit: str, after: str
) -> None:
    limit = START - notice

    def refund(at: datetime) -> Decimal:
        return TIERS.refund(PAID, role="student", start=START, at=at).amount

    assert (refund(limit - SECOND), refund(limit), refund(limit + SECOND)) == (
        Decimal(before),
        Decimal(at_limit),
        Decimal(after),
    )


def test_a_fee_never_takes_more_than_the_refund_and_keeps_its_currency() -> None:
    policy = RefundPolicy(tiers=(RefundTier(timedelta(0), 10, fee=Money.of("10", EUR)),))
    assert policy.refund(PAID, role="student", start=START, at=START - HOUR) == Money.zero(EUR)
    assert policy.refund(PAID, role="provider", start=START, at=START - HOUR) == PAID
    # A fee keeps nothing from a payment in another currency, never refusing its refund.
    usd = Money.of("60", "USD")
    assert policy.refund(usd, role="student", start=START, at=START - HOUR) == usd.percent(10)
    with pytest.raises(InvalidValue):
        RefundTier(timedelta(0), 100, fee=Money.zero(EUR))


def test_options_list_the_late_share_as_the_last_tier_until_the_start() -> None:
    # The consulting policy: full refund with a day's notice, half after. Options left the
    # half out, so two hours before the start they said 50 % now and nothing still to come.
    late = RefundPolicy(tiers=(RefundTier(timedelta(hours=24), 100),), late_percent=50)
    h = Harness.in_memory(NOW, refunds=late)
    session = lesson(h)
    early = h.kit.reschedules.options(T, session.id, role="student")
    end = session.end  # a cancel gets the late share until the session is over
    assert [(t.percent, t.until) for t in early.cancel_tiers] == [
        (Decimal(100), START - timedelta(hours=24)),
        (Decimal(50), end),
    ]
    for now in (START - timedelta(hours=2), START + timedelta(minutes=30)):
        close = h.kit.reschedules.options(T, session.id, role="student", now=now)
        assert close.refund_percent == Decimal(50)
        assert [(t.percent, t.until) for t in close.cancel_tiers] == [(Decimal(50), end)]
    over = h.kit.reschedules.options(T, session.id, role="student", now=end)
    assert (over.refund_percent, over.cancel_tiers) == (Decimal(0), ())
    # A tier down to the start leaves the late share for after the start alone.
    covered = RefundPolicy(tiers=(RefundTier(timedelta(0), 80),), late_percent=50)
    h = Harness.in_memory(NOW, refunds=covered)
    other = lesson(h)
    options = h.kit.reschedules.options(T, other.id, role="student")
    assert [(t.percent, t.until) for t in options.cancel_tiers] == [
        (Decimal(80), START),
        (Decimal(50), other.end),
    ]
    started = h.kit.reschedules.options(
        T, other.id, role="student", now=START + timedelta(minutes=1)
    )
    assert (started.refund_percent, [(t.percent, t.until) for t in started.cancel_tiers]) == (
        Decimal(50),
        [(Decimal(50), other.end)],
    )


def test_options_list_the_tiers_with_their_fees_and_the_cancel_pays_what_they_say() -> None:
    gateway = FakeGateway(clock=lambda: shop.clock.now(), instant=True)
    shop = Harness.in_memory(
        NOW,
        id_prefix="x",
        refunds=TIERS,
        gateway=gateway,
        pricing=lambda _session: FixedPrice(PAID),
    )
    session = lesson(shop)
    options = shop.kit.reschedules.options(T, session.id, role="student")
    assert [(t.percent, t.until, t.fee) for t in options.cancel_tiers] == [
        (Decimal(100), START - timedelta(hours=48), None),
        (Decimal(100), START - timedelta(hours=24), Money.of("10", EUR)),
        (Decimal(50), START - timedelta(hours=12), None),
    ]
    checkout = shop.kit.payments.book(T, session.id, "student:ana", actor="ana", role="student")
    for event in gateway.drain():
        shop.kit.payments.apply(T, event)
    assert shop.kit.bookings.get(T, checkout.booking.id).status == CONFIRMED
    at = START - timedelta(hours=30)  # in the fee's tier
    payment = shop.kit.payments.cancel(T, checkout.booking.id, actor="ana", role="student", now=at)
    assert payment is not None
    for event in gateway.drain():
        shop.kit.payments.apply(T, event, now=at)
    payment = shop.kit.payments.get(T, payment.id)
    assert (payment.refunded, payment.kept) == (Decimal("50.00"), Money.of("10.00", EUR))


@pytest.mark.parametrize(
    ("fee", "shown", "refunded"),
    [
        (Money.of("10", EUR), None, "60.00"),  # a EUR fee: the USD cancel was refused
        ((Money.of("10", EUR), Money.of("12", "USD")), Money.of("12.00", "USD"), "48.00"),
    ],
)
def test_a_cancel_in_another_currency_than_a_fee_is_refunded_by_its_own_fee(
    fee: Money | tuple[Money, ...], shown: Money | None, refunded: str
) -> None:
    # The kit prices this lesson in USD; the policy's late-cancel fee was in EUR alone, and
    # the student's cancel in that tier raised CurrencyMismatch: the seat could not be let go.
    policy = RefundPolicy(
        tiers=(RefundTier(timedelta(hours=48), 100), RefundTier(timedelta(hours=24), 100, fee=fee))
    )
    gateway = FakeGateway(clock=lambda: shop.clock.now(), instant=True)
    shop = Harness.in_memory(
        NOW,
        id_prefix="x",
        refunds=policy,
        gateway=gateway,
        pricing=lambda _session: FixedPrice(Money.of("60", "USD")),
    )
    session = lesson(shop)
    options = shop.kit.reschedules.options(T, session.id, role="student")
    assert [t.fee for t in options.cancel_tiers] == [None, shown]  # the fee the cancel keeps
    checkout = shop.kit.payments.book(T, session.id, "student:ana", actor="ana", role="student")
    for event in gateway.drain():
        shop.kit.payments.apply(T, event)
    at = START - timedelta(hours=30)  # in the fee's tier
    payment = shop.kit.payments.cancel(T, checkout.booking.id, actor="ana", role="student", now=at)
    assert payment is not None
    for event in gateway.drain():
        shop.kit.payments.apply(T, event, now=at)
    payment = shop.kit.payments.get(T, payment.id)
    assert shop.kit.bookings.get(T, checkout.booking.id).status == CANCELLED
    assert (payment.refunded, payment.kept) == (
        Decimal(refunded),
        Money.of(60, "USD") - Money.of(refunded, "USD"),
    )


def test_options_list_no_tier_past_the_roles_cancel_deadline() -> None:
    # Students cancel with 48 h notice; the refunds go on to 24 h and a late share. Options
    # listed the 50 % until 24 h and the late share until the end, which cancel refuses.
    notice = NoticePolicy(
        rules=(NoticeRule("cancel", {"student"}, 48 * HOUR),),
        windows=(NoticeWindow("cancel", 6 * HOUR, frozenset({"coach"})),),
    )
    refunds = RefundPolicy(
        tiers=(RefundTier(72 * HOUR, 100), RefundTier(24 * HOUR, 50)),
        late_percent=25,
        full_refund_roles=frozenset({"provider"}),
    )
    h = Harness.in_memory(NOW, notice=notice, refunds=refunds)
    session = lesson(h)
    seat = h.kit.bookings.book(T, session.id, "student:ana", actor="ana", confirm=True)

    def tiers(role: str, at: datetime) -> list[tuple[Decimal, datetime]]:
        shown = h.kit.reschedules.options(T, session.id, role=role, now=at)
        return [(t.percent, t.until) for t in shown.cancel_tiers]

    deadline = START - 48 * HOUR
    assert tiers("student", NOW) == [(Decimal(100), START - 72 * HOUR), (Decimal(50), deadline)]
    assert tiers("student", deadline) == [(Decimal(50), deadline)]
    # The provider's full refund ends where the window shuts it out, six hours before.
    assert tiers("provider", NOW) == [(Decimal(100), START - 6 * HOUR)]
    # A coach, whom the window lets in, keeps every tier; nobody has any once refused.
    assert tiers("coach", NOW)[-1] == (Decimal(25), session.end)
    late = START - 30 * HOUR
    assert tiers("student", late) == []
    assert h.kit.reschedules.options(T, session.id, role="student", now=late).cancel is not None
    with pytest.raises(CancelRefused):  # as the command says
        h.kit.bookings.cancel(T, seat.id, actor="ana", role="student", now=late)
    h.kit.bookings.cancel(T, seat.id, actor="ana", role="student", now=deadline)


@pytest.mark.parametrize("role", ["student ", " student", "student\n", " "])
def test_a_role_with_whitespace_at_an_end_is_refused_not_let_past_the_rules(
    h: Harness, role: str
) -> None:
    # "student " named no rule, so a student's booking and cancel within the 48 hours went
    # through: a padded role passed every rule of the role it was meant to be.
    s = lesson(h, NOW + 3 * HOUR)
    with pytest.raises(InvalidValue) as refused:
        h.kit.bookings.book(T, s.id, "student:ana", actor="ana", role=role, confirm=True)
    assert refused.value.value == role
    assert refused.value.expected == "a role name without leading or trailing whitespace"
    assert h.kit.bookings.for_session(T, s.id) == []
    with pytest.raises(InvalidValue):
        POLICY.may("cancel", role, s, NOW)
    with pytest.raises(InvalidValue):
        NoticeRule("book", frozenset({role}), HOUR)


@pytest.mark.parametrize("role", ["Student", "STUDENT", "HOST"])
def test_a_role_differing_only_in_case_from_a_named_one_is_refused(h: Harness, role: str) -> None:
    # Roles are matched exactly: "Student" named no rule, so a booking inside the
    # students' notice went through, and "HOST" was shut out by nothing it should be.
    s = lesson(h, NOW + 3 * HOUR)
    with pytest.raises(InvalidValue) as refused:
        h.kit.bookings.book(T, s.id, "student:ana", actor="ana", role=role, confirm=True)
    assert refused.value.value == role
    assert refused.value.expected == repr(role.lower())
    assert h.kit.bookings.for_session(T, s.id) == []
    with pytest.raises(InvalidValue):
        POLICY.may("cancel", role, s, NOW)
    with pytest.raises(InvalidValue):
        POLICY.deadline_for("book", role, s)


def test_a_role_the_policy_names_in_no_case_passes_and_exact_names_win() -> None:
    assert POLICY.notice("book", "guest") == timedelta(0)  # named nowhere: no rule applies
    both = NoticePolicy(
        rules=(
            NoticeRule("book", frozenset({"student"}), HOUR),
            NoticeRule("book", frozenset({"Student"}), 2 * HOUR),
        )
    )
    assert both.notice("book", "Student") == 2 * HOUR
    assert both.roles == frozenset({"host", "student", "Student"})


def test_a_refund_role_differing_only_in_case_from_a_full_refund_role_is_refused() -> None:
    with pytest.raises(InvalidValue) as refused:
        TIERS.refund(Money.of("30", EUR), role="Host", start=START, at=NOW)
    assert refused.value.value == "Host"
    assert refused.value.expected == "'host'"
    assert TIERS.refund(Money.of("30", EUR), role="host", start=START, at=NOW) == Money.of(
        "30", EUR
    )


def _no_price(session: Session) -> FixedPrice:
    raise LookupError(f"no price for {session.title}")


def test_options_list_the_choices_when_the_pricing_raises_and_say_which_fee_is_unknown() -> None:
    # A host's pricing raising for a session it does not price made the whole options call
    # fail: the student could not see whether she may cancel or reschedule, nor for how much.
    # Only the fee shown needs the price; the tier that keeps one says why it is unknown.
    h = Harness.in_memory(NOW, id_prefix="x", refunds=TIERS, pricing=_no_price)
    session = lesson(h)
    options = h.kit.reschedules.options(T, session.id, role="student")
    assert (options.cancel, options.reschedule, options.refund_percent) == (
        None,
        None,
        Decimal(100),
    )
    why = f"the kit's pricing raised LookupError for session '{session.id}': 'no price for Maths'"
    assert [(t.percent, t.until, t.fee, t.fee_unknown) for t in options.cancel_tiers] == [
        (Decimal(100), START - timedelta(hours=48), None, None),
        (Decimal(100), START - timedelta(hours=24), None, why),
        (Decimal(50), START - timedelta(hours=12), None, None),
    ]
    # Tiers keeping no fee never ask the pricing; a full-refund role's tier keeps none.
    plain = Harness.in_memory(
        NOW, id_prefix="x", refunds=RefundPolicy(tiers=TIERS.tiers[:1]), pricing=_no_price
    )
    other = lesson(plain)
    tiers = plain.kit.reschedules.options(T, other.id, role="student").cancel_tiers
    assert [(t.percent, t.fee, t.fee_unknown) for t in tiers] == [(Decimal(100), None, None)]
    host = h.kit.reschedules.options(T, session.id, role="host").cancel_tiers
    assert [(t.percent, t.fee, t.fee_unknown) for t in host] == [(Decimal(100), None, None)]
