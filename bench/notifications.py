"""Throughput of the notification sender through the outbox to the channel stand-ins.

    .venv/bin/python bench/notifications.py                  # SQLite and PostgreSQL
    .venv/bin/python bench/notifications.py --messages 600 --only sqlite

Three measures in one run, against the real stand-ins (the brand-name SMS gateway and Zalo over
HTTP, SMTP through aiosmtpd), all started in this process:

1. baseline: the channel adapters called directly, no database (what the stand-ins and the
   adapters cost by themselves), one thread;
2. drain: N outbox rows (a third each SMS, e-mail, Zalo) already written, sent by 1 and then
   by 4 sender threads running `notifications_send_due` until nothing is left: messages/s, and
   at-most-once counted (requests the stand-ins received vs. messages they delivered vs. rows
   `sent`; a row claimed by two workers would show as a repeated request);
3. delay: events written at a steady rate (a counter call, "your turn at counter N", on three
   channels, through the same `_enqueue` the services use) while 2 sender threads poll every
   100 ms: p50/p95 of `sent_at - created_at`. In production the Huey job runs once a minute,
   which adds up to 60 s to these delays.

The rows are urgent (queue calls) so the night rule does not hold them whatever the hour.
Each database runs in its own child process (SQLite in a temporary file, PostgreSQL in a
database `motcua_bench_notify`, created when missing).
"""

from __future__ import annotations

import sys
from pathlib import Path

# bench/ holds scripts named like stdlib modules (queue.py): keep it off the import path.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]

import argparse  # noqa: E402
import os  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
import threading  # noqa: E402
import time  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
PG_SERVER = os.environ.get("BENCH_PG", "postgres://postgres@127.0.0.1:5432")
PG_DB = "motcua_bench_notify"


def _django(url: str) -> None:
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "motcua.settings")
    os.environ.setdefault("AXES_ENABLED", "0")
    os.environ.setdefault("MOTCUA_DEMO", "1")
    sys.path.insert(0, str(ROOT / "src"))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)


def _standins():  # type: ignore[no-untyped-def]
    from django.conf import settings

    from motcua.notifications.channels import DEFAULT_ZALO_TEMPLATES
    from motcua.notifications.standins import SmsStandin, SmtpStandin, ZaloStandin

    sms = SmsStandin(secret="bench-secret", brandname="BENCH").start_in_thread()
    zalo = ZaloStandin(token="bench-token", templates=set(DEFAULT_ZALO_TEMPLATES.values()))
    zalo.start_in_thread()
    smtp = SmtpStandin().start()
    settings.MOTCUA = {
        **getattr(settings, "MOTCUA", {}),
        "NOTIFY_SMS_URL": sms.base_url,
        "NOTIFY_SMS_SECRET": "bench-secret",
        "NOTIFY_SMS_BRANDNAME": "BENCH",
        "NOTIFY_ZALO_URL": zalo.base_url,
        "NOTIFY_ZALO_TOKEN": "bench-token",
        "NOTIFY_SMTP_HOST": smtp.host,
        "NOTIFY_SMTP_PORT": str(smtp.port),
    }
    return sms, zalo, smtp


def _counts(doubles) -> tuple[int, int]:  # type: ignore[no-untyped-def]
    return sum(d.requests for d in doubles), sum(len(d.delivered) for d in doubles)


def _reset(doubles) -> None:  # type: ignore[no-untyped-def]
    for d in doubles:
        with d.lock:
            d.requests = 0
            d.delivered.clear()
            d.by_key.clear()


def _pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))] if values else 0.0


def _setup():  # type: ignore[no-untyped-def]
    """A ward, a citizen with SMS, e-mail and Zalo, a ticket to call (idempotent)."""
    from motcua.core import clock
    from motcua.notifications.models import ContactPreference
    from motcua.org.models import Citizen, Office, Unit
    from motcua.queueing.models import Service, Ticket

    ward, _ = Unit.objects.get_or_create(
        code="BENCHN",
        defaults={"agency_code": "000.00.97.H26", "name": "Phường Thử Thông Báo", "level": "ward"},
    )
    office, _ = Office.objects.get_or_create(
        code="bench-notify", defaults={"unit": ward, "name": "Bộ phận một cửa thử"}
    )
    citizen, _ = Citizen.objects.get_or_create(
        id_number="001085099999",
        defaults={"full_name": "Nguyễn Văn Thử", "phone": "0912345678"},
    )
    pref, _ = ContactPreference.objects.get_or_create(citizen=citizen)
    pref.channels = ["sms", "email", "zalo"]
    pref.phone, pref.email = "0912345678", "thu@example.vn"
    pref.consent_at, pref.stopped = clock.now(), []
    pref.save()
    service, _ = Service.objects.get_or_create(
        office=office, code="A", defaults={"name": "Hộ tịch"}
    )
    return ward, office, pref, service, Ticket


def _event(ward, pref, number: int):  # type: ignore[no-untyped-def]
    """One event's outbox rows, written in their own transaction as the services do."""
    from django.db import transaction

    from motcua.core import clock
    from motcua.notifications.models import Kind
    from motcua.notifications.services import _enqueue

    with transaction.atomic():
        return _enqueue(
            kind=Kind.QUEUE_CALLED,
            pref=pref,
            ctx={"so_thu_tu": f"A{number:04d}", "quay": str(number % 9 + 1)},
            unit=ward,
            now=clock.now(),
        )


