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

A path with a trailing ``/`` is redirected by the router (Starlette's
``redirect_slashes``) when it probes the path without it and a route matches;
its probe strips the decoded path, not the raw one, so a route reads the raw
path without its trailing ``/`` then, and hands the router the path to
redirect to with its ``%2F`` still encoded. A 405 names in ``Allow`` every
method of the path (each method is a route of its own: Starlette would name
the first's), and a problem's ``instance`` is the path as the client sent it
(:func:`requested_path`).
"""

# No ``from __future__ import annotations``: FastAPI reads the routes' annotations at runtime.
import functools
import re
from typing import Any, ClassVar, NamedTuple
from urllib.parse import unquote

from fastapi.routing import APIRoute
from starlette.convertors import Convertor, register_url_convertor
from starlette.exceptions import HTTPException
from starlette.responses import PlainTextResponse
from starlette.routing import Match
from starlette.types import Receive, Scope, Send

__all__ = ["PARTICIPANT", "SegmentRoute", "requested_path", "segment_path"]


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


class _Read(NamedTuple):
    """A raw path read segment by segment, each segment's own ``%`` and ``/`` encoded again."""

    route_path: str
    """What a route matches: the path without the ``root_path`` in front."""
    path: str
    """The whole path."""
    probed: bool
    """Read for the router's trailing-slash probe: ``raw_path`` with a ``/`` taken off or put on."""


def _probed(raw: str, path: str) -> tuple[str, bool] | None:
    """Return the raw path that stands for ``path``, and whether it is the router's probe.

    ``raw`` itself when it decodes to ``path``. The router probes a path with
    a trailing ``/`` without it (``rstrip``, on the decoded path) and one
    without with it: then ``raw`` changed so. ``None``: neither.
    """
    decoded = unquote(raw)
    if decoded == path:
        return raw, False
    if raw.endswith("/") and raw.rstrip("/") and decoded.rstrip("/") == path:
        return raw.rstrip("/"), True
    if decoded + "/" == path:
        return raw + "/", True
    return None


@functools.lru_cache(maxsize=1024)
def _segment_path(raw_path: bytes, path: str, route_path: str) -> _Read | None:
    try:
        raw = raw_path.decode("ascii")
    except UnicodeDecodeError:  # a raw path is ASCII; a server that says otherwise is not read
        return None
    probed = _probed(raw, path)
    if not route_path or probed is None:
        return None
    segments = [unquote(s) for s in probed[0].split("/")]
    prefix = len(path) - len(route_path)  # what a mount's root_path takes off the front
    taken = -1  # the characters of ``path`` the leading segments make up, separators included
    for i, segment in enumerate(segments):
        taken += len(segment) + 1
        if taken == prefix:
            kept = "/" + "/".join(_kept(s) for s in segments[i + 1 :])
            return _Read(kept, "/".join(_kept(s) for s in segments), probed[1])
        if taken > prefix:
            break
    return None


def _read(scope: Scope) -> _Read | None:
    raw_path = scope.get("raw_path")
    if scope["type"] != "http" or not isinstance(raw_path, bytes):
        return None
    return _segment_path(raw_path, scope["path"], _route_path(scope))


def segment_path(scope: Scope) -> str | None:
    """Return the path a route matches, each segment's own ``%`` and ``/`` still encoded.

    ``None`` when the scope has no raw path, or one that does not decode to its
    ``path`` (a server that rewrote one of them): then match ``scope["path"]``.
    The router's trailing-slash probe, whose ``path`` has a trailing ``/`` taken
    off or put on, reads ``raw_path`` changed so.
    """
    read = _read(scope)
    return None if read is None else read.route_path


def requested_path(scope: Scope) -> str:
    """Return the request's path as the client sent it: an id's ``%2F`` stays encoded.

    A client can send it again (a problem's ``instance``), where the decoded
    ``scope["path"]`` names another path. That decoded path when the scope has
    no raw path, or one that does not decode to it.
    """
    path: str = scope["path"]
    raw_path = scope.get("raw_path")
    if isinstance(raw_path, bytes) and raw_path.isascii():
        raw = raw_path.decode("ascii")
        if unquote(raw) == path:
            return raw
    return path


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


_PARAMETER = re.compile(r"{(\w+)}")


class SegmentRoute(APIRoute):
    """An ``APIRoute`` matched by :func:`segment_path`: a parameter may hold an encoded ``/``.

    Each subclass keeps the routes made of it (a router's route class is its
    own), so that a 405 names the methods of all of them that take its path.
    """

    _made: ClassVar[list["SegmentRoute"]] = []

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls._made = []

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        type(self)._made.append(self)  # FastAPI's include_router may copy it: the copy too

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        """Match the raw path segment by segment, then decode the parameters (see the module)."""
        read = _read(scope)
        if read is None:
            return super().matches(scope)
        match, child = super().matches({**scope, "path": read.route_path, "root_path": ""})
        if match is not Match.NONE:
            params = child["path_params"]
            for name in self.param_convertors:
                if isinstance(params.get(name), str):
                    params[name] = unquote(params[name])
            if read.probed:
                # The router redirects to the path it probed with (URL(scope=probe)), decoded:
                # give it the one this route matched, an id's %2F encoded, or it names another.
                scope["path"] = read.path
        return match, child

    def allowed(self, scope: Scope) -> frozenset[str]:
        """Return the methods of this class's routes that take the path this route matched.

        RFC 9110 section 15.5.6: a 405's ``Allow`` lists all of them, and each
        method is a route of its own. The path is rebuilt from ``scope``'s
        parameters, so it is in the frame of this route's (and its siblings')
        path, prefixed or not.
        """
        params = scope.get("path_params", {})
        path = _PARAMETER.sub(lambda m: _kept(str(params.get(m[1], ""))), self.path_format)
        return frozenset(
            method
            for route in type(self)._made
            if route.path_regex.match(path)
            for method in route.methods or ()
        )

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Answer a method this route does not take with a 405 naming all its path's methods."""
        if scope["type"] == "http" and self.methods and scope["method"] not in self.methods:
            headers = {"Allow": ", ".join(sorted(self.allowed(scope)))}
            if "app" in scope:  # the app's handler answers it, as Starlette's own 405
                raise HTTPException(status_code=405, headers=headers)
            refused = PlainTextResponse("Method Not Allowed", status_code=405, headers=headers)
            await refused(scope, receive, send)
            return
        await super().handle(scope, receive, send)
