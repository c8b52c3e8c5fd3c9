"""Writes of the dossiers app: receive a dossier, move it through the transition table, attach scans."""

from __future__ import annotations

import hashlib
import math
from datetime import date, datetime, time, timedelta
from typing import Any

from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Q

from motcua.catalog.models import Channel
from motcua.core import clock
from motcua.core.errors import (
    Conflict,
    DomainError,
    InvalidTransition,
    NotFound,
    PermissionDenied,
    ValidationFailed,
)
from motcua.core.services import audit_record, sequence_next
from motcua.core.text import ascii_digits
from motcua.dossiers import deadlines
from motcua.dossiers.models import (
    ApologyDelegation,
    Attachment,
    Dossier,
    DossierEvent,
    DossierPaper,
    Extension,
)
from motcua.dossiers.scans import sniff_content_type  # noqa: F401  (re-exported for forms)
from motcua.dossiers.workflow import (
    APOLOGY_DELEGATE,
    CITIZEN,
    LEADER,
    RECEPTION,
    SPECIALIST,
    Status,
    Step,
    Transition,
    TransitionRefused,
    classify,
    target_status,
    transition_for,
)
from motcua.org.models import Citizen, Role, StaffRole, Unit, User
from motcua.org.phone import normalize_phone

MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024


class DeadlinePassed(Conflict):
    code = "deadline_passed"
    message = "Đã quá thời hạn giải quyết: thư xin lỗi phải được gửi trước thời điểm hẹn trả."


class RepeatSupplementReasonRequired(ValidationFailed):
    code = "repeat_supplement_reason_required"
    message = (
        "Hồ sơ đã được yêu cầu bổ sung một lần. Theo quy định, giấy tờ còn thiếu phải được "
        "hướng dẫn một lần, đầy đủ bằng văn bản: yêu cầu bổ sung thêm lần nữa cần ghi rõ lý do "
        "(ví dụ: công dân nộp giấy tờ mới phát sinh yêu cầu khác)."
    )


def _refused(exc: TransitionRefused) -> DomainError:
    if exc.code == "forbidden":
        return PermissionDenied(exc.message)
    if exc.code == "unknown_action":
        return ValidationFailed(exc.message, code="unknown_action")
    return InvalidTransition(exc.message)


# --- citizens --------------------------------------------------------------------------------


def _parse_date(value: Any) -> date | None:
    if value in (None, ""):
        return None
    if isinstance(value, date):
        return value
    for fmt in ("%Y-%m-%d", "%d/%m/%Y", "%d%m%Y"):
        try:
            return datetime.strptime(str(value), fmt).date()
        except ValueError:
            continue
    raise ValidationFailed(
        "Ngày không hợp lệ: nhập theo dạng ngày/tháng/năm (dd/mm/yyyy).", code="invalid_date"
    )


def _citizen_upsert(data: dict[str, Any], *, verified: bool = True) -> Citizen:
    fields: dict[str, Any] = {
        "id_number": str(data.get("id_number") or "").strip(),
        "full_name": str(data.get("full_name") or "").strip(),
        "date_of_birth": _parse_date(data.get("date_of_birth")),
        "sex": data.get("sex") or "",
        "phone": str(data.get("phone") or "").strip(),
        "address": str(data.get("address") or "").strip(),
        "email": str(data.get("email") or "").strip(),
    }
    if not fields["full_name"]:
        raise ValidationFailed("Thiếu họ và tên công dân.", code="citizen_name_required")
    from motcua.org.services import citizen_upsert

    return citizen_upsert(**fields, verified=verified)


# --- permissions -----------------------------------------------------------------------------


def actor_roles(actor: Any, units: list[Unit | None]) -> set[str]:
    """Roles an official may use for the given units (held there, in an ancestor, or a predecessor).

    Same rule as org.permissions.has_role, evaluated for all roles at once over one read of the
    unit graph. An anonymous actor (online submission) gets the pseudo-role `citizen`.
    """
    if actor is None or not getattr(actor, "pk", None):
        return {CITIZEN}
    if not getattr(actor, "is_active", True):
        return set()
    if getattr(actor, "is_superuser", False):
        return {r for r in Role.values if r != Role.SYSADMIN}
    held = list(StaffRole.objects.filter(user=actor).values_list("unit_id", "role"))
    if not held:
        return set()
    from motcua.org.permissions import unit_graph

    parents, _, predecessors = unit_graph()
    successors: dict[int, list[int]] = {}
    for to_id, froms in predecessors.items():
        for from_id in froms:
            successors.setdefault(from_id, []).append(to_id)
    covered: set[int] = set()
    frontier = [u.pk for u in units if u is not None]
    seen = set(frontier)
    while frontier:  # the units, every unit that took over their files, then all their ancestors
        node = frontier.pop()
        current: int | None = node
        while current is not None and current not in covered:
            covered.add(current)
            current = parents.get(current)
        for nxt in successors.get(node, ()):
            if nxt not in seen:
                seen.add(nxt)
                frontier.append(nxt)
    return {role for unit_id, role in held if unit_id in covered}


def dossier_roles(actor: Any, dossier: Dossier) -> set[str]:
    """Roles an official may use on this dossier, with the delegation to sign apology letters."""
    return _dossier_roles(actor, dossier)


