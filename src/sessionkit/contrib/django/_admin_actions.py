"""The admin's actions: each selected row through the kit, reported per row and logged.

A refused row is reported with its error and the others still go through; each
record an action changed gets a line on its History page (a ``LogEntry``).
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from typing import Any, cast

from django.contrib import messages
from django.core.exceptions import ImproperlyConfigured
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest

from sessionkit.contrib.django._admin_lists import ModelAdmin
from sessionkit.contrib.django._admin_requests import _actor, _log
from sessionkit.contrib.django.conf import get_kit
from sessionkit.contrib.django.models import BookingRecord
from sessionkit.contrib.django.store import DjangoUnitOfWork
from sessionkit.errors import ConcurrentModification, SessionKitError
from sessionkit.model.booking import CONFIRMED
from sessionkit.services import raised_after_commit
from sessionkit.services.app import SessionKit

ADMIN_ROLE = "host"
"""The role the admin acts in (cancels bookings, answers reschedule requests): the notice
policy's default ``bypass``, and one of the refund policy's default full-refund roles."""

_BACKOFF = 0.01
"""Seconds: a confirm that lost a race waits up to this long to run again, then twice as long."""


class _ChangedThenRaised(Exception):
    """A row's change committed, then ``error`` was raised (by an event handler)."""

    def __init__(self, error: Exception) -> None:
        super().__init__(error)
        self.error = error


def _changed(verb: str, record: Any) -> str:
    """The History page's line for a record an action changed: what was done, and to what."""
    return f"{verb} via sessionkit (status now {record.status})"


def _each(
    admin_: ModelAdmin,
    request: HttpRequest,
    rows: QuerySet[Any],
    verb: str,
    call: Callable[[SessionKit, Any, str], str | None],
) -> None:
    """Run ``call(kit, row, actor)`` per selected row; report what went through and what not.

    The rows are read once, before the first change: ``rows`` is the
    changelist's filtered queryset, and read again after the changes it
    would miss the rows they moved out of the filter ("confirmed 1 of 0").
    ``call`` returns the line for the row's History page (a Django
    ``LogEntry``, written with ``log_change``), or ``None`` when the kit left
    the row as it was (a booking confirmed already): nothing is logged then,
    and the row is counted apart ("confirmed 1 of 3 (2 confirmed already)").
    """
    try:
        kit = get_kit()
    except (ImproperlyConfigured, SessionKitError) as error:  # said on the page, not a 500
        admin_.message_user(request, f"{verb} 0: {error}", messages.ERROR)
        return
    except Exception as error:  # noqa: BLE001  # the host's factory: said and logged, not a 500
        _log.warning(
            "sessionkit admin: SESSIONKIT_KIT failed to load; the action changed nothing",
            exc_info=True,
        )
        said = f"{type(error).__name__}: {error}"
        admin_.message_user(
            request, f"{verb} 0: SESSIONKIT_KIT failed to load ({said})", messages.ERROR
        )
        return
    actor = _actor(request)
    selected = list(rows.order_by("pk"))
    done = already = 0
    for row in selected:
        try:
            logged = call(kit, row, actor)
        except Exception as raised:
            late = raised.error if isinstance(raised, _ChangedThenRaised) else raised
            if late is not raised or raised_after_commit(late):
                # The row's change committed, then an event handler raised: it went through,
                # and the other rows still do; the page says so instead of a 500 half-way.
                done += 1
                admin_.log_change(
                    request,
                    row,
                    f"{verb.capitalize()} via sessionkit, then an event handler raised",
                )
                admin_.message_user(
                    request,
                    f"{row.record_id!r}: {verb}, then an event handler raised: {late!r}",
                    messages.WARNING,
                )
                continue
            if not isinstance(raised, SessionKitError):
                raise
            # Quoted: the admin's template capitalises a message's first letter, and an
            # id shown as "S1" would name another record.
            admin_.message_user(request, f"{row.record_id!r}: {raised}", messages.ERROR)
        else:
            if logged is None:
                already += 1
                continue
            done += 1
            admin_.log_change(request, row, logged)
    # Also when every row was refused ("cancelled 0 of 2"): the count says nothing went through.
    level = messages.SUCCESS if done or already else messages.WARNING
    said = f" ({already} {verb} already)" if already else ""
    admin_.message_user(request, f"{verb} {done} of {len(selected)}{said}", level)


def _confirm(kit: SessionKit, row: BookingRecord, actor: str) -> str | None:
    """Confirm ``row``'s booking; ``None`` when this action did not change it (confirmed already).

    Whether it was confirmed already is read under the lock the kit's confirm
    takes (the booking's session's row), in one transaction with the confirm:
    two tabs of one admin confirming a hold at once both had the kit's
    confirmed booking back, the second unchanged, with the same actor and a
    version newer than its list's, so both logged "Confirmed". The confirm's
    unit of work joins this one, and its events go out when this one commits.
    A kit on a store other than Django's (no transaction to share) is judged
    by the booking it returns: unchanged since the list, or changed by another actor.
    """
    unit = kit.context.uow()
    if not isinstance(unit, DjangoUnitOfWork):
        booking = kit.bookings.confirm(row.tenant, row.record_id, actor=actor)
        if booking.version == row.version or booking.updated_by != actor:
            return None
        return _changed("Confirmed", booking)
    attempts = kit.context.attempts
    for attempt in range(1, attempts + 1):
        try:
            return _confirm_locked(kit, unit, row, actor)
        except ConcurrentModification:
            # A deadlock, or a writer racing the confirm: the kit's confirm, joined to this
            # unit, does not run itself again then (its unit was not the whole transaction);
            # this unit was, and rolled back, so it runs again, as the kit's own would.
            if unit.joined or attempt == attempts:
                raise
        time.sleep(random.uniform(0, _BACKOFF * 2 ** (attempt - 1)))  # noqa: S311  # jitter
        unit = cast("DjangoUnitOfWork", kit.context.uow())
    raise AssertionError("unreachable")  # pragma: no cover


def _confirm_locked(
    kit: SessionKit, unit: DjangoUnitOfWork, row: BookingRecord, actor: str
) -> str | None:
    """Confirm ``row``'s booking in ``unit`` under its session's lock (see :func:`_confirm`)."""
    committed: list[bool] = []
    try:
        with unit:
            # Registered first: it runs before the confirm's own callbacks, which may raise.
            transaction.on_commit(lambda: committed.append(True), using=unit.using)
            found = unit.bookings.get(row.tenant, row.record_id)
            unit.bookings.lock_session(row.tenant, found.session_id)
            if unit.bookings.get(row.tenant, row.record_id).status == CONFIRMED:
                return None
            booking = kit.bookings.confirm(row.tenant, row.record_id, actor=actor)
            unit.commit()
    except Exception as error:
        if committed:  # the publisher's error (an event handler's), raised by the commit
            raise _ChangedThenRaised(error) from error
        raise
    return _changed("Confirmed", booking)
