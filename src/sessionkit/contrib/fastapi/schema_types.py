"""The field types and base classes the Pydantic schemas of the HTTP API share.

Timestamps read from ISO 8601 text only (:data:`IsoInstant`, :data:`LocalDatetime`),
the caps of a request's own fields (:data:`Metadata`), and the bases every request
(``_In``), response (``_Out``) and keyset page (``_KeysetPage``) schema derives from.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date, datetime
from typing import Annotated, Any, Generic, Self, TypeVar

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    WithJsonSchema,
)
from pydantic_core import PydanticCustomError

from sessionkit.contrib.fastapi._advice import WITH_OFFSET
from sessionkit.contrib.fastapi.paging import Started, keyset_page, start_cursor
from sessionkit.errors._base import shown
from sessionkit.model.fields import MAX_FIELD_KEY_LENGTH, MAX_FILTER_KEYS, MAX_NOTES_LENGTH
from sessionkit.model.query import MAX_LIMIT
from sessionkit.model.session import MAX_RESOURCES
from sessionkit.model.text import (
    MAX_CHANGE_REASON_LENGTH,
    MAX_ID_LENGTH,
    MAX_NAME_LENGTH,
    MAX_REF_LENGTH,
)

__all__ = [
    "IsoInstant",
    "LocalDatetime",
    "FieldKeys",
    "FieldValue",
    "Id",
    "Ids",
    "MAX_METADATA_FIELDS",
    "MAX_METADATA_TEXT",
    "MAX_MINUTES",
    "MAX_REASON",
    "Metadata",
    "NOT_BLANK_PATTERN",
    "Name",
    "Ref",
    "ROLE_PATTERN",
    "Role",
    "FilterRefs",
    "Refs",
    "read_date_time",
]

MAX_MINUTES = 60 * 24 * 366
"""The longest duration or hold, in minutes, a request may name (a year)."""

FieldValue = str | int | bool


def read_date_time(text: str) -> datetime:
    """Return the date-time ISO 8601 ``text`` names; ``ValueError`` for any other text.

    ``datetime.fromisoformat`` also reads a date alone (``2026-03-09``, ``20260309``,
    ``2026-W11-1``) as its midnight: a date names no time of day, so it is refused
    here, as text that is no date-time, rather than taken as one the client never sent.
    """
    read = datetime.fromisoformat(text)
    try:
        date.fromisoformat(text)
    except ValueError:
        return read  # a time of day was given
    raise ValueError(f"{text!r} is a date without a time")


def _iso_8601(form: str) -> Callable[[object], object]:
    """Return the check reading a timestamp from ISO 8601 text only, ``form`` saying which."""

    def read(value: object) -> object:
        if isinstance(value, datetime):  # a model a Python caller builds with a value
            return value
        if isinstance(value, str):
            try:  # as a query parameter's instant is read (_common.instant)
                return read_date_time(value)
            except ValueError:
                pass  # text, but no date-time: the message below says what is
        sent = "" if isinstance(value, str) else f", not a JSON {_json_kind(value)}"
        # Formatted here: a literal { } in the form would read as a placeholder.
        raise PydanticCustomError("iso8601_datetime", f"Input should be {form}{sent}")

    return read


def _json_kind(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    return "array" if isinstance(value, list) else "object"


IsoInstant = Annotated[
    AwareDatetime,
    BeforeValidator(_iso_8601(f"an ISO 8601 date-time string with a UTC offset ({WITH_OFFSET})")),
]
"""An instant in a request body: ISO 8601 text with its offset, never a number.

Pydantic's own ``datetime`` reads a JSON number (or text of digits) as Unix
seconds; a client sending one most likely means something else (milliseconds,
a local time), so every timestamp of a request takes this type.
"""

LocalDatetime = Annotated[
    datetime,
    BeforeValidator(_iso_8601("an ISO 8601 date-time string, e.g. 2026-03-09T10:00:00")),
    WithJsonSchema({"type": "string", "examples": ["2026-03-09T10:00:00"]}),
]
"""A wall time in a zone named beside it: ISO 8601 text, no ``format: date-time``.

