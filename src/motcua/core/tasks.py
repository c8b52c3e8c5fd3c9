"""Background jobs of the shared kernel (Huey)."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task


@db_periodic_task(crontab(minute="17"))
def idempotency_keys_expire_periodic() -> int:
    """Every hour: forget Idempotency-Key answers older than their time to live."""
    from motcua.core.idempotency import idempotency_keys_expire

    return idempotency_keys_expire()
