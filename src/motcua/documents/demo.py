"""Seed the official form templates from the shipped sources (idempotent)."""

from __future__ import annotations

from django.db import transaction

from motcua.documents.models import FormTemplate
from motcua.documents.services import FORM_META, FORM_PAPER, form_source


@transaction.atomic
def seed_form_templates() -> int:
    """Create version 1 of every form that has no row yet; never overwrite the office's edits. Returns rows created."""
    created = 0
    for code, (name, basis) in FORM_META.items():
        if FormTemplate.objects.filter(code=code).exists():
            continue
        FormTemplate.objects.create(
            code=code,
            name=name,
            legal_basis=basis,
            paper=FORM_PAPER[code],
            body=form_source(code),
            version=1,
            is_active=True,
        )
        created += 1
    return created
