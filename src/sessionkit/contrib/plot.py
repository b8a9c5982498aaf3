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
no display: any backend, Agg included, can save it. This is the only module
that imports matplotlib, and only when :func:`timeline` is called.
"""

from __future__ import annotations

import difflib
import os
import shutil
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, time, timedelta, timezone, tzinfo
from numbers import Real
from typing import TYPE_CHECKING, Any, Literal, cast

from sessionkit.conflicts import find_conflicts
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


def _check(sessions: Iterable[Session] | Page[Session]) -> list[Session]:
    if isinstance(sessions, Page):
        sessions = sessions.items  # a Page stands for its sessions, as in to_pandas
    if isinstance(sessions, str | bytes | Mapping) or not isinstance(sessions, Iterable):
        raise WrongType(sessions, name="sessions", expected="an iterable of Session")
    if hasattr(sessions, "columns") and hasattr(sessions, "shape"):
        # A pandas or polars frame iterates over its column names (or nothing when it
        # has none, which drew an empty timeline): name what it is instead.
        raise WrongType(
            sessions,
            name="sessions",
            expected="an iterable of Session, not a data frame; pass the sessions or page "
            "the frame was made from",
        )
    found: dict[tuple[str, str], Session] = {}
    for s in sessions:
        if not isinstance(s, Session):
            raise WrongType(s, name="session", expected="a Session")
        # One session listed twice (two agendas or pages joined) is drawn once: else it
        # overlapped itself and every bar was outlined as a conflict.
        seen = found.setdefault((s.tenant, s.id), s)
        if seen != s:
            raise InvalidValue(
                f"session {shown(s.id)} of {shown(s.tenant)} is listed twice, differently "
                f"(versions {seen.version} and {s.version}); pass one of each session",
                value=s.id,
                expected="each session once (an exact repeat is drawn once)",
            )
    return list(found.values())


def _check_kind(sessions: list[Session], by: str) -> None:
    """Refuse a ``by`` that misspells a kind the sessions have (and is none of their kinds).

    Else every session went to the ``(none)`` lane: a typo (``"teachers"``,
    ``"Teacher"``, ``"techer"``) drew one lane and hid every clash. A kind
    that merely none of these sessions has (``"room"`` for a week online)
    still draws them all in the ``(none)`` lane.
    """
    kinds = sorted({r.kind for s in sessions for r in s.resources})
    if by == "resource" or by in kinds:
        return
    folded = {kind.casefold(): kind for kind in kinds}
    near = difflib.get_close_matches(by.casefold(), list(folded), n=1, cutoff=0.75)
    if not near:
        return
    raise InvalidValue(
        f"by={shown(by)}: no session has a resource of that kind; did you mean "
        f"{shown(folded[near[0]])}? (their kinds are {', '.join(kinds)})",
        value=by,
        expected=f'"resource" or one of {", ".join(map(shown, kinds))}',
    )


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


def _zone(sessions: list[Session], tz: str | None) -> str:
    if tz is not None:
        get_zone(tz)  # raises UnknownTimeZone naming it
        return tz
    zones = {s.tz for s in sessions}
    return zones.pop() if len(zones) == 1 else "UTC"


def _check_width(width: object) -> None:
    # Any real number, as for dpi: a notebook's np.int64 or np.float32 width is one.
    if isinstance(width, bool) or not isinstance(width, Real) or not 0 < float(width) <= 100:
        raise InvalidValue(
            f"width must be 0 < width <= 100 inches, got {shown(width)}",
            value=width,
            expected="0 < width <= 100",
        )


def _check_output(colors: Mapping[str, str] | None, save: object, dpi: object) -> None:
    """Refuse a colour, file format or resolution matplotlib would fail on later, by name."""
    from matplotlib import rcParams
    from matplotlib.backend_bases import FigureCanvasBase
    from matplotlib.colors import is_color_like

    if colors is not None:
        if not isinstance(colors, Mapping):
            raise WrongType(colors, name="colors", expected="a mapping of status to colour")
        for status, colour in colors.items():
            if not isinstance(status, str):
                raise WrongType(status, name="a key of colors", expected="a status (str)")
            if not is_color_like(colour):
                raise InvalidValue(
                    f"colors[{shown(status)}] must be a matplotlib colour, got {shown(colour)}",
                    value=colour,
                    expected='a colour such as "#4c78a8" or "tab:blue"',
                )
    if isinstance(dpi, bool) or not isinstance(dpi, Real) or not 0 < float(dpi) <= 1200:
        raise InvalidValue(
            f"dpi must be a number, 0 < dpi <= 1200, got {shown(dpi)}",
            value=dpi,
            expected="0 < dpi <= 1200",
        )
    if save is not None:
        if not isinstance(save, str | os.PathLike):
            raise WrongType(save, name="save", expected="a path (str or os.PathLike)")
        path = os.fspath(save)
        suffix = os.path.splitext(path)[1].lstrip(".").lower()
        formats = FigureCanvasBase.get_supported_filetypes()
        if suffix and suffix not in formats:  # no suffix: matplotlib's savefig.format
            raise InvalidValue(
                f"save={shown(path)}: its suffix names no format matplotlib writes",
                value=path,
                expected=f"a path ending in one of .{', .'.join(sorted(formats))}, or none",
            )
        if (suffix or str(rcParams["savefig.format"]).lower()) == "pgf":
            # matplotlib writes PGF by running TeX on every label; without TeX it failed
            # with a RuntimeError only once the whole figure was drawn.
            tex = str(rcParams["pgf.texsystem"])
            if shutil.which(tex) is None:
                raise InvalidValue(
                    f"save={shown(path)}: matplotlib writes .pgf through TeX, and {shown(tex)} "
                    "(rcParams['pgf.texsystem']) is not installed; install TeX or save as "
                    ".pdf or .svg",
                    value=path,
                    expected=f"{tex} on PATH for .pgf, or another format such as .pdf or .svg",
                )
        folder = os.path.dirname(path) or os.curdir
        if not os.path.isdir(folder):  # else matplotlib fails only after the whole drawing
            problem = "is not a directory" if os.path.exists(folder) else "does not exist"
            raise InvalidValue(
                f"save={shown(path)}: its directory {shown(folder)} {problem}; create it first",
                value=path,
                expected="a path in an existing directory",
            )


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


def _num(value: datetime) -> float:
    from matplotlib import dates as mdates  # imported on use: the extra is optional

    return float(mdates.date2num(value))  # type: ignore[no-untyped-call]  # untyped upstream


def _locator(zone: tzinfo) -> Any:
    """An ``AutoDateLocator`` in ``zone`` whose ticks under a day keep step across a DST change.

    matplotlib steps the zone's wall clock (dateutil's rrule), so ticks under a day
    repeat where clocks spring forward and skip the repeated hour where they fall back
    (matplotlib #31333): an axis from 02:00 to 03:30 in Berlin on 2026-10-25 had no tick
    for an hour. Across a change of offset these ticks are found in each fixed offset the
    view has, each kept where the zone has that offset; labels read the zone's wall clock.
    """
    import numpy as np  # matplotlib's own dependency
    from matplotlib import dates as mdates  # imported on use: the extra is optional

    # matplotlib's dates module is untyped upstream: hence the ignores below.
    class WallClockLocator(mdates.AutoDateLocator):
        def __call__(self) -> Any:
            return self.tick_values(*self.viewlim_to_dt())  # type: ignore[no-untyped-call]  # ditto

        # Typed float upstream; AutoDateLocator is handed the view's datetimes.
        def tick_values(self, vmin: Any, vmax: Any) -> Any:
            ticks = super().tick_values(vmin, vmax)  # type: ignore[no-untyped-call]
            offsets = {vmin.astimezone(zone).utcoffset(), vmax.astimezone(zone).utcoffset()}
            if len(offsets) == 1:
                return ticks  # no change of offset in view: the zone's own ticks are right
            found: set[float] = set()
            for offset in offsets:
                fixed = timezone(cast("timedelta", offset))  # an aware zone has an offset
                steps = mdates.AutoDateLocator(tz=fixed)  # type: ignore[no-untyped-call]
                ends = (vmin.astimezone(fixed), vmax.astimezone(fixed))
                values = steps.tick_values(*ends)  # type: ignore[no-untyped-call]  # ditto
                if len(values) > 1 and values[1] - values[0] >= 1:
                    return ticks  # a day or more apart: the zone's own ticks fall on its dates
                found |= {v for v in values if _offset(v, zone) == offset}
            return np.array(sorted(found)) if found else ticks

    return WallClockLocator(tz=zone)  # type: ignore[no-untyped-call]  # ditto


def _formatter(locator: Any, zone: tzinfo) -> Any:
    """A ``ConciseDateFormatter`` in ``zone`` whose day ticks are dates where midnight never comes.

    Where a zone springs forward at midnight (America/Santiago, Africa/Cairo: 00:00 to
    01:00), that day's tick sits at its first instant, 01:00, and was labelled ``01:00``
    among dates, which lost their short form too. When every tick starts a day, each is
    labelled by its wall-clock date (read in UTC, where no day lacks its midnight);
    ticks within days keep their wall-clock times (``23:00``, ``01:00``).
    """
    from matplotlib import dates as mdates  # imported on use: the extra is optional

    # matplotlib's dates module is untyped upstream: hence the ignores below.
    class WallClockFormatter(mdates.ConciseDateFormatter):
        def __init__(self) -> None:
            super().__init__(locator, tz=zone)  # type: ignore[no-untyped-call]  # ditto
            self._walls = mdates.ConciseDateFormatter(locator, tz=UTC)  # type: ignore[no-untyped-call]
            self._days = False

        def format_ticks(self, values: Any) -> Any:
            found = [_wall(v, zone) for v in values]
            self._days = bool(found) and all(first for _, first in found)
            if not self._days:
                return super().format_ticks(values)  # type: ignore[no-untyped-call]  # ditto
            days = [_num(datetime.combine(w.date(), time(), tzinfo=UTC)) for w, _ in found]
            return self._walls.format_ticks(days)  # type: ignore[no-untyped-call]  # ditto

        def get_offset(self) -> Any:
            if self._days:
                return self._walls.get_offset()  # type: ignore[no-untyped-call]  # ditto
            return super().get_offset()  # type: ignore[no-untyped-call]  # ditto

    return WallClockFormatter()


def _wall(value: float, zone: tzinfo) -> tuple[datetime, bool]:
    """Return ``value`` on ``zone``'s wall clock, and whether it is the first instant of its day."""
    from matplotlib import dates as mdates  # imported on use: the extra is optional

    when: datetime = mdates.num2date(value, tz=zone)  # type: ignore[no-untyped-call]  # ditto
    first = datetime.combine(when.date(), time(), tzinfo=zone)  # a missing 00:00: the gap's start
    # In UTC: two datetimes of one zone subtract their wall clocks, an hour apart here.
    gap = abs(when.astimezone(UTC) - first.astimezone(UTC))
    return when.replace(tzinfo=None), gap < timedelta(seconds=1)  # a date number's rounding


def _offset(value: float, zone: tzinfo) -> timedelta | None:
    from matplotlib import dates as mdates  # imported on use: the extra is optional

    when: datetime = mdates.num2date(value, tz=zone)  # type: ignore[no-untyped-call]  # ditto
    return when.utcoffset()


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
    :data:`STATUS_COLORS`. ``save`` also writes the figure to that path
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

    fig = Figure(figsize=(width, 1.4 + 0.45 * max(1, len(lanes))), dpi=dpi, layout="constrained")
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
    handles: list[Any] = [Patch(facecolor=c, label=status) for status, c in palette.items()]
    if conflicts:
        handles.append(
            Patch(facecolor=CONFLICT_COLOR, alpha=0.5, edgecolor=CONFLICT_COLOR, label="conflict")
        )
    if handles:
        key = ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.0, 1.0), frameon=False)
        _plain(*key.get_texts())
    if title is not None:
        _plain(ax.set_title(title))
    if save is not None:
        fig.savefig(save, dpi=dpi)
    return fig
