"""Demo registers: a few hundred documents between the wards, partners outside motcua, and a
birth registration that consults the police and social insurance (the police answer late)."""

from __future__ import annotations

import random
from datetime import datetime, time, timedelta
from typing import Any

from motcua.core import clock
from motcua.core.models import Sequence

MARKER = "demo:correspondence"

PARTNERS = [
    ("H26.CA.HADONG", "Công an quận Hà Đông"),
    ("H26.BHXH.HADONG", "Bảo hiểm xã hội quận Hà Đông"),
    ("H26.THUE.HADONG", "Chi cục Thuế khu vực Hà Đông"),
]
SUBJECTS = [
    ("CV", "Về việc phối hợp xác minh nơi cư trú của công dân"),
    ("CV", "Về việc báo cáo tình hình tiếp nhận, giải quyết hồ sơ thủ tục hành chính"),
    ("TB", "Thông báo lịch tiếp công dân của lãnh đạo phường"),
    ("KH", "Kế hoạch triển khai chuyển đổi số cộng đồng"),
    ("QD", "Quyết định kiện toàn Bộ phận Một cửa phường"),
    ("GM", "Giấy mời dự hội nghị giao ban công tác cải cách hành chính"),
    ("BC", "Báo cáo kết quả thực hiện Đề án 06"),
    ("TTR", "Tờ trình đề nghị phê duyệt danh mục thủ tục liên thông"),
    (
        "HD",
        "Hướng dẫn thực hiện thủ tục liên thông đăng ký khai sinh, thường trú, thẻ bảo hiểm y tế",
    ),
    ("CT", "Chỉ thị tăng cường kỷ luật, kỷ cương hành chính"),
]
SIGNERS = {"09556": ("Nguyễn Văn Thắng", "Phó Chủ tịch"), "09886": ("Tạ Đình Khôi", "Phó Chủ tịch")}


def _at(day: Any, hour: int) -> datetime:
    return datetime.combine(day, time(hour, 15), tzinfo=clock.VN_TZ)


