"""Generic storage ports: records, kinds, repositories, the clock and the event publisher."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import UTC, datetime
from operator import attrgetter
from typing import Any, Generic, Protocol, TypeVar, cast, runtime_checkable

import attrs

from sessionkit.errors import Duplicate, InvalidValue, NotFound, WrongType
from sessionkit.errors._base import iterator_of, shown
from sessionkit.model.events import DomainEvent

RecordT = TypeVar("RecordT", bound="Record")
RepoT = TypeVar("RepoT")


class Record(Protocol):
    """What every stored aggregate has: an id, the tenant it belongs to, and a version."""

    @property
    def id(self) -> str:
        """The record's id, unique per tenant."""
        ...

    @property
    def tenant(self) -> str:
        """The tenant owning the record."""
        ...

    @property
    def version(self) -> int:
        """The optimistic-concurrency version, 1 for a new record."""
        ...


@attrs.frozen
class UniqueKey:
    """A set of fields no two records of one tenant may share (beside the id).

    ``fields`` are attribute names (properties work too), at least one; a
    single string is refused (``WrongType``), never read as its letters. As in
    SQL, a record with ``None`` in any of them is not held to the key.
    """

    name: str
    fields: tuple[str, ...]
    _get: Callable[[Any], Any] = attrs.field(init=False, repr=False, eq=False)

    def __attrs_post_init__(self) -> None:
        _check_name(self.name, "UniqueKey.name")
        object.__setattr__(self, "fields", _field_names(self.fields, self.name))
        object.__setattr__(self, "_get", attrgetter(*self.fields))

    def value(self, record: object) -> tuple[Any, ...] | None:
        """Return the key's value for ``record``, or ``None`` when a field is ``None``."""
        got = self._get(record)
        values = got if len(self.fields) > 1 else (got,)
        return None if any(v is None for v in values) else tuple(values)


def _check_name(name: object, what: str) -> None:
    if not isinstance(name, str):
        raise WrongType(name, name=what, expected="a name (str)")
    if not name.strip():
        raise InvalidValue(f"{what} is blank", value=name, expected="a non-blank name")


def _field_names(fields: object, key: str) -> tuple[str, ...]:
    """``fields`` of the unique key ``key`` as a tuple of names; ``WrongType`` for a string."""
    what = f"the fields of unique key {shown(key)}"
    if isinstance(fields, str):
        raise WrongType(
            fields,
            name=what,
            expected=f"a tuple of field names, such as ({fields!r},): a string would be read "
            "as its letters",
        )
    names: tuple[object, ...] = tuple(
        iterator_of(cast("Iterable[object]", fields), name=what, expected="a tuple of field names")
    )
    if not names:
        raise InvalidValue(f"{what} are none", value=names, expected="at least one field name")
    for name in names:
        _check_name(name, f"a field of unique key {shown(key)}")
    return cast("tuple[str, ...]", names)


def _attributes(record_type: type[Any]) -> frozenset[str] | None:
    """The fields an attrs class or dataclass declares; ``None`` for a class of another make."""
    if attrs.has(record_type):
        return frozenset(attrs.fields_dict(record_type))
    if dataclasses.is_dataclass(record_type):
        return frozenset(field.name for field in dataclasses.fields(record_type))
    return None


def _check_fields(kind: Kind[Any]) -> None:
    """Refuse a unique key or parent naming a field the kind's records do not have.

    Checked where the record class says what it has (attrs classes and
    dataclasses; properties and class attributes count too), so a misspelt
    name fails here rather than at the first write.
    """
    declared = _attributes(kind.record_type)
    if declared is None:
        return
    named = [(f"unique key {shown(key.name)}", f) for key in kind.unique for f in key.fields]
    named += [("parents", f) for f in kind.parents]
    for where, field in named:
        if field not in declared and not hasattr(kind.record_type, field):
            raise InvalidValue(
                f"kind {shown(kind.name)}: {where} names {shown(field)}, which "
                f"{kind.record_type.__name__} has not",
                value=field,
                expected=f"a field of {kind.record_type.__name__}: {', '.join(sorted(declared))}",
            )


def _not_found(kind: str, record_id: object, tenant: object) -> NotFound:
    return NotFound(kind, record_id, tenant)


