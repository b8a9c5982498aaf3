"""contrib.plot: the legend's room counts a title of several lines and the legend's own spacing.

The height kept one line of title above the axes and 1.5 lines of the legend's font per entry:
a title of two or three lines ("Ana's week\\nMarch 2026"), or a style with wider legend rows
(``legend.labelspacing``), pushed the last entries below the picture again.
"""

from __future__ import annotations

import pytest
from tests.unit.test_plot_legend_room import one_lane

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")

from sessionkit.contrib.plot import timeline  # noqa: E402 - after the skip


def _fits(title: str | None, **style: object) -> tuple[float, float, float]:
    with matplotlib.rc_context(style):
        fig = timeline(one_lane(12), by="teacher", title=title)
        fig.draw_without_rendering()  # lays the figure out, as saving or showing it does
        ax = fig.axes[0]
        legend = ax.get_legend()
        assert legend is not None
        assert len(legend.get_texts()) == 13  # twelve statuses and "conflict"
        box = legend.get_window_extent()
        return box.y0 - fig.bbox.y0, fig.bbox.y1 - box.y1, ax.get_window_extent().height


@pytest.mark.parametrize("title", ["Ana's week\nMarch 2026", "Ana's week\nMarch 2026\nacademy"])
def test_a_title_of_several_lines_leaves_the_legend_inside(title: str) -> None:
    below, above, axes = _fits(title)
    assert below >= -0.5  # half a pixel: the layout's rounding
    assert above >= -0.5
    assert axes > 50


@pytest.mark.parametrize("spacing", [0.8, 1.0])
def test_wider_legend_rows_leave_the_legend_inside(spacing: float) -> None:
    below, above, axes = _fits("Ana's week", **{"legend.labelspacing": spacing})
    assert below >= -0.5
    assert above >= -0.5
    assert axes > 50


def test_a_one_line_title_keeps_the_height_it_had() -> None:
    fig = timeline(one_lane(12), by="teacher", title="Ana's week")
    assert fig.get_size_inches()[1] == pytest.approx(3.2416667)  # as f290f30e made it
