"""JSON API of the biometrics app."""

from __future__ import annotations

from ninja import Router

router = Router(tags=["biometrics"])
