"""Writes of the portal: announcements, article ratings, comments, service ratings."""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, transaction
from django.utils.text import slugify

from motcua.core import clock
from motcua.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from motcua.core.services import audit_record
from motcua.core.text import fold
from motcua.org.models import Role
from motcua.portal.models import (
    INDICATOR_KEYS,
    Announcement,
    AnnouncementRating,
    Comment,
    RatingChannel,
    SatisfactionLevel,
    ServiceRating,
)
from motcua.portal.sanitize import clean_html, html_to_text

EDITOR_ROLES = {Role.MANAGER, Role.LEADER, Role.SYSADMIN}


class AlreadyRated(Conflict):
    code = "already_rated"
    message = "Bạn đã đánh giá nội dung này rồi. Mỗi lượt chỉ được đánh giá một lần."


class VerifyMismatch(PermissionDenied):
    code = "verify_mismatch"
    message = (
        "Thông tin xác minh không đúng. Vui lòng kiểm tra lại 4 số cuối CCCD hoặc số điện thoại."
    )


class NotReadyToRate(Conflict):
    code = "not_ready"
    message = "Lượt phục vụ chưa kết thúc nên chưa thể đánh giá."


def can_edit_announcements(user: Any) -> bool:
    """Leaders, managers and administrators write and moderate the portal's content."""
    if user is None or not user.is_authenticated:
        return False
    if user.is_superuser:
        return True
    return bool(user.role_set() & EDITOR_ROLES)


def _unique_slug(title: str, exclude_pk: int | None = None) -> str:
    base = slugify(fold(title))[:100] or "tin-bai"
    slug, n = base, 1
    others = (
        Announcement.objects.exclude(pk=exclude_pk) if exclude_pk else Announcement.objects.all()
    )
    while others.filter(slug=slug).exists():
        n += 1
        slug = f"{base}-{n}"
    return slug


@transaction.atomic
def announcement_save(
    *,
    actor: Any,
    title: str,
    body: str,
    summary: str = "",
    publish: bool = True,
    unit: Any = None,
    announcement: Announcement | None = None,
) -> Announcement:
    """Create or update an announcement; its body is sanitised before it is stored."""
    if not can_edit_announcements(actor):
        raise PermissionDenied("Chỉ lãnh đạo, cán bộ quản lý được đăng tin.")
    title = title.strip()
    body = clean_html(body)
    if not title:
        raise ValidationFailed("Vui lòng nhập tiêu đề.")
    if not html_to_text(body) and "<img" not in body:
        raise ValidationFailed("Vui lòng nhập nội dung.")
    ann = announcement or Announcement(author=actor, unit=unit)
    ann.title = title
    ann.body = body
    ann.summary = (summary.strip() or html_to_text(body))[:300]
    if not ann.slug:
        ann.slug = _unique_slug(title)
    if publish and ann.published_at is None:
        ann.published_at = clock.now()
    elif not publish:
        ann.published_at = None
    ann.save()
    audit_record(action="announcement.save", actor=actor, obj=ann, detail={"published": publish})
    return ann


def announcement_rate(
    *, announcement: Announcement, visitor: str, stars: int
) -> AnnouncementRating:
    """One 1–5 star rating per visitor per article (a second one is refused, not overwritten)."""
    if not (isinstance(stars, int) and 1 <= stars <= 5):
        raise ValidationFailed("Số sao phải từ 1 đến 5.")
    if announcement.published_at is None:
        raise NotFound("Không tìm thấy tin bài.")
    try:
        with transaction.atomic():
            return AnnouncementRating.objects.create(
                announcement=announcement, visitor=visitor, stars=stars, created_at=clock.now()
            )
    except IntegrityError:
        raise AlreadyRated("Bạn đã đánh giá bài viết này rồi.")


@transaction.atomic
def comment_submit(*, announcement: Announcement, name: str, body: str) -> Comment:
    """A reader's comment, stored as plain text and held for moderation."""
    name, body = name.strip(), body.strip()
    if announcement.published_at is None:
        raise NotFound("Không tìm thấy tin bài.")
    if not name or not body:
        raise ValidationFailed("Vui lòng nhập tên và nội dung bình luận.")
    if len(body) > 2000 or len(name) > 100:
        raise ValidationFailed("Bình luận quá dài (tối đa 2000 ký tự).")
    return Comment.objects.create(
        announcement=announcement, name=name, body=body, created_at=clock.now()
    )


@transaction.atomic
def comment_moderate(*, actor: Any, comment: Comment, approve: bool) -> Comment:
    """Approve (publish) or reject a pending comment."""
    if not can_edit_announcements(actor):
        raise PermissionDenied("Chỉ lãnh đạo, cán bộ quản lý được duyệt bình luận.")
    comment.status = Comment.Status.APPROVED if approve else Comment.Status.REJECTED
    comment.moderated_at = clock.now()
    comment.moderated_by = actor
    comment.save(update_fields=["status", "moderated_at", "moderated_by"])
    audit_record(action="comment.moderate", actor=actor, obj=comment, detail={"approve": approve})
    return comment


def _check_indicators(indicators: dict[str, Any] | None) -> dict[str, int]:
    clean: dict[str, int] = {}
    for key, value in (indicators or {}).items():
        if key not in INDICATOR_KEYS:
            raise ValidationFailed(f"Chỉ số đánh giá không hợp lệ: {key}.")
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 2:
            raise ValidationFailed("Mỗi chỉ số được chấm từ 0 đến 2 điểm.")
        clean[key] = value
    return clean


def _last4(value: str | None) -> str:
    digits = "".join(c for c in (value or "") if c.isdigit())
    return digits[-4:] if len(digits) >= 4 else ""


