"""The dossier workflow as data: the national status set and ONE transition table (no database).

Every move a dossier can make is a row of `TRANSITIONS`: the statuses it may start from, the
status it ends in (None: unchanged, e.g. a hand-off inside "processing"), the roles allowed,
which processing step it opens, and whether it pauses or resumes the legal clock.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum

# Roles as plain strings (the values of org.models.Role) so this module stays database-free.
RECEPTION = "reception"
SPECIALIST = "specialist"
LEADER = "leader"
MANAGER = "manager"
HOME_SERVICE = "home_service"
CITIZEN = "citizen"  # no staff account: online submission on the portal
# Pseudo-role of an official holding a leader's recorded delegation to sign apology letters.
APOLOGY_DELEGATE = "apology_delegate"


class Status(IntEnum):
    """National dossier status set (what provincial systems sync to the national portal)."""

    SUBMITTED = 1  # newly registered online, not yet accepted
    ACCEPTED = 2
    REFUSED = 3
    PROCESSING = 4
    SUPPLEMENT = 5
    PAYMENT = 6
    WITHDRAWN = 7
    STOPPED = 8
    FINISHED = 9
    RETURNED = 10

    @property
    def label(self) -> str:
        return STATUS_LABELS[self]

    @classmethod
    def choices(cls) -> list[tuple[int, str]]:
        return [(s.value, STATUS_LABELS[s]) for s in cls]


STATUS_LABELS: dict[Status, str] = {
    Status.SUBMITTED: "Mới đăng ký",
    Status.ACCEPTED: "Đã tiếp nhận",
    Status.REFUSED: "Không được tiếp nhận",
    Status.PROCESSING: "Đang xử lý",
    Status.SUPPLEMENT: "Yêu cầu bổ sung hồ sơ",
    Status.PAYMENT: "Yêu cầu thực hiện nghĩa vụ tài chính",
    Status.WITHDRAWN: "Công dân rút hồ sơ",
    Status.STOPPED: "Dừng xử lý",
    Status.FINISHED: "Đã xử lý xong",
    Status.RETURNED: "Đã trả kết quả",
}

# Statuses in which the legal clock runs (the dossier is with the administration).
CLOCK_RUNNING = frozenset({Status.ACCEPTED, Status.PROCESSING})
# Statuses in which the clock is paused (waiting for the citizen).
CLOCK_PAUSED = frozenset({Status.SUPPLEMENT, Status.PAYMENT})
OPEN = CLOCK_RUNNING | CLOCK_PAUSED
# Terminal statuses: nothing more happens (a returned dossier is done).
CLOSED = frozenset({Status.REFUSED, Status.WITHDRAWN, Status.STOPPED, Status.RETURNED})


class Step:
    """Processing steps; each has its share of the total legal time."""

    RECEPTION = "reception"
    SPECIALIST = "specialist"
    LEADER = "leader"
    RETURN = "return"


STEP_LABELS = {
    Step.RECEPTION: "Tiếp nhận",
    Step.SPECIALIST: "Thẩm định, xử lý",
    Step.LEADER: "Phê duyệt",
    Step.RETURN: "Trả kết quả",
}

# Default shares (percent of the total legal time); configurable per procedure with StepShare rows.
DEFAULT_STEP_SHARES: dict[str, int] = {
    Step.RECEPTION: 10,
    Step.SPECIALIST: 70,
    Step.LEADER: 10,
    Step.RETURN: 10,
}


@dataclass(frozen=True)
class Transition:
    action: str
    label: str
    sources: frozenset[Status | None]
    target: Status | None  # None: the status does not change
    roles: frozenset[str]
    step: str | None = None  # the processing step this move opens (None: keeps the current one)
    pauses: bool = False
    resumes: bool = False
    needs_reason: bool = False
    form: str = ""  # official form issued by the move


def _t(
    action: str,
    label: str,
    sources: set[Status] | set[None] | set[Status | None],
    target: Status | None,
    roles: set[str],
    **kw: object,
) -> Transition:
    return Transition(action, label, frozenset(sources), target, frozenset(roles), **kw)  # type: ignore[arg-type]


S = Status
_WORKING = {S.ACCEPTED, S.PROCESSING}
_CANCELLABLE = {S.SUBMITTED, S.ACCEPTED, S.PROCESSING, S.SUPPLEMENT, S.PAYMENT}

TRANSITIONS: dict[str, Transition] = {
    t.action: t
    for t in [
        # Creation moves (from no status).
        _t("submit_online", "Nộp hồ sơ trực tuyến", {None}, S.SUBMITTED, {CITIZEN, RECEPTION}),
        _t(
            "receive",
            "Tiếp nhận hồ sơ",
            {None},
            S.ACCEPTED,
            {RECEPTION, HOME_SERVICE},
            step=Step.RECEPTION,
            form="01",
        ),
        # Reception decides on an online submission.
        _t(
            "accept",
            "Tiếp nhận hồ sơ trực tuyến",
            {S.SUBMITTED},
            S.ACCEPTED,
            {RECEPTION},
            step=Step.RECEPTION,
            form="01",
        ),
        _t(
            "refuse",
            "Từ chối tiếp nhận",
            {S.SUBMITTED, S.ACCEPTED},
            S.REFUSED,
            {RECEPTION},
            needs_reason=True,
            form="03",
        ),
        # Routing inside the administration.
        _t(
            "assign",
            "Chuyển xử lý",
            _WORKING,
            S.PROCESSING,
            {RECEPTION, LEADER},
            step=Step.SPECIALIST,
        ),
        _t("forward", "Chuyển tiếp", {S.PROCESSING}, None, {SPECIALIST, LEADER, RECEPTION}),
        _t(
            "submit_for_approval",
            "Trình lãnh đạo phê duyệt",
            {S.PROCESSING},
            None,
            {SPECIALIST},
            step=Step.LEADER,
        ),
        _t(
            "send_back",
            "Trả lại bước trước",
            {S.PROCESSING},
            None,
            {SPECIALIST, LEADER},
            needs_reason=True,
        ),
        _t(
            "transfer",
            "Chuyển cơ quan khác",
            _WORKING,
            S.PROCESSING,
            {RECEPTION, LEADER},
            needs_reason=True,
        ),
        _t("approve", "Phê duyệt", {S.PROCESSING}, None, {LEADER}, step=Step.RETURN),
        # Waiting for the citizen: the clock stops.
        _t(
            "request_supplement",
            "Yêu cầu bổ sung hồ sơ",
            _WORKING,
            S.SUPPLEMENT,
            {RECEPTION, SPECIALIST, LEADER},
            pauses=True,
            needs_reason=True,
            form="02",
        ),
        _t(
            "resubmit",
            "Công dân bổ sung hồ sơ",
            {S.SUPPLEMENT},
            S.PROCESSING,
            {RECEPTION, CITIZEN},
            resumes=True,
            step=Step.SPECIALIST,
        ),
        # Status 6: the citizen owes charges or fees before the work goes on (a procedure that
        # collects on reception, asked when an online dossier is accepted) or before the
        # result is handed over (a procedure that collects on result). Reception asks too:
        # it holds the dossier when the result is ready. `paid` is refused while anything is
        # outstanding (dossiers.services); the receipt's payment applies it by itself, as the
        # citizen's move (CITIZEN), whoever took the money.
        _t(
            "request_payment",
            "Yêu cầu thực hiện nghĩa vụ tài chính",
            {S.ACCEPTED, S.PROCESSING},
            S.PAYMENT,
            {SPECIALIST, LEADER, RECEPTION},
            pauses=True,
        ),
        _t(
            "paid",
            "Đã thực hiện nghĩa vụ tài chính",
            {S.PAYMENT},
            S.PROCESSING,
            {RECEPTION, SPECIALIST, CITIZEN},
            resumes=True,
        ),
        # Results.
        _t(
            "finish",
            "Có kết quả",
            {S.PROCESSING},
            S.FINISHED,
            {RECEPTION, LEADER, SPECIALIST},
            step=Step.RETURN,
        ),
        _t("return", "Trả kết quả", {S.FINISHED}, S.RETURNED, {RECEPTION, HOME_SERVICE}),
        # Endings other than a result.
        _t(
            "withdraw",
            "Rút hồ sơ theo yêu cầu",
            _CANCELLABLE,
            S.WITHDRAWN,
            {RECEPTION},
            needs_reason=True,
        ),
        _t(
            "stop",
            "Dừng xử lý",
            {S.ACCEPTED, S.PROCESSING, S.SUPPLEMENT, S.PAYMENT},
            S.STOPPED,
            {LEADER},
            needs_reason=True,
        ),
        # Apology letter with a new date (only before the due moment, checked in the service).
        # It is signed in the name of the head of the agency: the leader, or an official the
        # leader delegated (Circular 01/2018/TT-VPCP, form 04: "Thủ trưởng cơ quan, đơn vị").
        _t(
            "extend",
            "Xin lỗi và hẹn lại ngày trả",
            _WORKING,
            None,
            {LEADER, APOLOGY_DELEGATE},
            needs_reason=True,
            form="04",
        ),
    ]
}

ACTION_LABELS = {name: t.label for name, t in TRANSITIONS.items()}
# Timeline rows that change no status, written by another app (correspondence: joint procedures).
ACTION_LABELS.update(
    {
        "consult": "Gửi văn bản lấy ý kiến cơ quan phối hợp",
        "consult_answer": "Nhận văn bản trả lời của cơ quan phối hợp",
    }
)


class TransitionRefused(Exception):
    """The move is not in the table for this status or role (the service turns it into a DomainError)."""

    def __init__(self, code: str, message: str):
        self.code = code
        self.message = message
        super().__init__(message)


def transition_for(
    action: str, status: Status | int | None, roles: set[str] | frozenset[str]
) -> Transition:
    """The transition for an action from a status by someone holding `roles`, or TransitionRefused."""
    t = TRANSITIONS.get(action)
    if t is None:
        raise TransitionRefused("unknown_action", f"Thao tác «{action}» không tồn tại.")
    current = Status(status) if status is not None else None
    if current not in t.sources:
        where = STATUS_LABELS[current] if current is not None else "chưa có hồ sơ"
        raise TransitionRefused(
            "invalid_transition",
            f"Không thể thực hiện «{t.label}» khi hồ sơ ở trạng thái «{where}».",
        )
    if not (t.roles & set(roles)):
        raise TransitionRefused(
            "forbidden", f"Vai trò của bạn không được thực hiện «{t.label}» với hồ sơ này."
        )
    return t


def target_status(t: Transition, current: Status | int | None) -> Status:
    """The status after the move (an unchanged-status move keeps the current one)."""
    if t.target is not None:
        return t.target
    assert current is not None
    return Status(current)


def allowed_actions(status: Status | int | None, roles: set[str] | frozenset[str]) -> list[str]:
    """Actions someone with `roles` may take on a dossier in `status` (for buttons and the API)."""
    current = Status(status) if status is not None else None
    return [
        name
        for name, t in TRANSITIONS.items()
        if current in t.sources and t.roles & set(roles) and None not in t.sources
    ]


def classify(done_on: object, due_on: object) -> str:
    """Early / on time / late by calendar date of the moments (done before the due date is early)."""
    from datetime import datetime

    from motcua.core.clock import local

    assert isinstance(done_on, datetime) and isinstance(due_on, datetime)
    if done_on > due_on:
        return "late"
    if local(done_on).date() < local(due_on).date():
        return "early"
    return "on_time"


TIMELINESS_LABELS = {"early": "Trước hạn", "on_time": "Đúng hạn", "late": "Quá hạn", "": ""}


# --- What the dossier page proposes (presentation only: the table above stays the rule) ------

# Moves that end a dossier without a result: never open by default on a page.
DESTRUCTIVE_ACTIONS = frozenset({"refuse", "withdraw", "stop"})

# Moves that belong to whoever holds the dossier. Once it is handed to another official, the
# others (except a leader, who supervises) are not offered them, even where the table allows
# their role: the work is no longer theirs to take.
HOLDER_ACTIONS = frozenset(
    {
        "assign",
        "forward",
        "submit_for_approval",
        "send_back",
        "transfer",
        "approve",
        "request_supplement",
        "request_payment",
        "finish",
        "extend",
    }
)

# The usual next move per status (and, while processing, per step), first available wins.
_USUAL_NEXT: dict[tuple[Status, str], tuple[str, ...]] = {
    (Status.SUBMITTED, ""): ("accept",),
    (Status.ACCEPTED, ""): ("assign",),
    (Status.PROCESSING, Step.RECEPTION): ("assign",),
    (Status.PROCESSING, Step.SPECIALIST): ("submit_for_approval",),
    (Status.PROCESSING, Step.LEADER): ("approve",),
    (Status.PROCESSING, Step.RETURN): ("finish",),
    (Status.PROCESSING, ""): ("assign",),
    (Status.SUPPLEMENT, ""): ("resubmit",),
    (Status.PAYMENT, ""): ("paid",),
    (Status.FINISHED, ""): ("return",),
}


def usual_next_action(status: Status | int, step: str, available: list[str]) -> str | None:
    """The move the page proposes first among `available`, or None when none is the usual one."""
    current = Status(status)
    wanted = _USUAL_NEXT.get((current, step or "")) or _USUAL_NEXT.get((current, ""), ())
    return next((a for a in wanted if a in available), None)


def arrange_actions(
    available: list[str],
    *,
    status: Status | int,
    step: str,
    holds: bool,
    supervises: bool,
) -> tuple[str | None, list[str], list[str]]:
    """(the usual next move, other moves, destructive moves) for the dossier page.

    `holds`: the dossier is held by this official or by nobody; `supervises`: a leader, who may
    still act on a dossier someone else holds. A holder's move is proposed only to the holder;
    a counter move (the citizen brings papers, pays, collects the result) to whoever may take it.
    """
    if not holds and not supervises:
        available = [a for a in available if a not in HOLDER_ACTIONS]
    primary = usual_next_action(status, step, available)
    if primary in HOLDER_ACTIONS and not holds:
        primary = None
    others = [a for a in available if a != primary and a not in DESTRUCTIVE_ACTIONS]
    destructive = [a for a in available if a in DESTRUCTIVE_ACTIONS]
    return primary, others, destructive
