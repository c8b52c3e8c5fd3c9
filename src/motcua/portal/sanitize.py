"""HTML allow-list for staff-written announcements: formatting survives, scripts never do."""

from __future__ import annotations

import nh3

ALLOWED_TAGS = {
    "p",
    "br",
    "strong",
    "b",
    "em",
    "i",
    "u",
    "s",
    "sub",
    "sup",
    "blockquote",
    "code",
    "pre",
    "h2",
    "h3",
    "h4",
    "ul",
    "ol",
    "li",
    "a",
    "hr",
    "table",
    "thead",
    "tbody",
    "tr",
    "th",
    "td",
    "caption",
    "img",
    "figure",
    "figcaption",
    "span",
}
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "width", "height"},
    "th": {"colspan", "rowspan", "scope"},
    "td": {"colspan", "rowspan"},
}
# No javascript:, data: or vbscript: URLs; relative links (/thu-tuc/...) are kept.
URL_SCHEMES = {"http", "https", "mailto", "tel"}


def clean_html(html: str | None) -> str:
    """The HTML with every tag, attribute and URL scheme outside the allow-list removed."""
    if not html:
        return ""
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel="noopener noreferrer nofollow",
        strip_comments=True,
    )


def html_to_text(source: str) -> str:
    """Plain text of an HTML fragment (for summaries)."""
    import html as html_lib
    import re

    # Block ends become spaces so paragraphs do not run together ("hộ.Vì" → "hộ. Vì").
    spaced = re.sub(r"(?i)<br\s*/?>|</(p|li|h[1-6]|div|tr|blockquote)>", " ", source)
    text = html_lib.unescape(nh3.clean(spaced, tags=set()))
    return re.sub(r"\s+", " ", text).strip()
