"""Candidate instructions follow the registered instruction language when a catalog exists."""

from pathlib import Path

import pytest
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

TRANSLATIONS = Path(__file__).resolve().parents[2] / "toetsbatterij" / "translations"


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_catalog_complete_and_compiled(lang):
    with open(TRANSLATIONS / "messages.pot", "rb") as fh:
        template = {m.id for m in read_po(fh) if m.id}
    with open(TRANSLATIONS / lang / "LC_MESSAGES" / "messages.po", "rb") as fh:
        po = {m.id: m.string for m in read_po(fh) if m.id}
    with open(TRANSLATIONS / lang / "LC_MESSAGES" / "messages.mo", "rb") as fh:
        mo = {m.id: m.string for m in read_mo(fh) if m.id}
    assert template <= {k for k, v in po.items() if v}
    assert mo == po


@pytest.mark.parametrize(("lang", "expected"), [
    ("fr", "Comment fonctionne le test"), ("en", "How the test works"),
    ("ar", "Zo werkt de toets"), ("nl", "Zo werkt de toets")])
def test_instructions_in_the_candidates_language(app, world, lang, expected):
    cand = world.candidate(world.a["org"], world.a["session"], {"fr": 3, "en": 4, "ar": 5, "nl": 6}[lang],
                           instruction_language=lang)
    world.db.commit()
    world.open(world.a)
    client = app.test_client()
    client.post("/aanmelden", data={"session_code": world.a["session_code"],
                                    "access_code": cand.access_code})
    html = client.get("/toets").get_data(as_text=True)
    assert expected in html
    assert "Begin met oefenen" in html  # the buttons stay Dutch, as in the test itself
