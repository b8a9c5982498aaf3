"""The domain model's own rules: references, identity, storable lengths, queries, cursors."""

from __future__ import annotations

import base64
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from sessionkit import InvalidValue, NotADatetime, TimeSpan, UnknownTimeZone, WrongType
from sessionkit.errors import InvalidWindow, NaiveDatetime
from sessionkit.model import (
    MAX_ID_LENGTH,
    Cursor,
    Page,
    ResourceRef,
    ScheduleItem,
    Series,
    Session,
    SessionQuery,
    WindowPolicy,
    add_months,
)
from sessionkit.model.booking import BookableSession
from sessionkit.model.query import MAX_CURSOR_LENGTH, SortKey
from sessionkit.model.text import MAX_NAME_LENGTH, MAX_TITLE_LENGTH
from sessionkit.recurrence import Recurrence

NOW = datetime(2026, 3, 2, 9, tzinfo=UTC)
SPAN = TimeSpan(NOW, NOW + timedelta(hours=1))


def session(**changes: object) -> Session:
    fields: dict[str, object] = {
        "id": "s1",
        "tenant": "acme",
        "title": "Chemistry",
        "span": SPAN,
        "tz": "Europe/Berlin",
        "status": "SCHEDULED",
        "lifecycle": "lms",
        "busy": True,
        "created_at": NOW,
        "resources": ["teacher:ana", ResourceRef("room", "r1"), "teacher:ana"],
    }
    fields.update(changes)
    return Session(**fields)  # type: ignore[arg-type]


def recurrence() -> Recurrence:
    return Recurrence.weekly(
        days=("MO",), at=time(9), duration=timedelta(hours=1), tz="UTC", start=date(2026, 3, 1)
    )


def test_resources_are_parsed_sorted_and_deduplicated() -> None:
    s = session()
    assert s.resources == (ResourceRef("room", "r1"), ResourceRef("teacher", "ana"))
    assert str(s.resources[1]) == "teacher:ana"
    assert ResourceRef.parse("room:a:b") == ResourceRef("room", "a:b")
    with pytest.raises(InvalidValue, match="looks like 'teacher:t-17'"):
        ResourceRef.parse("ana")
    with pytest.raises(InvalidValue, match="without ':'"):
        ResourceRef("teach:er", "ana")


def test_metadata_is_read_only_and_not_part_of_equality() -> None:
    s = session(metadata={"room_note": "bring goggles"})
    with pytest.raises(TypeError):
        s.metadata["x"] = 1  # type: ignore[index]
    assert s == attrs.evolve(s, metadata={})


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"id": ""}, "Session.id must be a non-empty string"),
        ({"tenant": ""}, "Session.tenant must be a non-empty string"),
        ({"tenant": "acme "}, "Session.tenant 'acme ' must not start or end with whitespace"),
        ({"id": "a\x00b"}, "must not contain NUL"),
        ({"title": "a\ud800"}, "contains a lone surrogate"),
        ({"id": "x" * (MAX_ID_LENGTH + 1)}, "Session.id is 129 characters long"),
        ({"title": "t" * 256}, "title is 256 characters long"),
        ({"status": "S" * 65}, "Session.status is 65 characters long"),
        ({"resources": ["teacher:" + "a" * 250]}, "longer than 255 characters"),
        ({"capacity": 0}, "capacity must be a positive integer"),
        ({"occurrence_key": datetime(2026, 3, 2, 9, tzinfo=UTC), "series_id": "x"}, "naive"),
        ({"series_id": "chem"}, "needs both series_id and occurrence_key"),
    ],
)
def test_session_rejects_bad_values_by_name(changes: dict[str, object], message: str) -> None:
    with pytest.raises(InvalidValue, match=message):
        session(**changes)


def test_session_rejects_bad_types_and_zones() -> None:
    with pytest.raises(NotADatetime, match="span must be a TimeSpan"):
        session(span=(NOW, NOW))
    for changes in ({"tenant": None}, {"id": 7}, {"capacity": "3"}, {"created_by": 5}):
        with pytest.raises(WrongType):
            session(**changes)
    with pytest.raises(UnknownTimeZone):
        session(tz="Mars/Base")


