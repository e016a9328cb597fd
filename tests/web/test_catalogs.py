"""The translation catalogs: complete, compiled, in step with the code, and no hard-coded text.

- messages.pot is what ``pybabel extract`` (the command in babel.cfg) finds in the code today;
- there is a catalog for every instruction language of ``toetsbatterij.i18n.LANGUAGES``, and only
  for those; every msgid of the template is in every catalog;
- the Dutch catalog is the identity; every candidate-facing message is translated in every
  candidate language, with the same named placeholders;
- every committed .mo is what ``pybabel compile`` makes of its .po;
- no template shows a letter outside a gettext call.
"""

from __future__ import annotations

import functools
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import read_mo, write_mo
from babel.messages.pofile import read_po

from toetsbatterij.delivery.tickets import ticket_translate
from toetsbatterij.i18n import LANGUAGES, SOURCE_LANGUAGE, is_rtl, translator

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "toetsbatterij"
TRANSLATIONS = PACKAGE / "translations"
TEMPLATES = PACKAGE / "web" / "templates"

# Text a candidate can see: these sources' messages must be translated in every candidate
# language. Staff screens stay Dutch (their msgids are in every catalog, translated or not).
CANDIDATE_SOURCES = (
    "toetsbatterij/web/templates/candidate/",
    "toetsbatterij/web/templates/error.html",
    "toetsbatterij/errors.py",
    "toetsbatterij/web/errors.py",
    "toetsbatterij/web/candidate.py",
    "toetsbatterij/delivery/attempts.py",
    "toetsbatterij/delivery/media.py",
    "toetsbatterij/delivery/throttle.py",
    "toetsbatterij/delivery/tickets.py",
    "toetsbatterij/delivery/definitions.py",  # the section names (Lezen, Luisteren, ...)
    "toetsbatterij/delivery/forms.py",  # a form that cannot start (shown at login)
    "toetsbatterij/productions/",  # refusals of a save or a recording upload
    "toetsbatterij/web/productions.py",
    "toetsbatterij/reports/levels.py",  # what each level means, in the candidate's language
    "toetsbatterij/reports/report.py",  # the score report's texts
    "toetsbatterij/surveys/",  # the satisfaction survey after the test
    "toetsbatterij/web/surveys.py",
    "toetsbatterij/complaints/intake.py",  # the public complaint form's refusals
    "toetsbatterij/complaints/inzage.py",  # the inzage screen, shown to the candidate
)
CANDIDATE_LANGUAGES = sorted(set(LANGUAGES) - {SOURCE_LANGUAGE})
PLACEHOLDER = re.compile(r"%\((\w+)\)s")


def load_po(path: Path):  # type: ignore[no-untyped-def]
    with open(path, "rb") as fh:
        return read_po(fh)


def po_path(lang: str) -> Path:
    return TRANSLATIONS / lang / "LC_MESSAGES" / "messages.po"


@functools.lru_cache(maxsize=1)
def template_ids() -> dict[str, list[str]]:
    """msgid -> the files it comes from (as in the .pot)."""
    return {m.id: [loc for loc, _ in m.locations] for m in load_po(TRANSLATIONS / "messages.pot")
            if m.id}


def candidate_ids() -> set[str]:
    return {mid for mid, files in template_ids().items()
            if any(f.startswith(CANDIDATE_SOURCES) for f in files)}


def extraction_keywords() -> list[str]:
    return re.findall(r"-k (\w+)", (ROOT / "babel.cfg").read_text(encoding="utf-8"))


def test_pot_is_up_to_date_with_the_code():
    with open(ROOT / "babel.cfg", encoding="utf-8") as fh:
        method_map, options_map = parse_mapping_cfg(fh)
    keywords = {"_": None, "gettext": None, "ngettext": (1, 2), "lazy_gettext": None}
    keywords.update({k: None for k in extraction_keywords()})
    found = {msgid for _f, _l, msgid, *_ in extract_from_dir(
        str(PACKAGE), method_map, options_map, keywords=keywords) if isinstance(msgid, str)}
    committed = set(template_ids())
    assert found - committed == set(), "run the pybabel extract/update of babel.cfg"
    assert committed - found == set(), "messages.pot holds messages the code no longer has"
    assert len(found) > 200  # the extraction really read the templates and the code


def test_a_catalog_for_every_language_and_no_other():
    catalogs = {p.parent.parent.name for p in TRANSLATIONS.glob("*/LC_MESSAGES/messages.po")}
    assert catalogs == set(LANGUAGES)


@pytest.mark.parametrize("lang", sorted(LANGUAGES))
def test_every_msgid_in_every_catalog(lang):
    po = {m.id: m for m in load_po(po_path(lang)) if m.id}
    wanted = set(template_ids())
    assert wanted <= set(po)
    assert not [mid for mid, m in po.items() if m.fuzzy], "fuzzy entries are not used at runtime"
    assert set(po) - wanted == set(), "obsolete entries: pybabel update --ignore-obsolete"


