"""Authorisations: a recorded proxy, its revocation, tickets taken on someone's behalf."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.db import transaction

from motcua.core import clock
from motcua.core.errors import ValidationFailed
from motcua.core.services import audit_record
from motcua.org.models import Citizen, Office
from motcua.queueing.models import (
    Authorisation,
    Method,
    Service,
)
from motcua.queueing.services.base import (
    DESK_ROLES,
    IssueResult,
    _lock,
    _require_staff,
)
from motcua.queueing.services.tickets import (
    ticket_issue,
)


def authorisation_current(
    *, office: Office, principal: Citizen, agent: Citizen
) -> Authorisation | None:
    today = clock.today()
    return (
        Authorisation.objects.filter(
            office=office, principal=principal, agent=agent, valid_from__lte=today,
            valid_to__gte=today, revoked_at__isnull=True,
        )
        .order_by("-valid_to")
        .first()
    )  # fmt: skip


@transaction.atomic
def authorisation_revoke(*, authorisation: Authorisation, officer: Any) -> Authorisation:
    """End an authorisation today (tickets already issued under it stay valid)."""
    auth = _lock(Authorisation, authorisation.pk)
    _require_staff(officer, auth.office, roles=DESK_ROLES)
    if auth.revoked_at is None:
        auth.revoked_at = clock.now()
        auth.revoked_by = officer
        auth.save(update_fields=["revoked_at", "revoked_by"])
        audit_record(action="queue.authorisation.revoke", actor=officer, obj=auth)
    return auth


def ticket_issue_for_proxy(
    *,
    office: Office,
    service: Service,
    agent: Citizen,
    principal: Citizen,
    officer: Any,
    document: str = "",
    valid_to: date | None = None,
) -> IssueResult:
    """At the guidance desk: a ticket for `agent` acting for `principal`.

    Uses the authorisation on record, or records one from the paper the officer has just seen
    (its reference is required), so every ticket for someone else names both people.
    """
    _require_staff(officer, office, roles=DESK_ROLES)
    if agent.pk == principal.pk:
        raise ValidationFailed(
            "Người ủy quyền và người được ủy quyền phải là hai người khác nhau.",
            code="authorisation_same_person",
        )
    auth = authorisation_current(office=office, principal=principal, agent=agent)
    if auth is None:
        if not document.strip():
            raise ValidationFailed(
                "Chưa có ủy quyền còn hiệu lực: cần ghi số, ngày của giấy ủy quyền đã kiểm tra.",
                code="authorisation_document_required",
            )
        if valid_to is not None and valid_to < clock.today():
            raise ValidationFailed(
                "Ngày hết hiệu lực của ủy quyền đã qua.", code="authorisation_expired"
            )
        auth = authorisation_record(
            office=office, principal=principal, agent=agent, document=document.strip()[:200],
            valid_to=valid_to, recorded_by=officer,
        )  # fmt: skip
    return ticket_issue(
        office=office, service=service, citizen=agent, method=Method.STAFF,
        on_behalf_of=principal, authorisation=auth, device=f"staff:{getattr(officer, 'pk', '')}",
    )  # fmt: skip


@transaction.atomic
def authorisation_record(
    *,
    office: Office,
    principal: Citizen,
    agent: Citizen,
    document: str = "",
    valid_to: date | None = None,
    recorded_by: Any = None,
) -> Authorisation:
    """Record that `agent` may take tickets on behalf of `principal` (names both people)."""
    if principal.pk == agent.pk:
        raise ValidationFailed(
            "Người ủy quyền và người được ủy quyền phải là hai người khác nhau.",
            code="authorisation_same_person",
        )
    _require_staff(recorded_by, office, roles=DESK_ROLES)
    today = clock.today()
    auth = Authorisation.objects.create(
        office=office, principal=principal, agent=agent, document=document, valid_from=today,
        valid_to=valid_to or today, recorded_by=recorded_by, recorded_at=clock.now(),
    )  # fmt: skip
    audit_record(
        action="queue.authorisation.record",
        actor=recorded_by,
        obj=auth,
        detail={"principal": principal.id_number, "agent": agent.id_number},
    )
    return auth
