"""The low-literacy aids of the candidate screens, for the templates: icons beside words, item
text with its lines and lists, and the read-aloud clips of a screen's fixed texts."""

from __future__ import annotations

from flask import Flask, url_for
from flask_babel import get_locale

from toetsbatterij.web import read_aloud
from toetsbatterij.web.icons import icon
from toetsbatterij.web.rich_text import rich_text


def read_aloud_urls(*text_ids: str) -> list[str]:
    """The clips that read ``text_ids`` aloud in the page's language, in order; empty when one
    has no current clip (no voice, or not made yet): then the page shows no button."""
    files = read_aloud.clip_files(str(get_locale()), list(text_ids))
    return [url_for("static", filename=f"read-aloud/{f}") for f in files]


def section_text_id(label: str) -> str:
    return read_aloud.SECTION_TEXT.get(label, "")


def init_app(app: Flask) -> None:
    app.add_template_global(icon, "icon")
    app.add_template_global(read_aloud_urls, "read_aloud_urls")
    app.add_template_global(section_text_id, "section_text_id")
    app.add_template_filter(rich_text, "rich_text")
