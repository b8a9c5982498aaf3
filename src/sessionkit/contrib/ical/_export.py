"""A stored series and its sessions, or a resource's sessions, as iCalendar text."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import datetime

from sessionkit.contrib.ical._attendee import IcalAttendee, check_address
from sessionkit.contrib.ical._began import from_began, generation_began, unspent
from sessionkit.contrib.ical._exdates import (
    cancelled_exdates,
    ended_at_last,
    occupied_exdates,
    passed_exdates,
    walked_to,
)
from sessionkit.contrib.ical._readers import (
    excluded_overrides,
    including,
    loose_sessions,
    read_elsewhere,
    readers_read,
)
from sessionkit.contrib.ical._text import without_controls
from sessionkit.contrib.ical._values import (
    IcalCalendar,
    IcalEvent,
    IcalOverride,
    IcalSeries,
    check_candidates,
)
from sessionkit.contrib.ical._write import write_ical
from sessionkit.errors import WrongType
from sessionkit.errors._base import instances_of
from sessionkit.lifecycle import PRESETS, LifecycleRegistry
from sessionkit.model.booking import CONFIRMED, HELD, OFFERED, Booking
from sessionkit.model.series import Series, SeriesStatus
from sessionkit.model.session import ResourceRef, Session
from sessionkit.recurrence import MAX_CANDIDATES
from sessionkit.zones import check_aware

__all__ = ["calendar_of", "export_series", "sessions_feed"]


def calendar_of(
    series: Series,
    sessions: Iterable[Session] = (),
    *,
    lifecycles: LifecycleRegistry = PRESETS,
    max_candidates: int = MAX_CANDIDATES,
) -> IcalCalendar:
    """Return a stored series as plain values: its items, detached sessions as overrides.

    ``sessions`` are the series' sessions, all of them
    (``kit.queries.series_sessions``; others are ignored): a session left out
    is not written, and for a closed series counts as deleted. Of them, the detached
    generated ones become overrides (:class:`IcalOverride`), as do those of an
    occurrence in a DST gap or fold that their rule reads ``"earlier"`` or
    ``"later"`` (RFC 5545 reads it ``"compatible"``), and the extra ones
    single events (:class:`IcalEvent`) related to the series, as do generated
    ones whose occurrence no current item gives (from before a schedule
    change). A detached session of an occurrence an item's EXDATE removes (an
    imported override of an excluded occurrence) is an override all the same,
    and its EXDATE is left out: RFC 5545 readers drop an override whose
    occurrence an EXDATE removes. A cancelled
    generated session (its status is ``cancelled`` in its lifecycle, looked up
    in ``lifecycles``) becomes an EXDATE of every item, a cancelled extra one
    an event with ``cancelled`` set. The UIDs are the ones the series and
    sessions were imported with (``metadata["ical_uid"]``, see
    :func:`store_ical`), else their ids. Each rule starts at its first
    occurrence from where generation began (the series' creation, or an older
    session's occurrence; a COUNT lessened to match): the kit has none before;
    a rule with none from there (spent) is left out.
    A closed series ends at its last generated session, with an EXDATE for
    each occurrence from there without one (closing or
    removing unbooked sessions deleted them), and is left out if it has none.
    An open series has an EXDATE for each occurrence of its items from there
    to its ``generated_until`` without a session (one before a
    schedule change, lost to a conflict, removed): generation passed it. So
    is an occurrence whose start another session holds (moved or extra):
    generation skips it. With no sessions given, an open series' rule is written as it is,
    but a rule spent before the series' creation is left out (it never had a session).
    ``max_candidates`` is each expansion's budget, as :func:`read_ical`'s (a
    closed series' COUNT rule is walked from its DTSTART to its last session):
    past it, ``ExpansionLimitExceeded``. Raises
    ``UnknownLifecycle`` for a session whose lifecycle ``lifecycles`` does
    not know, ``WrongType`` for a ``series`` or session of another type.
    """
    if not isinstance(series, Series):
        raise WrongType(series, name="series", expected="a Series")
    budget = check_candidates(max_candidates)
    mine = [s for s in _sessions(sessions) if s.series_id == series.id]
    given = bool(mine)
    off = {s.id for s in mine if lifecycles.get(s.lifecycle).status(s.status).cancelled}
    read = readers_read(series.items, mine, budget)
    excluded = excluded_overrides(series.items, read, mine, budget)
    loose = loose_sessions(read, [s for s in mine if s.id not in excluded])
    mine = [s for s in mine if s.id not in loose]
    elsewhere = read_elsewhere(read, mine)
    ids = frozenset({series.id, *(s.id for s in mine if s.is_extra), *loose})
    uid = _uid(series.metadata, series.id, set(), ids)
    overrides = tuple(
        sorted(
            (
                IcalOverride(
                    key=s.occurrence_key,
                    span=s.span,
                    title=None if s.title == series.title else s.title,
                )
                for s in mine
                if (s.detached or s.id in elsewhere)
                and not s.is_extra
                and s.occurrence_key is not None
                and s.id not in off
            ),
            key=lambda o: o.key,
        )
    )
    cancelled = [
        s.occurrence_key
        for s in mine
        if s.id in off and not s.is_extra and s.occurrence_key is not None
    ]
    used = {uid}
    extras = tuple(
        IcalEvent(
            uid=_uid(s.metadata, s.id, used, ids),
            title=s.title,
            span=s.span,
            tz=s.tz,
            series_uid=uid,
            cancelled=s.id in off,
        )
        for s in sorted([*mine, *loose.values()], key=lambda s: (s.start, s.id))
        if s.is_extra or s.id in loose
    )
    items = including(series.items, {x for i, xs in excluded.items() if i not in off for x in xs})
    generated = {s.occurrence_key for s in mine if not s.is_extra}
    kept = {k for k in generated if k is not None}
    began = generation_began(series, kept)
    closed = series.status == SeriesStatus.CLOSED
    if given:  # the kit never had the occurrences before generation began: nor has the export
        # The end of the walk for EXDATEs after it: a closed series' to its last session.
        until = walked_to(kept) if closed else series.generated_until
        items, began = from_began(items, began, budget, until=until)
    else:  # "no session yet" is written as it is; a rule spent before creation never has one
        items = unspent(items, began, budget)
    if closed:
        items = ended_at_last(items, kept, began, budget)
    elif series.generated_until is not None and given:
        # With no session given, the rule is written as it is (see the docstring).
        items = passed_exdates(items, kept, began, series.generated_until, budget)
    moved = [s for s in mine if s.detached or s.is_extra or s.id in elsewhere]
    items = occupied_exdates(items, [*moved, *loose.values()], kept, budget)
    # Cancelled sessions become EXDATEs last: a closed series' rule ends at its last session,
    # cancelled or not, and one whose every session was cancelled had no last one to end at.
    items = cancelled_exdates(items, cancelled, budget)
    return IcalCalendar(
        series=(
            (IcalSeries(uid=uid, title=series.title, items=items, overrides=overrides),)
            if items
            else ()
        ),
        events=extras,
        name=series.title,
    )


def _sessions(sessions: Iterable[Session]) -> list[Session]:
    """Return ``sessions`` as a list; raise ``WrongType`` for anything that is no Session."""
    given: object = sessions  # typed, but a caller's value may be anything
    if isinstance(given, (str, bytes)) or not isinstance(given, Iterable):
        raise WrongType(given, name="sessions", expected="an iterable of Sessions")
    found: list[Session] = []
    for session in given:
        if not isinstance(session, Session):
            raise WrongType(session, name="a session", expected="a Session")
        found.append(session)
    return found


def _uid(metadata: Mapping[str, object], own_id: str, used: set[str], ids: frozenset[str]) -> str:
    """The UID a stored value was imported with (``metadata["ical_uid"]``), else its id.

    Its id too when the UID is nothing but control characters, which are not
    written, when another event of the calendar has that UID already (the
    same calendar imported twice) or will have it as its own id (a feed of
    this kit imported back): one UID, one event. ``ids`` are the ids of every
    value written; adds the UID to ``used``.
    """
    imported = metadata.get("ical_uid")
    # One of control characters only is written empty (write_ical leaves them out): no UID.
    usable = isinstance(imported, str) and without_controls(imported) and imported not in used
    uid = str(imported) if usable and (imported == own_id or imported not in ids) else own_id
    used.add(uid)
    return uid


def export_series(
    series: Series,
    sessions: Iterable[Session] = (),
    *,
    stamp: datetime | None = None,
    lifecycles: LifecycleRegistry = PRESETS,
    max_candidates: int = MAX_CANDIDATES,
) -> str:
    """Return one stored series (and its moved, edited and extra sessions) as iCalendar text.

    ``sessions`` are all of the series' sessions, as
    ``kit.queries.series_sessions`` reads them (see :func:`calendar_of`).

    Cancelled sessions are EXDATEs (of generated ones) or ``STATUS:CANCELLED``
    events (of extra ones); ``lifecycles`` says which statuses are cancelled
    (pass the kit's if it has lifecycles of its own). ``stamp`` (DTSTAMP)
    defaults to when the series was last changed. ``max_candidates``: each
    expansion's budget (:func:`calendar_of`, :func:`write_ical`); pass the
    kit's ``Limits.candidates`` if it raises them.
    """
    if not isinstance(series, Series):
        raise WrongType(series, name="series", expected="a Series")
    when = stamp or series.updated_at or series.created_at
    budget = check_candidates(max_candidates)
    calendar = calendar_of(series, sessions, lifecycles=lifecycles, max_candidates=budget)
    return write_ical(calendar, stamp=when, max_candidates=budget)


def sessions_feed(
    sessions: Iterable[Session],
    *,
    stamp: datetime,
    name: str | None = None,
    lifecycles: LifecycleRegistry = PRESETS,
    bookings: Iterable[Booking] = (),
    address: Callable[[ResourceRef], str | None] | None = None,
    organizer: Callable[[Session], str | None] | None = None,
) -> str:
    """Return sessions as plain VEVENTs, a feed of a resource's agenda.

    The UID of each is the one it was imported with (``metadata["ical_uid"]``),
    else its id; RELATED-TO is its series' id. A session whose status is
    ``cancelled`` in its lifecycle (looked up in ``lifecycles``) is written
    with ``STATUS:CANCELLED``, so subscribed calendars drop it.

    ``bookings`` (of these sessions; others are ignored) are written as
    ATTENDEEs, their calendar addresses (URIs, ``mailto:...``) from
    ``address``, called once per participant (``None``: left out). A booking
    is one while it takes seats at ``stamp``: confirmed (``PARTSTAT=ACCEPTED``),
    held (``TENTATIVE``) or offered (``NEEDS-ACTION``) and before its expiry;
    ``ROLE=REQ-PARTICIPANT``, ``CUTYPE=INDIVIDUAL``, and ``X-SESSIONKIT-SEATS``
    for more than one seat. Bookings of one address are one ATTENDEE (their
    seats added, the most committed PARTSTAT); a booking given twice (by
    tenant and id) counts once, as last given. ``organizer`` gives a
    session's ORGANIZER address (its teacher's, say; ``None``: none), which
    RFC 5545 asks of an event with ATTENDEEs. Raises ``WrongType`` for a
    value that is no Booking, bookings without ``address``, an
    ``organizer`` or ``address`` that is no function, or an address that is
    no text, and ``InvalidValue`` for one that is no URI.
    """
    chosen = sorted(_sessions(sessions), key=lambda s: (s.start, s.id))
    ids = frozenset(s.id for s in chosen)
    attendees = _attendees(chosen, bookings, address, check_aware(stamp, "stamp"))
    organizers = _organizers(chosen, organizer)
    used: set[str] = set()
    events = tuple(
        IcalEvent(
            uid=_uid(s.metadata, s.id, used, ids),
            title=s.title,
            span=s.span,
            tz=s.tz,
            series_uid=s.series_id,
            cancelled=lifecycles.get(s.lifecycle).status(s.status).cancelled,
            attendees=attendees.get((s.tenant, s.id), ()),
            organizer=organizers[n],
        )
        for n, s in enumerate(chosen)
    )
    return write_ical(IcalCalendar(events=events), stamp=stamp, name=name)


def _organizers(
    sessions: list[Session], organizer: Callable[[Session], str | None] | None
) -> list[str | None]:
    """Each session's ORGANIZER address, from ``organizer`` (checked: a URI or ``None``)."""
    if organizer is None:
        return [None] * len(sessions)
    if not callable(organizer):
        raise WrongType(organizer, name="organizer", expected="a function of a session")
    found: list[str | None] = []
    for session in sessions:
        uri = organizer(session)
        found.append(
            None if uri is None else check_address(uri, f"the organizer of {session.id!r}")
        )
    return found


_PARTSTATS = {CONFIRMED: "ACCEPTED", HELD: "TENTATIVE", OFFERED: "NEEDS-ACTION"}
"""The PARTSTAT of each status whose bookings take seats, the most committed first."""
_RANK = tuple(_PARTSTATS.values())


def _attendees(
    sessions: list[Session],
    bookings: Iterable[Booking],
    address: Callable[[ResourceRef], str | None] | None,
    at: datetime,
) -> dict[tuple[str, str], tuple[IcalAttendee, ...]]:
    """The ATTENDEEs of each session (by tenant and id) from its bookings taking seats at ``at``."""
    given = instances_of(bookings, Booking, name="bookings")
    if not given and address is None:
        return {}
    if not callable(address):
        raise WrongType(
            address, name="address", expected="a function of a participant, with bookings"
        )
    keys = {(s.tenant, s.id) for s in sessions}  # ids may repeat across tenants
    addresses: dict[ResourceRef, str | None] = {}
    found: dict[tuple[str, str], dict[str, IcalAttendee]] = {}
    # A booking read twice (keyset pages meet it again when its session moves between
    # them) takes its seats once, as last given: the later read is the newer.
    latest = {(b.tenant, b.id): b for b in given}
    for booking in latest.values():
        key = (booking.tenant, booking.session_id)
        if key not in keys or not booking.takes_seats(at):
            continue
        who = booking.participant
        if who not in addresses:
            uri = address(who)
            addresses[who] = None if uri is None else check_address(uri, f"the address of {who}")
        uri = addresses[who]
        if uri is None:
            continue
        mine = found.setdefault(key, {})
        partstat, seats = _PARTSTATS[booking.status], booking.seats
        if (had := mine.get(uri)) is not None:  # two participants of one address: a parent's
            partstat = min(partstat, had.partstat, key=_RANK.index)
            seats += had.seats
        mine[uri] = IcalAttendee(address=uri, partstat=partstat, seats=seats)
    return {key: tuple(mine[uri] for uri in sorted(mine)) for key, mine in found.items()}
