"""What the route modules share: the caller, the idempotency key, problem statuses, instants."""

# No ``from __future__ import annotations``: FastAPI reads the routes' annotations at runtime.
import hashlib
from datetime import datetime
from typing import Annotated

import attrs
from fastapi import Header

from sessionkit.errors import InvalidValue
from sessionkit.model.booking import MAX_IDEMPOTENCY_KEY_LENGTH
from sessionkit.model.text import check_text

__all__ = ["READ", "WRITE", "Caller", "IdempotencyKey", "actor_of", "instant", "key_id"]


@attrs.frozen
class Caller:
    """Who is calling: the ``tenant`` whose records the request sees, and the ``actor`` recorded.

    The host derives it from its own authentication (a dependency returning a
    ``Caller``); sessionkit never reads a header or a token itself.
    """

    tenant: str
    actor: str | None = None


def actor_of(who: Caller) -> str:
    """Return the caller's actor, for commands that record who asked; ``InvalidValue`` without."""
    if who.actor is None:
        raise InvalidValue(
            "this command records who acts: the caller dependency gave no actor",
            value=None,
            expected="Caller(tenant, actor=...)",
        )
    return who.actor


def key_id(tenant: str, key: str) -> str:
    """Return the record id an ``Idempotency-Key`` stands for: the same key, the same record."""
    checked = check_text(
        key, "Idempotency-Key", limit=MAX_IDEMPOTENCY_KEY_LENGTH, optional=False, empty=False
    )
    digest = hashlib.sha256(f"{tenant}\x00{checked}".encode("utf-8", "surrogatepass"))
    return "k" + digest.hexdigest()[:32]


READ = (404, 422, 503)
WRITE = (400, 404, 409, 422, 503)
IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        description="Replaying a command with the same key returns its first result.",
    ),
]


def instant(text: str | None) -> object:
    """Read an ISO 8601 query parameter; leave what is not one for the service to refuse."""
    if text is None:
        return None
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        return text  # the service's check names the parameter and what it expects
