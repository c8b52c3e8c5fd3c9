"""`motcua receipts-report`: receipt usage of a series over a period (issued, cancelled, replaced)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from motcua.core.dates import parse_date


class Command(BaseCommand):
    help = "Báo cáo tình hình sử dụng biên lai theo ký hiệu và kỳ (số đã lập, đã hủy, thay thế)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--from", dest="date_from", required=True, help="từ ngày dd/mm/yyyy")
        parser.add_argument("--to", dest="date_to", required=True, help="đến ngày dd/mm/yyyy")
        parser.add_argument("--series", required=True, help="ký hiệu biên lai, ví dụ HD-26E")
        parser.add_argument("--unit", default="", help="mã đơn vị (khi nhiều đơn vị cùng ký hiệu)")
        parser.add_argument("--xlsx", default="", help="ghi báo cáo ra tệp Excel")
        parser.add_argument("--pdf", default="", help="ghi báo cáo ra tệp PDF")

    def handle(self, *args: Any, **o: Any) -> None:
        from motcua.payments.exports import receipt_usage_pdf, receipt_usage_xlsx, usage_lines
        from motcua.payments.models import ReceiptSeries
        from motcua.payments.selectors import receipt_usage

        try:
            date_from, date_to = parse_date(o["date_from"]), parse_date(o["date_to"])
        except ValueError as exc:
            raise CommandError("Ngày không hợp lệ: nhập theo dạng dd/mm/yyyy.") from exc
        if date_from is None or date_to is None or date_to < date_from:
            raise CommandError("Kỳ báo cáo không hợp lệ (--from phải trước hoặc bằng --to).")
        qs = ReceiptSeries.objects.filter(symbol=o["series"]).select_related("unit")
        if o["unit"]:
            qs = qs.filter(unit__code=o["unit"])
        years = set(range(date_from.year, date_to.year + 1))
        series = [s for s in qs if s.year in years] or list(qs)
        if not series:
            raise CommandError(f"Không có ký hiệu biên lai «{o['series']}».")
        if len({s.unit_id for s in series}) > 1:
            raise CommandError("Nhiều đơn vị dùng ký hiệu này: thêm --unit MÃ_ĐƠN_VỊ.")
        for s in series:
            usage = receipt_usage(series=s, date_from=date_from, date_to=date_to)
            for label, value in usage_lines(usage):
                self.stdout.write(f"{label}: {value}")
            suffix = f"-{s.year}" if len(series) > 1 else ""
            if o["xlsx"]:
                path = Path(o["xlsx"])
                path = path.with_stem(path.stem + suffix) if suffix else path
                path.write_bytes(receipt_usage_xlsx(usage))
                self.stdout.write(f"Đã ghi {path}")
            if o["pdf"]:
                path = Path(o["pdf"])
                path = path.with_stem(path.stem + suffix) if suffix else path
                path.write_bytes(receipt_usage_pdf(usage))
                self.stdout.write(f"Đã ghi {path}")