def _dossier_roles(actor: Any, dossier: Dossier) -> set[str]:
    roles = actor_roles(actor, [dossier.unit, dossier.holder_unit])
    if getattr(actor, "pk", None) and apology_delegation_for(actor=actor, unit=dossier.unit):
        roles.add(APOLOGY_DELEGATE)
    return roles


# --- delegation to sign apology letters ------------------------------------------------------


def apology_delegation_for(
    *, actor: Any, unit: Unit, on: date | None = None
) -> ApologyDelegation | None:
    """The delegation in force that lets `actor` issue apology letters for `unit` (or its parents)."""
    on = on or clock.today()
    chain: list[int] = []
    node: Unit | None = unit
    while node is not None and len(chain) < 20:
        chain.append(node.pk)
        node = node.parent
    return (
        ApologyDelegation.objects.filter(
            delegate_id=actor.pk, unit_id__in=chain, revoked_at__isnull=True, valid_from__lte=on
        )
        .filter(Q(valid_to__isnull=True) | Q(valid_to__gte=on))
        .select_related("leader")
        .order_by("-created_at")
        .first()
    )


@transaction.atomic
def apology_delegation_grant(
    *,
    leader: Any,
    delegate: Any,
    unit: Unit,
    document: str,
    valid_from: date | None = None,
    valid_to: date | None = None,
) -> ApologyDelegation:
    """A leader delegates an official to issue apology letters (form 04) in the leader's name."""
    if Role.LEADER not in actor_roles(leader, [unit]):
        raise PermissionDenied(
            "Chỉ lãnh đạo đơn vị mới được ủy quyền ký thư xin lỗi.", code="not_leader"
        )
    if delegate is None or getattr(delegate, "pk", None) == getattr(leader, "pk", None):
        raise ValidationFailed("Cần chọn một cán bộ khác để ủy quyền.", code="invalid_delegate")
    works_there = StaffRole.objects.filter(
        user=delegate, unit_id__in=unit.descendant_ids()
    ).exists()
    if not works_there and not actor_roles(delegate, [unit]):
        raise ValidationFailed(
            f"Cán bộ {delegate} không làm việc tại đơn vị này.", code="invalid_delegate"
        )
    document = (document or "").strip()
    if not document:
        raise ValidationFailed(
            "Cần ghi số, ngày của văn bản ủy quyền.", code="delegation_document_required"
        )
    valid_from = valid_from or clock.today()
    if valid_to is not None and valid_to < valid_from:
        raise ValidationFailed(
            "Ngày hết hiệu lực phải sau ngày bắt đầu.", code="invalid_delegation_dates"
        )
    row = ApologyDelegation.objects.create(
        unit=unit,
        leader=leader,
        delegate=delegate,
        document=document,
        valid_from=valid_from,
        valid_to=valid_to,
        created_at=clock.now(),
    )
    audit_record(
        action="dossier.apology_delegation_grant",
        actor=leader,
        obj=row,
        detail={"delegate": delegate.pk, "unit": unit.pk, "document": document},
    )
    return row


@transaction.atomic
def apology_delegation_revoke(*, delegation: ApologyDelegation, actor: Any) -> ApologyDelegation:
    """End a delegation (the leader who gave it, or another leader of the unit)."""
    if Role.LEADER not in actor_roles(actor, [delegation.unit]):
        raise PermissionDenied("Chỉ lãnh đạo đơn vị mới được thu hồi ủy quyền.", code="not_leader")
    if delegation.revoked_at is None:
        delegation.revoked_at = clock.now()
        delegation.save(update_fields=["revoked_at"])
        audit_record(
            action="dossier.apology_delegation_revoke", actor=actor, obj=delegation, detail={}
        )
    return delegation


# --- events and steps ------------------------------------------------------------------------


def _event(
    dossier: Dossier,
    *,
    action: str,
    actor: Any,
    from_status: int | None,
    now: datetime,
    note: str = "",
    from_user: Any = None,
    to_user: Any = None,
    to_unit: Unit | None = None,
    closed_step: str = "",
    closed_timeliness: str = "",
    opened: bool = False,
) -> DossierEvent:
    return DossierEvent.objects.create(
        dossier=dossier,
        at=now,
        actor=actor if getattr(actor, "pk", None) else None,
        action=action,
        from_status=from_status,
        to_status=dossier.status,
        unit=dossier.holder_unit or dossier.unit,
        from_user=from_user,
        to_user=to_user,
        to_unit=to_unit,
        note=note,
        step=dossier.step if opened else "",
        step_due_at=dossier.step_due_at if opened else None,
        closed_step=closed_step,
        closed_step_timeliness=closed_timeliness,
        due_at=dossier.due_at,
    )


def _cal(dossier: Dossier) -> Any:
    """The receiving unit's calendar, read once per service call (kept on the instance)."""
    cal = getattr(dossier, "_calendar", None)
    if cal is None:
        cal = deadlines.calendar(dossier.unit)
        dossier._calendar = cal  # type: ignore[attr-defined]
    return cal


