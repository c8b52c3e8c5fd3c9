"""Every write on home visits: book, cancel, assign and order, and the officer's actions."""

from __future__ import annotations

import base64
import binascii
import io
from datetime import date, datetime, timedelta
from typing import Any

from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction

from motcua.catalog.models import Channel, ProcedureVersion
from motcua.core import clock
from motcua.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from motcua.core.schemas import DB_INT_MAX
from motcua.core.services import audit_record
from motcua.core.text import ascii_digits, normalize_name
from motcua.homeservice.models import (
    HOLDING,
    Eligibility,
    HalfDay,
    HomeServiceRule,
    HomeVisit,
    HomeVisitEvent,
    OfficerAbsence,
    VisitChannel,
    VisitStatus,
)
from motcua.org.idcard import birth_year, validate_id_number
from motcua.org.models import Role, StaffRole, Unit
from motcua.org.permissions import has_role, require_role
from motcua.org.phone import normalize_phone

CODE_PREFIX = "TN-"
DESK_ROLES = (Role.RECEPTION, Role.MANAGER)
DISPATCH_ROLES = (Role.MANAGER,)
# The longest side of a photo kept from the officer's phone: a paper stays readable.
PHOTO_MAX_SIDE = 1600
MAX_PHOTOS = 12
S = VisitStatus


# ---------------------------------------------------------------- errors


class HomeServiceUnavailable(ValidationFailed):
    code = "home_service_unavailable"
    message = "Đơn vị này chưa nhận đặt lịch phục vụ tại nhà."


class NotEligible(ValidationFailed):
    code = "home_visit_not_eligible"
    message = (
        "Thủ tục hoặc đối tượng này không thuộc diện được phục vụ tại nhà theo quy định của đơn vị. "
        "Vui lòng đến bộ phận một cửa hoặc gọi bàn hướng dẫn để được hỗ trợ."
    )


class DayInvalid(ValidationFailed):
    code = "home_visit_day_invalid"
    message = (
        "Ngày hoặc buổi hẹn không hợp lệ: ngày nghỉ, buổi đã qua hoặc quá xa. "
        "Vui lòng chọn ngày làm việc khác."
    )


class HalfDayFull(Conflict):
    code = "home_visit_full"
    message = (
        "Buổi này cán bộ phục vụ tại nhà đã kín lịch (tính cả thời gian di chuyển). "
        "Vui lòng chọn buổi hoặc ngày khác."
    )


class OfficerFull(Conflict):
    code = "home_visit_officer_full"
    message = "Cán bộ này đã kín thời gian làm việc trong buổi. Vui lòng chọn cán bộ khác."


class VisitNotFound(NotFound):
    code = "home_visit_not_found"
    message = (
        "Không tìm thấy lịch phục vụ tại nhà khớp với mã và thông tin xác minh đã nhập. "
        "Vui lòng kiểm tra lại."
    )


class ActionRefused(Conflict):
    code = "home_visit_action_refused"


# ---------------------------------------------------------------- rules and capacity


def rule_for(unit: Unit) -> HomeServiceRule | None:
    """The unit's home-service rule, or None when the unit offers no home visits."""
    rule = HomeServiceRule.objects.filter(unit=unit).first()
    return rule if rule is not None and rule.enabled else None


def home_capable(version: ProcedureVersion, rule: HomeServiceRule) -> bool:
    """The version can be done at home: it lists the home channel, or its field is served at home."""
    return "home" in (version.channels or []) or version.field.code in (rule.social_fields or [])


def eligible(
    *, version: ProcedureVersion, rule: HomeServiceRule, eligibility: str, id_number: str
) -> bool:
    """Who may have this procedure done at home under the unit's rule."""
    if eligibility == Eligibility.SOCIAL:
        return version.field.code in (rule.social_fields or [])
    if not home_capable(version, rule):
        return False
    if eligibility == Eligibility.ELDERLY:
        return clock.today().year - birth_year(id_number) >= rule.min_age
    if eligibility == Eligibility.DISABLED:
        return rule.allow_disabled
    if eligibility == Eligibility.ILL:
        return rule.allow_ill
    return False


def visit_minutes(version: ProcedureVersion, rule: HomeServiceRule) -> int:
    """Time one visit takes from an officer's half-day: the procedure's work plus travel."""
    work = int((rule.procedure_minutes or {}).get(version.procedure.code, rule.visit_minutes))
    return max(1, work) + rule.travel_minutes


