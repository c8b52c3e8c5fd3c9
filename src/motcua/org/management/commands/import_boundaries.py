"""`motcua import-boundaries FILE [--unit CODE]`: ward outlines for the public map."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from motcua.core.errors import DomainError


class Command(BaseCommand):
    help = (
        "Nhập ranh giới đơn vị hành chính từ tệp GeoJSON (WGS 84). Mỗi đối tượng ghi mã đơn vị "
        "trong thuộc tính code/ma/ma_xa, hoặc dùng --unit cho cả tệp."
    )

    def add_arguments(self, parser):  # type: ignore[no-untyped-def]
        parser.add_argument("file", help="tệp .geojson")
        parser.add_argument("--unit", help="mã đơn vị nhận toàn bộ tệp")
        parser.add_argument("--property", help="tên thuộc tính ghi mã đơn vị trong tệp")

    def handle(self, *args, **opts):  # type: ignore[no-untyped-def]
        from motcua.org.models import Unit
        from motcua.org.services import unit_boundaries_import

        path = Path(opts["file"])
        if not path.is_file():
            raise CommandError(f"Không tìm thấy tệp {path}.")
        unit = None
        if opts["unit"]:
            unit = Unit.objects.filter(code=opts["unit"]).first()
            if unit is None:
                raise CommandError(f"Không có đơn vị mã {opts['unit']}.")
        try:
            result = unit_boundaries_import(
                text=path.read_bytes(),
                source=path.name,
                unit=unit,
                code_property=opts["property"],
            )
        except DomainError as exc:
            raise CommandError(f"{exc.message} [{exc.code}]") from exc
        self.stdout.write(
            f"Đã nhập ranh giới của {len(result['saved'])} đơn vị: {', '.join(result['saved'])}."
        )
        if result["unmatched"]:
            self.stdout.write(
                f"Bỏ qua {len(result['unmatched'])} mã không có trong danh mục: "
                + ", ".join(result["unmatched"][:20])
            )
