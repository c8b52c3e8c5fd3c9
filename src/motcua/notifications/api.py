"""`GET /api/v1/dossiers/{code}/notifications`: what the citizen was sent about a dossier."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Router

from motcua.core.auth import staff_auth
from motcua.core.errors import NotFound
from motcua.dossiers import selectors as dossier_selectors
from motcua.dossiers import services as dossier_services
from motcua.notifications import selectors

router = Router(tags=["notifications"])


@router.get("/dossiers/{code}/notifications", auth=staff_auth, response=dict)
def dossier_notifications(request: HttpRequest, code: str) -> dict[str, Any]:
    """Messages about the dossier (staff of its unit): when, channel, result; newest first."""
    user = request.auth  # type: ignore[attr-defined]
    dossier = dossier_services.dossier_by_number(
        dossier_selectors.visible_dossiers(user=user), code
    ).first()
    if dossier is None:
        raise NotFound(f"Không tìm thấy hồ sơ có mã {code}.", code="dossier_not_found")
    return {"code": dossier.code, "items": selectors.dossier_notifications(dossier=dossier)}
