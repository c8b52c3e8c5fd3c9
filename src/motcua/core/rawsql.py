"""Model rows without the ORM's query compiler, converted exactly as the ORM converts them.

Why: Django compiles every statement anew (query tree, joins, column list, quoting), 0.2–0.4 ms
of CPU for a one-row insert or a read by a unique key, several times what the database takes to
run it. For the few hot statements written as plain SQL (queueing/hotsql.py says which):

- select `columns(Model, alias)`, then `instance(Model, row)`; a single column with `value()`;
  the column lists and each field's converters are worked out once per model and vendor;
- `prepared_cursor()`: on PostgreSQL a cursor whose statements stay prepared on the connection
  (parsed and planned once per connection; settings.DB_PREPARED_STATEMENTS);
- `insert(obj)` and `first_by(Model, column, value)`: a row written, or read by a unique key,
  with the statement text built once per model and the values adapted by the fields' own
  `pre_save`/`get_db_prep_save`: the same rows and instances as `create()` and
  `filter(...).first()`. `insert` falls back to `save()` for a model whose `save()` is its own
  (unless the caller did its work: `prepared`), that has save signal receivers, or a field
  left to its database default, so nothing a model or a receiver does on save is skipped.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any, TypeVar

from django.db import DEFAULT_DB_ALIAS, connection, connections, models
from django.db.models import DateTimeField, Model
from django.db.models.expressions import DatabaseDefault
from django.db.models.signals import post_save, pre_save

_Conv = Callable[[Any], Any]


@functools.cache
def vendor() -> str:
    """The default database's vendor ("sqlite", "postgresql"), read once: a process's default
    database never changes engine, and `connection.vendor` costs a look-up of the thread's
    connection (asgiref's Local) at every use, some tens of times per request here."""
    return str(connections[DEFAULT_DB_ALIAS].vendor)


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
    key = (vendor(), model)
    found = _CONVERTERS.get(key)
    if found is None:
        conn = connections[DEFAULT_DB_ALIAS]
        found = {f.attname: _converter(f, conn) for f in model._meta.concrete_fields}
        _CONVERTERS[key] = found
    return found


def columns(model: type[Model], alias: str = "") -> str:
    """Every concrete column of `model`, in field order, for `instance()` (qualified with
    `alias` when given)."""
    key = (vendor(), model, alias)
    found = _COLUMNS.get(key)
    if found is None:
        conn = connections[DEFAULT_DB_ALIAS]
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


_QUOTED: dict[str, str] = {}


def quote(name: str) -> str:
    """`name` quoted as the default database quotes a table or column name (remembered)."""
    quoted = _QUOTED.get(name)
    if quoted is None:
        quoted = _QUOTED[name] = connections[DEFAULT_DB_ALIAS].ops.quote_name(name)
    return quoted


# --- prepared statements (PostgreSQL) ----------------------------------------------------------

# psycopg prepares a statement after `prepare_threshold` executions on a connection; Django turns
# that off (None) and binds parameters on the client. A prepared cursor binds on the server and
# asks for every statement to be prepared; the threshold is raised from None to a number no
# statement reaches, so that nothing else is ever prepared.
_NEVER = 2**31


@functools.cache
def _prepared_cursor_class() -> Any:
    from django.db.backends.postgresql.base import ServerBindingCursor

    class PreparedCursor(ServerBindingCursor):  # type: ignore[misc,valid-type]
        def execute(self, query: Any, params: Any = None, **kwargs: Any) -> Any:
            kwargs["prepare"] = True
            return super().execute(query, params, **kwargs)  # type: ignore[misc]

    return PreparedCursor


def prepared_cursor() -> Any:
    """A cursor (Django's wrapper: execute wrappers, errors as Django's) whose
    statements PostgreSQL keeps prepared on this connection (psycopg's own cache of prepared
    statements, which follows rollbacks and DDL); the ordinary cursor on other databases, or
    with settings.DB_PREPARED_STATEMENTS off. For a few hot statements of fixed text with %s
    parameters (bound on the server: no literal %, no parameters spliced into the text)."""
    from django.conf import settings

    conn = connections[DEFAULT_DB_ALIAS]
    if (
        conn.vendor != "postgresql"
        or not getattr(settings, "DB_PREPARED_STATEMENTS", False)
        # Queries logged (DEBUG, a test capturing them): the ordinary cursor, whose log has the
        # statement's text (a prepared execution's has none).
        or conn.queries_logged
    ):
        return conn.cursor()
    conn.close_if_health_check_failed()
    conn.ensure_connection()
    with conn.wrap_database_errors:
        raw = conn.connection
        if raw.prepare_threshold is None:
            raw.prepare_threshold = _NEVER
        cursor = _prepared_cursor_class()(raw)
        # As DatabaseWrapper.create_cursor: the connection's time zone for timestamps.
        from django.db.backends.postgresql.base import TIMESTAMPTZ_OID
        from django.db.backends.postgresql.psycopg_any import register_tzloader
        from psycopg.pq import Format

        loader = raw.adapters.get_loader(TIMESTAMPTZ_OID, Format.TEXT)
        if conn.timezone != getattr(loader, "timezone", None):
            register_tzloader(conn.timezone, cursor)
        return conn._prepare_cursor(cursor)  # type: ignore[attr-defined]


# --- a row written, or read by a unique key ---------------------------------------------------

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
def _plain_model(model: type[models.Model], vendor: str, prepared: bool) -> bool:
    return (
        (prepared or model.save is models.Model.save)
        and model.save_base is models.Model.save_base
        and connection.features.can_return_columns_from_insert
    )


@functools.cache
def _db_default_fields(model: type[models.Model]) -> tuple[str, ...]:
    return tuple(f.attname for f in model._meta.concrete_fields if f.has_db_default())


def _plain(obj: models.Model, prepared: bool) -> bool:
    model = type(obj)
    return (
        _plain_model(model, vendor(), prepared)
        and not pre_save.has_listeners(model)
        and not post_save.has_listeners(model)
        # a field left to its database default is written by the ORM as DEFAULT
        and not any(
            isinstance(getattr(obj, name), DatabaseDefault) for name in _db_default_fields(model)
        )
    )


def insert(obj: M, *, prepared: bool = False) -> M:
    """`obj` saved as a new row (its primary key set), as `Model.objects.create` would.

    `prepared`: the caller already did what the model's own `save()` does before writing (e.g.
    `Citizen.fill_derived()`), so a model with its own `save()` is inserted plainly too."""
    model = type(obj)
    if obj.pk is not None or not _plain(obj, prepared):
        obj.save(force_insert=True)
        return obj
    sql, fields = _insert_sql(model, vendor())
    params = [f.get_db_prep_save(f.pre_save(obj, True), connection=connection) for f in fields]
    with prepared_cursor() as cursor:  # one text per model
        cursor.execute(sql, params)
        obj.pk = cursor.fetchone()[0]
    obj._state.adding = False
    obj._state.db = connection.alias
    return obj


def insert_select(
    obj: models.Model, computed: dict[str, tuple[str, list[Any]]]
) -> tuple[str, list[Any]] | None:
    """`INSERT INTO <table> (<columns>) SELECT <values>` for `obj` as `insert` would write it,
    the fields named in `computed` (attname → SQL expression and its parameters) taken from
    their expression instead of the object: the caller appends `FROM …` and `RETURNING …`
    (a data-modifying WITH query that computes a value in the same statement). None when
    `insert` would go through `save()` (save receivers, a database default left to the
    database, a primary key already set)."""
    if obj.pk is not None or not _plain(obj, False):
        return None
    model = type(obj)
    _sql, fields = _insert_sql(model, vendor())
    qn = connection.ops.quote_name
    names, values, params = [], [], []
    for f in fields:
        names.append(qn(str(f.column)))
        if f.attname in computed:
            expression, its_params = computed[f.attname]
            values.append(expression)
            params += its_params
        else:
            values.append("%s")
            params.append(f.get_db_prep_save(f.pre_save(obj, True), connection=connection))
    return (
        f"INSERT INTO {qn(model._meta.db_table)} ({', '.join(names)}) "  # noqa: S608 (the model's)
        f"SELECT {', '.join(values)}",
        params,
    )


@functools.cache
def _read_sql(model: type[models.Model], column: str, vendor: str) -> str:
    qn = connection.ops.quote_name
    return (
        f"SELECT {columns(model)} FROM {qn(model._meta.db_table)} "  # noqa: S608 (the model's)
        f"WHERE {qn(column)} = %s LIMIT 1"
    )


def first_by(model: type[M], column: str, value: Any) -> M | None:
    """The row whose (unique) `column` equals `value`, or None, converted as the ORM converts
    it (`instance`; `Model.objects.raw` cost as much again as the read)."""
    sql = _read_sql(model, column, vendor())
    with prepared_cursor() as cursor:  # one text per model and column
        cursor.execute(sql, [value])
        row = cursor.fetchone()
    return instance(model, row) if row is not None else None  # type: ignore[no-any-return]
