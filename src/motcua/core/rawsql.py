"""Rows of hand-written SQL as model instances, converted exactly as the ORM converts them.

For the few hot statements written as plain SQL (queueing/hotsql.py says why): select
`columns(Model, alias)`, then `instance(Model, row)`; a single column with `value()`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connection
from django.db.models import Model

_CONVERTERS: dict[tuple[str, type[Model]], list[tuple[Any, list[Any]]]] = {}


def _converters(model: type[Model]) -> list[tuple[Any, list[Any]]]:
    """Per concrete field: its column expression and the converters the ORM would apply."""
    key = (connection.vendor, model)
    found = _CONVERTERS.get(key)
    if found is None:
        found = []
        for f in model._meta.concrete_fields:
            col = f.get_col(model._meta.db_table)
            found.append(
                (col, connection.ops.get_db_converters(col) + col.get_db_converters(connection))
            )
        _CONVERTERS[key] = found
    return found


def columns(model: type[Model], alias: str = "") -> str:
    """Every concrete column of `model`, in field order, for `instance()` (qualified with
    `alias` when given)."""
    prefix = f"{alias}." if alias else ""
    return ", ".join(f"{prefix}{quote(f.column)}" for f in model._meta.concrete_fields)


def instance(model: type[Model], values: Sequence[Any]) -> Any:
    """A model instance from a row of `columns(model, ...)`, converted as the ORM does."""
    out = []
    for (col, fns), value in zip(_converters(model), values, strict=True):
        for fn in fns:
            value = fn(value, col, connection)
        out.append(value)
    return model.from_db(DEFAULT_DB_ALIAS, [f.attname for f in model._meta.concrete_fields], out)


def value(model: type[Model], name: str, raw: Any) -> Any:
    """One column's value (field `name` of `model`) as read, converted as the ORM does."""
    for col, fns in _converters(model):
        if col.target.attname == name:
            for fn in fns:
                raw = fn(raw, col, connection)
            return raw
    raise KeyError(name)


def quote(name: str) -> str:
    return connection.ops.quote_name(name)
