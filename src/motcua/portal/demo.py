"""Demo content of the portal: announcements, links, approved comments and star ratings.

`seed_portal()` is idempotent: announcements are keyed by slug, links by URL, ratings by a
fixed demo visitor hash, so a second run adds nothing.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.db import transaction

from motcua.core import clock
from motcua.portal.models import Announcement, AnnouncementRating, Comment, WebLink

LINKS = [
    ("Cổng Dịch vụ công quốc gia", "https://dichvucong.gov.vn"),
    ("Cơ sở dữ liệu quốc gia về thủ tục hành chính", "https://csdl.dichvucong.gov.vn"),
    ("Cổng thông tin điện tử Chính phủ", "https://chinhphu.vn"),
    ("Cổng thông tin điện tử thành phố Hà Nội", "https://hanoi.gov.vn"),
    ("Cổng dịch vụ công thành phố Hà Nội", "https://dichvucong.hanoi.gov.vn"),
    ("Tổng công ty Bưu điện Việt Nam (dịch vụ bưu chính công ích)", "https://vnpost.vn"),
]

ANNOUNCEMENTS: list[dict[str, Any]] = [
    {
        "slug": "lay-so-thu-tu-bang-nhan-dien-khuon-mat",
        "title": "Lấy số thứ tự bằng nhận diện khuôn mặt tại bộ phận một cửa",
        "days_ago": 2,
        "body": (
            "<p>Từ tháng này, công dân đến làm thủ tục tại bộ phận một cửa không cần bấm máy lấy số. "
            "Camera tại quầy đón tiếp nhận diện khuôn mặt và cấp số thứ tự tự động, hạn chế tình trạng "
            "<strong>lấy số ảo</strong> và <strong>lấy số hộ</strong>.</p>"
            "<ul><li>Việc thu thập dữ liệu khuôn mặt chỉ thực hiện khi công dân đồng ý.</li>"
            "<li>Công dân không đồng ý vẫn được cấp số bằng căn cước công dân hoặc tại quầy hướng dẫn.</li>"
            "<li>Bảng hiển thị cho biết số đang phục vụ, số người chờ và thời gian chờ dự kiến.</li></ul>"
        ),
        "comments": [
            (
                "Trần Thị Mai",
                "Hôm qua tôi đến làm khai sinh cho con, lấy số rất nhanh, không phải xếp hàng.",
            ),
            ("Nguyễn Văn Hùng", "Đề nghị bố trí thêm ghế chờ ở khu vực quầy đất đai."),
        ],
        "stars": [5, 5, 4, 5, 4, 5, 3],
    },
    {
        "slug": "tra-ket-qua-khai-sinh-tai-nha",
        "title": "Trả kết quả đăng ký khai sinh tại nhà kèm thiệp chúc mừng",
        "days_ago": 9,
        "body": (
            "<p>Bộ phận một cửa triển khai trả Giấy khai sinh tận nhà qua dịch vụ bưu chính công ích. "
            "Kèm theo kết quả là bó hoa và thiệp chúc mừng gia đình có thành viên mới.</p>"
            "<p>Người dân đăng ký nhận kết quả tại nhà khi nộp hồ sơ, trực tiếp hoặc trực tuyến. "
            'Thủ tục <a href="/thu-tuc/">đăng ký khai sinh</a> được giải quyết trong ngày.</p>'
        ),
        "comments": [("Lê Thu Hà", "Dịch vụ rất chu đáo, gia đình tôi rất bất ngờ và cảm động.")],
        "stars": [5, 5, 5, 4],
    },
    {
        "slug": "ba-tai-nha-bao-tro-xa-hoi",
        "title": "Mô hình “Ba tại nhà” với thủ tục bảo trợ xã hội",
        "days_ago": 16,
        "body": (
            "<p>Với các thủ tục trong lĩnh vực bảo trợ xã hội, người cao tuổi, người khuyết tật có thể đặt lịch "
            "để cán bộ đến tận nhà <em>tiếp nhận hồ sơ, thẩm định và trả kết quả</em>.</p>"
            "<p>Đặt lịch qua số điện thoại của bộ phận một cửa hoặc tại trang Tra cứu hồ sơ.</p>"
        ),
        "comments": [],
        "stars": [5, 4],
    },
    {
        "slug": "lich-nghi-tet-nguyen-dan",
        "title": "Thông báo lịch làm việc dịp Tết Nguyên đán",
        "days_ago": 24,
        "body": (
            "<p>Bộ phận một cửa nghỉ Tết Nguyên đán theo lịch nghỉ của cơ quan nhà nước. "
            "Riêng thủ tục <strong>đăng ký khai tử</strong> vẫn được tiếp nhận và trả kết quả trong ngày "
            "theo lịch trực, kể cả ngày nghỉ, lễ.</p>"
            "<p>Hồ sơ có ngày hẹn trả rơi vào ngày nghỉ được trả vào ngày làm việc đầu tiên sau Tết.</p>"
        ),
        "comments": [("Phạm Quốc Toàn", "Cảm ơn thông báo, rất hữu ích.")],
        "stars": [4, 5, 4],
    },
]


@transaction.atomic
def seed_portal() -> dict[str, int]:
    """Create the demo announcements, links, approved comments and star ratings (idempotent)."""
    now = clock.now()
    created = {"announcements": 0, "links": 0, "comments": 0, "ratings": 0}
    for position, (title, url) in enumerate(LINKS):
        _, was_created = WebLink.objects.get_or_create(
            url=url, defaults={"title": title, "position": position}
        )
        created["links"] += was_created
    for item in ANNOUNCEMENTS:
        published = now - timedelta(days=item["days_ago"], hours=2)
        ann, was_created = Announcement.objects.get_or_create(
            slug=item["slug"],
            defaults={
                "title": item["title"],
                "body": item["body"],
                "summary": _summary(item["body"]),
                "published_at": published,
            },
        )
        created["announcements"] += was_created
        for n, (name, body) in enumerate(item["comments"]):
            _, c = Comment.objects.get_or_create(
                announcement=ann,
                name=name,
                body=body,
                defaults={
                    "status": Comment.Status.APPROVED,
                    "created_at": published + timedelta(hours=3 + n * 5),
                    "moderated_at": published + timedelta(hours=4 + n * 5),
                },
            )
            created["comments"] += c
        for n, stars in enumerate(item["stars"]):
            _, r = AnnouncementRating.objects.get_or_create(
                announcement=ann,
                visitor=f"demo-visitor-{n:03d}",
                defaults={"stars": stars, "created_at": published + timedelta(hours=1 + n)},
            )
            created["ratings"] += r
    return created


def _summary(body: str) -> str:
    from motcua.portal.sanitize import html_to_text

    return html_to_text(body)[:300]


# Shares of the three levels in the demo: a little above the 85% target, with honest complaints.
_LEVELS = [("very_satisfied", 0.52), ("satisfied", 0.37), ("dissatisfied", 0.11)]


def seed_ratings_history(
    *, share_dossiers: float = 0.6, share_visits: float = 0.35, seed: int = 766
) -> dict[str, int]:
    """Citizens' ratings of returned dossiers and served visits, through `rating_submit`.

    Each rating is made at a believable moment (a little after the return or the visit) with the
    clock frozen there; dossiers and visits already rated are skipped, so a rerun adds nothing.
    """
    import random

    from motcua.core.errors import DomainError
    from motcua.dossiers.models import Dossier
    from motcua.portal.models import INDICATOR_KEYS, ServiceRating
    from motcua.portal.services import rating_submit
    from motcua.queueing.models import Status as TicketStatus
    from motcua.queueing.models import Ticket

    rng = random.Random(seed)
    now = clock.now()
    made = {"dossiers": 0, "visits": 0}

    def level() -> str:
        x, acc = rng.random(), 0.0
        for name, share in _LEVELS:
            acc += share
            if x < acc:
                return name
        return _LEVELS[-1][0]

    def indicators(lvl: str) -> dict[str, int]:
        base = {"very_satisfied": 2, "satisfied": 1, "dissatisfied": 0}[lvl]
        keys = rng.sample(INDICATOR_KEYS, rng.randint(0, len(INDICATOR_KEYS)))
        return {k: max(0, min(2, base + rng.choice([0, 0, 0, 1, -1]))) for k in keys}

    rated_dossiers = set(
        ServiceRating.objects.filter(dossier__isnull=False).values_list("dossier_id", flat=True)
    )
    dossiers = (
        Dossier.objects.filter(status=10, returned_at__isnull=False)
        .exclude(pk__in=rated_dossiers)
        .only("code", "citizen_id_number", "returned_at")
        .order_by("pk")
    )
    for d in dossiers.iterator():
        if rng.random() >= share_dossiers:
            continue
        returned_at: datetime = d.returned_at  # type: ignore[assignment]  # filtered not null above
        at: datetime = min(returned_at + timedelta(minutes=rng.randint(2, 60 * 48)), now)
        lvl = level()
        try:
            with clock.frozen(at):
                rating_submit(
                    dossier_code=d.code,
                    verify=d.citizen_id_number[-4:],
                    level=lvl,
                    indicators=indicators(lvl),
                    channel=rng.choice(["qr", "lookup", "kiosk", "tablet"]),
                )
            made["dossiers"] += 1
        except DomainError:
            continue

    rated_tickets = set(
        ServiceRating.objects.filter(ticket__isnull=False).values_list("ticket_id", flat=True)
    )
    tickets = (
        Ticket.objects.filter(status=TicketStatus.DONE, finished_at__isnull=False)
        .exclude(pk__in=rated_tickets)
        .only("pk", "token", "finished_at")
        .order_by("pk")
    )
    for t in tickets.iterator():
        if rng.random() >= share_visits:
            continue
        finished_at: datetime = t.finished_at  # type: ignore[assignment]  # filtered not null above
        at = min(finished_at + timedelta(seconds=rng.randint(20, 300)), now)
        lvl = level()
        try:
            with clock.frozen(at):
                rating_submit(
                    ticket=t.pk,
                    verify=t.token,
                    level=lvl,
                    indicators=indicators(lvl),
                    channel=rng.choice(["tablet", "tablet", "kiosk", "qr"]),
                )
            made["visits"] += 1
        except DomainError:
            continue
    return made