def test_dutch_catalog_is_the_identity():
    po = {m.id: m.string for m in load_po(po_path(SOURCE_LANGUAGE)) if m.id}
    assert {mid: po[mid] for mid in template_ids()} == {mid: mid for mid in template_ids()}


@pytest.mark.parametrize("lang", CANDIDATE_LANGUAGES)
def test_candidate_messages_translated_with_the_same_placeholders(lang):
    po = {m.id: m.string for m in load_po(po_path(lang)) if m.id}
    wanted = candidate_ids()
    assert len(wanted) > 100
    missing = sorted(mid for mid in wanted if not po.get(mid))
    assert missing == []
    for mid, text in po.items():
        if text:
            assert sorted(PLACEHOLDER.findall(mid)) == sorted(PLACEHOLDER.findall(text)), mid
    if lang != "en":  # a candidate language really differs from Dutch (not a copy of the msgid)
        copies = [mid for mid in wanted if po[mid] == mid and len(mid) > 12]
        assert copies == []


@pytest.mark.parametrize("lang", sorted(LANGUAGES))
def test_translations_hold_no_markup(lang):
    # Flask-Babel hands a translation to Jinja as safe markup: a catalog must not smuggle in HTML.
    po = {m.id: m.string for m in load_po(po_path(lang)) if m.id}
    assert [text for text in po.values() if re.search(r"[<>&]", text or "")] == []


@pytest.mark.parametrize("lang", sorted(LANGUAGES))
def test_mo_is_compiled_from_its_po(lang, tmp_path):
    catalog = load_po(po_path(lang))
    fresh = tmp_path / "messages.mo"
    with open(fresh, "wb") as fh:
        write_mo(fh, catalog)
    with open(fresh, "rb") as fh:
        expected = {(m.id, m.string) for m in read_mo(fh) if m.id}
    with open(po_path(lang).with_suffix(".mo"), "rb") as fh:
        committed = {(m.id, m.string) for m in read_mo(fh) if m.id}
    assert committed == expected, "run pybabel compile -d toetsbatterij/translations"


def test_translator_outside_a_request():
    assert translator("fr")("Zo werkt de toets") == "Comment fonctionne le test"
    assert translator("nl")("Foutcode %(status)s", status=404) == "Foutcode 404"
    assert translator("xx")("Zo werkt de toets") == "Zo werkt de toets"  # unknown: Dutch
    assert is_rtl("ar") and is_rtl("fa") and not is_rtl("nl") and not is_rtl(None)


def test_ticket_language_follows_the_candidate_where_the_font_can_show_it():
    from toetsbatterij.pdf import printable_scripts

    scripts = printable_scripts()
    assert ticket_translate("fr", scripts, translator)("Sessiecode:") == "Code de session :"
    assert ticket_translate("uk", scripts, translator)("Toegangscode:") == "Код доступу:"
    # Arabic script needs the shaping engine (uharfbuzz); Ethiopic the shipped Noto font.
    arabic = ticket_translate("ar", scripts, translator)("Sessiecode:")
    assert arabic == ("رمز الجلسة:" if "Arab" in scripts else "Sessiecode:")
    tigrinya = ticket_translate("ti", scripts, translator)("Sessiecode:")
    assert (tigrinya != "Sessiecode:") == ("Ethi" in scripts)
    assert ticket_translate("fr", frozenset(), translator)("Sessiecode:") == "Sessiecode:"
    assert ticket_translate("fr", scripts, None)("Sessiecode:") == "Sessiecode:"
    assert ticket_translate("xx", scripts, translator)("Sessiecode:") == "Sessiecode:"


def test_tickets_ask_the_translator_per_candidate():
    from types import SimpleNamespace

    from toetsbatterij.delivery.tickets import INSTRUCTIONS, render_tickets
    from toetsbatterij.pdf import printable_scripts

    asked: list[tuple[str, str]] = []

    def recording(lang):  # type: ignore[no-untyped-def]
        def translate(message, **params):  # type: ignore[no-untyped-def]
            asked.append((lang, message))
            return translator(lang)(message, **params)
        return translate

    people = [SimpleNamespace(first_name="Amal", last_name="Haddad", access_code="ABCD2345",
                              instruction_language=lang) for lang in ("fr", "ar", "ti")]
    pdf = render_tickets(organisation=SimpleNamespace(name="Agentschap"),
                         location=SimpleNamespace(name="Lokaal 1"),
                         session=SimpleNamespace(code="K7M2QP"), candidates=people,
                         login_url="https://toets.example/", local_time="1/12 09:00 - 12:00",
                         translator=recording, strict=True)
    assert pdf.startswith(b"%PDF")
    scripts = printable_scripts()
    if "Latn" in scripts:  # the French ticket is French; Arabic and Tigrinya where they print
        assert {m for lang, m in asked if lang == "fr"} >= set(INSTRUCTIONS) | {"Sessiecode:"}
    assert bool([m for lang, m in asked if lang == "ar"]) == ("Arab" in scripts)
    assert bool([m for lang, m in asked if lang == "ti"]) == ("Ethi" in scripts)


