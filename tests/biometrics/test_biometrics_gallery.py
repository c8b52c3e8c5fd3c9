"""Pure 1:N search: threshold, margin between different citizens, expiry mask."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from motcua.biometrics.gallery import search


def unit(v):
    v = np.asarray(v, dtype=np.float32)
    return v / np.linalg.norm(v)


def random_units(n, seed=0):
    rng = np.random.default_rng(seed)
    m = rng.standard_normal((n, 128)).astype(np.float32)
    return m / np.linalg.norm(m, axis=1, keepdims=True)


def near(v, cos, seed=1):
    """A unit vector at exactly cosine `cos` from unit v."""
    rng = np.random.default_rng(seed)
    r = rng.standard_normal(128).astype(np.float32)
    r -= (r @ v) * v
    r /= np.linalg.norm(r)
    return unit(cos * v + np.sqrt(1 - cos**2) * r)


def test_empty_gallery_is_no_match():
    r = search(
        np.empty((0, 128), np.float32),
        np.empty(0, np.int64),
        unit(np.ones(128)),
        threshold=0.4,
        margin=0.1,
    )
    assert (r.status, r.best_id, r.best_score, r.second_score) == ("no_match", None, None, None)


def test_clear_winner_matches_and_scores_are_cosines():
    m = random_units(1000)
    ids = np.arange(1000) + 10
    q = near(m[500], 0.8)
    r = search(m, ids, q, threshold=0.42, margin=0.08)
    assert r.status == "match"
    assert r.best_id == 510
    assert r.best_score == pytest.approx(0.8, abs=1e-4)
    assert r.second_score < 0.5


def test_below_threshold_is_no_match_even_when_alone():
    m = random_units(10)
    r = search(m, np.arange(10), near(m[3], 0.35), threshold=0.42, margin=0.08)
    assert r.status == "no_match"
    assert r.best_id == 3  # still reported for the log


def test_two_citizens_within_margin_are_ambiguous():
    base = random_units(1)[0]
    m = np.stack([near(base, 0.9, seed=2), near(base, 0.86, seed=3), *random_units(50, seed=9)])
    ids = np.array([1, 2, *range(100, 150)])
    r = search(m, ids, base, threshold=0.42, margin=0.08)
    assert r.status == "ambiguous"
    assert r.best_id == 1
    assert r.best_score - r.second_score < 0.08


def test_several_templates_of_one_citizen_never_make_them_ambiguous():
    base = random_units(1)[0]
    # 20 templates of citizen 7 (the best 20 rows), then other people far away.
    own = [near(base, 0.9 - i * 0.001, seed=i + 20) for i in range(20)]
    m = np.stack([*own, *random_units(200, seed=5)])
    ids = np.array([7] * len(own) + list(range(1000, 1200)))
    r = search(m, ids, base, threshold=0.42, margin=0.08)
    assert r.status == "match"
    assert r.best_id == 7
    assert r.second_score < 0.5  # the second *different* citizen, not citizen 7 again


def test_only_one_citizen_in_gallery_has_no_second_score():
    base = random_units(1)[0]
    m = np.stack([near(base, 0.9, seed=1), near(base, 0.88, seed=2)])
    r = search(m, np.array([4, 4]), base, threshold=0.42, margin=0.08)
    assert r.status == "match"
    assert r.second_score is None


def test_invalid_rows_are_hidden():
    base = random_units(1)[0]
    m = np.stack([near(base, 0.95, seed=1), near(base, 0.7, seed=2)])
    ids = np.array([1, 2])
    r = search(m, ids, base, threshold=0.42, margin=0.08, valid=np.array([False, True]))
    assert (r.status, r.best_id) == ("match", 2)
    r = search(m, ids, base, threshold=0.42, margin=0.08, valid=np.array([False, False]))
    assert r.status == "no_match"
    assert r.best_id is None


@settings(max_examples=40, deadline=None)
@given(
    n=st.integers(min_value=1, max_value=300),
    people=st.integers(min_value=1, max_value=40),
    seed=st.integers(0, 10_000),
)
def test_matches_brute_force(n, people, seed):
    rng = np.random.default_rng(seed)
    m = random_units(n, seed=seed)
    ids = rng.integers(0, people, size=n)
    q = random_units(1, seed=seed + 1)[0]
    r = search(m, ids, q, threshold=0.0, margin=0.05)
    scores = m @ q
    best = int(np.argmax(scores))
    assert r.best_score == pytest.approx(float(scores[best]), abs=1e-6)
    assert r.best_id == ids[best] or np.isclose(scores[ids == r.best_id].max(), scores[best])
    others = scores[ids != r.best_id]
    expected_second = float(others.max()) if others.size else None
    if expected_second is None:
        assert r.second_score is None
    else:
        assert r.second_score == pytest.approx(expected_second, abs=1e-6)


@settings(max_examples=40, deadline=None)
@given(
    n=st.integers(min_value=1, max_value=300),
    people=st.integers(min_value=1, max_value=40),
    hidden=st.floats(min_value=0.0, max_value=1.0),
    seed=st.integers(0, 10_000),
)
def test_matches_brute_force_with_hidden_rows(n, people, hidden, seed):
    """Row, citizen, both scores and the decision are those of a brute-force search over the
    visible rows (hidden rows never count, as best or as second)."""
    rng = np.random.default_rng(seed)
    m = random_units(n, seed=seed)
    ids = rng.integers(0, people, size=n)
    valid = rng.random(n) >= hidden
    q = near(m[int(rng.integers(0, n))], 0.6, seed=seed + 1)
    r = search(m, ids, q, threshold=0.42, margin=0.08, valid=valid.copy())
    if not valid.any():
        assert (r.status, r.best_id, r.best_score, r.second_score) == ("no_match", None, None, None)
        return
    scores = m @ q
    rows = np.flatnonzero(valid)
    best = int(rows[np.argmax(scores[rows])])
    assert r.best_row == best
    assert r.best_id == ids[best]
    assert r.best_score == pytest.approx(float(scores[best]), abs=1e-6)
    others = rows[ids[rows] != ids[best]]
    second = float(scores[others].max()) if others.size else None
    if second is None:
        assert r.second_score is None
    else:
        assert r.second_score == pytest.approx(second, abs=1e-6)
    if float(scores[best]) < 0.42:
        assert r.status == "no_match"
    elif second is not None and float(scores[best]) - second < 0.08:
        assert r.status == "ambiguous"
    else:
        assert r.status == "match"


@pytest.mark.parametrize("best", [0, 24_999, 25_000, 49_999])
def test_a_large_gallery_searched_in_two_halves_finds_the_same(best):
    """From SPLIT_ROWS rows the product runs in two halves at once: the same scores (up to
    float32 rounding: BLAS may block the rows of a half differently), whichever half (or edge
    of a half) holds the best and the second-best citizens."""
    from motcua.biometrics import gallery

    n = 50_000
    assert n >= gallery.SPLIT_ROWS
    m = random_units(n, seed=7)
    ids = np.arange(n) + 1
    second = (best + n // 2) % n
    m[second] = near(m[best], 0.7, seed=3)
    q = near(m[best], 0.9, seed=4)
    np.testing.assert_allclose(gallery._scores(m, q), m @ q, rtol=0, atol=1e-6)
    r = search(m, ids, q, threshold=0.42, margin=0.08)
    assert (r.status, r.best_id, r.best_row) == ("match", best + 1, best)
    assert r.second_score == pytest.approx(float(m[second] @ q), abs=1e-6)
    valid = np.ones(n, dtype=bool)
    valid[best] = False  # the best row expired: the next one is found in the other half
    r = search(m, ids, q, threshold=0.42, margin=0.08, valid=valid)
    assert r.best_row == second


def test_a_forked_child_searches_with_its_own_helper_thread():
    """A process forked after a large search (gunicorn --preload, a task worker) has no helper
    thread of its own: its first large search must not wait for the parent's."""
    import os

    from motcua.biometrics import gallery

    m = random_units(gallery.SPLIT_ROWS + 2, seed=9)
    q = near(m[5], 0.9, seed=2)
    assert search(m, np.arange(m.shape[0]), q, threshold=0.42, margin=0.08).best_row == 5
    pid = os.fork()
    if pid == 0:  # the child: exit 0 only if its search answers, killed by the alarm otherwise
        import signal

        signal.alarm(20)
        r = search(m, np.arange(m.shape[0]), q, threshold=0.42, margin=0.08)
        os._exit(0 if r.best_row == 5 else 1)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
