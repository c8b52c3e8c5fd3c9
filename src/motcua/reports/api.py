"""JSON API of the reports app."""

from __future__ import annotations

from ninja import Router

router = Router(tags=["reports"])