# A citizen who has just proved who they are on the lookup page rates without typing the
# digits again: the lookup hands the rating page a short-lived signed token naming the dossier
# (never the digits themselves).
RATING_TOKEN_SALT = "motcua.portal.rating-after-lookup"
RATING_TOKEN_MAX_AGE = 30 * 60  # seconds


def rating_token_issue(*, dossier_code: str) -> str:
    """A token that lets the bearer rate `dossier_code` for the next 30 minutes."""
    from django.core import signing

    return signing.dumps(dossier_code.strip(), salt=RATING_TOKEN_SALT)


def rating_token_valid(token: str, *, dossier_code: str) -> bool:
    """Whether `token` came from a lookup of `dossier_code` less than 30 minutes ago."""
    from django.core import signing

    if not token:
        return False
    try:
        code = signing.loads(token, salt=RATING_TOKEN_SALT, max_age=RATING_TOKEN_MAX_AGE)
    except signing.BadSignature:  # also SignatureExpired
        return False
    return isinstance(code, str) and code == dossier_code.strip()


def _dossier_for_rating(code: str, verify: str, lookup_token: str = "") -> Any:
    from motcua.dossiers.models import Dossier
    from motcua.dossiers.services import dossier_by_number

    dossier = dossier_by_number(Dossier.objects.select_related("procedure_version"), code).first()
    if dossier is None:
        raise NotFound("Không tìm thấy hồ sơ có mã này.")
    if rating_token_valid(lookup_token, dossier_code=dossier.code):
        return dossier
    # The dossier keeps its own copy of the citizen's ID number and phone digits.
    accepted = {_last4(dossier.citizen_id_number), _last4(dossier.citizen_phone_last4)}
    accepted.discard("")
    if not verify or verify.strip() not in accepted:
        raise VerifyMismatch()
    return dossier


def _ticket_for_rating(ticket: str | int | None, verify: str) -> Any:
    from motcua.queueing.models import Ticket

    token_field = "token"
    if not verify:
        raise VerifyMismatch("Thiếu mã xác minh của phiếu.")
    qs = Ticket.objects.select_related("office", "service")
    if ticket not in (None, ""):
        try:
            row = qs.filter(pk=int(ticket)).first()
        except (TypeError, ValueError):
            row = None
        if row is None:
            raise NotFound("Không tìm thấy lượt phục vụ.")
        if str(getattr(row, token_field, "")) != verify.strip():
            raise VerifyMismatch("Mã xác minh của phiếu không đúng.")
        return row
    row = qs.filter(**{token_field: verify.strip()}).first()
    if row is None:
        raise NotFound("Không tìm thấy lượt phục vụ.")
    return row


def rating_subject(
    *, dossier_code: str | None = None, ticket: str | int | None = None, verify: str = ""
) -> Any:
    """The dossier or ticket a citizen wants to rate, after checking the verification value."""
    if dossier_code:
        return _dossier_for_rating(dossier_code, verify)
    if ticket not in (None, "") or verify:
        return _ticket_for_rating(ticket, verify)
    raise ValidationFailed("Cần mã hồ sơ hoặc phiếu xếp hàng để đánh giá.")


@transaction.atomic
def rating_submit(
    *,
    dossier_code: str | None = None,
    ticket: str | int | None = None,
    verify: str,
    level: str,
    indicators: dict[str, Any] | None = None,
    channel: str = RatingChannel.QR,
    lookup_token: str = "",
) -> ServiceRating:
    """Record a citizen's rating of a dossier or a counter visit; one per dossier or visit.

    A dossier is proved by the 4 digits (`verify`) or by the token of a lookup just made.
    """
    if level not in SatisfactionLevel.values:
        raise ValidationFailed("Mức độ hài lòng không hợp lệ.")
    if channel not in RatingChannel.values:
        raise ValidationFailed("Kênh đánh giá không hợp lệ.")
    clean = _check_indicators(indicators)
    rating = ServiceRating(level=level, indicators=clean, channel=channel, created_at=clock.now())
    if dossier_code:
        dossier = _dossier_for_rating(dossier_code, verify, lookup_token)
        version = getattr(dossier, "procedure_version", None)
        rating.dossier = dossier
        rating.unit_id = dossier.unit_id
        rating.procedure_version = version
        rating.field_id = dossier.field_id
        rating.officer = _dossier_officer(dossier)
        exists = ServiceRating.objects.filter(dossier=dossier).exists()
    else:
        row = _ticket_for_rating(ticket, verify)
        from motcua.queueing.models import Status as TicketStatus

        # Only a visit that was actually served can be rated (not a no-show or a cancelled number).
        if row.status != TicketStatus.DONE or row.finished_at is None:
            raise NotReadyToRate()
        rating.ticket = row
        rating.unit_id = row.office.unit_id
        rating.officer_id = getattr(row, "officer_id", None)
        # A queue service may cover several fields; a rating counts for one only when it is unambiguous.
        fields = list(row.service.fields.values_list("pk", flat=True)[:2])
        rating.field_id = fields[0] if len(fields) == 1 else None
        exists = ServiceRating.objects.filter(ticket=row).exists()
    if exists:
        raise AlreadyRated("Lượt này đã được đánh giá. Cảm ơn bạn!")
    try:
        with transaction.atomic():
            rating.save()
    except IntegrityError:  # a concurrent rating of the same dossier or visit won
        raise AlreadyRated("Lượt này đã được đánh giá. Cảm ơn bạn!")
    return rating


def _dossier_officer(dossier: Any) -> Any:
    """The official who dealt with the citizen: who received the dossier, else its holder."""
    for attr in ("created_by", "holder"):
        officer = getattr(dossier, attr, None)
        if officer is not None:
            return officer
    return None
