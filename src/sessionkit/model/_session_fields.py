"""A record's own fields: :class:`FrozenFields` and :func:`frozen_mapping`, which makes them.

Every record's ``metadata`` (a session's, a booking's, a payment's, ...) is a
:class:`FrozenFields`: read-only, in code point key order on every store, and
shared (``_EMPTY``) by every record without any. That one empty mapping must
stay single: :meth:`Session.unchecked <sessionkit.model.session.Session.unchecked>`
defaults to it, and :func:`frozen_mapping` returns it, so it lives here alone
and ``session.py`` imports it.

Private to :mod:`sessionkit.model.session`, which exports its names under its
own name (their ``__module__``), so they show and pickle as before.
"""

from __future__ import annotations

from collections.abc import ItemsView, Iterator, KeysView, Mapping, ValuesView
from typing import Any

from sessionkit.errors import WrongType

__all__ = ["FrozenFields", "frozen_mapping"]


class FrozenFields(Mapping[str, Any]):
    """A record's own fields, read-only: what ``metadata`` holds.

    A mapping over a private dict, as :class:`types.MappingProxyType` was,
    which pickles and copies (``copy.deepcopy``, a Django or Redis cache, a
    process pool): a record holding a ``mappingproxy`` did neither. Equal to
    any mapping with the same items; ``copy()`` and ``|`` give a plain dict,
    as a ``mappingproxy``'s do.
    """

    __slots__ = ("_fields",)

    def __init__(self, fields: Mapping[str, Any] | None = None) -> None:
        # As frozen_mapping makes them: checked, and in code point order.
        self._fields: dict[str, Any] = _ordered_fields(fields) if fields else {}

    def __getitem__(self, key: str) -> Any:
        return self._fields[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._fields)

    def __len__(self) -> int:
        return len(self._fields)

    def __contains__(self, key: object) -> bool:
        return key in self._fields

    def get(self, key: str, default: Any = None) -> Any:
        """The value of ``key``, or ``default``."""
        return self._fields.get(key, default)

    def __eq__(self, other: object) -> bool:
        # The dict's own comparison (Mapping's builds two dicts each time).
        return self._fields == (other._fields if isinstance(other, FrozenFields) else other)

    __hash__ = None  # type: ignore[assignment]  # as a mappingproxy's: its values may be dicts

    # The dict's own views (read-only, as a mappingproxy's): dict(fields) and the stores'
    # copies iterate in C, not through Mapping's Python mixins.
    def keys(self) -> KeysView[str]:
        """The field names, a read-only view."""
        return self._fields.keys()

    def items(self) -> ItemsView[str, Any]:
        """The ``(name, value)`` pairs, a read-only view."""
        return self._fields.items()

    def values(self) -> ValuesView[Any]:
        """The values, a read-only view."""
        return self._fields.values()

    def __repr__(self) -> str:
        return f"FrozenFields({self._fields!r})"

    def __reduce__(self) -> tuple[type[FrozenFields], tuple[dict[str, Any]]]:
        return FrozenFields, (self._fields,)

    @classmethod
    def _owning(cls, fields: dict[str, Any]) -> FrozenFields:
        """Wrap ``fields``, a dict nobody else holds, without copying it."""
        made = cls.__new__(cls)
        made._fields = fields
        return made

    def copy(self) -> dict[str, Any]:
        """A plain, mutable dict of the fields (shallow, as ``dict.copy``)."""
        return dict(self._fields)

    def __or__(self, other: Mapping[str, Any]) -> dict[str, Any]:
        if not isinstance(other, Mapping):
            return NotImplemented
        return {**self._fields, **other}

    def __ror__(self, other: Mapping[str, Any]) -> dict[str, Any]:
        if not isinstance(other, Mapping):
            return NotImplemented
        return {**other, **self._fields}


_EMPTY = FrozenFields()
"""No own fields: read-only and shared by every record without any."""


_NESTED = (dict, list)


def _in_key_order(value: Any) -> Any:
    """``value`` with every nested dict's keys sorted (lists keep their order)."""
    if isinstance(value, dict):
        keys = list(value)
        try:
            ordered = sorted(keys)
        except TypeError:  # keys of mixed types: field_value refuses them, by name
            ordered = keys
        if ordered == keys:
            for item in value.values():
                if isinstance(item, _NESTED):
                    break
            else:
                return value  # the usual case, in order with flat values: no copy
        return {key: _in_key_order(value[key]) for key in ordered}
    if isinstance(value, list):
        return [_in_key_order(item) for item in value]
    return value


def frozen_mapping(value: Mapping[str, Any] | None) -> FrozenFields:
    """Return a read-only copy of own fields (``None``: none), as records store them.

    Keys come in code point order, nested dicts' too: PostgreSQL's ``jsonb`` (and
    MySQL's JSON) keep no key order of their own, and so a record lists its fields
    in one order on every store, as made and as read back.
    """
    # Most records have none: they share one empty mapping rather than build one each.
    if not value:
        return _EMPTY
    if type(value) is FrozenFields:
        return value  # checked and in order when made (an attrs.evolve of a record)
    return FrozenFields._owning(_ordered_fields(value))


def _ordered_fields(value: Mapping[str, Any]) -> dict[str, Any]:
    """A new dict of ``value``'s items in code point order; ``WrongType`` for no mapping."""
    try:
        return _in_key_order(dict(value))  # type: ignore[no-any-return]
    except (TypeError, ValueError):
        raise WrongType(value, name="metadata", expected="a mapping of own fields") from None
