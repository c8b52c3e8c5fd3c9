"""motcua.asgi's application behind the cached-pages lane (portal.asgi_pages), for serving and
benchmarks until asgi.py wraps its application itself:

    uvicorn motcua.portal.asgi_lane:application --workers 2

(Once asgi.py wraps it, this module gives that application unchanged.)
"""

from motcua.asgi import application as _application
from motcua.core import cache as _pages
from motcua.portal.asgi_pages import CachedPagesASGI

application = _application if _pages.lane["active"] else CachedPagesASGI(_application)
