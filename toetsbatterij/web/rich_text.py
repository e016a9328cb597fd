"""Plain item text (stimuli, prompts, feedback) as HTML that keeps its lines and lists.

The item bank writes text as plain text (itembank/FORMAT.md): a blank line starts a paragraph, a
line break is a line break, and lines that start with "- ", "* " or "• " form a bullet list.
Without this the browser folds everything into one paragraph. Every piece of text is escaped;
the only markup is what this module writes, so templates never need ``|safe`` on content.

Two forms:

- ``block``: ``<p>`` with ``<br>`` and ``<ul><li>``, for a stimulus or a feedback box;
- ``inline``: the same structure made of ``<span>`` elements (display: block / list-item in
  app.css, ARIA list roles), for places that only allow phrasing content, such as a ``<legend>``.
"""

from __future__ import annotations

import re

from markupsafe import Markup, escape

BULLET = re.compile(r"^\s*(?:[-*•])\s+(.*)$")


def blocks(text: str) -> list[tuple[str, list[str]]]:
    """Split ``text`` into ("para" | "list", lines) blocks, in order; empty lines dropped."""
    out: list[tuple[str, list[str]]] = []
    for chunk in re.split(r"\n\s*\n", str(text or "").replace("\r\n", "\n").strip()):
        para: list[str] = []
        items: list[str] = []
        for raw in chunk.split("\n"):
            line = raw.strip()
            if not line:
                continue
            bullet = BULLET.match(line)
            if bullet:
                if para:
                    out.append(("para", para))
                    para = []
                items.append(bullet.group(1).strip())
            else:
                if items:
                    out.append(("list", items))
                    items = []
                para.append(line)
        if para:
            out.append(("para", para))
        if items:
            out.append(("list", items))
    return out


def _lines(lines: list[str]) -> str:
    return str(Markup("<br>").join(escape(line) for line in lines))


def rich_text(text: str, form: str = "block") -> Markup:
    """``text`` as escaped HTML with its paragraphs, line breaks and bullet lists."""
    parts: list[str] = []
    for kind, lines in blocks(text):
        if form == "inline":
            if kind == "list":
                items = "".join(f'<span class="rt-li" role="listitem">{escape(x)}</span>'
                                for x in lines)
                parts.append(f'<span class="rt-ul" role="list">{items}</span>')
            else:
                parts.append(f'<span class="rt-p">{_lines(lines)}</span>')
        elif kind == "list":
            parts.append("<ul>" + "".join(f"<li>{escape(x)}</li>" for x in lines) + "</ul>")
        else:
            parts.append(f"<p>{_lines(lines)}</p>")
    return Markup("".join(parts))  # noqa: S704 - every piece of text above is escaped
