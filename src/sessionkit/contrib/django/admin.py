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

from decimal import Decimal
from typing import Any

from django.contrib import admin
from django.db.models import Model, Q, QuerySet
from django.http import HttpRequest
from django.utils import formats

from sessionkit.contrib.django._admin_actions import ADMIN_ROLE, _changed, _confirm, _each
from sessionkit.contrib.django._admin_lists import (
    BookingStatusNowFilter,
    ReadOnlyAdmin,
    ResourceFilter,
    _after,
    _local_start,
    _search_words,
)
from sessionkit.contrib.django._admin_requests import _judged_at
from sessionkit.contrib.django._mapping import booking_from_record
from sessionkit.contrib.django.fields import numeric_amount, shown_amount
from sessionkit.contrib.django.models import (
    BookingRecord,
    JournalRecord,
    PaymentRecord,
    RescheduleRecord,
    SeriesRecord,
    SessionRecord,
)

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


@admin.register(SessionRecord)
class SessionAdmin(ReadOnlyAdmin):
    """Sessions by start, filtered by status, resource, date and tenant; cancel through the kit."""

    list_display = (
        "title",
        "local_start",
        "start_at",
        "end_at",
        "status",
        "tenant",
        "record_id",
        "series_ref",
    )
    list_filter = ("status", ResourceFilter, ("start_at", admin.DateFieldListFilter), "tenant")
    search_fields = ("title", "record_id", "series_ref")
    date_hierarchy = "start_at"
    ordering = ("start_at", "record_id")
    actions = ("cancel_sessions",)

    def get_readonly_fields(self, request: HttpRequest, obj: Model | None = None) -> list[str]:
        """Every field, and the start in the session's own zone after ``start_at``."""
        return _after(super().get_readonly_fields(request, obj), "local_start", "start_at")

    @admin.display(description="local start", ordering="start_at")
    def local_start(self, row: SessionRecord) -> str:
        """The start on the session's own wall clock (:func:`_local_start`), sorted by instant."""
        return _local_start(row.start_at, row.tz)

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


@admin.register(BookingRecord)
class BookingAdmin(ReadOnlyAdmin):
    """Bookings by session start, with their status now, filtered by it, date and tenant.

    Confirm or cancel them through the kit.
    """

    list_display = (
        "participant",
        "session_ref",
        "local_start",
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

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        """The bookings with their sessions (one join), whose zone the local start needs."""
        return super().get_queryset(request).select_related("session_row")

    def get_readonly_fields(self, request: HttpRequest, obj: Model | None = None) -> list[str]:
        """Every field, and the session's start in its zone after ``session_start``."""
        return _after(super().get_readonly_fields(request, obj), "local_start", "session_start")

    @admin.display(description="local start", ordering="session_start")
    def local_start(self, row: BookingRecord) -> str:
        """The session's start on its own wall clock (:func:`_local_start`), sorted by instant."""
        return _local_start(row.session_start, row.session_row.tz)

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

    def get_readonly_fields(self, request: HttpRequest, obj: Model | None = None) -> list[str]:
        """The fields, the amounts shown as the list shows them (60.00, not 60.000000)."""
        shown = {
            "amount": "payment_amount",
            "refunded": "refunded_amount",
            "refund_due": "refund_due_amount",
            "refund_sending": "refund_sending_amount",
        }
        return [shown.get(name, name) for name in super().get_readonly_fields(request, obj)]

    def get_fields(self, request: HttpRequest, obj: Model | None = None) -> tuple[str, ...]:
        """The read-only fields alone, each amount once.

        Django's are the form's fields, then the read-only ones; an amount left
        out of the read-only fields (shown by its column) went into the form,
        and the page read "Amount: 60.000000" above "Amount: 60.00".
        """
        return tuple(self.get_readonly_fields(request, obj))

    # Amounts are text on SQLite: sorted by the field, "10" would come before "9".
    @admin.display(description="amount", ordering=numeric_amount("amount"))
    def payment_amount(self, payment: PaymentRecord) -> str:
        """The amount to its currency's minor unit, sorted by value on every backend."""
        return _localized(payment.amount, payment)

    @admin.display(description="refunded", ordering=numeric_amount("refunded"))
    def refunded_amount(self, payment: PaymentRecord) -> str:
        """The amount refunded so far, shown and sorted as the amount."""
        return _localized(payment.refunded, payment)

    @admin.display(description="refund due")
    def refund_due_amount(self, payment: PaymentRecord) -> str:
        """The amount a refund owes still, on a payment's page, shown as the amount."""
        return _localized(payment.refund_due, payment)

    @admin.display(description="refund sending")
    def refund_sending_amount(self, payment: PaymentRecord) -> str:
        """The amount a refund call is sending, on a payment's page, shown as the amount."""
        return _localized(payment.refund_sending, payment)


def _localized(amount: Decimal, payment: PaymentRecord) -> str:
    """``amount`` to ``payment``'s minor unit, in the admin's language ("60,00" in German).

    Django localizes a number a method returns in the list only: a payment's
    page showed its text ("60.00") beside the list's "60,00".
    """
    return formats.localize(shown_amount(amount, payment.currency))


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
