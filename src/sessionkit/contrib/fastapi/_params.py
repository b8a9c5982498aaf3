"""What a request names beside its body, read and refused in the API's terms.

The ``Idempotency-Key`` header and the query parameters the route modules share
(instants, status and lifecycle names, participants, cursors): each is read
here, and a value the client got wrong is refused naming the parameter it
sent, never the services' argument it becomes.
"""

# No ``from __future__ import annotations``: FastAPI reads the routes' annotations at runtime.
from collections.abc import Collection
from datetime import datetime
from typing import Annotated, overload

from fastapi import Header, Query
from pydantic import WithJsonSchema

from sessionkit.contrib.fastapi._advice import WITH_OFFSET
from sessionkit.contrib.fastapi._problem_body import asked
from sessionkit.contrib.fastapi.schema_types import NOT_BLANK_PATTERN, read_date_time
from sessionkit.errors import (
    InvalidValue,
    NaiveDatetime,
    NotADatetime,
    UnknownLifecycle,
    UnknownStatus,
)
from sessionkit.errors._base import shown
from sessionkit.model.booking import BOOKING_STATUSES, MAX_IDEMPOTENCY_KEY_LENGTH
from sessionkit.model.query import MAX_LIMIT
from sessionkit.model.session import ResourceRef, resource_refs
from sessionkit.model.text import check_names
from sessionkit.services import SessionKit
from sessionkit.services.queries import known_session_statuses

__all__ = [
    "BookingStatusNames",
    "Cursor",
    "IdempotencyKey",
    "Instant",
    "MaybeInstant",
    "Names",
    "instant",
    "lifecycle_named",
    "participant_named",
    "resource_named",
    "session_statuses",
    "status_names",
]

IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        description=(
            "The same key sent again with the same request returns the record the first"
            " request made, as stored now (a booking cancelled since comes back cancelled; a"
            " hold run out but not yet marked EXPIRED comes back HELD, its hold_expires_at"
            " past), and makes nothing new. A series is compared as it stands now: one edited"
            " since is another request (422 IdempotencyKeyReused)."
        ),
        # Declared as the core checks it (check_key: 1 to 255 characters, not blanks alone),
        # and left to the core to refuse: its InvalidValue says what a key must be.
        json_schema_extra={
            "minLength": 1,
            "maxLength": MAX_IDEMPOTENCY_KEY_LENGTH,
            "pattern": NOT_BLANK_PATTERN,
        },
    ),
]


Names = Annotated[list[str] | None, Query()]
"""A query parameter naming any number of values (``?status=HELD&status=CONFIRMED``).

Status names are compared as stored, in capitals: ``?status=held`` is refused.
"""
BookingStatusNames = Annotated[
    list[Annotated[str, WithJsonSchema({"type": "string", "enum": sorted(BOOKING_STATUSES)})]]
    | None,
    Query(),
]
"""The booking statuses a booking list is filtered by, declared one of the booking statuses.

Read and refused as :data:`Names` (:func:`status_names`, naming ``status``): the
document tells a generated client the names, the core's check tells a client
that sent another what they are.
"""
Instant = Annotated[str, Query(description="ISO 8601 with offset")]
"""A query parameter naming an instant, read by :func:`instant`."""
MaybeInstant = Annotated[str | None, Query(description="ISO 8601 with offset")]
"""An optional query parameter naming an instant."""
Cursor = Annotated[str | None, Query(description="next_cursor of the last page")]
"""The keyset cursor continuing after the last page."""


def lifecycle_named(app: SessionKit, name: str | None) -> None:
    """Refuse a lifecycle the request names that the kit does not know: the client's (a 422).

    Checked before the command runs, which would raise the same
    ``UnknownLifecycle`` as for a stored session of a lifecycle the kit no
    longer knows, a 500 (see :func:`~sessionkit.contrib.fastapi.problems.asked`).
    ``None``: the request names none.
    """
    if name is None:
        return
    try:
        app.context.lifecycle(name)
    except UnknownLifecycle as unknown:
        raise asked(unknown) from None


