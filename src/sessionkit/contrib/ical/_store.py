"""Storing an imported calendar through :class:`~sessionkit.SessionKit`: one unit of work."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

import attrs

from sessionkit.contrib.ical._errors import CalendarError
from sessionkit.contrib.ical._values import IcalCalendar, IcalEvent, IcalOverride
from sessionkit.errors import InvalidValue, WrongType
from sessionkit.model.events import SessionCreated
from sessionkit.model.series import ScheduleItem, Series, WindowPolicy
from sessionkit.model.session import ResourceRef, Session, resource_refs
from sessionkit.model.text import MAX_TITLE_LENGTH, check_actor, check_tenant, storable
from sessionkit.services import SeriesSpec
from sessionkit.services._context import Context, Tx, check_free
from sessionkit.services._usage import assign_codes
from sessionkit.services.app import SessionKit
from sessionkit.services.bulk import initial_window, new_series
from sessionkit.services.generation import materialise_in
from sessionkit.services.reports import MaterialiseReport
from sessionkit.timespan import TimeSpan
from sessionkit.zones import check_instant, get_zone

__all__ = ["StoredCalendar", "store_ical"]


@attrs.frozen
class StoredCalendar:
    """What :func:`store_ical` stored: the series (by UID), their reports, the other sessions."""

    series: dict[str, Series]
    reports: tuple[MaterialiseReport, ...]
    overrides: tuple[Session, ...]
    extras: tuple[Session, ...]


def store_ical(
    kit: SessionKit,
    tenant: str,
    calendar: IcalCalendar,
    *,
    actor: str | None,
    lifecycle: str = "lms",
    resources: Iterable[ResourceRef | str] = (),
    capacity: int = 1,
    window: WindowPolicy | None = None,
) -> StoredCalendar:
    """Store an imported calendar in one unit of work: all of it, or nothing on any error.

    Each :class:`IcalSeries` becomes a series (its UID in ``metadata["ical_uid"]``)
    materialised like :meth:`~sessionkit.services.SeriesCommands.create`; each
    override a detached session with its occurrence key, which generation
    leaves alone; each single event an extra session (of the series its
    RELATED-TO names, if imported here; its UID in ``metadata["ical_uid"]``),
    except a cancelled one (``STATUS:CANCELLED``), which gets no session: a
    lifecycle enters a cancelled status only by a transition. A cancelled
    series is not stored either (nor its overrides). Raises ``WrongType`` for
    a ``calendar`` that is no :class:`IcalCalendar`, and a ``CalendarError``
    (an ``InvalidValue``, as ``create_extra``'s) naming the VEVENT's line for an
    override or event that starts or ends outside the instants the services
    schedule at (:data:`~sessionkit.zones.EARLIEST` to
    :data:`~sessionkit.zones.LATEST`), or with a SUMMARY no title can hold (over
    255 characters, a NUL). The UIDs are
    what :func:`export_series` writes again. Every session occupies ``resources``;
    an override or extra that collides raises ``SessionConflict`` and stores
    nothing, while colliding generated occurrences are skipped and reported.
    Rules are expanded within the kit's ``Limits.candidates``. With the kit's
    ``codes``, every session stored gets its ``session_code``, in the order stored.
    """
    check_tenant(tenant)
    check_actor(actor)
    if not isinstance(calendar, IcalCalendar):
        raise WrongType(calendar, name="calendar", expected="an IcalCalendar (read_ical's)")
    _check_titles(calendar)
    _check_times(calendar)
    refs = resource_refs(resources)
    ctx = kit.context
    ctx.session_lifecycle(lifecycle)  # an unknown lifecycle fails before any write
    return ctx.retrying(_store, ctx, tenant, calendar, actor, lifecycle, refs, capacity, window)


def _store(
    ctx: Context,
    tenant: str,
    calendar: IcalCalendar,
    actor: str | None,
    lifecycle: str,
    refs: tuple[ResourceRef, ...],
    capacity: int,
    window: WindowPolicy | None,
) -> StoredCalendar:
    stored: dict[str, Series] = {}
    reports: list[MaterialiseReport] = []
    overrides: list[Session] = []
    extras: list[Session] = []
    with ctx.transaction() as tx:
        for imported in calendar.series:
            if imported.cancelled:
                continue  # none of it takes place: no series, as no session for an event
            spec = SeriesSpec(
                title=imported.title,
                items=[attrs.evolve(i, resources=refs) for i in imported.items],
                lifecycle=lifecycle,
                window=window,
                capacity=capacity,
                metadata={"ical_uid": imported.uid},
            )
            series = new_series(ctx, tenant, spec, series_id=ctx.ids(), now=tx.now, actor=actor)
            span = initial_window(series, tx.now, ctx.limits)
            series = attrs.evolve(series, generated_until=span.end)
            tx.series.add(series)
            for override in imported.overrides:
                session = _session(ctx, tx, series, override, actor)
                overrides.append(session)
            reports.append(materialise_in(ctx, tx, series, span, actor=actor))
            stored[imported.uid] = series
        extras.extend(
            _extra(ctx, tx, tenant, event, stored, lifecycle, refs, capacity, actor)
            for event in calendar.events
            if not event.cancelled  # a session cannot start cancelled; none is stored
        )
    return StoredCalendar(
        series=stored, reports=tuple(reports), overrides=tuple(overrides), extras=tuple(extras)
    )


def _check_titles(calendar: IcalCalendar) -> None:
    """Refuse a SUMMARY too long for a session's title, or with a NUL, at its event's line.

    Before any write, as the other checks of what a session cannot store.
    """
    for series in calendar.series:
        if series.cancelled:  # a cancelled series gets no series stored
            continue
        _check_title(series.title, series.line, series.uid)
        for override in series.overrides:
            line = override.line if override.line is not None else series.line
            if override.title is not None:
                _check_title(override.title, line, series.uid)
    for event in calendar.events:
        if not event.cancelled:  # a cancelled event gets no session
            _check_title(event.title, event.line, event.uid)


def _check_title(title: str, line: int | None, uid: str) -> None:
    try:
        storable(title, "the SUMMARY")  # a session's title is stored: no NUL
    except InvalidValue as exc:
        raise CalendarError(
            str(exc), line=line, text=None, uid=uid, expected=exc.expected
        ) from None
    if len(title) > MAX_TITLE_LENGTH:
        raise CalendarError(
            f"the SUMMARY is {len(title):,} characters long, a session's title at most "
            f"{MAX_TITLE_LENGTH:,}",
            line=line,
            text=None,
            uid=uid,
            expected=f"a SUMMARY of at most {MAX_TITLE_LENGTH:,} characters",
        )


def _check_times(calendar: IcalCalendar) -> None:
    """Refuse an override or event outside the instants the services schedule at, before any write.

    :meth:`~sessionkit.services.SessionCommands.create_extra` refuses them
    (:func:`~sessionkit.zones.check_instant`): stored anyway, such a session
    is one no command could have made (a typo's year 1, a move to year 500).
    A series' own occurrences are generated, from ``EARLIEST`` on, as the
    services generate them.
    """
    for series in calendar.series:
        if series.cancelled:  # a cancelled series gets no session
            continue
        for override in series.overrides:
            line = override.line if override.line is not None else series.line
            _check_span(override.span, "the override's", line, series.uid)
    for event in calendar.events:
        if not event.cancelled:  # a cancelled event gets no session
            _check_span(event.span, "the event's", event.line, event.uid)


def _check_span(span: TimeSpan, whose: str, line: int | None, uid: str) -> None:
    try:
        check_instant(span.start, "start")
        check_instant(span.end, "end")
    except InvalidValue as exc:
        raise CalendarError(
            f"{whose} {exc}", line=line, text=None, uid=uid, expected=exc.expected
        ) from None


def _item_of(series: Series, key: datetime, budget: int) -> ScheduleItem:
    """Return the schedule item whose occurrence has ``key`` (the first item if none has).

    ``budget``: the kit's ``Limits.candidates``, as generation's.
    """
    for item in series.items:
        rec = item.recurrence
        instant = key.replace(tzinfo=get_zone(rec.tz)).astimezone(UTC)
        lo, hi = instant - timedelta(hours=3), instant + timedelta(hours=3)
        around = rec.between(lo, hi, max_candidates=budget)
        if any(o.key == key for o in around):
            return item
    return series.items[0]


def _add(ctx: Context, tx: Tx, session: Session, actor: str | None) -> Session:
    ctx.check_capacity(session)
    check_free(tx, session)
    # Coded as every other way of creating a session codes it (the kit's ``codes``).
    [session] = assign_codes(ctx, tx, [session])
    tx.sessions.add(session)
    tx.collect([SessionCreated(tenant=session.tenant, actor=actor, at=tx.now, session=session)])
    return session


def _session(
    ctx: Context, tx: Tx, series: Series, override: IcalOverride, actor: str | None
) -> Session:
    machine = ctx.lifecycle(series.lifecycle)
    item = _item_of(series, override.key, ctx.limits.candidates)
    return _add(
        ctx,
        tx,
        Session(
            id=ctx.ids(),
            tenant=series.tenant,
            title=override.title if override.title is not None else series.title,
            span=override.span,
            tz=item.recurrence.tz,
            status=machine.entry_status,
            lifecycle=machine.name,
            busy=machine.status(machine.entry_status).busy,
            created_at=tx.now,
            created_by=actor,
            resources=item.resources,
            series_id=series.id,
            schedule_item_id=item.id,
            occurrence_key=override.key,
            capacity=series.capacity,
            detached=True,
            group=series.group,
        ),
        actor,
    )


def _extra(
    ctx: Context,
    tx: Tx,
    tenant: str,
    event: IcalEvent,
    stored: dict[str, Series],
    lifecycle: str,
    refs: tuple[ResourceRef, ...],
    capacity: int,
    actor: str | None,
) -> Session:
    machine = ctx.session_lifecycle(lifecycle)
    series = stored.get(event.series_uid) if event.series_uid is not None else None
    return _add(
        ctx,
        tx,
        Session(
            id=ctx.ids(),
            tenant=tenant,
            title=event.title,
            span=event.span,
            tz=event.tz,
            status=machine.entry_status,
            lifecycle=machine.name,
            busy=machine.status(machine.entry_status).busy,
            created_at=tx.now,
            created_by=actor,
            resources=refs,
            series_id=None if series is None else series.id,
            capacity=capacity,
            is_extra=True,
            metadata={"ical_uid": event.uid},
        ),
        actor,
    )
