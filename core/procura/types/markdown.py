"""Markdown for user text (rich-text fields, activity-feed comments): rendered, then sanitised.

``render_markdown(text)`` is the only way user Markdown becomes HTML in Procura:

1. markdown-it-py with the ``commonmark`` preset, raw HTML *disabled* (``<script>`` typed by a user
   stays text), GitHub-style tables switched on;
2. nh3 (the Rust ``ammonia`` sanitiser) with an allow-list of tags and attributes: paragraphs,
   emphasis, code, quotes, lists, headings, tables and links; links keep only ``href`` with an
   ``http``, ``https`` or ``mailto`` scheme (relative and ``javascript:`` URLs lose their ``href``)
   and get ``rel="noopener noreferrer nofollow"``. Images are not allowed (no tracking pixels, no
   hot-linking from user text).

The result is safe to insert as markup (``structure`` in Chameleon).
"""
from __future__ import annotations

import nh3
from markdown_it import MarkdownIt

ALLOWED_TAGS = {
    "p", "br", "hr", "strong", "em", "code", "pre", "blockquote", "ul", "ol", "li", "a",
    "h1", "h2", "h3", "h4", "h5", "h6",
    "table", "thead", "tbody", "tr", "th", "td",
}
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "ol": {"start"},
    "th": {"style"},
    "td": {"style"},
}
URL_SCHEMES = {"http", "https", "mailto"}
LINK_REL = "noopener noreferrer nofollow"
MAX_SOURCE = 200_000  # characters rendered at most (the field limits what is stored)

_md = MarkdownIt("commonmark", {"html": False, "breaks": True}).enable("table")


def render_markdown(text) -> str:
    """User Markdown -> sanitised HTML (empty string for empty input)."""
    if not text:
        return ""
    html = _md.render(str(text)[:MAX_SOURCE])
    return sanitize_html(html)


def sanitize_html(html: str) -> str:
    """Clean an HTML fragment with Procura's allow-list (see the module docstring)."""
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        clean_content_tags={"script", "style"},
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        url_relative="deny",
        link_rel=LINK_REL,
        filter_style_properties={"text-align"},
        strip_comments=True,
    )
