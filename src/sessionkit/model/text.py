r"""Which strings sessionkit accepts: ids and tenants, names, and the text it stores.

One rule per kind of string, the same on every adapter, checked where a value
enters (the model's constructors and the services' arguments):

- **Ids and tenants** (a session's, series', booking's id, the tenant, a
  schedule item's id, a resource reference's kind and id) are compared as
  keys, so they must be exactly what they look like: a ``str`` of 1 to 128
  characters, without leading or trailing whitespace (MariaDB would compare
  ``"acme "`` equal to ``"acme"``), control characters (``"\x00"`` to
  ``"\x1f"``, ``"\x7f"`` to ``"\x9f"``) or lone surrogates (which no
  database driver can encode).
- **Stored text** (titles, names, actors, reasons, own-field values) may hold
  any characters but NUL (PostgreSQL refuses it) and lone surrogates, up to
  its field's length.

A value of another type is a :class:`~sessionkit.errors.WrongType` (also a
``TypeError``); a string that breaks a rule an :class:`~sessionkit.errors.InvalidValue`
naming the value and what was expected.

>>> check_id("s-1", "session_id")
's-1'
>>> check_tenant("acme ")
Traceback (most recent call last):
...
sessionkit.errors.InvalidValue: tenant 'acme ' must not start or end with whitespace ...
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Final, TypeVar

from sessionkit.errors import InvalidValue, WrongType
from sessionkit.errors._base import shown

__all__ = [
    "MAX_CHANGE_REASON_LENGTH",
    "MAX_ID_LENGTH",
    "MAX_NAME_LENGTH",
    "MAX_REF_LENGTH",
    "MAX_TITLE_LENGTH",
    "check_actor",
    "check_collection",
    "check_flag",
    "check_id",
    "check_ids",
    "plain_id",
    "check_names",
    "check_optional_id",
    "check_tenant",
    "check_text",
    "check_transition_name",
    "storable",
]

MAX_TITLE_LENGTH: Final = 255
"""Longest title of a session, series or schedule item."""
MAX_ID_LENGTH: Final = 128
"""Longest id (session, series, schedule item, tenant) any adapter must store."""
MAX_NAME_LENGTH: Final = 64
"""Longest status, lifecycle or zone name."""
MAX_REF_LENGTH: Final = 255
"""Longest ``"kind:id"`` resource reference or actor name."""
MAX_CHANGE_REASON_LENGTH: Final = 4096
"""Longest reason of a session's status change or a booking's cancellation (events carry it)."""

C = TypeVar("C")

_UNSTORABLE: Final = re.compile("[\x00\ud800-\udfff]")
_NOT_IN_IDS: Final = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff]")
_ID_RULE: Final = (
    f"a string of 1..{MAX_ID_LENGTH} characters without surrounding whitespace or control "
    "characters"
)


def _bad_character(value: str, pattern: re.Pattern[str]) -> str | None:
    found = pattern.search(value)
    if found is None:
        return None
    char = found.group()
    if "\ud800" <= char <= "\udfff":
        return f"a lone surrogate ({char!r})"
    return "NUL" if char == "\x00" else f"the control character {char!r}"


def plain_id(value: object, limit: int = MAX_ID_LENGTH) -> bool:
    """Whether ``value`` is surely a valid id: the common case, decided in C.

    Printable text has no control characters, no lone surrogates and no
    whitespace but the space, which then only the ends must not be. ``False``
    means "ask :func:`check_id`", not "invalid".
    """
    return (
        type(value) is str
        and 0 < len(value) <= limit
        and value.isprintable()
        and value[0] != " "
        and value[-1] != " "
    )


def check_id(value: object, name: str = "id", *, limit: int = MAX_ID_LENGTH) -> str:
    """Return ``value`` if it may be an id or a tenant (see the module's rules), else raise."""
    if plain_id(value, limit):
        return value  # type: ignore[return-value]  # plain_id checked that it is a str
    if not isinstance(value, str):
        raise WrongType(value, name=name, expected=_ID_RULE.replace("1..128", f"1..{limit}"))
    if not value:
        raise InvalidValue(
            f"{name} must be a non-empty string, got ''", value=value, expected=_ID_RULE
        )
    if len(value) > limit:
        raise InvalidValue(
            f"{name} is {len(value):,} characters long; at most {limit:,} are allowed: "
            f"{shown(value)}",
            value=value,
            expected=f"1..{limit:,} characters",
        )
    if value[0].isspace() or value[-1].isspace():
        raise InvalidValue(
            f"{name} {shown(value)} must not start or end with whitespace (an id is compared "
            "exactly, and some databases ignore trailing spaces)",
            value=value,
            expected="no leading or trailing whitespace",
        )
    bad = _bad_character(value, _NOT_IN_IDS)
    if bad is not None:
        raise InvalidValue(
            f"{name} {shown(value)} must not contain {bad}",
            value=value,
            expected="no control characters or lone surrogates",
        )
    return value


def check_tenant(value: object) -> str:
    """Return ``value`` if it may be a tenant (the rules of ids), else raise."""
    return check_id(value, "tenant")


def check_optional_id(value: object, name: str) -> str | None:
    """Return ``None`` or a valid id (see :func:`check_id`)."""
    return None if value is None else check_id(value, name)


def check_ids(values: object, name: str, *, most: int) -> list[str]:
    """Return the ids in ``values`` (an iterable, not a string), at most ``most``, deduplicated."""
    if isinstance(values, (str, bytes)) or not _iterable(values):
        raise WrongType(values, name=name, expected="a list of ids")
    found: dict[str, None] = {}
    for value in values:  # type: ignore[attr-defined]  # checked iterable just above
        found[check_id(value, f"{name} item")] = None
        if len(found) > most:
            raise InvalidValue(
                f"{name} holds more than {most:,} ids; ask in batches",
                value=most + 1,
                expected=f"at most {most} ids",
            )
    return list(found)


def check_collection(values: C, name: str, *, of: str) -> C:
    """Return ``values`` if it is a collection of ``of`` (a list, tuple, set, ...), else raise.

    A bare string is an iterable of its characters, so ``statuses="HELD"``
    would be read letter by letter, or taken as one item where the caller
    meant a list: an :class:`~sessionkit.errors.InvalidValue` naming it and
    saying to write ``["HELD"]``. Bytes, a mapping (whose keys a loop would
    read) and a value that is not iterable are a
    :class:`~sessionkit.errors.WrongType`. The items are the caller's to
    check; ``values`` is handed back unread, so a one-shot iterator keeps its
    items.
    """
    expected = f"a collection (list, tuple, set) of {of}"
    if isinstance(values, str):
        raise InvalidValue(
            f"{name} must be {expected}, not the bare string {shown(values)}; "
            f"write [{shown(values)}] for one",
            value=values,
            expected=expected,
            name=name,
        )
    if isinstance(values, (bytes, Mapping)) or not _iterable(values):
        raise WrongType(values, name=name, expected=expected)
    return values


def _iterable(value: object) -> bool:
    try:
        iter(value)  # type: ignore[call-overload]  # the check itself
    except TypeError:
        return False
    return True


def storable(value: str, name: str) -> str:
    """Return the string ``value`` if a database can store it (no NUL, no lone surrogate)."""
    try:
        if value.isascii() and "\x00" not in value:  # the common case, decided in C
            return value
    except (AttributeError, TypeError):
        raise WrongType(value, name=name, expected="text") from None
    if not isinstance(value, str):
        raise WrongType(value, name=name, expected="text")
    bad = _bad_character(value, _UNSTORABLE)
    if bad is not None:
        raise InvalidValue(
            f"{name} {shown(value)} contains {bad}, which cannot be stored",
            value=value,
            expected="text without NUL or lone surrogates",
            name=name,
        )
    return value


def check_text(
    value: object, name: str, *, limit: int, optional: bool = False, empty: bool = True
) -> str | None:
    """Return ``value`` if it is storable text of at most ``limit`` characters, else raise.

    ``optional`` also accepts ``None``; ``empty=False`` refuses ``""``.
    """
    if value is None and optional:
        return None
    if not isinstance(value, str):
        raise WrongType(
            value, name=name, expected=f"a string{' or None' if optional else ''} (text)"
        )
    if not empty and not value:
        raise InvalidValue(
            f"{name} must be a non-empty string, got ''",
            value=value,
            expected="1 character or more",
            name=name,
        )
    if len(value) > limit:
        raise InvalidValue(
            f"{name} is {len(value):,} characters long; at most {limit:,} are allowed",
            value=value,
            expected=f"<= {limit:,} characters",
            name=name,
        )
    return storable(value, name)


def check_actor(value: object) -> str | None:
    """Return the acting user (``None`` or text of at most 255 characters), else raise."""
    return check_text(value, "actor", limit=MAX_REF_LENGTH, optional=True)


def check_names(values: object, name: str, *, most: int = 64) -> tuple[str, ...]:
    """Return status (or other) names: one name, or an iterable of at most ``most`` names.

    Each is storable text of 1..64 characters; the result is sorted and duplicate-free.
    """
    if isinstance(values, str):
        values = (values,)
    elif isinstance(values, (bytes, Mapping)) or not _iterable(values):
        raise WrongType(values, name=name, expected="a name or a list of names")
    found: set[str] = set()
    for value in values:  # type: ignore[attr-defined]  # checked iterable just above
        checked = check_text(value, f"{name} item", limit=MAX_NAME_LENGTH, empty=False)
        assert checked is not None
        found.add(checked)
        if len(found) > most:
            raise InvalidValue(
                f"{name} holds more than {most} names", value=len(found), expected=f"<= {most}"
            )
    return tuple(sorted(found))


def check_flag(value: object, name: str, *, optional: bool = False) -> bool | None:
    """Return ``value`` if it is a ``bool`` (or ``None`` when ``optional``), else ``WrongType``."""
    if value is None and optional:
        return None
    if not isinstance(value, bool):
        raise WrongType(
            value, name=name, expected="True or False" + (" or None" if optional else "")
        )
    return value


def check_transition_name(value: object, name: str, *, owner: str) -> str | None:
    """Return ``value`` if it can name a lifecycle transition (or is ``None``), else raise.

    Every lifecycle's transition names are identifiers (its definition refuses
    others), so a name that is not one could never be fired: ``InvalidValue``;
    a value that is no string: ``WrongType``. Whether a session's lifecycle has
    it is known only per session. ``name`` is the field, ``owner`` its class.
    """
    if value is None:
        return None
    if not isinstance(value, str):
        raise WrongType(value, name=name, expected="a transition name (str) or None")
    if not value.isidentifier() or len(value) > MAX_NAME_LENGTH:
        raise InvalidValue(
            f"{owner}.{name} must name a transition (an identifier of 1..{MAX_NAME_LENGTH} "
            f"letters, digits and underscores) or be None, got {shown(value)}",
            value=value,
            expected="a transition name or None",
        )
    return value
