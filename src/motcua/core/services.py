"""Writes of the shared kernel: counters, audit rows, API tokens."""

from __future__ import annotations

import secrets
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction

from motcua.core import clock
from motcua.core.models import ApiToken, AuditEvent, Sequence


def _update_returning(connection: Any) -> bool:
    """UPDATE ... RETURNING and INSERT ... ON CONFLICT: PostgreSQL, SQLite from 3.35."""
    if connection.vendor == "postgresql":
        return True
    return connection.vendor == "sqlite" and connection.Database.sqlite_version_info >= (3, 35, 0)


def sequence_next(*, key: str) -> int:
    """Next value of a named counter; call inside the transaction that uses the number.

    The row lock (taken by the UPDATE on PostgreSQL, the database write lock on SQLite) is held
    until the caller commits, so a rolled-back caller leaves no gap and no two callers get the
    same value. One `UPDATE ... RETURNING` statement where the database has it (plain SQL: the
    ORM's read-then-save took two statements and most of the time compiling them).
    """
    from motcua.core.rawsql import prepared_cursor

    connection = transaction.get_connection()
    if not connection.in_atomic_block:
        raise RuntimeError("sequence_next must run inside a transaction")
    if _update_returning(connection):
        q = connection.ops.quote_name
        table, k, v = q(Sequence._meta.db_table), q("key"), q("value")
        with prepared_cursor() as cursor:
            update = f"UPDATE {table} SET {v} = {v} + 1 WHERE {k} = %s RETURNING {v}"  # noqa: S608
            cursor.execute(update, [key])
            row = cursor.fetchone()
            if row is None:  # the key's first number: create its row (or find another's)
                cursor.execute(
                    f"INSERT INTO {table} ({k}, {v}) VALUES (%s, 0) "  # noqa: S608
                    f"ON CONFLICT ({k}) DO NOTHING",
                    [key],
                )
                cursor.execute(update, [key])
                row = cursor.fetchone()
        return int(row[0])
    row = Sequence.objects.select_for_update().filter(key=key).first()
    if row is None:
        try:
            with transaction.atomic():
                Sequence.objects.create(key=key, value=0)
        except IntegrityError:
            pass  # another transaction created it first; lock it below
        row = Sequence.objects.select_for_update().get(key=key)
    row.value += 1
    row.save(update_fields=["value"])
    return row.value


def audit_record(
    *,
    action: str,
    actor: Any = None,
    obj: Any = None,
    object_type: str = "",
    object_id: str = "",
    detail: dict[str, Any] | None = None,
    ip: str | None = None,
) -> AuditEvent:
    """Write one audit row (call inside the transaction of the change it records)."""
    if obj is not None:
        object_type = object_type or obj._meta.label_lower
        object_id = object_id or str(obj.pk)
    from motcua.core.rawsql import insert

    # Written on every new citizen at the kiosk: the insert without the ORM's compiler.
    return insert(
        AuditEvent(
            at=clock.now(),
            actor=actor if getattr(actor, "pk", None) else None,
            action=action,
            object_type=object_type,
            object_id=object_id,
            detail=detail or {},
            ip=ip,
        )
    )


@transaction.atomic
def api_token_issue(*, user: Any) -> str:
    """Create a bearer token for a staff user and return it (only its hash is kept)."""
    raw = secrets.token_urlsafe(32)
    now = clock.now()
    ApiToken.objects.create(
        user=user,
        digest=ApiToken.hash(raw),
        created_at=now,
        expires_at=now + timedelta(hours=settings.MOTCUA["API_TOKEN_TTL_HOURS"]),
    )
    audit_record(
        action="api_token.issue", actor=user, object_type="org.user", object_id=str(user.pk)
    )
    return raw
