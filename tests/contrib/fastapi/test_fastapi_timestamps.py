"""A request's timestamps are ISO 8601 text: a JSON number is a 422 naming the field."""

from __future__ import annotations

import typing
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from pydantic import AwareDatetime, BaseModel, ValidationError
from starlette.testclient import TestClient

from sessionkit.contrib.fastapi import attendance_schemas, payment_schemas, reschedule_schemas
from sessionkit.contrib.fastapi import schemas as s

from .conftest import NOW

UNIX = int((NOW + timedelta(days=1)).timestamp())
"""The instant a day from now as Unix seconds: what pydantic's datetime took a number for."""


def _requests() -> list[type[BaseModel]]:
    modules = (s, attendance_schemas, payment_schemas, reschedule_schemas)
    found = {
        model
        for module in modules
        for model in vars(module).values()
        if isinstance(model, type) and issubclass(model, s._In) and model is not s._In
    }
    return sorted(found, key=lambda model: model.__name__)


def _holds_datetime(annotation: object) -> bool:
    """Whether ``annotation`` is a datetime type, or one of its arguments is (at any depth)."""
    if isinstance(annotation, type) and issubclass(annotation, datetime | AwareDatetime):
        return True
    return any(_holds_datetime(arg) for arg in typing.get_args(annotation))


def _timestamps(model: type[BaseModel]) -> list[str]:
    """The fields of ``model`` that hold a datetime (alone, annotated or beside ``None``)."""
    return [name for name, field in model.model_fields.items() if _holds_datetime(field.annotation)]


FIELDS = [(model, name) for model in _requests() for name in _timestamps(model)]


def test_the_walk_finds_every_timestamp_of_a_request() -> None:
    named = {f"{model.__name__}.{name}" for model, name in FIELDS}
    assert {
        "SessionCreate.start",
        "SessionUpdate.end",
        "UnbookedRemoval.before",
        "ScheduleItemIn.start",
        "PresenceEventIn.at",
        "PaymentEventIn.occurred_at",
        "RescheduleCreate.proposed_start",
        "RescheduleApprove.start",
    } <= named


@pytest.mark.parametrize(("model", "name"), FIELDS, ids=[f"{m.__name__}.{n}" for m, n in FIELDS])
@pytest.mark.parametrize("sent", [UNIX, float(UNIX), str(UNIX), True])
def test_every_timestamp_of_a_request_refuses_a_number(
    model: type[BaseModel], name: str, sent: object
) -> None:
    # Pydantic's datetime read 1772524800 (or "1772524800") as Unix seconds, in every model.
    with pytest.raises(ValidationError) as refused:
        model.model_validate({name: sent})
    mine = [e for e in refused.value.errors() if e["loc"] == (name,)]
    assert [e["type"] for e in mine] == ["iso8601_datetime"], mine
    assert mine[0]["msg"].startswith("Input should be an ISO 8601 date-time string")


def test_a_number_for_a_timestamp_is_a_422_naming_the_field(client: TestClient) -> None:
    end = (NOW + timedelta(days=1, hours=1)).isoformat()
    answer = client.post("/v1/sessions", json={"start": UNIX, "end": end, "lifecycle": "lms"})
    assert answer.status_code == 422, answer.text
    body = answer.json()
    assert body["error"] == "RequestValidationError"
    [entry] = body["errors"]
    assert (entry["type"], entry["loc"], entry["input"]) == (
        "iso8601_datetime",
        ["body", "start"],
        UNIX,
    )
    assert entry["msg"] == (
        "Input should be an ISO 8601 date-time string with a UTC offset "
        "(e.g. 2026-03-02T10:00:00+01:00, or Z for UTC), not a JSON number"
    )
    assert client.get("/v1/sessions").json()["total"] == 0

    events: dict[str, Any] = {
        "events": [
            {
                "provider": "meet",
                "event_id": "e1",
                "session_id": "s1",
                "participant": "student:ann",
                "action": "join",
                "at": UNIX,
            }
        ]
    }
    presence = client.post("/v1/presence-events", json=events)
    assert presence.status_code == 422, presence.text
    assert [e["loc"] for e in presence.json()["errors"]] == [["body", "events", 0, "at"]]


def test_iso_8601_text_is_read_as_sent(client: TestClient) -> None:
    start = NOW + timedelta(days=1)
    for sent in ("2026-03-03T09:00:00+01:00", "2026-03-03T08:00Z", "2026-03-03T08:00:00.000Z"):
        made = client.post(
            "/v1/sessions",
            json={"start": sent, "end": "2026-03-03T09:00:00Z", "lifecycle": "lms"},
        )
        assert made.status_code == 201, made.text
        assert datetime.fromisoformat(made.json()["start"]) == start.astimezone(UTC)
        assert client.delete(f"/v1/sessions/{made.json()['id']}").status_code == 200
    naive = client.post(
        "/v1/sessions",
        json={"start": "2026-03-03T08:00:00", "end": "2026-03-03T09:00:00Z", "lifecycle": "lms"},
    )
    assert [e["type"] for e in naive.json()["errors"]] == ["timezone_aware"]


@pytest.mark.parametrize(("model", "name"), FIELDS, ids=[f"{m.__name__}.{n}" for m, n in FIELDS])
@pytest.mark.parametrize("sent", ["2026-03-03", "20260303", "2026-W10-2"])
def test_every_timestamp_of_a_request_refuses_a_date_alone(
    model: type[BaseModel], name: str, sent: str
) -> None:
    # datetime.fromisoformat reads a date as its midnight: a schedule item's local start
    # "2026-03-03" made a series at 00:00, and an instant's was refused as naive.
    with pytest.raises(ValidationError) as refused:
        model.model_validate({name: sent})
    mine = [e for e in refused.value.errors() if e["loc"] == (name,)]
    assert [(e["type"], e["input"]) for e in mine] == [("iso8601_datetime", sent)], mine


def test_a_series_whose_start_is_a_date_alone_is_a_422_and_stores_nothing(
    client: TestClient,
) -> None:
    item = {"id": "mon", "rrule": "FREQ=WEEKLY;COUNT=3", "duration_minutes": 60, "tz": "UTC"}
    answer = client.post(
        "/v1/series",
        json={"title": "Maths", "lifecycle": "lms", "items": [{**item, "start": "2026-03-09"}]},
    )
    assert answer.status_code == 422, answer.text
    [entry] = answer.json()["errors"]
    assert (entry["type"], entry["loc"], entry["input"]) == (
        "iso8601_datetime",
        ["body", "items", 0, "start"],
        "2026-03-09",
    )
    assert entry["msg"] == "Input should be an ISO 8601 date-time string, e.g. 2026-03-09T10:00:00"
    assert client.get("/v1/sessions").json()["total"] == 0
    made = client.post(
        "/v1/series",
        json={
            "title": "Maths",
            "lifecycle": "lms",
            "items": [{**item, "start": "2026-03-09T00:00"}],
        },
    )
    assert made.status_code == 201, made.text  # midnight, said so, is taken
    assert made.json()["items"][0]["start"] == "2026-03-09T00:00:00"


def test_a_date_alone_in_a_query_is_no_instant(client: TestClient) -> None:
    # It was a NaiveDatetime whose value, "2026-03-03T00:00:00", the client never sent.
    answer = client.get("/v1/sessions", params={"start_from": "2026-03-03"})
    assert answer.status_code == 422, answer.text
    body = answer.json()
    assert (body["error"], body["name"], body["value"]) == (
        "NotADatetime",
        "start_from",
        "2026-03-03",
    )
    assert "ISO 8601 with a UTC offset" in body["detail"]