def status_names(
    values: list[str] | None, known: Collection[str] = (), *, of: str = ""
) -> tuple[str, ...] | None:
    """Read the query parameter ``status``: the names a list is filtered by (``None``: all).

    Checked here as the services check their ``statuses=`` (at most 64 distinct
    names of 1 to 64 characters; with ``known``, each a status an ``of`` record
    can have), so a refusal names ``status``, the parameter the client sent,
    never the services' argument.
    """
    if values is None:
        return None
    names = check_names(values, "status")
    unknown = [name for name in names if known and name not in known]
    if unknown:
        raise InvalidValue(
            f"status {shown(unknown[0])} is no {of} status",
            value=unknown[0],
            expected=f"one of {', '.join(sorted(known))}",
        )
    return names


def resource_named(values: list[str] | None) -> tuple[ResourceRef, ...] | None:
    """Read the query parameter ``resource``: the resources a list is filtered by (``None``: all).

    Each is read as the core reads a query's ``resources`` (``kind:id``, refused in
    the API's terms); the count of distinct ones is checked here, as the core checks
    it (at most 1,000), so the refusal names ``resource``, the parameter the client
    sent: the core's "at most 1000 resources" named none.
    """
    if values is None:
        return None
    refs = resource_refs(values, most=len(values))  # every one read; counted below
    if len(refs) > MAX_LIMIT:
        raise InvalidValue(
            f"resource holds more than {MAX_LIMIT:,} resources ({len(refs):,} distinct)",
            value=len(refs),
            expected=f"at most {MAX_LIMIT} resources",
        )
    return refs


def session_statuses(app: SessionKit, values: list[str] | None) -> tuple[str, ...] | None:
    """Read the query parameter ``status`` naming session statuses, each one the kit knows.

    Checked as the services check a query's statuses, before the query runs:
    a status no lifecycle of the kit has is the client's typo (a 422), where
    the same ``UnknownStatus`` of a stored session is the host's (a 500; see
    :func:`~sessionkit.contrib.fastapi.problems.asked`).
    """
    names = status_names(values)
    try:
        known_session_statuses(app.context, names)
    except UnknownStatus as unknown:
        raise asked(unknown) from None
    return names


@overload
def instant(text: str, name: str) -> datetime: ...
@overload
def instant(text: str | None, name: str) -> datetime | None: ...
def instant(text: str | None, name: str) -> datetime | None:
    """Read the query parameter ``name``: an instant in ISO 8601 with its UTC offset.

    Refused here, naming the parameter as the client sent it: text that is
    no ISO 8601 date-time (``NotADatetime``) and one without an offset
    (``NaiveDatetime``: a wall time is no instant). The service checks the
    rest (an instant out of the range it schedules in).
    """
    if text is None:
        return None
    try:
        read = read_date_time(text)  # a date alone names no instant either
    except ValueError:
        expected = f"date-time in ISO 8601 with a UTC offset ({WITH_OFFSET})"
        if _plus_as_space(text):
            expected += "; a + in a query string reads as a space, so send the offset's + as %2B"
        raise NotADatetime(text, name=name, expected=expected) from None
    if read.tzinfo is None:
        raise NaiveDatetime(read, name=name)
    return read


@overload
def participant_named(text: str) -> str: ...
@overload
def participant_named(text: str | None) -> str | None: ...
def participant_named(text: str | None) -> str | None:
    """Return ``text``, a participant reference sent in a path or query, once it names one.

    The core reads a participant as it reads any reference (``kind:id``), so its
    refusal of text without a ``:`` shows a resource's form ('teacher:t-17'); the
    client sent a participant, and is shown a participant's. What else a reference
    must be (a kind and an id, not too long) the core refuses, in the API's terms.
    """
    if text is None or ":" in text:
        return text
    raise InvalidValue(
        f"a participant reference looks like 'student:ann', got {shown(text)}",
        value=text,
        expected="kind:id",
    )


def _plus_as_space(text: str) -> bool:
    """Whether ``text`` is an instant whose offset's ``+`` a query string turned into a space.

    ``?start=2026-03-02T10:00:00+01:00`` arrives as ``2026-03-02T10:00:00 01:00``:
    the client sent the offset asked for, unencoded.
    """
    head, space, offset = text.rpartition(" ")
    if not space or not head:
        return False
    try:
        return datetime.fromisoformat(f"{head}+{offset}").tzinfo is not None
    except ValueError:
        return False
