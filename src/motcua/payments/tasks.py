"""Background work of the payments app (Huey worker)."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task


@db_periodic_task(crontab(minute="*"))
def payments_order_outbox() -> None:
    """Create at the gateway the online orders still queued (gateway down or slow at the time)."""
    from motcua.payments.services import order_outbox_drain

    order_outbox_drain()
