"""A production start refuses to serve on the demo office's accounts or data.

Production is any start with DEBUG off and without `MOTCUA_DEMO=1` (what `make run` sets). The
demo's published password (`org.demo.DEMO_PASSWORD`) is tried against every active account's
stored hash with the configured password hasher; accounts that seed-demo created share one
hash, so a seeded database costs one check. A hash found not to be the demo password is
remembered in the shared cache (by a digest of the hash, which changes with every new
password), so restarts don't pay the hasher again.
"""

from __future__ import annotations

import hashlib
import sys
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from django.conf import settings

_CLEARED_TTL = 90 * 24 * 3600
_started_checked = False

FIRST_ADMIN = (
    "Hệ thống thật dùng một cơ sở dữ liệu mới: đặt DATABASE_URL, chạy `motcua migrate`, rồi "
    "tạo tài khoản quản trị đầu tiên bằng `motcua createsuperuser` (đăng nhập tại /quan-tri/ "
    "để thêm đơn vị, cán bộ và vai trò)."
)


def production() -> bool:
    """DEBUG off and not the demo office."""
    return not settings.DEBUG and not getattr(settings, "MOTCUA_DEMO", False)


def demo_data_loaded() -> bool:
    from motcua.web.demo import demo_present

    return demo_present()


def _cleared_key(encoded: str) -> str:
    return "demo-pw-cleared:" + hashlib.sha256(encoded.encode()).hexdigest()


def demo_password_accounts() -> list[str]:
    """Usernames of active accounts whose password is the demo office's published one."""
    from django.contrib.auth.hashers import check_password
    from django.core.cache import caches

    from motcua.org.demo import DEMO_PASSWORD
    from motcua.org.models import User

    by_hash: dict[str, list[str]] = {}
    for username, encoded in (
        User.objects.filter(is_active=True)
        .exclude(password="")
        .exclude(password__startswith="!")  # unusable password
        .values_list("username", "password")
    ):
        by_hash.setdefault(encoded, []).append(username)
    cache = caches[getattr(settings, "RATELIMIT_USE_CACHE", "default")]
    cleared = cache.get_many([_cleared_key(h) for h in by_hash])
    todo = [h for h in by_hash if _cleared_key(h) not in cleared]
    # The hasher (PBKDF2) releases the GIL: two threads use both cores of a small server.
    with ThreadPoolExecutor(max_workers=2) as pool:
        verdicts = list(pool.map(lambda h: check_password(DEMO_PASSWORD, h), todo))
    found: list[str] = []
    newly_cleared = {}
    for encoded, is_demo in zip(todo, verdicts, strict=True):
        if is_demo:
            found.extend(by_hash[encoded])
        else:
            newly_cleared[_cleared_key(encoded)] = 1
    if newly_cleared:
        cache.set_many(newly_cleared, timeout=_CLEARED_TTL)
    return sorted(found)


def start_problems() -> list[str]:
    """What makes this database unfit for a production start, in Vietnamese ([] when fit).

    A database that is not migrated yet holds neither accounts nor demo data."""
    from django.db import DatabaseError

    problems: list[str] = []
    try:
        accounts = demo_password_accounts()
        demo = demo_data_loaded()
    except DatabaseError:
        return []
    if accounts:
        shown = ", ".join(accounts[:10])
        if len(accounts) > 10:
            shown += f" và {len(accounts) - 10} tài khoản khác"
        problems.append(
            f"Tài khoản còn dùng mật khẩu mẫu công khai của bản demo: {shown}. Đổi mật khẩu "
            "(`motcua changepassword TÊN`) hoặc khóa các tài khoản đó."
        )
    if demo:
        problems.append(
            "Cơ sở dữ liệu này đã nạp dữ liệu mẫu (`motcua seed-demo`): cán bộ, công dân và hồ "
            "sơ giả định không được phục vụ người dân thật."
        )
    return problems


def refusal_message(problems: list[str]) -> str:
    lines = ["Không khởi động chế độ chạy thật (DEBUG tắt, không đặt MOTCUA_DEMO=1):"]
    lines += [f"  - {p}" for p in problems]
    lines.append(FIRST_ADMIN)
    lines.append("Chỉ để xem thử bản demo trên máy này: đặt MOTCUA_DEMO=1 (như `make run`).")
    return "\n".join(lines)


def refuse_unsafe_start() -> None:
    """Called when the ASGI/WSGI application or `motcua serve` starts: raises in production
    while demo accounts or demo data are there. Checked once per process."""
    global _started_checked
    if _started_checked or not production():
        return
    problems = start_problems()
    if problems:
        from django.core.exceptions import ImproperlyConfigured

        message = refusal_message(problems)
        print(message, file=sys.stderr)
        raise ImproperlyConfigured(message)
    _started_checked = True


def check_demo_in_production(app_configs: Any = None, **kwargs: Any) -> list[Any]:
    """System check (`motcua check --deploy`): the same refusal as a start."""
    from django.core.checks import Error

    if not production():
        return []
    problems = start_problems()
    if not problems:
        return []
    return [
        Error(
            refusal_message(problems),
            hint="Xem mục 'Chạy thật' trong README.",
            id="motcua.E002",
        )
    ]