RFC 3339's date-time (OpenAPI's ``date-time``) carries an offset; a schedule
item's start is the local time in its ``tz``, written without one, which a
client generated from the document would otherwise fail to parse.
"""


MAX_METADATA_FIELDS = 50
"""The most ``metadata`` fields a session or booking request names."""
MAX_METADATA_TEXT = MAX_NOTES_LENGTH
"""The longest text value of a ``metadata`` field a session or booking request names (2,000)."""

MAX_REASON = MAX_CHANGE_REASON_LENGTH
"""The longest reason of a session's status change or a booking's cancellation, as the core
takes one (the journal keeps its first 2,000 characters)."""

Id = Annotated[str, StringConstraints(max_length=MAX_ID_LENGTH)]
"""A session's (or other record's) id in a list: at most 128 characters, as the core stores one."""
Name = Annotated[str, StringConstraints(max_length=MAX_NAME_LENGTH)]
"""A lifecycle, transition, zone or provider name: at most 64 characters, as the core stores one."""
_SPACE = r"\t-\r\x1c-\x20\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
"""The characters ``str.strip`` strips (``str.isspace``), spelled out for a regex class.

``\\s`` means other sets in each engine that reads the pattern: pydantic's (Rust) leaves
out U+001C..U+001F, ECMA-262's (the OpenAPI document's dialect, a client's validator)
also leaves out U+0085 and takes in U+FEFF, which ``str.strip`` keeps.
"""
NOT_BLANK_PATTERN = rf"[^{_SPACE}]"
"""Text holding a character other than whitespace (what ``str.strip`` strips): not blanks alone,
as the core takes an idempotency key (``check_key``)."""
ROLE_PATTERN = rf"^[^{_SPACE}]([\s\S]*[^{_SPACE}])?$"
"""A role's form: no whitespace at either end, so none that is only whitespace either.

The core's policies refuse such a role (``InvalidValue``: no rule names ``"student "``),
and no caller is granted a blank one, so it is a slip in the request. Whitespace is what
``str.strip`` strips, as the core and ``Caller.roles`` judge it, in every regex engine
(:data:`_SPACE`): the pattern takes every role a caller may be granted.
"""
Role = Annotated[
    str, StringConstraints(min_length=1, max_length=MAX_NAME_LENGTH, pattern=ROLE_PATTERN)
]
"""A role a request acts in: 1 to 64 characters, as the core takes one (``check_role``).