def _open_step(dossier: Dossier, step: str, now: datetime) -> tuple[str, str]:
    """Start a processing step with its own deadline; returns the (step, timeliness) it closed."""
    closed, timeliness = "", ""
    if dossier.step and dossier.step_due_at:
        closed, timeliness = dossier.step, classify(now, dossier.step_due_at)
    dossier.step = step
    if dossier.due_at is None:
        dossier.step_due_at = None
        return closed, timeliness
    total = timedelta(seconds=dossier.allowed_seconds)
    if total <= timedelta():
        dossier.step_due_at = dossier.due_at  # same-day: every step shares the one moment
    else:
        shares = deadlines.step_shares(dossier.procedure.code)
        dossier.step_due_at = deadlines.step_deadline(
            cal=_cal(dossier),
            start=now,
            total=total,
            share_pct=shares.get(step, 0),
            due_at=dossier.due_at,
        )
    return closed, timeliness


def _close_step(dossier: Dossier, now: datetime) -> tuple[str, str]:
    if not dossier.step or not dossier.step_due_at:
        return "", ""
    closed = (dossier.step, classify(now, dossier.step_due_at))
    dossier.step, dossier.step_due_at = "", None
    return closed


def _start_clock(dossier: Dossier, now: datetime) -> None:
    # The legal time of the case chosen at reception (e.g. Law on Civil Status art. 18(2)).
    version = dossier.procedure_version.with_time_case(dossier.time_case or None)
    due = deadlines.due_on_receipt(version=version, received_at=now, unit=dossier.unit)
    dossier.accepted_at = now
    dossier.due_at = due
    dossier.original_due_at = due
    cal = _cal(dossier)
    dossier.allowed_seconds = int(cal.working_time_between(now, due).total_seconds())


# --- receive ---------------------------------------------------------------------------------


REFERENCE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I/L to misread


def _reference(now: datetime) -> str:
    """A reference for an online submission: TT-<YYMMDD>-<8 random>, not guessable, unique."""
    import secrets

    while True:
        tail = "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(8))
        ref = f"TT-{clock.local(now):%y%m%d}-{tail}"
        if not Dossier.objects.filter(reference=ref).exists():
            return ref


class SubmissionQuota(DomainError):
    code = "online_submission_quota"
    status = 429
    message = (
        "Số định danh này đã nộp đủ số hồ sơ trực tuyến cho phép trong ngày. "
        "Vui lòng chờ cán bộ tiếp nhận các hồ sơ đã nộp, hoặc quay lại vào ngày mai."
    )


def _online_quota(id_number: str, now: datetime) -> None:
    """At most MOTCUA["ONLINE_SUBMISSIONS_PER_ID_PER_DAY"] anonymous submissions per CCCD a day."""
    from django.conf import settings

    limit = int(settings.MOTCUA.get("ONLINE_SUBMISSIONS_PER_ID_PER_DAY", 3))
    day_start = clock.local(now).replace(hour=0, minute=0, second=0, microsecond=0)
    today = Dossier.objects.filter(
        citizen_id_number=id_number,
        channel=Channel.ONLINE,
        created_by__isnull=True,
        received_at__gte=day_start,
    ).count()
    if today >= limit:
        raise SubmissionQuota()


def dossier_by_number(queryset: Any, number: str) -> Any:
    """Filter a dossier queryset by official code or online reference."""
    from django.db.models import Q

    number = (number or "").strip()
    return queryset.filter(Q(code=number) | Q(reference=number))


def _dossier_code(unit: Unit, received_at: datetime) -> str:
    agency = unit.agency_code or unit.code
    yymmdd = clock.local(received_at).strftime("%y%m%d")
    number = sequence_next(key=f"dossier:{agency}:{yymmdd}")
    return f"{agency}-{yymmdd}-{number:04d}"


