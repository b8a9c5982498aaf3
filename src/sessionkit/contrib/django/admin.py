"""The admin: sessionkit's records to browse, changed only through sessionkit's services.

Sessions, series, bookings, reschedule requests, payments and the journal are
listed with filters. Every field is read-only and nothing is added or deleted here: a raw
edit would skip the lifecycles, the conflict checks and the events. Changes
are admin actions that call the host's kit (``SESSIONKIT_KIT``, see
:mod:`sessionkit.contrib.django.conf`): cancel sessions; confirm or cancel
bookings; approve (at the proposed time) or decline reschedule requests, as
the role :data:`ADMIN_ROLE`. Payments have no actions: their changes are the
provider's answers and refunds, which need amounts and provider calls. A
refused change (a transition not allowed now, a run-out hold, an answered
request) is reported per row and the others still go through; each record
an action changed is logged on its History page (a ``LogEntry``). The records
are read from the database the kit's store writes to (``DjangoStore(using=...)``).
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from contextlib import suppress
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.contrib import admin, messages
from django.contrib.auth import get_permission_codename
from django.core.exceptions import ImproperlyConfigured
from django.db.models import Model, Q, QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.text import smart_split, unescape_string_literal

from sessionkit.contrib.django._mapping import booking_from_record
from sessionkit.contrib.django.conf import get_kit
from sessionkit.contrib.django.fields import numeric_amount
from sessionkit.contrib.django.models import (
    BookingRecord,
    JournalRecord,
    PaymentRecord,
    RescheduleRecord,
    SeriesRecord,
    SessionRecord,
    SessionResource,
)
from sessionkit.contrib.django.store import DjangoUnitOfWork
from sessionkit.errors import SessionKitError
from sessionkit.model.booking import BOOKING_STATUSES, EXPIRED, HELD, OFFERED, WAITLISTED
from sessionkit.model.text import MAX_REF_LENGTH
from sessionkit.services import raised_after_commit
from sessionkit.services.app import SessionKit

if TYPE_CHECKING:
    ModelAdmin = admin.ModelAdmin[Any]
else:  # generic in django-stubs only
    ModelAdmin = admin.ModelAdmin

__all__ = [
    "ADMIN_ROLE",
    "BookingAdmin",
    "BookingStatusNowFilter",
    "JournalAdmin",
    "PaymentAdmin",
    "ReadOnlyAdmin",
    "RescheduleAdmin",
    "ResourceFilter",
    "SeriesAdmin",
    "SessionAdmin",
]

_log = logging.getLogger(__name__)

_ALIAS_ATTRIBUTE = "_sessionkit_store_alias"
"""The request attribute :func:`_store_alias` keeps its answer in, for the rest of the request."""

_MAX_KEY_SHOWN = 64
"""The longest user key an actor ends in; a longer one is shown as a digest this long."""

_KIT_ATTRIBUTE = "_sessionkit_kit"
"""The request attribute :func:`_store_alias` keeps the kit it loaded in (``None``: none)."""
_NOW_ATTRIBUTE = "_sessionkit_now"
"""The request attribute :func:`_judged_at` keeps its instant in."""

ADMIN_ROLE = "host"
"""The role the admin acts in (cancels bookings, answers reschedule requests): the notice
policy's default ``bypass``, and one of the refund policy's default full-refund roles."""


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


def _status_now(status: str, now: datetime) -> Q:
    """The bookings :meth:`~sessionkit.model.booking.Booking.status_at` ``now`` gives ``status``.

    Its rule in SQL: a hold or offer runs out at ``hold_expires_at``, a
    waitlist place at its session's start; run out, it is EXPIRED.
    """
    holds, waiting = Q(status__in=(HELD, OFFERED)), Q(status=WAITLISTED)
    ran_out = (holds & Q(hold_expires_at__lte=now)) | (waiting & Q(session_start__lte=now))
    if status == EXPIRED:
        return Q(status=EXPIRED) | ran_out
    if status in (HELD, OFFERED):
        return Q(status=status) & (Q(hold_expires_at__isnull=True) | Q(hold_expires_at__gt=now))
    if status == WAITLISTED:
        return Q(status=status, session_start__gt=now)
    return Q(status=status)


def _search_words(search_term: str) -> list[str]:
    """Return the words (a quoted phrase as one) of an admin search, as Django splits them.

    Django unquotes ``'`` alone (and ``''``) to an empty word, which every
    row contains: a search for an apostrophe listed everything. Here a quote
    with nothing inside it is a word of its own, matched literally.
    """
    words = []
    for word in smart_split(search_term):
        if len(word) > 2 and word[0] in ('"', "'") and word[-1] == word[0]:
            word = unescape_string_literal(word)
        words.append(word)
    return words


def _quoted(word: str) -> str:
    """``word`` as a quoted phrase that Django's search unquotes back to ``word``."""
    return '"' + word.replace("\\", "\\\\").replace('"', '\\"') + '"'


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
        except Exception as error:
            if raised_after_commit(error):
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
                    f"{row.record_id!r}: {verb}, then an event handler raised: {error!r}",
                    messages.WARNING,
                )
                continue
            if not isinstance(error, SessionKitError):
                raise
            # Quoted: the admin's template capitalises a message's first letter, and an
            # id shown as "S1" would name another record.
            admin_.message_user(request, f"{row.record_id!r}: {error}", messages.ERROR)
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
    """Confirm ``row``'s booking; ``None`` when it was confirmed already (returned unchanged).

    Unchanged is the version read with the list, or a change by another actor
    since (a confirm racing this one): the kit changed nothing for this action.
    """
    booking = kit.bookings.confirm(row.tenant, row.record_id, actor=actor)
    if booking.version == row.version or booking.updated_by != actor:
        return None
    return _changed("Confirmed", booking)