def _duplicate(kind: str, record: Any, key: UniqueKey | None, existing: object) -> Duplicate:
    if key is None:
        return Duplicate.of(kind, record.id, record.tenant, existing=existing)
    return Duplicate.of(
        kind, record.id, record.tenant, key=key.name, value=key.value(record), existing=existing
    )


@attrs.frozen(eq=False)
class Kind(Generic[RepoT]):
    """One kind of stored aggregate: its name, record class, unique keys and errors.

    ``RepoT`` is the repository protocol the kind's repositories follow
    (:class:`Repository` of the record class, or a wider protocol with the
    kind's own queries); :meth:`UnitOfWork.repository` returns that type.
    ``not_found(kind, id, tenant)`` and ``duplicate(kind, record, key,
    existing)`` build the kind's own errors (``key`` is ``None`` for the id).
    ``parents`` maps a field holding another kind's id (a session's
    ``series_id``) to that kind: every adapter refuses a record whose parent
    does not exist (the parent kind's ``NotFound``) and the deletion of a
    record that others still point at (``StillReferenced``); ``None`` in the
    field means no parent. Kinds compare by identity; adapters look them up
    by :attr:`name`.
    """

    name: str
    record_type: type[Any]
    unique: tuple[UniqueKey, ...] = ()
    not_found: Callable[[str, object, object], NotFound] = _not_found
    duplicate: Callable[[str, Any, UniqueKey | None, object], Duplicate] = _duplicate
    parents: Mapping[str, Kind[Any]] = attrs.field(factory=dict)

    def __attrs_post_init__(self) -> None:
        # Checked when the kind is made: a misspelt field or a doubled key name would
        # otherwise surface at the first write, as an AttributeError or a wrong Duplicate.
        _check_name(self.name, "Kind.name")
        if not isinstance(self.record_type, type):
            raise WrongType(self.record_type, name="Kind.record_type", expected="a class")
        unique = tuple(iterator_of(self.unique, name="Kind.unique", expected="UniqueKey values"))
        seen: set[str] = set()
        for key in unique:
            if not isinstance(key, UniqueKey):
                raise WrongType(key, name="an item of Kind.unique", expected="a UniqueKey")
            if key.name in seen:
                raise InvalidValue(
                    f"kind {shown(self.name)} has two unique keys called {shown(key.name)}",
                    value=key.name,
                    expected="one name per unique key",
                )
            seen.add(key.name)
        object.__setattr__(self, "unique", unique)
        if not isinstance(self.parents, Mapping):
            raise WrongType(
                self.parents, name="Kind.parents", expected="a mapping of field names to Kinds"
            )
        for column, parent in self.parents.items():
            if not isinstance(parent, Kind):
                raise WrongType(parent, name=f"Kind.parents[{column!r}]", expected="a Kind")
        _check_fields(self)

    def missing(self, record_id: object, tenant: object) -> NotFound:
        """Return the error for a record of this kind that does not exist."""
        return self.not_found(self.name, record_id, tenant)

    def taken(self, record: object, key: UniqueKey | None, existing: object) -> Duplicate:
        """Return the error for ``record`` whose id (``key=None``) or unique ``key`` is taken."""
        return self.duplicate(self.name, record, key, existing)

    def key(self, name: str) -> UniqueKey:
        """Return the unique key called ``name``."""
        for key in self.unique:
            if key.name == name:
                return key
        raise LookupError(f"kind {shown(self.name)} has no unique key {shown(name)}")


_OWN: dict[str, Kind[Any]] = {}
"""sessionkit's own kinds by name (:func:`reserve`): no other kind may take one of the names."""


def reserve(*kinds: Kind[Any]) -> None:
    """Make the names of ``kinds`` (sessionkit's own) unavailable to any other kind."""
    _OWN.update((kind.name, kind) for kind in kinds)


