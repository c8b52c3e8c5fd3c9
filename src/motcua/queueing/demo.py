"""Demo data of the queue: services and counters per office, priority groups, months of visits.

History is made through the same services the kiosk and counters use, with a frozen clock, so
every figure on the board and in reports comes from real TicketEvent rows.
"""

from __future__ import annotations

import math
import random
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db import transaction

from motcua.core import clock
from motcua.core.errors import DomainError
from motcua.org.models import Citizen, Counter, Office, Role, User
from motcua.queueing import services
from motcua.queueing.models import CounterService, Method, PriorityGroup, Service, Ticket

SERVICES = [
    # code, name, catalogue fields, words in a counter's name that mean it serves this line
    ("A", "Hộ tịch", ["ho-tich", "cu-tru"], ["hộ tịch", "tư pháp"]),
    ("B", "Chứng thực", ["chung-thuc"], ["chứng thực"]),
    (
        "C",
        "Đất đai – Xây dựng",
        ["dat-dai", "xay-dung", "quy-hoach", "moi-truong"],
        ["đất đai", "xây dựng", "đô thị", "môi trường"],
    ),
    ("D", "Bảo trợ xã hội", ["bao-tro-xa-hoi"], ["xã hội", "thương binh"]),
    ("E", "Kinh doanh", ["ho-kinh-doanh"], ["kinh tế", "kinh doanh"]),
]
# (code, name, head start in minutes, age from which the kiosk grants it by itself; None = staff)
PRIORITY_GROUPS = [
    ("elderly", "Người cao tuổi (từ 75 tuổi)", 30, 75),
    ("disability", "Người khuyết tật", 30, None),
    ("pregnant", "Phụ nữ mang thai", 30, None),
    ("small-children", "Người đi cùng trẻ nhỏ dưới 36 tháng tuổi", 20, None),
    ("meritorious", "Người có công với cách mạng", 30, None),
]
# Typical minutes at the counter per line (median) – land dossiers take longest.
SERVICE_MINUTES = {"A": 6.0, "B": 4.0, "C": 12.0, "D": 9.0, "E": 10.0}
SHARE = {"A": 0.34, "B": 0.30, "C": 0.16, "D": 0.10, "E": 0.10}


@transaction.atomic
def seed_priority_groups() -> None:
    for code, name, weight, min_age in PRIORITY_GROUPS:
        PriorityGroup.objects.update_or_create(
            code=code, defaults={"name": name, "weight": weight, "min_age": min_age}
        )


@transaction.atomic
def seed_queue(*, office: Office | None = None) -> list[Office]:
    """Services A–E, the counters serving them and priority groups (idempotent)."""
    from motcua.catalog.models import Field

    seed_priority_groups()
    offices = [office] if office is not None else list(Office.objects.filter(is_active=True))
    for off in offices:
        svcs = {}
        for sort, (code, name, fields, _words) in enumerate(SERVICES, start=1):
            svc, _ = Service.objects.update_or_create(
                office=off, code=code, defaults={"name": name, "sort": sort, "active": True}
            )
            svc.fields.set(Field.objects.filter(code__in=fields))
            svcs[code] = svc
        counters = list(Counter.objects.filter(office=off, is_active=True).order_by("number"))
        if not counters:
            counters = [
                Counter.objects.create(office=off, number=i, name=n)
                for i, n in enumerate(
                    ["Hộ tịch – Chứng thực", "Đất đai – Xây dựng", "Xã hội – Kinh doanh"], start=1
                )
            ]
        served: set[str] = set()
        for counter in counters:
            label = counter.name.lower()
            codes = [code for code, _n, _f, words in SERVICES if any(w in label for w in words)]
            for code in codes:
                CounterService.objects.get_or_create(counter=counter, service=svcs[code])
                served.add(code)
        # Every line needs a counter: the last counter takes what no name mentions.
        for code in svcs:
            if code not in served:
                CounterService.objects.get_or_create(counter=counters[-1], service=svcs[code])
    return offices


def _demo_citizens(n: int, rng: random.Random) -> list[int]:
    ids = list(Citizen.objects.order_by("id").values_list("id", flat=True)[: n * 4])
    if len(ids) >= n:
        return ids
    from motcua.org.idcard import make_id_number
    from motcua.org.services import citizen_upsert

    given = [
        "An",
        "Bình",
        "Chi",
        "Dũng",
        "Giang",
        "Hà",
        "Hùng",
        "Lan",
        "Minh",
        "Nam",
        "Oanh",
        "Phương",
        "Quân",
        "Thảo",
        "Tuấn",
        "Vy",
    ]
    family = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Vũ", "Đặng", "Bùi", "Đỗ", "Ngô"]
    for i in range(n - len(ids)):
        born = date(1950 + rng.randrange(55), 1 + rng.randrange(12), 1 + rng.randrange(28))
        sex = "M" if i % 2 == 0 else "F"
        c = citizen_upsert(
            id_number=make_id_number(
                province="001", date_of_birth=born, sex=sex, serial=900000 + len(ids) + i
            ),
            full_name=f"{rng.choice(family)} {'Văn' if sex == 'M' else 'Thị'} {rng.choice(given)}",
            date_of_birth=born,
            sex=sex,
            phone=f"09{rng.randrange(10**8):08d}",
            address="Phường Hà Đông, thành phố Hà Nội",
        )
        ids.append(c.pk)
    return ids