def officers_of(unit: Unit) -> list[Any]:
    """Active home-service officers of the unit (role held at the unit itself)."""
    from motcua.org.models import User

    ids = StaffRole.objects.filter(unit=unit, role=Role.HOME_SERVICE).values("user_id")
    return list(User.objects.filter(pk__in=ids, is_active=True).order_by("full_name", "pk"))


def _available(officers: list[Any], day: date, half_day: str) -> list[Any]:
    absent = set(
        OfficerAbsence.objects.filter(
            officer__in=officers, date=day, half_day=half_day
        ).values_list("officer_id", flat=True)
    )
    return [o for o in officers if o.pk not in absent]


def half_day_window(unit: Unit, day: date, half_day: str) -> tuple[datetime, datetime]:
    """Start and end of a half-day in the unit's calendar."""
    from motcua.worktime.selectors import calendar_for_unit

    windows = calendar_for_unit(unit).windows
    start, end = windows[0] if half_day == HalfDay.MORNING else windows[-1]
    return (
        datetime.combine(day, start, tzinfo=clock.VN_TZ),
        datetime.combine(day, end, tzinfo=clock.VN_TZ),
    )


def day_bookable(unit: Unit, rule: HomeServiceRule, day: date, half_day: str) -> bool:
    """A working day within the horizon whose half-day has not begun."""
    from motcua.worktime.selectors import calendar_for_unit

    today = clock.today()
    if half_day not in HalfDay.values or day < today or day > today + timedelta(rule.days_ahead):
        return False
    if not calendar_for_unit(unit).is_working_day(day):
        return False
    return half_day_window(unit, day, half_day)[0] > clock.now()


def capacity(unit: Unit, rule: HomeServiceRule, day: date, half_day: str) -> dict[str, int]:
    """Officer minutes of a half-day: total (available officers × minutes each), used, free."""
    from django.db.models import Sum

    total = len(_available(officers_of(unit), day, half_day)) * rule.half_day_minutes
    used = (
        HomeVisit.objects.filter(
            unit=unit, date=day, half_day=half_day, status__in=HOLDING
        ).aggregate(s=Sum("minutes"))["s"]
        or 0
    )
    return {"total": total, "used": int(used), "free": max(0, total - int(used))}


def _officer_used(officer: Any, day: date, half_day: str, exclude: Any = None) -> int:
    from django.db.models import Sum

    qs = HomeVisit.objects.filter(
        officer=officer, date=day, half_day=half_day, status__in=HOLDING
    ).exclude(pk=exclude)
    return int(qs.aggregate(s=Sum("minutes"))["s"] or 0)


def _lock(unit: Unit) -> HomeServiceRule:
    """Serialise one unit's bookings and assignments on its rule row (capacity never overbooked)."""
    rule = HomeServiceRule.objects.select_for_update().filter(unit=unit, enabled=True).first()
    if rule is None:
        raise HomeServiceUnavailable()
    return rule


# ---------------------------------------------------------------- book and cancel


