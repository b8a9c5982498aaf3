"""A zone given as a ``ZoneInfo`` is kept by its IANA name, where a value holds a name.

``Session.tz`` and ``BookingRules.zone`` are names (what ``create_extra``
stores and what every store writes). Both took a ``ZoneInfo`` as it was: an
SQL store then failed to write the session with the driver's own error
(``ProgrammingError`` on SQLite), and the rules held an object where the
docs say a name. A zone with no name (``ZoneInfo.from_file``) can be kept
by none, and is refused.
"""

from __future__ import annotations

from datetime import UTC, timedelta, tzinfo
from pathlib import Path
from zoneinfo import ZoneInfo, available_timezones

import attrs
import pytest
from sqlalchemy import create_engine

from sessionkit.adapters.sqlalchemy import SqlAlchemyStore, create_schema
from sessionkit.errors import UnknownTimeZone
from sessionkit.policies import BookingRules
from sessionkit.ports import SESSIONS
from sessionkit.testing.contract import TENANT, make_session


def _nameless() -> ZoneInfo:
    with Path("/usr/share/zoneinfo/Europe/Berlin").open("rb") as source:
        return ZoneInfo.from_file(source)


pytestmark = pytest.mark.skipif(
    "Europe/Berlin" not in available_timezones()
    or not Path("/usr/share/zoneinfo/Europe/Berlin").exists(),
    reason="needs the system's zone files",
)


@pytest.mark.parametrize(
    ("given", "name"),
    [(ZoneInfo("Europe/Berlin"), "Europe/Berlin"), (UTC, "UTC"), ("Asia/Riyadh", "Asia/Riyadh")],
)
def test_a_session_and_the_rules_keep_a_zone_by_its_name(given: str | tzinfo, name: str) -> None:
    session = attrs.evolve(make_session("s1"), tz=given)
    assert session.tz == name
    assert type(session.tz) is str
    rules = BookingRules(zone=given)
    assert rules.zone == name
    assert type(rules.zone) is str


def test_a_session_given_a_zone_object_is_stored_and_read_back(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite:///{tmp_path / 'zones.sqlite3'}")
    create_schema(engine)
    try:
        store = SqlAlchemyStore(engine)
        session = attrs.evolve(make_session("s1"), tz=ZoneInfo("America/Sao_Paulo"))
        with store.unit_of_work() as uow:
            uow.repository(SESSIONS).add(session)
            uow.commit()
        with store.unit_of_work() as uow:
            stored = uow.repository(SESSIONS).get(TENANT, "s1")
    finally:
        engine.dispose()
    assert stored == session
    assert stored.tz == "America/Sao_Paulo"


def test_a_zone_with_no_name_is_refused_naming_why() -> None:
    zone = _nameless()
    with pytest.raises(UnknownTimeZone, match="has no IANA name") as caught:
        attrs.evolve(make_session("s1"), tz=zone)
    assert caught.value.value is zone
    with pytest.raises(UnknownTimeZone, match="has no IANA name"):
        BookingRules(zone=zone)
    # The rules still count days in a named zone given as an object.
    named = BookingRules(zone=ZoneInfo("Asia/Riyadh"), per_day=1)
    assert named == BookingRules(zone="Asia/Riyadh", per_day=1)
    assert named.min_notice == timedelta(0)
