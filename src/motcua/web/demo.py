"""The demo office that `make run` loads, assembled from each app's own demo module.

Everything but the bulk volume goes through the same services that real use goes through,
with the clock moved back in time, so the history (dossiers in every status, queue visits,
ratings) is what the office itself would have written.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from django.db import transaction

from motcua.core.models import Sequence

HISTORY_MARKER = "demo:history-generated"
DEMO_MARKER = "demo:loaded"
# Sizes of the 90-day history: enough for believable charts, small enough that the first
# `make run` finishes in a couple of minutes on two cores.
HISTORY_DAYS = 90
HISTORY_DOSSIERS = 450
HISTORY_VISITS_PER_DAY = 14


def seed_all(
    *,
    citizens: int = 0,
    dossiers: int = 0,
    history: bool = True,
    log: Callable[[str], None] = print,
) -> dict[str, Any]:
    """Seed units, staff, catalogue, forms, queues, portal; the history once; optional volume."""
    from motcua.catalog.demo import seed_catalog
    from motcua.documents.demo import seed_form_templates
    from motcua.org.demo import seed_citizens, seed_staff, seed_units
    from motcua.portal.demo import seed_portal
    from motcua.queueing.demo import seed_bookings, seed_queue

    summary: dict[str, Any] = {}
    # First of all: a production start refuses a database that holds any demo data
    # (web/production.py), even a partly seeded one.
    Sequence.objects.get_or_create(key=DEMO_MARKER, defaults={"value": 1})

    def step(label: str, fn: Callable[[], Any]) -> Any:
        started = time.monotonic()
        log(f"{label}…")
        result = fn()
        log(f"  xong ({time.monotonic() - started:.1f} s)")
        return result

    step("Đơn vị hành chính, bộ phận một cửa, quầy", seed_units)
    step("Lịch nghỉ lễ, làm bù chính thức (kèm văn bản)", _seed_calendar)
    summary["cán bộ"] = len(step("Cán bộ", seed_staff))
    summary["thủ tục"] = step("Danh mục thủ tục", seed_catalog)
    step("Biểu mẫu", seed_form_templates)
    if not Sequence.objects.filter(key="demo:citizens").exists():
        summary["công dân mẫu"] = step("Công dân mẫu", lambda: seed_citizens(300))
        Sequence.objects.get_or_create(key="demo:citizens", defaults={"value": 1})
    from motcua.payments.demo import seed_payment_setup
    from motcua.payments.xmlsign import ensure_test_certificate

    step("Ký hiệu biên lai điện tử, tài khoản thu phí", seed_payment_setup)
    step("Chứng thư số thử nghiệm ký biên lai", ensure_test_certificate)
    step("Dịch vụ xếp hàng", seed_queue)
    step("Cổng thông tin", seed_portal)
    summary["lịch hẹn sắp tới"] = step("Lịch hẹn, ủy quyền", seed_bookings)
    from motcua.homeservice.demo import seed_home_visits

    summary["lịch tại nhà"] = step("Lịch phục vụ tại nhà", seed_home_visits)
    from motcua.campaigns.demo import seed_campaigns

    summary["chiến dịch truyền thông"] = step(
        "Chiến dịch truyền thông, người đăng ký nhận tin", seed_campaigns
    )
    from motcua.notifications.demo import seed_notifications

    made = step("Mẫu thông báo của bộ phận, người theo dõi Zalo OA", seed_notifications)
    summary["mẫu thông báo đã sửa"] = made["templates"]
    summary["người theo dõi Zalo OA đã liên kết"] = made["followers"]

    if history and not Sequence.objects.filter(key=HISTORY_MARKER).exists():
        summary.update(_history(step))
        with transaction.atomic():
            Sequence.objects.get_or_create(key=HISTORY_MARKER, defaults={"value": 1})
    from motcua.correspondence.demo import seed_correspondence

    # Without the history (quick seeds of the tests) a small register is enough.
    summary["văn bản đi, đến"] = step(
        "Sổ văn bản đi, đến; hồ sơ liên thông",
        lambda: seed_correspondence(count=240 if history else 24),
    )

    if citizens:
        offset = _next_offset("demo:citizen-offset", citizens)
        summary["công dân thêm"] = step(
            f"Thêm {citizens} công dân (nạp khối)",
            lambda: seed_citizens(citizens, offset=1000 + offset),
        )
    if dossiers:
        from motcua.dossiers.demo import seed_dossiers
        from motcua.org.models import Office

        unit = Office.objects.get(code="ha-dong").unit
        summary["hồ sơ thêm"] = step(
            f"Thêm {dossiers} hồ sơ (nạp khối)",
            lambda: seed_dossiers(
                count=dossiers,
                unit=unit,
                days=365,
                bulk=True,
                seed=_next_offset("demo:dossier-seed", 1),
            ),
        )
    return summary


def _seed_calendar() -> Any:
    """The shipped official calendar (decisions already recorded by an administrator stay)."""
    from motcua.worktime.services import official_calendar_load

    return official_calendar_load()


def _history(step: Callable[[str, Callable[[], Any]], Any]) -> dict[str, Any]:
    from motcua.dossiers.demo import seed_dossiers
    from motcua.org.models import Office
    from motcua.payments.demo import seed_money_history
    from motcua.portal.demo import seed_ratings_history
    from motcua.queueing.demo import seed_queue_history

    office = Office.objects.get(code="ha-dong")
    return {
        "hồ sơ 90 ngày": step(
            f"Lịch sử {HISTORY_DAYS} ngày: hồ sơ (qua nghiệp vụ thật)",
            lambda: seed_dossiers(count=HISTORY_DOSSIERS, days=HISTORY_DAYS, unit=office.unit),
        ),
        "lượt xếp hàng": step(
            f"Lịch sử {HISTORY_DAYS} ngày: lượt xếp hàng",
            lambda: seed_queue_history(
                days=HISTORY_DAYS, per_day=HISTORY_VISITS_PER_DAY, office=office
            ),
        ),
        "đánh giá": step("Đánh giá hài lòng", seed_ratings_history),
        "trả kết quả tại nhà, bưu chính": step(
            "Trả kết quả tại nhà (kèm thiệp), qua bưu chính (một lần chuyển hoàn)",
            lambda: _seed_deliveries(office.unit),
        ),
        "tiền": step(
            "Bàn giao tiền mặt, hủy biên lai, hoàn trả",
            lambda: seed_money_history(days=HISTORY_DAYS),
        ),
    }


def _seed_deliveries(unit: Any) -> int:
    from motcua.delivery.demo import seed_deliveries

    return seed_deliveries(unit=unit)


def demo_present() -> bool:
    """Whether an earlier run already loaded the demo office."""
    return Sequence.objects.filter(key__in=["demo:citizens", HISTORY_MARKER, DEMO_MARKER]).exists()


def demo_totals() -> dict[str, int]:
    """What the database holds now (a second run adds nothing, so its own counts are zeros)."""
    from motcua.catalog.models import Procedure
    from motcua.core import clock
    from motcua.dossiers.models import Dossier
    from motcua.org.models import Citizen, Office, StaffRole, Unit
    from motcua.payments.models import Receipt
    from motcua.portal.models import ServiceRating
    from motcua.queueing.models import Booking, Ticket

    return {
        "đơn vị hành chính": Unit.objects.count(),
        "bộ phận một cửa": Office.objects.count(),
        "cán bộ": StaffRole.objects.values("user_id").distinct().count(),
        "thủ tục": Procedure.objects.count(),
        "công dân": Citizen.objects.count(),
        "hồ sơ": Dossier.objects.count(),
        "lượt xếp hàng": Ticket.objects.count(),
        "lịch hẹn sắp tới": Booking.objects.filter(slot_start__gte=clock.now()).count(),
        "đánh giá hài lòng": ServiceRating.objects.count(),
        "biên lai điện tử": Receipt.objects.count(),
    }


@transaction.atomic
def _next_offset(key: str, n: int) -> int:
    """Reserve a block of n demo numbers so repeated bulk runs never collide."""
    row, _ = Sequence.objects.select_for_update().get_or_create(key=key, defaults={"value": 0})
    start = row.value
    row.value += n
    row.save(update_fields=["value"])
    return start
