"""The benchmarks' own throw-away databases: environment, creation, migration, a bench office.

    import _db  # first, before anything else: it also takes bench/ off the import path

bench/ holds scripts named like standard-library modules (queue.py), so importing this module
removes bench/ from `sys.path` (it imports nothing that bench/ could shadow); `load()` imports
another bench module by file. Each database runs in its own child process (DATABASE_URL is read when Django starts).
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

_BENCH = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _BENCH]

ROOT = _BENCH.parent
PG_SERVER = os.environ.get("BENCH_PG", "postgres://postgres@127.0.0.1:5432")


def load(name: str, file: str) -> Any:
    """Import bench/`file` as module `name` (bench/ itself is off the import path)."""
    spec = importlib.util.spec_from_file_location(name, _BENCH / file)
    assert spec and spec.loader
    mod = importlib.util.module_from_spec(spec)
    sys.modules[name] = mod
    spec.loader.exec_module(mod)
    return mod


def environ(url: str) -> dict[str, str]:
    """The environment of a process working on the bench's own database at `url`.

    Demo mode (MOTCUA_DEMO=1: demo staff, plain http, the stand-ins' secrets) is set here for the
    bench's throw-away database only, so that `migrate` and the server start without the
    production checks; never point a bench at a real database.
    """
    return {
        **os.environ,
        "DATABASE_URL": url,
        "DJANGO_SETTINGS_MODULE": os.environ.get("DJANGO_SETTINGS_MODULE", "motcua.settings"),
        "MOTCUA_DEMO": "1",
        "AXES_ENABLED": "0",
    }


def django_setup(url: str) -> None:
    """Start Django in this process on the bench database at `url`, migrated. The code is this
    checkout's `src/`, or BENCH_SRC's (bench/ab_hotpaths.py runs another checkout's code)."""
    os.environ.update(environ(url))
    sys.path.insert(0, os.environ.get("BENCH_SRC") or str(ROOT / "src"))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)


def ensure_pg_db(name: str = "motcua_bench") -> str:
    """The URL of PostgreSQL database `name` on BENCH_PG, created when missing."""
    import psycopg

    with psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
        if not exists:
            conn.execute(f"CREATE DATABASE {name}")
    return f"{PG_SERVER}/{name}"


def fresh(db: str, name: str) -> str:
    """The URL of a new empty database `name` ("sqlite": var/<name>.sqlite3; "postgres": on
    BENCH_PG), whatever was there dropped."""
    if db == "sqlite":
        path = ROOT / "var" / f"{name}.sqlite3"
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        return f"sqlite:///{path}"
    import psycopg

    with psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    return ensure_pg_db(name)


def child(script: str, *args: str) -> None:
    """Run `script` again in a child process (one database a process)."""
    subprocess.run([sys.executable, script, *args], check=True, cwd=ROOT)


def office(
    *, code: str, agency_code: str, name: str, reception: list[tuple[str, str]]
) -> tuple[Any, list[Any]]:
    """A ward and its reception officials, by (username, full name) (idempotent)."""
    from motcua.org.models import Role, StaffRole, Unit, User

    ward, _ = Unit.objects.get_or_create(
        code=code, defaults={"agency_code": agency_code, "name": name, "level": "ward"}
    )
    staff = []
    for username, full_name in reception:
        user, _ = User.objects.get_or_create(username=username, defaults={"full_name": full_name})
        StaffRole.objects.get_or_create(user=user, unit=ward, role=Role.RECEPTION)
        staff.append(user)
    return ward, staff


def procedure(code: str, field: tuple[str, str], **version: Any) -> None:
    """A published commune-level procedure, version 1, in `field` (code, name) (idempotent)."""
    from motcua.catalog.models import Field, Procedure, ProcedureVersion

    field_row, _ = Field.objects.get_or_create(code=field[0], defaults={"name": field[1]})
    proc, _ = Procedure.objects.get_or_create(code=code)
    ProcedureVersion.objects.get_or_create(
        procedure=proc,
        version=1,
        defaults={"field": field_row, "level": "commune", "is_published": True, **version},
    )
