"""Every write of campaigns and subscriptions.

Publishing: `campaign_publish` writes one `CampaignPost` per chosen channel (due now or at the
scheduled time); the Huey job `campaigns_publish_periodic` (every minute) sends what is due
through `campaign_post_send`:

- a post is claimed by a conditional UPDATE (pending → sending): two workers never take it;
- the portal and e-mail channels are ours: the announcement, or the outbox rows of every
  subscriber's e-mail, are written in the same transaction that marks the post `posted`, so
  they exist exactly once whatever happens to the worker;
- Zalo OA and Facebook take no idempotency key: a post left `sending` by a dead worker, or
  retried after an error, is first looked for on the channel by its tracking link
  (`Poster.find`) and only posted when it is not there;
- a temporary failure goes back to pending after a back-off (1, 2, 4 … minutes, at most 8
  tries), a permanent one (bad token, refused content) is failed for good and shown to staff.
"""

from __future__ import annotations

import html
import io
import logging
import secrets
from datetime import datetime, timedelta
from typing import Any

from django.core import signing
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.urls import reverse

from motcua.campaigns.channels import Draft, PostError, poster_for
from motcua.campaigns.models import (
    Campaign,
    CampaignDay,
    CampaignEmail,
    CampaignPost,
    CampaignStatus,
    Channel,
    LinkKind,
    PostState,
    SubChannel,
    Subscription,
)
from motcua.core import clock
from motcua.core.errors import NotFound, PermissionDenied, ValidationFailed
from motcua.core.text import ascii_digits
from motcua.org.models import Role

log = logging.getLogger(__name__)

# Who composes and publishes a unit's campaigns: its leaders and managers (they speak for the
# unit in public; the same people write the portal's announcements).
CAMPAIGN_ROLES = (Role.LEADER, Role.MANAGER)
CODE_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
SENDING_LEASE = timedelta(minutes=5)
MAX_ATTEMPTS = 8
MAX_IMAGE_BYTES = 5 * 1024 * 1024
IMAGE_MAX_SIDE = 1600
TITLE_MAX = 150  # Zalo OA article titles: 150 characters
TEXT_MAX = 5000
# Short names of the channels in tracking links (cd=CODE.channel).
REF_SALT_SUB = "motcua.campaigns.subscription"
CONFIRM_SALT = "motcua.campaigns.confirm"
CONFIRM_MAX_AGE = timedelta(days=7)
SUBSCRIPTION_PURPOSE = (
    "Nhận thông tin cải cách hành chính, thông báo của {topic} qua {channel}; "
    "chỉ dùng cho mục đích này, hủy bất cứ lúc nào."
)


# --- who may -------------------------------------------------------------------------------------


def campaign_units(user: Any) -> list[Any]:
    """Units whose campaigns `user` composes and publishes."""
    from motcua.org.models import Unit

    if user is None or not getattr(user, "is_authenticated", False):
        return []
    qs = Unit.objects.all()
    if not user.is_superuser:
        qs = qs.filter(staff_roles__user=user, staff_roles__role__in=CAMPAIGN_ROLES)
    return list(qs.distinct().order_by("name"))


def can_run_campaigns(user: Any, unit: Any = None) -> bool:
    units = campaign_units(user)
    if unit is None:
        return bool(units)
    return any(u.pk == unit.pk for u in units)


def campaign_visible(user: Any, pk: int) -> Campaign:
    """A campaign of one of the caller's units; NotFound otherwise (no hint it exists)."""
    units = campaign_units(user)
    campaign = Campaign.objects.filter(pk=pk, unit__in=units).select_related("unit").first()
    if campaign is None:
        raise NotFound("Không tìm thấy chiến dịch.", code="campaign_not_found")
    return campaign


# --- composing ------------------------------------------------------------------------------------


def _new_code() -> str:
    for _ in range(20):
        code = "CD" + "".join(secrets.choice(CODE_ALPHABET) for _ in range(6))
        if not Campaign.objects.filter(code=code).exists():
            return code
    raise RuntimeError("no free campaign code")


