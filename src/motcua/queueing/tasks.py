"""Background jobs of the queue: close each office's day after its closing hour."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from motcua.core import clock

log = logging.getLogger(__name__)

# Tickets still waiting this long after the office's closing time are closed for the day.
CLOSE_GRACE = timedelta(minutes=30)


def close_due_offices(*, now: datetime | None = None) -> list[int]:
    """Close today's queue of every office past closing + grace that is not closed yet; ids closed."""
    from motcua.org.models import Office
    from motcua.queueing.models import QueueDay
    from motcua.queueing.services import queue_close_day

    now = clock.local(now or clock.now())
    closed = []
    for office in Office.objects.filter(is_active=True):
        end = office.afternoon_end
        if isinstance(end, str):
            end = datetime.strptime(end, "%H:%M").time()
        closing = datetime.combine(now.date(), end, tzinfo=clock.VN_TZ) + CLOSE_GRACE
        if now < closing:
            continue
        if QueueDay.objects.filter(
            office=office, date=now.date(), closed_at__isnull=False
        ).exists():
            continue
        counts = queue_close_day(office=office, now=now)
        log.info("queue closed for %s: %s", office.code, counts)
        closed.append(office.pk)
    return closed


@db_periodic_task(crontab(minute="*/15"))
def queue_close_day_task() -> None:
    """Every 15 minutes: close the day of offices past their closing time."""
    close_due_offices()
