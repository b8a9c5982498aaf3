"""The contract's support: sample data, factories and the base every topic builds on.

:class:`ContractBase` holds what the topic mixins share: the capability flags,
the abstract :meth:`~ContractBase.make_store`, the ``publisher`` and ``store``
fixtures, and the helpers that store sessions and read them back.
"""

from __future__ import annotations

import abc
from collections.abc import Callable, Hashable, Iterable, Iterator, Mapping, Sequence
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, ClassVar, TypeVar

import pytest

from sessionkit.errors import SeriesNotFound, WrongType
from sessionkit.model.events import DomainEvent, SeriesClosed, SessionCreated
from sessionkit.model.query import SessionQuery, SortField
from sessionkit.model.series import ScheduleItem, Series, SeriesStatus
from sessionkit.model.session import ResourceRef, Session
from sessionkit.ports import EventPublisher, Record, UnitOfWork, UnitOfWorkFactory
from sessionkit.recurrence import Recurrence
from sessionkit.testing.clocks import RecordingPublisher
from sessionkit.timespan import TimeSpan

T0 = datetime(2026, 3, 2, 9, tzinfo=UTC)
"""The instant the suite's sessions are placed around (a Monday, 09:00 UTC)."""
TENANT = "acme"
"""The tenant most tests work in."""
OTHER_TENANT = "globex"
"""A second tenant, which must never see or touch the first one's data."""

ANA = ResourceRef("teacher", "ana")
BEN = ResourceRef("teacher", "ben")
ROOM = ResourceRef("room", "r1")


def _at(hours: float) -> datetime:
    return T0 + timedelta(hours=hours)


def make_session(
    session_id: str,
    *,
    tenant: str = TENANT,
    at: float = 0.0,
    hours: float = 1.0,
    resources: Iterable[ResourceRef | str] = (ANA,),
    busy: bool = True,
    series_id: str | None = None,
    key: datetime | None = None,
    is_extra: bool = False,
    status: str = "SCHEDULED",
    title: str | None = None,
    created: float = -100.0,
    updated: float | None = None,
    version: int = 1,
    metadata: Mapping[str, Any] | None = None,
    lifecycle: str = "lms",
) -> Session:
    """Return a session starting ``at`` hours after :data:`T0` and lasting ``hours``.

    A session of a series that is not an extra gets its start (naive UTC) as
    occurrence key unless ``key`` is given. ``created``/``updated`` are hours
    after :data:`T0` too.
    """
    start = _at(at)
    if series_id is not None and not is_extra and key is None:
        key = start.replace(tzinfo=None)
    return Session(
        id=session_id,
        tenant=tenant,
        title=session_id if title is None else title,
        span=TimeSpan(start, start + timedelta(hours=hours)),
        tz="UTC",
        status=status,
        lifecycle=lifecycle,
        busy=busy,
        created_at=_at(created),
        created_by="contract",
        resources=tuple(resources),
        series_id=series_id,
        schedule_item_id=None if series_id is None else "weekly",
        occurrence_key=key,
        is_extra=is_extra,
        version=version,
        updated_at=None if updated is None else _at(updated),
        updated_by=None if updated is None else "contract",
        metadata=metadata,
    )


def make_series(
    series_id: str,
    *,
    tenant: str = TENANT,
    status: SeriesStatus = SeriesStatus.ACTIVE,
    title: str | None = None,
) -> Series:
    """Return a weekly Monday 09:00 UTC series teaching with :data:`ANA`."""
    recurrence = Recurrence.weekly(
        days=("MO",), at=time(9), duration=timedelta(hours=1), tz="UTC", start=date(2026, 3, 1)
    )
    return Series(
        id=series_id,
        tenant=tenant,
        title=series_id if title is None else title,
        # Series.items has converter=tuple, which mypy's attrs plugin reads as Iterable[_T_co].
        items=(ScheduleItem("weekly", recurrence, (ANA,)),),
        lifecycle="lms",
        created_at=_at(-100),
        created_by="contract",
        status=status,
    )


def _event(tenant: str = TENANT, session: Session | None = None) -> DomainEvent:
    if session is None:
        return SeriesClosed(
            tenant=tenant, actor="contract", at=T0, series_id="s", deleted=0, kept=0
        )
    return SessionCreated(tenant=tenant, actor="contract", at=T0, session=session)


def _ids(sessions: Iterable[Session]) -> list[str]:
    return [s.id for s in sessions]


RowT = TypeVar("RowT", bound=Record)
CursorT = TypeVar("CursorT", bound=Hashable)


def page_through(
    read: Callable[[CursorT | None], Sequence[RowT]],
    cursor: Callable[[RowT], CursorT],
    *,
    rows: int,
    what: str,
) -> list[RowT]:
    """Return every row of a keyset-paged read, page after page, until an empty page.

    ``read(after)`` reads one page (``None``: the first); ``cursor(row)`` is the
    ``after`` that continues after ``row``. ``rows`` is how many rows the read can
    return at most. A page that holds a row already read fails the test at once,
    as do more than ``rows + 1`` pages: an adapter whose ``after`` is inclusive
    would otherwise page forever. ``what`` names the read in the failure.
    """
    found: list[RowT] = []
    read_at: set[CursorT] = set()
    after: CursorT | None = None
    for _ in range(rows + 1):
        page = read(after)
        if not page:
            return found
        for row in page:
            at = cursor(row)
            assert at != after, (
                f"{what}(after={after!r}) returned the cursor's own row {row.id!r} again:"
                " `after` must continue strictly after the row it names"
            )
            assert at not in read_at, (
                f"{what}(after={after!r}) returned {row.id!r} a second time: a page must"
                " hold only rows after its cursor, each once"
            )
            read_at.add(at)
        found.extend(page)
        after = cursor(page[-1])
    pytest.fail(
        f"{what} still returned rows after {rows + 1} pages of at most {rows} rows:"
        " following `after` never reaches the end"
    )