def image_clean(content: bytes) -> tuple[bytes, str]:
    """An uploaded picture checked by content, turned upright, at most 1600 px, re-encoded
    without metadata (EXIF, location): (bytes, extension)."""
    from PIL import Image, ImageOps

    from motcua.dossiers.scans import scan_check, sniff_content_type

    if not content:
        raise ValidationFailed("Tệp ảnh rỗng.", code="image_invalid")
    if len(content) > MAX_IMAGE_BYTES:
        raise ValidationFailed("Ảnh quá lớn (tối đa 5 MB).", code="image_too_large")
    sniffed = sniff_content_type(content[:16])
    if sniffed is None or not sniffed[0].startswith("image/"):
        raise ValidationFailed("Ảnh phải là tệp JPEG hoặc PNG.", code="image_invalid")
    ctype, _ = scan_check(content)  # the image itself: decodable, sane size
    with Image.open(io.BytesIO(content)) as opened:
        img = ImageOps.exif_transpose(opened)
        img.thumbnail((IMAGE_MAX_SIDE, IMAGE_MAX_SIDE))
        out = io.BytesIO()
        if ctype == "image/png":
            img.save(out, "PNG", optimize=True)  # no pnginfo: text chunks are not carried
            return out.getvalue(), "png"
        img.convert("RGB").save(out, "JPEG", quality=85, optimize=True)  # no exif=
    return out.getvalue(), "jpg"


def _check_link(*, unit: Any, link_kind: str, link_target: str) -> str:
    from motcua.catalog.models import Procedure
    from motcua.org.models import Office
    from motcua.portal.models import Announcement

    target = (link_target or "").strip()
    if link_kind == LinkKind.PROCEDURE:
        if not Procedure.objects.filter(code=target).exists():
            raise ValidationFailed(
                f"Không tìm thấy thủ tục có mã {target or '(trống)'}.", code="link_not_found"
            )
    elif link_kind == LinkKind.BOOKING:
        # The unit's own office, or the booking page's first step when none is named.
        if target and not Office.objects.filter(code=target, is_active=True).exists():
            raise ValidationFailed(
                f"Không tìm thấy bộ phận một cửa có mã {target}.", code="link_not_found"
            )
    elif link_kind == LinkKind.ARTICLE:
        if not Announcement.objects.filter(slug=target, published_at__isnull=False).exists():
            raise ValidationFailed(
                "Không tìm thấy tin bài đã đăng với đường dẫn này.", code="link_not_found"
            )
    else:
        raise ValidationFailed("Loại liên kết không hợp lệ.", code="invalid_link_kind")
    return target


def _check_channels(channels: list[str]) -> list[str]:
    chosen = list(dict.fromkeys(c for c in channels if c))
    if not chosen:
        raise ValidationFailed("Chọn ít nhất một kênh đăng.", code="channels_required")
    unknown = [c for c in chosen if c not in Channel.values]
    if unknown:
        raise ValidationFailed(
            "Kênh đăng không hợp lệ: " + ", ".join(unknown) + ".", code="invalid_channel"
        )
    return chosen


@transaction.atomic
def campaign_create(
    *,
    actor: Any,
    unit: Any,
    title: str,
    text: str,
    link_kind: str,
    link_target: str = "",
    channels: list[str],
    field: Any = None,
    image: bytes | None = None,
    image_alt: str = "",
) -> Campaign:
    """A draft campaign of `unit` (published later by `campaign_publish`)."""
    from motcua.core.services import audit_record

    if not can_run_campaigns(actor, unit):
        raise PermissionDenied(
            "Chỉ lãnh đạo, cán bộ quản lý của đơn vị được soạn chiến dịch truyền thông."
        )
    title, text = (title or "").strip(), (text or "").strip()
    if not title:
        raise ValidationFailed("Vui lòng nhập tiêu đề.", code="title_required")
    if len(title) > TITLE_MAX:
        raise ValidationFailed(f"Tiêu đề tối đa {TITLE_MAX} ký tự.", code="title_too_long")
    if not text:
        raise ValidationFailed("Vui lòng nhập nội dung.", code="text_required")
    if len(text) > TEXT_MAX:
        raise ValidationFailed(f"Nội dung tối đa {TEXT_MAX} ký tự.", code="text_too_long")
    campaign = Campaign(
        code=_new_code(),
        unit=unit,
        field=field,
        title=title,
        text=text,
        image_alt=(image_alt or "").strip()[:200] or title[:200],
        link_kind=link_kind,
        link_target=_check_link(unit=unit, link_kind=link_kind, link_target=link_target),
        channels=_check_channels(channels),
        created_by=actor if getattr(actor, "pk", None) else None,
        created_at=clock.now(),
    )
    if image:
        content, ext = image_clean(image)
        campaign.image.save(f"{campaign.code.lower()}.{ext}", ContentFile(content), save=False)
    campaign.save()
    audit_record(
        action="campaign.create", actor=actor, obj=campaign, detail={"code": campaign.code}
    )
    return campaign