class ReadOnlyAdmin(ModelAdmin):
    """Browse only: no add, no change, no delete (changes go through actions).

    The actions need the model's change permission (``has_kit_permission``);
    a user who may only view sees no actions.
    """

    def has_add_permission(self, request: HttpRequest) -> bool:  # noqa: ARG002
        """Nothing is added here: sessionkit's services create records."""
        return False

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:  # noqa: ARG002
        """Nothing is saved here: the change page is the view page, and a POST to it is refused.

        Django's Save writes the whole row back as it read it, without the
        version check, so it undid a change committed meanwhile (a booking
        cancelled and its seat taken came back confirmed: two in one seat).
        """
        return False

    def has_kit_permission(self, request: HttpRequest) -> bool:
        """Whether ``request``'s user may run the actions: the model's change permission."""
        opts = self.opts
        codename = get_permission_codename("change", opts)
        has_perm = getattr(request.user, "has_perm", None)  # a user model without permissions
        return has_perm is not None and bool(has_perm(f"{opts.app_label}.{codename}"))

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:  # noqa: ARG002
        """Nothing is deleted here: sessionkit's services delete (or cancel) records."""
        return False

    def get_readonly_fields(self, request: HttpRequest, obj: Model | None = None) -> list[str]:  # noqa: ARG002
        """Every field."""
        return [field.name for field in self.model._meta.fields]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        """The records in the database the kit's store writes to (:func:`_store_alias`).

        Without a router sending sessionkit's models there, Django read the
        ``default`` database: a store on another alias wrote rows the admin
        never listed, and its actions never reached.
        """
        return super().get_queryset(request).using(_store_alias(request))

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[Any], search_term: str
    ) -> tuple[QuerySet[Any], bool]:
        """Search as Django does, but a lone quote is a word (:func:`_search_words`)."""
        term = " ".join(map(_quoted, _search_words(search_term)))
        return super().get_search_results(request, queryset, term)


class ResourceFilter(admin.SimpleListFilter):
    """Sessions occupying one resource (``teacher:ana``), from the resource rows."""

    title = "resource"
    parameter_name = "resource"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:  # noqa: ARG002
        """The first 200 resources, by name."""
        names = (
            SessionResource.objects.using(_store_alias(request))
            .values_list("resource", flat=True)
            .distinct()
            .order_by("resource")[:200]
        )
        return [(name, name) for name in names]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:  # noqa: ARG002
        """Keep the sessions on the chosen resource."""
        value = self.value()
        if not value:
            return queryset
        return queryset.filter(resource_rows__resource=value).distinct()


