"""The database table of the `ratelimit` cache (used when REDIS_URL is not set).

`migrate` alone prepares a new install: shared rate limits must not depend on remembering
`createcachetable`. The command skips tables that exist, so re-running is harmless.
"""

from django.core.management import call_command
from django.db import migrations


def create_cache_tables(apps, schema_editor):  # type: ignore[no-untyped-def]
    call_command("createcachetable", database=schema_editor.connection.alias, verbosity=0)


class Migration(migrations.Migration):
    dependencies = [("core", "0003_idempotency_key")]

    operations = [migrations.RunPython(create_cache_tables, migrations.RunPython.noop)]
