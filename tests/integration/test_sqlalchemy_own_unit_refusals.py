"""A store's own unit refused by the exclusion constraint for a blocker its read no longer finds.

The store's own units run in ``READ COMMITTED``: the read after a refusal
sees every commit, so a refusal it cannot explain is a race (the blocker
moved or was cancelled in between), which a new attempt settles: a retryable
``TransientConflict``, as the Django store answers it. Only a unit
joined to a host's ``REPEATABLE READ`` or ``SERIALIZABLE`` transaction is
refused for a blocker its snapshot cannot show
(``tests/integration/test_sqlalchemy_isolation.py``): it alone is the
``SessionConflict`` naming no blockers.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pytest
from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError

from sessionkit.adapters.sqlalchemy import SqlAlchemyStore, _sessions
from sessionkit.errors import TransientConflict
from sessionkit.model.session import Session
from sessionkit.testing.contract import TENANT, make_session


def _none_found(*_args: object, **_kwargs: object) -> Mapping[str, Sequence[Session]]:
    return {}  # the blocker moved away between the refusal and this read


def test_a_refusal_its_own_unit_cannot_explain_is_not_blamed_on_a_snapshot(
    race_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    if race_engine.dialect.name != "postgresql":
        pytest.skip("the exclusion constraint is PostgreSQL's")
    store = SqlAlchemyStore(race_engine)
    with store.unit_of_work() as uow:
        uow.sessions.add(make_session("own"))
        uow.commit()
    monkeypatch.setattr(_sessions, "stored_blockers", _none_found)
    # Not blamed on a snapshot the unit never had (a SessionConflict naming no blockers,
    # "committed after your transaction's first read"), nor the driver's IntegrityError: a
    # race, which the kit's commands run again.
    with pytest.raises(TransientConflict) as refused, store.unit_of_work() as uow:
        uow.sessions.add(make_session("mine"))
    error = refused.value
    assert (error.reason, error.retryable, error.backend, error.code) == (
        "constraint",
        True,
        "postgresql",
        "23P01",
    )
    assert isinstance(error.__cause__, IntegrityError)
    assert "sessionkit_no_double_booking" in str(error)
    with store.unit_of_work() as uow:
        assert [s.id for s in uow.sessions.get_many(TENANT, ["own", "mine"])] == ["own"]
