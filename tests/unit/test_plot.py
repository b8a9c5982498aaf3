"""contrib.plot: the timeline's lanes, colours, conflicts and file, drawn with Agg."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from xml.etree import ElementTree
from zoneinfo import ZoneInfo

import attrs
import pytest

from sessionkit import InvalidValue, TimeSpan, UnknownTimeZone, WrongType
from sessionkit.model import Page, Session

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")

import numpy as np  # noqa: E402 - matplotlib brings it
from matplotlib import dates as mdates  # noqa: E402 - after the skip
from matplotlib.colors import to_hex, to_rgba  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.patches import Patch  # noqa: E402

from sessionkit.contrib.plot import CONFLICT_COLOR, STATUS_COLORS, timeline  # noqa: E402

NOW = datetime(2026, 3, 2, 9, tzinfo=UTC)


def session(
    sid: str,
    hour: float,
    resources: list[str],
    status: str = "SCHEDULED",
    *,
    busy: bool = True,
    tenant: str = "acme",
) -> Session:
    start = NOW + timedelta(hours=hour)
    return Session(
        id=sid,
        tenant=tenant,
        title=sid,
        span=TimeSpan(start, start + timedelta(hours=1)),
        tz="Europe/Berlin",
        status=status,
        lifecycle="lms",
        busy=busy,
        created_at=NOW,
        resources=resources,
        is_extra=True,
    )


SESSIONS = [
    session("a", 0, ["teacher:ana", "room:r1"]),
    session("b", 0.5, ["teacher:ben", "room:r1"]),  # r1 clashes with a
    session("c", 3, ["teacher:ana"], "COMPLETED"),
    session("d", 3.5, ["teacher:ana"], "CANCELED", busy=False),  # not busy: no clash
    session("e", 5, []),
]


def lanes(fig: Figure) -> list[str]:
    return [t.get_text() for t in fig.axes[0].get_yticklabels()]


def legend(fig: Figure) -> list[str]:
    found = fig.axes[0].get_legend()
    assert found is not None
    return [t.get_text() for t in found.get_texts()]


def drawn(fig: Figure) -> list[str]:
    """The texts the figure draws, read back from an SVG that keeps text as text."""
    buffer = io.BytesIO()
    with matplotlib.rc_context({"svg.fonttype": "none"}):
        fig.savefig(buffer, format="svg")
    svg = ElementTree.fromstring(buffer.getvalue())
    return ["".join(t.itertext()) for t in svg.iter("{http://www.w3.org/2000/svg}text")]


def outlined(fig: Figure) -> int:
    """How many bars carry the conflict outline (the shaded overlaps are translucent)."""
    red = [round(x, 3) for x in to_rgba(CONFLICT_COLOR)]
    count = 0
    for bars in fig.axes[0].collections:
        edges = np.asarray(bars.get_edgecolor(), dtype=float)
        if (
            len(edges)
            and bars.get_alpha() is None
            and [round(float(x), 3) for x in edges[0]] == red
        ):
            count += len(bars.get_paths())  # one path per bar
    return count


def test_a_lane_per_resource_and_a_none_lane_last() -> None:
    fig = timeline(SESSIONS)
    assert lanes(fig) == ["room:r1", "teacher:ana", "teacher:ben", "(none)"]


def test_lanes_of_one_kind_are_labelled_by_id() -> None:
    assert lanes(timeline(SESSIONS, by="teacher")) == ["ana", "ben", "(none)"]
    assert lanes(timeline(SESSIONS, by="room")) == ["r1", "(none)"]


def test_one_tenants_lanes_and_axis_label_carry_no_tenant() -> None:
    fig = timeline(SESSIONS, by="teacher")
    assert lanes(fig) == ["ana", "ben", "(none)"]
    assert fig.axes[0].get_ylabel() == "teacher"
    assert timeline(SESSIONS).axes[0].get_ylabel() == "resource"


def test_sessions_of_two_tenants_get_a_lane_per_tenant_and_resource() -> None:
    two = [
        session("a1", 0, ["teacher:ana", "room:r1"]),
        session("b1", 0, ["teacher:ana", "room:r1"], tenant="beta"),  # same time, same names
        session("b2", 2, [], tenant="beta"),
    ]
    fig = timeline(two, by="teacher")
    assert lanes(fig) == ["acme · ana", "beta · ana", "(none)"]
    assert fig.axes[0].get_ylabel() == "tenant · teacher"
    assert outlined(fig) == 0  # another tenant's ana is another teacher
    assert legend(fig) == ["SCHEDULED"]
    everything = timeline(two)
    assert lanes(everything) == [
        "acme · room:r1",
        "acme · teacher:ana",
        "beta · room:r1",
        "beta · teacher:ana",
        "(none)",
    ]
    assert outlined(everything) == 0


def test_conflicts_among_several_tenants_are_found_within_each() -> None:
    mixed = [
        session("b1", 0, ["teacher:ana"], tenant="beta"),
        session("a1", 0, ["teacher:ana"]),
        session("a2", 0.5, ["teacher:ana"]),  # clashes with a1 only
    ]
    fig = timeline(mixed, by="teacher")
    assert lanes(fig) == ["acme · ana", "beta · ana"]
    assert outlined(fig) == 2
    assert legend(fig)[-1] == "conflict"
    shaded = [bars for bars in fig.axes[0].collections if bars.get_alpha() is not None]
    assert len(shaded) == 1
    ys = np.asarray(shaded[0].get_paths()[0].vertices, dtype=float)[:, 1]
    assert (float(ys.min()), float(ys.max())) == pytest.approx((-0.45, 0.45))  # acme's lane


def test_statuses_are_coloured_and_listed_with_conflicts() -> None:
    fig = timeline(SESSIONS, by="room")
    assert legend(fig) == ["CANCELED", "COMPLETED", "SCHEDULED", "conflict"]
    colours = {
        to_hex(h.get_facecolor())
        for h in fig.axes[0].get_legend().legend_handles  # type: ignore[union-attr]
        if isinstance(h, Patch)
    }
    assert to_hex(STATUS_COLORS["COMPLETED"]) in colours


def test_only_the_overlap_on_a_shared_lane_is_a_conflict() -> None:
    assert outlined(timeline(SESSIONS, by="room")) == 2  # a and b on r1
    assert outlined(timeline(SESSIONS, by="teacher")) == 0  # ana and ben differ
    assert "conflict" not in legend(timeline(SESSIONS, by="teacher"))
    assert outlined(timeline(SESSIONS)) == 2


def test_unknown_statuses_get_spare_colours_and_colors_override() -> None:
    odd = [session("x", 0, ["room:r1"], "ON_HOLD"), session("y", 2, ["room:r1"], "WAITING")]
    fig = timeline(odd, colors={"waiting": "#000000"})
    handles = fig.axes[0].get_legend().legend_handles  # type: ignore[union-attr]
    by_label = {h.get_label(): to_hex(h.get_facecolor()) for h in handles if isinstance(h, Patch)}
    assert by_label["WAITING"] == "#000000"
    assert by_label["ON_HOLD"] not in (by_label["WAITING"], to_hex(CONFLICT_COLOR))


def test_the_axis_uses_the_shared_zone_or_the_one_given() -> None:
    assert timeline(SESSIONS).axes[0].get_xlabel() == "time (Europe/Berlin)"
    assert timeline(SESSIONS, tz="Asia/Tokyo").axes[0].get_xlabel() == "time (Asia/Tokyo)"


def test_save_writes_a_png(tmp_path: Path) -> None:
    path = tmp_path / "timeline.png"
    fig = timeline(SESSIONS, save=path, title="Week 10")
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert fig.axes[0].get_title() == "Week 10"


def test_no_sessions_draws_an_empty_timeline() -> None:
    fig = timeline([])
    assert lanes(fig) == []
    assert [t.get_text() for t in fig.axes[0].texts] == ["no sessions"]
    # No time to show: the axis had matplotlib's numbers 0.0 .. 1.0 under "time (UTC)".
    fig.canvas.draw()
    assert [t.get_text() for t in fig.axes[0].get_xticklabels()] == []
    assert fig.axes[0].get_xlabel() == "time (UTC)"


def test_bad_arguments_are_refused() -> None:
    with pytest.raises(WrongType, match="session must be a Session"):
        timeline([object()])  # type: ignore[list-item]
    with pytest.raises(WrongType):
        timeline("sessions")  # type: ignore[arg-type]
    with pytest.raises(InvalidValue, match="by must be"):
        timeline(SESSIONS, by="")
    with pytest.raises(WrongType):
        timeline(SESSIONS, by=3)  # type: ignore[arg-type]
    with pytest.raises(UnknownTimeZone):
        timeline(SESSIONS, tz="Mars/Olympus")
    with pytest.raises(InvalidValue, match="width"):
        timeline(SESSIONS, width=0)


def test_a_misspelt_kind_is_refused_not_drawn_as_one_none_lane() -> None:
    # by="teachers" put every session in "(none)" and drew no clash at all.
    with pytest.raises(InvalidValue, match="their kinds are room, teacher") as typo:
        timeline(SESSIONS, by="teachers")
    assert typo.value.value == "teachers"
    for misspelt in ("Teacher", "techer", "Rooms"):
        with pytest.raises(InvalidValue, match="no session has a resource of that kind"):
            timeline(SESSIONS, by=misspelt)
    # A kind none of them has that is no misspelling (a week online, by room) draws
    # them all in the (none) lane, as before.
    teachers_only = [s for s in SESSIONS if all(r.kind == "teacher" for r in s.resources)]
    assert lanes(timeline(teachers_only, by="room")) == ["(none)"]
    assert lanes(timeline(SESSIONS, by="student")) == ["(none)"]
    # A kind some sessions lack still gives them the (none) lane; sessions with no
    # resource at all, or none at all, draw as before.
    assert lanes(timeline(SESSIONS, by="room")) == ["r1", "(none)"]
    assert lanes(timeline([session("x", 0, [])], by="room")) == ["(none)"]
    assert lanes(timeline([], by="room")) == []


def test_a_session_listed_twice_is_drawn_once_not_as_its_own_conflict() -> None:
    # Two agendas joined (ana's and r1's) list session "a" twice; it clashed with itself.
    ana = [s for s in SESSIONS if "teacher:ana" in map(str, s.resources)]
    alone = timeline([SESSIONS[2]], by="teacher")
    twice = timeline([SESSIONS[2], SESSIONS[2]], by="teacher")
    assert legend(twice) == legend(alone) == ["COMPLETED"]
    assert len(twice.axes[0].collections) == len(alone.axes[0].collections) == 1
    joined = timeline(ana + [s for s in SESSIONS if "room:r1" in map(str, s.resources)])
    assert legend(joined) == legend(timeline(SESSIONS[:4]))
    moved = attrs.evolve(SESSIONS[2], span=SESSIONS[2].span.shift(timedelta(hours=1)), version=2)
    with pytest.raises(InvalidValue, match="listed twice, differently") as both:
        timeline([SESSIONS[2], moved])
    assert both.value.value == "c"


def test_a_data_frame_is_refused_as_such_not_read_as_its_column_names() -> None:
    pd = pytest.importorskip("pandas")
    from sessionkit.contrib.frames import to_pandas

    # It was "session must be a Session, got str 'id'", or an empty picture for a
    # frame without columns.
    for frame in (to_pandas(SESSIONS), pd.DataFrame()):
        with pytest.raises(WrongType, match="not a data frame"):
            timeline(frame)  # type: ignore[arg-type]  # the mistake under test


def test_many_sessions_make_a_collection_per_lane_and_status_not_per_bar() -> None:
    # A collection per bar made matplotlib rescale over all earlier ones on each add:
    # quadratic time, 13 s for 4000 sessions. Every bar is still drawn, one path each.
    week = [
        session(f"s{n}", 2 * n, ["teacher:ana"], "COMPLETED" if n % 2 else "SCHEDULED")
        for n in range(600)
    ]
    week.append(session("late", 0.5, ["teacher:ana"]))  # clashes with s0
    fig = timeline(week, by="teacher")
    collections = fig.axes[0].collections
    assert len(collections) <= 5  # 2 statuses x (plain, outlined) + the shaded overlaps
    assert sum(len(c.get_paths()) for c in collections) == 601 + 1
    assert outlined(fig) == 2


def test_output_options_matplotlib_would_fail_on_are_refused_by_name(tmp_path: Path) -> None:
    with pytest.raises(InvalidValue, match="dpi") as dpi:
        timeline(SESSIONS, dpi=0)
    assert dpi.value.value == 0
    with pytest.raises(InvalidValue, match="suffix") as suffix:
        timeline(SESSIONS, save=tmp_path / "x.xyz")
    assert str(suffix.value.value).endswith("x.xyz")
    assert not (tmp_path / "x.xyz").exists()
    with pytest.raises(InvalidValue, match="colour") as colour:
        timeline(SESSIONS, colors={"SCHEDULED": "notacolor"})
    assert colour.value.value == "notacolor"
    with pytest.raises(WrongType, match="key of colors"):
        timeline(SESSIONS, colors={1: "red"})  # type: ignore[dict-item]  # the mistake under test
    # What matplotlib takes stays allowed: a float or numpy dpi, a path without a suffix.
    timeline(SESSIONS, dpi=np.int64(80), save=tmp_path / "chart")  # type: ignore[arg-type]
    assert (tmp_path / "chart.png").exists()
    timeline(SESSIONS, dpi=72.5)


def test_a_save_path_in_a_missing_directory_is_refused_before_drawing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def never(*_: object, **__: object) -> None:
        raise AssertionError("drew a figure that cannot be saved")

    monkeypatch.setattr(Figure, "add_subplot", never)
    missing = tmp_path / "no-such-dir" / "week.png"
    with pytest.raises(InvalidValue, match="does not exist") as caught:
        timeline(SESSIONS, save=missing)
    assert caught.value.value == str(missing)
    assert caught.value.expected == "a path in an existing directory"
    assert str(tmp_path / "no-such-dir") in str(caught.value)
    assert not missing.parent.exists()
    afile = tmp_path / "notes.txt"
    afile.write_text("")
    with pytest.raises(InvalidValue, match="is not a directory") as under_a_file:
        timeline(SESSIONS, save=str(afile / "week.svg"))
    assert under_a_file.value.value == str(afile / "week.svg")


def test_a_page_of_sessions_is_drawn_as_its_sessions() -> None:
    page = Page(items=tuple(SESSIONS), total=len(SESSIONS), page=1, limit=50, next_cursor=None)
    assert lanes(timeline(page)) == lanes(timeline(SESSIONS))


DOLLARS = [
    session("m1", 0, ["room:$5$10 room", "teacher:a$_$"], "$x_$", tenant="co$t$"),
    session("m2", 0, ["$k$:x"], "PAID$"),
]


def test_dollar_signs_in_data_are_drawn_as_stored_not_as_mathtext() -> None:
    # '$5$10' was drawn as mathtext ('510', in italics); 'a$_$' and '$x_$' made savefig,
    # and a notebook showing the figure, fail with matplotlib's own ValueError.
    fig = timeline(DOLLARS, title="Fees $5$10 a$_$")
    stored = ["acme · $k$:x", "co$t$ · room:$5$10 room", "co$t$ · teacher:a$_$"]
    assert lanes(fig) == stored
    assert legend(fig) == ["$x_$", "PAID$"]
    assert fig.axes[0].get_title() == "Fees $5$10 a$_$"
    fig.savefig(io.BytesIO(), format="png")  # Agg, as a notebook shows it
    assert {*stored, "$x_$", "PAID$", "Fees $5$10 a$_$"} <= set(drawn(fig))
    by_kind = timeline(DOLLARS, by="$k$")
    assert lanes(by_kind) == ["acme · x", "(none)"]
    assert "tenant · $k$" in drawn(by_kind)


def test_data_text_is_never_handed_to_latex() -> None:
    # Under text.usetex a status such as NO_SHOW ('_' outside math) stops LaTeX.
    with matplotlib.rc_context({"text.usetex": True}):
        fig = timeline([*SESSIONS, session("n", 7, ["room:r_2"], "NO_SHOW")], title="Week_10")
    ax = fig.axes[0]
    key = ax.get_legend()
    assert key is not None
    texts = [*ax.get_yticklabels(), *key.get_texts(), ax.title, ax.xaxis.label, ax.yaxis.label]
    assert "NO_SHOW" in [t.get_text() for t in texts]
    assert [t for t in texts if t.get_usetex()] == []


def test_a_pgf_file_without_tex_is_refused_before_drawing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # matplotlib runs TeX on every label to write PGF: without it, savefig failed with a
    # RuntimeError only after the whole figure was drawn.
    import shutil

    monkeypatch.setattr(shutil, "which", lambda _name: None)  # no TeX, wherever this runs
    monkeypatch.setattr(Figure, "add_subplot", lambda *_a, **_k: pytest.fail("drew it"))
    for path in (tmp_path / "week.pgf", tmp_path / "week.PGF"):
        with pytest.raises(InvalidValue, match="through TeX") as caught:
            timeline(SESSIONS, save=path)
        assert caught.value.value == str(path)
        assert "'xelatex'" in str(caught.value)
        assert "xelatex on PATH" in str(caught.value.expected)
        assert not path.exists()
    with (
        matplotlib.rc_context({"savefig.format": "pgf", "pgf.texsystem": "lualatex"}),
        pytest.raises(InvalidValue, match="'lualatex'"),
    ):
        timeline(SESSIONS, save=tmp_path / "week")  # no suffix: matplotlib's savefig.format


def test_a_pgf_file_with_tex_is_left_to_matplotlib(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import shutil

    saved: list[object] = []
    monkeypatch.setattr(shutil, "which", lambda name: f"/usr/bin/{name}")
    monkeypatch.setattr(Figure, "savefig", lambda _fig, path, **_k: saved.append(path))
    timeline(SESSIONS, save=tmp_path / "week.pgf")
    assert saved == [tmp_path / "week.pgf"]


@pytest.mark.parametrize(
    ("start", "labels"),
    [
        # Berlin falls back at 03:00 CEST (01:00 UTC): 02:00-03:00 comes twice.
        (
            datetime(2026, 10, 25, 0, 0, tzinfo=UTC),
            ["01:45", "02:00", "02:15", "02:30", "02:45", "02:00", "02:15", "02:30"],
        ),
        # Berlin springs forward at 02:00 CET (01:00 UTC): 02:00-03:00 never comes.
        (
            datetime(2026, 3, 29, 0, 0, tzinfo=UTC),
            ["00:45", "01:00", "01:15", "01:30", "01:45", "03:00", "03:15", "03:30"],
        ),
    ],
)
def test_ticks_keep_their_step_across_a_dst_change(start: datetime, labels: list[str]) -> None:
    # matplotlib stepped the zone's wall clock: across the fall-back an hour had no tick
    # (02:45 CEST, then 03:00 CET), in spring ticks were placed twice.
    span = TimeSpan(start, start + timedelta(hours=2))
    lesson = attrs.evolve(session("dst", 0, ["teacher:ana"]), span=span)
    fig = timeline([lesson])
    fig.canvas.draw()
    ax = fig.axes[0]
    ticks = ax.get_xticks()
    steps = np.round(np.diff(ticks) * 24 * 60, 6)
    assert set(steps) == {15.0}
    assert [t.get_text() for t in ax.get_xticklabels()][:8] == labels


def test_ticks_of_days_across_a_dst_change_stay_on_the_zones_midnights() -> None:
    # Twenty days over Berlin's spring change: day ticks stay on Berlin's midnights.
    fig = timeline([session(f"d{n}", 24 * (18 + n), ["teacher:ana"]) for n in range(20)])
    fig.canvas.draw()
    ax = fig.axes[0]
    zone = ZoneInfo("Europe/Berlin")
    when = [mdates.num2date(t, tz=zone) for t in ax.get_xticks()]  # type: ignore[no-untyped-call]  # untyped upstream
    wall = [w.strftime("%H:%M") for w in when]
    assert set(wall) == {"00:00"}


def test_a_day_whose_midnight_never_comes_is_labelled_with_its_date() -> None:
    # Santiago springs from 00:00 to 01:00 on 2026-09-06: that day's tick, at its first
    # instant, was labelled "01:00" among dates ("Sep-04", "Sep-05", "01:00", "Sep-07").
    zone = ZoneInfo("America/Santiago")

    def noon(day: int) -> Session:
        start = datetime(2026, 9, day, 12, tzinfo=zone).astimezone(UTC)
        lesson = session(f"d{day}", 0, ["teacher:ana"])
        return attrs.evolve(lesson, span=TimeSpan(start, start + timedelta(hours=1)), tz=str(zone))

    fig = timeline([noon(day) for day in range(3, 9)])
    fig.canvas.draw()
    ax = fig.axes[0]
    when = [mdates.num2date(t, tz=zone) for t in ax.get_xticks()]  # type: ignore[no-untyped-call]  # untyped upstream
    assert [w.strftime("%d %H:%M") for w in when] == [
        "04 00:00", "05 00:00", "06 01:00", "07 00:00", "08 00:00",
    ]  # fmt: skip
    assert [t.get_text() for t in ax.get_xticklabels()] == ["04", "05", "06", "07", "08"]
    assert ax.xaxis.get_major_formatter().get_offset() == "2026-Sep"
    # Hours across the gap keep their wall-clock times: 00:00 never comes.
    start = datetime(2026, 9, 5, 22, tzinfo=zone).astimezone(UTC)
    late = attrs.evolve(noon(5), span=TimeSpan(start, start + timedelta(hours=3)))
    fig = timeline([late])
    fig.canvas.draw()
    labels = [t.get_text() for t in fig.axes[0].get_xticklabels()]
    assert "01:00" in labels
    assert "00:00" not in labels


def test_a_numpy_width_is_a_width_as_a_numpy_dpi_is_a_dpi() -> None:
    # Read off a frame (df["x"].max()), a width is np.int64 or np.float32: it was refused
    # as "width must be 0 < width <= 100 inches, got np.int64(10)", where dpi took them.
    widths: list[Any] = [np.int64(10), np.float32(10.5)]
    dpi: Any = np.int64(80)
    for width in widths:
        fig = timeline(SESSIONS, width=width, dpi=dpi)
        assert fig.get_size_inches()[0] == pytest.approx(float(width))
    wrongs: list[Any] = [np.int64(0), np.float64("nan"), np.True_]
    for wrong in wrongs:
        with pytest.raises(InvalidValue, match="width"):
            timeline(SESSIONS, width=wrong)


def test_bars_narrower_than_their_edge_are_still_seen() -> None:
    # An hour a day for two months: each bar is under a pixel wide. The white 0.5 pt edge
    # that parts bars end to end covered them, and snapping to whole pixels dropped a third.
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    daily = [session(f"s{day}", 24 * day, ["teacher:ana"]) for day in range(60)]
    fig = timeline(daily, by="teacher")
    canvas: Any = FigureCanvasAgg(fig)  # its draw and buffer_rgba are untyped upstream
    canvas.draw()
    pixels = np.asarray(canvas.buffer_rgba())[..., :3].astype(int)
    box = fig.axes[0].get_window_extent()
    height = pixels.shape[0]
    inside = pixels[height - int(box.y1) : height - int(box.y0), int(box.x0) : int(box.x1)]
    blue = (inside[..., 2] - inside[..., 0]) > 30  # SCHEDULED's #4c78a8; white and grey are not
    columns = np.concatenate([[0], blue.any(axis=0).astype(int)])
    assert np.count_nonzero(np.diff(columns) == 1) == 60  # every bar, each apart
    assert STATUS_COLORS["SCHEDULED"] == "#4c78a8"


def test_bars_wide_enough_keep_the_white_edge_that_parts_them() -> None:
    back_to_back = [session("a", 0, ["teacher:ana"]), session("b", 1, ["teacher:ana"])]
    [bars] = timeline(back_to_back, by="teacher").axes[0].collections
    edges = np.asarray(bars.get_edgecolor(), dtype=float)
    assert {to_hex(tuple(edge)) for edge in edges} == {"#ffffff"}
    assert set(np.asarray(bars.get_linewidth(), dtype=float).tolist()) == {0.5}
