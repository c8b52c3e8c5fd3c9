"""Demo history of dossiers: realistic lifecycles through the real services, or bulk rows for volume."""

from __future__ import annotations

import json
import random
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db import models, transaction

from motcua.core import clock
from motcua.core.errors import DomainError
from motcua.core.text import fold
from motcua.dossiers import deadlines
from motcua.dossiers.models import Dossier, DossierEvent
from motcua.dossiers.services import dossier_act, dossier_receive
from motcua.dossiers.workflow import Status, classify
from motcua.org.models import Citizen, Role, StaffRole, Unit

SURNAMES = [
    "Nguyễn",
    "Trần",
    "Lê",
    "Phạm",
    "Hoàng",
    "Vũ",
    "Đặng",
    "Bùi",
    "Đỗ",
    "Hồ",
    "Ngô",
    "Dương",
    "Lý",
]
MIDDLE_M = ["Văn", "Đức", "Minh", "Quang", "Hữu", "Công", "Xuân"]
MIDDLE_F = ["Thị", "Ngọc", "Thu", "Thanh", "Minh", "Phương"]
GIVEN_M = [
    "An",
    "Bình",
    "Cường",
    "Dũng",
    "Hải",
    "Hùng",
    "Khánh",
    "Long",
    "Nam",
    "Phong",
    "Quân",
    "Sơn",
    "Tuấn",
    "Việt",
]
GIVEN_F = [
    "Anh",
    "Chi",
    "Dung",
    "Giang",
    "Hà",
    "Hạnh",
    "Hoa",
    "Lan",
    "Linh",
    "Mai",
    "Ngọc",
    "Phương",
    "Thảo",
    "Yến",
]
STREETS = [
    "Quang Trung",
    "Trần Phú",
    "Nguyễn Trãi",
    "Lê Lợi",
    "Tô Hiệu",
    "Phùng Hưng",
    "Ba La",
    "Vạn Phúc",
]


def fake_citizen(rng: random.Random) -> dict[str, Any]:
    """A plausible citizen with a CCCD number consistent with sex and birth year (Hà Nội, 001)."""
    female = rng.random() < 0.5
    year = rng.randint(1950, 2006)
    century_digit = (0 if year < 2000 else 2) + (1 if female else 0)
    number = f"001{century_digit}{year % 100:02d}{rng.randint(0, 999999):06d}"
    name = " ".join(
        [
            rng.choice(SURNAMES),
            rng.choice(MIDDLE_F if female else MIDDLE_M),
            rng.choice(GIVEN_F if female else GIVEN_M),
        ]
    )
    return {
        "id_number": number,
        "full_name": name,
        "date_of_birth": date(year, rng.randint(1, 12), rng.randint(1, 28)),
        "sex": "F" if female else "M",
        "phone": f"09{rng.randint(0, 99999999):08d}",
        "address": f"Số {rng.randint(1, 200)} {rng.choice(STREETS)}, Hà Đông, Hà Nội",
    }


def _staff(unit: Unit, role: str) -> list[Any]:
    ids = unit.descendant_ids()
    return [
        r.user for r in StaffRole.objects.filter(unit_id__in=ids, role=role).select_related("user")
    ]


def _default_unit() -> Unit:
    unit = (
        Unit.objects.filter(staff_roles__role=Role.RECEPTION)
        .exclude(agency_code="")
        .order_by("code")
        .first()
    )
    if unit is None:
        raise DomainError(
            "Chưa có đơn vị nào có cán bộ tiếp nhận: hãy nạp dữ liệu tổ chức trước.",
            code="no_office",
        )
    return unit


def _procedures(unit: Unit) -> list[Any]:
    from motcua.catalog.selectors import published_versions

    return [v for v in published_versions() if not v.channels or "direct" in v.channels]


def _working_moment(rng: random.Random, cal: Any, day: date) -> datetime:
    start, end = rng.choice(list(cal.windows))
    minutes = (end.hour * 60 + end.minute) - (start.hour * 60 + start.minute)
    at = datetime.combine(day, start, tzinfo=clock.VN_TZ) + timedelta(
        minutes=rng.randint(0, minutes - 1)
    )
    return at


def _later(
    rng: random.Random, cal: Any, at: datetime, hours_lo: float, hours_hi: float
) -> datetime:
    return deadlines.add_working(cal, at, timedelta(hours=rng.uniform(hours_lo, hours_hi)))


