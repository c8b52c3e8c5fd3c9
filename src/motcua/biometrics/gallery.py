"""1:N face search: a pure exact-cosine search, and the per-office in-memory gallery.

Exact search in numpy (`matrix @ q`, one float32 matrix-vector product, bound by memory
bandwidth) takes ~0.1 ms at 10k and ~3 ms at 100k templates on one core here (bench/README.md),
far below the model's own time, so there is no approximate index to lose recall.
"""

from __future__ import annotations

import os
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np

from motcua.biometrics.engine import EMBEDDING_DIM

# The score given to hidden (expired) rows: below any cosine.
HIDDEN = np.float32(-2.0)

# From this many rows the product is split in two halves computed at once, one in a helper
# thread (numpy releases the GIL in the product; OpenBLAS itself runs one thread, see
# motcua/__init__.py): at 100,000 rows 1.6 → 0.9 ms of wall time on two cores, for ~0.05 ms of
# hand-off. Below it the hand-off costs more than the half it saves (10,000 rows: ~0.15 ms).
# One helper thread per process: searches running at once in threads of one process wait for
# it in turn (the second halves queue), which costs them time, never a wrong score. The halves'
# scores equal the whole product's up to float32 rounding (BLAS may block rows differently).
SPLIT_ROWS = 32_768
_HALF: ThreadPoolExecutor | None = None
_HALF_LOCK = threading.Lock()


def _forget_half_pool() -> None:
    """In a forked child (gunicorn --preload, a task worker): the parent's helper thread does not
    exist there, and a search waiting on it would wait forever; the child starts its own."""
    global _HALF, _HALF_LOCK
    _HALF, _HALF_LOCK = None, threading.Lock()


os.register_at_fork(after_in_child=_forget_half_pool)


def _half_pool() -> ThreadPoolExecutor:
    global _HALF
    if _HALF is None:
        with _HALF_LOCK:
            if _HALF is None:
                _HALF = ThreadPoolExecutor(max_workers=1, thread_name_prefix="face-search")
    return _HALF


def _scores(matrix: np.ndarray, query: np.ndarray) -> np.ndarray:
    """`matrix @ query` as a new array, in two halves at once for a large gallery."""
    n = int(matrix.shape[0])
    if n < SPLIT_ROWS:
        return matrix @ query
    out = np.empty(n, dtype=np.result_type(matrix, query))
    half = n // 2
    second = _half_pool().submit(np.matmul, matrix[half:], query, out=out[half:])
    np.matmul(matrix[:half], query, out=out[:half])
    second.result()
    return out


@dataclass(frozen=True)
class SearchResult:
    status: str  # "match" | "no_match" | "ambiguous"
    best_id: Any  # the citizen id of the best template (None when the gallery is empty)
    best_score: float | None
    second_score: float | None  # best score of any other citizen (None when there is none)
    best_row: int | None = None  # row of the best template in the matrix


def search(
    matrix: np.ndarray,
    ids: np.ndarray,
    query: np.ndarray,
    *,
    threshold: float,
    margin: float,
    valid: np.ndarray | None = None,
) -> SearchResult:
    """Best citizen for a unit query among unit rows; `ids[i]` is the citizen of row i.

    match: best ≥ threshold and best − second ≥ margin, where second is the best score of a
    *different* citizen (several templates of one person never make them ambiguous with
    themselves). ambiguous: best ≥ threshold but another citizen is within the margin — the
    kiosk then asks for the ID card QR or phone. `valid` (bool per row) hides expired rows.
    """
    n = int(matrix.shape[0])
    if n == 0:
        return SearchResult("no_match", None, None, None)
    # One matrix-vector product (memory-bound: it reads the whole matrix once), then two linear
    # scans of the scores: the best row, and the best row of any *other* citizen once the best
    # citizen's own rows are masked. No sort or partition of the score vector.
    scores = _scores(matrix, np.asarray(query, dtype=np.float32))
    if valid is not None:
        scores[~valid] = HIDDEN
    best_row = int(scores.argmax())
    best_score = float(scores[best_row])
    if best_score <= HIDDEN:  # every row hidden
        return SearchResult("no_match", None, None, None)
    best_id = ids[best_row]
    own = np.flatnonzero(ids == best_id)
    second: float | None = None
    if own.size < n:
        scores[own] = -np.inf  # `scores` is this call's own array
        second = float(scores.max())
        if second <= HIDDEN:  # every other citizen's rows hidden
            second = None
    best_id_py = best_id.item() if hasattr(best_id, "item") else best_id
    if best_score < threshold:
        status = "no_match"
    elif second is not None and best_score - second < margin:
        status = "ambiguous"
    else:
        status = "match"
    return SearchResult(status, best_id_py, best_score, second, best_row)


