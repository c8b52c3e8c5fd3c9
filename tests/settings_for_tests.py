"""The project's settings as the tests use them: the demo office's mode (MOTCUA_DEMO=1).

The test servers speak plain http on 127.0.0.1 and the factories give staff the demo password,
as `make run` does; with DEBUG off and no demo mode, motcua.settings would be a production
start (https only, secret key required, demo passwords refused). Tests of production behaviour
override settings or run a subprocess with a production environment. Set in the environment
here, so that servers the tests start in subprocesses inherit it.
"""

import os

os.environ.setdefault("MOTCUA_DEMO", "1")

from motcua.settings import *  # noqa: E402, F403

# Processes the tests start (servers, management commands) cannot import this module (it lives
# in tests/): they load the project's settings, in the demo mode they inherit from above.
os.environ["DJANGO_SETTINGS_MODULE"] = "motcua.settings"