@transaction.atomic
def dossier_receive(
    *,
    procedure_code: str,
    channel: str,
    citizen: dict[str, Any],
    unit: Unit,
    actor: Any,
    papers: list[int] | None = None,
    received_at: datetime | None = None,
    fees_due: int | None = None,
    ticket: Any = None,
    notes: str = "",
    quantities: dict[str, Any] | None = None,
    exemption: str | None = None,
    exemption_proof: str = "",
    time_case: str | None = None,
) -> Dossier:
    """Receive a dossier (counter, post, home: status 2) or register an online submission (status 1).

    `papers` are the positions (0-based) of the catalogue papers handed in; None means all.
    The fees owed are computed from the catalogue (channel, `quantities`, `exemption`, see
    dossier_fees); `time_case` chooses the case of a legally variable time.
    """
    from motcua.catalog.selectors import procedure_current

    version = procedure_current(code=procedure_code)
    if version is None:
        raise NotFound(
            f"Không tìm thấy thủ tục đang áp dụng có mã {procedure_code}.",
            code="procedure_not_found",
        )
    if channel not in Channel.values:
        raise ValidationFailed("Hình thức nộp hồ sơ không hợp lệ.", code="invalid_channel")
    if version.channels and channel not in version.channels and channel != Channel.HOME:
        raise ValidationFailed(
            f"Thủ tục này không nhận hồ sơ theo hình thức «{Channel(channel).label}».",
            code="channel_not_allowed",
        )
    action = "submit_online" if channel == Channel.ONLINE else "receive"
    try:
        transition_for(action, None, actor_roles(actor, [unit]))
    except TransitionRefused as exc:
        raise _refused(exc)

    fee_result, time_case = dossier_fees(
        version=version,
        channel=channel,
        quantities=quantities,
        exemption=exemption,
        exemption_proof=exemption_proof,
        fees_due=fees_due,
        time_case=time_case,
    )

    now = clock.local(received_at) if received_at else clock.now()
    # Staff have the ID card in hand; an anonymous online submission is only what was typed.
    person = _citizen_upsert(citizen, verified=actor is not None)
    typed_phone = normalize_phone(str(citizen.get("phone") or ""))
    if actor is None:
        _online_quota(person.id_number, now)

    catalogue = list(version.papers or [])
    ticked = set(range(len(catalogue))) if papers is None else set(papers)
    if any(p < 0 or p >= len(catalogue) for p in ticked):
        raise ValidationFailed(
            "Thành phần hồ sơ không có trong danh mục của thủ tục.", code="invalid_paper"
        )
    missing = [
        p["name"] for i, p in enumerate(catalogue) if p.get("required", True) and i not in ticked
    ]
    if missing and action == "receive":
        raise ValidationFailed(
            "Hồ sơ còn thiếu giấy tờ bắt buộc: " + "; ".join(missing) + ".",
            code="missing_papers",
            missing=missing,
        )

    dossier = Dossier(
        unit=unit,
        procedure_version=version,
        procedure_id=version.procedure_id,
        field_id=version.field_id,
        citizen=person,
        citizen_id_number=person.id_number,
        citizen_name_folded=person.name_folded,
        citizen_phone_last4=(person.phone or typed_phone or "")[-4:],
        channel=channel,
        status=Status.SUBMITTED if action == "submit_online" else Status.ACCEPTED,
        ticket=str(getattr(ticket, "number", None) or ticket or "")[:20],
        received_at=now,
        received_month=now.date().replace(day=1),
        fees_due=fee_result.total,
        fee_detail=fee_result.as_dict(),
        fee_quantities=dict(fee_result.quantities),
        fee_exemption=fee_result.exemption,
        fee_exemption_proof=exemption_proof.strip() if fee_result.exemption else "",
        fee_exemption_checked_by=(
            actor if fee_result.exemption and getattr(actor, "pk", None) else None
        ),
        time_case=time_case,
        notes=notes,
        holder=actor if getattr(actor, "pk", None) else None,
        holder_unit=unit,
        created_by=actor if getattr(actor, "pk", None) else None,
    )
    if dossier.status == Status.ACCEPTED:
        _start_clock(dossier, now)
        _open_step(dossier, Step.RECEPTION, now)
    if dossier.status == Status.SUBMITTED:
        # An online submission gets a reference, not an official number: the code is given
        # when an official accepts it (_h_accept), so junk submissions use up no numbers.
        dossier.code = dossier.reference = _reference(now)
    else:
        # The day's counter is locked until commit: take the number last, so that concurrent
        # receptions wait only for the few inserts below, not for the deadline arithmetic above.
        dossier.code = _dossier_code(unit, now)
    dossier.save()
    DossierPaper.objects.bulk_create(
        DossierPaper(
            dossier=dossier,
            position=i,
            name=p.get("name", ""),
            originals=int(p.get("original", 0) or 0),
            copies=int(p.get("copy", 0) or 0),
            required=bool(p.get("required", True)),
            provided=i in ticked,
        )
        for i, p in enumerate(catalogue)
    )
    _event(
        dossier,
        action=action,
        actor=actor,
        from_status=None,
        now=now,
        to_user=dossier.holder,
        to_unit=unit,
        opened=bool(dossier.step),
    )
    if dossier.status == Status.ACCEPTED:
        # Received and accepted at once (counter, post): a joint procedure's "accept" step.
        from motcua.correspondence.services import consultations_for_step

        consultations_for_step(dossier=dossier, step="accept", actor=actor)
    # The citizen's channels (when they agreed) and the "received" message: same transaction.
    from motcua.notifications.services import notification_dossier_received

    notification_dossier_received(dossier=dossier, citizen_data=citizen, actor=actor)
    audit_record(
        action=f"dossier.{action}", actor=actor, obj=dossier, detail={"code": dossier.code}
    )
    return dossier


def dossier_fees(
    *,
    version: Any,
    channel: str,
    quantities: dict[str, Any] | None = None,
    exemption: str | None = None,
    exemption_proof: str = "",
    fees_due: int | None = None,
    time_case: str | None = None,
) -> tuple[Any, str]:
    """The fees owed at reception (catalog.fees.fee_compute) and the time case, checked.

    An exemption needs the paper that proves it (recorded with the official who checked it).
    A `fees_due` sent by a client must be what the law charges: the slip never prints another amount.
    """
    from motcua.catalog.fees import FeeError, fee_compute

    try:
        result = fee_compute(version, channel=channel, quantities=quantities, exemption=exemption)
    except FeeError as exc:
        raise ValidationFailed(exc.message, code=exc.code) from exc
    if result.exemption and not (exemption_proof or "").strip():
        raise ValidationFailed(
            "Cần ghi giấy tờ chứng minh thuộc đối tượng miễn, giảm phí, lệ phí đã kiểm tra.",
            code="exemption_proof_required",
        )
    from motcua.core.schemas import DB_INT_MAX

    if result.total > DB_INT_MAX:  # the column's bound (many pages or copies at a high rate)
        raise ValidationFailed(
            "Số lượng trang, bản kê khai quá lớn: tổng phí, lệ phí vượt mức có thể ghi nhận.",
            code="fees_too_large",
        )
    if fees_due is not None and fees_due != result.total:
        raise ValidationFailed(
            f"Số tiền phí, lệ phí {fees_due:,} đồng khác mức thu theo quy định "
            f"({result.total:,} đồng) của thủ tục này.".replace(",", "."),
            code="fees_mismatch",
        )
    try:
        case = version.time_case(time_case or None)
    except KeyError:
        raise ValidationFailed(
            "Trường hợp thời hạn giải quyết không có trong quy định của thủ tục.",
            code="time_case_unknown",
        ) from None
    return result, (case or {}).get("code", "")


