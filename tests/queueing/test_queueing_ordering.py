"""The call-next policy: priority and appointments first, FIFO, and nobody starves."""

from __future__ import annotations

from datetime import datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from motcua.core import clock
from motcua.queueing.ordering import PRIORITY, REGULAR, Candidate, choose, lane, order, streak_after

T0 = datetime(2026, 11, 26, 8, 0, tzinfo=clock.VN_TZ)


def c(i, minute, weight=0, slot=None):
    return Candidate(
        id=i, waiting_since=T0 + timedelta(minutes=minute), priority_weight=weight, slot_start=slot
    )


def test_fifo_without_priority():
    line = order([c(3, 5), c(1, 1), c(2, 3)], now=T0 + timedelta(hours=1))
    assert [x.id for x in line] == [1, 2, 3]


def test_priority_goes_first_but_at_most_k_in_a_row():
    regular = [c(1, 0), c(2, 1)]
    prio = [c(10 + i, 10 + i, weight=10) for i in range(5)]
    line = order(regular + prio, now=T0 + timedelta(hours=1), max_streak=2)
    assert [x.id for x in line] == [10, 11, 1, 12, 13, 2, 14]


def test_streak_carries_over_between_calls():
    cands = [c(1, 0), c(10, 5, weight=10)]
    now = T0 + timedelta(hours=1)
    assert choose(cands, now=now, streak=0, max_streak=3).id == 10
    assert choose(cands, now=now, streak=3, max_streak=3).id == 1
    assert streak_after([PRIORITY, PRIORITY, REGULAR, PRIORITY]) == 2


def test_booking_is_priority_only_once_its_slot_has_come():
    slot = T0 + timedelta(minutes=30)
    booked = c(5, 0, slot=slot)
    assert lane(booked, T0) == REGULAR
    assert lane(booked, slot) == PRIORITY
    # Before the slot the booked citizen waits in line like anyone else.
    assert [x.id for x in order([c(1, -5), booked], now=T0)] == [1, 5]
    assert [x.id for x in order([c(1, -5), booked], now=slot)] == [5, 1]


def test_weight_is_a_head_start_within_the_priority_lane():
    line = order([c(1, 0, weight=5), c(2, 3, weight=30)], now=T0 + timedelta(hours=1))
    assert [x.id for x in line] == [2, 1]


arrival = st.tuples(st.integers(min_value=0, max_value=3), st.sampled_from([0, 0, 0, 5, 20]))


@settings(max_examples=150, deadline=None)
@given(
    steps=st.lists(
        st.tuples(st.lists(arrival, max_size=3), st.booleans()), min_size=1, max_size=80
    ),
    max_streak=st.integers(min_value=1, max_value=4),
)
def test_no_one_is_starved(steps, max_streak):
    """Simulate arrivals and calls at one counter: each ticket is called within a bound.

    Bound: a regular ticket is called before (max_streak + 1) × (regular tickets that arrived
    before it + 1) further calls; a priority ticket before (max_streak + 1) × (priority tickets
    ordered before it at arrival + later ones with a larger head start + 1) calls. We check the
    simple consequence that holds for both: calls made while a ticket waits ≤
    (max_streak + 1) × (tickets present at its arrival + arrivals with weight ≥ 1 after it + 1).
    """
    waiting: dict[int, Candidate] = {}
    present_at_arrival: dict[int, int] = {}
    calls_while_waiting: dict[int, int] = {}
    prio_arrivals_after: dict[int, int] = {}
    streak = 0
    now = T0
    next_id = 1
    for arrivals, do_call in steps:
        now += timedelta(minutes=1)
        for _, weight in arrivals:
            cand = Candidate(id=next_id, waiting_since=now, priority_weight=weight)
            present_at_arrival[next_id] = len(waiting)
            calls_while_waiting[next_id] = 0
            prio_arrivals_after[next_id] = 0
            for other in waiting:
                if weight:
                    prio_arrivals_after[other] += 1
            waiting[next_id] = cand
            next_id += 1
        if do_call and waiting:
            picked = choose(list(waiting.values()), now=now, streak=streak, max_streak=max_streak)
            assert picked is not None
            streak = streak + 1 if lane(picked, now) == PRIORITY else 0
            del waiting[picked.id]
            for other in waiting:
                calls_while_waiting[other] += 1
                bound = (max_streak + 1) * (
                    present_at_arrival[other] + prio_arrivals_after[other] + 1
                )
                assert calls_while_waiting[other] <= bound, (
                    other,
                    calls_while_waiting[other],
                    bound,
                )
    # Everyone still waiting is called once arrivals stop.
    while waiting:
        picked = choose(list(waiting.values()), now=now, streak=streak, max_streak=max_streak)
        streak = streak + 1 if lane(picked, now) == PRIORITY else 0
        del waiting[picked.id]


@settings(max_examples=100, deadline=None)
@given(
    regular=st.integers(min_value=1, max_value=15),
    prio_stream=st.integers(min_value=0, max_value=200),
    max_streak=st.integers(min_value=1, max_value=5),
)
def test_regular_ticket_called_despite_endless_priority_arrivals(regular, prio_stream, max_streak):
    """Even with a priority ticket arriving before every call, the regular line keeps moving."""
    now = T0
    waiting = {i: Candidate(id=i, waiting_since=now + timedelta(seconds=i)) for i in range(regular)}
    target = regular - 1  # the youngest regular ticket
    streak = 0
    calls = 0
    next_id = 1000
    while target in waiting:
        now += timedelta(minutes=1)
        if prio_stream:
            waiting[next_id] = Candidate(id=next_id, waiting_since=now, priority_weight=30)
            next_id += 1
            prio_stream -= 1
        picked = choose(list(waiting.values()), now=now, streak=streak, max_streak=max_streak)
        streak = streak + 1 if lane(picked, now) == PRIORITY else 0
        del waiting[picked.id]
        calls += 1
    assert calls <= (max_streak + 1) * regular


candidate = st.builds(
    lambda minute, weight, slot, special: (
        minute,
        weight if special else 0,
        slot if special else None,
    ),
    st.integers(min_value=0, max_value=30),
    st.sampled_from([0, 5, 20]),
    st.one_of(st.none(), st.integers(min_value=-20, max_value=40)),
    st.booleans(),
)


@settings(max_examples=300)
@given(
    rows=st.lists(candidate, min_size=1, max_size=30),
    pick=st.integers(min_value=0),
    max_streak=st.integers(min_value=0, max_value=4),
)
def test_ahead_counts_what_the_whole_line_orders(rows, pick, max_streak):
    """`ahead` (specials read, plain tickets only counted) equals the index in `order`."""
    from motcua.queueing.ordering import ahead

    now = T0 + timedelta(minutes=30)
    line = [
        Candidate(
            id=i + 1,
            waiting_since=T0 + timedelta(minutes=minute),
            priority_weight=weight,
            slot_start=None if slot is None else T0 + timedelta(minutes=slot),
        )
        for i, (minute, weight, slot) in enumerate(rows)
    ]
    target = line[pick % len(line)]
    others = [c for c in line if c is not target]
    special = [c for c in others if c.priority_weight or c.slot_start is not None]
    plain = [c for c in others if not (c.priority_weight or c.slot_start is not None)]
    before = sum(1 for c in plain if (c.waiting_since, c.id) < (target.waiting_since, target.id))
    expected = order(line, now=now, max_streak=max_streak).index(target)
    got = ahead(
        target, special, plain_before=before, plain_total=len(plain), now=now,
        max_streak=max_streak,
    )  # fmt: skip
    assert got == expected
