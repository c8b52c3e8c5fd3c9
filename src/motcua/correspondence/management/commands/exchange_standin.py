"""`motcua exchange-standin`: the local stand-in of the document exchange platform."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from motcua.correspondence.exchange import conf
from motcua.correspondence.standin import StandinExchange


class Command(BaseCommand):
    help = "Chạy trục liên thông văn bản mô phỏng (nhận gói tin edXML, kiểm tra theo lược đồ)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8767)

    def handle(self, *args: Any, **options: Any) -> None:
        agency = conf("EXCHANGE_AGENCY_CODE")
        exchange = StandinExchange(keys_by_agency={agency: conf("EXCHANGE_KEY")})
        server = exchange.serve(options["host"], options["port"])
        self.stdout.write(
            f"Trục liên thông mô phỏng: {exchange.base_url} (cơ quan {agency}); Ctrl+C để dừng."
        )
        self.stdout.flush()
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            pass
        finally:
            server.server_close()