def seed_dossiers(
    *, count: int, days: int = 90, unit: Unit | None = None, bulk: bool = False, seed: int = 2026
) -> int:
    """Create `count` dossiers received over the last `days` days; returns how many were made.

    The small path drives every dossier through the real services with a frozen clock (every
    status appears); `bulk=True` writes rows directly in batches of 10,000 for volume.
    """
    unit = unit or _default_unit()
    if bulk:
        return _seed_bulk(count=count, days=days, unit=unit, seed=seed)
    rng = random.Random(seed)
    cal = deadlines.calendar(unit)
    reception = _staff(unit, Role.RECEPTION)
    specialists = _staff(unit, Role.SPECIALIST)
    leaders = _staff(unit, Role.LEADER)
    if not (reception and specialists and leaders):
        raise DomainError(
            "Đơn vị cần có cán bộ tiếp nhận, chuyên viên và lãnh đạo.", code="no_staff"
        )
    versions = _procedures(unit)
    real_now = clock.now()
    today = real_now.date()
    workdays = [
        d for d in (today - timedelta(days=i) for i in range(days, -1, -1)) if cal.is_working_day(d)
    ]
    made = 0
    for _ in range(count):
        day = rng.choice(workdays)
        received = _working_moment(rng, cal, day)
        if received >= real_now:
            received = real_now - timedelta(minutes=rng.randint(5, 120))
        version = rng.choice(versions)
        channel = rng.choices(["direct", "online", "post"], weights=[75, 20, 5])[0]
        if version.channels and channel not in version.channels:
            channel = "direct"
        try:
            _one_life(
                rng,
                cal,
                unit,
                version,
                channel,
                received,
                real_now,
                reception,
                specialists,
                leaders,
            )
            made += 1
        except DomainError:
            continue  # e.g. a generated ID number refused by the validator: skip it
    return made


def _one_life(
    rng: random.Random,
    cal: Any,
    unit: Unit,
    version: Any,
    channel: str,
    received: datetime,
    real_now: datetime,
    reception: list[Any],
    specialists: list[Any],
    leaders: list[Any],
) -> None:
    rec, spec, lead = rng.choice(reception), rng.choice(specialists), rng.choice(leaders)
    citizen = fake_citizen(rng)
    with clock.frozen(received):
        d = dossier_receive(
            procedure_code=version.procedure.code,
            channel=channel,
            citizen=citizen,
            unit=unit,
            actor=None if channel == "online" else rec,
        )
    at = received
    late = rng.random() < 0.06  # a few late dossiers, as in real offices
    from motcua.payments.demo import pay_in_history
    from motcua.payments.selectors import collects_on_result

    on_result = collects_on_result(d)
    if not on_result:  # the citizen pays on reception: at the counter, by transfer or online
        pay_in_history(
            rng,
            d,
            collector=rec,
            at=received + timedelta(minutes=rng.randint(2, 20)),
            real_now=real_now,
        )

    def step(action: str, actor: Any, lo: float, hi: float, **kw: Any) -> bool:
        nonlocal d, at
        nxt = _later(rng, cal, at, lo, hi)
        if nxt >= real_now:
            return False
        at = nxt
        with clock.frozen(at):
            d = dossier_act(dossier=d, action=action, actor=actor, **kw)
        return True

    if channel == "online":
        roll = rng.random()
        if roll < 0.08:
            step(
                "refuse", rec, 0.5, 6, reason="Hồ sơ không thuộc thẩm quyền giải quyết của đơn vị."
            )
            return
        if not step("accept", rec, 0.5, 8):
            return
    roll = rng.random()
    if roll < 0.02:
        step("withdraw", rec, 1, 10, reason="Công dân có đơn đề nghị rút hồ sơ.")
        return
    if not step("assign", rec, 0.2, 2, to_user=spec):
        return
    if rng.random() < 0.12:
        if not step(
            "request_supplement", spec, 1, 8, reason="Đề nghị bổ sung bản sao giấy tờ còn thiếu."
        ):
            return
        if rng.random() < 0.35 or not step("resubmit", rec, 8, 60):
            return  # still waiting for the citizen
    if rng.random() < 0.01:
        step("stop", lead, 2, 10, reason="Có tranh chấp, đề nghị dừng giải quyết theo quy định.")
        return
    total_h = max(d.allowed_seconds / 3600, 1.0)
    work_h = total_h * (rng.uniform(1.05, 1.6) if late else rng.uniform(0.2, 0.75))
    if late and d.due_at and rng.random() < 0.5:
        # Half of the late ones were announced in time with an apology letter (form 04).
        warn_at = d.due_at - timedelta(hours=2)
        if at < warn_at < real_now:
            at = warn_at
            with clock.frozen(at):
                d = dossier_act(
                    dossier=d,
                    action="extend",
                    actor=lead,
                    reason="Hồ sơ cần xác minh thêm tại địa phương nơi cư trú.",
                    new_date=cal.next_working_day(clock.local(d.due_at).date()) + timedelta(days=2),
                )
    if not step("submit_for_approval", spec, work_h * 0.7, work_h * 0.8, to_user=lead):
        return
    if not step("approve", lead, work_h * 0.1, work_h * 0.15, to_user=rec):
        return
    if on_result:  # status 6 until the citizen pays, then the result
        if not step("request_payment", rec, 0.1, 1):
            return
        at = _later(rng, cal, at, 2, 24)
        if not pay_in_history(rng, d, collector=rec, at=at, real_now=real_now):
            return
        d.refresh_from_db()
        last = DossierEvent.objects.filter(dossier=d).order_by("-at").first()
        at = max(at, last.at) if last else at
    if not step("finish", rec, 0.1, work_h * 0.1):
        return
    from motcua.payments.selectors import dossier_outstanding

    if rng.random() < 0.9 and dossier_outstanding(d) <= 0:  # never handed over unpaid
        step("return", rec, 0.5, 16)


