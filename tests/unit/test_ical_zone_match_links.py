"""Zones a VTIMEZONE cannot tell apart: tzdb's own zone before the names it links to it.

A fixed offset with its abbreviation (CAT, AST, EST, SST, KST) is the offset of many zones
over the dates compared; by name the matcher took Africa/Blantyre, America/Anguilla,
America/Atikokan, Pacific/Midway and Asia/Pyongyang (test_ical_zone_match_tznames pins
what it takes now). The tz database keeps the first four as links to the zone it merged
them into; a zone linked to comes first, the most linked first, the links last.
"""

from __future__ import annotations

from sessionkit.contrib.ical._zone_match import _by_name


def test_a_link_comes_after_the_zone_it_names() -> None:
    order = {name: n for n, name in enumerate(_by_name())}
    assert order["Europe/Prague"] < order["Europe/Bratislava"]
    assert order["Africa/Maputo"] < order["Africa/Juba"] < order["Africa/Blantyre"]
    assert order["America/Panama"] < order["America/Jamaica"] < order["America/Atikokan"]
    assert order["America/Atikokan"] < order["US/Eastern"]  # old aliases last, as before
