"""The tick counts what the move of a reschedule request it answered ended, in any pass.

Whichever pass answers a session's overdue request by silence (``reschedules``
first; ``expire_holds`` when run alone), the move marks the
holds and offers that ran out EXPIRED and offers the seats they freed: the
tick's ``expired`` and ``offered`` count them, as ``kit.bookings.expire_due``'s
report does. They said 0.
"""

from __future__ import annotations

import pytest

from sessionkit.policies import coaching_notice
from sessionkit.testing.clocks import RecordingPublisher

from ._store_support import STORES, kit_on
from .test_expiry_report_moves import AFTER, NOW, RULES, RUNS_OUT, T, moving

KINDS = {
    "all": None,
    "reschedules": ["reschedules"],
    "expire_holds": ["expire_holds"],
}


@pytest.mark.parametrize("store", sorted(STORES))
@pytest.mark.parametrize("when", sorted(RUNS_OUT))
@pytest.mark.parametrize("kinds", sorted(KINDS))
def test_the_tick_counts_what_the_move_ended(store: str, when: str, kinds: str) -> None:
    kit = kit_on(
        STORES[store](RecordingPublisher()), NOW, notice=coaching_notice(), booking_rules=RULES
    )
    moving(kit, "hold", RUNS_OUT[when])
    chosen = KINDS[kinds]
    report = kit.tick(T, now=AFTER) if chosen is None else kit.tick(T, now=AFTER, kinds=chosen)
    assert (report.approved, report.expired, report.offered) == (1, 1, 1)
    assert kit.tick(T, now=AFTER).done == 0
