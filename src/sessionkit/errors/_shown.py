"""How values and durations read in a message: short reprs, sorted sets, spans in words.

What every error message (and the values' own ``repr``) uses to show the value
it names; :mod:`sessionkit.errors._base` re-exports each name, where the rest of
sessionkit imports them from.
"""

from __future__ import annotations

import reprlib
from datetime import timedelta

_REPR = reprlib.Repr()
# Ids, keys (255), titles, paths, URLs and exceptions whole; hostile giants are cut.
_REPR.maxstring = _REPR.maxother = 300
_REPR.maxlist = _REPR.maxtuple = _REPR.maxdict = _REPR.maxset = 50


def _amount(value: object) -> str:
    if isinstance(value, int) and not isinstance(value, bool):
        try:
            return f"{value:,}"
        except ValueError:  # more digits than int turns into text
            return shown(value)
    return str(value)


_UNITS = (
    ("day", timedelta(days=1)),
    ("hour", timedelta(hours=1)),
    ("minute", timedelta(minutes=1)),
)


def duration_text(span: timedelta) -> str:
    """Return ``span`` as a person reads it: ``"1 day"``, ``"2 hours 30 minutes"``.

    Days, hours, minutes and seconds that are not zero, largest first (a
    fraction of a second as decimals), never Python's ``1 day, 0:00:00``; a
    negative span with a leading ``-``; zero is ``"0 seconds"``.
    """
    if not span:
        return "0 seconds"
    rest, parts = abs(span), []
    for unit, size in _UNITS:
        count, rest = divmod(rest, size)
        if count:
            parts.append(f"{count:,} {unit}{'' if count == 1 else 's'}")
    if rest:
        parts.append(seconds_text(rest))
    return ("-" if span < timedelta(0) else "") + " ".join(parts)


def seconds_text(span: timedelta) -> str:
    """Return ``span`` in seconds: ``"604,800 seconds"``, ``"1.5 seconds"``, ``"-1 second"``."""
    whole, rest = divmod(abs(span), timedelta(seconds=1))
    fraction = f".{rest.microseconds:06d}".rstrip("0") if rest else ""
    one = whole == 1 and not fraction
    return f"{'-' if span < timedelta(0) else ''}{whole:,}{fraction} second{'' if one else 's'}"


def shown_duration(value: object) -> str:
    """Return a refused duration argument as a message shows it: ``"-1 day"``.

    A ``timedelta`` in words (:func:`duration_text`), never Python's
    ``datetime.timedelta(days=-1)``; a value of another type as :func:`shown`
    gives it.
    """
    return duration_text(value) if isinstance(value, timedelta) else shown(value)


def shown(value: object) -> str:
    """Return a short ``repr`` of ``value`` for a message: long strings and lists are cut.

    A value whose ``repr`` spans lines (a data frame, a large array) is named by its type
    and, when its ``shape`` is a tuple of sizes, that shape: ``<DataFrame of shape (3, 2)>``.
    """
    try:
        text = _REPR.repr(value)
    except Exception:  # noqa: BLE001  # a hostile __repr__ must not hide the real error
        return f"<{type(value).__name__} object>"
    if "\n" in text:
        # A table's repr (a pandas or polars frame) is many lines, which reprlib cuts in
        # the middle of one: spliced into a one-line message, it buried the message. Name it,
        # with its shape when that is sizes (numpy, pandas, polars): any other shape (a
        # method, an array) is left out, and one that raises must not hide the real error.
        try:
            shape = getattr(value, "shape", None)
        except Exception:  # noqa: BLE001
            shape = None
        sizes = isinstance(shape, tuple) and all(
            isinstance(n, int) and not isinstance(n, bool) for n in shape
        )
        return f"<{type(value).__name__}" + (f" of shape {shape}" if sizes else "") + ">"
    return text


def set_repr(values: object) -> str:
    """Return the ``repr`` of a set with its items sorted: the same in every run.

    A set's own ``repr`` follows its hash order, which ``PYTHONHASHSEED`` changes
    from run to run; values give it to their set fields (``attrs.field(repr=set_repr)``),
    so their ``repr`` (a log line, a doctest, a snapshot) is the same each time.
    """
    if not isinstance(values, set | frozenset):
        return repr(values)
    try:
        items = sorted(values)
    except TypeError:  # items that do not order (mixed types): by their repr
        items = sorted(values, key=repr)
    inner = "{" + ", ".join(map(repr, items)) + "}"
    if type(values) is set:
        return inner if values else "set()"
    return f"{type(values).__name__}({inner if values else ''})"
