"""JSON API of the biometrics app."""

from __future__ import annotations

from typing import cast

from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Router, Schema

from motcua.biometrics.services import face_data_delete
from motcua.core.auth import staff_auth
from motcua.org.models import Citizen, User

router = Router(tags=["biometrics"])


class DeletedOut(Schema):
    deleted: int


class ErrorOut(Schema):
    code: str
    message: str


@router.delete(
    "/citizens/{id_number}/face",
    response={200: DeletedOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut},
    auth=staff_auth,
)
def citizen_face_delete(
    request: HttpRequest, id_number: str, reason: str = "Công dân yêu cầu xóa dữ liệu khuôn mặt"
) -> DeletedOut:
    """Delete a citizen's face data (sysadmin or manager); `reason` is recorded in the audit trail."""
    citizen = get_object_or_404(Citizen, id_number=id_number)
    # staff_auth has set request.user to the authenticated official.
    n = face_data_delete(citizen=citizen, actor=cast(User, request.user), reason=reason)
    return DeletedOut(deleted=n)
