import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "motcua.settings")
django_application = get_asgi_application()

from motcua.web.production import refuse_unsafe_start  # noqa: E402

# Production (DEBUG off, no MOTCUA_DEMO=1) never serves demo accounts or demo data.
refuse_unsafe_start()

from motcua.portal.asgi_pages import CachedPagesASGI  # noqa: E402
from motcua.queueing.fastlane import BoardFastLane  # noqa: E402
from motcua.queueing.streams import DirectSendASGI  # noqa: E402
from motcua.web.apilane import ApiLane  # noqa: E402
from motcua.web.bodylimit import BodyLimitASGI  # noqa: E402  (needs the settings above)

# Oversized request bodies are refused from their headers, before Django spools them. The
# display boards' snapshot is answered in front of all that, from memory while the event feed
# is live (queueing.fastlane: the same bytes as the Django view; MOTCUA_BOARD_FASTLANE=0: off).
# An anonymous visitor's plain GET of a kept public page (home, statistics, procedures) is
# answered from the process's copy with only the per-visitor parts done (portal.asgi_pages).
# Event streams get the server's `send`, for their frames to be written in the feed's wake-up
# pass (queueing.streams.DirectSendASGI).
# The API's hot writes (check-in, call-next, counter actions) are run by the same views in a
# thread pool, without the middleware stack, headers learnt from Django's own answers
# (web.apilane; MOTCUA_API_LANE=0: off).
application = BoardFastLane(
    CachedPagesASGI(BodyLimitASGI(ApiLane(DirectSendASGI(django_application))))
)
