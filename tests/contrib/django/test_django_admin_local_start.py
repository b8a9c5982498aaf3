"""The admin shows a session's start on its own wall clock, with its zone's name.

Django shows instants in the site's ``TIME_ZONE``: with startproject's default
``UTC`` an 18:00 Berlin class read "5 p.m." in the session and booking lists,
and nothing said which zone. The "local start" column (and field on a record's
page) reads "2026-12-07 18:00 Europe/Berlin", and sorts by the start instant.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import attrs
import pytest
from django.contrib.admin import site
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from tests.contrib.django._admin_client import admin_client

from sessionkit.contrib.django._admin_lists import _local_start
from sessionkit.contrib.django.admin import BookingAdmin, SessionAdmin
from sessionkit.contrib.django.models import BookingRecord, SessionRecord
from sessionkit.contrib.django.store import DjangoStore
from sessionkit.testing.contract import T0
from sessionkit.testing.contract.bookings import make_booking, make_booking_session

ALIAS = "default"
BERLIN_18H = datetime(2026, 12, 7, 17, tzinfo=UTC)  # 18:00 in Berlin (CET)
NY_9H = datetime(2026, 12, 7, 14, tzinfo=UTC)  # 09:00 in New York (EST), earlier


@pytest.fixture
def client() -> Iterator[Client]:
    with admin_client("local-start-root", T0) as logged_in:
        yield logged_in


def _given() -> None:
    with DjangoStore(using=ALIAS).unit_of_work() as uow:
        for session_id, start, tz in (
            ("ber", BERLIN_18H, "Europe/Berlin"),
            ("ny", NY_9H, "America/New_York"),
        ):
            hours = (start - T0) / timedelta(hours=1)
            uow.sessions.add(attrs.evolve(make_booking_session(session_id, at=hours), tz=tz))
            uow.bookings.add(make_booking(f"b-{session_id}", session_id=session_id, at=hours))
        uow.commit()


def _cells(page: str) -> list[str]:
    return re.findall(r'class="field-local_start">([^<]*)<', page)


@pytest.mark.parametrize("model", ["sessionrecord", "bookingrecord"], ids=["sessions", "bookings"])
def test_the_lists_show_the_local_start_sorted_by_the_instant(client: Client, model: str) -> None:
    _given()
    url = f"/admin/sessionkit/{model}/"
    ascending = _cells(client.get(url).content.decode())
    assert ascending == ["2026-12-07 09:00 America/New_York", "2026-12-07 18:00 Europe/Berlin"]
    admin = {
        "sessionrecord": SessionAdmin(SessionRecord, site),
        "bookingrecord": BookingAdmin(BookingRecord, site),
    }[model]
    column = ["action_checkbox", *admin.list_display].index("local_start")
    by_column = client.get(url, {"o": f"-{column}"}).content.decode()
    assert _cells(by_column) == ascending[::-1]


@pytest.mark.parametrize(
    ("model", "record"),
    [(SessionRecord, "ber"), (BookingRecord, "b-ber")],
    ids=["session", "booking"],
)
def test_a_record_s_page_shows_its_local_start(
    client: Client, model: type[SessionRecord | BookingRecord], record: str
) -> None:
    _given()
    row = model.objects.using(ALIAS).get(record_id=record)
    page = client.get(f"/admin/sessionkit/{model._meta.model_name}/{row.pk}/change/")
    shown = re.findall(
        r'<label>Local start:</label>\s*<div class="readonly">([^<]*)<', page.content.decode()
    )
    assert shown == ["2026-12-07 18:00 Europe/Berlin"]


def test_the_booking_list_reads_the_zones_in_its_one_query(client: Client) -> None:
    _given()
    with CaptureQueriesContext(connection) as queries:
        client.get("/admin/sessionkit/bookingrecord/")
    sessions = [q["sql"] for q in queries if 'FROM "sessionkit_session"' in q["sql"]]
    assert sessions == []  # joined into the bookings' query, not one per row


def test_a_zone_the_system_does_not_know_is_named_beside_utc() -> None:
    assert _local_start(BERLIN_18H, "Mars/Olympus") == (
        "2026-12-07 17:00 UTC (zone 'Mars/Olympus' unknown)"
    )


@pytest.mark.parametrize(
    ("at", "tz", "shown"),
    [
        (
            datetime(2026, 10, 25, 0, 30, tzinfo=UTC),
            "Europe/Berlin",
            "2026-10-25 02:30 +02:00 Europe/Berlin",
        ),
        (
            datetime(2026, 10, 25, 1, 30, tzinfo=UTC),
            "Europe/Berlin",
            "2026-10-25 02:30 +01:00 Europe/Berlin",
        ),
        (
            datetime(2007, 11, 4, 5, 30, tzinfo=UTC),
            "America/New_York",
            "2007-11-04 01:30 -04:00 America/New_York",
        ),
        (
            datetime(2007, 11, 4, 6, 30, tzinfo=UTC),
            "America/New_York",
            "2007-11-04 01:30 -05:00 America/New_York",
        ),
        (
            datetime(2026, 3, 29, 1, 0, tzinfo=UTC),
            "Europe/Berlin",
            "2026-03-29 03:00 Europe/Berlin",
        ),
        (
            datetime(2026, 10, 25, 2, 0, tzinfo=UTC),
            "Europe/Berlin",
            "2026-10-25 03:00 Europe/Berlin",
        ),
    ],
    ids=[
        "berlin-fold-first",
        "berlin-fold-second",
        "ny-fold-first",
        "ny-fold-second",
        "berlin-after-gap",
        "berlin-after-fold",
    ],
)
def test_a_wall_time_shown_twice_carries_its_offset(at: datetime, tz: str, shown: str) -> None:
    """The two instants of a DST fold read apart; other times, past a gap too, as before."""
    assert _local_start(at, tz) == shown