@transaction.atomic
def visit_book(
    *,
    unit: Unit,
    version: ProcedureVersion,
    full_name: str,
    id_number: str,
    phone: str,
    address: str,
    day: date,
    half_day: str,
    eligibility: str,
    needs: str = "",
    channel: str = VisitChannel.PORTAL,
    created_by: Any = None,
) -> HomeVisit:
    """Book a home visit for a day and half-day if officer time is left; returns it with its code."""
    from motcua.queueing.bookings import citizen_for_booking, new_code

    if channel == VisitChannel.DESK:
        require_role(created_by, DESK_ROLES, unit)
    else:
        created_by = None
    id_number = (id_number or "").strip()
    validate_id_number(id_number)
    name = normalize_name(full_name or "")
    if not name or len(name) > 200 or any(ch.isdigit() for ch in name):
        raise ValidationFailed("Vui lòng nhập đúng họ và tên.", code="full_name_invalid")
    phone = normalize_phone(phone or "")
    if not phone:
        raise ValidationFailed(
            "Vui lòng nhập số điện thoại để cán bộ liên hệ trước khi đến.", code="phone_required"
        )
    address = " ".join((address or "").split())
    if len(address) < 5 or len(address) > 300:
        raise ValidationFailed(
            "Vui lòng nhập địa chỉ nơi cán bộ đến (số nhà, ngõ, tổ dân phố).",
            code="address_required",
        )
    if eligibility not in Eligibility.values:
        raise ValidationFailed("Vui lòng chọn đối tượng được phục vụ.", code="eligibility_invalid")
    if not version.is_published:
        raise NotFound("Không tìm thấy thủ tục đang áp dụng.", code="procedure_not_found")
    rule = rule_for(unit)
    if rule is None:
        raise HomeServiceUnavailable()
    if not eligible(version=version, rule=rule, eligibility=eligibility, id_number=id_number):
        raise NotEligible()
    citizen = citizen_for_booking(
        id_number=id_number, full_name=name, phone=phone, actor=created_by
    )

    rule = _lock(unit)
    if not day_bookable(unit, rule, day, half_day):
        raise DayInvalid()
    minutes = visit_minutes(version, rule)
    if capacity(unit, rule, day, half_day)["free"] < minutes:
        raise HalfDayFull()
    if HomeVisit.objects.filter(
        citizen=citizen, procedure_version__procedure=version.procedure, status__in=HOLDING[:4]
    ).exists():
        raise Conflict(
            "Đã có lịch phục vụ tại nhà cho thủ tục này đang chờ thực hiện. "
            "Muốn đổi ngày, hãy hủy lịch cũ bằng mã lịch hẹn rồi đặt lại.",
            code="home_visit_duplicate",
        )
    now = clock.now()
    for _ in range(8):
        try:
            with transaction.atomic():
                visit = HomeVisit.objects.create(
                    code=new_code(CODE_PREFIX),
                    unit=unit,
                    procedure_version=version,
                    citizen=citizen,
                    full_name=name,
                    phone=phone,
                    address=address,
                    date=day,
                    half_day=half_day,
                    eligibility=eligibility,
                    needs=(needs or "").strip()[:300],
                    minutes=minutes,
                    channel=channel,
                    created_at=now,
                    created_by=created_by if getattr(created_by, "pk", None) else None,
                )
            break
        except IntegrityError:
            continue  # the code was taken: draw another
    else:
        raise Conflict("Không tạo được mã lịch hẹn, vui lòng thử lại.", code="home_visit_code")
    _record(visit, action="book", actor=created_by, from_status="", now=now)
    if channel == VisitChannel.DESK:
        audit_record(
            action="homeservice.visit.book",
            actor=created_by,
            obj=visit,
            detail={"code": visit.code, "citizen": citizen.id_number},
        )
    return visit


def visit_verify(*, code: str, proof: str) -> HomeVisit:
    """The visit with this code when `proof` is the last 4 digits of the CCCD or phone, or the phone."""
    from motcua.queueing.bookings import normalize_prefixed_code, proof_matches

    normal = normalize_prefixed_code(code, CODE_PREFIX)
    visit = (
        HomeVisit.objects.select_related("citizen", "officer", "unit", "procedure_version")
        .filter(code=normal)
        .first()
        if normal
        else None
    )
    if visit is None:
        raise VisitNotFound()
    proof = (proof or "").strip()
    phones = (visit.phone, visit.citizen.phone)
    ok = proof_matches(id_number=visit.citizen.id_number, phones=phones, proof=proof)
    if not ok and ascii_digits(proof) and len(proof) == 4:
        ok = any(p and p[-4:] == proof for p in phones)
    if not ok:
        raise VisitNotFound()
    return visit


@transaction.atomic
def visit_cancel_by_citizen(*, code: str, proof: str, reason: str = "") -> HomeVisit:
    """The citizen cancels with the code and the last 4 digits of the CCCD or phone."""
    visit = visit_verify(code=code, proof=proof)
    visit = HomeVisit.objects.select_for_update().get(pk=visit.pk)
    if visit.status not in (S.REQUESTED, S.ASSIGNED, S.NO_ONE_HOME):
        raise ActionRefused(
            f"Lịch hẹn đang ở trạng thái “{visit.get_status_display().lower()}”, không thể hủy."
        )
    before = visit.status
    visit.status = S.CANCELLED
    visit.cancel_reason = (reason or "Công dân hủy lịch hẹn").strip()[:200]
    visit.save(update_fields=["status", "cancel_reason"])
    _record(visit, action="cancel", actor=None, from_status=before, now=clock.now(),
            note=visit.cancel_reason)  # fmt: skip
    return visit


# ---------------------------------------------------------------- actions


