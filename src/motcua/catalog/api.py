"""JSON API of the catalog app."""

from __future__ import annotations

from ninja import Router

router = Router(tags=["catalog"])
