"""`motcua catalog_export [--output FILE]`: the published catalogue in force, as import JSON."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from motcua.catalog.services import catalog_export


class Command(BaseCommand):
    help = "Xuất danh mục thủ tục đang áp dụng ra JSON (cùng định dạng với catalog_import)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--output", "-o", help="tệp đích (mặc định: in ra màn hình)")

    def handle(self, *args: Any, **options: Any) -> None:
        text = json.dumps(catalog_export(), ensure_ascii=False, indent=2) + "\n"
        if options.get("output"):
            Path(options["output"]).write_text(text, encoding="utf-8")
            self.stderr.write(f"Đã xuất danh mục ra {options['output']}.")
        else:
            self.stdout.write(text, ending="")
