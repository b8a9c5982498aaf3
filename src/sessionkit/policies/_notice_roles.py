"""Role names as policies read them: the checks of a role, and of a set of roles.

A policy matches roles exactly, so a role with surrounding whitespace or one
differing only in case from a role it names would escape every rule meant for
it; :func:`check_role`, :func:`check_case` (over a :func:`fold_index`) and
:func:`role_set` refuse those. Every policy that names roles uses them (the
notice policy, the refund policy in :mod:`sessionkit.policies.money`, the
reschedule commands), so they stand apart from the notice rules.

Private to :mod:`sessionkit.policies.notice`, which exports its names under
its own name (their ``__module__``), so they show and pickle as before.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from sessionkit.errors import InvalidValue, WrongType
from sessionkit.errors._base import shown

__all__ = ["check_case", "check_role", "fold_index", "role_set"]


def check_role(role: object, *, optional: bool = False) -> None:
    """Refuse a ``role`` that is no role name (``WrongType``); ``None`` too unless ``optional``.

    A role with whitespace at either end (``"student "``) is an ``InvalidValue``:
    no rule names it, so it would pass every rule of the role it was meant to be.
    """
    if optional and role is None:
        return
    if not isinstance(role, str):
        raise WrongType(
            role, name="role", expected="a role name (str)" + (" or None" if optional else "")
        )
    if role != role.strip():
        raise InvalidValue(
            f"role {shown(role)} must not start or end with whitespace: no rule names it, so "
            "it would not be held to the rules of the role it was meant to be",
            value=role,
            expected="a role name without leading or trailing whitespace",
        )


def check_case(role: str, folded: Mapping[str, tuple[str, ...]], policy: str) -> None:
    """Refuse ``role`` if it differs only in case from a role ``policy`` names (``InvalidValue``).

    Roles are matched exactly, so ``"Student"`` names no rule of ``"student"``'s
    and would pass every one of them. ``folded`` is :func:`fold_index` of the
    roles ``policy`` (its class name, for the message) names anywhere; a role
    it names exactly, or one it does not name in any case, passes.
    """
    near = folded.get(role.casefold())
    if near is not None and role not in near:
        raise InvalidValue(
            f"role {shown(role)} differs only in case from {', '.join(map(shown, near))}, "
            f"which the {policy} names: roles are matched exactly, so it would not be held "
            "to the rules of the role it was meant to be",
            value=role,
            expected=" or ".join(map(shown, near)),
        )


def fold_index(names: Iterable[str]) -> dict[str, tuple[str, ...]]:
    """Return ``names`` by their case-folded form (each group sorted), for :func:`check_case`."""
    index: dict[str, list[str]] = {}
    for name in names:
        index.setdefault(name.casefold(), []).append(name)
    return {folded: tuple(sorted(group)) for folded, group in index.items()}


def role_set(value: object, name: str) -> frozenset[str]:
    """Return the roles in ``value`` (a collection of role names), else raise naming ``name``.

    A single string is refused (``WrongType``), not read as a set of letters;
    an empty or non-string role is an ``InvalidValue``.
    """
    if isinstance(value, str | bytes) or not isinstance(value, Iterable):
        raise WrongType(value, name=name, expected="a collection of role names")
    try:
        roles = frozenset(value)
    except TypeError:
        raise WrongType(value, name=name, expected="a collection of role names (str)") from None
    if not all(isinstance(r, str) and r and r == r.strip() for r in roles):
        raise InvalidValue(
            f"{name}: roles are non-empty strings without whitespace at either end, got "
            f"{sorted(map(repr, roles))}",
            value=value,
            expected="role names such as 'student'",
        )
    return roles
