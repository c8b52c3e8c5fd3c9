"""Background work of the portal."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task


@db_periodic_task(crontab(minute="*"))
def visits_flush_task() -> int:
    """Move pending visit counts from the shared cache (Redis) to the per-day rows every minute."""
    from motcua.portal.visitors import visits_flush

    return visits_flush()