# --- links and tracking ---------------------------------------------------------------------------


def target_path(campaign: Campaign) -> str:
    if campaign.link_kind == LinkKind.PROCEDURE:
        return reverse("portal:procedure_detail", kwargs={"code": campaign.link_target})
    if campaign.link_kind == LinkKind.ARTICLE:
        return reverse("portal:news_detail", kwargs={"slug": campaign.link_target})
    path = reverse("portal:booking")
    return f"{path}?bo-phan={campaign.link_target}" if campaign.link_target else path


def tracking_path(campaign: Campaign, channel: str) -> str:
    """The campaign's link on this site for `channel`: it carries cd=CODE.channel, nothing
    personal."""
    path = target_path(campaign)
    joiner = "&" if "?" in path else "?"
    return f"{path}{joiner}cd={campaign.code}.{channel}"


def tracking_link(campaign: Campaign, channel: str) -> str:
    """The same, absolute (what is posted outside the portal)."""
    from motcua.core.links import public_url

    return public_url(tracking_path(campaign, channel))


def image_url(campaign: Campaign) -> str:
    from motcua.core.links import public_url

    if not campaign.image:
        return ""
    return public_url(reverse("campaigns:image", kwargs={"code": campaign.code}))


def _count(ref: str, what: str, now: datetime | None = None) -> bool:
    """Add one to `what` (visits, bookings, dossiers) of the campaign a ref names, today."""
    from motcua.campaigns.tracking import parse_ref

    parsed = parse_ref(ref)
    if parsed is None:
        return False
    code, channel = parsed
    campaign_id = Campaign.objects.filter(code=code).values_list("pk", flat=True).first()
    if campaign_id is None:
        return False
    day = clock.local(now or clock.now()).date()
    updated = CampaignDay.objects.filter(campaign_id=campaign_id, channel=channel, day=day).update(
        **{what: F(what) + 1}
    )
    if not updated:
        try:
            with transaction.atomic():
                CampaignDay.objects.create(
                    campaign_id=campaign_id, channel=channel, day=day, **{what: 1}
                )
        except IntegrityError:  # another request made today's row first
            CampaignDay.objects.filter(campaign_id=campaign_id, channel=channel, day=day).update(
                **{what: F(what) + 1}
            )
    return True


def campaign_visit_record(*, ref: str, now: datetime | None = None) -> bool:
    return _count(ref, "visits", now)


def campaign_booking_record(*, ref: str, now: datetime | None = None) -> bool:
    return _count(ref, "bookings", now)


def campaign_dossier_record(*, ref: str, now: datetime | None = None) -> bool:
    return _count(ref, "dossiers", now)


# --- publishing -----------------------------------------------------------------------------------


@transaction.atomic
def campaign_publish(*, campaign: Campaign, actor: Any, at: datetime | None = None) -> Campaign:
    """Publish now (`at` None or past) or at `at`: one post per channel, never two."""
    from motcua.core.services import audit_record

    if not can_run_campaigns(actor, campaign.unit):
        raise PermissionDenied(
            "Chỉ lãnh đạo, cán bộ quản lý của đơn vị được đăng chiến dịch truyền thông."
        )
    campaign = Campaign.objects.select_for_update().get(pk=campaign.pk)
    now = clock.now()
    if campaign.status != CampaignStatus.DRAFT:
        if campaign.status == CampaignStatus.SCHEDULED and at is not None:
            pass  # a new time for a scheduled campaign: moved below
        else:
            return campaign  # already published or on its way: the same answer again
    when = at if at is not None and at > now else now
    if at is not None and at > now + timedelta(days=365):
        raise ValidationFailed("Chỉ hẹn giờ đăng trong vòng một năm.", code="schedule_too_far")
    for channel in campaign.channels:
        post, created = CampaignPost.objects.get_or_create(
            campaign=campaign, channel=channel, defaults={"next_attempt_at": when}
        )
        if not created and post.state == PostState.PENDING and post.attempts == 0:
            post.next_attempt_at = when
            post.save(update_fields=["next_attempt_at"])
    campaign.scheduled_at = when if when > now else None
    campaign.status = CampaignStatus.SCHEDULED if when > now else CampaignStatus.PUBLISHING
    campaign.save(update_fields=["scheduled_at", "status"])
    audit_record(
        action="campaign.publish",
        actor=actor,
        obj=campaign,
        detail={"at": when.isoformat(), "channels": campaign.channels},
    )
    return campaign


