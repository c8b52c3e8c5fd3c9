"""Background jobs of notifications (Huey): send what the outbox holds, every minute."""

from __future__ import annotations

import logging

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

log = logging.getLogger(__name__)


@db_periodic_task(crontab(minute="*"))
def notifications_send_periodic() -> dict[str, int]:
    """Every minute: send due notifications (retries with back-off, nothing at night but urgent)."""
    import time

    from motcua.notifications.services import notifications_send_due

    # Batches of 200 until nothing is due or the minute is nearly over (the next run takes on):
    # one batch a minute would cap the sender at 200 messages a minute.
    counts: dict[str, int] = {}
    started = time.monotonic()
    while time.monotonic() - started < 50:
        batch = notifications_send_due()
        for state, n in batch.items():
            counts[state] = counts.get(state, 0) + n
        if sum(batch.values()) < 200:
            break
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