@admin.register(SessionRecord)
class SessionAdmin(ReadOnlyAdmin):
    """Sessions by start, filtered by status, resource, date and tenant; cancel through the kit."""

    list_display = ("title", "start_at", "end_at", "status", "tenant", "record_id", "series_ref")
    list_filter = ("status", ResourceFilter, ("start_at", admin.DateFieldListFilter), "tenant")
    search_fields = ("title", "record_id", "series_ref")
    date_hierarchy = "start_at"
    ordering = ("start_at", "record_id")
    actions = ("cancel_sessions",)

    def get_search_results(
        self,
        request: HttpRequest,  # noqa: ARG002  # Django's signature
        queryset: QuerySet[Any],
        search_term: str,
    ) -> tuple[QuerySet[Any], bool]:
        """Search as Django does, but the titles as ``SessionQuery(search=...)`` does.

        Each word (or quoted phrase) must be in the title, the id or the
        series. The title is matched case folded in Python (the stored
        folded title against the folded word), so case is ignored beyond
        ASCII on every database (SQLite's ``LIKE`` folds ASCII letters only);
        ids and series are matched as Django matches them.
        """
        if not search_term:
            return queryset, False
        for word in _search_words(search_term):
            queryset = queryset.filter(
                Q(title_folded__contains=word.casefold())
                | Q(record_id__icontains=word)
                | Q(series_ref__icontains=word)
            )
        return queryset, False

    @admin.action(
        description="Cancel the selected sessions (through sessionkit)", permissions=["kit"]
    )
    def cancel_sessions(self, request: HttpRequest, queryset: QuerySet[SessionRecord]) -> None:
        """Cancel each through its lifecycle, as it stands when the action runs.

        The changelist's form sends the rows' keys, not the versions it
        showed: a session changed since the list was shown is cancelled as it
        now stands (a change racing the action itself is refused).
        """
        _each(
            self,
            request,
            queryset,
            "cancelled",
            lambda kit, row, actor: _changed(
                "Cancelled",
                kit.sessions.cancel(
                    row.tenant, row.record_id, actor=actor, expected_version=row.version
                ),
            ),
        )


@admin.register(SeriesRecord)
class SeriesAdmin(ReadOnlyAdmin):
    """Series, filtered by status and tenant."""

    list_display = ("title", "status", "tenant", "record_id", "generated_until")
    list_filter = ("status", "tenant")
    search_fields = ("title", "record_id")
    ordering = ("tenant", "record_id")


class BookingStatusNowFilter(admin.SimpleListFilter):
    """Bookings by the status the kit judges them by now: a hold that ran out is EXPIRED.

    Stored statuses lag until the tick (or the next write to the session)
    marks a run-out hold; ``?status__exact=`` still filters by them.
    """

    title = "status now"
    parameter_name = "status_now"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:  # noqa: ARG002
        """Every booking status."""
        return [(status, status) for status in sorted(BOOKING_STATUSES)]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        """Keep the bookings in the chosen status as judged at :func:`_judged_at`."""
        value = self.value()
        if not value:
            return queryset
        return queryset.filter(_status_now(value, _judged_at(request)))


@admin.register(BookingRecord)
class BookingAdmin(ReadOnlyAdmin):
    """Bookings by session start, with their status now, filtered by it, date and tenant.

    Confirm or cancel them through the kit.
    """

    list_display = (
        "participant",
        "session_ref",
        "session_start",
        "status",
        "seats",
        "tenant",
        "record_id",
    )
    list_filter = (BookingStatusNowFilter, ("session_start", admin.DateFieldListFilter), "tenant")
    search_fields = ("participant", "record_id", "session_ref")
    ordering = ("session_start", "record_id")
    actions = ("confirm_bookings", "cancel_bookings")

    def get_list_display(self, request: HttpRequest) -> list[Any]:
        """The columns, with "status now" after the stored status: judged at :func:`_judged_at`.

        At the end when the list shows no stored status (a subclass's own
        ``list_display``): looked up there, the list was a ValueError.
        """
        now = _judged_at(request)

        @admin.display(description="status now")
        def status_now(row: BookingRecord) -> str:
            return booking_from_record(row).status_at(now)

        columns = list(super().get_list_display(request))
        at = columns.index("status") + 1 if "status" in columns else len(columns)
        columns.insert(at, status_now)
        return columns

    @admin.action(
        description="Confirm the selected bookings (through sessionkit)", permissions=["kit"]
    )
    def confirm_bookings(self, request: HttpRequest, queryset: QuerySet[BookingRecord]) -> None:
        """Confirm each held or offered booking."""
        _each(
            self,
            request,
            queryset,
            "confirmed",
            _confirm,
        )

    @admin.action(
        description="Cancel the selected bookings (through sessionkit)", permissions=["kit"]
    )
    def cancel_bookings(self, request: HttpRequest, queryset: QuerySet[BookingRecord]) -> None:
        """Cancel each booking as :data:`ADMIN_ROLE` (its seat goes to the waitlist)."""
        _each(
            self,
            request,
            queryset,
            "cancelled",
            lambda kit, row, actor: _changed(
                "Cancelled",
                kit.bookings.cancel(row.tenant, row.record_id, actor=actor, role=ADMIN_ROLE),
            ),
        )


