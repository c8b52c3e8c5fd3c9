"""Queue benchmark: kiosk check-in latency with the real face engine, call-next throughput, and
the wait estimate's error replayed over a simulated day.

Run: .venv/bin/python bench/queue.py [--repeat 40] [--sizes 10000,100000,1000000]
Uses a throw-away SQLite database under a temporary MOTCUA_VAR_DIR (or DATABASE_URL if set);
prints figures only.

Check-in: a 640×480 JPEG goes through `kiosk_check_in` (decode → detect → quality → embed →
1:N search of the office gallery → fair-play checks → gapless number → ticket and event rows),
exactly as the API calls it. The gallery holds one real enrolled person plus N random unit
vectors injected into the office's in-memory gallery (the database signature is kept, so the
gallery does not reload). "Bare inference" is detect + embed on the decoded frame, timed in the
same run; overhead ratio = check-in ÷ bare inference.
"""

from __future__ import annotations

import sys

# This file is named like the standard library's `queue`; drop its folder from the import path
# before anything (concurrent.futures, asgiref) imports the real one.
sys.path[:] = [p for p in sys.path if p and __file__.rsplit("/", 1)[0] not in (p, p.rstrip("/"))]

import argparse  # noqa: E402
import os  # noqa: E402
import statistics  # noqa: E402
import tempfile  # noqa: E402
import threading  # noqa: E402
import time  # noqa: E402
from datetime import datetime, timedelta  # noqa: E402
from pathlib import Path  # noqa: E402

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")  # one core, as the target says

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
_tmp = tempfile.mkdtemp(prefix="motcua-bench-queue-")
os.environ.setdefault("MOTCUA_VAR_DIR", _tmp)
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "motcua.settings")
os.environ.setdefault("MOTCUA_DEMO", "1")  # demo staff, plain http
os.environ.setdefault("AXES_ENABLED", "0")

import cv2  # noqa: E402
import django  # noqa: E402
import numpy as np  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402

FACES = ROOT / "tests" / "fixtures" / "faces"


def p95(values: list[float]) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(0.95 * (len(values) - 1))))]


def fmt(values: list[float], cpu: list[float] | None = None) -> str:
    """Wall-clock p50/p95 and, when given, CPU p50/p95 (CPU < wall: the machine was busy elsewhere)."""
    out = f"p50 {statistics.median(values):7.2f} ms   p95 {p95(values):7.2f} ms"
    if cpu:
        out += f"   cpu p50 {statistics.median(cpu):7.2f} ms   cpu p95 {p95(cpu):7.2f} ms"
    return out + f"   (n={len(values)})"


def kiosk_jpeg(path: Path) -> bytes:
    img = cv2.imread(str(path))
    w, h = 640, 480
    scale = min(w / img.shape[1], h / img.shape[0])
    resized = cv2.resize(img, (round(img.shape[1] * scale), round(img.shape[0] * scale)))
    frame = np.full((h, w, 3), 90, np.uint8)
    y0, x0 = (h - resized.shape[0]) // 2, (w - resized.shape[1]) // 2
    frame[y0 : y0 + resized.shape[0], x0 : x0 + resized.shape[1]] = resized
    ok, buf = cv2.imencode(".jpg", frame, [cv2.IMWRITE_JPEG_QUALITY, 90])
    assert ok
    return buf.tobytes()


_offices = 0


def setup_office(n_counters: int = 4):
    from motcua.org.models import Counter, Office, Unit
    from motcua.queueing.models import CounterService, QueueSettings, Service

    global _offices
    _offices += 1
    unit = Unit.objects.create(
        code=f"BENCH{_offices}", name=f"Phường Thử Nghiệm {_offices}", level="ward"
    )
    office = Office.objects.create(
        unit=unit, code=f"bench-{_offices}", name="Bộ phận một cửa thử nghiệm"
    )
    QueueSettings.objects.create(office=office, daily_cap=30000)
    svc = Service.objects.create(office=office, code="A", name="Hộ tịch")
    counters = []
    for i in range(n_counters):
        c = Counter.objects.create(office=office, number=i + 1)
        CounterService.objects.create(counter=c, service=svc)
        counters.append(c)
    return office, svc, counters


def citizen(i: int):
    from motcua.org.models import Citizen

    return Citizen.objects.create(
        id_number=f"0010850{i:05d}", full_name=f"Nguyễn Văn {i}", phone=f"09{i:08d}"
    )


def inject(gallery, n: int, rng: np.random.Generator) -> None:
    """Put n random unit vectors (other people) into the office gallery next to the real rows."""
    from motcua.biometrics.gallery import _Snapshot

    real = gallery.snapshot()
    noise = rng.standard_normal((n, real.matrix.shape[1]), dtype=np.float32)
    noise /= np.linalg.norm(noise, axis=1, keepdims=True)
    gallery._snap = _Snapshot(
        matrix=np.ascontiguousarray(np.vstack([noise, real.matrix])),
        citizen_ids=np.concatenate(
            [np.arange(10_000_000, 10_000_000 + n, dtype=np.int64), real.citizen_ids]
        ),
        template_ids=np.concatenate([np.arange(-n, 0, dtype=np.int64), real.template_ids]),
        expires=np.concatenate([np.full(n, np.inf), real.expires]),
        signature=real.signature,
    )