# --- one entry point for every move ----------------------------------------------------------


def _user(value: Any, what: str) -> User | None:
    if value in (None, ""):
        return None
    if isinstance(value, User):
        return value
    user = (
        User.objects.filter(username=value).first()
        if isinstance(value, str) and not ascii_digits(value)
        else None
    )
    user = user or User.objects.filter(pk=value).first()
    if user is None:
        raise ValidationFailed(f"Không tìm thấy cán bộ ({what}).", code="user_not_found")
    return user


def _unit(value: Any) -> Unit | None:
    if value in (None, ""):
        return None
    if isinstance(value, Unit):
        return value
    unit = Unit.objects.filter(code=value).first() or (
        Unit.objects.filter(pk=value).first() if ascii_digits(str(value)) else None
    )
    if unit is None:
        raise ValidationFailed("Không tìm thấy đơn vị.", code="unit_not_found")
    return unit


def _recipient_unit(user: User, roles: set[str], scope: Unit, what: str) -> Unit:
    """The unit (scope or one under it) where `user` holds one of `roles`; refuses other recipients."""
    inside = scope.descendant_ids()
    row = (
        StaffRole.objects.filter(user=user, role__in=roles, unit_id__in=inside)
        .select_related("unit")
        .order_by("-unit__level")
        .first()
    )
    if row is not None:
        return row.unit
    if actor_roles(user, [scope]) & roles:
        return scope
    raise ValidationFailed(
        f"Cán bộ {user} không có vai trò {what} tại đơn vị này.", code="wrong_recipient"
    )


def _new_due(value: Any, cal: Any) -> datetime:
    if isinstance(value, datetime):
        return clock.local(value)
    d = _parse_date(value) if not isinstance(value, date) else value
    if d is None:
        raise ValidationFailed("Thiếu ngày hẹn trả mới.", code="new_due_required")
    closing = getattr(cal, "closing_of", None) or getattr(cal, "closing", None)
    if callable(closing):
        return clock.local(closing(d))
    return datetime.combine(d, time(17, 0), tzinfo=clock.VN_TZ)


def _held_by_another(roles: set[str], dossier: Dossier, actor: Any) -> bool:
    """A specialist (without a leader or reception role here) works only on dossiers they hold."""
    return bool(
        roles & {SPECIALIST}
        and not roles & {LEADER, RECEPTION}
        and dossier.holder_id not in (None, getattr(actor, "pk", None))
        and dossier.status == Status.PROCESSING
    )


def dossier_actions(*, dossier: Dossier, actor: Any) -> list[str]:
    """The moves `dossier_act` would accept from `actor` now (same table, same holder rule)."""
    from motcua.dossiers.workflow import allowed_actions

    roles = _dossier_roles(actor, dossier)
    if _held_by_another(roles, dossier, actor):
        return []
    return allowed_actions(dossier.status, roles)


@transaction.atomic
def dossier_act(*, dossier: Dossier, action: str, actor: Any, **params: Any) -> Dossier:
    """Apply one move of the transition table (permission per role and unit checked here)."""
    # Lock the row: two officials acting at once must not both move the same dossier.
    dossier = (
        Dossier.objects.select_for_update().select_related("procedure", "unit").get(pk=dossier.pk)
    )
    roles = _dossier_roles(actor, dossier)
    try:
        t = transition_for(action, dossier.status, roles)
    except TransitionRefused as exc:
        raise _refused(exc)
    note = str(params.get("note") or params.get("reason") or "").strip()
    if t.needs_reason and not note:
        raise ValidationFailed(f"Cần ghi rõ lý do khi «{t.label}».", code="reason_required")
    if _held_by_another(roles, dossier, actor):
        raise PermissionDenied("Hồ sơ đang do cán bộ khác xử lý.", code="not_holder")
    if action in _FEE_GUARDED:
        _fees_guard(dossier, action)

    now = clock.now()
    before = Status(dossier.status)
    dossier.status = target_status(t, before)
    from_user = dossier.holder
    kw: dict[str, Any] = {"note": note, "from_user": from_user}
    closed: tuple[str, str] = ("", "")
    handler = _HANDLERS.get(action)
    if handler is not None:
        closed = handler(dossier, t, actor, now, params, kw) or ("", "")
    if t.step and action not in ("finish",):
        closed = _open_step(dossier, t.step, now)
    dossier.save()
    _event(
        dossier,
        action=action,
        actor=actor,
        from_status=before,
        now=now,
        closed_step=closed[0],
        closed_timeliness=closed[1],
        opened=t.step is not None,
        **kw,
    )
    if action in ("accept", "assign"):
        # A joint procedure ("liên thông"): the agencies its version names for this step are
        # asked by official letter in this transaction (sent once, within the deadline).
        from motcua.correspondence.services import consultations_for_step

        consultations_for_step(dossier=dossier, step=action, actor=actor)
    if action == "finish":
        # The result is ready: the delivery task (counter, home, post) opens in this transaction.
        from motcua.delivery.services import delivery_result_ready

        delivery_result_ready(dossier=dossier, actor=actor, now=now)
    # What the citizen is told about this move (outbox row, same transaction).
    from motcua.notifications.services import notification_dossier_event

    notification_dossier_event(dossier=dossier, action=action, note=note)
    audit_record(
        action=f"dossier.{action}",
        actor=actor,
        obj=dossier,
        detail={"code": dossier.code, "note": note},
    )
    return dossier