No caller is granted a blank role (``Caller.roles``), so ``""`` or ``"  "`` (or
``" student"``: :data:`ROLE_PATTERN`) is a slip in the request, refused naming its field
(a 422), never a role the caller was refused (a 403).
"""
Ref = Annotated[str, StringConstraints(max_length=MAX_REF_LENGTH)]
"""A ``"kind:id"`` participant or resource: at most 255 characters, as the core stores one."""


def _distinct(most: int) -> Callable[[list[str]], list[str]]:
    """Return the check of a list that names at most ``most`` distinct values (a repeat once).

    As the core counts the ids, resources and field keys it takes (``check_ids``,
    ``resource_refs``, ``search_fields``): 40 copies of one id name one id. The
    list is handed on as sent; the core drops the repeats.
    """

    def check(values: list[str]) -> list[str]:
        distinct = len(set(values))
        if distinct > most:
            raise PydanticCustomError(
                "too_long",
                "List should have at most {max_length} distinct items, not {length}",
                {"max_length": most, "length": distinct},
            )
        return values

    return check


# The cap is declared as maxItems (what a client is sure to be taken), checked on the
# distinct values: a list that repeats a value may be longer.
Ids = Annotated[
    list[Id], AfterValidator(_distinct(MAX_LIMIT)), Field(json_schema_extra={"maxItems": MAX_LIMIT})
]
"""Ids of records acted on together: at most 1,000 distinct ones, as the core takes them."""
Refs = Annotated[
    list[Ref],
    AfterValidator(_distinct(MAX_RESOURCES)),
    Field(json_schema_extra={"maxItems": MAX_RESOURCES}),
]
"""A session's (or filter's) resources: at most 100 distinct ones, as the core takes them."""
FilterRefs = Annotated[
    list[Ref],
    AfterValidator(_distinct(MAX_LIMIT)),
    Field(json_schema_extra={"maxItems": MAX_LIMIT}),
]
"""Resources a cleanup is filtered by: at most 1,000 distinct ones, as the core takes them."""
FieldKeys = Annotated[
    list[str],
    AfterValidator(_distinct(MAX_FILTER_KEYS)),
    Field(json_schema_extra={"maxItems": MAX_FILTER_KEYS}),
]
"""Own-field keys a query searches: at most 32 distinct ones, as the core takes them."""


def _bounded(fields: dict[str, FieldValue]) -> dict[str, FieldValue]:
    """Return ``fields`` if they are at most :data:`MAX_METADATA_FIELDS`, texts at most so long."""
    if len(fields) > MAX_METADATA_FIELDS:
        raise PydanticCustomError(
            "too_long",
            "metadata should have at most {max_length} fields, not {length}",
            {"max_length": MAX_METADATA_FIELDS, "length": len(fields)},
        )
    for key, value in fields.items():
        if isinstance(value, str) and len(value) > MAX_METADATA_TEXT:
            raise PydanticCustomError(
                "string_too_long",
                "The text of metadata field {key} should have at most {max_length} characters,"
                " not {length}",
                {"key": shown(key), "max_length": MAX_METADATA_TEXT, "length": len(value)},
            )
    return fields


Metadata = Annotated[
    # A key is a name: the core refuses "" (check_field_key), so the schema declares it too.
    dict[
        Annotated[str, StringConstraints(min_length=1, max_length=MAX_FIELD_KEY_LENGTH)], FieldValue
    ],
    AfterValidator(_bounded),
    Field(
        description=(
            f"Own fields: at most {MAX_METADATA_FIELDS}, names of 1 to"
            f" {MAX_FIELD_KEY_LENGTH} characters, texts of at most {MAX_METADATA_TEXT:,}."
        ),
        # Field(max_length=) would declare an object's "maxLength", which no validator reads.
        json_schema_extra={"maxProperties": MAX_METADATA_FIELDS},
    ),
]
"""A request's own fields: at most 50, names of 1 to 64 characters, texts of at most 2,000.

What a public booking form (a drafted session's booking) may send is bounded
here, within the core's 64 KiB for the whole, so a visitor cannot store a
novel with a booking.
"""


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class _Out(BaseModel):
    """A response schema read from a domain value: each field from its attribute of that name."""

    @classmethod
    def of(cls, value: object, **shown: Any) -> Self:
        """Return the schema of ``value``; ``shown`` gives the fields its attributes do not."""
        read = {name: getattr(value, name) for name in cls.model_fields if name not in shown}
        return cls(**read, **shown)


Item = TypeVar("Item", bound=BaseModel)
Row = TypeVar("Row", bound=Started)


class _KeysetPage(BaseModel, Generic[Item]):
    """One keyset page: its items, the limit asked for, and the cursor of the next page."""

    items: list[Item]
    limit: int
    next_cursor: str | None

    @classmethod
    def read(
        cls,
        found: Sequence[Row],
        limit: int,
        out: Callable[[Row], Item],
        cursor: Callable[[Row], str] = start_cursor,
    ) -> Self:
        """Return the page of rows read with ``limit + 1`` (one more says a next page exists)."""
        items, next_cursor = keyset_page(found, limit, cursor)
        return cls(items=[out(row) for row in items], limit=limit, next_cursor=next_cursor)
