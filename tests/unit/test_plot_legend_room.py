"""contrib.plot: a legend taller than the lanes still fits in the figure, all of it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from sessionkit import TimeSpan
from sessionkit.model import Session

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")

from sessionkit.contrib.plot import timeline  # noqa: E402 - after the skip

NOW = datetime(2026, 3, 2, 8, tzinfo=UTC)

# One teacher's week in a tenant that runs academy and consulting sessions: twelve statuses.
STATUSES = [
    "UNSCHEDULED",
    "SCHEDULED",
    "READY",
    "ONGOING",
    "COMPLETED",
    "ABSENT",
    "CANCELLED",
    "PENDING",
    "CONFIRMED",
    "NO_SHOW",
    "FINISHED",
    "CANCELED",
]


def lesson(sid: str, hours: float, status: str) -> Session:
    start = NOW + timedelta(hours=hours)
    return Session(
        id=sid,
        tenant="acme",
        title=sid,
        span=TimeSpan(start, start + timedelta(hours=1)),
        tz="Europe/Berlin",
        status=status,
        lifecycle="academy",
        busy=True,
        created_at=NOW,
        resources=("teacher:ana",),
        is_extra=True,
    )


def one_lane(count: int) -> list[Session]:
    found = [lesson(f"s{n}", 2 * n, status) for n, status in enumerate(STATUSES[:count])]
    return [*found, lesson("clash", 0.5, STATUSES[0])]  # a conflict: one more legend entry


@pytest.mark.parametrize("title", [None, "Ana's week"])
@pytest.mark.parametrize("count", [3, 8, 12])
def test_every_legend_entry_is_inside_the_figure(count: int, title: str | None) -> None:
    # One lane made a figure 1.85 inches high, which holds about eight entries: the rest
    # of the legend was cut off below the picture, and constrained layout gave up with
    # a UserWarning ("axes sizes collapsed to zero"), drawing the lane squashed.
    fig = timeline(one_lane(count), by="teacher", title=title)
    fig.draw_without_rendering()  # lays the figure out, as saving or showing it does
    legend = fig.axes[0].get_legend()
    assert legend is not None
    assert len(legend.get_texts()) == count + 1  # the statuses and "conflict"
    box, page = legend.get_window_extent(), fig.bbox
    assert box.y0 >= page.y0 - 0.5  # half a pixel: the layout's rounding
    assert box.y1 <= page.y1 + 0.5
    axes = fig.axes[0].get_window_extent()
    assert axes.height > 50  # the lane is drawn at a readable height, not collapsed


def test_a_few_statuses_keep_the_lanes_height() -> None:
    # The height grows only for a legend that needs it: one lane, two statuses, no conflict.
    fig = timeline(one_lane(2)[:2], by="teacher")
    assert fig.get_size_inches()[1] == pytest.approx(1.4 + 0.45)