def _due(now: datetime) -> Q:
    return Q(state=PostState.PENDING, next_attempt_at__lte=now) | Q(
        state=PostState.SENDING, sending_since__lt=now - SENDING_LEASE
    )


def _claim(pk: int, now: datetime) -> CampaignPost | None:
    with transaction.atomic():
        taken = CampaignPost.objects.filter(_due(now), pk=pk).update(
            state=PostState.SENDING, sending_since=now, attempts=F("attempts") + 1
        )
    if not taken:
        return None
    return CampaignPost.objects.select_related("campaign", "campaign__unit").get(pk=pk)


def _draft(campaign: Campaign, channel: str) -> Draft:
    return Draft(
        code=campaign.code,
        channel=channel,
        title=campaign.title,
        text=campaign.text,
        link=tracking_link(campaign, channel),
        image_url=image_url(campaign),
        image_alt=campaign.image_alt,
    )


def _mark_posted(post: CampaignPost, *, provider_id: str, url: str, now: datetime) -> None:
    CampaignPost.objects.filter(pk=post.pk, state=PostState.SENDING).update(
        state=PostState.POSTED, posted_at=now, provider_id=provider_id[:120], url=url[:500],
        last_error="",
    )  # fmt: skip


def _announcement_body(campaign: Campaign) -> str:
    paragraphs = [p.strip() for p in campaign.text.split("\n") if p.strip()]
    parts = [f"<p>{html.escape(p)}</p>" for p in paragraphs]
    if campaign.image:
        src = reverse("campaigns:image", kwargs={"code": campaign.code})
        parts.append(f'<p><img src="{src}" alt="{html.escape(campaign.image_alt)}"></p>')
    link = html.escape(tracking_path(campaign, Channel.PORTAL))
    parts.append(f'<p><a href="{link}">{html.escape(_link_label(campaign))}</a></p>')
    return "".join(parts)


def _link_label(campaign: Campaign) -> str:
    labels: dict[str, str] = {
        LinkKind.PROCEDURE: "Xem thủ tục và nộp hồ sơ",
        LinkKind.BOOKING: "Đặt lịch hẹn",
        LinkKind.ARTICLE: "Đọc tin bài",
    }
    return labels.get(str(campaign.link_kind), "Xem chi tiết")


def _post_portal(post: CampaignPost, now: datetime) -> None:
    """The portal announcement and `posted`, in one transaction: one announcement, ever."""
    from motcua.portal.models import Announcement
    from motcua.portal.services import _unique_slug

    with transaction.atomic():
        campaign = Campaign.objects.select_for_update().get(pk=post.campaign_id)
        if campaign.announcement_id is None:
            ann = Announcement.objects.create(
                title=campaign.title,
                slug=_unique_slug(campaign.title),
                summary=campaign.text[:300],
                body=_announcement_body(campaign),
                published_at=now,
                unit=campaign.unit,
                author=campaign.created_by,
            )
            campaign.announcement = ann
            campaign.save(update_fields=["announcement"])
        made = campaign.announcement
        assert made is not None
        _mark_posted(
            post,
            provider_id=str(made.pk),
            url=reverse("portal:news_detail", kwargs={"slug": made.slug}),
            now=now,
        )


def email_recipients(campaign: Campaign) -> list[Subscription]:
    """Confirmed, not stopped e-mail subscriptions to the campaign's ward or field, one per address."""
    topic = Q(unit=campaign.unit)
    if campaign.field_id:
        topic |= Q(field_id=campaign.field_id)
    rows = (
        Subscription.objects.filter(
            topic,
            channel=SubChannel.EMAIL,
            confirmed_at__isnull=False,
            unsubscribed_at__isnull=True,
        )
        .select_related("unit", "field")
        .order_by("address", "pk")
    )
    seen: set[str] = set()
    out = []
    for sub in rows:
        if sub.address.lower() not in seen:
            seen.add(sub.address.lower())
            out.append(sub)
    return out