# -- no hard-coded text in the templates ----------------------------------------------------------

JINJA = re.compile(r"\{\{.*?\}\}|\{%.*?%\}|\{#.*?#\}", re.S)
# Blocks that fill an attribute with a CSS class (e.g. body_class), not text.
CLASS_BLOCK = re.compile(r"\{%\s*block\s+\w*_class\s*%\}.*?\{%\s*endblock\s*%\}", re.S)
LETTER = re.compile(r"[^\W\d_]")
# Attributes a person sees or hears (screen readers), plus data-* (texts handed to the scripts).
VISIBLE_ATTRIBUTES = {"title", "alt", "placeholder", "aria-label", "aria-description", "label",
                      "aria-placeholder", "aria-roledescription", "aria-valuetext"}
# The only letters allowed outside gettext: the unit 's' (seconds) on the staff room view.
WHITELIST = {"s"}


class TextCollector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag, attrs):  # type: ignore[no-untyped-def]
        if tag in {"script", "style"}:
            self._skip += 1
        for name, value in attrs:
            if value and (name in VISIBLE_ATTRIBUTES or name.startswith("data-")):
                self.found.append(f"{tag}[{name}]={value}")
        if tag == "input" and dict(attrs).get("type") in {"submit", "button"}:
            self.found.append(f"input[value]={dict(attrs).get('value') or ''}")

    def handle_endtag(self, tag):  # type: ignore[no-untyped-def]
        if tag in {"script", "style"}:
            self._skip -= 1

    def handle_data(self, data):  # type: ignore[no-untyped-def]
        if not self._skip and data.strip():
            self.found.append(data.strip())


def hard_coded_text(source: str) -> list[str]:
    collector = TextCollector()
    collector.feed(JINJA.sub("", CLASS_BLOCK.sub("", source)))
    collector.close()
    return [text for text in collector.found
            if LETTER.search(text.split("=", 1)[-1] if "]=" in text else text)
            and (text.split("=", 1)[-1] if "]=" in text else text).strip() not in WHITELIST]


def test_the_text_detector_finds_what_it_must():
    assert hard_coded_text('<p>Welkom</p><p>{{ _("Welkom") }}</p>') == ["Welkom"]
    assert hard_coded_text('<input placeholder="Reden" aria-label="{{ _(\'x\') }}">') == [
        "input[placeholder]=Reden"]
    assert hard_coded_text('<div data-x="Nog 5 minuten"></div>') == ["div[data-x]=Nog 5 minuten"]
    assert hard_coded_text("<p>{{ a }} · 12:00 – {{ b }} %</p><p>{{ n }} s</p>") == []
    assert hard_coded_text("<p>مرحبا</p>") == ["مرحبا"]
    assert hard_coded_text("{% block body_class %}candidate{% endblock %}<p>Klaar</p>") == [
        "Klaar"]


@pytest.mark.parametrize("template", sorted(p.relative_to(TEMPLATES).as_posix()
                                            for p in TEMPLATES.rglob("*.html")))
def test_no_hard_coded_text_in_templates(template):
    assert hard_coded_text((TEMPLATES / template).read_text(encoding="utf-8")) == []


ATTRIBUTE_GETTEXT = re.compile(r'="[^"]*\{\{\s*_\((?:(?!\}\}).)*\}\}[^"]*"')


@pytest.mark.parametrize("template", sorted(p.relative_to(TEMPLATES).as_posix()
                                            for p in TEMPLATES.rglob("*.html")))
def test_translations_in_attributes_are_escaped(template):
    # Flask-Babel returns a translation as trusted markup: right in a text node, but a quote in
    # a translation would end an attribute early. Attributes use |forceescape.
    source = (TEMPLATES / template).read_text(encoding="utf-8")
    unescaped = [m.group(0) for m in ATTRIBUTE_GETTEXT.finditer(source)
                 if "|forceescape" not in m.group(0)]
    assert unescaped == []


def test_stylesheet_mirrors_for_right_to_left_pages():
    # Logical properties (margin-inline-start, text-align: start) follow dir="rtl"; physical
    # left/right would keep an Arabic or Dari page half in left-to-right layout.
    css = (PACKAGE / "web" / "static" / "app.css").read_text(encoding="utf-8")
    assert re.findall(r"[\w-]*\b(?:left|right)\b[\w-]*", css) == []


def test_the_pot_covers_every_template():
    files = {f for fs in template_ids().values() for f in fs}
    for path in TEMPLATES.rglob("*.html"):
        source = path.read_text(encoding="utf-8")
        if "_(" in source:
            assert path.relative_to(ROOT).as_posix() in files


def test_no_bare_percent_in_msgids():
    # Flask-Babel's Jinja gettext always applies %-formatting: a literal % must be written %%.
    for mid in template_ids():
        assert "%" not in re.sub(r"%%|%\(\w+\)s", "", mid), mid
