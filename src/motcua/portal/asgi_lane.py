"""motcua.asgi's application behind the cached-pages lane (portal.asgi_pages), for serving and
benchmarks until asgi.py wraps its application itself:

    uvicorn motcua.portal.asgi_lane:application --workers 2
"""

from motcua.asgi import application as _django_application
from motcua.portal.asgi_pages import CachedPagesASGI

application = CachedPagesASGI(_django_application)
