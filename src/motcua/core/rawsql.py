"""Rows of hand-written SQL as model instances, converted exactly as the ORM converts them.

For the few hot statements written as plain SQL (queueing/hotsql.py says why): select
`columns(Model, alias)`, then `instance(Model, row)`; a single column with `value()`. The
column lists and each field's converters are worked out once per model and database vendor.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import DateTimeField, Model

_Conv = Callable[[Any], Any]
_CONVERTERS: dict[tuple[str, type[Model]], dict[str, _Conv | None]] = {}
_COLUMNS: dict[tuple[str, type[Model], str], str] = {}


def _converter(field: Any, conn: Any) -> _Conv | None:
    """value → what the ORM would give for `field` (None: the value as read)."""
    col = field.get_col(field.model._meta.db_table)
    fns = conn.ops.get_db_converters(col) + col.get_db_converters(conn)
    if not fns:
        return None
    if conn.vendor == "sqlite" and isinstance(field, DateTimeField) and len(fns) == 1:
        # The ORM's converter parses with a regular expression; SQLite holds ISO text in UTC.
        tz = conn.timezone

        def fast(value: Any) -> Any:
            if value is None:
                return None
            if not isinstance(value, datetime):
                value = datetime.fromisoformat(value)
            return value if value.tzinfo is not None else value.replace(tzinfo=tz)

        return fast

    def convert(value: Any) -> Any:
        for fn in fns:
            value = fn(value, col, conn)
        return value

    return convert


def _converters(model: type[Model]) -> dict[str, _Conv | None]:
    """Per concrete field (by attname, in field order): its converter."""
    conn = connections[DEFAULT_DB_ALIAS]
    key = (conn.vendor, model)
    found = _CONVERTERS.get(key)
    if found is None:
        found = {f.attname: _converter(f, conn) for f in model._meta.concrete_fields}
        _CONVERTERS[key] = found
    return found


def columns(model: type[Model], alias: str = "") -> str:
    """Every concrete column of `model`, in field order, for `instance()` (qualified with
    `alias` when given)."""
    conn = connections[DEFAULT_DB_ALIAS]
    key = (conn.vendor, model, alias)
    found = _COLUMNS.get(key)
    if found is None:
        prefix = f"{alias}." if alias else ""
        found = ", ".join(
            f"{prefix}{conn.ops.quote_name(str(f.column))}" for f in model._meta.concrete_fields
        )
        _COLUMNS[key] = found
    return found


def instance(model: type[Model], values: Sequence[Any]) -> Any:
    """A model instance from a row of `columns(model, ...)`, converted as the ORM does."""
    convs = _converters(model)
    out = [
        conv(v) if conv is not None else v for conv, v in zip(convs.values(), values, strict=True)
    ]
    return model.from_db(DEFAULT_DB_ALIAS, list(convs), out)


def value(model: type[Model], name: str, raw: Any) -> Any:
    """One column's value (field attname `name` of `model`) as read, converted as the ORM does."""
    conv = _converters(model)[name]
    return conv(raw) if conv is not None else raw


def converter(model: type[Model], name: str) -> _Conv:
    """The converter of one column (field attname `name`), for a loop over many rows."""
    conv = _converters(model)[name]
    return conv if conv is not None else _same


def _same(raw: Any) -> Any:
    return raw


def quote(name: str) -> str:
    return connections[DEFAULT_DB_ALIAS].ops.quote_name(name)
