"""How a route module declares a route: once, with only what is its own.

:func:`~sessionkit.contrib.fastapi.router.sessionkit_router` builds one
:class:`Routes` (the router, the host's dependencies, the base tags) and hands
it to each route module. A module takes a :class:`Tagged` view per OpenAPI tag
and declares each route with its path, response model, problem statuses and
summary; an endpoint names the host's dependencies by the module-level
aliases :data:`Kit`, :data:`Who` and :data:`Hook`, which :class:`Routes` binds
to this router's ``kit``, ``caller`` and ``webhook``. :attr:`Routes.access`
holds the router's staff roles and the checks its endpoints make with them.
"""

# No ``from __future__ import annotations``: FastAPI reads the endpoints' annotations at runtime.
import functools
import inspect
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Mapping
from datetime import timedelta
from typing import Annotated, Any, NoReturn, Protocol, TypeVar

import attrs
from fastapi import APIRouter, Depends, Request

from sessionkit.contrib.fastapi._access import Access
from sessionkit.contrib.fastapi._common import (
    DEFAULT_PAYMENT_EVENT_SKEW,
    DEFAULT_PRESENCE_SKEW,
    EVERY_ROUTE,
    Caller,
    check_payment_event_skew,
    check_presence_skew,
)
from sessionkit.contrib.fastapi.problems import STAFF_KEY, problem_responses
from sessionkit.services import SessionKit

__all__ = [
    "Dependency",
    "Hook",
    "Kit",
    "Routes",
    "Tagged",
    "Who",
    "staff_caller",
    "told_staff",
]

Endpoint = TypeVar("Endpoint", bound=Callable[..., Any])
Provided = TypeVar("Provided")

Dependency = Callable[
    ..., Provided | Awaitable[Provided] | Iterator[Provided] | AsyncIterator[Provided]
]
"""A FastAPI dependency providing a value: a function returning it, an ``async`` one, or one
that yields it (``Dependency[Caller]``): FastAPI takes each, and so do the router's arguments."""


def _unbound_kit() -> NoReturn:
    raise RuntimeError("Kit is bound by Routes: declare the endpoint through Routes")


def _unbound_caller() -> NoReturn:
    raise RuntimeError("Who is bound by Routes: declare the endpoint through Routes")


def _unbound_webhook() -> NoReturn:
    raise RuntimeError("Hook is bound by Routes: declare the endpoint through Routes")


Kit = Annotated[SessionKit, Depends(_unbound_kit)]
"""An endpoint's ``SessionKit``: the router's ``kit`` dependency."""
Who = Annotated[Caller, Depends(_unbound_caller)]
"""An endpoint's caller: the router's ``caller`` dependency."""
Hook = Annotated[Caller, Depends(_unbound_webhook)]
"""A provider webhook's caller: the router's ``webhook`` dependency (it verifies the signature)."""


def staff_caller(caller: Dependency[Caller], access: Access) -> Callable[..., Caller]:
    """Return a dependency answering ``caller``'s :class:`Caller` when it is staff.

    The provider webhooks take it when the host gives no ``webhook``: a
    caller that may post a provider's events confirms bookings as paid, so
    only staff may (``RoleNotGranted`` otherwise).
    """

    def staff(who: Annotated[Caller, Depends(caller)]) -> Caller:
        return access.staff(who)

    return staff


def told_staff(caller: Dependency[Caller], access: Access) -> Callable[..., Caller]:
    """Return a dependency answering ``caller``'s :class:`Caller`, noting whether it is staff.

    Noted in the request's scope (:data:`~sessionkit.contrib.fastapi.problems.STAFF_KEY`),
    where the route's problem reads it: advice only staff may follow (send
    ``"manual": true``, give a refund) is given to staff alone.
    """

    def noted(request: Request, who: Annotated[Caller, Depends(caller)]) -> Caller:
        request.scope[STAFF_KEY] = access.is_staff(who)
        return who

    return noted


