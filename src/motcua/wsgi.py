import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "motcua.settings")
application = get_wsgi_application()

from motcua.web.production import refuse_unsafe_start  # noqa: E402

# Production (DEBUG off, no MOTCUA_DEMO=1) never serves demo accounts or demo data.
refuse_unsafe_start()
