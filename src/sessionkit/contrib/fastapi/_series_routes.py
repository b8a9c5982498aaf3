"""The routes of series (added by :func:`add_series_routes`)."""

# No ``from __future__ import annotations``: FastAPI reads the routes' annotations at runtime.
import inspect
from typing import Annotated

from fastapi import Query

from sessionkit.contrib.fastapi import schemas as s
from sessionkit.contrib.fastapi._common import ACTING, READ, IdempotencyKey, key_id, lifecycle_named
from sessionkit.contrib.fastapi._routing import Kit, Routes, Who
from sessionkit.contrib.fastapi.problems import unstored
from sessionkit.contrib.fastapi.series_schemas import KIT_SERIES_LIFECYCLE
from sessionkit.errors import DuplicateSeries, IdempotencyKeyReused, SessionConflict
from sessionkit.model.series import ScheduleItem, Series
from sessionkit.services import SessionKit
from sessionkit.services.booking_requests import canonical_json

__all__ = ["add_series_routes"]


def add_series_routes(routes: Routes) -> None:
    """Add the routes of series (see :func:`sessionkit_router`)."""
    series = routes.tagged("series")
    access = routes.access

    @series.post(
        "/series",
        s.SeriesCreated,
        ACTING,
        "Create a series and generate its first sessions (with the occurrences it skipped)",
        status_code=201,
    )
    def create_series(
        app: Kit, who: Who, body: s.SeriesCreate, idempotency_key: IdempotencyKey = None
    ) -> s.SeriesCreated:
        access.staff(who)
        if "lifecycle" in body.model_fields_set:  # omitted, the kit's own default is the host's
            lifecycle_named(app, body.lifecycle)
            lifecycle = body.lifecycle
        else:
            lifecycle = _kit_default(app)
        # The key is checked even where the body names the id: a blank one is refused here too.
        keyed = None if idempotency_key is None else key_id(who.tenant, idempotency_key)
        series_id = keyed if body.series_id is None else body.series_id
        items = [item.to_item() for item in body.items]
        try:
            made, report = app.series.create(
                who.tenant,
                actor=who.actor,
                title=body.title,
                items=items,
                lifecycle=lifecycle,
                capacity=body.capacity,
                metadata=body.metadata,
                series_id=series_id,
                group=body.group,
            )
        except SessionConflict as conflict:
            raise unstored(conflict) from conflict
        except DuplicateSeries as taken:
            if idempotency_key is None or series_id is None:
                raise
            made = app.queries.get_series(who.tenant, series_id, actor=who.actor)
            if _asked_series(body, items, lifecycle) != _stored_series(made):
                if body.series_id is not None:
                    raise  # the id the client chose is taken: DuplicateSeries says so
                raise IdempotencyKeyReused(idempotency_key, series_id, kind="series") from taken
            return s.series_created(made, None)  # a replay: what the first one skipped is gone
        return s.series_created(made, report.skipped)

    @series.get("/series/{series_id}", s.SeriesOut, READ, "Get a series")
    def get_series(app: Kit, who: Who, series_id: str) -> s.SeriesOut:
        return s.series_out(app.queries.get_series(who.tenant, series_id, actor=who.actor))

    @series.post(
        "/series/{series_id}/close",
        s.SeriesOut,
        ACTING,
        "Close a series: its future sessions are removed where nothing holds them",
    )
    def close_series(
        app: Kit,
        who: Who,
        series_id: str,
        expected_version: Annotated[int | None, Query(ge=1)] = None,
    ) -> s.SeriesOut:
        access.staff(who)
        app.series.close(who.tenant, series_id, actor=who.actor, expected_version=expected_version)
        return s.series_out(app.queries.get_series(who.tenant, series_id, actor=who.actor))


def _stored_series(made: Series) -> dict[str, object]:
    """The fields of a stored series a ``POST /series`` names, to compare with a replay's."""
    return {
        "title": made.title,
        "lifecycle": made.lifecycle,
        "capacity": made.capacity,
        "group": made.group,
        "items": made.items,
        "metadata": canonical_json(made.metadata),
    }


def _kit_default(app: SessionKit) -> str:
    """The lifecycle ``app.series.create`` gives a series that names none.

    Read from the kit's own method at each request, not from the class: a host
    may subclass or wrap the kit's series service with another default. One
    whose signature names no string default (``*args, **kwargs``) is given
    the shipped one (the schema's), as before.
    """
    parameter = inspect.signature(app.series.create).parameters.get("lifecycle")
    default = None if parameter is None else parameter.default
    return default if isinstance(default, str) else KIT_SERIES_LIFECYCLE


def _asked_series(
    body: s.SeriesCreate, items: list[ScheduleItem], lifecycle: str
) -> dict[str, object]:
    """What ``body`` asks for (an omitted field is its default; the lifecycle, the kit's)."""
    return {
        "title": body.title,
        "lifecycle": lifecycle,
        "capacity": body.capacity,
        "group": body.group,
        "items": tuple(items),
        "metadata": canonical_json(body.metadata or {}),
    }
