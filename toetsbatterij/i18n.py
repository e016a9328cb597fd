"""Flask-free translation helpers for the services.

Services never import flask, so they cannot translate. They *mark* user-facing text with
``N_`` (a no-op that the extractor knows, see babel.cfg / ``pybabel extract -k N_``) and hand the
Dutch msgid on; the web layer translates it at its boundary (error handler, flash calls) with
``gettext``. Messages with parameters use named placeholders (``%(name)s``) and carry their values
separately (``DomainError(..., params={...})``), so a translation can reorder them.

``LANGUAGES`` is the single source of truth for the instruction languages a candidate can be
registered with: a catalog exists for each (tests/web/test_catalogs.py checks it).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from babel.support import NullTranslations, Translations

Translate = Callable[..., str]


def N_(message: str) -> str:  # noqa: N802 - the conventional name of the gettext no-op marker
    """Mark ``message`` for extraction; it is translated later, where the locale is known."""
    return message


def identity(message: str, **params: Any) -> str:
    """The Dutch 'translation': the msgid itself, with its named parameters filled in."""
    return message % params if params else message


@dataclass(frozen=True)
class Language:
    code: str
    dutch_name: str  # shown to staff (staff screens are Dutch)
    endonym: str  # shown to the candidate: the language's own name for itself
    script: str = "Latn"  # ISO 15924: which fonts can show it (ticket PDFs)
    rtl: bool = False


# The common home languages of NT2 learners in Flanders, plus Dutch itself (the source language).
LANGUAGES: dict[str, Language] = {lang.code: lang for lang in (
    Language("nl", "Nederlands", "Nederlands"),
    Language("en", "Engels", "English"),
    Language("fr", "Frans", "Français"),
    Language("ar", "Arabisch", "العربية", script="Arab", rtl=True),
    Language("tr", "Turks", "Türkçe"),
    Language("ru", "Russisch", "Русский", script="Cyrl"),
    Language("uk", "Oekraïens", "Українська", script="Cyrl"),
    Language("es", "Spaans", "Español"),
    Language("pl", "Pools", "Polski"),
    Language("ro", "Roemeens", "Română"),
    Language("fa", "Dari/Perzisch", "دری / فارسی", script="Arab", rtl=True),
    Language("ti", "Tigrinya", "ትግርኛ", script="Ethi"),
    Language("so", "Somalisch", "Soomaali"),
)}

SOURCE_LANGUAGE = "nl"
TRANSLATIONS = Path(__file__).resolve().parent / "translations"


def is_rtl(code: str | None) -> bool:
    lang = LANGUAGES.get(str(code or "").split("_")[0])
    return bool(lang and lang.rtl)


def staff_language_names() -> dict[str, str]:
    """Code -> Dutch name of the language, for the registration form (staff)."""
    return {code: lang.dutch_name for code, lang in LANGUAGES.items()}


@functools.lru_cache(maxsize=64)
def _catalog(code: str) -> NullTranslations:
    return Translations.load(str(TRANSLATIONS), [code], domain="messages")


def translator(code: str | None) -> Translate:
    """A flask-free gettext for one instruction language (Dutch when there is no catalog), for
    output made outside a request, such as the ticket PDFs. Call it as ``t(msgid, **params)``."""
    lang = str(code or SOURCE_LANGUAGE)
    if lang not in LANGUAGES:
        lang = SOURCE_LANGUAGE
    catalog = _catalog(lang)

    def translate(message: str, **params: Any) -> str:
        text = catalog.gettext(message)
        return text % params if params else text

    return translate
