"""Demo campaigns and subscriptions, made through the real services (`seed_campaigns`).

Idempotent (a marker in `Sequence`). The Zalo OA and Facebook posts are made on in-process
stand-ins started for the seed (the `campaign-doubles` process that `make run` starts holds
its own, empty state); what followed each link is counted through the same services the
portal uses, over the last days.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.test.utils import override_settings

from motcua.core import clock

MARKER = "demo:campaigns"

SUBSCRIBERS = [
    ("lan.tran@example.vn", "unit"),
    ("minh.le@example.vn", "unit"),
    ("hoa.pham@example.vn", "field"),
]

CAMPAIGNS: list[dict[str, Any]] = [
    {
        "title": "Đặt lịch hẹn trước, không phải chờ lấy số",
        "text": (
            "Từ nay công dân phường Hà Đông có thể đặt lịch hẹn trực tuyến trước khi đến bộ phận "
            "một cửa.\nĐến đúng giờ hẹn, quét khuôn mặt hoặc nhập số điện thoại tại kiosk để "
            "được ưu tiên gọi số."
        ),
        "link_kind": "booking",
        "link_target": "ha-dong",
        "days": [(6, {"facebook": 40, "zalo": 25, "email": 3, "portal": 12}, 9)],
        "reach": {"facebook": 1850, "zalo": 730},
    },
    {
        "title": "Đăng ký khai sinh trực tuyến, nhận kết quả tại nhà",
        "text": (
            "Cha mẹ có thể nộp hồ sơ đăng ký khai sinh trên Cổng dịch vụ công và chọn nhận kết "
            "quả qua bưu chính công ích.\nKhông cần đến trụ sở, phí theo quy định."
        ),
        "link_kind": "procedure",
        "link_target": "",  # the demo catalogue's birth registration, found below
        "days": [(3, {"facebook": 22, "zalo": 31, "email": 2, "portal": 8}, 4)],
        "reach": {"facebook": 960, "zalo": 1120},
    },
]


def _image() -> bytes:
    import io

    from PIL import Image, ImageDraw

    img = Image.new("RGB", (1200, 630), (0, 84, 166))
    draw = ImageDraw.Draw(img)
    draw.rectangle((60, 60, 1140, 570), outline=(255, 255, 255), width=8)
    out = io.BytesIO()
    img.save(out, "JPEG", quality=85)
    return out.getvalue()


def seed_campaigns() -> int:
    """A few published campaigns with counts, one scheduled, and confirmed subscribers."""
    from django.conf import settings

    from motcua.campaigns import services
    from motcua.campaigns.models import Campaign, CampaignPost
    from motcua.campaigns.standins import FacebookStandin, ZaloOaStandin
    from motcua.catalog.models import Procedure
    from motcua.core.models import Sequence
    from motcua.org.models import Office, User

    if Sequence.objects.filter(key=MARKER).exists():
        return Campaign.objects.count()
    office = Office.objects.filter(code="ha-dong").select_related("unit").first()
    leader = User.objects.filter(username="lanhdao").first()
    if office is None or leader is None:
        return 0
    unit = office.unit
    procedure = (
        Procedure.objects.filter(code="1.001193").first()
        or Procedure.objects.order_by("code").first()
    )
    field = getattr(getattr(procedure, "versions", None), "first", lambda: None)()
    field = field.field if field is not None else None
    for address, topic in SUBSCRIBERS:
        if topic == "field" and field is None:
            continue
        sub, _ = services.subscription_create(
            channel="email",
            address=address,
            unit_code=unit.code if topic == "unit" else "",
            field_code=field.code if topic == "field" and field else "",
            consent=True,
            source="portal",
        )
        services.subscription_confirm(token=services.confirm_token(sub))

    zalo = ZaloOaStandin(token="demo-seed").start_in_thread()
    facebook = FacebookStandin(token="demo-seed", page_id="100000000000001").start_in_thread()
    made = []
    try:
        with override_settings(
            MOTCUA={
                **settings.MOTCUA,
                "CAMPAIGN_ZALO_URL": zalo.base_url,
                "CAMPAIGN_ZALO_TOKEN": "demo-seed",
                "CAMPAIGN_FACEBOOK_URL": facebook.base_url,
                "CAMPAIGN_FACEBOOK_PAGE_ID": "100000000000001",
                "CAMPAIGN_FACEBOOK_TOKEN": "demo-seed",
            }
        ):
            for spec in CAMPAIGNS:
                kind, target = spec["link_kind"], spec["link_target"]
                if kind == "procedure":
                    if procedure is None:
                        continue
                    target = procedure.code
                campaign = services.campaign_create(
                    actor=leader,
                    unit=unit,
                    title=spec["title"],
                    text=spec["text"],
                    link_kind=kind,
                    link_target=target,
                    channels=["portal", "zalo", "facebook", "email"],
                    field=field,
                    image=_image(),
                    image_alt="Biểu trưng chiến dịch cải cách hành chính",
                )
                services.campaign_publish(campaign=campaign, actor=leader)
                made.append((campaign, spec))
            services.campaign_posts_send_due()
            for campaign, spec in made:
                for channel, value in spec["reach"].items():
                    post = CampaignPost.objects.filter(campaign=campaign, channel=channel).first()
                    standin = zalo if channel == "zalo" else facebook
                    if post is not None and post.provider_id:
                        standin.reach[post.provider_id] = value
                # What followed the links over the last days (the portal's own counters).
                now = clock.now()
                for days_back, visits, bookings in spec["days"]:
                    for back in range(days_back, -1, -1):
                        at = now - timedelta(days=back)
                        for channel, n in visits.items():
                            for _ in range(max(1, n // (days_back + 1))):
                                services.campaign_visit_record(
                                    ref=f"{campaign.code}.{channel}", now=at
                                )
                        if back % 2 == 0:
                            for _ in range(max(1, bookings // (days_back + 1))):
                                services.campaign_booking_record(
                                    ref=f"{campaign.code}.zalo", now=at
                                )
                            services.campaign_booking_record(
                                ref=f"{campaign.code}.facebook", now=at
                            )
                        if back == 1:
                            services.campaign_dossier_record(
                                ref=f"{campaign.code}.facebook", now=at
                            )
                services.campaign_reach_refresh(campaign=campaign)
    finally:
        zalo.stop()
        facebook.stop()
    later = services.campaign_create(
        actor=leader,
        unit=unit,
        title="Lịch tiếp công dân tháng tới",
        text="Lãnh đạo phường tiếp công dân vào sáng thứ Năm hằng tuần tại trụ sở UBND phường.",
        link_kind="booking",
        link_target="ha-dong",
        channels=["portal", "email"],
    )
    services.campaign_publish(
        campaign=later, actor=leader, at=clock.now() + timedelta(days=1, hours=2)
    )
    Sequence.objects.get_or_create(key=MARKER, defaults={"value": 1})
    return Campaign.objects.count()