def test_unchecked_sets_every_field_as_the_constructor_stores_it() -> None:
    # Every field differs from its default, so one the fast path forgot would show.
    checked = session(
        created_by="u1",
        series_id="chem",
        schedule_item_id="mo",
        occurrence_key=datetime(2026, 3, 2, 10),
        capacity=3,
        is_extra=True,
        detached=True,
        version=4,
        updated_at=NOW,
        updated_by="u2",
        metadata={"room_note": "goggles"},
        group="g1",
    )
    fields = {f.name: getattr(checked, f.name) for f in attrs.fields(Session)}
    fast = Session.unchecked(**fields)
    assert type(fast) is Session
    assert {name: getattr(fast, name) for name in fields} == fields
    assert fast == checked
    rest = {name: value for name, value in fields.items() if name != "metadata"}
    assert dict(Session.unchecked(**rest).metadata) == {}
    assert Session.unchecked(
        id="s2",
        tenant="acme",
        title="Chemistry",
        span=SPAN,
        tz="UTC",
        status="SCHEDULED",
        lifecycle="lms",
        busy=True,
        created_at=NOW,
    ) == Session(
        id="s2",
        tenant="acme",
        title="Chemistry",
        span=SPAN,
        tz="UTC",
        status="SCHEDULED",
        lifecycle="lms",
        busy=True,
        created_at=NOW,
    )
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        fast.title = "x"  # type: ignore[misc]


def test_series_rules() -> None:
    item = ScheduleItem("mo", recurrence(), ["teacher:ana"])
    series = Series(
        id="chem", tenant="acme", title="Chem", items=[item], lifecycle="lms", created_at=NOW
    )
    assert series.items == (item,)
    assert series.is_active
    assert series.item("mo") is item
    with pytest.raises(InvalidValue, match="no schedule item 'tu'"):
        series.item("tu")
    with pytest.raises(InvalidValue, match="at least one schedule item"):
        attrs.evolve(series, items=())
    with pytest.raises(InvalidValue, match="unique"):
        attrs.evolve(series, items=(item, item))
    with pytest.raises(InvalidValue, match=r"ScheduleItem\.id is 129"):
        ScheduleItem("x" * 129, recurrence())


def test_window_policy_and_calendar_months() -> None:
    assert WindowPolicy() == WindowPolicy(initial_months=2, buffer=timedelta(weeks=4))
    with pytest.raises(InvalidValue):
        WindowPolicy(initial_months=0)
    with pytest.raises(InvalidValue):
        WindowPolicy(buffer=timedelta(0))
    assert add_months(date(2026, 1, 31), 1) == date(2026, 2, 28)
    assert add_months(date(2024, 1, 31), 1) == date(2024, 2, 29)
    assert add_months(date(2026, 11, 30), 2) == date(2027, 1, 30)
    assert add_months(date(2026, 3, 15), -3) == date(2025, 12, 15)


def test_query_validation_and_cursors() -> None:
    query = SessionQuery(statuses="SCHEDULED", resources="teacher:ana", page=3, limit=20)
    assert query.statuses == ("SCHEDULED",)
    assert query.resources == (ResourceRef("teacher", "ana"),)
    assert query.offset == 40
    with pytest.raises(InvalidValue, match="sort must be"):
        SessionQuery(sort="place")  # type: ignore[arg-type]
    with pytest.raises(InvalidValue, match="limit must be between 1 and 1000"):
        SessionQuery(limit=0)
    # A window swapped by the caller matched nothing and read as "no sessions"; analytics
    # refused it already. Equal bounds stay an empty window.
    with pytest.raises(InvalidWindow) as swapped:
        SessionQuery(start_from=NOW, start_to=NOW - timedelta(days=1))
    assert swapped.value.value == (NOW, NOW - timedelta(days=1))
    assert swapped.value.expected == "start_to >= start_from"
    assert SessionQuery(start_from=NOW, start_to=NOW).start_to == NOW
    start: tuple[SortKey, ...] = (("start", "asc"),)
    with pytest.raises(InvalidValue, match="either page or after"):
        SessionQuery(page=2, after=Cursor(start, (NOW,), "s1").encode())
    cursor = Cursor(start, (NOW,), "s1")
    assert Cursor.decode(cursor.encode(), start) == cursor
    with pytest.raises(InvalidValue, match="pages by start asc, not end asc"):
        Cursor.decode(cursor.encode(), (("end", "asc"),))
    with pytest.raises(InvalidValue, match="not a cursor"):
        SessionQuery(after="garbage")
    nested = base64.urlsafe_b64encode(b"[" * 1500 + b"]" * 1500).decode()  # past recursion
    with pytest.raises(InvalidValue, match="not a cursor"):
        SessionQuery(after=nested)
    assert Page(items=(), total=101, page=1, limit=50, next_cursor=None).pages == 3


