"""The gallery triggers stand aside for every migration (review: created in the middle of a
`migrate` run, they broke a later migration of the same run that alters a column they name, on
SQLite by the table rebuild, on PostgreSQL by "cannot alter type of a column used in a trigger
definition")."""

from __future__ import annotations

import importlib
from types import SimpleNamespace

import pytest
from django.db import connection, models, transaction

from motcua.biometrics.models import FaceTemplate, GalleryVersion
from motcua.biometrics.triggers import (
    TRIGGERS,
    drop_before_migrate,
    ensure_after_migrate,
    installed_triggers,
)

pytestmark = pytest.mark.django_db(transaction=True)


class _Rollback(Exception):
    pass


def _alter(model: type[models.Model], name: str, new: models.Field) -> None:
    """An AlterField of `model.name` to `new`, rolled back."""
    new.set_attributes_from_name(name)
    new.model = model
    connection.disable_constraint_checking()
    try:
        with transaction.atomic():
            with connection.schema_editor(atomic=False) as editor:
                editor.alter_field(model, model._meta.get_field(name), new)
            raise _Rollback
    except _Rollback:
        pass
    finally:
        connection.enable_constraint_checking()


def test_migration_0004_leaves_the_triggers_to_the_end_of_the_run():
    drop_before_migrate(sender=None, using="default")
    try:
        migration = importlib.import_module(
            "motcua.biometrics.migrations.0004_galleryversion_changes"
        )
        migration.forwards(None, SimpleNamespace(connection=connection))
        assert installed_triggers(connection) == set()
    finally:
        ensure_after_migrate(sender=None, using="default")
    assert installed_triggers(connection) == set(TRIGGERS)


def test_a_later_migration_altering_the_named_columns_runs_between_drop_and_create():
    drop_before_migrate(sender=None, using="default")
    try:
        assert installed_triggers(connection) == set()
        _alter(FaceTemplate, "model_id", models.CharField(max_length=200))  # PostgreSQL's case
        _alter(GalleryVersion, "token", models.CharField(max_length=32))  # SQLite's rebuild
    finally:
        ensure_after_migrate(sender=None, using="default")
    assert installed_triggers(connection) == set(TRIGGERS)
