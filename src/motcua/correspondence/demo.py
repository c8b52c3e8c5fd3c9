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
    made += _seed_joint_dossier(units["09556"], users["chuyenvien"])
    Sequence.objects.get_or_create(key=MARKER, defaults={"value": 1})
    return made


def _seed_joint_dossier(unit: Any, specialist: Any) -> int:
    """A birth registration in processing consults the police and social insurance 6 working
    days ago with 3 days to answer: the police answered late, social insurance still owes."""
    from motcua.correspondence import edxml, services
    from motcua.dossiers.models import Dossier
    from motcua.worktime.selectors import calendar_for_unit

    dossier = (
        Dossier.objects.filter(unit=unit, status=4, procedure__code="1.001193")
        .exclude(consultations__isnull=False)
        .order_by("-received_at")
        .first()
    )
    if dossier is None:
        return 0
    cal = calendar_for_unit(unit)
    day, back = clock.today(), 0
    while back < 6:  # six working days back
        day -= timedelta(days=1)
        back += cal.is_working_day(day)
    asked = _at(day, 9)
    if dossier.due_at is not None and dossier.due_at < clock.now():
        return 0
    with clock.frozen(asked):
        police = services.consultation_open(
            dossier=dossier,
            agency=PARTNERS[0][0],
            question="Xác nhận nơi thường trú của cha, mẹ",
            due_days=3,
            actor=specialist,
        )
        services.consultation_open(
            dossier=dossier,
            agency=PARTNERS[1][0],
            question="Cấp thẻ bảo hiểm y tế cho trẻ dưới 6 tuổi",
            due_days=3,
            actor=specialist,
        )
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
    )
    with clock.frozen(answered):
        [arrived] = services.exchange_receive(data=edxml.write(package, now=answered))
        services.consultation_answer(consultation=police, document=arrived, actor=specialist)
    return 3
