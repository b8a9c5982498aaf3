"""A platform's own fields on a session or series (``metadata``): what may be stored and filtered.

Own fields are annotations the host keeps beside the schedule: a consultation's
type and meeting platform, notes, a meeting link, a grade. They are stored as a
JSON object, so a value must be JSON-representable (:func:`field_value`).

Filters (``SessionQuery(fields=...)``) compare one key with one value, or with
any of several; keys are plain identifiers (they become JSON paths in SQL) and
values are strings, integers or booleans, compared by JSON type first: the
string ``"1"`` never matches the integer ``1``, ``True`` never matches ``1``,
and an integer never matches a float (``1`` does not match a stored ``1.0``).
:func:`field_matches` is the reference every adapter agrees with.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable, Mapping
from typing import Any, TypeAlias

from sessionkit.errors import InvalidValue, WrongType
from sessionkit.errors._base import iterator_of, plain_int, shown
from sessionkit.model.text import storable

__all__ = [
    "MAX_FIELDS_SIZE",
    "MAX_FIELD_KEY_LENGTH",
    "MAX_NOTES_LENGTH",
    "FieldFilter",
    "FieldValue",
    "check_field_key",
    "check_fields",
    "field_filters",
    "field_matches",
    "field_value",
    "json_typed",
    "search_fields",
    "text_contains",
    "notes_field",
]

MAX_FIELD_KEY_LENGTH = 64
"""Longest own-field key."""
MAX_FIELD_DEPTH = 30
"""Deepest nesting of lists and objects in one own field's value.

MariaDB's JSON check refuses a document deeper than 32 levels: the fields'
object and a scalar at the bottom leave 30 for a value's lists and objects."""
MAX_FIELDS_SIZE = 65_536
"""Largest own fields of one record: bytes of their JSON, compact and UTF-8 encoded.

Own fields are annotations; the bound keeps every write far below what each
database takes in one statement (MariaDB's ``max_allowed_packet`` is 16 MB by
default, PostgreSQL's jsonb strings stop at 256 MB), so no store refuses a
record another one keeps, and a series' fields copied into each of its
sessions stay a bounded cost."""
MAX_FILTER_KEYS = 32
"""The most own-field filters one query has."""
MAX_FILTER_VALUES = 100
"""The most values one own-field filter accepts (any of them)."""

MAX_NOTES_LENGTH = 2000
"""Longest notes a status change may record (``kit.sessions.fire(..., notes=...)``)."""

FieldValue: TypeAlias = str | int | bool
"""A value a field filter compares with."""
FieldFilter: TypeAlias = tuple[str, tuple[FieldValue, ...]]
"""One normalised filter: the key and the values it accepts (any of them)."""

_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
_INT64 = (-(2**63), 2**63 - 1)
_FLOAT_LIMIT = 1e16
"""Floats from here on are printed with an exponent, which PostgreSQL's jsonb reads as integers."""
_MANY = (list, tuple, set, frozenset)


def check_field_key(key: object) -> str:
    """Return ``key`` if it is a non-empty string of at most 64 characters, else raise."""
    if not isinstance(key, str):
        raise WrongType(key, name="a field key", expected="a string")
    if not key or len(key) > MAX_FIELD_KEY_LENGTH:
        raise InvalidValue(
            f"a field key must be a non-empty string of at most {MAX_FIELD_KEY_LENGTH} "
            f"characters, got {shown(key)}",
            value=key,
            expected=f"a string of 1..{MAX_FIELD_KEY_LENGTH} characters",
        )
    return storable(key, "a field key")


def notes_field(role: str | None, notes: object) -> tuple[str, str]:
    """Return the own field (key, value) that keeps ``notes`` written by ``role``, or raise.

    The key is ``"<role>_notes"`` (``coach_notes``, ``student_notes``: each
    side keeps its own), or ``"notes"`` without a role. Notes are a string of
    at most :data:`MAX_NOTES_LENGTH` characters; ``InvalidValue`` names the bound.
    """
    if role is not None and not isinstance(role, str):
        raise WrongType(role, name="role", expected="a role name (str) or None")
    if not isinstance(notes, str):
        raise InvalidValue(
            f"notes must be a string, got {type(notes).__name__}",
            value=notes,
            expected=f"a string of at most {MAX_NOTES_LENGTH:,} characters",
        )
    if len(notes) > MAX_NOTES_LENGTH:
        raise InvalidValue(
            f"notes are at most {MAX_NOTES_LENGTH:,} characters, got {len(notes):,}",
            value=f"{notes[:40]}...",
            expected=f"a string of at most {MAX_NOTES_LENGTH:,} characters",
        )
    return check_field_key("notes" if role is None else f"{role}_notes"), notes


def check_fields(fields: object) -> dict[str, Any]:
    """Return a JSON-safe copy of own fields given at creation, or raise ``InvalidValue``.

    The same rules as changing them later: string keys of 1..64 characters and
    values :func:`field_value` accepts; ``None`` means no fields.
    """
    if fields is None:
        return {}
    if not isinstance(fields, Mapping):
        raise WrongType(fields, name="metadata", expected="a mapping of field names to values")
    return check_fields_size(
        {check_field_key(key): field_value(key, value) for key, value in fields.items()}
    )


