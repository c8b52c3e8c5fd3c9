"""Two model-row operations without the ORM's query compiler, for the kiosk check-in.

Why: Django compiles every statement anew (query tree, joins, column list, quoting): 0.2–0.4 ms
of CPU for a one-row insert or a read by a unique key, several times what the database takes
to run it. The check-in writes and reads a handful of such rows per request, so these two
helpers build each statement's text once per model and only adapt the values per call
(through the fields' own `pre_save`/`get_db_prep_save`, and the ORM's converters on the way
back): the same rows, the same values, the same model instances as `create()` and
`filter(...).first()`. Queue-specific statements are in `motcua.queueing.sql`.

`insert` falls back to `save()` for a model whose `save()` is its own or that has save signal
receivers, so nothing a model or a receiver does on save is skipped.
"""

from __future__ import annotations

import functools
from typing import Any, TypeVar

from django.db import connection, models
from django.db.models.signals import post_save, pre_save

M = TypeVar("M", bound=models.Model)


@functools.cache
def _insert_sql(model: type[models.Model], vendor: str) -> tuple[str, tuple[Any, ...]]:
    qn = connection.ops.quote_name
    pk = model._meta.pk
    assert pk is not None
    fields = tuple(f for f in model._meta.concrete_fields if f is not pk)
    columns = ", ".join(qn(str(f.column)) for f in fields)
    marks = ", ".join(["%s"] * len(fields))
    sql = (
        f"INSERT INTO {qn(model._meta.db_table)} ({columns}) "  # noqa: S608 (names from the model)
        f"VALUES ({marks}) RETURNING {qn(str(pk.column))}"
    )
    return sql, fields


@functools.cache
def _plain_model(model: type[models.Model], vendor: str) -> bool:
    return (
        model.save is models.Model.save
        and model.save_base is models.Model.save_base
        and connection.features.can_return_columns_from_insert
        and not any(f.has_db_default() for f in model._meta.concrete_fields)
    )


def _plain(model: type[models.Model]) -> bool:
    return (
        _plain_model(model, connection.vendor)
        and not pre_save.has_listeners(model)
        and not post_save.has_listeners(model)
    )


def insert(obj: M) -> M:
    """`obj` saved as a new row (its primary key set), as `Model.objects.create` would."""
    model = type(obj)
    if obj.pk is not None or not _plain(model):
        obj.save(force_insert=True)
        return obj
    sql, fields = _insert_sql(model, connection.vendor)
    params = [f.get_db_prep_save(f.pre_save(obj, True), connection=connection) for f in fields]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        obj.pk = cursor.fetchone()[0]
    obj._state.adding = False
    obj._state.db = connection.alias
    return obj


@functools.cache
def _read_sql(model: type[models.Model], column: str, vendor: str) -> str:
    qn = connection.ops.quote_name
    columns = ", ".join(qn(str(f.column)) for f in model._meta.concrete_fields)
    return (
        f"SELECT {columns} FROM {qn(model._meta.db_table)} "  # noqa: S608 (names from the model)
        f"WHERE {qn(column)} = %s LIMIT 1"
    )


def first_by(model: type[M], column: str, value: Any) -> M | None:
    """The row whose (unique) `column` equals `value`, or None; a raw read through the ORM's
    own field conversions (`Model.objects.raw`)."""
    sql = _read_sql(model, column, connection.vendor)
    return next(iter(model.objects.raw(sql, [value])), None)  # type: ignore[attr-defined]
