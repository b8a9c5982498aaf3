"""The OpenAPI document of the example app, held to a stored snapshot.

The document is the API's contract with its clients: a refactoring of the
route modules or the schemas must leave it as it is, to the letter (paths,
operations, parameters, responses, schemas, operation ids). A change that
means to change the API regenerates the snapshot on purpose (run this module
with ``SESSIONKIT_UPDATE_OPENAPI_SNAPSHOT=1``), and the diff of
``openapi_snapshot.json`` shows what clients will see.
"""

from __future__ import annotations

import copy
import json
import os
import sys
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("fastapi")

from fastapi import FastAPI

from sessionkit.contrib.fastapi import PROBLEM_MEDIA_TYPE, sessionkit_router

ROOT = Path(__file__).resolve().parents[3]
if str(ROOT) not in sys.path:  # the examples live beside src/, not inside the package
    sys.path.insert(0, str(ROOT))

from examples.marketplace_api.app import (  # noqa: E402  # after the path
    create_app,
    the_caller,
    the_kit,
    the_provider,
)

SNAPSHOT = Path(__file__).with_name("openapi_snapshot.json")
UPDATE = os.environ.get("SESSIONKIT_UPDATE_OPENAPI_SNAPSHOT") == "1"


PROBLEM = "#/x-problem-schema"
"""Stands for the problem+json schema every error response inlines (stored once, beside it)."""


def normalised(document: dict[str, Any]) -> str:
    """The document as stable text: keys sorted, the problem schema stored once.

    Every error response inlines the same schema of :class:`Problem` (as
    FastAPI shows it); the first is kept under ``x-problem-schema`` and each
    one equal to it, to the letter, is replaced by :data:`PROBLEM`. One that
    differs stays inline, so it shows in the diff.
    """
    shown = copy.deepcopy(document)
    contents = [
        content
        for item in shown["paths"].values()
        for operation in item.values()
        for response in operation["responses"].values()
        if (content := response.get("content", {}).get(PROBLEM_MEDIA_TYPE)) is not None
    ]
    problem = contents[0]["schema"]
    for content in contents:
        if content["schema"] == problem:
            content["schema"] = PROBLEM
    shown["x-problem-schema"] = problem
    return json.dumps(shown, indent=1, sort_keys=True, ensure_ascii=True) + "\n"


def stored() -> dict[str, Any]:
    found: dict[str, Any] = json.loads(SNAPSHOT.read_text(encoding="utf-8"))
    return found


def test_the_example_apps_openapi_document_is_the_stored_one() -> None:
    text = normalised(create_app("memory").openapi())
    if UPDATE:
        SNAPSHOT.write_text(text, encoding="utf-8")
    assert text == SNAPSHOT.read_text(encoding="utf-8")


def test_the_snapshot_holds_every_route_of_the_router() -> None:
    document = stored()
    operations = {
        (method, path)
        for path, item in document["paths"].items()
        for method in item
        if path.startswith("/v1/")
    }
    assert len(operations) == 50
    assert ("post", "/v1/sessions/{session_id}/paid-bookings") in operations
    assert ("post", "/v1/payments/{payment_id}/refund-retries") in operations
    assert ("post", "/v1/sessions/{session_id}/join") in operations
    assert ("delete", "/v1/sessions/{session_id}/attendance/{participant}") in operations
    assert ("get", "/v1/journal") in operations
    assert ("get", "/v1/bookings") in operations
    problems = [
        response["content"][PROBLEM_MEDIA_TYPE]["schema"]
        for item in document["paths"].values()
        for operation in item.values()
        for response in operation["responses"].values()
        if PROBLEM_MEDIA_TYPE in response.get("content", {})
    ]
    assert len(problems) > len(operations)  # every route declares several
    assert set(problems) == {PROBLEM}  # each one the Problem schema, to the letter
    assert document["x-problem-schema"]["title"] == "Problem"
    assert {
        "BookingOut",
        "PaymentOut",
        "RescheduleOut",
        "AttendanceOut",
        "JoinCredentialOut",
    } <= set(document["components"]["schemas"])


def test_the_routers_tags_come_before_each_routes_own() -> None:
    app = FastAPI(title="Tutoring marketplace", version="1")
    app.include_router(
        sessionkit_router(kit=the_kit, caller=the_caller, webhook=the_provider, tags=("kit",)),
        prefix="/v1",
    )
    expected = copy.deepcopy(stored())
    del expected["paths"]["/fake-provider/intents/{intent_ref}/pay"]
    for item in expected["paths"].values():
        for operation in item.values():
            operation["tags"] = ["kit", *operation["tags"]]
    found = json.loads(normalised(app.openapi()))
    assert found["paths"] == expected["paths"]
    assert found["components"] == expected["components"]


def test_every_write_declares_the_statuses_storage_errors_answer() -> None:
    # StorageFull answers 507 (docs/fastapi.md) but no route declared it: a generated
    # client could not read the problem body of a full disk.
    document = create_app("memory").openapi()
    undeclared = sorted(
        (method, path)
        for path, item in document["paths"].items()
        for method, operation in item.items()
        if path.startswith("/v1/")
        and method in ("post", "put", "patch", "delete")
        and not {"503", "507"} <= set(operation["responses"])
    )
    assert undeclared == []


def test_every_route_declares_the_problems_of_the_store_it_reads() -> None:
    # A stored session's UnknownLifecycle or UnknownStatus answers 500 with a problem body,
    # SchemaMissing too, on any route that reads it; no route declared 500, and the journal
    # declared 503 only by hand: a generated client could not read those bodies.
    document = create_app("memory").openapi()
    undeclared = sorted(
        (method, path, status)
        for path, item in document["paths"].items()
        for method, operation in item.items()
        for status in ("500", "503")
        if path.startswith("/v1/")
        and PROBLEM_MEDIA_TYPE not in operation["responses"].get(status, {}).get("content", {})
    )
    assert undeclared == []
    journal = document["paths"]["/v1/journal"]["get"]["responses"]["500"]
    assert journal["description"] == "Server error"
    assert journal["content"][PROBLEM_MEDIA_TYPE]["schema"]["title"] == "Problem"