def _officers(office: Office) -> list[Any]:
    return list(
        User.objects.filter(
            unit_roles__unit=office.unit, unit_roles__role=Role.RECEPTION, is_active=True
        ).distinct()
    )


def _working_days(end: date, days: int) -> list[date]:
    out = []
    d = end - timedelta(days=days)
    while d < end:
        if d.weekday() < 5:
            out.append(d)
        d += timedelta(days=1)
    return out


def _arrivals(day: date, n: int, rng: random.Random) -> list[datetime]:
    # Mornings are busier (about 60 %), with a peak soon after opening.
    times = []
    for _ in range(n):
        if rng.random() < 0.6:
            minute = 7 * 60 + 30 + min(abs(rng.gauss(60, 70)), 210)
        else:
            minute = 13 * 60 + 30 + rng.uniform(0, 170)
        times.append(datetime.combine(day, time(0), tzinfo=clock.VN_TZ) + timedelta(minutes=minute))
    return sorted(times)


def simulate_day(**kw: Any) -> int:
    """Play one day of the office through the real services; returns tickets issued.

    One transaction per day: the services nest in it (savepoints), which makes months of
    history several times faster to generate; nothing else writes meanwhile.
    """
    with transaction.atomic():
        return _simulate_day(**kw)


def _simulate_day(
    *,
    office: Office,
    day: date,
    visits: int,
    rng: random.Random,
    citizen_ids: list[int],
    officers: list[Any],
    no_show_rate: float = 0.06,
) -> int:
    svcs = {s.code: s for s in Service.objects.filter(office=office, active=True)}
    counters = list(
        Counter.objects.filter(office=office, is_active=True, queue_links__isnull=False)
        .distinct()
        .order_by("number")
    )
    if not svcs or not counters:
        return 0
    groups = list(PriorityGroup.objects.all())
    codes = [c for c in SHARE if c in svcs]
    weights = [SHARE[c] for c in codes]
    pending = _arrivals(day, visits, rng)
    free_at = {
        c.pk: datetime.combine(day, office_open(office), tzinfo=clock.VN_TZ) for c in counters
    }
    officer_of = {
        c.pk: (officers[i % len(officers)] if officers else None) for i, c in enumerate(counters)
    }
    issued = 0
    closing = datetime.combine(day, time(17, 0), tzinfo=clock.VN_TZ)
    idle: set[int] = set()
    serves: dict[int, set[int]] = {}
    for service_id, counter_id in CounterService.objects.filter(counter__in=counters).values_list(
        "service_id", "counter_id"
    ):
        serves.setdefault(service_id, set()).add(counter_id)
    # A counter in service: (ticket, moment it ends, no-show?). Endings are events of their own,
    # so at every arrival the database shows exactly who is being served, as in a real office.
    serving: dict[int, tuple[Ticket, datetime, bool]] = {}
    while True:
        next_arrival = pending[0] if pending else None
        moments: list[
            tuple[datetime, int, int]
        ] = []  # (when, 0 = end of service / 1 = call, counter)
        for cid, t in free_at.items():
            if cid in serving:
                moments.append((serving[cid][1], 0, cid))
            elif cid not in idle:
                moments.append((t, 1, cid))
        next_counter = min(moments) if moments else None
        if next_arrival is None and next_counter is None:
            break
        if next_arrival is not None and (next_counter is None or next_arrival <= next_counter[0]):
            pending.pop(0)
            with clock.frozen(next_arrival):
                svc = svcs[rng.choices(codes, weights)[0]]
                idle -= serves.get(svc.pk, set())  # idle counters of this line look again
                citizen = Citizen.objects.get(pk=rng.choice(citizen_ids))
                method = rng.choices([Method.FACE, Method.QR, Method.PHONE], [0.55, 0.35, 0.10])[0]
                priority = rng.choice(groups) if groups and rng.random() < 0.08 else None
                try:
                    services.ticket_issue(
                        office=office, service=svc, citizen=citizen, method=method,
                        priority=priority, device="demo-kiosk",
                    )  # fmt: skip
                    issued += 1
                except DomainError:
                    pass
            for cid in free_at:
                free_at[cid] = max(free_at[cid], next_arrival)
            continue
        at, what, cid = next_counter  # type: ignore[misc]
        if what == 0:
            ticket, done, no_show = serving.pop(cid)
            if no_show:
                with clock.frozen(done - timedelta(minutes=1)):
                    services.ticket_recall(ticket=ticket)
                with clock.frozen(done):
                    services.ticket_no_show(ticket=ticket)
            else:
                with clock.frozen(ticket.called_at + timedelta(seconds=40)):  # type: ignore[operator,arg-type]
                    services.ticket_start(ticket=ticket, officer=officer_of[cid])
                with clock.frozen(done):
                    services.ticket_finish(ticket=ticket, officer=officer_of[cid])
            free_at[cid] = done + timedelta(seconds=rng.uniform(10, 60))
            continue
        if at >= closing:
            idle.add(cid)
            continue
        counter = next(c for c in counters if c.pk == cid)
        with clock.frozen(at):
            called = services.ticket_call_next(counter=counter, officer=officer_of[cid])
        if called is None:
            idle.add(cid)
            continue
        if rng.random() < no_show_rate:
            serving[cid] = (called, at + timedelta(minutes=2), True)
        else:
            mean = SERVICE_MINUTES.get(called.service.code, 7.0)
            minutes = max(1.0, rng.lognormvariate(math.log(mean), 0.45))
            serving[cid] = (called, at + timedelta(seconds=40) + timedelta(minutes=minutes), False)
    with clock.frozen(datetime.combine(day, time(17, 30), tzinfo=clock.VN_TZ)):
        services.queue_close_day(office=office)
    return issued


