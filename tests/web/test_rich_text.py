"""Item text keeps its lines and lists (toetsbatterij/web/rich_text.py), always escaped; icons are
inline SVG hidden from assistive technology (toetsbatterij/web/icons.py)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from toetsbatterij.web.icons import icon
from toetsbatterij.web.rich_text import blocks, rich_text


def test_paragraphs_line_breaks_and_lists():
    text = "Zo werkt het:\n- Bestel vóór 12 uur.\n- Kies een tijdvak.\n\nKies één antwoord.\nHoe laat?\n"
    assert blocks(text) == [("para", ["Zo werkt het:"]),
                            ("list", ["Bestel vóór 12 uur.", "Kies een tijdvak."]),
                            ("para", ["Kies één antwoord.", "Hoe laat?"])]
    assert rich_text(text) == ("<p>Zo werkt het:</p><ul><li>Bestel vóór 12 uur.</li>"
                               "<li>Kies een tijdvak.</li></ul><p>Kies één antwoord.<br>Hoe laat?</p>")


def test_inline_form_for_a_legend_is_phrasing_content_only():
    html = rich_text("Luister.\nWat koopt de vrouw?\n* kaas\n* brood", "inline")
    assert "<p" not in html and "<ul" not in html and "<br>" in html
    assert html.count('role="listitem"') == 2 and 'role="list"' in html


def test_text_is_escaped():
    html = rich_text('<script>alert(1)</script>\n- <b>vet</b> & "zo"')
    assert "<script>" not in html and "<b>" not in html
    assert "&lt;script&gt;" in html and "&lt;b&gt;vet&lt;/b&gt; &amp; &#34;zo&#34;" in html


def test_a_hyphen_inside_a_line_or_a_number_is_no_bullet():
    assert blocks("Open: 7.00 – 18.00 uur\n-5 graden") == [
        ("para", ["Open: 7.00 – 18.00 uur", "-5 graden"])]
    assert rich_text("") == ""


@given(st.text(alphabet=st.characters(codec="utf-8"), max_size=200))
def test_never_markup_from_the_text(text):
    html = rich_text(text) + rich_text(text, "inline")
    for tag in ("<p>", "</p>", "<br>", "<ul>", "</ul>", "<li>", "</li>", "<span", "</span>"):
        html = html.replace(tag, "")
    html = html.replace(' class="rt-p">', "").replace(' class="rt-ul" role="list">', "")
    html = html.replace(' class="rt-li" role="listitem">', "")
    assert "<" not in html and ">" not in html


def test_icons_are_inline_svg_hidden_from_screen_readers():
    svg = icon("next")
    assert svg.startswith("<svg") and 'aria-hidden="true"' in svg and 'focusable="false"' in svg
    assert "icon-directional" in svg and "icon-directional" not in icon("clock")
    with pytest.raises(ValueError):
        icon("../candidate")