@attrs.frozen
class Routes:
    """The router being built, the host's dependencies its endpoints take, and its base tags.

    ``access`` holds the router's staff roles; ``hook_problems`` are the
    statuses the ``webhook`` dependency answers with (the host's 401 for a
    bad signature; a 403 from :func:`staff_caller`); ``presence_skew`` how far
    past the kit's now a presence event may be dated, ``payment_event_skew`` a
    payment event's ``occurred_at``.
    """

    router: APIRouter
    kit: Dependency[SessionKit]
    caller: Dependency[Caller]
    webhook: Dependency[Caller]
    tags: tuple[str, ...] = ()
    access: Access = attrs.field(factory=Access)
    hook_problems: tuple[int, ...] = (401,)
    presence_skew: timedelta = attrs.field(
        default=DEFAULT_PRESENCE_SKEW, converter=check_presence_skew
    )
    payment_event_skew: timedelta = attrs.field(
        default=DEFAULT_PAYMENT_EVENT_SKEW, converter=check_payment_event_skew
    )

    def tagged(self, tag: str) -> "Tagged":
        """Return the view declaring routes under the OpenAPI tag ``tag`` (after the base tags)."""
        return Tagged(self, tag)

    def bound(self, endpoint: Endpoint) -> Endpoint:
        """Return ``endpoint`` with :data:`Kit`, :data:`Who`, :data:`Hook` bound to this router's.

        FastAPI reads an endpoint's signature when the route is added, so
        the parameters are rewritten then (the endpoint is a fresh closure of
        this router: no other router sees the change).
        """
        deps = (
            (Kit, Annotated[SessionKit, Depends(self.kit)]),
            (Who, Annotated[Caller, Depends(told_staff(self.caller, self.access))]),
            (Hook, Annotated[Caller, Depends(self.webhook)]),
        )
        signature = inspect.signature(endpoint, eval_str=True)  # as FastAPI reads it
        parameters = [
            p.replace(annotation=next((b for a, b in deps if p.annotation is a), p.annotation))
            for p in signature.parameters.values()
        ]
        rewritten = signature.replace(parameters=parameters)
        endpoint.__signature__ = rewritten  # type: ignore[attr-defined]  # inspect.signature reads it
        return endpoint


class _Declaring(Protocol):
    def __call__(
        self,
        path: str,
        model: Any,
        problems: tuple[int, ...],
        summary: str,
        *,
        status_code: int | None = None,
        responses: Mapping[int | str, dict[str, Any]] | None = None,
    ) -> Callable[[Endpoint], Endpoint]: ...


@attrs.frozen
class _Verb:
    """A :class:`Tagged` method declaring routes of one HTTP method: ``get(path, model, ...)``."""

    method: str

    def __get__(self, tagged: "Tagged", owner: object = None) -> _Declaring:
        return functools.partial(tagged.route, self.method)


@attrs.frozen
class Tagged:
    """Declares routes under one OpenAPI tag: ``get(path, model, problems, summary)`` and so on.

    ``model`` is the response model, ``problems`` the HTTP statuses whose
    problem+json bodies the route declares beside those of
    :data:`~sessionkit.contrib.fastapi._common.EVERY_ROUTE` (500, 503: the
    store, read by every route), ``summary`` the operation's
    summary; ``status_code`` only where it is not 200 (a creation's 201);
    ``responses`` only for what a route answers beside its model and problems
    (it replaces the problem's declaration of its status: declare both there).
    """

    routes: Routes
    tag: str

    def route(
        self,
        method: str,
        path: str,
        model: Any,
        problems: tuple[int, ...],
        summary: str,
        *,
        status_code: int | None = None,
        responses: Mapping[int | str, dict[str, Any]] | None = None,
    ) -> Callable[[Endpoint], Endpoint]:
        """Declare a route of ``method`` (``get``, ``post``, ... say which)."""

        def declare(endpoint: Endpoint) -> Endpoint:
            bound = self.routes.bound(endpoint)
            self.routes.router.add_api_route(
                path,
                bound,
                methods=[method],
                status_code=status_code,
                response_model=model,
                tags=[*self.routes.tags, self.tag],
                responses={
                    **problem_responses(*sorted({*problems, *EVERY_ROUTE})),
                    **(responses or {}),
                },
                summary=summary,
            )
            if method == "GET":
                # HEAD wherever GET works (RFC 9110 9.3.2): the GET run, its body not sent.
                # Kept out of the OpenAPI document, which would repeat every read.
                self.routes.router.add_api_route(
                    path,
                    bound,
                    methods=["HEAD"],
                    status_code=status_code,
                    response_model=model,
                    include_in_schema=False,
                )
            return endpoint

        return declare

    get = _Verb("GET")
    post = _Verb("POST")
    put = _Verb("PUT")
    patch = _Verb("PATCH")
    delete = _Verb("DELETE")
