"""Writes of the shared kernel: counters, audit rows, API tokens."""

from __future__ import annotations

import secrets
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction

from motcua.core import clock
from motcua.core.models import ApiToken, AuditEvent, Sequence


def sequence_next(*, key: str) -> int:
    """Next value of a named counter; call inside the transaction that uses the number.

    The row lock (SELECT ... FOR UPDATE on PostgreSQL, the database write lock on SQLite)
    is held until the caller commits, so a rolled-back caller leaves no gap.
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("sequence_next must run inside a transaction")
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
    return AuditEvent.objects.create(
        at=clock.now(),
        actor=actor if getattr(actor, "pk", None) else None,
        action=action,
        object_type=object_type,
        object_id=object_id,
        detail=detail or {},
        ip=ip,
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
