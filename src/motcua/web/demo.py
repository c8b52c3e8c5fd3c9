"""The demo office that `make run` loads, assembled from each app's own demo module."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db import transaction

from motcua.core.models import Sequence

HISTORY_MARKER = "demo:history-generated"


def seed_all(
    *,
    citizens: int = 0,
    dossiers: int = 0,
    history: bool = True,
    log: Callable[[str], None] = print,
) -> dict[str, Any]:
    """Seed units, staff, catalogue, queues, portal; history once; optional bulk volume."""
    from motcua.catalog.demo import seed_catalog
    from motcua.org.demo import seed_citizens, seed_staff, seed_units

    summary: dict[str, Any] = {}
    log("Đơn vị hành chính, bộ phận một cửa, quầy…")
    seed_units()
    log("Cán bộ…")
    summary["cán bộ"] = len(seed_staff())
    log("Danh mục thủ tục…")
    summary["thủ tục"] = seed_catalog()
    if not Sequence.objects.filter(key="demo:citizens").exists():
        summary["công dân mẫu"] = seed_citizens(300)
        Sequence.objects.get_or_create(key="demo:citizens", defaults={"value": 1})

    _optional("motcua.documents.demo", "seed_form_templates", log, "Biểu mẫu…")
    _optional("motcua.queueing.demo", "seed_queue", log, "Dịch vụ xếp hàng…")
    _optional("motcua.portal.demo", "seed_portal", log, "Cổng thông tin…")

    if history and not Sequence.objects.filter(key=HISTORY_MARKER).exists():
        log("Lịch sử 90 ngày (hồ sơ, lượt xếp hàng, đánh giá)… lần đầu mất khoảng một phút")
        _optional("motcua.dossiers.demo", "seed_history", log, "  hồ sơ")
        _optional("motcua.queueing.demo", "seed_queue_history", log, "  lượt xếp hàng")
        _optional("motcua.portal.demo", "seed_ratings_history", log, "  đánh giá")
        with transaction.atomic():
            Sequence.objects.get_or_create(key=HISTORY_MARKER, defaults={"value": 1})

    if citizens:
        log(f"Thêm {citizens} công dân (nạp khối)…")
        summary["công dân thêm"] = seed_citizens(
            citizens, offset=_next_offset("demo:citizen-offset", citizens)
        )
    if dossiers:
        from motcua.dossiers.demo import seed_dossiers_bulk

        log(f"Thêm {dossiers} hồ sơ (nạp khối)…")
        summary["hồ sơ thêm"] = seed_dossiers_bulk(count=dossiers, log=log)
    return summary


def _optional(module: str, name: str, log: Callable[[str], None], label: str) -> None:
    """Run an app's demo step; apps arrive one by one, and the office must start without them."""
    import importlib

    try:
        fn = getattr(importlib.import_module(module), name)
    except (ImportError, AttributeError):
        return
    log(label)
    fn()


@transaction.atomic
def _next_offset(key: str, n: int) -> int:
    """Reserve a block of n demo numbers so repeated bulk runs never collide."""
    row, _ = Sequence.objects.select_for_update().get_or_create(key=key, defaults={"value": 0})
    start = row.value
    row.value += n
    row.save(update_fields=["value"])
    return start + 1_000_000
