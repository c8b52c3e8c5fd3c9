"""`GET /api/v1/dossiers/{code}/notifications`: what the citizen was sent about a dossier."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Router, Schema
from ninja import Status as HttpStatus

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


class WebhookOut(Schema):
    code: str
    message: str
    outcome: str


@router.post(
    "/notifications/zalo-oa/webhook",
    auth=None,
    response={200: WebhookOut, 400: WebhookOut, 403: WebhookOut},
)
def zalo_oa_webhook(request: HttpRequest) -> Any:
    """Events of the office's Zalo Official Account (signed with the OA's secret key).

    `X-ZEvent-Signature: mac=sha256(app_id + raw body + timestamp + OA secret key)`, the app id
    and timestamp taken from the body. A follower who sends their code (shown on their
    preferences page) is linked; one who unfollows is unlinked.
    """
    import hmac
    import json

    from motcua.notifications import services
    from motcua.notifications.channels import conf, zalo_oa_signature

    try:
        event = json.loads(request.body or b"")
    except ValueError:
        event = None
    if not isinstance(event, dict):
        return HttpStatus(
            400,
            {"code": "event_invalid", "message": "Sự kiện không phải JSON hợp lệ.", "outcome": ""},
        )
    app_id = str(event.get("app_id") or "")
    expected = zalo_oa_signature(
        app_id=app_id,
        body=request.body,
        timestamp=str(event.get("timestamp") or ""),
        secret=conf("NOTIFY_ZALO_OA_SECRET"),
    )
    given = request.headers.get("X-ZEvent-Signature") or ""
    if app_id != conf("NOTIFY_ZALO_OA_APP_ID") or not hmac.compare_digest(given, expected):
        return HttpStatus(
            403,
            {
                "code": "signature_invalid",
                "message": "Chữ ký của sự kiện Zalo không hợp lệ.",
                "outcome": "",
            },
        )
    outcome = services.zalo_oa_event(event=event)
    return {"code": "ok", "message": "Đã nhận sự kiện.", "outcome": outcome}
