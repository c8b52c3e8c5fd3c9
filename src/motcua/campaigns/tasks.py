"""Background jobs of campaigns (Huey): post what is due every minute, refresh reach hourly."""

from __future__ import annotations

import logging
from datetime import timedelta

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

log = logging.getLogger(__name__)


@db_periodic_task(crontab(minute="*"))
def campaigns_publish_periodic() -> dict[str, int]:
    """Every minute: post campaigns whose time has come, retries, posts of dead workers."""
    from motcua.campaigns.services import campaign_posts_send_due

    counts = campaign_posts_send_due()
    if counts:
        log.info("campaign posts: %s", counts)
    return counts


@db_periodic_task(crontab(minute="17"))
def campaigns_reach_periodic() -> int:
    """Hourly: ask the channels how many people the last 30 days' posts reached."""
    from motcua.campaigns.models import Campaign
    from motcua.campaigns.services import campaign_reach_refresh
    from motcua.core import clock

    since = clock.now() - timedelta(days=30)
    n = 0
    for campaign in Campaign.objects.filter(published_at__gte=since):
        campaign_reach_refresh(campaign=campaign)
        n += 1
    return n
