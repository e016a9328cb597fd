"""PDF documents in every candidate language (fpdf2), for the tickets and the score reports.

One :class:`Document` knows the fonts: DejaVu Sans from the system for Latin and Cyrillic (and
names as typed), Noto Sans Arabic and Noto Sans Ethiopic shipped with the candidate screens
(``web/static/fonts``) for Arabic, Dari and Tigrinya, each the other's fallback per character.
``use(language)`` picks the font of a language's script and turns on text shaping where it is
needed: uharfbuzz joins the Arabic letters and lays the line out right to left.

A character that no registered font has would print as nothing (with shaping) or as an empty box:
the document notes every such character in ``missing`` and logs a warning; ``strict=True`` (the
tests) raises :class:`MissingGlyphs` instead. Without DejaVu on the machine the document falls
back to the core Helvetica font, which only shows Latin-1: callers then print Dutch
(``can_show``), and ``safe`` replaces what Helvetica cannot show.

Flask-free: the services (``delivery.tickets``, ``reports``) build their documents on it.
"""

from __future__ import annotations

import logging
import unicodedata
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from fpdf import FPDF

from toetsbatterij.i18n import LANGUAGES

LOG = logging.getLogger(__name__)

SYSTEM_FONT_DIRS = (Path("/usr/share/fonts/truetype/dejavu"),)
SHIPPED_FONTS = Path(__file__).resolve().parent / "web" / "static" / "fonts"
BASE = "DejaVu"
CORE = "Helvetica"
#: The shipped font of each script that DejaVu does not show well (ISO 15924 -> file stem).
SCRIPT_FONTS = {"Arab": "NotoSansArabic", "Ethi": "NotoSansEthiopic"}
_OPENTYPE_SCRIPT = {"Arab": "arab", "Ethi": "ethi"}

try:  # fpdf2's text shaping engine
    import uharfbuzz  # noqa: F401

    SHAPING = True
except ImportError:  # pragma: no cover - depends on the installation
    SHAPING = False

# Characters that are layout, not glyphs: spaces, line ends, the bidi isolates and joiners.
_NO_GLYPH = {"Cc", "Cf", "Zs", "Zl", "Zp"}


class MissingGlyphs(RuntimeError):
    """Text that no font of the document can show (strict documents only)."""

    def __init__(self, chars: Iterable[str]) -> None:
        self.chars = sorted(set(chars))
        super().__init__("no font shows " + ", ".join(f"{c!r} (U+{ord(c):04X})"
                                                       for c in self.chars))


def base_font_files() -> tuple[Path, Path] | None:
    """DejaVu Sans regular and bold, when the system has them."""
    for folder in SYSTEM_FONT_DIRS:
        regular, bold = folder / "DejaVuSans.ttf", folder / "DejaVuSans-Bold.ttf"
        if regular.exists() and bold.exists():
            return regular, bold
    return None


def script_font_files() -> dict[str, tuple[Path, Path]]:
    """The shipped fonts of the other scripts (Arabic only with the shaping engine)."""
    found = {}
    for script, stem in SCRIPT_FONTS.items():
        regular, bold = SHIPPED_FONTS / f"{stem}-Regular.ttf", SHIPPED_FONTS / f"{stem}-Bold.ttf"
        if regular.exists() and bold.exists() and (script != "Arab" or SHAPING):
            found[script] = (regular, bold)
    return found


def printable_scripts() -> frozenset[str]:
    """The scripts (ISO 15924) a document made on this machine shows correctly: none beyond
    Latin-1 without DejaVu; Latin and Cyrillic with it, plus the shipped script fonts."""
    if base_font_files() is None:
        return frozenset()
    return frozenset({"Latn", "Cyrl", *script_font_files()})


def can_show(code: str | None, scripts: frozenset[str] | None = None) -> bool:
    """Whether text in language ``code`` prints correctly (Dutch always does)."""
    language = LANGUAGES.get(code or "")
    if code == "nl":
        return True
    return language is not None and language.script in (
        printable_scripts() if scripts is None else scripts)


