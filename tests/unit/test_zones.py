"""Zones: lookup errors and the wall-clock policy, pinned to real transitions."""

from __future__ import annotations

from datetime import UTC, datetime, timezone
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import pytest

from sessionkit import (
    InvalidValue,
    NaiveDatetime,
    RepeatedTime,
    SkippedTime,
    UnknownTimeZone,
    get_zone,
    resolve_local,
)
from sessionkit.adapters.memory import InMemoryStore
from sessionkit.services import SessionKit
from sessionkit.testing.clocks import ManualClock
from sessionkit.zones import local_date_start, wall_time_kind

NY = "America/New_York"


@pytest.mark.parametrize("name", ["Mars/Olympus", "", "../etc/passwd", "europe/berlin "])
def test_unknown_zone(name: str) -> None:
    with pytest.raises(UnknownTimeZone) as info:
        get_zone(name)
    assert info.value.name == name
    assert repr(name) in str(info.value)


@pytest.mark.parametrize(
    ("name", "why"),
    [
        ("localtime", "this machine's own zone"),
        ("posixrules", "POSIX TZ strings"),
        ("posix/Europe/Berlin", "variant of 'Europe/Berlin'"),
        ("right/UTC", "variant of 'UTC'"),
    ],
)
def test_system_only_zone_files_are_not_iana_zones(name: str, why: str) -> None:
    # zoneinfo loads these from the system's zone directory, and stored they meant another
    # zone on another machine ("localtime") or another key for the same zone (posix/...).
    with pytest.raises(UnknownTimeZone) as info:
        get_zone(name)
    assert (info.value.name, info.value.value) == (name, name)
    assert why in str(info.value)
    assert repr(name) in str(info.value)
    assert info.value.reason is not None
    assert why in info.value.reason


def test_a_zone_object_of_a_system_only_file_is_refused_by_its_key() -> None:
    try:
        zone = ZoneInfo("posix/Asia/Tokyo")
    except ZoneInfoNotFoundError:
        pytest.skip("this system has no posix/ zone files (zoneinfo reads the tzdata package)")
    with pytest.raises(UnknownTimeZone) as info:
        get_zone(zone)
    assert info.value.name == "posix/Asia/Tokyo"
    assert get_zone("Asia/Tokyo").key == "Asia/Tokyo"  # the zone itself, named as IANA does


def test_an_unknown_name_has_no_reason() -> None:
    with pytest.raises(UnknownTimeZone) as info:
        get_zone("Mars/Olympus")
    assert info.value.reason is None
    assert str(info.value).startswith("unknown time zone 'Mars/Olympus'; expected")


def test_zone_objects_and_utc_are_accepted() -> None:
    assert get_zone(ZoneInfo("Asia/Tokyo")).key == "Asia/Tokyo"
    assert get_zone(UTC).key == "UTC"
    with pytest.raises(UnknownTimeZone):
        get_zone(timezone.max)  # a fixed offset is not an IANA zone
    with pytest.raises(UnknownTimeZone):
        get_zone(42)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("local", "policy", "expected"),
    [
        (datetime(2007, 3, 11, 2, 30), "compatible", "2007-03-11T03:30:00-04:00"),
        (datetime(2007, 3, 11, 2, 30), "later", "2007-03-11T03:30:00-04:00"),
        (datetime(2007, 3, 11, 2, 30), "earlier", "2007-03-11T01:30:00-05:00"),
        (datetime(2007, 11, 4, 1, 30), "compatible", "2007-11-04T01:30:00-04:00"),
        (datetime(2007, 11, 4, 1, 30), "earlier", "2007-11-04T01:30:00-04:00"),
        (datetime(2007, 11, 4, 1, 30), "later", "2007-11-04T01:30:00-05:00"),
        (datetime(2007, 7, 1, 12, 0), "raise", "2007-07-01T12:00:00-04:00"),
    ],
)
def test_new_york_2007_policies(local: datetime, policy: str, expected: str) -> None:
    resolved = resolve_local(local, NY, disambiguate=policy)  # type: ignore[arg-type]
    assert resolved.isoformat() == expected
    assert resolved.astimezone(UTC) == datetime.fromisoformat(expected).astimezone(UTC)


def test_raise_policy_errors_carry_the_local_time_and_zone() -> None:
    with pytest.raises(SkippedTime) as skipped:
        resolve_local(datetime(2026, 3, 29, 2, 30), "Europe/Berlin", disambiguate="raise")
    assert (skipped.value.local, skipped.value.zone) == (
        datetime(2026, 3, 29, 2, 30),
        "Europe/Berlin",
    )
    with pytest.raises(RepeatedTime) as repeated:
        resolve_local(datetime(2026, 10, 25, 2, 30), "Europe/Berlin", disambiguate="raise")
    assert repeated.value.local == datetime(2026, 10, 25, 2, 30)
    with pytest.raises(InvalidValue, match="disambiguate"):
        resolve_local(datetime(2026, 1, 1), "UTC", disambiguate="skip")  # type: ignore[arg-type]


