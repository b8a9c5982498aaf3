"""``updated_at`` of a session, a series and a booking is an aware instant, like the others.

Every other instant field refused a naive datetime; ``updated_at`` took one,
so an adapter reading it back naive (a DateTime column without a zone) went
unnoticed until a comparison with an aware instant raised ``TypeError``.
"""

from __future__ import annotations

from datetime import UTC, datetime

import attrs
import pytest

from sessionkit.errors import NaiveDatetime
from sessionkit.model import Session
from sessionkit.model.booking import Booking
from sessionkit.model.series import Series
from sessionkit.testing.contract import make_series, make_session
from sessionkit.testing.contract._booking_support import make_booking

RECORDS: list[Session | Series | Booking] = [
    make_session("s1"),
    make_series("series-1"),
    make_booking("b1"),
]


@pytest.mark.parametrize("record", RECORDS, ids=lambda r: type(r).__name__)
def test_a_naive_updated_at_is_refused_naming_it(record: Session | Series | Booking) -> None:
    with pytest.raises(NaiveDatetime) as refused:
        attrs.evolve(record, updated_at=datetime(2026, 3, 2, 9))
    assert "updated_at" in str(refused.value)


@pytest.mark.parametrize("record", RECORDS, ids=lambda r: type(r).__name__)
def test_an_aware_updated_at_is_kept(record: Session | Series | Booking) -> None:
    at = datetime(2026, 3, 2, 9, tzinfo=UTC)
    assert attrs.evolve(record, updated_at=at).updated_at == at
