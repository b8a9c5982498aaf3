"""``payment_webhook`` answers each sessionkit error with FastAPI's status for it.

The view had a six-row table of its own: a payment not found (404), a concurrent
write (409) or a full disk (507) answered 500, which the FastAPI route answers
otherwise. Both now read :data:`sessionkit.contrib._http_status.ERROR_STATUS`.
"""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.http import HttpRequest
from django.test import RequestFactory

from sessionkit import errors as e
from sessionkit.contrib.django.views import payment_webhook
from sessionkit.model.payment import PaymentEvent
from sessionkit.services import SessionKit

RAISED: list[e.SessionKitError] = []


def _parse(request: HttpRequest) -> tuple[str, PaymentEvent]:  # the view's call
    raise RAISED[0]


def _no_kit() -> SessionKit:
    pytest.fail("the view asked for the kit after parse raised")


@pytest.mark.parametrize(
    ("error", "status"),
    [
        (e.PaymentNotFound("p-1", "acme"), 404),
        (e.ConcurrentModification("p-1", 1, 2), 409),
        (e.StorageFull("the disk is full"), 507),
        (e.PaymentGatewayError("refund", "p-1"), 502),
        (e.StorageUnavailable("the database is away"), 503),
        (e.InvalidValue("bad", value=1, expected="2"), 422),
    ],
    ids=["not-found", "concurrent", "storage-full", "gateway", "storage-down", "invalid"],
)
def test_a_sessionkit_error_answers_fastapi_s_status(error: e.SessionKitError, status: int) -> None:
    RAISED[:] = [error]
    view = payment_webhook(_parse, kit=_no_kit)
    answer = view(RequestFactory().post("/events", b"{}", content_type="application/json"))
    body = json.loads(answer.content)
    assert (answer.status_code, answer["Content-Type"]) == (status, "application/problem+json")
    assert (body["status"], body["error"]) == (status, type(error).__name__)


@pytest.mark.parametrize(
    ("skew", "error"),
    [(120, e.WrongType), (timedelta(minutes=-1), e.InvalidValue)],
    ids=["seconds-as-int", "negative"],
)
def test_a_wrong_skew_is_refused_when_the_view_is_made(
    skew: object, error: type[e.SessionKitError]
) -> None:
    """Not at each delivery, where an int skew raised TypeError: a 500 for every event."""
    with pytest.raises(error, match="skew"):
        payment_webhook(_parse, kit=_no_kit, skew=skew)  # type: ignore[arg-type]  # the wrong type
