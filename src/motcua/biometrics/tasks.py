"""Background jobs of the biometrics app (Huey)."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task


# Every 10 minutes: a "today" template stops matching at closing anyway (the gallery hides
# expired rows), and this deletes it within 10 minutes after; retention purges ride along.
@db_periodic_task(crontab(minute="*/10"))
def face_templates_purge_periodic() -> int:
    from motcua.biometrics.services import face_templates_purge

    return face_templates_purge()


@db_task()
def face_templates_purge_now() -> int:
    """Queue a purge at once (e.g. from the end-of-day job of the queue)."""
    from motcua.biometrics.services import face_templates_purge

    return face_templates_purge()
