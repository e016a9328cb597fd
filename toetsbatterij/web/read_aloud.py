"""Read-aloud of the candidate's instruction screens, in the candidate's instruction language.

Candidates are often low-literate: every instruction screen has a "Voorlezen" button that plays
its fixed texts. The clips are pre-generated Ogg/Opus files, one per language and text, served as
static files from ``static/read-aloud/<language>/``:

- ``<text id>.ogg`` is made by espeak-ng (``python -m toetsbatterij.web.make_read_aloud``) where
  espeak-ng has a voice for the language, and is marked ``synthetic: true`` in the manifest;
- ``<text id>.human.ogg`` is the slot for a human recording of the same text. Once a person has
  listened to it against the current catalog text, ``make_read_aloud --adopt-human`` records it in
  the manifest (``synthetic: false``) and it replaces the synthetic file.

``static/read-aloud/manifest.json`` says which file is used for each language and text, with the
SHA-256 of the text it speaks (the catalog's translation of the text's msgids, see
:func:`spoken_text`). A clip whose hash no longer matches the catalog is stale: it is never
offered (no button rather than a wrong one), the tool rebuilds it, and
tests/web/test_read_aloud.py fails until it has. Languages without a voice are listed under
``no_voice`` and get no button until a human recording is adopted.
"""

from __future__ import annotations

import functools
import hashlib
import json
from pathlib import Path
from typing import Any

from toetsbatterij.delivery.definitions import SKILL_LABELS
from toetsbatterij.i18n import LANGUAGES, translator
from toetsbatterij.surveys.questions import QUESTIONS, SCALE

FOLDER = Path(__file__).resolve().parent / "static" / "read-aloud"
MANIFEST = FOLDER / "manifest.json"
HUMAN_SUFFIX = ".human.ogg"

# The texts that can be read aloud: text id -> the msgids spoken one after the other. Only fixed
# texts (no %(placeholders)s): a pre-made clip cannot say a number that changes.
TEXTS: dict[str, tuple[str, ...]] = {
    "login": ("Welkom", "Typ de twee codes van uw ticket."),
    "instructions": (
        "Zo werkt de toets",
        "U ziet telkens één vraag op het scherm.",
        'Kies of typ uw antwoord. Klik dan op "Volgende". U kunt ook de Tab-toets en Enter '
        "gebruiken.",
        "U kunt niet terug naar een vorige vraag.",
        "Bovenaan ziet u hoeveel tijd u nog hebt.",
        'Bij luistervragen klikt u op "Beluisteren". U mag elk fragment maar een beperkt aantal '
        "keren horen.",
        "U oefent eerst. De oefenvragen tellen niet mee.",
    ),
    "practice": ("Dit is een oefenvraag. Ze telt niet mee.",),
    "feedback-correct": ("Goed gedaan.",),
    "feedback-partly": ("Voor een deel goed.",),
    "feedback-wrong": ("Dat is niet goed.",),
    "section-intro": ("De tijd begint als u op Start klikt.",),
    **{f"section-{skill}": (label,) for skill, label in SKILL_LABELS.items()},
    "paused": (
        "Even pauze",
        "De toetsbegeleider heeft de toets gepauzeerd. Uw tijd staat stil. Uw antwoorden zijn "
        "bewaard.",
        "Het scherm gaat vanzelf verder als de pauze voorbij is.",
    ),
    "finished": (
        "U bent klaar",
        "Dank u wel. Uw antwoorden zijn goed bewaard.",
        "U mag uw ticket aan de toetsbegeleider geven en rustig het lokaal verlaten.",
    ),
    "ended": (
        "De toets is gestopt",
        "De toetsbegeleider heeft uw toets beëindigd. Uw antwoorden tot nu toe zijn bewaard.",
        "Ga naar de toetsbegeleider voor meer uitleg.",
    ),
    "sound-check": (
        "Geluidstest",
        "Zet uw koptelefoon op. Klik op Beluisteren. Hoort u het geluid?",
    ),
    "sound-check-failed": ("Steek uw hand op. De toetsbegeleider komt u helpen.",),
    "unanswered": ("U hebt niet alle vragen beantwoord. Wilt u toch verder?",),
    "survey": (
        "Uw mening",
        "Wilt u nog vier korte vragen beantwoorden? Het is niet verplicht. Uw antwoorden zijn "
        "anoniem.",
        "Kies bij elke vraag een gezichtje.",
    ),
    **{f"survey-{key}": (question,) for key, question in QUESTIONS},
    "survey-scale": tuple(label for _, label in SCALE),
}

# The espeak-ng voice per instruction language (None: espeak-ng 1.51 has none). Dari is read
# with the Persian voice (same script, close enough for instructions; a human recording is
# better). Tigrinya and Somali have no espeak-ng voice: no button until a human recording.
VOICES: dict[str, str | None] = {
    "nl": "nl", "en": "en-gb", "fr": "fr-be", "ar": "ar", "tr": "tr", "ru": "ru", "uk": "uk",
    "es": "es", "pl": "pl", "ro": "ro", "fa": "fa", "ti": None, "so": None,
}
SPEED_WPM = 140  # slower than espeak-ng's 175: for listeners new to the language of the screen
SECTION_TEXT = {label: f"section-{skill}" for skill, label in SKILL_LABELS.items()}


def spoken_text(language: str, text_id: str) -> str:
    """What the clip of ``text_id`` says in ``language``: its msgids as the catalog translates
    them, one per line."""
    t = translator(language)
    return "\n".join(t(msgid) for msgid in TEXTS[text_id])


def text_sha256(language: str, text_id: str) -> str:
    return hashlib.sha256(spoken_text(language, text_id).encode("utf-8")).hexdigest()


def load_manifest(path: Path = MANIFEST) -> dict[str, Any]:
    if not path.exists():
        return {"clips": [], "no_voice": {}}
    return json.loads(path.read_text(encoding="utf-8"))


@functools.lru_cache(maxsize=1)
def _fresh_clips() -> dict[tuple[str, str], str]:
    """(language, text id) -> file (relative to static/read-aloud/) of every clip that exists
    and speaks the current catalog text. Read once: catalogs and clips ship with the app."""
    out: dict[tuple[str, str], str] = {}
    for clip in load_manifest().get("clips", []):
        lang, text_id, file = clip.get("language"), clip.get("text_id"), clip.get("file", "")
        if lang not in LANGUAGES or text_id not in TEXTS or not (FOLDER / file).is_file():
            continue
        if clip.get("msgid_sha256") == text_sha256(lang, text_id):
            out[(lang, text_id)] = file
    return out


def clip_files(language: str, text_ids: list[str]) -> list[str]:
    """The files to play one after the other for ``text_ids`` in ``language``; empty when one of
    them has no current clip (then the page shows no button, never half a reading)."""
    files = [_fresh_clips().get((language, text_id)) for text_id in text_ids]
    return [f for f in files if f] if all(files) else []