def seed_correspondence(*, count: int = 240, seed: int = 14) -> int:
    """Documents issued, sent and received over the year so far (once); returns how many."""
    from motcua.correspondence import services
    from motcua.correspondence.models import Partner
    from motcua.org.models import Unit, User

    if Sequence.objects.filter(key=MARKER).exists():
        return 0
    for code, name in PARTNERS:
        Partner.objects.get_or_create(code=code, defaults={"name": name})
    rng = random.Random(seed)
    units = {
        u.code: u
        for u in Unit.objects.filter(code__in=["09556", "09886", "09562", "09568", "09552"])
    }
    users = {
        u.username: u
        for u in User.objects.filter(
            username__in=[
                "lanhdao",
                "tiepnhan",
                "chuyenvien",
                "duongnoi.tiepnhan",
                "duongnoi.lanhdao",
            ]
        )
    }
    if len(units) < 5 or len(users) < 5:
        return 0
    clerks = {"09556": users["tiepnhan"], "09886": users["duongnoi.tiepnhan"]}
    handlers = {
        "09556": (users["lanhdao"], users["chuyenvien"]),
        "09886": (users["duongnoi.lanhdao"], users["duongnoi.tiepnhan"]),
    }
    today = clock.today()
    start = max(today.replace(month=1, day=1), today - timedelta(days=120))
    days = [start + timedelta(days=i) for i in range((today - start).days + 1)]
    days = [d for d in days if d.weekday() < 5] or [today]
    made = 0
    for i in range(count):
        day = days[min(len(days) - 1, i * len(days) // count)]
        sender = "09556" if rng.random() < 0.6 else "09886"
        doc_type, subject = rng.choice(SUBJECTS)
        name, title = SIGNERS[sender]
        with clock.frozen(_at(day, 8 + i % 8)):
            doc = services.document_create(
                unit=units[sender],
                actor=clerks[sender],
                doc_type=doc_type,
                summary=subject,
                signer_name=name,
                signer_title=title,
                urgency=rng.choice(["normal"] * 6 + ["urgent", "very_urgent"]),
                drafter_abbr="VP" if doc_type == "CV" else "",
                recipients="Như kính gửi;\nLưu: VT.",
            )
            others = [c for c in units if c != sender]
            to = rng.sample(others, k=rng.choice([1, 1, 2]))
            if rng.random() < 0.1:
                to.append(rng.choice(PARTNERS)[0])
            dispatches = services.document_send(document=doc, to=to, actor=clerks[sender])
        made += 1
        for d in dispatches:
            incoming = d.incoming
            if incoming is None or incoming.unit.code not in clerks or day == today:
                continue
            leader, specialist = handlers[incoming.unit.code]
            with clock.frozen(_at(day, 16)):
                services.incoming_register(document=incoming, actor=clerks[incoming.unit.code])
                if rng.random() < 0.8:
                    services.incoming_assign(
                        document=incoming,
                        actor=leader,
                        assignee=specialist,
                        due_on=day + timedelta(days=7),
                        instruction="Nghiên cứu, tham mưu xử lý",
                    )
    _seed_statuses_and_paper(units, users, today)
    made += _seed_joint_dossier(units["09556"], users["chuyenvien"])
    Sequence.objects.get_or_create(key=MARKER, defaults={"value": 1})
    return made


def _seed_statuses_and_paper(units: dict[str, Any], users: dict[str, Any], today: Any) -> None:
    """The rest of the register's life through the real services: directives and announcements
    published on the portal; partners' statuses coming back over the platform (accepted,
    assigned, one refusal with its reason); an arrival refused at the desk; a recall; paper
    documents registered with their scan."""
    from motcua.correspondence import edxml, services
    from motcua.correspondence.models import Dispatch, DocStatus, Document

    leaders = {"09556": users["lanhdao"], "09886": users["duongnoi.lanhdao"]}
    clerks = {"09556": users["tiepnhan"], "09886": users["duongnoi.tiepnhan"]}
    for doc in Document.objects.filter(
        direction="out", unit__code__in=leaders, doc_type__in=["CT", "TB", "QD", "HD", "KH"]
    ).select_related("unit"):
        with clock.frozen(max(clock.now(), doc.created_at)):
            services.document_publish(document=doc, actor=leaders[doc.unit.code])
    # Packages for the partners "went out" (the platform is not running while seeding): their
    # statuses come back through the same inbox as the platform's.
    outside = list(
        Dispatch.objects.filter(channel="edxml", state="queued")
        .select_related("document")
        .order_by("pk")[:4]
    )
    for i, d in enumerate(outside):
        d.state, d.delivered_at, d.remote_id = "delivered", d.sent_at, f"VXP-DEMO-{d.pk:06d}"
        d.save(update_fields=["state", "delivered_at", "remote_id"])
        codes = (
            [("03", ""), ("04", "")]
            if i % 4
            else [("02", "Gửi nhầm cơ quan, đề nghị gửi Công an phường")]
        )
        for code, note in codes:
            doc = d.document
            status = edxml.StatusPackage(
                sender=edxml.Organ(code=d.to_code, name=d.to_name),
                about=edxml.ResponseFor(
                    organ=doc.issuer_code, code=doc.number_notation, issued_on=doc.issued_on
                ),
                code=code,
                description=note or edxml.STATUS_LABELS[code],
                at=clock.now(),
                staff="Văn thư",
            )
            services.exchange_inbox(data=edxml.write_status(status))
    mistaken = services.document_create(
        unit=units["09556"],
        actor=clerks["09556"],
        doc_type="CV",
        summary="Về việc đề nghị xác minh hiện trạng sử dụng đất tại tổ dân phố 5",
        signer_name=SIGNERS["09556"][0],
        signer_title=SIGNERS["09556"][1],
        drafter_abbr="ĐC",
        recipients="Như kính gửi;\nLưu: VT.",
    )
    [sent_by_mistake] = services.document_send(
        document=mistaken, to=["09886"], actor=clerks["09556"]
    )
    arrived = sent_by_mistake.incoming
    if arrived is not None:
        services.incoming_refuse(
            document=arrived,
            actor=clerks["09886"],
            reason="Văn bản không thuộc thẩm quyền giải quyết của Phường Dương Nội",
        )
    sent = (
        Document.objects.filter(direction="out", status=DocStatus.SENT, unit__code="09556")
        .exclude(published_at__isnull=False)
        .order_by("-pk")
        .first()
    )
    if sent is not None:
        services.document_recall(
            document=sent,
            actor=leaders["09556"],
            reason="Văn bản ban hành sai thể thức, sẽ ban hành lại",
        )
    from motcua.correspondence.services import Upload

    for issuer, notation, kind, summary in (
        ("Tòa án nhân dân quận Hà Đông", "215/TB-TA", "TB", "Thông báo thụ lý vụ án dân sự"),
        ("Ban Chỉ huy Quân sự quận Hà Đông", "47/GM-BCH", "GM", "Giấy mời dự hội nghị tuyển quân"),
    ):
        services.paper_register(
            unit=units["09556"],
            actor=clerks["09556"],
            issuer_name=issuer,
            number_notation=notation,
            doc_type=kind,
            issued_on=today,
            summary=summary,
            scan=Upload(name="ban-quet.pdf", content=_demo_pdf()),
        )


def _demo_pdf() -> bytes:
    import io

    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _receive_birth(unit: Any, specialist: Any, at: datetime) -> Any:
    from motcua.catalog.selectors import procedure_current
    from motcua.dossiers.services import dossier_act, dossier_receive
    from motcua.org.models import User

    version = procedure_current(code="1.001193")
    clerk = User.objects.filter(username="tiepnhan").first()
    if version is None or clerk is None or not version.consultations:
        return None
    with clock.frozen(at):
        dossier = dossier_receive(
            procedure_code="1.001193",
            channel="direct",
            citizen={
                "id_number": "001096012398",
                "full_name": "Phạm Thị Hồng Nhung",
                "date_of_birth": "1996-08-21",
                "phone": "0983456127",
                "address": "Số 12 Tô Hiệu, Hà Đông, Hà Nội",
            },
            unit=unit,
            actor=clerk,
            notes="Liên thông đăng ký khai sinh – thường trú – thẻ BHYT (dữ liệu mẫu)",
        )
    with clock.frozen(at + timedelta(minutes=20)):
        return dossier_act(dossier=dossier, action="assign", actor=clerk, to_user=specialist)


def _seed_joint_dossier(unit: Any, specialist: Any) -> int:
    """A birth registration in processing consults the police and social insurance 6 working
    days ago with 3 days to answer: the police answered late, social insurance still owes."""
    from motcua.correspondence import edxml, services
    from motcua.dossiers.models import Dossier
    from motcua.worktime.selectors import calendar_for_unit

    dossier = (
        Dossier.objects.filter(unit=unit, status=4, procedure__code="1.001193")
        .exclude(consultations__isnull=False)
        .filter(due_at__gte=clock.now())
        .order_by("-received_at")
        .first()
    )
    cal = calendar_for_unit(unit)
    day, back = clock.today(), 0
    while back < 6:  # six working days back
        day -= timedelta(days=1)
        back += cal.is_working_day(day)
    asked = _at(day, 9)
    if dossier is None:
        # None in processing (a same-day procedure seldom is): one received at the counter six
        # working days ago, through the real services: its procedure version names the police
        # and social insurance, so receiving it sends both letters by itself.
        dossier = _receive_birth(unit, specialist, asked)
        if dossier is None:
            return 0
    with clock.frozen(asked):
        # The procedure version names the agencies (catalogue "consultations"): the same code
        # the dossier's step runs; a version without them (older data) is asked by hand.
        opened = services.consultations_for_step(
            dossier=dossier, step="accept", actor=specialist
        ) + services.consultations_for_step(dossier=dossier, step="assign", actor=specialist)
        opened = opened or list(dossier.consultations.all())  # sent when it was received
        if not opened:
            opened = [
                services.consultation_open(
                    dossier=dossier,
                    agency=PARTNERS[0][0],
                    question="Xác nhận nơi thường trú của cha, mẹ",
                    due_days=3,
                    actor=specialist,
                ),
                services.consultation_open(
                    dossier=dossier,
                    agency=PARTNERS[1][0],
                    question="Cấp thẻ bảo hiểm y tế cho trẻ dưới 6 tuổi",
                    due_days=3,
                    actor=specialist,
                ),
            ]
    police = next(c for c in opened if c.agency_code == PARTNERS[0][0])
    answered = clock.now() - timedelta(hours=2)
    package = edxml.Package(
        sender=edxml.Organ(*PARTNERS[0]),
        recipients=(edxml.Organ(unit.agency_code or unit.code, unit.name),),
        number=131,
        notation="CAQ-QLHC",
        issued_on=answered.date(),
        place="Hà Đông",
        doc_type="CV",
        type_name="Công văn",
        subject=f"Trả lời xác minh nơi thường trú (hồ sơ {dossier.code})",
        signer_name="Lê Minh Tuấn",
        signer_title="Phó Trưởng Công an quận",
        signer_competence="KT.",
        urgency="normal",
        secrecy="normal",
        # The police's answer names our request: it is matched to the dossier by itself.
        response_for=(
            edxml.ResponseFor(
                organ=police.request.issuer_code,
                code=police.request.number_notation,
                issued_on=police.request.issued_on,
            ),
        ),
    )
    with clock.frozen(answered):
        services.exchange_receive(data=edxml.write(package, now=answered))
    return 3
