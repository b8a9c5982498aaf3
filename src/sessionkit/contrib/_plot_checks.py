"""The timeline's arguments, checked before anything is drawn.

The sessions (a page stands for its sessions, a data frame is refused by
name, a session listed twice is drawn once), a ``by`` that misspells a kind
the sessions have, the zone of the time axis, the width, and the colours, file
format and resolution matplotlib would otherwise refuse only after the whole
drawing. Private to :mod:`sessionkit.contrib.plot`, whose :func:`timeline`
calls these first; kept apart by the style's size limit. matplotlib is
imported only inside :func:`_check_output`, when a timeline is drawn, as the
``plot`` extra is optional.
"""

from __future__ import annotations

import difflib
import os
import shutil
from collections.abc import Iterable, Mapping
from numbers import Real

from sessionkit.errors import InvalidValue, WrongType
from sessionkit.errors._base import shown
from sessionkit.model.query import Page
from sessionkit.model.session import Session
from sessionkit.zones import get_zone


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
