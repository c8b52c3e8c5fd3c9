"""Face check-in over HTTP at a large gallery, against the bare model time measured in the same run.

    .venv/bin/python bench/faces_http.py                      # 100,000 templates, 30 check-ins
    .venv/bin/python bench/faces_http.py --templates 10000 --repeat 20

1. SQLite database `var/bench_faces_http.sqlite3` (recreated): one office, one service, one
   counter and an official with an API token; one citizen enrolled with the real engine from
   the licensed test photo `tests/fixtures/faces/person_a_1.jpg`; `--templates` random unit
   vectors stored as FaceTemplate rows of 1,000 made-up citizens (what the office's gallery
   loads).
2. Bare model time: detect + embed of the probe frame (`person_a_2.jpg`, 640×480), in this
   process, `--repeat` times: one sample right before each timed check-in of step 3, so that
   both see the same load on a shared machine.
3. `uvicorn motcua.asgi:application` with one worker (bench/_server.py). Two warm-up
   check-ins (the first loads the models and the gallery), then `--repeat` check-ins one after
   another: `POST /api/v1/kiosk/check-in`, multipart `image` + office + service, each answered
   201 with a new ticket of the enrolled citizen (between two, the counter calls and finishes
   it over the API; not timed).

Prints p50/p95 of the HTTP check-in (client wall time, one new connection each), the server's
CPU per check-in, the bare model time and the ratios. The server and this client share the
machine's cores: the load average is printed beside the figures.

`--pause S` waits S seconds (not timed) before each check-in, as at a real kiosk where people
come seconds apart (caches that expire after a few seconds then show their cost).

4. Where the time goes (`--stages`, on by default): after the HTTP run, this process (same
   database, same gallery size) times each step of a face check-in `--repeat` times, in CPU
   milliseconds (p50): the multipart parsing, the JPEG decode, detect, quality, embed, the
   gallery's freshness check, the 1:N search, face_identify as a whole (freshness check, search,
   "last seen" update and access-log row) and the whole `kiosk_check_in` (the rest is the
   ticket).
"""

from __future__ import annotations

import _db  # first: it takes bench/ off the import path (bench/queue.py shadows queue)

# isort: split
import argparse
import http.client
import json
import os
import statistics
import time
import uuid
from pathlib import Path

ROOT = _db.ROOT
SQLITE = ROOT / "var" / "bench_faces_http.sqlite3"
FACES = ROOT / "tests" / "fixtures" / "faces"
PORT = int(os.environ.get("BENCH_PORT", "8767"))


def p95(values: list[float]) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, int(round(0.95 * (len(s) - 1))))]


def kiosk_jpeg(path: Path) -> bytes:
    import cv2
    import numpy as np

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


def setup(templates: int) -> dict[str, str]:
    import numpy as np
    from django.utils import timezone

    from motcua.biometrics import services as bio
    from motcua.biometrics.engine import get_engine
    from motcua.biometrics.models import FaceTemplate
    from motcua.core.services import api_token_issue
    from motcua.org.models import Citizen, Counter, Office, Role, StaffRole, Unit, User
    from motcua.queueing.models import CounterService, QueueSettings, Service

    unit = Unit.objects.create(code="FH1", name="Phường Thử Khuôn Mặt", level="ward")
    office = Office.objects.create(unit=unit, code="fhttp", name="Bộ phận một cửa thử")
    QueueSettings.objects.create(office=office, daily_cap=100_000)
    svc = Service.objects.create(office=office, code="A", name="Hộ tịch")
    counter = Counter.objects.create(office=office, number=1)
    CounterService.objects.create(counter=counter, service=svc)
    user = User.objects.create(username="fhttp", full_name="Cán bộ thử")
    StaffRole.objects.create(user=user, unit=unit, role=Role.RECEPTION)
    person = Citizen.objects.create(id_number="001085000001", full_name="Nguyễn Văn Một")
    probe = bio.face_analyse(image=kiosk_jpeg(FACES / "person_a_1.jpg"))
    bio.face_enrol(citizen=person, office=office, probe=probe, scope="remember", device="bench")
    others = Citizen.objects.bulk_create(
        Citizen(id_number=f"0010860{i:05d}", full_name=f"Trần Văn {i}") for i in range(1000)
    )
    rng = np.random.default_rng(7)
    now = timezone.now()
    model_id = get_engine().model_id
    batch = []
    for i in range(templates):
        v = rng.standard_normal(128).astype(np.float32)
        v /= np.linalg.norm(v)
        batch.append(
            FaceTemplate(
                citizen=others[i % len(others)],
                office=office,
                model_id=model_id,
                vector=FaceTemplate.pack(v),
                scope="remember",
                created_at=now,
                last_seen_at=now,
            )
        )
        if len(batch) == 5000:
            FaceTemplate.objects.bulk_create(batch)
            batch = []
    FaceTemplate.objects.bulk_create(batch)
    return {"office": office.code, "counter": str(counter.pk), "token": api_token_issue(user=user)}


