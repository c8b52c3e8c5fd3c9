"""JSON API of the queueing app."""

from __future__ import annotations

from ninja import Router

router = Router(tags=["queueing"])
