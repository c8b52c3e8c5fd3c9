"""axe-core in the browser tests: every rule axe runs by default (WCAG 2.x A/AA and best
practices), any impact. Injected with page.evaluate, which the Content-Security-Policy allows
(a <script> tag added to the page would be inline script)."""

from __future__ import annotations

from pathlib import Path

import pytest

AXE = Path(__file__).resolve().parents[1] / "node_modules" / "axe-core" / "axe.min.js"
WCAG = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]


def axe_violations(page, *within: str, tags: list[str] | None = None) -> list[str]:  # type: ignore[no-untyped-def]
    """axe-core's violations of the page (or of the elements `within` selects) as it is now:
    "rule: targets" strings; every rule by default, or only those of `tags`."""
    if not AXE.exists():
        pytest.skip("axe-core not installed: make install (npm ci)")
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.evaluate(AXE.read_text(encoding="utf-8"))
    result = page.evaluate(
        """async ([within, tags]) => {
          const context = within.length ? {include: within.map(s => [s])} : document;
          const options = tags ? {runOnly: tags} : {};
          const r = await axe.run(context, options);
          return r.violations.map(v => v.id + ' (' + v.impact + '): ' +
            v.nodes.map(n => n.target.join(' ')).join(', '));
        }""",
        [list(within), tags],
    )
    return list(result)