def bench_check_in(sizes: list[int], repeat: int) -> None:
    from motcua.biometrics import services as bio
    from motcua.biometrics.engine import get_engine
    from motcua.biometrics.gallery import office_gallery
    from motcua.biometrics.imaging import decode_image
    from motcua.queueing.services import kiosk_check_in, ticket_cancel

    office, svc, _ = setup_office()
    person = citizen(1)
    enrol_jpeg = kiosk_jpeg(FACES / "person_a_1.jpg")
    probe_jpeg = kiosk_jpeg(FACES / "person_a_2.jpg")
    engine = get_engine()
    t0 = time.perf_counter()
    probe = bio.face_analyse(image=enrol_jpeg)  # loads the models
    print(
        f"model load + first frame: {(time.perf_counter() - t0) * 1000:.0f} ms   engine {engine.model_id}"
    )
    bio.face_enrol(citizen=person, office=office, probe=probe, scope="remember", device="bench")
    gallery = office_gallery(office.pk, engine.model_id)

    bare, decode, bare_cpu = [], [], []
    for _ in range(repeat):
        s = time.perf_counter()
        arr = decode_image(probe_jpeg)
        m, mc = time.perf_counter(), time.process_time()
        faces = engine.detect(arr)
        engine.embed(arr, faces[0])
        e, ec = time.perf_counter(), time.process_time()
        decode.append((m - s) * 1000)
        bare.append((e - m) * 1000)
        bare_cpu.append((ec - mc) * 1000)
    print(f"bare inference (detect+embed):  {fmt(bare, bare_cpu)}")
    print(f"JPEG decode:                    {fmt(decode)}")
    rng = np.random.default_rng(7)
    bare_p50 = statistics.median(bare)
    bare_cpu_p50 = statistics.median(bare_cpu)
    for n in sizes:
        inject(gallery, n, rng)
        lat: list[float] = []
        lat_cpu: list[float] = []
        statuses = set()
        for i in range(repeat + 2):
            s, sc = time.perf_counter(), time.process_time()
            result = kiosk_check_in(office=office, service=svc, image=probe_jpeg, device="bench")
            took = (time.perf_counter() - s) * 1000
            took_cpu = (time.process_time() - sc) * 1000
            statuses.add((result.ticket.citizen_id == person.pk, result.reused))
            ticket_cancel(
                ticket=result.ticket, reason="bench"
            )  # not timed: next check-in issues a new ticket
            if i >= 2:  # first two warm the new gallery
                lat.append(took)
                lat_cpu.append(took_cpu)
        size = gallery.snapshot().matrix.shape[0]
        ok = statuses == {(True, False)}
        print(
            f"check-in, gallery {size:>9,}: {fmt(lat, lat_cpu)}   overhead ×{statistics.median(lat) / bare_p50:.2f} wall,"
            f" ×{statistics.median(lat_cpu) / bare_cpu_p50:.2f} cpu of bare p50"
            f"   {'matched, new ticket each time' if ok else statuses}"
        )
        gallery._snap = None  # drop the injected rows before the next size


def bench_call_next(n_tickets: int = 600, threads: int = 8) -> None:
    from django.db import connection

    from motcua.queueing.models import Method, Status, Ticket
    from motcua.queueing.services import ticket_call_next, ticket_finish, ticket_issue

    office, svc, counters = setup_office(n_counters=threads)
    # Issuing rate first (also fills the line).
    s, sc = time.perf_counter(), time.process_time()
    for _ in range(n_tickets):
        ticket_issue(office=office, service=svc, citizen=None, method=Method.STAFF)
    issued, issued_cpu = time.perf_counter() - s, time.process_time() - sc
    print(
        f"ticket_issue: {n_tickets / issued:7.0f} tickets/s wall, {n_tickets / issued_cpu:7.0f} /s cpu (one thread, {connection.vendor})"
    )

    half = n_tickets // 2
    s, sc = time.perf_counter(), time.process_time()
    c = counters[0]
    for _ in range(half):
        t = ticket_call_next(counter=c)
        ticket_finish(ticket=t)
    one, one_cpu = time.perf_counter() - s, time.process_time() - sc
    print(
        f"call-next + finish, one counter: {half / one:7.0f} calls/s wall, {half / one_cpu:7.0f} calls/s cpu"
        f"   ({one / half * 1000:.2f} ms wall, {one_cpu / half * 1000:.2f} ms cpu per call+finish)"
    )

    got: list[int] = []
    lock = threading.Lock()
    barrier = threading.Barrier(threads)

    def worker(counter):
        barrier.wait()
        mine = []
        while True:
            t = ticket_call_next(counter=counter)
            if t is None:
                break
            mine.append(t.pk)
            ticket_finish(ticket=t)
        with lock:
            got.extend(mine)
        connection.close()

    ths = [threading.Thread(target=worker, args=(c,)) for c in counters]
    s = time.perf_counter()
    for th in ths:
        th.start()
    for th in ths:
        th.join()
    many = time.perf_counter() - s
    dupes = len(got) - len(set(got))
    left = Ticket.objects.filter(office=office, status=Status.WAITING).count()
    print(
        f"call-next + finish, {threads} counters in parallel: {len(got) / many:7.0f} calls/s   "
        f"duplicates {dupes}, left waiting {left}, called {len(got)} of {n_tickets - half}"
    )


