"""The contract for the series repository: add, get, update and active."""

from __future__ import annotations

import attrs
import pytest

from sessionkit.errors import ConcurrentModification, DuplicateSeries, SeriesNotFound
from sessionkit.model.series import SeriesStatus
from sessionkit.ports import UnitOfWorkFactory
from sessionkit.testing.contract._support import (
    OTHER_TENANT,
    TENANT,
    ContractBase,
    _at,
    make_series,
)


class SeriesContract(ContractBase):
    """Series round trips, their errors, and the active series."""

    # ------------------------------------------------------------------ series

    def test_series_add_get_update(self, store: UnitOfWorkFactory) -> None:
        """Series round-trip, timestamps aware; ``update`` returns and stores version + 1."""
        series = make_series("series-1", title="Algebra")
        with store() as uow:
            uow.series.add(series)
            uow.commit()
        with store() as uow:
            assert uow.series.get(TENANT, "series-1") == series
            changed = attrs.evolve(
                series,
                title="Algebra II",
                generated_until=_at(24 * 60),
                updated_at=_at(-50),
                updated_by="contract",
            )
            returned = uow.series.update(changed, expected_version=1)
            assert returned == attrs.evolve(changed, version=2)
            uow.commit()
        with store() as uow:
            got = uow.series.get(TENANT, "series-1")
            assert got.updated_at is not None
            assert got.updated_at.utcoffset() is not None, "updated_at came back naive"
            assert got == returned
            assert got.generated_until == _at(24 * 60)

    def test_series_errors(self, store: UnitOfWorkFactory) -> None:
        """SeriesNotFound, DuplicateSeries and ConcurrentModification for series."""
        series = make_series("series-1")
        with store() as uow:
            uow.series.add(series)
            uow.commit()
        with store() as uow:
            with pytest.raises(SeriesNotFound) as missing:
                uow.series.get(TENANT, "nope")
            assert isinstance(missing.value, LookupError)
            assert (missing.value.series_id, missing.value.tenant) == ("nope", TENANT)
            with pytest.raises(DuplicateSeries) as duplicate:
                uow.series.add(make_series("series-1", title="again"))
            assert isinstance(duplicate.value, ValueError)
            assert (duplicate.value.series_id, duplicate.value.tenant) == ("series-1", TENANT)
            assert duplicate.value.existing == series
            with pytest.raises(ConcurrentModification) as stale:
                uow.series.update(series, expected_version=2)
            assert (stale.value.record_id, stale.value.expected, stale.value.actual) == (
                "series-1",
                2,
                1,
            )
            with pytest.raises(SeriesNotFound):
                uow.series.update(make_series("ghost"), expected_version=1)

    def test_active_series(self, store: UnitOfWorkFactory) -> None:
        """``active`` lists a tenant's (or every tenant's) active series by id."""
        with store() as uow:
            for series in (
                make_series("s-b"),
                make_series("s-a"),
                make_series("s-closed", status=SeriesStatus.CLOSED),
                make_series("s-c", tenant=OTHER_TENANT),
                make_series("s-0", tenant=OTHER_TENANT, status=SeriesStatus.CLOSED),
            ):
                uow.series.add(series)
            uow.commit()
        with store() as uow:
            assert [s.id for s in uow.series.active(TENANT)] == ["s-a", "s-b"]
            assert [s.id for s in uow.series.active(OTHER_TENANT)] == ["s-c"]
            everyone = [(s.tenant, s.id) for s in uow.series.active()]
            assert everyone == [(TENANT, "s-a"), (TENANT, "s-b"), (OTHER_TENANT, "s-c")]
            closed = uow.series.get(TENANT, "s-a")
            uow.series.update(attrs.evolve(closed, status=SeriesStatus.CLOSED), expected_version=1)
            assert [s.id for s in uow.series.active(TENANT)] == ["s-b"]
