"""The one Markdown → sanitised HTML helper. Every piece of authored text goes through here.

Markdown (tables, headings with ids, call-out boxes for 注意 and ポイント) is rendered first; the
result is then cleaned by nh3 with an allow-list, so a <script>, an event-handler attribute, an
inline style or a javascript: link in a course file never reaches a page.
"""

from __future__ import annotations

import re
from functools import lru_cache

import markdown as markdown_lib
import nh3
from markdown.extensions.toc import slugify_unicode
from markupsafe import Markup

# Authors write `!!! 注意` / `!!! ポイント`; they become the admonition types below.
CALLOUTS = {"注意": "caution", "ポイント": "point"}
CALLOUT_LINE = re.compile(r"^!!!\s*(\S+)\s*$", re.MULTILINE)

ALLOWED_TAGS = {
    "p", "br", "hr", "strong", "em", "code", "pre", "blockquote", "span", "div",
    "h2", "h3", "h4", "h5", "ul", "ol", "li", "a",
    "table", "thead", "tbody", "tr", "th", "td",
    # Readings for hard kanji (漏<rp>（</rp><rt>も</rt><rp>）</rp>): readers over 50 are the
    # course's audience. <rp> keeps the reading in brackets where ruby is not drawn.
    "ruby", "rt", "rp",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {
    "a": {"href"},
    "h2": {"id"},
    "h3": {"id"},
    "h4": {"id"},
    "h5": {"id"},
    "th": {"scope"},
}
# Classes are allowed per tag here (nh3 wants "class" left out of ALLOWED_ATTRIBUTES for these).
ALLOWED_CLASSES = {
    "div": {"admonition", "caution", "point"},
    "p": {"admonition-title"},
}
# No classes on <span>: local-fact / unset spans are added after sanitising (placeholders.fill),
# so authored text cannot imitate them.


def _callouts_to_admonitions(source: str) -> str:
    def replace(match: re.Match[str]) -> str:
        kind = CALLOUTS.get(match.group(1))
        return f'!!! {kind} "{match.group(1)}"' if kind else match.group(0)

    return CALLOUT_LINE.sub(replace, source)


def render_unsafe(source: str) -> str:
    """Markdown → HTML, before sanitising. Only render() should call this."""
    md = markdown_lib.Markdown(
        extensions=["tables", "attr_list", "admonition", "toc", "sane_lists"],
        extension_configs={"toc": {"slugify": slugify_unicode}},
    )
    return md.convert(_callouts_to_admonitions(source))


def sanitise(html: str) -> str:
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        allowed_classes=ALLOWED_CLASSES,
        clean_content_tags={"script", "style"},
        url_schemes={"http", "https", "mailto", "tel"},
        link_rel="noopener noreferrer",
    )


@lru_cache(maxsize=512)
def render(source: str) -> Markup:
    """Markdown → sanitised HTML, safe to put on a page. Cached: sources are versioned content."""
    return Markup(sanitise(render_unsafe(source)))