def _post_email(post: CampaignPost, now: datetime) -> int:
    """One outbox e-mail per subscriber, written with `posted` in one transaction (the
    notifications sender delivers them: at most once each, with retries, not at night)."""
    from motcua.notifications import rules
    from motcua.notifications.models import Kind, Notification

    with transaction.atomic():
        campaign = Campaign.objects.select_for_update().get(pk=post.campaign_id)
        done = set(
            CampaignEmail.objects.filter(campaign=campaign).values_list(
                "subscription_id", flat=True
            )
        )
        link = tracking_link(campaign, Channel.EMAIL)
        at = rules.next_allowed(clock.local(now), urgent=False)
        made = 0
        for sub in email_recipients(campaign):
            if sub.pk in done:
                continue
            stop = unsubscribe_url(sub)
            text = (
                f"{campaign.text}\n\n{_link_label(campaign)}: {link}\n\n--\n"
                f"Ông/Bà nhận thư này vì đã đăng ký nhận tin của {sub.topic_label}.\n"
                f"Hủy đăng ký: {stop}"
            )
            n = Notification.objects.create(
                kind=Kind.CAMPAIGN,
                channel="email",
                recipient=sub.address,
                unit=campaign.unit,
                subject=campaign.title[:200],
                text=text,
                params={"huy_dang_ky": stop, "chien_dich": campaign.code},
                created_at=now,
                next_attempt_at=at,
            )
            CampaignEmail.objects.create(campaign=campaign, subscription=sub, notification=n)
            made += 1
        oa = _enqueue_zalo_followers(campaign, done, at, now)
        label = f"{made} thư" + (f", {oa} tin Zalo OA" if oa else "")
        _mark_posted(post, provider_id=label, url="", now=now)
    return made


def zalo_recipients(campaign: Campaign) -> list[tuple[Subscription, Any]]:
    """Zalo subscribers of the campaign's ward or field who follow the office's OA and linked it
    (`ContactPreference.zalo_user_id`, matched by phone), one per follower. Zalo is not stopped
    on their preference. The others are left as they are: they see the OA's article."""
    from motcua.notifications.models import ChannelName, ContactPreference

    topic = Q(unit=campaign.unit)
    if campaign.field_id:
        topic |= Q(field_id=campaign.field_id)
    subs = list(
        Subscription.objects.filter(
            topic,
            channel=SubChannel.ZALO,
            confirmed_at__isnull=False,
            unsubscribed_at__isnull=True,
        )
        .select_related("unit", "field")
        .order_by("address", "pk")
    )
    if not subs:
        return []
    followers: dict[str, Any] = {}
    for pref in ContactPreference.objects.exclude(zalo_user_id="").order_by("pk"):
        if ChannelName.ZALO in pref.stopped or not pref.phone:
            continue
        try:
            followers.setdefault(_normalise_address(SubChannel.ZALO, pref.phone), pref)
        except ValidationFailed:
            continue
    seen: set[str] = set()
    out = []
    for sub in subs:
        follower = followers.get(sub.address)
        if follower is not None and follower.zalo_user_id not in seen:
            seen.add(follower.zalo_user_id)
            out.append((sub, follower))
    return out


def _enqueue_zalo_followers(campaign: Campaign, done: set[int], at: datetime, now: datetime) -> int:
    """One outbox OA message per linked Zalo subscriber (called inside `_post_email`'s
    transaction; `CampaignEmail` is unique per campaign and subscription: never twice)."""
    from motcua.notifications.models import ChannelName, Kind, Notification

    link = tracking_link(campaign, Channel.ZALO)
    made = 0
    for sub, pref in zalo_recipients(campaign):
        if sub.pk in done:
            continue
        stop = unsubscribe_url(sub)
        text = (
            f"{campaign.text}\n\n{_link_label(campaign)}: {link}\n\n"
            f"Ông/Bà nhận tin này vì đã đăng ký nhận tin của {sub.topic_label} qua Zalo.\n"
            f"Hủy đăng ký: {stop}"
        )
        n = Notification.objects.create(
            kind=Kind.CAMPAIGN,
            channel=ChannelName.ZALO_OA,
            recipient=pref.zalo_user_id,
            citizen_id=pref.citizen_id,
            unit=campaign.unit,
            subject=campaign.title[:200],
            text=text,
            params={"huy_dang_ky": stop, "chien_dich": campaign.code},
            created_at=now,
            next_attempt_at=at,
        )
        CampaignEmail.objects.create(campaign=campaign, subscription=sub, notification=n)
        made += 1
    return made