def check_fields_size(fields: dict[str, Any]) -> dict[str, Any]:
    """Return ``fields`` (already JSON-safe) if their JSON fits :data:`MAX_FIELDS_SIZE`, else raise.

    The size is that of the compact UTF-8 JSON text (``InvalidValue`` gives it
    in ``value``).
    """
    if not fields:
        return fields
    size = len(json.dumps(fields, ensure_ascii=False, separators=(",", ":")).encode())
    if size > MAX_FIELDS_SIZE:
        raise InvalidValue(
            f"own fields {shown(fields)} take {size:,} bytes as JSON, more than the "
            f"{MAX_FIELDS_SIZE:,} one record keeps",
            value=f"{size:,} bytes",
            expected=f"at most {MAX_FIELDS_SIZE:,} bytes of JSON (UTF-8)",
        )
    return fields


def _int64(key: str, value: int) -> int:
    if not _INT64[0] <= value <= _INT64[1]:
        raise InvalidValue(
            f"field {shown(key)}: the integer {shown(value)} does not fit in 64 bits",
            value=value,
            expected="a 64-bit integer",
        )
    return value


def field_value(key: str, value: object, depth: int = 0) -> Any:
    """Return a JSON-safe copy of ``value`` for field ``key``, or raise ``InvalidValue`` naming it.

    Accepted: ``None``, ``str`` (without NUL or lone surrogates), ``bool``,
    64-bit ``int``, finite ``float`` under 1e16 in magnitude, lists and tuples (copied as lists) and
    dicts with string keys, nested at most :data:`MAX_FIELD_DEPTH` deep.
    """
    value = plain_int(value)  # a numpy integer is an int, as a numpy float is a float
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, str):
        return storable(value, f"field {shown(key)}")
    if depth >= MAX_FIELD_DEPTH and isinstance(value, (list, tuple, Mapping)):
        raise InvalidValue(
            f"field {shown(key)}: lists and objects nest more than {MAX_FIELD_DEPTH} deep",
            value=shown(value),
            expected=f"at most {MAX_FIELD_DEPTH} levels",
        )
    if isinstance(value, int):
        return _int64(key, int(value))
    if isinstance(value, float):
        if not math.isfinite(value):
            raise InvalidValue(
                f"field {shown(key)}: {shown(value)} is not a finite number (JSON has no NaN or "
                "infinity)",
                value=value,
                expected="a finite float",
            )
        if abs(value) >= _FLOAT_LIMIT:
            # Written as "1e+16", PostgreSQL's jsonb keeps it as the number 10000000000000000
            # and reads it back as an int: kept on one store, changed on another.
            raise InvalidValue(
                f"field {shown(key)}: the float {shown(value)} is 1e16 or more in magnitude, which "
                "PostgreSQL reads back as an integer; store it as an int or a string",
                value=value,
                expected="a finite float under 1e16 in magnitude",
            )
        # PostgreSQL's jsonb keeps numbers as numeric, which has no negative zero: one
        # value on every store, as -0.0 == 0.0 anyway.
        return float(value) + 0.0
    if isinstance(value, (list, tuple)):
        return [field_value(key, item, depth + 1) for item in value]
    if isinstance(value, Mapping):
        copied: dict[str, Any] = {}
        for inner, item in value.items():
            if not isinstance(inner, str):
                raise InvalidValue(
                    f"field {shown(key)}: a nested key must be a string, got {shown(inner)}",
                    value=inner,
                    expected="str keys",
                )
            copied[storable(inner, f"field {shown(key)}: a nested key")] = field_value(
                key, item, depth + 1
            )
        return copied
    raise InvalidValue(
        f"field {shown(key)}: {type(value).__name__} {shown(value)} is not JSON-representable",
        value=value,
        expected="str, int, bool, None, a finite float, or lists/dicts of them",
    )


def _filter_value(key: str, value: object) -> FieldValue:
    value = plain_int(value)
    if isinstance(value, str):
        return storable(value, f"field filter {shown(key)}")
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return _int64(key, int(value))
    raise InvalidValue(
        f"field filter {shown(key)}: compare with strings, integers or booleans, got "
        f"{shown(value)}",
        value=value,
        expected="str | int | bool, or a list, tuple or set of them",
    )


def _kind(value: FieldValue) -> int:
    """Order of JSON types in a normalised filter: booleans, integers, strings."""
    return 0 if isinstance(value, bool) else 1 if isinstance(value, int) else 2