@admin.register(RescheduleRecord)
class RescheduleAdmin(ReadOnlyAdmin):
    """Reschedule requests by deadline, filtered by status, role, deadline and tenant.

    Approve (at the proposed time) or decline them through the kit.
    """

    list_display = (
        "session_ref",
        "status",
        "role",
        "requested_by",
        "session_start",
        "proposed_start",
        "deadline",
        "tenant",
        "record_id",
    )
    list_filter = ("status", "role", ("deadline", admin.DateFieldListFilter), "tenant")
    search_fields = ("session_ref", "record_id", "requested_by")
    date_hierarchy = "deadline"
    ordering = ("deadline", "record_id")
    actions = ("approve_requests", "decline_requests")

    @admin.action(
        description="Approve the selected requests at their proposed time (through sessionkit)",
        permissions=["kit"],
    )
    def approve_requests(self, request: HttpRequest, queryset: QuerySet[RescheduleRecord]) -> None:
        """Approve each pending request, moving its session to the proposed start."""
        _each(
            self,
            request,
            queryset,
            "approved",
            lambda kit, row, actor: _changed(
                "Approved",
                kit.reschedules.approve(row.tenant, row.record_id, role=ADMIN_ROLE, actor=actor),
            ),
        )

    @admin.action(
        description="Decline the selected requests (through sessionkit)", permissions=["kit"]
    )
    def decline_requests(self, request: HttpRequest, queryset: QuerySet[RescheduleRecord]) -> None:
        """Decline each pending request; its session stays."""
        _each(
            self,
            request,
            queryset,
            "declined",
            lambda kit, row, actor: _changed(
                "Declined",
                kit.reschedules.decline(row.tenant, row.record_id, role=ADMIN_ROLE, actor=actor),
            ),
        )


@admin.register(PaymentRecord)
class PaymentAdmin(ReadOnlyAdmin):
    """Payments by session start, filtered by status, provider, currency, a due call, date, tenant."""  # noqa: E501

    list_display = (
        "booking_ref",
        "participant",
        "session_start",
        "payment_amount",
        "currency",
        "status",
        "refunded_amount",
        "due",
        "provider",
        "tenant",
        "record_id",
    )
    list_filter = (
        "status",
        "provider",
        "currency",
        "due",
        ("session_start", admin.DateFieldListFilter),
        "tenant",
    )
    search_fields = ("booking_ref", "participant", "record_id", "intent_ref", "session_ref")
    date_hierarchy = "session_start"
    ordering = ("session_start", "record_id")

    # Amounts are text on SQLite: sorted by the field, "10" would come before "9".
    @admin.display(description="amount", ordering=numeric_amount("amount"))
    def payment_amount(self, payment: PaymentRecord) -> Decimal:
        """The amount, sorted by value on every backend (the column is text on SQLite)."""
        return payment.amount

    @admin.display(description="refunded", ordering=numeric_amount("refunded"))
    def refunded_amount(self, payment: PaymentRecord) -> Decimal:
        """The amount refunded so far, sorted by value on every backend."""
        return payment.refunded


@admin.register(JournalRecord)
class JournalAdmin(ReadOnlyAdmin):
    """The journal (a kit with ``journal=True``): who changed what, when and why, newest first.

    Filtered by event, subject, status, date and tenant; searched by session,
    record, actor and reason. Entries are never changed.
    """

    list_display = (
        "at",
        "event",
        "subject",
        "subject_ref",
        "session_ref",
        "actor",
        "role",
        "previous",
        "status",
        "reason",
        "tenant",
    )
    list_filter = ("event", "subject", "status", ("at", admin.DateFieldListFilter), "tenant")
    search_fields = ("session_ref", "subject_ref", "actor", "reason", "record_id")
    date_hierarchy = "at"
    ordering = ("-at", "-seq", "-record_id")