ACTIONS = (
    "assign",
    "start",
    "arrive",
    "receive",
    "appraise",
    "no_one_home",
    "reschedule",
    "complete",
    "cancel",
)
ACTION_LABELS = {
    "book": "Đặt lịch",
    "assign": "Phân công cán bộ",
    "reorder": "Sắp xếp thứ tự",
    "start": "Cán bộ lên đường",
    "arrive": "Cán bộ đã đến",
    "receive": "Tiếp nhận hồ sơ tại nhà",
    "appraise": "Thẩm định tại nhà",
    "no_one_home": "Không có người ở nhà",
    "reschedule": "Hẹn lại ngày",
    "complete": "Hoàn thành",
    "cancel": "Hủy lịch",
}
_FROM: dict[str, set[str]] = {
    "assign": {S.REQUESTED, S.ASSIGNED},
    "start": {S.ASSIGNED},
    "arrive": {S.ASSIGNED, S.ON_THE_WAY},
    "receive": {S.ASSIGNED, S.ON_THE_WAY, S.ARRIVED},
    "appraise": {S.RECEIVED, S.APPRAISED},
    "no_one_home": {S.ASSIGNED, S.ON_THE_WAY, S.ARRIVED},
    "reschedule": {S.REQUESTED, S.ASSIGNED, S.ON_THE_WAY, S.ARRIVED, S.NO_ONE_HOME},
    "complete": {S.RECEIVED, S.APPRAISED},
    "cancel": {S.REQUESTED, S.ASSIGNED, S.NO_ONE_HOME},
}


def _record(
    visit: HomeVisit,
    *,
    action: str,
    actor: Any,
    from_status: str,
    now: datetime,
    key: str = "",
    note: str = "",
    detail: dict[str, Any] | None = None,
) -> HomeVisitEvent:
    return HomeVisitEvent.objects.create(
        visit=visit,
        at=now,
        action=action,
        actor=actor if getattr(actor, "pk", None) else None,
        key=key,
        from_status=from_status,
        to_status=visit.status,
        note=note[:500],
        detail=detail or {},
    )


def _may(actor: Any, visit: HomeVisit, action: str) -> None:
    unit = visit.unit
    if action == "assign":
        require_role(actor, DISPATCH_ROLES, unit)
        return
    if has_role(actor, DISPATCH_ROLES, unit):
        return
    if action in ("cancel", "reschedule") and has_role(actor, (Role.RECEPTION,), unit):
        return
    require_role(actor, (Role.HOME_SERVICE,), unit)
    if visit.officer_id is not None and visit.officer_id != actor.pk:
        raise PermissionDenied(
            "Lịch này đã được phân công cho cán bộ khác.", code="home_visit_not_yours"
        )


def _decode(data: Any, what: str) -> bytes:
    text = str(data or "")
    if text.startswith("data:"):
        text = text.partition(",")[2]
    try:
        content = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise ValidationFailed(f"{what} không đọc được.", code="image_invalid") from None
    if not content:
        raise ValidationFailed(f"{what} rỗng.", code="image_invalid")
    return content


def photo_clean(content: bytes) -> bytes:
    """A phone photo checked by content, turned upright, downscaled, re-encoded without EXIF/GPS."""
    from PIL import Image, ImageOps

    from motcua.dossiers.scans import scan_check

    ctype, _ = scan_check(content)
    if not ctype.startswith("image/"):
        raise ValidationFailed("Ảnh chụp phải là JPEG hoặc PNG.", code="file_type")
    with Image.open(io.BytesIO(content)) as opened:
        img = ImageOps.exif_transpose(opened).convert("RGB")
        img.thumbnail((PHOTO_MAX_SIDE, PHOTO_MAX_SIDE))
        out = io.BytesIO()
        img.save(out, "JPEG", quality=85, optimize=True)  # no exif= : metadata is not carried
    return out.getvalue()


def signature_clean(content: bytes) -> bytes:
    """The signature drawn on the screen: a PNG checked by content and re-encoded plain."""
    from PIL import Image

    from motcua.dossiers.scans import scan_check

    ctype, _ = scan_check(content)
    if ctype != "image/png":
        raise ValidationFailed("Chữ ký phải là ảnh PNG.", code="signature_invalid")
    with Image.open(io.BytesIO(content)) as opened:
        img = opened.convert("RGBA")
        img.thumbnail((1200, 600))
        out = io.BytesIO()
        img.save(out, "PNG", optimize=True)
    return out.getvalue()


