"""Views a Django host mounts: the payment provider's webhook (FastAPI's ``POST /payments/events``).

Verifying a provider's signature and reading its payload are the provider's
own (Stripe's ``construct_event``, Adyen's HMAC): the host passes them as
``parse``, and :func:`payment_webhook` applies the event it returns once,
answering as the FastAPI route does.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from sessionkit import errors as e
from sessionkit.contrib._http_status import (
    UNKNOWN_EVENT_RETRIED_FOR,
    UNKNOWN_EVENT_RETRY_AFTER,
    status_of,
)
from sessionkit.contrib.django.conf import get_kit
from sessionkit.model.payment import PaymentEvent
from sessionkit.services import SessionKit
from sessionkit.timespan import check_delta

__all__ = ["UNKNOWN_EVENT_RETRIED_FOR", "UNKNOWN_EVENT_RETRY_AFTER", "payment_webhook"]


def payment_webhook(
    parse: Callable[[HttpRequest], tuple[str, PaymentEvent]],
    *,
    kit: Callable[[], SessionKit] = get_kit,
    skew: timedelta = timedelta(minutes=2),
) -> Callable[[HttpRequest], HttpResponse]:
    """Return a view applying the event ``parse`` reads from a provider's request, once.

    ``parse`` verifies the request (raising Django's ``PermissionDenied``, a
    403, for a bad signature) and returns the tenant (the intent's metadata)
    and the :class:`~sessionkit.model.payment.PaymentEvent`. ``kit`` returns the
    kit (default ``SESSIONKIT_KIT``). The view is CSRF-exempt and POST only;
    it answers 200 with ``{"outcome", "payment_id", "status"}`` for an event
    applied, replayed (``"duplicate"``) or stale, 503 with ``Retry-After`` for
    one of no payment here yet (for a day after it occurred, so the provider
    sends it again), and a problem (``application/problem+json``) for a
    :class:`~sessionkit.errors.SessionKitError`, such as an ``occurred_at``
    later than the kit's now plus ``skew`` (422). A ``skew`` that is not a
    ``timedelta`` of zero or more is refused when the view is made.
    """
    # Checked once, here: a wrong skew (a number of seconds, say) would fail every delivery.
    skew = check_delta(skew, "skew")

    @csrf_exempt
    @require_POST
    def view(request: HttpRequest) -> HttpResponse:
        try:
            tenant, event = parse(request)
            app = kit()
            now = app.context.now()
            if event.occurred_at > now + skew:
                raise e.InvalidValue(
                    f"occurred_at {event.occurred_at.isoformat()} is later than the kit's now"
                    f" ({now.isoformat()}) plus {skew} allowed for clock skew",
                    value=event.occurred_at,
                    expected=f"at or before {(now + skew).isoformat()}",
                )
            applied = app.payments.apply(tenant, event, now=now)
        except e.SessionKitError as error:
            status = status_of(error)  # FastAPI's table: the same error, the same status
            body = {"status": status, "error": type(error).__name__, "detail": str(error)}
            return JsonResponse(body, status=status, content_type="application/problem+json")
        found = applied.payment
        answer = JsonResponse(
            {
                "outcome": applied.outcome,
                "payment_id": None if found is None else found.id,
                "status": None if found is None else found.status,
            }
        )
        if applied.outcome == "unknown" and now - event.occurred_at < UNKNOWN_EVENT_RETRIED_FOR:
            answer.status_code = 503  # no receipt kept: a redelivery, once it is stored, applies
            answer["Retry-After"] = str(UNKNOWN_EVENT_RETRY_AFTER)
        return answer

    return view
