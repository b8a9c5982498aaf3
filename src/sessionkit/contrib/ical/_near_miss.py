"""A series in a VTIMEZONE its zone reads otherwise at the changes: the instants it gives.

Where the IANA zone matched to a calendar's own VTIMEZONE changes at other hours (a near
miss, :meth:`Zones.exact <sessionkit.contrib.ical._event_zones.Zones.exact>`), a series
that ends gets the VTIMEZONE's instant for each occurrence of a change day, as an
override, and its UTC UNTIL and RECURRENCE-IDs are read as the VTIMEZONE's wall times.
"""

from __future__ import annotations

from datetime import datetime, timedelta, tzinfo

import attrs

from sessionkit.contrib.ical._errors import UnboundedRule
from sessionkit.contrib.ical._event import EventReader, instant
from sessionkit.contrib.ical._source import listed
from sessionkit.contrib.ical._values import IcalOverride, IcalSeries, rebuilt
from sessionkit.contrib.ical._zone_match import instant_offset
from sessionkit.errors import ExpansionLimitExceeded
from sessionkit.recurrence import Rule, parse_rule
from sessionkit.timespan import TimeSpan
from sessionkit.zones import get_zone

__all__ = ["as_its_vtimezone_gives", "until_as_wall", "vtimezone_of"]


def as_its_vtimezone_gives(
    reader: EventReader, made: IcalSeries, duration: timedelta, budget: int
) -> IcalSeries:
    """``made`` with an override at the instant its VTIMEZONE gives each occurrence, if other.

    Where the zone matched to the DTSTART's VTIMEZONE changes at other hours
    (:meth:`Zones.exact`), an occurrence between the two changes of a change
    day is where the VTIMEZONE puts it, which RFC 5545 makes its meaning and
    its writer's program showed, as a single event's is: Outlook's Chile has
    01:00 on 6 September 2026 at 05:00 UTC, Santiago at 04:00. Only of a series
    that ends (one that does not is generated in its zone for ever), and not
    onto the start of another occurrence, nor of an occurrence overridden already.
    """
    found = reader.timed("DTSTART")
    tzid = found.params.get("TZID") if found is not None else None
    if tzid is None or not reader.zones.written(str(tzid)) or made.cancelled:
        return made
    if reader.zones.alike(str(tzid), made.tz):  # no occurrence to move: not expanded
        return made
    try:
        every = made.occurrences(max_candidates=budget)
    except (UnboundedRule, ExpansionLimitExceeded):  # read as before: in its zone
        return made
    # An RDATE PERIOD of another length (an override of the event's own line) is its
    # occurrence, at its wall time: moved as the others, its length kept.
    periods = {o.key: o.span.duration for o in made.overrides if o.line == reader.src.begin}
    taken = {o.key for o in made.overrides} - periods.keys()
    starts = {occ.span.start for occ in every}
    instants = _rdates_elsewhere(reader, str(tzid), made.tz)
    gone = {x for item in made.items for x in item.recurrence.exdates}
    moved: dict[datetime, IcalOverride] = {}
    dropped: list[datetime] = []  # moved onto an EXDATE (in UTC, say): it does not take place
    zone, rules = get_zone(made.tz), reader.zones.rules(str(tzid))
    for occ in every:
        if occ.key is None or occ.key in taken or occ.span.start in instants:
            continue
        if rules is None or not _on_a_change_day(zone, rules, occ.span.start):
            continue
        wall = reader.zones.exact(str(tzid), occ.key, made.tz)
        begin = instant((wall, made.tz))
        if wall != occ.key and begin in gone and occ.key not in periods:
            dropped.append(occ.span.start)
        elif wall != occ.key and begin not in starts:
            span = TimeSpan(begin, begin + periods.get(occ.key, duration))
            moved[occ.key] = IcalOverride(key=occ.key, span=span, line=reader.src.begin)
            starts.add(begin)
    if not moved and not dropped:
        return made
    items = tuple(
        attrs.evolve(i, recurrence=rebuilt(i.recurrence, exdates=[*i.recurrence.exdates, *dropped]))
        for i in made.items
    )
    kept = (o for o in made.overrides if o.key not in moved)
    overrides = tuple(sorted((*kept, *moved.values()), key=_by_key))
    return attrs.evolve(made, items=items if dropped else made.items, overrides=overrides)


def _by_key(override: IcalOverride) -> datetime:
    return override.key


def vtimezone_of(reader: EventReader, tz: str) -> tzinfo | None:
    """The rules of the DTSTART's VTIMEZONE if ``tz`` reads them otherwise at a change."""
    found = reader.timed("DTSTART")
    tzid = str(found.params.get("TZID", "")) if found is not None else ""
    if not tzid or not reader.zones.written(tzid) or reader.zones.alike(tzid, tz):
        return None
    return reader.zones.rules(tzid)


def until_as_wall(text: str, tz: str, rules: tzinfo | None) -> Rule | str:
    """A UTC UNTIL made the instant, in ``tz``, of the wall time the VTIMEZONE gives it.

    The rule is expanded in ``tz``, the VTIMEZONE's instants being given to its
    change days' occurrences afterwards (:func:`as_its_vtimezone_gives`): the
    UNTIL of a series whose last occurrence is Outlook's Chile 01:00 on 5 April
    2026, 04:00 UTC (still -0300 by its rules), came before that occurrence's
    05:00 in Santiago, and lost it.
    """
    if rules is None:
        return text
    rule = parse_rule(text)
    until = rule.until
    if not isinstance(until, datetime) or until.tzinfo is None:
        return text
    try:
        wall = until.astimezone(rules).replace(tzinfo=None)
    except (ValueError, OverflowError):  # dateutil cannot convert by this VTIMEZONE
        return text
    return attrs.evolve(rule, until=instant((wall, tz)))


def _on_a_change_day(zone: tzinfo, rules: tzinfo, start: datetime) -> bool:
    """Whether ``zone`` changes its offset within a day of ``start``, as ``rules`` do.

    Only there may a VTIMEZONE matched to ``zone`` (its ``rules``) give another
    instant; elsewhere it gives the zone's offset, or, past a date where the two
    part (a week apart in a year the zone's rule differs), the series follows
    the zone. Asking the VTIMEZONE for every occurrence cost a daily series of
    ten years some 3 s: dateutil walks Outlook's rules from 1601 for each.
    """
    before, after = start - _DAY, start + _DAY
    ours = [before.astimezone(zone).utcoffset(), after.astimezone(zone).utcoffset()]
    return ours[0] != ours[1] and ours == [instant_offset(rules, t) for t in (before, after)]


_DAY = timedelta(days=1)


def _rdates_elsewhere(reader: EventReader, tzid: str, tz: str) -> set[datetime]:
    """The instants of ``reader``'s RDATEs written in UTC or another TZID than ``tzid``.

    Each names its instant, not a wall time of ``tzid``'s VTIMEZONE, so it is
    no occurrence to move (its key is only ``tz``'s wall time of it).
    """
    found: set[datetime] = set()
    for index, lst in enumerate(listed(reader.comp.get("RDATE"))):
        for item in lst.dts:
            value = item.dt[0] if isinstance(item.dt, tuple) else item.dt
            if not isinstance(value, datetime):
                continue
            if str(lst.params.get("TZID", tzid if value.tzinfo is None else "")) != tzid:
                found.add(instant(reader.wall(value, lst.params, "RDATE", index, floating=tz)))
    return found