def _photos(params: dict[str, Any]) -> list[tuple[bytes, int | None]]:
    photos = params.get("photos") or []
    if not isinstance(photos, list) or len(photos) > MAX_PHOTOS:
        raise ValidationFailed(f"Tối đa {MAX_PHOTOS} ảnh mỗi lần.", code="too_many_photos")
    out = []
    for item in photos:
        data = item.get("data") if isinstance(item, dict) else item
        paper = item.get("paper") if isinstance(item, dict) else None
        out.append(
            (photo_clean(_decode(data, "Ảnh chụp")), int(paper) if paper is not None else None)
        )
    return out


def _location(params: dict[str, Any]) -> dict[str, float] | None:
    """A location kept only when the officer records it on purpose."""
    loc = params.get("location")
    if not params.get("record_location") or not isinstance(loc, dict):
        return None
    try:
        lat, lon = float(loc["lat"]), float(loc["lon"])
    except (KeyError, TypeError, ValueError):
        return None
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        return None
    return {"lat": round(lat, 6), "lon": round(lon, 6)}


def _h_assign(visit: HomeVisit, actor: Any, params: dict[str, Any], detail: dict) -> None:
    from motcua.org.models import User

    ref = params.get("officer")
    officer = None
    if ref not in (None, ""):
        text = str(ref)
        # A user id as text (ASCII digits that fit the column), else a username.
        by_pk = text.isascii() and text.isdigit() and len(text) <= 10 and int(text) <= DB_INT_MAX
        officer = User.objects.filter(
            **({"pk": int(text)} if by_pk else {"username": text[:150]})
        ).first()
    if officer is None or officer.pk not in {o.pk for o in officers_of(visit.unit)}:
        raise ValidationFailed(
            "Vui lòng chọn một cán bộ phục vụ tại nhà của đơn vị.", code="officer_invalid"
        )
    _lock(visit.unit)
    if not _available([officer], visit.date, visit.half_day):
        raise OfficerFull("Cán bộ này vắng trong buổi đã chọn.")
    rule = rule_for(visit.unit)
    assert rule is not None
    used = _officer_used(officer, visit.date, visit.half_day, exclude=visit.pk)
    if used + visit.minutes > rule.half_day_minutes:
        raise OfficerFull()
    before = visit.officer
    same = HomeVisit.objects.filter(
        officer=officer, date=visit.date, half_day=visit.half_day, status__in=HOLDING
    ).exclude(pk=visit.pk)
    last = max((v.position for v in same), default=0)
    position = params.get("position")
    visit.officer = officer
    visit.position = int(str(position)) if ascii_digits(str(position or "")) else last + 1
    visit.status = S.ASSIGNED
    detail.update(officer=officer.username, officer_name=officer.full_name or officer.username,
                  previous=getattr(before, "username", None), position=visit.position)  # fmt: skip
    _renumber(visit, officer)
    if before is not None and before.pk != officer.pk:
        _compact(before, visit)


def _compact(officer: Any, leaving: HomeVisit) -> None:
    """Positions 1..n again for the half-day an officer's visit just left."""
    rest = (
        HomeVisit.objects.filter(
            officer=officer, date=leaving.date, half_day=leaving.half_day, status__in=HOLDING
        )
        .exclude(pk=leaving.pk)
        .order_by("position", "pk")
    )
    for i, v in enumerate(rest, start=1):
        if v.position != i:
            HomeVisit.objects.filter(pk=v.pk).update(position=i)


def _renumber(visit: HomeVisit, officer: Any) -> None:
    """Positions 1..n for one officer's half-day, `visit` at its requested place."""
    others = list(
        HomeVisit.objects.filter(
            officer=officer, date=visit.date, half_day=visit.half_day, status__in=HOLDING
        )
        .exclude(pk=visit.pk)
        .order_by("position", "pk")
    )
    at = max(1, min(visit.position, len(others) + 1))
    others.insert(at - 1, visit)
    for i, v in enumerate(others, start=1):
        if v.pk != visit.pk and v.position != i:
            HomeVisit.objects.filter(pk=v.pk).update(position=i)
    visit.position = at


