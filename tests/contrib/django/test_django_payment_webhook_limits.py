"""``payment_webhook``'s bounds: a body past Django's upload limit, and the methods it takes.

The view reads no body itself: the host's ``parse`` does, through
``request.body``, which Django refuses past ``DATA_UPLOAD_MAX_MEMORY_SIZE``
(``RequestDataTooBig``, a 400), before any signature is checked or anything
applied.
"""

from __future__ import annotations

import json

import pytest
from django.http import HttpRequest
from django.test import Client, override_settings
from django.urls import path

from sessionkit.contrib.django.views import payment_webhook
from sessionkit.model.payment import PaymentEvent
from sessionkit.services import SessionKit

READ: list[int] = []


def _parse(request: HttpRequest) -> tuple[str, PaymentEvent]:
    READ.append(len(request.body))  # what a provider's SDK does first
    msg = "not reached in these tests"
    raise AssertionError(msg)


def _no_kit() -> SessionKit:
    pytest.fail("the view asked for the kit")


urlpatterns = [path("events", payment_webhook(_parse, kit=_no_kit))]


@override_settings(ROOT_URLCONF=__name__, DATA_UPLOAD_MAX_MEMORY_SIZE=1024)
def test_a_body_past_django_s_limit_is_a_400_and_reads_nothing() -> None:
    READ.clear()
    body = json.dumps({"id": "evt", "pad": "x" * 4096})
    answer = Client(raise_request_exception=False).post(
        "/events", body, content_type="application/json"
    )
    assert (answer.status_code, READ) == (400, [])


@override_settings(ROOT_URLCONF=__name__)
@pytest.mark.parametrize(
    "method", ["head", "options", "delete", "patch"], ids=["head", "options", "delete", "patch"]
)
def test_a_method_other_than_post_is_405_naming_post(method: str) -> None:
    READ.clear()
    answer = getattr(Client(), method)("/events")
    assert (answer.status_code, answer["Allow"], READ) == (405, "POST", [])
