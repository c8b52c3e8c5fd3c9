"""Who is called next: priority- and appointment-aware, first come first served, no one starved.

Pure rules (no database) so they can be checked with hypothesis.

Two lanes:
- the priority lane: tickets of a priority group (elderly, disability, ...) and tickets of a
  booked appointment whose slot has come; ordered by waiting time with the group's weight as a
  head start (a weight of 10 counts as 10 minutes of extra waiting), so the lane stays FIFO-like
  and bounded;
- the regular lane: everyone else, strictly first come first served.

The priority lane goes first, but a counter calls at most `max_streak` priority tickets in a row
while regular tickets wait; then the oldest regular ticket is called. Hence a regular ticket is
called within (max_streak + 1) × (regular tickets ahead of it + 1) calls of its counters, and a
priority ticket within max_streak+1 calls per priority ticket ahead of it; new arrivals can never
push anyone back indefinitely.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

DEFAULT_MAX_STREAK = 3
PRIORITY = "priority"
REGULAR = "regular"


@dataclass(frozen=True)
class Candidate:
    id: int
    waiting_since: datetime
    priority_weight: int = 0  # minutes of head start; 0 = no priority group
    slot_start: datetime | None = None  # booked appointment slot, if any


def lane(c: Candidate, now: datetime) -> str:
    if c.priority_weight > 0:
        return PRIORITY
    if c.slot_start is not None and c.slot_start <= now:
        return PRIORITY
    return REGULAR


def _priority_key(c: Candidate, now: datetime) -> tuple[datetime, int]:
    head_start = timedelta(minutes=max(c.priority_weight, 0))
    if c.slot_start is not None and c.slot_start <= now:
        # An appointment counts from its slot, not from an early arrival.
        since = max(c.waiting_since, c.slot_start)
    else:
        since = c.waiting_since
    return (since - head_start, c.id)


def order(
    candidates: Iterable[Candidate],
    *,
    now: datetime,
    streak: int = 0,
    max_streak: int = DEFAULT_MAX_STREAK,
) -> list[Candidate]:
    """The whole waiting line in calling order, given the counter's current priority streak."""
    prio: list[Candidate] = []
    reg: list[Candidate] = []
    for c in candidates:
        (prio if lane(c, now) == PRIORITY else reg).append(c)
    prio.sort(key=lambda c: _priority_key(c, now))
    reg.sort(key=lambda c: (c.waiting_since, c.id))
    out: list[Candidate] = []
    i = j = 0
    while i < len(prio) or j < len(reg):
        if i < len(prio) and (j >= len(reg) or streak < max_streak):
            out.append(prio[i])
            i += 1
            streak += 1
        else:
            out.append(reg[j])
            j += 1
            streak = 0
    return out


def choose(
    candidates: Sequence[Candidate],
    *,
    now: datetime,
    streak: int = 0,
    max_streak: int = DEFAULT_MAX_STREAK,
) -> Candidate | None:
    """The next ticket to call, or None when nobody waits."""
    line = order(candidates, now=now, streak=streak, max_streak=max_streak)
    return line[0] if line else None


def ahead(
    target: Candidate,
    special: Iterable[Candidate],
    *,
    plain_before: int,
    plain_total: int,
    now: datetime,
    max_streak: int = DEFAULT_MAX_STREAK,
) -> int:
    """How many tickets `order(..., streak=0)` puts before `target`, without the whole line.

    `special`: the other tickets read one by one (a priority group or a booking: few);
    `plain_before` / `plain_total`: the other tickets with neither, counted (those before the
    target in waiting order, and all). Equal to `order(line).index(target)`, checked by
    hypothesis in the tests.
    """
    prio = [c for c in special if lane(c, now) == PRIORITY]
    regular_special = [c for c in special if lane(c, now) != PRIORITY]
    if lane(target, now) == PRIORITY:
        key = _priority_key(target, now)
        k = sum(1 for c in prio if _priority_key(c, now) < key)
        regulars = plain_total + len(regular_special)
        return k + (min(regulars, k // max_streak) if max_streak > 0 else regulars)
    mine = (target.waiting_since, target.id)
    r = plain_before + sum(1 for c in regular_special if (c.waiting_since, c.id) < mine)
    return r + min(len(prio), (r + 1) * max_streak)


def streak_after(lanes_newest_first: Iterable[str]) -> int:
    """How many priority calls in a row a counter has just made (from its latest calls)."""
    n = 0
    for value in lanes_newest_first:
        if value != PRIORITY:
            break
        n += 1
    return n
