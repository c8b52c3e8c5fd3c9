"""Solutions of the proof-of-work challenge, as the browser's challenge.js sends them."""

from __future__ import annotations

from motcua.core.challenge import HEADER_NAME, challenge_create, challenge_solve


def solved() -> str:
    """A fresh solution of a new challenge (the `altcha` form field, the X-Altcha header)."""
    return challenge_solve(challenge_create())


def challenge_header() -> dict[str, str]:
    """Django test-client keyword arguments carrying a fresh solution (anonymous API calls)."""
    return {"HTTP_" + HEADER_NAME.upper().replace("-", "_"): solved()}