_SORT_VALUE: dict[SortField, Callable[[Session], datetime]] = {
    "start": lambda s: s.span.start,
    "end": lambda s: s.span.end,
    "created": lambda s: s.created_at,
    "updated": lambda s: s.created_at if s.updated_at is None else s.updated_at,
}
_ORDERINGS = [
    (sort, desc) for sort in ("start", "end", "created", "updated") for desc in (False, True)
]


def _abstract_methods(cls: type) -> list[str]:
    """Return, sorted, the abstract methods ``cls`` leaves unimplemented.

    Worked out as :class:`abc.ABCMeta` does: it has not set ``__abstractmethods__``
    yet when ``__init_subclass__`` runs.
    """
    names = {name for name, value in vars(cls).items() if _is_abstract(value)}
    for base in cls.__bases__:
        names.update(
            name
            for name in getattr(base, "__abstractmethods__", ())
            if _is_abstract(getattr(cls, name, None))
        )
    return sorted(names)


def _is_abstract(value: object) -> bool:
    return bool(getattr(value, "__isabstractmethod__", False))


class ContractBase(abc.ABC):
    """What every topic of the contract shares: capability flags, the store fixture, helpers.

    The capability flags are documented on
    :class:`~sessionkit.testing.contract.StorageContract`.
    """

    concurrent_units: ClassVar[bool] = True
    unicode_search: ClassVar[bool] = True
    pending: ClassVar[frozenset[str]] = frozenset()

    _required_attributes: ClassVar[tuple[str, ...]] = ()
    """Class attributes a ``Test...`` subclass must set (``kind``), beside the abstract methods."""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        """Refuse a ``Test...`` subclass that is still abstract, naming what it lacks.

        pytest quietly skips an abstract test class, so a subclass that forgot a
        hook would run none of the contract and yet look green. Mixins that are not
        named ``Test...`` may stay abstract.
        """
        super().__init_subclass__(**kwargs)
        if not cls.__name__.startswith("Test"):
            return
        methods = _abstract_methods(cls)
        attributes = [name for name in cls._required_attributes if not hasattr(cls, name)]
        if methods or attributes:
            todo = [f"implement {', '.join(methods)}"] if methods else []
            todo += [f"set {', '.join(attributes)}"] if attributes else []
            raise TypeError(
                f"{cls.__module__}.{cls.__qualname__} is still abstract, so pytest would skip"
                f" it without running a test: {'; '.join(todo)} (or, for a mixin, give it a"
                " name that does not start with 'Test')"
            )

    def needs(self, rule: str) -> None:
        """Skip the test if ``rule`` is among the adapter's :attr:`pending` port rules."""
        if rule in self.pending:
            pytest.skip(f"the adapter does not meet {rule!r} yet (listed in `pending`)")

    @abc.abstractmethod
    def make_store(self, publisher: EventPublisher) -> UnitOfWorkFactory:
        """Return a unit of work factory over a fresh, empty store that publishes to ``publisher``."""  # noqa: E501

    def dispose_store(self, store: UnitOfWorkFactory) -> None:  # noqa: B027  # optional hook
        """Release what :meth:`make_store` acquired (a database, a schema); nothing by default."""

    # ------------------------------------------------------------------ fixtures and helpers

    @pytest.fixture
    def publisher(self) -> RecordingPublisher:
        """The publisher the store under test publishes to."""
        return RecordingPublisher()

    def made_store(self, publisher: EventPublisher) -> UnitOfWorkFactory:
        """Return :meth:`make_store`'s factory; ``WrongType`` if it is none (the store itself).

        Checked once here, else every test of the suite fails on its first
        ``store()`` with a bare "object is not callable".
        """
        factory = self.make_store(publisher)
        if not callable(factory):
            raise WrongType(
                factory,
                name=f"{type(self).__qualname__}.make_store()",
                expected="a unit of work factory: a callable returning a new unit of work, e.g."
                " InMemoryStore(publisher).unit_of_work (not the store itself)",
            )
        return factory

    @pytest.fixture
    def store(self, publisher: RecordingPublisher) -> Iterator[UnitOfWorkFactory]:
        """A fresh store, disposed of after the test."""
        factory = self.made_store(publisher)
        try:
            yield factory
        finally:
            self.dispose_store(factory)

    @staticmethod
    def ensure_series(uow: UnitOfWork, sessions: Iterable[Session]) -> None:
        """Add a series for each ``(tenant, series_id)`` of ``sessions`` that is not stored yet."""
        for tenant, series_id in sorted({(s.tenant, s.series_id) for s in sessions if s.series_id}):
            try:
                uow.series.get(tenant, series_id)
            except SeriesNotFound:
                uow.series.add(make_series(series_id, tenant=tenant))

    def given(self, store: UnitOfWorkFactory, *sessions: Session) -> None:
        """Store ``sessions`` (and their series) in one committed unit of work."""
        with store() as uow:
            self.ensure_series(uow, sessions)
            for session in sessions:
                uow.sessions.add(session)
            uow.commit()

    def stored(self, store: UnitOfWorkFactory, tenant: str = TENANT) -> list[str]:
        """Return the ids of every session of ``tenant``, by start then id."""
        with store() as uow:
            page = uow.sessions.query(tenant, SessionQuery(limit=1000))
        assert page.total == len(page.items)
        return _ids(page.items)
