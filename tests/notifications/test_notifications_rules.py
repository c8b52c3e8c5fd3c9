"""The SMS rules as properties: one message, no diacritics only when needed, codes never cut."""

from __future__ import annotations

import string
from datetime import timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from motcua.core.clock import VN_TZ
from motcua.notifications import rules

VIETNAMESE = (
    "aăâbcdđeêghiklmnoôơpqrstuưvxyàảãáạằẳẵắặầẩẫấậèẻẽéẹềểễếệìỉĩíịòỏõóọồổỗốộờởỡớợùủũúụừửữứựỳỷỹýỵĐ"
)
words = st.text(
    alphabet=VIETNAMESE + string.ascii_letters + string.digits + ".,:;()-", min_size=1, max_size=12
)
texts = st.lists(words, min_size=0, max_size=30).map(" ".join)
codes = st.builds(
    lambda a, d, n: f"{a}-{d}-{n:04d}",
    st.sampled_from(["000.00.30.H26", "H26.40", "000.00.71.H26"]),
    st.dates().map(lambda d: d.strftime("%y%m%d")),
    st.integers(0, 9999),
)


@settings(suppress_health_check=[HealthCheck.too_slow])
@given(before=texts, code=codes, after=texts)
def test_sms_is_one_message_and_never_cuts_a_code(before, code, after):
    text = f"{before} Hồ sơ {code} {after}".strip()
    sms = rules.sms_text(text, protected=[code])
    assert rules.sms_fits_one(sms)
    # The code is whole or absent, never a piece of it.
    if code not in sms:
        body = sms.removesuffix(rules.ELLIPSIS)
        assert not any(body.endswith(code[:i]) for i in range(2, len(code)))
        assert sms.endswith(rules.ELLIPSIS)


@settings(suppress_health_check=[HealthCheck.too_slow])
@given(text=texts)
def test_diacritics_are_kept_when_the_unicode_form_fits(text):
    sms = rules.sms_text(text)
    if len(text) <= rules.UCS2_LIMIT or (rules.is_gsm7(text) and len(text) <= 160):
        assert sms == text  # fits as it is: sent as it is
    else:
        assert rules.is_gsm7(sms)  # too long in UCS-2: plain GSM-7, without diacritics
        assert sms == rules.fold(text) or sms.endswith(rules.ELLIPSIS)


@settings(suppress_health_check=[HealthCheck.too_slow])
@given(
    text=texts, tail=st.sampled_from(["", "Hủy: http://127.0.0.1:8000/huy-dang-ky/12.sms:AbCdEf/"])
)
def test_the_tail_is_always_kept_whole(text, tail):
    sms = rules.sms_text(text, tail=tail)
    assert rules.sms_fits_one(sms)
    if tail:
        assert sms.endswith(rules.fold(tail)) or sms.endswith(tail)


def test_folding_vietnamese():
    assert rules.fold("Hồ sơ đã được tiếp nhận, hẹn trả ngày 24/11") == (
        "Ho so da duoc tiep nhan, hen tra ngay 24/11"
    )
    assert rules.fold("ĐĂNG KÝ KHAI SINH – “ngay”") == 'DANG KY KHAI SINH - "ngay"'


def test_a_long_message_is_cut_before_the_code_not_through_it():
    code = "000.00.30.H26-261117-0042"
    text = "x" * 140 + f" Hồ sơ {code} đã được tiếp nhận"
    sms = rules.sms_text(text, protected=[code])
    assert code not in sms and "000.00" not in sms
    assert sms.endswith("...") and len(sms) <= 160


def test_night_hours_and_next_allowed_moment():
    from datetime import datetime

    late = datetime(2026, 11, 17, 22, 15, tzinfo=VN_TZ)
    early = datetime(2026, 11, 18, 6, 59, tzinfo=VN_TZ)
    day = datetime(2026, 11, 18, 7, 0, tzinfo=VN_TZ)
    assert rules.is_quiet(late) and rules.is_quiet(early) and not rules.is_quiet(day)
    assert rules.next_allowed(late) == day
    assert rules.next_allowed(early) == day
    assert rules.next_allowed(late, urgent=True) == late
    assert rules.next_allowed(day) == day


def test_backoff_doubles_up_to_a_cap():
    assert [rules.backoff(i) for i in (1, 2, 3)] == [
        timedelta(seconds=30),
        timedelta(seconds=60),
        timedelta(seconds=120),
    ]
    assert rules.backoff(30) == rules.BACKOFF_CAP
