"""`motcua receipts-certificate`: a test certificate to sign e-receipts in the demo."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from motcua.payments.xmlsign import create_test_certificate, default_dir


class Command(BaseCommand):
    help = (
        "Tạo chứng thư số tự ký (thử nghiệm) để ký biên lai điện tử trong bản trình diễn. "
        "Khi vận hành thật, dùng chứng thư số của đơn vị (RECEIPT_SIGNING_KEY, RECEIPT_SIGNING_CERT)."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--dir", default="", help="thư mục lưu key.pem và cert.pem")
        parser.add_argument("--agency", default="Đơn vị thu phí (thử nghiệm)")
        parser.add_argument("--force", action="store_true", help="ghi đè chứng thư đã có")

    def handle(self, *args: Any, **options: Any) -> None:
        directory = Path(options["dir"]) if options["dir"] else default_dir()
        if (directory / "key.pem").exists() and not options["force"]:
            raise CommandError(f"Đã có chứng thư trong {directory} (dùng --force để tạo lại).")
        key, cert = create_test_certificate(directory, agency=options["agency"])
        self.stdout.write(f"Khóa riêng: {key}\nChứng thư: {cert}")