_FEE_GUARDED = frozenset({"finish", "return", "paid"})


def _fees_guard(dossier: Dossier, action: str) -> None:
    """Money first: no result handed over (nor status 6 left) while charges or fees are owed.

    A procedure that collects on result is not finished either while money is owed: reception
    asks for it first (status 6, «Yêu cầu thực hiện nghĩa vụ tài chính»).
    """
    from motcua.payments.selectors import collects_on_result, dossier_outstanding

    outstanding = dossier_outstanding(dossier)
    if outstanding <= 0:
        return
    money = f"{outstanding:,}".replace(",", ".")
    if action == "paid":
        raise Conflict(
            f"Hồ sơ còn {money} đồng phí, lệ phí chưa nộp: chưa thể ghi nhận đã thực hiện "
            "nghĩa vụ tài chính.",
            code="fees_outstanding",
        )
    if action == "return":
        raise Conflict(
            f"Chưa trả kết quả được: hồ sơ còn {money} đồng phí, lệ phí chưa nộp. "
            "Hãy thu tiền và lập biên lai trước.",
            code="fees_outstanding",
        )
    if action == "finish" and collects_on_result(dossier):
        raise Conflict(
            f"Thủ tục này thu phí, lệ phí khi trả kết quả và hồ sơ còn {money} đồng chưa nộp: "
            "hãy «Yêu cầu thực hiện nghĩa vụ tài chính» trước.",
            code="fees_outstanding",
        )


def _h_accept(d: Dossier, t: Transition, actor: Any, now: datetime, p: dict, kw: dict) -> None:
    if d.official_code is None:
        d.code = _dossier_code(d.unit, now)  # the official number, given at acceptance
    d.holder, d.holder_unit = actor, d.unit
    kw["to_user"] = actor
    _start_clock(d, now)


def _h_assign(d: Dossier, t: Transition, actor: Any, now: datetime, p: dict, kw: dict) -> None:
    to_user = _user(p.get("to_user"), "người nhận")
    to_unit = _unit(p.get("to_unit"))
    if to_user is None and to_unit is None:
        raise ValidationFailed(
            "Cần chọn cán bộ hoặc phòng chuyên môn nhận hồ sơ.", code="recipient_required"
        )
    target_unit = to_unit or d.holder_unit or d.unit
    if to_user is not None:
        target_unit = _recipient_unit(to_user, {SPECIALIST, LEADER}, to_unit or d.unit, "xử lý")
    d.holder = to_user
    d.holder_unit = target_unit
    kw.update(to_user=to_user, to_unit=to_unit)


def _h_forward(d: Dossier, t: Transition, actor: Any, now: datetime, p: dict, kw: dict) -> None:
    to_user = _user(p.get("to_user"), "người nhận")
    to_unit = _unit(p.get("to_unit"))
    if to_user is None and to_unit is None:
        raise ValidationFailed("Cần chọn cán bộ hoặc đơn vị nhận hồ sơ.", code="recipient_required")
    target_unit = to_unit or d.holder_unit
    if to_user is not None:
        target_unit = _recipient_unit(
            to_user, {SPECIALIST, LEADER, RECEPTION}, to_unit or d.unit, "xử lý"
        )
    d.holder = to_user
    d.holder_unit = target_unit
    kw.update(to_user=to_user, to_unit=to_unit)


def _h_submit_for_approval(
    d: Dossier, t: Transition, actor: Any, now: datetime, p: dict, kw: dict
) -> None:
    to_user = _user(p.get("to_user"), "lãnh đạo")
    target_unit = d.unit
    if to_user is not None:
        target_unit = _recipient_unit(to_user, {LEADER}, d.unit, "lãnh đạo")
    d.holder, d.holder_unit = to_user, target_unit
    kw.update(to_user=to_user, to_unit=target_unit)


def _h_send_back(d: Dossier, t: Transition, actor: Any, now: datetime, p: dict, kw: dict) -> None:
    handed = (
        DossierEvent.objects.filter(dossier=d, to_user_id=d.holder_id, from_user__isnull=False)
        .exclude(from_user_id=d.holder_id)
        .order_by("-at", "-id")
        .first()
    )
    if handed is None:
        raise Conflict(
            "Không xác định được bước trước để trả lại hồ sơ.", code="no_previous_holder"
        )
    d.holder = handed.from_user
    d.holder_unit = handed.unit or d.holder_unit
    d.approved = False
    if handed.closed_step:
        d.step = handed.closed_step
    kw.update(to_user=handed.from_user, to_unit=handed.unit)


def _h_transfer(d: Dossier, t: Transition, actor: Any, now: datetime, p: dict, kw: dict) -> None:
    to_unit = _unit(p.get("to_unit"))
    if to_unit is None:
        raise ValidationFailed("Cần chọn cơ quan nhận hồ sơ chuyển đến.", code="recipient_required")
    d.holder, d.holder_unit = None, to_unit
    kw.update(to_user=None, to_unit=to_unit)