class Document(FPDF):
    """An A4 document with the fonts of every candidate script registered."""

    def __init__(self, *, strict: bool = False, **kwargs: Any) -> None:
        super().__init__(format="A4", **kwargs)
        self.strict = strict
        self.missing: set[str] = set()
        self.set_creator("toetsbatterij")
        base = base_font_files()
        self.base = BASE if base else CORE
        self.script_families: dict[str, str] = {}
        self._families: list[str] = []
        if base is None:
            return
        self.add_font(BASE, "", str(base[0]))
        self.add_font(BASE, "B", str(base[1]))
        for script, (regular, bold) in script_font_files().items():
            stem = SCRIPT_FONTS[script]
            self.add_font(stem, "", str(regular))
            self.add_font(stem, "B", str(bold))
            self.script_families[script] = stem
        self._families = [BASE, *self.script_families.values()]

    @property
    def scripts(self) -> frozenset[str]:
        """The scripts this document shows correctly (ISO 15924)."""
        if self.base == CORE:
            return frozenset()
        return frozenset({"Latn", "Cyrl", *self.script_families})

    def can_show(self, code: str | None) -> bool:
        return can_show(code, self.scripts)

    # -- fonts and shaping ----------------------------------------------------------------------

    def use(self, code: str | None = None, style: str = "", size: float = 12) -> None:
        """The font, fallbacks and shaping for text in language ``code`` (None: names and other
        text as typed, shown by whichever font has each character, never reordered)."""
        language = LANGUAGES.get(code or "")
        if self.base == CORE:
            self.set_font(CORE, style, size)
            return
        script = language.script if language is not None and self.can_show(code) else "Latn"
        family = self.script_families.get(script, BASE)
        self.set_font(family, style, size)
        self.set_fallback_fonts([f for f in self._families if f != family], exact_match=False)
        if script in _OPENTYPE_SCRIPT:
            self.set_text_shaping(use_shaping_engine=True,
                                  direction="rtl" if language and language.rtl else "ltr",
                                  script=_OPENTYPE_SCRIPT[script],
                                  language=language.code if language else None)  # BCP 47
        elif SHAPING:
            self.set_text_shaping(use_shaping_engine=False)

    def use_plain(self, family: str, style: str = "", size: float = 12) -> None:
        """A core font (Courier for codes) without shaping or fallbacks: ASCII only."""
        if SHAPING:
            self.set_text_shaping(use_shaping_engine=False)
        if self.base != CORE:
            self.set_fallback_fonts([], exact_match=False)
        self.set_font(family, style, size)

    def safe(self, text: str) -> str:
        """``text`` as the current base font can show it (Latin-1 for the core font)."""
        if self.base != CORE:
            return text
        return text.encode("latin-1", "replace").decode("latin-1")

    # -- the glyph check ------------------------------------------------------------------------

    def _check(self, text: str) -> None:
        font = self.current_font
        cmap = getattr(font, "cmap", None)
        if not text or cmap is None:  # a core font: fpdf2 itself refuses what it cannot encode
            return
        fallbacks = [self.fonts[f].cmap for f in self._fallback_font_ids]  # type: ignore[union-attr]
        gone = {c for c in text if unicodedata.category(c) not in _NO_GLYPH
                and ord(c) not in cmap and not any(ord(c) in fb for fb in fallbacks)}
        if gone:
            self.missing |= gone
            if self.strict:
                raise MissingGlyphs(gone)
            LOG.warning("PDF text without a glyph in any font: %s", MissingGlyphs(gone))

    def cell(self, w: float | None = None, h: float | None = None, text: str = "",
             *args: Any, **kwargs: Any) -> bool:
        self._check(text)
        return super().cell(w, h, text, *args, **kwargs)

    def multi_cell(self, w: float, h: float | None = None, text: str = "",
                   *args: Any, **kwargs: Any) -> Any:
        self._check(text)
        return super().multi_cell(w, h, text, *args, **kwargs)
