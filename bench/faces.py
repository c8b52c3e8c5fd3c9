"""Face pipeline timings: model load, detect, embed, and 1:N gallery search at 10k/100k/1M.

Run: .venv/bin/python bench/faces.py [--repeat 50] [--sizes 10000,100000,1000000]
Prints figures only (no asserts); bench/queue.py builds the end-to-end check-in numbers on top.
Images: the licensed test photos in tests/fixtures/faces, letterboxed to a 640×480 kiosk frame.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

# bench/queue.py would shadow the standard library's `queue` (imported by concurrent.futures,
# hence by Django): this folder is not an import root.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]

# One core, as the target says: BLAS threads are fixed before numpy loads (override with env).
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import cv2  # noqa: E402
import numpy as np  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from motcua.biometrics.engine import OpenCVFaceEngine  # noqa: E402
from motcua.biometrics.gallery import search  # noqa: E402

FACES = ROOT / "tests" / "fixtures" / "faces"


def kiosk_frame(img: np.ndarray, size: tuple[int, int] = (640, 480)) -> np.ndarray:
    """The photo scaled into a 640×480 frame, as a webcam would deliver it."""
    w, h = size
    scale = min(w / img.shape[1], h / img.shape[0])
    resized = cv2.resize(img, (round(img.shape[1] * scale), round(img.shape[0] * scale)))
    frame = np.full((h, w, 3), 90, np.uint8)
    y0, x0 = (h - resized.shape[0]) // 2, (w - resized.shape[1]) // 2
    frame[y0 : y0 + resized.shape[0], x0 : x0 + resized.shape[1]] = resized
    return frame


def p95(values: list[float]) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(0.95 * (len(values) - 1))))]


def stats(samples: list[tuple[float, float]]) -> str:
    """Wall-clock median/p95, and CPU median (CPU < wall means the machine was busy elsewhere)."""
    wall = [w for w, _ in samples]
    cpu = [c for _, c in samples]
    return (
        f"median {statistics.median(wall):7.2f} ms   p95 {p95(wall):7.2f} ms   "
        f"cpu median {statistics.median(cpu):7.2f} ms   (n={len(samples)})"
    )


def timed(fn, repeat: int) -> list[tuple[float, float]]:
    out = []
    for _ in range(repeat):
        t, c = time.perf_counter(), time.process_time()
        fn()
        out.append(((time.perf_counter() - t) * 1000, (time.process_time() - c) * 1000))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=50)
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument("--threads", type=int, default=1, help="cv2.setNumThreads (1 = one core)")
    parser.add_argument(
        "--db",
        type=int,
        default=0,
        help="also time OfficeGallery (DB freshness check + search) with this many templates "
        "in a throw-away SQLite database (or DATABASE_URL)",
    )
    args = parser.parse_args()
    cv2.setNumThreads(args.threads)
    print(
        f"opencv {cv2.__version__}, numpy {np.__version__}, cpus {os.cpu_count()}, cv2 threads {args.threads}"
    )
    print(f"load average at start: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")

    t = time.perf_counter()
    engine = OpenCVFaceEngine()
    print(f"model load (SHA-256 check + YuNet + SFace): {(time.perf_counter() - t) * 1000:.0f} ms")
    print(f"model id: {engine.model_id}")

    frames = [kiosk_frame(cv2.imread(str(p))) for p in sorted(FACES.glob("*.jpg"))]
    t = time.perf_counter()
    first_faces = engine.detect(frames[0])
    engine.embed(frames[0], first_faces[0])
    print(f"first detect+embed in the process: {(time.perf_counter() - t) * 1000:.1f} ms")

    per = max(args.repeat // len(frames), 1)
    detect_ms: list[tuple[float, float]] = []
    embed_ms: list[tuple[float, float]] = []
    for frame in frames:
        faces = engine.detect(frame)
        face = max(faces, key=lambda f: f.area)
        detect_ms += timed(lambda fr=frame: engine.detect(fr), per)
        embed_ms += timed(lambda fr=frame, fc=face: engine.embed(fr, fc), per)
    print(f"detect 640×480:      {stats(detect_ms)}")
    print(f"align+embed:         {stats(embed_ms)}")

    rng = np.random.default_rng(0)
    for n in [int(s) for s in args.sizes.split(",") if s]:
        t = time.perf_counter()
        matrix = rng.standard_normal((n, 128), dtype=np.float32)
        matrix /= np.linalg.norm(matrix, axis=1, keepdims=True)
        # Three templates per citizen on average, like a gallery of returning visitors.
        ids = rng.integers(0, max(n // 3, 1), size=n)
        build_s = time.perf_counter() - t
        queries = [matrix[rng.integers(0, n)] for _ in range(args.repeat)]
        it = iter(queries)
        ms = timed(
            lambda m=matrix, i=ids: search(m, i, next(it), threshold=0.42, margin=0.08), args.repeat
        )
        mib = matrix.nbytes / 2**20
        print(f"search {n:>9,} templates ({mib:6.0f} MiB, built {build_s:.1f} s): {stats(ms)}")
        del matrix, ids

    if args.db:
        bench_office_gallery(args.db, args.repeat)


def bench_office_gallery(n: int, repeat: int) -> None:
    """The cached per-office gallery as face_identify uses it: freshness check + exact search."""
    import tempfile

    os.environ.setdefault("MOTCUA_VAR_DIR", tempfile.mkdtemp(prefix="motcua-bench-"))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "motcua.settings")
    os.environ.setdefault("MOTCUA_DEMO", "1")  # demo staff, plain http
    import django

    django.setup()
    from django.core.management import call_command

    from motcua.biometrics.gallery import OfficeGallery
    from motcua.biometrics.models import FaceTemplate
    from motcua.core import clock
    from motcua.org.models import Citizen, Office, Unit

    call_command("migrate", verbosity=0)
    unit, _ = Unit.objects.get_or_create(code="BENCH", defaults={"name": "Bench", "level": "ward"})
    office, _ = Office.objects.get_or_create(
        code="bench-office", defaults={"unit": unit, "name": "Bench"}
    )
    FaceTemplate.objects.filter(office=office).delete()
    people = max(n // 3, 1)
    existing = Citizen.objects.filter(id_number__startswith="9").count()
    Citizen.objects.bulk_create(
        [Citizen(id_number=f"9{i:011d}", full_name=f"Bench {i}") for i in range(existing, people)],
        batch_size=5000,
    )
    citizen_ids = list(
        Citizen.objects.filter(id_number__startswith="9").values_list("id", flat=True)
    )
    rng = np.random.default_rng(1)
    now = clock.now()
    t = time.perf_counter()
    for start in range(0, n, 10_000):
        m = rng.standard_normal((min(10_000, n - start), 128), dtype=np.float32)
        m /= np.linalg.norm(m, axis=1, keepdims=True)
        FaceTemplate.objects.bulk_create(
            [
                FaceTemplate(
                    citizen_id=citizen_ids[(start + i) % len(citizen_ids)],
                    office=office,
                    model_id="bench",
                    vector=FaceTemplate.pack(v),
                    scope="remember",
                    created_at=now,
                    last_seen_at=now,
                )
                for i, v in enumerate(m)
            ],
            batch_size=2000,
        )
    print(f"\nOfficeGallery, {n:,} templates in {os.environ.get('DATABASE_URL', 'SQLite')}:")
    print(f"  insert: {time.perf_counter() - t:.1f} s")
    gallery = OfficeGallery(office.pk, "bench")
    t = time.perf_counter()
    gallery.snapshot()
    print(f"  first load from the database: {(time.perf_counter() - t) * 1000:.0f} ms")
    q = rng.standard_normal(128).astype(np.float32)
    q /= np.linalg.norm(q)
    print(
        "  check before each search (one primary-key read): "
        + stats(timed(gallery.db_signature, repeat))
    )
    at = now.timestamp()
    print(
        "  check + search (as face_identify does):          "
        + stats(timed(lambda: gallery.search(q, threshold=0.42, margin=0.08, at=at), repeat))
    )


if __name__ == "__main__":
    main()
