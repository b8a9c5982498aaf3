"""What the admin reads off a request: who acts, where the records are, and when "now" is.

Each is found once per request and kept on it (a changelist asks for the store's
alias from the list, each filter and the resource filter's lookups, and a kit
factory may be slow).
"""

from __future__ import annotations

import hashlib
import logging
from contextlib import suppress
from datetime import datetime

from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest
from django.utils import timezone

from sessionkit.contrib.django.conf import get_kit
from sessionkit.contrib.django.store import DjangoUnitOfWork
from sessionkit.errors import SessionKitError
from sessionkit.model.text import MAX_REF_LENGTH
from sessionkit.services.app import SessionKit

_log = logging.getLogger("sessionkit.contrib.django.admin")
"""The admin's logger, one for its modules: the name docs/django.md gives."""

_ALIAS_ATTRIBUTE = "_sessionkit_store_alias"
"""The request attribute :func:`_store_alias` keeps its answer in, for the rest of the request."""

_MAX_KEY_SHOWN = 64
"""The longest user key an actor ends in; a longer one is shown as a digest this long."""

_KIT_ATTRIBUTE = "_sessionkit_kit"
"""The request attribute :func:`_store_alias` keeps the kit it loaded in (``None``: none)."""
_NOW_ATTRIBUTE = "_sessionkit_now"
"""The request attribute :func:`_judged_at` keeps its instant in."""


def _actor(request: HttpRequest) -> str:
    """Return who the admin acts as: ``admin:<username>``, cut to the kit's actor length.

    A username too long for it (an email-based user model allows 254
    characters, and a custom one more) made every action fail ("actor is 260
    characters long"). Such a name is cut and ends in ``…#<pk>``, the user's
    primary key (or, if that is long too, a digest of it): still unique, and
    still found by the username's start.
    """
    user = getattr(request, "user", None)
    name = user.get_username() if user is not None else ""
    actor = f"admin:{name or 'anonymous'}"
    if len(actor) <= MAX_REF_LENGTH:
        return actor
    key = str(getattr(user, "pk", ""))
    if len(key) > _MAX_KEY_SHOWN:
        key = hashlib.sha256(key.encode()).hexdigest()[:_MAX_KEY_SHOWN]
    tail = f"…#{key}"
    return actor[: MAX_REF_LENGTH - len(tail)] + tail


def _store_alias(request: HttpRequest) -> str | None:
    """Return the database alias the kit's Django store writes to, or ``None``.

    Found once per request and kept on ``request``: a changelist asks for it
    from the list, each list filter and the resource filter's lookups, and a
    kit factory may be slow. ``None`` when ``SESSIONKIT_KIT`` names no kit that
    loads, or a kit on another store: Django's routers then pick the database,
    as for any model. A kit factory raising anything else (a database error)
    is logged as a warning and gives ``None`` too: the pages only read, and
    the actions, which need the kit, load it themselves (and say its error).
    """
    if hasattr(request, _ALIAS_ATTRIBUTE):
        cached: str | None = getattr(request, _ALIAS_ATTRIBUTE)
        return cached
    alias: str | None
    kit: SessionKit | None = None
    try:
        kit = get_kit()
        unit = kit.context.uow()  # not entered: nothing is opened
    except (ImproperlyConfigured, SessionKitError):  # the actions say so on the page
        alias = None
    except Exception:  # noqa: BLE001  # the host's factory: logged, the lists still read
        _log.warning(
            "sessionkit admin: SESSIONKIT_KIT failed to load; reading where Django's"
            " routers send sessionkit's models",
            exc_info=True,
        )
        alias = None
    else:
        alias = unit.using if isinstance(unit, DjangoUnitOfWork) else None
    setattr(request, _ALIAS_ATTRIBUTE, alias)
    setattr(request, _KIT_ATTRIBUTE, kit)
    return alias


def _judged_at(request: HttpRequest) -> datetime:
    """Return the instant the booking list judges run-out holds at: the kit's clock, else Django's.

    Read once per request (kept on ``request``), so the column and the
    filter judge alike; the kit is the one :func:`_store_alias` loaded.
    """
    if hasattr(request, _NOW_ATTRIBUTE):
        cached: datetime = getattr(request, _NOW_ATTRIBUTE)
        return cached
    _store_alias(request)
    kit: SessionKit | None = getattr(request, _KIT_ATTRIBUTE, None)
    now = None
    if kit is not None:
        with suppress(SessionKitError):  # a naive clock: the actions say so on the page
            now = kit.context.now()
    now = now or timezone.now()
    setattr(request, _NOW_ATTRIBUTE, now)
    return now