def _h_approve(d: Dossier, t: Transition, actor: Any, now: datetime, p: dict, kw: dict) -> None:
    if d.approved:
        raise Conflict("Hồ sơ đã được phê duyệt.", code="already_approved")
    d.approved = True
    to_user = _user(p.get("to_user"), "người nhận")
    d.holder, d.holder_unit = to_user, d.unit
    kw.update(to_user=to_user, to_unit=d.unit)


def _pause(d: Dossier, t: Transition, actor: Any, now: datetime, p: dict, kw: dict) -> None:
    cal = _cal(d)
    remaining = (
        cal.working_time_between(now, d.due_at) if d.due_at and d.due_at > now else timedelta()
    )
    d.paused_at = now
    # Whole seconds, rounded up: the resumed due moment is never earlier than the one before.
    d.remaining_seconds = math.ceil(remaining.total_seconds())


def _h_request_supplement(
    d: Dossier, t: Transition, actor: Any, now: datetime, p: dict, kw: dict
) -> None:
    """Form 02. Everything missing is listed once, in writing ("hướng dẫn một lần, đầy đủ bằng
    văn bản": the one-stop rule of Decree 118/2025/NĐ-CP, kept from Decree 61/2018/NĐ-CP; the
    article numbers could not be read on this machine, see STATUS.md). A further request needs
    its own reason, is recorded on the dossier and is counted by the reports: the published
    formula of Decision 766/QĐ-TTg indicator 2.1 counts a dossier asked to supplement more than
    once as not on time (reports/index766.py).
    """
    if d.supplement_requests >= 1:
        repeat = str(p.get("repeat_reason") or "").strip()
        if not repeat:
            raise RepeatSupplementReasonRequired()
        d.repeat_supplement_reason = repeat
        kw["note"] = (
            f"{kw['note']}\nLý do yêu cầu bổ sung lần {d.supplement_requests + 1}: {repeat}"
        )
    d.supplement_requests += 1
    _pause(d, t, actor, now, p, kw)


# The clock while a dossier waits for papers follows Decree 118/2025/NĐ-CP of 09/6/2025 on the
# one-stop mechanism (replacing Decrees 61/2018 and 107/2021; amended by Decree 309/2026/NĐ-CP,
# whose changes were not readable here). Its article text was not available on this machine:
# the two rules below are the ones Decree 61/2018/NĐ-CP laid down and 118 kept; check the
# article numbers against the official text (STATUS.md).
def _requested_at_reception(d: Dossier) -> bool:
    """True when the pending supplement was asked before the dossier left reception (status 2)."""
    ask = (
        DossierEvent.objects.filter(dossier=d, action="request_supplement")
        .order_by("-at", "-id")
        .values_list("from_status", flat=True)
        .first()
    )
    return ask == Status.ACCEPTED


def _resume(d: Dossier, t: Transition, actor: Any, now: datetime, p: dict, kw: dict) -> None:
    if d.paused_at is None:
        raise Conflict("Hồ sơ không ở trạng thái tạm dừng.", code="not_paused")
    cal = _cal(d)
    previous = d.due_at
    if t.action == "resubmit" and _requested_at_reception(d):
        # Incomplete at reception: the time limit runs from the receipt of a complete, valid
        # file ("kể từ ngày nhận đủ hồ sơ hợp lệ"), so the legal time runs again in full from
        # now. Rule of Decree 118/2025/NĐ-CP on receipt (as Decree 61/2018/NĐ-CP before it);
        # the article text could not be read on this machine (STATUS.md).
        new_due = deadlines.due_on_receipt(
            version=d.procedure_version, received_at=now, unit=d.unit
        )
        d.allowed_seconds = int(cal.working_time_between(now, new_due).total_seconds())
    else:
        # Asked during processing: the clock stops while the citizen completes the file and the
        # time already used still counts ("thời gian mà cơ quan đã giải quyết lần đầu được tính
        # trong thời gian giải quyết hồ sơ", Decree 61/2018/NĐ-CP, kept by Decree 118/2025/NĐ-CP;
        # article text not readable here, STATUS.md): the remaining working time runs from now.
        remaining = timedelta(seconds=d.remaining_seconds or 0)
        new_due = deadlines.add_working(cal, now, remaining)
    # A due moment is a closing moment of a working day, and never earlier than before.
    new_due = deadlines.closing_at_or_after(cal, new_due)
    d.due_at = max(new_due, previous) if previous is not None else new_due
    if d.step_due_at is not None:
        # The current step's own deadline moves by the same pause.
        step_left = cal.working_time_between(d.paused_at, d.step_due_at)
        d.step_due_at = min(deadlines.add_working(cal, now, step_left), d.due_at)
    d.paused_seconds += int((now - d.paused_at).total_seconds())
    d.paused_at, d.remaining_seconds = None, None


def _h_finish(
    d: Dossier, t: Transition, actor: Any, now: datetime, p: dict, kw: dict
) -> tuple[str, str]:
    if not d.approved and not _is_leader(actor, d):
        raise Conflict("Hồ sơ chưa được lãnh đạo phê duyệt.", code="not_approved")
    d.approved = True
    d.result_ready_at = now
    d.result_timeliness = classify(now, d.due_at) if d.due_at else ""
    # The leader's approval already opened the return step; a leader finishing directly opens it here.
    closed = _open_step(d, Step.RETURN, now) if d.step != Step.RETURN else ("", "")
    d.holder, d.holder_unit = None, d.unit
    return closed


