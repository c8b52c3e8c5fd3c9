"""Background jobs of the delivery app (Huey): send the postal orders the outbox holds."""

from __future__ import annotations

import logging

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

log = logging.getLogger(__name__)


@db_periodic_task(crontab(minute="*"))
def postal_orders_send_periodic() -> dict[str, int]:
    """Every minute: send the due orders to the postal operator (retries with back-off)."""
    from motcua.delivery.services import postal_orders_send_due

    counts = postal_orders_send_due()
    if counts["sent"] or counts["waiting"]:
        log.info("postal orders: %s", counts)
    return counts