@pytest.mark.parametrize("char", ["\U0001f600", "\x01", '"', "\u00e9"])
def test_the_longest_cursor_a_page_can_make_is_taken_by_the_next(char: str) -> None:
    # A title of 255 emoji made a 4,184-character cursor, refused by the next page.
    order: tuple[SortKey, ...] = tuple(
        (field, "asc")
        for field in ("title", "group", "status", "start", "end", "created", "updated")
    )
    status = "S" * MAX_NAME_LENGTH if char in '\x01"' else char * MAX_NAME_LENGTH
    values = (char * MAX_TITLE_LENGTH, char * MAX_ID_LENGTH, status, NOW, NOW, NOW, NOW)
    ident = ("\U0001f600" if char == "\x01" else char) * MAX_ID_LENGTH
    cursor = Cursor(order, values, ident if ident.isprintable() else "s1")
    text = cursor.encode()
    assert len(text) <= MAX_CURSOR_LENGTH
    assert Cursor.decode(text, order) == cursor


@given(
    st.lists(
        st.tuples(
            st.text(min_size=1, max_size=8),
            st.text(max_size=8),
            st.datetimes(timezones=st.just(UTC)),
            st.datetimes(timezones=st.just(UTC)),
            st.integers(1, 50),
            st.integers(0, 50),
            st.integers(0, 50),
        ),
        max_size=5,
    )
)
def test_a_listing_built_unchecked_equals_one_built_field_by_field(
    rows: list[tuple[str, str, datetime, datetime, int, int, int]],
) -> None:
    built = BookableSession.unchecked_many(rows)
    # Equality reads every field: one the builder did not set fails here (AttributeError).
    assert built == [
        BookableSession(
            session_id=i,
            title=title,
            start=start,
            end=end,
            capacity=capacity,
            taken=taken,
            remaining=capacity - taken - owed,
        )
        for i, title, start, end, capacity, taken, owed in rows
    ]


def test_a_listing_refuses_a_naive_instant_and_keeps_an_aware_one_in_utc() -> None:
    # Built with no check at all, a naive start compared with the aware ones of the
    # other listings raised a bare TypeError when a caller sorted them.
    def listing(start: datetime, end: datetime) -> BookableSession:
        return BookableSession(
            session_id="s1", title="Chemistry", start=start, end=end, capacity=4, taken=1,
            remaining=3,
        )  # fmt: skip

    naive = datetime(2026, 3, 2, 9)
    later = naive + timedelta(hours=2)
    for start, end, name, bad in ((naive, NOW, "start", naive), (NOW, later, "end", later)):
        with pytest.raises(NaiveDatetime) as refused:
            listing(start, end)
        assert (refused.value.name, refused.value.value) == (f"BookableSession.{name}", bad)
    riyadh = NOW.astimezone(ZoneInfo("Asia/Riyadh"))
    listed = listing(riyadh, riyadh + timedelta(hours=1))
    assert (listed.start, listed.end, listed.start.tzinfo, listed.end.tzinfo) == (
        NOW,
        NOW + timedelta(hours=1),
        UTC,
        UTC,
    )