def bare_model_ms(repeat: int) -> tuple[list[float], list[float]]:
    """Wall and CPU milliseconds of detect + embed (of the probe frame, 640×480)."""
    from motcua.biometrics.engine import get_engine
    from motcua.biometrics.imaging import decode_image

    engine = get_engine()
    arr = decode_image(kiosk_jpeg(FACES / "person_a_2.jpg"))
    wall, cpu = [], []
    for _ in range(repeat):
        t0, c0 = time.perf_counter(), time.process_time()
        faces = engine.detect(arr)
        engine.embed(arr, faces[0])
        wall.append((time.perf_counter() - t0) * 1000)
        cpu.append((time.process_time() - c0) * 1000)
    return wall, cpu


def _post(path: str, body: bytes, headers: dict[str, str]) -> tuple[int, dict, float]:
    t0 = time.perf_counter()
    conn = http.client.HTTPConnection("127.0.0.1", PORT, timeout=120)
    try:
        conn.request("POST", path, body=body, headers=headers)
        r = conn.getresponse()
        raw = r.read()
    finally:
        conn.close()
    took = (time.perf_counter() - t0) * 1000
    return r.status, (json.loads(raw) if raw else {}), took


def multipart(fields: dict[str, str], image: bytes) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    parts = []
    for k, v in fields.items():
        parts.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode()
        )
    parts.append(
        f'--{boundary}\r\nContent-Disposition: form-data; name="image"; filename="f.jpg"\r\n'
        f"Content-Type: image/jpeg\r\n\r\n".encode()
        + image
        + b"\r\n"
    )
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


def main() -> None:
    global PORT
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--templates", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--pause", type=float, default=0.0, help="seconds before each check-in")
    parser.add_argument("--no-stages", dest="stages", action="store_false")
    parser.add_argument("--port", type=int, default=PORT, help="server port (env BENCH_PORT)")
    args = parser.parse_args()
    PORT = args.port
    for suffix in ("", "-wal", "-shm"):
        Path(f"{SQLITE}{suffix}").unlink(missing_ok=True)
    env = {
        **_db.environ(f"sqlite:///{SQLITE}"),  # demo mode: the bench's own database only
        "KIOSK_CHECK_IN_PER_MINUTE": "1000000000",
        "KIOSK_IDENTIFY_PER_MINUTE": "1000000000",
    }
    os.environ.update(env)
    _db.django_setup(f"sqlite:///{SQLITE}")
    t0 = time.perf_counter()
    ids = setup(args.templates)
    print(f"setup: {args.templates:,} templates in {time.perf_counter() - t0:.0f} s")
    bare_model_ms(2)  # warm-up
    from motcua.biometrics.engine import get_engine

    print(f"engine {get_engine().model_id}")
    Server = _db.load("_bench_server", "_server.py").Server
    image = kiosk_jpeg(FACES / "person_a_2.jpg")
    body, ctype = multipart({"office": ids["office"], "service": "A"}, image)
    auth = {"Authorization": f"Bearer {ids['token']}", "Content-Type": "application/json"}
    lat: list[float] = []
    bare: list[float] = []
    bare_cpu: list[float] = []
    with Server(env=env, port=PORT, workers=1) as server:
        cpu_total = 0.0
        for i in range(args.repeat + 2):
            if args.pause and i >= 2:
                time.sleep(args.pause)
            if i >= 2:  # one bare-model sample right before each check-in: the same load
                w, c = bare_model_ms(1)
                bare += w
                bare_cpu += c
            cpu0 = server.cpu_seconds()
            status, answer, took = _post("/api/v1/kiosk/check-in", body, {"Content-Type": ctype})
            cpu = server.cpu_seconds() - cpu0
            if status != 201:
                raise SystemExit(f"check-in answered {status}: {answer}")
            if i >= 2:
                lat.append(took)
                cpu_total += cpu
            for action in ("call-next", "tickets/current/finish"):
                s, a, _ = _post(f"/api/v1/counters/{ids['counter']}/{action}", b"{}", auth)
                if s != 200:
                    raise SystemExit(f"{action} answered {s}: {a}")
    load = " ".join(Path("/proc/loadavg").read_text().split()[:3])
    bare_p50 = statistics.median(bare)
    http_p50 = statistics.median(lat)
    print(
        f"load average {load}; {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}\n"
        f"| measure | p50 ms | p95 ms |\n|---|---:|---:|\n"
        f"| bare model (detect + embed, in process) | {bare_p50:.1f} | {p95(bare):.1f} |\n"
        f"| face check-in over HTTP, {args.templates:,} templates | {http_p50:.1f} | {p95(lat):.1f} |\n"
        f"wall: HTTP / bare (p50) ×{http_p50 / bare_p50:.2f}\n"
        f"CPU: server per check-in {cpu_total / len(lat) * 1000:.0f} ms (mean), bare model "
        f"{statistics.median(bare_cpu):.0f} ms (p50): ×{cpu_total / len(lat) * 1000 / statistics.median(bare_cpu):.2f}; "
        f"bare mean {statistics.mean(bare_cpu):.0f} ms: "
        f"×{cpu_total / len(lat) * 1000 / statistics.mean(bare_cpu):.2f} (mean ÷ mean)"
    )
    if args.stages:
        stages(ids, image, body, ctype, args.repeat)