def _drain(workers: int) -> float:
    from django.db import connection

    from motcua.notifications.services import notifications_send_due

    def run() -> None:
        while notifications_send_due(limit=20):
            pass
        connection.close()

    pool = [threading.Thread(target=run) for _ in range(workers)]
    t0 = time.perf_counter()
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    return time.perf_counter() - t0


def worker(url: str, messages: int, seconds: float, rate: float) -> None:
    _django(url)
    from django.db import connection

    from motcua.notifications.channels import Message, channel_for
    from motcua.notifications.models import Notification, State
    from motcua.notifications.services import notifications_send_due

    doubles = _standins()
    ward, office, pref, service, _ = _setup()
    Notification.objects.filter(unit=ward).delete()

    # 1. Baseline: the adapters straight to the stand-ins.
    channels = {name: channel_for(name) for name in ("sms", "email", "zalo")}
    names = list(channels)
    t0 = time.perf_counter()
    for i in range(messages):
        name = names[i % 3]
        recipient = "thu@example.vn" if name == "email" else "0912345678"
        channels[name].send(
            Message(
                key=f"baseline-{time.time_ns()}-{i}",
                kind="queue_called",
                recipient=recipient,
                text=f"Đến lượt số A{i:04d}: mời đến quầy 3.",
                subject="Số thứ tự",
                params={"so_thu_tu": f"A{i:04d}", "quay": "3"},
            )
        )
    base = time.perf_counter() - t0
    print(f"  baseline, adapters only, 1 thread: {messages / base:.1f} messages/s")

    # 2. Drain a written backlog with 1 and 4 sender threads.
    for workers in (1, 4):
        _reset(doubles)
        Notification.objects.filter(unit=ward).delete()
        for i in range(messages // 3):
            _event(ward, pref, i)
        n = Notification.objects.filter(unit=ward).count()
        wall = _drain(workers)
        requests, delivered = _counts(doubles)
        sent = Notification.objects.filter(unit=ward, state=State.SENT).count()
        print(
            f"  drain, {workers} sender thread(s): {n} rows in {wall:.2f} s = {n / wall:.1f} "
            f"messages/s; stand-in requests {requests}, delivered {delivered}, rows sent {sent}"
            f"{'' if requests == delivered == sent == n else '  MISMATCH'}"
        )

    # 3. Delay from event to sent: events at `rate`/s, 2 senders polling every 100 ms.
    _reset(doubles)
    Notification.objects.filter(unit=ward).delete()
    stop = threading.Event()

    def sender() -> None:
        while not stop.is_set():
            if not notifications_send_due(limit=20):
                time.sleep(0.1)
        while notifications_send_due(limit=20):
            pass
        connection.close()

    pool = [threading.Thread(target=sender) for _ in range(2)]
    for t in pool:
        t.start()
    events = 0
    t0 = time.perf_counter()
    while time.perf_counter() - t0 < seconds:
        _event(ward, pref, events)
        events += 1
        pause = t0 + events / rate - time.perf_counter()
        if pause > 0:
            time.sleep(pause)
    stop.set()
    for t in pool:
        t.join()
    delays = [
        (sent - created).total_seconds() * 1000
        for created, sent in Notification.objects.filter(unit=ward, state=State.SENT).values_list(
            "created_at", "sent_at"
        )
    ]
    requests, delivered = _counts(doubles)
    print(
        f"  delay, {events} events ({events / seconds:.1f}/s, {len(delays)} messages), 2 senders "
        f"polling 100 ms: p50 {_pct(delays, 0.5):.0f} ms, p95 {_pct(delays, 0.95):.0f} ms; "
        f"stand-in requests {requests}, delivered {delivered}"
    )
    connection.close()
    doubles[0].stop()
    doubles[1].stop()
    doubles[2].stop()
    del office, service


def _ensure_pg_db() -> str:
    import psycopg

    with psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (PG_DB,)).fetchone()
        if not exists:
            conn.execute(f"CREATE DATABASE {PG_DB}")
    return f"{PG_SERVER}/{PG_DB}"


def _child(*args: str) -> None:
    subprocess.run([sys.executable, __file__, *args], check=True, cwd=ROOT)


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--only", choices=["sqlite", "postgresql"])
    ap.add_argument("--messages", type=int, default=600, help="messages per drain run")
    ap.add_argument("--seconds", type=float, default=10.0, help="length of the delay run")
    ap.add_argument("--rate", type=float, default=5.0, help="events per second (delay run)")
    ap.add_argument("--worker", action="store_true")
    ap.add_argument("--db")
    args = ap.parse_args()
    common = ["--messages", str(args.messages), "--seconds", str(args.seconds)]
    common += ["--rate", str(args.rate)]
    if args.worker:
        worker(args.db, args.messages, args.seconds, args.rate)
        return
    print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    if args.only in (None, "sqlite"):
        with tempfile.TemporaryDirectory() as tmp:
            print("SQLite (WAL, file):")
            _child("--worker", "--db", f"sqlite:///{tmp}/bench.sqlite3", *common)
    if args.only in (None, "postgresql"):
        print("PostgreSQL:")
        _child("--worker", "--db", _ensure_pg_db(), *common)
    print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