# --- bulk ------------------------------------------------------------------------------------

BATCH = 10_000


def _seed_bulk(*, count: int, days: int, unit: Unit, seed: int) -> int:
    """Volume rows without the services: codes continue each day's counter, two events per dossier."""
    from motcua.core.models import Sequence

    rng = random.Random(seed)
    cal = deadlines.calendar(unit)
    versions = _procedures(unit)
    reception = _staff(unit, Role.RECEPTION)
    actor_id = reception[0].pk if reception else None
    real_now = clock.now()
    today = real_now.date()
    workdays = [
        d for d in (today - timedelta(days=i) for i in range(days, 0, -1)) if cal.is_working_day(d)
    ]
    agency = unit.agency_code or unit.code

    citizens = _bulk_citizens(rng, min(max(count // 4, 100), 200_000))
    # Codes continue each day's counter.
    counters: dict[str, int] = {}
    for d in workdays:
        key = f"dossier:{agency}:{d:%y%m%d}"
        counters[key] = (
            Sequence.objects.filter(key=key).values_list("value", flat=True).first() or 0
        )
    due_cache: dict[tuple[date, int], datetime] = {}
    made = 0
    while made < count:
        n = min(BATCH, count - made)
        rows: list[Dossier] = []
        touched: set[str] = set()
        for _ in range(n):
            day = rng.choice(workdays)
            received = datetime.combine(day, time(7, 30), tzinfo=clock.VN_TZ) + timedelta(
                minutes=rng.randint(0, 8 * 60)
            )
            key = f"dossier:{agency}:{day:%y%m%d}"
            counters[key] += 1
            touched.add(key)
            v = rng.choice(versions)
            ndays = v.time_value if v.time_unit in ("working_days", "calendar_days") else 0
            due = due_cache.get((day, ndays))
            if due is None:
                due = due_cache[(day, ndays)] = clock.local(cal.add_working_days(received, ndays))
            c = rng.choice(citizens)
            age = (real_now - received).total_seconds()
            roll = rng.random()
            row = Dossier(
                code=f"{agency}-{day:%y%m%d}-{counters[key]:04d}",
                unit=unit,
                procedure_version=v,
                procedure_id=v.procedure_id,
                field_id=v.field_id,
                citizen_id=c[0],
                citizen_id_number=c[1],
                citizen_name_folded=c[2],
                citizen_phone_last4=c[3],
                channel="direct" if roll < 0.8 else "online",
                status=Status.ACCEPTED,
                received_at=received,
                received_month=day.replace(day=1),
                accepted_at=received,
                due_at=due,
                original_due_at=due,
                fees_due=v.fee_total,
                holder_unit=unit,
            )
            done = received + timedelta(
                hours=rng.uniform(2, 24 * max(ndays, 1) * (1.4 if roll < 0.05 else 0.9))
            )
            if age > 14 * 86400 or (done < real_now and roll < 0.7):
                done = min(done, real_now - timedelta(minutes=1))
                row.status = Status.RETURNED if rng.random() < 0.92 else Status.FINISHED
                row.result_ready_at = done
                row.result_timeliness = classify(done, due)
                if row.status == Status.RETURNED:
                    row.returned_at = row.closed_at = done
                    row.return_timeliness = row.result_timeliness
            elif roll > 0.97:
                row.status = Status.SUPPLEMENT
                row.supplement_requests = 1
                row.paused_at = received + timedelta(hours=4)
                row.remaining_seconds = 3600 * 8
            else:
                row.status = Status.PROCESSING
            rows.append(row)
        with transaction.atomic():
            _insert(Dossier, rows)
            events: list[DossierEvent] = []
            for r in rows:
                events.append(
                    DossierEvent(
                        dossier_id=r.pk,
                        at=r.received_at,
                        actor_id=actor_id,
                        action="receive",
                        from_status=None,
                        to_status=Status.ACCEPTED,
                        unit=unit,
                        due_at=r.due_at,
                    )
                )
                if r.status != Status.ACCEPTED:
                    at = r.result_ready_at or r.paused_at or r.received_at + timedelta(minutes=30)
                    action = {
                        Status.RETURNED: "return",
                        Status.FINISHED: "finish",
                        Status.SUPPLEMENT: "request_supplement",
                        Status.PROCESSING: "assign",
                    }[Status(r.status)]
                    events.append(
                        DossierEvent(
                            dossier_id=r.pk,
                            at=at,
                            actor_id=actor_id,
                            action=action,
                            from_status=Status.ACCEPTED,
                            to_status=r.status,
                            unit=unit,
                            due_at=r.due_at,
                        )
                    )
            _insert(DossierEvent, events)
            # The day counters move in the same transaction as the codes they handed out.
            for key in touched:
                Sequence.objects.update_or_create(key=key, defaults={"value": counters[key]})
        made += n
    return made


def _insert(model: Any, objs: list[Any]) -> None:
    """bulk_create, or on PostgreSQL a COPY with ids drawn from the table's sequence (5–10× faster)."""
    from django.db import connection

    if connection.vendor != "postgresql" or not objs:
        model.objects.bulk_create(objs, batch_size=BATCH)
        return
    table = model._meta.db_table
    fields = list(model._meta.concrete_fields)
    with connection.cursor() as cur:
        cur.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
            [table, len(objs)],
        )
        for obj, (pk,) in zip(objs, cur.fetchall(), strict=True):
            obj.pk = pk
        cols = ", ".join(connection.ops.quote_name(f.column) for f in fields)
        with cur.cursor.copy(f"COPY {table} ({cols}) FROM STDIN") as copy:  # type: ignore[attr-defined]
            for obj in objs:
                values = []
                for f in fields:
                    v = getattr(obj, f.attname)
                    if isinstance(f, models.JSONField):
                        v = json.dumps(v, cls=f.encoder)  # COPY takes the jsonb column as text
                    values.append(int(v) if isinstance(v, int) and not isinstance(v, bool) else v)
                copy.write_row(values)


def _bulk_citizens(rng: random.Random, n: int) -> list[tuple[int, str, str, str]]:
    """(id, id_number, folded name, phone last 4) of n citizens, created in bulk when missing."""
    have = Citizen.objects.count()
    if have < n:
        new = []
        seen: set[str] = set()
        for _ in range(n - have):
            c = fake_citizen(rng)
            if c["id_number"] in seen:
                continue
            seen.add(c["id_number"])
            new.append(Citizen(name_folded=fold(c["full_name"]), **c))
        for i in range(0, len(new), BATCH):
            Citizen.objects.bulk_create(new[i : i + BATCH], ignore_conflicts=True)
    rows = list(
        Citizen.objects.order_by("pk").values_list("pk", "id_number", "name_folded", "phone")[:n]
    )
    return [(pk, num, name, (phone or "")[-4:]) for pk, num, name, phone in rows]
