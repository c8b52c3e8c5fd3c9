"""Face writes and checks: analyse a frame, identify, enrol, verify, delete, purge.

Every use of face data writes a FaceAccessLog row. The search itself runs outside any
transaction we open (on SQLite a write transaction locks the database), then the log and the
`last_seen_at` refresh are written in one short transaction.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import numpy as np
from django.conf import settings
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import Count, F, Q

from motcua.biometrics import quality as quality_mod
from motcua.biometrics.engine import DETECT_MAX_SIDE, DetectedFace, get_engine
from motcua.biometrics.errors import FaceRejected
from motcua.biometrics.gallery import Signature, Stamp, office_gallery
from motcua.biometrics.imaging import (
    decode_image,
    decode_image_at_least,
    image_size,
    sniff_format,
)
from motcua.biometrics.models import (
    FaceAccessLog,
    FaceConsent,
    FaceTemplate,
    GalleryVersion,
    Operation,
    Scope,
)
from motcua.core import clock
from motcua.core.errors import PermissionDenied, ValidationFailed
from motcua.core.services import audit_record

if TYPE_CHECKING:
    from motcua.org.models import Citizen, Office, User

# A citizen keeps at most this many templates per office (the newest): a few views of one face
# help matching, more only grow the gallery.
MAX_TEMPLATES_PER_CITIZEN = 5
# "remember" templates of someone not seen for this long are purged (override in
# settings.MOTCUA["FACE_REMEMBER_RETENTION_DAYS"]).
DEFAULT_REMEMBER_RETENTION_DAYS = 730

CONSENT_TEXT_VERSION = "2026-11-v1"
CONSENT_PURPOSE = {
    Scope.TODAY: (
        "Dùng khuôn mặt để lấy số thứ tự và nhận lại số đã lấy trong ngày hôm nay tại bộ phận "
        "một cửa. Mẫu khuôn mặt (không phải ảnh) tự động bị xóa khi hết giờ làm việc hôm nay."
    ),
    Scope.REMEMBER: (
        "Dùng khuôn mặt để lấy số thứ tự tại bộ phận một cửa trong những lần sau. Mẫu khuôn mặt "
        "(không phải ảnh) được lưu cho đến khi công dân yêu cầu xóa hoặc không đến trong thời "
        "gian lưu giữ."
    ),
}
PHOTO_PURPOSE = " Công dân đồng ý riêng cho lưu ảnh chụp khuôn mặt để cán bộ đối chiếu."

DELETE_ROLES = ("sysadmin", "manager")


@dataclass(frozen=True)
class FaceProbe:
    """One analysed frame: the chosen face, its quality measures and embedding."""

    embedding: np.ndarray
    model_id: str
    face: DetectedFace  # in the upload's pixels
    quality: quality_mod.Quality  # measured on the image as decoded
    image_format: str  # "jpeg" | "png"
    image_size: tuple[int, int]  # (width, height) of the upload
    detect_ms: float
    embed_ms: float


@dataclass(frozen=True)
class IdentifyResult:
    status: str  # "match" | "no_match" | "ambiguous"
    citizen: Citizen | None  # set only on "match"
    score: float | None
    second_score: float | None


@dataclass(frozen=True)
class VerifyResult:
    matched: bool
    score: float | None  # best cosine against the citizen's templates (None: none on file)


def _threshold() -> float:
    return float(settings.MOTCUA["FACE_MATCH_THRESHOLD"])


def _margin() -> float:
    return float(settings.MOTCUA["FACE_MATCH_MARGIN"])


def retention_days() -> int:
    return int(settings.MOTCUA.get("FACE_REMEMBER_RETENTION_DAYS", DEFAULT_REMEMBER_RETENTION_DAYS))


def _ms(start: float) -> float:
    return round((time.perf_counter() - start) * 1000, 2)


def _log(
    *,
    operation: str,
    result: str,
    office: Any = None,
    device: str = "",
    actor: Any = None,
    citizen: Any = None,
    best_score: float | None = None,
    second_score: float | None = None,
    duration_ms: float | None = None,
    detail: dict[str, Any] | None = None,
) -> FaceAccessLog:
    return FaceAccessLog.objects.create(
        at=clock.now(),
        office=office,
        device=device[:80],
        actor=actor if getattr(actor, "pk", None) else None,
        operation=operation,
        result=result,
        citizen=citizen,
        best_score=best_score,
        second_score=second_score,
        duration_ms=duration_ms,
        detail=detail or {},
    )


def _bump_version(office_id: int) -> Signature:
    """Bump an office's gallery version before writing its templates; the row as it is then.

    The row stays locked until the caller commits, so what it read is what the previous writer
    committed; `_stamp` reads it again after the caller's writes (which the triggers counted).
    """
    if not GalleryVersion.objects.filter(office_id=office_id).exists():
        try:
            with transaction.atomic():
                GalleryVersion.objects.create(office_id=office_id, version=0)
        except IntegrityError:
            pass  # created by a concurrent writer; the update below waits for its lock
    GalleryVersion.objects.filter(office_id=office_id).update(version=F("version") + 1)
    return _version_row(office_id)


def _version_row(office_id: int) -> Signature:
    token, version, changes = GalleryVersion.objects.filter(office_id=office_id).values_list(
        "token", "version", "changes"
    )[0]
    return (str(token), int(version), int(changes))


def _stamp(office_id: int, bumped: Signature) -> Stamp:
    """What this transaction did to the office's row: from before its bump to now."""
    after = _version_row(office_id)
    return Stamp(
        token=bumped[0],
        version=bumped[1],
        before=(bumped[0], bumped[1] - 1, bumped[2]),
        after=after,
    )


