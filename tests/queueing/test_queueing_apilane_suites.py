"""The queue API's own tests, run again through the whole ASGI application (motcua.asgi: the
API lane, the board lane and the cached pages in front of Django), as uvicorn serves it."""

from __future__ import annotations

import pytest
from test_queueing_api import *  # noqa: F403
from test_queueing_counter_api import *  # noqa: F403

from asgi_client import AsgiClient

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def client():
    """The test client's calls through motcua.asgi.application; the API lane answers every
    request of its routes (none steps aside to Django: no cookie, no query string here)."""
    from motcua.asgi import application

    lane = application
    while not hasattr(lane, "_learnt"):  # BoardFastLane → CachedPagesASGI → BodyLimit → ApiLane
        lane = lane.app
    aside = lane.stats["django"]
    yield AsgiClient(application)
    assert lane.stats["django"] == aside