def check_kind(kind: object) -> Kind[Any]:
    """Return ``kind`` if it is a :class:`Kind` whose name is its own; else raise.

    Adapters ask when a kind is registered or first handed a repository: a
    kind of yours named ``"booking"`` would otherwise be given sessionkit's
    bookings (their repository, their table) and fail deep inside, or replace
    them. ``WrongType`` for a non-kind, ``InvalidValue`` naming the name.
    """
    if not isinstance(kind, Kind):
        raise WrongType(kind, name="kind", expected="a sessionkit.ports.Kind")
    own = _OWN.get(kind.name)
    if own is not None and own is not kind:
        raise InvalidValue(
            f"kind name {shown(kind.name)} is sessionkit's own (records of "
            f"{own.record_type.__name__}); name your kind otherwise",
            value=kind.name,
            expected=f"a name other than {', '.join(sorted(_OWN))}",
        )
    return kind


class Repository(Protocol[RecordT]):
    """The records of one kind, of all tenants; every method is scoped by ``tenant``."""

    def get(self, tenant: str, record_id: str) -> RecordT:
        """Return the record; raise the kind's ``NotFound`` (also for another tenant's id)."""
        ...

    def get_many(self, tenant: str, record_ids: Iterable[str]) -> list[RecordT]:
        """Return the records that exist among ``record_ids``, in the order asked, each once."""
        ...

    def claim(self, tenant: str, record_ids: Iterable[str]) -> list[RecordT]:
        """Lock the records among ``record_ids`` no other unit of work holds; return them by id.

        The locks last until the unit of work ends, and the records come back as
        last committed. Records held by another unit are left out instead of
        waited for (``FOR UPDATE SKIP LOCKED``), so workers ticking at once split
        the due work. Stores without row locks return every record that exists:
        SQLite's write transaction, and the memory store's one unit at a time,
        already keep any other writer out.
        """
        ...

    def add(self, record: RecordT) -> None:
        """Store a new record; raise the kind's ``Duplicate`` for a taken id or unique key."""
        ...

    def add_many(self, records: Sequence[RecordT]) -> None:
        """Store new records in bulk, all or none; same errors as :meth:`add`."""
        ...

    def update(self, record: RecordT, *, expected_version: int) -> RecordT:
        """Replace the stored record, returning it with ``version + 1``.

        Raises the kind's ``NotFound``, ``ConcurrentModification`` or the kind's
        ``Duplicate`` (a unique key taken by another record).
        """
        ...

    def delete(self, tenant: str, record_id: str, *, expected_version: int) -> None:
        """Delete the record; raise the kind's ``NotFound`` or ``ConcurrentModification``."""
        ...


@runtime_checkable
class Clock(Protocol):
    """Where services get the current instant (never ``datetime.now()``)."""

    def now(self) -> datetime:
        """Return the current instant, timezone-aware."""
        ...


class SystemClock:
    """The :class:`Clock` of a running application: the system's time, in UTC.

    sessionkit reads the time only from the clock it is given: pass this one
    in production, and a :class:`~sessionkit.testing.clocks.ManualClock` in
    tests. ``SessionKit(uow=store.unit_of_work, clock=SystemClock())``.
    """

    def now(self) -> datetime:
        """Return the current instant, in UTC."""
        return datetime.now(UTC)


@runtime_checkable
class EventPublisher(Protocol):
    """Receives domain events after the unit of work that produced them committed."""

    def publish(self, events: Sequence[DomainEvent]) -> None:
        """Deliver ``events`` in the order they happened; raising does not undo the commit."""
        ...


def check_publisher(publisher: object, *, name: str = "publisher") -> EventPublisher | None:
    """Return ``publisher`` if it can publish (or is ``None``); else raise ``WrongType``.

    Stores check it when they are made: a publisher found wrong only when the
    first unit of work closes would fail after that unit had committed.
    """
    if publisher is None or callable(getattr(publisher, "publish", None)):
        return cast("EventPublisher | None", publisher)
    raise WrongType(
        publisher,
        name=name,
        expected="an EventPublisher (an object with a publish(events) method) or None",
    )


def publish_batches(
    publisher: EventPublisher | None, batches: Sequence[Sequence[DomainEvent]]
) -> None:
    """Publish each committed batch in order; raise the first publisher error after all of them.

    What adapters call when a unit of work closes: a publisher error does not
    undo the commits, nor keep the later batches back.
    """
    if publisher is None:
        return
    failure: BaseException | None = None
    for batch in batches:
        try:
            publisher.publish(batch)
        except BaseException as exc:  # noqa: BLE001  # the other batches still go out
            failure = failure or exc
    if failure is not None:
        raise failure