def test_wall_time_kinds_and_day_starts() -> None:
    assert wall_time_kind(datetime(2026, 3, 29, 2, 30), "Europe/Berlin") == "skipped"
    assert wall_time_kind(datetime(2026, 10, 25, 2, 30), "Europe/Berlin") == "repeated"
    assert wall_time_kind(datetime(2026, 10, 25, 3, 0), "Europe/Berlin") == "normal"
    # An aware time by its wall time in the zone, not its own clock with the zone swapped in.
    assert wall_time_kind(datetime(2026, 10, 25, 0, 30, tzinfo=UTC), "Europe/Berlin") == "repeated"
    assert wall_time_kind(datetime(2026, 3, 29, 2, 30, tzinfo=UTC), "Europe/Berlin") == "normal"
    # Sao Paulo moved clocks forward at midnight (2018-11-04): the day began at 01:00.
    start = local_date_start(datetime(2018, 11, 4).date(), "America/Sao_Paulo")
    assert start.isoformat() == "2018-11-04T01:00:00-02:00"


class _Stamp(datetime):
    """A ``datetime`` subclass with nanoseconds, as pandas' ``Timestamp`` is."""

    nanosecond = 0


def test_a_datetime_subclass_is_taken_as_a_plain_datetime_and_refused_with_nanoseconds() -> None:
    # A pandas Timestamp one nanosecond past a session's start: the in-memory store compared
    # it to the nanosecond, SQLite cut it to the microsecond, and the two stores disagreed.
    from sessionkit.zones import check_aware, check_instant

    stamp = _Stamp(2026, 3, 3, 9, 0, 0, 5, tzinfo=ZoneInfo("Europe/Berlin"), fold=1)
    plain = check_aware(stamp, "start_from")
    assert (type(plain), plain, plain.fold) == (datetime, stamp, 1)
    assert type(check_instant(stamp, "start_from")) is datetime
    stamp.nanosecond = 1
    with pytest.raises(InvalidValue) as refused:
        check_instant(stamp, "start_from")
    assert str(refused.value).startswith(
        "start_from 2026-03-03T09:00:00.000005+01:00 has 1 nanosecond(s)"
    )
    assert refused.value.value is stamp


def test_a_pandas_timestamp_with_nanoseconds_is_refused() -> None:
    pd = pytest.importorskip("pandas")
    from sessionkit.zones import check_instant

    whole = pd.Timestamp("2026-03-03T09:00:00Z")
    assert check_instant(whole, "start_from") == datetime(2026, 3, 3, 9, tzinfo=UTC)
    assert type(check_instant(whole, "start_from")) is datetime
    with pytest.raises(InvalidValue, match="has 1 nanosecond"):
        check_instant(whole + pd.Timedelta(1, "ns"), "start_from")


def test_pandas_nat_is_refused_as_no_instant_not_as_a_naive_one() -> None:
    # NaT is a datetime subclass with no zone: it was refused as "naive 'NaT'", and the advice
    # to attach a zone could not help a missing time.
    pd = pytest.importorskip("pandas")
    from sessionkit.zones import check_aware, check_instant, to_utc

    for check in (check_aware, check_instant, to_utc):
        with pytest.raises(InvalidValue) as refused:
            check(pd.NaT, "start_from")
        assert not isinstance(refused.value, NaiveDatetime)
        assert str(refused.value) == "start_from is NaT (pandas' missing time), which is no instant"
        assert (refused.value.value, refused.value.expected) == (pd.NaT, "an aware datetime")
    kit = SessionKit(uow=InMemoryStore().unit_of_work, clock=ManualClock())
    with pytest.raises(InvalidValue, match=r"^start_from is NaT"):
        kit.analytics.counts("acme", start_from=pd.NaT)


@pytest.mark.parametrize(
    "local", [datetime(2026, 3, 2, 9), datetime(2026, 3, 2, 9, tzinfo=UTC)], ids=["naive", "aware"]
)
def test_an_unknown_policy_is_refused_for_an_aware_local_time_too(local: datetime) -> None:
    # An aware value needs no policy, and a misspelt one used to pass with it unseen.
    with pytest.raises(InvalidValue) as info:
        resolve_local(local, "Europe/Berlin", disambiguate="latest")  # type: ignore[arg-type]
    assert info.value.value == "latest"
    assert "disambiguate must be one of" in str(info.value)
