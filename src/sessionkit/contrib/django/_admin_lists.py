"""The admin's list pages: the read-only base of every model admin, and the list filters.

Nothing is added, saved or deleted through a page (changes are actions that call
the kit); the lists read the database the kit's store writes to, and search as
Django does but for a lone quote.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.contrib import admin
from django.contrib.auth import get_permission_codename
from django.db import connections, transaction
from django.db.models import Model, Q, QuerySet
from django.http import HttpRequest
from django.urls import URLPattern
from django.utils.text import smart_split, unescape_string_literal

from sessionkit.contrib.django._admin_requests import _judged_at, _store_alias
from sessionkit.contrib.django.models import SessionResource
from sessionkit.errors import UnknownTimeZone
from sessionkit.model.booking import BOOKING_STATUSES, EXPIRED, HELD, OFFERED, WAITLISTED
from sessionkit.zones import get_zone

if TYPE_CHECKING:
    ModelAdmin = admin.ModelAdmin[Any]
else:  # generic in django-stubs only
    ModelAdmin = admin.ModelAdmin


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


def _local_start(at: datetime, tz: str) -> str:
    """``at`` on ``tz``'s wall clock, with its name: "2026-12-07 18:00 Europe/Berlin".

    Django shows instants in the site's ``TIME_ZONE``: with startproject's
    ``UTC`` an 18:00 Berlin class read "5 p.m.", and nothing said in which zone.
    A zone the system no longer knows is named as stored, beside the UTC time.
    A wall time the clock shows twice (a DST fold) carries its offset, so the
    two hours of 2026-10-25 02:30 in Berlin read apart (+02:00, then +01:00).
    """
    try:
        zone = get_zone(tz)
    except UnknownTimeZone:
        return f"{at.astimezone(get_zone('UTC')):%Y-%m-%d %H:%M} UTC (zone {tz!r} unknown)"
    local = at.astimezone(zone)
    if local.replace(fold=1 - local.fold).utcoffset() != local.utcoffset():  # repeated
        return f"{local:%Y-%m-%d %H:%M} {local.isoformat(timespec='minutes')[-6:]} {tz}"
    return f"{local:%Y-%m-%d %H:%M} {tz}"


def _after(fields: list[str], name: str, field: str) -> list[str]:
    """``fields`` with ``name`` after ``field`` (at the end if ``field`` is not there)."""
    at = fields.index(field) + 1 if field in fields else len(fields)
    return [*fields[:at], name, *fields[at:]]


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

    def get_urls(self) -> list[URLPattern]:
        """Django's, with the list (where the actions run) outside ``ATOMIC_REQUESTS``.

        Each row an action changes is a unit of work of its own, as its
        message reports. In the request's transaction they all committed as
        the view returned, and an ``events_committed`` receiver that raised
        then made the page a 500 for rows all changed, its warnings lost.
        """
        urls = super().get_urls()
        changelist = f"{self.opts.app_label}_{self.opts.model_name}_changelist"
        for url in urls:
            if isinstance(url, URLPattern) and url.name == changelist:
                for alias in connections:
                    transaction.non_atomic_requests(using=alias)(url.callback)
        return urls

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
