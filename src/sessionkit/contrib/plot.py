"""A timeline picture of sessions per resource, with matplotlib (extra ``plot``).

:func:`timeline` draws one lane per resource (every resource, or those of one
kind: teachers, rooms, students), a bar per session in each lane it occupies,
coloured by status with a legend, and outlines in red the sessions that
overlap another busy session on the same lane, with the overlap itself shaded
(found by :func:`sessionkit.conflicts.find_conflicts`). Sessions of several
tenants get a lane per tenant and resource, labelled with the tenant: like
every conflict check in sessionkit, the picture never lets one tenant's
resource clash with another's. It returns a
:class:`matplotlib.figure.Figure`, which a notebook shows inline; ``save``
writes it to a file as well (PNG, SVG, PDF: by the suffix). A ``.pgf``
picture is LaTeX source, which matplotlib writes by running TeX on every
label: without TeX installed, ``save`` refuses it before drawing; with TeX, a
label holding ``_``, ``&``, ``#`` or ``$`` (a ``NO_SHOW`` status) stops
LaTeX, as PGF hands labels over unescaped. For a LaTeX document, save ``.pdf``.

The figure is built without pyplot, so it touches no global state and needs
no display: any backend, Agg included, can save it. This module and its
private helpers are the only ones that import matplotlib, and only when
:func:`timeline` is called: the checks of its arguments (``_plot_checks``)
and its time axis (``_plot_axis``) are kept beside it by the style's size limit.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any, Literal, cast

from sessionkit.conflicts import find_conflicts
from sessionkit.contrib._plot_axis import _formatter, _locator, _num
from sessionkit.contrib._plot_checks import _check, _check_kind, _check_output, _check_width, _zone
from sessionkit.errors import InvalidValue, WrongType
from sessionkit.errors._base import shown
from sessionkit.model.query import Page
from sessionkit.model.session import ResourceRef, Session
from sessionkit.zones import get_zone

if TYPE_CHECKING:
    from matplotlib.figure import Figure
    from matplotlib.text import Text

__all__ = ["CONFLICT_COLOR", "STATUS_COLORS", "timeline"]

STATUS_COLORS: Mapping[str, str] = {
    "SCHEDULED": "#4c78a8",
    "UNSCHEDULED": "#9ecae9",
    "PENDING": "#9ecae9",
    "OPEN": "#9ecae9",
    "READY": "#72b7b2",
    "CONFIRMED": "#4c78a8",
    "ONGOING": "#f58518",
    "CONDUCTING": "#f58518",
    "IN_PROGRESS": "#f58518",
    "COMPLETED": "#54a24b",
    "FINISHED": "#54a24b",
    "DONE": "#54a24b",
    "PAID": "#54a24b",
    "ABSENT": "#b279a2",
    "MISSED": "#b279a2",
    "NO_SHOW": "#b279a2",
    "CANCELED": "#bab0ac",
    "CANCELLED": "#bab0ac",
    "FAILED": "#9d755d",
    "REFUNDED": "#bab0ac",
}
"""The colour of each preset status (upper case); other statuses take :data:`_SPARE` in turn."""

CONFLICT_COLOR = "#e45756"
"""The outline of a conflicting session and the shade of the time it overlaps another."""

_SPARE = ("#eeca3b", "#ff9da6", "#79706e", "#d67195", "#1b9e77", "#7570b3", "#66a61e")
_NONE = "(none)"
_TENANT_SEP = " · "

_Lane = tuple[str, str] | None
"""A lane: ``(tenant, label)`` of a resource, or ``None`` for the sessions with no resource."""


def _lanes_of(session: Session, by: str) -> list[_Lane]:
    refs = [r for r in session.resources if by == "resource" or r.kind == by]
    return [(session.tenant, _label(r, by)) for r in refs] or [None]


def _lane_label(lane: _Lane, *, tenants: bool) -> str:
    if lane is None:
        return _NONE
    tenant, label = lane
    return f"{tenant}{_TENANT_SEP}{label}" if tenants else label


def _label(ref: ResourceRef, by: str) -> str:
    return str(ref) if by == "resource" else ref.id


def _plain(*texts: Text) -> None:
    """Have ``texts`` (ids, tenants, statuses, kinds, a title) drawn exactly as they read.

    Else matplotlib takes a text with two ``$`` for mathtext (``room:$5$10`` is
    drawn ``room:510`` in italics, ``a$_$`` fails at draw time) and, under
    ``text.usetex``, any text for LaTeX (``NO_SHOW`` fails). Turning parsing off
    rather than escaping ``$`` keeps ``get_text()`` the stored text as well.
    """
    for text in texts:
        text.set_parse_math(False)
        text.set_usetex(False)


def _colors(statuses: Iterable[str], colors: Mapping[str, str] | None) -> dict[str, str]:
    chosen = {**STATUS_COLORS, **{k.upper(): v for k, v in (colors or {}).items()}}
    out: dict[str, str] = {}
    spare = 0
    for status in statuses:
        key = status.upper()
        if key in chosen:
            out[status] = chosen[key]
        else:
            out[status] = _SPARE[spare % len(_SPARE)]
            spare += 1
    return out


def _height(lanes: int, entries: int, *, title: str | None) -> float:
    """The figure's height in inches: the lanes', or the legend's beside them when taller.

    The legend hangs from the top of the axes; a figure sized by its lanes alone (1.85
    inches for one) held some eight entries, cut off the rest below the picture, and
    constrained layout collapsed the axes. An entry takes a line of the legend's font and
    its spacing (1.5 lines by default); the title above takes each of its lines.
    """
    from matplotlib import rcParams
    from matplotlib.font_manager import FontProperties

    def points(size: object) -> float:
        return float(FontProperties(size=size).get_size_in_points())  # type: ignore[arg-type]

    row = max(1.0, float(rcParams["legend.handleheight"])) + float(rcParams["legend.labelspacing"])
    legend = entries * row * points(rcParams["legend.fontsize"]) / 72 + 0.25
    if title is not None:  # the title sits above the axes, the legend's top, on the same page
        lines = str(title).count("\n") + 1  # matplotlib breaks a text at each newline
        size = points(rcParams["axes.titlesize"])
        legend += (1.2 * lines * size + rcParams["axes.titlepad"]) / 72
    return max(1.4 + 0.45 * max(1, lanes), legend)


def timeline(
    sessions: Iterable[Session] | Page[Session],
    *,
    by: Literal["resource", "teacher", "room"] | str = "resource",
    tz: str | None = None,
    title: str | None = None,
    colors: Mapping[str, str] | None = None,
    width: float = 12.0,
    save: str | os.PathLike[str] | None = None,
    dpi: float = 100,
) -> Figure:
    """Return a timeline of ``sessions``: a lane per resource, statuses as colours, conflicts red.

    ``by``: ``"resource"`` gives a lane per resource of any kind, labelled
    ``kind:id``; any other text is a resource kind (``"teacher"``,
    ``"room"``, ``"student"``) and gives a lane per resource of that kind,
    labelled by id. A session with no such resource goes to a ``(none)`` lane
    at the bottom. When the sessions belong to more than one tenant, each
    tenant's resources have lanes of their own, labelled ``tenant · kind:id``
    (or ``tenant · id``). Two busy sessions overlapping on one lane (of one
    tenant, then) are outlined in red and their overlap is shaded. ``tz`` is
    the zone of the time axis (default: the sessions' zone when they share
    one, else UTC). ``colors`` maps statuses to colours over
    :data:`STATUS_COLORS`. The figure is ``width`` inches wide and as tall as
    its lanes need, or as the legend beside them when that is taller. ``save``
    also writes the figure to that path
    (format by suffix) at ``dpi``. Labels and ``title`` are drawn as given:
    a ``$`` is a dollar sign, not the start of mathtext, and no data text
    (ids, tenants, statuses, kinds, the title) goes through LaTeX, whatever
    ``text.usetex`` says.

    Raises :class:`~sessionkit.errors.WrongType` for a value that is not a
    session, :class:`~sessionkit.errors.InvalidValue` for an empty ``by`` or
    one that misspells a kind the sessions have (``"teachers"``), a session
    listed twice with different values (an exact repeat is drawn once), a
    ``width`` that is not positive, a colour, ``dpi`` or file suffix matplotlib
    would refuse, a ``.pgf`` ``save`` without TeX installed or a ``save`` path
    whose directory does not exist (all before drawing), and
    :class:`~sessionkit.errors.UnknownTimeZone` for an unknown ``tz``.
    """
    from matplotlib.figure import Figure  # imported on use: the extra is optional
    from matplotlib.patches import Patch

    found = _check(sessions)
    if not isinstance(by, str):
        raise WrongType(by, name="by", expected='"resource" or a resource kind such as "teacher"')
    if not by or ":" in by:
        raise InvalidValue(
            f'by must be "resource" or a resource kind such as "teacher", got {shown(by)}',
            value=by,
            expected='"resource" | "teacher" | "room" | another kind',
        )
    _check_width(width)
    _check_output(colors, save, dpi)
    _check_kind(found, by)
    zone = _zone(found, tz)

    # A lane is (tenant, resource), so conflicts are per tenant; the tenant is
    # shown only when there is more than one, so one tenant's picture is unchanged.
    tenants = len({s.tenant for s in found}) > 1
    occupied = {lane for s in found for lane in _lanes_of(s, by)}
    named = sorted(lane for lane in occupied if lane is not None)
    lanes: list[_Lane] = [*named, None] if None in occupied else [*named]
    row = {lane: n for n, lane in enumerate(lanes)}
    palette = _colors(sorted({s.status for s in found}), colors)

    conflicts = find_conflicts(
        found,
        resources=lambda s: tuple(lane for lane in _lanes_of(s, by) if lane is not None),
        busy=lambda s: s.busy,
    )
    clashing = {(id(c.first), c.resource) for c in conflicts}
    clashing |= {(id(c.second), c.resource) for c in conflicts}

    handles: list[Any] = [Patch(facecolor=c, label=status) for status, c in palette.items()]
    if conflicts:
        handles.append(
            Patch(facecolor=CONFLICT_COLOR, alpha=0.5, edgecolor=CONFLICT_COLOR, label="conflict")
        )
    tall = _height(len(lanes), len(handles), title=title)
    fig = Figure(figsize=(width, tall), dpi=dpi, layout="constrained")
    ax = fig.add_subplot()
    height = 0.6
    first = min((_num(s.start) for s in found), default=0.0)
    last = max((_num(s.end) for s in found), default=1.0)
    pad = max((last - first) * 0.01, 1 / 96)
    # About how many points a day is wide (the axes take some 3/4 of the figure's width).
    per_day = float(width) * 72 * 0.75 / (last - first + 2 * pad)
    # One collection per lane, status and outline, one per lane for the overlaps: a
    # collection per bar made matplotlib rescale over every earlier one as each was
    # added, so the drawing took quadratic time (4000 sessions: 13 s).
    bars: dict[tuple[int, str, bool], list[tuple[float, float]]] = {}
    for s in found:
        start, length = _num(s.start), _num(s.end) - _num(s.start)
        for lane in _lanes_of(s, by):
            clash = (id(s), lane) in clashing
            bars.setdefault((row[lane], s.status, clash), []).append((start, length))
    for (y, status, clash), spans in bars.items():
        ax.broken_barh(
            spans,
            (y - height / 2, height),
            facecolors=palette[status],
            edgecolors=CONFLICT_COLOR if clash else "white",
            # The white edge parts bars end to end; on a bar a point or two wide (an hour in
            # two months) it covered nearly all of it, and snapping to whole pixels dropped
            # a third of the bars under a pixel wide: the month's sessions were not seen.
            linewidth=2.0 if clash else [0.5 if n * per_day >= 4 else 0.0 for _, n in spans],
            snap=False,
            zorder=3 if clash else 2,
        )
    overlaps: dict[int, list[tuple[float, float]]] = {}
    for c in conflicts:
        y = row[cast("_Lane", c.resource)]  # find_conflicts hands back the lanes it was given
        left = _num(c.overlap.start)
        overlaps.setdefault(y, []).append((left, _num(c.overlap.end) - left))
    for y, spans in overlaps.items():
        ax.broken_barh(spans, (y - 0.45, 0.9), facecolors=CONFLICT_COLOR, alpha=0.35, zorder=4)

    ax.set_yticks(range(len(lanes)), labels=[_lane_label(lane, tenants=tenants) for lane in lanes])
    _plain(*(tick.label1 for tick in ax.yaxis.get_major_ticks()))  # every lane's, in view or not
    ax.set_ylim(max(len(lanes), 1) - 0.5, -0.5)
    ax.grid(axis="x", color="#dddddd", linewidth=0.6, zorder=0)
    ax.set_axisbelow(True)
    if found:
        ax.set_xlim(first - pad, last + pad)
        locator = _locator(get_zone(zone))
        ax.xaxis.set_major_locator(locator)
        ax.xaxis.set_major_formatter(_formatter(locator, get_zone(zone)))
    else:
        ax.set_xticks([])  # no instant to show: matplotlib's 0.0 .. 1.0 are no times
        ax.text(0.5, 0.5, "no sessions", ha="center", va="center", transform=ax.transAxes)
    _plain(
        ax.set_xlabel(f"time ({zone})"),
        ax.set_ylabel(f"tenant{_TENANT_SEP}{by}" if tenants else by),
    )
    if handles:
        key = ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.0, 1.0), frameon=False)
        _plain(*key.get_texts())
    if title is not None:
        _plain(ax.set_title(title))
    if save is not None:
        fig.savefig(save, dpi=dpi)
    return fig