def _h_receive(visit: HomeVisit, actor: Any, params: dict[str, Any], detail: dict) -> None:
    from motcua.dossiers.services import attachment_add, dossier_receive

    photos = _photos(params)
    signature = None
    if params.get("signature"):
        signature = signature_clean(_decode(params["signature"], "Chữ ký"))
    papers = params.get("papers")
    if papers is not None and (
        not isinstance(papers, list) or not all(isinstance(p, int) for p in papers)
    ):
        raise ValidationFailed("Danh sách giấy tờ không hợp lệ.", code="invalid_paper")
    version = visit.procedure_version
    dossier = dossier_receive(
        procedure_code=version.procedure.code,
        channel=Channel.HOME,
        citizen={
            "id_number": visit.citizen.id_number,
            "full_name": visit.full_name,
            "phone": visit.phone,
            "address": visit.address,
        },
        unit=visit.unit,
        actor=actor,
        papers=papers,
        notes=str(params.get("notes") or f"Tiếp nhận tại nhà theo lịch {visit.code}")[:1000],
    )
    for i, (content, paper) in enumerate(photos, start=1):
        attachment_add(dossier=dossier, content=content, filename=f"anh-tai-nha-{i}.jpg",
                       actor=actor, paper_position=paper)  # fmt: skip
    if signature is not None:
        attachment_add(dossier=dossier, content=signature, filename="chu-ky-cong-dan.png",
                       actor=actor)  # fmt: skip
        visit.signature.save(f"{visit.code}.png", ContentFile(signature), save=False)
    # "Ba tại nhà": received at home, the result comes back home too unless the citizen asks
    # otherwise (counter, post); the choice is the dossier's delivery (motcua.delivery).
    from motcua.delivery.services import delivery_choose

    method = str(params.get("delivery_method") or "home")
    delivery_choose(dossier=dossier, method=method, actor=actor, address=visit.address,
                    recipient_name=visit.full_name, phone=visit.phone)  # fmt: skip
    visit.dossier = dossier
    visit.status = S.RECEIVED
    detail.update(dossier=dossier.code, photos=len(photos), signed=signature is not None,
                  delivery=method)  # fmt: skip


def _h_appraise(visit: HomeVisit, actor: Any, params: dict[str, Any], detail: dict) -> None:
    from motcua.dossiers.services import attachment_add

    checklist = params.get("checklist") or {}
    if not isinstance(checklist, dict) or len(checklist) > 50:
        raise ValidationFailed("Bảng kiểm thẩm định không hợp lệ.", code="checklist_invalid")
    checklist = {str(k)[:200]: bool(v) for k, v in checklist.items()}
    notes = str(params.get("notes") or "")[:2000]
    photos = _photos(params)
    if visit.dossier is not None:
        for i, (content, paper) in enumerate(photos, start=1):
            attachment_add(dossier=visit.dossier, content=content,
                           filename=f"anh-tham-dinh-{i}.jpg", actor=actor,
                           paper_position=paper)  # fmt: skip
    visit.appraisal = {"checklist": checklist, "notes": notes, "at": clock.now().isoformat()}
    visit.status = S.APPRAISED
    detail.update(checklist=checklist, notes=notes, photos=len(photos))


def _h_reschedule(visit: HomeVisit, actor: Any, params: dict[str, Any], detail: dict) -> None:
    try:
        day = date.fromisoformat(str(params.get("date") or ""))
    except ValueError:
        raise DayInvalid() from None
    half_day = str(params.get("half_day") or "")
    rule = _lock(visit.unit)
    if not day_bookable(visit.unit, rule, day, half_day):
        raise DayInvalid()
    free = capacity(visit.unit, rule, day, half_day)["free"]
    if visit.status in HOLDING and visit.date == day and visit.half_day == half_day:
        free += visit.minutes
    if free < visit.minutes:
        raise HalfDayFull()
    detail.update(old_date=visit.date.isoformat(), old_half_day=visit.half_day,
                  date=day.isoformat(), half_day=half_day)  # fmt: skip
    if visit.officer is not None:
        _compact(visit.officer, visit)
    visit.date, visit.half_day = day, half_day
    visit.officer, visit.position = None, 0
    visit.status = S.REQUESTED


_TO = {
    "start": S.ON_THE_WAY,
    "arrive": S.ARRIVED,
    "no_one_home": S.NO_ONE_HOME,
    "complete": S.COMPLETED,
    "cancel": S.CANCELLED,
}
_HANDLERS = {
    "assign": _h_assign,
    "receive": _h_receive,
    "appraise": _h_appraise,
    "reschedule": _h_reschedule,
}


