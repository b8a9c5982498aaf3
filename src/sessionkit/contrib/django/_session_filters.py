"""Sessions in Django: what a query's filters and sort keys become in SQL.

:meth:`~sessionkit.contrib.django._sessions.DjangoSessionRepository.filtered`
(the rows a query's filters pick), the sort expression of each key (text by
code point), and the own-field conditions (JSON type and value; text
containing a search, ``lower()`` of both) on PostgreSQL and SQLite.
``DjangoSessionRepository`` takes these functions as its own methods (``self``
is the repository).

Private to :mod:`sessionkit.contrib.django._sessions`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db import connections
from django.db.models import BooleanField, F, Q, QuerySet, Subquery, Value
from django.db.models.expressions import RawSQL
from django.db.models.functions import Coalesce

from sessionkit.adapters._session_match import contains_pattern
from sessionkit.contrib.django.models import SessionRecord, SessionResource
from sessionkit.model.fields import FieldValue
from sessionkit.model.query import SessionQuery, SortField

if TYPE_CHECKING:
    from sessionkit.contrib.django._sessions import DjangoSessionRepository

__all__ = ["filtered"]


def _sort_expression(self: DjangoSessionRepository, field: SortField) -> Any:
    if field == "start":
        return F("start_at")
    if field == "end":
        return F("end_at")
    if field == "created":
        return F("created_at")
    if field == "updated":
        return Coalesce("updated_at", "created_at")
    if field == "title":
        return self._exact("title")
    if field == "status":
        return self._exact("status")
    return self._exact(Coalesce("group_key", Value("")))


def _member(self: DjangoSessionRepository, key: str) -> tuple[str, str, str, Any]:
    """Own field ``key``'s JSON type and value (SQL), the type name of text, their parameter.

    Each fragment takes the one parameter (the JSON path, or the key) once.
    """
    ops = connections[self.using].ops
    column = f"{ops.quote_name(SessionRecord._meta.db_table)}.{ops.quote_name('metadata')}"
    if self._uow.vendor == "sqlite":
        return f"json_type({column}, %s)", f"json_extract({column}, %s)", "text", f"$.{key}"
    return f"jsonb_typeof({column} -> %s)", f"({column} ->> %s)", "string", key


def _text_contains(self: DjangoSessionRepository, key: str, needle: str) -> RawSQL:
    """Own field ``key`` is text containing ``needle``, ``lower()`` of both, literally.

    As the SQLAlchemy store compares: the database's ``lower()`` of both (so
    a text is found by itself), every letter on PostgreSQL, ASCII letters
    only on SQLite.
    """
    kind, value, text, param = self._member(key)
    sql = f"({kind} = '{text}' AND lower({value}) LIKE lower(CAST(%s AS TEXT)) ESCAPE '\\')"
    # Fixed fragments only; the key and the pattern are parameters.
    return RawSQL(sql, [param, param, contains_pattern(needle)], output_field=BooleanField())  # noqa: S611


def _field_condition(
    self: DjangoSessionRepository, key: str, values: tuple[FieldValue, ...]
) -> RawSQL:
    """Own field ``key`` equals one of ``values``, JSON type included (``"1"`` is not ``1``)."""
    strings = [v for v in values if isinstance(v, str)]
    integers = [v for v in values if isinstance(v, int) and not isinstance(v, bool)]
    booleans = ["true" if v else "false" for v in values if isinstance(v, bool)]
    kind, value, text, param = self._member(key)
    parts: list[str] = []
    params: list[Any] = []

    def among(count: int) -> str:
        return "(" + ", ".join(["%s"] * count) + ")"

    if self._uow.vendor == "sqlite":  # the value as stored: an integer compares as one
        typed: list[tuple[str, list[Any]]] = [(text, strings), ("integer", integers)]
        if booleans:
            parts.append(f"{kind} IN {among(len(booleans))}")
            params.extend([param, *booleans])
    else:  # the text form of a JSON integer is its digits; of a boolean, true or false
        digits = [str(i) for i in integers]
        typed = [(text, strings), ("number", digits), ("boolean", booleans)]
    for name, wanted in typed:
        if wanted:
            parts.append(f"({kind} = '{name}' AND {value} IN {among(len(wanted))})")
            params.extend([param, param, *wanted])
    # The SQL is built from fixed fragments only; the key and values are parameters.
    sql = "(" + " OR ".join(parts) + ")"
    return RawSQL(sql, params, output_field=BooleanField())  # noqa: S611


def filtered(
    self: DjangoSessionRepository, tenant: str, query: SessionQuery
) -> QuerySet[SessionRecord]:
    """Return ``tenant``'s rows that ``query``'s filters pick (its order and paging aside)."""
    rows = self.rows(tenant)
    if query.matches_nothing:  # an empty statuses or resources list: any of none
        return rows.none()
    if query.series_id is not None:
        rows = rows.filter(series_ref=query.series_id)
    if query.statuses is not None:
        rows = rows.filter(status__in=query.statuses)
    if query.is_extra is not None:
        rows = rows.filter(is_extra=query.is_extra)
    if query.start_from is not None:
        rows = rows.filter(start_at__gte=query.start_from)
    if query.start_to is not None:
        rows = rows.filter(start_at__lt=query.start_to)
    if query.resources is not None:
        occupying = SessionResource.objects.using(self.using).filter(
            tenant=tenant, resource__in=sorted(str(r) for r in query.resources)
        )
        rows = rows.filter(pk__in=Subquery(occupying.values("session_id")))
    if query.search is not None:
        found = Q(title_folded__contains=query.search.casefold())
        for key in query.search_fields:
            found |= Q(self._text_contains(key, query.search))
        rows = rows.filter(found)
    if query.group is not None:
        rows = rows.filter(group_key=query.group)
    for key, values in query.fields:
        rows = rows.filter(self._field_condition(key, values))
    return rows
