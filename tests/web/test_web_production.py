"""Issue 9 point 1: the demo is an explicit mode; a production start refuses demo accounts and
demo data, passes `check --deploy` with no warning, and sends a Content-Security-Policy."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings as django_settings
from django.core.management import call_command
from django.core.management.base import CommandError

from factories import UserFactory
from motcua.core.models import Sequence
from motcua.org.demo import DEMO_PASSWORD
from motcua.org.models import User
from motcua.web import production

ROOT = Path(__file__).resolve().parents[2]
SRC = ROOT / "src" / "motcua"


@pytest.fixture
def prod(settings):  # type: ignore[no-untyped-def]
    """This process's settings as a production start sees them (DEBUG off, not the demo)."""
    settings.DEBUG = False
    settings.MOTCUA_DEMO = False
    production._started_checked = False
    yield settings
    production._started_checked = False


def _prod_env(var_dir: Path, **extra: str) -> dict[str, str]:
    # Without what the test run itself sets (demo mode; async-unsafe calls for Playwright).
    drop = {"MOTCUA_DEMO", "DEBUG", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    env = {k: v for k, v in os.environ.items() if k not in drop}
    env.update(
        DJANGO_SETTINGS_MODULE="motcua.settings",
        MOTCUA_VAR_DIR=str(var_dir),
        SECRET_KEY="k3Y-" + "x9Qz7Lm2" * 8,
        ALLOWED_HOSTS="motcua.phuong-hadong.example.vn",
        PUBLIC_BASE_URL="https://motcua.phuong-hadong.example.vn",
        PYTHONPATH=str(ROOT / "src"),
    )
    env.update(extra)
    return env


def _motcua(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "motcua", *args],
        env=env,
        cwd=str(ROOT),
        capture_output=True,
        text=True,
        timeout=300,
    )