def office_open(office: Office) -> time:
    start = office.morning_start
    return start if isinstance(start, time) else datetime.strptime(str(start), "%H:%M").time()


def seed_queue_history(
    *,
    days: int = 90,
    per_day: int | None = None,
    office: Office | None = None,
    seed: int = 4,
    citizens: int = 300,
) -> int:
    """Past working days of visits (skips days that already have tickets); returns tickets issued."""
    rng = random.Random(seed)
    offices = seed_queue(office=office)
    citizen_ids = _demo_citizens(citizens, rng)
    today = clock.today()
    total = 0
    for off in offices:
        n_counters = Counter.objects.filter(office=off, is_active=True).count()
        visits = per_day or (30 if n_counters >= 5 else 14)
        officers = _officers(off)
        done_days = set(
            Ticket.objects.filter(office=off, service_date__lt=today)
            .values_list("service_date", flat=True)
            .distinct()
        )
        for day in _working_days(today, days):
            if day in done_days:
                continue
            total += simulate_day(
                office=off,
                day=day,
                visits=max(1, int(rng.gauss(visits, visits * 0.2))),
                rng=rng,
                citizen_ids=citizen_ids,
                officers=officers,
            )
    return total


def seed_bookings(*, office_code: str = "ha-dong", seed: int = 11) -> int:
    """Upcoming appointments (portal and desk) and one authorisation, made through the real
    booking rules; done again only once the previous ones have passed. Returns bookings made."""
    from motcua.queueing import bookings as rules
    from motcua.queueing.models import Authorisation, Booking, BookingChannel, BookingStatus

    office = Office.objects.filter(code=office_code).first()
    if office is None:
        return 0
    now = clock.now()
    if Booking.objects.filter(
        office=office, status=BookingStatus.BOOKED, slot_start__gte=now
    ).exists():
        return 0
    rng = random.Random(seed + now.toordinal())
    people = list(
        Citizen.objects.exclude(phone="")
        .order_by("id")[:400]
        .only("id_number", "full_name", "phone")
    )
    officers = _officers(office)
    offered = list(Service.objects.filter(office=office, active=True))
    if not people or not offered:
        return 0
    rng.shuffle(people)
    today = clock.today()
    if (
        len(people) >= 3  # keep someone to book for
        and officers
        and not Authorisation.objects.filter(office=office, valid_to__gte=today).exists()
    ):
        services.authorisation_record(
            office=office, principal=people.pop(), agent=people.pop(),
            document="Giấy ủy quyền số 15/2026, chứng thực tại UBND phường",
            valid_to=today + timedelta(days=30), recorded_by=officers[0],
        )  # fmt: skip
    made = 0
    for service in offered:
        days = rules.booking_days(office=office, service=service)[:4]
        for day in days:
            slots = [
                s
                for s in rules.booking_slots(office=office, service=service, day=day)
                if not s.full
            ]
            for slot in rng.sample(slots, k=min(len(slots), 2)):
                if not people:
                    return made
                person = people.pop()
                staff = officers[0] if officers and rng.random() < 0.25 else None
                try:
                    rules.booking_book(
                        office=office, service=service, slot_start=slot.start,
                        id_number=person.id_number, full_name=person.full_name, phone=person.phone,
                        channel=BookingChannel.STAFF if staff else BookingChannel.PORTAL,
                        created_by=staff,
                    )  # fmt: skip
                except DomainError:
                    continue  # a rule said no (e.g. this person's limit): demo data obeys it
                made += 1
    return made
