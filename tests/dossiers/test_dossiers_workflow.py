"""The transition table alone: every action from every status, allowed or refused."""

from __future__ import annotations

import pytest

from motcua.dossiers.workflow import (
    CITIZEN,
    HOME_SERVICE,
    LEADER,
    MANAGER,
    RECEPTION,
    SPECIALIST,
    TRANSITIONS,
    Status,
    TransitionRefused,
    allowed_actions,
    target_status,
    transition_for,
)

S = Status
ALL_ROLES = {RECEPTION, SPECIALIST, LEADER, MANAGER, HOME_SERVICE, CITIZEN}

# The expected table written out by hand: action -> (from statuses, to status or None=unchanged).
EXPECTED = {
    "submit_online": ({None}, S.SUBMITTED),
    "receive": ({None}, S.ACCEPTED),
    "accept": ({S.SUBMITTED}, S.ACCEPTED),
    "refuse": ({S.SUBMITTED, S.ACCEPTED}, S.REFUSED),
    "assign": ({S.ACCEPTED, S.PROCESSING}, S.PROCESSING),
    "forward": ({S.PROCESSING}, None),
    "submit_for_approval": ({S.PROCESSING}, None),
    "send_back": ({S.PROCESSING}, None),
    "transfer": ({S.ACCEPTED, S.PROCESSING}, S.PROCESSING),
    "approve": ({S.PROCESSING}, None),
    "request_supplement": ({S.ACCEPTED, S.PROCESSING}, S.SUPPLEMENT),
    "resubmit": ({S.SUPPLEMENT}, S.PROCESSING),
    "request_payment": ({S.ACCEPTED, S.PROCESSING}, S.PAYMENT),
    "paid": ({S.PAYMENT}, S.PROCESSING),
    "finish": ({S.PROCESSING}, S.FINISHED),
    "return": ({S.FINISHED}, S.RETURNED),
    "withdraw": ({S.SUBMITTED, S.ACCEPTED, S.PROCESSING, S.SUPPLEMENT, S.PAYMENT}, S.WITHDRAWN),
    "stop": ({S.ACCEPTED, S.PROCESSING, S.SUPPLEMENT, S.PAYMENT}, S.STOPPED),
    "extend": ({S.ACCEPTED, S.PROCESSING}, None),
}


def test_table_covers_exactly_the_expected_actions():
    assert set(TRANSITIONS) == set(EXPECTED)


@pytest.mark.parametrize("action", sorted(EXPECTED))
@pytest.mark.parametrize("status", [None, *Status])
def test_every_action_from_every_status(action, status):
    sources, target = EXPECTED[action]
    if status in sources:
        t = transition_for(action, status, ALL_ROLES)
        expected = target if target is not None else status
        assert target_status(t, status) == expected
    else:
        with pytest.raises(TransitionRefused) as exc:
            transition_for(action, status, ALL_ROLES)
        assert exc.value.code == "invalid_transition"
        assert "Không thể thực hiện" in exc.value.message


@pytest.mark.parametrize("action", sorted(EXPECTED))
def test_roles_outside_the_row_are_refused(action):
    t = TRANSITIONS[action]
    status = next(iter(t.sources))
    for role in ALL_ROLES - set(t.roles):
        with pytest.raises(TransitionRefused) as exc:
            transition_for(action, status, {role})
        assert exc.value.code == "forbidden"
    for role in t.roles:
        assert transition_for(action, status, {role}) is t


def test_who_does_what():
    assert TRANSITIONS["approve"].roles == {LEADER}
    assert TRANSITIONS["stop"].roles == {LEADER}
    assert MANAGER not in set().union(*(t.roles for t in TRANSITIONS.values()))
    assert CITIZEN in TRANSITIONS["submit_online"].roles
    assert CITIZEN not in TRANSITIONS["receive"].roles


def test_unknown_action():
    with pytest.raises(TransitionRefused) as exc:
        transition_for("teleport", S.PROCESSING, ALL_ROLES)
    assert exc.value.code == "unknown_action"


def test_clock_flags_and_forms():
    assert (
        TRANSITIONS["request_supplement"].pauses and TRANSITIONS["request_supplement"].form == "02"
    )
    assert TRANSITIONS["resubmit"].resumes
    assert TRANSITIONS["request_payment"].pauses and TRANSITIONS["paid"].resumes
    assert TRANSITIONS["refuse"].form == "03" and TRANSITIONS["extend"].form == "04"
    assert TRANSITIONS["receive"].form == "01"


def test_terminal_statuses_allow_nothing():
    for status in (S.REFUSED, S.WITHDRAWN, S.STOPPED, S.RETURNED):
        assert allowed_actions(status, ALL_ROLES) == []
    assert allowed_actions(S.FINISHED, ALL_ROLES) == ["return"]
    assert "approve" not in allowed_actions(S.PROCESSING, {SPECIALIST})


def test_labels_are_vietnamese():
    assert S.SUPPLEMENT.label == "Yêu cầu bổ sung hồ sơ"
    assert S.RETURNED.label == "Đã trả kết quả"
    assert [v for v, _ in S.choices()] == list(range(1, 11))
