"""JSON API of the worktime app."""

from __future__ import annotations

from ninja import Router

router = Router(tags=["worktime"])