def bench_wait_estimate(days_history: int = 3, visits: int = 150) -> None:
    import random

    from motcua.core import clock
    from motcua.queueing import demo, selectors, services
    from motcua.queueing.models import Status, Ticket

    office, _svc, _ = setup_office(n_counters=0)
    from motcua.org.models import Counter

    for i, name in enumerate(
        ["Tư pháp – Hộ tịch", "Chứng thực", "Đất đai – Xây dựng", "Văn hóa – Xã hội – Kinh tế"],
        start=1,
    ):
        Counter.objects.create(office=office, number=i, name=name)
    demo.seed_queue(office=office)
    rng = random.Random(11)
    citizen_ids = [citizen(5000 + i).pk for i in range(400)]
    day0 = datetime(2026, 11, 2, tzinfo=clock.VN_TZ).date()  # a Monday
    for d in range(days_history):
        demo.simulate_day(
            office=office,
            day=day0 + timedelta(days=d),
            visits=visits,
            rng=rng,
            citizen_ids=citizen_ids,
            officers=[],
        )
    replay = day0 + timedelta(days=7)
    estimates: dict[int, tuple[int, int]] = {}
    real_issue = services.ticket_issue

    def recording_issue(**kw):
        result = real_issue(**kw)
        if not result.reused:
            view = selectors.ticket_view(result.ticket)
            ahead = view["people_ahead"]
            simple = (
                ahead
                * selectors.median_service_seconds(service=result.ticket.service, office=office)
                / (selectors.service_capacity(service=result.ticket.service) or 1.0)
            )
            estimates[result.ticket.pk] = (view["estimated_wait_s"], ahead, simple)
        return result

    services.ticket_issue = recording_issue
    try:
        demo.simulate_day(
            office=office,
            day=replay,
            visits=visits + 30,
            rng=rng,
            citizen_ids=citizen_ids,
            officers=[],
        )
    finally:
        services.ticket_issue = real_issue
    rows = Ticket.objects.filter(pk__in=estimates, called_at__isnull=False).values_list(
        "pk", "waiting_since", "called_at", "service_id"
    )
    errs, base_errs, simple_errs, actual = [], [], [], []
    default = 420.0
    from motcua.queueing.models import Service

    for pk, since, called, service_id in rows:
        real = (called - since).total_seconds()
        est, ahead, simple = estimates[pk]
        cap = selectors.service_capacity(service=Service.objects.get(pk=service_id)) or 1.0
        errs.append(est - real)
        simple_errs.append(simple - real)
        base_errs.append(ahead * default / cap - real)
        actual.append(real)
    abs_e = [abs(e) for e in errs]
    abs_s = [abs(e) for e in simple_errs]
    abs_b = [abs(e) for e in base_errs]
    print(
        f"wait estimate over a replayed day ({len(errs)} tickets called; actual wait median {statistics.median(actual) / 60:.1f} min, "
        f"p95 {p95(actual) / 60:.1f} min):\n"
        f"  motcua estimate (trimmed-mean rate + turnaround, free counters): MAE {statistics.mean(abs_e) / 60:5.1f} min, median |err| {statistics.median(abs_e) / 60:5.1f} min, "
        f"p95 |err| {p95(abs_e) / 60:5.1f} min, bias {statistics.mean(errs) / 60:+5.1f} min\n"
        f"  ahead × median ÷ counters (no free-counter/residual terms): MAE {statistics.mean(abs_s) / 60:5.1f} min, "
        f"median |err| {statistics.median(abs_s) / 60:5.1f} min, p95 |err| {p95(abs_s) / 60:5.1f} min, bias {statistics.mean(simple_errs) / 60:+5.1f} min\n"
        f"  constant 7 min/person:  MAE {statistics.mean(abs_b) / 60:5.1f} min, median |err| {statistics.median(abs_b) / 60:5.1f} min, "
        f"p95 |err| {p95(abs_b) / 60:5.1f} min, bias {statistics.mean(base_errs) / 60:+5.1f} min"
    )
    done = Ticket.objects.filter(office=office, service_date=replay, status=Status.DONE).count()
    print(f"  (replayed day: {len(estimates)} tickets issued, {done} served)")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=40)
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument("--skip", default="", help="comma list of: checkin,callnext,wait")
    args = parser.parse_args()
    skip = set(filter(None, args.skip.split(",")))
    call_command("migrate", verbosity=0)
    from django.db import connection

    print(f"database: {connection.vendor}   var dir: {os.environ['MOTCUA_VAR_DIR']}")
    if "checkin" not in skip:
        bench_check_in([int(x) for x in args.sizes.split(",") if x], args.repeat)
    if "callnext" not in skip:
        bench_call_next()
    if "wait" not in skip:
        bench_wait_estimate()


if __name__ == "__main__":
    main()