def face_analyse(*, image: bytes) -> FaceProbe:
    """Decode, detect, check quality and embed one frame; FaceRejected tells the citizen what to do."""
    # A photo at least twice the detector's input (DETECT_MAX_SIDE) is decoded at a reduced size
    # that still covers it: the detector gets nearly the same input (either is scaled down to
    # DETECT_MAX_SIDE), the decode costs a fraction, and the face is aligned from the reduced
    # image (still far above SFace's 112 px; the licensed photos blown up ×3 match the same
    # people: tests/biometrics/test_biometrics_real_model.py). Kiosk frames are decoded whole.
    array, scale = decode_image_at_least(image, DETECT_MAX_SIDE)
    engine = get_engine()
    start = time.perf_counter()
    faces = engine.detect(array)
    detect_ms = _ms(start)
    verdict = quality_mod.assess(array, faces, scale=scale)
    if not verdict.ok or verdict.face is None:
        raise FaceRejected(
            verdict.message,
            code=verdict.code,
            faces=verdict.faces_count,
        )
    start = time.perf_counter()
    embedding = engine.embed(array, verdict.face)
    embed_ms = _ms(start)
    h, w = array.shape[:2]
    face = verdict.face
    if scale != 1.0:  # report the upload's pixels (as decoded, EXIF orientation applied)
        width, height = image_size(image)
        w, h = (width, height) if (w >= h) == (width >= height) else (height, width)
        face = face.scaled(scale)
    return FaceProbe(
        embedding=embedding,
        model_id=engine.model_id,
        face=face,
        quality=verdict,
        image_format=sniff_format(image) or "",
        image_size=(w, h),
        detect_ms=detect_ms,
        embed_ms=embed_ms,
    )


