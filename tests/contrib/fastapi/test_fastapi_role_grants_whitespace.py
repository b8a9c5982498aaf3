"""A host cannot grant a role that is blank or has whitespace at either end.

``Caller.roles`` (and a router's ``staff_roles``) refused ``""`` but took
``"  "`` and ``" student"``, a role no request may name (the schemas refuse it,
``test_fastapi_role_whitespace``) and no policy rule names: a host splitting
``"admin, student"`` on commas granted ``" student"`` and its student was then
refused every booking as ``student``, silently. Both now refuse such a name, as
the core's policies refuse one in their role sets.
"""

from __future__ import annotations

import pytest

pytest.importorskip("fastapi")

from sessionkit.contrib.fastapi import Caller, sessionkit_router
from sessionkit.errors import InvalidValue
from sessionkit.services import SessionKit

BLANKS = pytest.mark.parametrize(
    "role",
    ["  ", " student", "student ", "\tstudent"],
    ids=["spaces", "leading", "trailing", "tab"],
)


@BLANKS
def test_a_caller_is_granted_no_whitespace_edged_role(role: str) -> None:
    with pytest.raises(InvalidValue, match="without whitespace at either end") as refused:
        Caller("acme", roles={"admin", role})
    assert refused.value.value == {"admin", role}


@BLANKS
def test_a_router_takes_no_whitespace_edged_staff_role(kit: SessionKit, role: str) -> None:
    with pytest.raises(InvalidValue, match="staff_roles are non-empty strings without"):
        sessionkit_router(kit=lambda: kit, caller=lambda: Caller("acme"), staff_roles={role})


def test_a_role_with_inner_spaces_is_granted() -> None:
    assert Caller("acme", roles={"night student"}).roles == {"night student"}
