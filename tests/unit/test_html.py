"""HTML tables for notebooks: escaped, bounded, on every value a notebook shows."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser

import attrs
import pytest

from sessionkit import InvalidValue, WrongType
from sessionkit.model import Page, Session
from sessionkit.model.html import cell, html_of, html_table
from sessionkit.services._payment_calls import DueReport
from sessionkit.services._tick_run import TickFailure, TickReport
from sessionkit.services.reports import (
    CleanupReport,
    ExpiryReport,
    MaterialiseReport,
    Orphan,
    ReconcileReport,
    Skipped,
    TopUpFailure,
    TopUpReport,
)
from sessionkit.testing.contract._booking_support import make_booking
from sessionkit.testing.contract.payments import make_payment
from sessionkit.testing.contract.reschedules import make_reschedule
from sessionkit.timespan import TimeSpan


class Cells(HTMLParser):
    """The text of every cell and caption, as a browser would show it."""

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[list[str]] = []
        self.captions: list[str] = []
        self.tags: list[str] = []
        self._in: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        if tag == "tr":
            self.rows.append([])
        if tag in ("td", "th", "caption"):
            self._in = tag
            if tag != "caption":
                self.rows[-1].append("")
            else:
                self.captions.append("")

    def handle_endtag(self, tag: str) -> None:
        self._in = None

    def handle_data(self, data: str) -> None:
        if self._in == "caption":
            self.captions[-1] += data
        elif self._in is not None:
            self.rows[-1][-1] += data


NOW = datetime(2026, 3, 2, 9, tzinfo=UTC)


def session(n: int = 1, **changes: object) -> Session:
    start = NOW + timedelta(hours=n)
    fields: dict[str, object] = {
        "id": f"s{n}",
        "tenant": "acme",
        "title": f"Chemistry {n}",
        "span": TimeSpan(start, start + timedelta(hours=1)),
        "tz": "Europe/Berlin",
        "status": "SCHEDULED",
        "lifecycle": "lms",
        "busy": True,
        "created_at": NOW,
        "resources": ["teacher:ana"],
        "is_extra": True,
    }
    fields.update(changes)
    return Session(**fields)  # type: ignore[arg-type]


def parse(text: str) -> Cells:
    parser = Cells()
    parser.feed(text)
    parser.close()
    return parser


def test_text_from_values_is_escaped_never_markup() -> None:
    hostile = '<script>alert("x")</script>&'
    out = html_of(session(title=hostile))
    assert "<script>" not in out
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;" in out
    cells = parse(out)
    assert ["title", hostile] in cells.rows
    assert set(cells.tags) <= {"table", "caption", "thead", "tbody", "tr", "th", "td"}


def test_captions_and_column_names_are_escaped_too() -> None:
    out = html_table([{"<b>": 1}], caption="<i>x</i>")
    cells = parse(out)
    assert cells.captions == ["<i>x</i>"]
    assert cells.rows[0] == ["<b>"]
    assert "<i>" not in out
    assert "<b>" not in out


def test_a_session_shows_its_record_as_field_value_rows() -> None:
    cells = parse(session()._repr_html_())
    assert cells.captions == ["Session"]
    assert cells.rows[0] == ["field", "value"]
    assert cells.rows[1] == ["id", "s1"]
    assert ["start", "2026-03-02 10:00:00Z"] in cells.rows
    assert ["tz", "Europe/Berlin"] in cells.rows
    assert ["updated_at", ""] in cells.rows


@pytest.mark.parametrize(
    ("value", "caption", "row"),
    [
        (
            make_booking("b1", session_id="s1", status="CONFIRMED"),
            "Booking",
            ["status", "CONFIRMED"],
        ),
        (make_payment("p1", amount="10.50"), "Payment", ["amount", "10.50"]),
        (make_reschedule("r1"), "RescheduleRequest", ["role", "student"]),
    ],
)
def test_bookings_payments_and_reschedules_show_their_records(
    value: object, caption: str, row: list[str]
) -> None:
    cells = parse(value._repr_html_())  # type: ignore[attr-defined]
    assert cells.captions == [caption]
    assert row in cells.rows


def test_attendance_usage_and_subscriptions_show_their_records() -> None:
    # 99cd063b gave them _repr_html_: each shows its record, every column, text escaped.
    from sessionkit.model import ResourceRef
    from sessionkit.model.attendance import Attendance, AttendanceOverride, Interval
    from sessionkit.model.records import ATTENDANCE, SUBSCRIPTION, USAGE
    from sessionkit.testing.contract.usage import make_entry, make_subscription

    told = AttendanceOverride(
        id="o1", tenant="acme", session_id="s1", participant="student:ana", status="present",
        minutes=55, decided_by="<b>tara</b>", decided_at=NOW,
    )  # fmt: skip
    ana = Attendance(
        session_id="s1", participant=ResourceRef("student", "ana"), status="late",
        intervals=(Interval(NOW, None),), attended=timedelta(minutes=43), override=told,
    )  # fmt: skip
    for value, schema, caption, rows in (
        (ana, ATTENDANCE, "Attendance", [["override_by", "<b>tara</b>"], ["last_left", ""]]),
        (make_entry("u1"), USAGE, "UsageEntry", [["id", "u1"], ["active", "True"]]),
        (make_subscription("sub1"), SUBSCRIPTION, "Subscription", [["id", "sub1"]]),
    ):
        text = value._repr_html_()
        assert "<b>" not in text
        cells = parse(text)
        assert cells.captions == [caption]
        assert [row[0] for row in cells.rows[1:]] == list(schema.names)
        for row in rows:
            assert row in cells.rows
    assert ["first_joined", "2026-03-02 09:00:00Z"] in parse(ana._repr_html_()).rows


def test_a_page_shows_its_items_with_the_paging_in_the_caption() -> None:
    page = Page(items=(session(1), session(2)), total=7, page=2, limit=2, next_cursor="c")
    cells = parse(page._repr_html_())
    assert cells.captions == ["Page 2 of 4: 2 of 7"]
    assert cells.rows[0][:3] == ["id", "tenant", "title"]
    assert [r[0] for r in cells.rows[1:]] == ["s1", "s2"]


def test_rows_past_the_limit_are_counted_not_shown() -> None:
    out = html_table([{"n": n} for n in range(7)], limit=3)
    cells = parse(out)
    assert cells.rows == [["n"], ["0"], ["1"], ["2"], ["... 4 more row(s)"]]


@pytest.mark.parametrize("limit", [0, -1, True, 2.5, "3"])
def test_a_bad_limit_is_refused(limit: object) -> None:
    with pytest.raises((InvalidValue, WrongType)):
        html_table([], limit=limit)  # type: ignore[arg-type]


@pytest.mark.parametrize("bad", ["text", 3, {"a": 1}, [1, 2]])
def test_records_must_be_mappings(bad: object) -> None:
    with pytest.raises(WrongType):
        html_table(bad)  # type: ignore[arg-type]


def test_html_of_refuses_what_it_cannot_show() -> None:
    with pytest.raises(WrongType, match="value must be"):
        html_of(object())


def test_a_materialise_report_lists_created_and_skipped() -> None:
    blocking = session(9)
    span = TimeSpan(NOW, NOW + timedelta(hours=1))
    report = MaterialiseReport(
        tenant="acme",
        series_id="chem",
        window=span,
        created=(session(1), session(2)),
        skipped=(
            Skipped(
                series_id="chem",
                item_id="weekly",
                key=datetime(2026, 3, 2, 10),
                span=span,
                reason="conflict",
                blocking=blocking,
            ),
        ),
    )
    cells = parse(report._repr_html_())
    assert cells.captions == ["MaterialiseReport", "created (2)", "skipped (1)"]
    assert ["series_id", "chem"] in cells.rows
    assert ["window", "2026-03-02 09:00:00Z - 2026-03-02 10:00:00Z"] in cells.rows
    header = cells.rows[
        cells.rows.index(["series_id", "item_id", "key", "span", "reason", "blocking", "resource"])
    ]
    assert header
    skipped_row = cells.rows[-1]
    assert skipped_row[4:6] == ["conflict", "s9"]  # the blocking session by its id


def test_empty_tuple_fields_say_none_and_failures_show_the_error() -> None:
    report = TopUpReport(
        now=NOW,
        checked=3,
        failed=(TopUpFailure(tenant="acme", series_id="x", error=ValueError("<boom>")),),
    )
    out = report._repr_html_()
    cells = parse(out)
    assert ["refilled", "(none)"] in cells.rows
    assert ["acme", "x", "ValueError: <boom>"] in cells.rows
    assert "<boom>" not in out


def test_every_report_shows_a_table() -> None:
    reports: list[object] = [
        ExpiryReport(expired=2, offered=1, sessions=1, more=True),
        CleanupReport(removed=(session(1),), kept=((session(2), "locked"),)),
        ReconcileReport(
            tenant="acme",
            series_id="chem",
            cutoff=NOW,
            orphans=(Orphan(session=session(3), reason="started"),),
        ),
    ]
    found = [parse(r._repr_html_()) for r in reports]  # type: ignore[attr-defined]
    assert ["more", "True"] in found[0].rows
    assert ["s2", "locked"] in found[1].rows
    assert ["#1", "#2"] in found[1].rows
    assert ["s3", "started"] in found[2].rows


def _report_classes() -> list[type]:
    """Every report class a service returns: the attrs classes named ``...Report``."""
    import importlib
    import pkgutil

    import sessionkit.services

    found: dict[str, type] = {}
    for module in pkgutil.iter_modules(sessionkit.services.__path__):
        loaded = importlib.import_module(f"sessionkit.services.{module.name}")
        for name, value in vars(loaded).items():
            if name.endswith("Report") and isinstance(value, type) and attrs.has(value):
                found[f"{value.__module__}.{name}"] = value
    return [found[key] for key in sorted(found)]


def test_every_report_of_the_services_is_a_notebook_table() -> None:
    # docs/notebooks.md: "the services' reports show themselves as HTML tables". A tick's,
    # the due payment calls', approve_due's, record_presence's and close_group's did not.
    classes = _report_classes()
    assert {"TickReport", "DueReport", "RescheduleReport", "PresenceReport"} <= {
        c.__name__ for c in classes
    }
    assert [c.__name__ for c in classes if "_repr_html_" not in dir(c)] == []
    tick = TickReport(
        now=NOW,
        expired=2,
        failed=(
            TickFailure(
                kind="expire_holds",
                tenant="acme",
                item_id="b1",
                error=InvalidValue("boom", value=1),
            ),
        ),
    )
    shown = parse(tick._repr_html_())
    assert ["expired", "2"] in shown.rows
    assert ["expire_holds", "acme", "b1", "InvalidValue: boom"] in shown.rows
    due = parse(
        DueReport(done=1, failed=(("p1", "refund", InvalidValue("<b>", value=1)),))._repr_html_()
    )
    assert ["p1", "refund", "InvalidValue: <b>"] in due.rows


def test_the_one_line_repr_for_anything_with_records() -> None:
    @attrs.frozen
    class Rates:
        rows: tuple[tuple[str, float], ...]

        def to_records(self) -> list[dict[str, object]]:
            return [{"teacher": t, "no_show_rate": r} for t, r in self.rows]

        _repr_html_ = html_of

    cells = parse(Rates((("ana", 0.25), ("ben", 0.0)))._repr_html_())
    assert cells.captions == ["Rates"]
    assert cells.rows == [["teacher", "no_show_rate"], ["ana", "0.25"], ["ben", "0.0"]]


def test_cells() -> None:
    assert cell(None) == ""
    assert cell(datetime(2026, 3, 2, 10, tzinfo=UTC)) == "2026-03-02 10:00:00Z"
    assert cell(datetime(2026, 3, 2, 10)) == "2026-03-02 10:00:00"
    assert cell((1, "a")) == "1, a"
    assert cell(KeyError("k")) == "KeyError: 'k'"
    assert cell(session(4)) == "s4"