def face_identify(
    *, office: Office, probe: FaceProbe, device: str, actor: User | None = None
) -> IdentifyResult:
    """1:N search of the office's gallery; only a clear winner is a match (logged either way)."""
    from motcua.org.models import Citizen

    start = time.perf_counter()
    gallery = office_gallery(office.pk, probe.model_id)
    now = clock.now()
    result, template_id = gallery.search(
        probe.embedding, threshold=_threshold(), margin=_margin(), at=now.timestamp()
    )
    citizen = None
    if result.status == "match":
        citizen = Citizen.objects.filter(pk=result.best_id).first()
        if citizen is None:
            # Deleted without going through services (a CASCADE): the cache still held their
            # templates. Reload and search again.
            gallery.invalidate()
            result, template_id = gallery.search(
                probe.embedding, threshold=_threshold(), margin=_margin(), at=now.timestamp()
            )
            if result.status == "match":
                citizen = Citizen.objects.filter(pk=result.best_id).first()
            if citizen is None and result.status == "match":
                result = type(result)("no_match", None, result.best_score, result.second_score)
    with transaction.atomic():
        if citizen is not None:
            # Seen again: "remember" retention counts from the last visit.
            FaceTemplate.objects.filter(citizen=citizen, office=office).update(last_seen_at=now)
        _log(
            operation=Operation.IDENTIFY,
            result=result.status,
            office=office,
            device=device,
            actor=actor,
            citizen=citizen,
            best_score=result.best_score,
            second_score=result.second_score,
            duration_ms=_ms(start),
            detail={"template": template_id} if citizen is not None else {},
        )
    return IdentifyResult(result.status, citizen, result.best_score, result.second_score)


def _closing_time(office: Office, now: datetime) -> datetime:
    """Today's closing moment of the office; after hours, the end of today."""
    end = office.afternoon_end
    if isinstance(end, str):  # an instance built in memory still holds the "17:00" default
        end = datetime.strptime(end, "%H:%M").time()
    closing = datetime.combine(now.date(), end, tzinfo=clock.VN_TZ)
    if closing <= now:
        closing = datetime.combine(
            now.date() + timedelta(days=1), datetime.min.time(), tzinfo=clock.VN_TZ
        )
    return closing


def _delete_photos_on_commit(names: list[str]) -> None:
    from django.core.files.storage import default_storage

    def delete() -> None:
        for name in names:
            default_storage.delete(name)

    if names:
        transaction.on_commit(delete)


@transaction.atomic
def face_enrol(
    *,
    citizen: Citizen,
    office: Office,
    probe: FaceProbe,
    scope: str,
    device: str,
    keep_photo: bool = False,
    photo: bytes | None = None,
) -> FaceTemplate:
    """Store a template with the citizen's consent; "today" ones expire at today's closing."""
    if scope not in Scope.values:
        raise ValidationFailed(
            "Phạm vi đồng ý không hợp lệ (chỉ hôm nay hoặc ghi nhớ).", code="bad_scope"
        )
    if keep_photo and not photo:
        raise ValidationFailed("Cần ảnh để lưu khi công dân đồng ý lưu ảnh.", code="photo_missing")
    now = clock.now()
    FaceConsent.objects.create(
        citizen=citizen,
        scope=scope,
        keep_photo=keep_photo,
        purpose=CONSENT_PURPOSE[Scope(scope)] + (PHOTO_PURPOSE if keep_photo else ""),
        text_version=CONSENT_TEXT_VERSION,
        granted_at=now,
        channel=device[:80],
    )
    bumped = _bump_version(office.pk)
    template = FaceTemplate(
        citizen=citizen,
        office=office,
        model_id=probe.model_id,
        vector=FaceTemplate.pack(probe.embedding),
        scope=scope,
        created_at=now,
        expires_at=_closing_time(office, now) if scope == Scope.TODAY else None,
        last_seen_at=now,
    )
    if keep_photo and photo:
        # Only with the explicit photo consent recorded above; checked to be a real image.
        decode_image(photo)
        ext = "png" if sniff_format(photo) == "png" else "jpg"
        template.photo.save(
            f"{citizen.pk}-{int(now.timestamp())}.{ext}", ContentFile(photo), save=False
        )
    template.save()
    # Keep the newest few per citizen and office.
    old = list(
        FaceTemplate.objects.filter(citizen=citizen, office=office)
        .order_by("-created_at", "-id")
        .values_list("id", "photo")[MAX_TEMPLATES_PER_CITIZEN:]
    )
    if old:
        FaceTemplate.objects.filter(id__in=[i for i, _ in old]).delete()
        _delete_photos_on_commit([p for _, p in old if p])
    stamp = _stamp(office.pk, bumped)
    _log(
        operation=Operation.ENROL,
        result=scope,
        office=office,
        device=device,
        citizen=citizen,
        detail={"template": template.pk, "photo": bool(template.photo), "dropped": len(old)},
    )

    gallery = office_gallery(office.pk, probe.model_id)
    vector = probe.embedding.copy()
    expires = template.expires_at.timestamp() if template.expires_at else float("inf")
    template_id, citizen_id, dropped = template.pk, citizen.pk, {i for i, _ in old}

    def update_cache() -> None:
        if dropped:
            gallery.invalidate()  # rare: two changes in one version, reload instead
            return
        gallery.add(
            stamp=stamp,
            template_id=template_id,
            citizen_id=citizen_id,
            vector=vector,
            expires=expires,
        )

    transaction.on_commit(update_cache)
    return template


