"""The ``SessionConflict`` of an exclusion violation no read of the transaction can explain.

PostgreSQL's DETAIL names the refused row (tenant, resource, range): the
session of the batch it belongs to is the one refused. Its instants are read
as ISO text (the default DateStyle); otherwise the tenant and resource decide
when they name one session alone, and the batch's first busy session is named
when nothing does. The servers' own runs are in
``tests/integration/test_sqlalchemy_isolation.py``.
"""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from sqlalchemy.exc import IntegrityError

from sessionkit.adapters.sqlalchemy import EXCLUSION_CONSTRAINT
from sessionkit.adapters.sqlalchemy._diagnose import unseen_conflict
from sessionkit.model.session import Session
from sessionkit.testing.contract import make_session

EARLY = make_session("early", at=-3, resources=("teacher:ana", "room:1"))
LATE = make_session("late", resources=("teacher:ana", "room:1"))
ISO = '["2026-03-02 09:00:00+00","2026-03-02 10:00:00+00")'
SQL_STYLE = '["03/02/2026 09:00:00 UTC","03/02/2026 10:00:00 UTC")'


def _refused(detail: str | None, constraint: str = EXCLUSION_CONSTRAINT) -> IntegrityError:
    """The error psycopg's ExclusionViolation becomes, with ``detail`` as its DETAIL."""
    diag = SimpleNamespace(constraint_name=constraint, message_detail=detail)
    return IntegrityError("INSERT", {}, SimpleNamespace(diag=diag))  # type: ignore[arg-type]  # the fake's fields are all it reads


def _detail(lane: str, span: str) -> str:
    columns = "(tenant, resource, tstzrange(start_at, end_at, '[)'::text))"
    return f"Key {columns}=({lane}, {span}) conflicts with existing key {columns}=({lane}, {span})."


@pytest.mark.parametrize(
    ("detail", "session", "needs"),
    [
        (_detail("acme, room:1", ISO), LATE, "room:1"),
        (_detail("acme, teacher:ana", ISO), LATE, "teacher:ana"),
        # Not ISO text: both sessions hold room:1, so neither is named alone.
        (_detail("acme, room:1", SQL_STYLE), EARLY, "one of room:1, teacher:ana"),
        (None, EARLY, "one of room:1, teacher:ana"),  # withheld (no SELECT right on a column)
        (_detail("acme, room:2", ISO), EARLY, "one of room:1, teacher:ana"),
    ],
)
def test_the_refused_session_is_the_one_the_detail_names(
    detail: str | None, session: Session, needs: str
) -> None:
    conflict = unseen_conflict([EARLY, LATE], _refused(detail))
    assert conflict is not None
    assert (conflict.session, conflict.conflicts) == (session, ())
    assert str(conflict).startswith(
        f"session {session.id!r} ({session.span.isoformat()}) needs {needs}, already busy "
        "with a session committed after your transaction's first read"
    )


def test_not_iso_text_names_the_session_the_resource_names_alone() -> None:
    solo = make_session("solo", at=4, resources=("room:2",))
    conflict = unseen_conflict([EARLY, solo], _refused(_detail("acme, room:2", SQL_STYLE)))
    assert conflict is not None
    assert (conflict.session, conflict.conflicts) == (solo, ())
    assert "needs room:2, already busy" in str(conflict)


def test_other_refusals_and_free_sessions_are_left_alone() -> None:
    assert unseen_conflict([LATE], _refused(_detail("acme, room:1", ISO), "uq_other")) is None
    free = make_session("free", resources=())
    idle = make_session("idle", busy=False)
    assert unseen_conflict([free, idle], _refused(_detail("acme, room:1", ISO))) is None


def test_a_batchs_other_tenant_named_by_the_detail_is_left_to_its_own_turn() -> None:
    """The store explains a batch tenant by tenant: a DETAIL naming another tenant's row is not
    this tenant's refusal, so none of ``mine`` is blamed (the next tenant's turn names its own).
    """
    theirs = make_session("theirs", tenant="globex", resources=("room:1",))
    for detail in (ISO, SQL_STYLE):
        refused = _refused(_detail("globex, room:1", detail))
        assert unseen_conflict([EARLY, LATE], refused) is None
        conflict = unseen_conflict([theirs], refused)
        assert conflict is not None
        assert (conflict.session, conflict.conflicts) == (theirs, ())