def _post_outside(post: CampaignPost, now: datetime, posters: dict[str, Any] | None) -> None:
    poster = (posters or {}).get(post.channel) or poster_for(post.channel)
    draft = _draft(post.campaign, post.channel)
    posted = None
    if post.attempts > 1:
        # An earlier attempt may have reached the channel (its worker died, or the answer was
        # lost): look for that post before making another.
        posted = poster.find(draft)
    if posted is None:
        posted = poster.post(draft)
    _mark_posted(post, provider_id=posted.provider_id, url=posted.url, now=clock.now())


def _failed(post: CampaignPost, error: str, permanent: bool, now: datetime) -> str:
    final = permanent or post.attempts >= MAX_ATTEMPTS
    if final:
        CampaignPost.objects.filter(pk=post.pk, state=PostState.SENDING).update(
            state=PostState.FAILED, failed_at=now, last_error=error[:500]
        )
        return PostState.FAILED
    at = now + timedelta(minutes=2 ** (post.attempts - 1))
    CampaignPost.objects.filter(pk=post.pk, state=PostState.SENDING).update(
        state=PostState.PENDING, next_attempt_at=at, last_error=error[:500]
    )
    return PostState.PENDING


def campaign_post_send(*, pk: int, now: datetime | None = None, posters: Any = None) -> str:
    """Post one due campaign post; its state afterwards ("" when it was not taken)."""
    now = now or clock.now()
    post = _claim(pk, now)
    if post is None:
        return ""
    try:
        if post.channel == Channel.PORTAL:
            _post_portal(post, now)
        elif post.channel == Channel.EMAIL:
            _post_email(post, now)
        else:
            _post_outside(post, now, posters)
    except PostError as exc:
        log.warning("campaign %s on %s failed: %s", post.campaign.code, post.channel, exc)
        state = _failed(post, str(exc), exc.permanent, clock.now())
        campaign_status_refresh(campaign=post.campaign)
        return state
    campaign_status_refresh(campaign=post.campaign)
    return PostState.POSTED


def campaign_status_refresh(*, campaign: Campaign) -> str:
    """The campaign's state from its posts (published once every channel is posted)."""
    states = list(CampaignPost.objects.filter(campaign=campaign).values_list("state", flat=True))
    if not states:
        return campaign.status
    if all(s == PostState.POSTED for s in states):
        status = CampaignStatus.PUBLISHED
    elif any(s == PostState.FAILED for s in states) and not any(
        s in (PostState.PENDING, PostState.SENDING) for s in states
    ):
        status = CampaignStatus.PARTLY_FAILED
    elif campaign.status == CampaignStatus.SCHEDULED and not any(
        s != PostState.PENDING for s in states
    ):
        status = CampaignStatus.SCHEDULED
    else:
        status = CampaignStatus.PUBLISHING
    first = (
        CampaignPost.objects.filter(campaign=campaign, posted_at__isnull=False)
        .order_by("posted_at")
        .values_list("posted_at", flat=True)
        .first()
    )
    Campaign.objects.filter(pk=campaign.pk).update(status=status, published_at=first)
    campaign.status, campaign.published_at = status, first
    return status


def campaign_posts_send_due(
    *, now: datetime | None = None, limit: int = 50, posters: Any = None
) -> dict[str, int]:
    """Post what is due now (scheduled time reached, retries, posts of dead workers)."""
    now = now or clock.now()
    counts: dict[str, int] = {}
    pks = list(
        CampaignPost.objects.filter(_due(now))
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:limit]
    )
    for pk in pks:
        state = campaign_post_send(pk=pk, now=now, posters=posters)
        if state:
            counts[state] = counts.get(state, 0) + 1
    return counts


def campaign_post_retry(*, post: CampaignPost, actor: Any) -> CampaignPost:
    """Staff try a failed channel again (after fixing the token, say)."""
    if not can_run_campaigns(actor, post.campaign.unit):
        raise PermissionDenied("Chỉ lãnh đạo, cán bộ quản lý của đơn vị được đăng lại.")
    CampaignPost.objects.filter(pk=post.pk, state=PostState.FAILED).update(
        state=PostState.PENDING, next_attempt_at=clock.now(), failed_at=None
    )
    post.refresh_from_db()
    campaign_status_refresh(campaign=post.campaign)
    return post


