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


@db_periodic_task(crontab(minute="10", hour="7-20"))
def notifications_remind_periodic() -> dict[str, int]:
    """Every hour of the day: reminders of tomorrow's bookings and home visits (once each)."""
    from motcua.notifications.services import reminders_enqueue

    counts = reminders_enqueue()
    if any(counts.values()):
        log.info("reminders written: %s", counts)
    return counts
