"""GalleryVersion.changes, kept by database triggers on the templates table (triggers.py).

Before, a MAX(id) probe before every search and a COUNT of the office's templates every few
seconds stood in for it; the COUNT walked every index entry of the office (~16 ms of CPU at
100,000 templates on SQLite).
"""

from __future__ import annotations

from django.db import migrations, models


def forwards(apps, schema_editor):  # type: ignore[no-untyped-def]
    """Nothing here: the triggers are created after the whole `migrate` run (the app's
    post_migrate, triggers.ensure_after_migrate). Created here, they would stand in the way of
    a later migration of the same run that alters a column they name (review)."""


def backwards(apps, schema_editor):  # type: ignore[no-untyped-def]
    from motcua.biometrics.triggers import drop_gallery_triggers

    drop_gallery_triggers(schema_editor.connection)


class Migration(migrations.Migration):
    dependencies = [("biometrics", "0003_facetemplate_citizen_office")]

    operations = [
        migrations.AddField(
            model_name="galleryversion",
            name="changes",
            field=models.BigIntegerField(default=0),
        ),
        migrations.RunPython(forwards, backwards, elidable=False),
    ]
