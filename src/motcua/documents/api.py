"""JSON API of the documents app: the form templates in force and the tracking ledger (form 06)."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import Router, Schema

from motcua.core.auth import staff_auth
from motcua.core.errors import NotFound
from motcua.core.schemas import IsoDate

router = Router(tags=["documents"])


class FormOut(Schema):
    code: str
    name: str
    legal_basis: str
    version: int
    valid_from: date | None = None


@router.get("/forms", auth=staff_auth, response=list[FormOut])
def forms(request: HttpRequest) -> Any:
    """The official forms in force (the active version of each; shipped defaults where none is stored)."""
    from motcua.documents.models import FormTemplate
    from motcua.documents.services import FORM_META

    stored = {t.code: t for t in FormTemplate.objects.filter(is_active=True)}
    out = []
    for code, (name, basis) in FORM_META.items():
        row = stored.get(code)
        out.append(
            FormOut(
                code=code,
                name=row.name if row else name,
                legal_basis=row.legal_basis if row else basis,
                version=row.version if row else 0,
                valid_from=row.valid_from if row else None,
            )
        )
    return out


@router.get("/ledger.pdf", auth=staff_auth)
def ledger(request: HttpRequest, unit: str, date_from: IsoDate, date_to: IsoDate) -> HttpResponse:
    """Form 06, the tracking ledger of a unit (by unit code) for a period, as PDF; only one's own units."""
    from motcua.documents.dossier_forms import ledger_pdf
    from motcua.org.models import Unit
    from motcua.org.permissions import visible_unit_ids

    row = Unit.objects.filter(code=unit, pk__in=visible_unit_ids(request.user)).first()
    if row is None:
        raise NotFound(
            "Không tìm thấy đơn vị hoặc bạn không có quyền xem sổ của đơn vị này.",
            code="unit_not_found",
        )
    pdf = ledger_pdf(unit=row, date_from=date_from, date_to=date_to)
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = (
        f'inline; filename="so-theo-doi-{row.code}-{date_from:%Y%m%d}-{date_to:%Y%m%d}.pdf"'
    )
    return response
