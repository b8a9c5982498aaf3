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
``redirect_slashes``) when it probes the path without it and a route matches.
Its probe strips the decoded path, not the raw one, so a route reads the raw
path without its trailing ``/`` then; so it reads a request whose ``path`` a
middleware stripped (``raw_path`` left alone): the id the client sent, ``%2F``
and all. The router redirects to the decoded path it probed, which names
other segments where an id holds a ``%2F`` (or ``%25``): for such a path the
route itself matches the first time round (a partial match, as a 405 is) and
redirects, the ``%2F`` kept. A route never writes to the request's scope.

A 405 names in ``Allow`` every method the app serves at the path (each method
is a route of its own: Starlette would name the first's), found by matching
the app's routes as its router does; a problem's ``instance`` is the path as
the client sent it (:func:`requested_path`).
"""

# No ``from __future__ import annotations``: FastAPI reads the routes' annotations at runtime.
import functools
from collections.abc import Iterator, Sequence
from typing import Any, NamedTuple
from urllib.parse import unquote

import fastapi.routing
from fastapi.routing import APIRoute
from starlette.convertors import Convertor, register_url_convertor
from starlette.datastructures import URL
from starlette.exceptions import HTTPException
from starlette.responses import PlainTextResponse, RedirectResponse
from starlette.routing import BaseRoute, Host, Match, Mount, Router
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
    """The whole path: what a redirect to it names."""


def _probed(raw: str, path: str) -> str | None:
    """Return the raw path that stands for ``path``, or ``None``.

    ``raw`` itself when it decodes to ``path``. The router probes a path with
    a trailing ``/`` without it (``rstrip``, on the decoded path) and one
    without with it, and a middleware may strip it from ``path`` alone: then
    ``raw`` changed so.
    """
    decoded = unquote(raw)
    if decoded == path:
        return raw
    if raw.endswith("/") and raw.rstrip("/") and decoded.rstrip("/") == path:
        return raw.rstrip("/")
    if decoded + "/" == path:
        return raw + "/"
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
    segments = [unquote(s) for s in probed.split("/")]
    prefix = len(path) - len(route_path)  # what a mount's root_path takes off the front
    taken = -1  # the characters of ``path`` the leading segments make up, separators included
    for i, segment in enumerate(segments):
        taken += len(segment) + 1
        if taken == prefix:
            kept = "/" + "/".join(_kept(s) for s in segments[i + 1 :])
            return _Read(kept, "/".join(_kept(s) for s in segments))
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
    ``scope["path"]`` names another path; so does a path a middleware stripped
    of its trailing ``/``. That decoded path when the scope has no raw path, or
    one that does not decode to it (but for that ``/``).
    """
    path: str = scope["path"]
    raw_path = scope.get("raw_path")
    if isinstance(raw_path, bytes) and raw_path.isascii():
        raw = raw_path.decode("ascii")
        if _probed(raw, path) is not None:
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


class _Redirect(NamedTuple):
    """A child scope's word to ``handle``: this route redirects a trailing ``/`` itself."""

    route: BaseRoute
    path: str
    """The whole path to redirect to, an id's ``%2F`` still encoded."""


_REDIRECT = "sessionkit.redirect"


class SegmentRoute(APIRoute):
    """An ``APIRoute`` matched by :func:`segment_path`: a parameter may hold an encoded ``/``."""

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        """Match the raw path segment by segment, then decode the parameters (see the module).

        The request's scope is read, never written: the router goes on to match
        it with other routes.
        """
        read = _read(scope)
        if read is None:
            return super().matches(scope)
        match, child = self._match_read(scope, read)
        if match is Match.NONE:
            redirect = self._slash_redirect(scope)
            if redirect is not None:
                return Match.PARTIAL, {_REDIRECT: _Redirect(self, redirect)}
        return match, child

    def _match_read(self, scope: Scope, read: _Read) -> tuple[Match, Scope]:
        match, child = super().matches({**scope, "path": read.route_path, "root_path": ""})
        if match is not Match.NONE:
            # Every parameter matched here was read from the path re-encoded, the host's own in
            # the include_router prefix (``/orgs/{org}/v1``) too, which newer FastAPI matches
            # with the route's and this route's param_convertors do not name; those an outer
            # mount matched were decoded already.
            outer = scope.get("path_params") or {}
            params = child["path_params"]
            for name, value in params.items():
                if isinstance(value, str) and (name in self.param_convertors or name not in outer):
                    params[name] = unquote(value)
        return match, child

    def _slash_redirect(self, scope: Scope) -> str | None:
        """Return the path to redirect to where the router's own redirect would name another.

        The router, finding no route for a path, matches it with its trailing
        ``/`` taken off (or put on) and redirects to the decoded path it tried:
        ``/sessions/a%2Fb/`` to ``/sessions/a/b``. Where this route takes the
        path so, and the decoded path names other segments, the route
        redirects itself (when that router redirects at all). ``None`` where
        the router's redirect is right, or none is due.
        """
        raw_path: bytes = scope["raw_path"]
        path: str = scope["path"]
        if b"%" not in raw_path or unquote(raw_path.decode("ascii")) != path:
            return None  # nothing decoded to lose, or not the path the client sent
        route_path = _route_path(scope)
        if route_path == "/":
            return None
        probe = {**scope, "path": path.rstrip("/") if route_path.endswith("/") else path + "/"}
        read = _read(probe)
        if read is None or read.path == probe["path"]:
            return None
        if self._match_read(probe, read)[0] is Match.NONE:
            return None
        router = _router_holding(scope.get("router"), self) or _router_of(scope.get("router"))
        return read.path if router is None or router.redirect_slashes else None

    def allowed(self, scope: Scope) -> frozenset[str]:
        """Return the methods the app serves at the path this route matched.

        RFC 9110 section 15.5.6: a 405's ``Allow`` lists all of them, and each
        method is a route of its own. The app's routes are matched as its
        router matches them, from the outermost router (``scope["router"]``)
        into the mounts that take the path: a route taken out of the router is
        not named, a host's own route on the path is.
        """
        start = {k: v for k, v in scope.items() if k not in _ROUTED}
        start["root_path"] = scope.get("app_root_path", scope.get("root_path", ""))
        served = _methods(_routes_of(scope.get("router")), start)
        return frozenset(served.union(self.methods or ()))

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Redirect where :meth:`matches` said; else refuse another method, naming the path's.

        A method this route does not take is a 405 whose ``Allow`` is :meth:`allowed`.
        """
        redirect = scope.get(_REDIRECT)
        if isinstance(redirect, _Redirect) and redirect.route is self:
            moved = RedirectResponse(url=str(URL(scope={**scope, "path": redirect.path})))
            await moved(scope, receive, send)
            return
        if scope["type"] == "http" and self.methods and scope["method"] not in self.methods:
            headers = {"Allow": ", ".join(sorted(self.allowed(scope)))}
            if "app" in scope:  # the app's handler answers it, as Starlette's own 405
                raise HTTPException(status_code=405, headers=headers)
            refused = PlainTextResponse("Method Not Allowed", status_code=405, headers=headers)
            await refused(scope, receive, send)
            return
        await super().handle(scope, receive, send)


_ROUTED = frozenset({"fastapi", "path_params", "endpoint", "route", _REDIRECT})
"""What routing added to a request's scope, left out where the app's routes are matched anew."""

_route_contexts = getattr(fastapi.routing, "iter_route_contexts", None)


def _served(routes: Sequence[BaseRoute]) -> Iterator[tuple[BaseRoute, Any]]:
    """Yield each route, with what the router matches for it.

    Newer FastAPI includes a router as one route, matching each of its routes
    under the prefix (``iter_route_contexts`` yields them, each with its
    prefixed ``path_regex``, ``methods`` and ``matches``); older FastAPI copies
    them into the app's router.
    """
    if _route_contexts is None:
        for route in routes:
            yield route, route
        return
    for context in _route_contexts(routes):
        yield context.original_route, context


def _methods(routes: Sequence[BaseRoute], scope: Scope) -> set[str]:
    """Return the methods of ``routes`` that take ``scope``'s path, tried as a router tries them.

    A mount (or host) that takes the path takes every method: the router
    goes into it and never on to the routes after it.
    """
    found: set[str] = set()
    for route, served in _served(routes):
        if isinstance(route, SegmentRoute):
            read = _read(scope)
            path = _route_path(scope) if read is None else read.route_path
            if served.path_regex.match(path):
                found.update(served.methods or ())
            continue
        match, child = served.matches(scope)
        if match is Match.NONE:
            continue
        if isinstance(route, (Mount, Host)):
            return found | _methods(_routes_of(served.app), {**scope, **child})
        found.update(getattr(served, "methods", None) or ())
    return found


def _router_of(app: object) -> Router | None:
    """Return the router of an app, a router, or the middleware around one (each keeps ``app``)."""
    for _ in range(32):
        if app is None or isinstance(app, Router):
            return app
        router = getattr(app, "router", None)
        if isinstance(router, Router):
            return router
        app = getattr(app, "app", None)
    return None


def _routes_of(app: object) -> Sequence[BaseRoute]:
    router = _router_of(app)
    return [] if router is None else router.routes


def _router_holding(app: object, route: BaseRoute) -> Router | None:
    """Return the router, in ``app`` or its mounts, that matches ``route`` (and redirects)."""
    router = _router_of(app)
    if router is None:
        return None
    for original, served in _served(router.routes):
        if original is route:
            return router
        if isinstance(original, (Mount, Host)):
            holding = _router_holding(served.app, route)
            if holding is not None:
                return holding
    return None
