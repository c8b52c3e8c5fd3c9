"""Absolute links come from the configured public address, never from the request's host."""

from __future__ import annotations

import pytest

from motcua.core.links import DEV_BASE_URL, check_public_base_url, public_base_url, public_url


def test_public_url_uses_the_configured_address(settings):
    settings.MOTCUA = {**settings.MOTCUA, "PUBLIC_BASE_URL": "https://dvc.hadong.hanoi.gov.vn/"}
    assert public_base_url() == "https://dvc.hadong.hanoi.gov.vn"
    assert public_url("/tra-cuu/?ma=A") == "https://dvc.hadong.hanoi.gov.vn/tra-cuu/?ma=A"
    assert public_url("tra-cuu/") == "https://dvc.hadong.hanoi.gov.vn/tra-cuu/"


def test_public_url_keeps_a_path_prefix(settings):
    settings.MOTCUA = {**settings.MOTCUA, "PUBLIC_BASE_URL": "https://hanoi.gov.vn/motcua"}
    assert public_url("/tra-cuu/") == "https://hanoi.gov.vn/motcua/tra-cuu/"


def test_unset_address_falls_back_to_the_demo_address(settings):
    settings.MOTCUA = {**settings.MOTCUA, "PUBLIC_BASE_URL": ""}
    assert public_url("/ve/x/") == f"{DEV_BASE_URL}/ve/x/" == "http://127.0.0.1:8000/ve/x/"


def test_public_url_refuses_an_absolute_url(settings):
    with pytest.raises(ValueError):
        public_url("http://evil.example/x")


def test_check_warns_in_production_when_unset(settings):
    settings.MOTCUA = {**settings.MOTCUA, "PUBLIC_BASE_URL": ""}
    settings.DEBUG = False
    assert [m.id for m in check_public_base_url()] == ["motcua.W001"]
    settings.DEBUG = True
    assert check_public_base_url() == []


@pytest.mark.parametrize("value", ["dvc.hanoi.gov.vn", "ftp://x.vn", "https://x.vn/?a=1"])
def test_check_rejects_a_malformed_address(settings, value):
    settings.MOTCUA = {**settings.MOTCUA, "PUBLIC_BASE_URL": value}
    assert [m.id for m in check_public_base_url()] == ["motcua.E001"]


def test_check_accepts_a_proper_address(settings):
    settings.MOTCUA = {**settings.MOTCUA, "PUBLIC_BASE_URL": "https://dvc.hanoi.gov.vn"}
    settings.DEBUG = False
    assert check_public_base_url() == []
