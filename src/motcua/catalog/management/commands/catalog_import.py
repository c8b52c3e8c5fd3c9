"""`motcua catalog_import FILE.json`: import procedures; changed content becomes a new version."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from motcua.catalog.services import catalog_import, catalog_parse_json
from motcua.core.errors import DomainError


class Command(BaseCommand):
    help = "Nhập danh mục thủ tục hành chính từ tệp JSON (nội dung thay đổi tạo phiên bản mới)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "file", help="tệp JSON: danh sách thủ tục (định dạng như catalog_export)"
        )
        parser.add_argument("--draft", action="store_true", help="tạo phiên bản nháp, chưa công bố")

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(f"Không tìm thấy tệp {path}.")
        try:
            data = catalog_parse_json(path.read_bytes())
            result = catalog_import(data=data, publish=not options["draft"])
        except DomainError as exc:
            lines = [exc.message]
            lines += [f"  - {e['message']}" for e in exc.extra.get("errors", [])[:50]]
            raise CommandError("\n".join(lines))
        self.stdout.write(self.style.SUCCESS(result.summary()))
        for code in result.created:
            self.stdout.write(f"  + {code}")
        for code in result.new_versions:
            self.stdout.write(f"  ~ {code}")
