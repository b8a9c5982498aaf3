"""How a request's path reaches a route: an encoded ``/`` (``%2F``) stays inside its segment.

Ids and references may hold a ``/`` (:func:`~sessionkit.model.text.check_id`
allows it): a participant ``user:acme.com/ann``, a series ``maths/2026``, a
host's own session or booking ids. A client puts one in a path as ``%2F``, as
RFC 3986 says a segment's own ``/`` is sent, but the ASGI server decodes
``scope["path"]``, after which ``/series/maths%2F2026`` and
``/series/maths/2026`` are the same text: one parameter per segment matches
neither, and one that takes any text (Starlette's ``{name:path}``) cannot tell
session ``a/bookings`` from session ``a``'s bookings.

:class:`SegmentRoute` matches the raw path instead (``scope["raw_path"]``),
decoded one segment at a time: an encoded ``/`` is part of the parameter, a
plain one separates segments, so every route is reached by exactly one path.
Where the server gives no raw path (or one that does not decode to
``scope["path"]``) it matches as Starlette does.

A participant reference may also come with a plain ``/`` (a host that writes
``f"/participants/{ref}/bookings"``), where no other route can take it: its
parameter, :data:`PARTICIPANT`, is the last of its path or followed by a fixed
tail, and takes any text, encoded ``/`` or not.
"""

# No ``from __future__ import annotations``: FastAPI reads the routes' annotations at runtime.
import functools
from urllib.parse import unquote

from fastapi.routing import APIRoute
from starlette.convertors import Convertor, register_url_convertor
from starlette.routing import Match
from starlette.types import Scope

__all__ = ["PARTICIPANT", "SegmentRoute", "segment_path"]


class _Reference(Convertor[str]):
    """Text of one character or more, ``/`` and line breaks too (Starlette's ``path`` stops at one).

    A reference with a control character still reaches its route, whose check
    answers the 422 problem naming it, not an undocumented 404.
    """

    regex = "(?s:.+)"

    def convert(self, value: str) -> str:
        return value

    def to_string(self, value: str) -> str:
        return value


register_url_convertor("sessionkit_reference", _Reference())  # Starlette's registry is global
PARTICIPANT = "{participant:sessionkit_reference}"
"""The path parameter ``participant``: a reference with a ``/`` in it, encoded or plain."""


def _kept(segment: str) -> str:
    """``segment`` (decoded) with its ``%`` and ``/`` encoded again, as :func:`unquote` reads."""
    return segment.replace("%", "%25").replace("/", "%2F")


@functools.lru_cache(maxsize=1024)
def _segment_path(raw_path: bytes, path: str, route_path: str) -> str | None:
    try:
        segments = [unquote(s) for s in raw_path.decode("ascii").split("/")]
    except UnicodeDecodeError:  # a raw path is ASCII; a server that says otherwise is not read
        return None
    if not route_path or "/".join(segments) != path:
        return None
    prefix = len(path) - len(route_path)  # what a mount's root_path takes off the front
    taken = -1  # the characters of ``path`` the leading segments make up, separators included
    for i, segment in enumerate(segments):
        taken += len(segment) + 1
        if taken == prefix:
            return "/" + "/".join(_kept(s) for s in segments[i + 1 :])
        if taken > prefix:
            break
    return None


def segment_path(scope: Scope) -> str | None:
    """Return the path a route matches, each segment's own ``%`` and ``/`` still encoded.

    ``None`` when the scope has no raw path, or one that does not decode to its
    ``path`` (a server that rewrote one of them): then match ``scope["path"]``.
    """
    raw_path = scope.get("raw_path")
    if not isinstance(raw_path, bytes):
        return None
    return _segment_path(raw_path, scope["path"], _route_path(scope))


def _route_path(scope: Scope) -> str:
    """``scope["path"]`` without the ``root_path`` a mount or server put in front.

    As Starlette's routing reads it (its ``get_route_path``, which is private).
    """
    path: str = scope["path"]
    root_path: str = scope.get("root_path", "")
    if not root_path or not path.startswith(root_path):
        return path
    if path == root_path:
        return ""
    return path[len(root_path) :] if path[len(root_path)] == "/" else path


class SegmentRoute(APIRoute):
    """An ``APIRoute`` matched by :func:`segment_path`: a parameter may hold an encoded ``/``."""

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        """Match the raw path segment by segment, then decode the parameters (see the module)."""
        kept = segment_path(scope) if scope["type"] == "http" else None
        if kept is None:
            return super().matches(scope)
        match, child = super().matches({**scope, "path": kept, "root_path": ""})
        if match is not Match.NONE:
            params = child["path_params"]
            for name in self.param_convertors:
                if isinstance(params.get(name), str):
                    params[name] = unquote(params[name])
        return match, child
