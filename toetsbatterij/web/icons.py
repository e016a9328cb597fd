"""Inline SVG icons beside the words of buttons and states (static/icons/, Lucide, ISC).

``icon('next')`` in a template gives the SVG inline (no request, no CDN, styled with the text
colour): decorative, hidden from screen readers, because a word always stands beside it.
"""

from __future__ import annotations

import functools
import re
from pathlib import Path

from markupsafe import Markup

ICONS = Path(__file__).resolve().parent / "static" / "icons"
NAME = re.compile(r"^[a-z][a-z-]*$")
SVG = re.compile(r"<svg\b[^>]*>(.*)</svg>", re.S)
VIEWBOX = re.compile(r'viewBox="([^"]+)"')
# Icons that point in the reading direction: mirrored on right-to-left pages (app.css).
DIRECTIONAL = {"next", "previous"}


@functools.lru_cache(maxsize=64)
def _inner(name: str) -> tuple[str, str]:
    if not NAME.match(name):
        raise ValueError(f"bad icon name {name!r}")
    source = (ICONS / f"{name}.svg").read_text(encoding="utf-8")
    body, box = SVG.search(source), VIEWBOX.search(source)
    if body is None or box is None:
        raise ValueError(f"static/icons/{name}.svg is not an SVG icon")
    return box.group(1), " ".join(body.group(1).split())


def icon(name: str) -> Markup:
    """The icon ``name`` (a file in static/icons/) as inline SVG, hidden from assistive tech."""
    box, inner = _inner(name)
    classes = f"icon icon-{name}" + (" icon-directional" if name in DIRECTIONAL else "")
    return Markup(  # noqa: S704 - our own files from the package, never user input
        f'<svg class="{classes}" aria-hidden="true" focusable="false" viewBox="{box}" '
        'fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round" '
        f'stroke-linejoin="round">{inner}</svg>')