def campaign_reach_refresh(*, campaign: Campaign, posters: Any = None) -> dict[str, int | None]:
    """Ask each channel how many people the post reached (errors keep the last figure)."""
    from motcua.notifications.models import State

    now = clock.now()
    out: dict[str, int | None] = {}
    for post in CampaignPost.objects.filter(campaign=campaign, state=PostState.POSTED):
        value: int | None = None
        if post.channel == Channel.EMAIL:
            value = CampaignEmail.objects.filter(
                campaign=campaign, notification__state=State.SENT, notification__channel="email"
            ).count()
        elif post.channel == Channel.PORTAL:
            value = sum(
                CampaignDay.objects.filter(campaign=campaign, channel=Channel.PORTAL).values_list(
                    "visits", flat=True
                )
            )
        else:
            poster = (posters or {}).get(post.channel) or poster_for(post.channel)
            try:
                value = poster.reach(post.provider_id)
            except PostError as exc:
                log.warning("reach of %s on %s: %s", campaign.code, post.channel, exc)
                value = post.reach
        CampaignPost.objects.filter(pk=post.pk).update(reach=value, reach_at=now)
        out[post.channel] = value
    return out


# --- subscriptions --------------------------------------------------------------------------------


def _normalise_address(channel: str, address: str) -> str:
    address = (address or "").strip()
    if channel == SubChannel.EMAIL:
        from django.core.exceptions import ValidationError
        from django.core.validators import validate_email

        try:
            validate_email(address)
        except ValidationError:
            raise ValidationFailed("Địa chỉ thư điện tử không hợp lệ.", code="invalid_email")
        local, _, domain = address.rpartition("@")
        return f"{local}@{domain.lower()}"
    digits = "".join(c for c in address if c.isdigit())
    if address.startswith("+84"):
        digits = "0" + digits[2:]
    if not (len(digits) == 10 and digits.startswith("0")):
        raise ValidationFailed(
            "Số điện thoại dùng Zalo phải có 10 chữ số, bắt đầu bằng 0.", code="invalid_phone"
        )
    return digits


def _topic(unit_code: str, field_code: str) -> tuple[Any, Any]:
    from motcua.catalog.models import Field
    from motcua.org.models import Unit

    unit_code, field_code = (unit_code or "").strip(), (field_code or "").strip()
    if bool(unit_code) == bool(field_code):
        raise ValidationFailed(
            "Chọn một phường, xã hoặc một lĩnh vực để nhận tin.", code="topic_required"
        )
    if unit_code:
        unit = Unit.objects.filter(code=unit_code).first()
        if unit is None:
            raise ValidationFailed("Không tìm thấy phường, xã đã chọn.", code="unit_not_found")
        return unit, None
    field = Field.objects.filter(code=field_code).first()
    if field is None:
        raise ValidationFailed("Không tìm thấy lĩnh vực đã chọn.", code="field_not_found")
    return None, field


def subscription_create(
    *,
    channel: str,
    address: str,
    unit_code: str = "",
    field_code: str = "",
    consent: bool,
    source: str = "portal",
) -> tuple[Subscription, bool]:
    """Record a subscription and its consent; (subscription, confirmation e-mail queued).

    E-mail: double opt-in, a confirmation message with a signed link; nothing else is sent
    before the link is used. Asking again for a topic already confirmed changes nothing; asking
    again after stopping starts over (a new confirmation). Zalo: the phone is recorded for the
    OA's follower messages (the posts on the OA reach followers: see STATUS.md)."""
    if not consent:
        raise ValidationFailed(
            "Cần đồng ý cho phép gửi thông tin đến địa chỉ đã nhập.", code="consent_required"
        )
    if channel not in SubChannel.values:
        raise ValidationFailed("Kênh nhận tin không hợp lệ.", code="invalid_channel")
    address = _normalise_address(channel, address)
    unit, field = _topic(unit_code, field_code)
    now = clock.now()
    topic = unit.name if unit else f"lĩnh vực {field.name}"
    purpose = SUBSCRIPTION_PURPOSE.format(topic=topic, channel=SubChannel(channel).label.lower())
    with transaction.atomic():
        lookup = {"channel": channel, "address": address, "unit": unit, "field": field}
        sub = Subscription.objects.select_for_update().filter(**lookup).first()
        if sub is not None and sub.active:
            return sub, False
        if sub is None:
            sub = Subscription(**lookup, created_at=now)
        sub.purpose = purpose[:300]
        sub.consent_at = now
        sub.consent_source = source
        sub.unsubscribed_at = None
        sub.confirmed_at = now if channel == SubChannel.ZALO else None
        sub.save()
        if channel == SubChannel.EMAIL:
            _confirmation_email(sub, now)
            return sub, True
    return sub, False


def confirm_token(sub: Subscription) -> str:
    return signing.Signer(salt=CONFIRM_SALT).sign(f"{sub.pk}.{sub.consent_at.timestamp():.0f}")


