"""Digits that `str.isdigit()` accepts and `int()` refuses never reach `int()` (review finding:
GET /api/v1/queue/²/board answered 500)."""

from __future__ import annotations

import pytest

from motcua.core.text import ascii_digits


@pytest.mark.parametrize(("text", "expected"), [("0", True), ("0123", True), ("", False),
                                                 ("²", False), ("١٢", False), ("1²", False),
                                                 ("12a", False), ("-1", False)])  # fmt: skip
def test_ascii_digits(text: str, expected: bool) -> None:
    assert ascii_digits(text) is expected


@pytest.mark.django_db
@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/queue/%C2%B2/board",
        "/api/v1/queue/%D9%A1/board",
    ],
)
def test_unicode_digits_in_paths_and_parameters_are_not_a_500(client, path: str) -> None:
    answer = client.get(path)
    assert answer.status_code < 500, (path, answer.status_code)