def face_verify(
    *,
    citizen: Citizen,
    office: Office,
    probe: FaceProbe,
    device: str,
    actor: User | None = None,
) -> VerifyResult:
    """1:1 check at the counter: is the person in front of the camera this ticket's citizen?"""
    start = time.perf_counter()
    now = clock.now()
    rows = list(
        FaceTemplate.objects.filter(citizen=citizen, model_id=probe.model_id)
        .filter(Q(expires_at__isnull=True) | Q(expires_at__gt=now))
        .values_list("vector", flat=True)
    )
    score: float | None = None
    if rows:
        matrix = np.stack([np.frombuffer(bytes(v), dtype="<f4") for v in rows]).astype(np.float32)
        score = float((matrix @ probe.embedding).max())
    matched = score is not None and score >= _threshold()
    with transaction.atomic():
        if matched:
            FaceTemplate.objects.filter(citizen=citizen).update(last_seen_at=now)
        _log(
            operation=Operation.VERIFY,
            result="match" if matched else ("no_template" if score is None else "no_match"),
            office=office,
            device=device,
            actor=actor,
            citizen=citizen,
            best_score=score,
            duration_ms=_ms(start),
        )
    return VerifyResult(matched, score)


def _may_delete(actor: Any) -> bool:
    return any(actor.has_role(role) for role in DELETE_ROLES)


def _remove_templates(templates: Any) -> int:
    """Delete templates (and photos), bump each office's version, update caches on commit."""
    rows = list(templates.values_list("id", "office_id", "model_id", "photo"))
    if not rows:
        return 0
    by_office: dict[int, list[tuple[int, str]]] = {}
    for tid, office_id, model_id, _ in rows:
        by_office.setdefault(office_id, []).append((tid, model_id))
    bumped = {office_id: _bump_version(office_id) for office_id in sorted(by_office)}
    FaceTemplate.objects.filter(id__in=[r[0] for r in rows]).delete()
    versions = {office_id: _stamp(office_id, row) for office_id, row in bumped.items()}
    _delete_photos_on_commit([r[3] for r in rows if r[3]])

    def update_caches() -> None:
        for office_id, items in by_office.items():
            for model_id in {m for _, m in items}:
                office_gallery(office_id, model_id).remove(
                    stamp=versions[office_id], template_ids={t for t, m in items if m == model_id}
                )

    transaction.on_commit(update_caches)
    return len(rows)


