"""A ``RoleNotGranted`` can say what in the request took the role, not only the role.

A caller not staff sending ``hold_minutes`` (or ``confirm``, a manual payment, a
session drafted through a booking) was told only "the caller may not act as
'admin, host or provider'": nothing said which part of its request needed that.
``needs_for`` names it, and the message states it first.
"""

from __future__ import annotations

import pickle

from sessionkit.errors import RoleNotGranted

STAFF = "admin, host or provider"


def test_the_message_names_what_in_the_request_takes_the_role() -> None:
    error = RoleNotGranted(STAFF, granted={"student", "participant"}, needs_for="hold_minutes")
    assert str(error) == (
        "the caller may not ask for hold_minutes: that takes acting as "
        "'admin, host or provider', and it was granted 'participant', 'student'"
    )
    assert (error.role, error.granted, error.needs_for) == (
        STAFF,
        ("participant", "student"),
        "hold_minutes",
    )
    drafted = RoleNotGranted(STAFF, granted=(), needs_for="a drafted session")
    assert str(drafted) == (
        "the caller may not ask for a drafted session: that takes acting as "
        "'admin, host or provider', and it was granted no role"
    )
    assert isinstance(drafted, PermissionError)


def test_without_it_the_error_reads_and_holds_as_before() -> None:
    error = RoleNotGranted("host", granted={"student"})
    assert str(error) == "the caller may not act as 'host'; it was granted 'student'"
    assert error.needs_for is None
    assert vars(error) == {"role": "host", "granted": ("student",), "needs_for": None}


def test_it_pickles_and_an_error_pickled_before_it_was_a_field_reads_none() -> None:
    error = RoleNotGranted(STAFF, granted={"student"}, needs_for="confirm")
    found = pickle.loads(pickle.dumps(error))
    assert isinstance(found, RoleNotGranted)
    assert (str(found), found.needs_for, found.granted) == (str(error), "confirm", ("student",))
    # An error pickled before the field was: its state holds no needs_for.
    older = RoleNotGranted("host", granted=())
    del older.needs_for
    old = pickle.loads(pickle.dumps(older))
    assert isinstance(old, RoleNotGranted)
    assert (old.role, old.needs_for, str(old)) == ("host", None, str(older))
