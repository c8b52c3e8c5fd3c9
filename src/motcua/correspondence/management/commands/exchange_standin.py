"""`motcua exchange-standin`: the local stand-in of the document exchange platform."""

from __future__ import annotations

from motcua.core.standin import StandinCommand
from motcua.correspondence.exchange import conf
from motcua.correspondence.standin import StandinExchange


class Command(StandinCommand):
    help = "Chạy trục liên thông văn bản mô phỏng (nhận gói tin edXML, kiểm tra theo lược đồ)."
    default_port = 8767

    def standin(self) -> StandinExchange:
        return StandinExchange(keys_by_agency={conf("EXCHANGE_AGENCY_CODE"): conf("EXCHANGE_KEY")})

    def banner(self, standin: StandinExchange) -> str:
        (agency,) = standin.keys
        return f"Trục liên thông mô phỏng: {standin.base_url} (cơ quan {agency}); Ctrl+C để dừng."
