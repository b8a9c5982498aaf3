"""Own-field values and filters: what may be stored, what may be filtered, how it matches."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from sessionkit.errors import InvalidValue, WrongType
from sessionkit.model import SessionQuery
from sessionkit.model.fields import (
    check_field_key,
    field_filters,
    field_matches,
    field_value,
    text_contains,
)
from sessionkit.model.query import Cursor, SortKey


@pytest.mark.parametrize(
    ("value", "stored"),
    [
        (None, None),
        ("x", "x"),
        (True, True),
        (-(2**63), -(2**63)),
        (2.5, 2.5),
        (9999999999999998.0, 9999999999999998.0),  # the largest float below the limit
        ((1, [2, (3,)]), [1, [2, [3]]]),
        ({"a": {"b": [None, False]}}, {"a": {"b": [None, False]}}),
    ],
)
def test_json_values_are_copied(value: Any, stored: Any) -> None:
    assert field_value("k", value) == stored


@pytest.mark.parametrize(
    "value",
    [
        float("inf"),
        float("nan"),
        2**63,
        datetime(2026, 1, 1, tzinfo=UTC),
        {1, 2},
        b"bytes",
        {"a": {3: "x"}},
        [object()],
        # Read back as ints on PostgreSQL (jsonb keeps "1e+16" as 10000000000000000).
        1e16,
        -1.5e20,
        [1e300],
    ],
)
def test_other_values_are_refused_naming_the_key(value: Any) -> None:
    with pytest.raises(InvalidValue, match="'grade'"):
        field_value("grade", value)


def test_field_keys() -> None:
    assert check_field_key("meeting-link") == "meeting-link"
    for bad in ("", "x" * 65, "a\x00"):
        with pytest.raises(InvalidValue, match="field key"):
            check_field_key(bad)
    for wrong in (3, None):
        with pytest.raises(WrongType, match="field key"):
            check_field_key(wrong)


def test_filters_are_normalised_by_key_and_json_type() -> None:
    many: list[str | int | bool] = [True, 1, "1", 1, True, False]
    assert field_filters({"b": "x", "a": many}) == (
        ("a", (False, True, 1, "1")),
        ("b", ("x",)),
    )
    assert field_filters(None) == ()
    assert SessionQuery(fields={"platform": {"zoom"}}).fields == (("platform", ("zoom",)),)


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"a.b": 1}, "plain identifier"),
        ({"$": 1}, "plain identifier"),
        ({"1a": 1}, "plain identifier"),
        ({"a": None}, "strings, integers or booleans"),
        ({"a": 1.5}, "strings, integers or booleans"),
        ({"a": [["x"]]}, "strings, integers or booleans"),
        ({"a": []}, "at least one value"),
        ({"a": 2**64}, "64 bits"),
        ({"x" * 65: 1}, "field key"),
    ],
)
def test_bad_filters_are_refused(fields: dict[str, Any], message: str) -> None:
    with pytest.raises(InvalidValue, match=message):
        SessionQuery(fields=fields)


@pytest.mark.parametrize(
    ("stored", "values", "matches"),
    [
        ("1", (1,), False),
        (1, ("1",), False),
        (True, (1,), False),
        (1, (True,), False),
        (1.0, (1,), False),
        (1, (1,), True),
        (False, (True, False), True),
        (["zoom"], ("zoom",), False),
        ("zoom ", ("zoom",), False),
        (None, ("None",), False),
    ],
)
def test_matching_compares_json_type_and_value(
    stored: object, values: tuple[str | int | bool, ...], matches: bool
) -> None:
    assert field_matches({"k": stored}, "k", values) is matches
    assert field_matches({}, "k", values) is False


def test_orders_are_validated() -> None:
    query = SessionQuery(order=[("status", "asc"), ("title", "desc")])
    assert query.ordering == (("status", "asc"), ("title", "desc"))
    assert SessionQuery(sort="group", descending=True).ordering == (("group", "desc"),)
    for order, message in [
        ([("place", "asc")], "cannot sort by"),
        ([("title", "up")], "direction"),
        ([("title", "asc"), ("title", "desc")], "twice"),
        (["title"], "pairs"),
    ]:
        with pytest.raises(InvalidValue, match=message):
            SessionQuery(order=order)  # type: ignore[arg-type]
    with pytest.raises(InvalidValue, match="either order or sort"):
        SessionQuery(order=[("title", "asc")], sort="end")
    with pytest.raises(InvalidValue, match="group must be"):
        SessionQuery(group="")


def test_cursors_carry_every_key() -> None:
    order: tuple[SortKey, ...] = (("start", "desc"), ("title", "asc"), ("group", "asc"))
    when = datetime(2026, 3, 2, 9, tzinfo=UTC)
    cursor = Cursor(order, (when, "Algebra", ""), "s1")
    assert Cursor.decode(cursor.encode(), order) == cursor
    with pytest.raises(InvalidValue, match="pages by start desc, title asc, group asc"):
        Cursor.decode(cursor.encode(), order[:2])
    naive = Cursor(order, (when.replace(tzinfo=None), "a", ""), "s1").encode()
    with pytest.raises(InvalidValue, match="not a cursor"):
        Cursor.decode(naive, order)


def test_search_fields_are_keys_each_once_and_need_a_search() -> None:
    query = SessionQuery(search="asha", search_fields=["email", "client", "email"])
    assert query.search_fields == ("client", "email")
    assert SessionQuery(search="asha", search_fields="client").search_fields == ("client",)
    assert SessionQuery(search="asha").search_fields == ()
    with pytest.raises(InvalidValue, match=r"the search fields \(client\) need a search") as alone:
        SessionQuery(search_fields=["client"])
    assert alone.value.value == ("client",)
    with pytest.raises(InvalidValue, match="a search field must be a plain identifier") as odd:
        SessionQuery(search="a", search_fields=["e-mail"])
    assert odd.value.value == "e-mail"
    with pytest.raises(WrongType, match="search_fields"):
        SessionQuery(search="a", search_fields={"client": 1})
    with pytest.raises(InvalidValue, match="at most 32 search fields"):
        SessionQuery(search="a", search_fields=[f"f{n}" for n in range(33)])
    assert SessionQuery(search="a", search_fields=["a"] * 33).search_fields == ("a",)
    with pytest.raises(WrongType, match="a search field") as number:
        SessionQuery(search="a", search_fields=["client", 7])  # type: ignore[list-item]
    assert number.value.value == 7


def test_text_contains_matches_text_only_ignoring_case() -> None:
    fields = {"client": "Asha.Rao@Example.com", "level": 1, "tags": ["asha"]}
    assert text_contains(fields, "client", "asha.rao@EXAMPLE")
    assert not text_contains(fields, "client", "meera")
    assert not text_contains(fields, "level", "1")
    assert not text_contains(fields, "tags", "asha")
    assert not text_contains(fields, "missing", "a")