def face_data_office_scope(actor: Any) -> set[int] | None:
    """Offices whose face data `actor` may see and erase; None means every office.

    A system administrator acts everywhere; a manager only at the offices of the units where
    they hold the manager role (with sub-units and the units those replaced), so a manager of
    one ward can neither list nor erase what another ward's kiosks hold.
    """
    from motcua.org.models import Office, Role, StaffRole
    from motcua.org.permissions import _closure, unit_graph

    if getattr(actor, "is_superuser", False) or actor.has_role(Role.SYSADMIN):
        return None
    managed = set(
        StaffRole.objects.filter(user=actor, role=Role.MANAGER).values_list("unit_id", flat=True)
    )
    if not managed:
        return set()
    _, children, predecessors = unit_graph()
    units = _closure(_closure(managed, children), predecessors)
    return set(Office.objects.filter(unit_id__in=units).values_list("pk", flat=True))


@transaction.atomic
def face_data_delete(*, citizen: Citizen, actor: User | None = None, reason: str) -> int:
    """Delete a citizen's face data (templates, photos), withdraw consent; returns templates deleted.

    With an `actor` (staff), only a system administrator (everything) or a manager (the data
    held at their units' offices, see `face_data_office_scope`) may do it; without one it is
    the citizen's own request at a kiosk, which erases everything. Consent is withdrawn once
    no template of the citizen is left anywhere.
    """
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed(
            "Vui lòng ghi rõ lý do xóa dữ liệu khuôn mặt.", code="reason_required"
        )
    if actor is not None and not _may_delete(actor):
        raise PermissionDenied(
            "Chỉ quản trị hệ thống hoặc cán bộ quản lý được xóa dữ liệu khuôn mặt."
        )
    now = clock.now()
    held = FaceTemplate.objects.filter(citizen=citizen)
    offices = face_data_office_scope(actor) if actor is not None else None
    if offices is not None:
        if not held.filter(office_id__in=offices).exists() and held.exists():
            raise PermissionDenied(
                "Dữ liệu khuôn mặt của công dân này được lưu tại bộ phận một cửa của đơn vị "
                "khác: chỉ cán bộ quản lý của đơn vị đó hoặc quản trị hệ thống được xóa.",
                code="face_data_out_of_scope",
            )
        held = held.filter(office_id__in=offices)
    deleted = _remove_templates(held)
    withdrawn = 0
    if not FaceTemplate.objects.filter(citizen=citizen).exists():
        withdrawn = FaceConsent.objects.filter(citizen=citizen, withdrawn_at__isnull=True).update(
            withdrawn_at=now
        )
    _log(
        operation=Operation.DELETE,
        result=f"deleted:{deleted}",
        actor=actor,
        citizen=citizen,
        detail={"reason": reason, "templates": deleted, "consents_withdrawn": withdrawn},
    )
    audit_record(
        action="biometrics.face_data_delete",
        actor=actor,
        obj=citizen,
        detail={"reason": reason, "templates": deleted, "consents_withdrawn": withdrawn},
    )
    return deleted


def face_data_viewed(*, citizen: Citizen, actor: User) -> None:
    """Record that an official opened a citizen's face data (the citizen can see who looked)."""
    _log(operation=Operation.VIEW, result="viewed", actor=actor, citizen=citizen)


@transaction.atomic
def face_templates_purge(*, now: datetime | None = None) -> int:
    """Delete expired "today" templates and "remember" ones unused past retention; returns the count."""
    now = clock.local(now) if now else clock.now()
    stale_before = now - timedelta(days=retention_days())
    expired = FaceTemplate.objects.filter(
        Q(expires_at__isnull=False, expires_at__lte=now)
        | Q(scope=Scope.REMEMBER, last_seen_at__lt=stale_before)
    )
    per_office = dict(expired.order_by().values_list("office_id").annotate(n=Count("id")))
    total = _remove_templates(expired)
    from motcua.org.models import Office

    for office in Office.objects.filter(pk__in=per_office):
        _log(
            operation=Operation.PURGE,
            result=f"deleted:{per_office[office.pk]}",
            office=office,
            device="huey",
        )
    return total
