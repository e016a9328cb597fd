"""Candidate screens follow the registered instruction language; staff screens stay Dutch.

The catalogs themselves (complete, compiled, in step with the code) are checked in
test_catalogs.py; here the running application is checked.
"""

import pytest
from delivery_support import login_staff

from toetsbatterij.delivery.sessions import INSTRUCTION_LANGUAGES
from toetsbatterij.i18n import LANGUAGES


def login_as(app, world, i, lang):
    cand = world.candidate(world.a["org"], world.a["session"], i, instruction_language=lang)
    world.db.commit()
    world.open(world.a)
    client = app.test_client()
    client.post("/aanmelden", data={"session_code": world.a["session_code"],
                                    "access_code": cand.access_code})
    return client


@pytest.mark.parametrize(("lang", "title", "button"), [
    ("fr", "Comment fonctionne le test", "Commencer l'exercice"),
    ("en", "How the test works", "Start practising"),
    ("ar", "هكذا يعمل الاختبار", "ابدأ التدريب"),
    ("fa", "امتحان این‌گونه کار می‌کند", "شروع تمرین"),
    ("uk", "Як проходить тест", "Почати тренування"),
    ("ti", "ፈተና ብኸምዚ ይሰርሕ", "ልምምድ ጀምሩ"),
    ("nl", "Zo werkt de toets", "Begin met oefenen")])
def test_instructions_in_the_candidates_language(app, world, lang, title, button):
    client = login_as(app, world, {"fr": 3, "en": 4, "ar": 5, "fa": 6, "uk": 7, "ti": 8,
                                   "nl": 9}[lang], lang)
    html = client.get("/toets").get_data(as_text=True)
    assert title in html and button in html
    assert f'<html lang="{lang}"' in html
    if lang != "nl":
        assert "Zo werkt de toets" not in html
    # Right-to-left scripts turn the whole page around; the others do not.
    assert ('dir="rtl"' in html) == (lang in {"ar", "fa"})


def test_arabic_page_is_right_to_left_with_translated_script_texts(app, world):
    html = login_as(app, world, 5, "ar").get("/toets").get_data(as_text=True)
    assert '<html lang="ar" dir="rtl">' in html
    assert 'data-warn5="بقيت 5 دقائق لهذا الجزء."' in html  # the timer warning for the script


def test_candidate_error_message_is_translated(app, world):
    cand = world.candidate(world.a["org"], world.a["session"], 5, instruction_language="fr")
    world.db.commit()
    world.open(world.a)
    client = app.test_client()
    client.post("/aanmelden", data={"session_code": world.a["session_code"],
                                    "access_code": cand.access_code})
    # A second device for the same candidate: the domain error arrives in the candidate's
    # language only once the language is known, so check a page error of the candidate flow.
    page = client.get("/media/not-a-token")
    assert page.status_code in {401, 404}
    text = page.get_data(as_text=True)
    assert "Code d'erreur" in text and "Foutcode" not in text


def test_login_page_offers_the_languages_and_errors_follow_the_choice(client, world):
    world.open(world.a)
    page = client.get("/?taal=ar").get_data(as_text=True)
    assert '<html lang="ar" dir="rtl">' in page and "مرحبًا" in page
    for lang in LANGUAGES.values():  # every language by its own name
        assert lang.endonym in page
    client.get("/?taal=fr")
    resp = client.post("/aanmelden", data={"session_code": world.a["session_code"],
                                           "access_code": "ZZZZZZZZ"})
    assert resp.status_code == 401
    html = resp.get_data(as_text=True)
    assert "Vérifiez votre ticket" in html and "klopt niet" not in html
    # an unknown choice changes nothing
    assert '<html lang="fr">' in client.get("/?taal=xx").get_data(as_text=True)


def test_item_content_stays_dutch_left_to_right_on_an_arabic_page(app, world, content):
    client = login_as(app, world, 5, "ar")
    client.post("/toets/verder", data={"step": "practice"})
    html = client.get("/toets").get_data(as_text=True)
    assert '<html lang="ar" dir="rtl">' in html
    assert '<fieldset class="question" lang="nl" dir="ltr">' in html
    assert "هذا سؤال تدريبي. لا يُحتسب." in html and ">التالي</span></button>" in html


def test_room_feed_stays_dutch_when_the_candidate_reads_arabic(app, world):
    client = login_as(app, world, 5, "ar")
    client.post("/toets/verder", data={"step": "practice"})
    proctor = app.test_client()
    login_staff(proctor, world.a, "proctor")
    texts = [e["text"] for e in proctor.get(
        f"/beheer/sessies/{world.a['session']}/zaal.json").json["events"]]
    assert any(t.endswith(": aangemeld") for t in texts)
    assert any(t.endswith(": begint met oefenen") for t in texts)


def test_staff_pages_stay_dutch(client):
    html = client.get("/beheer/aanmelden").get_data(as_text=True)
    assert '<html lang="nl">' in html and "Aanmelden personeel" in html


def test_registration_accepts_exactly_the_catalog_languages():
    assert set(INSTRUCTION_LANGUAGES) == set(LANGUAGES)
    assert INSTRUCTION_LANGUAGES["ar"] == "Arabisch"  # staff see Dutch names of the languages


def test_ordering_button_texts_for_the_script_are_translated_and_escaped_once(app, world):
    # candidate.js builds the "omhoog"/"omlaag" buttons from these attributes and fills in the
    # fragment itself: the attribute holds the placeholder, its quotes escaped exactly once.
    html = login_as(app, world, 4, "en").get("/toets").get_data(as_text=True)
    assert 'data-order-up="Up"' in html and 'data-order-down="Down"' in html
    assert 'data-order-up-label="Up: move &#39;{fragment}&#39; one place higher"' in html
    assert 'data-order-down-label="Down: move &#39;{fragment}&#39; one place lower"' in html
    assert ('data-order-moved="&#39;{fragment}&#39; is now in place {n} of {total}."'
            in html)
    html = login_as(app, world, 5, "ar").get("/toets").get_data(as_text=True)
    assert 'data-order-up="إلى الأعلى"' in html
