"""Issue 8 B8: a second `make run` (seed-demo on existing data) must not print counts that read
like lost data ("lịch hẹn sắp tới: 0"): it says the demo is there and gives the totals."""

from __future__ import annotations

import io
import re

import pytest
from django.core.management import call_command

pytestmark = pytest.mark.django_db


def _seed() -> str:
    out = io.StringIO()
    call_command("seed_demo", "--no-history", stdout=out)
    return out.getvalue()


def test_second_seed_demo_reports_totals_not_zeros(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    first = _seed()
    assert "Lần chạy này thêm mới:" in first and "công dân mẫu: 300" in first
    second = _seed()
    assert "Dữ liệu mẫu đã có sẵn" in second
    totals = second[second.index("Dữ liệu hiện có:") :]
    figures = dict(re.findall(r"^  ([^:\n]+): (\d+)$", totals, flags=re.M))
    assert int(figures["công dân"]) >= 300
    assert int(figures["cán bộ"]) > 0 and int(figures["thủ tục"]) > 0
    assert int(figures["lịch hẹn sắp tới"]) > 0
    # No line of this run's additions reads as zero.
    assert "Lần chạy này thêm mới" not in second
