"""JSON API of the org app."""

from __future__ import annotations

from ninja import Router

router = Router(tags=["org"])