# --- per-office cache -----------------------------------------------------------------------


# (token, version, changes) of an office's GalleryVersion row; ("", 0, 0) when there is none.
Signature = tuple[str, int, int]
NO_ROW: Signature = ("", 0, 0)


@dataclass(frozen=True, eq=False)
class _Snapshot:
    """An immutable view a search works on while writers build the next one."""

    matrix: np.ndarray
    citizen_ids: np.ndarray
    template_ids: np.ndarray
    expires: np.ndarray  # epoch seconds, +inf when the template does not expire
    signature: Signature  # the office's GalleryVersion row when loaded

    @cached_property
    def soonest(self) -> float:
        """The earliest expiry (+inf when none): before it, no row needs hiding."""
        return float(self.expires.min()) if self.expires.size else float("inf")


_SIGNATURE_SQL = "SELECT token, version, changes FROM {table} WHERE office_id = %s"


@dataclass(frozen=True)
class Stamp:
    """What one committed service write did to an office's GalleryVersion row.

    `before`: the row as the previous writer left it (the writer's bump locked the row, so no
    other write came in between); `after`: the row at the writer's commit.
    """

    token: str
    version: int  # the writer's own version
    before: Signature
    after: Signature


class OfficeGallery:
    """All templates of one office and one model in one contiguous float32 matrix.

    Loaded once; this process's own writes are applied incrementally after they commit; and
    before every search one primary-key read of the office's `GalleryVersion` row catches
    changes made by any other process (a second web worker, the purge job) and triggers a
    reload. The row holds:
    - a random `token`: a database recreated or restored repeats versions, never the token;
    - `version`, bumped by every service write (enrol, delete, purge) in its own transaction
      before it writes; the row lock serialises those writers, so versions follow commit order;
    - `changes`, bumped by database triggers (biometrics/triggers.py) on every insert or delete
      of the office's templates and every update of a column held here, whoever wrote it: a
      service, a CASCADE from a deleted citizen, raw SQL. `last_seen_at` is not held and not
      counted, so the check-in's own update never invalidates the cache.
    The row is created before the first load (the triggers update it, never create it), and the
    signature is read before the rows when loading, so a commit landing in between makes the
    snapshot look older than it is (one extra reload), never newer. A missing row reads as
    `NO_ROW`, which no loaded snapshot holds: the next search reloads (and recreates it).
    A match to a citizen deleted meanwhile is also caught by face_identify, which finds no
    citizen, invalidates the gallery and searches again.
    """

    def __init__(self, office_id: int, model_id: str) -> None:
        self.office_id = office_id
        self.model_id = model_id
        self._lock = threading.Lock()
        self._snap: _Snapshot | None = None
        self.loads = 0  # full loads from the database (tests and the benchmark read it)

    def _queryset(self) -> Any:
        from motcua.biometrics.models import FaceTemplate

        return FaceTemplate.objects.filter(office_id=self.office_id, model_id=self.model_id)

    def db_signature(self) -> Signature:
        """(token, version, changes) of the office's GalleryVersion row; NO_ROW when missing.

        Raw SQL on purpose: it runs before every search, and the ORM's query building would
        cost more than the primary-key read itself.
        """
        from django.db import connection

        from motcua.biometrics.models import GalleryVersion

        with connection.cursor() as cur:
            cur.execute(
                _SIGNATURE_SQL.format(table=GalleryVersion._meta.db_table), [self.office_id]
            )
            row = cur.fetchone()
        if row is None:
            return NO_ROW
        return (str(row[0]), int(row[1]), int(row[2]))

    def _ensure_row(self) -> None:
        """Create the office's GalleryVersion row when missing (the triggers only update it)."""
        from django.db import IntegrityError, transaction

        from motcua.biometrics.models import GalleryVersion

        if GalleryVersion.objects.filter(office_id=self.office_id).exists():
            return
        try:
            with transaction.atomic():
                GalleryVersion.objects.create(office_id=self.office_id, version=0)
        except IntegrityError:
            pass  # created by a concurrent writer

    def _load(self) -> _Snapshot:
        self._ensure_row()
        signature = self.db_signature()
        rows = list(
            self._queryset().order_by("id").values_list("id", "citizen_id", "vector", "expires_at")
        )
        n = len(rows)
        matrix = np.empty((n, EMBEDDING_DIM), dtype=np.float32)
        for i, row in enumerate(rows):
            matrix[i] = np.frombuffer(bytes(row[2]), dtype=np.float32)
        self.loads += 1
        return _Snapshot(
            matrix=matrix,
            citizen_ids=np.array([r[1] for r in rows], dtype=np.int64),
            template_ids=np.array([r[0] for r in rows], dtype=np.int64),
            expires=np.array(
                [r[3].timestamp() if r[3] is not None else np.inf for r in rows], dtype=np.float64
            ),
            signature=signature,
        )

    def snapshot(self) -> _Snapshot:
        """The current snapshot, reloaded when the database holds another set of templates."""
        signature = self.db_signature()
        snap = self._snap
        if snap is not None and snap.signature == signature and signature != NO_ROW:
            return snap
        with self._lock:
            snap = self._snap
            if snap is None or snap.signature != signature or signature == NO_ROW:
                snap = self._load()
                self._snap = snap
            return snap

    def search(
        self, query: np.ndarray, *, threshold: float, margin: float, at: float
    ) -> tuple[SearchResult, int | None]:
        """Search at epoch time `at` (expired templates hidden); also returns the template id."""
        snap = self.snapshot()
        valid = snap.expires > at if snap.soonest <= at else None
        result = search(
            snap.matrix, snap.citizen_ids, query, threshold=threshold, margin=margin, valid=valid
        )
        template_id = (
            int(snap.template_ids[result.best_row]) if result.best_row is not None else None
        )
        return result, template_id

    # incremental updates, called after the writing transaction committed

    def _apply(self, stamp: Stamp, build: Any) -> None:
        with self._lock:
            snap = self._snap
            if snap is None:
                return  # not loaded yet: the first search loads it
            held = snap.signature
            if held[0] == stamp.token and held[1] >= stamp.version:
                return  # loaded after this write: already includes it
            if held != stamp.before:
                self._snap = None  # missed another write: reload on the next search
                return
            self._snap = build(snap)

    def add(
        self,
        *,
        stamp: Stamp,
        template_id: int,
        citizen_id: int,
        vector: np.ndarray,
        expires: float,
    ) -> None:
        """Add a template committed by a write that took gallery version `stamp`."""

        def build(snap: _Snapshot) -> _Snapshot:
            # A copy per enrolment (O(N)) keeps snapshots immutable for concurrent readers;
            # enrolments are rare next to searches.
            return _Snapshot(
                matrix=np.vstack(
                    [snap.matrix, np.asarray(vector, dtype=np.float32).reshape(1, -1)]
                ),
                citizen_ids=np.append(snap.citizen_ids, np.int64(citizen_id)),
                template_ids=np.append(snap.template_ids, np.int64(template_id)),
                expires=np.append(snap.expires, expires),
                signature=stamp.after,
            )

        self._apply(stamp, build)

    def remove(self, *, stamp: Stamp, template_ids: set[int]) -> None:
        """Drop templates deleted by a write that took gallery version `stamp`."""

        def build(snap: _Snapshot) -> _Snapshot:
            gone = np.fromiter(template_ids, dtype=np.int64, count=len(template_ids))
            keep = ~np.isin(snap.template_ids, gone)
            kept = snap.template_ids[keep]
            return _Snapshot(
                matrix=np.ascontiguousarray(snap.matrix[keep]),
                citizen_ids=snap.citizen_ids[keep],
                template_ids=kept,
                expires=snap.expires[keep],
                signature=stamp.after,
            )

        self._apply(stamp, build)

    def invalidate(self) -> None:
        with self._lock:
            self._snap = None


_galleries: dict[tuple[int, str], OfficeGallery] = {}
_galleries_lock = threading.Lock()


def office_gallery(office_id: int, model_id: str) -> OfficeGallery:
    """The process-wide gallery of one office for one model."""
    key = (office_id, model_id)
    gallery = _galleries.get(key)
    if gallery is None:
        with _galleries_lock:
            gallery = _galleries.setdefault(key, OfficeGallery(office_id, model_id))
    return gallery


def galleries_clear() -> None:
    """Forget every cached gallery (tests; a process that changed models)."""
    with _galleries_lock:
        _galleries.clear()