def _is_leader(actor: Any, d: Dossier) -> bool:
    return Role.LEADER in _dossier_roles(actor, d)


def _h_return(
    d: Dossier, t: Transition, actor: Any, now: datetime, p: dict, kw: dict
) -> tuple[str, str]:
    d.returned_at = d.closed_at = now
    d.return_timeliness = classify(now, d.due_at) if d.due_at else ""
    d.holder = None
    return _close_step(d, now)


def _h_close(
    d: Dossier, t: Transition, actor: Any, now: datetime, p: dict, kw: dict
) -> tuple[str, str]:
    d.closed_at = now
    d.holder = None
    d.paused_at, d.remaining_seconds = None, None
    return _close_step(d, now)


def _h_extend(d: Dossier, t: Transition, actor: Any, now: datetime, p: dict, kw: dict) -> None:
    """Form 04: an apology and a new appointment. The legal due moment (`due_at`) never moves:
    the dossier stays late in every statistic if the result comes after it; the new date is the
    appointment given to the citizen (`appointment_at`). The letter is signed in the name of the
    head of the agency: the leader who issues it, or the leader who delegated the issuer.
    """
    promised = d.appointment_at or d.due_at
    if promised is None or now >= promised:
        raise DeadlinePassed()
    cal = _cal(d)
    new_due = _new_due(p.get("new_due_at") or p.get("new_date"), cal)
    if new_due <= promised:
        raise ValidationFailed(
            "Ngày hẹn trả mới phải sau ngày hẹn trả hiện tại.", code="new_due_not_later"
        )
    delegation = None
    signer = actor
    if Role.LEADER not in actor_roles(actor, [d.unit, d.holder_unit]):
        delegation = apology_delegation_for(actor=actor, unit=d.unit, on=now.date())
        if delegation is None:  # the transition table already refused; kept for safety
            raise PermissionDenied(
                "Thư xin lỗi do lãnh đạo ký hoặc cán bộ được lãnh đạo ủy quyền.",
                code="forbidden",
            )
        signer = delegation.leader
    number = Extension.objects.filter(dossier=d).count() + 1
    Extension.objects.create(
        dossier=d,
        number=number,
        reason=kw["note"],
        previous_due_at=promised,
        new_due_at=new_due,
        issued_at=now,
        issued_by=actor if getattr(actor, "pk", None) else None,
        signed_by=signer if getattr(signer, "pk", None) else None,
        delegation=delegation,
    )
    d.appointment_at = new_due


_HANDLERS: dict[str, Any] = {
    "accept": _h_accept,
    "assign": _h_assign,
    "forward": _h_forward,
    "submit_for_approval": _h_submit_for_approval,
    "send_back": _h_send_back,
    "transfer": _h_transfer,
    "approve": _h_approve,
    "request_supplement": _h_request_supplement,
    "request_payment": _pause,
    "resubmit": _resume,
    "paid": _resume,
    "finish": _h_finish,
    "return": _h_return,
    "refuse": _h_close,
    "withdraw": _h_close,
    "stop": _h_close,
    "extend": _h_extend,
}


def dossier_get(*, code: str) -> Dossier:
    """The dossier with this code, or NotFound."""
    dossier = dossier_by_number(Dossier.objects, code).first()
    if dossier is None:
        raise NotFound(f"Không tìm thấy hồ sơ có mã {code}.", code="dossier_not_found")
    return dossier


# --- attachments -----------------------------------------------------------------------------


@transaction.atomic
def attachment_add(
    *,
    dossier: Dossier,
    content: bytes,
    filename: str,
    actor: Any,
    paper_position: int | None = None,
) -> Attachment:
    """Attach a scan (PDF, JPEG or PNG checked whole, see dossiers.scans; at most 10 MB) to a dossier."""
    if len(content) == 0:
        raise ValidationFailed("Tệp đính kèm rỗng.", code="empty_file")
    if len(content) > MAX_ATTACHMENT_BYTES:
        raise ValidationFailed("Tệp đính kèm vượt quá 10 MB.", code="file_too_large")
    if Status(dossier.status) in (
        Status.REFUSED,
        Status.WITHDRAWN,
        Status.STOPPED,
        Status.RETURNED,
    ):
        raise Conflict("Hồ sơ đã kết thúc, không thể đính kèm thêm.", code="dossier_closed")
    from motcua.dossiers.scans import scan_check

    ctype, ext = scan_check(content)  # decoded or parsed whole, active content refused
    digest = hashlib.sha256(content).hexdigest()
    paper = None
    if paper_position is not None:
        paper = DossierPaper.objects.filter(dossier=dossier, position=paper_position).first()
    att = Attachment(
        dossier=dossier,
        paper=paper,
        original_name=filename[:255],
        content_type=ctype,
        size=len(content),
        sha256=digest,
        uploaded_at=clock.now(),
        uploaded_by=actor if getattr(actor, "pk", None) else None,
    )
    # The stored name never reuses the citizen's file name or extension.
    att.file.save(f"{dossier.code}-{digest[:16]}.{ext}", ContentFile(content), save=False)
    att.save()
    audit_record(action="dossier.attach", actor=actor, obj=dossier, detail={"sha256": digest})
    return att
