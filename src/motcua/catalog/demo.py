"""The demo catalogue: real procedures with their national codes, shipped as data/procedures.json."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from motcua.catalog.services import ImportResult, catalog_import

DATA_FILE = Path(__file__).resolve().parent / "data" / "procedures.json"


def demo_procedures() -> list[dict[str, Any]]:
    """The demo catalogue as import dicts."""
    return json.loads(DATA_FILE.read_text(encoding="utf-8"))


def seed_catalog_result(*, actor: Any = None) -> ImportResult:
    """Import the demo catalogue; a second run changes nothing."""
    return catalog_import(data=demo_procedures(), actor=actor, publish=True)


def seed_catalog() -> int:
    """Import the demo catalogue idempotently; returns the number of procedures it holds.

    A re-run leaves every version as it is (see seed_catalog_result() for what changed).
    """
    result = seed_catalog_result()
    return len(result.created) + len(result.new_versions) + len(result.unchanged)