def field_filters(
    value: Mapping[str, FieldValue | Iterable[FieldValue]] | Iterable[FieldFilter] | None,
) -> tuple[FieldFilter, ...]:
    """Normalise ``SessionQuery.fields``: one ``(key, values)`` pair per key, sorted by key.

    A list, tuple or set means any of its values (at least one); any other
    value means that value. Values are deduplicated by JSON type and value
    (``True`` and ``1`` stay apart) and kept in a canonical order.
    """
    if value is None:
        return ()
    given: object = value
    if isinstance(given, (str, bytes)) or not isinstance(given, (Mapping, Iterable)):
        raise WrongType(given, name="fields", expected="{key: value or [values]}")
    pairs = value.items() if isinstance(value, Mapping) else value
    result: dict[str, tuple[FieldValue, ...]] = {}
    for pair in pairs:
        try:
            key, wanted = pair
        except (TypeError, ValueError):
            raise WrongType(pair, name="a field filter", expected="a (key, values) pair") from None
        _filter_key(key, "a field filter key")
        many = list(wanted) if isinstance(wanted, _MANY) else [wanted]
        if not many:
            raise InvalidValue(
                f"field filter {shown(key)}: give at least one value", value=wanted, expected=">= 1"
            )
        if len(many) > MAX_FILTER_VALUES:
            raise InvalidValue(
                f"field filter {shown(key)}: give at most {MAX_FILTER_VALUES} values, got "
                f"{len(many):,}",
                value=shown(wanted),
                expected=f"1..{MAX_FILTER_VALUES} values",
            )
        unique = {(_kind(v), v): v for v in (_filter_value(key, one) for one in many)}
        result[key] = tuple(unique[k] for k in sorted(unique))
        if len(result) > MAX_FILTER_KEYS:
            raise InvalidValue(
                f"at most {MAX_FILTER_KEYS} field filters per query",
                value=len(result),
                expected=f"<= {MAX_FILTER_KEYS} keys",
            )
    return tuple(sorted(result.items()))


def _filter_key(key: object, what: str) -> str:
    """Return ``key`` if it is a plain identifier a query may name, else raise ``InvalidValue``."""
    if not isinstance(key, str) or not _IDENTIFIER.match(key):
        raise InvalidValue(
            f"{what} must be a plain identifier (letters, digits, _), got {shown(key)}",
            value=key,
            expected="[A-Za-z_][A-Za-z0-9_]*",
        )
    return check_field_key(key)


def search_fields(value: str | Iterable[str] | None) -> tuple[str, ...]:
    """Normalise ``SessionQuery.search_fields``: own-field keys, each once, sorted.

    One key or a list, tuple or set of at most :data:`MAX_FILTER_KEYS` keys,
    each a plain identifier (as field filters' keys are).
    """
    if value is None:
        return ()
    keys: list[object] = [value] if isinstance(value, str) else []
    if not keys:
        if isinstance(value, (bytes, Mapping)) or not isinstance(value, Iterable):
            raise WrongType(value, name="search_fields", expected="own-field keys (a list of str)")
        keys = list(value)
    for key in keys:
        if not isinstance(key, str):
            raise WrongType(key, name="a search field", expected="an own field's key (str)")
    unique = set(keys)
    if len(unique) > MAX_FILTER_KEYS:
        raise InvalidValue(
            f"at most {MAX_FILTER_KEYS} search fields per query, got {len(unique):,}",
            value=len(unique),
            expected=f"<= {MAX_FILTER_KEYS} keys",
        )
    return tuple(sorted(_filter_key(key, "a search field") for key in unique))


def text_contains(fields: Mapping[str, Any], key: str, needle: str) -> bool:
    """Whether the stored field ``key`` is text containing ``needle``, ignoring case (``lower``).

    What ``SessionQuery.search`` finds in its ``search_fields``: the in-memory
    rule; the databases compare ``lower()`` of both (see docs/services.md).
    Letter by letter, as theirs: ``str.lower()`` alone makes a ``Σ`` that ends
    a word a final ``ς``, so "ΟΔΟΣ" would be no part of "ΟΔΟΣΑ".
    """
    stored = fields.get(key)
    return isinstance(stored, str) and _lowered(needle) in _lowered(stored)


def _lowered(text: str) -> str:
    # Final_Sigma is the one context str.lower() reads: a capital sigma (U+03A3) is made
    # the small sigma (U+03C3) first, as a lower() letter by letter makes it.
    return text.replace("\u03a3", "\u03c3").lower()


def field_matches(fields: Mapping[str, Any], key: str, values: Iterable[FieldValue]) -> bool:
    """Whether the stored field ``key`` equals one of ``values``, JSON type included."""
    if not isinstance(fields, Mapping):
        raise WrongType(fields, name="fields", expected="a mapping of fields")
    if not isinstance(key, str):
        raise WrongType(key, name="key", expected="a field's name (text)")
    values = iterator_of(values, name="values", expected="the field values to match")
    if key not in fields:
        return False
    stored = fields[key]
    if isinstance(stored, bool):
        return any(isinstance(v, bool) and v == stored for v in values)
    if isinstance(stored, int):
        return any(type(v) is not bool and isinstance(v, int) and v == stored for v in values)
    if isinstance(stored, str):
        return any(isinstance(v, str) and v == stored for v in values)
    return False


def json_typed(value: Any) -> Any:
    """``value`` (an own field's) as JSON tells it apart: ``1``, ``1.0`` and ``True`` differ.

    Python's ``==`` takes them for one value; a field changed from one to
    another is a change ``set_fields`` stores and the journal names.
    """
    if isinstance(value, Mapping):
        return {key: json_typed(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_typed(item) for item in value]
    return (type(value).__name__, value)