def confirm_url(sub: Subscription) -> str:
    from motcua.core.links import public_url

    return public_url(reverse("campaigns:confirm", kwargs={"token": confirm_token(sub)}))


def _confirmation_email(sub: Subscription, now: datetime) -> None:
    from motcua.notifications.models import Kind, Notification

    link = confirm_url(sub)
    text = (
        f"Ông/Bà (hoặc ai đó dùng địa chỉ này) vừa đăng ký nhận tin của {sub.topic_label} "
        f"trên cổng thông tin một cửa.\n\nĐể xác nhận, mời mở đường dẫn sau (trong 7 ngày):\n"
        f"{link}\n\nNếu không phải Ông/Bà đăng ký, xin bỏ qua thư này: sẽ không có thư nào khác."
    )
    # Sent at any hour: it answers what the citizen just asked for, it is not a push.
    Notification.objects.create(
        kind=Kind.SUBSCRIPTION_CONFIRM,
        channel="email",
        recipient=sub.address,
        subject="Xác nhận đăng ký nhận tin",
        text=text,
        params={"xac_nhan": link},
        urgent=True,
        created_at=now,
        next_attempt_at=now,
    )


def confirm_read(token: str) -> Subscription:
    try:
        value = signing.Signer(salt=CONFIRM_SALT).unsign(token)
        pk, stamp = value.split(".", 1)
        sub = Subscription.objects.select_related("unit", "field").get(pk=int(pk))
    except (signing.BadSignature, ValueError, Subscription.DoesNotExist):
        raise NotFound("Đường dẫn xác nhận không hợp lệ.", code="confirm_invalid")
    if f"{sub.consent_at.timestamp():.0f}" != stamp:
        # A link of an earlier request (the citizen asked again since): only the latest counts.
        raise NotFound("Đường dẫn xác nhận đã được thay bằng thư mới hơn.", code="confirm_invalid")
    if sub.confirmed_at is None and clock.now() - sub.consent_at > CONFIRM_MAX_AGE:
        raise NotFound(
            "Đường dẫn xác nhận đã hết hạn (7 ngày). Mời đăng ký lại.", code="confirm_expired"
        )
    return sub


def subscription_confirm(*, token: str) -> Subscription:
    sub = confirm_read(token)
    with transaction.atomic():
        sub = (
            Subscription.objects.select_for_update(of=("self",))
            .select_related("unit", "field")
            .get(pk=sub.pk)
        )
        if sub.unsubscribed_at is None and sub.confirmed_at is None:
            sub.confirmed_at = clock.now()
            sub.save(update_fields=["confirmed_at"])
    return sub


def unsubscribe_token(sub: Subscription) -> str:
    # "s<pk>": never a notification preference's token (those are "<pk>.<channel>" under
    # another salt), so /huy-dang-ky/<token> tells the two apart by signature.
    return signing.Signer(salt=REF_SALT_SUB).sign(f"s{sub.pk}")


def unsubscribe_url(sub: Subscription) -> str:
    from motcua.core.links import public_url

    return public_url(
        reverse("notifications:unsubscribe", kwargs={"token": unsubscribe_token(sub)})
    )


def unsubscribe_read(token: str) -> Subscription | None:
    """The subscription a signed link names, or None when it is not a subscription's link."""
    try:
        value = signing.Signer(salt=REF_SALT_SUB).unsign(token)
    except signing.BadSignature:
        return None
    if not value.startswith("s") or not ascii_digits(value[1:]):
        return None
    return Subscription.objects.select_related("unit", "field").filter(pk=int(value[1:])).first()


@transaction.atomic
def subscription_stop(*, sub: Subscription) -> Subscription:
    """Stop a subscription; its e-mails still waiting in the outbox are withdrawn."""
    from motcua.notifications.models import Notification, State

    sub = (
        Subscription.objects.select_for_update(of=("self",))
        .select_related("unit", "field")
        .get(pk=sub.pk)
    )
    if sub.unsubscribed_at is None:
        sub.unsubscribed_at = clock.now()
        sub.save(update_fields=["unsubscribed_at"])
    Notification.objects.filter(
        pk__in=CampaignEmail.objects.filter(subscription=sub).values("notification_id"),
        state=State.PENDING,
    ).update(state=State.FAILED, failed_at=clock.now(), last_error="Người nhận đã hủy đăng ký.")
    return sub
