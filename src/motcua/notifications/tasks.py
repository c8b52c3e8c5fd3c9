"""Background jobs of notifications (Huey): send what the outbox holds, every minute."""

from __future__ import annotations

import logging

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

log = logging.getLogger(__name__)


@db_periodic_task(crontab(minute="*"))
def notifications_send_periodic() -> dict[str, int]:
    """Every minute: send due notifications (retries with back-off, nothing at night but urgent)."""
    from motcua.notifications.services import notifications_send_due

    counts = notifications_send_due()
    if counts:
        log.info("notifications sent: %s", counts)
    return counts
