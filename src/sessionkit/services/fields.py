"""A platform's own fields and groups: change ``metadata``, close every series of a group.

Own fields are annotations (a consultation's type and meeting platform, notes,
a meeting link, a grade): they change nothing sessionkit schedules, so they
may be changed in every status, with dependents, and on a closed series. A
finished lesson still gets its grade and a canceled consultation its notes;
what guards them is the version (``expected_version``). Changing them does
not mark a session ``detached``: regeneration keeps a session's fields anyway.

:class:`~sessionkit.services.commands.SessionCommands` and
:class:`~sessionkit.services.series.SeriesCommands` delegate here.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, TypeVar

import attrs

from sessionkit.errors import InvalidValue, WrongType
from sessionkit.errors._base import shown
from sessionkit.model.attendance import SEALED_BY_FIELD, SEALED_FIELD
from sessionkit.model.events import SeriesUpdated, SessionUpdated
from sessionkit.model.fields import check_field_key, check_fields_size, field_value, json_typed
from sessionkit.model.html import html_of
from sessionkit.model.series import Series
from sessionkit.model.session import REQUEST_FIELD, Session, check_group
from sessionkit.model.text import check_actor, check_id, check_tenant
from sessionkit.model.usage import CODE_FIELD, MADE_UP_BY_FIELD, MAKEUP_FIELD
from sessionkit.services._closing import close_all_in
from sessionkit.services._context import Context, check_record_version, check_version
from sessionkit.services.reports import CloseReport

__all__ = ["GroupCloseReport", "changed_fields", "close_group", "set_fields"]

R = TypeVar("R", Session, Series)


@attrs.frozen(slots=True, kw_only=True)
class GroupCloseReport:
    """What closing a group did: one :class:`CloseReport` per series it closed, by series id."""

    _repr_html_ = html_of

    tenant: str
    group: str
    closed: tuple[CloseReport, ...] = ()

    @property
    def series_ids(self) -> tuple[str, ...]:
        """The ids of the series closed."""
        return tuple(report.series_id for report in self.closed)


_KEPT_BY: dict[str, str] = {
    MAKEUP_FIELD: "kit.usage.mark_makeup",
    MADE_UP_BY_FIELD: "kit.usage.mark_makeup",
    CODE_FIELD: "the kit's session codes",
    SEALED_FIELD: "the session's status changes",
    SEALED_BY_FIELD: "the session's status changes",
    REQUEST_FIELD: "create_extra(fingerprint=...)",
}
"""A session's own fields sessionkit keeps, and what writes each.

The credit a makeup is charged as, a session's code and the instant its
attendance is sealed at (and the status that sealed it) rest on them: written
by hand, one lesson would ride on another's credit, show a code the codes
table does not hold, or take presence after it ended."""


def check_unkept(keys: Iterable[str]) -> None:
    """Refuse (``InvalidValue``) any of ``keys`` that is a session field sessionkit keeps."""
    for key in keys:
        writer = _KEPT_BY.get(key)
        if writer is not None:
            raise InvalidValue(
                f"field {shown(key)} is kept by sessionkit (written by {writer}), not set by hand",
                value=key,
                expected=f"a field name other than {', '.join(sorted(_KEPT_BY))}",
            )


def changed_fields(
    current: Mapping[str, Any],
    set: Mapping[str, Any] | None,
    remove: Iterable[str],
    *,
    session: bool = False,
) -> dict[str, Any] | None:
    """Return the fields after setting ``set`` and removing ``remove``, or ``None`` if unchanged.

    Raises ``InvalidValue`` naming the key for a bad key, a value that is not
    JSON-representable, or a key both set and removed; for a ``session``, for a
    field sessionkit keeps (:func:`check_unkept`).
    """
    if isinstance(remove, str):
        removing = [remove]
    elif isinstance(remove, (bytes, Mapping)) or not isinstance(remove, Iterable):
        raise WrongType(remove, name="remove", expected="a field name or a list of them")
    else:
        removing = list(remove)
    if set is not None and not isinstance(set, Mapping):
        raise WrongType(set, name="set", expected="a mapping of field names to values")
    setting = {check_field_key(key): field_value(key, value) for key, value in (set or {}).items()}
    for key in removing:
        check_field_key(key)
    if session:
        check_unkept([*setting, *removing])
    for key in removing:
        if key in setting:
            raise InvalidValue(
                f"field {shown(key)} is both set and removed", value=key, expected="one of the two"
            )
    after = dict(current)
    for key in removing:
        after.pop(key, None)
    after.update(setting)
    # Compare as JSON would: 1 == 1.0 == True in Python, not once stored.
    if json_typed(after) == json_typed(dict(current)):
        return None
    return hosts_fields_sized(after)


def hosts_fields_sized(fields: dict[str, Any]) -> dict[str, Any]:
    """Return ``fields`` if the host's among them fit ``MAX_FIELDS_SIZE``; else ``InvalidValue``.

    The fields sessionkit keeps (codes, makeup marks, the sealing instant, a
    request's fingerprint) are not counted: they are its own, and small.
    """
    check_fields_size({key: value for key, value in fields.items() if key not in _KEPT_BY})
    return fields


def set_fields(
    ctx: Context,
    kind: type[R],
    tenant: str,
    record_id: str,
    *,
    actor: str | None,
    set: Mapping[str, Any] | None,
    remove: Iterable[str],
    expected_version: int | None,
) -> R:
    """Change the own fields of a session or series (``kind``); return the stored record.

    No change, no write and no event; otherwise ``SessionUpdated`` or
    ``SeriesUpdated`` with ``old={"metadata": <the fields before>}``.
    """
    check_tenant(tenant)
    check_id(record_id, "session_id" if kind is Session else "series_id")
    check_actor(actor)
    check_version(expected_version)
    with ctx.transaction() as tx:
        now = tx.now
        repository: Any = tx.sessions if kind is Session else tx.series
        record: R = repository.get(tenant, record_id)
        check_record_version(record.id, record.version, expected_version)
        after = changed_fields(record.metadata, set, remove, session=kind is Session)
        if after is None:
            return record
        changed = attrs.evolve(record, metadata=after, updated_at=now, updated_by=actor)
        stored: R = repository.update(changed, expected_version=record.version)
        old = {"metadata": record.metadata}
        if isinstance(stored, Session):
            tx.collect(
                [SessionUpdated(tenant=tenant, actor=actor, at=now, session=stored, old=old)]
            )
        else:
            tx.collect([SeriesUpdated(tenant=tenant, actor=actor, at=now, series=stored, old=old)])
    return stored


def close_group(ctx: Context, tenant: str, group: str, *, actor: str | None) -> GroupCloseReport:
    """Close every active series of ``group`` in one unit of work, all or nothing.

    Each series is closed as :meth:`~sessionkit.services.SeriesCommands.close`
    closes it (its events included); series closed already are left alone. A
    group with no active series closes nothing.
    """
    if group is None:
        raise InvalidValue("close_group needs a group", value=group, expected="a group key")
    check_tenant(tenant)
    check_group(group)
    check_actor(actor)
    with ctx.transaction() as tx:
        active = [series for series in tx.series.in_group(tenant, group) if series.is_active]
        reports = close_all_in(ctx, tx, active, tx.now, actor=actor)
    return GroupCloseReport(tenant=tenant, group=group, closed=tuple(reports))
