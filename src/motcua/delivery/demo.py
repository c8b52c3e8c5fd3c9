"""Demo history of deliveries: birth certificates brought home with a card, results sent by post,
one postal delivery that failed and came back, one postal order waiting in the outbox. Through the real services and the real adapter
(against an in-process postal stand-in), with the clock moved back in time."""

from __future__ import annotations

import random
from datetime import datetime, time, timedelta
from typing import Any

from motcua.core import clock


def _png() -> bytes:
    import io

    from PIL import Image, ImageDraw

    img = Image.new("RGB", (300, 100), (255, 255, 255))
    ImageDraw.Draw(img).line([(20, 70), (90, 30), (160, 75), (260, 25)], fill=(20, 20, 90), width=4)
    out = io.BytesIO()
    img.save(out, "PNG")
    return out.getvalue()


def _at(day: datetime, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day.date(), time(hour, minute), tzinfo=clock.VN_TZ)


def seed_deliveries(*, unit: Any, seed: int = 11) -> int:
    """Home deliveries with cards and post shipments (one failed); returns the dossiers made."""
    from django.test.utils import override_settings

    from motcua.delivery import postal
    from motcua.delivery.services import (
        delivery_choose,
        delivery_handover,
        postal_webhook,
        shipment_send,
    )
    from motcua.delivery.standin import StandinPostal
    from motcua.dossiers.demo import _staff, fake_citizen
    from motcua.dossiers.services import dossier_act, dossier_receive
    from motcua.org.models import Role
    from motcua.payments.models import Method
    from motcua.payments.selectors import dossier_outstanding
    from motcua.payments.services import payment_confirm, payment_create

    rng = random.Random(seed)
    reception = _staff(unit, Role.RECEPTION)[0]
    specialist = _staff(unit, Role.SPECIALIST)[0]
    leader = _staff(unit, Role.LEADER)[0]
    home = (_staff(unit, Role.HOME_SERVICE) or [reception])[0]
    customer, secret = postal.conf("POSTAL_CUSTOMER_CODE"), postal.conf("POSTAL_SECRET")
    standin = StandinPostal(secrets_by_customer={customer: secret}).start_in_thread()
    today = clock.now()
    made = 0
    children = ["Nguyễn Bảo An", "Trần Minh Khôi", "Lê Ngọc Diệp", "Phạm Gia Hân", "Đỗ Tuệ Lâm"]

    def webhook(waybill: str, status: str, at: datetime) -> None:
        order, body = standin.event_body(waybill, status, at=at, location="Bưu cục Hà Đông")
        headers = postal.signed_headers(
            secret=secret, customer=customer, body=body, at=int(at.timestamp())
        )
        with clock.frozen(at):
            postal_webhook(body=body, headers=headers)

    def ready(procedure: str, method: str, day: datetime, child: str = "") -> Any:
        with clock.frozen(_at(day, 8, rng.randint(0, 50))):
            d = dossier_receive(
                procedure_code=procedure,
                channel="direct",
                citizen=fake_citizen(rng),
                unit=unit,
                actor=reception,
            )
            delivery_choose(dossier=d, method=method, actor=reception, child_name=child)
            # The fees are paid at reception: no result is handed over while money is owed.
            if dossier_outstanding(d) > 0:
                payment = payment_create(dossier=d, method=Method.CASH, actor=reception)
                payment_confirm(payment=payment, actor=reception)
        with clock.frozen(_at(day, 9, 30)):
            d = dossier_act(dossier=d, action="assign", actor=reception, to_user=specialist)
        with clock.frozen(_at(day, 10, 30)):
            return dossier_act(dossier=d, action="finish", actor=leader)

    try:
        with override_settings(MOTCUA={**_settings(), "POSTAL_URL": standin.base_url}):
            for i, child in enumerate(children[:4]):
                day = today - timedelta(days=20 - 4 * i)
                d = ready("1.001193", "home", day, child)
                with clock.frozen(_at(day, 15, 10)):
                    delivery_handover(dossier=d, actor=home, signature=_png(), photo=_png())
                made += 1
            for i, outcome in enumerate(["delivered", "delivered", "returned"]):
                day = today - timedelta(days=15 - 3 * i)
                d = ready("2.000635", "post", day)
                with clock.frozen(_at(day, 11, 0)):
                    shipment = shipment_send(dossier=d, actor=reception)
                webhook(shipment.waybill, "accepted", _at(day, 15, 30))
                webhook(shipment.waybill, "in_transit", _at(day + timedelta(days=1), 8, 0))
                webhook(shipment.waybill, outcome, _at(day + timedelta(days=2), 10, 0))
                made += 1
            # Today's open home task: a birth certificate to bring with flowers and a card.
            ready("1.001193", "home", today - timedelta(days=1), children[4])
            made += 1
            # A result by post whose order waits in the outbox: the job worker of `make run`
            # sends it to the postal stand-in, which then moves the parcel along by itself.
            ready("2.000635", "post", today - timedelta(days=1))
            made += 1
    finally:
        standin.stop()
    return made


def _settings() -> dict[str, Any]:
    from django.conf import settings

    return dict(getattr(settings, "MOTCUA", {}))