def _database_url() -> str:
    db = django_settings.DATABASES["default"]
    if db["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{db['NAME']}"
    user = quote(db.get("USER") or "")
    password = f":{quote(db['PASSWORD'])}" if db.get("PASSWORD") else ""
    host = db.get("HOST") or "127.0.0.1"
    port = db.get("PORT") or 5432
    return f"postgres://{user}{password}@{host}:{port}/{db['NAME']}"


# --- demo mode ---------------------------------------------------------------------------------


@pytest.mark.django_db
def test_seed_demo_refuses_outside_demo_mode(settings):
    settings.MOTCUA_DEMO = False
    with pytest.raises(CommandError, match="MOTCUA_DEMO=1"):
        call_command("seed_demo", "--no-history")
    assert not User.objects.filter(username="admin").exists()
    assert not Sequence.objects.filter(key__startswith="demo:").exists()


@pytest.mark.django_db
def test_seed_demo_marks_the_database_and_keeps_the_demo_logins(settings, client):
    settings.MOTCUA_DEMO = True
    call_command("seed_demo", "--no-history", stdout=open(os.devnull, "w"))  # noqa: SIM115
    assert production.demo_data_loaded()
    for username in ("admin", "tiepnhan", "chuyenvien", "lanhdao", "quanly", "tainha"):
        assert User.objects.get(username=username).check_password(DEMO_PASSWORD)
    r = client.post("/can-bo/dang-nhap/", {"username": "quanly", "password": DEMO_PASSWORD})
    assert r.status_code == 302


# --- refusing a production start ----------------------------------------------------------------


@pytest.mark.django_db
def test_start_problems_name_accounts_with_the_demo_password(prod):
    UserFactory(username="ketoan")  # the factories' password is the demo one
    kept = UserFactory(username="vanthu")
    kept.set_password("mat-khau-rieng-2026")
    kept.save()
    locked = UserFactory(username="da-nghi")
    locked.is_active = False
    locked.save()
    problems = production.start_problems()
    assert len(problems) == 1
    assert "ketoan" in problems[0] and "vanthu" not in problems[0]
    assert "da-nghi" not in problems[0]
    message = production.refusal_message(problems)
    assert "motcua createsuperuser" in message
    assert "mật khẩu mẫu" in message


@pytest.mark.django_db
def test_changing_the_password_clears_the_refusal(prod):
    user = UserFactory(username="ketoan")
    assert production.start_problems()
    user.set_password("mat-khau-rieng-2026")
    user.save()
    assert production.start_problems() == []
    # Known-good hashes are remembered: a restart doesn't pay the hasher again.
    assert production.demo_password_accounts() == []


@pytest.mark.django_db
def test_demo_data_marker_refuses_the_start(prod):
    Sequence.objects.create(key="demo:loaded", value=1)
    problems = production.start_problems()
    assert len(problems) == 1 and "seed-demo" in problems[0]


@pytest.mark.django_db
def test_serve_refuses_in_production_before_starting_anything(prod, monkeypatch):
    import uvicorn

    started = []
    monkeypatch.setattr(uvicorn, "run", lambda *a, **k: started.append(a))
    UserFactory(username="admin")
    with pytest.raises(CommandError) as err:
        call_command("serve", "--no-worker", stdout=open(os.devnull, "w"))  # noqa: SIM115
    assert "createsuperuser" in str(err.value) and "admin" in str(err.value)
    assert started == []


@pytest.mark.django_db
def test_serve_starts_in_demo_mode_with_demo_accounts(settings, monkeypatch):
    import uvicorn

    settings.MOTCUA_DEMO = True
    started = []
    monkeypatch.setattr(uvicorn, "run", lambda *a, **k: started.append(a))
    UserFactory(username="admin")
    call_command("serve", "--no-worker", stdout=open(os.devnull, "w"))  # noqa: SIM115
    assert started == [("motcua.asgi:application",)]


@pytest.mark.django_db
def test_deploy_check_reports_demo_accounts(prod):
    UserFactory(username="tiepnhan")
    errors = production.check_demo_in_production()
    assert [e.id for e in errors] == ["motcua.E002"]
    assert "tiepnhan" in errors[0].msg


@pytest.mark.django_db(transaction=True)
def test_asgi_and_deploy_check_refuse_the_demo_database_in_a_real_process(tmp_path):
    """A production process on a database with a demo account: `check --deploy` fails and the
    ASGI application won't load; with the password changed both pass."""
    user = UserFactory(username="lanhdao")
    env = _prod_env(tmp_path, DATABASE_URL=_database_url(), AXES_ENABLED="0")
    checked = _motcua("check", "--deploy", env=env)
    assert checked.returncode != 0
    assert "motcua.E002" in checked.stderr and "lanhdao" in checked.stderr
    loaded = subprocess.run(
        [sys.executable, "-c", "import motcua.asgi"],
        env=env,
        cwd=str(ROOT),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert loaded.returncode != 0
    assert "motcua createsuperuser" in loaded.stderr

    user.set_password("mat-khau-rieng-2026")
    user.save()
    checked = _motcua("check", "--deploy", env=env)
    # (The test database may warn about its unreviewed 2027 calendar: not this check's business.)
    assert "motcua.E002" not in checked.stderr and "ERRORS" not in checked.stderr


# --- check --deploy ----------------------------------------------------------------------------


def test_check_deploy_passes_with_no_warning_in_production(tmp_path):
    result = _motcua("check", "--deploy", env=_prod_env(tmp_path))
    assert result.returncode == 0, result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout
    assert "WARNING" not in result.stderr and "?:" not in result.stderr


def test_production_needs_a_real_secret_key(tmp_path):
    env = _prod_env(tmp_path)
    del env["SECRET_KEY"]
    result = _motcua("check", env=env)
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr
    env["SECRET_KEY"] = "django-insecure-" + "a1b2c3d4e5" * 5
    result = _motcua("check", env=env)
    assert result.returncode != 0 and "SECRET_KEY" in result.stderr


def test_production_settings_are_secure_and_each_one_configurable(tmp_path):
    code = (
        "import django; django.setup(); from django.conf import settings as s; "
        "print(s.SECURE_SSL_REDIRECT, s.SECURE_HSTS_SECONDS, s.SECURE_HSTS_INCLUDE_SUBDOMAINS, "
        "s.SECURE_HSTS_PRELOAD, s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, "
        "s.SECURE_PROXY_SSL_HEADER)"
    )

    def read(**extra: str) -> str:
        out = subprocess.run(
            [sys.executable, "-c", code],
            env=_prod_env(tmp_path, **extra),
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert out.returncode == 0, out.stderr
        return out.stdout.strip()

    assert read() == "True 31536000 True True True True None"
    assert (
        read(
            SECURE_SSL_REDIRECT="0",
            SECURE_HSTS_SECONDS="600",
            SECURE_HSTS_INCLUDE_SUBDOMAINS="0",
            SECURE_HSTS_PRELOAD="0",
            SESSION_COOKIE_SECURE="0",
            CSRF_COOKIE_SECURE="0",
            SECURE_PROXY_SSL_HEADER="X-Forwarded-Proto",
        )
        == "False 600 False False False False ('HTTP_X_FORWARDED_PROTO', 'https')"
    )
    # The demo office keeps plain http on loopback.
    assert read(MOTCUA_DEMO="1") == "False 0 False False False False None"


# --- Content-Security-Policy ---------------------------------------------------------------------


@pytest.mark.django_db
def test_pages_carry_the_content_security_policy(client, settings):
    settings.MOTCUA = {
        **settings.MOTCUA,
        "MAP_TILE_URL": "https://tiles.hanoi.example.vn/{z}/{x}/{y}.png",
    }
    policy = client.get("/").headers["Content-Security-Policy"]
    directives = dict(d.strip().split(" ", 1) for d in policy.split(";"))
    assert directives["default-src"] == "'self'"
    assert directives["script-src"] == "'self'"
    assert directives["style-src"] == "'self'"
    assert directives["frame-ancestors"] == "'none'"
    assert directives["object-src"] == "'none'"
    assert directives["img-src"].split() == ["'self'", "data:", "https://tiles.hanoi.example.vn"]
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy
    login = client.get("/can-bo/dang-nhap/")
    assert "script-src 'self'" in login.headers["Content-Security-Policy"]


@pytest.mark.django_db
def test_forms_may_lead_to_the_payment_gateway_only(client, settings):
    # «Thanh toán trực tuyến» posts to our page, which redirects to the gateway: the browser
    # applies form-action to that redirect, so the gateway's origin (and no other) is allowed.
    settings.MOTCUA = {**settings.MOTCUA, "PAYMENT_GATEWAY_URL": "https://pay.example.vn:8443/v2"}
    policy = client.get("/tra-cuu/").headers["Content-Security-Policy"]
    directives = dict(d.strip().split(" ", 1) for d in policy.split(";"))
    assert directives["form-action"].split() == ["'self'", "https://pay.example.vn:8443"]


# Templates rendered to PDF on the server (never served to a browser) keep their styles.
PDF_TEMPLATES = {
    "documents/templates/documents/pdf_layout.html",
    "reports/templates/reports/report_pdf.html",
    "payments/templates/payments/receipt.html",
}
INLINE = [
    (
        re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*type=\"application/json\")[^>]*>", re.I),
        "inline script",
    ),
    (re.compile(r"<style\b", re.I), "<style> element"),
    (re.compile(r"\sstyle\s*=", re.I), "style attribute"),
    (re.compile(r"\son[a-z]+\s*=", re.I), "inline event handler"),
    (re.compile(r"javascript:", re.I), "javascript: URL"),
]


def test_no_served_template_needs_unsafe_inline():
    found = []
    for path in sorted(SRC.glob("*/templates/**/*.html")):
        rel = path.relative_to(SRC).as_posix()
        if rel in PDF_TEMPLATES:
            continue
        text = path.read_text()
        for pattern, what in INLINE:
            for m in pattern.finditer(text):
                line = text.count("\n", 0, m.start()) + 1
                found.append(f"{rel}:{line}: {what}")
    assert found == []