def visit_out(visit: HomeVisit) -> dict[str, Any]:
    """The visit as the API answers it."""
    officer = visit.officer
    return {
        "code": visit.code,
        "status": visit.status,
        "status_label": visit.get_status_display(),
        "date": visit.date.isoformat(),
        "half_day": visit.half_day,
        "officer": officer.username if officer else None,
        "officer_name": (officer.full_name or officer.username) if officer else None,
        "position": visit.position,
        "dossier": visit.dossier.code if visit.dossier_id and visit.dossier else None,
    }


@transaction.atomic
def visit_act(
    *, code: str, action: str, key: str, actor: Any, params: dict[str, Any] | None = None
) -> tuple[dict[str, Any], bool]:
    """Apply one action to a visit; the same client `key` again returns the first answer.

    Returns (answer, replayed). The visit row is locked, so a resend racing the first call
    waits for it and then finds its event by key."""
    params = dict(params or {})
    if action not in ACTIONS:
        raise ValidationFailed("Thao tác không hợp lệ.", code="action_invalid")
    key = (key or "").strip()
    if not (1 <= len(key) <= 100 and key.isascii() and key.isprintable()):
        raise ValidationFailed(
            "Thiếu khóa thao tác (key) hoặc khóa không hợp lệ (1–100 ký tự).", code="key_invalid"
        )
    visit = (
        # Only the visit's row: PostgreSQL refuses FOR UPDATE over the outer join to `officer`.
        HomeVisit.objects.select_for_update(of=("self",))
        .select_related("unit", "citizen", "officer", "procedure_version__procedure")
        .filter(code=code.strip().upper())
        .first()
    )
    if visit is None:
        raise NotFound("Không tìm thấy lịch phục vụ tại nhà.", code="home_visit_not_found")
    done = visit.events.filter(key=key).first()
    if done is not None:
        # The first answer goes back to whoever made the action (even if the visit has since
        # gone to another officer), and to no one else who may not act on the visit.
        if done.actor_id is None or done.actor_id != getattr(actor, "pk", None):
            _may(actor, visit, action)
        return dict(done.detail.get("answer") or visit_out(visit)), True
    _may(actor, visit, action)
    if visit.status not in _FROM[action]:
        raise ActionRefused(
            f"Không thể “{ACTION_LABELS[action].lower()}” khi lịch đang ở trạng thái "
            f"“{visit.get_status_display().lower()}”."
        )
    before = visit.status
    detail: dict[str, Any] = {}
    note = str(params.get("note") or params.get("reason") or "")[:500]
    handler = _HANDLERS.get(action)
    if handler is not None:
        handler(visit, actor, params, detail)
    else:
        visit.status = _TO[action]
        if action == "cancel":
            if not note:
                raise ValidationFailed("Vui lòng ghi lý do hủy.", code="cancel_reason_required")
            visit.cancel_reason = note[:200]
    location = _location(params)
    if location:
        detail["location"] = location
    visit.save()
    now = clock.now()
    answer = visit_out(visit)
    detail["answer"] = answer
    try:
        with transaction.atomic():
            _record(visit, action=action, actor=actor, from_status=before, now=now, key=key,
                    note=note, detail=detail)  # fmt: skip
    except IntegrityError:  # pragma: no cover - the row lock makes this unreachable
        raise Conflict("Thao tác đang được xử lý, vui lòng thử lại.", code="key_in_use") from None
    return answer, False


@transaction.atomic
def visit_move(*, visit: HomeVisit, actor: Any, step: int) -> HomeVisit:
    """Move a visit up (-1) or down (+1) in its officer's half-day (a manager reorders)."""
    visit = HomeVisit.objects.select_for_update().select_related("unit").get(pk=visit.pk)
    require_role(actor, DISPATCH_ROLES, visit.unit)
    if visit.officer_id is None:
        raise ActionRefused("Lịch chưa được phân công nên chưa có thứ tự.")
    _lock(visit.unit)
    before = visit.position
    visit.position = max(1, visit.position + step)
    _renumber(visit, visit.officer)
    visit.save(update_fields=["position"])
    _record(visit, action="reorder", actor=actor, from_status=visit.status, now=clock.now(),
            detail={"from": before, "to": visit.position})  # fmt: skip
    return visit
