"""Background work of the document registers: the exchange outbox."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task


@db_periodic_task(crontab(minute="*"))
def exchange_send_task() -> tuple[int, int]:
    """Every minute: hand the queued packages (documents for agencies outside, then status
    messages) to the exchange platform; a failure stays queued for the next run. The same work
    as `motcua exchange-send`; rows are locked one by one, so a command run at the same time
    never sends a package twice."""
    from motcua.correspondence.services import exchange_send_queued

    return exchange_send_queued()