def stages(ids: dict[str, str], image: bytes, body: bytes, ctype: str, repeat: int) -> None:
    """CPU milliseconds (p50) of each step of a face check-in, in this process."""
    from django.test import RequestFactory

    from motcua.biometrics import quality
    from motcua.biometrics import services as bio
    from motcua.biometrics.engine import get_engine
    from motcua.biometrics.gallery import office_gallery
    from motcua.biometrics.imaging import decode_image
    from motcua.org.models import Office
    from motcua.queueing.api import _check_in_input
    from motcua.queueing.models import Service, Ticket
    from motcua.queueing.services import kiosk_check_in, ticket_cancel

    office = Office.objects.get(code=ids["office"])
    service = Service.objects.get(office=office, code="A")
    engine = get_engine()
    arr = decode_image(image)
    faces = engine.detect(arr)
    verdict = quality.assess(arr, faces)
    probe = bio.face_analyse(image=image)
    gallery = office_gallery(office.pk, probe.model_id)
    snap = gallery.snapshot()
    rf = RequestFactory()
    issued: list[Ticket] = []

    def check_in() -> None:  # the HTTP run finished its last ticket: each one is new
        result = kiosk_check_in(office=office, service=service, image=image, device="bench")
        assert not result.reused
        issued.append(result.ticket)

    def cancel() -> None:  # not timed
        while issued:
            ticket_cancel(ticket=issued.pop(), reason="bench")

    steps = [
        ("multipart parsing (Django)", lambda: _check_in_input(rf.post("/", body, ctype))),
        ("JPEG decode", lambda: decode_image(image)),
        ("detect", lambda: engine.detect(arr)),
        ("quality checks", lambda: quality.assess(arr, faces)),
        ("embed", lambda: engine.embed(arr, verdict.face)),
        ("gallery freshness check", gallery.snapshot),
        (
            f"1:N search ({snap.matrix.shape[0]:,} templates)",
            lambda: gallery.search(probe.embedding, threshold=0.42, margin=0.08, at=time.time()),
        ),
        (
            "face_identify (check, search, writes)",
            lambda: bio.face_identify(office=office, probe=probe, device="bench"),
        ),
        ("kiosk_check_in, whole (in process)", check_in),
    ]
    print("| step (in process) | CPU p50 ms | wall p50 ms |\n|---|---:|---:|")
    for name, fn in steps:
        fn()
        cancel()
        cpu, wall = [], []
        for _ in range(repeat):
            t0, c0 = time.perf_counter(), time.process_time()
            fn()
            cpu.append((time.process_time() - c0) * 1000)
            wall.append((time.perf_counter() - t0) * 1000)
            cancel()
        print(f"| {name} | {statistics.median(cpu):.2f} | {statistics.median(wall):.2f} |")
    # In process, check-in against the bare model sampled right before each one (same load).
    bare_cpu: list[float] = []
    bare_wall: list[float] = []
    pair_cpu: list[float] = []
    pair_wall: list[float] = []
    for _ in range(repeat):
        w, c = bare_model_ms(1)
        bare_wall += w
        bare_cpu += c
        t0, c0 = time.perf_counter(), time.process_time()
        check_in()
        pair_cpu.append((time.process_time() - c0) * 1000)
        pair_wall.append((time.perf_counter() - t0) * 1000)
        cancel()
    for what, k, b in (
        ("CPU", statistics.median(pair_cpu), statistics.median(bare_cpu)),
        ("wall", statistics.median(pair_wall), statistics.median(bare_wall)),
    ):
        print(
            f"in process, interleaved: kiosk_check_in {k:.1f} ms ÷ bare model {b:.1f} ms = ×{k / b:.2f} ({what} p50)"
        )


if __name__ == "__main__":
    main()
