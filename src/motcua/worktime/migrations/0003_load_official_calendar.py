"""Load the shipped official calendar (data/calendar_vn.json) into OfficialDay."""

from django.db import migrations


def load(apps, schema_editor):  # type: ignore[no-untyped-def]
    from motcua.worktime.services import official_calendar_load

    official_calendar_load(model=apps.get_model("worktime", "OfficialDay"))


class Migration(migrations.Migration):
    dependencies = [
        ("worktime", "0002_official_calendar"),
    ]

    operations = [
        migrations.RunPython(load, migrations.RunPython.noop),
    ]
